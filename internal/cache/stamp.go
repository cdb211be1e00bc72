package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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
//
// A blob this process hashed itself is trusted while its file keeps the
// identity it had then, even within the racily-clean window: a blob is a
// read-only file replaced only by rename (a new inode), and the rule exists
// for files rewritten in place. Without this, the node after the one that
// wrote a blob would re-hash it through read calls instead of mapping it.
func (s *Store) stampValid(d digest.Digest, fi os.FileInfo) bool {
	if s.AlwaysVerify {
		return false
	}
	id := fileIdentity(fi)
	if v, ok := s.hashed.Load(d); ok && bytes.Equal(v.([]byte), id) {
		return true
	}
	return stampHolds(s.stampPath(d), id, fi)
}

// stampHolds reads the stamp at path and compares it with want. Like git's
// index, it refuses a "racily clean" stamp: one written no later than the
// file's last change by the filesystem clock. Where timestamps are coarse
// (a clock tick of several milliseconds), a write in the same tick as the
// stamp would leave the recorded identity unchanged; such files are simply
// hashed again, and stamped again once the tick has passed.
func stampHolds(path string, want []byte, fi os.FileInfo) bool {
	f, st, err := openEntry(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, ctime := statExtra(fi); ctime != 0 && st.ModTime().UnixNano() <= ctime {
		return false
	}
	if st.Size() != int64(len(want)) {
		return false
	}
	b := make([]byte, len(want)+1)
	n, _ := io.ReadFull(f, b)
	return n == len(want) && bytes.Equal(b[:n], want)
}

// stamp records that the file at path, which just hashed to d, is good. A
// failure to write a stamp only costs a re-hash later, so it is ignored.
func (s *Store) stamp(d digest.Digest, path string) {
	fi, err := os.Lstat(path)
	if err == nil && !fi.Mode().IsRegular() {
		return
	}
	if err != nil {
		return
	}
	s.hashed.Store(d, fileIdentity(fi))
	_ = s.writeEntry("stamp-*", fileIdentity(fi), s.stampPath(d), false, "")
}

// File stamps do for files outside the store (a build's outputs) what blob
// stamps do for blobs: they record that the file at path held content d
// when its identity was the one recorded, so that a no-op build need not
// re-hash every output.

func (s *Store) fileStampPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(s.stamps, "files", hex.EncodeToString(sum[:]))
}

// FileMatches reports whether the file at path is unchanged since it was
// stamped as holding d.
func (s *Store) FileMatches(path string, d digest.Digest) bool {
	if s.AlwaysVerify {
		return false
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return stampHolds(s.fileStampPath(path), append([]byte(string(d)+" "), fileIdentity(fi)...), fi)
}

// StampFile records that the file at path holds d, as its identity now.
// Callers stamp only what they just wrote or hashed.
func (s *Store) StampFile(path string, d digest.Digest) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	dst := s.fileStampPath(path)
	if os.MkdirAll(filepath.Dir(dst), dirMode) != nil {
		return
	}
	_ = s.writeEntry("stamp-*", append([]byte(string(d)+" "), fileIdentity(fi)...), dst, false, "")
}
