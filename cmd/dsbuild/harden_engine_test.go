package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fmt replaces a recipe atomically, beside the file a link leads to: the
// link stays a link, its target gets the formatted text, no temp is left.
func TestFmtThroughLinkIsAtomic(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	must(t, os.MkdirAll(real, 0o755))
	target := filepath.Join(real, "r.hcl")
	must(t, os.WriteFile(target, []byte("fetch \"a\" {\nurl=\"x.json\"\n}\n"), 0o640))
	link := filepath.Join(dir, "r.hcl")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), g, []string{"fmt", link}); code != exitOK {
		t.Fatalf("fmt: exit %d\n%s", code, errb.String())
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link: %v", link, err)
	}
	got, err := os.ReadFile(target)
	must(t, err)
	if want := "fetch \"a\" {\n  url = \"x.json\"\n}\n"; string(got) != want {
		t.Errorf("target after fmt:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after fmt = %v, want 0640", fi.Mode().Perm())
	}
	for _, d := range []string{dir, real} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temp file left: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}
