package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
)

// Reading an input artifact through read calls copies every byte into
// freshly allocated buffers, and on this class of machine touching fresh
// pages costs more than the data work itself. A verified blob is instead
// mapped and decoded in place: the arrays of each batch are slices of the
// mapping. The mapping must outlive every array that points into it, so it
// is released only when the node that opened it has finished (mappings).

// mappings holds the mappings a running node opened.
type mappings struct {
	mu       sync.Mutex
	releases []func() error
}

func (m *mappings) add(release func() error) {
	m.mu.Lock()
	m.releases = append(m.releases, release)
	m.mu.Unlock()
}

// releaseAll runs after the node's output is committed or aborted, when
// nothing can reference the mapped bytes any more.
func (m *mappings) releaseAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.releases {
		_ = r()
	}
	m.releases = nil
}

// openMapped opens a verified blob as a zero-copy record reader. It returns
// cache.ErrUnverified when the blob must be read through the store's
// verifying reader instead.
func openMapped(s *cache.Store, mem memory.Allocator, blob digest.Digest, maps *mappings, done func(error)) (array.RecordReader, error) {
	data, release, err := s.Map(blob)
	if err != nil {
		return nil, err
	}
	maps.add(release)
	mr := &sliceMessageReader{buf: data}
	mr.refs.Store(1)
	rd, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w: %v", blob, cache.ErrCorrupt, err)
	}
	return &mappedReader{Reader: rd, blob: blob, notify: done}, nil
}

type mappedReader struct {
	*ipc.Reader
	blob   digest.Digest
	err    error
	done   bool
	notify func(error)
}

func (r *mappedReader) Next() bool {
	if r.done {
		return false
	}
	if r.Reader.Next() {
		return true
	}
	r.done = true
	if err := r.Reader.Err(); err != nil {
		// The bytes were verified when stamped: undecodable now means they
		// rotted since, which makes the input lost, not the op wrong.
		r.err = fmt.Errorf("artifact %s: %w: %v", r.blob, cache.ErrCorrupt, err)
	}
	if r.notify != nil {
		r.notify(r.err)
		r.notify = nil
	}
	return false
}

func (r *mappedReader) Err() error { return r.err }

// sliceMessageReader yields the IPC messages of a stream held in memory,
// with metadata and body as slices of it (no copy).
type sliceMessageReader struct {
	buf     []byte
	off     int
	dropped int // pages before this offset have been released
	refs    atomic.Int64
	msg     *ipc.Message
}

// residentWindow is how much of a mapping behind the read position stays
// resident: batches in flight (a few, bounded by the op's parallelism) are
// well inside it. Pages further behind are released; were one still in use,
// touching it again just reads it back from the page cache.
const residentWindow = 256 << 20

const ipcContinuation = 0xFFFFFFFF

func (r *sliceMessageReader) Message() (*ipc.Message, error) {
	if r.off+4 > len(r.buf) {
		return nil, io.EOF
	}
	n := binary.LittleEndian.Uint32(r.buf[r.off:])
	r.off += 4
	switch n {
	case 0:
		return nil, io.EOF
	case ipcContinuation:
		if r.off+4 > len(r.buf) {
			return nil, errors.New("arrow/ipc: truncated message length")
		}
		n = binary.LittleEndian.Uint32(r.buf[r.off:])
		r.off += 4
		if n == 0 {
			return nil, io.EOF
		}
	}
	if n < 4 || r.off+int(n) > len(r.buf) {
		return nil, fmt.Errorf("arrow/ipc: message metadata of %d bytes at offset %d runs past the end (%d)", n, r.off, len(r.buf))
	}
	meta := r.buf[r.off : r.off+int(n)]
	r.off += int(n)
	bodyLen, err := messageBodyLength(meta)
	if err != nil {
		return nil, err
	}
	if bodyLen < 0 || int64(r.off)+bodyLen > int64(len(r.buf)) {
		return nil, fmt.Errorf("arrow/ipc: message body of %d bytes at offset %d runs past the end (%d)", bodyLen, r.off, len(r.buf))
	}
	body := r.buf[r.off : r.off+int(bodyLen)]
	r.off += int(bodyLen)
	if r.off-r.dropped > 2*residentWindow {
		cache.Unneeded(r.buf[r.dropped : r.off-residentWindow])
		r.dropped = r.off - residentWindow
	}
	if r.msg != nil {
		r.msg.Release()
	}
	r.msg = ipc.NewMessage(memory.NewBufferBytes(meta), memory.NewBufferBytes(body))
	return r.msg, nil
}

// messageBodyLength reads Message.bodyLength (field 3) from the flatbuffer.
func messageBodyLength(meta []byte) (n int64, err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("arrow/ipc: invalid message metadata")
		}
	}()
	tab := flatbuffers.Table{Bytes: meta, Pos: flatbuffers.GetUOffsetT(meta)}
	o := flatbuffers.UOffsetT(tab.Offset(4 + 2*3))
	if o == 0 {
		return 0, nil
	}
	return tab.GetInt64(o + tab.Pos), nil
}

func (r *sliceMessageReader) Retain() { r.refs.Add(1) }

func (r *sliceMessageReader) Release() {
	if r.refs.Add(-1) == 0 && r.msg != nil {
		r.msg.Release()
		r.msg = nil
	}
}
