package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// Open opens a stored artifact as a record reader. The store's
// reader re-hashes the blob while it is read; the reader below drains the
// blob to its end so that a corrupt blob always surfaces as an error wrapping
// store.ErrCorrupt, even though the IPC reader stops at the end-of-stream
// marker, and even when the corruption first shows as garbled IPC. done, if
// not nil, is called once when the reader reaches its end, with the error.
func Open(ctx context.Context, s store.Store, mem memory.Allocator, blob digest.Digest) (array.RecordReader, error) {
	return OpenNotify(ctx, s, mem, blob, nil)
}

func OpenNotify(ctx context.Context, s store.Store, mem memory.Allocator, blob digest.Digest, done func(error)) (array.RecordReader, error) {
	rc, err := s.Fetch(ctx, store.Descriptor{Digest: blob, Size: -1})
	if err != nil {
		return nil, err
	}
	rd, err := ipc.NewReader(rc, ipc.WithAllocator(mem))
	if err != nil {
		err = corruptOr(rc, fmt.Errorf("artifact %s: %w", blob, err))
		rc.Close()
		return nil, err
	}
	end := func(err error) error {
		if err != nil {
			return corruptOr(rc, err)
		}
		_, err = io.Copy(io.Discard, rc) // the store's reader checks the digest at the end
		return err
	}
	return &artifactReader{Reader: rd, end: end, close: rc.Close, notify: done}, nil
}

// corruptOr drains body after a decoding error: if the blob turns out to be
// corrupt, that is the real cause and the error says so (wrapping
// store.ErrCorrupt, which makes it a cache miss rather than a failure).
func corruptOr(body io.Reader, decodeErr error) error {
	if errors.Is(decodeErr, store.ErrCorrupt) {
		return decodeErr
	}
	if _, err := io.Copy(io.Discard, body); errors.Is(err, store.ErrCorrupt) {
		return fmt.Errorf("%w (%v)", err, decodeErr)
	}
	return decodeErr
}

// artifactReader is a stored artifact's record reader. When the IPC reader
// stops, end turns its error (nil at a clean end-of-stream) into the
// artifact's, and notify, if set, hears that once. close, if set, runs on
// Release.
type artifactReader struct {
	*ipc.Reader
	end    func(error) error
	close  func() error
	err    error
	done   bool
	notify func(error)
}

func (r *artifactReader) Next() bool {
	if r.done {
		return false
	}
	if r.Reader.Next() {
		return true
	}
	r.done = true
	r.err = r.end(r.Reader.Err())
	if r.notify != nil {
		r.notify(r.err)
		r.notify = nil
	}
	return false
}

func (r *artifactReader) Err() error { return r.err }

func (r *artifactReader) Release() {
	r.Reader.Release()
	if r.close != nil {
		r.close()
		r.close = nil
	}
}

// ReadSchema returns a stored artifact's schema without reading its data.
func ReadSchema(ctx context.Context, s store.Store, mem memory.Allocator, blob digest.Digest) (*arrow.Schema, error) {
	rc, err := s.Fetch(ctx, store.Descriptor{Digest: blob, Size: -1})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	rd, err := ipc.NewReader(rc, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", blob, err)
	}
	defer rd.Release()
	return rd.Schema(), nil
}
