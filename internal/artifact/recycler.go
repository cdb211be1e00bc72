package artifact

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler allocates the value buffers the artifact writer gathers stored
// batches into (expr.GatherInto): large buffers freed by one batch are
// handed to the next instead of going back to the Go heap, where each new
// one is zeroed by the runtime and, once the scavenger has returned its
// pages, faulted in again page by page. The writer frees a batch's buffers
// as soon as the batch is written and hashed, and the next batch needs
// about the same sizes.
//
// A recycled buffer is not zeroed: GatherInto allocates through it only
// buffers it overwrites entirely, and bytes past a buffer's length are
// never written out (IPC pads with zeros of its own). Every buffer comes
// from the base allocator and goes back to it when the writer is done
// (release), so a checked allocator still sees each one allocated and freed.
type recycler struct {
	base memory.Allocator
	mu   sync.Mutex
	free [maxClass + 1][][]byte
	held int // bytes in free lists
}

const (
	minClass     = 16 // 64 KiB (offsets of a batch): smaller buffers are not recycled
	maxClass     = 26 // 64 MiB: nor larger ones
	recycleLimit = 128 << 20
)

func newRecycler(base memory.Allocator) *recycler { return &recycler{base: base} }

// sizeClass returns c with 1<<c the smallest power of two >= size.
func sizeClass(size int) int { return bits.Len(uint(size - 1)) }

// recycled reports whether b is one of ours: allocated at a power-of-two
// capacity within the recycled classes. (A base buffer with such a capacity
// is indistinguishable and harmless: recycling it is freeing it later.)
func recycled(b []byte) (int, bool) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 {
		return 0, false
	}
	k := sizeClass(c)
	return k, k >= minClass && k <= maxClass
}

func (r *recycler) Allocate(size int) []byte {
	c := sizeClass(size)
	if size <= 0 || c < minClass || c > maxClass {
		return r.base.Allocate(size)
	}
	r.mu.Lock()
	if n := len(r.free[c]); n > 0 {
		b := r.free[c][n-1]
		r.free[c] = r.free[c][:n-1]
		r.held -= cap(b)
		r.mu.Unlock()
		return b[:size]
	}
	r.mu.Unlock()
	return r.base.Allocate(1 << c)[:size]
}

func (r *recycler) Reallocate(size int, b []byte) []byte {
	if _, ok := recycled(b); !ok {
		return r.base.Reallocate(size, b)
	}
	if size <= cap(b) {
		return b[:size]
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.Free(b)
	return nb
}

func (r *recycler) Free(b []byte) {
	c, ok := recycled(b)
	if !ok {
		r.base.Free(b)
		return
	}
	b = b[:cap(b)]
	r.mu.Lock()
	if r.held+cap(b) <= recycleLimit {
		r.free[c] = append(r.free[c], b)
		r.held += cap(b)
		b = nil
	}
	r.mu.Unlock()
	if b != nil {
		r.base.Free(b)
	}
}

// release hands every kept buffer back to the base allocator.
func (r *recycler) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.free {
		for _, b := range r.free[c] {
			r.base.Free(b)
		}
		r.free[c] = nil
	}
	r.held = 0
}
