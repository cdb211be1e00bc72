package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
)

// MediaTypeArrowStream is the media type of every node artifact.
const MediaTypeArrowStream = "application/vnd.apache.arrow.stream"

// manifestVersion is bumped when the manifest's meaning changes; older
// manifests then read as misses.
const manifestVersion = 1

// Manifest is what a node key maps to in the store.
type Manifest struct {
	Version   int           `json:"version"`
	Op        string        `json:"op"`
	Preimage  Preimage      `json:"preimage"`
	Blob      digest.Digest `json:"blob"`
	Size      int64         `json:"size"`
	MediaType string        `json:"mediaType"`
	Rows      int64         `json:"rows"`
	Schema    []string      `json:"schema"`
	Logical   digest.Digest `json:"logical"`
	// Nondeterministic marks outputs that cannot be reproduced by re-running
	// the op (an LLM backend); verify checks them from the store instead.
	Nondeterministic bool `json:"nondeterministic,omitempty"`
}

func (m *Manifest) encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain struct of strings and numbers
	}
	return append(b, '\n')
}

// getManifest reads a manifest; anything unreadable, from another version,
// or pointing at a missing or wrongly sized blob is a miss, never an error.
func getManifest(s *cache.Store, key digest.Digest) (*Manifest, bool) {
	b, err := s.GetKey(key)
	if err != nil {
		return nil, false
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Version != manifestVersion || m.Blob.Validate() != nil {
		return nil, false
	}
	if !s.Has(m.Blob, m.Size) {
		return nil, false
	}
	return &m, true
}

// artifactWriter streams an op's output batches into one Arrow IPC stream
// blob. Batches are re-cut to a fixed number of rows first, so the blob's
// bytes depend only on the data, not on the batch size the op happened to
// use; the logical digest is taken over the same batches in the same pass.
type artifactWriter struct {
	mem    memory.Allocator
	schema *arrow.Schema
	blob   *cache.Writer
	ipc    *ipc.Writer
	hash   *asyncHasher
	chunk  *rechunker
	rows   int64
	bytes  int64
}

// A stored artifact's batches hold artifactRows rows, or fewer when their
// values reach artifactBytes first (an ESConv conversation is ~4 KB, and a
// batch is held twice while it is re-cut: 64Ki such rows made a 2 GB JSONL
// decode peak at 1.1 GiB). The last batch may be shorter.
const (
	artifactRows  = 64 * 1024
	artifactBytes = 16 << 20
)

// artifactFormat names the artifact encoding in every key: changing the
// encoding or artifactRows changes every blob's bytes, so it must change
// every key, or old cache entries would pin other bytes than new builds.
var artifactFormat = fmt.Sprintf("arrow-ipc-stream/uncompressed/rows=%d/bytes=%d", artifactRows, artifactBytes)

// newArtifactWriter starts an artifact whose batches have chunkRows rows;
// the executor always passes artifactRows, tests pass small counts.
func newArtifactWriter(s *cache.Store, mem memory.Allocator, schema *arrow.Schema, chunkRows int64) (*artifactWriter, error) {
	h, err := arrowio.NewLogicalHasher(schema)
	if err != nil {
		return nil, err
	}
	bw, err := s.NewWriter()
	if err != nil {
		return nil, err
	}
	w := &artifactWriter{mem: mem, schema: schema, blob: bw, hash: newAsyncHasher(h)}
	w.ipc = ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	w.chunk = newRechunker(mem, schema, chunkRows, w.writeChunk)
	return w, nil
}

// Write takes a borrowed batch.
func (w *artifactWriter) Write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(w.schema) {
		// Field names or nullability drifting between batches would make the
		// stream unreadable; ops must emit their declared schema. Check the
		// columns first: NewRecordBatch panics on a mismatch.
		if err := checkColumns(w.schema, rec); err != nil {
			return err
		}
		rec = array.NewRecordBatch(w.schema, rec.Columns(), rec.NumRows())
		defer rec.Release()
	}
	return w.chunk.Add(rec)
}

func checkColumns(s *arrow.Schema, rec arrow.RecordBatch) error {
	if int(rec.NumCols()) != s.NumFields() {
		return fmt.Errorf("op produced %d columns (%s), declared %d (%s)",
			rec.NumCols(), ops.SchemaString(rec.Schema()), s.NumFields(), ops.SchemaString(s))
	}
	for i, f := range s.Fields() {
		if !arrow.TypeEqual(f.Type, rec.Column(i).DataType()) {
			return fmt.Errorf("column %q: op produced %s, declared %s", f.Name, rec.Column(i).DataType(), f.Type)
		}
	}
	return nil
}

func (w *artifactWriter) writeChunk(rec arrow.RecordBatch) error {
	// Encoding first also settles every array's lazily counted nulls, so
	// the hasher goroutine only ever reads the batch.
	if err := w.ipc.Write(rec); err != nil {
		return err
	}
	w.rows += rec.NumRows()
	w.hash.Write(rec)
	return nil
}

// asyncHasher takes the logical digest on a goroutine of its own, so that
// hashing the values overlaps with encoding and hashing the blob. At most
// a couple of chunks wait for it, which keeps memory bounded.
type asyncHasher struct {
	h     *arrowio.LogicalHasher
	in    chan arrow.RecordBatch
	done  chan struct{}
	err   error
	close sync.Once
}

func newAsyncHasher(h *arrowio.LogicalHasher) *asyncHasher {
	a := &asyncHasher{h: h, in: make(chan arrow.RecordBatch, 2), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for rec := range a.in {
			if a.err == nil {
				a.err = a.h.Write(rec)
			}
			rec.Release()
		}
	}()
	return a
}

// Write queues a borrowed batch.
func (a *asyncHasher) Write(rec arrow.RecordBatch) {
	rec.Retain()
	a.in <- rec
}

// Wait drains the queue; it is safe to call more than once.
func (a *asyncHasher) Wait() error {
	a.close.Do(func() { close(a.in) })
	<-a.done
	return a.err
}

// Commit finishes the stream and moves the blob into the store.
func (w *artifactWriter) Commit() (cache.Descriptor, digest.Digest, int64, error) {
	if err := w.chunk.Flush(); err != nil {
		w.Abort()
		return cache.Descriptor{}, "", 0, err
	}
	if err := w.ipc.Close(); err != nil {
		w.Abort()
		return cache.Descriptor{}, "", 0, err
	}
	if err := w.hash.Wait(); err != nil {
		w.Abort()
		return cache.Descriptor{}, "", 0, err
	}
	desc, err := w.blob.Commit("")
	if err != nil {
		return cache.Descriptor{}, "", 0, err
	}
	return desc, w.hash.h.Sum(), w.rows, nil
}

func (w *artifactWriter) Abort() {
	w.chunk.Release()
	w.hash.Wait()
	w.blob.Abort()
}

// rechunker regroups a stream of batches into batches of exactly n rows
// (the last may be shorter). Every output batch is rebuilt by concatenation,
// even one that already lines up: producers lay out equal values differently
// (bitmaps, offsets, slices), and the IPC bytes must depend on values alone.
type rechunker struct {
	mem     memory.Allocator
	schema  *arrow.Schema
	n       int64
	limit   int64 // logical bytes per batch; 0 = no limit
	pending []arrow.RecordBatch
	rows    int64
	bytes   int64
	emit    func(arrow.RecordBatch) error
}

func newRechunker(mem memory.Allocator, schema *arrow.Schema, n int64, emit func(arrow.RecordBatch) error) *rechunker {
	return &rechunker{mem: mem, schema: schema, n: n, limit: artifactBytes, emit: emit}
}

// Add cuts a batch when it reaches n rows or, before that, when its rows'
// logical size reaches limit (wide rows such as whole conversations), so
// the memory a batch takes is bounded too. Both rules look only at values.
func (r *rechunker) Add(rec arrow.RecordBatch) error {
	var w []int64
	if r.limit > 0 {
		w = batchWeights(rec)
	}
	for off := int64(0); off < rec.NumRows(); {
		take := min(r.n-r.rows, rec.NumRows()-off)
		full := r.rows+take == r.n
		if w != nil {
			var b int64
			for i := int64(0); i < take; i++ {
				b += w[off+i]
				if r.bytes+b >= r.limit {
					take, full = i+1, true
					break
				}
			}
			r.bytes += b
		}
		part := rec.NewSlice(off, off+take)
		r.pending = append(r.pending, part)
		r.rows += take
		off += take
		if full {
			if err := r.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush emits whatever is pending as one batch.
func (r *rechunker) Flush() error {
	if len(r.pending) == 0 {
		return nil
	}
	defer r.Release()
	cols := make([]arrow.Array, r.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(r.pending))
	for i := range cols {
		for j, p := range r.pending {
			parts[j] = p.Column(i)
		}
		c, err := array.Concatenate(parts, r.mem)
		if err != nil {
			return fmt.Errorf("column %q: %w", r.schema.Field(i).Name, err)
		}
		cols[i] = c
	}
	rec := array.NewRecordBatch(r.schema, cols, r.rows)
	defer rec.Release()
	return r.emit(rec)
}

func (r *rechunker) Release() {
	for _, p := range r.pending {
		p.Release()
	}
	r.pending = r.pending[:0]
	r.rows, r.bytes = 0, 0
}

// openArtifact opens a stored artifact as a record reader. The store's
// reader re-hashes the blob while it is read; the reader below drains the
// blob to its end so that a corrupt blob always surfaces as an error wrapping
// cache.ErrCorrupt, even though the IPC reader stops at the end-of-stream
// marker, and even when the corruption first shows as garbled IPC. done, if
// not nil, is called once when the reader reaches its end, with the error.
func openArtifact(s *cache.Store, mem memory.Allocator, blob digest.Digest) (array.RecordReader, error) {
	return openArtifactNotify(s, mem, blob, nil)
}

func openArtifactNotify(s *cache.Store, mem memory.Allocator, blob digest.Digest, done func(error)) (array.RecordReader, error) {
	rc, err := s.Open(blob)
	if err != nil {
		return nil, err
	}
	rd, err := ipc.NewReader(rc, ipc.WithAllocator(mem))
	if err != nil {
		err = corruptOr(rc, fmt.Errorf("artifact %s: %w", blob, err))
		rc.Close()
		return nil, err
	}
	return &artifactReader{Reader: rd, body: rc, notify: done}, nil
}

// corruptOr drains body after a decoding error: if the blob turns out to be
// corrupt, that is the real cause and the error says so (wrapping
// cache.ErrCorrupt, which makes it a cache miss rather than a failure).
func corruptOr(body io.Reader, decodeErr error) error {
	if errors.Is(decodeErr, cache.ErrCorrupt) {
		return decodeErr
	}
	if _, err := io.Copy(io.Discard, body); errors.Is(err, cache.ErrCorrupt) {
		return fmt.Errorf("%w (%v)", err, decodeErr)
	}
	return decodeErr
}

type artifactReader struct {
	*ipc.Reader
	body   io.ReadCloser
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
	if err := r.Reader.Err(); err != nil {
		r.err = corruptOr(r.body, err)
	} else if _, err := io.Copy(io.Discard, r.body); err != nil {
		r.err = err
	}
	if r.notify != nil {
		r.notify(r.err)
	}
	return false
}

func (r *artifactReader) Err() error { return r.err }

func (r *artifactReader) Release() {
	r.Reader.Release()
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// readSchema returns a stored artifact's schema without reading its data.
func readSchema(s *cache.Store, mem memory.Allocator, blob digest.Digest) (*arrow.Schema, error) {
	rc, err := s.Open(blob)
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
