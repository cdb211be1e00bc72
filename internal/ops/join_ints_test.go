package ops

import (
	"math/rand/v2"
	"testing"
)

func benchKeys(sparse bool) (right, left []int64) {
	const nr, nl = 1_000_000, 10_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	spread := func(k int64) int64 {
		if sparse {
			return k * 0x5851f42d4c957f2d
		}
		return k
	}
	right = make([]int64, nr)
	for i, p := range rng.Perm(nr) {
		right[i] = spread(int64(p))
	}
	left = make([]int64, nl)
	for i := range left {
		left[i] = spread(rng.Int64N(nr + nr/4))
	}
	return right, left
}

func BenchmarkProbeOld(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		right, left := benchKeys(sparse)
		t := newIntTable(len(right))
		for i, k := range right {
			t.put(k, int32(i))
		}
		out := make([]int32, len(left))
		b.Run(map[bool]string{false: "dense", true: "sparse"}[sparse], func(b *testing.B) {
			for b.Loop() {
				for i, v := range left {
					out[i] = t.get(v)
				}
			}
		})
	}
}

func BenchmarkProbeNew(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		right, left := benchKeys(sparse)
		t, _ := newJoinInts(right, nil, make([]int32, len(right)))
		out := make([]int32, len(left))
		b.Run(map[bool]string{false: "dense", true: "sparse"}[sparse], func(b *testing.B) {
			for b.Loop() {
				for s := 0; s < len(left); s += 65536 {
					e := min(s+65536, len(left))
					t.probe(left[s:e], out[s:e])
				}
			}
		})
	}
}

func TestProbeCollisions(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		right, left := benchKeys(sparse)
		right = right[:len(right)/2+100]
		tb, _ := newJoinInts(right, nil, make([]int32, len(right)))
		if tb.rows == nil {
			continue
		}
		out := make([]int32, len(left))
		coll := 0
		for i, v := range left {
			j := tb.hash(v)
			if tb.keys[j] != v && tb.rows[j] >= 0 {
				coll++
			}
			_ = i
		}
		tb.probe(left, out)
		t.Logf("sparse=%v slots %d count %d collisions %d of %d", sparse, len(tb.rows), tb.count, coll, len(left))
	}
}

func BenchmarkProbeSplit(b *testing.B) {
	right, left := benchKeys(true)
	size := 16
	for size < 2*len(right) {
		size *= 2
	}
	keys, rows := make([]int64, size), make([]int32, size)
	for i := range rows {
		rows[i] = -1
	}
	shift := uint8(64 - 21)
	mask := uint64(size - 1)
	for i, k := range right {
		j := joinHash(k, shift)
		for rows[j] >= 0 && keys[j] != k {
			j = (j + 1) & mask
		}
		keys[j], rows[j] = k, int32(i)
	}
	out := make([]int32, len(left))
	b.ResetTimer()
	for b.Loop() {
		for i, v := range left {
			j := joinHash(v, shift)
			r := rows[j]
			if keys[j] != v && r >= 0 {
				r = -2
			}
			out[i] = r
		}
	}
}
