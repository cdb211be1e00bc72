package expr

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// run is a half-open range [s, e) of kept rows.
type run struct{ s, e int }

// selection is a filter mask as runs of kept rows, so copy loops move
// whole ranges at once.
type selection struct {
	runs  []run
	kept  int
	total int
}

// maskRuns turns a boolean mask into runs; null counts as false.
func maskRuns(mask *array.Boolean) selection {
	n := mask.Len()
	sel := selection{total: n}
	if n == 0 {
		return sel
	}
	vals := boolBits(mask)
	vals = vals[:bitutil.BytesForBits(int64(n))]
	if valid := validAligned(mask); valid != nil {
		v := make([]byte, len(vals))
		for i := range v {
			v[i] = vals[i] & valid[i]
		}
		vals = v
	}
	start := -1
	for i := 0; i < n; {
		if i&7 == 0 && i+8 <= n {
			switch vals[i>>3] {
			case 0:
				if start >= 0 {
					sel.runs = append(sel.runs, run{start, i})
					start = -1
				}
				i += 8
				continue
			case 0xff:
				if start < 0 {
					start = i
				}
				i += 8
				continue
			}
		}
		if vals[i>>3]&(1<<(i&7)) != 0 {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			sel.runs = append(sel.runs, run{start, i})
			start = -1
		}
		i++
	}
	if start >= 0 {
		sel.runs = append(sel.runs, run{start, n})
	}
	for _, r := range sel.runs {
		sel.kept += r.e - r.s
	}
	return sel
}

// maskArray rebuilds a boolean mask from the runs, for the compute fallback.
func (s selection) maskArray(mem memory.Allocator) arrow.Array {
	vb := newBitmap(mem, s.total)
	for _, r := range s.runs {
		bitutil.SetBitsTo(vb.Bytes(), int64(r.s), int64(r.e-r.s), true)
	}
	return finish(tBool, s.total, nil, vb)
}

// Filter keeps the rows of rec where mask is true; null counts as false.
// Fixed-width, boolean, string/binary, struct, list and dictionary columns
// are copied by hand-written loops over runs of kept rows; other types go
// through compute.FilterArray. The caller releases the result.
func Filter(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, mask *array.Boolean) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if int64(mask.Len()) != rec.NumRows() {
		return nil, fmt.Errorf("filter mask has %d values for a batch of %d rows", mask.Len(), rec.NumRows())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sel := maskRuns(mask)
	cols := make([]arrow.Array, 0, rec.NumCols())
	defer func() { releaseAll(cols...) }()
	for i, c := range rec.Columns() {
		out, err := filterArray(ctx, mem, c, sel)
		if err != nil {
			return nil, fmt.Errorf("filter column %q: %w", rec.ColumnName(i), err)
		}
		cols = append(cols, out)
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(sel.kept)), nil
}

// filterArray applies sel (in arr's own row coordinates) to arr.
func filterArray(ctx context.Context, mem memory.Allocator, arr arrow.Array, sel selection) (arrow.Array, error) {
	if arr.Len() != sel.total {
		return nil, fmt.Errorf("filter mask has %d values for an array of %d", sel.total, arr.Len())
	}
	dt := arr.DataType()
	n := sel.kept
	if out, ok, err := gatherFlat(mem, mem, dt, []arrow.Array{arr}, []selection{sel}, n); ok {
		return out, err
	}
	switch dt.ID() {
	case arrow.STRUCT:
		st := arr.(*array.Struct)
		children := make([]arrow.Array, 0, st.NumField())
		defer func() { releaseAll(children...) }()
		for i := 0; i < st.NumField(); i++ {
			c, err := filterArray(ctx, mem, st.Field(i), sel)
			if err != nil {
				return nil, err
			}
			children = append(children, c)
		}
		valid := filterValidity(mem, arr, sel)
		cd := make([]arrow.ArrayData, len(children))
		for i, c := range children {
			cd[i] = c.Data()
		}
		nd := array.NewData(dt, n, []*memory.Buffer{valid}, cd, nullsIn(valid, n), 0)
		if valid != nil {
			valid.Release()
		}
		defer nd.Release()
		return array.MakeFromData(nd), nil
	case arrow.LIST, arrow.LARGE_LIST, arrow.MAP:
		return filterList(ctx, mem, arr, sel)
	case arrow.DICTIONARY:
		da := arr.(*array.Dictionary)
		idx, err := filterArray(ctx, mem, da.Indices(), sel)
		if err != nil {
			return nil, err
		}
		defer idx.Release()
		return array.NewDictionaryArray(dt, idx, da.Dictionary()), nil
	}
	m := sel.maskArray(mem)
	defer m.Release()
	return compute.FilterArray(compute.WithAllocator(ctx, mem), arr, m, *compute.DefaultFilterOptions())
}

func filterValidity(mem memory.Allocator, arr arrow.Array, sel selection) *memory.Buffer {
	bits, off := validBits(arr)
	if arr.NullN() == 0 {
		return nil
	}
	vb := newBitmap(mem, sel.kept)
	if bits == nil {
		return vb // all null
	}
	k := 0
	for _, r := range sel.runs {
		copyBits(bits, off+r.s, r.e-r.s, vb.Bytes(), k)
		k += r.e - r.s
	}
	return vb
}

func filterList(ctx context.Context, mem memory.Allocator, arr arrow.Array, sel selection) (arrow.Array, error) {
	offs := listOffsets(arr)
	vals := listValues(arr)
	n := sel.kept
	large := arr.DataType().ID() == arrow.LARGE_LIST
	// Element runs in child coordinates; null rows contribute no elements,
	// matching what take produces.
	child := selection{total: vals.Len()}
	ob := newBuf(mem, (n+1)*map[bool]int{false: 4, true: 8}[large])
	var o32 []int32
	var o64 []int64
	if large {
		o64 = arrow.Int64Traits.CastFromBytes(ob.Bytes())[:n+1]
	} else {
		o32 = arrow.Int32Traits.CastFromBytes(ob.Bytes())[:n+1]
	}
	k, pos := 0, int64(0)
	hasNulls := arr.NullN() > 0
	for _, r := range sel.runs {
		for i := r.s; i < r.e; i++ {
			s, e := offs[i], offs[i+1]
			if hasNulls && arr.IsNull(i) {
				e = s
			}
			if e > s {
				if l := len(child.runs); l > 0 && child.runs[l-1].e == int(s) {
					child.runs[l-1].e = int(e)
				} else {
					child.runs = append(child.runs, run{int(s), int(e)})
				}
				child.kept += int(e - s)
				pos += e - s
			}
			k++
			if large {
				o64[k] = pos
			} else {
				o32[k] = int32(pos)
			}
		}
	}
	fc, err := filterArray(ctx, mem, vals, child)
	if err != nil {
		ob.Release()
		return nil, err
	}
	defer fc.Release()
	valid := filterValidity(mem, arr, sel)
	nd := array.NewData(arr.DataType(), n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{fc.Data()}, nullsIn(valid, n), 0)
	ob.Release()
	if valid != nil {
		valid.Release()
	}
	defer nd.Release()
	return array.MakeFromData(nd), nil
}
