package ops

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

var flattenSpec = &Spec{
	Kind:    "flatten",
	Version: 1,
	Doc:     "Explode a list column into one row per element, repeating the parent columns and adding the element index.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "column", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "index", Mode: recipe.Static, Type: cty.String},
		{Name: "prefix", Mode: recipe.Static, Type: cty.String},
	},
	New: newFlatten,
}

type flattenOp struct {
	n      *recipe.Node
	column string
	index  string
	prefix string

	col    int  // input column index of the list
	isStr  bool // element is a struct whose fields become columns
	schema *arrow.Schema
}

func newFlatten(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	return &flattenOp{
		n:      n,
		column: attrString(n, "column", ""),
		index:  attrString(n, "index", "turn"),
		prefix: attrString(n, "prefix", ""),
	}, nil
}

func (op *flattenOp) Params() []Param {
	return []Param{{"column", quote(op.column)}, {"index", quote(op.index)}, {"prefix", quote(op.prefix)}}
}

func (op *flattenOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	idx := in.FieldIndices(op.column)
	if len(idx) == 0 {
		return nil, hcl.Diagnostics{diag("Unknown column", fmt.Sprintf("column %q is not in the input. Columns: %s.", op.column, SchemaString(in)), attrRange(op.n, "column"))}
	}
	op.col = idx[0]
	lt, ok := in.Field(op.col).Type.(*arrow.ListType)
	if !ok {
		return nil, hcl.Diagnostics{diag("Not a list column", fmt.Sprintf("flatten needs a list column, but %q is %s.", op.column, in.Field(op.col).Type), attrRange(op.n, "column"))}
	}
	var fields []arrow.Field
	for i, f := range in.Fields() {
		if i != op.col {
			fields = append(fields, f)
		}
	}
	fields = append(fields, arrow.Field{Name: op.index, Type: arrow.PrimitiveTypes.Int32})
	if st, ok := lt.Elem().(*arrow.StructType); ok {
		op.isStr = true
		for _, f := range st.Fields() {
			f.Name = op.prefix + f.Name
			f.Nullable = true
			fields = append(fields, f)
		}
	} else {
		fields = append(fields, arrow.Field{Name: op.prefix + op.column, Type: lt.Elem(), Nullable: true})
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			return nil, hcl.Diagnostics{diag("Duplicate output column", fmt.Sprintf("Flattening %q would produce two columns named %q. Set prefix = \"%s_\" to keep the element fields apart.", op.column, f.Name, op.column), &op.n.DeclRange)}
		}
		seen[f.Name] = true
	}
	op.schema = arrow.NewSchema(fields, nil)
	return op.schema, nil
}

func (op *flattenOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, _ int64) (arrow.RecordBatch, error) {
		return op.flatten(ctx, rc.Mem, rec)
	}, rc.Emit)
}

// flatten explodes one batch. Element columns are zero-copy slices of the
// list's child array when the list's offsets are contiguous (always, except
// for null lists that still own elements); parent columns are gathered
// row by row (takeRows: typed loops for flat columns, the take kernel for
// nested ones).
func (op *flattenOp) flatten(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	list := rec.Column(op.col).(*array.List)
	n := list.Len()
	var total int64
	for i := 0; i < n; i++ {
		if list.IsValid(i) {
			s, e := list.ValueOffsets(i)
			total += e - s
		}
	}
	parentIdx := array.NewInt32Builder(mem)
	defer parentIdx.Release()
	turnB := array.NewInt32Builder(mem)
	defer turnB.Release()
	parentIdx.Reserve(int(total))
	turnB.Reserve(int(total))
	contiguous := true
	var first, last int64 = -1, -1
	var childIdx []int64
	for i := 0; i < n; i++ {
		if !list.IsValid(i) {
			continue
		}
		s, e := list.ValueOffsets(i)
		if s == e {
			continue
		}
		if last >= 0 && s != last {
			contiguous = false
		}
		if first < 0 {
			first = s
		}
		last = e
		for j := s; j < e; j++ {
			parentIdx.UnsafeAppend(int32(i))
			turnB.UnsafeAppend(int32(j - s))
			childIdx = append(childIdx, j)
		}
	}
	pidx := parentIdx.NewInt32Array()
	defer pidx.Release()
	turns := turnB.NewInt32Array()
	defer turns.Release()

	// elems: the exploded element array, total long.
	var elems arrow.Array
	if total == 0 {
		elems = array.NewSlice(list.ListValues(), 0, 0)
	} else if contiguous {
		elems = array.NewSlice(list.ListValues(), first, last)
	} else {
		b := array.NewInt64Builder(mem)
		b.AppendValues(childIdx, nil)
		ci := b.NewInt64Array()
		b.Release()
		var err error
		elems, err = compute.TakeArray(compute.WithAllocator(ctx, mem), list.ListValues(), ci)
		ci.Release()
		if err != nil {
			return nil, err
		}
	}
	defer elems.Release()

	pix := pidx.Int32Values()
	cols := make([]arrow.Array, 0, op.schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i := 0; i < int(rec.NumCols()); i++ {
		if i == op.col {
			continue
		}
		c, err := takeRows(ctx, mem, rec.Column(i), pix, false)
		if err != nil {
			return nil, fmt.Errorf("flatten: column %q: %w", rec.ColumnName(i), err)
		}
		cols = append(cols, c)
	}
	turns.Retain()
	cols = append(cols, turns)
	if op.isStr {
		st := elems.(*array.Struct)
		for f := 0; f < st.NumField(); f++ {
			c, err := structField(ctx, mem, st, f)
			if err != nil {
				return nil, err
			}
			cols = append(cols, c)
		}
	} else {
		elems.Retain()
		cols = append(cols, elems)
	}
	return array.NewRecordBatch(op.schema, cols, total), nil
}

// structField returns field f of st with the struct's own nulls applied:
// arrow keeps a struct's validity separate from its children's. Null struct
// elements are rare, so that path gathers through an index array whose nulls
// mark the struct's null slots.
func structField(ctx context.Context, mem memory.Allocator, st *array.Struct, f int) (arrow.Array, error) {
	child := st.Field(f)
	if st.NullN() == 0 {
		child.Retain()
		return child, nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for i := 0; i < st.Len(); i++ {
		if st.IsValid(i) {
			b.Append(int64(i))
		} else {
			b.AppendNull()
		}
	}
	idx := b.NewInt64Array()
	defer idx.Release()
	return compute.TakeArray(compute.WithAllocator(ctx, mem), child, idx)
}
