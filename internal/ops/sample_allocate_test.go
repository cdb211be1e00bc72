package ops

import (
	"fmt"
	"strings"
	"testing"
)

// allocate = "equal" divides n among strata: equal shares capped at a
// stratum's size with the rest going on; always exactly n, never more than
// a stratum holds, and the same for the same seed.
func TestSampleEqualQuota(t *testing.T) {
	strata := func(sizes ...int) (map[string][]unit, []string) {
		m := map[string][]unit{}
		var names []string
		for i, n := range sizes {
			k := fmt.Sprintf("s%02d", i)
			m[k] = make([]unit, n)
			names = append(names, k)
		}
		return m, names
	}
	for _, tc := range []struct {
		allocate string
		n        int64
		sizes    []int
		want     string // shares in stratum order
	}{
		{"equal", 10, []int{5, 5}, "5 5"},
		{"equal", 50, []int{30, 25, 5, 2, 100}, "15 14 5 2 14"}, // the odd unit by seeded hash
		{"equal", 3, []int{10, 10, 10, 10}, ""},                 // three strata get one each; checked below
		{"equal", 7, []int{1, 1, 100}, "1 1 5"},
		{"equal", 4, []int{1, 1, 1}, ""}, // more than the strata hold: an error
	} {
		op := &sampleOp{seed: 7, count: tc.n, equal: true}
		m, names := strata(tc.sizes...)
		got, err := op.equalQuota(names, m)
		if tc.n == 4 {
			if err == nil || !strings.Contains(err.Error(), "has only 3 rows") {
				t.Errorf("share of 4 over 3 units: err %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %d %v: %v", tc.allocate, tc.n, tc.sizes, err)
		}
		var parts []string
		var sum int64
		for i, k := range names {
			if got[k] > int64(tc.sizes[i]) {
				t.Errorf("%s %d %v: stratum %s gets %d of its %d", tc.allocate, tc.n, tc.sizes, k, got[k], tc.sizes[i])
			}
			sum += got[k]
			parts = append(parts, fmt.Sprint(got[k]))
		}
		if sum != tc.n {
			t.Errorf("%s %d %v: shares %v sum to %d", tc.allocate, tc.n, tc.sizes, parts, sum)
		}
		if tc.want != "" && strings.Join(parts, " ") != tc.want {
			t.Errorf("%s %d %v: shares %v, want %s", tc.allocate, tc.n, tc.sizes, parts, tc.want)
		}
		again, _ := op.equalQuota(names, m)
		for k := range got {
			if again[k] != got[k] {
				t.Errorf("%s %d %v: a second share differs", tc.allocate, tc.n, tc.sizes)
			}
		}
	}
}
