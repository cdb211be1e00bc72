package arrowio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"github.com/pierrec/lz4/v4"
)

// drain opens paths and reads to the end, returning the first error.
func drain(t *testing.T, paths []string, opts ReadOptions) (int64, error) {
	t.Helper()
	r, err := Open(context.Background(), memory.NewGoAllocator(), paths, opts)
	if err != nil {
		return 0, err
	}
	defer r.Release()
	var n int64
	for r.Next() {
		n += r.RecordBatch().NumRows()
	}
	return n, r.Err()
}

// A Parquet file whose reader cannot be opened (here: not Parquet at all,
// with a declared schema so the first pass does not look at it) must fail
// with the reader's error, not a panic on the nil source (finding 1).
func TestParquetOpenFailureIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.parquet")
	if err := os.WriteFile(p, []byte("PAR1 this is not a parquet file PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	_, err := drain(t, []string{p}, ReadOptions{Schema: sc})
	var de *DataError
	if !errors.As(err, &de) || de.File != p {
		t.Fatalf("err = %v, want a DataError naming %s", err, p)
	}
	if strings.Contains(err.Error(), "runtime error") || strings.Contains(err.Error(), "nil pointer") {
		t.Fatalf("err = %v: a panic, not the reader's error", err)
	}
}

// Error messages have one colon after the file when no row, byte or
// column is known (finding 7).
func TestDataErrorNoDoubleColon(t *testing.T) {
	cases := []struct {
		e    DataError
		want string
	}{
		{DataError{File: "f.parquet", Row: -1, Offset: -1, Err: errors.New("bad")}, "f.parquet: bad"},
		{DataError{File: "f.parquet", Row: -1, Offset: -1, Column: "a"}, "f.parquet: column a: invalid data"},
		{DataError{File: "f.csv", Row: 3, Offset: 10, Column: "a", Err: errors.New("bad")}, "f.csv: row 3 (byte 10), column a: bad"},
		{DataError{File: "f.json", Row: -1, Offset: 7, Err: errors.New("bad")}, "f.json: byte 7: bad"},
		{DataError{File: "f.json", Row: 2, Offset: -1, Err: errors.New("bad")}, "f.json: row 2: bad"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// An IPC message of a metadata version from the future must be rejected
// (arrow-testing forward-compatibility/schema_v6.arrow), while every
// version the corpus's real producers wrote (V4, V5) still reads.
func TestIPCFutureVersionRefused(t *testing.T) {
	p := filepath.Join(sharedDir(t, "fixtures/conformance"), "arrow-testing", "data", "forward-compatibility", "schema_v6.arrow")
	_, err := drain(t, []string{p}, ReadOptions{Format: Arrow})
	if err == nil || !strings.Contains(err.Error(), "metadata version V6") || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want metadata version V6 refused naming the file", err)
	}
}

// writeIPC writes one batch of cols under fields as an Arrow IPC file.
func writeIPC(t *testing.T, fields []arrow.Field, cols []arrow.Array) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dup.arrow")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema(fields, nil)
	w, err := ipc.NewFileWriter(fh, ipc.WithSchema(sc))
	if err != nil {
		t.Fatal(err)
	}
	rec := array.NewRecordBatch(sc, cols, int64(cols[0].Len()))
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Two columns of one name: never drop the second; both are read, the
// second as a_1 (dupnames.go), whether the types agree or not (finding 3).
func TestDuplicateColumnNamesKept(t *testing.T) {
	mem := memory.NewGoAllocator()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2}, nil)
	a := ib.NewArray()
	defer a.Release()
	ib.AppendValues([]int64{3, 4}, nil)
	b := ib.NewArray()
	defer b.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"x", "y"}, nil)
	s := sb.NewArray()
	defer s.Release()
	for name, tc := range map[string]struct {
		fields []arrow.Field
		cols   []arrow.Array
		rows   []string
	}{
		"same type":      {[]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "a", Type: arrow.PrimitiveTypes.Int64}}, []arrow.Array{a, b}, []string{`["n:1","n:3"]`, `["n:2","n:4"]`}},
		"different type": {[]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "a", Type: arrow.BinaryTypes.String}}, []arrow.Array{a, s}, []string{`["n:1","s:x"]`, `["n:2","s:y"]`}},
	} {
		p := writeIPC(t, tc.fields, tc.cols)
		names, rows, _ := readDup(t, []string{p}, ReadOptions{})
		if strings.Join(names, ",") != "a,a_1" || strings.Join(rows, "\n") != strings.Join(tc.rows, "\n") {
			t.Errorf("%s: columns %q rows %q, want [a a_1] %q", name, names, rows, tc.rows)
		}
	}
}

// An empty batch does not change a digest, whatever the column type: a
// null column hashed with and without empty batches between (as the
// integration JSON of generated_null_trivial has them) is one digest.
func TestDigestIgnoresEmptyBatches(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.Null, Nullable: true}}, nil)
	batch := func(n int) arrow.RecordBatch {
		return array.NewRecordBatch(sc, []arrow.Array{array.NewNull(n)}, int64(n))
	}
	sum := func(sizes ...int) string {
		h, err := NewLogicalHasher(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range sizes {
			if err := h.Write(batch(n)); err != nil {
				t.Fatal(err)
			}
		}
		return string(h.Sum())
	}
	if a, b := sum(), sum(0, 0); a != b {
		t.Errorf("no batches %s, two empty batches %s", a, b)
	}
	if a, b := sum(3), sum(0, 2, 0, 1, 0); a != b {
		t.Errorf("one batch %s, split with empty batches %s", a, b)
	}
}

// Zoned timestamps are written to the exact instant even where the zone's
// offset has seconds (local mean time before ~1900, finding 2), and
// decimals with every digit they hold, never rounded to the declared
// precision (finding 5); both in JSON Lines and CSV.
func TestWriteTextExactInstantsAndDecimals(t *testing.T) {
	mem := memory.NewGoAllocator()
	tsType := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "America/Los_Angeles"}
	inst := []time.Time{
		time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC),            // LMT -07:52:58
		time.Date(1677, 9, 21, 0, 12, 43, 145224192, time.UTC), // generated_datetime's
		time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC),           // PDT, whole minutes
	}
	want := []string{"1800-01-01T00:00:00Z", "1677-09-21T00:12:43.145224192Z", "2020-06-01T05:00:00-07:00"}
	tb := array.NewTimestampBuilder(mem, tsType)
	for _, x := range inst {
		tb.Append(arrow.Timestamp(x.UnixNano()))
	}
	ts := tb.NewArray()
	decType := &arrow.Decimal128Type{Precision: 3, Scale: 2}
	db := array.NewDecimal128Builder(mem, decType)
	db.Append(decimal128.FromI64(123456)) // 1234.56: beyond precision 3
	db.Append(decimal128.FromI64(-5))     // -0.05
	db.Append(decimal128.FromI64(150))    // 1.50, written 1.5
	dec := db.NewArray()
	wantDec := []string{"1234.56", "-0.05", "1.5"}
	sc := arrow.NewSchema([]arrow.Field{{Name: "t", Type: tsType, Nullable: true}, {Name: "d", Type: decType, Nullable: true}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{ts, dec}, 3)
	defer rec.Release()

	jl := strings.Split(strings.TrimSpace(string(writeAll(t, mem, JSONL, []arrow.RecordBatch{rec}))), "\n")
	cs := strings.Split(strings.TrimSpace(string(writeAll(t, mem, CSV, []arrow.RecordBatch{rec}))), "\n")[1:]
	for i := range inst {
		if w := `{"t":"` + want[i] + `","d":"` + wantDec[i] + `"}`; jl[i] != w {
			t.Errorf("JSONL row %d = %s, want %s", i, jl[i], w)
		}
		if w := want[i] + "," + wantDec[i]; cs[i] != w {
			t.Errorf("CSV row %d = %s, want %s", i, cs[i], w)
		}
		got, err := time.Parse(time.RFC3339Nano, want[i])
		if err != nil || !got.Equal(inst[i]) {
			t.Errorf("row %d: %s is not the instant %s", i, want[i], inst[i])
		}
	}
}

func TestExactDecimal(t *testing.T) {
	for _, c := range []struct {
		v     int64
		scale int32
		want  string
	}{{0, 0, "0"}, {0, 2, "0"}, {1500, 3, "1.5"}, {-100, 2, "-1"}, {7, 3, "0.007"}, {-7, 3, "-0.007"}, {12345, 2, "123.45"}, {12, -3, "12000"}, {0, -3, "0"}, {-1, 0, "-1"}} {
		if got := exactDecimal(big.NewInt(c.v), c.scale); got != c.want {
			t.Errorf("exactDecimal(%d, %d) = %s, want %s", c.v, c.scale, got, c.want)
		}
	}
}

// The deprecated Parquet LZ4 codec reads in both its forms (finding 6):
// Hadoop-framed blocks and one bare block; the corpus's Hadoop-framed files
// hold exactly the values of their LZ4_RAW twins (which DuckDB reads).
func TestHadoopLZ4(t *testing.T) {
	src := []byte(strings.Repeat("dsbuild reads hadoop lz4 ", 200))
	block := make([]byte, lz4.CompressBlockBound(len(src)))
	n, err := lz4.CompressBlock(src, block, nil)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	block = block[:n]
	// Two Hadoop frames of the halves.
	half := len(src) / 2
	var framed []byte
	for _, part := range [][]byte{src[:half], src[half:]} {
		b := make([]byte, lz4.CompressBlockBound(len(part)))
		m, err := lz4.CompressBlock(part, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		framed = binary.BigEndian.AppendUint32(framed, uint32(len(part)))
		framed = binary.BigEndian.AppendUint32(framed, uint32(m))
		framed = append(framed, b[:m]...)
	}
	for name, in := range map[string][]byte{"hadoop": framed, "bare": block} {
		out, err := hadoopLZ4{}.DecodeWithError(make([]byte, len(src)), in)
		if err != nil || !bytes.Equal(out, src) {
			t.Errorf("%s: %d bytes, err %v", name, len(out), err)
		}
	}
	if _, err := (hadoopLZ4{}).DecodeWithError(make([]byte, len(src)), []byte("not lz4 at all")); err == nil {
		t.Error("garbage decoded")
	}

	dir := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "data")
	for hadoop, raw := range map[string]string{
		"hadoop_lz4_compressed.parquet":        "lz4_raw_compressed.parquet",
		"hadoop_lz4_compressed_larger.parquet": "lz4_raw_compressed_larger.parquet",
	} {
		mem := memory.NewGoAllocator()
		a, n, err := conformDigest(mem, filepath.Join(dir, hadoop), Parquet)
		if err != nil {
			t.Fatalf("%s: %v", hadoop, err)
		}
		b, m, err := conformDigest(mem, filepath.Join(dir, raw), Parquet)
		if err != nil {
			t.Fatal(err)
		}
		if a != b || n != m || n == 0 {
			t.Errorf("%s: %d rows %s; %s: %d rows %s", hadoop, n, a, raw, m, b)
		}
	}
	if _, err := drain(t, []string{filepath.Join(dir, "non_hadoop_lz4_compressed.parquet")}, ReadOptions{}); err != nil {
		t.Errorf("non_hadoop_lz4_compressed.parquet: %v", err)
	}
}

// A data page v2 whose compressed values section is empty (one null) reads
// as that null, not as a corrupt Snappy block (finding 6).
func TestEmptyV2DataPage(t *testing.T) {
	p := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "data", "datapage_v2_empty_datapage.snappy.parquet")
	mem := memory.NewGoAllocator()
	_, recs := readAll(t, mem, []string{p}, ReadOptions{})
	defer releaseAll(recs)
	if countRows(recs) != 1 || recs[0].Column(0).NullN() != 1 {
		t.Fatalf("got %d rows, want one null", countRows(recs))
	}
	if out, err := (fastSnappy{}).DecodeWithError(make([]byte, 0, 8), nil); err != nil || len(out) != 0 {
		t.Errorf("empty Snappy input: %d bytes, %v", len(out), err)
	}
}

// A legacy two-level LIST<LIST<INT32>> (parquet-mr's "array" repeated
// group, itself LIST-annotated) reads as a list of lists, as the format's
// backward-compatibility rules say, not as a list of one-field structs
// (finding 4). Both the schema (InferSchema) and the values.
func TestLegacyListStructure(t *testing.T) {
	p := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "data", "old_list_structure.parquet")
	sc, err := InferSchema(context.Background(), []string{p}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := arrow.ListOfNonNullable(arrow.ListOf(arrow.PrimitiveTypes.Int32)) // elements of a repeated group are required
	if got := sc.Field(0).Type; canonTypeString(got) != canonTypeString(want) {
		t.Fatalf("type %s, want %s", got, want)
	}
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	_, recs := readAll(t, mem, []string{p}, ReadOptions{})
	defer releaseAll(recs)
	if len(recs) != 1 || recs[0].NumRows() != 1 {
		t.Fatalf("got %d batches", len(recs))
	}
	v, err := canonValue(recs[0].Column(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := canonJSON(v); got != `[["n:1","n:2"],["n:3","n:4"]]` {
		t.Errorf("value %s, want [[1,2],[3,4]]", got)
	}
}

func canonTypeString(dt arrow.DataType) string {
	var b strings.Builder
	if err := canonicalType(&b, dt); err != nil {
		return err.Error()
	}
	return b.String()
}

// Run-end encoded, list view and arrow.uuid columns read as their value
// type, list and fixed_size_binary[16] (finding 6), with the same values,
// also from a sliced batch.
func TestReadTimeConversions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// REE: runs [a a a][null][b b]
	reeB := array.NewRunEndEncodedBuilder(mem, arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
	defer reeB.Release()
	vb := reeB.ValueBuilder().(*array.StringBuilder)
	reeB.Append(3)
	vb.Append("a")
	reeB.AppendNull()
	reeB.Append(2)
	vb.Append("b")
	ree := reeB.NewArray()
	defer ree.Release()
	// list view: [1 2] null [] [3] [4 5] [6]
	lvB := array.NewListViewBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer lvB.Release()
	ib := lvB.ValueBuilder().(*array.Int64Builder)
	for _, l := range [][]int64{{1, 2}, nil, {}, {3}, {4, 5}, {6}} {
		if l == nil {
			lvB.AppendNull()
			continue
		}
		lvB.AppendWithSize(true, len(l))
		ib.AppendValues(l, nil)
	}
	lv := lvB.NewArray()
	defer lv.Release()
	ub := extensions.NewUUIDBuilder(mem)
	defer ub.Release()
	for i := 0; i < 6; i++ {
		if i == 1 {
			ub.AppendNull()
			continue
		}
		ub.Append(uuid.UUID{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	}
	uu := ub.NewArray()
	defer uu.Release()
	fields := []arrow.Field{{Name: "ree", Type: ree.DataType(), Nullable: true}, {Name: "lv", Type: lv.DataType(), Nullable: true}, {Name: "u", Type: uu.DataType(), Nullable: true}}
	full := array.NewRecordBatch(arrow.NewSchema(fields, nil), []arrow.Array{ree, lv, uu}, 6)
	defer full.Release()
	for _, sl := range [][2]int64{{0, 6}, {2, 5}} {
		rec := full.NewSlice(sl[0], sl[1])
		want := make([]string, rec.NumRows())
		for i := range want {
			row := make([]any, 3)
			for j, c := range rec.Columns() {
				v, err := canonValue(c, i)
				if err != nil {
					t.Fatal(err)
				}
				row[j] = v
			}
			want[i] = canonJSON(row)
		}
		var sc *arrow.Schema
		var recs []arrow.RecordBatch
		if sl[0] == 0 {
			p := writeIPC(t, fields, rec.Columns())
			sc, recs = readAll(t, mem, []string{p}, ReadOptions{})
		} else {
			// arrow-go's IPC writer panics on a sliced run-end encoded
			// array: the conversion itself is given the slice.
			sc = convSchema(rec.Schema())
			c, err := convBatch(mem, rec, sc)
			if err != nil {
				t.Fatal(err)
			}
			recs = []arrow.RecordBatch{c}
		}
		rec.Release()
		wantTypes := []arrow.DataType{arrow.BinaryTypes.String, arrow.ListOf(arrow.PrimitiveTypes.Int64), &arrow.FixedSizeBinaryType{ByteWidth: 16}}
		for j, wt := range wantTypes {
			if canonTypeString(sc.Field(j).Type) != canonTypeString(wt) {
				t.Errorf("slice %v: column %s type %s, want %s", sl, sc.Field(j).Name, sc.Field(j).Type, wt)
			}
		}
		var got []string
		for _, r := range recs {
			for i := 0; i < int(r.NumRows()); i++ {
				row := make([]any, 3)
				for j, c := range r.Columns() {
					v, err := canonValue(c, i)
					if err != nil {
						t.Fatal(err)
					}
					row[j] = v
				}
				got = append(got, canonJSON(row))
			}
			c, err := CanonicalBatch(mem, r)
			if err != nil {
				t.Fatal(err)
			}
			c.Release()
		}
		releaseAll(recs)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("slice %v:\n got  %v\n want %v", sl, got, want)
		}
	}
}
