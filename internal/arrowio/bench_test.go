package arrowio

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func BenchmarkReadJSONL(b *testing.B) {
	p := filepath.Join(sharedDir(b, "data"), "esconv", "hf_splits", "train.json")
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	mem := memory.NewGoAllocator()
	for b.Loop() {
		r, err := Open(context.Background(), mem, []string{p}, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows := int64(0)
		for r.Next() {
			rows += r.RecordBatch().NumRows()
		}
		if r.Err() != nil || rows != 910 {
			b.Fatalf("rows %d, err %v", rows, r.Err())
		}
		r.Release()
	}
}

func BenchmarkLogicalHasher(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1 << 20
	ib := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	var size int64
	for i := 0; i < n; i++ {
		ib.Append(int64(i) * 7919)
		s := "row " + strconv.Itoa(i)
		sb.Append(s)
		size += 8 + int64(len(s))
	}
	ia, sa := ib.NewArray(), sb.NewArray()
	sc := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{ia, sa}, n)
	defer rec.Release()
	var batches []arrow.RecordBatch
	for off := int64(0); off < n; off += DefaultBatchSize {
		batches = append(batches, rec.NewSlice(off, min(off+DefaultBatchSize, n)))
	}
	b.SetBytes(size)
	for b.Loop() {
		h, err := NewLogicalHasher(sc)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range batches {
			if err := h.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		_ = h.Sum()
	}
}
