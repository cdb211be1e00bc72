//go:build !linux

package cache

import "os"

// Without sync_file_range these are no-ops: Commit's fsync then flushes
// everything at once and large blobs stay in the page cache.

func startWriteback(*os.File, int64, int64) {}

func dropWritten(*os.File, int64, int64) {}

func preallocate(*os.File, int64, int64) {}
