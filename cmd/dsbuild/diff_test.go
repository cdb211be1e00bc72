package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDiff = flag.Bool("update-diff", false, "rewrite testdata/diff/*.golden")

const diffRecipeV1 = `variable "min_score" {
  default = 2
}

fetch "people" {
  url = "../data/people.csv"
}

filter "kept" {
  input = fetch.people
  where = tonumber(score) >= var.min_score
}

select "named" {
  input = filter.kept
  keep  = ["name", "score"]
}

aggregate "per_city" {
  input = fetch.people
  by    = [city]
  agg   = { n = count() }
  sort  = true
}

output "kept" {
  input = select.named
  path  = "out/kept.csv"
}

output "per_city" {
  input = aggregate.per_city
  path  = "out/per_city.csv"
}
`

// The recipe edited: select keeps another column and types the score,
// the per-city counts are gone, a sorted copy is new.
const diffRecipeV2 = `variable "min_score" {
  default = 2
}

fetch "people" {
  url = "../data/people.csv"
}

filter "kept" {
  input = fetch.people
  where = tonumber(score) >= var.min_score
}

select "named" {
  input  = filter.kept
  keep   = ["name", "city", "score"]
  derive = { score = tonumber(score) }
}

sort "by_name" {
  input = select.named
  by    = ["name desc"]
}

output "kept" {
  input = select.named
  path  = "out/kept.csv"
}

output "by_name" {
  input = sort.by_name
  path  = "out/by_name.csv"
}
`

// buildLock builds recipe source in a fresh project with a fixture table
// and returns a copy of its lock, named name.lock in dir.
func buildLock(t *testing.T, dir, name, src string, args ...string) string {
	t.Helper()
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	copyFile(t, filepath.Join("testdata", "diff", "people.csv"), filepath.Join(p.dir, "data", "people.csv"))
	recipe := filepath.Join(p.dir, "recipes", "people.hcl")
	must(t, os.MkdirAll(filepath.Dir(recipe), 0o755))
	must(t, os.WriteFile(recipe, []byte(src), 0o644))
	if code, _, stderr := p.dsbuild(t, append([]string{"build", recipe}, args...)...); code != 0 {
		t.Fatalf("build %s: exit %d\n%s", name, code, stderr)
	}
	out := filepath.Join(dir, name+".lock")
	copyFile(t, filepath.Join(p.dir, "lockfiles", "people.lock"), out)
	return out
}

// diffLocks runs dsbuild diff in-process with the locks named relative to
// dir, so the text does not hold a temporary path.
func diffLocks(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), g, append([]string{"diff"}, args...))
	return code, out.String(), errb.String()
}

// checkGolden compares got with dir/name (dir absolute: diffLocks changes
// the working directory).
func checkGolden(t *testing.T, dir, name, got string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if *updateDiff {
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if got != string(want) {
		t.Errorf("%s differs (go test -run TestDiff ./cmd/dsbuild -args -update-diff rewrites it)\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// dsbuild diff on real locks of one recipe: built twice with one variable
// changed (the filter and what follows change rows and data; the fetch and
// the other branch do not), and built again after an edit that adds a
// column, retypes one, adds a node and an output and removes others.
// Identical locks print nothing and exit 0; different ones exit 1.
func TestDiffLocks(t *testing.T) {
	golden, err := filepath.Abs(filepath.Join("testdata", "diff"))
	must(t, err)
	dir := t.TempDir()
	buildLock(t, dir, "a", diffRecipeV1)
	buildLock(t, dir, "b", diffRecipeV1, "-var", "min_score=4")
	buildLock(t, dir, "c", diffRecipeV2)
	buildLock(t, dir, "a2", diffRecipeV1, "--jobs", "1", "--batch-size", "1")

	code, out, stderr := diffLocks(t, dir, "a.lock", "a2.lock")
	if code != 0 || out != "" || stderr != "" {
		t.Fatalf("diff of the same build: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = diffLocks(t, dir, "a.lock", "b.lock")
	if code != exitFailed || !strings.Contains(stderr, "the locks differ: 3 nodes changed, 0 added, 0 removed, 1 output files changed") {
		t.Errorf("diff a b: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	checkGolden(t, golden, "variable.golden", out)
	code, out, stderr = diffLocks(t, dir, "a.lock", "c.lock")
	if code != exitFailed {
		t.Errorf("diff a c: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	checkGolden(t, golden, "recipe.golden", out)
	// The other way round, what was added is removed.
	_, back, _ := diffLocks(t, dir, "c.lock", "a.lock")
	if !strings.Contains(back, "  - sort.by_name  sort@1") || !strings.Contains(back, "  + aggregate.per_city  aggregate@1") {
		t.Errorf("diff c a:\n%s", back)
	}
}

func TestDiffUsageErrors(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "bad.lock"), []byte("node \"x\" {\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ok.lock"), []byte("lock_version = 1\nrecipe = \"r\"\n"), 0o644))
	for _, args := range [][]string{
		{"ok.lock"},
		{"ok.lock", "ok.lock", "ok.lock"},
		{"ok.lock", "missing.lock"},
		{"bad.lock", "ok.lock"},
		{"ok.lock", "."},
	} {
		code, out, stderr := diffLocks(t, dir, args...)
		if code != exitUsage || out != "" || stderr == "" {
			t.Errorf("diff %v: exit %d, stdout %q, stderr %q; want %d with a message", args, code, out, stderr, exitUsage)
		}
	}
}
