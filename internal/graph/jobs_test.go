package graph

import "testing"

// Shards cover every row once, in order, in near-equal contiguous ranges,
// and never make an empty shard of a non-empty input.
func TestShardsCoverEveryRowOnce(t *testing.T) {
	for _, tc := range []struct {
		rows  int64
		n     int
		count int
	}{
		{0, 4, 1}, {1, 4, 1}, {3, 4, 3}, {4, 4, 4}, {10, 3, 3}, {150000, 4, 4}, {7, 1, 1}, {5, 0, 1},
	} {
		s := Shards(tc.rows, tc.n)
		if len(s) != tc.count {
			t.Fatalf("Shards(%d, %d): %d shards, want %d", tc.rows, tc.n, len(s), tc.count)
		}
		var next int64
		for i, sh := range s {
			if sh.Index != i || sh.Count != len(s) || sh.Start != next || (sh.End <= sh.Start && tc.rows > 0) {
				t.Fatalf("Shards(%d, %d)[%d] = %+v", tc.rows, tc.n, i, sh)
			}
			if d := (sh.End - sh.Start) - tc.rows/int64(len(s)); d < 0 || d > 1 {
				t.Fatalf("Shards(%d, %d)[%d] = %+v: not near-equal", tc.rows, tc.n, i, sh)
			}
			next = sh.End
		}
		if next != tc.rows {
			t.Fatalf("Shards(%d, %d) end at %d", tc.rows, tc.n, next)
		}
	}
}
