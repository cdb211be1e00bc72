package arrowio

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

func sharedDir(tb testing.TB, sub string) string { return sharedtest.Dir(tb, sub) }

type memoryChecked = memory.CheckedAllocator

func newMem(t testing.TB) *memory.CheckedAllocator {
	return memory.NewCheckedAllocator(memory.NewGoAllocator())
}

// readAll opens paths and returns every batch (retained) and the schema.
func readAll(t *testing.T, mem memory.Allocator, paths []string, opts ReadOptions) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := Open(context.Background(), mem, paths, opts)
	if err != nil {
		t.Fatalf("Open(%v) = %v", paths, err)
	}
	defer r.Release()
	var recs []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		releaseAll(recs)
		t.Fatalf("reading %v: %v", paths, err)
	}
	return r.Schema(), recs
}

func countRows(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// column concatenates column name of recs (the caller releases it).
func column(t *testing.T, mem memory.Allocator, recs []arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	var parts []arrow.Array
	for _, r := range recs {
		idx := r.Schema().FieldIndices(name)
		if len(idx) == 0 {
			t.Fatalf("no column %q in %s", name, r.Schema())
		}
		parts = append(parts, r.Column(idx[0]))
	}
	if len(parts) == 0 {
		t.Fatalf("no batches")
	}
	c, err := array.Concatenate(parts, mem)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
