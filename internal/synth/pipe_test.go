package synth

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestPipelinedWritesAreTheSameBytes: writing conversations beside the draw
// (the pipe) gives the rows writing them in place gives, byte for byte,
// across batches, with controls, situations and casual typing.
func TestPipelinedWritesAreTheSameBytes(t *testing.T) {
	lib := realLibrary(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	draw := func(cat string) []byte {
		r, err := NewReader(context.Background(), mem, lib, Params{Category: cat, N: 6000, Seed: 11, Casual: 1, Controls: true, MinTurns: 6, MaxTurns: 40}, 1700)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(r.Schema()), ipc.WithAllocator(mem))
		for r.Next() {
			if err := w.Write(r.RecordBatch()); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, cat := range []string{"crisis", "validation"} {
		piped := draw(cat)
		pipelineWrites = false
		inPlace := draw(cat)
		pipelineWrites = true
		if !bytes.Equal(piped, inPlace) {
			t.Errorf("%s: the pipelined draw differs from the in-place one (%d vs %d bytes)", cat, len(piped), len(inPlace))
		}
	}
}
