package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// SMILECHAT stores one dialogue per JSON file: a glob fetch reads all 492 as
// one table with each row's file name, pinned by the digest of the
// `sha256sum` listing of the files.
func TestGlobFetchOfSMILECHAT(t *testing.T) {
	dir := filepath.Join(sharedData(t), "smilechat", "data")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	must(t, err)
	sort.Strings(files)
	if len(files) != 492 {
		t.Fatalf("%d SMILECHAT files, want 492", len(files))
	}
	// What `(cd DIR && sha256sum *.json | sort -k2) | sha256sum` prints.
	var listing strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		fmt.Fprintf(&listing, "%x  %s\n", sha256.Sum256(b), filepath.Base(f))
	}
	sum := sha256.Sum256([]byte(listing.String()))
	pin := "sha256:" + hex.EncodeToString(sum[:])

	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	write := func(digest string) {
		recipe := fmt.Sprintf(`
fetch "smilechat" {
  url         = %q
  digest      = %q
  format      = "json"
  file_column = "file"
}

output "smilechat" {
  input = fetch.smilechat
  path  = "out/smilechat.parquet"
}
`, filepath.Join(dir, "*.json"), digest)
		must(t, os.WriteFile(p.recipe(), []byte(recipe), 0o644))
	}
	write(pin)
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	if got := l.Fetches["fetch.smilechat"].Digest; string(got) != pin {
		t.Errorf("locked tree digest %s, want %s", got, pin)
	}
	n := l.Nodes["fetch.smilechat"]
	if n.Rows == 0 || n.Schema[len(n.Schema)-1] != "file: utf8 not null" {
		t.Errorf("fetch.smilechat: %d rows, schema %v; want rows and a trailing file column", n.Rows, n.Schema)
	}
	if code, out, stderr := p.dsbuild(t, "verify", p.recipe()); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, stderr)
	}
	// A wrong pin does not hold.
	write("sha256:" + strings.Repeat("0", 64))
	p.cache = t.TempDir()
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != exitPin || !strings.Contains(stderr, pin) {
		t.Fatalf("wrong pin: exit %d, want %d naming %s\n%s", code, exitPin, pin, stderr)
	}
}
