package cache

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
)

// verifyingReader hashes a blob as it is read and checks it the moment the
// last byte is known, rather than only at EOF, because consumers such as
// Arrow IPC readers stop at their end-of-stream marker and never ask for EOF.
type verifyingReader struct {
	s    *Store
	d    digest.Digest
	path string
	f    *os.File
	fi   os.FileInfo // identifies the inode we opened, for removeIfSame
	size int64       // size at open time
	n    int64
	h    hash.Hash
	done bool // hash already checked and matched
	err  error
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.f == nil {
		return 0, fmt.Errorf("cache: read blob %s: %w", r.d, os.ErrClosed)
	}
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	switch {
	case r.n > r.size:
		return 0, r.corrupt(fmt.Sprintf("grew past its size %d at byte offset %d", r.size, r.size))
	case r.n == r.size && !r.done:
		if got := digest.NewDigest(digest.SHA256, r.h); got != r.d {
			return 0, r.corrupt(fmt.Sprintf("content hashes to %s (%d bytes)", got, r.n))
		}
		r.done = true
		r.s.stamp(r.d, r.path)
	}
	if errors.Is(err, io.EOF) && r.n < r.size {
		return 0, r.corrupt(fmt.Sprintf("truncated at byte offset %d of %d", r.n, r.size))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = fmt.Errorf("cache: read blob %s at byte offset %d: %w", r.d, r.n-int64(n), err)
		return n, r.err
	}
	return n, err
}

func (r *verifyingReader) corrupt(why string) error {
	r.err = fmt.Errorf("cache: blob %s (%s): %w: %s", r.d, r.path, ErrCorrupt, why)
	if rerr := removeIfSame(r.path, r.fi); rerr != nil {
		r.err = fmt.Errorf("%w (removing it failed: %v)", r.err, rerr)
	}
	return r.err
}

func (r *verifyingReader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// stampedReader reads a blob whose file is unchanged since it was last
// verified; it still refuses to return more or fewer bytes than the size
// the stamp vouched for.
type stampedReader struct {
	f    *os.File
	d    digest.Digest
	size int64
	n    int64
}

func (r *stampedReader) Read(p []byte) (int, error) {
	if r.f == nil {
		return 0, fmt.Errorf("cache: read blob %s: %w", r.d, os.ErrClosed)
	}
	n, err := r.f.Read(p)
	r.n += int64(n)
	if errors.Is(err, io.EOF) && r.n != r.size {
		return n, fmt.Errorf("cache: blob %s: %w: size changed from %d to %d while read", r.d, ErrCorrupt, r.size, r.n)
	}
	return n, err
}

func (r *stampedReader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
