package arrowio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// rebatch returns the rows of recs cut into batches of size rows (sliced,
// so most batches have a non-zero offset).
func rebatch(t testing.TB, mem memory.Allocator, recs []arrow.RecordBatch, size int64) []arrow.RecordBatch {
	t.Helper()
	tbl := array.NewTableFromRecords(recs[0].Schema(), recs)
	defer tbl.Release()
	tr := array.NewTableReader(tbl, size)
	defer tr.Release()
	var out []arrow.RecordBatch
	for tr.Next() {
		r := tr.RecordBatch()
		r.Retain()
		out = append(out, r)
	}
	return out
}

func writeAll(t *testing.T, mem memory.Allocator, format Format, recs []arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, format, recs[0].Schema(), mem)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	src := []string{"testdata/small.jsonl"}
	sc, recs := readAll(t, mem, src, ReadOptions{})
	defer releaseAll(recs)
	want := digestOf(t, mem, recs)
	for _, f := range []Format{Parquet, Arrow, JSONL, CSV} {
		t.Run(string(f), func(t *testing.T) {
			if f == CSV {
				t.Skip("covered by TestWriterCSV: CSV flattens types to text")
			}
			data := writeAll(t, mem, f, recs)
			p := filepath.Join(t.TempDir(), "out."+string(f))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			opts := ReadOptions{}
			if f == JSONL {
				opts.Schema = sc // 2.0 is written as 2, which alone would infer int64
			}
			_, back := readAll(t, mem, []string{p}, opts)
			defer releaseAll(back)
			if got := digestOf(t, mem, back); got != want {
				a, _ := array.NewRecordReader(sc, recs)
				b, _ := array.NewRecordReader(sc, back)
				diff, _ := FirstDifference(a, b)
				a.Release()
				b.Release()
				t.Errorf("round trip through %s changed the table: %s", f, diff)
			}
		})
	}
}

func TestWriterCSV(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	_, recs := readAll(t, mem, []string{"testdata/small.jsonl"}, ReadOptions{})
	defer releaseAll(recs)
	got := string(writeAll(t, mem, CSV, recs))
	want := `id,name,score,tags,meta,turns
1,a,1.5,"[""x"",""y""]","{""k"":""5"",""extra"":null}",
2,,2,[],"{""k"":""6"",""extra"":true}",
3,,,,,"[{""text"":""hi"",""speaker"":""usr"",""strategy"":null},{""text"":""yo"",""speaker"":""sys"",""strategy"":""Question""}]"
`
	if got != want {
		t.Errorf("CSV =\n%s\nwant\n%s", got, want)
	}
	// And CSV reads back what it wrote, as text.
	p := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
		t.Fatal(err)
	}
	_, back := readAll(t, mem, []string{p}, ReadOptions{})
	defer releaseAll(back)
	if n := countRows(back); n != 3 {
		t.Errorf("CSV read back %d rows, want 3", n)
	}
}

func TestWriterJSONL(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	_, recs := readAll(t, mem, []string{"testdata/array.json"}, ReadOptions{})
	defer releaseAll(recs)
	got := string(writeAll(t, mem, JSONL, recs))
	want := `{"role":"client","content":"你好","annotation":[{"sentence":"你好","label":""}]}
{"role":"counselor","content":"hi\n","annotation":[]}
`
	if got != want {
		t.Errorf("JSONL =\n%s\nwant\n%s", got, want)
	}
}

// TestParquetByteStable: the Parquet bytes depend on the rows only, not on
// how they were batched, also when row groups are cut mid-batch.
func TestParquetByteStable(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	zoo := filepath.Join(sharedDir(t, "fixtures/reference"), "zoo.arrow")
	// Every column of the zoo, including vec: fixed_size_list<float32>[8]
	// with null entries, which the writer refused before (issue 8, item 14).
	sc, recs := readAll(t, mem, []string{zoo}, ReadOptions{})
	defer releaseAll(recs)
	// Row groups of 300 rows, so that groups are cut inside batches; the
	// default (64Ki) is exercised by TestWriterRoundTrip.
	var first []byte
	for _, size := range []int64{4096, 7, 1} {
		batches := rebatch(t, mem, recs, size)
		var buf bytes.Buffer
		w, err := newParquetWriter(&buf, sc, mem, 300, parquet.WithCompression(compress.Codecs.Zstd))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batches {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		releaseAll(batches)
		data := buf.Bytes()
		if first == nil {
			first = data
			if !bytes.Contains(data, []byte(ParquetCreatedBy)) {
				t.Errorf("created_by %q not in the file", ParquetCreatedBy)
			}
			continue
		}
		if !bytes.Equal(first, data) {
			t.Errorf("batch size %d: %d bytes differ from batch size 4096 (%d bytes)", size, len(data), len(first))
		}
	}
	p := filepath.Join(t.TempDir(), "zoo.parquet")
	if err := os.WriteFile(p, first, 0o644); err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := pf.NumRowGroups(); n != 4 {
		t.Errorf("%d row groups, want 4 (1000 rows by 300)", n)
	}
	pf.Close()
	r, err := Open(context.Background(), mem, []string{p}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	got, rows, err := LogicalDigest(r)
	if err != nil || rows != 1000 {
		t.Errorf("read back %d rows, %v; want 1000", rows, err)
	}
	if want := digestOf(t, mem, recs); got.String() != want {
		t.Errorf("Parquet round trip digest %s, want %s", got, want)
	}
}
