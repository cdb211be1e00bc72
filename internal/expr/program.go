package expr

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Program is a type-checked row expression. It is immutable and safe for
// concurrent Eval calls.
type Program struct {
	root   node
	dt     arrow.DataType
	cols   []string         // sorted top-level columns read
	colDTs []arrow.DataType // their types at compile time
	strict bool
}

// CompileOptions tune compilation.
type CompileOptions struct {
	// Strict makes tonumber of a non-numeric string an Eval error naming
	// the row and value, instead of null.
	Strict bool
}

// Type is the Arrow type of the values Eval returns.
func (p *Program) Type() arrow.DataType { return p.dt }

// Columns lists the top-level input columns the program reads, sorted, so
// callers can project batches before evaluating.
func (p *Program) Columns() []string { return append([]string(nil), p.cols...) }

// Eval evaluates the program over rec. The result has rec.NumRows() values
// and type p.Type(); the caller releases it. rec may be any batch whose
// schema holds the program's Columns() with their compile-time types.
func (p *Program) Eval(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	return p.EvalAt(ctx, mem, rec, 0)
}

// EvalAt is Eval for a batch whose first row is row `first` (0-based) of
// the op's input, which row_number() needs; ops pass the offset their
// batch loop tracks so results do not depend on batch boundaries.
func (p *Program) EvalAt(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, first int64) (arrow.Array, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	e := &env{ctx: ctx, mem: mem, n: int(rec.NumRows()), first: first, strict: p.strict, cols: make([]arrow.Array, len(p.cols))}
	sc := rec.Schema()
	for i, name := range p.cols {
		idx := sc.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("batch has no column %q (the expression reads %v)", name, p.cols)
		}
		col := rec.Column(idx[0])
		if !arrow.TypeEqual(col.DataType(), p.colDTs[i]) {
			return nil, fmt.Errorf("column %q is %s in this batch but the expression was compiled for %s", name, col.DataType(), p.colDTs[i])
		}
		e.cols[i] = col
	}
	out, err := p.root.eval(e)
	if err != nil {
		return nil, err
	}
	if out.Len() != e.n {
		out.Release()
		return nil, fmt.Errorf("expr: internal error: result has %d rows, batch %d", out.Len(), e.n)
	}
	return out, nil
}

// node is one compiled operator. eval returns an array of e.n values that
// the caller owns.
type node interface {
	eval(e *env) (arrow.Array, error)
}

// env is one evaluation frame: the batch at depth 0, the flattened list
// elements of a for expression at deeper levels.
type env struct {
	ctx    context.Context
	mem    memory.Allocator
	n      int
	first  int64 // depth 0: the batch's first row in the op's input
	strict bool
	cols   []arrow.Array // depth 0: the program's columns, by Program.cols index

	depth  int
	parent *env
	idx    []int32       // row i here is row idx[i] of parent
	locals []arrow.Array // for variables at this depth (value, key)
}

func (e *env) at(depth int) *env {
	for e.depth > depth {
		e = e.parent
	}
	return e
}

// lift brings an array evaluated at an outer depth to this frame's rows.
func (e *env) lift(arr arrow.Array, from int) (arrow.Array, error) {
	if from == e.depth {
		arr.Retain()
		return arr, nil
	}
	idx := append([]int32(nil), e.idx...)
	for p := e.parent; p.depth > from; p = p.parent {
		for i, j := range idx {
			idx[i] = p.idx[j]
		}
	}
	return take(e.ctx, e.mem, arr, idx)
}

// topRow maps row i of this frame to the batch row it came from, for error
// messages.
func (e *env) topRow(i int) int {
	for f := e; f.depth > 0; f = f.parent {
		i = int(f.idx[i])
	}
	return i
}

func take(ctx context.Context, mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	ia := int32Array(mem, idx)
	defer ia.Release()
	return compute.TakeArray(compute.WithAllocator(ctx, mem), arr, ia)
}

// colNode reads a column (depth 0) or a for variable (deeper).
type colNode struct {
	slot  int // index into env.cols or env.locals
	depth int
	local bool
}

func (c *colNode) eval(e *env) (arrow.Array, error) {
	f := e.at(c.depth)
	var arr arrow.Array
	if c.local {
		arr = f.locals[c.slot]
	} else {
		arr = f.cols[c.slot]
	}
	return e.lift(arr, c.depth)
}

// fieldNode reads one field of a struct value; rows where the struct is
// null are null in the field too.
type fieldNode struct {
	src node
	idx int
}

func (f *fieldNode) eval(e *env) (arrow.Array, error) {
	s, err := f.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer s.Release()
	st := s.(*array.Struct)
	child := st.Field(f.idx)
	if st.NullN() == 0 {
		child.Retain()
		return child, nil
	}
	bits, off := validBits(st)
	if bits == nil {
		return array.MakeArrayOfNull(e.mem, child.DataType(), e.n), nil
	}
	return withParentValidity(e.mem, child, bits, off), nil
}
