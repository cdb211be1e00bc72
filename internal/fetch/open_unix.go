//go:build unix

package fetch

import (
	"os"
	"syscall"
)

// openNoBlock opens p without blocking: if a FIFO was swapped in after the
// check, opening it must not wait for a writer (the check after opening
// then refuses it).
func openNoBlock(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
