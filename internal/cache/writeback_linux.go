package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// The functions here are hints to the kernel. Their errors are ignored on
// purpose: durability comes from the fsync in Commit, which reports any real
// I/O error, and a filesystem that does not support them just loses the
// speed-up.

// startWriteback asks the kernel to begin flushing a range without waiting
// for it, so flushing overlaps with hashing and Commit's fsync is short.
func startWriteback(f *os.File, off, n int64) {
	control(f, func(fd int) {
		_ = unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}

// dropWritten waits until a range is on disk and evicts its pages from the
// page cache, so a large blob recycles a few hot pages instead of growing the
// cache (the same trick as dd oflag=nocache).
func dropWritten(f *os.File, off, n int64) {
	control(f, func(fd int) {
		_ = unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		_ = unix.Fadvise(fd, off, n, unix.FADV_DONTNEED)
	})
}

// control runs fn on f's descriptor without f.Fd, which would switch the
// file to blocking mode as a side effect.
func control(f *os.File, fn func(fd int)) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// preallocate reserves [off, off+n) without changing the file's size.
func preallocate(f *os.File, off, n int64) {
	control(f, func(fd int) {
		_ = unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, off, n)
	})
}
