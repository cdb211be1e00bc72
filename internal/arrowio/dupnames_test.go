package arrowio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func TestUniqueNames(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"a", "b"}, nil},
		{[]string{"a", "a"}, []string{"a", "a_1"}},
		{[]string{"a", "a", "a"}, []string{"a", "a_1", "a_2"}},
		// a name that is unique in the file is never changed: the second
		// a skips a_1 (DuckDB would rename the file's a_1 to a_1_1)
		{[]string{"a", "a", "a_1"}, []string{"a", "a_2", "a_1"}},
		{[]string{"a", "a_1", "a", "a"}, []string{"a", "a_1", "a_2", "a_3"}},
		{[]string{"a_1", "a_1", "a", "a"}, []string{"a_1", "a_1_1", "a", "a_2"}},
		{[]string{"a", "a", "a_2", "a"}, []string{"a", "a_1", "a_2", "a_3"}},
		{[]string{"a", "A"}, nil}, // names compare exactly
		{[]string{"", ""}, []string{"", "_1"}},
		{[]string{"x", "y", "x", "y", "x"}, []string{"x", "y", "x_1", "y_1", "x_2"}},
	} {
		if got := uniqueNames(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("uniqueNames(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// dupTable is a table with a name collision at the top level (a, a, a_1)
// and in a struct inside a list (x, x) next to a struct whose own
// duplicate fields are a dictionary's values.
func dupTable(mem memory.Allocator) arrow.RecordBatch {
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	inner := arrow.StructOf(arrow.Field{Name: "x", Type: i64, Nullable: true}, arrow.Field{Name: "x", Type: str, Nullable: true}, arrow.Field{Name: "y", Type: i64, Nullable: true})
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: i64, Nullable: true},
		{Name: "a", Type: str, Nullable: true},
		{Name: "a_1", Type: i64, Nullable: true},
		{Name: "l", Type: arrow.ListOf(inner), Nullable: true},
		{Name: "a", Type: i64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for r := 0; r < 2; r++ {
		b.Field(0).(*array.Int64Builder).Append(int64(1 + 10*r))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("two", r))
		b.Field(2).(*array.Int64Builder).Append(int64(3 + 10*r))
		lb := b.Field(3).(*array.ListBuilder)
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int64Builder).Append(int64(100 + r))
		sb.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprint("x", r))
		sb.FieldBuilder(2).(*array.Int64Builder).Append(int64(200 + r))
		b.Field(4).(*array.Int64Builder).Append(int64(5 + 10*r))
	}
	return b.NewRecordBatch()
}

// dupWant is dupTable as the reader gives it: names and each row's values.
var (
	dupWantNames = []string{"a", "a_2", "a_1", "l", "a_3"}
	dupWantRows  = []string{
		`["n:1","s:two0","n:3",[{"x":"n:100","x_1":"s:x0","y":"n:200"}],"n:5"]`,
		`["n:11","s:two1","n:13",[{"x":"n:101","x_1":"s:x1","y":"n:201"}],"n:15"]`,
	}
	dupWantRenames = []string{
		`column 2 "a" is read as "a_2"`,
		`field 2 "l.x" is read as "l.x_1"`,
		`column 5 "a" is read as "a_3"`,
	}
)

func writeDupIPC(t *testing.T, dir, name string, rec arrow.RecordBatch) string {
	t.Helper()
	p := filepath.Join(dir, name)
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w, err := ipc.NewFileWriter(fh, ipc.WithSchema(rec.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeDupParquet(t *testing.T, dir, name string, rec arrow.RecordBatch) string {
	t.Helper()
	p := filepath.Join(dir, name)
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w, err := pqarrow.NewFileWriter(rec.Schema(), fh, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// readDup reads paths with a checked allocator and returns the column
// names, the rows in canonValue's form, and the renames described.
func readDup(t *testing.T, paths []string, opts ReadOptions) ([]string, []string, []string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sc, err := InferSchema(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), mem, paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Schema().Equal(sc) {
		t.Errorf("Open's schema %s, InferSchema's %s", r.Schema(), sc)
	}
	var names, rows []string
	for _, f := range r.Schema().Fields() {
		names = append(names, f.Name)
	}
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j, c := range rec.Columns() {
				if row[j], err = canonValue(c, i); err != nil {
					t.Fatal(err)
				}
			}
			rows = append(rows, canonJSON(row))
		}
		// The renamed batch is what fetch stores: it must take the
		// canonical layout and the digest.
		c, err := CanonicalBatch(mem, rec)
		if err != nil {
			t.Fatal(err)
		}
		err = h.Write(c)
		c.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	var rn []string
	for _, x := range RenamedColumns(r) {
		rn = append(rn, x.Describe(filepath.Base(x.File)))
	}
	return names, rows, rn
}

// Two columns (or struct fields) of one name are both read, the later
// ones renamed by the documented rule, with every value where it was: in
// Arrow IPC files and streams and in Parquet.
func TestDuplicateNamesKeptWithValues(t *testing.T) {
	dir := t.TempDir()
	rec := dupTable(memory.NewGoAllocator())
	defer rec.Release()
	for _, p := range []string{writeDupIPC(t, dir, "t.arrow", rec), writeDupParquet(t, dir, "t.parquet", rec)} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			names, rows, rn := readDup(t, []string{p}, ReadOptions{})
			if !reflect.DeepEqual(names, dupWantNames) {
				t.Errorf("columns %q, want %q", names, dupWantNames)
			}
			if !reflect.DeepEqual(rows, dupWantRows) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(dupWantRows, "\n"))
			}
			var want []string
			for _, w := range dupWantRenames {
				want = append(want, filepath.Base(p)+": "+w+" (the file has another "+strings.Fields(w)[0]+" of its name)")
			}
			if !reflect.DeepEqual(rn, want) {
				t.Errorf("renames\n%s\nwant\n%s", strings.Join(rn, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// Struct fields of one name inside a dictionary's values and a map's
// items, at two levels of nesting, are renamed alike.
func TestDuplicateNamesNestedDictionaryAndMap(t *testing.T) {
	mem := memory.NewGoAllocator()
	i64 := arrow.PrimitiveTypes.Int64
	deep := arrow.StructOf(arrow.Field{Name: "z", Type: i64, Nullable: true}, arrow.Field{Name: "z", Type: i64, Nullable: true})
	st := arrow.StructOf(arrow.Field{Name: "x", Type: i64, Nullable: true}, arrow.Field{Name: "x", Type: deep, Nullable: true})
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: st}
	mt := arrow.MapOf(arrow.BinaryTypes.String, st)
	sc := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt, Nullable: true}, {Name: "m", Type: mt, Nullable: true}}, nil)

	vb := array.NewStructBuilder(mem, st)
	defer vb.Release()
	for k := 0; k < 2; k++ {
		vb.Append(true)
		vb.FieldBuilder(0).(*array.Int64Builder).Append(int64(k))
		db := vb.FieldBuilder(1).(*array.StructBuilder)
		db.Append(true)
		db.FieldBuilder(0).(*array.Int64Builder).Append(int64(10 + k))
		db.FieldBuilder(1).(*array.Int64Builder).Append(int64(20 + k))
	}
	dict := vb.NewArray()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{1, 0, 1}, nil)
	idx := ib.NewArray()
	defer idx.Release()
	ib.Release()
	da := array.NewDictionaryArray(dt, idx, dict)
	defer da.Release()

	mb := array.NewMapBuilderWithType(mem, mt)
	defer mb.Release()
	for r := 0; r < 3; r++ {
		mb.Append(true)
		mb.KeyBuilder().(*array.StringBuilder).Append(fmt.Sprint("k", r))
		ib := mb.ItemBuilder().(*array.StructBuilder)
		ib.Append(true)
		ib.FieldBuilder(0).(*array.Int64Builder).Append(int64(r))
		db := ib.FieldBuilder(1).(*array.StructBuilder)
		db.Append(true)
		db.FieldBuilder(0).(*array.Int64Builder).Append(int64(30 + r))
		db.FieldBuilder(1).(*array.Int64Builder).Append(int64(40 + r))
	}
	ma := mb.NewArray()
	defer ma.Release()
	rec := array.NewRecordBatch(sc, []arrow.Array{da, ma}, 3)
	defer rec.Release()

	p := writeDupIPC(t, t.TempDir(), "n.arrow", rec)
	names, rows, rn := readDup(t, []string{p}, ReadOptions{})
	if want := []string{"d", "m"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	wantRows := []string{
		`[{"x":"n:1","x_1":{"z":"n:11","z_1":"n:21"}},[["s:k0",{"x":"n:0","x_1":{"z":"n:30","z_1":"n:40"}}]]]`,
		`[{"x":"n:0","x_1":{"z":"n:10","z_1":"n:20"}},[["s:k1",{"x":"n:1","x_1":{"z":"n:31","z_1":"n:41"}}]]]`,
		`[{"x":"n:1","x_1":{"z":"n:11","z_1":"n:21"}},[["s:k2",{"x":"n:2","x_1":{"z":"n:32","z_1":"n:42"}}]]]`,
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
	wantRn := []string{
		`n.arrow: field 2 "d.x" is read as "d.x_1" (the file has another field of its name)`,
		`n.arrow: field 2 "d.x_1.z" is read as "d.x_1.z_1" (the file has another field of its name)`,
		`n.arrow: field 2 "m.x" is read as "m.x_1" (the file has another field of its name)`,
		`n.arrow: field 2 "m.x_1.z" is read as "m.x_1.z_1" (the file has another field of its name)`,
	}
	if !reflect.DeepEqual(rn, wantRn) {
		t.Errorf("renames\n%s\nwant\n%s", strings.Join(rn, "\n"), strings.Join(wantRn, "\n"))
	}
}

// In a glob, each file's names are made unique on their own, then the
// files are unified by name: a second `a` in one file and a column named
// `a_1` in another are one column. The outcome depends only on the files
// and their (sorted) order.
func TestDuplicateNamesPerFileThenUnified(t *testing.T) {
	mem := memory.NewGoAllocator()
	i64 := arrow.PrimitiveTypes.Int64
	mk := func(names []string, vals ...int64) arrow.RecordBatch {
		fs := make([]arrow.Field, len(names))
		cols := make([]arrow.Array, len(names))
		for i, n := range names {
			fs[i] = arrow.Field{Name: n, Type: i64, Nullable: true}
			b := array.NewInt64Builder(mem)
			b.Append(vals[i])
			cols[i] = b.NewArray()
			b.Release()
			defer cols[i].Release()
		}
		return array.NewRecordBatch(arrow.NewSchema(fs, nil), cols, 1)
	}
	dir := t.TempDir()
	r1 := mk([]string{"a", "a", "b"}, 1, 2, 3)
	defer r1.Release()
	r2 := mk([]string{"a_1", "a", "a"}, 4, 5, 6)
	defer r2.Release()
	p1 := writeDupParquet(t, dir, "1.parquet", r1)
	p2 := writeDupIPC(t, dir, "2.arrow", r2)
	names, rows, rn := readDup(t, []string{p1, p2}, ReadOptions{FileColumn: "file"})
	if want := []string{"a", "a_1", "b", "a_2", "file"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	wantRows := []string{`["n:1","n:2","n:3",null,"s:1.parquet"]`, `["n:5","n:4",null,"n:6","s:2.arrow"]`}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
	wantRn := []string{
		`1.parquet: column 2 "a" is read as "a_1" (the file has another column of its name)`,
		`2.arrow: column 3 "a" is read as "a_2" (the file has another column of its name)`,
	}
	if !reflect.DeepEqual(rn, wantRn) {
		t.Errorf("renames\n%s\nwant\n%s", strings.Join(rn, "\n"), strings.Join(wantRn, "\n"))
	}
	// The same files again: the same schema and rows (nothing depends on
	// map order or timing).
	for i := 0; i < 5; i++ {
		n2, r2, _ := readDup(t, []string{p1, p2}, ReadOptions{FileColumn: "file"})
		if !reflect.DeepEqual(n2, names) || !reflect.DeepEqual(r2, rows) {
			t.Fatalf("run %d: %q %q, first %q %q", i, n2, r2, names, rows)
		}
	}
}

// A CSV header naming two columns alike gets the same rule; a JSON object
// with a key twice is still refused (one field with two values is
// ambiguous data, not two columns).
func TestDuplicateNamesCSVAndJSON(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "h.csv")
	if err := os.WriteFile(csvPath, []byte("a,a,a_1,,c3\n1,2,3,4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	names, rows, rn := readDup(t, []string{csvPath}, ReadOptions{})
	if want := []string{"a", "a_2", "a_1", "c3", "c3_1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	if want := []string{`["s:1","s:2","s:3","s:4","s:5"]`}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	wantRn := []string{
		`h.csv: column 2 "a" is read as "a_2" (the file has another column of its name)`,
		`h.csv: column 5 "c3" is read as "c3_1" (the file has another column of its name)`,
	}
	if !reflect.DeepEqual(rn, wantRn) {
		t.Errorf("renames %q, want %q", rn, wantRn)
	}

	jsonPath := filepath.Join(dir, "d.jsonl")
	if err := os.WriteFile(jsonPath, []byte("{\"a\": 1, \"a\": 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := drain(t, []string{jsonPath}, ReadOptions{}); err == nil || !strings.Contains(err.Error(), jsonPath) {
		t.Errorf("JSON object with a duplicate key: read %d rows, err %v; want a refusal naming the file", n, err)
	}
}

// A declared schema (fetch's `schema = {...}`) selects the renamed names.
func TestDuplicateNamesDeclaredSchema(t *testing.T) {
	rec := dupTable(memory.NewGoAllocator())
	defer rec.Release()
	p := writeDupIPC(t, t.TempDir(), "t.arrow", rec)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "a_3", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "a_2", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	names, rows, _ := readDup(t, []string{p}, ReadOptions{Schema: sc})
	if want := []string{"a_3", "a_2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	if want := []string{`["n:5","s:two0"]`, `["n:15","s:two1"]`}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}

// The IPC goldens with duplicate names (arrow-testing
// generated_duplicate_fieldnames: two top-level `ints`, a struct with two
// fields named ""; generated_union before cpp-21.0.0: two `sparse` and two
// `dense` unions) read under exactly these names; their values are
// compared with the integration JSON by TestConformance.
func TestConformanceDuplicateNameGoldens(t *testing.T) {
	root := filepath.Join(sharedDir(t, "fixtures/conformance"), "arrow-testing", "data", "arrow-ipc-stream", "integration")
	const (
		dupFields = "ints:int8 ints_1:int32 struct:struct<: int32 nullable, _1: utf8 nullable>"
		union     = "sparse dense sparse_1 dense_1"
	)
	want := map[string]string{
		"1.0.0-bigendian/generated_duplicate_fieldnames":    dupFields,
		"1.0.0-littleendian/generated_duplicate_fieldnames": dupFields,
		"cpp-21.0.0/generated_duplicate_fieldnames":         dupFields,
		"0.17.1/generated_union":                            union,
		"1.0.0-bigendian/generated_union":                   union,
		"1.0.0-littleendian/generated_union":                union,
	}
	for base, w := range want {
		for _, ext := range []string{".arrow_file", ".stream"} {
			p := filepath.Join(root, filepath.FromSlash(base)+ext)
			sc, err := InferSchema(context.Background(), []string{p}, ReadOptions{Format: Arrow})
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			var got []string
			for _, f := range sc.Fields() {
				if strings.Contains(w, ":") {
					got = append(got, f.Name+":"+f.Type.String())
				} else {
					got = append(got, f.Name)
				}
			}
			if g := strings.Join(got, " "); g != w {
				t.Errorf("%s%s: %s, want %s", base, ext, g, w)
			}
		}
	}
}

// dedupRecords is recs (the integration JSON of the golden at path, which
// it releases) under the names the reader gives the golden's columns: the
// same arrays, by position.
func dedupRecords(t *testing.T, path string, recs []arrow.RecordBatch, sc *arrow.Schema) ([]arrow.RecordBatch, *arrow.Schema) {
	t.Helper()
	nsc, rn := dedupSchema(path, sc)
	if rn == nil {
		return recs, sc
	}
	out := make([]arrow.RecordBatch, len(recs))
	for i, rec := range recs {
		cols := make([]arrow.Array, rec.NumCols())
		for j, c := range rec.Columns() {
			cols[j] = retype(c, nsc.Field(j).Type)
		}
		out[i] = array.NewRecordBatch(nsc, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		rec.Release()
	}
	return out, nsc
}
