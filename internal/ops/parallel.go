package ops

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/sourcegraph/conc/stream"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/dsbuild/dsbuild/internal/expr"
)

// forEachOrdered applies fn to every batch of rd on one worker plus as
// many as the budget spares (up to twice GOMAXPROCS in all), and emits the
// results in input order, so the output never depends on scheduling or on
// the number of workers. At most a few batches are in flight, which bounds
// memory by batch size × parallelism. fn also gets the input row number of
// the batch's first row, for error messages that must not depend on where
// batches happen to start.
func forEachOrdered(ctx context.Context, budget *Budget, rd array.RecordReader, fn func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error), emit func(arrow.RecordBatch) error) error {
	return forEachOrderedRows(ctx, budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, expr.Selection, error) {
		out, err := fn(rec, first)
		var sel expr.Selection
		if out != nil {
			sel = expr.SelectAll(int(out.NumRows()))
		}
		return out, sel, err
	}, func(out arrow.RecordBatch, _ expr.Selection) error { return emit(out) })
}

// forEachOrderedRows is forEachOrdered for an fn that keeps some rows of
// the batch it returns (sel), which emit gets with the batch (for
// RunContext.EmitRows).
func forEachOrderedRows(ctx context.Context, budget *Budget, rd array.RecordReader, fn func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, expr.Selection, error), emit func(arrow.RecordBatch, expr.Selection) error) error {
	// Twice the cores: the in-order consumer (the artifact writer) is often
	// the slowest stage, and finished batches waiting for it must not idle
	// the cores.
	most := min(2*runtime.GOMAXPROCS(0), 16)
	extra, release := budget.Extra(most - 1)
	defer release()
	s := stream.New().WithMaxGoroutines(1 + extra)
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
	var row int64
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
		first := row
		row += rec.NumRows()
		s.Go(func() stream.Callback {
			out, sel, err := fn(rec, first)
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
				if sel.Kept() > 0 {
					if err := emit(out, sel); err != nil {
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

// inputRow makes the row number of an expression error count from the start
// of the input: expr numbers rows within the batch it evaluates ("row K:
// ..."), and first is the input row of that batch's row 0. Other errors are
// wrapped with the batch's position.
func inputRow(err error, first int64) error {
	if err == nil || first == 0 || ctxErr(err) {
		return err
	}
	if rest, ok := strings.CutPrefix(err.Error(), "row "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if k, perr := strconv.ParseInt(rest[:i], 10, 64); perr == nil {
				return &rowError{row: first + k, rest: rest[i:], err: err}
			}
		}
	}
	return fmt.Errorf("in the batch from input row %d: %w", first, err)
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// rowError is an expression error renumbered to input rows; it unwraps to
// the original.
type rowError struct {
	row  int64
	rest string
	err  error
}

func (e *rowError) Error() string { return "row " + strconv.FormatInt(e.row, 10) + e.rest }
func (e *rowError) Unwrap() error { return e.err }
