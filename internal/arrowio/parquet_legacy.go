package arrowio

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Legacy Parquet LIST encodings. The format's backward-compatibility rules
// (LogicalTypes.md, "Lists") say that when the repeated field inside a
// LIST-annotated group is a group with one field named "array" (or
// "<list>_tuple"), that repeated group itself is the element. arrow-go
// applies the rule but turns the repeated group into a one-field struct
// even when the group is itself LIST-annotated, i.e. a list: parquet-mr's
// old two-level LIST<LIST<INT32>> (parquet-testing old_list_structure)
// reads as [{"array":[1,2]}] instead of [[1,2]]. A LIST-annotated group is
// a list, never a struct: listFix finds each such element and the reader
// replaces the one-field struct by its field (upstream report drafted in
// the issue 16 report).

// listFix says how to rewrite one Arrow type read from Parquet; nil: as it is.
type listFix struct {
	unwrap   bool       // list whose element struct is replaced by its one field
	elem     *listFix   // list/large list: fix of the element (after unwrapping)
	children []*listFix // struct: fix of each field
}

func isListGroup(n schema.Node) bool {
	if _, ok := n.(*schema.GroupNode); !ok {
		return false
	}
	if lt := n.LogicalType(); lt != nil && lt.Equals(schema.ListLogicalType{}) {
		return true
	}
	return n.ConvertedType() == schema.ConvertedTypes.List
}

// legacyListFixes returns the fix of each top-level column of the file
// whose root is root and whose Arrow schema pqarrow made sc, nil when no
// column needs one.
func legacyListFixes(root *schema.GroupNode, sc *arrow.Schema) []*listFix {
	if root == nil || root.NumFields() != sc.NumFields() {
		return nil
	}
	var fixes []*listFix
	some := false
	for i, f := range sc.Fields() {
		fx := buildListFix(f.Type, root.Field(i))
		fixes = append(fixes, fx)
		some = some || fx != nil
	}
	if !some {
		return nil
	}
	return fixes
}

func buildListFix(dt arrow.DataType, n schema.Node) *listFix {
	switch t := dt.(type) {
	case *arrow.StructType:
		g, ok := n.(*schema.GroupNode)
		if !ok || g.NumFields() != t.NumFields() || isListGroup(n) {
			return nil
		}
		fx := &listFix{children: make([]*listFix, t.NumFields())}
		some := false
		for i, f := range t.Fields() {
			fx.children[i] = buildListFix(f.Type, g.Field(i))
			some = some || fx.children[i] != nil
		}
		if !some {
			return nil
		}
		return fx
	case arrow.ListLikeType:
		if _, ok := dt.(*arrow.MapType); ok {
			return nil
		}
		g, ok := n.(*schema.GroupNode)
		if !ok || !isListGroup(n) || g.NumFields() != 1 {
			return nil
		}
		r := g.Field(0)
		elem := t.Elem()
		if st, ok := elem.(*arrow.StructType); ok && st.NumFields() == 1 && isListGroup(r) {
			// The repeated group is the element, and it is a list.
			return &listFix{unwrap: true, elem: buildListFix(st.Field(0).Type, r)}
		}
		var en schema.Node
		switch rg, isGroup := r.(*schema.GroupNode); {
		case !isGroup:
			en = r
		case rg.NumFields() > 1 || r.Name() == "array" || r.Name() == g.Name()+"_tuple":
			en = r
		default:
			en = rg.Field(0)
		}
		if e := buildListFix(elem, en); e != nil {
			return &listFix{elem: e}
		}
	}
	return nil
}

// fixType is dt rewritten by fx.
func fixType(dt arrow.DataType, fx *listFix) arrow.DataType {
	if fx == nil {
		return dt
	}
	switch t := dt.(type) {
	case *arrow.StructType:
		fs := append([]arrow.Field(nil), t.Fields()...)
		for i := range fs {
			fs[i].Type = fixType(fs[i].Type, fx.children[i])
		}
		return arrow.StructOf(fs...)
	case *arrow.ListType:
		ef := t.ElemField()
		if fx.unwrap {
			ef = ef.Type.(*arrow.StructType).Field(0)
		}
		ef.Type = fixType(ef.Type, fx.elem)
		return arrow.ListOfField(ef)
	case *arrow.LargeListType:
		ef := t.ElemField()
		if fx.unwrap {
			ef = ef.Type.(*arrow.StructType).Field(0)
		}
		ef.Type = fixType(ef.Type, fx.elem)
		return arrow.LargeListOfField(ef)
	}
	return dt
}

func fixSchema(sc *arrow.Schema, fixes []*listFix) *arrow.Schema {
	if fixes == nil {
		return sc
	}
	fs := append([]arrow.Field(nil), sc.Fields()...)
	for i := range fs {
		fs[i].Type = fixType(fs[i].Type, fixes[i])
	}
	md := sc.Metadata()
	return arrow.NewSchema(fs, &md)
}

// fixData is d rewritten by fx (retained).
func fixData(d arrow.ArrayData, fx *listFix) (arrow.ArrayData, error) {
	if fx == nil {
		d.Retain()
		return d, nil
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	defer func() {
		for _, c := range children {
			if c != nil {
				c.Release()
			}
		}
	}()
	switch d.DataType().(type) {
	case *arrow.StructType:
		for i, c := range d.Children() {
			var err error
			if children[i], err = fixData(c, fx.children[i]); err != nil {
				return nil, err
			}
		}
	case *arrow.ListType, *arrow.LargeListType:
		c := d.Children()[0]
		if fx.unwrap {
			if c.NullN() > 0 {
				return nil, errors.New("legacy LIST: a null element group")
			}
			inner := array.NewSliceData(c.Children()[0], int64(c.Offset()), int64(c.Offset()+c.Len()))
			defer inner.Release()
			c = inner
		}
		var err error
		if children[0], err = fixData(c, fx.elem); err != nil {
			return nil, err
		}
	default:
		d.Retain()
		return d, nil
	}
	return array.NewData(fixType(d.DataType(), fx), d.Len(), d.Buffers(), children, d.NullN(), d.Offset()), nil
}

// fixBatch rewrites the columns of rec by fixes, under schema sc (which
// fixSchema made).
func fixBatch(rec arrow.RecordBatch, sc *arrow.Schema, fixes []*listFix) (arrow.RecordBatch, error) {
	return mapColumns(rec, sc, func(i int, c arrow.Array) (arrow.Array, error) {
		return dataColumn(fixData(c.Data(), fixes[i]))
	})
}
