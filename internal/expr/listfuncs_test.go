package expr

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var listFuncSchema = arrow.NewSchema([]arrow.Field{
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "m", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "w", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

const listFuncRows = `[
 {"s": "a,b,,c", "n": "42", "i": 300, "l": [1, 2, 3], "m": [9], "w": ["x", null, "y"]},
 {"s": null, "n": null, "i": null, "l": null, "m": [8], "w": null},
 {"s": "", "n": "-7", "i": 1, "l": [], "m": [], "w": []}
]`

func TestListFunctions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, listFuncSchema, listFuncRows)
	defer rec.Release()
	// Each case also runs on every one-row slice, so offsets are exercised.
	for _, tc := range []struct{ src, want string }{
		{`concat(s, "-", n)`, `["a,b,,c-42",null,"--7"]`},
		{`concat(l, m, l)`, `[[1,2,3,9,1,2,3],null,[]]`},
		{`concat(m)`, `[[9],[8],[]]`},
		{`slice(l, 1)`, `[[2,3],null,[]]`},
		{`slice(l, 0, 2)`, `[[1,2],null,[]]`},
		{`slice(l, -2, 10)`, `[[2,3],null,[]]`},
		{`slice(l, 2, 1)`, `[[],null,[]]`},
		{`split(s, ",")`, `[["a","b","","c"],null,[""]]`},
		{`split(n, "")`, `[["4","2"],null,["-","7"]]`},
		{`join(w, "+")`, `["x+y",null,""]`},
		{`join(split(s, ","), "|")`, `["a|b||c",null,""]`},
		{`cast(n, "int32")`, `[42,null,-7]`},
		{`cast(i, "string")`, `["300",null,"1"]`},
		{`cast(i, "float32")`, `[300,null,1]`},
		{`cast(i > 1, "string")`, `["true",null,"false"]`},
		{`cast(null, "int64")`, `[null,null,null]`},
		{`len(concat(l, m))`, `[4,null,0]`},
	} {
		got, _ := evalJSON(t, mem, rec, tc.src, nil)
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, got, tc.want)
		}
		var parts []string
		for r := int64(0); r < rec.NumRows(); r++ {
			one := rec.NewSlice(r, r+1)
			g, _ := evalJSON(t, mem, one, tc.src, nil)
			one.Release()
			parts = append(parts, strings.TrimSuffix(strings.TrimPrefix(g, "["), "]"))
		}
		if j := "[" + strings.Join(parts, ",") + "]"; j != tc.want {
			t.Errorf("%s row by row = %s, want %s", tc.src, j, tc.want)
		}
	}
}

func TestCastErrorNamesTheRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, listFuncSchema, listFuncRows)
	defer rec.Release()
	for _, tc := range []struct{ src, want string }{
		{`cast(i, "int8")`, `row 0: cannot cast 300 to int8`},
		{`cast(s, "int64")`, `row 0: cannot cast "a,b,,c" to int64`},
	} {
		p, diags := Compile(parse(t, tc.src), rec.Schema(), nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		_, err := p.Eval(context.Background(), mem, rec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestListFunctionDiagnostics(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`concat(s, l)`, "strings or lists, not both"},
		{`concat(l, w)`, "lists of one type"},
		{`slice(s, 1)`, "substr(s"},
		{`slice(l, "a")`, "whole numbers"},
		{`split(i, ",")`, "split needs strings"},
		{`join(l, ",")`, "list of strings"},
		{`cast(i, "int128")`, "not a type cast converts to"},
		{`cast(i, s)`, "literal string"},
		{`cast(l, "string")`, "cast converts numbers"},
	} {
		_, diags := Compile(parse(t, tc.src), listFuncSchema, nil)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("Compile(%s): %v, want %q", tc.src, diags, tc.want)
		}
	}
}
