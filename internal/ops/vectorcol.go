package ops

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// vecType describes a column that can hold one vector per row: a
// fixed_size_list of float32 or float64 (dimension known from the type), or
// a list / large_list of them (activations written by other tools; every
// non-null row must then have the dimension the op expects).
type vecType struct {
	d     int // 0 for a variable-length list
	elem  arrow.Type
	fixed bool
}

func vectorType(dt arrow.DataType) (vecType, bool) {
	var elem arrow.DataType
	var vt vecType
	switch t := dt.(type) {
	case *arrow.FixedSizeListType:
		elem, vt.d, vt.fixed = t.Elem(), int(t.Len()), true
	case *arrow.ListType:
		elem = t.Elem()
	case *arrow.LargeListType:
		elem = t.Elem()
	default:
		return vt, false
	}
	switch elem.ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		vt.elem = elem.ID()
		return vt, vt.d > 0 || !vt.fixed
	}
	return vt, false
}

func typeString(dt arrow.DataType) string {
	var b strings.Builder
	writeType(&b, dt)
	return b.String()
}

// vectorRows gives the float32 values of a vector column, d per row, back
// to back (a null row's slots are zero), and which rows are null. Float64
// values are rounded to float32; a non-null row of another length than d,
// or with a null element, is an error naming its row (first + i).
type vectorRows struct {
	values []float32
	null   []bool // nil when no row is null
	buf    []float32
}

func (v *vectorRows) load(col arrow.Array, d int, first int64) error {
	n := col.Len()
	v.null = nil
	if col.NullN() > 0 {
		v.null = make([]bool, n)
		for i := range n {
			v.null[i] = col.IsNull(i)
		}
	}
	var child arrow.Array
	var offset func(i int) (int64, int64)
	switch c := col.(type) {
	case *array.FixedSizeList:
		child = c.ListValues()
		offset = func(i int) (int64, int64) { return c.ValueOffsets(i) }
	case *array.List:
		child = c.ListValues()
		offset = func(i int) (int64, int64) { return c.ValueOffsets(i) }
	case *array.LargeList:
		child = c.ListValues()
		offset = func(i int) (int64, int64) { return c.ValueOffsets(i) }
	default:
		return fmt.Errorf("column of type %s holds no vectors", typeString(col.DataType()))
	}
	// Fast path: a fixed-size float32 list without nulls is used in place.
	if fl, ok := child.(*array.Float32); ok && v.null == nil && fl.NullN() == 0 {
		if _, fixed := col.(*array.FixedSizeList); fixed {
			if n == 0 {
				v.values = nil
				return nil
			}
			lo, _ := offset(0)
			v.values = fl.Float32Values()[lo : lo+int64(n*d)]
			return nil
		}
	}
	if cap(v.buf) < n*d {
		v.buf = make([]float32, n*d)
	}
	v.values = v.buf[:n*d]
	clear(v.values)
	for i := range n {
		if v.null != nil && v.null[i] {
			continue
		}
		lo, hi := offset(i)
		if int(hi-lo) != d {
			return fmt.Errorf("row %d: the vector has %d elements, want %d (a ragged list column: every row must have the vectors' dimension)", first+int64(i), hi-lo, d)
		}
		if child.NullN() > 0 {
			for j := lo; j < hi; j++ {
				if child.IsNull(int(j)) {
					return fmt.Errorf("row %d: element %d of the vector is null", first+int64(i), j-lo)
				}
			}
		}
		out := v.values[i*d : (i+1)*d]
		switch c := child.(type) {
		case *array.Float32:
			copy(out, c.Float32Values()[lo:hi])
		case *array.Float64:
			for j, x := range c.Float64Values()[lo:hi] {
				out[j] = float32(x)
			}
		default:
			return fmt.Errorf("vector elements of type %s are not float32 or float64", child.DataType())
		}
	}
	return nil
}

func (v *vectorRows) isNull(i int) bool { return v.null != nil && v.null[i] }

// vectorsSchema is the schema of a vectors artifact: one row, one column
// per named vector.
func vectorsSchema(names []string, d int) *arrow.Schema {
	fs := make([]arrow.Field, len(names))
	for i, n := range names {
		fs[i] = arrow.Field{Name: n, Type: arrow.FixedSizeListOf(int32(d), arrow.PrimitiveTypes.Float32), Nullable: false}
	}
	return arrow.NewSchema(fs, nil)
}
