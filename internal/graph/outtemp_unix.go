//go:build unix

package graph

import (
	"errors"
	"os"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
)

// lockFile takes an exclusive flock on f without waiting. A writer's lock
// lasts until it closes the file or dies; the cleaner's try fails while a
// writer lives (wait is unused: nobody blocks).
func lockFile(f *os.File, _ bool) error {
	if !atomicfile.TryLock(f) {
		return errLocked
	}
	return nil
}

var errLocked = errors.New("temp file is locked by its writer")
