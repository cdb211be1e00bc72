package ops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseSortKey(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical, or "error"
	}{
		{"id", `"id" asc nulls last`},
		{"id desc", `"id" desc nulls last`},
		{"id DESC NULLS FIRST", `"id" desc nulls first`},
		{"id nulls first", `"id" asc nulls first`},
		{"turn count  asc", `"turn count" asc nulls last`},
		{"desc", `"desc" asc nulls last`},
		{"id nulls sometimes", "error"},
		{"  ", "error"},
	}
	for _, tt := range tests {
		k, err := parseSortKey(tt.in)
		got := "error"
		if err == nil {
			got = k.canonical()
		}
		if got != tt.want {
			t.Errorf("parseSortKey(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSort(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	const rows = `[
		{"g": "b", "x": 2, "i": 0, "l": [0]},
		{"g": "a", "x": null, "i": 1, "l": [1]},
		{"g": null, "x": 1, "i": 2, "l": null},
		{"g": "a", "x": 3, "i": 3, "l": [3, 3]},
		{"g": "b", "x": 2, "i": 4, "l": []},
		{"g": "a", "x": "NaN", "i": 5, "l": [5]},
		{"g": "a", "x": 3, "i": 6, "l": [6]}
	]`
	tests := []struct {
		by   string
		want []int64 // i of the output rows
	}{
		{`["i"]`, []int64{0, 1, 2, 3, 4, 5, 6}},
		{`["i desc"]`, []int64{6, 5, 4, 3, 2, 1, 0}},
		// Stable: ties keep input order.
		{`["g"]`, []int64{1, 3, 5, 6, 0, 4, 2}},
		{`["g nulls first"]`, []int64{2, 1, 3, 5, 6, 0, 4}},
		{`["g desc", "x desc"]`, []int64{0, 4, 5, 3, 6, 1, 2}},
		{`["x"]`, []int64{2, 0, 4, 3, 6, 5, 1}},
		{`["x desc nulls first"]`, []int64{1, 5, 3, 6, 0, 4, 2}},
		{`["g", "x desc nulls last", "i desc"]`, []int64{5, 6, 3, 1, 4, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.by, func(t *testing.T) {
			for _, size := range []int{1, 3, 1024} {
				mem := checked()
				rec := fromJSON(t, mem, schema, rows)
				op := mustOp(t, `sort "s" {
  input = fetch.in
  by    = `+tt.by+`
}`, "sort.s")
				res, err := runRec(t, mem, op, rec, size)
				rec.Release()
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range res.Rows {
					i := strings.Index(r, `"i":`)
					var v int64
					for _, c := range r[i+4:] {
						if c < '0' || c > '9' {
							break
						}
						v = v*10 + int64(c-'0')
					}
					got = append(got, v)
					// The list column travels with its row.
					if v != 2 && v != 4 && !strings.Contains(r, fmt.Sprintf(`"l":[%d`, v)) {
						t.Errorf("row %s: list does not belong to i=%d", r, v)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("size %d: order %v, want %v", size, got, tt.want)
				}
				mem.AssertSize(t, 0)
			}
		})
	}
}

func TestSortDiagnostics(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "turns", Type: arrow.ListOf(arrow.BinaryTypes.String)},
		{Name: "score", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	for _, tt := range []struct {
		by   string
		subs []string
	}{
		{`["scor"]`, []string{"Unknown column", `"scor"`, "score"}},
		{`["turns"]`, []string{"cannot be sorted", `"turns"`, "list<string>"}},
	} {
		op := mustOp(t, "sort \"s\" {\n  input = fetch.in\n  by = "+tt.by+"\n}", "sort.s")
		_, diags := op.Prepare([]*arrow.Schema{schema})
		wantDiag(t, diags, tt.subs...)
	}
	for _, by := range []string{`[]`, `["x nulls maybe"]`} {
		_, diags := newOp(t, "sort \"s\" {\n  input = fetch.in\n  by = "+by+"\n}", "sort.s", nil, nil)
		if !diags.HasErrors() {
			t.Errorf("by = %s: no diagnostic", by)
		}
	}
	a := paramMap(mustOp(t, "sort \"s\" {\n  input = fetch.in\n  by = [\"score\"]\n}", "sort.s").Params())
	b := paramMap(mustOp(t, "sort \"s\" {\n  input = fetch.in\n  by = [\"score asc nulls last\"]\n}", "sort.s").Params())
	if a["by"] != b["by"] {
		t.Errorf("equivalent sort keys give params %s and %s", a["by"], b["by"])
	}
}

// Ties keep input order at any size (sort.Slice would not beyond its
// insertion-sort cutoff), whatever the batch size.
func TestSortStableLarge(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var rows []string
	for i := 0; i < 500; i++ {
		rows = append(rows, fmt.Sprintf(`{"k":%d,"i":%d}`, (i*7919)%5, i))
	}
	for _, size := range []int{1, 64, 4096} {
		mem := checked()
		rec := fromJSON(t, mem, schema, "["+strings.Join(rows, ",")+"]")
		op := mustOp(t, "sort \"s\" {\n  input = fetch.in\n  by = [\"k desc\"]\n}", "sort.s")
		res, err := runRec(t, mem, op, rec, size)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		prevK, prevI := int64(1<<62), int64(-1)
		for _, r := range res.Rows {
			var k, i int64
			if _, err := fmt.Sscanf(r, `{"i":%d,"k":%d}`, &i, &k); err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if k > prevK || (k == prevK && i < prevI) {
				t.Fatalf("size %d: row %s after k=%d i=%d: not a stable descending sort", size, r, prevK, prevI)
			}
			prevK, prevI = k, i
		}
		if len(res.Rows) != 500 {
			t.Fatalf("%d rows", len(res.Rows))
		}
		mem.AssertSize(t, 0)
	}
}
