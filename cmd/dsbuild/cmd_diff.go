package main

import (
	"context"
	"fmt"

	"github.com/dsbuild/dsbuild/internal/graph"
)

func runDiffCmd(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "diff", "LOCK_A LOCK_B",
		"Show what changed from LOCK_A to LOCK_B: recipe files, variables and fetches pinned, nodes added (+), removed (-) or changed (~: key, data, rows, schema), output files changed.\n"+
			"Reads the two locks only (nothing is built or opened in the store). Prints nothing and exits 0 when they pin the same things; exits 1 when they differ, 2 when a lock cannot be read.")
	pos, err := parseArgs(fs, args, 2, "two lock files (e.g. dsbuild diff old.lock lockfiles/drift.lock)")
	if err != nil {
		return err
	}
	var locks [2]*graph.Lock
	for i, path := range pos {
		l, err := graph.ReadLock(path)
		if err != nil {
			return usageError{fmt.Sprintf("diff: %v", err)}
		}
		locks[i] = l
	}
	if graph.Identical(locks[0], locks[1]) {
		return nil
	}
	c := graph.CompareLocks(locks[0], locks[1])
	c.Write(g.stdout, pos[0], pos[1])
	changed, added, removed := c.Counts()
	// Exit 1, like diff(1) when files differ.
	return fmt.Errorf("the locks differ: %d nodes changed, %d added, %d removed, %d output files changed", changed, added, removed, len(c.Outputs))
}
