package ops

// Schema unification: the one place that decides how tables with different
// but compatible schemas become one (union, mix). Columns are matched by
// name, never by position; a column an input lacks is null for its rows;
// widths widen (int8/16/32 → int64, float32 → float64, string →
// large_string, list → large_list) and lists and structs widen element by
// element and field by field. Nothing else converts: an int column and a
// string column of one name are a plan-time diagnostic, because guessing a
// conversion would silently change data.

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
)

// unifyInput is one table to unify, named for messages ("select.a
// (inputs[0])") and located in the recipe (the reference expression).
type unifyInput struct {
	Name   string
	Schema *arrow.Schema
	Range  *hcl.Range
}

// unifySchemas returns the schema every input is conformed to: columns in
// order of first appearance (first input's columns first), each of the
// widest type of its inputs, nullable when any input's is or when an input
// lacks it. Incompatible types are one diagnostic per column, naming both
// inputs, the column and both types.
func unifySchemas(ins []unifyInput) (*arrow.Schema, hcl.Diagnostics) {
	type col struct {
		field   arrow.Field
		from    int // input that set the current type
		present int // inputs having the column
		bad     bool
	}
	var cols []*col
	byName := map[string]*col{}
	var diags hcl.Diagnostics
	for i, in := range ins {
		for _, f := range in.Schema.Fields() {
			c, ok := byName[f.Name]
			if !ok {
				c = &col{field: f, from: i}
				if i > 0 {
					c.field.Nullable = true // earlier inputs lack it
				}
				byName[f.Name] = c
				cols = append(cols, c)
				c.present++
				continue
			}
			c.present++
			if c.bad {
				continue
			}
			t, ok := widenType(c.field.Type, f.Type)
			if !ok {
				c.bad = true
				prev := ins[c.from]
				diags = append(diags, diag("Incompatible column types",
					fmt.Sprintf("Column %q is %s in %s but %s in %s; a union matches columns by name and only widens (int32→int64, float32→float64, string→large_string, lists and structs element by element). Convert one of them first, e.g. with a select derive = { %s = tostring(%s) } or tonumber(...), or rename it.",
						f.Name, typeText(c.field.Type), prev.Name, typeText(f.Type), in.Name, f.Name, f.Name),
					in.Range))
				continue
			}
			c.field.Type = t
			c.field.Nullable = c.field.Nullable || f.Nullable
			c.field.Metadata = arrow.Metadata{}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		if c.present < len(ins) {
			c.field.Nullable = true
		}
		fields[i] = arrow.Field{Name: c.field.Name, Type: c.field.Type, Nullable: c.field.Nullable}
	}
	return arrow.NewSchema(fields, nil), nil
}

// typeText names a type for messages, in the words recipes use (string,
// not arrow's utf8).
func typeText(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.StringType:
		return "string"
	case *arrow.LargeStringType:
		return "large_string"
	case *arrow.ListType:
		return "list<" + typeText(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "large_list<" + typeText(t.Elem()) + ">"
	case *arrow.StructType:
		parts := make([]string, t.NumFields())
		for i, f := range t.Fields() {
			parts[i] = f.Name + ": " + typeText(f.Type)
		}
		return "struct<" + strings.Join(parts, ", ") + ">"
	}
	return t.String()
}

// widenType returns the type both a and b convert to without loss, or
// false when there is none.
func widenType(a, b arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(a, b) {
		return a, true
	}
	if a.ID() == arrow.NULL {
		return b, true
	}
	if b.ID() == arrow.NULL {
		return a, true
	}
	switch {
	case isSignedInt(a) && isSignedInt(b):
		return arrow.PrimitiveTypes.Int64, true
	case isFloat(a) && isFloat(b):
		return arrow.PrimitiveTypes.Float64, true
	case isString(a) && isString(b):
		return arrow.BinaryTypes.LargeString, true
	}
	ae, aLarge, aList := listElem(a)
	be, bLarge, bList := listElem(b)
	if aList && bList {
		e, ok := widenType(ae, be)
		if !ok {
			return nil, false
		}
		if aLarge || bLarge {
			return arrow.LargeListOf(e), true
		}
		return arrow.ListOf(e), true
	}
	as, aok := a.(*arrow.StructType)
	bs, bok := b.(*arrow.StructType)
	if aok && bok {
		fields := make([]arrow.Field, 0, as.NumFields())
		idx := map[string]int{}
		for _, f := range as.Fields() {
			idx[f.Name] = len(fields)
			if _, ok := bs.FieldIdx(f.Name); !ok {
				f.Nullable = true
			}
			fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
		}
		for _, f := range bs.Fields() {
			j, ok := idx[f.Name]
			if !ok {
				fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true})
				continue
			}
			t, ok := widenType(fields[j].Type, f.Type)
			if !ok {
				return nil, false
			}
			fields[j].Type = t
			fields[j].Nullable = fields[j].Nullable || f.Nullable
		}
		return arrow.StructOf(fields...), true
	}
	return nil, false
}

func isSignedInt(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func isFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

func isString(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

// listElem returns the element type of a list or large list.
func listElem(t arrow.DataType) (elem arrow.DataType, large, ok bool) {
	switch t := t.(type) {
	case *arrow.ListType:
		return t.Elem(), false, true
	case *arrow.LargeListType:
		return t.Elem(), true, true
	}
	return nil, false, false
}

// conformBatch returns rec's columns converted to the fields of target, in
// target's order; a column rec lacks is all null. The caller releases them.
func conformBatch(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, target *arrow.Schema) ([]arrow.Array, error) {
	cols := make([]arrow.Array, 0, target.NumFields())
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	n := int(rec.NumRows())
	for _, f := range target.Fields() {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			cols = append(cols, array.MakeArrayOfNull(mem, f.Type, n))
			continue
		}
		c, err := conformArray(ctx, mem, rec.Column(idx[0]), f.Type)
		if err != nil {
			release()
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// conformArray converts arr to type to, which widenType produced from
// arr's type. Nested arrays are rebuilt around converted children; their
// validity and offsets buffers are shared, not copied.
func conformArray(ctx context.Context, mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if arrow.TypeEqual(arr.DataType(), to) {
		arr.Retain()
		return arr, nil
	}
	if arr.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, to, arr.Len()), nil
	}
	d := arr.Data()
	switch t := to.(type) {
	case *arrow.StructType:
		st, ok := arr.DataType().(*arrow.StructType)
		if !ok {
			return nil, fmt.Errorf("cannot convert %s to %s", typeText(arr.DataType()), typeText(to))
		}
		full := d.Offset() + d.Len()
		children := make([]arrow.ArrayData, t.NumFields())
		defer func() {
			for _, c := range children {
				if c != nil {
					c.Release()
				}
			}
		}()
		for i, f := range t.Fields() {
			j, ok := st.FieldIdx(f.Name)
			if !ok {
				a := array.MakeArrayOfNull(mem, f.Type, full)
				children[i] = a.Data()
				children[i].Retain()
				a.Release()
				continue
			}
			child := array.MakeFromData(d.Children()[j])
			a, err := conformArray(ctx, mem, child, f.Type)
			child.Release()
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			children[i] = a.Data()
			children[i].Retain()
			a.Release()
		}
		nd := array.NewData(t, d.Len(), d.Buffers()[:1], children, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	case *arrow.ListType, *arrow.LargeListType:
		elem, large, _ := listElem(to)
		_, srcLarge, ok := listElem(arr.DataType())
		if !ok {
			return nil, fmt.Errorf("cannot convert %s to %s", typeText(arr.DataType()), typeText(to))
		}
		values := array.MakeFromData(d.Children()[0])
		cv, err := conformArray(ctx, mem, values, elem)
		values.Release()
		if err != nil {
			return nil, fmt.Errorf("list element: %w", err)
		}
		defer cv.Release()
		if large == srcLarge {
			nd := array.NewData(to, d.Len(), d.Buffers()[:2], []arrow.ArrayData{cv.Data()}, d.NullN(), d.Offset())
			defer nd.Release()
			return array.MakeFromData(nd), nil
		}
		if !large {
			return nil, fmt.Errorf("cannot narrow %s to %s", typeText(arr.DataType()), typeText(to))
		}
		// list → large_list: 64-bit offsets, and a validity bitmap that
		// starts at the slice's first row.
		// (*array.List).Offsets is the whole buffer, not the slice's.
		offs := arr.(*array.List).Offsets()[d.Offset() : d.Offset()+d.Len()+1]
		ob := memory.NewResizableBuffer(mem)
		defer ob.Release()
		ob.Resize(8 * len(offs))
		o64 := arrow.Int64Traits.CastFromBytes(ob.Bytes())
		for i, o := range offs {
			o64[i] = int64(o)
		}
		var valid *memory.Buffer
		nulls := arr.NullN()
		if vb := d.Buffers()[0]; vb != nil && nulls > 0 {
			valid = memory.NewResizableBuffer(mem)
			defer valid.Release()
			valid.Resize(int(bitutil.BytesForBits(int64(d.Len()))))
			bitutil.CopyBitmap(vb.Bytes(), d.Offset(), d.Len(), valid.Bytes(), 0)
		}
		nd := array.NewData(to, d.Len(), []*memory.Buffer{valid, ob}, []arrow.ArrayData{cv.Data()}, nulls, 0)
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
	return compute.CastArray(ctx, arr, compute.SafeCastOptions(to))
}
