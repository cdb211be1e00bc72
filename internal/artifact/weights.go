package artifact

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dsbuild/dsbuild/internal/expr"
)

// rowWeights adds to w[i] the logical size in bytes of row i of arr: the
// bytes of its values, not of its buffers, so that it depends on the data
// alone and never on how a producer laid it out (slices, capacity, values
// hidden under nulls). Artifact batches are cut by it.
func rowWeights(arr arrow.Array, w []int64) {
	n := arr.Len()
	switch a := arr.(type) {
	case *array.Null:
		return
	case *array.Boolean:
		for i := 0; i < n; i++ {
			w[i]++
		}
	case *array.String:
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				w[i] += int64(a.ValueLen(i))
			}
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				w[i] += int64(a.ValueLen(i))
			}
		}
	case *array.Binary:
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				w[i] += int64(a.ValueLen(i))
			}
		}
	case *array.LargeBinary:
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				w[i] += int64(a.ValueLen(i))
			}
		}
	case *array.Struct:
		child := make([]int64, n)
		for f := 0; f < a.NumField(); f++ {
			rowWeights(a.Field(f), child)
		}
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				w[i] += child[i]
			}
		}
	case *array.FixedSizeList:
		size := int64(a.DataType().(*arrow.FixedSizeListType).Len())
		values := a.ListValues()
		prefix := weightPrefix(values)
		off := int64(a.Offset()) * size
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				s := off + int64(i)*size
				w[i] += prefix[s+size] - prefix[s]
			}
		}
	case array.ListLike: // list, large list, map
		prefix := weightPrefix(a.ListValues())
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				s, e := a.ValueOffsets(i)
				w[i] += prefix[e] - prefix[s]
			}
		}
	case *array.Dictionary:
		idx := make([]int64, n)
		dict := weightPrefix(a.Dictionary())
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				j := a.GetValueIndex(i)
				idx[i] = dict[j+1] - dict[j]
			}
		}
		for i := range idx {
			w[i] += idx[i]
		}
	default:
		if fw, ok := arr.DataType().(arrow.FixedWidthDataType); ok {
			b := int64(fw.BitWidth()+7) / 8
			for i := 0; i < n; i++ {
				w[i] += b
			}
			return
		}
		// Types without a cheap size count as 8 bytes a row: still a
		// function of the data's shape alone.
		for i := 0; i < n; i++ {
			w[i] += 8
		}
	}
}

// weightPrefix returns p with p[i] = total weight of rows [0, i) of arr.
func weightPrefix(arr arrow.Array) []int64 {
	w := make([]int64, arr.Len())
	rowWeights(arr, w)
	p := make([]int64, len(w)+1)
	for i, x := range w {
		p[i+1] = p[i] + x
	}
	return p
}

// batchWeights returns the logical size of every row of rec.
func batchWeights(rec arrow.RecordBatch) []int64 {
	w := make([]int64, rec.NumRows())
	for _, c := range rec.Columns() {
		rowWeights(c, w)
	}
	return w
}

// keptWeights returns the logical size of each row sel selects, in order:
// the same figures as batchWeights, computed for the selected rows only
// where a column allows it (a filter keeping a fifth of its input must not
// size all of it).
func keptWeights(rec arrow.RecordBatch, sel expr.Selection) []int64 {
	if sel.Kept() == sel.Total() {
		return batchWeights(rec)
	}
	w := make([]int64, sel.Kept())
	for _, c := range rec.Columns() {
		keptColumnWeights(c, sel, w)
	}
	return w
}

func keptColumnWeights(arr arrow.Array, sel expr.Selection, w []int64) {
	add := func(b int64) {
		for i := range w {
			w[i] += b
		}
	}
	switch a := arr.(type) {
	case *array.Null:
	case *array.Boolean:
		add(1)
	case *array.String:
		keptLens(a.ValueOffsets(), a, sel, w)
	case *array.Binary:
		keptLens(a.ValueOffsets(), a, sel, w)
	case *array.LargeString:
		keptLens(a.ValueOffsets(), a, sel, w)
	case *array.LargeBinary:
		keptLens(a.ValueOffsets(), a, sel, w)
	case *array.Struct, *array.FixedSizeList, array.ListLike, *array.Dictionary:
		all := make([]int64, arr.Len())
		rowWeights(arr, all)
		k := 0
		sel.Each(func(s, e int) {
			for i := s; i < e; i++ {
				w[k] += all[i]
				k++
			}
		})
	default:
		if fw, ok := arr.DataType().(arrow.FixedWidthDataType); ok {
			add(int64(fw.BitWidth()+7) / 8)
			return
		}
		add(8)
	}
}

// keptLens adds the lengths of the selected valid values of a string or
// binary array, straight from its offsets (relative to the array's offset).
func keptLens[O int32 | int64](offs []O, arr arrow.Array, sel expr.Selection, w []int64) {
	k := 0
	if arr.NullN() == 0 {
		sel.Each(func(s, e int) {
			d := w[k : k+e-s]
			for i, o := range offs[s+1 : e+1] {
				d[i] += int64(o - offs[s+i])
			}
			k += e - s
		})
		return
	}
	sel.Each(func(s, e int) {
		for i := s; i < e; i++ {
			if arr.IsValid(i) {
				w[k] += int64(offs[i+1] - offs[i])
			}
			k++
		}
	})
}
