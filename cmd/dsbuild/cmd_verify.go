package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/graph"
)

type verifyOptions struct {
	commonOptions
	remoteOptions
	jobs int
	keep bool
}

func runVerifyCmd(ctx context.Context, g *globals, args []string) error {
	var o verifyOptions
	fs := newFlagSet(g, "verify", "RECIPE", "Rebuild every node from the pinned inputs into a fresh temporary store and compare\nevery digest with lockfiles/<recipe>.lock. Exit 3 on any mismatch.")
	o.commonOptions.AddFlags(fs)
	fs.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "nodes run in parallel")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary store and outputs (their paths are printed)")
	o.remoteOptions.AddFlags(fs) // --remote: only check that the remote has every locked artifact
	pos, err := parseArgs(fs, args, 1, "exactly one RECIPE")
	if err != nil {
		return err
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return err
	}
	if p.Lock == nil {
		return lockError{"verify: there is no lock at " + p.LockPath + "; run dsbuild build first"}
	}
	if problems := p.CheckRecipe(); len(problems) > 0 {
		return lockError{"verify: the recipe no longer matches its lock:\n  " + strings.Join(problems, "\n  ")}
	}
	if r, err := o.remoteOptions.open(g, false); r != nil || err != nil {
		if err != nil {
			return err
		}
		return runVerifyRemote(ctx, g, r, p)
	}
	tmp, err := os.MkdirTemp("", "dsbuild-verify-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(g.stderr, "verify: working in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fresh, err := cache.Open(tmp + "/store")
	if err != nil {
		return err
	}
	// The user's store is only read: for nondeterministic nodes (whose
	// pinned output cannot be recomputed) and to show where data differs.
	var local *cache.Store
	if s, err := o.openStore(g); err == nil {
		local = s
	}
	fetcher, err := o.fetcher(g, p)
	if err != nil {
		return err
	}
	ev := newEvents(g, false)
	err = p.Execute(ctx, graph.ExecOptions{
		Store: fresh, Fetcher: fetcher, Jobs: o.jobs, Events: ev,
		OutputDir: tmp + "/outputs", Reuse: local, DebugKeys: debugKeys(g),
	})
	ev.Close()
	if err != nil {
		reportNodeDiags(g, p, err)
		return err
	}
	lock, err := p.NewLock()
	if err != nil {
		return err
	}
	diff := append(graph.Diff(p.Lock, lock), p.ProjectOutputDiffs()...)
	if len(diff) == 0 {
		fmt.Fprintf(g.stdout, "verify: ok: %d nodes, %d fetches, %d outputs match %s\n",
			len(lock.Nodes), len(lock.Fetches), len(lock.Outputs), relToCwd(p.LockPath))
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "verify: %d mismatches with %s:\n", len(diff), relToCwd(p.LockPath))
	for _, d := range diff {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	if local != nil {
		for _, d := range graph.DataDiffs(p, local, fresh, lock) {
			fmt.Fprintf(&b, "  %s\n", d)
		}
	}
	return lockError{strings.TrimRight(b.String(), "\n")}
}

// checkDeterminism reports the nodes of an executed plan that produced
// other data under a key whose result was recorded (in the lock or a
// manifest read before the build): an error (exit 3, the lock is not
// rewritten) under DSBUILD_VERIFY=1, a warning on stderr otherwise. Either
// way a changed result is never re-locked silently.
func checkDeterminism(g *globals, p *graph.Plan, prev graph.Previous) error {
	nd := p.Nondeterminism(prev)
	if len(nd) == 0 {
		return nil
	}
	if g.getenv("DSBUILD_VERIFY") != "" {
		return lockError{"DSBUILD_VERIFY: non-deterministic results:\n  " + strings.Join(nd, "\n  ")}
	}
	for _, l := range nd {
		fmt.Fprintf(g.stderr, "warning: %s\n", l)
	}
	return nil
}
