package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tempsLeft lists the names in dir other than keep.
func tempsLeft(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
next:
	for _, e := range ents {
		for _, k := range keep {
			if e.Name() == k {
				continue next
			}
		}
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFileReplacesAndKeepsNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.hcl")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(OS, p, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p); got != "new" {
		t.Errorf("content = %q, want new", got)
	}
	fi, _ := os.Stat(p)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	if left := tempsLeft(t, dir, "r.hcl"); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A link at the final name is replaced by the file, never written through.
func TestWriteFileNeverFollowsALink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep me"), 0o644)
	p := filepath.Join(dir, "out")
	if err := os.Symlink(victim, p); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := WriteFile(OS, p, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, victim); got != "keep me" {
		t.Errorf("the link's target was written: %q", got)
	}
	if fi, _ := os.Lstat(p); !fi.Mode().IsRegular() || readFile(t, p) != "data" {
		t.Errorf("%s is %v, want the regular file written", p, fi.Mode())
	}
}

func TestCommitInRoot(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	inside := filepath.Join(dir, "proj")
	os.MkdirAll(filepath.Join(inside, "out"), 0o755)
	os.MkdirAll(outside, 0o755)
	root, err := os.OpenRoot(inside)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	write := func(dst string, o Options) error {
		tmp, err := Create(root, "out/.x.tmp-")
		if err != nil {
			t.Fatal(err)
		}
		tmp.Write([]byte("bytes"))
		err = tmp.Commit(dst, o)
		tmp.Abort() // a no-op after a commit, or after a failed one
		return err
	}
	if err := write("out/a", Options{Mode: 0o644, Sync: true, RefuseNonRegular: true}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(inside, "out", "a")); got != "bytes" {
		t.Errorf("out/a = %q", got)
	}
	// Out of the root: refused, and nothing left.
	if err := write("../outside/b", Options{Mode: 0o644}); err == nil {
		t.Error("a commit to ../outside/b succeeded")
	}
	if left := tempsLeft(t, outside); len(left) != 0 {
		t.Errorf("written outside the root: %v", left)
	}
	// A link at the final name: refused with RefuseNonRegular.
	if err := os.Symlink(filepath.Join(outside, "c"), filepath.Join(inside, "out", "c")); err == nil {
		var nr *NotRegularError
		if err := write("out/c", Options{Mode: 0o644, RefuseNonRegular: true}); !errors.As(err, &nr) {
			t.Errorf("commit over a link = %v, want a NotRegularError", err)
		}
		if _, err := os.Lstat(filepath.Join(outside, "c")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the link's target was created")
		}
	}
	// A failed rename (a non-empty folder in the way) leaves no temp file.
	os.MkdirAll(filepath.Join(inside, "out", "d", "x"), 0o755)
	if err := write("out/d", Options{Mode: 0o644}); err == nil {
		t.Error("a commit over a non-empty folder succeeded")
	}
	if left := tempsLeft(t, filepath.Join(inside, "out"), "a", "c", "d"); len(left) != 0 {
		t.Errorf("temp files left after failed commits: %v", left)
	}
}

func TestCommitTwice(t *testing.T) {
	dir := t.TempDir()
	tmp, err := Create(OS, filepath.Join(dir, ".t-"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tmp.Commit(filepath.Join(dir, "a"), Options{Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if err := tmp.Commit(filepath.Join(dir, "b"), Options{Mode: 0o644}); err == nil {
		t.Error("a second Commit succeeded")
	}
}
