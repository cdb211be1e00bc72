package cache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// A stamp records that a blob's content was hashed and matched its name, as
// the identity of the file at that moment: inode, size, modification and
// change times. Reading a blob whose file still has that identity skips the
// re-hash, the way git's index trusts unchanged stat data: any write to the
// file, a chmod, a truncation or a replacement changes its ctime or inode and
// so sends the next read through the verifying path again. What a stamp
// cannot see is the disk silently flipping bits under an unchanged inode;
// Verify, Store.AlwaysVerify and `dsbuild verify` re-hash regardless.

func (s *Store) stampPath(d digest.Digest) string {
	return filepath.Join(s.stamps, d.Encoded())
}

// fileIdentity renders what a stamp compares.
func fileIdentity(fi os.FileInfo) []byte {
	ino, ctime := statExtra(fi)
	return fmt.Appendf(nil, "v1 %d %d %d %d\n", ino, fi.Size(), fi.ModTime().UnixNano(), ctime)
}

// stampValid reports whether fi is the file a stamp of d describes.
func (s *Store) stampValid(d digest.Digest, fi os.FileInfo) bool {
	if s.AlwaysVerify {
		return false
	}
	b, err := os.ReadFile(s.stampPath(d))
	return err == nil && bytes.Equal(b, fileIdentity(fi))
}

// stamp records that the file at path, which just hashed to d, is good. A
// failure to write a stamp only costs a re-hash later, so it is ignored.
func (s *Store) stamp(d digest.Digest, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(s.ingest, "stamp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(fileIdentity(fi))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), s.stampPath(d)) != nil {
		os.Remove(tmp.Name())
	}
}
