package expr

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The differential test evaluates random expressions over random tables
// twice: vectorized by Program.Eval, and row by row by ref below, which
// works on cty values and implements SQL null semantics independently.

var diffSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "j", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "t", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g gen) num(d int) string {
	if d <= 0 || g.r.IntN(3) == 0 {
		return g.pick("i", "j", "f", "3", "-2", "0", "1.5", "null")
	}
	switch g.r.IntN(8) {
	case 0, 1:
		return "(" + g.num(d-1) + " " + g.pick("+", "-", "*", "/", "%") + " " + g.num(d-1) + ")"
	case 2:
		return "-" + g.num(d-1)
	case 3:
		return "tonumber(" + g.str(d-1) + ")"
	case 4:
		return "length(" + g.str(d-1) + ")"
	case 5:
		return "coalesce(" + g.num(d-1) + ", " + g.num(d-1) + ")"
	case 6:
		return "(" + g.boolean(d-1) + " ? " + g.num(d-1) + " : " + g.num(d-1) + ")"
	}
	return g.num(d - 1)
}

func (g gen) str(d int) string {
	if d <= 0 || g.r.IntN(3) == 0 {
		return g.pick("s", "t", `"a"`, `"12"`, `" Ab "`, `""`, "null")
	}
	switch g.r.IntN(7) {
	case 0:
		return g.pick("lower", "upper", "trimspace") + "(" + g.str(d-1) + ")"
	case 1:
		return "tostring(" + g.num(d-1) + ")"
	case 2:
		return "coalesce(" + g.str(d-1) + ", " + g.str(d-1) + ")"
	case 3:
		return "(" + g.boolean(d-1) + " ? " + g.str(d-1) + " : " + g.str(d-1) + ")"
	case 4:
		return `"${` + g.str(d-1) + `}-${` + g.num(d-1) + `}"`
	}
	return g.str(d - 1)
}

func (g gen) boolean(d int) string {
	if d <= 0 || g.r.IntN(4) == 0 {
		return g.pick("b", "true", "false")
	}
	switch g.r.IntN(11) {
	case 0:
		return "(" + g.num(d-1) + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + g.num(d-1) + ")"
	case 1:
		return "(" + g.str(d-1) + " " + g.pick("==", "!=", "<", ">=") + " " + g.str(d-1) + ")"
	case 2, 3:
		return "(" + g.boolean(d-1) + " " + g.pick("&&", "||") + " " + g.boolean(d-1) + ")"
	case 4:
		return "!" + g.boolean(d-1)
	case 5:
		return "is_null(" + g.pick(g.num(d-1), g.str(d-1), g.boolean(d-1)) + ")"
	case 6:
		return g.pick("contains", "startswith", "endswith") + "(" + g.str(d-1) + ", " + g.str(d-1) + ")"
	case 7:
		return "in(" + g.str(d-1) + `, ["a", "12", "x"])`
	case 8:
		return "in(" + g.num(d-1) + `, [0, 3, 1.5])`
	case 9:
		return "regex_match(" + g.str(d-1) + `, "^[0-9]+$")`
	}
	return "(" + g.boolean(d-1) + " == " + g.boolean(d-1) + ")"
}

func diffRows(r *rand.Rand, n int) string {
	var sb strings.Builder
	sb.WriteString("[")
	maybe := func(v string) string {
		if r.IntN(5) == 0 {
			return "null"
		}
		return v
	}
	words := []string{`"a"`, `"12"`, `"Ab"`, `"  x "`, `""`, `"ÄÖ1"`, `"3.5"`, `"-4"`}
	for k := 0; k < n; k++ {
		if k > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"i":%s,"j":%s,"f":%s,"s":%s,"t":%s,"b":%s}`,
			maybe(fmt.Sprint(r.IntN(21)-10)), maybe(fmt.Sprint(r.IntN(7)-3)), maybe(fmt.Sprint(float64(r.IntN(40)-20)/4)),
			maybe(words[r.IntN(len(words))]), maybe(words[r.IntN(len(words))]), maybe(fmt.Sprint(r.IntN(2) == 0)))
	}
	sb.WriteString("]")
	return sb.String()
}

// refRow evaluates e for one row. Numbers are cty numbers; nulls follow
// SQL. isInt tracks int64-ness so % and / match the typed semantics.
type refVal struct {
	v     cty.Value
	isInt bool
}

func ref(e hclsyntax.Expression, row map[string]refVal) refVal {
	null := func(t cty.Type) refVal { return refVal{v: cty.NullVal(t)} }
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		return ref(e.Expression, row)
	case *hclsyntax.LiteralValueExpr:
		if e.Val.IsNull() {
			return refVal{v: cty.NullVal(cty.DynamicPseudoType)}
		}
		isInt := e.Val.Type() == cty.Number && e.Val.AsBigFloat().IsInt()
		return refVal{v: e.Val, isInt: isInt}
	case *hclsyntax.TemplateWrapExpr:
		return ref(e.Wrapped, row)
	case *hclsyntax.TemplateExpr:
		var sb strings.Builder
		for _, p := range e.Parts {
			v := ref(p, row)
			if v.v.IsNull() {
				return null(cty.String)
			}
			sb.WriteString(refString(v))
		}
		return refVal{v: cty.StringVal(sb.String())}
	case *hclsyntax.ScopeTraversalExpr:
		return row[e.Traversal.RootName()]
	case *hclsyntax.UnaryOpExpr:
		v := ref(e.Val, row)
		if v.v.IsNull() {
			return v
		}
		if e.Op == hclsyntax.OpNegate {
			return refVal{v: v.v.Negate(), isInt: v.isInt}
		}
		return refVal{v: v.v.Not()}
	case *hclsyntax.BinaryOpExpr:
		l, r := ref(e.LHS, row), ref(e.RHS, row)
		switch e.Op {
		case hclsyntax.OpLogicalAnd:
			if (!l.v.IsNull() && l.v.False()) || (!r.v.IsNull() && r.v.False()) {
				return refVal{v: cty.False}
			}
			if l.v.IsNull() || r.v.IsNull() {
				return null(cty.Bool)
			}
			return refVal{v: cty.True}
		case hclsyntax.OpLogicalOr:
			if (!l.v.IsNull() && l.v.True()) || (!r.v.IsNull() && r.v.True()) {
				return refVal{v: cty.True}
			}
			if l.v.IsNull() || r.v.IsNull() {
				return null(cty.Bool)
			}
			return refVal{v: cty.False}
		}
		if l.v.IsNull() || r.v.IsNull() {
			return null(cty.DynamicPseudoType)
		}
		isInt := l.isInt && r.isInt
		switch e.Op {
		case hclsyntax.OpAdd:
			return refVal{v: l.v.Add(r.v), isInt: isInt}
		case hclsyntax.OpSubtract:
			return refVal{v: l.v.Subtract(r.v), isInt: isInt}
		case hclsyntax.OpMultiply:
			return refVal{v: l.v.Multiply(r.v), isInt: isInt}
		case hclsyntax.OpDivide:
			if r.v.Equals(cty.Zero).True() {
				return null(cty.Number)
			}
			return refVal{v: l.v.Divide(r.v)}
		case hclsyntax.OpModulo:
			if r.v.Equals(cty.Zero).True() {
				return null(cty.Number)
			}
			a, _ := l.v.AsBigFloat().Float64()
			b, _ := r.v.AsBigFloat().Float64()
			return refVal{v: cty.NumberFloatVal(math.Mod(a, b)), isInt: isInt}
		}
		var c int
		switch {
		case l.v.Type() == cty.Number:
			c = l.v.AsBigFloat().Cmp(r.v.AsBigFloat())
		case l.v.Type() == cty.String:
			c = bytes.Compare([]byte(l.v.AsString()), []byte(r.v.AsString()))
		default:
			if l.v.Equals(r.v).True() {
				c = 0
			} else {
				c = 1
			}
		}
		ops := map[*hclsyntax.Operation]bool{hclsyntax.OpEqual: c == 0, hclsyntax.OpNotEqual: c != 0,
			hclsyntax.OpLessThan: c < 0, hclsyntax.OpLessThanOrEqual: c <= 0, hclsyntax.OpGreaterThan: c > 0, hclsyntax.OpGreaterThanOrEqual: c >= 0}
		return refVal{v: cty.BoolVal(ops[e.Op])}
	case *hclsyntax.ConditionalExpr:
		c := ref(e.Condition, row)
		if c.v.IsNull() {
			return null(cty.DynamicPseudoType)
		}
		if c.v.True() {
			return ref(e.TrueResult, row)
		}
		return ref(e.FalseResult, row)
	case *hclsyntax.FunctionCallExpr:
		args := make([]refVal, len(e.Args))
		for i, a := range e.Args {
			if e.Name == "in" && i == 1 {
				continue
			}
			args[i] = ref(a, row)
		}
		x := args[0]
		switch e.Name {
		case "is_null":
			return refVal{v: cty.BoolVal(x.v.IsNull())}
		case "coalesce":
			for _, a := range args {
				if !a.v.IsNull() {
					return a
				}
			}
			return x
		}
		if x.v.IsNull() {
			return null(cty.DynamicPseudoType)
		}
		switch e.Name {
		case "tonumber":
			if x.v.Type() == cty.Number {
				return x
			}
			f, ok := new(big.Float).SetString(x.v.AsString())
			if !ok || !regexp.MustCompile(`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`).MatchString(x.v.AsString()) {
				return null(cty.Number)
			}
			return refVal{v: cty.NumberVal(f)}
		case "tostring":
			return refVal{v: cty.StringVal(refString(x))}
		case "lower":
			return refVal{v: cty.StringVal(strings.ToLower(x.v.AsString()))}
		case "upper":
			return refVal{v: cty.StringVal(strings.ToUpper(x.v.AsString()))}
		case "trimspace":
			return refVal{v: cty.StringVal(strings.TrimSpace(x.v.AsString()))}
		case "length":
			return refVal{v: cty.NumberIntVal(int64(utf8.RuneCountInString(x.v.AsString()))), isInt: true}
		case "regex_match":
			return refVal{v: cty.BoolVal(regexp.MustCompile(`^[0-9]+$`).MatchString(x.v.AsString()))}
		case "in":
			for _, it := range e.Args[1].(*hclsyntax.TupleConsExpr).Exprs {
				if v := ref(it, row); v.v.Type() == x.v.Type() && v.v.Equals(x.v).True() {
					return refVal{v: cty.True}
				}
			}
			return refVal{v: cty.False}
		}
		if args[1].v.IsNull() {
			return null(cty.Bool)
		}
		s, sub := x.v.AsString(), args[1].v.AsString()
		switch e.Name {
		case "contains":
			return refVal{v: cty.BoolVal(strings.Contains(s, sub))}
		case "startswith":
			return refVal{v: cty.BoolVal(strings.HasPrefix(s, sub))}
		case "endswith":
			return refVal{v: cty.BoolVal(strings.HasSuffix(s, sub))}
		}
	}
	panic(fmt.Sprintf("ref: unsupported %T", e))
}

func refString(v refVal) string {
	switch v.v.Type() {
	case cty.String:
		return v.v.AsString()
	case cty.Bool:
		return fmt.Sprint(v.v.True())
	}
	if v.isInt {
		i, _ := v.v.AsBigFloat().Int64()
		return fmt.Sprint(i)
	}
	f, _ := v.v.AsBigFloat().Float64()
	if f == 0 {
		return "0"
	}
	return fmt.Sprint(big.NewFloat(f).Text('f', -1))
}

func rowValues(rec arrow.RecordBatch, i int) map[string]refVal {
	row := map[string]refVal{}
	for c, f := range rec.Schema().Fields() {
		col := rec.Column(c)
		if col.IsNull(i) {
			row[f.Name] = refVal{v: cty.NullVal(cty.DynamicPseudoType)}
			continue
		}
		switch a := col.(type) {
		case *array.Int64:
			row[f.Name] = refVal{v: cty.NumberIntVal(a.Value(i)), isInt: true}
		case *array.Int32:
			row[f.Name] = refVal{v: cty.NumberIntVal(int64(a.Value(i))), isInt: true}
		case *array.Float64:
			row[f.Name] = refVal{v: cty.NumberFloatVal(a.Value(i))}
		case *array.String:
			row[f.Name] = refVal{v: cty.StringVal(a.Value(i))}
		case *array.LargeString:
			row[f.Name] = refVal{v: cty.StringVal(a.Value(i))}
		case *array.Boolean:
			row[f.Name] = refVal{v: cty.BoolVal(a.Value(i))}
		}
	}
	return row
}

func sameValue(got arrow.Array, i int, want refVal) bool {
	if got.DataType().ID() == arrow.NULL {
		return want.v.IsNull()
	}
	if got.IsNull(i) || want.v.IsNull() {
		return got.IsNull(i) && want.v.IsNull()
	}
	switch a := got.(type) {
	case *array.Boolean:
		return want.v.Type() == cty.Bool && a.Value(i) == want.v.True()
	case *array.String:
		return want.v.Type() == cty.String && a.Value(i) == want.v.AsString()
	case *array.LargeString:
		return want.v.Type() == cty.String && a.Value(i) == want.v.AsString()
	case *array.Int32:
		w, _ := want.v.AsBigFloat().Float64()
		return float64(a.Value(i)) == w
	case *array.Int64:
		w, _ := want.v.AsBigFloat().Float64()
		return float64(a.Value(i)) == w
	case *array.Float64:
		w, _ := want.v.AsBigFloat().Float64()
		g := a.Value(i)
		return g == w || math.Abs(g-w) <= 1e-9*math.Max(math.Abs(g), math.Abs(w))
	}
	return false
}

func TestDifferential(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 11))
	g := gen{r}
	compiled := 0
	for table := 0; table < 40; table++ {
		rec := recFromJSON(t, mem, diffSchema, diffRows(r, 1+r.IntN(40)))
		off := int64(r.IntN(int(rec.NumRows())))
		sl := rec.NewSlice(off, rec.NumRows())
		rec.Release()
		for k := 0; k < 40; k++ {
			var src string
			switch k % 3 {
			case 0:
				src = g.num(3)
			case 1:
				src = g.str(3)
			default:
				src = g.boolean(3)
			}
			e, diags := hclsyntax.ParseExpression([]byte(src), "gen.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("generator wrote unparsable %q: %s", src, diags.Error())
			}
			p, diags := Compile(e, diffSchema, nil)
			if diags.HasErrors() {
				// Generated null comparisons are the only ill-typed ones we
				// accept; anything else is a compiler bug.
				t.Fatalf("Compile(%q): %s", src, diags.Error())
			}
			compiled++
			out, err := p.Eval(context.Background(), mem, sl)
			if err != nil {
				t.Fatalf("Eval(%q): %v", src, err)
			}
			for i := 0; i < int(sl.NumRows()); i++ {
				want := ref(e, rowValues(sl, i))
				if !sameValue(out, i, want) {
					t.Errorf("%s at row %d (%v): vectorized %s, reference %#v", src, i, rowValues(sl, i), out.ValueStr(i), want.v)
					break
				}
			}
			out.Release()
		}
		sl.Release()
	}
	if compiled < 1000 {
		t.Errorf("only %d expressions compiled", compiled)
	}
}
