package main

import (
	"context"
	"fmt"
	"strings"
)

func runShowCmd(ctx context.Context, g *globals, args []string) error {
	var o commonOptions
	var limit int64
	var schema bool
	fs := newFlagSet(g, "show", "RECIPE NODE", "Print the first rows of NODE's built output as JSON Lines (nothing is run).")
	o.AddFlags(fs)
	fs.Int64Var(&limit, "n", 10, "rows to print (-1: all)")
	fs.BoolVar(&schema, "schema", false, "print the schema, row count and digests instead of rows")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{"show needs RECIPE and NODE (e.g. dsbuild show recipes/drift.hcl filter.failed_low_empathy)"}
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return err
	}
	n := p.Node(pos[1])
	if n == nil {
		ids := make([]string, 0, len(p.Nodes))
		for _, n := range p.Nodes {
			ids = append(ids, n.ID)
		}
		return usageError{fmt.Sprintf("no node %q in %s; nodes: %s", pos[1], pos[0], strings.Join(ids, ", "))}
	}
	store, err := o.openStore(g)
	if err != nil {
		return err
	}
	if schema {
		m, err := p.Show(store, n, 0, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s: %d rows, logical %s\n", n.ID, m.Rows, m.Logical)
		for _, f := range m.Schema {
			fmt.Fprintf(g.stdout, "  %s\n", f)
		}
		return nil
	}
	_, err = p.Show(store, n, limit, g.stdout)
	return err
}
