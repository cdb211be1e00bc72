package ops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var intSchema = arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)

// intBatches returns a reader over n batches of 1 to 3 rows holding
// 0, 1, 2, ... in order; the caller releases the reader.
func intBatches(t *testing.T, mem memory.Allocator, n int) array.RecordReader {
	t.Helper()
	b := array.NewInt64Builder(mem)
	defer b.Release()
	var recs []arrow.RecordBatch
	v := int64(0)
	for i := 0; i < n; i++ {
		for j := 0; j <= i%3; j++ {
			b.Append(v)
			v++
		}
		a := b.NewArray()
		recs = append(recs, array.NewRecordBatch(intSchema, []arrow.Array{a}, int64(a.Len())))
		a.Release()
	}
	rd, err := array.NewRecordReader(intSchema, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	return rd
}

func values(rec arrow.RecordBatch) []int64 {
	return rec.Column(0).(*array.Int64).Int64Values()
}

func jitter() { time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond) }

func TestForEachOrdered(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	mem := checked()
	defer mem.AssertSize(t, 0)
	rd := intBatches(t, mem, 400)
	defer rd.Release()
	var next int64
	var firsts []int64
	err := forEachOrdered(context.Background(), NewBudget(8), rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		jitter()
		if got := values(rec)[0]; got != first {
			return nil, fmt.Errorf("first = %d for a batch starting with %d", first, got)
		}
		rec.Retain()
		return rec, nil
	}, func(rec arrow.RecordBatch) error {
		for _, v := range values(rec) {
			if v != next {
				return fmt.Errorf("emitted %d, want %d", v, next)
			}
			next++
		}
		firsts = append(firsts, values(rec)[0])
		return nil
	})
	if err != nil {
		t.Fatalf("forEachOrdered: %v", err)
	}
	if len(firsts) != 400 {
		t.Errorf("emitted %d batches, want 400", len(firsts))
	}
}

func TestForEachOrderedStops(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	errFirst, errLater := errors.New("first"), errors.New("later")
	tests := []struct {
		name     string
		fnFail   map[int]error // batch index → error from fn
		emitFail int           // batch index whose emit fails; -1 none
		want     error
		emitted  int // batches emitted successfully
	}{
		{"fn error", map[int]error{50: errFirst}, -1, errFirst, 50},
		// The earlier batch's error wins even when a later batch fails first.
		{"two fn errors", map[int]error{50: errFirst, 51: errLater}, -1, errFirst, 50},
		{"emit error", nil, 30, errFirst, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for rep := 0; rep < 5; rep++ {
				mem := checked()
				rd := intBatches(t, mem, 400)
				var calls atomic.Int64
				index := map[int64]int{} // first row → batch index
				for i, v := 0, int64(0); i < 400; i++ {
					index[v] = i
					v += int64(i%3 + 1)
				}
				emitted := 0
				err := forEachOrdered(context.Background(), NewBudget(8), rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
					calls.Add(1)
					i := index[first]
					if i == 51 {
						// The later failure arrives first.
					} else {
						jitter()
					}
					if e := tt.fnFail[i]; e != nil {
						return nil, e
					}
					rec.Retain()
					return rec, nil
				}, func(rec arrow.RecordBatch) error {
					if index[values(rec)[0]] == tt.emitFail {
						return errFirst
					}
					emitted++
					return nil
				})
				rd.Release()
				if !errors.Is(err, tt.want) {
					t.Fatalf("forEachOrdered = %v, want %v", err, tt.want)
				}
				if emitted != tt.emitted {
					t.Errorf("emitted %d batches, want %d (all before the failing one)", emitted, tt.emitted)
				}
				// fn may already be running on a few batches past the failing
				// one, but must not go on through the input.
				if n := calls.Load(); n > int64(tt.emitted)+1+40 {
					t.Errorf("fn ran on %d batches after a failure at batch %d", n, tt.emitted)
				}
				mem.AssertSize(t, 0)
			}
		})
	}
}

func TestForEachOrderedCanceled(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rd := intBatches(t, mem, 200)
	defer rd.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := forEachOrdered(ctx, NewBudget(8), rd, func(rec arrow.RecordBatch, _ int64) (arrow.RecordBatch, error) {
		rec.Retain()
		return rec, nil
	}, func(rec arrow.RecordBatch) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("forEachOrdered after cancel = %v, want context.Canceled", err)
	}
}

func TestInputRow(t *testing.T) {
	base := errors.New(`row 3: tonumber("x"): not a number`)
	tests := []struct {
		err   error
		first int64
		want  string
	}{
		{base, 0, `row 3: tonumber("x"): not a number`},
		{base, 100, `row 103: tonumber("x"): not a number`},
		{errors.New("column z is missing"), 100, "in the batch from input row 100: column z is missing"},
		{context.Canceled, 100, "context canceled"},
	}
	for _, tt := range tests {
		got := inputRow(tt.err, tt.first)
		if got.Error() != tt.want || !errors.Is(got, tt.err) {
			t.Errorf("inputRow(%q, %d) = %q, want %q wrapping the original", tt.err, tt.first, got, tt.want)
		}
	}
	if !strings.HasPrefix(inputRow(base, 7).Error(), "row 10:") {
		t.Errorf("inputRow did not renumber")
	}
}

// Two nodes' batch workers together never exceed the executor's budget,
// and the output stays in order whatever share each node got.
func TestForEachOrderedStaysInBudget(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, size := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("budget=%d", size), func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			budget := NewBudget(size)
			var active, peak atomic.Int64
			nodes := min(size, 2)
			errs := make(chan error, nodes)
			for range nodes {
				// The executor's share for the node.
				if err := budget.Acquire(context.Background()); err != nil {
					t.Fatal(err)
				}
				rd := intBatches(t, mem, 200)
				go func() {
					var next int64
					err := forEachOrdered(context.Background(), budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
						n := active.Add(1)
						for {
							p := peak.Load()
							if n <= p || peak.CompareAndSwap(p, n) {
								break
							}
						}
						jitter()
						active.Add(-1)
						rec.Retain()
						return rec, nil
					}, func(rec arrow.RecordBatch) error {
						for _, v := range values(rec) {
							if v != next {
								return fmt.Errorf("emitted %d, want %d", v, next)
							}
							next++
						}
						return nil
					})
					rd.Release()
					budget.Release()
					errs <- err
				}()
			}
			for range nodes {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if got := peak.Load(); got > int64(size) {
				t.Errorf("%d batch workers at once, budget %d", got, size)
			}
			if !budget.TryAcquire() {
				t.Errorf("a share was not given back")
			}
		})
	}
}
