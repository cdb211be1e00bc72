package ops

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/expr"
)

var groupSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "conv", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "cat", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// groupRows builds n rows in 40 conversations of varying length, each in one
// of three categories.
func groupRows(t *testing.T, mem memory.Allocator, n int) arrow.RecordBatch {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		c := (i * i / 7) % 40
		fmt.Fprintf(&b, `{"id": %d, "conv": "c%d", "cat": "%s"}`, i, c, []string{"a", "b", "c"}[c%3])
	}
	b.WriteString("]")
	return fromJSON(t, mem, groupSchema, b.String())
}

func sampleOf(t *testing.T, mem memory.Allocator, body string, rec arrow.RecordBatch, size int) ([]int, error) {
	t.Helper()
	op := mustOp(t, fmt.Sprintf("sample \"t\" {\n  input = fetch.in\n  %s\n}\n", body), "sample.t")
	res, err := runRec(t, mem, op, rec, size)
	if err != nil {
		return nil, err
	}
	return ids(t, res.Rows), nil
}

func TestSampleRows(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 500)
	defer rec.Release()
	base, err := sampleOf(t, mem, "n = 50\n  seed = 1", rec, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != 50 {
		t.Fatalf("n = 50 kept %d rows", len(base))
	}
	if !sort.IntsAreSorted(base) {
		t.Errorf("sample reordered rows: %v", base)
	}
	for _, size := range []int{1, 7, 4096} {
		got, err := sampleOf(t, mem, "n = 50\n  seed = 1", rec, size)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(base, got); diff != "" {
			t.Errorf("batch size %d: sample differs (-want +got):\n%s", size, diff)
		}
	}
	other, err := sampleOf(t, mem, "n = 50\n  seed = 2", rec, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(base, other) {
		t.Errorf("seeds 1 and 2 chose the same rows %v", base)
	}
}

func TestSampleFraction(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	tests := []struct {
		rows     int
		fraction string
		want     int
	}{
		{10, "0.25", 3}, // 2.5 rounds half away from zero
		{10, "0.24", 2},
		{7, "0.5", 4},
		{7, "1", 7},
		{7, "0", 0},
	}
	for _, tt := range tests {
		rec := groupRows(t, mem, tt.rows)
		got, err := sampleOf(t, mem, "fraction = "+tt.fraction+"\n  seed = 3", rec, 3)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("fraction %s of %d rows kept %d, want %d", tt.fraction, tt.rows, len(got), tt.want)
		}
	}
}

// groupsOf maps each kept row to its conversation and category.
func groupsOf(ids []int) map[string][]int {
	m := map[string][]int{}
	for _, id := range ids {
		c := (id * id / 7) % 40
		m[fmt.Sprintf("c%d", c)] = append(m[fmt.Sprintf("c%d", c)], id)
	}
	return m
}

func TestSampleBy(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 500)
	defer rec.Release()
	all := groupsOf(func() []int {
		var xs []int
		for i := 0; i < 500; i++ {
			xs = append(xs, i)
		}
		return xs
	}())
	var first map[string][]int
	for _, size := range []int{1, 7, 4096} {
		got, err := sampleOf(t, mem, "n = 10\n  seed = 5\n  by = conv", rec, size)
		if err != nil {
			t.Fatal(err)
		}
		if !sort.IntsAreSorted(got) {
			t.Errorf("batch size %d: rows out of input order", size)
		}
		g := groupsOf(got)
		if len(g) != 10 {
			t.Errorf("batch size %d: kept %d groups, want 10", size, len(g))
		}
		for k, rows := range g {
			if !cmp.Equal(rows, all[k]) {
				t.Errorf("batch size %d: group %s kept rows %v, want all of %v", size, k, rows, all[k])
			}
		}
		if first == nil {
			first = g
		} else if !cmp.Equal(first, g) {
			t.Errorf("batch size %d: different groups than batch size 1", size)
		}
	}
}

func TestSampleStratify(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 500)
	defer rec.Release()
	cat := func(id int) string { return []string{"a", "b", "c"}[((id*id/7)%40)%3] }
	got, err := sampleOf(t, mem, "n = 4\n  seed = 5\n  stratify = cat", rec, 7)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, id := range got {
		per[cat(id)]++
	}
	if diff := cmp.Diff(map[string]int{"a": 4, "b": 4, "c": 4}, per); diff != "" {
		t.Errorf("rows per stratum (-want +got):\n%s", diff)
	}
	// Whole groups per stratum.
	got, err = sampleOf(t, mem, "n = 2\n  seed = 5\n  by = conv\n  stratify = cat", rec, 7)
	if err != nil {
		t.Fatal(err)
	}
	gper := map[string]map[string]bool{}
	for k, rows := range groupsOf(got) {
		c := cat(rows[0])
		if gper[c] == nil {
			gper[c] = map[string]bool{}
		}
		gper[c][k] = true
	}
	for _, c := range []string{"a", "b", "c"} {
		if len(gper[c]) != 2 {
			t.Errorf("stratum %s kept groups %v, want 2", c, gper[c])
		}
	}
}

func TestSampleErrors(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 20)
	defer rec.Release()
	if _, err := sampleOf(t, mem, "n = 21\n  seed = 1", rec, 7); err == nil || !strings.Contains(err.Error(), "only 20 rows") {
		t.Errorf("n = 21 of 20 rows: err = %v, want one naming the 20 rows", err)
	}
	if _, err := sampleOf(t, mem, "n = 41\n  seed = 1\n  by = conv", rec, 7); err == nil || !strings.Contains(err.Error(), "groups") {
		t.Errorf("n = 41 groups: err = %v, want one about groups", err)
	}
	for _, tt := range []struct{ body, want string }{
		{"n = 2\n  fraction = 0.5\n  seed = 1", "Conflicting"},
		{"seed = 1", "Missing sample size"},
		{"n = 2.5\n  seed = 1", "whole number"},
		{"n = -1\n  seed = 1", "whole number"},
		{"fraction = 1.5\n  seed = 1", "between 0 and 1"},
	} {
		_, diags := newOp(t, fmt.Sprintf("sample \"t\" {\n  input = fetch.in\n  %s\n}\n", tt.body), "sample.t", nil, nil)
		wantDiag(t, diags, tt.want)
	}
}

func TestSampleParams(t *testing.T) {
	p := func(body string) map[string]string {
		op := mustOp(t, fmt.Sprintf("sample \"t\" {\n  input = fetch.in\n  %s\n}\n", body), "sample.t")
		return paramMap(op.Params())
	}
	base := p("n = 5\n  seed = 1\n  by = conv")
	if !cmp.Equal(base, p("seed = 1\n  by   =   conv\n  n = 5")) {
		t.Errorf("reordered attributes changed Params")
	}
	for _, other := range []string{"n = 6\n  seed = 1\n  by = conv", "n = 5\n  seed = 2\n  by = conv", "n = 5\n  seed = 1\n  by = cat", "n = 5\n  seed = 1\n  stratify = conv"} {
		if cmp.Equal(base, p(other)) {
			t.Errorf("Params of %q equal those of the base sample", other)
		}
	}
}

// TestSampleByGroupKey: with by, the groups kept are those whose group
// key (expr.GroupKeys of the by value) has the smallest seeded hash; the
// draw depends on that documented encoding, not on a display format.
func TestSampleByGroupKey(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 500)
	defer rec.Release()
	got, err := sampleOf(t, mem, "n = 10\n  seed = 5\n  by = conv", rec, 7)
	if err != nil {
		t.Fatal(err)
	}
	// The expected draw, computed from the group keys of the conv values.
	conv := rec.Column(1)
	keys, err := expr.GroupKeys(conv)
	if err != nil {
		t.Fatal(err)
	}
	h := &sampleOp{seed: 5}
	type group struct {
		hash uint64
		key  string
		conv string
	}
	seen := map[string]bool{}
	var groups []group
	for i, k := range keys {
		if !seen[k] {
			seen[k] = true
			groups = append(groups, group{h.hash(k), k, conv.ValueStr(i)})
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].hash != groups[j].hash {
			return groups[i].hash < groups[j].hash
		}
		return groups[i].key < groups[j].key
	})
	want := map[string]bool{}
	for _, g := range groups[:10] {
		want[g.conv] = true
	}
	gotGroups := map[string]bool{}
	for k := range groupsOf(got) {
		gotGroups[k] = true
	}
	if diff := cmp.Diff(want, gotGroups); diff != "" {
		t.Errorf("groups kept (-want +got):\n%s", diff)
	}
}

// TestSampleByValues: groups are values, not display strings: -0.0 and 0.0
// are one group, null, "" and "null" are three.
func TestSampleByValues(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec := fromJSON(t, mem, schema, `[{"id": 0, "x": 0.0, "s": null}, {"id": 1, "x": -0.0, "s": ""}, {"id": 2, "x": 1.0, "s": "null"}, {"id": 3, "x": 1.0, "s": null}]`)
	defer rec.Release()
	for _, tt := range []struct {
		by       string
		groups   int
		wantKeep int // rows kept by n = groups
	}{
		{by: "x", groups: 2, wantKeep: 4},
		{by: "s", groups: 3, wantKeep: 4},
	} {
		got, err := sampleOf(t, mem, fmt.Sprintf("n = %d\n  seed = 1\n  by = %s", tt.groups, tt.by), rec, 1)
		if err != nil || len(got) != tt.wantKeep {
			t.Errorf("by = %s, n = %d: kept %v, %v; want all %d rows", tt.by, tt.groups, got, err, tt.wantKeep)
		}
		_, err = sampleOf(t, mem, fmt.Sprintf("n = %d\n  seed = 1\n  by = %s", tt.groups+1, tt.by), rec, 1)
		if want := fmt.Sprintf("only %d groups", tt.groups); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("by = %s, n = %d: err = %v, want %q", tt.by, tt.groups+1, err, want)
		}
	}
}

// TestSampleByUngroupable: a by or stratify value without a group key is a
// plan-time diagnostic naming the attribute.
func TestSampleByUngroupable(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: &arrow.Decimal128Type{Precision: 5, Scale: 2}}}, nil)
	for _, attr := range []string{"by", "stratify"} {
		op := mustOp(t, fmt.Sprintf("sample \"t\" {\n  input = fetch.in\n  n = 1\n  seed = 1\n  %s = d\n}\n", attr), "sample.t")
		_, diags := op.Prepare([]*arrow.Schema{schema})
		wantDiag(t, diags, "Invalid "+attr+" expression", "cannot be grouped")
	}
}

// TestSampleParamsGroupKey: the group-key encoding enters the key of a
// sample that groups, and only of one that does.
func TestSampleParamsGroupKey(t *testing.T) {
	p := func(body string) map[string]string {
		return paramMap(mustOp(t, fmt.Sprintf("sample \"t\" {\n  input = fetch.in\n  %s\n}\n", body), "sample.t").Params())
	}
	want := fmt.Sprint(expr.GroupKeyVersion)
	for _, body := range []string{"n = 5\n  seed = 1\n  by = conv", "n = 5\n  seed = 1\n  stratify = cat"} {
		if got := p(body)["group_key"]; got != want {
			t.Errorf("%q: group_key param %q, want %q", body, got, want)
		}
	}
	if got, ok := p("n = 5\n  seed = 1")["group_key"]; ok {
		t.Errorf("a row sample has a group_key param %q", got)
	}
}
