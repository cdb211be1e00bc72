package ops

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/vec"
)

var trajectorySpec = &Spec{
	Kind:    "trajectory",
	Version: 1,
	Doc:     "Per conversation, ordered by turn: drift statistics (first, last, delta, OLS slope, max excursion and its turn, mean, std) of projected columns; one row per conversation.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "by", Mode: recipe.Static, Type: cty.String},
		{Name: "order", Mode: recipe.Static, Type: cty.String},
		{Name: "columns", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "keep", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "where", Mode: recipe.RowExpr},
	},
	New: newTrajectory,
}

// trajectoryOp groups rows by a key column (conversation), orders each
// group by an integer turn column (ties in input order), optionally keeps
// only rows where `where` is true (e.g. assistant turns), and summarizes
// each numeric column with vec.Summarize. Groups come out in order of
// first appearance with the first row's `by` and `keep` values. Nulls in a
// column are skipped; a group without values has null statistics; slope is
// null with fewer than two distinct turns.
//
// Memory: one 1-row slice per group (it holds its input batch), plus per
// kept row its turn and one float64 per column.
type trajectoryOp struct {
	n       *recipe.Node
	by      string
	order   string
	columns []string
	keep    []string
	where   *recipe.Attr
	canon   string
	varPs   []Param
	vars    map[string]cty.Value

	prog            *expr.Program
	byIdx, orderIdx int
	colIdx, keepIdx []int
	keptSrc         []int // input columns copied from each group's first row: by, then keep
	out             *arrow.Schema
}

var trajectoryStats = []string{"first", "last", "delta", "slope", "max_excursion", "turn_of_max", "mean", "std"}

func newTrajectory(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &trajectoryOp{n: n, by: attrString(n, "by", "conversation_id"), order: attrString(n, "order", "turn"),
		columns: attrStrings(n, "columns"), keep: attrStrings(n, "keep"), where: n.Attrs["where"], vars: env.Vars}
	var diags hcl.Diagnostics
	if op.where != nil {
		op.canon, diags = canonicalExpr(op.where)
		op.varPs = varParams(env.Vars, op.where.Expr)
	}
	return op, diags
}

func (op *trajectoryOp) Params() []Param {
	ps := []Param{
		{"by", quote(op.by)},
		{"columns", canonicalList(op.columns)},
		{"group_key", fmt.Sprint(expr.GroupKeyVersion)},
		{"keep", canonicalList(op.keep)},
		{"order", quote(op.order)},
		{"where", op.canon},
	}
	return append(ps, op.varPs...)
}

func isNumeric(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.FLOAT32, arrow.FLOAT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

func isInteger(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

func (op *trajectoryOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	ref := op.n.Attrs["input"].Refs[0]
	var diags hcl.Diagnostics
	find := func(name, attr string) int {
		idx := in.FieldIndices(name)
		if len(idx) != 1 {
			rng := attrRange(op.n, attr)
			if rng == nil {
				rng = attrRange(op.n, "input")
			}
			diags = append(diags, diag("Unknown column", fmt.Sprintf("%s has no column %q (it has %s).", ref, name, strings.Join(SchemaFields(in), ", ")), rng))
			return -1
		}
		return idx[0]
	}
	op.byIdx = find(op.by, "by")
	op.orderIdx = find(op.order, "order")
	if op.orderIdx >= 0 && !isInteger(in.Field(op.orderIdx).Type) {
		diags = append(diags, diag("Turn column is not an integer", fmt.Sprintf("order column %q is %s; turns are integers (flatten's index).", op.order, typeString(in.Field(op.orderIdx).Type)), attrRange(op.n, "order")))
	}
	cols := op.columns
	if cols == nil {
		for _, f := range in.Fields() {
			if strings.HasPrefix(f.Name, "proj_") || strings.HasPrefix(f.Name, "cos_") {
				cols = append(cols, f.Name)
			}
		}
		if len(cols) == 0 {
			diags = append(diags, diag("No columns to summarize", fmt.Sprintf("%s has no proj_* or cos_* column; name them with columns = [...].", ref), attrRange(op.n, "input")))
		}
	}
	op.colIdx = nil
	for _, c := range cols {
		i := find(c, "columns")
		if i >= 0 && !isNumeric(in.Field(i).Type) {
			diags = append(diags, diag("Not a numeric column", fmt.Sprintf("Column %q is %s; trajectory summarizes numbers.", c, typeString(in.Field(i).Type)), attrRange(op.n, "columns")))
		}
		op.colIdx = append(op.colIdx, i)
	}
	op.keepIdx = nil
	for _, k := range op.keep {
		op.keepIdx = append(op.keepIdx, find(k, "keep"))
	}
	if op.where != nil {
		prog, d := expr.Compile(op.where.Expr, in, op.vars)
		diags = append(diags, d...)
		if prog != nil && !d.HasErrors() {
			if !arrow.TypeEqual(prog.Type(), arrow.FixedWidthTypes.Boolean) {
				r := op.where.Expr.Range()
				diags = append(diags, diag("Condition is not a boolean", fmt.Sprintf("where must be true or false for each row, but gives %s.", prog.Type()), &r))
			}
			op.prog = prog
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	fields := []arrow.Field{in.Field(op.byIdx)}
	op.keptSrc = []int{op.byIdx}
	seen := map[string]bool{op.by: true}
	for _, k := range op.keepIdx {
		f := in.Field(k)
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		fields = append(fields, f)
		op.keptSrc = append(op.keptSrc, k)
	}
	fields = append(fields, arrow.Field{Name: "turns", Type: arrow.PrimitiveTypes.Int64})
	for _, c := range cols {
		for _, s := range trajectoryStats {
			name := c + "_" + s
			if seen[name] {
				return nil, hcl.Diagnostics{diag("Column name clash", fmt.Sprintf("Output column %q is also kept from the input.", name), attrRange(op.n, "keep"))}
			}
			dt := arrow.DataType(arrow.PrimitiveTypes.Float64)
			if s == "turn_of_max" {
				dt = arrow.PrimitiveTypes.Int64
			}
			fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
		}
	}
	op.out = arrow.NewSchema(fields, nil)
	return op.out, nil
}

type trajGroup struct {
	first arrow.RecordBatch // 1-row slice: by and keep values
	rows  []trajRow
}

type trajRow struct {
	turn int64
	seq  int
	vals []float64
	null []bool
}

func numberAt(a arrow.Array, i int) float64 {
	switch c := a.(type) {
	case *array.Float32:
		return float64(c.Value(i))
	case *array.Float64:
		return c.Value(i)
	case *array.Int8:
		return float64(c.Value(i))
	case *array.Int16:
		return float64(c.Value(i))
	case *array.Int32:
		return float64(c.Value(i))
	case *array.Int64:
		return float64(c.Value(i))
	case *array.Uint8:
		return float64(c.Value(i))
	case *array.Uint16:
		return float64(c.Value(i))
	case *array.Uint32:
		return float64(c.Value(i))
	}
	panic("trajectory: not a number column")
}

func (op *trajectoryOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	index := map[string]int{}
	var groups []*trajGroup
	defer func() {
		for _, g := range groups {
			g.first.Release()
		}
	}()
	var row int64
	seq := 0
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		mask, err := whereMask(ctx, rc.Mem, op.prog, rec, row)
		if err != nil {
			return err
		}
		keys, err := expr.GroupKeys(rec.Column(op.byIdx))
		if err != nil {
			if mask != nil {
				mask.Release()
			}
			return err
		}
		turns := rec.Column(op.orderIdx)
		for i := range int(rec.NumRows()) {
			if !kept(mask, i) {
				continue
			}
			if turns.IsNull(i) {
				if mask != nil {
					mask.Release()
				}
				return fmt.Errorf("row %d: the turn (%s) is null", row+int64(i), op.order)
			}
			gi, ok := index[keys[i]]
			if !ok {
				gi = len(groups)
				index[keys[i]] = gi
				groups = append(groups, &trajGroup{first: rec.NewSlice(int64(i), int64(i)+1)})
			}
			r := trajRow{turn: int64(numberAt(turns, i)), seq: seq, vals: make([]float64, len(op.colIdx)), null: make([]bool, len(op.colIdx))}
			if c, ok := turns.(*array.Int64); ok {
				r.turn = c.Value(i)
			}
			seq++
			for k, ci := range op.colIdx {
				c := rec.Column(ci)
				if c.IsNull(i) {
					r.null[k] = true
					continue
				}
				r.vals[k] = numberAt(c, i)
			}
			groups[gi].rows = append(groups[gi].rows, r)
		}
		if mask != nil {
			mask.Release()
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return err
	}
	return op.emit(rc, groups)
}

func (op *trajectoryOp) emit(rc *RunContext, groups []*trajGroup) error {
	b := array.NewRecordBuilder(rc.Mem, op.out)
	defer b.Release()
	// by and keep columns: the groups' first rows, concatenated.
	srcIdx := op.keptSrc
	nkeep := len(srcIdx)
	for j := range nkeep {
		b.Field(j).AppendNulls(len(groups)) // placeholders, replaced below
	}
	kept := make([]arrow.Array, len(srcIdx))
	for j, ci := range srcIdx {
		parts := make([]arrow.Array, len(groups))
		for g, gr := range groups {
			parts[g] = gr.first.Column(ci)
		}
		if len(parts) == 0 {
			nb := array.NewBuilder(rc.Mem, op.out.Field(j).Type)
			kept[j] = nb.NewArray()
			nb.Release()
			continue
		}
		a, err := array.Concatenate(parts, rc.Mem)
		if err != nil {
			return err
		}
		kept[j] = a
	}
	defer func() {
		for _, a := range kept {
			a.Release()
		}
	}()
	turnsB := b.Field(nkeep).(*array.Int64Builder)
	var ts []int64
	var vs []float64
	for _, g := range groups {
		sort.SliceStable(g.rows, func(i, j int) bool { return g.rows[i].turn < g.rows[j].turn })
		turnsB.Append(int64(len(g.rows)))
		for k := range op.colIdx {
			ts, vs = ts[:0], vs[:0]
			for _, r := range g.rows {
				if !r.null[k] {
					ts = append(ts, r.turn)
					vs = append(vs, r.vals[k])
				}
			}
			base := nkeep + 1 + k*len(trajectoryStats)
			if len(vs) == 0 {
				for s := range trajectoryStats {
					b.Field(base + s).AppendNull()
				}
				continue
			}
			t := vec.Summarize(ts, vs)
			f := func(s int) *array.Float64Builder { return b.Field(base + s).(*array.Float64Builder) }
			f(0).Append(t.First)
			f(1).Append(t.Last)
			f(2).Append(t.Delta)
			if t.SlopeOK {
				f(3).Append(t.Slope)
			} else {
				f(3).AppendNull()
			}
			f(4).Append(t.MaxExcursion)
			b.Field(base + 5).(*array.Int64Builder).Append(t.TurnOfMax)
			f(6).Append(t.Mean)
			f(7).Append(t.Std)
		}
	}
	stats := b.NewRecordBatch()
	defer stats.Release()
	cols := slices.Clone(kept)
	cols = append(cols, stats.Columns()[nkeep:]...)
	out := array.NewRecordBatch(op.out, cols, int64(len(groups)))
	defer out.Release()
	if err := rc.DeclareSchema(op.out); err != nil {
		return err
	}
	if len(groups) == 0 {
		return nil
	}
	return rc.Emit(out)
}
