//go:build unix

package cache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
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

// lockExclusive takes an exclusive advisory lock on f, held until f is
// closed (by this process or by its death): a temp file in ingest/ is locked
// by its writer for its whole life, so a cleaner that can lock one knows
// that no live process owns it.
func lockExclusive(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// tryLockExclusive reports whether the lock was free and is now ours.
func tryLockExclusive(f *os.File) bool {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}

// canClean: with locks, ingest/ can be cleaned of dead writers' files.
const canClean = true

// renameOpen renames a temp file into place while it is still open, so
// its writer's lock covers it until it has left ingest/.
func renameOpen(f *os.File, from, to string) error {
	err := os.Rename(from, to)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
