package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
// one: the fetch succeeds with both, the second read as dup_1, whether the
// two types agree or not, and the build says which column of which file
// (the user's, not a store blob) was renamed. In a glob, each file's
// names are made unique before the files are unified by name.
func TestDuplicateColumnNamesKeptByTheFetch(t *testing.T) {
	mem := memory.NewGoAllocator()
	ipcFile := func(t *testing.T, second arrow.DataType, first int64) []byte {
		sc := arrow.NewSchema([]arrow.Field{{Name: "dup", Type: arrow.PrimitiveTypes.Int64}, {Name: "dup", Type: second}}, nil)
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(first)
		switch fb := b.Field(1).(type) {
		case *array.Int64Builder:
			fb.Append(first + 1)
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
		return buf.Bytes()
	}
	for name, c := range map[string]struct {
		second arrow.DataType
		want   string
	}{
		"same.arrow":  {arrow.PrimitiveTypes.Int64, `{"dup":1,"dup_1":2}` + "\n"},
		"other.arrow": {arrow.BinaryTypes.String, `{"dup":1,"dup_1":"two"}` + "\n"},
	} {
		t.Run(name, func(t *testing.T) {
			recipe := fmt.Sprintf("fetch \"x\" {\n  url = \"../data/%s\"\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n", name)
			p := arrowProject(t, recipe, map[string][]byte{name: ipcFile(t, c.second, 1)})
			code, out := p.dsbuildProcess(t, "build", p.recipe())
			if code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, out)
			}
			got, err := os.ReadFile(filepath.Join(p.dir, "out", "x.jsonl"))
			must(t, err)
			if string(got) != c.want {
				t.Errorf("output %q, want %q", got, c.want)
			}
			if !strings.Contains(out, "fetch.x: ../data/"+name+`: column 2 "dup" is read as "dup_1"`) || strings.Contains(out, "blobs/") {
				t.Errorf("the build does not say which column of %s was renamed (or names a blob):\n%s", name, out)
			}
		})
	}
	t.Run("glob", func(t *testing.T) {
		recipe := "fetch \"x\" {\n  url = \"../data/*.arrow\"\n  file_column = \"file\"\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n"
		p := arrowProject(t, recipe, map[string][]byte{"a.arrow": ipcFile(t, arrow.PrimitiveTypes.Int64, 1), "b.arrow": ipcFile(t, arrow.PrimitiveTypes.Int64, 10)})
		code, out := p.dsbuildProcess(t, "build", p.recipe())
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		got, err := os.ReadFile(filepath.Join(p.dir, "out", "x.jsonl"))
		must(t, err)
		want := `{"dup":1,"dup_1":2,"file":"a.arrow"}` + "\n" + `{"dup":10,"dup_1":11,"file":"b.arrow"}` + "\n"
		if string(got) != want {
			t.Errorf("output %q, want %q", got, want)
		}
		for _, f := range []string{"a.arrow", "b.arrow"} {
			if !strings.Contains(out, "fetch.x: "+f+`: column 2 "dup" is read as "dup_1"`) {
				t.Errorf("the build does not say which column of %s was renamed:\n%s", f, out)
			}
		}
	})
}
