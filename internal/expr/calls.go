package expr

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/suggest"
)

var arity = map[string][2]int{ // min, max (-1: unbounded)
	"is_null": {1, 1}, "coalesce": {1, -1}, "tonumber": {1, 1}, "tostring": {1, 1},
	"lower": {1, 1}, "upper": {1, 1}, "trimspace": {1, 1}, "length": {1, 1},
	"contains": {2, 2}, "startswith": {2, 2}, "endswith": {2, 2}, "regex_match": {2, 2}, "in": {2, 2},
	"hash": {1, -1}, "row_number": {0, 0}, "sha256": {1, 1}, "len": {1, 1}, // rowfuncs.go
	"replace": {3, 3}, "regex_replace": {3, 3}, "substr": {2, 3},
	"concat": {1, -1}, "slice": {2, 3}, "split": {2, 2}, "join": {2, 2}, "cast": {2, 2}, // listfuncs.go
}

func (c *compiler) call(e *hclsyntax.FunctionCallExpr) cexpr {
	rng := e.Range()
	src := srcOf(e)
	ar, ok := arity[e.Name]
	if !ok {
		return c.errorf(e.NameRange, &rng, "Unknown function", "There is no function named %q.%s Supported functions: %s.", e.Name, suggest.DidYouMean(e.Name, Functions), strings.Join(Functions, ", "))
	}
	if e.ExpandFinal {
		return c.errorf(rng, nil, "Unsupported argument expansion", "Arguments cannot be expanded with ... in row expressions.")
	}
	if len(e.Args) < ar[0] || (ar[1] >= 0 && len(e.Args) > ar[1]) {
		want := fmt.Sprintf("%d", ar[0])
		if ar[1] < 0 {
			want = fmt.Sprintf("at least %d", ar[0])
		}
		return c.errorf(rng, nil, "Wrong number of arguments", "%s takes %s argument(s), got %d.", e.Name, want, len(e.Args))
	}
	if e.Name == "in" {
		return c.in(e, src)
	}
	args := make([]cexpr, len(e.Args))
	for i, a := range e.Args {
		args[i] = c.expr(a)
		if args[i].bad {
			return args[i]
		}
	}
	if f, ok := rowFuncs[e.Name]; ok {
		return f(c, e, args, rng, src)
	}
	x := args[0]
	wantString := func(a cexpr) bool {
		if a.k == kString || a.k == kNull {
			return true
		}
		hint := ""
		if isNum(a.k) || a.k == kBool {
			hint = fmt.Sprintf("; convert with tostring(%s)", a.src)
		}
		c.errorf(a.rng, &rng, "Invalid function argument", "%s needs a string, but %s%s.", e.Name, describe(a), hint)
		return false
	}
	switch e.Name {
	case "is_null":
		if x.c != nil {
			return constExpr(konst{k: kBool, b: x.c.null}, rng, src)
		}
		return cexpr{n: &isNullNode{src: x.n}, dt: tBool, k: kBool, rng: rng, src: src}
	case "coalesce":
		dt, ok := unify(args...)
		if !ok {
			return c.errorf(rng, nil, "Mismatched argument types", "All arguments of coalesce must have one type; %s.", describeAll(args))
		}
		nodes := make([]node, 0, len(args))
		for _, a := range args {
			if a.c != nil && a.c.null {
				continue
			}
			nodes = append(nodes, coerce(a, dt).n)
			if a.c != nil { // a constant is never null: later arguments cannot matter
				break
			}
		}
		if len(nodes) == 0 {
			return nullOf(dt, rng, src)
		}
		if len(nodes) == 1 {
			for _, a := range args {
				if a.c == nil || !a.c.null {
					a = coerce(a, dt)
					a.rng, a.src, a.isCol = rng, src, false
					return a
				}
			}
		}
		return cexpr{n: &pickNode{args: nodes, dt: dt}, dt: dt, k: kindOf(dt), rng: rng, src: src}
	case "tonumber":
		switch {
		case x.k == kNull:
			return nullOf(tFloat, rng, src)
		case isNum(x.k):
			x = norm(x)
			x.rng, x.src, x.isCol = rng, src, false
			return x
		case x.k == kString:
			x = norm(x)
			return c.fold(cexpr{n: &toNumberNode{src: x.n}, dt: tFloat, k: kFloat, rng: rng, src: src}, x)
		}
		return c.errorf(x.rng, &rng, "Invalid function argument", "tonumber needs a string or a number, but %s.", describe(x))
	case "tostring":
		switch {
		case x.k == kNull:
			return nullOf(tString, rng, src)
		case x.k == kString:
			x = norm(x)
			x.rng, x.src, x.isCol = rng, src, false
			return x
		case isNum(x.k) || x.k == kBool:
			x = norm(x)
			return c.fold(cexpr{n: &toStringNode{src: x.n, k: x.k}, dt: tString, k: kString, rng: rng, src: src}, x)
		}
		return c.errorf(x.rng, &rng, "Invalid function argument", "tostring needs a string, number or bool, but %s.", describe(x))
	case "lower", "upper", "trimspace":
		if !wantString(x) {
			return cexpr{bad: true}
		}
		if x.k == kNull {
			return nullOf(tString, rng, src)
		}
		x = norm(x)
		return c.fold(cexpr{n: &strFuncNode{name: e.Name, src: x.n}, dt: tString, k: kString, rng: rng, src: src}, x)
	case "length":
		switch x.k {
		case kNull:
			return nullOf(tInt, rng, src)
		case kString:
			x = norm(x)
		case kList:
		default:
			return c.errorf(x.rng, &rng, "Invalid function argument", "length needs a string or a list, but %s.", describe(x))
		}
		return c.fold(cexpr{n: &lengthNode{src: x.n, k: x.k}, dt: tInt, k: kInt, rng: rng, src: src}, x)
	case "contains", "startswith", "endswith", "regex_match":
		if !wantString(args[0]) || !wantString(args[1]) {
			return cexpr{bad: true}
		}
		m := &matchNode{name: e.Name}
		if e.Name == "regex_match" {
			p := args[1]
			if p.c == nil {
				return c.errorf(p.rng, &rng, "Non-constant pattern", "regex_match needs its pattern as a literal string (or a variable), so it is compiled once; %s varies by row.", p.src)
			}
			if p.c.null {
				return c.errorf(p.rng, &rng, "Invalid pattern", "The pattern of regex_match is null.")
			}
			re, err := regexp.Compile(p.c.s)
			if err != nil {
				return c.errorf(p.rng, &rng, "Invalid regular expression", "%s: %s (Go RE2 syntax).", p.src, err)
			}
			m.re = re
		}
		if isNullConst(args[0]) || isNullConst(args[1]) {
			return nullOf(tBool, rng, src)
		}
		a, b := norm(args[0]), norm(args[1])
		m.s, m.sub = operandOf(a), operandOf(b)
		return c.fold(cexpr{n: m, dt: tBool, k: kBool, rng: rng, src: src}, a, b)
	}
	return c.errorf(rng, nil, "Unknown function", "There is no function named %q.", e.Name)
}

// in compiles in(x, [c1, c2, ...]); the list must be constants (a tuple
// of literals or a tuple variable) so it becomes a hash set once.
func (c *compiler) in(e *hclsyntax.FunctionCallExpr, src source) cexpr {
	rng := e.Range()
	x := c.expr(e.Args[0])
	if x.bad {
		return x
	}
	var items []konst
	listRng := e.Args[1].Range()
	switch l := e.Args[1].(type) {
	case *hclsyntax.TupleConsExpr:
		for _, it := range l.Exprs {
			v := c.expr(it)
			if v.bad {
				return v
			}
			if v.c == nil {
				return c.errorf(v.rng, &rng, "Non-constant list element", "The list of in() must hold constants; %s varies by row.", v.src)
			}
			items = append(items, *v.c)
		}
	case *hclsyntax.ScopeTraversalExpr:
		if l.Traversal.RootName() != "var" || len(l.Traversal) != 2 {
			return c.errorf(listRng, &rng, "Invalid list", "The second argument of in() must be a list of constants like [\"a\", \"b\"] or a tuple variable.")
		}
		v, err := l.Traversal.TraverseAbs(&hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(c.varsOrEmpty())}})
		if err.HasErrors() {
			return c.errorf(listRng, &rng, "Unknown variable", "%s", err.Error())
		}
		if !v.Type().IsTupleType() && !v.Type().IsListType() && !v.Type().IsSetType() {
			return c.errorf(listRng, &rng, "Invalid list", "%s is a %s, not a list.", srcOf(l), v.Type().FriendlyName())
		}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			k, ok := konstOf(ev)
			if !ok {
				return c.errorf(listRng, &rng, "Invalid list", "%s holds a %s; in() compares with numbers, strings or bools.", srcOf(l), ev.Type().FriendlyName())
			}
			items = append(items, k)
		}
	default:
		return c.errorf(listRng, &rng, "Invalid list", "The second argument of in() must be a list of constants like [\"a\", \"b\"] or a tuple variable.")
	}
	if x.k == kNull {
		return nullOf(tBool, rng, src)
	}
	m := &inNode{}
	switch {
	case x.k == kString:
		m.k, m.strs = kString, map[string]struct{}{}
	case isNum(x.k):
		m.k = kInt
		if x.k == kFloat { // even for an empty list (in(f, []) compared f as int64)
			m.k = kFloat
		}
		for _, it := range items {
			if it.k == kFloat {
				m.k = kFloat
			}
		}
		if m.k == kInt {
			m.ints = map[int64]struct{}{}
		} else {
			m.floats = map[float64]struct{}{}
		}
	case x.k == kBool:
		m.k = kBool
	default:
		return c.errorf(x.rng, &rng, "Invalid function argument", "in() compares numbers, strings or bools, but %s.", describe(x))
	}
	for _, it := range items {
		switch {
		case it.null:
			m.hasNull = true
		case m.k == kString && it.k == kString:
			m.strs[it.s] = struct{}{}
		case m.k == kInt && it.k == kInt:
			m.ints[it.i] = struct{}{}
		case m.k == kFloat && isNum(it.k):
			m.floats[it.float()] = struct{}{}
		case m.k == kBool && it.k == kBool:
			m.bools[b2u8(it.b)] = true
		default:
			hint := ""
			if x.k == kString && isNum(it.k) {
				hint = fmt.Sprintf("; write the numbers as strings, or use in(tonumber(%s), ...)", x.src)
			}
			return c.errorf(listRng, &rng, "Mismatched types", "%s but the list holds a %s%s.", describe(x), it.k, hint)
		}
	}
	x = coerce(x, normType(m.k))
	m.src = x.n
	return c.fold(cexpr{n: m, dt: tBool, k: kBool, rng: rng, src: src}, x)
}

func (c *compiler) varsOrEmpty() map[string]cty.Value {
	if c.vars == nil {
		return map[string]cty.Value{}
	}
	return c.vars
}
