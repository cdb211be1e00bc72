package arrowio

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzRead reads data as a file of the given name and checks that it either
// fails with an error or yields batches that hash; it must never panic.
func fuzzRead(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := Open(context.Background(), mem, []string{p}, ReadOptions{BatchSize: 3})
	if err != nil {
		return
	}
	defer r.Release()
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		t.Fatalf("inferred schema %s has no digest: %v", r.Schema(), err)
	}
	for r.Next() {
		for i, c := range r.RecordBatch().Columns() {
			if v, ok := c.(interface{ ValidateFull() error }); ok {
				if err := v.ValidateFull(); err != nil {
					t.Fatalf("column %d invalid: %v", i, err)
				}
			}
		}
		if err := h.Write(r.RecordBatch()); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.Err()
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadJSON(f *testing.F) {
	addSeeds(f, "small.jsonl", "array.json", "truncated.json")
	f.Add([]byte(`[1, "a", null]`))
	f.Add([]byte(`{"a":{"b":[{"c":1e5}]}}` + "\n" + `{"a":{"b":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.json", data)
	})
}

func FuzzReadCSV(f *testing.F) {
	addSeeds(f, "small.csv", "bad_quote.csv")
	f.Add([]byte("a,a\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.csv", data)
	})
}
