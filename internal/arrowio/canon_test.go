package arrowio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func mustJSON(t *testing.T, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	if err != nil {
		t.Fatalf("%s %s: %v", dt, js, err)
	}
	return a
}

func buf(b []byte) *memory.Buffer { return memory.NewBufferBytes(b) }

func bitmap(bits ...bool) []byte {
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			out[i/8] |= 1 << (i % 8)
		}
	}
	return out
}

// dirtyTwins returns, for every kind of type, an array and a twin with the
// same values but other bytes under its nulls, as different readers leave
// them (Parquet's boolean decoder, pyarrow's struct members, slices...).
func dirtyTwins(t *testing.T, mem memory.Allocator) map[string][2]arrow.Array {
	out := map[string][2]arrow.Array{}
	valid := bitmap(true, false, true)
	fixed := func(name string, dt arrow.DataType, js string) {
		clean := mustJSON(t, mem, dt, js)
		d := clean.Data()
		w := dt.(arrow.FixedWidthDataType).BitWidth() / 8
		vals := bytes.Clone(d.Buffers()[1].Bytes()[:3*w])
		for i := w; i < 2*w; i++ {
			vals[i] = 0xAB
		}
		dd := array.NewData(dt, 3, []*memory.Buffer{buf(valid), buf(vals)}, nil, 1, 0)
		out[name] = [2]arrow.Array{clean, array.MakeFromData(dd)}
		dd.Release()
	}
	fixed("int32", arrow.PrimitiveTypes.Int32, `[1, null, 3]`)
	fixed("uint16", arrow.PrimitiveTypes.Uint16, `[1, null, 3]`)
	fixed("float64", arrow.PrimitiveTypes.Float64, `[1.5, null, -0.0]`)
	fixed("date32", arrow.FixedWidthTypes.Date32, `[1, null, 3]`)
	fixed("timestamp", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `[1, null, 3]`)
	fixed("decimal128", &arrow.Decimal128Type{Precision: 10, Scale: 2}, `["1.25", null, "-3.50"]`)

	b := mustJSON(t, mem, arrow.FixedWidthTypes.Boolean, `[true, null, false]`)
	bd := array.NewData(arrow.FixedWidthTypes.Boolean, 3, []*memory.Buffer{buf(valid), buf(bitmap(true, true, false, true, true))}, nil, 1, 0)
	out["bool"] = [2]arrow.Array{b, array.MakeFromData(bd)}
	bd.Release()

	s := mustJSON(t, mem, arrow.BinaryTypes.String, `["a", null, "cc"]`)
	sd := array.NewData(arrow.BinaryTypes.String, 3, []*memory.Buffer{buf(valid), buf(arrow.Int32Traits.CastToBytes([]int32{0, 1, 4, 6})), buf([]byte("aXYZcc"))}, nil, 1, 0)
	out["utf8"] = [2]arrow.Array{s, array.MakeFromData(sd)}
	sd.Release()
	ls := mustJSON(t, mem, arrow.BinaryTypes.LargeBinary, `["YQ==", null, "Y2M="]`)
	lsd := array.NewData(arrow.BinaryTypes.LargeBinary, 3, []*memory.Buffer{buf(valid), buf(arrow.Int64Traits.CastToBytes([]int64{5, 6, 9, 11})), buf([]byte("01234aXYZcc"))}, nil, 1, 0)
	out["large_binary"] = [2]arrow.Array{ls, array.MakeFromData(lsd)}
	lsd.Release()

	lt := arrow.ListOf(arrow.PrimitiveTypes.Int64)
	l := mustJSON(t, mem, lt, `[[1], null, [2, 3]]`)
	child := mustJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, 9, 9, 2, 3]`)
	ld := array.NewData(lt, 3, []*memory.Buffer{buf(valid), buf(arrow.Int32Traits.CastToBytes([]int32{0, 1, 3, 5}))}, []arrow.ArrayData{child.Data()}, 1, 0)
	child.Release()
	out["list"] = [2]arrow.Array{l, array.MakeFromData(ld)}
	ld.Release()

	st := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true})
	sv := mustJSON(t, mem, st, `[{"a": 1, "s": "x"}, null, {"a": null, "s": "z"}]`)
	ca := mustJSON(t, mem, arrow.PrimitiveTypes.Int32, `[1, 7, null]`)
	cs := mustJSON(t, mem, arrow.BinaryTypes.String, `["x", "junk", "z"]`)
	svd := array.NewData(st, 3, []*memory.Buffer{buf(valid)}, []arrow.ArrayData{ca.Data(), cs.Data()}, 1, 0)
	ca.Release()
	cs.Release()
	out["struct"] = [2]arrow.Array{sv, array.MakeFromData(svd)}
	svd.Release()

	ft := arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32)
	fl := mustJSON(t, mem, ft, `[[1, 2], null, [3, null]]`)
	fc := mustJSON(t, mem, arrow.PrimitiveTypes.Float32, `[1, 2, 5, 6, 3, null]`)
	fld := array.NewData(ft, 3, []*memory.Buffer{buf(valid)}, []arrow.ArrayData{fc.Data()}, 1, 0)
	fc.Release()
	out["fixed_size_list"] = [2]arrow.Array{fl, array.MakeFromData(fld)}
	fld.Release()

	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dict := mustJSON(t, mem, arrow.BinaryTypes.String, `["p", "q"]`)
	idx := mustJSON(t, mem, arrow.PrimitiveTypes.Int32, `[0, null, 1]`)
	da := array.NewDictionaryArray(dt, idx, dict)
	idx.Release()
	dirtyIdx := array.NewData(arrow.PrimitiveTypes.Int32, 3, []*memory.Buffer{buf(valid), buf(arrow.Int32Traits.CastToBytes([]int32{0, 1, 1}))}, nil, 1, 0)
	di := array.MakeFromData(dirtyIdx)
	dirtyIdx.Release()
	dd := array.NewDictionaryArray(dt, di, dict)
	di.Release()
	dict.Release()
	out["dictionary"] = [2]arrow.Array{da, dd}

	// The same values at an offset of a larger array.
	big := mustJSON(t, mem, arrow.PrimitiveTypes.Int64, `[5, 1, null, 3, 6]`)
	clean := mustJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, null, 3]`)
	out["slice"] = [2]arrow.Array{clean, array.NewSlice(big, 1, 4)}
	big.Release()
	return out
}

func ipcBytes(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch) []byte {
	t.Helper()
	var b bytes.Buffer
	w := ipc.NewWriter(&b, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Issue 8, item 4: no stored or written byte may depend on what a producer
// left under a null. Two twins with the same values and different bytes
// under their nulls must encode alike once canonical, keep their logical
// digest, and canonicalizing twice changes nothing.
func TestCanonicalLayoutIgnoresWhatLiesUnderNulls(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	for name, pair := range dirtyTwins(t, mem) {
		t.Run(name, func(t *testing.T) {
			sc := arrow.NewSchema([]arrow.Field{{Name: "c", Type: pair[0].DataType(), Nullable: true}}, nil)
			var encoded [2][]byte
			var digests [2]string
			for i, a := range pair {
				rec := array.NewRecordBatch(sc, []arrow.Array{a}, int64(a.Len()))
				before := digestOf(t, mem, []arrow.RecordBatch{rec})
				c, err := CanonicalBatch(mem, rec)
				if err != nil {
					t.Fatal(err)
				}
				if got := digestOf(t, mem, []arrow.RecordBatch{c}); got != before {
					t.Errorf("twin %d: logical digest %s after canonicalizing, %s before", i, got, before)
				}
				again, err := CanonicalBatch(mem, c)
				if err != nil {
					t.Fatal(err)
				}
				if again != c {
					t.Errorf("twin %d: a canonical batch was copied again", i)
				}
				encoded[i], digests[i] = ipcBytes(t, mem, c), before
				again.Release()
				c.Release()
				rec.Release()
			}
			if digests[0] != digests[1] {
				t.Fatalf("twins differ in value: %s vs %s (%v vs %v)", digests[0], digests[1], pair[0], pair[1])
			}
			if !bytes.Equal(encoded[0], encoded[1]) {
				t.Errorf("canonical IPC bytes differ for %v and its twin", pair[0])
			}
			var raw [2][]byte
			for i, a := range pair {
				rec := array.NewRecordBatch(sc, []arrow.Array{a}, int64(a.Len()))
				raw[i] = ipcBytes(t, mem, rec)
				rec.Release()
			}
			if bytes.Equal(raw[0], raw[1]) {
				t.Errorf("the twins encode alike even without canonicalizing: the test shows nothing")
			}
			pair[0].Release()
			pair[1].Release()
		})
	}
}
