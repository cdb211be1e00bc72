package expr

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// benchBatch is 1M rows of (empathy int64, speaker utf8, text utf8 ~150 B).
func benchBatch(b *testing.B, mem memory.Allocator, n int) (arrow.RecordBatch, int64) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "empathy", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "speaker", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	eb := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	tb := array.NewStringBuilder(mem)
	defer eb.Release()
	defer sb.Release()
	defer tb.Release()
	filler := strings.Repeat("I hear how hard this has been for you. ", 4)[:140]
	var size int64
	for i := 0; i < n; i++ {
		if i%97 == 0 {
			eb.AppendNull()
		} else {
			eb.Append(int64(1 + (i*7919)%5))
		}
		sp := "seeker"
		if (i*31)%3 != 0 {
			sp = "supporter"
		}
		sb.Append(sp)
		t := fmt.Sprintf("%s %08d", filler, i)
		tb.Append(t)
		size += 8 + int64(len(sp)) + int64(len(t)) + 8
	}
	cols := []arrow.Array{eb.NewArray(), sb.NewArray(), tb.NewArray()}
	defer releaseAll(cols...)
	return array.NewRecordBatch(schema, cols, int64(n)), size
}

func BenchmarkFilterKernel(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1 << 20
	rec, size := benchBatch(b, mem, n)
	defer rec.Release()
	ctx := context.Background()
	p, diags := Compile(parse(b, `empathy < 3 && speaker == "supporter"`), rec.Schema(), nil)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	report := func(b *testing.B) {
		b.SetBytes(size)
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("expr/mask+Filter", func(b *testing.B) {
		for b.Loop() {
			m, err := p.Eval(ctx, mem, rec)
			if err != nil {
				b.Fatal(err)
			}
			out, err := Filter(ctx, mem, rec, m.(*array.Boolean))
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
			m.Release()
		}
		report(b)
	})
	// What the filter op and the executor do: the op only selects, and the
	// executor gathers the kept rows of several batches into one.
	b.Run("expr/mask+Gather", func(b *testing.B) {
		for b.Loop() {
			m, err := p.Eval(ctx, mem, rec)
			if err != nil {
				b.Fatal(err)
			}
			sel := SelectMask(m.(*array.Boolean))
			h, t := sel.Split(sel.Kept() / 2)
			out, err := Gather(ctx, mem, rec.Schema(), []Part{{rec, h}, {rec, t}})
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
			m.Release()
		}
		report(b)
	})
	b.Run("expr/mask", func(b *testing.B) {
		for b.Loop() {
			m, err := p.Eval(ctx, mem, rec)
			if err != nil {
				b.Fatal(err)
			}
			m.Release()
		}
		report(b)
	})
	computeMask := func() arrow.Array {
		cctx := compute.WithAllocator(ctx, mem)
		lt, err := compute.CallFunction(cctx, "less", nil, compute.NewDatum(rec.Column(0)), compute.NewDatum(scalar.NewInt64Scalar(3)))
		if err != nil {
			b.Fatal(err)
		}
		eq, err := compute.CallFunction(cctx, "equal", nil, compute.NewDatum(rec.Column(1)), compute.NewDatum(scalar.NewStringScalar("supporter")))
		if err != nil {
			b.Fatal(err)
		}
		and, err := compute.CallFunction(cctx, "and_kleene", nil, lt, eq)
		if err != nil {
			b.Fatal(err)
		}
		lt.Release()
		eq.Release()
		defer and.Release()
		return and.(*compute.ArrayDatum).MakeArray()
	}
	b.Run("compute/mask", func(b *testing.B) {
		for b.Loop() {
			computeMask().Release()
		}
		report(b)
	})
	b.Run("compute/mask+FilterRecordBatch", func(b *testing.B) {
		for b.Loop() {
			m := computeMask()
			out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, m, compute.DefaultFilterOptions())
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
			m.Release()
		}
		report(b)
	})
}
