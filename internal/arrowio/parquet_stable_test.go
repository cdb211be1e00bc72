package arrowio

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A column whose values start repetitive and then turn unique makes a
// dictionary writer fall back to plain pages mid-chunk. The file must still
// come out byte for byte the same every time it is written.
func TestParquetBytesStableUnderDictionaryFallback(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const n = 60000
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("repeated-%d", i%3)
		if i > n/4 {
			v = fmt.Sprintf("unique-value-number-%08d-%x", i, i*7919)
		}
		b.Field(0).(*array.StringBuilder).Append(v)
		b.Field(1).(*array.StringBuilder).Append("x" + v)
		b.Field(2).(*array.Int64Builder).Append(int64(i * 31))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	var first []byte
	for run := 0; run < 24; run++ {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, Parquet, schema, mem)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("write %d differs from the first (%d vs %d bytes)", run, buf.Len(), len(first))
		}
	}
}
