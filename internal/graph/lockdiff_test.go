package graph

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// TestDiffNamesEveryField changes one field of a lock at a time: Diff must
// report exactly that change as `KIND ID: FIELD: expected X, got Y` (or the
// block's presence), so no comparison can go missing unnoticed.
func TestDiffNamesEveryField(t *testing.T) {
	type edit struct {
		name string
		f    func(l *Lock)
		want string // one line of Diff(sampleLock(), edited)
	}
	node := func(id string, f func(*LockNode)) func(*Lock) {
		return func(l *Lock) { n := l.Nodes[id]; f(&n); l.Nodes[id] = n }
	}
	fetchEdit := func(id string, f func(*FetchRecord)) func(*Lock) {
		return func(l *Lock) { x := l.Fetches[id]; f(&x); l.Fetches[id] = x }
	}
	outEdit := func(id string, f func(*OutputRecord)) func(*Lock) {
		return func(l *Lock) { x := l.Outputs[id]; f(&x); l.Outputs[id] = x }
	}
	const fe, sx, oa = "fetch.esconv", "synthesize.x", "output.all"
	edits := []edit{
		{"node key", node(fe, func(n *LockNode) { n.Key = d("k9") }), fmt.Sprintf("node %s: key: expected %s, got %s", fe, d("k1"), d("k9"))},
		{"node op", node(fe, func(n *LockNode) { n.Op = "fetch@2" }), fmt.Sprintf("node %s: op: expected fetch@1, got fetch@2", fe)},
		{"node logical", node(fe, func(n *LockNode) { n.Logical = d("l9") }), fmt.Sprintf("node %s: logical: expected %s, got %s (%s)", fe, d("l1"), d("l9"), nondeterminismNote)},
		{"node logical, nondeterministic node", node(sx, func(n *LockNode) { n.Logical = d("l9") }), fmt.Sprintf("node %s: logical: expected %s, got %s", sx, d("l2"), d("l9"))},
		{"node blob", node(fe, func(n *LockNode) { n.Blob = d("b9") }), fmt.Sprintf("node %s: blob: expected %s, got %s", fe, d("b1"), d("b9"))},
		{"node size", node(fe, func(n *LockNode) { n.Size = 11 }), fmt.Sprintf("node %s: size: expected 10, got 11", fe)},
		{"node rows", node(fe, func(n *LockNode) { n.Rows = 3 }), fmt.Sprintf("node %s: rows: expected 2, got 3", fe)},
		{"node schema", node(sx, func(n *LockNode) { n.Schema = []string{"text: large_utf8"} }), fmt.Sprintf("node %s: schema: expected text: utf8, got text: large_utf8", sx)},
		{"node nondeterministic", node(sx, func(n *LockNode) { n.Nondeterministic = false }), fmt.Sprintf("node %s: nondeterministic: expected true, got false", sx)},
		{"node new", func(l *Lock) { l.Nodes["filter.new"] = LockNode{} }, "node filter.new: not in the lock (new)"},
		{"node gone", func(l *Lock) { delete(l.Nodes, sx) }, "node synthesize.x: in the lock, not in the recipe"},
		{"fetch digest", fetchEdit(fe, func(f *FetchRecord) { f.Digest = d("e9") }), fmt.Sprintf("fetch %s: digest: expected %s, got %s", fe, d("esconv"), d("e9"))},
		{"fetch url", fetchEdit(fe, func(f *FetchRecord) { f.URL = "https://mirror.example/ESConv.json" }), fmt.Sprintf("fetch %s: url: expected https://example.com/ESConv.json, got https://mirror.example/ESConv.json", fe)},
		{"fetch revision", fetchEdit(fe, func(f *FetchRecord) { f.Revision = "abc" }), fmt.Sprintf("fetch %s: revision: expected 8bb3b3f, got abc", fe)},
		{"fetch size", fetchEdit(fe, func(f *FetchRecord) { f.Size = 1235 }), fmt.Sprintf("fetch %s: size: expected 1234, got 1235", fe)},
		{"fetch new", func(l *Lock) { l.Fetches["fetch.new"] = FetchRecord{} }, "fetch fetch.new: not in the lock (new)"},
		{"fetch gone", func(l *Lock) { delete(l.Fetches, "fetch.local") }, "fetch fetch.local: in the lock, not in the recipe"},
		{"output digest", outEdit(oa, func(o *OutputRecord) { o.Digest = d("o9") }), fmt.Sprintf("output %s: digest: expected %s, got %s", oa, d("o"), d("o9"))},
		{"output size", outEdit(oa, func(o *OutputRecord) { o.Size = 98 }), fmt.Sprintf("output %s: size: expected 99, got 98", oa)},
		{"output path", outEdit(oa, func(o *OutputRecord) { o.Path = "out/b.parquet" }), fmt.Sprintf("output %s: path: expected out/all.parquet, got out/b.parquet", oa)},
		{"output gone", func(l *Lock) { delete(l.Outputs, oa) }, "output output.all: in the lock, not in the recipe"},
		{"output new", func(l *Lock) { l.Outputs["output.b"] = OutputRecord{} }, "output output.b: not in the lock (new)"},
		{"recipe file", func(l *Lock) { l.Files["recipes/drift.hcl"] = d("r9") }, fmt.Sprintf("recipe file recipes/drift.hcl: digest: expected %s, got %s", d("recipe"), d("r9"))},
		{"recipe file gone", func(l *Lock) { delete(l.Files, "recipes/more.hcl") }, fmt.Sprintf("recipe file recipes/more.hcl: digest: expected %s, got (none)", d("more"))},
		{"variable", func(l *Lock) { l.Variables["seed"] = "7" }, "variable seed: value: expected 20261124, got 7"},
		{"recipe name", func(l *Lock) { l.Recipe = "other" }, "lock header: recipe: expected drift, got other"},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			b := sampleLock()
			e.f(b)
			got := Diff(sampleLock(), b)
			if len(got) != 1 || got[0] != e.want {
				t.Errorf("Diff = %q\nwant exactly %q", got, e.want)
			}
		})
	}
}

// TestLockRejectsDuplicateBlocks: two blocks of one kind and name (what a
// careless merge leaves) are an error naming both lines, never a silent
// choice of one.
func TestLockRejectsDuplicateBlocks(t *testing.T) {
	src := string(sampleLock().Encode())
	i := strings.Index(src, "node \"synthesize.x\" {")
	block := src[i:]
	dup := src + "\n" + block
	firstLine := strings.Count(src[:i], "\n") + 1
	dupLine := strings.Count(src, "\n") + 2
	_, err := ParseLock("dup.lock", []byte(dup))
	if err == nil {
		t.Fatal("ParseLock of a lock with two node \"synthesize.x\" blocks succeeded")
	}
	for _, want := range []string{fmt.Sprintf("dup.lock:%d", dupLine), fmt.Sprintf("dup.lock:%d", firstLine), `duplicate node "synthesize.x" block`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLock error %q lacks %q", err, want)
		}
	}
	// Blocks of one name but another kind are not duplicates.
	if _, err := ParseLock("ok.lock", sampleLock().Encode()); err != nil {
		t.Errorf("ParseLock of the sample (fetch and node \"fetch.esconv\") = %v", err)
	}
}

// unstableOp is a deliberately nondeterministic op: each run emits other
// rows under the same params (gen's seed is taken from a run counter).
type unstableOp struct {
	*genOp
	runs *atomic.Int64
}

func (u *unstableOp) Run(ctx context.Context, rc *ops.RunContext) error {
	g := *u.genOp
	g.seed = u.runs.Add(1)
	return g.Run(ctx, rc)
}

func withUnstable(f *fakeOps) *atomic.Int64 {
	runs := &atomic.Int64{}
	gen := f.reg["gen"]
	f.reg["unstable"] = &ops.Spec{
		Kind: "unstable", Version: 1, Doc: "test: other rows on every run",
		Attrs: []recipe.AttrSpec{{Name: "rows", Mode: recipe.Static, Type: gen.Attrs[2].Type}},
		New: func(n *recipe.Node, env *ops.Env) (ops.Op, hcl.Diagnostics) {
			op, d := gen.New(n, env)
			return &unstableOp{op.(*genOp), runs}, d
		},
	}
	return runs
}

// TestNondeterminismIsReported: a node rebuilt under its locked key with
// other data is reported against the lock, and against a manifest the
// store held before the build; a deterministic node never is.
func TestNondeterminismIsReported(t *testing.T) {
	src := `
unstable "u" {
  rows = 3
}

gen "g" {
  rows = 3
}
`
	p := newProject(t, src)
	withUnstable(p.ops)
	pl := p.mustBuild(1)
	if nd := pl.Nondeterminism(nil); len(nd) != 0 {
		t.Fatalf("first build: Nondeterminism = %q, want none", nd)
	}
	lock, err := pl.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(pl.LockPath, lock); err != nil {
		t.Fatal(err)
	}

	// A fresh store: both nodes run again under their locked keys.
	fresh := func() {
		s, err := cache.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p.store = s
	}
	fresh()
	pl = p.mustBuild(1)
	nd := pl.Nondeterminism(nil)
	u := pl.Node("unstable.u")
	want := fmt.Sprintf("node unstable.u: logical: expected %s (the lock), got %s under the unchanged key %s", lock.Nodes["unstable.u"].Logical, u.Manifest.Logical, u.Key)
	if len(nd) != 1 || !strings.HasPrefix(nd[0], want) {
		t.Errorf("rebuild against the lock: Nondeterminism = %q\nwant one line starting %q", nd, want)
	}

	// No lock, but the store's manifest survives while its blob is lost:
	// the rerun is compared with the manifest.
	if err := os.Remove(pl.LockPath); err != nil {
		t.Fatal(err)
	}
	pl = p.load(nil)
	prev := pl.PreviousResults(p.store)
	before := prev["unstable.u"].logical
	removeBlob(t, p.store, pl.Node("unstable.u"))
	removeBlob(t, p.store, pl.Node("gen.g"))
	if err := p.exec(context.Background(), pl, ExecOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	nd = pl.Nondeterminism(prev)
	u = pl.Node("unstable.u")
	want = fmt.Sprintf("node unstable.u: logical: expected %s (the store's manifest), got %s", before, u.Manifest.Logical)
	if u.Cached || len(nd) != 1 || !strings.HasPrefix(nd[0], want) {
		t.Errorf("rerun against the store's manifest (cached %v): Nondeterminism = %q\nwant one line starting %q", u.Cached, nd, want)
	}
}

func removeBlob(t *testing.T, s *cache.Store, n *Node) {
	t.Helper()
	m, ok := getManifestAny(s, n.Key)
	if !ok {
		t.Fatalf("no manifest for %s", n.ID)
	}
	if err := s.Delete(m.Blob); err != nil {
		t.Fatal(err)
	}
}
