package arrowio

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Read-time conversions. A few Arrow types have no canonical form in the
// logical digest but denote values that one does; the reader converts them
// (documented in the README), at any depth:
//
//   - the canonical extension types whose storage holds their value as it
//     is are read as their storage type: arrow.uuid as fixed_size_binary[16]
//     (the UUID's 16 bytes), arrow.json as utf8 (the JSON text);
//     arrow.parquet.variant (Parquet VARIANT, shredded or not) as utf8 JSON
//     text (variant.go); others (arrow.bool8, arrow.opaque, ...) are
//     refused;
//   - run_end_encoded<run_ends, values> is read as its values' type, each
//     run expanded;
//   - list_view and large_list_view are read as list and large_list with
//     the same elements;
//   - sparse and dense unions are read as a struct: first a non-null int8
//     field `type_code` (the slot's type code, as written), then one
//     nullable field per member, in the union's order, holding the slot's
//     value in the member it selects and null in every other member. The
//     struct itself is never null (a union has no validity of its own; a
//     null value is a null in the selected member). A member named
//     `type_code` is refused, naming the column.

var convertibleExtension = map[string]bool{"arrow.uuid": true, "arrow.json": true}

// unionCodeField names the struct field holding a union slot's type code.
const unionCodeField = "type_code"

// convType returns dt with the conversions applied, and whether any was.
func convType(dt arrow.DataType) (arrow.DataType, bool) {
	switch t := dt.(type) {
	case arrow.ExtensionType:
		if isVariantType(t) {
			return arrow.BinaryTypes.String, true
		}
		if !convertibleExtension[t.ExtensionName()] {
			return dt, false // refused by the digest, naming the type
		}
		st, _ := convType(t.StorageType())
		return st, true
	case *arrow.RunEndEncodedType:
		vt, _ := convType(t.Encoded())
		return vt, true
	case arrow.UnionType:
		fs := make([]arrow.Field, 0, len(t.Fields())+1)
		fs = append(fs, arrow.Field{Name: unionCodeField, Type: arrow.PrimitiveTypes.Int8})
		for _, f := range t.Fields() {
			f.Type, _ = convType(f.Type)
			f.Nullable = true
			fs = append(fs, f)
		}
		return arrow.StructOf(fs...), true
	case *arrow.ListViewType:
		ef := t.ElemField()
		ef.Type, _ = convType(ef.Type)
		return arrow.ListOfField(ef), true
	case *arrow.LargeListViewType:
		ef := t.ElemField()
		ef.Type, _ = convType(ef.Type)
		return arrow.LargeListOfField(ef), true
	case *arrow.ListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = convType(ef.Type); ch {
			return arrow.ListOfField(ef), true
		}
	case *arrow.LargeListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = convType(ef.Type); ch {
			return arrow.LargeListOfField(ef), true
		}
	case *arrow.FixedSizeListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = convType(ef.Type); ch {
			return arrow.FixedSizeListOfField(t.Len(), ef), true
		}
	case *arrow.MapType:
		kt, kc := convType(t.KeyType())
		it, ic := convType(t.ItemType())
		if kc || ic {
			m := arrow.MapOfWithMetadata(kt, t.KeyField().Metadata, it, t.ItemField().Metadata)
			m.SetItemNullable(t.ItemField().Nullable)
			m.KeysSorted = t.KeysSorted
			return m, true
		}
	case *arrow.StructType:
		fs := append([]arrow.Field(nil), t.Fields()...)
		some := false
		for i := range fs {
			var ch bool
			if fs[i].Type, ch = convType(fs[i].Type); ch {
				some = true
			}
		}
		if some {
			return arrow.StructOf(fs...), true
		}
	case *arrow.DictionaryType:
		vt, ch := convType(t.ValueType)
		if ch {
			return &arrow.DictionaryType{IndexType: t.IndexType, ValueType: vt, Ordered: t.Ordered}, true
		}
	}
	return dt, false
}

// convSchema applies convType to each field; nil when nothing changes.
func convSchema(sc *arrow.Schema) *arrow.Schema {
	fs := append([]arrow.Field(nil), sc.Fields()...)
	changed := false
	for i := range fs {
		var ch bool
		if fs[i].Type, ch = convType(fs[i].Type); ch {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	md := sc.Metadata()
	return arrow.NewSchema(fs, &md)
}

// convBatch converts the columns of rec to the schema out (convSchema's).
func convBatch(mem memory.Allocator, rec arrow.RecordBatch, out *arrow.Schema) (arrow.RecordBatch, error) {
	return mapColumns(rec, out, func(i int, c arrow.Array) (arrow.Array, error) {
		a, err := convArray(mem, c)
		if err != nil {
			return nil, columnError(rec.Schema().Field(i), err)
		}
		return a, nil
	})
}

// mapColumns returns a batch of schema sc whose column i is fn(i, column
// i of rec) (a new reference; rec keeps its own). On an error every
// column made so far is released.
func mapColumns(rec arrow.RecordBatch, sc *arrow.Schema, fn func(i int, c arrow.Array) (arrow.Array, error)) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		var err error
		if cols[i], err = fn(i, c); err != nil {
			return nil, err
		}
	}
	return array.NewRecordBatch(sc, cols, rec.NumRows()), nil
}

// dataColumn makes an array of d and releases d (an fn for mapColumns).
func dataColumn(d arrow.ArrayData, err error) (arrow.Array, error) {
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// childTypes lists the types of dt's children in the order of its
// ArrayData's children: struct fields, a map's entries, a list's element.
func childTypes(dt arrow.DataType) []arrow.DataType {
	switch t := dt.(type) {
	case *arrow.StructType:
		out := make([]arrow.DataType, 0, t.NumFields())
		for _, f := range t.Fields() {
			out = append(out, f.Type)
		}
		return out
	case *arrow.MapType:
		return []arrow.DataType{t.Elem()}
	case arrow.ListLikeType:
		return []arrow.DataType{t.Elem()}
	}
	return nil
}

// convArray returns arr converted (a new reference).
func convArray(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	nt, changed := convType(arr.DataType())
	if !changed {
		arr.Retain()
		return arr, nil
	}
	if isVariantType(arr.DataType()) {
		return variantToJSON(mem, arr)
	}
	ctx := compute.WithAllocator(context.Background(), mem)
	switch a := arr.(type) {
	case array.ExtensionArray:
		return convArray(mem, a.Storage())
	case array.Union:
		return unionToStruct(mem, a, nt.(*arrow.StructType))
	case *array.RunEndEncoded:
		idx, err := reeIndices(mem, a)
		if err != nil {
			return nil, err
		}
		defer idx.Release()
		vals, err := convArray(mem, a.Values())
		if err != nil {
			return nil, err
		}
		defer vals.Release()
		return compute.TakeArray(ctx, vals, idx)
	case array.VarLenListLike:
		// list, large list, list view: gather each valid slot's elements.
		n := a.Len()
		b := array.NewInt64Builder(mem)
		defer b.Release()
		offs := make([]int64, n+1)
		for i := 0; i < n; i++ {
			offs[i+1] = offs[i]
			if a.IsNull(i) {
				continue
			}
			s, e := a.ValueOffsets(i)
			for j := s; j < e; j++ {
				b.Append(j)
			}
			offs[i+1] += e - s
		}
		idx := b.NewArray()
		defer idx.Release()
		child, err := convArray(mem, a.ListValues())
		if err != nil {
			return nil, err
		}
		defer child.Release()
		vals, err := compute.TakeArray(ctx, child, idx)
		if err != nil {
			return nil, err
		}
		defer vals.Release()
		var offBuf *memory.Buffer
		switch nt.(type) {
		case *arrow.LargeListType:
			offBuf = memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(offs))
		default:
			o32 := make([]int32, len(offs))
			for i, o := range offs {
				if o > 1<<31-1 {
					return nil, fmt.Errorf("list of %d elements overflows 32-bit offsets", o)
				}
				o32[i] = int32(o)
			}
			offBuf = memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(o32))
		}
		d := array.NewData(nt, n, []*memory.Buffer{validity(a), offBuf}, []arrow.ArrayData{vals.Data()}, a.NullN(), 0)
		defer d.Release()
		return array.MakeFromData(d), nil
	case *array.FixedSizeList:
		size := int64(nt.(*arrow.FixedSizeListType).Len())
		sl := array.NewSlice(a.ListValues(), int64(a.Offset())*size, int64(a.Offset()+a.Len())*size)
		child, err := convArray(mem, sl)
		sl.Release()
		if err != nil {
			return nil, err
		}
		defer child.Release()
		d := array.NewData(nt, a.Len(), []*memory.Buffer{validity(a)}, []arrow.ArrayData{child.Data()}, a.NullN(), 0)
		defer d.Release()
		return array.MakeFromData(d), nil
	case *array.Struct:
		children := make([]arrow.ArrayData, a.NumField())
		for i := range children {
			f := array.NewSlice(a.Field(i), int64(a.Offset()), int64(a.Offset()+a.Len()))
			c, err := convArray(mem, f)
			f.Release()
			if err != nil {
				return nil, err
			}
			defer c.Release()
			children[i] = c.Data()
		}
		d := array.NewData(nt, a.Len(), []*memory.Buffer{validity(a)}, children, a.NullN(), 0)
		defer d.Release()
		return array.MakeFromData(d), nil
	case *array.Dictionary:
		dict, err := convArray(mem, a.Dictionary())
		if err != nil {
			return nil, err
		}
		defer dict.Release()
		return array.NewDictionaryArray(nt, a.Indices(), dict), nil
	}
	return nil, fmt.Errorf("cannot convert %s", arr.DataType())
}

// validity is a's validity bitmap at offset 0 (nil without nulls).
func validity(a arrow.Array) *memory.Buffer {
	if a.NullN() == 0 {
		return nil
	}
	return memory.NewBufferBytes(copyBitmap(a.NullBitmapBytes(), 0, a.Len()))
}

// reeIndices is, for each logical slot of a, the index of its value.
func reeIndices(mem memory.Allocator, a *array.RunEndEncoded) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	ends := a.RunEndsArr()
	end := func(k int) int64 {
		switch e := ends.(type) {
		case *array.Int16:
			return int64(e.Value(k))
		case *array.Int32:
			return int64(e.Value(k))
		case *array.Int64:
			return e.Value(k)
		}
		return -1
	}
	off, n := int64(a.Offset()), int64(a.Len())
	k := 0
	for i := off; i < off+n; i++ {
		for k < ends.Len() && end(k) <= i {
			k++
		}
		if k >= ends.Len() || k >= a.Values().Len() {
			return nil, fmt.Errorf("run-end encoded slot %d is past the last run", i)
		}
		b.Append(int64(k))
	}
	return b.NewArray(), nil
}

// unionToStruct reads a union as the struct convType gives for it: the
// type codes, then each member gathered (Take) at the slots that select
// it, null elsewhere.
func unionToStruct(mem memory.Allocator, a array.Union, st *arrow.StructType) (arrow.Array, error) {
	ut := a.UnionType()
	for _, f := range ut.Fields() {
		if f.Name == unionCodeField {
			return nil, fmt.Errorf("union member named %q clashes with the %q field a union is read into", f.Name, unionCodeField)
		}
	}
	n := a.Len()
	codes := a.RawTypeCodes()[:n]
	cb := array.NewInt8Builder(mem)
	defer cb.Release()
	cb.AppendValues(codes, nil)
	codeArr := cb.NewArray()
	defer codeArr.Release()
	children := []arrow.ArrayData{codeArr.Data()}
	var dense *array.DenseUnion
	if d, ok := a.(*array.DenseUnion); ok {
		dense = d
	}
	ctx := compute.WithAllocator(context.Background(), mem)
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	for k := range ut.Fields() {
		ib.Reserve(n)
		for i := 0; i < n; i++ {
			if a.ChildID(i) != k {
				ib.AppendNull()
				continue
			}
			if dense != nil {
				ib.UnsafeAppend(int64(dense.ValueOffset(i)))
			} else {
				ib.UnsafeAppend(int64(i))
			}
		}
		idx := ib.NewArray()
		child, err := convArray(mem, a.Field(k))
		if err != nil {
			idx.Release()
			return nil, fmt.Errorf("member %q: %w", ut.Fields()[k].Name, err)
		}
		vals, err := compute.TakeArray(ctx, child, idx)
		child.Release()
		idx.Release()
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", ut.Fields()[k].Name, err)
		}
		defer vals.Release()
		children = append(children, vals.Data())
	}
	d := array.NewData(st, n, []*memory.Buffer{nil}, children, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}
