package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// referenceFixtures are the files pyarrow wrote (../shared/fixtures/reference):
// every Arrow type of the zoo, in every container and codec, and ESConv's
// nested structs and lists.
var referenceFixtures = []string{
	"zoo.arrow", "zoo.arrows", "zoo.lz4.feather", "zoo.zstd.feather",
	"zoo.none.parquet", "zoo.snappy.parquet", "zoo.gzip.parquet", "zoo.zstd.parquet",
	"esconv_test.pyarrow.arrow", "esconv_test.pyarrow.zstd.parquet",
	"embeddings_500x64.parquet", "projections_reference.f64.parquet",
}

// storeFixture reads a fixture in batches of batch rows into a stored
// artifact, then writes the artifact out as an Arrow IPC file and as Parquet,
// as the fetch and output ops do.
func storeFixture(t *testing.T, mem memory.Allocator, path string, batch int) (blob, logical, arrowFile, parquetFile string) {
	t.Helper()
	s := newTestStore(t)
	rd, err := arrowio.Open(context.Background(), mem, []string{path}, arrowio.ReadOptions{BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(context.Background(), s, mem, rd.Schema(), Rows, ops.NewBudget(8))
	if err != nil {
		t.Fatal(err)
	}
	for rd.Next() {
		if err := w.Write(rd.RecordBatch()); err != nil {
			t.Fatal(err)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	rd.Release()
	desc, lg, _, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	write := func(f arrowio.Format) string {
		art, err := Open(context.Background(), s, mem, desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		defer art.Release()
		var opts arrowio.WriteOptions
		if f == arrowio.Arrow {
			// As the output op does: an IPC file gets one dictionary per column.
			pre, err := Open(context.Background(), s, mem, desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			defer pre.Release()
			opts.Prepass = pre
		}
		var buf bytes.Buffer
		ow, err := arrowio.NewWriterWithOptions(&buf, f, art.Schema(), mem, opts)
		if err != nil {
			t.Fatal(err)
		}
		for art.Next() {
			if err := ow.Write(art.RecordBatch()); err != nil {
				t.Fatal(err)
			}
		}
		if err := art.Err(); err != nil {
			t.Fatal(err)
		}
		if err := ow.Close(); err != nil {
			t.Fatalf("%s writer: %v", f, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		return hex.EncodeToString(sum[:])
	}
	return string(desc.Digest), string(lg), write(arrowio.Arrow), write(arrowio.Parquet)
}

// Issue 8, item 4: --batch-size changed the bytes of stored blobs and .arrow
// outputs (Parquet's boolean decoder leaves other bits under nulls at each
// batch size). Blob, .arrow and .parquet output bytes and the logical digest
// must be the same at every batch size, for every type of the reference files.
func TestBatchSizeChangesNoByteOfReferenceFixtures(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	for _, name := range referenceFixtures {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			path := filepath.Join(dir, name)
			var want [4]string
			for i, batch := range []int{1, 7, 1000, 65536} {
				b, l, a, p := storeFixture(t, mem, path, batch)
				got := [4]string{b, l, a, p}
				if i == 0 {
					want = got
					continue
				}
				for k, what := range []string{"blob", "logical digest", ".arrow output", ".parquet output"} {
					if got[k] != want[k] {
						t.Errorf("batch size %d: %s %s, with batch size 1 %s", batch, what, got[k], want[k])
					}
				}
			}
		})
	}
}

// The same values from different producers (pyarrow's IPC writer leaves the
// members of a null struct valid, Parquet cannot) are stored as the same
// bytes within each container family, and with one logical digest.
func TestReferenceContainersStoreOneLayout(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	blobs := map[string]string{}
	logical := map[string]bool{}
	for _, name := range []string{"zoo.arrow", "zoo.arrows", "zoo.lz4.feather", "zoo.zstd.feather", "zoo.none.parquet", "zoo.snappy.parquet", "zoo.gzip.parquet", "zoo.zstd.parquet"} {
		b, l, a, _ := storeFixture(t, mem, filepath.Join(dir, name), 1000)
		blobs[filepath.Ext(name)] = b
		logical[l] = true
		// The .arrow output of an IPC and a Parquet input differ only in
		// the schema's child names (list "item"/"element", map
		// "entries"/"key_value"); within a family they are one file.
		key := "ipc"
		if filepath.Ext(name) == ".parquet" {
			key = "parquet"
		}
		if prev, ok := blobs[key]; ok && prev != a {
			t.Errorf("%s: .arrow output %s, other %s inputs gave %s", name, a, key, prev)
		}
		blobs[key] = a
	}
	if len(logical) != 1 {
		t.Errorf("the zoo in 8 files has %d logical digests, want 1", len(logical))
	}
}

// Gathering writes flat columns in the canonical layout directly, so that
// canonicalizing a stored batch copies nothing for them (the 10M-row filter
// of bench/filter is all flat columns).
func TestGatherWritesFlatColumnsCanonical(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rd, err := arrowio.Open(context.Background(), mem, []string{filepath.Join(dir, "zoo.snappy.parquet")}, arrowio.ReadOptions{BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var parts []expr.Part
	for rd.Next() {
		rec := rd.RecordBatch()
		rec.Retain()
		parts = append(parts, expr.Part{Rec: rec, Sel: expr.SelectAll(int(rec.NumRows()))})
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	g, err := expr.GatherInto(context.Background(), mem, mem, rd.Schema(), parts)
	releaseParts(parts)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	for i, f := range g.Schema().Fields() {
		switch f.Type.ID() {
		case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.STRUCT, arrow.MAP, arrow.DICTIONARY:
			continue
		}
		c, err := arrowio.CanonicalArray(mem, g.Column(i))
		if err != nil {
			t.Fatal(err)
		}
		if c.Data() != g.Column(i).Data() {
			t.Errorf("column %s (%s): gathered layout is not canonical", f.Name, f.Type)
		}
		c.Release()
	}
}

// Issue 8, item 17: metadata at any level of an op's schema never reaches
// a stored artifact.
func TestArtifactsHoldNoMetadata(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md := arrow.NewMetadata([]string{"host"}, []string{"secret-host"})
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "st", Nullable: true, Metadata: md, Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Metadata: md})},
		{Name: "l", Nullable: true, Type: arrow.ListOfField(arrow.Field{Name: "item", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md})},
	}, &md)
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[{"st": {"x": 1}, "l": ["a"]}, {"st": null, "l": null}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	s := newTestStore(t)
	w, err := NewWriter(context.Background(), s, mem, sc, Rows, ops.NewBudget(8))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	desc, _, _, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	blob, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("secret-host")) {
		t.Errorf("the stored artifact holds the op's metadata")
	}
}

// A dictionary column spanning several stored batches: readers build a
// column's dictionary from what they have read so far, so it changed with
// the batch size; stored batches hold exactly their values, and an IPC file
// output one dictionary for the whole column.
func TestBatchSizeChangesNoByteOfDictionaries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	sc := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt, Nullable: true}}, nil)
	path := filepath.Join(t.TempDir(), "d.parquet")
	var file bytes.Buffer
	w, err := arrowio.NewWriter(&file, arrowio.Parquet, sc, mem)
	if err != nil {
		t.Fatal(err)
	}
	const rows, step = 3 * Rows / 2, 10000
	for off := 0; off < rows; off += step {
		b := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
		for i := off; i < min(off+step, rows); i++ {
			if i%17 == 0 {
				b.AppendNull()
				continue
			}
			if err := b.AppendString(fmt.Sprintf("v%d", (i*7919)%(1+i/1000))); err != nil {
				t.Fatal(err)
			}
		}
		a := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(sc, []arrow.Array{a}, int64(a.Len()))
		a.Release()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var want [4]string
	for i, batch := range []int{7, 1000, 100000} {
		b, l, a, p := storeFixture(t, mem, path, batch)
		got := [4]string{b, l, a, p}
		if i == 0 {
			want = got
			continue
		}
		for k, what := range []string{"blob", "logical digest", ".arrow output", ".parquet output"} {
			if got[k] != want[k] {
				t.Errorf("batch size %d: %s %s, with batch size 7 %s", batch, what, got[k], want[k])
			}
		}
	}
}
