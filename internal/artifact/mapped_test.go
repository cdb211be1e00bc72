package artifact

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pages are released up to the oldest body still in use, whatever order
// the bodies are released in, and only in batches of dropBatch.
func TestLiveBodiesDropUpToOldestInUse(t *testing.T) {
	const size = 8 << 20 // four bodies make one dropBatch
	buf := make([]byte, 16*size)
	var dropped [][2]int
	l := &liveBodies{buf: buf, drop: func(b []byte) {
		start := len(buf) - cap(b)
		dropped = append(dropped, [2]int{start, start + len(b)})
	}}
	var bodies []*memory.Buffer
	for i := 0; i < 12; i++ {
		bodies = append(bodies, l.body(i*size, (i+1)*size))
	}
	// Release 1..5 first: body 0 is still in use, nothing may go.
	for _, i := range []int{1, 2, 3, 4, 5} {
		bodies[i].Release()
	}
	if len(dropped) != 0 {
		t.Fatalf("dropped %v while body 0 is in use", dropped)
	}
	bodies[0].Release() // bodies 0-5 free: 6 bodies = 48 MiB ≥ dropBatch
	if len(dropped) != 1 || dropped[0] != [2]int{0, 6 * size} {
		t.Fatalf("after releasing 0-5: dropped %v, want [0, %d)", dropped, 6*size)
	}
	for _, i := range []int{11, 7, 9, 6} {
		bodies[i].Release()
	}
	// 6 and 7 free, 8 in use: 16 MiB releasable, below dropBatch.
	if len(dropped) != 1 {
		t.Fatalf("dropped %v before a whole batch was releasable", dropped)
	}
	bodies[8].Release() // 6-9 free, 10 in use: 32 MiB
	if len(dropped) != 2 || dropped[1] != [2]int{6 * size, 10 * size} {
		t.Fatalf("after releasing 6-9: dropped %v, want [%d, %d)", dropped, 6*size, 10*size)
	}
	bodies[10].Release()
	if len(l.starts) != 0 || len(l.freed) != 0 {
		t.Errorf("bookkeeping left after every body was released: starts %v, freed %v", l.starts, l.freed)
	}
}

// After the mapping is released nothing more is dropped: the range may
// belong to another mapping by then.
func TestLiveBodiesClosedDropsNothing(t *testing.T) {
	buf := make([]byte, 2*dropBatch)
	drops := 0
	l := &liveBodies{buf: buf, drop: func([]byte) { drops++ }}
	b := l.body(0, len(buf))
	l.close()
	b.Release()
	if drops != 0 {
		t.Errorf("dropped pages after close")
	}
}
