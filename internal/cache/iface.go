package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// The local store implements store.Store and every optional capability;
// the methods below are the context-taking forms of Open, Put, Has, GetKey
// and PutKey. A local file-system call does not block on the network, so
// ctx is checked before each call and, for a push, between reads.
var (
	_ store.Store         = (*Store)(nil)
	_ store.Deleter       = (*Store)(nil)
	_ store.Verifier      = (*Store)(nil)
	_ store.PathVerifier  = (*Store)(nil)
	_ store.Mapper        = (*Store)(nil)
	_ store.FileStamper   = (*Store)(nil)
	_ store.IngestCleaner = (*Store)(nil)
	_ store.Ingester      = (*Store)(nil)
)

// Fetch returns a verifying reader of blob d (see Open). A blob of another
// size than d.Size (when d.Size >= 0) is ErrNotFound.
func (s *Store) Fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := s.Open(d.Digest)
	if err != nil {
		return nil, err
	}
	if d.Size >= 0 {
		if sz := blobSize(rc); sz != d.Size {
			rc.Close()
			return nil, fmt.Errorf("cache: blob %s: %w: %d bytes, want %d", d.Digest, ErrNotFound, sz, d.Size)
		}
	}
	return rc, nil
}

func blobSize(rc io.ReadCloser) int64 {
	switch r := rc.(type) {
	case *verifyingReader:
		return r.size
	case *stampedReader:
		return r.size
	}
	return -1
}

// Push copies r into the store against expected.Digest ("" accepts any
// content); see Put.
func (s *Store) Push(ctx context.Context, expected store.Descriptor, r io.Reader) (store.Descriptor, error) {
	if err := ctx.Err(); err != nil {
		return store.Descriptor{}, err
	}
	if ctx.Done() != nil {
		r = &ctxReader{ctx: ctx, r: r}
	}
	desc, err := s.Put(r, expected.Digest)
	if err == nil && expected.Digest != "" && expected.Size >= 0 && desc.Size != expected.Size {
		// Same digest, other size: impossible for sha256; kept for a
		// descriptor built by hand.
		return store.Descriptor{}, fmt.Errorf("cache: push %s: %w: %d bytes, want %d", expected.Digest, ErrDigestMismatch, desc.Size, expected.Size)
	}
	return desc, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Exists reports whether blob d is present as a regular file of d.Size
// bytes (any size when d.Size < 0). It only stats the file. A stat that
// fails for another reason than absence is returned as an error: a store
// that cannot be read is not a miss.
func (s *Store) Exists(ctx context.Context, d store.Descriptor) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := s.blobPath(d.Digest)
	if err != nil {
		return false, err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cache: blob %s: %w", d.Digest, err)
	}
	// A link or special file is not a blob: a miss that the next write
	// replaces.
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	return d.Size < 0 || fi.Size() == d.Size, nil
}

// GetManifest is GetKey.
func (s *Store) GetManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.GetKey(key)
}

// PutManifest is PutKey.
func (s *Store) PutManifest(ctx context.Context, key digest.Digest, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.PutKey(key, b)
}

// NewBlobWriter is NewWriter.
func (s *Store) NewBlobWriter() (store.BlobWriter, error) {
	w, err := s.NewWriter()
	if err != nil {
		return nil, err
	}
	return w, nil
}
