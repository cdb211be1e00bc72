//go:build unix

package graph

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/fetch"
)

// An unpinned local input is re-checked on every plan; that re-check reads
// the file under the fetch's rules, so a FIFO or a pseudo file put in its
// place is refused instead of blocking the plan or reading without end.
func TestLocalRecheckRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "input.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "zero.jsonl")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, link, "/proc/self/status"} {
		d, err := stampedDigest(nil, p, "")
		if !errors.Is(err, fetch.ErrSpecialFile) {
			t.Errorf("stampedDigest(%s) = %q, %v; want an error wrapping fetch.ErrSpecialFile", p, d, err)
		}
	}
	regular := filepath.Join(dir, "ok.jsonl")
	content := []byte("{\"a\":1}\n")
	if err := os.WriteFile(regular, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := stampedDigest(nil, regular, ""); err != nil || d != digest.FromBytes(content) {
		t.Errorf("stampedDigest(regular) = %q, %v; want %s", d, err, digest.FromBytes(content))
	}
}
