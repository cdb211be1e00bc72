package arrowio

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// unionFixture builds a sparse and a dense union column of 6 slots over
// members i (int32) and s (utf8) with type codes 5 and 7, including a null
// member value and a dense child longer than its slots.
func unionFixture(t *testing.T, mem memory.Allocator) (sparse, dense arrow.Array) {
	t.Helper()
	fields := []arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}
	codes := []arrow.UnionTypeCode{5, 7}
	sb := array.NewSparseUnionBuilder(mem, arrow.SparseUnionOf(fields, codes))
	defer sb.Release()
	si := sb.Child(0).(*array.Int32Builder)
	ss := sb.Child(1).(*array.StringBuilder)
	// rows: i=1, s="a", i=null, s="b", i=4, s=null
	for r, v := range []any{int32(1), "a", nil, "b", int32(4), "s-null"} {
		switch x := v.(type) {
		case int32:
			sb.Append(5)
			si.Append(x)
			ss.AppendEmptyValue()
		case string:
			sb.Append(7)
			si.AppendEmptyValue()
			if x == "s-null" {
				ss.AppendNull()
			} else {
				ss.Append(x)
			}
		default:
			_ = r
			sb.Append(5)
			si.AppendNull()
			ss.AppendEmptyValue()
		}
	}
	sparse = sb.NewArray()
	db := array.NewDenseUnionBuilder(mem, arrow.DenseUnionOf(fields, codes))
	defer db.Release()
	di := db.Child(0).(*array.Int32Builder)
	ds := db.Child(1).(*array.StringBuilder)
	for _, v := range []any{int32(1), "a", nil, "b", int32(4), "s-null"} {
		switch x := v.(type) {
		case int32:
			db.Append(5)
			di.Append(x)
		case string:
			db.Append(7)
			if x == "s-null" {
				ds.AppendNull()
			} else {
				ds.Append(x)
			}
		default:
			db.Append(5)
			di.AppendNull()
		}
	}
	dense = db.NewArray()
	return sparse, dense
}

// TestUnionReadAsStruct: sparse and dense unions, whole and sliced, written
// to IPC and read back, are structs {type_code, i, s} with the selected
// member's value (null kept) and null in the other member.
func TestUnionReadAsStruct(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sparse, dense := unionFixture(t, mem)
	defer sparse.Release()
	defer dense.Release()
	want := []string{
		`{"i":"n:1","s":null,"type_code":"n:5"}`,
		`{"i":null,"s":"s:a","type_code":"n:7"}`,
		`{"i":null,"s":null,"type_code":"n:5"}`,
		`{"i":null,"s":"s:b","type_code":"n:7"}`,
		`{"i":"n:4","s":null,"type_code":"n:5"}`,
		`{"i":null,"s":null,"type_code":"n:7"}`,
	}
	wantType := "struct<type_code: int8, i: int32, s: utf8>"
	for _, sl := range [][2]int64{{0, 6}, {1, 5}} {
		for _, col := range []arrow.Array{sparse, dense} {
			a := array.NewSlice(col, sl[0], sl[1])
			fields := []arrow.Field{{Name: "u", Type: a.DataType(), Nullable: true}}
			sc := convSchema(arrow.NewSchema(fields, nil))
			if got := sc.Field(0).Type.String(); !strings.HasPrefix(got, "struct<type_code: int8, i: int32") || !strings.Contains(got, "s: utf8") {
				t.Fatalf("converted type %s, want %s", got, wantType)
			}
			rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), []arrow.Array{a}, int64(a.Len()))
			a.Release()
			var recs []arrow.RecordBatch
			if sl[0] == 0 {
				p := writeIPC(t, fields, rec.Columns())
				_, recs = readAll(t, mem, []string{p}, ReadOptions{})
			} else {
				if err := validateBatch(rec); err != nil {
					t.Fatal(err)
				}
				c, err := convBatch(mem, rec, sc)
				if err != nil {
					t.Fatal(err)
				}
				recs = []arrow.RecordBatch{c}
			}
			rec.Release()
			var got []string
			for _, r := range recs {
				for i := 0; i < int(r.NumRows()); i++ {
					v, err := canonValue(r.Column(0), i)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, canonJSON(v))
				}
				if r.Column(0).NullN() != 0 {
					t.Errorf("%s: the struct has %d nulls; a union slot is never null itself", col.DataType(), r.Column(0).NullN())
				}
				c, err := CanonicalBatch(mem, r)
				if err != nil {
					t.Fatal(err)
				}
				c.Release()
			}
			releaseAll(recs)
			if w := strings.Join(want[sl[0]:sl[1]], "\n"); strings.Join(got, "\n") != w {
				t.Errorf("%s slice %v:\n got  %v\n want %v", col.DataType(), sl, got, w)
			}
		}
	}
}

// TestUnionMalformedIsAnError: union buffers a file could carry (a type
// code no member has, a dense offset past its child, a short sparse child,
// missing offsets) are errors from validation, never panics.
func TestUnionMalformedIsAnError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sparse, dense := unionFixture(t, mem)
	defer sparse.Release()
	defer dense.Release()
	corrupt := func(a arrow.Array, buf int, b []byte) *array.Data {
		d := a.Data().(*array.Data)
		bufs := append([]*memory.Buffer(nil), d.Buffers()...)
		if buf < len(bufs) {
			bufs[buf] = memory.NewBufferBytes(b)
		}
		return array.NewData(d.DataType(), d.Len(), bufs, d.Children(), d.NullN(), d.Offset())
	}
	short := func(a arrow.Array) *array.Data {
		d := a.Data().(*array.Data)
		ch := append([]arrow.ArrayData(nil), d.Children()...)
		ch[0] = array.NewSliceData(ch[0], 0, 2)
		defer ch[0].Release()
		return array.NewData(d.DataType(), d.Len(), d.Buffers(), ch, d.NullN(), d.Offset())
	}
	cases := map[string]*array.Data{
		"sparse: unknown type code": corrupt(sparse, 1, []byte{5, 7, 6, 7, 5, 7}),
		"dense: unknown type code":  corrupt(dense, 1, []byte{5, 7, 5, 7, 9, 7}),
		"sparse: short codes":       corrupt(sparse, 1, []byte{5, 7}),
		"dense: offset past child":  corrupt(dense, 2, arrow.Int32Traits.CastToBytes([]int32{0, 0, 1, 1, 99, 2})),
		"dense: negative offset":    corrupt(dense, 2, arrow.Int32Traits.CastToBytes([]int32{0, 0, 1, 1, -1, 2})),
		"dense: short offsets":      corrupt(dense, 2, arrow.Int32Traits.CastToBytes([]int32{0, 0})),
		"sparse: short child":       short(sparse),
		"validity bitmap":           corrupt(sparse, 0, []byte{0x3f}),
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			defer d.Release()
			// validateData is what validateBatch runs on each column; it
			// must see the fault before any array is made of the data
			// (making a sparse union with a short child panics).
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("validation panicked: %v", r)
					}
				}()
				err = validateData(d)
			}()
			if err == nil {
				t.Fatal("malformed union validated")
			}
			t.Log(err)
		})
	}
}
