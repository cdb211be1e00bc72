package artifact

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRecycler(t *testing.T) {
	base := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer base.AssertSize(t, 0)
	r := newRecycler(base)

	small := r.Allocate(1000) // not recycled
	if cap(small) != 1000 {
		t.Errorf("small buffer cap %d, want 1000 (from the base allocator)", cap(small))
	}
	r.Free(small)

	a := r.Allocate(3 << 20)
	if len(a) != 3<<20 || cap(a) != 4<<20 {
		t.Fatalf("Allocate(3 MiB): len %d cap %d, want 3 MiB in a 4 MiB class", len(a), cap(a))
	}
	a[0] = 42
	r.Free(a)
	b := r.Allocate(2<<20 + 1)
	if &b[0] != &a[0] {
		t.Errorf("a freed buffer of the same class was not reused")
	}
	if b[0] != 42 {
		t.Errorf("reused buffer was cleared; recycling skips that on purpose")
	}
	c := r.Reallocate(4<<20, b)
	if &c[0] != &b[0] || len(c) != 4<<20 {
		t.Errorf("Reallocate within the capacity moved or mis-sized the buffer")
	}
	d := r.Reallocate(5<<20, c) // next class: a new buffer, the old one kept
	if cap(d) != 8<<20 || d[0] != 42 {
		t.Errorf("Reallocate to the next class: cap %d, first byte %d", cap(d), d[0])
	}
	r.Free(d)
	if base.CurrentAlloc() == 0 {
		t.Errorf("recycled buffers were given back before release")
	}
	// Past the limit, freed buffers go back at once.
	var big [][]byte
	for i := 0; i < recycleLimit/(32<<20)+2; i++ {
		big = append(big, r.Allocate(32<<20))
	}
	for _, x := range big {
		r.Free(x)
	}
	if r.held > recycleLimit {
		t.Errorf("recycler holds %d bytes, limit %d", r.held, recycleLimit)
	}
	r.release()
	r.release() // idempotent
}
