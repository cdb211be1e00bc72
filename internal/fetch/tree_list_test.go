//go:build unix

package fetch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ListTree lists what `sha256sum` would read: the tree's directory may be
// a link, links to files count as the files, links to directories are not
// followed, dangling links are skipped, and a matching special file is an
// error rather than a silent gap.
func TestListTreeLinksAndSpecialFiles(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	write := func(rel string) {
		p := filepath.Join(real, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json")
	write("sub/b.json")
	outside := filepath.Join(base, "outside.json")
	if err := os.WriteFile(outside, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := func(target, rel string) {
		if err := os.Symlink(target, filepath.Join(real, filepath.FromSlash(rel))); err != nil {
			t.Skip("symlinks unsupported:", err)
		}
	}
	link(outside, "c.json")                        // a file elsewhere: counts
	link(filepath.Join(base, "missing"), "d.json") // dangling: skipped
	link(real, "sub/loop")                         // a directory: not followed
	viaLink := filepath.Join(base, "data")
	if err := os.Symlink(real, viaLink); err != nil {
		t.Fatal(err)
	}

	want := []string{"a.json", "c.json", "sub/b.json"}
	for _, dir := range []string{real, viaLink} {
		got, err := ListTree(dir, "")
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("ListTree(%s) = %v, %v; want %v", dir, got, err, want)
		}
	}
	if got, err := ListTree(viaLink, "*.json"); err != nil || !cmp.Equal(got, []string{"a.json", "c.json"}) {
		t.Errorf("ListTree(%s, *.json) = %v, %v", viaLink, got, err)
	}

	// A special file that the pattern does not match is none of its
	// business; one that it matches is an error naming it.
	if err := syscall.Mkfifo(filepath.Join(real, "pipe.fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	link("/dev/zero", "zero.bin")
	if _, err := ListTree(real, "*.json"); err != nil {
		t.Errorf("ListTree(*.json) = %v; the FIFO and /dev/zero link do not match", err)
	}
	for _, tt := range []struct{ pattern, name string }{{"*.fifo", "pipe.fifo"}, {"*.bin", "zero.bin"}, {"", "pipe.fifo"}} {
		_, err := ListTree(viaLink, tt.pattern)
		if !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), filepath.Join(viaLink, tt.name)) {
			t.Errorf("ListTree(%q) = %v; want ErrSpecialFile naming %s", tt.pattern, err, filepath.Join(viaLink, tt.name))
		}
	}
	for _, dir := range []string{"/proc/self", "/dev"} {
		if _, err := ListTree(dir, ""); !errors.Is(err, ErrSpecialFile) {
			t.Errorf("ListTree(%s) = %v; want ErrSpecialFile", dir, err)
		}
	}
}
