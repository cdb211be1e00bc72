package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSortByKeyMatchesGeneral: the single-key path (order keys compared
// inline) gives exactly sortGeneral's order for every type it takes, with
// nulls, duplicates, NaNs, ±0 and ±Inf, both directions, nulls first and
// last.
func TestSortByKeyMatchesGeneral(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	floats := []float64{math.NaN(), -math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1.5, -1.5, math.MaxFloat64, -math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat64}
	strs := []string{"", "a", "a\x00", "ab", "abcdefgh", "abcdefgh", "abcdefghi", "abcdefghj", "abcdefgh\x00", "b", "\xff\xff", "zz"}
	build := func(dt arrow.DataType) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		for i := 0; i < n; i++ {
			if r.IntN(7) == 0 {
				b.AppendNull()
				continue
			}
			v := r.Int64N(41) - 20 // many ties
			if r.IntN(50) == 0 {
				v = []int64{math.MinInt64, math.MaxInt64, math.MinInt32, math.MaxInt32}[r.IntN(4)]
			}
			switch b := b.(type) {
			case *array.Int8Builder:
				b.Append(int8(v))
			case *array.Int16Builder:
				b.Append(int16(v))
			case *array.Int32Builder:
				b.Append(int32(v))
			case *array.Int64Builder:
				b.Append(v)
			case *array.Uint8Builder:
				b.Append(uint8(v))
			case *array.Uint16Builder:
				b.Append(uint16(v))
			case *array.Uint32Builder:
				b.Append(uint32(v))
			case *array.Uint64Builder:
				b.Append(uint64(v))
			case *array.Float32Builder:
				f := float64(v) / 4
				if r.IntN(3) == 0 {
					f = floats[r.IntN(len(floats))]
				}
				b.Append(float32(f))
			case *array.Float64Builder:
				f := float64(v) / 4
				if r.IntN(3) == 0 {
					f = floats[r.IntN(len(floats))]
				}
				b.Append(f)
			case *array.Date32Builder:
				b.Append(arrow.Date32(v))
			case *array.Date64Builder:
				b.Append(arrow.Date64(v))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v))
			case *array.Time32Builder:
				b.Append(arrow.Time32(v))
			case *array.Time64Builder:
				b.Append(arrow.Time64(v))
			case *array.DurationBuilder:
				b.Append(arrow.Duration(v))
			case *array.StringBuilder:
				b.Append(strs[uint64(v)%uint64(len(strs))])
			case *array.LargeStringBuilder:
				b.Append(strs[uint64(v)%uint64(len(strs))])
			case *array.BinaryBuilder:
				b.Append([]byte(strs[uint64(v)%uint64(len(strs))]))
			case *array.BooleanBuilder:
				b.Append(v%2 == 0)
			default:
				t.Fatalf("no builder case for %s", dt)
			}
		}
		return b.NewArray()
	}
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
		arrow.FixedWidthTypes.Timestamp_us, arrow.FixedWidthTypes.Time32s, arrow.FixedWidthTypes.Time64ns, arrow.FixedWidthTypes.Duration_ms,
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary, arrow.FixedWidthTypes.Boolean,
	}
	second := build(arrow.PrimitiveTypes.Int8) // a second key, with ties and nulls
	defer second.Release()
	third := build(arrow.BinaryTypes.String)
	defer third.Release()
	dirs := []sortKey{{col: "c"}, {col: "c", desc: true}, {col: "c", nullsFirst: true}, {col: "c", desc: true, nullsFirst: true}}
	for _, dt := range types {
		a := build(dt)
		if _, _, ok := orderKeys(a); !ok {
			t.Fatalf("%s: no order keys", dt)
		}
		sliced := array.NewSlice(a, 17, int64(n-5)) // offsets that do not start at 0
		for _, col := range []arrow.Array{a, sliced} {
			cols := []arrow.Array{col, array.NewSlice(second, 0, int64(col.Len())), array.NewSlice(third, 0, int64(col.Len()))}
			for _, k := range dirs {
				for _, keys := range [][]sortKey{{k}, {k, dirs[1]}, {k, dirs[2], dirs[3]}} {
					idx := []int{0, 1, 2}[:len(keys)]
					want := sortGeneral(cols, idx, keys)
					for _, rmin := range []int{0, 1 << 30} { // radix sort, pdqsort
						radixMin = rmin
						got := sortByKey(cols, idx, keys)
						radixMin = 1 << 10
						if !slices.Equal(got, want) {
							i := 0
							for i < len(got) && got[i] == want[i] {
								i++
							}
							t.Errorf("%s (%d keys, offset %d, radixMin %d) %s: position %d: row %d (%s), want row %d (%s)", dt, len(keys), col.Data().Offset(), rmin, k.canonical(), i, got[i], col.ValueStr(got[i]), want[i], col.ValueStr(want[i]))
						}
					}
				}
			}
			cols[1].Release()
			cols[2].Release()
		}
		sliced.Release()
		a.Release()
	}
	list := array.MakeArrayOfNull(mem, arrow.ListOf(arrow.PrimitiveTypes.Int8), 1)
	defer list.Release()
	if _, _, ok := orderKeys(list); ok {
		t.Error("order keys for a list column")
	}
}
