//go:build unix

package cache

import (
	"fmt"
	"os"

	"github.com/opencontainers/go-digest"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Map maps blob d into memory read-only, for readers that decode it in
// place (Arrow IPC) instead of copying it through read calls. Only a blob
// whose stamp shows it unchanged since it last hashed correctly is mapped;
// any other returns ErrUnverified and must be read through Open, which
// verifies it. The caller must not touch the bytes after calling release.
func (s *Store) Map(d digest.Digest) (data []byte, release func() error, err error) {
	f, fi, _, err := s.openBlob(d)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if !s.stampValid(d, fi) {
		return nil, nil, ErrUnverified
	}
	if fi.Size() == 0 {
		return []byte{}, func() error { return nil }, nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	var merr error
	cerr := rc.Control(func(fd uintptr) {
		data, merr = unix.Mmap(int(fd), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	})
	if cerr != nil {
		return nil, nil, cerr
	}
	if merr != nil {
		return nil, nil, fmt.Errorf("cache: map blob %s: %w", d, merr)
	}
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	return data, func() error { return unix.Munmap(data) }, nil
}

// Unneeded tells the kernel a mapped range's pages may be dropped from the
// process: for a shared file mapping the data stays in the page cache and a
// later access faults it back in, so this bounds resident memory without
// invalidating anything that still points into the range.
func Unneeded(b []byte) {
	page := os.Getpagesize()
	if len(b) < page {
		return
	}
	// Only whole pages inside b.
	start := (page - int(uintptr(unsafe.Pointer(&b[0]))%uintptr(page))) % page
	end := len(b) - (len(b)-start)%page
	if end-start < page {
		return
	}
	_ = unix.Madvise(b[start:end], unix.MADV_DONTNEED)
}
