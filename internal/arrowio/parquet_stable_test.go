package arrowio

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// Every Parquet codec round-trips to the same logical content.
func TestParquetCompressionsRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < 5000; i++ {
		if i%17 == 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("row %d", i))
		}
		b.Field(1).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	src := mustReader(t, schema, rec)
	want, _, err := LogicalDigest(src)
	src.Release()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, c := range ParquetCompressions {
		path := filepath.Join(t.TempDir(), "x.parquet")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewWriterWithOptions(f, Parquet, schema, mem, WriteOptions{Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		fi, _ := os.Stat(path)
		sizes[c] = int(fi.Size())
		rd, err := Open(context.Background(), mem, []string{path}, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := LogicalDigest(rd)
		rd.Release()
		if err != nil || got != want {
			t.Errorf("%s: logical digest %s, %v; want %s", c, got, err, want)
		}
	}
	if sizes["none"] <= sizes["snappy"] || sizes["none"] <= sizes["zstd"] {
		t.Errorf("compressed sizes %v: codecs had no effect", sizes)
	}
	if _, err := NewWriterWithOptions(io.Discard, Parquet, schema, mem, WriteOptions{Compression: "lzma"}); err == nil {
		t.Errorf("unknown compression accepted")
	}
}

func mustReader(t *testing.T, schema *arrow.Schema, rec arrow.RecordBatch) array.RecordReader {
	rd, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	return rd
}
