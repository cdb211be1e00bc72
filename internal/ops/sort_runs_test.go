package ops

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortTotal: sortTotal equals pdqsort for inputs of 0 to 40 ascending
// runs (merged) and random inputs (sorted), of every length up to 300.
func TestSortTotal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := func(a, b keyed) int {
		if x := cmp.Compare(a.k, b.k); x != 0 {
			return x
		}
		return cmp.Compare(a.i, b.i)
	}
	for n := 0; n <= 300; n++ {
		for _, runs := range []int{1, 2, 3, 7, maxMergeRuns, maxMergeRuns + 1, 40, n + 1} {
			xs := make([]keyed, n)
			for i := range xs {
				xs[i] = keyed{uint64(r.IntN(50)), i}
			}
			// Sort pieces to make about runs ascending runs.
			for lo := 0; lo < n; {
				hi := min(n, lo+1+r.IntN(2*n/max(runs, 1)+1))
				slices.SortFunc(xs[lo:hi], c)
				lo = hi
			}
			want := slices.Clone(xs)
			slices.SortFunc(want, c)
			sortTotal(xs, c)
			if !slices.Equal(xs, want) {
				t.Fatalf("n=%d runs≈%d: got %v, want %v", n, runs, xs, want)
			}
		}
	}
}

// TestRadixSort: radixSort is a stable sort by k, with keys that differ in
// any byte, share all but the low bytes, or are all equal.
func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, gen := range []func(i int) uint64{
		func(int) uint64 { return r.Uint64() },
		func(int) uint64 { return 1<<63 | uint64(r.IntN(300)) },
		func(int) uint64 { return 42 },
		func(i int) uint64 { return uint64(r.IntN(4)) << (8 * (i % 8)) },
	} {
		for _, n := range []int{1, 2, 100, 5000} {
			xs := make([]keyed, n)
			for i := range xs {
				xs[i] = keyed{gen(i), i}
			}
			want := slices.Clone(xs)
			slices.SortStableFunc(want, func(a, b keyed) int { return cmp.Compare(a.k, b.k) })
			radixSort(xs)
			if !slices.Equal(xs, want) {
				t.Fatalf("n=%d: radix order differs from a stable sort by k", n)
			}
		}
	}
}
