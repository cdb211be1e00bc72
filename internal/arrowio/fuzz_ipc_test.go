package arrowio

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// fuzzDecode reads data as a file of the given name, then does with every
// batch what a build does (canonical layout, logical digest, IPC, Parquet
// and JSON Lines writers): it must fail with an error or succeed, and never
// panic, since those steps run on goroutines no recover guards.
func fuzzDecode(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// arrow-go's IPC reader leaks a message buffer on some corrupt inputs
	// (garbage collected with the Go allocator); memory is checked only
	// when the input read cleanly.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	clean := false
	defer func() {
		if clean && !arrowGoLeaks(p) {
			mem.AssertSize(t, 0)
		}
	}()
	r, err := Open(context.Background(), mem, []string{p}, ReadOptions{BatchSize: 5})
	if err != nil {
		return
	}
	defer r.Release()
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		return // a type dsbuild does not store; the executor refuses it
	}
	var writers []Writer
	for _, f := range []Format{Arrow, Parquet, JSONL} {
		if w, err := NewWriter(io.Discard, f, r.Schema(), mem); err == nil {
			writers = append(writers, w)
		}
	}
	defer func() {
		for _, w := range writers {
			_ = w.Close()
		}
	}()
	for r.Next() {
		rec := r.RecordBatch()
		c, err := CanonicalBatch(mem, rec)
		if err != nil {
			t.Fatalf("a batch the reader accepted has no canonical layout: %v", err)
		}
		if err := h.Write(c); err != nil {
			t.Fatal(err)
		}
		for _, w := range writers {
			_ = w.Write(c)
		}
		c.Release()
	}
	clean = r.Err() == nil
}

// fuzzSeeds adds the committed seeds of testdata/fuzzseeds matching ext,
// and the reference files pyarrow wrote (../shared, read at fuzz time,
// never copied) whose names end in one of shared.
func fuzzSeeds(f *testing.F, ext string, shared ...string) {
	ents, err := os.ReadDir(filepath.Join("testdata", "fuzzseeds"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			b, err := os.ReadFile(filepath.Join("testdata", "fuzzseeds", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	dir, ok := sharedtest.Lookup("fixtures/reference")
	if !ok {
		return
	}
	for _, name := range shared {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
}

// arrowGoLeaks reports whether p is a Parquet file with DELTA-encoded
// pages, whose arrow-go decoders (v18.8.0) do not return a buffer to the
// allocator (reproduced with pqarrow alone: 64 bytes per column reading
// delta_length_byte_array.parquet; the Go allocator's GC reclaims it).
func arrowGoLeaks(p string) bool {
	if !strings.HasSuffix(p, ".parquet") {
		return false
	}
	fh, err := os.Open(p)
	if err != nil {
		return false
	}
	defer fh.Close()
	pf, _, err := openParquet(fh, nil) // as the reader opens it (a footer arrow-go alone panics on included)
	if err != nil {
		return true // unreadable metadata: the page decoders never ran, but be safe
	}
	defer pf.Close()
	md := pf.MetaData()
	for i := 0; i < md.NumRowGroups(); i++ {
		rg := md.RowGroup(i)
		for j := 0; j < rg.NumColumns(); j++ {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return true
			}
			for _, e := range cc.Encodings() {
				switch e {
				case parquet.Encodings.DeltaBinaryPacked, parquet.Encodings.DeltaByteArray, parquet.Encodings.DeltaLengthByteArray:
					return true
				}
			}
		}
	}
	return false
}

// conformSeeds adds, when fuzzing (-fuzz), the files of the conformance
// corpora (../shared/fixtures/conformance) whose names end in one of exts
// and that are under 64 KiB (small inputs mutate faster; run with -fuzzminimizetime of a few seconds, or minimizing a new input stalls the run): files from every writer of the ecosystem,
// bad_data/ and forward-compatibility/ included. Without -fuzz they are
// not seeds: TestConformance reads each of them already.
func conformSeeds(f *testing.F, exts ...string) {
	if fl := flag.Lookup("test.fuzz"); fl == nil || fl.Value.String() == "" {
		return
	}
	dir, ok := sharedtest.Lookup("fixtures/conformance")
	if !ok {
		return
	}
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, ext := range exts {
			if strings.HasSuffix(p, ext) {
				if fi, err := d.Info(); err == nil && fi.Size() < 64<<10 {
					if b, err := os.ReadFile(p); err == nil {
						f.Add(b)
						n++
					}
				}
			}
		}
		return nil
	})
	if n == 0 {
		f.Fatalf("no conformance seeds under %s", dir)
	}
}

func FuzzReadIPC(f *testing.F) {
	fuzzSeeds(f, ".arrow", "zoo.arrow", "zoo.arrows", "zoo.lz4.feather", "zoo.zstd.feather")
	fuzzSeeds(f, ".arrows")
	conformSeeds(f, ".arrow_file", ".stream", ".arrow")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, "f.arrow", data)
	})
}

func FuzzReadParquet(f *testing.F) {
	fuzzSeeds(f, ".parquet", "zoo.snappy.parquet", "zoo.none.parquet", "zoo.gzip.parquet", "zoo.zstd.parquet")
	conformSeeds(f, ".parquet")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, "f.parquet", data)
	})
}

var writeSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite testdata/fuzzseeds with dsbuild's own writers")

// TestFuzzSeeds writes the committed fuzz seeds (with -write-fuzz-seeds):
// small files of nested types with nulls, written by dsbuild's writers,
// and checks that each reads back as the table it was written from.
func TestFuzzSeeds(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "v", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[
		{"s": "a", "b": true, "l": ["x", null], "v": [1, 2], "st": {"x": 1}, "m": [{"key": "k", "value": 1}], "d": "p"},
		{"s": null, "b": null, "l": null, "v": null, "st": null, "m": null, "d": null},
		{"s": "ü", "b": false, "l": [], "v": [3, null], "st": {"x": null}, "m": [], "d": "q"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	want := digestOf(t, mem, []arrow.RecordBatch{rec})
	for name, f := range map[string]Format{"nested.arrow": Arrow, "nested.arrows": ArrowStream, "nested.parquet": Parquet} {
		data := writeAll(t, mem, f, []arrow.RecordBatch{rec})
		p := filepath.Join("testdata", "fuzzseeds", name)
		if *writeSeeds {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		committed, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run go test -run TestFuzzSeeds -write-fuzz-seeds)", err)
		}
		if !bytes.Equal(committed, data) {
			t.Errorf("%s: the committed seed is not what the writer writes now; rerun with -write-fuzz-seeds", p)
		}
		_, recs := readAll(t, mem, []string{p}, ReadOptions{})
		if got := digestOf(t, mem, recs); got != want {
			t.Errorf("%s reads back as %s, want %s", p, got, want)
		}
		releaseAll(recs)
	}
}
