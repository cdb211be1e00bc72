package arrowio

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// writeParquetColumns writes a one-row-group Parquet file of schema root
// with arrow-go's column writers (which write any schema, also ones
// pqarrow would not), each column filled by write(i, column writer).
func writeParquetColumns(t *testing.T, root *schema.GroupNode, write func(i int, cw file.ColumnChunkWriter)) string {
	t.Helper()
	var buf bytes.Buffer
	fw := file.NewParquetWriter(&buf, root, file.WithWriterProps(parquet.NewWriterProperties(parquet.WithDictionaryDefault(false))))
	rg := fw.AppendRowGroup()
	for i := 0; i < fw.Schema.NumColumns(); i++ {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		write(i, cw)
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// int96Of encodes t as Impala does: nanoseconds into the Julian day, then
// the Julian day (computed here from Go's calendar, independently of the
// reader's arithmetic).
func int96Of(t time.Time) parquet.Int96 {
	t = t.UTC()
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	// Days from 1970-01-01 to midnight, by Go's proleptic Gregorian calendar.
	days := midnight.Unix() / 86400
	return rawInt96(days+julianDayOfUnixEpoch, int64(t.Sub(midnight)))
}

func rawInt96(day, nanos int64) parquet.Int96 {
	var v parquet.Int96
	binary.LittleEndian.PutUint64(v[:8], uint64(nanos))
	binary.LittleEndian.PutUint32(v[8:], uint32(int32(day)))
	return v
}

// canonRows reads path and renders every row in canonValue's form.
func canonRows(t *testing.T, path string, batch int) (*arrow.Schema, []string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: Parquet, BatchSize: batch})
	if err != nil {
		return nil, nil, err
	}
	defer r.Release()
	var rows []string
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]any, rec.NumCols())
			for j, c := range rec.Columns() {
				if vals[j], err = canonValue(c, i); err != nil {
					t.Fatal(err)
				}
			}
			rows = append(rows, canonJSON(vals))
		}
	}
	return r.Schema(), rows, r.Err()
}

func checkRows(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// int96Schema: a top-level INT96, one in a struct, one in a LIST.
func int96Schema(t *testing.T) *schema.GroupNode {
	opt, rep := parquet.Repetitions.Optional, parquet.Repetitions.Repeated
	return must(schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
		schema.NewInt96Node("ts", opt, -1),
		must(schema.NewGroupNode("s", opt, schema.FieldList{schema.NewInt96Node("t", opt, -1)}, -1)),
		must(schema.NewGroupNodeLogical("l", opt, schema.FieldList{
			must(schema.NewGroupNode("list", rep, schema.FieldList{schema.NewInt96Node("element", opt, -1)}, -1)),
		}, schema.ListLogicalType{}, -1)),
	}, -1))
}

func TestParquetInt96ReadsAsMicroseconds(t *testing.T) {
	ts := func(s string) time.Time { return must(time.Parse(time.RFC3339Nano, s)) }
	p := writeParquetColumns(t, int96Schema(t), func(i int, cw file.ColumnChunkWriter) {
		w := cw.(*file.Int96ColumnChunkWriter)
		var err error
		switch i {
		case 0: // rows: value, null, value
			_, err = w.WriteBatch([]parquet.Int96{int96Of(ts("2024-01-01T20:34:56.123456Z")), int96Of(ts("9999-12-31T23:59:59.999999Z"))}, []int16{1, 0, 1}, nil)
		case 1: // s.t: present, s null, t null
			_, err = w.WriteBatch([]parquet.Int96{int96Of(ts("1500-06-01T00:00:00Z"))}, []int16{2, 0, 1}, nil)
		case 2: // l: [v, null], null, []
			_, err = w.WriteBatch([]parquet.Int96{int96Of(ts("3000-01-01T00:00:00.000001Z"))}, []int16{3, 2, 0, 1}, []int16{0, 1, 0, 0})
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	sc, rows, err := canonRows(t, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	us := arrow.FixedWidthTypes.Timestamp_us
	want := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: us, Nullable: true},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "t", Type: us, Nullable: true}), Nullable: true},
		{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: us, Nullable: true}), Nullable: true},
	}, nil)
	if !sc.Equal(want) {
		t.Errorf("schema\n%s\nwant\n%s", sc, want)
	}
	checkRows(t, rows, []string{
		`["t:2024-01-01T20:34:56.123456Z",{"t":"t:1500-06-01T00:00:00Z"},["t:3000-01-01T00:00:00.000001Z",null]]`,
		`[null,null,null]`,
		`["t:9999-12-31T23:59:59.999999Z",{"t":null},[]]`,
	})
	// The schema Open reports before reading agrees.
	isc, err := InferSchema(context.Background(), []string{p}, ReadOptions{Format: Parquet})
	if err != nil || !isc.Equal(want) {
		t.Errorf("InferSchema = %v, %v", isc, err)
	}
}

func TestParquetInt96RefusesWhatMicrosecondsCannotHold(t *testing.T) {
	for _, tc := range []struct {
		name   string
		col    int
		values []parquet.Int96
		defs   []int16
		reps   []int16
		want   []string
	}{
		{"sub-microsecond, top level", 0, []parquet.Int96{rawInt96(2460311, 1500)}, []int16{0, 0, 1}, nil,
			[]string{"row 3, column ts:", "sub-microsecond part", "1500 ns"}},
		{"sub-microsecond, in a list", 2, []parquet.Int96{rawInt96(2460311, 0), rawInt96(2460311, 999)}, []int16{1, 3, 3, 0}, []int16{0, 0, 1, 0},
			[]string{"row 2, column l[]:", "sub-microsecond part"}},
		{"outside int64 microseconds", 1, []parquet.Int96{rawInt96(1<<31-1, 0)}, []int16{0, 2, 0}, nil,
			[]string{"row 2, column s.t:", "outside what timestamp[us]", "Julian day 2147483647"}},
		{"a time of day outside the day no writer makes", 0, []parquet.Int96{rawInt96(-105862232, -86_400_000_000_000)}, []int16{1, 0, 0}, nil,
			[]string{"row 1, column ts:", "outside what timestamp[us]", "not what Spark's INT96 writer makes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeParquetColumns(t, int96Schema(t), func(i int, cw file.ColumnChunkWriter) {
				w := cw.(*file.Int96ColumnChunkWriter)
				var err error
				if i == tc.col {
					_, err = w.WriteBatch(tc.values, tc.defs, tc.reps)
				} else {
					var reps []int16
					if i == 2 {
						reps = []int16{0, 0, 0}
					}
					_, err = w.WriteBatch(nil, []int16{0, 0, 0}, reps) // null in each row
				}
				if err != nil {
					t.Fatal(err)
				}
			})
			_, _, err := canonRows(t, p, 1000)
			if err == nil {
				t.Fatal("read without error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+": ") {
				t.Errorf("error does not start with the file: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

func TestInt96Micros(t *testing.T) {
	const day = microsPerDay
	for _, tc := range []struct {
		day, nanos int64
		us         int64
		ok         bool
	}{
		{julianDayOfUnixEpoch, 0, 0, true},
		{julianDayOfUnixEpoch, 1000, 1, true},
		{julianDayOfUnixEpoch - 1, 86_399_999_999_000, -1, true},
		{julianDayOfUnixEpoch + 106751991, 14_454_775_807_000, 1<<63 - 1, true}, // the largest int64
		{julianDayOfUnixEpoch + 106751991, 14_454_775_808_000, 0, false},        // one more
		{julianDayOfUnixEpoch - 106751992, 71_945_224_192_000, -1 << 63, true},  // the smallest
		{julianDayOfUnixEpoch - 106751992, 71_945_224_191_000, 0, false},        // one less
		{julianDayOfUnixEpoch + 1, -1000, day - 1, true},                        // a time of day outside the day, still exact
		{julianDayOfUnixEpoch, 1, 0, false},
		{julianDayOfUnixEpoch - 106751993, 158_345_224_191_000, 0, false},       // a time of day past the day: one µs too early
		{julianDayOfUnixEpoch - 106751993, 158_345_224_192_000, -1 << 63, true}, // ... and just in range
		{julianDayOfUnixEpoch + 106751992, -71_945_224_193_000, 1<<63 - 1, true},
		{julianDayOfUnixEpoch + 106751992, -71_945_224_192_000, 0, false},
		{1<<31 - 1, 0, 0, false},
		{-1 << 31, 0, 0, false},
		// Spark's writer overflowing on 290000-12-31T01:00:00+02:00
		// (int96_from_spark.parquet row 6): read back as Spark reads it.
		{-105862232, -32_509_551_616_000, 9089380393200000000, true},
		{-105862232, -32_509_551_615_000, 9089380393200000001, true}, // a µs later
		// Pairs Spark's writer never makes (its time of day has the sign
		// of its wrapped Julian microseconds and is less than a day):
		{-105862232, 1_000, 0, false},
		{-105862232, -86_400_000_000_000, 0, false},
	} {
		v := rawInt96(tc.day, tc.nanos)
		got, err := int96Micros(v[:])
		if (err == nil) != tc.ok || (tc.ok && got != tc.us) {
			t.Errorf("int96Micros(day %d, %d ns) = %d, %v; want %d (ok %v)", tc.day, tc.nanos, got, err, tc.us, tc.ok)
		}
	}
}

// INT96 written by pqarrow itself (timestamp[ns] with the deprecated INT96
// option, with and without the stored Arrow schema) reads as microseconds.
func TestParquetInt96FromPqarrow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ns := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "t", Type: ns, Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, ns), Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[
		{"t": "2009-02-01T00:01:00.000002Z", "m": [{"key": "a", "value": "1970-01-01T00:00:00Z"}]},
		{"t": null, "m": null},
		{"t": "1969-07-20T20:17:40.000001Z", "m": [{"key": "b", "value": "1677-09-22T00:00:00Z"}]}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for _, store := range []bool{false, true} {
		var buf bytes.Buffer
		opts := []pqarrow.WriterOption{pqarrow.WithDeprecatedInt96Timestamps(true)}
		if store {
			opts = append(opts, pqarrow.WithStoreSchema())
		}
		w, err := pqarrow.NewFileWriter(sc, &buf, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(opts...))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		got, rows, err := canonRows(t, p, 10)
		if err != nil {
			t.Fatalf("store schema %v: %v", store, err)
		}
		if g := got.Field(0).Type; !arrow.TypeEqual(g, arrow.FixedWidthTypes.Timestamp_us) {
			t.Errorf("store schema %v: t is %s", store, g)
		}
		checkRows(t, rows, []string{
			`["t:2009-02-01T00:01:00.000002Z",[["s:a","t:1970-01-01T00:00:00Z"]]]`,
			`[null,null]`,
			// Before 1970 arrow-go's writer (like Arrow C++'s) stores a
			// negative time of day: still the exact instant.
			`["t:1969-07-20T20:17:40.000001Z",[["s:b","t:1677-09-22T00:00:00Z"]]]`,
		})
	}
}

// mapSchema: a MAP whose key is optional, as Presto, Trino and Athena
// wrote; legacy: the older form Flink and Hive wrote, MAP_KEY_VALUE on the
// repeated group and only a converted type.
func mapSchema(t *testing.T, legacy bool) *schema.GroupNode {
	opt := parquet.Repetitions.Optional
	fields := schema.FieldList{
		must(schema.NewPrimitiveNodeLogical("key", opt, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
		schema.NewInt32Node("value", opt, -1),
	}
	var m schema.Node
	if legacy {
		kv := must(schema.NewGroupNodeConverted("key_value", parquet.Repetitions.Repeated, fields, schema.ConvertedTypes.MapKeyValue, -1))
		m = must(schema.NewGroupNodeConverted("m", opt, schema.FieldList{kv}, schema.ConvertedTypes.Map, -1))
	} else {
		kv := must(schema.NewGroupNode("key_value", parquet.Repetitions.Repeated, fields, -1))
		m = must(schema.NewGroupNodeLogical("m", opt, schema.FieldList{kv}, schema.MapLogicalType{}, -1))
	}
	return must(schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{m}, -1))
}

func TestParquetOptionalMapKeys(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) { testOptionalMapKeys(t, legacy) })
	}
}

func testOptionalMapKeys(t *testing.T, legacy bool) {
	// Rows: {"a": 1, "b": null}, null, {}, {"c": 3}
	p := writeParquetColumns(t, mapSchema(t, legacy), func(i int, cw file.ColumnChunkWriter) {
		var err error
		reps := []int16{0, 1, 0, 0, 0}
		if i == 0 {
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("a"), parquet.ByteArray("b"), parquet.ByteArray("c")}, []int16{3, 3, 0, 1, 3}, reps)
		} else {
			_, err = cw.(*file.Int32ColumnChunkWriter).WriteBatch([]int32{1, 3}, []int16{3, 2, 0, 1, 3}, reps)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	// arrow-go alone refuses the file.
	fh := must(os.Open(p))
	defer fh.Close()
	pf := must(file.NewParquetReader(fh))
	defer pf.Close()
	if _, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator); err == nil || !strings.Contains(err.Error(), "MAP keys must be required") {
		t.Errorf("arrow-go reads the file (%v): this test no longer tests anything", err)
	}
	sc, rows, err := canonRows(t, p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.Field(0).Type, arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32); !arrow.TypeEqual(got, want) {
		t.Errorf("type %s, want %s", got, want)
	}
	checkRows(t, rows, []string{`[[["s:a","n:1"],["s:b",null]]]`, `[null]`, `[[]]`, `[[["s:c","n:3"]]]`})
}

// A MAP of keys only (no value field) with optional keys reads as
// arrow-go reads one with required keys: a list of the keys.
func TestParquetOptionalMapKeysWithoutValues(t *testing.T) {
	opt := parquet.Repetitions.Optional
	root := must(schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
		must(schema.NewGroupNodeLogical("m", opt, schema.FieldList{
			must(schema.NewGroupNode("key_value", parquet.Repetitions.Repeated, schema.FieldList{
				must(schema.NewPrimitiveNodeLogical("key", opt, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
			}, -1)),
		}, schema.MapLogicalType{}, -1)),
	}, -1))
	for _, tc := range []struct {
		name string
		vals []parquet.ByteArray
		defs []int16
		reps []int16
		rows []string
		err  string
	}{
		{"keys", []parquet.ByteArray{[]byte("a"), []byte("b")}, []int16{3, 3, 0, 1}, []int16{0, 1, 0, 0},
			[]string{`[["s:a","s:b"]]`, `[null]`, `[[]]`}, ""},
		{"a null key", []parquet.ByteArray{[]byte("a")}, []int16{3, 1, 2}, []int16{0, 0, 1}, nil, "row 2, column m: a null MAP key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeParquetColumns(t, root, func(i int, cw file.ColumnChunkWriter) {
				if _, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(tc.vals, tc.defs, tc.reps); err != nil {
					t.Fatal(err)
				}
			})
			sc, rows, err := canonRows(t, p, 10)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), p+": "+tc.err) {
					t.Errorf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sc.Field(0).Type, arrow.ListOfField(arrow.Field{Name: "key", Type: arrow.BinaryTypes.String}); !arrow.TypeEqual(got, want) {
				t.Errorf("type %s, want %s", got, want)
			}
			checkRows(t, rows, tc.rows)
		})
	}
}

func TestParquetOptionalMapKeyNullIsRefused(t *testing.T) {
	// Rows: {"a": 1}, {"b": 2, null: 3}
	p := writeParquetColumns(t, mapSchema(t, false), func(i int, cw file.ColumnChunkWriter) {
		var err error
		reps := []int16{0, 0, 1}
		if i == 0 {
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("a"), parquet.ByteArray("b")}, []int16{3, 3, 2}, reps)
		} else {
			_, err = cw.(*file.Int32ColumnChunkWriter).WriteBatch([]int32{1, 2, 3}, []int16{3, 3, 3}, reps)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	_, _, err := canonRows(t, p, 1000)
	if err == nil || !strings.HasPrefix(err.Error(), p+": row 2, column m: a null MAP key") {
		t.Errorf("err = %v, want one naming the file, row 2 and column m", err)
	}
}

// rewriteFooter returns the Parquet file data with edit applied to the
// fields of each schema element.
func rewriteFooter(t *testing.T, data []byte, edit func(name string, fs []tfield) []tfield) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footer := data[len(data)-8-n : len(data)-8]
	top, err := thriftStruct(footer)
	if err != nil {
		t.Fatal(err)
	}
	for i := range top {
		if top[i].id != fmdSchema {
			continue
		}
		els, err := thriftList(top[i].raw, tcStruct)
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range els {
			fs, err := thriftStruct(e)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := findField(fs, 4)
			els[j] = appendStruct(nil, edit(string(name.raw[1:]), fs))
		}
		top[i].raw = appendList(nil, tcStruct, els)
	}
	nf := appendStruct(nil, top)
	out := append(append([]byte(nil), data[:len(data)-8-n]...), nf...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nf)))
	return append(out, "PAR1"...)
}

func replaceField(fs []tfield, f tfield) []tfield {
	for i := range fs {
		if fs[i].id == f.id {
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

func TestParquetUnknownLogicalTypes(t *testing.T) {
	opt := parquet.Repetitions.Optional
	root := must(schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
		must(schema.NewPrimitiveNodeLogical("u1", opt, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
		must(schema.NewPrimitiveNodeLogical("u2", opt, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
		must(schema.NewPrimitiveNodeLogical("ts", opt, schema.NewTimestampLogicalType(true, schema.TimeUnitMicros), parquet.Types.Int64, -1, -1)),
	}, -1))
	p := writeParquetColumns(t, root, func(i int, cw file.ColumnChunkWriter) {
		var err error
		if i < 2 {
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("x")}, []int16{1, 0}, nil)
		} else {
			_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch([]int64{42}, []int16{1, 0}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	data := must(os.ReadFile(p))
	// A union member no reader knows yet: {40: {}}.
	unknown := tfield{id: seLogicalType, typ: tcStruct, raw: appendStruct(nil, []tfield{{id: 40, typ: tcStruct, raw: []byte{tcStop}}})}
	// TIMESTAMP(isAdjustedToUTC, unit {7: {}}): a time unit no reader knows.
	tsUnknownUnit := tfield{id: seLogicalType, typ: tcStruct, raw: appendStruct(nil, []tfield{{id: ltTimestamp, typ: tcStruct,
		raw: appendStruct(nil, []tfield{{id: 1, typ: tcTrue}, {id: 2, typ: tcStruct, raw: appendStruct(nil, []tfield{{id: 7, typ: tcStruct, raw: []byte{tcStop}}})}})}})}
	data = rewriteFooter(t, data, func(name string, fs []tfield) []tfield {
		switch name {
		case "u1": // only the unknown logical type: reads as its physical type
			fs = replaceField(fs, unknown)
			var out []tfield
			for _, f := range fs {
				if f.id != seConvertedType {
					out = append(out, f)
				}
			}
			return out
		case "u2": // the unknown logical type with the converted type UTF8 beside it, for older readers
			return replaceField(fs, unknown)
		case "ts":
			var out []tfield
			for _, f := range replaceField(fs, tsUnknownUnit) {
				if f.id != seConvertedType {
					out = append(out, f)
				}
			}
			return out
		}
		return fs
	})
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// arrow-go alone panics on each of these.
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("arrow-go reads the rewritten file without a panic: this test no longer tests anything")
			}
		}()
		fh := must(os.Open(p))
		defer fh.Close()
		if pf, err := file.NewParquetReader(fh); err == nil {
			pf.Close()
		}
	}()
	sc, rows, err := canonRows(t, p, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := arrow.NewSchema([]arrow.Field{
		{Name: "u1", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "u2", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	if !sc.Equal(want) {
		t.Errorf("schema\n%s\nwant\n%s", sc, want)
	}
	checkRows(t, rows, []string{`["b:78","s:x","n:42"]`, `[null,null,null]`})
}

// The corpus files this fixes, value by value (DuckDB reads the same:
// TestConformanceDuckDB; int96_from_spark's values are those its README
// states, as microseconds since the epoch).
func TestParquetCompatCorpus(t *testing.T) {
	dir := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "data")
	_, rows, err := canonRows(t, filepath.Join(dir, "unknown-logical-type.parquet"), 100)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, []string{
		`["s:known string 1","b:756e6b6e6f776e20737472696e672031"]`,
		`["s:known string 2","b:756e6b6e6f776e20737472696e672032"]`,
		`["s:known string 3","b:756e6b6e6f776e20737472696e672033"]`,
	})
	_, rows, err = canonRows(t, filepath.Join(dir, "incorrect_map_schema.parquet"), 100)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, []string{`[[["s:parent","s:another"],["s:name","s:report"]]]`})

	// Rows 1-6 are the README's values, as microseconds since the epoch;
	// row 6 (290000-12-31) is Spark's overflowed encoding (Julian day
	// -105862232, a negative time of day), read back as Spark reads it.
	p := filepath.Join(dir, "int96_from_spark.parquet")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := Open(context.Background(), mem, []string{p}, ReadOptions{Format: Parquet, BatchSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	want := []int64{1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, 0, 9089380393200000000}
	i := 0
	for r.Next() {
		ts := r.RecordBatch().Column(0).(*array.Timestamp)
		for j := 0; j < ts.Len(); j, i = j+1, i+1 {
			switch {
			case i >= len(want):
				t.Fatalf("more than %d rows", len(want))
			case i == 4:
				if !ts.IsNull(j) {
					t.Errorf("row 5 is %d, want null", ts.Value(j))
				}
			case ts.IsNull(j) || int64(ts.Value(j)) != want[i]:
				t.Errorf("row %d is %d µs, want %d", i+1, ts.Value(j), want[i])
			}
		}
	}
	if err := r.Err(); err != nil || i != len(want) {
		t.Errorf("%d rows, err = %v", i, err)
	}
}

// Every corpus footer the walker rewrites reads with arrow-go and needs no
// second rewrite; every other footer is left alone, and re-encoding the
// fields of any footer arrow-go reads gives a footer it reads the same.
func TestParquetFooterWalkerOnCorpus(t *testing.T) {
	root := sharedDir(t, "fixtures/conformance")
	rewritten := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		fh, err := os.Open(path)
		if err != nil {
			return err
		}
		defer fh.Close()
		footer, _ := parquetFooter(fh)
		if footer == nil {
			return nil
		}
		if patched, c := compatFooter(footer); c != nil {
			rewritten++
			if again, c2 := compatFooter(patched); c2 != nil || again != nil {
				t.Errorf("%s: the rewritten footer needs another rewrite", path)
			}
			if _, err := metadata.NewFileMetaData(patched, nil); err != nil {
				t.Errorf("%s: the rewritten footer does not read: %v", path, err)
			}
		}
		orig, err := safeFileMetaData(footer)
		if err != nil {
			return nil
		}
		n, err := thriftPrefix(footer)
		if err != nil {
			t.Errorf("%s: arrow-go reads the footer, the walker does not: %v", path, err)
			return nil
		}
		fs, err := thriftStruct(footer[:n])
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		again, err := safeFileMetaData(appendStruct(nil, fs))
		if err != nil {
			t.Errorf("%s: the re-encoded footer does not read: %v", path, err)
			return nil
		}
		if orig.Schema.String() != again.Schema.String() || orig.NumRows != again.NumRows || orig.NumRowGroups() != again.NumRowGroups() {
			t.Errorf("%s: the re-encoded footer reads differently", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// alltypes_* (4 INT96 files), int96_from_spark, unknown-logical-type, incorrect_map_schema.
	if rewritten < 7 {
		t.Errorf("only %d corpus footers rewritten", rewritten)
	}
}

func safeFileMetaData(b []byte) (md *metadata.FileMetaData, err error) {
	defer func() {
		if r := recover(); r != nil {
			md, err = nil, errThrift
		}
	}()
	return metadata.NewFileMetaData(b, nil)
}

func TestThriftWalkerBounds(t *testing.T) {
	// Deep nesting: lists of lists, structs in structs.
	for _, unit := range [][]byte{{0x19}, {0x1c}} {
		deep := bytes.Repeat(unit, 100000)
		if _, err := thriftPrefix(append([]byte{0x19}, deep...)); err == nil {
			t.Errorf("% x...: nested 100000 deep, read", unit)
		}
	}
	// Counts and lengths beyond the input.
	for _, b := range [][]byte{
		{0x19, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x0f},                               // list of 2^32-1 binaries
		{0x18, 0xff, 0xff, 0xff, 0xff, 0x07},                                     // binary of 2^31-1 bytes
		{0x1b, 0xff, 0xff, 0xff, 0x7f, 0x55},                                     // map of 2^28-1 entries
		{0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // varint of 11 bytes
		{0x1c},       // struct without its end
		{0x05, 0x00}, // a long-form field id missing
	} {
		if _, err := thriftPrefix(b); err == nil {
			t.Errorf("% x: read", b)
		}
	}
	if _, err := thriftPrefix([]byte{0x15, 0x02, 0x00}); err != nil {
		t.Errorf("a valid struct: %v", err)
	}
}

// FuzzParquetFooter feeds the footer walker arbitrary bytes (seeded with
// the footers of the corpus): it must not panic, and a rewrite it makes
// must be one it would not make again.
func FuzzParquetFooter(f *testing.F) {
	f.Add([]byte{0x15, 0x02, 0x00})
	f.Add(appendStruct(nil, []tfield{{id: fmdSchema, typ: tcList, raw: appendList(nil, tcStruct, [][]byte{
		appendStruct(nil, []tfield{i32Field(seNumChildren, 1)}),
		appendStruct(nil, []tfield{i32Field(seType, ptInt96), {id: seLogicalType, typ: tcStruct, raw: []byte{0x00}}}),
	})}}))
	// The footers of parquet-testing (without -fuzz, TestParquetFooterWalkerOnCorpus walks them).
	if dir, ok := sharedtest.Lookup("fixtures/conformance"); ok {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
				return err
			}
			if fh, err := os.Open(p); err == nil {
				if footer, _ := parquetFooter(fh); footer != nil && len(footer) < 64<<10 {
					f.Add(footer)
				}
				fh.Close()
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, footer []byte) {
		patched, c := compatFooter(footer)
		if c == nil {
			return
		}
		if _, err := thriftPrefix(patched); err != nil {
			t.Fatalf("the rewrite is not Thrift: %v", err)
		}
		if again, c2 := compatFooter(patched); c2 != nil || again != nil {
			t.Fatal("the rewritten footer needs another rewrite")
		}
	})
}

// A page over the cap is refused naming the file, the column and the
// limit (arrow-go's error names neither the column nor the reason).
func TestParquetPageCapNamesColumn(t *testing.T) {
	p := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "data", "large_string_map.brotli.parquet")
	_, _, err := canonRows(t, p, 100)
	want := p + ": row 1, column arr.key_value.key: parquet: uncompressed page size 1073741828 exceeds configured limit 268435456: pages are read up to 256 MiB"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant %s...", err, want)
	}
}

// BenchmarkCompatFooter is the cost the footer check adds to opening a
// Parquet file that needs no rewrite (100 columns × 100 row groups), next to
// arrow-go's own parse of the same footer.
func BenchmarkCompatFooter(b *testing.B) {
	fs := make([]arrow.Field, 100)
	for i := range fs {
		fs[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	}
	sc := arrow.NewSchema(fs, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer bld.Release()
	for _, f := range bld.Fields() {
		f.(*array.Int64Builder).Append(1)
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(sc, &buf, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1)), pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footer := data[len(data)-8-n : len(data)-8]
	b.Run("compatFooter", func(b *testing.B) {
		b.SetBytes(int64(len(footer)))
		for i := 0; i < b.N; i++ {
			if _, c := compatFooter(footer); c != nil {
				b.Fatal("rewritten")
			}
		}
	})
	b.Run("arrow-go", func(b *testing.B) {
		b.SetBytes(int64(len(footer)))
		for i := 0; i < b.N; i++ {
			if _, err := metadata.NewFileMetaData(footer, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A footer that repeats a field id (here FileMetaData.schema, once as the
// list and once as an i64) is left to arrow-go as it is: rewriting one
// occurrence produced a footer that was not Thrift (found by
// FuzzParquetFooter; testdata/fuzz/FuzzParquetFooter/5cce0d32423df95f).
func TestCompatFooterLeavesRepeatedFieldIDs(t *testing.T) {
	if _, err := thriftStruct([]byte{0x15, 0x02, 0x05, 0x02, 0x04, 0x00}); err == nil {
		t.Fatal("a struct with field 1 twice parsed")
	}
	footer := []byte("\x150\x19\xccH\x06000000\x15\x16\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00C0l\x00\x00\x06\x040\x00")
	if out, c := compatFooter(footer); out != nil || c != nil {
		t.Fatalf("rewrote a footer with a repeated field id: % x", out)
	}
	// The same footer without the second schema field is rewritten (its
	// last element's empty logical type is unknown to arrow-go).
	once := append(append([]byte{}, footer[:len(footer)-4]...), 0x00)
	if out, c := compatFooter(once); out == nil || c == nil {
		t.Fatal("the footer with one schema field was not rewritten")
	}
}
