package store

import (
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

// NewWriter starts a blob writer on s: its own when s is an Ingester,
// otherwise one that pipes what is written into a Push running alongside,
// so a producer that writes as it goes (the artifact writer) works with any
// Store. ctx bounds the Push of the fallback writer.
func NewWriter(ctx context.Context, s Store) (BlobWriter, error) {
	if in, ok := s.(Ingester); ok {
		return in.NewBlobWriter()
	}
	pr, pw := io.Pipe()
	w := &pushWriter{pw: pw, done: make(chan struct{})}
	// The expected digest is known only at Commit, after every byte has
	// gone: the Push accepts any content and Commit compares.
	go func() {
		defer close(w.done)
		w.desc, w.err = s.Push(ctx, Descriptor{Size: -1}, pr)
		pr.CloseWithError(w.err) // unblocks a writer if Push gave up early
	}()
	return w, nil
}

// pushWriter is the BlobWriter of a Store that only has Push.
type pushWriter struct {
	pw     *io.PipeWriter
	n      int64
	done   chan struct{}
	desc   Descriptor
	err    error
	closed bool
}

func (w *pushWriter) Write(p []byte) (int, error) {
	n, err := w.pw.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *pushWriter) Size() int64 { return w.n }

func (w *pushWriter) Commit(expected digest.Digest) (Descriptor, error) {
	if w.closed {
		return Descriptor{}, fmt.Errorf("store: commit: writer already closed")
	}
	w.closed = true
	w.pw.Close()
	<-w.done
	if w.err != nil {
		return Descriptor{}, w.err
	}
	if expected != "" && w.desc.Digest != expected {
		// Pushed already under its own digest; an unwanted blob is garbage,
		// not a wrong result: nothing refers to it.
		return Descriptor{}, &DigestMismatchError{Expected: expected, Actual: w.desc.Digest, Size: w.desc.Size}
	}
	return w.desc, nil
}

func (w *pushWriter) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.pw.CloseWithError(errAborted)
	<-w.done
	return nil
}

var errAborted = fmt.Errorf("store: blob writer aborted")
