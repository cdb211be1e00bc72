package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// runFmtCmd rewrites recipe files in HCL's canonical layout. Formatting
// never changes a key (keys see expressions, not text), but it changes the
// recipe's file digests, so the lock is rewritten by the next build.
func runFmtCmd(ctx context.Context, g *globals, args []string) error {
	var check bool
	fs := newFlagSet(g, "fmt", "RECIPE|DIR...", "Rewrite recipe files (and *.hcl in directories) in canonical HCL layout.")
	fs.BoolVar(&check, "check", false, "change nothing; list the files that are not formatted and exit 1 if any")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"fmt needs at least one recipe file or directory"}
	}
	var files []string
	for _, p := range pos {
		fi, err := os.Stat(p)
		if err != nil {
			return usageError{err.Error()}
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.hcl"))
		if err != nil {
			return err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	stallForTest(g, "fmt")
	var diags hcl.Diagnostics
	var unformatted []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		// Refuse to format what does not parse: the diagnostics say why.
		// Nesting is checked first: the parser would overflow the stack.
		if d := recipe.CheckNesting(src, f); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if _, d := hclsyntax.ParseConfig(src, f, hcl.InitialPos); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted = append(unformatted, f)
		if check {
			continue
		}
		// Replaced atomically: a crash never leaves a recipe half written.
		// A recipe that is a link is rewritten where it leads, as writing
		// through it did, and stays a link.
		target, err := filepath.EvalSymlinks(f)
		if err != nil {
			return err
		}
		fi, err := os.Stat(target)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(atomicfile.OS, target, out, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	if diags.HasErrors() {
		printDiags(g, nil, diags)
		return diags
	}
	for _, f := range unformatted {
		fmt.Fprintln(g.stdout, f)
	}
	if check && len(unformatted) > 0 {
		return fmt.Errorf("%d recipe files are not formatted; run dsbuild fmt", len(unformatted))
	}
	return nil
}
