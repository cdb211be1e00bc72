package ops

import (
	"context"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkFlatten explodes 64K conversations of 1–15 turns each (about
// 524K turns per op), the shape of the drift recipe's conversations →
// turns step: four parent columns gathered per turn, the turns a
// list<struct<role, text>>.
func BenchmarkFlatten(b *testing.B) {
	const n = 1 << 16
	mem := memory.NewGoAllocator()
	turn := arrow.StructOf(arrow.Field{Name: "role", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "text", Type: arrow.BinaryTypes.String})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "conversation_id", Type: arrow.BinaryTypes.String},
		{Name: "source", Type: arrow.BinaryTypes.String},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "turns", Type: arrow.ListOf(turn)},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	lb := rb.Field(4).(*array.ListBuilder)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	var turns int64
	for i := 0; i < n; i++ {
		rb.Field(0).(*array.StringBuilder).Append("conv-" + strconv.Itoa(i*7919))
		rb.Field(1).(*array.StringBuilder).Append([]string{"esconv", "counsel_chat", "empathetic_dialogues"}[i%3])
		rb.Field(2).(*array.Int64Builder).Append(int64(i))
		if i%11 == 0 {
			rb.Field(3).AppendNull()
		} else {
			rb.Field(3).(*array.Float64Builder).Append(float64(i) / 3)
		}
		k := 1 + (i*31)%15
		turns += int64(k)
		lb.Append(true)
		for j := 0; j < k; j++ {
			sb.Append(true)
			sb.FieldBuilder(0).(*array.StringBuilder).Append([]string{"seeker", "supporter"}[j%2])
			sb.FieldBuilder(1).(*array.StringBuilder).Append("I hear how hard this week has been; turn " + strconv.Itoa(j))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	t := &testing.T{}
	op := mustOp(t, "flatten \"t\" {\n  input = fetch.in\n  column = \"turns\"\n}\n", "flatten.t").(*flattenOp)
	if _, d := op.Prepare([]*arrow.Schema{schema}); d.HasErrors() {
		b.Fatal(d)
	}
	b.SetBytes(int64(turns)) // one "byte" per output row: MB/s reads as M turns/s
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := op.flatten(context.Background(), mem, rec)
		if err != nil {
			b.Fatal(err)
		}
		if out.NumRows() != turns {
			b.Fatalf("%d rows, want %d", out.NumRows(), turns)
		}
		out.Release()
	}
}
