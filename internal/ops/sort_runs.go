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
	if !mergeFewRuns(xs, c) {
		slices.SortFunc(xs, c)
	}
}

// mergeFewRuns sorts xs by c when it is at most maxMergeRuns ascending
// runs; false (xs untouched) otherwise, found within maxMergeRuns+1
// descents.
func mergeFewRuns[E any](xs []E, c func(a, b E) int) bool {
	starts := []int{0}
	for i := 1; i < len(xs); i++ {
		if c(xs[i-1], xs[i]) > 0 {
			if len(starts) == maxMergeRuns {
				return false
			}
			starts = append(starts, i)
		}
	}
	if len(starts) == 1 {
		return true
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
	return true
}

// radixMin is the length from which sortKeyed radix-sorts (a variable so
// tests take both paths).
var radixMin = 1 << 10

// sortKeyed sorts kv by c, a total order that orders by k first: few runs
// are merged; short inputs go to pdqsort; others are radix-sorted on k
// (LSD, stable, so equal keys keep their order), then each run of equal
// keys is sorted by c when tied (some keys tie without their rows being
// equal: prefixes, or other sort keys to compare).
func sortKeyed(kv []keyed, c func(a, b keyed) int, tied bool) {
	if len(kv) < radixMin {
		sortTotal(kv, c)
		return
	}
	if mergeFewRuns(kv, c) {
		return
	}
	radixSort(kv)
	if !tied {
		return
	}
	for lo := 0; lo < len(kv); {
		hi := lo + 1
		for hi < len(kv) && kv[hi].k == kv[lo].k {
			hi++
		}
		if hi-lo > 1 {
			sortTotal(kv[lo:hi], c)
		}
		lo = hi
	}
}

// radixSort sorts kv by k, stably: one pass per byte of k, skipping bytes
// every key shares (a column of small integers is sorted in 2 or 3 passes).
func radixSort(kv []keyed) {
	var counts [8][256]int
	for _, e := range kv {
		for b := 0; b < 8; b++ {
			counts[b][byte(e.k>>(8*b))]++
		}
	}
	src, dst := kv, make([]keyed, len(kv))
	for b := 0; b < 8; b++ {
		cnt := &counts[b]
		if cnt[byte(src[0].k>>(8*b))] == len(src) {
			continue // every key has this byte
		}
		var offs [256]int
		sum := 0
		for d := range offs {
			offs[d] = sum
			sum += cnt[d]
		}
		shift := 8 * b
		for _, e := range src {
			d := byte(e.k >> shift)
			dst[offs[d]] = e
			offs[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &kv[0] {
		copy(kv, src)
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
