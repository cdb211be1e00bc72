package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/cache"
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
	w, err := newArtifactWriter(context.Background(), s, mem, genSchema, chunk)
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
	rd, err := openArtifact(context.Background(), s, mem, want.Digest)
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
	w, err := newArtifactWriter(context.Background(), s, mem, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil), 4)
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

func TestOpenArtifactCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*testing.T, string)
		miss  bool // getManifest already misses (size differs)
	}{
		{"flipped byte", flipByte, false},
		{"truncated", truncate, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, chainRecipe)
			pl := p.mustBuild(1)
			n := pl.Node("gen.a")
			path, _ := p.store.Path(n.Manifest.Blob)
			tc.spoil(t, path)
			if _, ok := getManifest(context.Background(), p.store, n.Key); ok == tc.miss {
				t.Errorf("getManifest hit = %v, want %v", ok, !tc.miss)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rd, err := openArtifact(context.Background(), p.store, mem, n.Manifest.Blob)
			if err == nil {
				for rd.Next() {
				}
				err = rd.Err()
				rd.Release()
			}
			if !errors.Is(err, cache.ErrCorrupt) {
				t.Errorf("reading a spoiled artifact: err = %v, want one wrapping cache.ErrCorrupt", err)
			}
			if p.store.Has(n.Manifest.Blob, -1) {
				t.Errorf("the corrupt blob is still in the store")
			}
		})
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
