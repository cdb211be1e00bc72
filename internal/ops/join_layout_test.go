package ops

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/expr"
)

// The join's right side is indexed by key rank, densely or by hash
// depending on its keys, and its rows reach the output either as a batch
// or as the selected rows of one (EmitRows). These tests check every such
// path against an oracle built from arrow's own take kernel, over every
// column type the typed gathers handle and one they leave to the kernel.

var (
	layoutLeftSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "lv", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "lx", Type: arrow.PrimitiveTypes.Int16},
	}, nil)
	layoutRightSchema = arrow.NewSchema([]arrow.Field{
		{Name: "rb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "lv", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "rl", Type: arrow.BinaryTypes.LargeString},
		{Name: "rbool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "rdec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "rfsb", Type: &arrow.FixedSizeBinaryType{ByteWidth: 3}, Nullable: true},
		{Name: "rlist", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "ri8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "ri32", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
)

// layoutKeys are the right and left keys of one case; nil is a null key.
type layoutKeys struct {
	name        string
	right, left []*int64
	many        bool // the right keys repeat
}

func layoutCases() []layoutKeys {
	rng := rand.New(rand.NewPCG(7, 11))
	p := func(v int64) *int64 { return &v }
	var cases []layoutKeys
	// Unique keys in a narrow range, negative ones included: the rank
	// index (many = false) and the dense one (many = true).
	{
		var c layoutKeys
		c.name = "narrow unique"
		for _, k := range rng.Perm(150) {
			c.right = append(c.right, p(int64(k)-100))
		}
		c.right[17], c.right[100] = nil, nil
		for range 300 {
			if rng.IntN(10) == 0 {
				c.left = append(c.left, nil)
				continue
			}
			c.left = append(c.left, p(rng.Int64N(170)-110))
		}
		cases = append(cases, c)
	}
	// Repeated keys in a narrow range: dense with chains.
	{
		c := layoutKeys{name: "narrow repeated", many: true}
		for range 120 {
			c.right = append(c.right, p(rng.Int64N(50)))
		}
		c.right[3] = nil
		for range 200 {
			c.left = append(c.left, p(rng.Int64N(60)-5))
		}
		c.left[9] = nil
		cases = append(cases, c)
	}
	// Keys spread over the whole int64 range, the extremes and 0
	// included: hashed (a probe of 0 meets empty slots).
	{
		c := layoutKeys{name: "wide unique"}
		seen := map[int64]bool{}
		for _, k := range []int64{math.MinInt64, math.MaxInt64, 0, -1, 1} {
			c.right, seen[k] = append(c.right, p(k)), true
		}
		for len(c.right) < 150 {
			k := int64(rng.Uint64())
			if !seen[k] {
				c.right, seen[k] = append(c.right, p(k)), true
			}
		}
		c.right = append(c.right, nil)
		for range 300 {
			switch rng.IntN(4) {
			case 0:
				c.left = append(c.left, p(int64(rng.Uint64())))
			case 1:
				c.left = append(c.left, nil)
			default:
				c.left = append(c.left, c.right[rng.IntN(len(c.right))])
			}
		}
		c.left = append(c.left, p(0), p(math.MinInt64), p(math.MaxInt64), p(2))
		cases = append(cases, c)
	}
	// Wide keys that repeat: hashed with chains.
	{
		c := layoutKeys{name: "wide repeated", many: true}
		var pool []int64
		for range 60 {
			pool = append(pool, int64(rng.Uint64())|1)
		}
		pool = append(pool, math.MinInt64, 0)
		for range 150 {
			c.right = append(c.right, p(pool[rng.IntN(len(pool))]))
		}
		for range 200 {
			if rng.IntN(5) == 0 {
				c.left = append(c.left, p(int64(rng.Uint64())))
			} else {
				c.left = append(c.left, p(pool[rng.IntN(len(pool))]))
			}
		}
		cases = append(cases, c)
	}
	// Keys in the narrow range of the extremes: the span arithmetic must
	// not overflow.
	{
		c := layoutKeys{name: "narrow at the extremes"}
		for i := range int64(40) {
			c.right = append(c.right, p(math.MaxInt64-i), p(math.MinInt64+i))
		}
		for range 200 {
			c.left = append(c.left, c.right[rng.IntN(len(c.right))])
		}
		c.left = append(c.left, p(0), p(math.MaxInt64-50), p(math.MinInt64+50))
		cases = append(cases, c)
	}
	return cases
}

// layoutRecords builds the left and right batches of a case; every right
// column's values are a function of the row.
func layoutRecords(t *testing.T, mem memory.Allocator, c layoutKeys) (left, right arrow.RecordBatch) {
	t.Helper()
	lb := array.NewRecordBuilder(mem, layoutLeftSchema)
	defer lb.Release()
	for i, k := range c.left {
		if k == nil {
			lb.Field(0).AppendNull()
		} else {
			lb.Field(0).(*array.Int64Builder).Append(*k)
		}
		if i%7 == 3 {
			lb.Field(1).AppendNull()
		} else {
			lb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("l%d", i))
		}
		lb.Field(2).(*array.Int16Builder).Append(int16(i))
	}
	rb := array.NewRecordBuilder(mem, layoutRightSchema)
	defer rb.Release()
	for i, k := range c.right {
		nul := i%5 == 2
		appendOrNull := func(b array.Builder, f func()) {
			if nul {
				b.AppendNull()
			} else {
				f()
			}
		}
		appendOrNull(rb.Field(0), func() { rb.Field(0).(*array.Float64Builder).Append(float64(i) / 4) })
		if k == nil {
			rb.Field(1).AppendNull()
		} else {
			rb.Field(1).(*array.Int64Builder).Append(*k)
		}
		appendOrNull(rb.Field(2), func() { rb.Field(2).(*array.StringBuilder).Append(strings.Repeat("r", i%4) + fmt.Sprint(i)) })
		rb.Field(3).(*array.LargeStringBuilder).Append(fmt.Sprintf("L%d", i))
		appendOrNull(rb.Field(4), func() { rb.Field(4).(*array.BooleanBuilder).Append(i%3 == 0) })
		appendOrNull(rb.Field(5), func() { rb.Field(5).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i) * 101)) })
		appendOrNull(rb.Field(6), func() { rb.Field(6).(*array.FixedSizeBinaryBuilder).Append([]byte{byte(i), byte(i >> 8), 7}) })
		lst := rb.Field(7).(*array.ListBuilder)
		appendOrNull(lst, func() {
			lst.Append(true)
			for j := range i % 3 {
				lst.ValueBuilder().(*array.Int32Builder).Append(int32(i + j))
			}
		})
		appendOrNull(rb.Field(8), func() { rb.Field(8).(*array.Int8Builder).Append(int8(i)) })
		rb.Field(9).(*array.Int32Builder).Append(int32(i * 3))
	}
	return lb.NewRecordBatch(), rb.NewRecordBatch()
}

// oracleJoin computes a join's output rows with arrow's take kernel from
// index vectors worked out row by row.
func oracleJoin(t *testing.T, mem memory.Allocator, schema *arrow.Schema, how string, left, right arrow.RecordBatch, rightOut []int) []string {
	t.Helper()
	byKey := map[int64][]int{}
	rk := right.Column(1).(*array.Int64)
	for j := 0; j < rk.Len(); j++ {
		if rk.IsValid(j) {
			byKey[rk.Value(j)] = append(byKey[rk.Value(j)], j)
		}
	}
	lk := left.Column(0).(*array.Int64)
	li, ri := array.NewInt32Builder(mem), array.NewInt32Builder(mem)
	defer li.Release()
	defer ri.Release()
	for i := 0; i < lk.Len(); i++ {
		var m []int
		if lk.IsValid(i) {
			m = byKey[lk.Value(i)]
		}
		switch {
		case how == "semi" && len(m) > 0, how == "anti" && len(m) == 0:
			li.Append(int32(i))
		case how == "left" && len(m) == 0:
			li.Append(int32(i))
			ri.AppendNull()
		case how == "inner" || how == "left":
			for _, j := range m {
				li.Append(int32(i))
				ri.Append(int32(j))
			}
		}
	}
	la, ra := li.NewArray(), ri.NewArray()
	defer la.Release()
	defer ra.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	var cols []arrow.Array
	defer func() { releaseArrays(cols...) }()
	take := func(col, idx arrow.Array) {
		a, err := compute.TakeArray(ctx, col, idx)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, a)
	}
	for _, c := range left.Columns() {
		take(c, la)
	}
	if how == "inner" || how == "left" {
		for _, c := range rightOut {
			take(right.Column(c), ra)
		}
	}
	rec := array.NewRecordBatch(schema, cols, int64(la.Len()))
	defer rec.Release()
	return recordRows(t, rec)
}

func recordRows(t *testing.T, recs ...arrow.RecordBatch) []string {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range recs {
		if err := array.RecordToJSON(r, &buf); err != nil {
			t.Fatal(err)
		}
	}
	s := strings.TrimSpace(buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// joinRows runs a prepared join over the left and right batches cut into
// batches of size rows, with the given budget, and returns its rows. With
// rows set, the op gets EmitRows, whose selected rows are gathered here as
// the executor's artifact writer would.
func joinRows(t *testing.T, mem memory.Allocator, op *joinOp, left, right arrow.RecordBatch, size int, budget *Budget, rows bool) []string {
	t.Helper()
	lin, lrel := sliced(left, size)
	defer lrel()
	rin, rrel := sliced(right, size)
	defer rrel()
	inputs := make([]Input, 2)
	inputs[op.leftIn], inputs[op.rightIn] = lin, rin
	var kept []arrow.RecordBatch
	defer func() {
		for _, r := range kept {
			r.Release()
		}
	}()
	check := func(rec arrow.RecordBatch) {
		if !rec.Schema().Equal(op.schema) {
			t.Fatalf("emitted schema %s, want %s", rec.Schema(), op.schema)
		}
		if size >= 1 && rec.NumRows() > int64(size) && !op.many {
			t.Fatalf("a batch of %d rows for batches of %d", rec.NumRows(), size)
		}
	}
	rc := &RunContext{Mem: mem, Inputs: inputs, BatchSize: size, Budget: budget,
		Emit: func(rec arrow.RecordBatch) error {
			check(rec)
			rec.Retain()
			kept = append(kept, rec)
			return nil
		}}
	if rows {
		rc.EmitRows = func(rec arrow.RecordBatch, sel expr.Selection) error {
			check(rec)
			if sel.Total() != int(rec.NumRows()) || sel.Kept() == 0 {
				t.Fatalf("EmitRows of %d of %d rows for a batch of %d", sel.Kept(), sel.Total(), rec.NumRows())
			}
			rec.Retain()
			g, err := expr.GatherInto(context.Background(), mem, mem, op.schema, []expr.Part{{Rec: rec, Sel: sel}})
			rec.Release()
			if err != nil {
				return err
			}
			kept = append(kept, g)
			return nil
		}
	}
	if err := op.Run(context.Background(), rc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return recordRows(t, kept...)
}

// TestJoinLayouts: every how, over keys that take each index layout, with
// batch sizes from 1 up, one worker or several, EmitRows or not, gives the
// oracle's rows in the oracle's order.
func TestJoinLayouts(t *testing.T) {
	for _, c := range layoutCases() {
		for _, how := range joinHows {
			for _, many := range []bool{false, true} {
				if c.many && !many {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/many=%v", c.name, how, many), func(t *testing.T) {
					mem := checked()
					defer mem.AssertSize(t, 0)
					left, right := layoutRecords(t, mem, c)
					defer left.Release()
					defer right.Release()
					op := mustOp(t, joinRight+block(fmt.Sprintf(`join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = %q; many = %v }`, how, many)), "join.j").(*joinOp)
					schemas := make([]*arrow.Schema, 2)
					schemas[op.leftIn], schemas[op.rightIn] = layoutLeftSchema, layoutRightSchema
					out, diags := op.Prepare(schemas)
					if diags.HasErrors() {
						t.Fatal(diags)
					}
					want := oracleJoin(t, mem, out, how, left, right, op.rightOut)
					if how == "inner" && len(want) == 0 {
						t.Fatal("the case matches nothing")
					}
					for _, size := range []int{1, 7, 4096} {
						for _, budget := range []*Budget{nil, NewBudget(4)} {
							for _, rows := range []bool{false, true} {
								got := joinRows(t, mem, op, left, right, size, budget, rows)
								if d := cmp.Diff(want, got); d != "" {
									t.Fatalf("batch size %d, budget %v, EmitRows %v: rows (-oracle +join):\n%s", size, budget != nil, rows, d)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestJoinLayoutChoice: the layout follows the keys: rank for unique keys
// in a narrow span (many = false), dense for repeated ones, hashed for a
// wide span.
func TestJoinLayoutChoice(t *testing.T) {
	vals := func(ks ...int64) []int64 { return ks }
	if r, order := newJoinRanks(vals(5, 3, 9, 4), nil); r == nil || fmt.Sprint(order) != "[1 3 0 2]" {
		t.Errorf("rank index of 5 3 9 4: %v, order %v; want the rows in key order [1 3 0 2]", r, order)
	}
	if r, _ := newJoinRanks(vals(5, 3, 5), nil); r != nil {
		t.Error("rank index of repeated keys")
	}
	if r, _ := newJoinRanks(vals(0, 1<<20), nil); r != nil {
		t.Error("rank index of 2 keys spanning 2^20 values")
	}
	if r, _ := newJoinRanks(vals(math.MinInt64, math.MaxInt64), nil); r != nil {
		t.Error("rank index of keys spanning every int64")
	}
	null := func(i int) bool { return i == 1 }
	if r, order := newJoinRanks(vals(2, 2, 1), null); r == nil || fmt.Sprint(order) != "[2 0]" {
		t.Errorf("rank index with a null repeating a key: %v, order %v", r, order)
	}
	next := make([]int32, 3)
	if ix, dups := newJoinInts(vals(7, 8, 7), nil, next); ix.dense == nil || dups != 1 || fmt.Sprint(next) != "[2 -1 -1]" {
		t.Errorf("dense index of 7 8 7: dense %v, dups %d, next %v", ix.dense != nil, dups, next)
	}
	if ix, _ := newJoinInts(vals(math.MinInt64, 0, math.MaxInt64), nil, next); ix.rows == nil {
		t.Error("keys spanning every int64 are not hashed")
	}
}

// TestJoinIntsProbe: each layout answers like a map for present, absent,
// extreme and zero keys.
func TestJoinIntsProbe(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, span := range []int64{1000, 1 << 40} {
		var keys []int64
		seen := map[int64]int32{}
		for len(keys) < 800 {
			k := rng.Int64N(span) - span/2
			if _, ok := seen[k]; !ok {
				seen[k] = int32(len(keys))
				keys = append(keys, k)
			}
		}
		probes := []int64{0, math.MinInt64, math.MaxInt64, -span, span}
		for range 5000 {
			if rng.IntN(2) == 0 {
				probes = append(probes, keys[rng.IntN(len(keys))])
			} else {
				probes = append(probes, rng.Int64N(2*span)-span)
			}
		}
		ix, dups := newJoinInts(keys, nil, make([]int32, len(keys)))
		if dups != 0 {
			t.Fatalf("span %d: %d repeats among unique keys", span, dups)
		}
		got := make([]int32, len(probes))
		ix.probe(probes, got)
		for i, k := range probes {
			want, ok := seen[k]
			if !ok {
				want = -1
			}
			if got[i] != want {
				t.Fatalf("span %d (dense %v): probe(%d) = %d, want %d", span, ix.dense != nil, k, got[i], want)
			}
		}
		r, order := newJoinRanks(keys, nil)
		if (r != nil) != (span == 1000) {
			t.Fatalf("span %d: rank index %v", span, r != nil)
		}
		if r == nil {
			continue
		}
		r.probe(probes, got)
		for i, k := range probes {
			row, ok := seen[k]
			if !ok && got[i] != -1 || ok && (got[i] < 0 || order[got[i]] != row) {
				t.Fatalf("rank probe(%d) = %d, want the rank of row %d (present %v)", k, got[i], row, ok)
			}
		}
	}
}

// TestTakeRows: the typed gathers give the take kernel's values, in the
// canonical layout (no bitmap without a null, zero bytes under a null),
// from sliced arrays, with negative indexes as nulls or zero values.
func TestTakeRows(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	left, right := layoutRecords(t, mem, layoutCases()[0])
	left.Release()
	defer right.Release()
	rec := right.NewSlice(3, right.NumRows()-2)
	defer rec.Release()
	idx := []int32{4, -1, 0, 2, 2, 7, -1, int32(rec.NumRows() - 1), 5}
	ctx := compute.WithAllocator(context.Background(), mem)
	for c, col := range rec.Columns() {
		name := rec.Schema().Field(c).Name
		for _, null := range []bool{true, false} {
			got, err := takeRows(ctx, mem, col, idx, null)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ix := indexArray(mem, idx)
			want, err := compute.TakeArray(ctx, col, ix)
			ix.Release()
			if err != nil {
				t.Fatal(err)
			}
			for i, j := range idx {
				switch {
				case j >= 0 || null:
					if !array.SliceEqual(got, int64(i), int64(i+1), want, int64(i), int64(i+1)) {
						t.Errorf("%s null=%v row %d: %s, want %s", name, null, i, got.ValueStr(i), want.ValueStr(i))
					}
				case got.DataType().ID() != arrow.LIST && got.IsNull(i):
					t.Errorf("%s: unmatched row %d is null without null rows asked for", name, i)
				}
			}
			if got.NullN() == 0 && got.Data().Buffers()[0] != nil {
				t.Errorf("%s null=%v: a validity bitmap without a null", name, null)
			}
			if fw, ok := got.DataType().(arrow.FixedWidthDataType); ok && got.DataType().ID() != arrow.BOOL {
				w := fw.BitWidth() / 8
				b := got.Data().Buffers()[1].Bytes()
				for i := range idx {
					if got.IsNull(i) || (idx[i] < 0 && !null) {
						if !bytes.Equal(b[i*w:(i+1)*w], make([]byte, w)) {
							t.Errorf("%s null=%v row %d: bytes % x under a null or unmatched row", name, null, i, b[i*w:(i+1)*w])
						}
					}
				}
			}
			got.Release()
			want.Release()
		}
	}
}
