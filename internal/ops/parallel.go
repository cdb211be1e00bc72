package ops

import (
	"context"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/sourcegraph/conc/stream"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// forEachOrdered applies fn to every batch of rd on up to GOMAXPROCS
// goroutines and emits the results in input order, so the output never
// depends on scheduling. At most a few batches are in flight, which bounds
// memory by batch size × parallelism.
func forEachOrdered(ctx context.Context, rd array.RecordReader, fn func(arrow.RecordBatch) (arrow.RecordBatch, error), emit func(arrow.RecordBatch) error) error {
	workers := runtime.GOMAXPROCS(0)
	if workers > 8 {
		workers = 8
	}
	s := stream.New().WithMaxGoroutines(workers)
	// Callbacks run on the stream's own goroutine; the loop below reads the
	// error concurrently, hence the mutex.
	var mu sync.Mutex
	var firstErr error
	failed := func() error { mu.Lock(); defer mu.Unlock(); return firstErr }
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for rd.Next() {
		if failed() != nil {
			break
		}
		if err := ctx.Err(); err != nil {
			fail(err)
			break
		}
		rec := rd.RecordBatch()
		rec.Retain()
		s.Go(func() stream.Callback {
			out, err := fn(rec)
			rec.Release()
			return func() {
				if out != nil {
					defer out.Release()
				}
				if failed() != nil {
					return
				}
				if err != nil {
					fail(err)
					return
				}
				if out.NumRows() > 0 {
					if err := emit(out); err != nil {
						fail(err)
					}
				}
			}
		})
	}
	s.Wait()
	if err := failed(); err != nil {
		return err
	}
	return rd.Err()
}

// CanonicalValue encodes a cty value as JSON with its type, which sorts object
// keys and spells numbers canonically.
func CanonicalValue(v cty.Value) string {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return v.GoString()
	}
	return string(b)
}
