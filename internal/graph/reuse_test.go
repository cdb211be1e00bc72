package graph

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// oracleOp stands for an LLM-backed node: nondeterministic, and it keeps
// its answers in the op memo. Each run answers with a new value unless the
// memo already has one for the request.
type oracleOp struct {
	f    *fakeOps
	id   string
	seed int64
}

func (o *oracleOp) Params() []ops.Param {
	return []ops.Param{{Name: "seed", Value: fmt.Sprint(o.seed)}}
}
func (o *oracleOp) Prepare([]*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) { return genSchema, nil }
func (o *oracleOp) Nondeterministic() bool                                   { return true }

func (o *oracleOp) Run(ctx context.Context, rc *ops.RunContext) error {
	n := o.f.counter(o.id).Add(1)
	req := digest.FromString(fmt.Sprintf("request %d", o.seed))
	answer, ok := rc.Memo.Get(req)
	if !ok {
		answer = []byte(fmt.Sprint(1000 * n)) // differs from run to run
		if err := rc.Memo.Put(req, answer); err != nil {
			return err
		}
	}
	var v int64
	fmt.Sscan(string(answer), &v)
	rec := genBatch(rc.Mem, v, 1)
	defer rec.Release()
	return rc.Emit(rec)
}

func registerOracle(f *fakeOps) {
	f.reg["oracle"] = &ops.Spec{
		Kind: "oracle", Version: 1, Doc: "a nondeterministic test op with a memo",
		Attrs: []recipe.AttrSpec{{Name: "seed", Mode: recipe.Static, Type: cty.Number}},
		New: func(n *recipe.Node, env *ops.Env) (ops.Op, hcl.Diagnostics) {
			return &oracleOp{f: f, id: n.ID(), seed: num(n, "seed", 0)}, nil
		},
	}
}

const oracleRecipe = `
oracle "ask" {
  seed = 7
}

gen "after" {
  input = oracle.ask
  rows  = 2
}
`

// A nondeterministic node's answer is kept in the op memo, so running it
// again (its result lost) gives the same answer; and verify, rebuilding in
// a fresh store with the old one as Reuse, copies its pinned output
// (verified) instead of asking again.
func TestNondeterministicNodeMemoAndReuse(t *testing.T) {
	p := newProject(t, oracleRecipe)
	registerOracle(p.ops)
	first := p.mustBuild(1)
	ask := first.Node("oracle.ask").Manifest
	if !ask.Nondeterministic {
		t.Fatal("the manifest of a nondeterministic node is not marked")
	}

	// Its result forgotten, it runs again and the memo answers.
	if err := p.store.DeleteKey(first.Node("oracle.ask").Key); err != nil {
		t.Fatal(err)
	}
	again := p.mustBuild(1)
	if p.ops.Runs("oracle.ask") != 2 || again.Node("oracle.ask").Manifest.Logical != ask.Logical {
		t.Errorf("re-run: %d runs, logical %s; want 2 runs and the memo's answer %s",
			p.ops.Runs("oracle.ask"), again.Node("oracle.ask").Manifest.Logical, ask.Logical)
	}

	// verify: a fresh store, the old one to reuse from.
	fresh, err := cache.Open(filepath.Join(p.dir, "fresh"))
	if err != nil {
		t.Fatal(err)
	}
	pl := p.load(nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if err := pl.Execute(context.Background(), ExecOptions{Store: fresh, Reuse: p.store, Mem: mem, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	if n := pl.Node("oracle.ask"); !n.Cached || n.Manifest.Blob != ask.Blob || p.ops.Runs("oracle.ask") != 2 {
		t.Errorf("verify: oracle cached %v, blob %s, %d runs; want copied %s without a run", n.Cached, n.Manifest.Blob, p.ops.Runs("oracle.ask"), ask.Blob)
	}
	if n := pl.Node("gen.after"); n.Cached || n.Manifest.Blob != first.Node("gen.after").Manifest.Blob {
		t.Errorf("verify: gen.after cached %v, blob %s; want rebuilt to %s", n.Cached, n.Manifest.Blob, first.Node("gen.after").Manifest.Blob)
	}
	if err := fresh.Verify(ask.Blob); err != nil {
		t.Errorf("the copied blob: %v", err)
	}

	// A reuse store whose copy is damaged is not used: the node runs.
	path, _ := p.store.Path(ask.Blob)
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, []byte("not an artifact"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh2, err := cache.Open(filepath.Join(p.dir, "fresh2"))
	if err != nil {
		t.Fatal(err)
	}
	pl = p.load(nil)
	if err := pl.Execute(context.Background(), ExecOptions{Store: fresh2, Reuse: p.store, Mem: mem, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	if pl.Node("oracle.ask").Cached || p.ops.Runs("oracle.ask") != 3 {
		t.Errorf("a damaged reuse copy was used (runs %d)", p.ops.Runs("oracle.ask"))
	}
}

// Output temp files left by a killed build are removed by the next one,
// also when the output itself is cached; a temp file a live writer holds,
// or a fresh "-new-" one, is left alone.
func TestStaleOutputTempsCleaned(t *testing.T) {
	p := newProject(t, `
gen "a" {
  rows = 4
}

output "o" {
  input = gen.a
  path  = "out/o.jsonl"
}
`)
	p.mustBuild(1)
	dir := filepath.Join(p.dir, "out")
	write := func(name string, age time.Duration) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		os.Chtimes(path, when, when)
		return path
	}
	dead := write(".o.jsonl.dsbuild-0123456789abcdef", 0)
	deadNew := write(".o.jsonl.dsbuild-new-0123456789abcdef", 2*time.Hour)
	freshNew := write(".o.jsonl.dsbuild-new-fedcba9876543210", 0)
	held := write(".o.jsonl.dsbuild-00000000000000ff", 0)
	other := write(".p.jsonl.dsbuild-0123456789abcdef", 0) // another output's
	f, err := os.OpenFile(held, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f, true); err != nil {
		t.Skip("no file locks here:", err)
	}

	pl := p.mustBuild(1)
	if !pl.Node("output.o").Cached {
		t.Fatal("output.o ran again")
	}
	for _, c := range []struct {
		path string
		gone bool
	}{{dead, true}, {deadNew, true}, {freshNew, false}, {held, false}, {other, false}} {
		_, err := os.Lstat(c.path)
		if gone := os.IsNotExist(err); gone != c.gone {
			t.Errorf("%s: removed %v, want %v", filepath.Base(c.path), gone, c.gone)
		}
	}
}

// verify names where data differs from the lock: the first differing
// column and rows when the locked artifact is still in the old store, and
// says so when it is not.
func TestDataDiffs(t *testing.T) {
	p := newProject(t, "gen \"a\" {\n  rows = 10\n}\n\ngen \"b\" {\n  rows = 4\n}\n")
	p.buildAndLock()
	p.write("gen \"a\" {\n  rows = 10\n  seed = 1\n}\n\ngen \"b\" {\n  rows = 5\n}\n")
	pl := p.load(nil)
	cur, err := cache.Open(filepath.Join(p.dir, "cur"))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if err := pl.Execute(context.Background(), ExecOptions{Store: cur, Mem: mem, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	now, err := pl.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	// gen.b's locked artifact is gone from the old store.
	if err := p.store.Delete(pl.Lock.Nodes["gen.b"].Blob); err != nil {
		t.Fatal(err)
	}
	got := DataDiffs(pl, p.store, cur, now)
	if len(got) != 2 || !strings.HasPrefix(got[0], "gen.a: ") || !strings.Contains(got[0], "id") ||
		!strings.Contains(got[1], "gen.b: locked artifact") || !strings.Contains(got[1], "not in the local cache") {
		t.Errorf("DataDiffs = %q", got)
	}
}
