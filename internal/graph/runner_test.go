package graph

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

const rowOpsRecipe = `
gen "a" {
  rows = 3000
}

filter "f" {
  input = gen.a
  where = id % 3 != 0
}

select "s" {
  input  = filter.f
  derive = { twice = id * 2 }
}
`

// The parallelism budget changes no byte: every node's blob and logical
// digest are the same at --jobs 1 and 8, and with GOMAXPROCS 1.
func TestOutputsIndependentOfBudget(t *testing.T) {
	type digests map[string]string
	build := func(jobs, procs int) digests {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p := newProject(t, rowOpsRecipe)
		pl := p.mustBuild(jobs)
		out := digests{}
		for _, n := range pl.Nodes {
			out[n.ID] = fmt.Sprintf("%s %s %d", n.Manifest.Blob, n.Manifest.Logical, n.Manifest.Rows)
		}
		checkStore(t, p.store)
		return out
	}
	want := build(1, runtime.GOMAXPROCS(0))
	if want["select.s"] == "" || len(want) != 3 {
		t.Fatalf("reference build: %v", want)
	}
	for _, c := range []struct{ jobs, procs int }{{8, runtime.GOMAXPROCS(0)}, {8, 1}, {1, 1}, {2, 4}} {
		got := build(c.jobs, c.procs)
		for id, d := range want {
			if got[id] != d {
				t.Errorf("jobs=%d GOMAXPROCS=%d: %s = %s, want %s", c.jobs, c.procs, id, got[id], d)
			}
		}
	}
}

// countingRunner wraps another runner and records the nodes it was asked
// to run.
type countingRunner struct {
	next Runner
	mu   sync.Mutex
	ran  map[string]int
}

func (c *countingRunner) Run(ctx context.Context, n *Node, in []*Manifest) (*Result, error) {
	c.mu.Lock()
	c.ran[n.ID]++
	c.mu.Unlock()
	if len(in) != len(n.Deps) {
		return nil, fmt.Errorf("%s: %d input manifests for %d inputs", n.ID, len(in), len(n.Deps))
	}
	for i, m := range in {
		if m == nil || m != n.Deps[i].Manifest {
			return nil, fmt.Errorf("%s: input %d is not its producer's manifest", n.ID, i)
		}
	}
	return c.next.Run(ctx, n, in)
}

// Execute schedules through ExecOptions.Runner, one call per node, and
// puts each returned result into its node.
func TestExecuteThroughRunner(t *testing.T) {
	p := newProject(t, diamondRecipe)
	pl := p.load(nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	o := ExecOptions{Store: p.store, Mem: mem, Jobs: 3}
	r := &countingRunner{next: InProcess(pl, o), ran: map[string]int{}}
	o.Runner = r
	if err := pl.Execute(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, n := range pl.Nodes {
		if r.ran[n.ID] != 1 {
			t.Errorf("runner ran %s %d times, want 1", n.ID, r.ran[n.ID])
		}
		if n.Manifest == nil || n.Cached {
			t.Errorf("%s after Execute: manifest %v, cached %v", n.ID, n.Manifest, n.Cached)
		}
	}

	// A runner's result is the node's, whatever produced it: here, the
	// first build's results handed back without running anything.
	first := map[string]*Manifest{}
	for _, n := range pl.Nodes {
		first[n.ID] = n.Manifest
	}
	pl2 := p.load(nil)
	o.Runner = runnerFunc(func(ctx context.Context, n *Node, in []*Manifest) (*Result, error) {
		return &Result{Manifest: first[n.ID], Cached: true}, nil
	})
	if err := pl2.Execute(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, n := range pl2.Nodes {
		if n.Manifest != first[n.ID] || !n.Cached {
			t.Errorf("%s: the runner's result was not applied", n.ID)
		}
		if p.ops.Runs(n.ID) != 1 {
			t.Errorf("%s ran %d times in all, want 1", n.ID, p.ops.Runs(n.ID))
		}
	}
}

type runnerFunc func(ctx context.Context, n *Node, in []*Manifest) (*Result, error)

func (f runnerFunc) Run(ctx context.Context, n *Node, in []*Manifest) (*Result, error) {
	return f(ctx, n, in)
}
