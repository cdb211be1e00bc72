package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin flushing a range without waiting
// for it, so flushing overlaps with hashing and Commit's fsync is short.
// It is only a hint: errors surface, if real, from the fsync in Commit.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
