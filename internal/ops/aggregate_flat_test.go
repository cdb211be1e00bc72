package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var flatSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "k32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "ku8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "h", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// flatData makes rows rows over about groups keys, with nulls in every
// column, extreme keys, NaN, -0 and +0, and values whose float sums depend
// on the order they are added in.
func flatData(mem memory.Allocator, rows, groups int, seed uint64) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed, 7))
	b := array.NewRecordBuilder(mem, flatSchema)
	defer b.Release()
	extreme := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1 << 40}
	for i := 0; i < rows; i++ {
		null := func(p int) bool { return r.IntN(100) < p }
		k := int64(r.IntN(groups)) - int64(groups/3)
		if r.IntN(50) == 0 {
			k = extreme[r.IntN(len(extreme))]
		}
		if null(2) {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(k)
		}
		if null(2) {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int32Builder).Append(int32(k))
		}
		if null(2) {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Uint8Builder).Append(uint8(k))
		}
		if null(5) {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int64Builder).Append(r.Int64N(2_000_001) - 1_000_000)
		}
		if null(5) {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int16Builder).Append(int16(r.IntN(65536) - 32768))
		}
		x := r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15))
		switch r.IntN(40) {
		case 0:
			x = math.NaN()
		case 1:
			x = math.Copysign(0, -1)
		case 2:
			x = 0
		case 3:
			x = math.Inf(1 - 2*r.IntN(2))
		}
		if null(5) {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.Float64Builder).Append(x)
		}
		if null(5) {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Float32Builder).Append(float32(x))
		}
		if null(5) {
			b.Field(7).AppendNull()
		} else {
			b.Field(7).(*array.Float16Builder).Append(float16.New(float32(r.IntN(2000)-1000) / 8))
		}
		if null(10) {
			b.Field(8).AppendNull()
		} else {
			b.Field(8).(*array.BooleanBuilder).Append(r.IntN(3) > 0)
		}
		if null(10) {
			b.Field(9).AppendNull()
		} else {
			b.Field(9).(*array.StringBuilder).Append(fmt.Sprint(r.IntN(9)))
		}
	}
	return b.NewRecordBatch()
}

const flatAggs = `agg = {
    n = count(), nx = count(x), ns = count(s)
    s = sum(v), s16 = sum(v16), fs = sum(x), f32 = sum(f32), hs = sum(h)
    m = mean(v), mx = mean(x), mh = mean(h)
    lo = min(x), hi = max(x), ilo = min(v16), ihi = max(v + 1), flo = min(f32), fhi = max(h)
    blo = min(b), bhi = max(b), some = any(b), every = all(b)
  }`

// runIPC runs op over in with the given input batch size and worker count
// (0: the general path) and returns its output as Arrow IPC stream bytes,
// or the error.
func runIPC(t *testing.T, mem memory.Allocator, src string, rec arrow.RecordBatch, size, workers int, budget *Budget) ([]byte, error) {
	t.Helper()
	op := mustOp(t, src, "aggregate.t").(*aggregateOp)
	out := prepare(t, op, rec.Schema())
	if workers == 0 {
		op.noFlat = true
	} else if op.flatPlan() == nil {
		t.Fatalf("%s: takes the general path, want the flat one", src)
	}
	op.workers = workers
	if budget != nil {
		op.workers = 0
	}
	in, release := sliced(rec, size)
	defer release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(out), ipc.WithAllocator(mem))
	rc := RunContext{Mem: mem, Inputs: []Input{in}, BatchSize: 1000, Budget: budget, Emit: func(r arrow.RecordBatch) error {
		if !r.Schema().Equal(out) {
			return fmt.Errorf("emitted schema %s, want %s", r.Schema(), out)
		}
		return w.Write(r)
	}}
	if err := op.Run(context.Background(), &rc); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), nil
}

// The flat path's output is byte-identical to the general path's, at every
// batch size and worker count: keys of every integer width, nulls, NaN,
// -0, float sums that depend on their order, first-appearance order and
// sort = true.
func TestAggregateFlatMatchesGeneral(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	big := flatData(mem, 6000, 3000, 1)
	defer big.Release()
	// Fewer groups than an output batch: each column is stored whole, its
	// buffers as long as they were built.
	small := flatData(mem, 600, 300, 2)
	defer small.Release()
	for _, rec := range []arrow.RecordBatch{big, small} {
		testFlatMatchesGeneral(t, mem, rec)
	}
}

func testFlatMatchesGeneral(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch) {
	for _, body := range []string{
		"by = [k]\n  " + flatAggs,
		"by = [k]\n  sort = true\n  " + flatAggs,
		"by = [k32]\n  " + flatAggs,
		"by = [ku8]\n  sort = true\n  " + flatAggs,
		"by = {bucket = k % 5 - 2}\n  agg = { n = count(), s = sum(v), hi = max(x), m = mean(f32) }",
		"by = [k]\n  agg = { n = count() }",
	} {
		src := "aggregate \"t\" {\n  input = fetch.in\n  " + body + "\n}\n"
		want, err := runIPC(t, mem, src, rec, 4096, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 7, 999, 4096} {
			for _, workers := range []int{1, 2, 3, 8} {
				if size == 1 && workers > 2 {
					continue
				}
				got, err := runIPC(t, mem, src, rec, size, workers, nil)
				if err != nil {
					t.Fatalf("%s, batch %d, %d workers: %v", body, size, workers, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s, batch %d, %d workers: output differs from the general path's", body, size, workers)
				}
			}
		}
		got, err := runIPC(t, mem, src, rec, 512, 1, NewBudget(4))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s, with a budget of 4: output differs from the general path's", body)
		}
	}
}

// Shapes the flat path does not take keep the general path.
func TestAggregateFlatPlan(t *testing.T) {
	for body, flat := range map[string]bool{
		"by = [k]\n  agg = { n = count(), s = sum(v), m = mean(x), hi = max(v) }": true,
		"by = [k]\n  agg = { n = count(s), some = any(b) }":                       true,
		"by = [k]\n  order_by = [v]\n  agg = { n = count() }":                     false,
		"by = [k, k32]\n  agg = { n = count() }":                                  false,
		"by = [s]\n  agg = { n = count() }":                                       false,
		"agg = { n = count() }":                                                   false,
		"by = [k]\n  agg = { hi = max(s) }":                                       false,
		"by = [k]\n  agg = { f = first(v) }":                                      false,
		"by = [k]\n  agg = { d = count_distinct(v) }":                             false,
		"by = [k]\n  agg = { l = list(v) }":                                       false,
		"by = [k]\n  agg = { n = count(), twice = k * 2 }":                        false,
		"by = [k]\n  agg = { s = sum(cast(v, \"uint64\")) }":                      false,
	} {
		op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  "+body+"\n}\n", "aggregate.t").(*aggregateOp)
		prepare(t, op, flatSchema)
		if got := op.flatPlan() != nil; got != flat {
			t.Errorf("%s: flat = %v, want %v", body, got, flat)
		}
	}
}

// Errors are the general path's, whatever the batch size and workers: the
// first in input order, and within a batch the first aggregation's, as
// the general path adds one aggregation after the other.
func TestAggregateFlatErrors(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "w", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: arrow.BinaryTypes.String},
	}, nil)
	// Group 2's w overflows at row 3, group 1's v at row 5, a bad number
	// at row 6; group 3's v overflows at row 9 (9223372036854775802 is
	// 2^63 - 6).
	rows := `[
 {"k": 1, "v": 1, "w": 1, "t": "1"},
 {"k": 2, "v": 1, "w": 9223372036854775802, "t": "2"},
 {"k": 3, "v": 9223372036854775802, "w": 1, "t": "3"},
 {"k": 2, "v": 1, "w": 100, "t": "4"},
 {"k": 1, "v": 9223372036854775802, "w": 1, "t": "5"},
 {"k": 1, "v": 100, "w": 1, "t": "6"},
 {"k": 4, "v": 1, "w": 1, "t": "x"},
 {"k": 5, "v": 1, "w": 1, "t": "8"},
 {"k": 5, "v": 1, "w": 1, "t": "9"},
 {"k": 3, "v": 100, "w": 1, "t": "10"}
]`
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := fromJSON(t, mem, schema, rows)
	defer rec.Release()
	for _, agg := range []string{
		"a = sum(v), b = sum(w)",
		"b = sum(w), a = sum(v)",
		"a = sum(v), n = sum(tonumber(t))",
		"n = sum(tonumber(t)), a = sum(v), b = sum(w)",
		"m = max(tonumber(t)), b = sum(w)",
	} {
		src := "aggregate \"t\" {\n  input = fetch.in\n  by = [k]\n  agg = { " + agg + " }\n}\n"
		for _, size := range []int{1, 2, 3, 4, 6, 7, 10} {
			_, want := runIPC(t, mem, src, rec, size, 0, nil)
			if want == nil {
				t.Fatalf("%s, batch %d: no error", agg, size)
			}
			for _, workers := range []int{1, 2, 3, 5} {
				_, err := runIPC(t, mem, src, rec, size, workers, nil)
				if err == nil || err.Error() != want.Error() {
					t.Errorf("%s, batch %d, %d workers: err = %v, want %v", agg, size, workers, err, want)
				}
			}
		}
	}
}

// A cancelled context stops the flat path and leaks nothing.
func TestAggregateFlatCancel(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := flatData(mem, 2000, 500, 3)
	defer rec.Release()
	op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  by = [k]\n  "+flatAggs+"\n}\n", "aggregate.t").(*aggregateOp)
	prepare(t, op, rec.Schema())
	op.workers = 3
	in, release := sliced(rec, 100)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	in2 := in
	in2.Open = func() (array.RecordReader, error) {
		rd, err := in.Open()
		return &cancelAfter{RecordReader: rd, n: 5, cancel: cancel, seen: &batches}, err
	}
	err := op.Run(ctx, &RunContext{Mem: mem, Inputs: []Input{in2}, BatchSize: 100, Emit: func(arrow.RecordBatch) error { return nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// cancelAfter cancels its context once n batches have been read.
type cancelAfter struct {
	array.RecordReader
	n      int
	cancel func()
	seen   *int
}

func (c *cancelAfter) Next() bool {
	*c.seen++
	if *c.seen > c.n {
		c.cancel()
	}
	return c.RecordReader.Next()
}
