package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
)

// MaxKeySize bounds what GetKey reads: manifests and memo entries are small,
// and an entry past this (or a link to /dev/zero) is a miss, never read.
const MaxKeySize = 16 << 20

// A key file holds the caller's bytes followed by one line that binds them
// to the key they are filed under:
//
//	dsbuild-key-v1 sha256:<hex of sha256("dsbuild-key-v1\n" key "\n" bytes)>
//
// so a key file that was cut short, had a byte flipped, or was copied over
// another key's file reads as a miss rather than as someone else's result.
const keyTrailerPrefix = "dsbuild-key-v1 sha256:"

var keyTrailerLen = len(keyTrailerPrefix) + 64 + 1

func keySum(k digest.Digest, payload []byte) string {
	h := sha256.New()
	io.WriteString(h, "dsbuild-key-v1\n")
	io.WriteString(h, string(k))
	io.WriteString(h, "\n")
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// GetKey returns the bytes stored under key k. A key file that is not a
// regular file, is larger than MaxKeySize, or whose content is not bound to
// k is removed and reported as ErrCorrupt; callers treat it as a miss.
func (s *Store) GetKey(k digest.Digest) ([]byte, error) {
	p, err := s.keyPath(k)
	if err != nil {
		return nil, err
	}
	f, fi, err := openEntry(p)
	if errors.Is(err, errNotRegular) {
		removeFile(p)
		return nil, fmt.Errorf("cache: key %s: %w: %s is not a regular file", k, ErrCorrupt, p)
	}
	if err != nil {
		return nil, notFound("key", k, p, err)
	}
	defer f.Close()
	bad := func(why string) ([]byte, error) {
		removeIfSame(p, fi)
		return nil, fmt.Errorf("cache: key %s: %w: %s", k, ErrCorrupt, why)
	}
	if fi.Size() > MaxKeySize {
		return bad(fmt.Sprintf("%d bytes, more than a key file may hold (%d)", fi.Size(), MaxKeySize))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("cache: key %s: %w", k, err)
	}
	if len(b) > MaxKeySize {
		return bad("grew past the size limit while read")
	}
	if len(b) < keyTrailerLen {
		return bad("too short to hold its check line")
	}
	payload, trailer := b[:len(b)-keyTrailerLen], b[len(b)-keyTrailerLen:]
	if !bytes.HasPrefix(trailer, []byte(keyTrailerPrefix)) || trailer[len(trailer)-1] != '\n' {
		return bad("no check line")
	}
	if string(trailer[len(keyTrailerPrefix):len(trailer)-1]) != keySum(k, payload) {
		return bad("content does not belong to this key (cut short, changed, or copied from another key)")
	}
	return payload, nil
}

// PutKey stores b under key k atomically: readers see the old or the new
// content, never a mix. Concurrent writers race and the last rename wins.
func (s *Store) PutKey(k digest.Digest, b []byte) error {
	p, err := s.keyPath(k)
	if err != nil {
		return err
	}
	if len(b)+keyTrailerLen > MaxKeySize {
		return fmt.Errorf("cache: put key %s: %d bytes is more than a key file may hold (%d)", k, len(b), MaxKeySize)
	}
	data := make([]byte, 0, len(b)+keyTrailerLen)
	data = append(data, b...)
	data = append(data, keyTrailerPrefix...)
	data = append(data, keySum(k, b)...)
	data = append(data, '\n')
	if err := s.writeEntry("key-*", data, p, true, "key"); err != nil {
		return fmt.Errorf("cache: put key %s: %w", k, err)
	}
	return nil
}

// writeEntry writes data to a locked temp file in ingest/ and renames it to
// dst (replacing whatever is there, a link included, without following it).
// point names the write for fault injection.
func (s *Store) writeEntry(pattern string, data []byte, dst string, durable bool, point string) error {
	f, err := s.createIngest(pattern)
	if err != nil {
		return err
	}
	t := atomicfile.Adopt(atomicfile.OS, f, f.Name())
	if _, err := t.Write(data); err != nil {
		return errors.Join(err, t.Abort())
	}
	return t.Commit(dst, atomicfile.Options{Mode: keyMode, Sync: durable, Point: point})
}

// DeleteKey removes key k. Deleting a missing key returns ErrNotFound.
func (s *Store) DeleteKey(k digest.Digest) error {
	p, err := s.keyPath(k)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return notFound("delete key", k, p, err)
	}
	return nil
}

// Keys lists the keys in the store, sorted.
func (s *Store) Keys() ([]digest.Digest, error) {
	ents, err := os.ReadDir(s.keys)
	if err != nil {
		return nil, fmt.Errorf("cache: list keys in %s: %w", s.keys, err)
	}
	out := make([]digest.Digest, 0, len(ents))
	// os.ReadDir sorts by name, and "sha256:"+hex sorts like hex.
	for _, e := range ents {
		k := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if validate(k) == nil && e.Type().IsRegular() {
			out = append(out, k)
		}
	}
	return out, nil
}
