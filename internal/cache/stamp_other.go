//go:build !unix

package cache

import "os"

// Without inode and ctime a stamp is size and mtime only.
func statExtra(fi os.FileInfo) (uint64, int64) { return 0, 0 }
