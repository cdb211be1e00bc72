package artifact

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
)

func TestRechunkerBatchSizes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int64
		chunk int64
		want  []int64
	}{
		{"exact", []int64{8}, 4, []int64{4, 4}},
		{"ragged", []int64{1, 7, 3, 0, 2}, 4, []int64{4, 4, 4, 1}},
		{"one big", []int64{11}, 4, []int64{4, 4, 3}},
		{"small", []int64{1, 1}, 4, []int64{2}},
		{"empty", []int64{0}, 4, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var got []int64
			next := int64(0)
			r := newRechunker(tc.chunk, gatherTo(mem, genSchema, func(rec arrow.RecordBatch) error {
				got = append(got, rec.NumRows())
				ids := rec.Column(0).(*array.Int64)
				for i := 0; i < ids.Len(); i++ {
					if ids.Value(i) != next {
						t.Fatalf("row %d has id %d: rows reordered or lost", next, ids.Value(i))
					}
					next++
				}
				return nil
			}))
			first := int64(0)
			for _, n := range tc.in {
				rec := genBatch(mem, first, n)
				if err := r.Add(rec); err != nil {
					t.Fatal(err)
				}
				rec.Release()
				first += n
			}
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batch sizes (-want +got):\n%s", diff)
			}
		})
	}
}

// writeArtifact stores rows [0, total) emitted in batches of size batch.
func writeArtifact(t *testing.T, s *cache.Store, mem memory.Allocator, total, batch, chunk int64) (cache.Descriptor, string, int64) {
	t.Helper()
	w, err := NewWriter(context.Background(), s, mem, genSchema, chunk, ops.NewBudget(8))
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(0); off < total; off += batch {
		rec := genBatch(mem, off, min(batch, total-off))
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	desc, logical, rows, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return desc, string(logical), rows
}

func TestArtifactBytesIndependentOfBatchSize(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newTestStore(t)
	const total, chunk = 3000, 256
	want, wantLogical, _ := writeArtifact(t, s, mem, total, 4096, chunk)
	for _, batch := range []int64{1, 7, 4096} {
		desc, logical, rows := writeArtifact(t, s, mem, total, batch, chunk)
		if desc != want || logical != wantLogical || rows != total {
			t.Errorf("batches of %d: blob %v, logical %s, rows %d; want %v, %s, %d", batch, desc, logical, rows, want, wantLogical, total)
		}
	}
	// The stored batches are chunk rows each but the last.
	rd, err := Open(context.Background(), s, mem, want.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var sizes []int64
	for rd.Next() {
		sizes = append(sizes, rd.RecordBatch().NumRows())
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		if (i < len(sizes)-1 && n != chunk) || (i == len(sizes)-1 && n != total%chunk) {
			t.Errorf("stored batch sizes %v, want %d each and %d last", sizes, chunk, total%chunk)
			break
		}
	}
	// A different chunk size is a different blob but the same data.
	other, otherLogical, _ := writeArtifact(t, s, mem, total, 7, 100)
	if other.Digest == want.Digest || otherLogical != wantLogical {
		t.Errorf("chunk 100: blob %s (same: %v), logical %s; want another blob, logical %s", other.Digest, other.Digest == want.Digest, otherLogical, wantLogical)
	}
}

func TestArtifactWriterRejectsOtherColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newTestStore(t)
	w, err := NewWriter(context.Background(), s, mem, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil), 4, ops.NewBudget(8))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	rec := genBatch(mem, 0, 3)
	defer rec.Release()
	if err := w.Write(rec); err == nil {
		t.Errorf("Write of a 2-column batch into a 1-column artifact = nil, want an error")
	}
}

func newTestStore(t *testing.T) *cache.Store {
	t.Helper()
	s, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var genSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "val", Type: arrow.BinaryTypes.String},
}, nil)

// genBatch holds ids first..first+n-1 and a string per row, every fifth
// one null.
func genBatch(mem memory.Allocator, first, n int64) arrow.RecordBatch {
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for i := first; i < first+n; i++ {
		ib.Append(i)
		if i%5 == 0 {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("row-%d", i))
		}
	}
	ic, sc := ib.NewArray(), sb.NewArray()
	defer ic.Release()
	defer sc.Release()
	return array.NewRecordBatch(genSchema, []arrow.Array{ic, sc}, n)
}
