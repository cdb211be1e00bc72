//go:build darwin || ios || freebsd || netbsd

package cache

import (
	"os"
	"syscall"
)

// The BSDs name the change time Ctimespec.
func statExtra(fi os.FileInfo) (ino uint64, ctimeNs int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Ino), int64(st.Ctimespec.Sec)*1e9 + int64(st.Ctimespec.Nsec)
}
