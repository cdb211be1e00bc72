package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// empathyFiles are the three Empathy-Mental-Health Reddit mechanism files.
func empathyFiles(t *testing.T) map[string][]byte {
	t.Helper()
	dir := sharedtest.Dir(t, "data/empathy_mental_health")
	files := map[string][]byte{}
	for _, m := range []string{"emotional-reactions", "explorations", "interpretations"} {
		b, err := os.ReadFile(filepath.Join(dir, m+"-reddit.csv"))
		must(t, err)
		files[m+".csv"] = b
	}
	return files
}

const empathyFetches = `fetch "er" {
  url = "../data/emotional-reactions.csv"
}
fetch "ex" {
  url = "../data/explorations.csv"
}
fetch "ip" {
  url = "../data/interpretations.csv"
}
`

// Issue 10, items 3 and 5, as a user builds them: the three mechanism
// files deduplicated per (sp_id, rp_id) and joined into one table with
// three level columns. The same lock and output at --batch-size 1 and 4096,
// and a second build runs nothing.
func TestRelJoinDistinctBuild(t *testing.T) {
	files := empathyFiles(t)
	recipe := empathyFetches + `
distinct "er" {
  input    = fetch.er
  by       = [sp_id, rp_id]
  keep     = "last"
  order_by = level
}
distinct "ex" {
  input = fetch.ex
  by    = [sp_id, rp_id]
}
distinct "ip" {
  input = fetch.ip
  by    = [sp_id, rp_id]
}
join "er_ex" {
  left   = distinct.er
  right  = distinct.ex
  on     = ["sp_id", "rp_id"]
  suffix = "_ex"
}
join "all" {
  left   = join.er_ex
  right  = distinct.ip
  on     = { sp_id = "sp_id", rp_id = "rp_id" }
  suffix = "_ip"
}
join "unlabelled" {
  left = fetch.er
  right = distinct.ip
  on = ["sp_id", "rp_id"]
  how = "anti"
}
output "all" {
  input = join.all
  path  = "out/all.jsonl"
}
output "unlabelled" {
  input = join.unlabelled
  path  = "out/unlabelled.jsonl"
}
`
	var wantLock, wantOut []byte
	for _, n := range []string{"1", "4096"} {
		p := arrowProject(t, recipe, files)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--batch-size", n)
		if code != 0 {
			t.Fatalf("build --batch-size %s: exit %d\n%s", n, code, stderr)
		}
		lock, err := os.ReadFile(p.lock())
		must(t, err)
		out, err := os.ReadFile(filepath.Join(p.dir, "out", "all.jsonl"))
		must(t, err)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 3023 {
			t.Errorf("--batch-size %s: %d joined rows, want 3023", n, len(lines))
		}
		for _, col := range []string{`"level":`, `"level_ex":`, `"level_ip":`} {
			if !strings.Contains(lines[0], col) {
				t.Errorf("joined row has no %s column: %s", col, lines[0])
			}
		}
		un, err := os.ReadFile(filepath.Join(p.dir, "out", "unlabelled.jsonl"))
		must(t, err)
		if len(bytes.TrimSpace(un)) != 0 {
			t.Errorf("anti join of ER against IP's pairs kept rows:\n%.300s", un)
		}
		if wantLock == nil {
			wantLock, wantOut = lock, out
			code, _, stderr = p.dsbuild(t, "build", p.recipe(), "--batch-size", n)
			if code != 0 {
				t.Fatalf("second build: exit %d\n%s", code, stderr)
			}
			if strings.Contains(stderr, "ran ") || !strings.Contains(stderr, "nothing to do") {
				t.Fatalf("second build executed nodes:\n%s", stderr)
			}
			continue
		}
		if !bytes.Equal(lock, wantLock) {
			t.Errorf("--batch-size %s: lock differs from --batch-size 1:\n%s\n---\n%s", n, lock, wantLock)
		}
		if !bytes.Equal(out, wantOut) {
			t.Errorf("--batch-size %s: out/all.jsonl differs from --batch-size 1", n)
		}
	}
}

// Joining the raw mechanism files fails the build with the duplicate keys
// (3,084 rows, 3,023 distinct pairs), naming the node; a key type mismatch
// is a recipe diagnostic (exit 2) before anything runs.
func TestRelJoinDuplicateKeysAndTypeMismatch(t *testing.T) {
	files := empathyFiles(t)
	p := arrowProject(t, empathyFetches+`
join "dup" {
  left  = fetch.er
  right = fetch.ex
  on    = ["sp_id", "rp_id"]
}
output "dup" {
  input = join.dup
  path  = "out/dup.jsonl"
}
`, files)
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"join.dup", "fetch.ex", "3084 rows", "3023 distinct", "many = true"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}

	p = arrowProject(t, strings.Replace(empathyFetches, `url = "../data/explorations.csv"`, `url = "../data/explorations.csv"
  schema = { level = "int64" }`, 1)+`
join "bad" {
  left  = fetch.er
  right = fetch.ex
  on    = { sp_id = "level" }
  many  = true
}
output "bad" {
  input = join.bad
  path  = "out/bad.jsonl"
}
`, files)
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 2 {
		t.Fatalf("build: exit %d, want 2\n%s", code, stderr)
	}
	for _, want := range []string{"Join key types differ", "sp_id", "level", "esconv.hcl:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
}
