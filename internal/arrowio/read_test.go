package arrowio

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestFormatFromName(t *testing.T) {
	for name, want := range map[string]Format{
		"a.json": JSON, "a.JSONL": JSONL, "a.ndjson": JSONL, "a.csv": CSV, "a.tsv": TSV,
		"a.parquet": Parquet, "a.arrow": Arrow, "a.arrows": ArrowStream, "a.feather": Arrow, "a.ipc": Arrow,
	} {
		if got, ok := FormatFromName(name); !ok || got != want {
			t.Errorf("FormatFromName(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got, ok := FormatFromName("a.txt"); ok {
		t.Errorf("FormatFromName(a.txt) = %q, want no format", got)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rowsJSON renders a table as JSON Lines, the easiest form to compare.
func rowsJSON(t *testing.T, recs []arrow.RecordBatch) string {
	t.Helper()
	var b strings.Builder
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			line := []byte{'{'}
			for j, c := range rec.Columns() {
				if j > 0 {
					line = append(line, ',')
				}
				line = appendJSONString(line, []byte(rec.ColumnName(j)))
				line = append(line, ':')
				var err error
				if line, err = appendJSONValue(line, c, i); err != nil {
					t.Fatal(err)
				}
			}
			b.Write(line)
			b.WriteString("}\n")
		}
	}
	return b.String()
}

func TestJSONInference(t *testing.T) {
	tests := []struct {
		name, file, input string
		schema            string // field:type list, types from arrow's String()
		rows              string
	}{{
		name: "widening and nulls", file: "a.jsonl",
		input:  `{"i":1,"f":1,"s":"5","m":1,"n":null}` + "\n" + `{"i":2,"f":2.5,"s":"x","m":"two","extra":true}`,
		schema: "i:int64 f:float64 s:utf8 m:utf8 n:utf8 extra:bool",
		rows: `{"i":1,"f":1,"s":"5","m":"1","n":null,"extra":null}` + "\n" +
			`{"i":2,"f":2.5,"s":"x","m":"two","n":null,"extra":true}` + "\n",
	}, {
		name: "nested lists of objects, inference over the whole input", file: "a.json",
		input:  `[{"d":[{"t":"a"}]}, {"d":[]}, {"d":[{"t":"b","s":"Q"}],"o":{"k":{"z":1}}}]`,
		schema: "d:list<item: struct<t: utf8, s: utf8>, nullable> o:struct<k: struct<z: int64>>",
		rows: `{"d":[{"t":"a","s":null}],"o":null}` + "\n" + `{"d":[],"o":null}` + "\n" +
			`{"d":[{"t":"b","s":"Q"}],"o":{"k":{"z":1}}}` + "\n",
	}, {
		name: "json lines named .json, CRLF, blank lines, BOM, no final newline", file: "b.json",
		input:  "\ufeff{\"a\":[1,2.5]}\r\n\r\n\n{\"a\":[]}\r\n{\"a\":null}",
		schema: "a:list<item: float64, nullable>",
		rows:   `{"a":[1,2.5]}` + "\n" + `{"a":[]}` + "\n" + `{"a":null}` + "\n",
	}, {
		name: "records that are not objects", file: "c.json",
		input:  `["x", "y", null]`,
		schema: "value:utf8",
		rows:   `{"value":"x"}` + "\n" + `{"value":"y"}` + "\n" + `{"value":null}` + "\n",
	}, {
		name: "escapes and big integers", file: "d.jsonl",
		input:  `{"s":"\u00e9\ud83d\ude00\n\"","b":123456789012345678901}`,
		schema: "s:utf8 b:float64",
		rows:   `{"s":"é😀\n\"","b":1.2345678901234568e+20}` + "\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := newMem(t)
			defer mem.AssertSize(t, 0)
			p := writeFile(t, tt.file, tt.input)
			sc, recs := readAll(t, mem, []string{p}, ReadOptions{BatchSize: 2})
			defer releaseAll(recs)
			var fs []string
			for _, f := range sc.Fields() {
				if !f.Nullable {
					t.Errorf("field %s not nullable; inferred fields are all nullable", f.Name)
				}
				fs = append(fs, f.Name+":"+strings.ReplaceAll(f.Type.String(), " nullable", ""))
			}
			wantSchema := strings.ReplaceAll(tt.schema, " nullable", "")
			if got := strings.Join(fs, " "); got != wantSchema {
				t.Errorf("schema = %s\nwant     %s", got, wantSchema)
			}
			if got := rowsJSON(t, recs); got != tt.rows {
				t.Errorf("rows =\n%s\nwant\n%s", got, tt.rows)
			}
			inferred, err := InferSchema(context.Background(), []string{p}, ReadOptions{})
			if err != nil || !inferred.Equal(sc) {
				t.Errorf("InferSchema = %v, %v; want %v", inferred, err, sc)
			}
		})
	}
}

func TestSmallTestdata(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	_, recs := readAll(t, mem, []string{"testdata/small.jsonl"}, ReadOptions{})
	want := `{"id":1,"name":"a","score":1.5,"tags":["x","y"],"meta":{"k":"5","extra":null},"turns":null}
{"id":2,"name":null,"score":2,"tags":[],"meta":{"k":"6","extra":true},"turns":null}
{"id":3,"name":null,"score":null,"tags":null,"meta":null,"turns":[{"text":"hi","speaker":"usr","strategy":null},{"text":"yo","speaker":"sys","strategy":"Question"}]}
`
	if got := rowsJSON(t, recs); got != want {
		t.Errorf("small.jsonl =\n%s\nwant\n%s", got, want)
	}
	releaseAll(recs)

	sc, recs := readAll(t, mem, []string{"testdata/small.csv"}, ReadOptions{})
	defer releaseAll(recs)
	want = `{"c0":"0","name":"a","text":"multi\nline"}
{"c0":"1","name":"b","text":"quote \"x\""}
{"c0":"2","name":"","text":"plain"}
`
	if got := rowsJSON(t, recs); got != want || sc.Field(0).Name != "c0" {
		t.Errorf("small.csv =\n%s\nwant\n%s", got, want)
	}
}

func TestCSVShapes(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	big := strings.Repeat("é", 100_001) // 200,002 bytes
	p := writeFile(t, "big.csv", "a,b\r\n1,\""+big+"\"\n\"2\r\nx\",3\r\n")
	_, recs := readAll(t, mem, []string{p}, ReadOptions{})
	b := column(t, mem, recs, "b").(*array.String)
	a := column(t, mem, recs, "a").(*array.String)
	if b.Len() != 2 || b.Value(0) != big || a.Value(1) != "2\nx" {
		t.Errorf("big field or embedded newline lost: len %d, a[1]=%q", len(b.Value(0)), a.Value(1))
	}
	a.Release()
	b.Release()
	releaseAll(recs)

	no := false
	p = writeFile(t, "x.tsv", "1\tx\n2\ty\n")
	sc, recs := readAll(t, mem, []string{p}, ReadOptions{CSVHeader: &no})
	if got := rowsJSON(t, recs); got != `{"c0":"1","c1":"x"}`+"\n"+`{"c0":"2","c1":"y"}`+"\n" || sc.NumFields() != 2 {
		t.Errorf("header-less tsv = %s", got)
	}
	releaseAll(recs)

	// Two CSV files unify by name; the file column tells them apart.
	p1 := writeFile(t, "p1.csv", "a,b\n1,2\n")
	p2 := writeFile(t, "p2.csv", "b,c\n3,4\n")
	_, recs = readAll(t, mem, []string{p1, p2}, ReadOptions{FileColumn: "src"})
	want := `{"a":"1","b":"2","c":null,"src":"p1.csv"}` + "\n" + `{"a":null,"b":"3","c":"4","src":"p2.csv"}` + "\n"
	if got := rowsJSON(t, recs); got != want {
		t.Errorf("unified csv =\n%s\nwant\n%s", got, want)
	}
	releaseAll(recs)
}

func TestDeclaredSchema(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "when", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	p := writeFile(t, "d.jsonl", `{"id":1,"when":"2021-01-02","raw":{"x":[1,"a"]},"v":[1,2],"ignored":5}`+"\n"+`{"id":2,"raw":7}`)
	_, recs := readAll(t, mem, []string{p}, ReadOptions{Schema: schema})
	want := `{"id":1,"when":"2021-01-02","raw":"{\"x\":[1,\"a\"]}","v":[1,2]}` + "\n" + `{"id":2,"when":null,"raw":"7","v":null}` + "\n"
	if got := rowsJSON(t, recs); got != want {
		t.Errorf("declared json =\n%s\nwant\n%s", got, want)
	}
	releaseAll(recs)

	pc := writeFile(t, "d.csv", "id,when,v\n1,2021-01-02,\n2,,\n")
	csvSchema := arrow.NewSchema(schema.Fields()[:3], nil)
	_, recs = readAll(t, mem, []string{pc}, ReadOptions{Schema: csvSchema})
	want = `{"id":1,"when":"2021-01-02","raw":null}` + "\n" + `{"id":2,"when":null,"raw":null}` + "\n"
	if got := rowsJSON(t, recs); got != want {
		t.Errorf("declared csv =\n%s\nwant\n%s", got, want)
	}
	releaseAll(recs)

	for _, tc := range []struct{ name, content, col string }{
		{"big.jsonl", `{"id":1}` + "\n" + `{"id":3000000000}`, "id"},
		{"float.jsonl", `{"id":1.5}`, "id"},
		{"str.jsonl", `{"id":"1"}`, "id"},
		{"null.jsonl", `{"id":null}`, "id"},
		{"vec.jsonl", `{"id":1,"v":[1,2,3]}`, "v"},
		{"date.jsonl", `{"id":1,"when":"yesterday"}`, "when"},
		{"bad.csv", "id\nx\n", "id"},
	} {
		p := writeFile(t, tc.name, tc.content)
		sch := schema
		if strings.HasSuffix(tc.name, ".csv") {
			sch = arrow.NewSchema(schema.Fields()[:1], nil)
		}
		err := readErr(t, mem, p, ReadOptions{Schema: sch})
		var de *DataError
		if !errors.As(err, &de) || de.Column != tc.col || de.Row < 1 || de.File != p {
			t.Errorf("%s: error %v, want a DataError for column %s with a row", tc.name, err, tc.col)
		}
	}
}

// readErr reads p to the end and returns the first error.
func readErr(t *testing.T, mem *memoryChecked, p string, opts ReadOptions) error {
	t.Helper()
	r, err := Open(context.Background(), mem, []string{p}, opts)
	if err != nil {
		return err
	}
	defer r.Release()
	for r.Next() {
	}
	return r.Err()
}

func TestBadInput(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name, content string
		row, off      int64
		col, msg      string
	}{
		{"truncated.json", `[{"a": 1}, {"a": 2, "b": [1, 2`, 2, 30, "", "unexpected end"},
		{"trunc.jsonl", "{\"a\":1}\n{\"a\":\"x", 2, 15, "", "unexpected end"},
		{"garbage.jsonl", "{\"a\":1}\n{\"a\":tru}", 2, 13, "", "invalid literal"},
		{"two.jsonl", "{\"a\":1} {\"a\":2}\n", 1, 8, "", "one JSON value per line"},
		{"mixed.jsonl", "{\"a\":{\"b\":1}}\n{\"a\":{\"b\":[1]}}", 2, 24, "a.b", "array here but integer at row 1"},
		{"dup.jsonl", `{"a":1,"a":2}`, 1, 11, "a", "duplicate key"},
		{"trailing.json", `[{"a":1}] x`, 1, 10, "", "end of input"},
		{"bad_quote.csv", "a,b\n1,\"unbalanced\n2,3\n", 2, 4, "", "extraneous or missing \" in quoted-field"},
		{"fields.csv", "a,b\n1,2\n3\n", 3, 8, "", "record has 1 fields, header has 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.name, tt.content)
			err := readErr(t, mem, p, ReadOptions{})
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DataError", err)
			}
			if de.File != p || de.Row != tt.row || (tt.off != -2 && de.Offset != tt.off) || de.Column != tt.col || !strings.Contains(de.Error(), tt.msg) {
				t.Errorf("error %q (row %d, offset %d, column %q), want row %d, offset %d, column %q, containing %q",
					de, de.Row, de.Offset, de.Column, tt.row, tt.off, tt.col, tt.msg)
			}
			if !strings.HasPrefix(de.Error(), p+": row ") {
				t.Errorf("error %q does not start with the file and row", de)
			}
		})
	}
}

func TestCorruptParquet(t *testing.T) {
	src := filepath.Join(sharedDir(t, "fixtures/reference"), "zoo.snappy.parquet")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// Flip bytes at several places in the middle (data pages), each in its
	// own copy; every read must fail cleanly or (rarely, if the flip hits
	// unused bytes) succeed, and never panic.
	failures := 0
	for _, pos := range []int{len(data) / 2, len(data) / 3, len(data) / 4, 2 * len(data) / 3} {
		mem := newMem(t)
		bad := append([]byte(nil), data...)
		bad[pos] ^= 0xff
		p := filepath.Join(t.TempDir(), "zoo.parquet")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		err := readErr(t, mem, p, ReadOptions{})
		mem.AssertSize(t, 0)
		if err != nil {
			failures++
			var de *DataError
			if !errors.As(err, &de) || de.File != p || de.Row < 1 {
				t.Errorf("flip at %d: error %v, want a DataError naming the file and a row", pos, err)
			}
		}
	}
	if failures == 0 {
		t.Errorf("no flipped byte was detected")
	}
	// A truncated footer fails at Open.
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	p := filepath.Join(t.TempDir(), "short.parquet")
	if err := os.WriteFile(p, data[:len(data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := readErr(t, mem, p, ReadOptions{}); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("truncated parquet: error %v, want one naming the file", err)
	}
}
