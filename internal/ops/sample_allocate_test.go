package ops

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/expr"
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

// With stratify = [a, b], equal shares go first to the values of a, then
// within each to the values of b: a part with one tactic gets as much as a
// part with ten.
func TestSampleEqualQuotaByLevel(t *testing.T) {
	strata := map[string][]unit{}
	op := &sampleOp{seed: 7, count: 12, equal: true, levels: make([]*expr.Program, 2), paths: map[string][]string{}}
	var names []string
	add := func(part, tactic string, n int) {
		k := part + "/" + tactic
		strata[k] = make([]unit, n)
		op.paths[k] = []string{part, tactic}
		names = append(names, k)
	}
	add("corpus", "-", 100)
	for i := 0; i < 10; i++ {
		add("synthetic", fmt.Sprint("t", i), 5)
	}
	add("small", "-", 2)
	sort.Strings(names)
	got, err := op.equalQuota(names, strata)
	if err != nil {
		t.Fatal(err)
	}
	var synth int64
	for i := 0; i < 10; i++ {
		q := got[fmt.Sprint("synthetic/t", i)]
		if q > 1 {
			t.Errorf("synthetic/t%d gets %d; 5 units over 10 tactics is at most one each", i, q)
		}
		synth += q
	}
	if got["small/-"] != 2 || got["corpus/-"] != 5 || synth != 5 {
		t.Errorf("shares %v: want small 2 (all it has), corpus 5, synthetic 5 in all", got)
	}
}
