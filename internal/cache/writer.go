package cache

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
	"github.com/dsbuild/dsbuild/internal/faultpoint"
)

const (
	// copyBufSize is Put's read size: big enough that per-call overhead
	// (syscalls, goroutine hand-off) is noise next to hashing it.
	copyBufSize = 1 << 20
	// parallelMin is the smallest chunk worth hashing on this goroutine while
	// another one writes it to the file; below it the hand-off costs more
	// than it saves.
	parallelMin = 128 << 10
	// maxChunk bounds one hash+write step so a single huge Write (a
	// bytes.Reader's WriteTo hands over everything at once) still pipelines
	// and starts writeback as it goes.
	maxChunk = 4 << 20
	// writebackEvery is how much dirty data accumulates before writeback is
	// started, so Commit's fsync finds little left to flush.
	writebackEvery = 8 << 20
	// dropLag is how far behind the write position written pages are
	// dropped from the page cache (see writeFile); blobs up to this size
	// never have their pages dropped.
	dropLag = 64 << 20
	// preallocStep is how much file space a large blob reserves at a time.
	preallocStep = 64 << 20
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

type writerState int

const (
	writing writerState = iota
	committed
	aborted
)

// Writer streams one blob into the store. It hashes and writes each byte in
// a single pass; nothing is visible under blobs/ until Commit. A Writer is
// not safe for concurrent use. After a failed Write every later call fails:
// the temp file's content is then unknown.
type Writer struct {
	s       *Store
	f       *os.File
	name    string // temp file path in ingest/
	h       hash.Hash
	off     int64 // bytes written to f; owned by whoever is running writeFile
	alloc   int64 // file space reserved up to here (see writeFile)
	wbOff   int64 // offset up to which writeback has been started
	dropOff int64 // offset up to which pages have been flushed and dropped
	state   writerState
	err     error // sticky: after a failed write the content is unknown
	res     chan writeResult
}

type writeResult struct {
	n   int
	err error
}

// NewWriter starts a blob in ingest/. The caller must Commit or Abort it.
func (s *Store) NewWriter() (*Writer, error) {
	f, err := s.createIngest("blob-*")
	if err != nil {
		return nil, fmt.Errorf("cache: new blob writer in %s: %w", s.ingest, err)
	}
	return &Writer{s: s, f: f, name: f.Name(), h: digest.SHA256.Hash(), res: make(chan writeResult, 1)}, nil
}

// Write hashes p and appends it to the temp file.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.state != writing {
		return 0, fmt.Errorf("cache: write to %s: writer already %s", w.name, w.state)
	}
	if w.off > 0 {
		// Some bytes are in the temp file, more are coming.
		faultpoint.Hit("blob-partial")
	}
	written := 0
	for len(p) > 0 {
		c := p[:min(len(p), maxChunk)]
		n, err := w.writeChunk(c)
		written += n
		if err != nil {
			w.err = fmt.Errorf("cache: write %s at byte offset %d: %w", w.name, w.off, err)
			return written, w.err
		}
		p = p[len(c):]
	}
	return written, nil
}

// writeChunk hashes c while another goroutine writes it to the file, so a
// Put costs max(hash, write) instead of their sum. c is not retained: both
// halves finish before we return, as io.Writer requires.
func (w *Writer) writeChunk(c []byte) (int, error) {
	if len(c) < parallelMin {
		n, err := w.writeFile(c)
		w.h.Write(c[:n])
		return n, err
	}
	go func() {
		n, err := w.writeFile(c)
		w.res <- writeResult{n, err}
	}()
	w.h.Write(c)
	r := <-w.res
	// On a short write the hash has seen bytes the file has not; the sticky
	// error set by Write makes that state unreachable.
	return r.n, r.err
}

func (w *Writer) writeFile(c []byte) (int, error) {
	// Once a blob is large, reserve its blocks ahead in big steps: the
	// filesystem then does not find and reserve them page by page as the
	// writes come (delayed allocation was ~5% of a 0.5 GB artifact's CPU);
	// finish gives back what was reserved past the end.
	if w.off >= writebackEvery && w.off+int64(len(c)) > w.alloc {
		w.alloc = w.off + preallocStep
		preallocate(w.f, w.off, preallocStep)
	}
	n, err := w.f.Write(c)
	w.off += int64(n)
	if err == nil && w.off-w.wbOff >= writebackEvery {
		startWriteback(w.f, w.wbOff, w.off-w.wbOff)
		w.wbOff = w.off
		// Pages written dropLag ago have had that long to reach the disk:
		// waiting for them rarely blocks, and dropping them keeps a large
		// Put's page-cache footprint near dropLag. Without this a 1 GiB Put
		// grows the page cache by 1 GiB of freshly faulted memory, which on
		// VMs costs more than hashing it, and evicts others' data. Waiting
		// for the window just before (a lag of one window) made the writer
		// wait on the disk for every window: a 0.5 GB artifact took 10%
		// longer than with a 64 MiB lag.
		if end := w.wbOff - dropLag; end > w.dropOff {
			dropWritten(w.f, w.dropOff, end-w.dropOff)
			w.dropOff = end
		}
	}
	return n, err
}

// Size returns the number of bytes written so far.
func (w *Writer) Size() int64 { return w.off }

// Commit finishes the blob. With expected != "" the content must hash to
// expected, else the temp file is removed and a *DigestMismatchError is
// returned. If the blob is already present Commit discards its copy and
// succeeds, which makes Put idempotent.
func (w *Writer) Commit(expected digest.Digest) (Descriptor, error) {
	if w.state != writing {
		return Descriptor{}, fmt.Errorf("cache: commit %s: writer already %s", w.name, w.state)
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return Descriptor{}, err
	}
	if expected != "" {
		if err := validate(expected); err != nil {
			w.Abort()
			return Descriptor{}, fmt.Errorf("cache: commit: expected %w", err)
		}
	}
	desc := Descriptor{Digest: digest.NewDigest(digest.SHA256, w.h), Size: w.off}
	if expected != "" && expected != desc.Digest {
		w.Abort()
		return Descriptor{}, &DigestMismatchError{Expected: expected, Actual: desc.Digest, Size: desc.Size}
	}
	dst := filepath.Join(w.s.blobs, desc.Digest.Encoded())
	// An existing copy is kept and ours dropped before the fsync, the
	// expensive part, only if it is known good: a regular file (not a link)
	// of the right size whose stamp shows it unchanged since it last hashed
	// correctly. Anything else may be corrupt, and a caller may hand the
	// blob's path to a decoder: ours, just hashed, replaces it.
	if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == desc.Size && w.s.stampValid(desc.Digest, fi) {
		// A temp file that fails to go is CleanIngest's job, not a failed Put.
		w.Abort()
		w.state = committed
		return desc, nil
	}
	if err := w.finish(dst); err != nil {
		w.Abort()
		return Descriptor{}, fmt.Errorf("cache: commit blob %s: %w", desc.Digest, err)
	}
	w.state = committed
	// The bytes were hashed on their way in: the new file is verified.
	w.s.stamp(desc.Digest, dst)
	return desc, nil
}

func (w *Writer) finish(dst string) error {
	if w.alloc > w.off {
		// Truncating to the same size frees the blocks reserved past the end.
		if err := w.f.Truncate(w.off); err != nil {
			return err
		}
	}
	// rename is atomic, and a racing writer's identical content replacing
	// ours (or ours replacing theirs) is harmless: readers hold whole inodes.
	// A link or special file at dst is replaced, never followed.
	t := atomicfile.Adopt(atomicfile.OS, w.f, w.name)
	w.f = nil
	return t.Commit(dst, atomicfile.Options{Mode: blobMode, Sync: true, Point: "blob"})
}

// Abort discards the blob. It is idempotent and a no-op after Commit.
func (w *Writer) Abort() error {
	if w.state != writing {
		return nil
	}
	w.state = aborted
	var err error
	if w.f != nil {
		err = w.f.Close()
		w.f = nil
	}
	if rerr := os.Remove(w.name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("cache: abort %s: %w", w.name, err)
	}
	return nil
}

func (s writerState) String() string {
	switch s {
	case writing:
		return "writing"
	case committed:
		return "committed"
	default:
		return "aborted"
	}
}

// Put copies r into the store and commits it against expected ("" accepts
// any content). An invalid expected digest is rejected before reading r.
func (s *Store) Put(r io.Reader, expected digest.Digest) (Descriptor, error) {
	if expected != "" {
		if err := validate(expected); err != nil {
			return Descriptor{}, fmt.Errorf("cache: put: expected %w", err)
		}
	}
	w, err := s.NewWriter()
	if err != nil {
		return Descriptor{}, err
	}
	if err := copyInto(w, r); err != nil {
		w.Abort()
		return Descriptor{}, fmt.Errorf("cache: put: %w", err)
	}
	return w.Commit(expected)
}

// copyInto feeds w from r. In-memory readers hand over their bytes without a
// copy; everything else is read into a pooled 1 MiB buffer, filled as far as
// the source allows, because io.CopyBuffer would defer to an *os.File's
// WriteTo, which falls back to 32 KiB writes.
func copyInto(w *Writer, r io.Reader) error {
	switch r.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		_, err := r.(io.WriterTo).WriteTo(w)
		return err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		default:
			return fmt.Errorf("read source at byte offset %d: %w", w.Size(), err)
		}
	}
}
