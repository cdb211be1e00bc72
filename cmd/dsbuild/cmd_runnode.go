package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
	"github.com/dsbuild/dsbuild/internal/faultpoint"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/slurm"
)

// run-node is the plumbing command a cluster job runs: one node, over
// inputs already in the shared store.

type runNodeOptions struct {
	commonOptions
	jobs       int
	batchSize  int
	key        string
	attempt    int
	pins       map[string]string
	shardCount int
	shardIndex int
	result     string
}

const runNodeHelp = `Run the node NODE (KIND.NAME) of RECIPE alone, as one job of a cluster build
(dsbuild build --executor slurm submits it): load the recipe, check that the
node's key is --key (the recipe has not changed since the job was submitted),
read its inputs only from the store (each verified against its digest; a
missing input is an error, never run), write its artifact and manifest into
the store with the same atomic protocol as build, and exit. Outputs and the
lock are the driver's. With --shard-count N --shard-index I it runs shard I
of a node with shards = N over its I-th input row range, stored under the
shard's own key. A node already in the store is not run again.`

func runRunNodeCmd(ctx context.Context, g *globals, args []string) error {
	o := runNodeOptions{pins: map[string]string{}, shardIndex: -1}
	fs := newFlagSet(g, "run-node", "RECIPE NODE", runNodeHelp)
	o.AddFlags(fs)
	jobs := runtime.NumCPU()
	if n, err := strconv.Atoi(g.getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		jobs = n
	}
	fs.IntVar(&o.jobs, "jobs", jobs, "parallel workers inside the node (default $SLURM_CPUS_PER_TASK, else CPUs)")
	fs.IntVar(&o.batchSize, "batch-size", 0, "rows per batch inside ops (does not change any digest)")
	fs.StringVar(&o.key, "key", "", "the node's key the driver computed; a different one is an error (exit 1)")
	fs.IntVar(&o.attempt, "attempt", 1, "attempt number of this job (for logs and test hooks)")
	fs.Func("pin", "ID=DIGEST: the digest an unpinned fetch above the node was found to have (repeatable)", func(s string) error {
		id, d, ok := cutEq(s)
		if !ok {
			return fmt.Errorf("--pin wants ID=DIGEST, got %q", s)
		}
		o.pins[id] = d
		return nil
	})
	fs.IntVar(&o.shardCount, "shard-count", 0, "run one shard of a node split into this many")
	fs.IntVar(&o.shardIndex, "shard-index", -1, "which shard (0-based) with --shard-count")
	fs.StringVar(&o.result, "result", "", "write a JSON summary of the result to this file")
	pos, err := parseArgs(fs, args, 2, "RECIPE and NODE (e.g. dsbuild run-node recipes/drift.hcl filter.failed)")
	if err != nil {
		return err
	}
	if (o.shardCount > 0) != (o.shardIndex >= 0) {
		return usageError{"run-node: --shard-count and --shard-index go together"}
	}
	return runNode(ctx, g, &o, pos[0], pos[1])
}

func cutEq(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

func runNode(ctx context.Context, g *globals, o *runNodeOptions, path, id string) error {
	// A test holds a job here to cancel it (DSBUILD_TEST_HOOK=pause-at:…):
	// one attempt of the node, or every attempt.
	faultpoint.Hit(fmt.Sprintf("run-node:%s:%d", id, o.attempt))
	faultpoint.Hit("run-node:" + id)
	p, err := o.load(g, path)
	if err != nil {
		return err
	}
	n := p.Node(id)
	if n == nil {
		return usageError{fmt.Sprintf("run-node: %s has no node %s", path, id)}
	}
	for pid, d := range o.pins {
		pn := p.Node(pid)
		if pn == nil {
			return usageError{fmt.Sprintf("run-node: --pin %s: no such node", pid)}
		}
		if err := p.SetPin(pn, digest.Digest(d)); err != nil {
			return usageError{"run-node: --pin: " + err.Error()}
		}
	}
	store, err := o.openStore(g)
	if err != nil {
		return err
	}
	fetcher, err := o.fetcher(g, p)
	if err != nil {
		return err
	}
	var shard *graph.Shard
	if o.shardCount > 0 {
		shard = &graph.Shard{Index: o.shardIndex, Count: o.shardCount}
	}
	p.ComputeKeys()
	if o.key != "" && n.Key != "" && string(n.Key) != o.key {
		return fmt.Errorf("run-node %s: its key is %s, the driver's %s: the recipe or an input changed since the job was submitted", id, n.Key, o.key)
	}
	ev := newEvents(g, false)
	defer ev.Close()
	res, err := p.RunOne(ctx, id, graph.ExecOptions{
		Store: store, Fetcher: fetcher, Jobs: o.jobs, BatchSize: o.batchSize, Events: ev, DebugKeys: debugKeys(g),
	}, shard)
	if err != nil {
		reportNodeDiags(g, p, err)
		return err
	}
	what := id
	if shard != nil {
		what = fmt.Sprintf("%s shard %d/%d", id, o.shardIndex, o.shardCount)
	}
	state := "ran"
	if res.Cached {
		state = "cached"
	}
	ev.Logf("%-9s %-34s %8d rows  %s", state, what, res.Manifest.Rows, res.Manifest.Logical)
	if o.result == "" {
		return nil
	}
	rr := slurm.RunResult{Node: id, Key: n.Key, Pin: n.Pin, Blob: res.Manifest.Blob, Logical: res.Manifest.Logical, Rows: res.Manifest.Rows, Cached: res.Cached}
	if shard != nil {
		rr.Shard = fmt.Sprintf("%d/%d", o.shardIndex, o.shardCount)
	}
	b, _ := json.MarshalIndent(rr, "", "  ")
	return atomicfile.WriteFile(atomicfile.OS, o.result, append(b, '\n'), 0o644)
}
