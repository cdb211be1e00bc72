package ops

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkAggregate groups 2M rows into 200K groups (bench/aggregate runs
// the 10M-row version against DuckDB).
func BenchmarkAggregate(b *testing.B) {
	// AGG_ROWS and AGG_GROUPS change the size (e.g. 10000000 and 1000000,
	// the bench/aggregate size).
	rows, groups := envInt64("AGG_ROWS", 2_000_000), envInt64("AGG_GROUPS", 200_000)
	const batch = 1 << 16
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	mem := memory.NewGoAllocator()
	var recs []arrow.RecordBatch
	for start := int64(0); start < rows; start += batch {
		n := min(batch, rows-start)
		kb, vb, xb := array.NewInt64Builder(mem), array.NewInt64Builder(mem), array.NewFloat64Builder(mem)
		for i := start; i < start+n; i++ {
			kb.Append((i * 7919) % groups)
			vb.Append(i % 1000)
			xb.Append(float64(i%977) / 7)
		}
		recs = append(recs, array.NewRecordBatch(schema, []arrow.Array{kb.NewArray(), vb.NewArray(), xb.NewArray()}, n))
	}
	t := &testing.T{}
	op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  by = [k]\n  agg = { n = count(), s = sum(v), m = mean(x), hi = max(v) }\n}\n", "aggregate.t")
	if _, d := op.Prepare([]*arrow.Schema{schema}); d.HasErrors() {
		b.Fatal(d)
	}
	in := Input{Schema: schema, Open: func() (array.RecordReader, error) { return array.NewRecordReader(schema, recs) }}
	// general: the one-core path every shape can take; flat/wN: the flat
	// path on N workers.
	for _, c := range []struct {
		name    string
		noFlat  bool
		workers int
	}{{"general", true, 1}, {"flat/w1", false, 1}, {"flat/w2", false, 2}} {
		b.Run(c.name, func(b *testing.B) {
			agg := op.(*aggregateOp)
			agg.noFlat, agg.workers = c.noFlat, c.workers
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				runCounting(b, op, mem, in, batch, groups)
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// runCounting runs op once over in and checks it emits want rows.
func runCounting(b *testing.B, op Op, mem memory.Allocator, in Input, batch int, want int64) {
	var out int64
	rc := RunContext{Mem: mem, Inputs: []Input{in}, BatchSize: batch, Emit: func(r arrow.RecordBatch) error { out += r.NumRows(); return nil }}
	if err := op.Run(context.Background(), &rc); err != nil {
		b.Fatal(err)
	}
	if out != want {
		b.Fatalf("%d rows out, want %d", out, want)
	}
}

// cpuTime is the process's user + system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func envInt64(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}
