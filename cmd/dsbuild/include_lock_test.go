package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Included files are files of the recipe: the lock pins them, build
// --locked refuses an edited one (exit 3), an output may not overwrite one,
// and a bad include is exit 2 with the item's place.
func TestIncludedFilesAreRecipeFiles(t *testing.T) {
	p := &storeProject{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir(), name: "main"}
	for _, d := range []string{"recipes/lib", "lockfiles", "data"} {
		must(t, os.MkdirAll(filepath.Join(p.dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "x.jsonl"), jsonlRows(1, 20), 0o644))
	write := func(rel, src string) {
		must(t, os.WriteFile(filepath.Join(p.dir, rel), []byte(src), 0o644))
	}
	write("recipes/main.hcl", `include = ["lib/a.hcl"]

output "x" {
  input = filter.lib_x
  path  = "out/x.parquet"
}
`)
	// A relative path in a file means what it says there: from
	// recipes/lib/, the project's data/ is ../../data, whether the lib is
	// included by recipes/main.hcl or built on its own.
	lib := `fetch "lib_x" {
  url = "../../data/x.jsonl"
}

filter "lib_x" {
  input = fetch.lib_x
  where = x > 100
}
`
	write("recipes/lib/a.hcl", lib)
	if code, _, stderr := p.run(t, "build", filepath.Join(p.dir, "recipes/lib/a.hcl")); code != 0 {
		t.Fatalf("the lib on its own: exit %d\n%s", code, stderr)
	}
	p.build(t)
	lock, err := os.ReadFile(p.lock())
	must(t, err)
	if !strings.Contains(string(lock), `file "recipes/lib/a.hcl"`) {
		t.Fatalf("the lock does not pin the included file:\n%s", lock)
	}

	write("recipes/lib/a.hcl", lib+"# edited\n")
	code, _, stderr := p.run(t, "build", "--locked", p.recipe())
	if code != 3 || !strings.Contains(stderr, "recipe file recipes/lib/a.hcl changed since it was locked") {
		t.Errorf("build --locked after editing an included file: exit %d, want 3 naming it\n%s", code, stderr)
	}

	write("recipes/main.hcl", `include = ["lib/a.hcl"]

output "x" {
  input = filter.lib_x
  path  = "recipes/lib/a.hcl"
}
`)
	if code, _, stderr := p.run(t, "build", p.recipe()); code != 2 || !strings.Contains(stderr, "a.hcl") {
		t.Errorf("an output over an included file: exit %d, want 2\n%s", code, stderr)
	}

	write("recipes/main.hcl", `include = ["lib/b.hcl"]

output "x" {
  input = filter.lib_x
  path  = "out/x.parquet"
}
`)
	code, _, stderr = p.run(t, "build", p.recipe())
	if code != 2 || !strings.Contains(stderr, "main.hcl:1:12") || !strings.Contains(stderr, `Did you mean "a.hcl"?`) {
		t.Errorf("a missing include: exit %d, want 2 at main.hcl:1:12 with a hint\n%s", code, stderr)
	}
}
