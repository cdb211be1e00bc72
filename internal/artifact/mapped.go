package artifact

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
	"github.com/dsbuild/dsbuild/internal/store"
)

// Reading an input artifact through read calls copies every byte into
// freshly allocated buffers, and on this class of machine touching fresh
// pages costs more than the data work itself. A verified blob is instead
// mapped and decoded in place: the arrays of each batch are slices of the
// mapping. The mapping must outlive every array that points into it, so it
// is released only when the node that opened it has finished (Mappings).

// Mappings holds the Mappings a running node opened.
type Mappings struct {
	mu       sync.Mutex
	releases []func() error
}

func (m *Mappings) add(release func() error) {
	m.mu.Lock()
	m.releases = append(m.releases, release)
	m.mu.Unlock()
}

// ReleaseAll runs after the node's output is committed or aborted, when
// nothing can reference the mapped bytes any more.
func (m *Mappings) ReleaseAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.releases {
		_ = r()
	}
	m.releases = nil
}

// OpenMapped opens a verified blob as a zero-copy record reader. It returns
// store.ErrUnverified when the blob must be read through the store's
// verifying reader instead.
func OpenMapped(s store.Store, mem memory.Allocator, blob digest.Digest, maps *Mappings, done func(error)) (array.RecordReader, error) {
	data, release, err := mapBlob(s, blob)
	if err != nil {
		return nil, err
	}
	mr := &sliceMessageReader{buf: data}
	mr.live.buf = data
	maps.add(func() error {
		// A body released after this (a leaked batch) must not madvise
		// an address range that the next mmap may have reused.
		mr.live.close()
		return release()
	})
	mr.refs.Store(1)
	rd, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w: %v", blob, store.ErrCorrupt, err)
	}
	end := func(err error) error {
		if err != nil {
			// The bytes were verified when stamped: undecodable now means
			// they rotted since, which makes the input lost, not the op wrong.
			return fmt.Errorf("artifact %s: %w: %v", blob, store.ErrCorrupt, err)
		}
		return nil
	}
	return &artifactReader{Reader: rd, end: end, notify: done}, nil
}

// sliceMessageReader yields the IPC messages of a stream held in memory,
// with metadata and body as slices of it (no copy).
type sliceMessageReader struct {
	buf  []byte
	off  int
	refs atomic.Int64
	msg  *ipc.Message
	live liveBodies
}

// liveBodies releases a mapping's pages as soon as no batch uses them: each
// message body is handed out as a buffer whose last release reports here,
// and the pages before the oldest body still in use are dropped from the
// process (they stay in the page cache). Resident memory is then what the
// node's batches in flight use, however long an op holds on to them; a
// fixed window behind the read position dropped pages that batches still
// in flight then faulted back in, and those stayed mapped to the end.
type liveBodies struct {
	mu      sync.Mutex
	buf     []byte
	starts  []int        // bodies handed out and not all released, in order
	freed   map[int]bool // released bodies not at the head of starts
	end     int          // end of the last body handed out
	dropped int          // pages before this offset have been released
	drop    func([]byte) // cache.Unneeded; tests record instead
	closed  bool         // the mapping is gone: release nothing more
}

// close stops all releasing; it runs before the mapping is unmapped.
func (l *liveBodies) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// dropBatch is how much releasable mapping accumulates before one madvise.
const dropBatch = 32 << 20

// body returns a buffer over buf[start:end] that reports its last release.
func (l *liveBodies) body(start, end int) *memory.Buffer {
	l.mu.Lock()
	if l.freed == nil {
		l.freed = map[int]bool{}
	}
	l.starts = append(l.starts, start)
	l.end = end
	l.mu.Unlock()
	return memory.NewBufferWithAllocator(l.buf[start:end], bodyRelease{l, start})
}

func (l *liveBodies) release(start int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.freed[start] = true
	for len(l.starts) > 0 && l.freed[l.starts[0]] {
		delete(l.freed, l.starts[0])
		l.starts = l.starts[1:]
	}
	upTo := l.end
	if len(l.starts) > 0 {
		upTo = l.starts[0]
	}
	if upTo-l.dropped >= dropBatch {
		drop := l.drop
		if drop == nil {
			drop = cache.Unneeded
		}
		drop(l.buf[l.dropped:upTo])
		l.dropped = upTo
	}
}

// bodyRelease is the allocator of a body buffer: it allocates nothing, and
// the buffer's release tells liveBodies the body is no longer used.
type bodyRelease struct {
	l     *liveBodies
	start int
}

func (bodyRelease) Allocate(int) []byte           { panic("mapped message body: allocate") }
func (bodyRelease) Reallocate(int, []byte) []byte { panic("mapped message body: reallocate") }
func (b bodyRelease) Free([]byte)                 { b.l.release(b.start) }

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
	start := r.off
	r.off += int(bodyLen)
	var body *memory.Buffer
	if bodyLen > 0 {
		body = r.live.body(start, r.off)
	} else {
		body = memory.NewBufferBytes(r.buf[start:start])
	}
	if r.msg != nil {
		r.msg.Release()
	}
	r.msg = ipc.NewMessage(memory.NewBufferBytes(meta), body)
	body.Release() // the message holds it now
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

// mapBlob maps a verified blob, or returns store.ErrUnverified when it must
// be read through Fetch (a store that cannot map).
func mapBlob(s store.Store, d digest.Digest) ([]byte, func() error, error) {
	if m, ok := s.(store.Mapper); ok {
		return m.Map(d)
	}
	return nil, nil, store.ErrUnverified
}
