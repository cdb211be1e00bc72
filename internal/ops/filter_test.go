package ops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/go-cmp/cmp"
)

var rowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "score", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const rowData = `[
	{"id": 1, "score": 1, "s": "1"},
	{"id": 2, "score": null, "s": "2"},
	{"id": 3, "score": 5, "s": null},
	{"id": 4, "score": 2, "s": "x"},
	{"id": 5, "score": 9, "s": "9"}
]`

func TestFilterRows(t *testing.T) {
	tests := []struct {
		name  string
		where string
		want  []int
	}{
		{"comparison", `score < 3`, []int{1, 4}},
		{"null comparison is dropped", `score != 5`, []int{1, 4, 5}},
		{"not of null is dropped", `!(score < 3)`, []int{3, 5}},
		{"tonumber non-numeric is null", `tonumber(s) > 0`, []int{1, 2, 5}},
		{"or with null", `score < 3 || id == 2`, []int{1, 2, 4}},
		{"constant false", `false`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			op := mustOp(t, fmt.Sprintf("filter \"t\" {\n  input = fetch.in\n  where = %s\n}\n", tt.where), "filter.t")
			rec := fromJSON(t, mem, rowSchema, rowData)
			defer rec.Release()
			res, err := runRec(t, mem, op, rec, 2)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, ids(t, res.Rows)); diff != "" {
				t.Errorf("kept ids (-want +got):\n%s", diff)
			}
		})
	}
}

// ids extracts the id field of JSON rows.
func ids(t *testing.T, rows []string) []int {
	t.Helper()
	var out []int
	for _, r := range rows {
		var id int
		i := strings.Index(r, `"id":`)
		if i < 0 {
			t.Fatalf("row %s has no id", r)
		}
		fmt.Sscanf(r[i+5:], "%d", &id)
		out = append(out, id)
	}
	return out
}

func TestFilterStrictTonumber(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, "filter \"t\" {\n  input = fetch.in\n  where = tonumber(s) > 0\n  strict = true\n}\n", "filter.t")
	rec := fromJSON(t, mem, rowSchema, rowData)
	defer rec.Release()
	// Row id 4 (input row 3) holds "x"; the row number must not depend on
	// where batches happen to start.
	for _, size := range []int{4096, 2} {
		_, err := runRec(t, mem, op, rec, size)
		if err == nil {
			t.Fatalf("batch size %d: Run with strict tonumber on \"x\" succeeded, want an error", size)
		}
		for _, want := range []string{`"x"`, "row 3"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("batch size %d: Run error = %q, want it to name %s", size, err, want)
			}
		}
	}
}

func TestFilterNotBoolean(t *testing.T) {
	op := mustOp(t, "filter \"t\" {\n  input = fetch.in\n  where = score + 1\n}\n", "filter.t")
	_, diags := op.Prepare([]*arrow.Schema{rowSchema})
	d := wantDiag(t, diags, "not a boolean", "int64")
	if d.Subject.Start.Line != 4 { // line 1 is the stub fetch
		t.Errorf("diagnostic at line %d, want 4 (the where expression)", d.Subject.Start.Line)
	}
}

func TestFilterParams(t *testing.T) {
	const tmpl = "variable \"lim\" { default = 3 }\nfilter \"t\" {\n  input = fetch.in\n  where = %s\n}\n"
	params := func(where string, vars map[string]string) map[string]string {
		op, diags := newOp(t, fmt.Sprintf(tmpl, where), "filter.t", vars, nil)
		if diags.HasErrors() {
			t.Fatalf("New: %s", diags.Error())
		}
		return paramMap(op.Params())
	}
	base := params(`score < var.lim`, nil)
	if base["var.lim"] == "" {
		t.Fatalf("Params = %v, want var.lim among them", base)
	}
	if got := params(`score   <   var.lim # same`, nil); !cmp.Equal(got, base) {
		t.Errorf("reformatted Params = %v, want %v", got, base)
	}
	if got := params(`(score < var.lim)`, nil); !cmp.Equal(got, base) {
		t.Logf("parenthesized Params = %v differ from %v", got, base)
	}
	if got := params(`score < var.lim`, map[string]string{"lim": "4"}); got["var.lim"] == base["var.lim"] {
		t.Errorf("Params with lim=4 = %v, same var.lim as with lim=3", got)
	}
	if got := params(`score < 3`, nil); cmp.Equal(got, base) {
		t.Errorf("Params of a different expression = %v, same as %v", got, base)
	}
	// The variable must also be what the filter uses.
	mem := checked()
	defer mem.AssertSize(t, 0)
	op, _ := newOp(t, fmt.Sprintf(tmpl, `score < var.lim`), "filter.t", map[string]string{"lim": "6"}, nil)
	rec := fromJSON(t, mem, rowSchema, rowData)
	defer rec.Release()
	res, err := runRec(t, mem, op, rec, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 3, 4}, ids(t, res.Rows)); diff != "" {
		t.Errorf("kept ids with lim=6 (-want +got):\n%s", diff)
	}
}

func TestFilterBatchSizes(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		if i%5 == 0 {
			fmt.Fprintf(&b, `{"id": %d, "score": null, "s": "%d"}`, i, i%13)
		} else {
			fmt.Fprintf(&b, `{"id": %d, "score": %d, "s": "%d"}`, i, (i*7)%11, i%13)
		}
	}
	b.WriteString("]")
	rec := fromJSON(t, mem, rowSchema, b.String())
	defer rec.Release()
	var want []string
	for _, size := range []int{4096, 1, 7} {
		op := mustOp(t, "filter \"t\" {\n  input = fetch.in\n  where = score < 5 && tonumber(s) != 3\n}\n", "filter.t")
		res, err := runRec(t, mem, op, rec, size)
		if err != nil {
			t.Fatalf("batch size %d: Run: %v", size, err)
		}
		if want == nil {
			want = res.Rows
			if len(want) == 0 || len(want) == 1000 {
				t.Fatalf("filter kept %d of 1000 rows; the test needs a real selection", len(want))
			}
			continue
		}
		if diff := cmp.Diff(want, res.Rows); diff != "" {
			t.Errorf("batch size %d: rows differ from batch size 4096 (-want +got):\n%s", size, diff)
		}
	}
}
