package ops

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var distinctSpec = &Spec{
	Kind:    "distinct",
	Version: 1,
	Doc:     "Keep one row per distinct value of by (columns or row expressions; default: the whole row): the first or last under order_by.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "by", Mode: recipe.RowExpr},
		{Name: "keep", Mode: recipe.Static, Type: cty.String},
		{Name: "order_by", Mode: recipe.RowExpr},
	},
	New: newDistinct,
}

// distinctOp keeps one row per group: rows are grouped by the group key
// (expr.GroupKeys) of `by` — one row expression, a tuple [a, b, ...] of them,
// or, without by, every column — so null is a group of its own and 1 and
// "1" are different groups. Within a group, rows are ordered by `order_by`
// (one expression or a tuple, compared left to right; null sorts before
// every value, NaN after every number), ties and the absence of order_by
// falling back to input order; keep = "first" keeps the first row of that
// order, "last" the last. Kept rows are emitted in input order.
//
// Memory: one entry per group (its key, kept row and order value) plus one
// bit per input row; the input is read twice (find the kept rows, then
// emit them), so rows themselves are never held.
type distinctOp struct {
	n       *recipe.Node
	by      []hcl.Expression // nil: the whole row
	orderBy []hcl.Expression
	last    bool
	vars    map[string]cty.Value
	params  []Param

	byProgs, ordProgs []*expr.Program
}

// tupleItems splits a tuple constructor [a, b] into its expressions; any
// other expression is one item.
func tupleItems(e hcl.Expression) []hcl.Expression {
	if t, ok := e.(*hclsyntax.TupleConsExpr); ok {
		out := make([]hcl.Expression, len(t.Exprs))
		for i, x := range t.Exprs {
			out[i] = x
		}
		return out
	}
	return []hcl.Expression{e}
}

func newDistinct(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &distinctOp{n: n, vars: env.Vars}
	keep := attrString(n, "keep", "first")
	switch keep {
	case "first", "last":
		op.last = keep == "last"
	default:
		diags = append(diags, diag("Invalid keep", fmt.Sprintf("keep is %q; use \"first\" or \"last\" (of each group, under order_by or else in input order).", keep), attrRange(n, "keep")))
	}
	op.params = append(op.params, Param{"keep", keep}, Param{"group_key", fmt.Sprint(expr.GroupKeyVersion)})
	for _, name := range []string{"by", "order_by"} {
		a := n.Attrs[name]
		if a == nil {
			continue
		}
		items := tupleItems(a.Expr)
		if len(items) == 0 {
			diags = append(diags, diag("Invalid "+name, name+" lists no expression; name a column or write a row expression.", attrRange(n, name)))
		}
		if name == "by" {
			op.by = items
		} else {
			op.orderBy = items
		}
		c, d := expr.Canonical(a.Expr)
		diags = append(diags, d...)
		op.params = append(op.params, Param{name, c})
		op.params = append(op.params, varParams(env.Vars, a.Expr)...)
	}
	op.params = dedupParams(op.params)
	return op, diags
}

func (op *distinctOp) Params() []Param { return op.params }

func (op *distinctOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op.byProgs, op.ordProgs = nil, nil
	in := inputs[0]
	if op.by == nil {
		for _, f := range in.Fields() {
			if err := expr.CheckGroupKeyType(f.Type); err != nil {
				diags = append(diags, diag("Column cannot be compared", fmt.Sprintf("Without by, distinct compares whole rows, but column %q cannot be: %v. Set by to the columns that identify a row.", f.Name, err), &op.n.DeclRange))
			}
		}
	}
	for _, e := range op.by {
		p, d := expr.Compile(e, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if len(p.Columns()) == 0 {
			diags = append(diags, constantItem("by", e))
			continue
		}
		if err := expr.CheckGroupKeyType(p.Type()); err != nil {
			diags = append(diags, diag("Invalid by expression", fmt.Sprintf("by: %v; group by a column or expression of another type.", err), e.Range().Ptr()))
		}
		op.byProgs = append(op.byProgs, p)
	}
	for _, e := range op.orderBy {
		p, d := expr.Compile(e, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if len(p.Columns()) == 0 {
			diags = append(diags, constantItem("order_by", e))
			continue
		}
		if ordClass(p.Type()) == ordNone {
			diags = append(diags, diag("Invalid order_by expression", fmt.Sprintf("order_by gives %s, which has no order; order by a number, string, boolean, date or time.", p.Type()), e.Range().Ptr()))
		}
		op.ordProgs = append(op.ordProgs, p)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return in, diags
}

// constantItem diagnoses a by or order_by item that reads no column: it is
// the same for every row, so it groups or orders nothing (most often a
// column name written as a string).
func constantItem(attr string, e hcl.Expression) *hcl.Diagnostic {
	return diag("Constant "+attr+" expression", attr+" items are row expressions: this one reads no column, so it is the same for every row. Name columns without quotes, e.g. "+attr+" = [sp_id, rp_id].", e.Range().Ptr())
}

// distinctOrdKind is how values of an order_by type compare.
type distinctOrdKind int

const (
	ordNone distinctOrdKind = iota
	ordInt
	ordUint
	ordFloat
	ordString
	ordBool
)

func ordClass(dt arrow.DataType) distinctOrdKind {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.DATE64,
		arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return ordInt
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return ordUint
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return ordFloat
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return ordString
	case arrow.BOOL:
		return ordBool
	}
	return ordNone
}

// ordVal is one order_by value of a kept row.
type ordVal struct {
	null bool
	i    int64
	u    uint64
	f    float64
	s    string
}

// ordCol reads the order values of one evaluated order_by column.
type ordCol struct {
	kind distinctOrdKind
	a    arrow.Array
}

func (c ordCol) at(i int) ordVal {
	if c.a.IsNull(i) {
		return ordVal{null: true}
	}
	switch a := c.a.(type) {
	case *array.Int8:
		return ordVal{i: int64(a.Value(i))}
	case *array.Int16:
		return ordVal{i: int64(a.Value(i))}
	case *array.Int32:
		return ordVal{i: int64(a.Value(i))}
	case *array.Int64:
		return ordVal{i: a.Value(i)}
	case *array.Date32:
		return ordVal{i: int64(a.Value(i))}
	case *array.Date64:
		return ordVal{i: int64(a.Value(i))}
	case *array.Timestamp:
		return ordVal{i: int64(a.Value(i))}
	case *array.Time32:
		return ordVal{i: int64(a.Value(i))}
	case *array.Time64:
		return ordVal{i: int64(a.Value(i))}
	case *array.Duration:
		return ordVal{i: int64(a.Value(i))}
	case *array.Uint8:
		return ordVal{u: uint64(a.Value(i))}
	case *array.Uint16:
		return ordVal{u: uint64(a.Value(i))}
	case *array.Uint32:
		return ordVal{u: uint64(a.Value(i))}
	case *array.Uint64:
		return ordVal{u: a.Value(i)}
	case *array.Float16:
		return ordVal{f: float64(a.Value(i).Float32())}
	case *array.Float32:
		return ordVal{f: float64(a.Value(i))}
	case *array.Float64:
		return ordVal{f: a.Value(i)}
	case *array.String:
		return ordVal{s: a.Value(i)}
	case *array.LargeString:
		return ordVal{s: a.Value(i)}
	case *array.StringView:
		return ordVal{s: a.Value(i)}
	case *array.Boolean:
		if a.Value(i) {
			return ordVal{i: 1}
		}
		return ordVal{}
	}
	return ordVal{null: true}
}

// compareOrd orders x and y of one kind: null first, NaN after numbers.
func compareOrd(kind distinctOrdKind, x, y ordVal) int {
	switch {
	case x.null && y.null:
		return 0
	case x.null:
		return -1
	case y.null:
		return 1
	}
	switch kind {
	case ordUint:
		return cmp.Compare(x.u, y.u)
	case ordFloat:
		xn, yn := math.IsNaN(x.f), math.IsNaN(y.f)
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		}
		return cmp.Compare(x.f, y.f)
	case ordString:
		return strings.Compare(x.s, y.s)
	}
	return cmp.Compare(x.i, y.i)
}

func (op *distinctOp) Run(ctx context.Context, rc *RunContext) error {
	// Pass 1: the kept row of every group.
	type best struct {
		row int64
		ord []ordVal
	}
	groups := map[string]int{}
	var bests []best
	var total int64
	kinds := make([]distinctOrdKind, len(op.ordProgs))
	for i, p := range op.ordProgs {
		kinds[i] = ordClass(p.Type())
	}
	err := op.scan(ctx, rc, func(rec arrow.RecordBatch, row0 int64, keys []string, ords []ordCol) error {
		n := int(rec.NumRows())
		cur := make([]ordVal, len(ords))
		for i := 0; i < n; i++ {
			row := row0 + int64(i)
			g, seen := groups[keys[i]]
			if !seen {
				o := make([]ordVal, len(ords))
				for k, c := range ords {
					o[k] = c.at(i)
					o[k].s = strings.Clone(o[k].s)
				}
				groups[strings.Clone(keys[i])] = len(bests)
				bests = append(bests, best{row, o})
				continue
			}
			for k, c := range ords {
				cur[k] = c.at(i)
			}
			c := 0
			for k := range cur {
				if c = compareOrd(kinds[k], cur[k], bests[g].ord[k]); c != 0 {
					break
				}
			}
			// Ties go to input order: the earlier row is first, the
			// later one last.
			if (!op.last && c < 0) || (op.last && c >= 0) {
				b := &bests[g]
				b.row = row
				for k := range cur {
					b.ord[k] = cur[k]
					b.ord[k].s = strings.Clone(cur[k].s)
				}
			}
		}
		total = row0 + int64(n)
		return nil
	})
	if err != nil {
		return err
	}
	kept := make([]uint64, (total+63)/64)
	for _, b := range bests {
		kept[b.row/64] |= 1 << (b.row % 64)
	}
	groups, bests = nil, nil
	// Pass 2: emit the kept rows in input order.
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	var row0 int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		n := int(rec.NumRows())
		b := array.NewBooleanBuilder(rc.Mem)
		b.Reserve(n)
		cnt := 0
		for i := 0; i < n; i++ {
			r := row0 + int64(i)
			k := r < total && kept[r/64]&(1<<(r%64)) != 0
			if k {
				cnt++
			}
			b.UnsafeAppend(k)
		}
		mask := b.NewBooleanArray()
		b.Release()
		row0 += int64(n)
		if cnt == 0 {
			mask.Release()
			continue
		}
		if rc.EmitRows != nil {
			err = rc.EmitRows(rec, expr.SelectMask(mask))
			mask.Release()
		} else {
			var out arrow.RecordBatch
			out, err = expr.Filter(ctx, rc.Mem, rec, mask)
			mask.Release()
			if err == nil {
				err = rc.Emit(out)
				out.Release()
			}
		}
		if err != nil {
			return err
		}
	}
	return rd.Err()
}

// scan reads the input once, giving each batch's first row position, each
// row's group key and the evaluated order_by columns.
func (op *distinctOp) scan(ctx context.Context, rc *RunContext, fn func(rec arrow.RecordBatch, row0 int64, keys []string, ords []ordCol) error) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		if err := op.scanBatch(ctx, rc, rec, row, fn); err != nil {
			return err
		}
		row += rec.NumRows()
	}
	return rd.Err()
}

func (op *distinctOp) scanBatch(ctx context.Context, rc *RunContext, rec arrow.RecordBatch, row int64, fn func(rec arrow.RecordBatch, row0 int64, keys []string, ords []ordCol) error) error {
	var evaluated []arrow.Array
	defer func() { releaseArrays(evaluated...) }()
	eval := func(what string, p *expr.Program) (arrow.Array, error) {
		a, err := p.EvalAt(ctx, rc.Mem, rec, row)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, inputRow(err, row))
		}
		evaluated = append(evaluated, a)
		return a, nil
	}
	var keyCols []arrow.Array
	if op.byProgs == nil {
		keyCols = rec.Columns()
	}
	for _, p := range op.byProgs {
		a, err := eval("by", p)
		if err != nil {
			return err
		}
		keyCols = append(keyCols, a)
	}
	var keys []string
	if len(keyCols) == 0 {
		// No columns: every row is the same (empty) row.
		keys = make([]string, rec.NumRows())
	} else {
		var err error
		if keys, err = expr.GroupKeys(keyCols...); err != nil {
			return err
		}
	}
	ords := make([]ordCol, len(op.ordProgs))
	for i, p := range op.ordProgs {
		a, err := eval("order_by", p)
		if err != nil {
			return err
		}
		ords[i] = ordCol{ordClass(p.Type()), a}
	}
	return fn(rec, row, keys, ords)
}
