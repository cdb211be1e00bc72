//go:build unix

package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// CanLock: advisory locks exist here, so a temp file's writer can be told
// from a dead one's.
const CanLock = true

// Lock takes an exclusive advisory lock on f, held until f is closed (by
// this process or by its death), waiting for it if need be.
func Lock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// TryLock reports whether the lock was free and is now ours.
func TryLock(f *os.File) bool {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}

// renameOpen renames a temp file into place while it is still open, so
// its writer's lock covers it until it has left its temp name.
func renameOpen(d Dir, f *os.File, from, to string) error {
	err := d.Rename(from, to)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
