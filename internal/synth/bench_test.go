package synth

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkGenerate1M draws 1,000,000 scenarios of each category from the
// real template library (default turns, casual typing on, no references),
// streaming 64Ki-row batches as the op does with large n.
func BenchmarkGenerate1M(b *testing.B) {
	lib := realLibrary(b)
	mem := memory.NewGoAllocator()
	for _, cat := range Categories {
		b.Run(cat, func(b *testing.B) {
			for b.Loop() {
				r, err := NewReader(context.Background(), mem, lib, Params{Category: cat, N: 1_000_000, Seed: 1, Casual: 1}, 1<<16)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for r.Next() {
					rows += int(r.RecordBatch().NumRows())
				}
				if r.Err() != nil || rows != 1_000_000 {
					b.Fatalf("rows = %d, err = %v", rows, r.Err())
				}
				r.Release()
			}
		})
	}
}
