package synth

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestRealLibraryNoCollisions checks that in the shipped library distinct
// combinations fill to distinct user text, i.e. that Capacity is exact in
// practice and no draw is silently skipped.
func TestRealLibraryNoCollisions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	for _, cat := range Categories {
		p := Params{Category: cat, N: 4000, Seed: 99, MinTurns: 2, MaxTurns: 16}
		g, err := newGen(lib, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(mem, Schema())
		if err := g.fill(context.Background(), b, p.N); err != nil {
			t.Fatal(err)
		}
		b.Release()
		if g.collisions != 0 {
			t.Errorf("category %s: %d of %d draws collided on identical user text", cat, g.collisions, p.N)
		}
	}
}
