package expr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var rowFuncSchema = arrow.NewSchema([]arrow.Field{
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
}, nil)

const rowFuncRows = `[
 {"s": "héllo wörld", "i": 1, "l": [1, 2, 3]},
 {"s": null, "i": null, "l": null},
 {"s": "", "i": -2, "l": []}
]`

func TestRowFunctions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, rowFuncSchema, rowFuncRows)
	defer rec.Release()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, tc := range []struct{ src, want string }{
		{`sha256(s)`, `["` + sum("héllo wörld") + `",null,"` + sum("") + `"]`},
		{`len(l)`, `[3,null,0]`},
		{`replace(s, "l", "L")`, `["héLLo wörLd",null,""]`},
		{`replace(s, "", "-")`, `["-h-é-l-l-o- -w-ö-r-l-d-",null,"-"]`},
		{`regex_replace(s, "[aeiouéö]", "_")`, `["h_ll_ w_rld",null,""]`},
		{`regex_replace(s, "(h\\S+) (w\\S+)", "$2 $1")`, `["wörld héllo",null,""]`},
		{`regex_replace(s, "(l+)", "[$1]")`, `["hé[ll]o wör[l]d",null,""]`},
		{`substr(s, 1, 4)`, `["éllo",null,""]`},
		{`substr(s, -5)`, `["wörld",null,""]`},
		{`substr(s, 100, 2)`, `["",null,""]`},
		{`substr(s, 0, i * i + 1)`, `["hé",null,""]`},
		{`row_number()`, `[0,1,2]`},
		{`[for x in l : row_number()]`, `[[0,0,0],null,[]]`},
		{`replace(s, null, "x")`, `[null,null,null]`},
	} {
		got, _ := evalJSON(t, mem, rec, tc.src, nil)
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, got, tc.want)
		}
	}
}

// TestHashGolden pins hash() to fixed digests: they may change only with
// GroupKeyVersion. int32 and int64 of one value hash alike; null, "" and
// "null" differ; the argument boundary is part of the encoding.
func TestHashGolden(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, rowFuncSchema, rowFuncRows)
	defer rec.Release()
	// The encoding of ("héllo wörld", int 1): 0x05, len 13, bytes, 0x02, 8 bytes.
	enc := append([]byte{0x05, 13}, "héllo wörld"...)
	enc = append(enc, 0x02, 0, 0, 0, 0, 0, 0, 0, 1)
	h := sha256.Sum256(enc)
	const golden = "3440d83ccec55bf76cb41bd0ec5c55232fd8da0c79e2aee4c62523cdb0a42b2c"
	got, _ := evalJSON(t, mem, rec, `hash(s, i)`, nil)
	first := strings.Split(strings.Trim(got, "[]"), ",")[0]
	if first != `"`+hex.EncodeToString(h[:])+`"` {
		t.Errorf("hash(s, i)[0] = %s, want sha256 of the group-key encoding %x", first, h)
	}
	if first != `"`+golden+`"` {
		t.Errorf("hash(s, i)[0] = %s, want the golden %s", first, golden)
	}
	same, _ := evalJSON(t, mem, rec, `hash(s, i + 0)`, nil)
	if same != got {
		t.Errorf("hash of int32 and int64 differ: %s vs %s", got, same)
	}
	for _, pair := range [][2]string{{`hash(s)`, `hash(coalesce(s, "null"))`}, {`hash(s)`, `hash(coalesce(s, ""))`}, {`hash("ab", "c")`, `hash("a", "bc")`}} {
		a, _ := evalJSON(t, mem, rec, pair[0], nil)
		b, _ := evalJSON(t, mem, rec, pair[1], nil)
		if strings.Split(a, ",")[1] == strings.Split(b, ",")[1] {
			t.Errorf("%s and %s agree on the null row: %s", pair[0], pair[1], a)
		}
	}
}

// TestRowNumberOffset: row_number() counts from the batch's offset in the
// input, so splitting the input into batches changes nothing.
func TestRowNumberOffset(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, rowFuncSchema, rowFuncRows)
	defer rec.Release()
	p, diags := Compile(parse(t, `row_number() * 10`), rec.Schema(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, err := p.EvalAt(context.Background(), mem, rec, 40)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if got := out.(*array.Int64).Int64Values(); got[0] != 400 || got[2] != 420 {
		t.Errorf("row_number()*10 at offset 40 = %v", got)
	}
}

func TestRowFunctionDiagnostics(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`sha256(i)`, "sha256 needs a string"},
		{`len(s)`, "length(s)"},
		{`row_number(s)`, "takes 0 argument"},
		{`regex_replace(s, s, "x")`, "Non-constant pattern"},
		{`regex_replace(s, "(", "x")`, "Invalid regular expression"},
		{`substr(s, "a")`, "whole numbers"},
		{`replace(i, "a", "b")`, "replace needs strings"},
	} {
		_, diags := Compile(parse(t, tc.src), rowFuncSchema, nil)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("Compile(%s): %v, want %q", tc.src, diags, tc.want)
		}
	}
}
