package arrowio

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// parquetLists returns arr (retained) with every fixed-size list that has
// null entries, at any depth, turned into a list whose null entries are
// empty. Parquet stores a fixed-size list as a LIST (the stored Arrow schema
// restores the type on reading), and a null entry there holds no elements;
// pqarrow's level builder, given the fixed-size list itself, needs the
// elements of the valid entries to be contiguous and refuses the column
// ("lists with non-zero length null components are not supported"). The
// levels written for the list are those of the fixed-size list it stands
// for: a valid entry is never empty (size > 0), so the two differ only in
// the null entries' elements, which are skipped.
func parquetLists(mem memory.Allocator, arr arrow.Array) arrow.Array {
	d, changed := pqListData(mem, arr.Data().(*array.Data))
	if !changed {
		d.Release()
		arr.Retain()
		return arr
	}
	defer d.Release()
	return array.MakeFromData(d)
}

// pqListData returns d rewritten as parquetLists says (retained), and
// whether anything changed.
func pqListData(mem memory.Allocator, d *array.Data) (*array.Data, bool) {
	dt := d.DataType()
	switch t := dt.(type) {
	case *arrow.FixedSizeListType:
		size := int(t.Len())
		n, off := d.Len(), d.Offset()
		child := sliceData(d.Children()[0], off*size, n*size)
		defer child.Release()
		if nullsOf(d) == 0 || size == 0 {
			c, changed := pqListData(mem, child)
			defer c.Release()
			if !changed {
				d.Retain()
				return d, false
			}
			ft := arrow.FixedSizeListOfField(t.Len(), arrow.Field{Name: t.ElemField().Name, Type: c.DataType(), Nullable: t.ElemField().Nullable})
			return array.NewData(ft, n, []*memory.Buffer{sliceBitmap(d)}, []arrow.ArrayData{c}, nullsOf(d), 0), true
		}
		valid := d.Buffers()[0].Bytes()
		offs := make([]int32, n+1)
		carr := array.MakeFromData(child)
		defer carr.Release()
		var pieces []arrow.Array
		defer func() {
			for _, p := range pieces {
				p.Release()
			}
		}()
		runStart := -1
		for i := 0; i <= n; i++ {
			ok := i < n && bitutil.BitIsSet(valid, off+i)
			if ok && runStart < 0 {
				runStart = i
			}
			if !ok && runStart >= 0 {
				pieces = append(pieces, array.NewSlice(carr, int64(runStart*size), int64(i*size)))
				runStart = -1
			}
			if i < n {
				offs[i+1] = offs[i]
				if ok {
					offs[i+1] += int32(size)
				}
			}
		}
		var elems arrow.Array
		if len(pieces) == 0 {
			elems = array.NewSlice(carr, 0, 0)
		} else {
			var err error
			if elems, err = array.Concatenate(pieces, mem); err != nil {
				panic(err) // slices of one array always concatenate
			}
		}
		defer elems.Release()
		c, _ := pqListData(mem, elems.Data().(*array.Data))
		defer c.Release()
		lt := arrow.ListOfField(arrow.Field{Name: t.ElemField().Name, Type: c.DataType(), Nullable: t.ElemField().Nullable})
		return array.NewData(lt, n, []*memory.Buffer{sliceBitmap(d), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs))}, []arrow.ArrayData{c}, nullsOf(d), 0), true
	case *arrow.StructType:
		children := make([]arrow.ArrayData, len(d.Children()))
		changed := false
		fs := make([]arrow.Field, t.NumFields())
		for i, cd := range d.Children() {
			c, ch := pqListData(mem, cd.(*array.Data))
			children[i] = c
			changed = changed || ch
			fs[i] = t.Field(i)
			fs[i].Type = c.DataType()
		}
		defer func() {
			for _, c := range children {
				c.Release()
			}
		}()
		if !changed {
			d.Retain()
			return d, false
		}
		return array.NewData(arrow.StructOf(fs...), d.Len(), d.Buffers(), children, d.NullN(), d.Offset()), true
	case *arrow.ListType, *arrow.LargeListType, *arrow.MapType:
		c, changed := pqListData(mem, d.Children()[0].(*array.Data))
		defer c.Release()
		if !changed {
			d.Retain()
			return d, false
		}
		elem := dt.(arrow.ListLikeType).ElemField()
		elem.Type = c.DataType()
		var nt arrow.DataType
		switch t := dt.(type) {
		case *arrow.ListType:
			nt = arrow.ListOfField(elem)
		case *arrow.LargeListType:
			nt = arrow.LargeListOfField(elem)
		case *arrow.MapType:
			st := c.DataType().(*arrow.StructType)
			m := arrow.MapOfFields(st.Field(0), st.Field(1))
			m.KeysSorted = t.KeysSorted
			nt = m
		}
		return array.NewData(nt, d.Len(), d.Buffers(), []arrow.ArrayData{c}, d.NullN(), d.Offset()), true
	}
	d.Retain()
	return d, false
}

// sliceBitmap returns d's validity as a bitmap at offset 0, or nil.
func sliceBitmap(d *array.Data) *memory.Buffer {
	b := d.Buffers()[0]
	if b == nil || nullsOf(d) == 0 {
		return nil
	}
	return memory.NewBufferBytes(copyBitmap(b.Bytes(), d.Offset(), d.Len()))
}
