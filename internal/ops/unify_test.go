package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
)

func TestWidenType(t *testing.T) {
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	f32, f64 := arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64
	str, lstr := arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString
	tests := []struct {
		name string
		a, b arrow.DataType
		want arrow.DataType // nil: incompatible
	}{
		{"same", str, str, str},
		{"int32 int64", i32, i64, i64},
		{"int8 int32", arrow.PrimitiveTypes.Int8, i32, i64},
		{"float32 float64", f32, f64, f64},
		{"string large_string", str, lstr, lstr},
		{"null string", arrow.Null, str, str},
		{"string int", str, i64, nil},
		{"int float", i64, f64, nil},
		{"uint int", arrow.PrimitiveTypes.Uint32, i64, nil},
		{"list elems", arrow.ListOf(i32), arrow.ListOf(i64), arrow.ListOf(i64)},
		{"list large_list", arrow.ListOf(str), arrow.LargeListOf(lstr), arrow.LargeListOf(lstr)},
		{"list bad elem", arrow.ListOf(str), arrow.ListOf(i64), nil},
		{"struct fields", arrow.StructOf(arrow.Field{Name: "a", Type: i32}),
			arrow.StructOf(arrow.Field{Name: "b", Type: str}, arrow.Field{Name: "a", Type: i64}),
			arrow.StructOf(arrow.Field{Name: "a", Type: i64}, arrow.Field{Name: "b", Type: str, Nullable: true})},
		{"struct bad field", arrow.StructOf(arrow.Field{Name: "a", Type: str}), arrow.StructOf(arrow.Field{Name: "a", Type: i64}), nil},
		{"list of struct", arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: f32, Nullable: true})),
			arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: f64, Nullable: true})),
			arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: f64, Nullable: true}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := widenType(tt.a, tt.b)
			if tt.want == nil {
				if ok {
					t.Fatalf("widenType(%s, %s) = %s, want incompatible", tt.a, tt.b, got)
				}
				return
			}
			if !ok || !arrow.TypeEqual(got, tt.want) {
				t.Fatalf("widenType(%s, %s) = %v, %v; want %s", tt.a, tt.b, got, ok, tt.want)
			}
		})
	}
}

func TestUnifySchemasConflictNamesBothInputs(t *testing.T) {
	rng := &hcl.Range{Filename: "r.hcl", Start: hcl.Pos{Line: 3, Column: 1}, End: hcl.Pos{Line: 3, Column: 9}}
	a := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "x", Type: arrow.BinaryTypes.String}}, nil)
	b := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil)
	_, diags := unifySchemas([]unifyInput{{"select.a (inputs[0])", a, rng}, {"select.b (inputs[1])", b, rng}})
	d := wantDiag(t, diags, "Incompatible column types", `"x"`, "string in select.a (inputs[0])", "int32 in select.b (inputs[1])")
	if d.Subject != rng {
		t.Errorf("diagnostic points at %v, want the second input's reference", d.Subject)
	}
}

// conformBatch over sliced nested input: widened values, missing columns and
// fields null, and no leak.
func TestConformBatch(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	in := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "turns", Type: arrow.ListOf(arrow.StructOf(
			arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true})), Nullable: true},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
	other := arrow.NewSchema([]arrow.Field{
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "turns", Type: arrow.LargeListOf(arrow.StructOf(
			arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "role", Type: arrow.BinaryTypes.LargeString, Nullable: true})), Nullable: true},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	}, nil)
	target, diags := unifySchemas([]unifyInput{{Name: "a", Schema: in}, {Name: "b", Schema: other}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "n: int32, turns: large_list<struct<text: utf8, turn: int64, role: large_utf8>>, s: struct<a: float32, b: utf8>, extra: utf8"
	if got := SchemaString(target); got != want {
		t.Fatalf("unified schema\n%s\nwant\n%s", got, want)
	}
	rec := fromJSON(t, mem, in, `[
		{"n": 1, "turns": [{"text": "skip", "turn": 0}], "s": {"a": 0.5}},
		{"n": null, "turns": [{"text": "hi", "turn": 0}, {"text": null, "turn": 1}], "s": null},
		{"n": 3, "turns": null, "s": {"a": 1.5}},
		{"n": 4, "turns": [], "s": {"a": null}}
	]`)
	defer rec.Release()
	slice := rec.NewSlice(1, 4)
	defer slice.Release()
	cols, err := conformBatch(context.Background(), mem, slice, target)
	if err != nil {
		t.Fatal(err)
	}
	out := array.NewRecordBatch(target, cols, slice.NumRows())
	for _, c := range cols {
		c.Release()
	}
	defer out.Release()
	var b strings.Builder
	if err := array.RecordToJSON(out, &b); err != nil {
		t.Fatal(err)
	}
	wantRows := `{"extra":null,"n":null,"s":null,"turns":[{"role":null,"text":"hi","turn":0},{"role":null,"text":null,"turn":1}]}
{"extra":null,"n":3,"s":{"a":1.5,"b":null},"turns":null}
{"extra":null,"n":4,"s":{"a":null,"b":null},"turns":[]}
`
	if b.String() != wantRows {
		t.Errorf("conformed rows\n%s\nwant\n%s", b.String(), wantRows)
	}
}
