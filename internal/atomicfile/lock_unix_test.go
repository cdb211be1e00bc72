//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// A temp file's lock is held while its writer has it open and is free
// once the writer closes it (or dies): how cleaners tell the two apart.
func TestLockHeldUntilClose(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tmp")
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := Lock(w); err != nil {
		t.Fatal(err)
	}
	c, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if TryLock(c) {
		t.Fatal("TryLock succeeded while the writer holds the lock")
	}
	w.Close()
	if !TryLock(c) {
		t.Fatal("TryLock failed after the writer closed the file")
	}
}
