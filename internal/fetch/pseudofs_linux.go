package fetch

import (
	"os"

	"golang.org/x/sys/unix"
)

// pseudoFSNames are the Linux kernel file systems whose files look regular
// but have sizes that mean nothing (0 for /proc/self/status, 128 TiB for
// /proc/kcore), wherever they are mounted.
var pseudoFSNames = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "procfs",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroupfs",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2fs",
	unix.BPF_FS_MAGIC:        "bpffs",
}

func pseudoFS(f *os.File) (string, bool) {
	var st unix.Statfs_t
	rc, err := f.SyscallConn()
	if err != nil {
		return "", false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstatfs(int(fd), &st) }); err != nil || serr != nil {
		return "", false
	}
	name, ok := pseudoFSNames[int64(st.Type)]
	return name, ok
}
