package expr

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "j", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "c", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "odd name", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "in ner", Type: arrow.StructOf(arrow.Field{Name: "y", Type: arrow.PrimitiveTypes.Int16, Nullable: true}), Nullable: true},
	), Nullable: true},
	{Name: "dialog", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "speaker", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	)), Nullable: true},
}, nil)

// Rows: 0 ordinary, 1 nulls everywhere, 2 edge values, 3 non-ASCII.
const testRows = `[
{"i": 5, "j": 2, "f": 1.5, "s": "3", "ls": "Hello", "b": true, "c": false, "odd name": 7,
 "st": {"x": "usr", "in ner": {"y": 4}},
 "dialog": [{"speaker": "usr", "text": "hi"}, {"speaker": "sys", "text": "hello there"}]},
{"i": null, "j": null, "f": null, "s": null, "ls": null, "b": null, "c": null, "odd name": null, "st": null, "dialog": null},
{"i": -7, "j": 0, "f": -0.5, "s": "abc", "ls": "  pad  ", "b": false, "c": null, "odd name": 0,
 "st": {"x": null, "in ner": null},
 "dialog": []},
{"i": 0, "j": 3, "f": 2, "s": "ÄÖü straße", "ls": "x.y", "b": null, "c": true, "odd name": 1,
 "st": {"x": "sys", "in ner": {"y": null}},
 "dialog": [{"speaker": "sys", "text": "a"}, null, {"speaker": "usr", "text": "bcd"}]}
]`

func TestEval(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, testSchema, testRows)
	defer rec.Release()
	vars := map[string]cty.Value{"lim": cty.NumberIntVal(2), "who": cty.StringVal("usr"), "names": cty.TupleVal([]cty.Value{cty.StringVal("abc"), cty.StringVal("3")})}
	tests := []struct{ src, want string }{
		// literals broadcast
		{`1`, `[1,1,1,1]`},
		{`2.5`, `[2.5,2.5,2.5,2.5]`},
		{`"x"`, `["x","x","x","x"]`},
		{`null`, `[null,null,null,null]`},
		{`true`, `[true,true,true,true]`},
		// columns, nested, escaping
		{`i`, `[5,null,-7,0]`},
		{`col["odd name"]`, `[7,null,0,1]`},
		{`st.x`, `["usr",null,null,"sys"]`},
		{`st["x"]`, `["usr",null,null,"sys"]`},
		{`st["in ner"].y`, `[4,null,null,null]`},
		{`var.lim`, `[2,2,2,2]`},
		// arithmetic: int/int → int64, / → float64, by zero → null
		{`i + j`, `[7,null,-7,3]`},
		{`i - 1`, `[4,null,-8,-1]`},
		{`i * j`, `[10,null,0,0]`},
		{`i / j`, `[2.5,null,null,0]`},
		{`i % j`, `[1,null,null,0]`},
		{`i + f`, `[6.5,null,-7.5,2]`},
		{`f % 1`, `[0.5,null,-0.5,0]`},
		{`-i`, `[-5,null,7,0]`},
		{`1 + 2 * 3`, `[7,7,7,7]`},
		{`i / 0`, `[null,null,null,null]`},
		// comparisons
		{`i < 3`, `[false,null,true,true]`},
		{`i >= j`, `[true,null,false,false]`},
		{`i == 0.0`, `[false,null,false,true]`},
		{`f > i`, `[false,null,true,true]`},
		{`s == "abc"`, `[false,null,true,false]`},
		{`s < "b"`, `[true,null,true,false]`},
		{`"b" > s`, `[true,null,true,false]`},
		{`s != ls`, `[true,null,true,true]`},
		{`b == c`, `[false,null,null,null]`},
		{`b != true`, `[false,null,true,null]`},
		{`i <= var.lim`, `[false,null,true,true]`},
		// three-valued logic
		{`b && c`, `[false,null,false,null]`},
		{`b || c`, `[true,null,null,true]`},
		{`b && false`, `[false,false,false,false]`},
		{`c || true`, `[true,true,true,true]`},
		{`null && false`, `[false,false,false,false]`},
		{`null || true`, `[true,true,true,true]`},
		{`null && true`, `[null,null,null,null]`},
		{`!b`, `[false,null,true,null]`},
		// conditional
		{`b ? i : j`, `[5,null,0,null]`},
		{`b ? "yes" : null`, `["yes",null,null,null]`},
		{`i > 0 ? f : 0`, `[1.5,null,0,0]`},
		{`true ? i : j`, `[5,null,-7,0]`},
		// functions
		{`is_null(i)`, `[false,true,false,false]`},
		{`is_null(st.x)`, `[false,true,true,false]`},
		{`is_null(null)`, `[true,true,true,true]`},
		{`coalesce(i, j, 99)`, `[5,99,-7,0]`},
		{`coalesce(st.x, s)`, `["usr",null,"abc","sys"]`},
		{`coalesce(null, f)`, `[1.5,null,-0.5,2]`},
		{`tonumber(s)`, `[3,null,null,null]`},
		{`tonumber(i)`, `[5,null,-7,0]`},
		{`tonumber("1e3")`, `[1000,1000,1000,1000]`},
		{`tostring(i)`, `["5",null,"-7","0"]`},
		{`tostring(f)`, `["1.5",null,"-0.5","2"]`},
		{`tostring(b)`, `["true",null,"false",null]`},
		{`lower(ls)`, `["hello",null,"  pad  ","x.y"]`},
		{`upper(s)`, `["3",null,"ABC","ÄÖÜ STRAßE"]`},
		{`trimspace(ls)`, `["Hello",null,"pad","x.y"]`},
		{`length(s)`, `[1,null,3,10]`},
		{`length(dialog)`, `[2,null,0,3]`},
		{`contains(ls, "l")`, `[true,null,false,false]`},
		{`startswith(s, "a")`, `[false,null,true,false]`},
		{`endswith(ls, s)`, `[false,null,false,false]`},
		{`regex_match(s, "^[0-9]+$")`, `[true,null,false,false]`},
		{`in(s, ["abc", "3"])`, `[true,null,true,false]`},
		{`in(s, var.names)`, `[true,null,true,false]`},
		{`in(i, [0, 5])`, `[true,null,false,true]`},
		{`in(i, [0, null])`, `[null,null,null,true]`},
		{`in(f, [1.5, 2])`, `[true,null,false,true]`},
		{`in(f, [])`, `[false,null,false,false]`}, // an empty list: no match (FuzzCompile: compared f as int64)
		{`in(i, [])`, `[false,null,false,false]`},
		{`in(s, [])`, `[false,null,false,false]`},
		{`"${s}-${i}"`, `["3-5",null,"abc--7","ÄÖü straße-0"]`},
		{`"${i}"`, `[5,null,-7,0]`},
		{`tonumber(st.x) < 3`, `[null,null,null,null]`},
		// constructors
		{`{a = i, b = "k"}`, `[{"a":5,"b":"k"},{"a":null,"b":"k"},{"a":-7,"b":"k"},{"a":0,"b":"k"}]`},
		{`[i, j]`, `[[5,2],[null,null],[-7,0],[0,3]]`},
		{`dialog[1].text`, `["hello there",null,null,null]`},
		// for expressions
		{`[for t in dialog : t.text]`, `[["hi","hello there"],null,[],["a",null,"bcd"]]`},
		{`[for k, t in dialog : k]`, `[[0,1],null,[],[0,1,2]]`},
		{`[for t in dialog : t.text if t.speaker == var.who]`, `[["hi"],null,[],["bcd"]]`},
		{`[for k, t in dialog : {role = t.speaker == "usr" ? "user" : "assistant", text = t.text, turn = k, n = i}]`,
			// JSON objects print with sorted keys; TestTypes checks field order.
			`[[{"n":5,"role":"user","text":"hi","turn":0},{"n":5,"role":"assistant","text":"hello there","turn":1}],null,[],` +
				`[{"n":0,"role":"assistant","text":"a","turn":0},{"n":0,"role":null,"text":null,"turn":1},{"n":0,"role":"user","text":"bcd","turn":2}]]`},
		{`length([for t in dialog : t if !is_null(t)])`, `[2,null,0,2]`},
		{`[for t in dialog : [for u in dialog : u.text == t.text]]`, `[[[true,false],[false,true]],null,[],[[true,null,false],[null,null,null],[false,null,true]]]`},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, _ := evalJSON(t, mem, rec, tc.src, vars)
			if got != tc.want {
				t.Errorf("Eval(%s) = %s, want %s", tc.src, got, tc.want)
			}
		})
	}
}

func TestEvalSliced(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, testSchema, testRows)
	defer rec.Release()
	sl := rec.NewSlice(1, 4)
	defer sl.Release()
	for _, tc := range []struct{ src, want string }{
		{`i + j`, `[null,-7,3]`},
		{`b || c`, `[null,null,true]`},
		{`st.x`, `[null,null,"sys"]`},
		{`upper(s)`, `[null,"ABC","ÄÖÜ STRAßE"]`},
		{`[for t in dialog : t.text]`, `[null,[],["a",null,"bcd"]]`},
		{`tonumber(s) == 3`, `[null,null,null]`},
	} {
		got, _ := evalJSON(t, mem, sl, tc.src, nil)
		if got != tc.want {
			t.Errorf("Eval(%s) on slice = %s, want %s", tc.src, got, tc.want)
		}
	}
}

func TestTypes(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want arrow.DataType
	}{
		{`i < 3`, arrow.FixedWidthTypes.Boolean},
		{`j + j`, arrow.PrimitiveTypes.Int64},
		{`j / j`, arrow.PrimitiveTypes.Float64},
		{`f`, arrow.PrimitiveTypes.Float32},
		{`f + 0`, arrow.PrimitiveTypes.Float64},
		{`ls`, arrow.BinaryTypes.LargeString},
		{`lower(ls)`, arrow.BinaryTypes.String},
		{`tonumber(s)`, arrow.PrimitiveTypes.Float64},
		{`length(dialog)`, arrow.PrimitiveTypes.Int64},
		{`{a = j}`, arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true})},
		{`[for k, t in dialog : {role = t.speaker, turn = k}]`, arrow.ListOf(arrow.StructOf(
			arrow.Field{Name: "role", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int64, Nullable: true}))},
	} {
		p, diags := Compile(parse(t, tc.src), testSchema, nil)
		if diags.HasErrors() {
			t.Fatalf("Compile(%s): %s", tc.src, diags.Error())
		}
		if !arrow.TypeEqual(p.Type(), tc.want) {
			t.Errorf("Compile(%s).Type() = %s, want %s", tc.src, p.Type(), tc.want)
		}
	}
}

func TestColumns(t *testing.T) {
	p, diags := Compile(parse(t, `st.x == "a" && i > col["odd name"] || [for t in dialog : t.text if i > 0] == null`), testSchema, nil)
	_ = diags
	if p == nil {
		// == null on a list is rejected (lists do not compare); use a valid one
		p, diags = Compile(parse(t, `st.x == "a" && i > col["odd name"] || length([for t in dialog : t.text if i > 0]) > 0`), testSchema, nil)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
	}
	got := strings.Join(p.Columns(), ",")
	if want := "dialog,i,odd name,st"; got != want {
		t.Errorf("Columns() = %s, want %s", got, want)
	}
}

func TestStrictToNumber(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, testSchema, testRows)
	defer rec.Release()
	p, diags := CompileWithOptions(parse(t, `tonumber(s) < 3`), testSchema, nil, CompileOptions{Strict: true})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	_, err := p.Eval(context.Background(), mem, rec)
	if err == nil || !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), `"abc"`) {
		t.Errorf("strict Eval error = %v, want one naming row 2 and \"abc\"", err)
	}
	// The same program without Strict gives nulls.
	got, _ := evalJSON(t, mem, rec, `tonumber(s) < 3`, nil)
	if want := `[false,null,null,null]`; got != want {
		t.Errorf("non-strict = %s, want %s", got, want)
	}
}

func TestEvalSchemaMismatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, diags := Compile(parse(t, `i + 1`), testSchema, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	other := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.BinaryTypes.String}}, nil)
	rec := recFromJSON(t, mem, other, `[{"i": "x"}]`)
	defer rec.Release()
	if _, err := p.Eval(context.Background(), mem, rec); err == nil || !strings.Contains(err.Error(), `"i"`) {
		t.Errorf("Eval on mismatched schema: err = %v, want one naming column \"i\"", err)
	}
	// A projection holding only the read columns works.
	proj := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rec2 := recFromJSON(t, mem, proj, `[{"i": 1}, {"i": null}]`)
	defer rec2.Release()
	if got, _ := evalJSON(t, mem, rec2, `i + 1`, nil); got != `[2,null]` {
		t.Errorf("Eval on projection = %s", got)
	}
}
