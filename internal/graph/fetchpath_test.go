package graph

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The fetch paths of the executor, with local files: single files and
// globs, pinned by the lock only, re-checked every build, verified from the
// store, and failing with a pin error when a recipe pin does not hold.

const localRecipe = `
fetch "one" {
  url = "../data/a.jsonl"
}

fetch "tree" {
  url = "../data/tree/*.jsonl"
}

filter "f" {
  input = fetch.one
  where = id > 1
}

output "o" {
  input = filter.f
  path  = "out/o.jsonl"
}
`

func (p *project) writeData(rel, content string) {
	p.t.Helper()
	path := filepath.Join(p.dir, "data", filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// buildAndLock builds and writes the lock, as dsbuild build does.
func (p *project) buildAndLock() *Plan {
	p.t.Helper()
	pl := p.load(nil)
	if diags := pl.Check(p.store, memory.DefaultAllocator); diags.HasErrors() {
		p.t.Fatalf("Check: %v", diags)
	}
	if err := p.exec(context.Background(), pl, ExecOptions{Jobs: 2}); err != nil {
		p.t.Fatalf("Execute: %v", err)
	}
	lock, err := pl.NewLock()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := WriteLock(pl.LockPath, lock); err != nil {
		p.t.Fatal(err)
	}
	return pl
}

func statusOf(pl *Plan, s []Status) map[string]Status {
	out := map[string]Status{}
	for _, st := range s {
		out[st.Node.ID] = st
	}
	return out
}

func TestLocalFetchLifecycle(t *testing.T) {
	p := newProject(t, localRecipe)
	p.writeData("a.jsonl", `{"id":1,"name":"a"}`+"\n"+`{"id":2,"name":"b"}`+"\n")
	p.writeData("tree/x.jsonl", `{"id":1}`+"\n")
	p.writeData("tree/sub/y.jsonl", `{"id":2}`+"\n") // below the glob's folder: not matched
	p.writeData("tree/z.jsonl", `{"id":3}`+"\n")

	pl := p.buildAndLock()
	if got := pl.Node("filter.f").Manifest.Rows; got != 1 {
		t.Errorf("filter.f rows = %d, want 1", got)
	}
	if got := pl.Node("fetch.tree").Manifest.Rows; got != 2 {
		t.Errorf("fetch.tree rows = %d, want 2 (x and z)", got)
	}
	out, err := os.ReadFile(filepath.Join(p.dir, "out", "o.jsonl"))
	if err != nil || !strings.Contains(string(out), `"name":"b"`) || strings.Contains(string(out), `"name":"a"`) {
		t.Errorf("out/o.jsonl = %q, %v", out, err)
	}

	// Loaded again: the lock pins the local inputs; nothing would run.
	pl = p.load(nil)
	for id, st := range statusOf(pl, pl.Status(p.store)) {
		if !st.Cached {
			t.Errorf("status of %s after a build: will run (%s)", id, st.Why)
		}
	}
	if ex := pl.Explain(p.store, pl.Node("filter.f")); !strings.Contains(ex, "cached   yes: 1 rows") || !strings.Contains(ex, "same key as the lock") {
		t.Errorf("explain:\n%s", ex)
	}
	if dot := pl.DOT(); !strings.Contains(dot, `"fetch.one" -> "filter.f"`) {
		t.Errorf("DOT lacks the edge fetch.one → filter.f:\n%s", dot)
	}
	var buf bytes.Buffer
	if _, err := pl.Show(p.store, pl.Node("output.o"), 5, &buf); err != nil || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("show output.o = %q, %v; want its input's one row", buf.String(), err)
	}

	// The file changes without a pin in the recipe: the next plan sees it,
	// and the build re-fetches it and re-locks.
	p.writeData("a.jsonl", `{"id":1,"name":"a"}`+"\n"+`{"id":2,"name":"b"}`+"\n"+`{"id":3,"name":"c"}`+"\n")
	p.writeData("tree/z.jsonl", `{"id":3}`+"\n"+`{"id":4}`+"\n")
	pl = p.load(nil)
	st := statusOf(pl, pl.Status(p.store))
	for _, id := range []string{"fetch.one", "filter.f", "output.o", "fetch.tree"} {
		if st[id].Cached {
			t.Errorf("status of %s after its input changed: cached", id)
		}
	}
	old := pl.Lock
	pl = p.buildAndLock()
	if got := pl.Node("filter.f").Manifest.Rows; got != 2 {
		t.Errorf("filter.f rows after the edit = %d, want 2", got)
	}
	if got := pl.Node("fetch.tree").Manifest.Rows; got != 3 {
		t.Errorf("fetch.tree rows after the edit = %d, want 3", got)
	}
	lock, err := pl.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(old, lock); len(d) == 0 {
		t.Error("the lock did not change with its inputs")
	}

	// The stored raw bytes are damaged and the fetch's result forgotten:
	// the node runs again, from bytes verified first, never the damaged
	// ones.
	one := pl.Node("fetch.one")
	raw := one.Pin
	path, err := p.store.Path(raw)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.store.DeleteKey(one.Key); err != nil {
		t.Fatal(err)
	}
	pl = p.buildAndLock()
	if got := pl.Node("fetch.one").Manifest.Rows; got != 3 {
		t.Errorf("fetch.one rows from damaged stored bytes = %d, want 3 (fetched again)", got)
	}
	if err := p.store.Verify(raw); err != nil {
		t.Errorf("raw bytes after the rebuild: %v", err)
	}

	// The file is gone: the fetch fails, naming the node.
	if err := os.Remove(filepath.Join(p.dir, "data", "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	pl = p.load(nil)
	err = p.exec(context.Background(), pl, ExecOptions{Jobs: 2})
	var ne *NodeError
	if !errors.As(err, &ne) || ne.Node != "fetch.one" {
		t.Errorf("build without the input file = %v, want a NodeError of fetch.one", err)
	}
}

// A recipe pin that the file does not hold is a pin error (exit 3), naming
// the node and both digests; nothing is stored under the wrong pin.
func TestLocalFetchPinDoesNotHold(t *testing.T) {
	const wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	p := newProject(t, `
fetch "one" {
  url    = "../data/a.jsonl"
  digest = "`+wrong+`"
}
`)
	p.writeData("a.jsonl", `{"id":1}`+"\n")
	_, err := p.build(1)
	var pe *PinError
	if !errors.Is(err, ErrPin) || !errors.As(err, &pe) {
		t.Fatalf("build with a wrong pin = %v, want a *PinError", err)
	}
	if pe.Node != "fetch.one" || string(pe.Want) != wrong || pe.Got == "" || !strings.Contains(err.Error(), wrong) {
		t.Errorf("pin error = %+v", pe)
	}
	if p.store.Has(pe.Got, -1) || p.store.Has(pe.Want, -1) {
		t.Errorf("bytes that do not hold the pin were stored")
	}

	// A tree whose listing does not match its pin.
	p = newProject(t, `
fetch "tree" {
  url    = "../data/tree/*.jsonl"
  digest = "`+wrong+`"
}
`)
	p.writeData("tree/x.jsonl", `{"id":1}`+"\n")
	if _, err := p.build(1); !errors.Is(err, ErrPin) {
		t.Fatalf("build of a tree with a wrong pin = %v, want ErrPin", err)
	}
}
