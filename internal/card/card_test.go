package card

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestYAMLScalarsReadBackAsTheSameString(t *testing.T) {
	for in, want := range map[string]string{
		"drift_eval.parquet": "drift_eval.parquet",
		"n<1K":               "n<1K",
		"true":               `"true"`,
		"No":                 `"No"`,
		"a: b":               `"a: b"`,
		"- x":                `"- x"`,
		"1.5":                `"1.5"`,
		"":                   `""`,
		"say \"hi\"\n":       `"say \"hi\"\n"`,
	} {
		if got := yq(in); got != want {
			t.Errorf("yq(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestHubLicense(t *testing.T) {
	for in, want := range map[string]string{
		"CC-BY-NC-4.0": "cc-by-nc-4.0", "MIT": "mit", "CC0-1.0": "cc0-1.0",
		"unknown": "unknown", "": "unknown", "LicenseRef-Althoff-academic": "other",
	} {
		if got := hubLicense(in); got != want {
			t.Errorf("hubLicense(%q) = %q, want %q", in, got, want)
		}
	}
}

// Nested types become the Hub's features and Croissant's fields: a list of
// lists is a sequence of a sequence, a struct in a list has subFields, and
// every leaf has a data type.
func TestNestedTypes(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "grid", Type: arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)), Nullable: true},
		{Name: "tags", Type: arrow.LargeListOf(arrow.BinaryTypes.LargeString), Nullable: true},
		{Name: "q", Type: arrow.StructOf(arrow.Field{Name: "inner", Type: arrow.StructOf(arrow.Field{Name: "ok", Type: arrow.FixedWidthTypes.Boolean})})},
	}, nil)
	c := &Card{Schema: schema, Stats: Stats{Rows: 3}, Files: []File{
		{Path: "a.parquet", Format: "parquet", SHA256: "ab", Size: 1},
		{Path: "b.parquet", Format: "parquet", SHA256: "cd", Size: 2},
		{Path: "sub/b.parquet", Format: "parquet", SHA256: "ef", Size: 3},
	}}
	md := string(c.Markdown())
	for _, want := range []string{
		"  - name: grid\n    sequence:\n      sequence: int32\n",
		"  - name: tags\n    sequence: large_string\n",
		"  - name: q\n    struct:\n    - name: inner\n      struct:\n      - name: ok\n        dtype: bool\n",
		"- config_name: default\n", "- config_name: parquet\n", "- config_name: b_parquet\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("card lacks %q:\n%s", want, md)
		}
	}
	var cr struct {
		RecordSet []struct {
			Field []crField `json:"field"`
		} `json:"recordSet"`
	}
	if err := json.Unmarshal(c.Croissant(), &cr); err != nil {
		t.Fatal(err)
	}
	f := cr.RecordSet[0].Field
	if !f[0].Repeated || f[0].DataType != "sc:Integer" || !f[1].Repeated || f[1].DataType != "sc:Text" {
		t.Errorf("list fields: %+v %+v", f[0], f[1])
	}
	inner := f[2].SubField[0]
	if f[2].DataType != "" || inner.SubField[0].DataType != "sc:Boolean" || inner.SubField[0].Source.Transform.JSONPath != "inner.ok" || inner.SubField[0].Source.Extract.Column != "q" {
		t.Errorf("struct field: %+v", f[2])
	}
}
