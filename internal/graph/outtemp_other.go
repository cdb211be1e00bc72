//go:build !unix

package graph

import (
	"errors"
	"os"
	"time"
)

// staleAge is how old an output temp file must be, without file locks to
// tell, before the cleaner takes it for a leftover: no writer leaves its
// temp file unwritten for a day.
const staleAge = 24 * time.Hour

// lockFile: without flock, a writer's claim is the file's fresh mtime; the
// cleaner removes only files untouched for staleAge.
func lockFile(f *os.File, writer bool) error {
	if writer {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if time.Since(fi.ModTime()) < staleAge {
		return errors.New("temp file may be in use")
	}
	return nil
}
