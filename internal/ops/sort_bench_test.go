package ops

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkSort sorts 1M rows (an int64 key in scattered order, a string
// "row <i>", a nullable float64 and a scattered hex id) by k, by s (long
// runs already in order), by both, and by id; MB/s reads as M rows/s.
func BenchmarkSort(b *testing.B) {
	const rows, batch = 1 << 20, 1 << 16
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "id", Type: arrow.BinaryTypes.String},
	}, nil)
	mem := memory.NewGoAllocator()
	var recs []arrow.RecordBatch
	for start := 0; start < rows; start += batch {
		kb, sb, xb, ib := array.NewInt64Builder(mem), array.NewStringBuilder(mem), array.NewFloat64Builder(mem), array.NewStringBuilder(mem)
		for i := start; i < start+batch; i++ {
			kb.Append(int64((i * 7919) % 1000003))
			sb.Append("row " + strconv.Itoa(i))
			ib.Append(strconv.FormatUint(uint64(i)*0x9E3779B97F4A7C15, 16)) // a scattered hex id
			if i%13 == 0 {
				xb.AppendNull()
			} else {
				xb.Append(float64(i) / 7)
			}
		}
		recs = append(recs, array.NewRecordBatch(schema, []arrow.Array{kb.NewArray(), sb.NewArray(), xb.NewArray(), ib.NewArray()}, batch))
		ib.Release()
		kb.Release()
		sb.Release()
		xb.Release()
	}
	in := Input{Schema: schema, Open: func() (array.RecordReader, error) { return array.NewRecordReader(schema, recs) }}
	// by k or s; general: the row-by-row comparator path every key list
	// could take (sortGeneral), for comparison.
	for _, c := range []struct {
		name, by string
		general  bool
	}{{"int64", "k", false}, {"int64/general", "k", true}, {"string", "s", false}, {"string/general", "s", true}, {"int64,string", "k\", \"s", false}, {"id", "id", false}, {"id/general", "id", true}} {
		b.Run(c.name, func(b *testing.B) {
			t := &testing.T{}
			op := mustOp(t, "sort \"t\" {\n  input = fetch.in\n  by = [\""+c.by+"\"]\n}\n", "sort.t")
			if _, d := op.Prepare([]*arrow.Schema{schema}); d.HasErrors() {
				b.Fatal(d)
			}
			op.(*sortOp).noKeyPath = c.general
			b.SetBytes(rows)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runCounting(b, op, mem, in, batch, rows)
			}
		})
	}
}
