package graph

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// bareStore hides every optional capability of the store it wraps: only
// the store.Store methods are promoted.
type bareStore struct{ store.Store }

func execWith(t *testing.T, p *project, s store.Store) *Plan {
	t.Helper()
	pl := p.load(nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if err := pl.Execute(context.Background(), ExecOptions{Store: s, Mem: mem, Jobs: 2}); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return pl
}

// The executor needs only a store.Store: with every extra hidden it builds
// the same artifacts, and a second build over the same bare store runs
// nothing.
func TestExecuteOnBareStore(t *testing.T) {
	p := newProject(t, diamondRecipe)
	want := p.mustBuild(2)
	bare, err := cache.Open(filepath.Join(p.dir, "bare"))
	if err != nil {
		t.Fatal(err)
	}
	first := execWith(t, p, bareStore{bare})
	second := execWith(t, p, bareStore{bare})
	for _, n := range want.Nodes {
		if got := first.Node(n.ID).Manifest.Blob; got != n.Manifest.Blob {
			t.Errorf("%s on a bare store: blob %s, want %s", n.ID, got, n.Manifest.Blob)
		}
		if !second.Node(n.ID).Cached {
			t.Errorf("%s: second build on a bare store not cached", n.ID)
		}
		if got := p.ops.Runs(n.ID); got != 2 {
			t.Errorf("%s ran %d times, want 2 (once per store)", n.ID, got)
		}
	}
}

// A build over store.ReadThrough{fresh local, built remote} runs only what
// the remote lacks, reading its inputs through, and copies what it used
// into the local store.
func TestExecuteReadThrough(t *testing.T) {
	p := newProject(t, chainRecipe)
	want := p.mustBuild(2)
	if err := p.store.DeleteKey(want.Node("gen.b").Key); err != nil {
		t.Fatal(err)
	}
	local, err := cache.Open(filepath.Join(p.dir, "local"))
	if err != nil {
		t.Fatal(err)
	}
	pl := execWith(t, p, store.ReadThrough{Local: local, Remote: bareStore{p.store}})
	for _, n := range pl.Nodes {
		if n.Manifest.Blob != want.Node(n.ID).Manifest.Blob {
			t.Errorf("%s read through: blob %s, want %s", n.ID, n.Manifest.Blob, want.Node(n.ID).Manifest.Blob)
		}
		if _, ok := readManifest(context.Background(), local, n.Key); !ok {
			t.Errorf("%s: manifest not in the local store", n.ID)
		}
	}
	if a := pl.Node("gen.a"); !a.Cached || p.ops.Runs(a.ID) != 1 {
		t.Errorf("gen.a: cached %v, ran %d times; want cached, 1", a.Cached, p.ops.Runs(a.ID))
	}
	if b := pl.Node("gen.b"); b.Cached || p.ops.Runs(b.ID) != 2 {
		t.Errorf("gen.b: cached %v, ran %d times; want run again, 2", b.Cached, p.ops.Runs(b.ID))
	}
	// gen.b read its input's blob: it was copied in, verified.
	a := pl.Node("gen.a").Manifest
	if ok, err := local.Exists(context.Background(), store.Descriptor{Digest: a.Blob, Size: a.Size}); !ok || err != nil {
		t.Errorf("gen.a's blob in the local store: %v, %v", ok, err)
	}
	checkStore(t, local)
}

// downStore answers every Exists with an error, as a remote that cannot
// be reached.
type downStore struct {
	store.Store
	err error
}

func (d downStore) Exists(context.Context, store.Descriptor) (bool, error) { return false, d.err }

// A store that cannot say whether a result is there fails the build,
// naming the error; it never passes for a miss that runs the node again.
func TestStoreErrorIsNotAMiss(t *testing.T) {
	p := newProject(t, chainRecipe)
	p.mustBuild(1)
	down := errors.New("connection refused")
	pl := p.load(nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	err := pl.Execute(context.Background(), ExecOptions{Store: downStore{p.store, down}, Mem: mem, Jobs: 1})
	if !errors.Is(err, down) {
		t.Errorf("Execute with the store down = %v, want an error wrapping %v", err, down)
	}
	for _, id := range []string{"gen.a", "gen.b"} {
		if got := p.ops.Runs(id); got != 1 {
			t.Errorf("%s ran %d times, want 1 (the store being down is no reason to rebuild)", id, got)
		}
	}
}
