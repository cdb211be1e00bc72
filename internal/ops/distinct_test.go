package ops

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/go-cmp/cmp"
)

var distinctSchema = arrow.NewSchema([]arrow.Field{
	{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

const distinctRows = `[
	{"g": "a", "n": 2, "x": 0.5},
	{"g": "b", "n": 1, "x": 1.5},
	{"g": "a", "n": 3, "x": null},
	{"g": null, "n": 7, "x": 2},
	{"g": "a", "n": 3, "x": 9},
	{"g": "b", "n": 1, "x": 1.5},
	{"g": null, "n": 1, "x": 3},
	{"g": "a", "n": 1, "x": 4}
]`

func TestDistinct(t *testing.T) {
	tests := []struct {
		name string
		src  string
		rows []string
	}{{
		name: "whole row, first",
		src:  `distinct "d" { input = fetch.in }`,
		rows: []string{
			`{"g":"a","n":2,"x":0.5}`, `{"g":"b","n":1,"x":1.5}`, `{"g":"a","n":3,"x":null}`, `{"g":null,"n":7,"x":2}`,
			`{"g":"a","n":3,"x":9}`, `{"g":null,"n":1,"x":3}`, `{"g":"a","n":1,"x":4}`,
		},
	}, {
		name: "by column, first in input order; null is a group",
		src:  `distinct "d" { input = fetch.in; by = g }`,
		rows: []string{`{"g":"a","n":2,"x":0.5}`, `{"g":"b","n":1,"x":1.5}`, `{"g":null,"n":7,"x":2}`},
	}, {
		name: "by column, last in input order",
		src:  `distinct "d" { input = fetch.in; by = g; keep = "last" }`,
		rows: []string{`{"g":"b","n":1,"x":1.5}`, `{"g":null,"n":1,"x":3}`, `{"g":"a","n":1,"x":4}`},
	}, {
		name: "last under order_by: the largest n, ties to the later row",
		src:  `distinct "d" { input = fetch.in; by = g; keep = "last"; order_by = n }`,
		rows: []string{`{"g":null,"n":7,"x":2}`, `{"g":"a","n":3,"x":9}`, `{"g":"b","n":1,"x":1.5}`},
	}, {
		name: "first under order_by: the smallest n, ties to the earlier row",
		src:  `distinct "d" { input = fetch.in; by = g; keep = "first"; order_by = n }`,
		rows: []string{`{"g":"b","n":1,"x":1.5}`, `{"g":null,"n":1,"x":3}`, `{"g":"a","n":1,"x":4}`},
	}, {
		name: "first under a tuple order_by; null order values sort first",
		src:  `distinct "d" { input = fetch.in; by = g; order_by = [n, x] }`,
		rows: []string{`{"g":"b","n":1,"x":1.5}`, `{"g":null,"n":1,"x":3}`, `{"g":"a","n":1,"x":4}`},
	}, {
		name: "last under a tuple order_by",
		src:  `distinct "d" { input = fetch.in; by = g; keep = "last"; order_by = [n, x] }`,
		rows: []string{`{"g":null,"n":7,"x":2}`, `{"g":"a","n":3,"x":9}`, `{"g":"b","n":1,"x":1.5}`},
	}, {
		name: "by a tuple of expressions",
		src:  `distinct "d" { input = fetch.in; by = [g, n > 1] }`,
		rows: []string{`{"g":"a","n":2,"x":0.5}`, `{"g":"b","n":1,"x":1.5}`, `{"g":null,"n":7,"x":2}`, `{"g":null,"n":1,"x":3}`, `{"g":"a","n":1,"x":4}`},
	}, {
		name: "null order value sorts first",
		src:  `distinct "d" { input = fetch.in; by = n; order_by = x }`,
		rows: []string{`{"g":"a","n":2,"x":0.5}`, `{"g":"b","n":1,"x":1.5}`, `{"g":"a","n":3,"x":null}`, `{"g":null,"n":7,"x":2}`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []string
			for _, size := range []int{1, 3, 100} {
				mem := checked()
				op := mustOp(t, block(tt.src), "distinct.d")
				rec := fromJSON(t, mem, distinctSchema, distinctRows)
				res, err := runRec(t, mem, op, rec, size)
				rec.Release()
				mem.AssertSize(t, 0)
				if err != nil {
					t.Fatalf("size %d: %v", size, err)
				}
				if d := cmp.Diff(tt.rows, res.Rows); d != "" {
					t.Errorf("size %d: rows (-want +got):\n%s", size, d)
				}
				if size == 1 {
					first = res.Rows
				} else if d := cmp.Diff(first, res.Rows); d != "" {
					t.Errorf("size %d differs from size 1:\n%s", size, d)
				}
			}
		})
	}
}

func TestDistinctDiagnostics(t *testing.T) {
	tests := []struct {
		src  string
		subs []string
	}{
		{`distinct "d" { input = fetch.in; keep = "longest" }`, []string{"Invalid keep", "longest"}},
		{`distinct "d" { input = fetch.in; by = nope }`, []string{"nope"}},
		{`distinct "d" { input = fetch.in; by = g; order_by = [n, nope] }`, []string{"nope"}},
		{`distinct "d" { input = fetch.in; by = ["g", "n"] }`, []string{"Constant by expression", "without quotes"}},
		{`distinct "d" { input = fetch.in; by = g; order_by = "n" }`, []string{"Constant order_by expression"}},
		{`distinct "d" { input = fetch.in; by = g; order_by = [n, [x]] }`, []string{"Invalid order_by expression", "no order"}},
	}
	for _, tt := range tests {
		op, diags := newOp(t, block(tt.src), "distinct.d", nil, nil)
		if !diags.HasErrors() {
			_, diags = op.Prepare([]*arrow.Schema{distinctSchema})
		}
		wantDiag(t, diags, tt.subs...)
	}
}

func TestDistinctParams(t *testing.T) {
	p := func(src string) map[string]string { return paramMap(mustOp(t, block(src), "distinct.d").Params()) }
	base := p(`distinct "d" { input = fetch.in; by = g; order_by = n }`)
	for _, src := range []string{
		`distinct "d" { input = fetch.in; by = g; order_by = n; keep = "last" }`,
		`distinct "d" { input = fetch.in; by = n; order_by = n }`,
		`distinct "d" { input = fetch.in; by = g; order_by = x }`,
		`distinct "d" { input = fetch.in; by = g }`,
	} {
		if d := cmp.Diff(base, p(src)); d == "" {
			t.Errorf("%s has the params of the base block", src)
		}
	}
}
