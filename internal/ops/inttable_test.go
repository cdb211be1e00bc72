package ops

import (
	"math"
	"testing"
)

// TestIntTableGrows: a table started empty takes 100k keys (zero, negative,
// the extremes, keys colliding in the low bits) through several doublings
// and answers every one; a put of a present key replaces it.
func TestIntTableGrows(t *testing.T) {
	tb := newIntTable(0)
	keys := []int64{0, -1, math.MinInt64, math.MaxInt64}
	for i := int64(1); len(keys) < 100_000; i++ {
		keys = append(keys, i<<20, -i*7919)
	}
	for i, k := range keys {
		if old := tb.put(k, int32(i)); old != -1 {
			t.Fatalf("put(%d) replaced %d in an empty slot", k, old)
		}
	}
	if tb.count != len(keys) {
		t.Fatalf("count %d, want %d", tb.count, len(keys))
	}
	if 2*tb.count > len(tb.rows) {
		t.Fatalf("table %d slots for %d keys: over half full", len(tb.rows), tb.count)
	}
	for i, k := range keys {
		if g := tb.get(k); g != int32(i) {
			t.Fatalf("get(%d) = %d, want %d", k, g, i)
		}
	}
	if g := tb.get(12345); g != -1 {
		t.Fatalf("get of an absent key = %d", g)
	}
	if old := tb.put(keys[7], 99); old != 7 || tb.get(keys[7]) != 99 || tb.count != len(keys) {
		t.Fatalf("replace: old %d, now %d, count %d", old, tb.get(keys[7]), tb.count)
	}
}
