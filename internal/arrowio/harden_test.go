package arrowio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// Issue 8, item 15: .arrow and .feather are the IPC file format (ARROW1
// magic at both ends, a footer), .arrows the stream format; inputs are told
// apart by their magic, not their name.
func TestArrowOutputsAreIPCFilesAndStreams(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	sc, recs := readAll(t, mem, []string{filepath.Join(sharedDir(t, "fixtures/reference"), "zoo.arrow")}, ReadOptions{})
	defer releaseAll(recs)
	want := digestOf(t, mem, recs)

	fileBytes := writeIPCFile(t, mem, recs)
	if !bytes.HasPrefix(fileBytes, []byte("ARROW1\x00\x00")) || !bytes.HasSuffix(fileBytes, []byte("ARROW1")) {
		t.Errorf("arrow output: head %q, tail %q; want the ARROW1 magic at both ends", fileBytes[:8], fileBytes[len(fileBytes)-6:])
	}
	fr, err := ipc.NewFileReader(bytes.NewReader(fileBytes), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatalf("arrow output has no readable footer: %v", err)
	}
	if fr.NumRecords() != len(recs) || !fr.Schema().Equal(StripMetadata(sc)) {
		t.Errorf("footer: %d batches, schema %s; want %d, %s", fr.NumRecords(), fr.Schema(), len(recs), sc)
	}
	fr.Close()
	if again := writeIPCFile(t, mem, recs); !bytes.Equal(again, fileBytes) {
		t.Errorf("two writes of one table differ")
	}

	streamBytes := writeAll(t, mem, ArrowStream, recs)
	if bytes.Contains(streamBytes[:8], []byte("ARROW1")) || !bytes.HasPrefix(streamBytes, []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("arrows output starts %x; want a stream message, no file magic", streamBytes[:8])
	}

	// Each read back under the other's name: the magic decides.
	dir := t.TempDir()
	for name, data := range map[string][]byte{"file-named.arrows": fileBytes, "stream-named.arrow": streamBytes, "stream.feather": streamBytes} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, got := readAll(t, mem, []string{p}, ReadOptions{})
		if d := digestOf(t, mem, got); d != want {
			t.Errorf("%s read back as %s, want %s", name, d, want)
		}
		releaseAll(got)
	}
	for name, f := range map[string]Format{"a.arrow": Arrow, "a.feather": Arrow, "a.arrows": ArrowStream} {
		if got, _ := FormatFromName(name); got != f {
			t.Errorf("FormatFromName(%q) = %q, want %q", name, got, f)
		}
	}
}

// parquetJavaVersion is parquet-java's VersionParser pattern (Spark and
// Hive ignore string and decimal statistics when created_by does not parse).
var parquetJavaVersion = regexp.MustCompile(`^(.*?)\s+version\s*(?:([^(]*?)\s*(?:\(\s*build\s*([^)]*?)\s*\))?)?$`)

// pinnedParquet writes a fixed table of most types, fixed-size lists with
// nulls included, and returns the bytes per compression.
func pinnedParquet(t *testing.T, mem memory.Allocator) map[string][]byte {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "v", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[
		{"s": "héllo", "d": "12.50", "b": true, "ts": 1700000000000000, "l": [1, 2], "v": [1, 2, 3], "st": {"x": 1}},
		{"s": null, "d": null, "b": null, "ts": null, "l": null, "v": null, "st": null},
		{"s": "", "d": "-0.01", "b": false, "ts": 0, "l": [], "v": [4, null, 6], "st": {"x": null}}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	out := map[string][]byte{}
	for _, c := range ParquetCompressions {
		var buf bytes.Buffer
		w, err := NewWriterWithOptions(&buf, Parquet, sc, mem, WriteOptions{Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out[c] = buf.Bytes()
	}
	return out
}

// Issue 8, item 16: created_by names dsbuild with a version parquet-java
// parses, and that version changes exactly when the writer's bytes do.
func TestParquetCreatedByIsParseable(t *testing.T) {
	m := parquetJavaVersion.FindStringSubmatch(ParquetCreatedBy)
	if m == nil || m[1] != "dsbuild" || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(m[2]) || m[3] == "" {
		t.Fatalf("created_by %q: parsed as %q; want application dsbuild, a semantic version and a build", ParquetCreatedBy, m)
	}
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	data := pinnedParquet(t, mem)["zstd"]
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if got := pf.MetaData().GetCreatedBy(); got != ParquetCreatedBy {
		t.Errorf("file created_by %q, want %q", got, ParquetCreatedBy)
	}
	// The string column's statistics are there for readers that trust them.
	st, err := pf.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.StatsSet(); !ok || err != nil {
		t.Errorf("string column has no statistics (%v)", err)
	}
}

// parquetBytesByVersion pins the output of pinnedParquet for each writer
// version. When this test fails, the writer's bytes changed: bump
// ParquetWriterVersion and add its digests (never edit an old entry).
var parquetBytesByVersion = map[string]map[string]string{
	"1.0.0": {
		"zstd":   "c5f4ce5a7d101affb42ba3429e1ff9bd392b70f90516551ef34649a97c076797",
		"snappy": "2b2f84d10a8f965c4d9c280798960fbe34e8b629ba9c6314186d30cc013bec5a",
		"none":   "c2d5bbba8c2251dc8214bd5abc3b90069eee2cbcd5868df89e5fdb7721191f15",
	},
}

func TestParquetWriterVersionPinsBytes(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	want, ok := parquetBytesByVersion[ParquetWriterVersion]
	if !ok {
		t.Fatalf("no pinned digests for writer version %s; add them", ParquetWriterVersion)
	}
	for c, data := range pinnedParquet(t, mem) {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want[c] {
			t.Errorf("%s: Parquet bytes %s, pinned %s for writer version %s: the writer's bytes changed, bump ParquetWriterVersion", c, got, want[c], ParquetWriterVersion)
		}
	}
}

// walkMetadata reports every metadata key anywhere in s.
func walkMetadata(s *arrow.Schema) []string {
	var out []string
	var field func(path string, f arrow.Field)
	var typ func(path string, dt arrow.DataType)
	field = func(path string, f arrow.Field) {
		for _, k := range f.Metadata.Keys() {
			out = append(out, path+"."+f.Name+": "+k)
		}
		typ(path+"."+f.Name, f.Type)
	}
	typ = func(path string, dt arrow.DataType) {
		switch t := dt.(type) {
		case *arrow.StructType:
			for _, f := range t.Fields() {
				field(path, f)
			}
		case *arrow.MapType:
			field(path, t.KeyField())
			field(path, t.ItemField())
		case arrow.ListLikeType:
			field(path, t.ElemField())
		}
	}
	for _, k := range s.Metadata().Keys() {
		out = append(out, "schema: "+k)
	}
	for _, f := range s.Fields() {
		field("", f)
	}
	return out
}

// Issue 8, item 17: metadata is stripped at every level, on reading and on
// writing: none of a producer's (a host, a path, a time) reaches an output,
// and Parquet's field ids do not appear on child fields.
func TestMetadataStrippedAtEveryLevel(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	md := func(v string) arrow.Metadata { return arrow.NewMetadata([]string{"origin"}, []string{v}) }
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "st", Nullable: true, Metadata: md("secret-top"), Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Metadata: md("secret-member")})},
		{Name: "l", Nullable: true, Type: arrow.ListOfField(arrow.Field{Name: "item", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md("secret-element")})},
		{Name: "v", Nullable: true, Type: arrow.FixedSizeListOfField(2, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true, Metadata: md("secret-fixed")})},
		{Name: "m", Nullable: true, Type: arrow.MapOfFields(
			arrow.Field{Name: "key", Type: arrow.BinaryTypes.String, Metadata: md("secret-key")},
			arrow.Field{Name: "value", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: md("secret-value")})},
	}, &[]arrow.Metadata{md("secret-schema")}[0])
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[
		{"st": {"x": 1}, "l": ["a"], "v": [1, 2], "m": [{"key": "k", "value": 1}]},
		{"st": null, "l": null, "v": null, "m": null}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	want := digestOf(t, mem, []arrow.RecordBatch{rec})
	dir := t.TempDir()
	for _, f := range []Format{Arrow, ArrowStream, Parquet} {
		data := writeAll(t, mem, f, []arrow.RecordBatch{rec})
		if f == Arrow {
			data = writeIPCFile(t, mem, []arrow.RecordBatch{rec})
		}
		if bytes.Contains(data, []byte("secret")) {
			t.Errorf("%s output holds the input's metadata", f)
		}
		p := filepath.Join(dir, "out."+string(f))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, recs := readAll(t, mem, []string{p}, ReadOptions{})
		if keys := walkMetadata(got); len(keys) > 0 {
			t.Errorf("%s read back with metadata %v", f, keys)
		}
		if d := digestOf(t, mem, recs); d != want {
			t.Errorf("%s read back as %s, want %s", f, d, want)
		}
		releaseAll(recs)
	}
	// An input written by another tool, with metadata at every level.
	var raw bytes.Buffer
	iw := ipc.NewWriter(&raw, ipc.WithSchema(sc), ipc.WithAllocator(mem))
	if err := iw.Write(rec); err != nil {
		t.Fatal(err)
	}
	iw.Close()
	p := filepath.Join(dir, "foreign.arrows")
	if err := os.WriteFile(p, raw.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, recs := readAll(t, mem, []string{p}, ReadOptions{})
	releaseAll(recs)
	if keys := walkMetadata(got); len(keys) > 0 {
		t.Errorf("IPC input read with metadata %v", keys)
	}
	for _, name := range []string{"zoo.snappy.parquet", "esconv_test.pyarrow.zstd.parquet", "zoo.arrow"} {
		r, err := Open(context.Background(), mem, []string{filepath.Join(sharedDir(t, "fixtures/reference"), name)}, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if keys := walkMetadata(r.Schema()); len(keys) > 0 {
			t.Errorf("%s read with metadata %v", name, keys)
		}
		for r.Next() {
			for i, c := range r.RecordBatch().Columns() {
				if !arrow.TypeEqual(c.DataType(), r.Schema().Field(i).Type, arrow.CheckMetadata()) {
					t.Errorf("%s: column %d has type %s with metadata", name, i, c.DataType())
				}
			}
		}
		r.Release()
	}
}

// Issue 8, item 18: JSON Lines and CSV conventions. A timestamp without a
// time zone stays without one (no "Z"); one with a zone keeps its offset.
func TestJSONLAndCSVConventions(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "naive", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "utc", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, Nullable: true},
		{Name: "kolkata", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "+05:30"}, Nullable: true},
		{Name: "paris", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "Europe/Paris"}, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 20, Scale: 3}, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).Append(1709296200500) // 2024-03-01 12:30:00.5
	b.Field(1).(*array.TimestampBuilder).Append(1709296200)
	b.Field(2).(*array.TimestampBuilder).Append(1709296200)
	b.Field(3).(*array.TimestampBuilder).Append(1709296200)
	b.Field(4).(*array.Float64Builder).Append(0.1)
	b.Field(5).(*array.BinaryBuilder).Append([]byte{0, 1, 255})
	b.Field(6).(*array.Decimal128Builder).AppendValueFromString("12345678901234567.891")
	b.Field(7).(*array.Date32Builder).Append(19783)
	for i := range sc.Fields() {
		b.Field(i).AppendNull()
	}
	b.Field(0).(*array.TimestampBuilder).Append(0)
	b.Field(1).(*array.TimestampBuilder).Append(0)
	b.Field(2).(*array.TimestampBuilder).Append(0)
	b.Field(3).(*array.TimestampBuilder).Append(0)
	b.Field(4).(*array.Float64Builder).Append(nan())
	b.Field(5).(*array.BinaryBuilder).Append(nil)
	b.Field(6).(*array.Decimal128Builder).AppendValueFromString("-0.5")
	b.Field(7).(*array.Date32Builder).Append(0)
	rec := b.NewRecordBatch()
	defer rec.Release()
	gotJSON := string(writeAll(t, mem, JSONL, []arrow.RecordBatch{rec}))
	wantJSON := `{"naive":"2024-03-01T12:30:00.5","utc":"2024-03-01T12:30:00Z","kolkata":"2024-03-01T18:00:00+05:30","paris":"2024-03-01T13:30:00+01:00","f":0.1,"bin":"AAH/","dec":"12345678901234567.891","day":"2024-03-01"}
{"naive":null,"utc":null,"kolkata":null,"paris":null,"f":null,"bin":null,"dec":null,"day":null}
{"naive":"1970-01-01T00:00:00","utc":"1970-01-01T00:00:00Z","kolkata":"1970-01-01T05:30:00+05:30","paris":"1970-01-01T01:00:00+01:00","f":null,"bin":"","dec":"-0.5","day":"1970-01-01"}
`
	if gotJSON != wantJSON {
		t.Errorf("JSONL =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	gotCSV := string(writeAll(t, mem, CSV, []arrow.RecordBatch{rec}))
	wantCSV := `naive,utc,kolkata,paris,f,bin,dec,day
2024-03-01T12:30:00.5,2024-03-01T12:30:00Z,2024-03-01T18:00:00+05:30,2024-03-01T13:30:00+01:00,0.1,AAH/,12345678901234567.891,2024-03-01
,,,,,,,
1970-01-01T00:00:00,1970-01-01T00:00:00Z,1970-01-01T05:30:00+05:30,1970-01-01T01:00:00+01:00,NaN,,-0.5,1970-01-01
`
	if gotCSV != wantCSV {
		t.Errorf("CSV =\n%s\nwant\n%s", gotCSV, wantCSV)
	}
}

func nan() float64 { return math.NaN() }

// The IPC file format holds one dictionary per column: a dictionary that
// changes between batches fails with a hint to write the stream format,
// which takes it.
func TestArrowFileDictionaryReplacementHasAHint(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	sc := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt, Nullable: true}}, nil)
	var recs []arrow.RecordBatch
	for _, v := range []string{"a", "c"} {
		rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[{"d": "`+v+`"}]`))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	defer releaseAll(recs)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Arrow, sc, mem)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for _, r := range recs {
		if werr = w.Write(r); werr != nil {
			break
		}
	}
	_ = w.Close()
	if werr == nil || !strings.Contains(werr.Error(), ".arrows") {
		t.Errorf("two dictionaries in an IPC file: error %v, want one suggesting .arrows", werr)
	}
	if got := writeAll(t, mem, ArrowStream, recs); len(got) == 0 {
		t.Errorf("the stream format wrote nothing")
	}
	// With a first pass over the batches, the file gets one dictionary.
	p := filepath.Join(t.TempDir(), "d.arrow")
	if err := os.WriteFile(p, writeIPCFile(t, mem, recs), 0o644); err != nil {
		t.Fatal(err)
	}
	_, back := readAll(t, mem, []string{p}, ReadOptions{})
	if got, want := digestOf(t, mem, back), digestOf(t, mem, recs); got != want {
		t.Errorf("read back %s, want %s", got, want)
	}
	releaseAll(back)
}

// writeIPCFile writes recs as an Arrow IPC file, with the first pass over
// the same batches the output op gives it.
func writeIPCFile(t *testing.T, mem memory.Allocator, recs []arrow.RecordBatch) []byte {
	t.Helper()
	pre, err := array.NewRecordReader(recs[0].Schema(), recs)
	if err != nil {
		t.Fatal(err)
	}
	defer pre.Release()
	var buf bytes.Buffer
	w, err := NewWriterWithOptions(&buf, Arrow, recs[0].Schema(), mem, WriteOptions{Prepass: pre})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}
