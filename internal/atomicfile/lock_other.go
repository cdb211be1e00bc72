//go:build !unix

package atomicfile

import (
	"os"
)

// CanLock: without advisory locks a temp file's owner cannot be told from
// a dead writer's leftover.
const CanLock = false

func Lock(f *os.File) error { return nil }

func TryLock(f *os.File) bool { return false }

// renameOpen closes first: Windows cannot rename a file that is open.
func renameOpen(d Dir, f *os.File, from, to string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return d.Rename(from, to)
}
