package expr

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/suggest"
)

// Functions lists the functions row expressions may call.
var Functions = []string{"cast", "coalesce", "concat", "contains", "endswith", "hash", "in", "is_null", "join", "len", "length", "lower", "regex_match", "regex_replace", "replace", "row_number", "sha256", "slice", "split", "startswith", "substr", "tonumber", "tostring", "trimspace", "upper"}

// Compile type-checks e against schema and returns a program that
// evaluates it batch by batch. vars are the recipe variables (the
// attributes of `var`); nil means none. Every problem is reported, each as
// a diagnostic whose Subject is the offending sub-expression.
func Compile(e hcl.Expression, schema *arrow.Schema, vars map[string]cty.Value) (*Program, hcl.Diagnostics) {
	return CompileWithOptions(e, schema, vars, CompileOptions{})
}

// CompileWithOptions is Compile with options.
func CompileWithOptions(e hcl.Expression, schema *arrow.Schema, vars map[string]cty.Value, opts CompileOptions) (*Program, hcl.Diagnostics) {
	c := &compiler{schema: schema, vars: vars, colSlot: map[string]int{}}
	se, ok := e.(hclsyntax.Expression)
	if !ok {
		r := e.Range()
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported expression syntax",
			Detail: "Row expressions must be written in native HCL syntax.", Subject: &r}}
	}
	x := c.expr(se)
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	// Columns are numbered by first use while compiling; renumber them in
	// sorted order so Columns() and evaluation do not depend on the order
	// names appear in the expression.
	names := append([]string(nil), c.colNames...)
	sort.Strings(names)
	remap := make([]int, len(names))
	p := &Program{root: x.n, dt: x.dt, cols: names, colDTs: make([]arrow.DataType, len(names)), strict: opts.Strict}
	for i, name := range names {
		remap[c.colSlot[name]] = i
		p.colDTs[i] = c.colDTs[c.colSlot[name]]
	}
	for _, cn := range c.colNodes {
		cn.slot = remap[cn.slot]
	}
	return p, c.diags
}

type compiler struct {
	schema   *arrow.Schema
	vars     map[string]cty.Value
	colNames []string
	colDTs   []arrow.DataType
	colSlot  map[string]int
	colNodes []*colNode
	scopes   []scope
	diags    hcl.Diagnostics
}

type scope struct {
	depth int
	names map[string]localVar
}

type localVar struct {
	slot int
	dt   arrow.DataType
}

// cexpr is a compiled sub-expression with its static type.
type cexpr struct {
	n     node
	dt    arrow.DataType
	k     kind
	c     *konst // non-nil when the value is known at compile time
	rng   hcl.Range
	src   source // the sub-expression as written (normalized), for messages
	isCol bool   // a column or struct-field reference
	bad   bool   // already reported; suppresses follow-on errors
}

func (c *compiler) errorf(rng hcl.Range, ctx *hcl.Range, summary, format string, args ...any) cexpr {
	r := rng
	c.diags = append(c.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r, Context: ctx})
	return cexpr{bad: true, k: kOther, dt: arrow.Null, rng: rng}
}

func (c *compiler) depth() int {
	if len(c.scopes) == 0 {
		return 0
	}
	return c.scopes[len(c.scopes)-1].depth
}

func constExpr(k konst, rng hcl.Range, src source) cexpr {
	dt := normType(k.k)
	if k.k == kNull {
		dt = arrow.Null
	}
	kk := k
	return cexpr{n: &constNode{c: kk, dt: dt}, dt: dt, k: k.k, c: &kk, rng: rng, src: src}
}

func nullOf(dt arrow.DataType, rng hcl.Range, src source) cexpr {
	k := konst{k: kindOf(dt), null: true}
	return cexpr{n: &constNode{c: k, dt: dt}, dt: dt, k: kindOf(dt), c: &k, rng: rng, src: src}
}

// konstOf converts a cty primitive to its Go form.
func konstOf(v cty.Value) (konst, bool) {
	if !v.IsKnown() {
		return konst{}, false
	}
	if v.IsNull() {
		return konst{k: kNull, null: true}, true
	}
	switch v.Type() {
	case cty.Bool:
		return konst{k: kBool, b: v.True()}, true
	case cty.String:
		return konst{k: kString, s: v.AsString()}, true
	case cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact {
				return konst{k: kInt, i: i}, true
			}
		}
		f, _ := bf.Float64()
		if math.IsInf(f, 0) {
			return konst{}, false
		}
		return konst{k: kFloat, f: f}, true
	}
	return konst{}, false
}

func (c *compiler) expr(e hclsyntax.Expression) cexpr {
	rng := e.Range()
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		x := c.expr(e.Expression)
		x.rng = rng
		return x
	case *hclsyntax.LiteralValueExpr:
		k, ok := konstOf(e.Val)
		if !ok {
			return c.errorf(rng, nil, "Unsupported literal", "Only numbers, strings, bools and null are supported as literals.")
		}
		return constExpr(k, rng, srcOf(e))
	case *hclsyntax.TemplateExpr:
		return c.template(e)
	case *hclsyntax.TemplateWrapExpr:
		x := c.expr(e.Wrapped)
		x.rng = rng
		return x
	case *hclsyntax.ScopeTraversalExpr:
		return c.traversal(e)
	case *hclsyntax.RelativeTraversalExpr:
		x := c.expr(e.Source)
		for _, st := range e.Traversal {
			if x.bad {
				return x
			}
			x = c.step(x, st, hcl.RangeBetween(rng, st.SourceRange()))
		}
		x.rng = rng
		return x
	case *hclsyntax.IndexExpr:
		x := c.expr(e.Collection)
		key := c.expr(e.Key)
		if x.bad || key.bad {
			return cexpr{bad: true}
		}
		if key.c == nil || key.c.null {
			return c.errorf(e.Key.Range(), &rng, "Non-constant index", "An index must be a constant string (struct field) or integer (list element); %s is not.", key.src)
		}
		var tr hcl.Traverser
		switch key.k {
		case kString:
			tr = hcl.TraverseIndex{Key: cty.StringVal(key.c.s), SrcRange: e.Key.Range()}
		case kInt:
			tr = hcl.TraverseIndex{Key: cty.NumberIntVal(key.c.i), SrcRange: e.Key.Range()}
		default:
			return c.errorf(e.Key.Range(), &rng, "Invalid index", "An index must be a string or an integer; %s is a %s.", key.src, key.k)
		}
		out := c.step(x, tr, rng)
		out.rng = rng
		return out
	case *hclsyntax.BinaryOpExpr:
		return c.binary(e)
	case *hclsyntax.UnaryOpExpr:
		return c.unary(e)
	case *hclsyntax.ConditionalExpr:
		return c.conditional(e)
	case *hclsyntax.FunctionCallExpr:
		return c.call(e)
	case *hclsyntax.ObjectConsExpr:
		return c.object(e)
	case *hclsyntax.TupleConsExpr:
		return c.tuple(e)
	case *hclsyntax.ForExpr:
		return c.forExpr(e)
	}
	return c.errorf(rng, nil, "Unsupported expression", "This kind of expression is not supported in row expressions: literals, column references, operators, conditionals, function calls, object and tuple constructors and for expressions over list columns are.")
}

// fold evaluates an expression whose inputs are all constants once, at
// compile time, so kernels see it as a scalar.
func (c *compiler) fold(x cexpr, inputs ...cexpr) cexpr {
	if x.bad || x.c != nil {
		return x
	}
	for _, in := range inputs {
		if in.c == nil {
			return x
		}
	}
	nt := normType(x.k)
	if nt == nil || !arrow.TypeEqual(nt, x.dt) {
		return x
	}
	e := &env{ctx: context.Background(), mem: memory.DefaultAllocator, n: 1}
	a, err := x.n.eval(e)
	if err != nil {
		return x
	}
	defer a.Release()
	k := konst{k: x.k}
	switch {
	case a.IsNull(0):
		k.null = true
	case x.k == kBool:
		k.b = a.(*array.Boolean).Value(0)
	case x.k == kInt:
		k.i = a.(*array.Int64).Value(0)
	case x.k == kFloat:
		k.f = a.(*array.Float64).Value(0)
	case x.k == kString:
		k.s = a.(*array.String).Value(0)
	}
	out := cexpr{n: &constNode{c: k, dt: x.dt}, dt: x.dt, k: x.k, c: &k, rng: x.rng, src: x.src}
	return out
}

// coerce converts x to type to (assumed compatible by the caller).
func coerce(x cexpr, to arrow.DataType) cexpr {
	if x.bad || arrow.TypeEqual(x.dt, to) {
		return x
	}
	if x.c != nil {
		k := *x.c
		tk := kindOf(to)
		switch {
		case k.null:
			k = konst{k: tk, null: true}
		case k.k == kInt && tk == kFloat:
			k = konst{k: kFloat, f: float64(k.i)}
		default:
			k.k = tk
		}
		out := x
		out.c = &k
		out.n = &constNode{c: k, dt: to}
		out.dt, out.k = to, kindOf(to)
		return out
	}
	out := x
	out.n = &convNode{src: x.n, to: to}
	out.dt, out.k = to, kindOf(to)
	return out
}

// norm converts a primitive value to its kind's physical type.
func norm(x cexpr) cexpr {
	if t := normType(x.k); t != nil {
		return coerce(x, t)
	}
	return x
}

func operandOf(x cexpr) operand {
	if x.c != nil {
		return operand{n: x.n, c: x.c}
	}
	return operand{n: x.n}
}

// isNullConst reports a value known to be null everywhere; strict
// operators return null for it without running a kernel.
func isNullConst(x cexpr) bool { return x.c != nil && x.c.null }

func isNum(k kind) bool { return k == kInt || k == kFloat }

// describe phrases what x is for a diagnostic.
func describe(x cexpr) string {
	what := x.k.String()
	if x.k == kOther {
		what = x.dt.String()
	}
	switch {
	case x.isCol:
		return fmt.Sprintf("%s is a %s column", x.src, what)
	case x.c != nil && x.k == kNull:
		return fmt.Sprintf("%s is null", x.src)
	case x.c != nil:
		return fmt.Sprintf("%s is a %s", x.src, what)
	}
	return fmt.Sprintf("%s is a %s value", x.src, what)
}

// numericType is the type two numeric operands unify to.
func numericType(a, b kind) (arrow.DataType, kind) {
	if a == kFloat || b == kFloat {
		return tFloat, kFloat
	}
	return tInt, kInt
}

var binOps = map[*hclsyntax.Operation]binOp{
	hclsyntax.OpAdd: opAdd, hclsyntax.OpSubtract: opSub, hclsyntax.OpMultiply: opMul,
	hclsyntax.OpDivide: opDiv, hclsyntax.OpModulo: opMod,
	hclsyntax.OpEqual: opEq, hclsyntax.OpNotEqual: opNe, hclsyntax.OpLessThan: opLt,
	hclsyntax.OpLessThanOrEqual: opLe, hclsyntax.OpGreaterThan: opGt, hclsyntax.OpGreaterThanOrEqual: opGe,
	hclsyntax.OpLogicalAnd: opAnd, hclsyntax.OpLogicalOr: opOr,
}

func (c *compiler) binary(e *hclsyntax.BinaryOpExpr) cexpr {
	rng := e.Range()
	op, ok := binOps[e.Op]
	if !ok {
		return c.errorf(rng, nil, "Unsupported operator", "This operator is not supported.")
	}
	l, r := c.expr(e.LHS), c.expr(e.RHS)
	if l.bad || r.bad {
		return cexpr{bad: true}
	}
	src := srcOf(e)
	switch {
	case op <= opMod:
		for _, x := range []cexpr{l, r} {
			if !isNum(x.k) && x.k != kNull {
				hint := ""
				if x.k == kString {
					hint = fmt.Sprintf("; convert with tonumber(%s)", x.src)
				}
				return c.errorf(x.rng, &rng, "Invalid operand", "%s needs numbers, but %s%s.", opSyms[op], describe(x), hint)
			}
		}
		dt, k := numericType(l.k, r.k)
		if op == opDiv {
			dt, k = tFloat, kFloat
		}
		if isNullConst(l) || isNullConst(r) {
			return nullOf(dt, rng, src)
		}
		l, r = coerce(l, dt), coerce(r, dt)
		x := cexpr{n: &arithNode{op: op, l: operandOf(l), r: operandOf(r), dt: dt}, dt: dt, k: k, rng: rng, src: src}
		return c.fold(x, l, r)
	case op <= opGe:
		if l.k == kNull || r.k == kNull {
			other := l
			if l.k == kNull {
				other = r
			}
			c.diags = append(c.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Comparison with null",
				Detail:  fmt.Sprintf("Under SQL null semantics %s is always null, so it is never true; to test for null use is_null(%s).", src, other.src),
				Subject: rng.Ptr()})
			return nullOf(tBool, rng, src)
		}
		var k kind
		switch {
		case isNum(l.k) && isNum(r.k):
			var dt arrow.DataType
			dt, k = numericType(l.k, r.k)
			l, r = coerce(l, dt), coerce(r, dt)
		case l.k == kString && r.k == kString:
			k = kString
			l, r = norm(l), norm(r)
		case l.k == kBool && r.k == kBool:
			if op != opEq && op != opNe {
				return c.errorf(rng, nil, "Invalid operand", "%s cannot order bools; only == and != compare them.", opSyms[op])
			}
			k = kBool
		case l.k == kString && isNum(r.k), isNum(l.k) && r.k == kString:
			bad, lhs, rhs := l, "tonumber("+l.src.String()+")", r.src.String()
			if r.k == kString {
				bad, lhs, rhs = r, l.src.String(), "tonumber("+r.src.String()+")"
			}
			return c.errorf(bad.rng, &rng, "Mismatched types", "%s and %s; convert with %s %s %s",
				describe(l), describe(r), lhs, opSyms[op], rhs)
		default:
			return c.errorf(rng, nil, "Mismatched types", "%s and %s; %s compares two numbers, two strings or two bools.", describe(l), describe(r), opSyms[op])
		}
		if isNullConst(l) || isNullConst(r) {
			return nullOf(tBool, rng, src)
		}
		x := cexpr{n: &cmpNode{op: op, l: operandOf(l), r: operandOf(r), k: k}, dt: tBool, k: kBool, rng: rng, src: src}
		return c.fold(x, l, r)
	default:
		for _, x := range []cexpr{l, r} {
			if x.k != kBool && x.k != kNull {
				return c.errorf(x.rng, &rng, "Invalid operand", "%s needs bools, but %s.", opSyms[op], describe(x))
			}
		}
		l, r = coerce(l, tBool), coerce(r, tBool)
		x := cexpr{n: &logicNode{op: op, l: l.n, r: r.n}, dt: tBool, k: kBool, rng: rng, src: src}
		return c.fold(x, l, r)
	}
}

func (c *compiler) unary(e *hclsyntax.UnaryOpExpr) cexpr {
	rng := e.Range()
	v := c.expr(e.Val)
	if v.bad {
		return v
	}
	src := srcOf(e)
	switch e.Op {
	case hclsyntax.OpLogicalNot:
		if v.k != kBool && v.k != kNull {
			return c.errorf(v.rng, &rng, "Invalid operand", "! needs a bool, but %s.", describe(v))
		}
		v = coerce(v, tBool)
		return c.fold(cexpr{n: &notNode{src: v.n}, dt: tBool, k: kBool, rng: rng, src: src}, v)
	case hclsyntax.OpNegate:
		if !isNum(v.k) && v.k != kNull {
			return c.errorf(v.rng, &rng, "Invalid operand", "unary - needs a number, but %s.", describe(v))
		}
		if v.k == kNull {
			return nullOf(tInt, rng, src)
		}
		v = norm(v)
		return c.fold(cexpr{n: &negNode{src: v.n, dt: v.dt}, dt: v.dt, k: v.k, rng: rng, src: src}, v)
	}
	return c.errorf(rng, nil, "Unsupported operator", "This operator is not supported.")
}

// unify finds the common type of values that may stand in one column.
func unify(xs ...cexpr) (arrow.DataType, bool) {
	var dt arrow.DataType = arrow.Null
	k := kNull
	for _, x := range xs {
		switch {
		case x.k == kNull:
		case k == kNull:
			dt, k = x.dt, x.k
			if t := normType(k); t != nil {
				dt = t
			}
		case isNum(k) && isNum(x.k):
			dt, k = numericType(k, x.k)
		case k == kString && x.k == kString, k == kBool && x.k == kBool:
		case arrow.TypeEqual(dt, x.dt):
		default:
			return nil, false
		}
	}
	return dt, true
}

func (c *compiler) conditional(e *hclsyntax.ConditionalExpr) cexpr {
	rng := e.Range()
	cond, a, b := c.expr(e.Condition), c.expr(e.TrueResult), c.expr(e.FalseResult)
	if cond.bad || a.bad || b.bad {
		return cexpr{bad: true}
	}
	src := srcOf(e)
	if cond.k != kBool && cond.k != kNull {
		return c.errorf(cond.rng, &rng, "Invalid condition", "The condition must be a bool, but %s.", describe(cond))
	}
	dt, ok := unify(a, b)
	if !ok {
		return c.errorf(rng, nil, "Mismatched result types", "Both results of a conditional must have one type, but %s and %s.", describe(a), describe(b))
	}
	a, b = coerce(a, dt), coerce(b, dt)
	if cond.c != nil {
		switch {
		case cond.c.null:
			return nullOf(dt, rng, src)
		case cond.c.b:
			a.rng, a.src = rng, src
			return a
		default:
			b.rng, b.src = rng, src
			return b
		}
	}
	cond = coerce(cond, tBool)
	return cexpr{n: &pickNode{cond: cond.n, args: []node{a.n, b.n}, dt: dt}, dt: dt, k: kindOf(dt), rng: rng, src: src}
}

func (c *compiler) template(e *hclsyntax.TemplateExpr) cexpr {
	rng := e.Range()
	src := srcOf(e)
	parts := make([]cexpr, 0, len(e.Parts))
	for _, p := range e.Parts {
		x := c.expr(p)
		if x.bad {
			return x
		}
		switch x.k {
		case kNull:
			return nullOf(tString, rng, src)
		case kString:
			x = norm(x)
		case kInt, kFloat, kBool:
			x = norm(x)
			x = c.fold(cexpr{n: &toStringNode{src: x.n, k: x.k}, dt: tString, k: kString, rng: x.rng, src: x.src}, x)
		default:
			return c.errorf(x.rng, &rng, "Invalid template part", "Only strings, numbers and bools can be interpolated, but %s.", describe(x))
		}
		parts = append(parts, x)
	}
	if len(parts) == 0 {
		return constExpr(konst{k: kString}, rng, src)
	}
	if len(parts) == 1 {
		parts[0].rng, parts[0].src, parts[0].isCol = rng, src, false
		return parts[0]
	}
	nodes := make([]node, len(parts))
	for i, p := range parts {
		nodes[i] = p.n
	}
	return c.fold(cexpr{n: &concatNode{parts: nodes}, dt: tString, k: kString, rng: rng, src: src}, parts...)
}

func (c *compiler) object(e *hclsyntax.ObjectConsExpr) cexpr {
	rng := e.Range()
	var fields []arrow.Field
	var nodes []node
	seen := map[string]hcl.Range{}
	bad := false
	for _, it := range e.Items {
		name := hcl.ExprAsKeyword(it.KeyExpr)
		if name == "" {
			kx := it.KeyExpr
			if w, ok := kx.(*hclsyntax.ObjectConsKeyExpr); ok {
				kx = w.Wrapped
			}
			k := c.expr(kx)
			if k.bad {
				bad = true
				continue
			}
			if k.c == nil || k.k != kString || k.c.null {
				c.errorf(it.KeyExpr.Range(), &rng, "Invalid field name", "Field names must be identifiers or constant strings; %s is not.", k.src)
				bad = true
				continue
			}
			name = k.c.s
		}
		if prev, dup := seen[name]; dup {
			c.errorf(it.KeyExpr.Range(), &rng, "Duplicate field", "Field %q is already set at %s.", name, prev)
			bad = true
			continue
		}
		seen[name] = it.KeyExpr.Range()
		v := c.expr(it.ValueExpr)
		if v.bad {
			bad = true
			continue
		}
		v = norm(v)
		fields = append(fields, arrow.Field{Name: name, Type: v.dt, Nullable: true})
		nodes = append(nodes, v.n)
	}
	if bad {
		return cexpr{bad: true}
	}
	dt := arrow.StructOf(fields...)
	return cexpr{n: &structNode{fields: nodes, dt: dt}, dt: dt, k: kStruct, rng: rng, src: srcOf(e)}
}

func (c *compiler) tuple(e *hclsyntax.TupleConsExpr) cexpr {
	rng := e.Range()
	items := make([]cexpr, 0, len(e.Exprs))
	for _, x := range e.Exprs {
		it := c.expr(x)
		if it.bad {
			return it
		}
		items = append(items, it)
	}
	dt, ok := unify(items...)
	if !ok {
		return c.errorf(rng, nil, "Mismatched element types", "All elements of a tuple must have one type; %s.", describeAll(items))
	}
	nodes := make([]node, len(items))
	for i, it := range items {
		nodes[i] = coerce(it, dt).n
	}
	lt := arrow.ListOf(dt)
	return cexpr{n: &tupleNode{items: nodes, dt: lt}, dt: lt, k: kList, rng: rng, src: srcOf(e)}
}

func describeAll(xs []cexpr) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = describe(x)
	}
	return strings.Join(parts, ", ")
}

func (c *compiler) forExpr(e *hclsyntax.ForExpr) cexpr {
	rng := e.Range()
	if e.KeyExpr != nil || e.Group {
		return c.errorf(rng, nil, "Unsupported for expression", "Only tuple for expressions [for ... : ...] are supported; object for expressions {for ... : k => v} are not.")
	}
	coll := c.expr(e.CollExpr)
	if coll.bad {
		return coll
	}
	if coll.k != kList {
		return c.errorf(coll.rng, &rng, "Invalid for collection", "A for expression iterates over a list column, but %s.", describe(coll))
	}
	var elem arrow.DataType
	switch lt := coll.dt.(type) {
	case *arrow.ListType:
		elem = lt.Elem()
	case *arrow.LargeListType:
		elem = lt.Elem()
	}
	d := c.depth() + 1
	sc := scope{depth: d, names: map[string]localVar{e.ValVar: {slot: 0, dt: elem}}}
	if e.KeyVar != "" {
		sc.names[e.KeyVar] = localVar{slot: 1, dt: tInt}
	}
	c.scopes = append(c.scopes, sc)
	body := c.expr(e.ValExpr)
	var cond cexpr
	if e.CondExpr != nil {
		cond = c.expr(e.CondExpr)
		if !cond.bad && cond.k != kBool && cond.k != kNull {
			c.errorf(cond.rng, &rng, "Invalid for condition", "The if clause must be a bool, but %s.", describe(cond))
			cond.bad = true
		}
	}
	c.scopes = c.scopes[:len(c.scopes)-1]
	if body.bad || cond.bad {
		return cexpr{bad: true}
	}
	body = norm(body)
	lt := arrow.ListOf(body.dt)
	fn := &forNode{coll: coll.n, body: body.n, hasKey: e.KeyVar != "", depth: d, dt: lt}
	if e.CondExpr != nil {
		fn.cond = coerce(cond, tBool).n
	}
	return cexpr{n: fn, dt: lt, k: kList, rng: rng, src: srcOf(e)}
}

// traversal resolves a name: a for variable, var.NAME, col["name"], or a
// column, followed by struct field / list index steps.
func (c *compiler) traversal(e *hclsyntax.ScopeTraversalExpr) cexpr {
	tr := e.Traversal
	root := tr.RootName()
	rootRng := tr[0].SourceRange()
	rest := tr[1:]
	var x cexpr
	found := false
	for i := len(c.scopes) - 1; i >= 0 && !found; i-- {
		if lv, ok := c.scopes[i].names[root]; ok {
			found = true
			x = cexpr{n: &colNode{slot: lv.slot, depth: c.scopes[i].depth, local: true}, dt: lv.dt, k: kindOf(lv.dt), rng: rootRng, src: text(root), isCol: true}
		}
	}
	switch {
	case found:
	case root == "var":
		return c.variable(e)
	case root == "col" && len(rest) > 0 && isStringIndex(rest[0]):
		name := rest[0].(hcl.TraverseIndex).Key.AsString()
		x = c.column(name, hcl.RangeBetween(rootRng, rest[0].SourceRange()))
		rest = rest[1:]
	default:
		x = c.column(root, rootRng)
	}
	for _, st := range rest {
		if x.bad {
			return x
		}
		x = c.step(x, st, hcl.RangeBetween(rootRng, st.SourceRange()))
	}
	x.rng = e.Range()
	return x
}

func isStringIndex(t hcl.Traverser) bool {
	ti, ok := t.(hcl.TraverseIndex)
	return ok && ti.Key.IsKnown() && !ti.Key.IsNull() && ti.Key.Type() == cty.String
}

func (c *compiler) column(name string, rng hcl.Range) cexpr {
	idx := c.schema.FieldIndices(name)
	if len(idx) == 0 {
		names := make([]string, c.schema.NumFields())
		for i, f := range c.schema.Fields() {
			names[i] = f.Name
		}
		return c.errorf(rng, nil, "Unknown column", "There is no column named %q.%s Available columns: %s.", name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
	}
	if len(idx) > 1 {
		return c.errorf(rng, nil, "Ambiguous column", "The input has %d columns named %q.", len(idx), name)
	}
	dt := c.schema.Field(idx[0]).Type
	slot, ok := c.colSlot[name]
	if !ok {
		slot = len(c.colNames)
		c.colSlot[name] = slot
		c.colNames = append(c.colNames, name)
		c.colDTs = append(c.colDTs, dt)
	}
	cn := &colNode{slot: slot}
	c.colNodes = append(c.colNodes, cn)
	return cexpr{n: cn, dt: dt, k: kindOf(dt), rng: rng, src: text(renderName(name)), isCol: true}
}

// step applies one traversal step (struct field or list index) to x.
func (c *compiler) step(x cexpr, st hcl.Traverser, rng hcl.Range) cexpr {
	var name string
	switch t := st.(type) {
	case hcl.TraverseAttr:
		name = t.Name
	case hcl.TraverseIndex:
		if isStringIndex(t) {
			name = t.Key.AsString()
			break
		}
		k, ok := konstOf(t.Key)
		if !ok || k.k != kInt {
			return c.errorf(st.SourceRange(), &rng, "Invalid index", "A list index must be an integer.")
		}
		if x.k != kList {
			return c.errorf(st.SourceRange(), &rng, "Invalid index", "Only lists can be indexed by number, but %s.", describe(x))
		}
		var elem arrow.DataType
		switch lt := x.dt.(type) {
		case *arrow.ListType:
			elem = lt.Elem()
		case *arrow.LargeListType:
			elem = lt.Elem()
		}
		return cexpr{n: &indexNode{src: x.n, k: k.i}, dt: elem, k: kindOf(elem), rng: rng, src: x.src.then(fmt.Sprintf("[%d]", k.i)), isCol: x.isCol}
	default:
		return c.errorf(st.SourceRange(), &rng, "Unsupported traversal", "Splat and other traversals are not supported in row expressions.")
	}
	if x.k != kStruct {
		return c.errorf(st.SourceRange(), &rng, "Unsupported attribute", "%s, not a struct, so it has no field %q.", describe(x), name)
	}
	stt := x.dt.(*arrow.StructType)
	i, ok := stt.FieldIdx(name)
	if !ok {
		names := make([]string, stt.NumFields())
		for j, f := range stt.Fields() {
			names[j] = f.Name
		}
		return c.errorf(st.SourceRange(), &rng, "Unknown column", "%s has no field %q.%s Available fields of %s: %s.", x.src, name, suggest.DidYouMean(name, names), x.src, strings.Join(names, ", "))
	}
	dt := stt.Field(i).Type
	return cexpr{n: &fieldNode{src: x.n, idx: i}, dt: dt, k: kindOf(dt), rng: rng, src: x.src.then(renderStep(name)), isCol: x.isCol}
}

func (c *compiler) variable(e *hclsyntax.ScopeTraversalExpr) cexpr {
	tr := e.Traversal
	rng := e.Range()
	if len(tr) < 2 {
		return c.errorf(rng, nil, "Invalid variable reference", "Write var.NAME to read a recipe variable.")
	}
	var name string
	switch t := tr[1].(type) {
	case hcl.TraverseAttr:
		name = t.Name
	case hcl.TraverseIndex:
		if isStringIndex(t) {
			name = t.Key.AsString()
		}
	}
	v, ok := c.vars[name]
	if !ok {
		names := make([]string, 0, len(c.vars))
		for n := range c.vars {
			names = append(names, n)
		}
		sort.Strings(names)
		return c.errorf(rng, nil, "Unknown variable", "There is no variable named %q.%s Declared variables: %s.", name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
	}
	src := "var." + name
	for _, st := range tr[2:] {
		var err error
		v, err = st.TraversalStep(v)
		if err != nil {
			return c.errorf(st.SourceRange(), &rng, "Invalid variable traversal", "%s: %s.", src, err)
		}
	}
	k, ok := konstOf(v)
	if !ok {
		return c.errorf(rng, nil, "Unsupported variable type", "%s is a %s; row expressions use number, string, bool or null variables (and tuples in in()).", srcOf(e), v.Type().FriendlyName())
	}
	return constExpr(k, rng, srcOf(e))
}
