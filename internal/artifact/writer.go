package artifact

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"
	"github.com/sourcegraph/conc/stream"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// MediaType is the media type of every node artifact.
const MediaType = "application/vnd.apache.arrow.stream"

// Writer streams an op's output batches into one Arrow IPC stream
// blob. Batches are re-cut to a fixed number of rows first, so the blob's
// bytes depend only on the data, not on the batch size the op happened to
// use; the logical digest is taken over the same batches in the same pass.
//
// Each stored batch is gathered from the op's batches (and the rows of them
// it selected) in one copy, on several cores at once; the gathered batches
// are encoded, hashed and written in order.
type Writer struct {
	mem    memory.Allocator
	values *recycler // gathered value buffers
	schema *arrow.Schema
	blob   store.BlobWriter
	ipc    *ipc.Writer
	hash   *asyncHasher
	chunk  *rechunker
	rows   int64
	gather *stream.Stream
	waited sync.Once
	// releaseShares gives back the budget shares the gather took, once it
	// has been waited for.
	releaseShares func()
	// budget lends the gather its extra workers when the first batch
	// arrives: until then the node's op may use them (an aggregate emits
	// nothing until it has read all its input).
	budget *ops.Budget

	mu  sync.Mutex
	err error // first failure of a gather or a write; sticky

	size atomic.Int64 // blob bytes written so far, for progress
}

// Schema is the artifact's schema, metadata stripped.
func (w *Writer) Schema() *arrow.Schema { return w.schema }

// Size is the number of blob bytes written so far; batches are written on
// the writer's own goroutine, so this may trail what was handed to it.
func (w *Writer) Size() int64 { return w.size.Load() }

// A stored artifact's batches hold Rows rows, or fewer when their
// values reach MaxBytes first (an ESConv conversation is ~4 KB, and a
// batch is held twice while it is re-cut: 64Ki such rows made a 2 GB JSONL
// decode peak at 1.1 GiB). The last batch may be shorter.
const (
	Rows     = 64 * 1024
	MaxBytes = 16 << 20
)

// Format names the artifact encoding in every key: changing the
// encoding or Rows changes every blob's bytes, so it must change
// every key, or old cache entries would pin other bytes than new builds.
// The canonical layout of values under nulls (arrowio.CanonicalVersion) is
// part of the encoding too.
var Format = fmt.Sprintf("arrow-ipc-stream/uncompressed/rows=%d/bytes=%d/%s", Rows, MaxBytes, arrowio.CanonicalVersion)

// NewWriter starts an artifact whose batches have chunkRows rows;
// the executor always passes Rows, tests pass small counts.
//
// Stored batches are gathered on one goroutine plus as many as budget
// spares (up to GOMAXPROCS); nil gives none. The count changes no byte.
func NewWriter(ctx context.Context, s store.Store, mem memory.Allocator, schema *arrow.Schema, chunkRows int64, budget *ops.Budget) (*Writer, error) {
	// Metadata at any level is no data; it never reaches the store.
	schema = arrowio.StripMetadata(schema)
	h, err := arrowio.NewLogicalHasher(schema)
	if err != nil {
		return nil, err
	}
	bw, err := store.NewWriter(ctx, s)
	if err != nil {
		return nil, err
	}
	w := &Writer{mem: mem, values: newRecycler(mem), schema: schema, blob: bw, hash: newAsyncHasher(h), budget: budget}
	w.ipc = ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	w.chunk = newRechunker(chunkRows, w.submit)
	return w, nil
}

// Write takes a borrowed batch.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	return w.WriteRows(rec, expr.SelectAll(int(rec.NumRows())))
}

// WriteRows takes the rows sel selects of a borrowed batch.
func (w *Writer) WriteRows(rec arrow.RecordBatch, sel expr.Selection) error {
	if err := w.failed(); err != nil {
		return err
	}
	if int64(sel.Total()) != rec.NumRows() {
		return fmt.Errorf("op selected rows of %d for a batch of %d", sel.Total(), rec.NumRows())
	}
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
	return w.chunk.AddRows(rec, sel)
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

func (w *Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// submit gathers one stored batch on the gather pool; the batches are
// written in submission order. It owns the parts' references.
func (w *Writer) submit(parts []expr.Part) error {
	if err := w.failed(); err != nil {
		releaseParts(parts)
		return err
	}
	if w.gather == nil {
		extra, release := w.budget.Extra(runtime.GOMAXPROCS(0) - 1)
		w.gather, w.releaseShares = stream.New().WithMaxGoroutines(1+extra), release
	}
	w.gather.Go(func() stream.Callback {
		rec, err := gatherParts(w.mem, w.values, w.schema, parts)
		return func() {
			if rec != nil {
				defer rec.Release()
			}
			if w.failed() != nil {
				return
			}
			if err == nil {
				err = w.writeChunk(rec)
			}
			if err != nil {
				w.fail(err)
			}
		}
	})
	return nil
}

// gatherParts gathers and releases parts, and puts the batch in the
// canonical layout (nothing under a null depends on the producer), so a
// stored batch's bytes are a function of its values; a panic in the kernels
// becomes an error, as the pool's goroutines are not the node's.
func gatherParts(mem, values memory.Allocator, schema *arrow.Schema, parts []expr.Part) (rec arrow.RecordBatch, err error) {
	defer releaseParts(parts)
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("internal error gathering a batch: %v\n%s", r, debug.Stack())
		}
	}()
	g, err := expr.GatherInto(context.Background(), mem, values, schema, parts)
	if err != nil {
		return nil, err
	}
	defer g.Release()
	return arrowio.CanonicalBatch(mem, g)
}

func releaseParts(parts []expr.Part) {
	for _, p := range parts {
		p.Rec.Release()
	}
}

// writeChunk runs on the gather stream's goroutines; a panic becomes the
// artifact's error instead of the process's end.
func (w *Writer) writeChunk(rec arrow.RecordBatch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error writing a batch: %v\n%s", r, debug.Stack())
		}
	}()
	return w.writeChunkUnsafe(rec)
}

func (w *Writer) writeChunkUnsafe(rec arrow.RecordBatch) error {
	// Encoding first also settles every array's lazily counted nulls, so
	// the hasher goroutine only ever reads the batch.
	if err := w.ipc.Write(rec); err != nil {
		return err
	}
	w.size.Store(w.blob.Size())
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
				a.err = a.write(rec)
			}
			rec.Release()
		}
	}()
	return a
}

// write hashes one batch; a panic (which no recover on the node's
// goroutine could catch here) becomes the artifact's error.
func (a *asyncHasher) write(rec arrow.RecordBatch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error hashing a batch: %v\n%s", r, debug.Stack())
		}
	}()
	return a.h.Write(rec)
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
func (w *Writer) Commit() (store.Descriptor, digest.Digest, int64, error) {
	err := w.chunk.Flush()
	w.waitGather()
	if err == nil {
		err = w.failed()
	}
	if err == nil {
		err = w.ipc.Close()
	}
	if err == nil {
		err = w.hash.Wait()
	}
	if err != nil {
		w.Abort()
		return store.Descriptor{}, "", 0, err
	}
	w.values.release() // every gathered batch has been written and hashed
	desc, err := w.blob.Commit("")
	if err != nil {
		return store.Descriptor{}, "", 0, err
	}
	return desc, w.hash.h.Sum(), w.rows, nil
}

func (w *Writer) Abort() {
	w.fail(errors.New("artifact aborted"))
	w.chunk.Release()
	w.waitGather()
	w.hash.Wait()
	w.values.release()
	w.blob.Abort()
}

// waitGather waits for the gathers in flight; a stream can only be waited
// for once, and Abort follows Commit.
func (w *Writer) waitGather() {
	w.waited.Do(func() {
		if w.gather == nil {
			return
		}
		w.gather.Wait()
		if w.releaseShares != nil {
			w.releaseShares()
		}
	})
}

// rechunker regroups a stream of batches, or of selected rows of them, into
// batches of exactly n rows (the last may be shorter). Every output batch is
// rebuilt by gathering into new buffers, even one that already lines up:
// producers lay out equal values differently (bitmaps, offsets, slices), and
// the IPC bytes must depend on values alone.
type rechunker struct {
	n       int64
	limit   int64 // logical bytes per batch; 0 = no limit
	pending []expr.Part
	rows    int64
	bytes   int64
	// cut takes the parts of one output batch and owns their references.
	cut func([]expr.Part) error
}

// newRechunker returns a rechunker that hands each output batch's parts to
// cut, which owns their references.
func newRechunker(n int64, cut func([]expr.Part) error) *rechunker {
	return &rechunker{n: n, limit: MaxBytes, cut: cut}
}

// gatherTo returns a cut function that gathers each output batch on the
// calling goroutine and hands it to emit, which borrows it.
func gatherTo(mem memory.Allocator, schema *arrow.Schema, emit func(arrow.RecordBatch) error) func([]expr.Part) error {
	return func(parts []expr.Part) error {
		rec, err := gatherParts(mem, mem, schema, parts)
		if err != nil {
			return err
		}
		defer rec.Release()
		return emit(rec)
	}
}

// Add takes every row of a borrowed batch.
func (r *rechunker) Add(rec arrow.RecordBatch) error {
	return r.AddRows(rec, expr.SelectAll(int(rec.NumRows())))
}

// AddRows takes the rows sel selects of a borrowed batch. It cuts a batch
// when it reaches n rows or, before that, when its rows' logical size
// reaches limit (wide rows such as whole conversations), so the memory a
// batch takes is bounded too. Both rules look only at values.
func (r *rechunker) AddRows(rec arrow.RecordBatch, sel expr.Selection) error {
	var w []int64
	if r.limit > 0 {
		w = keptWeights(rec, sel)
	}
	for off := 0; sel.Kept() > 0; {
		take := int(min(r.n-r.rows, int64(sel.Kept())))
		full := r.rows+int64(take) == r.n
		if w != nil {
			var b int64
			for i := 0; i < take; i++ {
				b += w[off+i]
				if r.bytes+b >= r.limit {
					take, full = i+1, true
					break
				}
			}
			r.bytes += b
		}
		var head expr.Selection
		head, sel = sel.Split(take)
		rec.Retain()
		r.pending = append(r.pending, expr.Part{Rec: rec, Sel: head})
		r.rows += int64(take)
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
	parts := r.pending
	r.pending, r.rows, r.bytes = nil, 0, 0
	return r.cut(parts)
}

func (r *rechunker) Release() {
	releaseParts(r.pending)
	r.pending, r.rows, r.bytes = nil, 0, 0
}
