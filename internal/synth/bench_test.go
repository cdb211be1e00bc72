package synth

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkGenerate100k draws 100,000 conversations of one category from the
// real template library into one batch.
func BenchmarkGenerate100k(b *testing.B) {
	lib := realLibrary(b)
	mem := memory.NewGoAllocator()
	b.ReportAllocs()
	for b.Loop() {
		rec, err := Generate(context.Background(), mem, lib, Params{Category: "adversarial", N: 100_000, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if rec.NumRows() != 100_000 {
			b.Fatalf("rows = %d", rec.NumRows())
		}
		rec.Release()
	}
}
