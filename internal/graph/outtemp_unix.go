//go:build unix

package graph

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f without waiting. A writer's lock
// lasts until it closes the file or dies; the cleaner's try fails while a
// writer lives (wait is unused: nobody blocks).
func lockFile(f *os.File, _ bool) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
