//go:build unix

package cache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
)

// openEntry opens a store entry for reading without following a symbolic
// link and without blocking on a FIFO or device: an entry that is not a
// regular file returns errNotRegular. A store never creates anything else,
// so such an entry was put there from outside (a link to /dev/zero or to a
// file elsewhere) and is never read.
func openEntry(path string) (*os.File, os.FileInfo, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) {
			return nil, nil, errNotRegular
		}
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, nil, errNotRegular
	}
	// O_NONBLOCK only guarded the open; reads of a regular file ignore it,
	// but the runtime poller should not see the descriptor as non-blocking.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Temp files in ingest/ are locked by their writers for their whole life
// (atomicfile.Lock), so a cleaner that can lock one knows that no live
// process owns it.
func lockExclusive(f *os.File) error { return atomicfile.Lock(f) }

func tryLockExclusive(f *os.File) bool { return atomicfile.TryLock(f) }

// canClean: with locks, ingest/ can be cleaned of dead writers' files.
const canClean = atomicfile.CanLock
