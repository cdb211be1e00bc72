package ops

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var aggregateSpec = &Spec{
	Kind:    "aggregate",
	Version: 1,
	Doc:     "One row per group of rows sharing the `by` values: count, count_distinct, sum, min, max, mean, first, last, list, any, all.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "by", Mode: recipe.RowExpr},
		{Name: "order_by", Mode: recipe.RowExpr},
		{Name: "agg", Required: true, Mode: recipe.RowExprMap},
		{Name: "sort", Mode: recipe.Static, Type: cty.Bool},
	},
	New: newAggregate,
}

// aggregateOp groups the input's rows by the group keys (expr.GroupKeys) of
// its `by` values and computes one output row per group: the `by` columns,
// then one column per aggregation, in the order written. Groups come out in
// the order of their first row, or sorted by their `by` values (ascending,
// nulls first) with sort = true. Within a group, first, last and list see
// the rows in `order_by` order (each key ascending, or descending under
// desc(...); nulls last; ties in input order); without order_by, in input
// order. Without `by`, the whole input is one group (one row, also for an
// empty input).
//
// Memory is bounded by the groups' state, not by the input: a key, the `by`
// values and a fixed-size accumulator per group and aggregation (first,
// last, min and max hold one value per group; count_distinct one key per
// distinct (group, value) pair). The one exception is list, which holds every
// value it collects (and, with order_by, each row's order values) until the
// end. The input is read once, in order; sums and means add each group's
// values in input order, so the output does not depend on batch boundaries
// or on the number of workers. One integer key with only count, sum, mean,
// min, max, any and all (no order_by) takes the flat path
// (aggregate_flat.go), which groups on as many workers as the budget
// spares; every other shape runs on one core.
type aggregateOp struct {
	n      *recipe.Node
	by     []namedExpr
	order  []orderKey
	aggs   []aggSpec
	sorted bool
	vars   map[string]cty.Value
	// slack is how many retained rows beyond twice the groups a picker
	// holds before compacting (tests set it to 0 to compact every batch).
	slack  int64
	params []Param
	// noFlat forces the general path; workers > 0 fixes the flat path's
	// worker count (tests compare both).
	noFlat  bool
	workers int

	// prepared
	byProgs  []*expr.Program
	ordProgs []*expr.Program
	schema   *arrow.Schema
}

type namedExpr struct {
	name string
	expr hclsyntax.Expression
	rng  hcl.Range
}

type orderKey struct {
	expr hclsyntax.Expression
	desc bool
}

type aggSpec struct {
	name string
	fn   string
	arg  hcl.Expression // nil for count()
	rng  hcl.Range
	prog *expr.Program
	out  arrow.DataType
}

// aggFuncs are the aggregation functions and how many arguments they take.
var aggFuncs = map[string][2]int{
	"count": {0, 1}, "count_distinct": {1, 1}, "sum": {1, 1}, "min": {1, 1}, "max": {1, 1},
	"mean": {1, 1}, "first": {1, 1}, "last": {1, 1}, "list": {1, 1}, "any": {1, 1}, "all": {1, 1},
}

func isRowFunction(name string) bool {
	for _, f := range expr.Functions {
		if f == name {
			return true
		}
	}
	return false
}

func aggFuncNames() string {
	names := make([]string, 0, len(aggFuncs))
	for k := range aggFuncs {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func newAggregate(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &aggregateOp{n: n, sorted: attrBool(n, "sort", false), vars: env.Vars, slack: 1 << 16}
	var diags hcl.Diagnostics
	if a, ok := n.Attrs["by"]; ok {
		diags = append(diags, op.parseBy(a)...)
		c, d := expr.Canonical(a.Expr)
		diags = append(diags, d...)
		// Named keys (by = {k = expr}) enter the canonical form with their names.
		op.params = append(op.params, Param{"by", c + op.byNames()})
		op.params = append(op.params, varParams(env.Vars, a.Expr)...)
	}
	if a, ok := n.Attrs["order_by"]; ok {
		for _, e := range listItems(a.Expr) {
			k := orderKey{expr: e}
			if call, ok := e.(*hclsyntax.FunctionCallExpr); ok && call.Name == "desc" {
				if len(call.Args) != 1 {
					r := call.Range()
					diags = append(diags, diag("Invalid order_by key", "desc takes one row expression, e.g. desc(turn).", &r))
					continue
				}
				k = orderKey{expr: call.Args[0], desc: true}
			}
			op.order = append(op.order, k)
		}
		c, d := expr.Canonical(a.Expr)
		diags = append(diags, d...)
		op.params = append(op.params, Param{"order_by", c})
		op.params = append(op.params, varParams(env.Vars, a.Expr)...)
	}
	a := n.Attrs["agg"]
	var canon []string
	for _, it := range a.Items {
		rng := it.Expr.Range()
		call, ok := it.Expr.(*hclsyntax.FunctionCallExpr)
		if ok && aggFuncs[call.Name] == [2]int{} && !isRowFunction(call.Name) {
			nr := call.NameRange
			diags = append(diags, diag("Unknown aggregation", fmt.Sprintf("%q is not an aggregation; the aggregations are %s. Row functions go inside one, e.g. max(length(text)).", call.Name, aggFuncNames()), &nr))
			continue
		}
		if !ok || aggFuncs[call.Name] == [2]int{} {
			// A row expression of the group's key columns: its value on the
			// group's rows (checked in Prepare to read only `by` columns).
			op.aggs = append(op.aggs, aggSpec{name: it.Key, fn: "key", arg: it.Expr, rng: rng})
		} else {
			ar := aggFuncs[call.Name]
			if len(call.Args) < ar[0] || len(call.Args) > ar[1] || call.ExpandFinal {
				diags = append(diags, diag("Wrong number of arguments", fmt.Sprintf("%s takes %s.", call.Name, map[bool]string{true: "no argument or one row expression", false: "one row expression"}[ar[0] == 0]), &rng))
				continue
			}
			s := aggSpec{name: it.Key, fn: call.Name, rng: rng}
			if len(call.Args) == 1 {
				s.arg = call.Args[0]
			}
			op.aggs = append(op.aggs, s)
		}
		c, d := expr.Canonical(it.Expr)
		diags = append(diags, d...)
		canon = append(canon, quote(it.Key)+"="+c)
		op.params = append(op.params, varParams(env.Vars, it.Expr)...)
	}
	op.params = append(op.params, Param{"agg", "{" + joinComma(canon) + "}"})
	op.params = append(op.params, Param{"sort", fmt.Sprint(op.sorted)})
	// Groups are formed by group key: a new encoding may group otherwise.
	op.params = append(op.params, Param{"group_key", fmt.Sprint(expr.GroupKeyVersion)})
	op.params = dedupParams(op.params)
	return op, diags
}

// listItems returns the elements of a tuple expression, or the expression
// itself.
func listItems(e hcl.Expression) []hclsyntax.Expression {
	se, ok := e.(hclsyntax.Expression)
	if !ok {
		return nil
	}
	if p, ok := se.(*hclsyntax.ParenthesesExpr); ok {
		se = p.Expression
	}
	if t, ok := se.(*hclsyntax.TupleConsExpr); ok {
		return t.Exprs
	}
	return []hclsyntax.Expression{se}
}

// parseBy reads by = [col, ...], by = col or by = {name = expr, ...}. A
// key that is not a plain column must be named with the object form.
func (op *aggregateOp) parseBy(a *recipe.Attr) hcl.Diagnostics {
	var diags hcl.Diagnostics
	se, _ := a.Expr.(hclsyntax.Expression)
	if obj, ok := se.(*hclsyntax.ObjectConsExpr); ok {
		for _, it := range obj.Items {
			k, d := it.KeyExpr.Value(nil)
			if d.HasErrors() || k.Type() != cty.String {
				r := it.KeyExpr.Range()
				diags = append(diags, diag("Invalid key name", "Name each key with a bare name or a quoted string, e.g. by = {first = lower(text)}.", &r))
				continue
			}
			op.by = append(op.by, namedExpr{name: k.AsString(), expr: it.ValueExpr, rng: it.ValueExpr.Range()})
		}
		return diags
	}
	for _, e := range listItems(a.Expr) {
		rng := e.Range()
		name := ""
		if tr, ok := e.(*hclsyntax.ScopeTraversalExpr); ok && len(tr.Traversal) == 1 {
			name = tr.Traversal.RootName()
		}
		if name == "" {
			diags = append(diags, diag("Unnamed group key", "A key that is not a column needs a name for its output column: write by = {name = <row expression>, ...}.", &rng))
			continue
		}
		op.by = append(op.by, namedExpr{name: name, expr: e, rng: rng})
	}
	return diags
}

func (op *aggregateOp) byNames() string {
	names := make([]string, len(op.by))
	for i, b := range op.by {
		names[i] = quote(b.name)
	}
	return "[" + strings.Join(names, ",") + "]"
}

func (op *aggregateOp) Params() []Param { return op.params }

// comparable reports whether values of dt can be ordered (order_by, min,
// max, sort).
func comparableType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.LARGE_STRING, arrow.NULL:
		return true
	}
	return false
}

func (op *aggregateOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	var diags hcl.Diagnostics
	op.byProgs, op.ordProgs, op.schema = nil, nil, nil
	var fields []arrow.Field
	seen := map[string]bool{}
	addField := func(name string, dt arrow.DataType, rng hcl.Range) {
		if seen[name] {
			diags = append(diags, diag("Duplicate output column", fmt.Sprintf("Two output columns would be named %q; rename one of them.", name), &rng))
		}
		seen[name] = true
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
	}
	for _, b := range op.by {
		p, d := expr.Compile(b.expr, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if err := expr.CheckGroupKeyType(p.Type()); err != nil {
			diags = append(diags, diag("Invalid group key", fmt.Sprintf("%s: %v; group by a column or expression of another type.", b.name, err), &b.rng))
		} else if op.sorted && !comparableType(p.Type()) {
			diags = append(diags, diag("Unsortable group key", fmt.Sprintf("sort = true orders groups by their keys, but %s is %s; sort orders numbers, strings and bools. Drop sort or group by a comparable value.", b.name, p.Type()), &b.rng))
		}
		op.byProgs = append(op.byProgs, p)
		addField(b.name, p.Type(), b.rng)
	}
	for _, k := range op.order {
		p, d := expr.Compile(k.expr, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if !comparableType(p.Type()) {
			r := k.expr.Range()
			diags = append(diags, diag("Invalid order_by key", fmt.Sprintf("order_by needs numbers, strings or bools, but this key is %s.", p.Type()), &r))
		}
		op.ordProgs = append(op.ordProgs, p)
	}
	for i := range op.aggs {
		s := &op.aggs[i]
		s.prog, s.out = nil, nil
		if s.arg == nil {
			s.out = arrow.PrimitiveTypes.Int64
			addField(s.name, s.out, s.rng)
			continue
		}
		p, d := expr.Compile(s.arg, in, op.vars)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		s.prog = p
		dt := p.Type()
		bad := func(want string) {
			r := s.arg.Range()
			diags = append(diags, diag("Invalid aggregation argument", fmt.Sprintf("%s of %s: %s needs %s, but the argument is %s.", s.name, s.fn, s.fn, want, dt), &r))
		}
		switch s.fn {
		case "count":
			s.out = arrow.PrimitiveTypes.Int64
		case "count_distinct":
			s.out = arrow.PrimitiveTypes.Int64
			if err := expr.CheckGroupKeyType(dt); err != nil {
				bad("values with a group key")
			}
		case "sum":
			switch kindOfNum(dt) {
			case 'i':
				s.out = arrow.PrimitiveTypes.Int64
			case 'f':
				s.out = arrow.PrimitiveTypes.Float64
			default:
				bad("numbers")
			}
		case "mean":
			s.out = arrow.PrimitiveTypes.Float64
			if kindOfNum(dt) == 0 {
				bad("numbers")
			}
		case "min", "max":
			s.out = normOrd(dt)
			if !comparableType(dt) || dt.ID() == arrow.NULL {
				bad("numbers, strings or bools")
			}
		case "first", "last":
			s.out = dt
		case "key":
			s.out = dt
			keyCols := map[string]bool{}
			for _, b := range op.by {
				if tr, ok := b.expr.(*hclsyntax.ScopeTraversalExpr); ok && len(tr.Traversal) == 1 {
					keyCols[tr.Traversal.RootName()] = true
				}
			}
			for _, c := range p.Columns() {
				if !keyCols[c] {
					r := s.arg.Range()
					diags = append(diags, diag("Column outside the group key", fmt.Sprintf("%s reads column %q, which is not a `by` column, so it may differ between a group's rows; aggregate it, e.g. first(%s), list(%s) or count_distinct(%s).", s.name, c, c, c, c), &r))
					s.out = nil
					break
				}
			}
		case "list":
			s.out = arrow.ListOf(dt)
		case "any", "all":
			s.out = arrow.FixedWidthTypes.Boolean
			if dt.ID() != arrow.BOOL {
				bad("a bool")
			}
		}
		if s.out != nil {
			addField(s.name, s.out, s.rng)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	op.schema = arrow.NewSchema(fields, nil)
	return op.schema, diags
}

func kindOfNum(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return 'i'
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return 'f'
	}
	return 0
}

// normOrd is the output type of min/max: int64, float64, string or bool.
func normOrd(dt arrow.DataType) arrow.DataType {
	switch kindOfNum(dt) {
	case 'i':
		return arrow.PrimitiveTypes.Int64
	case 'f':
		return arrow.PrimitiveTypes.Float64
	}
	if dt.ID() == arrow.BOOL {
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

func (op *aggregateOp) Run(ctx context.Context, rc *RunContext) error {
	if plan := op.flatPlan(); plan != nil {
		return op.runFlat(ctx, rc, plan)
	}
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	// The reader stays open until every retained value has been copied out
	// (finish), as a mapped input's memory lives as long as the reader.
	defer rd.Release()
	st := newAggState(op, rc.Mem)
	defer st.release()
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		if err := st.add(ctx, rec, row); err != nil {
			return inputRow(err, row)
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return err
	}
	out, err := st.finish(ctx)
	if err != nil {
		return err
	}
	defer out.Release()
	return emitSlices(ctx, rc, out)
}

// emitSlices emits out in batches of rc.BatchSize rows.
func emitSlices(ctx context.Context, rc *RunContext, out arrow.RecordBatch) error {
	size := int64(max(rc.BatchSize, 1))
	for i := int64(0); i < out.NumRows(); i += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := out.NewSlice(i, min(i+size, out.NumRows()))
		err := rc.Emit(part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- state ----

// ordVals holds values of one comparable column, either a batch's (one per
// row) or the groups' (one per group).
type ordVals struct {
	kind  byte // 'i', 'u', 'f', 's', 'b', 'n' (null type)
	i     []int64
	u     []uint64
	f     []float64
	s     []string
	valid []bool
}

func ordKind(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.UINT64:
		return 'u'
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return 'f'
	case arrow.STRING, arrow.LARGE_STRING:
		return 's'
	case arrow.BOOL:
		return 'b'
	case arrow.NULL:
		return 'n'
	}
	return 'i'
}

// readOrd reads a comparable array into Go values.
func readOrd(a arrow.Array) *ordVals {
	n := a.Len()
	v := &ordVals{kind: ordKind(a.DataType()), valid: make([]bool, n)}
	for i := range v.valid {
		v.valid[i] = a.IsValid(i)
	}
	switch v.kind {
	case 'i', 'b':
		v.i = make([]int64, n)
	case 'u':
		v.u = make([]uint64, n)
	case 'f':
		v.f = make([]float64, n)
	case 's':
		v.s = make([]string, n)
	}
	// The common wide types copy in one go; invalid slots are then zeroed
	// as the loop below leaves them.
	copied := true
	switch a := a.(type) {
	case *array.Int64:
		copy(v.i, a.Int64Values())
	case *array.Float64:
		copy(v.f, a.Float64Values())
	case *array.Int32:
		for i, x := range a.Int32Values() {
			v.i[i] = int64(x)
		}
	default:
		copied = false
	}
	if copied {
		if a.NullN() > 0 {
			for i, ok := range v.valid {
				if !ok {
					switch v.kind {
					case 'f':
						v.f[i] = 0
					default:
						v.i[i] = 0
					}
				}
			}
		}
		return v
	}
	for i := 0; i < n; i++ {
		if !v.valid[i] {
			continue
		}
		switch a := a.(type) {
		case *array.Int8:
			v.i[i] = int64(a.Value(i))
		case *array.Int16:
			v.i[i] = int64(a.Value(i))
		case *array.Int32:
			v.i[i] = int64(a.Value(i))
		case *array.Int64:
			v.i[i] = a.Value(i)
		case *array.Uint8:
			v.i[i] = int64(a.Value(i))
		case *array.Uint16:
			v.i[i] = int64(a.Value(i))
		case *array.Uint32:
			v.i[i] = int64(a.Value(i))
		case *array.Uint64:
			v.u[i] = a.Value(i)
		case *array.Float16:
			v.f[i] = float64(a.Value(i).Float32())
		case *array.Float32:
			v.f[i] = float64(a.Value(i))
		case *array.Float64:
			v.f[i] = a.Value(i)
		case *array.String:
			v.s[i] = a.Value(i)
		case *array.LargeString:
			v.s[i] = a.Value(i)
		case *array.Boolean:
			if a.Value(i) {
				v.i[i] = 1
			}
		}
	}
	return v
}

// cmpVal compares value i of a with value j of b (same kind): nulls after
// every value, NaN after every number.
func cmpVal(a *ordVals, i int, b *ordVals, j int) int {
	av, bv := a.valid[i], b.valid[j]
	switch {
	case !av && !bv:
		return 0
	case !av:
		return 1
	case !bv:
		return -1
	}
	switch a.kind {
	case 'i', 'b':
		return cmp3(a.i[i], b.i[j])
	case 'u':
		return cmp3(a.u[i], b.u[j])
	case 'f':
		x, y := a.f[i], b.f[j]
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		}
		return cmp3(x, y)
	case 's':
		return strings.Compare(a.s[i], b.s[j])
	}
	return 0
}

func cmp3[T int64 | uint64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// push appends value i of b.
func (v *ordVals) push(b *ordVals, i int) {
	v.valid = append(v.valid, b.valid[i])
	switch v.kind {
	case 'i', 'b':
		v.i = append(v.i, b.i[i])
	case 'u':
		v.u = append(v.u, b.u[i])
	case 'f':
		v.f = append(v.f, b.f[i])
	case 's':
		v.s = append(v.s, b.s[i])
	}
}

// pushZero appends an invalid zero value (a group with no value yet).
func (v *ordVals) pushZero() {
	v.valid = append(v.valid, false)
	switch v.kind {
	case 'i', 'b':
		v.i = append(v.i, 0)
	case 'u':
		v.u = append(v.u, 0)
	case 'f':
		v.f = append(v.f, 0)
	case 's':
		v.s = append(v.s, "")
	}
}

// set overwrites value g with value i of b.
func (v *ordVals) set(g int, b *ordVals, i int) {
	v.valid[g] = b.valid[i]
	switch v.kind {
	case 'i', 'b':
		v.i[g] = b.i[i]
	case 'u':
		v.u[g] = b.u[i]
	case 'f':
		v.f[g] = b.f[i]
	case 's':
		v.s[g] = b.s[i]
	}
}

// orderRow is one row's position under order_by: its keys, then its input
// position.
type orderCmp struct {
	desc []bool
}

func (oc orderCmp) cmp(a []*ordVals, i int, ai int64, b []*ordVals, j int, bj int64) int {
	for k := range a {
		c := cmpVal(a[k], i, b[k], j)
		if c != 0 {
			if oc.desc[k] && a[k].valid[i] && b[k].valid[j] {
				c = -c
			}
			return c
		}
	}
	return cmp3(ai, bj)
}

// picker keeps one value per group out of retained batch arrays, copying
// the picked values into one compact array whenever the retained rows
// outgrow the groups, so memory stays proportional to the groups.
type picker struct {
	mem    memory.Allocator
	dt     arrow.DataType
	chunks []arrow.Array
	starts []int64
	rows   int64
	ref    []int64 // per group: global row in chunks, -1 for none
	slack  int64
}

func (p *picker) grow(groups int) {
	for len(p.ref) < groups {
		p.ref = append(p.ref, -1)
	}
}

// hold retains a batch's values and returns the global row of its row 0.
func (p *picker) hold(a arrow.Array) int64 {
	a.Retain()
	p.chunks = append(p.chunks, a)
	p.starts = append(p.starts, p.rows)
	base := p.rows
	p.rows += int64(a.Len())
	return base
}

func (p *picker) maybeCompact(ctx context.Context) error {
	if p.rows <= 2*int64(len(p.ref))+p.slack {
		return nil
	}
	return p.compact(ctx, false)
}

// compact copies the picked values into one array; with final, one value
// per group (null where none) in group order.
func (p *picker) compact(ctx context.Context, final bool) error {
	idx := make([]int32, 0, len(p.ref))
	var all arrow.Array
	if len(p.chunks) == 0 {
		if final {
			p.chunks, p.starts = []arrow.Array{array.MakeArrayOfNull(p.mem, p.dt, len(p.ref))}, []int64{0}
			p.rows = int64(len(p.ref))
		}
		return nil
	} else {
		if p.rows > math.MaxInt32 {
			return fmt.Errorf("aggregate: more than 2^31 values held at once")
		}
		var err error
		if all, err = array.Concatenate(p.chunks, p.mem); err != nil {
			return err
		}
	}
	defer all.Release()
	ib := array.NewInt32Builder(p.mem)
	defer ib.Release()
	for g, r := range p.ref {
		switch {
		case r >= 0:
			ib.Append(int32(r))
			p.ref[g] = int64(len(idx))
			idx = append(idx, int32(r))
		case final:
			ib.AppendNull()
			idx = append(idx, -1)
		}
	}
	ia := ib.NewArray()
	defer ia.Release()
	taken, err := compute.TakeArray(compute.WithAllocator(ctx, p.mem), all, ia)
	if err != nil {
		return err
	}
	for _, c := range p.chunks {
		c.Release()
	}
	p.chunks, p.starts, p.rows = []arrow.Array{taken}, []int64{0}, int64(taken.Len())
	return nil
}

func (p *picker) release() {
	for _, c := range p.chunks {
		c.Release()
	}
	p.chunks = nil
}

// aggAcc is one aggregation's per-group state.
type aggAcc struct {
	spec *aggSpec
	ints []int64   // count, count_distinct, sum (int), mean's count
	flts []float64 // sum (float), mean
	isum []int64   // sum (int)
	has  []bool    // sum/min/max/any/all: a non-null value was seen
	ord  *ordVals  // min/max: the value; any/all: as bool in ord.i
	pick *picker   // first/last
	best []*ordVals
	seq  []int64 // first/last: the picked row's input position
	dist map[string]struct{}
	// list: every value with its group, position and order keys
	vals   []arrow.Array
	rowG   []int32
	rowSeq []int64
	rowOrd []*ordVals
}

type aggState struct {
	op     *aggregateOp
	mem    memory.Allocator
	groups map[string]int32
	// One integer key (the common case: ids) groups by value directly;
	// equal integers have equal group keys, so the groups are the same.
	intKey    bool
	intGroups *intTable
	nullGroup int32
	n         int
	byPick    []*picker
	accs      []*aggAcc
	oc        orderCmp
}

func newAggState(op *aggregateOp, mem memory.Allocator) *aggState {
	st := &aggState{op: op, mem: mem, groups: map[string]int32{}, intGroups: newIntTable(0), nullGroup: -1}
	if len(op.byProgs) == 1 {
		switch op.byProgs[0].Type().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
			st.intKey = true
		}
	}
	for _, p := range op.byProgs {
		st.byPick = append(st.byPick, &picker{mem: mem, dt: p.Type(), slack: op.slack})
	}
	for _, k := range op.order {
		st.oc.desc = append(st.oc.desc, k.desc)
	}
	for i := range op.aggs {
		s := &op.aggs[i]
		a := &aggAcc{spec: s}
		switch s.fn {
		case "first", "last", "key":
			a.pick = &picker{mem: mem, dt: s.out, slack: op.slack}
		case "min", "max":
			a.ord = &ordVals{kind: ordKind(s.prog.Type())}
		case "count_distinct":
			a.dist = map[string]struct{}{}
		}
		st.accs = append(st.accs, a)
	}
	if len(op.byProgs) == 0 {
		st.newGroup()
	}
	return st
}

func (st *aggState) newGroup() int32 {
	g := int32(st.n)
	st.n++
	for _, a := range st.accs {
		a.ints = append(a.ints, 0)
		a.flts = append(a.flts, 0)
		a.isum = append(a.isum, 0)
		a.has = append(a.has, false)
		a.seq = append(a.seq, -1)
		if a.ord != nil {
			a.ord.pushZero()
		}
		if a.pick != nil {
			a.pick.grow(st.n)
		}
	}
	for _, p := range st.byPick {
		p.grow(st.n)
	}
	return g
}

func (st *aggState) release() {
	for _, p := range st.byPick {
		p.release()
	}
	for _, a := range st.accs {
		if a.pick != nil {
			a.pick.release()
		}
		for _, v := range a.vals {
			v.Release()
		}
		a.vals = nil
	}
}

func releaseArrs(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

func (st *aggState) add(ctx context.Context, rec arrow.RecordBatch, first int64) error {
	op := st.op
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	gids := make([]int32, n)
	if len(op.byProgs) > 0 {
		keys := make([]arrow.Array, len(op.byProgs))
		defer releaseArrs(keys)
		for i, p := range op.byProgs {
			a, err := p.EvalAt(ctx, st.mem, rec, first)
			if err != nil {
				return fmt.Errorf("by %s: %w", op.by[i].name, err)
			}
			keys[i] = a
		}
		bases := make([]int64, len(keys))
		held := false
		group := func(i int, g int32, ok bool) int32 {
			if !ok {
				g = st.newGroup()
				if !held {
					for j, p := range st.byPick {
						bases[j] = p.hold(keys[j])
					}
					held = true
				}
				for j, p := range st.byPick {
					p.ref[g] = bases[j] + int64(i)
				}
			}
			return g
		}
		if st.intKey {
			k := keys[0]
			ints, _ := signedInts(k)
			for i := range gids {
				var g int32
				var ok bool
				if k.IsNull(i) {
					g, ok = st.nullGroup, st.nullGroup >= 0
					g = group(i, g, ok)
					st.nullGroup = g
				} else {
					var v int64
					if ints != nil {
						v = ints[i]
					} else {
						v = intAt(k, i)
					}
					slot := st.intGroups.slot(v)
					g = st.intGroups.rows[slot]
					if g < 0 {
						g = group(i, g, false)
						st.intGroups.put(v, g)
					}
				}
				gids[i] = g
			}
		} else {
			ks, err := expr.GroupKeys(keys...)
			if err != nil {
				return err
			}
			for i, k := range ks {
				g, ok := st.groups[k]
				if !ok {
					g = group(i, g, ok)
					st.groups[k] = g
				}
				gids[i] = g
			}
		}
		for _, p := range st.byPick {
			if err := p.maybeCompact(ctx); err != nil {
				return err
			}
		}
	}
	var ord []*ordVals
	for _, p := range op.ordProgs {
		a, err := p.EvalAt(ctx, st.mem, rec, first)
		if err != nil {
			return fmt.Errorf("order_by: %w", err)
		}
		ord = append(ord, readOrd(a))
		a.Release()
	}
	for _, a := range st.accs {
		if err := st.addAgg(ctx, a, rec, first, gids, ord); err != nil {
			return fmt.Errorf("%s: %w", a.spec.name, err)
		}
	}
	return nil
}

func (st *aggState) addAgg(ctx context.Context, a *aggAcc, rec arrow.RecordBatch, first int64, gids []int32, ord []*ordVals) error {
	s := a.spec
	if s.prog == nil { // count()
		for _, g := range gids {
			a.ints[g]++
		}
		return nil
	}
	v, err := s.prog.EvalAt(ctx, st.mem, rec, first)
	if err != nil {
		return err
	}
	defer v.Release()
	switch s.fn {
	case "count":
		for i, g := range gids {
			if v.IsValid(i) {
				a.ints[g]++
			}
		}
	case "count_distinct":
		ks, err := expr.GroupKeys(v)
		if err != nil {
			return err
		}
		var buf []byte
		for i, g := range gids {
			if !v.IsValid(i) {
				continue
			}
			buf = append(buf[:0], byte(g>>24), byte(g>>16), byte(g>>8), byte(g))
			buf = append(buf, ks[i]...)
			if _, ok := a.dist[string(buf)]; !ok {
				a.dist[string(buf)] = struct{}{}
				a.ints[g]++
			}
		}
	case "sum", "mean":
		vals := readOrd(v)
		for i, g := range gids {
			if !vals.valid[i] {
				continue
			}
			a.has[g] = true
			a.ints[g]++ // mean's count
			switch {
			case s.fn == "sum" && s.out.ID() == arrow.INT64:
				x := vals.i[i]
				if vals.kind == 'u' {
					if vals.u[i] > math.MaxInt64 {
						return fmt.Errorf("sum overflows int64 at input row %d", first+int64(i))
					}
					x = int64(vals.u[i])
				}
				sum, over := addInt64(a.isum[g], x)
				if over {
					return fmt.Errorf("sum overflows int64 at input row %d", first+int64(i))
				}
				a.isum[g] = sum
			default:
				switch vals.kind {
				case 'f':
					a.flts[g] += vals.f[i]
				case 'u':
					a.flts[g] += float64(vals.u[i])
				default:
					a.flts[g] += float64(vals.i[i])
				}
			}
		}
	case "min", "max":
		vals := readOrd(v)
		for i, g := range gids {
			if !vals.valid[i] {
				continue
			}
			c := 0
			if a.has[g] {
				c = cmpVal(vals, i, a.ord, int(g))
			}
			if !a.has[g] || (s.fn == "min" && c < 0) || (s.fn == "max" && c > 0) {
				a.ord.set(int(g), vals, i)
				a.has[g] = true
			}
		}
	case "any", "all":
		b := v.(*array.Boolean)
		for i, g := range gids {
			if !b.IsValid(i) {
				continue
			}
			if !a.has[g] {
				a.has[g] = true
				a.ints[g] = map[bool]int64{true: 0, false: 1}[s.fn == "any"]
			}
			if b.Value(i) == (s.fn == "any") {
				a.ints[g] = map[bool]int64{true: 1, false: 0}[s.fn == "any"]
			}
		}
	case "first", "last", "key":
		if s.fn == "key" {
			ord = nil // any row of the group has the value
		}
		base := a.pick.hold(v)
		if a.best == nil && len(ord) > 0 {
			for _, o := range ord {
				a.best = append(a.best, &ordVals{kind: o.kind})
			}
		}
		for _, b := range a.best {
			for len(b.valid) < st.n {
				b.push(&ordVals{kind: b.kind, i: []int64{0}, u: []uint64{0}, f: []float64{0}, s: []string{""}, valid: []bool{false}}, 0)
			}
		}
		for i, g := range gids {
			pos := first + int64(i)
			take := a.seq[g] < 0
			if !take {
				c := st.oc.cmp(ord, i, pos, a.best, int(g), a.seq[g])
				take = (s.fn != "last" && c < 0) || (s.fn == "last" && c > 0)
			}
			if take {
				a.seq[g] = pos
				a.pick.ref[g] = base + int64(i)
				for k, b := range a.best {
					b.set(int(g), ord[k], i)
				}
			}
		}
		return a.pick.maybeCompact(ctx)
	case "list":
		v.Retain()
		a.vals = append(a.vals, v)
		for i, g := range gids {
			a.rowG = append(a.rowG, g)
			a.rowSeq = append(a.rowSeq, first+int64(i))
		}
		if len(ord) > 0 {
			if a.rowOrd == nil {
				for _, o := range ord {
					a.rowOrd = append(a.rowOrd, &ordVals{kind: o.kind})
				}
			}
			for k, o := range ord {
				for i := range gids {
					a.rowOrd[k].push(o, i)
				}
			}
		}
	}
	return nil
}

// intAt reads value i of a signed or narrow unsigned integer array.
func intAt(a arrow.Array, i int) int64 {
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint8:
		return int64(a.Value(i))
	}
	panic("aggregate: intAt of " + a.DataType().String())
}

func addInt64(x, y int64) (int64, bool) {
	s, _ := bits.Add64(uint64(x), uint64(y), 0)
	r := int64(s)
	return r, (x >= 0) == (y >= 0) && (r >= 0) != (x >= 0)
}

// finish builds the output: one row per group.
func (st *aggState) finish(ctx context.Context) (arrow.RecordBatch, error) {
	op := st.op
	cols := make([]arrow.Array, 0, len(op.schema.Fields()))
	defer func() { releaseArrs(cols) }()
	for _, p := range st.byPick {
		if err := p.compact(ctx, true); err != nil {
			return nil, err
		}
		p.chunks[0].Retain()
		cols = append(cols, p.chunks[0])
	}
	for _, a := range st.accs {
		c, err := st.finishAgg(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.spec.name, err)
		}
		cols = append(cols, c)
	}
	n := int64(st.n)
	rec := array.NewRecordBatch(op.schema, cols, n)
	if !op.sorted || len(cols) == 0 || len(st.byPick) == 0 {
		return rec, nil
	}
	defer rec.Release()
	keys := make([]*ordVals, len(st.byPick))
	for i := range st.byPick {
		keys[i] = readOrd(cols[i])
	}
	perm := make([]int, st.n)
	for i := range perm {
		perm[i] = i
	}
	// Ascending, nulls first, ties impossible (the keys are distinct groups
	// unless only NaN/-0 variants differ, then first appearance).
	sort.SliceStable(perm, func(x, y int) bool {
		for _, k := range keys {
			i, j := perm[x], perm[y]
			vi, vj := k.valid[i], k.valid[j]
			if vi != vj {
				return !vi
			}
			if c := cmpVal(k, i, k, j); c != 0 {
				return c < 0
			}
		}
		return false
	})
	ib := array.NewInt32Builder(st.mem)
	defer ib.Release()
	for _, p := range perm {
		ib.Append(int32(p))
	}
	ia := ib.NewArray()
	defer ia.Release()
	sorted := make([]arrow.Array, len(cols))
	defer func() { releaseArrs(sorted) }()
	for i, c := range cols {
		t, err := compute.TakeArray(compute.WithAllocator(ctx, st.mem), c, ia)
		if err != nil {
			return nil, err
		}
		sorted[i] = t
	}
	return array.NewRecordBatch(op.schema, sorted, n), nil
}

func (st *aggState) finishAgg(ctx context.Context, a *aggAcc) (arrow.Array, error) {
	s := a.spec
	n := st.n
	switch s.fn {
	case "count", "count_distinct":
		b := array.NewInt64Builder(st.mem)
		defer b.Release()
		b.AppendValues(a.ints[:n], nil)
		return b.NewArray(), nil
	case "sum", "mean":
		if s.out.ID() == arrow.INT64 {
			b := array.NewInt64Builder(st.mem)
			defer b.Release()
			for g := 0; g < n; g++ {
				if a.has[g] {
					b.Append(a.isum[g])
				} else {
					b.AppendNull()
				}
			}
			return b.NewArray(), nil
		}
		b := array.NewFloat64Builder(st.mem)
		defer b.Release()
		for g := 0; g < n; g++ {
			switch {
			case !a.has[g]:
				b.AppendNull()
			case s.fn == "mean":
				b.Append(a.flts[g] / float64(a.ints[g]))
			default:
				b.Append(a.flts[g])
			}
		}
		return b.NewArray(), nil
	case "any", "all":
		b := array.NewBooleanBuilder(st.mem)
		defer b.Release()
		for g := 0; g < n; g++ {
			if a.has[g] {
				b.Append(a.ints[g] == 1)
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), nil
	case "min", "max":
		b := array.NewBuilder(st.mem, s.out)
		defer b.Release()
		for g := 0; g < n; g++ {
			if !a.has[g] {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(a.ord.i[g])
			case *array.Float64Builder:
				b.Append(a.ord.f[g])
			case *array.StringBuilder:
				b.Append(a.ord.s[g])
			case *array.BooleanBuilder:
				b.Append(a.ord.i[g] == 1)
			}
		}
		return b.NewArray(), nil
	case "first", "last", "key":
		if err := a.pick.compact(ctx, true); err != nil {
			return nil, err
		}
		c := a.pick.chunks[0]
		c.Retain()
		return c, nil
	case "list":
		return st.finishList(ctx, a)
	}
	return nil, fmt.Errorf("aggregate: unknown function %s", s.fn)
}

// finishList gathers each group's values in order_by order (or input
// order) into a list column.
func (st *aggState) finishList(ctx context.Context, a *aggAcc) (arrow.Array, error) {
	n := st.n
	elem := a.spec.prog.Type()
	rows := len(a.rowG)
	if rows > math.MaxInt32 {
		return nil, fmt.Errorf("list holds more than 2^31 values")
	}
	// Counting sort by group keeps input order within each group.
	offs := make([]int32, n+1)
	for _, g := range a.rowG {
		offs[g+1]++
	}
	for g := 0; g < n; g++ {
		offs[g+1] += offs[g]
	}
	idx := make([]int32, rows)
	next := append([]int32(nil), offs[:n]...)
	for r, g := range a.rowG {
		idx[next[g]] = int32(r)
		next[g]++
	}
	if a.rowOrd != nil {
		for g := 0; g < n; g++ {
			part := idx[offs[g]:offs[g+1]]
			sort.SliceStable(part, func(x, y int) bool {
				i, j := int(part[x]), int(part[y])
				return st.oc.cmp(a.rowOrd, i, a.rowSeq[i], a.rowOrd, j, a.rowSeq[j]) < 0
			})
		}
	}
	var all arrow.Array
	if len(a.vals) == 0 {
		all = array.MakeArrayOfNull(st.mem, elem, 0)
	} else {
		var err error
		if all, err = array.Concatenate(a.vals, st.mem); err != nil {
			return nil, err
		}
	}
	defer all.Release()
	ib := array.NewInt32Builder(st.mem)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	ia := ib.NewArray()
	defer ia.Release()
	values, err := compute.TakeArray(compute.WithAllocator(ctx, st.mem), all, ia)
	if err != nil {
		return nil, err
	}
	defer values.Release()
	ob := memory.NewResizableBuffer(st.mem)
	ob.Resize(4 * (n + 1))
	copy(arrow.Int32Traits.CastFromBytes(ob.Bytes()), offs)
	defer ob.Release()
	d := array.NewData(arrow.ListOf(elem), n, []*memory.Buffer{nil, ob}, []arrow.ArrayData{values.Data()}, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}
