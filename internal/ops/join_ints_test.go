package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkJoinProbe probes 10M keys (uniform over 1.25 times the right
// keys, so 80% match) into the index of 1M unique right keys, in batches
// of 64Ki: dense keys (a permutation of 0..1M-1) take the rank index,
// sparse ones (the same spread by a multiplier) the hash index; "old" is
// the aggregate's intTable, which the join used before.
func BenchmarkJoinProbe(b *testing.B) {
	const nr, nl, batch = 1_000_000, 10_000_000, 1 << 16
	for _, sparse := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(1, 2))
		spread := func(k int64) int64 {
			if sparse {
				return k * 0x5851f42d4c957f2d
			}
			return k
		}
		right := make([]int64, nr)
		for i, p := range rng.Perm(nr) {
			right[i] = spread(int64(p))
		}
		left := make([]int64, nl)
		for i := range left {
			left[i] = spread(rng.Int64N(nr + nr/4))
		}
		out := make([]int32, nl)
		probe := func(b *testing.B, f func(vals []int64, out []int32)) {
			for b.Loop() {
				for s := 0; s < nl; s += batch {
					e := min(s+batch, nl)
					f(left[s:e], out[s:e])
				}
			}
		}
		keys := map[bool]string{false: "dense", true: "sparse"}[sparse]
		b.Run(keys+"/old", func(b *testing.B) {
			t := newIntTable(nr)
			for i, k := range right {
				t.put(k, int32(i))
			}
			probe(b, func(vals []int64, out []int32) {
				for i, v := range vals {
					out[i] = t.get(v)
				}
			})
		})
		ix, _ := newJoinInts(right, nil, make([]int32, nr))
		b.Run(fmt.Sprintf("%s/%s", keys, map[bool]string{true: "dense", false: "hashed"}[ix.dense != nil]), func(b *testing.B) {
			probe(b, ix.probe)
		})
		if r, _ := newJoinRanks(right, nil); r != nil {
			b.Run(keys+"/rank", func(b *testing.B) { probe(b, r.probe) })
		}
	}
}
