package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/graph"
)

func runPlanCmd(ctx context.Context, g *globals, args []string) error {
	var o commonOptions
	fs := newFlagSet(g, "plan", "RECIPE", "List every node as cached or will run, and why it will run. Runs nothing.")
	o.AddFlags(fs)
	pos, err := parseArgs(fs, args, 1, "exactly one RECIPE")
	if err != nil {
		return err
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return err
	}
	store, err := o.openStore(g)
	if err != nil {
		return err
	}
	if diags := p.Check(store, memory.DefaultAllocator); diags.HasErrors() {
		printDiags(g, p, diags)
		return diags
	}
	run := 0
	for _, st := range p.Status(store) {
		if st.Cached {
			fmt.Fprintf(g.stdout, "cached    %s\n", st.Node.ID)
			continue
		}
		run++
		fmt.Fprintf(g.stdout, "will run  %s: %s\n", st.Node.ID, st.Why)
	}
	fmt.Fprintf(g.stdout, "%d of %d nodes will run\n", run, len(p.Nodes))
	return nil
}

func runExplainCmd(ctx context.Context, g *globals, args []string) error {
	var o commonOptions
	fs := newFlagSet(g, "explain", "RECIPE NODE", "Print NODE's key preimage (everything its cache key is made of) and the fields that changed since the lock.")
	o.AddFlags(fs)
	pos, err := parseArgs(fs, args, 2, "RECIPE and NODE (e.g. dsbuild explain recipes/drift.hcl filter.low_empathy)")
	if err != nil {
		return err
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return err
	}
	n, err := lookupNode(p, pos[0], pos[1])
	if err != nil {
		return err
	}
	store, err := o.openStore(g)
	if err != nil {
		return err
	}
	fmt.Fprint(g.stdout, p.Explain(store, n))
	return nil
}

func runGraphCmd(ctx context.Context, g *globals, args []string) error {
	var o commonOptions
	fs := newFlagSet(g, "graph", "RECIPE", "Print the recipe's DAG in Graphviz DOT (dsbuild graph r.hcl | dot -Tsvg > g.svg).")
	o.AddFlags(fs)
	pos, err := parseArgs(fs, args, 1, "exactly one RECIPE")
	if err != nil {
		return err
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprint(g.stdout, p.DOT())
	return nil
}

// version is set at link time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

func runVersionCmd(ctx context.Context, g *globals, args []string) error {
	fmt.Fprintf(g.stdout, "dsbuild %s (key %s, lock format %d)\n", version, graph.KeyVersion, graph.LockVersion)
	return nil
}

// lookupNode finds a node by ID, or says which IDs the recipe has.
func lookupNode(p *graph.Plan, recipe, id string) (*graph.Node, error) {
	if n := p.Node(id); n != nil {
		return n, nil
	}
	ids := make([]string, 0, len(p.Nodes))
	for _, n := range p.Nodes {
		ids = append(ids, n.ID)
	}
	sort.Strings(ids)
	return nil, usageError{fmt.Sprintf("no node %q in %s; nodes: %s", id, recipe, strings.Join(ids, ", "))}
}
