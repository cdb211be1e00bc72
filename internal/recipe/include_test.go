package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIncludeLoadsEachFileOnce: includes are transitive, relative to the
// including file, and a file reached several times (listed twice, a
// diamond, spelled differently) is loaded once, so its nodes are declared
// once.
func TestIncludeLoadsEachFileOnce(t *testing.T) {
	dir := filepath.Join("testdata", "include", "ok")
	r, diags := LoadProject(filepath.Join(dir, "main.hcl"), dir, testKinds, nil)
	if len(diags) > 0 {
		t.Fatalf("LoadProject diagnostics:\n%s", FormatDiagnostics(diags))
	}
	var files []string
	for _, f := range r.Files {
		files = append(files, filepath.ToSlash(f.Path))
	}
	want := []string{
		"testdata/include/ok/main.hcl",
		"testdata/include/ok/lib/a.hcl",
		"testdata/include/ok/lib/c.hcl",
		"testdata/include/ok/lib/b.hcl",
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	var ids []string
	for _, n := range r.Nodes {
		ids = append(ids, n.ID())
	}
	if diff := cmp.Diff([]string{"output.all", "select.a", "fetch.c", "select.b"}, ids); diff != "" {
		t.Errorf("Nodes (-want +got):\n%s", diff)
	}
	if got := r.Node("select.b").Deps; !cmp.Equal(got, []string{"select.a"}) {
		t.Errorf("select.b deps = %v, want [select.a] (references cross files)", got)
	}
	// The name and directory stay the main file's: the lock is
	// lockfiles/main.lock, relative fetches resolve against dir.
	if r.Name != "main" || r.Dir != dir {
		t.Errorf("Name, Dir = %q, %q; want main, %s", r.Name, r.Dir, dir)
	}
}

// TestIncludeDiagnostics: every way an include can be wrong is a
// diagnostic at its item (missing, not .hcl, a folder, outside the
// project, absolute, a cycle, not a literal), and a node declared in two
// files names both places.
func TestIncludeDiagnostics(t *testing.T) {
	dir := filepath.Join("testdata", "include", "errors")
	_, diags := LoadProject(filepath.Join(dir, "main.hcl"), dir, testKinds, nil)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		t.Fatal(err)
	}
	got := FormatDiagnostics(diags)
	got = strings.ReplaceAll(got, filepath.Dir(real), "$TESTDATA")
	golden := filepath.Join("testdata", "golden", "include.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/recipe -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("FormatDiagnostics mismatch (-%s +got):\n%s", golden, diff)
	}
}

// TestIncludeNotAList: include is a list of literal strings.
func TestIncludeNotAList(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.hcl")
	src := "include = \"lib/a.hcl\"\nfetch \"a\" {\n  url = \"https://example.org/a.csv\"\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := LoadProject(p, dir, testKinds, nil)
	got := FormatDiagnostics(diags)
	want := p + `:1:11: error: Invalid include; include must be a list of literal strings. Write include = ["lib/esconv.hcl", ...]: a list of .hcl files, relative to the file that includes them.` + "\n"
	if got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

// TestIncludeThroughLinkOutside: a link inside the project that leads out
// of it is outside the project too.
func TestIncludeThroughLinkOutside(t *testing.T) {
	outside, project := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.hcl"), []byte("fetch \"x\" {\n  url = \"https://example.org/x.csv\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(project, "lib")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	p := filepath.Join(project, "r.hcl")
	src := "include = [\"lib/x.hcl\"]\nfetch \"a\" {\n  url = \"https://example.org/a.csv\"\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, diags := LoadProject(p, project, testKinds, nil)
	got := FormatDiagnostics(diags)
	if !strings.Contains(got, p+":1:12: error: Include outside the project") || r.Node("fetch.x") != nil {
		t.Errorf("diagnostics:\n%s", got)
	}
}
