//go:build !unix

package cache

import (
	"os"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
)

// openEntry opens a store entry for reading; one that is not a regular file
// (a link, a device) returns errNotRegular. Without O_NOFOLLOW the file is
// checked before and after opening.
func openEntry(path string) (*os.File, os.FileInfo, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if !lfi.Mode().IsRegular() {
		return nil, nil, errNotRegular
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(lfi, fi) {
		f.Close()
		return nil, nil, errNotRegular
	}
	return f, fi, nil
}

// Without advisory locks a temp file's owner cannot be told from a dead
// writer's leftover: ingest/ is never cleaned automatically here.
func lockExclusive(f *os.File) error { return atomicfile.Lock(f) }

func tryLockExclusive(f *os.File) bool { return atomicfile.TryLock(f) }

const canClean = atomicfile.CanLock
