package ops

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// ---- filter ----

var filterSpec = &Spec{
	Kind:    "filter",
	Version: 1,
	Doc:     "Keep the rows where a row expression is true (null is not true).",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "where", Required: true, Mode: recipe.RowExpr},
		{Name: "strict", Mode: recipe.Static, Type: cty.Bool},
	},
	New: newFilter,
}

type filterOp struct {
	where  *recipe.Attr
	strict bool
	vars   map[string]cty.Value
	canon  string
	varPs  []Param
	prog   *expr.Program
}

func newFilter(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &filterOp{where: n.Attrs["where"], strict: attrBool(n, "strict", false), vars: env.Vars}
	var diags hcl.Diagnostics
	op.canon, diags = canonicalExpr(op.where)
	op.varPs = varParams(env.Vars, op.where.Expr)
	return op, diags
}

func (op *filterOp) Params() []Param {
	ps := []Param{{"strict", fmt.Sprint(op.strict)}, {"where", op.canon}}
	return append(ps, op.varPs...)
}

func (op *filterOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	prog, diags := expr.CompileWithOptions(op.where.Expr, inputs[0], op.vars, expr.CompileOptions{Strict: op.strict})
	if diags.HasErrors() {
		return nil, diags
	}
	if !arrow.TypeEqual(prog.Type(), arrow.FixedWidthTypes.Boolean) {
		r := op.where.Expr.Range()
		return nil, append(diags, diag("Filter condition is not a boolean",
			fmt.Sprintf("where must be true or false for each row, but this expression gives %s. Compare it with something, e.g. `... == \"x\"`.", prog.Type()), &r))
	}
	op.prog = prog
	return inputs[0], diags
}

func (op *filterOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	if rc.EmitRows != nil {
		// Only the selection is computed here, on several cores; the
		// executor copies the kept rows once, into its output batches.
		return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
			first += rc.RowOffset
			mask, err := op.prog.EvalAt(ctx, rc.Mem, rec, first)
			if err != nil {
				return nil, inputRow(err, first)
			}
			defer mask.Release()
			rec.Retain()
			return selectedBatch{rec, expr.SelectMask(mask.(*array.Boolean))}, nil
		}, func(out arrow.RecordBatch) error {
			sb := out.(selectedBatch)
			if sb.sel.Kept() == 0 {
				return nil
			}
			return rc.EmitRows(sb.RecordBatch, sb.sel)
		})
	}
	return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		first += rc.RowOffset
		mask, err := op.prog.EvalAt(ctx, rc.Mem, rec, first)
		if err != nil {
			return nil, inputRow(err, first)
		}
		defer mask.Release()
		return expr.Filter(ctx, rc.Mem, rec, mask.(*array.Boolean))
	}, rc.Emit)
}

// selectedBatch is an input batch with the rows a filter keeps, passed
// through forEachOrdered to EmitRows.
type selectedBatch struct {
	arrow.RecordBatch
	sel expr.Selection
}

// ---- select ----

var selectSpec = &Spec{
	Kind:    "select",
	Version: 1,
	Doc:     "Keep, drop, rename and derive columns.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "keep", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "drop", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "rename", Mode: recipe.Static, Type: cty.Map(cty.String)},
		{Name: "derive", Mode: recipe.RowExprMap},
	},
	New: newSelect,
}

type selectOp struct {
	n      *recipe.Node
	keep   []string
	drop   []string
	rename map[string]string
	derive []recipe.Item
	canon  []string
	varPs  []Param
	vars   map[string]cty.Value

	// prepared
	progs  []*expr.Program
	plan   []selCol // output columns in order
	schema *arrow.Schema
}

// selCol is one output column: an input column index, or a derived program.
type selCol struct {
	in   int // -1 when derived
	prog int
}

func newSelect(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &selectOp{n: n, keep: attrStrings(n, "keep"), drop: attrStrings(n, "drop"), rename: attrStringMap(n, "rename"), vars: env.Vars}
	var diags hcl.Diagnostics
	if op.keep != nil && op.drop != nil {
		diags = append(diags, diag("Conflicting attributes", "Use keep or drop, not both: keep lists the columns to retain, drop the ones to remove.", attrRange(n, "drop")))
	}
	if a, ok := n.Attrs["derive"]; ok {
		op.derive = a.Items
		for _, it := range a.Items {
			c, d := expr.Canonical(it.Expr)
			diags = append(diags, d...)
			op.canon = append(op.canon, quote(it.Key)+"="+c)
			op.varPs = append(op.varPs, varParams(env.Vars, it.Expr)...)
		}
	}
	op.varPs = dedupParams(op.varPs)
	return op, diags
}

func (op *selectOp) Params() []Param {
	ps := []Param{}
	if op.keep != nil {
		ps = append(ps, Param{"keep", canonicalList(op.keep)})
	}
	if op.drop != nil {
		ps = append(ps, Param{"drop", canonicalList(op.drop)})
	}
	if op.rename != nil {
		ps = append(ps, Param{"rename", canonicalMap(op.rename)})
	}
	if op.derive != nil {
		ps = append(ps, Param{"derive", "{" + joinComma(op.canon) + "}"})
	}
	return append(ps, op.varPs...)
}

func (op *selectOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	var diags hcl.Diagnostics
	// Prepare may run again (a plan checked, then built); start afresh.
	op.progs, op.plan, op.schema = nil, nil, nil
	type col struct {
		name  string
		field arrow.Field
		c     selCol
	}
	var cols []col
	index := map[string]int{}
	for i, f := range in.Fields() {
		index[f.Name] = len(cols)
		cols = append(cols, col{f.Name, f, selCol{in: i, prog: -1}})
	}
	for _, it := range op.derive {
		prog, d := expr.Compile(it.Expr, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		op.progs = append(op.progs, prog)
		f := arrow.Field{Name: it.Key, Type: prog.Type(), Nullable: true}
		c := col{it.Key, f, selCol{in: -1, prog: len(op.progs) - 1}}
		if j, ok := index[it.Key]; ok {
			cols[j] = c // derive replaces a column of the same name in place
		} else {
			index[it.Key] = len(cols)
			cols = append(cols, c)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	names := func() []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = c.name
		}
		return out
	}
	unknown := func(attr, name string) {
		diags = append(diags, diag("Unknown column", fmt.Sprintf("%s names %q, which is not a column of the input. Columns: %s.", attr, name, joinComma(names())), attrRange(op.n, attr)))
	}
	var out []col
	switch {
	case op.keep != nil:
		for _, k := range op.keep {
			j, ok := index[k]
			if !ok {
				unknown("keep", k)
				continue
			}
			out = append(out, cols[j])
		}
	default:
		dropped := map[string]bool{}
		for _, k := range op.drop {
			if _, ok := index[k]; !ok {
				unknown("drop", k)
			}
			dropped[k] = true
		}
		for _, c := range cols {
			if !dropped[c.name] {
				out = append(out, c)
			}
		}
	}
	// Rename applies last, so keep/drop use input names.
	for _, from := range sortedKeys(op.rename) {
		found := false
		for i := range out {
			if out[i].name == from {
				out[i].field.Name = op.rename[from]
				found = true
			}
		}
		if !found {
			unknown("rename", from)
		}
	}
	seen := map[string]bool{}
	fields := make([]arrow.Field, 0, len(out))
	for _, c := range out {
		if seen[c.field.Name] {
			diags = append(diags, diag("Duplicate output column", fmt.Sprintf("Two output columns would be named %q; rename one of them.", c.field.Name), &op.n.DeclRange))
		}
		seen[c.field.Name] = true
		fields = append(fields, c.field)
		op.plan = append(op.plan, c.c)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	op.schema = arrow.NewSchema(fields, nil)
	return op.schema, diags
}

func (op *selectOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		first += rc.RowOffset
		derived := make([]arrow.Array, len(op.progs))
		defer func() {
			for _, a := range derived {
				if a != nil {
					a.Release()
				}
			}
		}()
		for i, p := range op.progs {
			a, err := p.EvalAt(ctx, rc.Mem, rec, first)
			if err != nil {
				return nil, fmt.Errorf("derive %s: %w", op.derive[i].Key, inputRow(err, first))
			}
			derived[i] = a
		}
		cols := make([]arrow.Array, len(op.plan))
		for i, c := range op.plan {
			if c.in >= 0 {
				cols[i] = rec.Column(c.in)
			} else {
				cols[i] = derived[c.prog]
			}
		}
		return array.NewRecordBatch(op.schema, cols, rec.NumRows()), nil
	}, rc.Emit)
}

// whereMask evaluates a node's where program over one batch whose first
// row is input row row: nil (every row kept) without a program. The
// caller releases a non-nil mask.
func whereMask(ctx context.Context, mem memory.Allocator, prog *expr.Program, rec arrow.RecordBatch, row int64) (*array.Boolean, error) {
	if prog == nil {
		return nil, nil
	}
	m, err := prog.EvalAt(ctx, mem, rec, row)
	if err != nil {
		return nil, inputRow(err, row)
	}
	return m.(*array.Boolean), nil
}

// kept reports whether a where mask keeps row i (null is not true).
func kept(mask *array.Boolean, i int) bool {
	return mask == nil || mask.IsValid(i) && mask.Value(i)
}
