//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// holdStore takes a shared lock on the store's gc lock for as long as a
// command uses the store; the returned func releases it. Without locks (a
// file system that has none) the command runs unprotected from gc, which
// is what it did before gc existed.
func holdStore(root string) func() {
	f, err := os.OpenFile(filepath.Join(root, gcLockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return func() {}
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_SH)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	return func() { f.Close() }
}

// lockStoreExclusive takes the gc lock exclusively, or says who holds it.
func lockStoreExclusive(root string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(root, gcLockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("cache gc: the store %s is in use by a running dsbuild build, push or pull; nothing was removed (run gc when it has finished)", root)
	}
	if err != nil {
		// No locks here: gc could not tell a running build from none.
		f.Close()
		return nil, fmt.Errorf("cache gc: cannot lock %s: %w", root, err)
	}
	return func() { f.Close() }, nil
}
