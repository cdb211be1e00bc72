package main

import (
	"context"
	"fmt"
)

func runShowCmd(ctx context.Context, g *globals, args []string) error {
	var o commonOptions
	var limit int64
	var schema bool
	fs := newFlagSet(g, "show", "RECIPE NODE", "Print the first rows of NODE's built output as JSON Lines (nothing is run).")
	o.AddFlags(fs)
	fs.Int64Var(&limit, "n", 10, "rows to print (-1: all)")
	fs.BoolVar(&schema, "schema", false, "print the schema, row count and digests instead of rows")
	pos, err := parseArgs(fs, args, 2, "RECIPE and NODE (e.g. dsbuild show recipes/drift.hcl filter.esconv_high_rated)")
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
