package graph

import (
	"bytes"
	"strings"
	"testing"
)

// The cases two real builds rarely produce: a node re-keyed with the same
// data, one key giving other data, columns only reordered, a fetch moved.
func TestCompareLocksCases(t *testing.T) {
	a := &Lock{Version: 1, Recipe: "r",
		Fetches: map[string]FetchRecord{"fetch.f": {URL: "a.csv", Digest: d("f"), Size: 3}},
		Nodes: map[string]LockNode{
			"select.rekeyed": {Op: "select@1", Key: d("k1"), Logical: d("l"), Blob: d("b"), Size: 9, Rows: 2, Schema: []string{"a: utf8", "b: int64"}},
			"select.flaky":   {Op: "select@1", Key: d("k2"), Logical: d("l1"), Blob: d("b1"), Size: 9, Rows: 2, Schema: []string{"a: utf8", "b: int64"}},
		},
	}
	b := &Lock{Version: 1, Recipe: "r",
		Fetches: map[string]FetchRecord{"fetch.f": {URL: "mirror/a.csv", Digest: d("f"), Size: 3}},
		Nodes: map[string]LockNode{
			"select.rekeyed": {Op: "select@1", Key: d("k3"), Logical: d("l"), Blob: d("b"), Size: 9, Rows: 2, Schema: []string{"a: utf8", "b: int64"}},
			"select.flaky":   {Op: "select@1", Key: d("k2"), Logical: d("l2"), Blob: d("b2"), Size: 9, Rows: 2, Schema: []string{"b: int64", "a: utf8"}},
		},
	}
	if Identical(a, b) || !Identical(a, a) {
		t.Fatal("Identical disagrees")
	}
	var out bytes.Buffer
	CompareLocks(a, b).Write(&out, "A", "B")
	for _, want := range []string{
		"  ~ fetch.f  url a.csv → mirror/a.csv\n",
		"nodes: 2 changed, 0 added, 0 removed, 0 unchanged\n",
		"      data     unchanged (" + short(d("l")) + ")\n",
		"      data     " + short(d("l1")) + " → " + short(d("l2")) + "  (" + nondeterminismNote + ")\n",
		"      schema   column order: a, b → b, a\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
}
