package ops

import "slices"

// maxMergeRuns is how many ascending runs sortTotal merges instead of
// sorting: up to 32 runs is at most 5 linear merge passes.
const maxMergeRuns = 32

// sortTotal sorts xs by c, a total order (no two elements compare equal,
// as sort's comparators make sure by breaking ties on position), so the
// result does not depend on the algorithm. Input that is a few ascending
// runs (already sorted, sorted parts concatenated by a union, a sort by a
// key the input is nearly in order of) is merged in linear passes;
// anything else goes to pdqsort, having cost at most maxMergeRuns+1
// comparisons of a scan.
func sortTotal[E any](xs []E, c func(a, b E) int) {
	starts := []int{0}
	for i := 1; i < len(xs); i++ {
		if c(xs[i-1], xs[i]) > 0 {
			if len(starts) == maxMergeRuns {
				slices.SortFunc(xs, c)
				return
			}
			starts = append(starts, i)
		}
	}
	if len(starts) == 1 {
		return
	}
	src, dst := xs, make([]E, len(xs))
	for len(starts) > 1 {
		next := starts[:0:0]
		for r := 0; r < len(starts); r += 2 {
			lo := starts[r]
			mid, hi := len(src), len(src)
			if r+1 < len(starts) {
				mid = starts[r+1]
			}
			if r+2 < len(starts) {
				hi = starts[r+2]
			}
			mergeRuns(dst[lo:hi], src[lo:mid], src[mid:hi], c)
			next = append(next, lo)
		}
		src, dst, starts = dst, src, next
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
}

// mergeRuns merges the ascending runs a and b into dst (len(a)+len(b)).
func mergeRuns[E any](dst, a, b []E, c func(a, b E) int) {
	k := 0
	for len(a) > 0 && len(b) > 0 {
		if c(a[0], b[0]) <= 0 {
			dst[k], a = a[0], a[1:]
		} else {
			dst[k], b = b[0], b[1:]
		}
		k++
	}
	k += copy(dst[k:], a)
	copy(dst[k:], b)
}
