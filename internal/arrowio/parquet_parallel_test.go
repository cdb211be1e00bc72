package arrowio

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// The parallel writer writes the bytes pqarrow's FileWriter writes, for
// every flat type, with and without nulls, over several row groups.
func TestParallelParquetMatchesPqarrow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "speaker", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "never", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.LargeString},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8},
	}, nil)
	if !flatSchema(schema) {
		t.Fatal("test schema is not flat")
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const rows = 350
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i * 7919))
		if i%5 == 0 {
			b.Field(1).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(1).(*array.Int32Builder).Append(int32(i % 40))
		}
		b.Field(2).(*array.StringBuilder).Append([]string{"usr", "sys"}[i%2])
		b.Field(3).(*array.StringBuilder).AppendNull()
		b.Field(4).(*array.LargeStringBuilder).Append(fmt.Sprintf("utterance %d %s", i, bytes.Repeat([]byte("x"), i%50)))
		if i%7 == 0 {
			b.Field(5).(*array.BooleanBuilder).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(i%3 == 0)
		}
		b.Field(6).(*array.Float64Builder).Append(float64(i) / 3)
		if i%11 == 0 {
			b.Field(7).(*array.BinaryBuilder).AppendNull()
		} else {
			b.Field(7).(*array.BinaryBuilder).Append([]byte{byte(i), byte(i >> 8)})
		}
		b.Field(8).(*array.Date32Builder).Append(arrow.Date32(19000 + i))
		b.Field(9).(*array.Uint8Builder).Append(uint8(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	write := func(parallel bool, codec compress.Compression, rows int64) []byte {
		t.Helper()
		old := parallelParquetWriter
		parallelParquetWriter = parallel
		defer func() { parallelParquetWriter = old }()
		var buf bytes.Buffer
		w, err := newParquetWriter(&buf, schema, mem, 100, parquet.WithCompression(codec))
		if err != nil {
			t.Fatal(err)
		}
		if (w.pw != nil) != parallel {
			t.Fatalf("parallel=%v: writer took the other path", parallel)
		}
		for off := int64(0); off < rows; off += 64 {
			sl := rec.NewSlice(off, min(off+64, rows))
			err := w.Write(sl)
			sl.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, codec := range []compress.Compression{compress.Codecs.Zstd, compress.Codecs.Snappy, compress.Codecs.Uncompressed} {
		// 350 rows: four row groups, the last one short; 0 rows: no row
		// group at all; 100: exactly one.
		for _, n := range []int64{rows, 0, 100} {
			want, got := write(false, codec, n), write(true, codec, n)
			if !bytes.Equal(got, want) {
				t.Errorf("%s, %d rows: parallel writer wrote %d bytes that differ from pqarrow's %d", codec, n, len(got), len(want))
			}
		}
	}
}
