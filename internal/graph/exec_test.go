package graph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsbuild/dsbuild/internal/cache"
)

const chainRecipe = `
gen "a" {
  rows = 10
}

gen "b" {
  input = gen.a
  rows  = 4
}
`

const diamondRecipe = `
gen "top" {
  rows = 7
}

gen "left" {
  input = gen.top
  seed  = 1
}

gen "right" {
  input = gen.top
  seed  = 2
}

gen "bottom" {
  input = gen.left
  also  = gen.right
  rows  = 2
  seed  = 3
}
`

func TestExecuteSecondRunIsCached(t *testing.T) {
	p := newProject(t, chainRecipe)
	first := p.mustBuild(2)
	for _, n := range first.Nodes {
		if n.Cached {
			t.Errorf("first build: %s Cached = true, want false", n.ID)
		}
		if got := p.ops.Runs(n.ID); got != 1 {
			t.Errorf("first build: %s ran %d times, want 1", n.ID, got)
		}
	}
	if got, want := first.Node("gen.b").Manifest.Rows, int64(14); got != want {
		t.Errorf("gen.b rows = %d, want %d", got, want)
	}
	second := p.mustBuild(2)
	for _, n := range second.Nodes {
		if !n.Cached {
			t.Errorf("second build: %s Cached = false, want true", n.ID)
		}
		if got := p.ops.Runs(n.ID); got != 1 {
			t.Errorf("second build: %s ran %d times in all, want 1", n.ID, got)
		}
		if n.Manifest == nil || n.Manifest.Blob != first.Node(n.ID).Manifest.Blob {
			t.Errorf("second build: %s manifest differs from the first build's", n.ID)
		}
	}
	checkStore(t, p.store)
}

func TestExecuteDiamondRunsEachNodeOnce(t *testing.T) {
	for _, jobs := range []int{1, 8} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			p := newProject(t, diamondRecipe)
			pl := p.mustBuild(jobs)
			for _, n := range pl.Nodes {
				if got := p.ops.Runs(n.ID); got != 1 {
					t.Errorf("%s ran %d times, want exactly 1", n.ID, got)
				}
			}
			if got, want := pl.Node("gen.bottom").Manifest.Rows, int64(2*(7+10)+2); got != want {
				t.Errorf("gen.bottom rows = %d, want %d", got, want)
			}
		})
	}
}

func TestExecuteFirstFailureCancelsTheRest(t *testing.T) {
	p := newProject(t, `
gen "bad" {
  fail     = true
  sleep_ms = 50
}

gen "slow" {
  block = true
}

gen "after" {
  input = gen.bad
}

gen "after_after" {
  input = gen.after
}
`)
	pl := p.load(nil)
	rec := &recorder{}
	start := time.Now()
	err := p.exec(context.Background(), pl, ExecOptions{Jobs: 4, Events: rec})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Execute took %v; the blocked sibling was not cancelled promptly", d)
	}
	var ne *NodeError
	if !errors.As(err, &ne) {
		t.Fatalf("Execute = %v (%T), want a *NodeError", err, err)
	}
	if ne.Node != "gen.bad" {
		t.Errorf("NodeError.Node = %q, want gen.bad (err: %v)", ne.Node, err)
	}
	if want := pl.Node("gen.bad").Rec.DeclRange; ne.Range != want {
		t.Errorf("NodeError.Range = %v, want %v", ne.Range, want)
	}
	if ne.Range.Start.Line != 2 {
		t.Errorf("NodeError.Range starts on line %d, want 2", ne.Range.Start.Line)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("Execute = %v; the real failure must not read as a cancellation", err)
	}
	if strings.Count(err.Error(), "gen failed on purpose") != 1 || strings.Contains(err.Error(), "gen.slow") {
		t.Errorf("Execute error %q should report gen.bad's failure exactly once and nothing else", err)
	}
	for _, id := range []string{"gen.after", "gen.after_after"} {
		if n := rec.Started(id); n != 0 || p.ops.Runs(id) != 0 {
			t.Errorf("%s started %d times after its input failed, want 0", id, n)
		}
	}
	checkStore(t, p.store)
}

func TestExecuteRecipeErrorAtRunTimeKeepsDiagnostics(t *testing.T) {
	p := newProject(t, `
gen "a" {}

filter "f" {
  input = gen.a
  where = no_such_column > 1
}
`)
	_, err := p.build(1)
	var ne *NodeError
	if !errors.As(err, &ne) {
		t.Fatalf("Execute = %v, want a *NodeError", err)
	}
	if ne.Node != "filter.f" || !ne.Diags.HasErrors() {
		t.Errorf("first NodeError in the chain = {Node: %q, Diags: %v}, want filter.f with diagnostics", ne.Node, ne.Diags)
	}
}

func TestExecuteWrongBatchSchemaFails(t *testing.T) {
	p := newProject(t, `
gen "a" {
  bad_schema = true
}
`)
	_, err := p.build(1)
	var ne *NodeError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "columns") {
		t.Fatalf("Execute = %v, want a *NodeError about the columns", err)
	}
	checkStore(t, p.store)
}

func TestExecuteCancelLeavesStoreConsistent(t *testing.T) {
	p := newProject(t, `
gen "a" {
  rows = 100
}

gen "stuck" {
  input = gen.a
  rows  = 50
  block = true
}

gen "later" {
  input = gen.stuck
}
`)
	pl := p.load(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.ops.started // the blocked op has emitted its rows
		cancel()        // Ctrl-C
	}()
	err := p.exec(ctx, pl, ExecOptions{Jobs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute = %v, want context.Canceled", err)
	}
	var ne *NodeError
	if errors.As(err, &ne) {
		t.Errorf("Execute = %v; an interruption must not be reported as a node failure", err)
	}
	if p.ops.Runs("gen.later") != 0 {
		t.Errorf("gen.later ran after the interruption")
	}
	checkStore(t, p.store)
	if _, ok := getManifest(context.Background(), p.store, pl.Node("gen.stuck").Key); ok {
		t.Errorf("interrupted node gen.stuck has a cache entry")
	}
	if _, ok := getManifest(context.Background(), p.store, pl.Node("gen.a").Key); !ok {
		t.Errorf("finished node gen.a has no cache entry")
	}
}

func TestExecuteCancelledBeforeStart(t *testing.T) {
	p := newProject(t, chainRecipe)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.exec(ctx, p.load(nil), ExecOptions{Jobs: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute = %v, want context.Canceled", err)
	}
	if n := p.ops.Runs("gen.a"); n != 0 {
		t.Errorf("gen.a ran %d times under a cancelled context", n)
	}
}

func TestExecuteSamePlanTwice(t *testing.T) {
	p := newProject(t, chainRecipe)
	pl := p.load(nil)
	if err := p.exec(context.Background(), pl, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := p.exec(context.Background(), pl, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range pl.Nodes {
		if !n.Cached || p.ops.Runs(n.ID) != 1 {
			t.Errorf("%s: Cached = %v, runs = %d; want true, 1", n.ID, n.Cached, p.ops.Runs(n.ID))
		}
	}
}

func TestStatus(t *testing.T) {
	src := chainRecipe + `
gen "c" {
  input = gen.b
}
`
	p := newProject(t, src)
	pl := p.mustBuild(2)
	lock, err := pl.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(pl.LockPath, lock); err != nil {
		t.Fatal(err)
	}

	status := func(pl *Plan) map[string]Status {
		out := map[string]Status{}
		for _, s := range pl.Status(p.store) {
			out[s.Node.ID] = s
		}
		return out
	}
	for id, s := range status(p.load(nil)) {
		if !s.Cached || s.Why != "" {
			t.Errorf("unchanged recipe: %s = {Cached: %v, Why: %q}, want cached", id, s.Cached, s.Why)
		}
	}

	p.write(strings.Replace(src, "rows  = 4", "rows  = 5", 1) + `
gen "new" {
  input = gen.a
}
`)
	st := status(p.load(nil))
	if s := st["gen.a"]; !s.Cached {
		t.Errorf("upstream gen.a = %+v, want cached", s)
	}
	if s := st["gen.b"]; s.Cached || s.Why != "param rows changed: 4 → 5" {
		t.Errorf("gen.b Why = %q (cached %v), want %q", s.Why, s.Cached, "param rows changed: 4 → 5")
	}
	if s := st["gen.c"]; s.Cached || !strings.HasPrefix(s.Why, "input input (gen.b) changed") {
		t.Errorf("gen.c Why = %q, want input input (gen.b) changed...", s.Why)
	}
	if s := st["gen.new"]; s.Cached || s.Why != "new: not in the lock" {
		t.Errorf("gen.new Why = %q, want %q", s.Why, "new: not in the lock")
	}
}

func TestCorruptInputIsRebuilt(t *testing.T) {
	for _, tc := range []struct {
		name string
		// spoil damages gen.a's blob; it runs when gen.b starts, after
		// gen.a was found cached, so only gen.b's read can notice.
		spoil func(t *testing.T, path string)
	}{
		{"flipped byte", flipByte},
		{"truncated", truncate},
		{"removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, chainRecipe)
			pl := p.mustBuild(1)
			want := pl.Node("gen.b").Manifest
			path, err := p.store.Path(pl.Node("gen.a").Manifest.Blob)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.store.DeleteKey(pl.Node("gen.b").Key); err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			rec := &recorder{onStart: func(n *Node) {
				if n.ID == "gen.b" {
					once.Do(func() { tc.spoil(t, path) })
				}
			}}
			pl = p.load(nil)
			if err := p.exec(context.Background(), pl, ExecOptions{Events: rec}); err != nil {
				t.Fatalf("Execute after spoiling gen.a's blob = %v, want recovery", err)
			}
			got := pl.Node("gen.b").Manifest
			if got.Blob != want.Blob || got.Logical != want.Logical {
				t.Errorf("rebuilt gen.b = %s/%s, want %s/%s", got.Blob, got.Logical, want.Blob, want.Logical)
			}
			if n := p.ops.Runs("gen.a"); n != 2 {
				t.Errorf("gen.a ran %d times, want 2 (build, rebuild)", n)
			}
			if n := rec.Started("gen.b"); n != 2 {
				t.Errorf("gen.b started %d times, want 2 (failed read, retry)", n)
			}
			if pl.Node("gen.a").Cached {
				t.Errorf("gen.a Cached = true after it was rebuilt")
			}
			checkStore(t, p.store)
		})
	}
}

func TestCorruptBlobIsAMiss(t *testing.T) {
	p := newProject(t, chainRecipe)
	pl := p.mustBuild(1)
	a := pl.Node("gen.a")
	path, _ := p.store.Path(a.Manifest.Blob)
	truncate(t, path)
	if _, ok := getManifest(context.Background(), p.store, a.Key); ok {
		t.Fatalf("getManifest(%s) hit after the blob was truncated", a.ID)
	}
	pl = p.mustBuild(1)
	if n := p.ops.Runs("gen.a"); n != 2 {
		t.Errorf("gen.a ran %d times, want 2 (build, rebuild after truncation)", n)
	}
	if n := p.ops.Runs("gen.b"); n != 1 {
		t.Errorf("gen.b ran %d times, want 1 (its own artifact is intact)", n)
	}
	if !pl.Node("gen.b").Cached || pl.Node("gen.a").Cached {
		t.Errorf("Cached: gen.a %v, gen.b %v; want false, true", pl.Node("gen.a").Cached, pl.Node("gen.b").Cached)
	}
	checkStore(t, p.store)
}

// When the producer of a corrupt input fails on its rebuild, that failure is
// the one reported.
func TestCorruptInputProducerFailsOnRebuild(t *testing.T) {
	p := newProject(t, chainRecipe)
	pl := p.mustBuild(1)
	if err := p.store.DeleteKey(pl.Node("gen.b").Key); err != nil {
		t.Fatal(err)
	}
	path, _ := p.store.Path(pl.Node("gen.a").Manifest.Blob)
	flipByte(t, path)
	p.write(chainRecipe) // same keys
	pl = p.load(nil)
	// gen.a is found cached (same size); gen.b finds it corrupt; gen.a runs
	// again and this time fails.
	pl.Node("gen.a").Op.(*genOp).fail = true
	err := p.exec(context.Background(), pl, ExecOptions{})
	var ne *NodeError
	if !errors.As(err, &ne) || ne.Node != "gen.a" {
		t.Fatalf("Execute = %v, want a *NodeError for gen.a", err)
	}
	if errors.Is(err, cache.ErrCorrupt) {
		t.Errorf("Execute = %v; the reported failure is gen.a's own", err)
	}
}

// An op that reads only part of a corrupt input never reaches the point
// where the store's reader checks the hash; the executor verifies the rest
// before it trusts the op's output.
func TestPartlyReadCorruptInputIsRebuilt(t *testing.T) {
	src := `
gen "a" {
  rows = 10
}

gen "b" {
  input = gen.a
  head  = true
  rows  = 0
}
`
	p := newProject(t, src)
	pl := p.mustBuild(1)
	want := pl.Node("gen.b").Manifest
	if err := p.store.DeleteKey(pl.Node("gen.b").Key); err != nil {
		t.Fatal(err)
	}
	path, _ := p.store.Path(pl.Node("gen.a").Manifest.Blob)
	flipByte(t, path)
	pl = p.mustBuild(1)
	if got := pl.Node("gen.b").Manifest; got.Blob != want.Blob {
		t.Errorf("gen.b blob = %s, want %s", got.Blob, want.Blob)
	}
	if n := p.ops.Runs("gen.a"); n != 2 {
		t.Errorf("gen.a ran %d times, want 2 (build, rebuild)", n)
	}
	checkStore(t, p.store)
}
