package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Issue 16, finding 1: a Parquet file whose reader cannot be opened (here
// with a declared schema, so that only the reading step meets it) is a
// failed fetch naming the node and the file, with the reader's error and a
// single colon after the file; never "internal error (panic)".
func TestUnopenableParquetIsAFailedFetch(t *testing.T) {
	recipe := "fetch \"x\" {\n  url = \"../data/broken.parquet\"\n  schema = { a = \"int64\" }\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n"
	p := arrowProject(t, recipe, map[string][]byte{"broken.parquet": []byte("PAR1 not a parquet file at all PAR1")})
	code, out := p.dsbuildProcess(t, "build", p.recipe())
	if code != exitFailed || strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Fatalf("exit %d, want %d without a panic:\n%s", code, exitFailed, out)
	}
	if !strings.Contains(out, "fetch.x") || !strings.Contains(out, "broken.parquet") {
		t.Errorf("the error names neither the node nor the file:\n%s", out)
	}
	if strings.Contains(out, "::") {
		t.Errorf("double colon in the message:\n%s", out)
	}
}

// Issue 16, finding 3: two columns of one name are never silently cut to
// one; the fetch fails naming the user's file (not a store blob) and the
// column, whether the two types agree or not.
func TestDuplicateColumnNamesFailTheFetch(t *testing.T) {
	mem := memory.NewGoAllocator()
	for name, second := range map[string]arrow.DataType{"same.arrow": arrow.PrimitiveTypes.Int64, "other.arrow": arrow.BinaryTypes.String} {
		t.Run(name, func(t *testing.T) {
			sc := arrow.NewSchema([]arrow.Field{{Name: "dup", Type: arrow.PrimitiveTypes.Int64}, {Name: "dup", Type: second}}, nil)
			b := array.NewRecordBuilder(mem, sc)
			defer b.Release()
			b.Field(0).(*array.Int64Builder).Append(1)
			switch fb := b.Field(1).(type) {
			case *array.Int64Builder:
				fb.Append(2)
			case *array.StringBuilder:
				fb.Append("two")
			}
			rec := b.NewRecordBatch()
			defer rec.Release()
			var buf bytes.Buffer
			w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(sc))
			must(t, err)
			must(t, w.Write(rec))
			must(t, w.Close())
			recipe := fmt.Sprintf("fetch \"x\" {\n  url = \"../data/%s\"\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n", name)
			p := arrowProject(t, recipe, map[string][]byte{name: buf.Bytes()})
			code, out := p.dsbuildProcess(t, "build", p.recipe())
			if code != exitFailed || strings.Contains(out, "panic") {
				t.Fatalf("exit %d, want %d:\n%s", code, exitFailed, out)
			}
			if !strings.Contains(out, name) || !strings.Contains(out, "column dup") || strings.Contains(out, "blobs/") {
				t.Errorf("the error does not name the file and the column (or names a blob):\n%s", out)
			}
		})
	}
}
