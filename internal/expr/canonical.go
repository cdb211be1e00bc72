package expr

import (
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Canonical returns the normalized syntax tree of e as a compact
// S-expression for cache keys: whitespace, comments and redundant
// parentheses do not change it, numbers are normalized (3 == 3.0), a
// template with one literal part equals the plain string, col["x"] and
// a["b"] equal x and a.b, and for-expression variables are renamed by
// nesting depth. Operators and functions are spelled out, e.g.
// (lt (call tonumber (col survey_score seeker empathy)) (num 3)).
func Canonical(e hcl.Expression) (string, hcl.Diagnostics) {
	se, ok := e.(hclsyntax.Expression)
	if !ok {
		r := e.Range()
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported expression syntax",
			Detail: "Row expressions must be written in native HCL syntax.", Subject: &r}}
	}
	cw := &canon{}
	cw.expr(se)
	if cw.diags.HasErrors() {
		return "", cw.diags
	}
	return cw.b.String(), cw.diags
}

type canon struct {
	b      strings.Builder
	locals []map[string]string // per for nesting level: name → canonical name
	diags  hcl.Diagnostics
}

func (c *canon) open(tag string) { c.b.WriteString("(" + tag) }
func (c *canon) close()          { c.b.WriteByte(')') }
func (c *canon) sp()             { c.b.WriteByte(' ') }

func canonNum(bf *big.Float) string {
	if bf.IsInt() {
		return bf.Text('f', 0)
	}
	return bf.Text('g', -1)
}

// canonName writes an identifier bare and anything else quoted, so names
// cannot collide with syntax.
func canonName(s string) string {
	if hclsyntax.ValidIdentifier(s) {
		return s
	}
	return strconv.Quote(s)
}

func (c *canon) literal(v cty.Value) {
	switch {
	case v.IsNull():
		c.b.WriteString("(null)")
	case v.Type() == cty.Number:
		c.b.WriteString("(num " + canonNum(v.AsBigFloat()) + ")")
	case v.Type() == cty.String:
		c.b.WriteString("(str " + strconv.Quote(v.AsString()) + ")")
	case v.Type() == cty.Bool:
		fmt.Fprintf(&c.b, "(bool %t)", v.True())
	default:
		c.b.WriteString("(lit " + strconv.Quote(v.GoString()) + ")")
	}
}

// steps writes traversal steps: field names, or [N] for list indexes.
func (c *canon) steps(tr hcl.Traversal) {
	for _, st := range tr {
		c.sp()
		switch t := st.(type) {
		case hcl.TraverseAttr:
			c.b.WriteString(canonName(t.Name))
		case hcl.TraverseIndex:
			if isStringIndex(t) {
				c.b.WriteString(canonName(t.Key.AsString()))
			} else if t.Key.Type() == cty.Number && t.Key.IsKnown() && !t.Key.IsNull() {
				c.b.WriteString("[" + canonNum(t.Key.AsBigFloat()) + "]")
			} else {
				c.b.WriteString("[?]")
			}
		case hcl.TraverseSplat:
			c.b.WriteString("[*]")
		}
	}
}

func (c *canon) local(name string) (string, bool) {
	for i := len(c.locals) - 1; i >= 0; i-- {
		if n, ok := c.locals[i][name]; ok {
			return n, true
		}
	}
	return "", false
}

func (c *canon) expr(e hclsyntax.Expression) {
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		c.expr(e.Expression)
	case *hclsyntax.LiteralValueExpr:
		c.literal(e.Val)
	case *hclsyntax.TemplateWrapExpr:
		c.expr(e.Wrapped)
	case *hclsyntax.TemplateExpr:
		if s, ok := literalTemplate(e); ok {
			c.b.WriteString("(str " + strconv.Quote(s) + ")")
			return
		}
		c.open("concat")
		for _, p := range e.Parts {
			c.sp()
			c.expr(p)
		}
		c.close()
	case *hclsyntax.ScopeTraversalExpr:
		tr := e.Traversal
		root := tr.RootName()
		if n, ok := c.local(root); ok {
			c.open("local " + n)
			c.steps(tr[1:])
		} else if root == "var" {
			c.open("var")
			c.steps(tr[1:])
		} else if root == "col" && len(tr) > 1 && isStringIndex(tr[1]) {
			c.open("col")
			c.steps(tr[1:])
		} else {
			c.open("col " + canonName(root))
			c.steps(tr[1:])
		}
		c.close()
	case *hclsyntax.RelativeTraversalExpr:
		c.open("get ")
		c.expr(e.Source)
		c.steps(e.Traversal)
		c.close()
	case *hclsyntax.IndexExpr:
		if lit, ok := e.Key.(*hclsyntax.LiteralValueExpr); ok && !lit.Val.IsNull() {
			c.open("get ")
			c.expr(e.Collection)
			c.steps(hcl.Traversal{hcl.TraverseIndex{Key: lit.Val}})
			c.close()
			return
		}
		if t, ok := e.Key.(*hclsyntax.TemplateExpr); ok {
			if s, ok := literalTemplate(t); ok {
				c.open("get ")
				c.expr(e.Collection)
				c.steps(hcl.Traversal{hcl.TraverseIndex{Key: cty.StringVal(s)}})
				c.close()
				return
			}
		}
		c.open("index ")
		c.expr(e.Collection)
		c.sp()
		c.expr(e.Key)
		c.close()
	case *hclsyntax.BinaryOpExpr:
		op, ok := binOps[e.Op]
		if !ok {
			c.unsupported(e)
			return
		}
		c.open(opNames[op] + " ")
		c.expr(e.LHS)
		c.sp()
		c.expr(e.RHS)
		c.close()
	case *hclsyntax.UnaryOpExpr:
		if e.Op == hclsyntax.OpNegate {
			if lit, ok := unparen(e.Val).(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.Number && !lit.Val.IsNull() {
				c.literal(lit.Val.Negate())
				return
			}
			c.open("neg ")
		} else {
			c.open("not ")
		}
		c.expr(e.Val)
		c.close()
	case *hclsyntax.ConditionalExpr:
		c.open("if ")
		c.expr(e.Condition)
		c.sp()
		c.expr(e.TrueResult)
		c.sp()
		c.expr(e.FalseResult)
		c.close()
	case *hclsyntax.FunctionCallExpr:
		c.open("call " + canonName(e.Name))
		for _, a := range e.Args {
			c.sp()
			c.expr(a)
		}
		if e.ExpandFinal {
			c.b.WriteString(" ...")
		}
		c.close()
	case *hclsyntax.ObjectConsExpr:
		c.open("obj")
		for _, it := range e.Items {
			c.b.WriteString(" (")
			if k := hcl.ExprAsKeyword(it.KeyExpr); k != "" {
				c.b.WriteString(strconv.Quote(k))
			} else if w, ok := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
				if t, ok := unparen(w.Wrapped).(*hclsyntax.TemplateExpr); ok {
					if s, ok := literalTemplate(t); ok {
						c.b.WriteString(strconv.Quote(s))
					} else {
						c.expr(w.Wrapped)
					}
				} else {
					c.expr(w.Wrapped)
				}
			} else {
				c.expr(it.KeyExpr)
			}
			c.sp()
			c.expr(it.ValueExpr)
			c.close()
		}
		c.close()
	case *hclsyntax.TupleConsExpr:
		c.open("tuple")
		for _, x := range e.Exprs {
			c.sp()
			c.expr(x)
		}
		c.close()
	case *hclsyntax.ForExpr:
		if e.KeyExpr != nil {
			c.open("forobj ")
		} else {
			c.open("for ")
		}
		c.expr(e.CollExpr)
		d := len(c.locals) + 1
		names := map[string]string{e.ValVar: fmt.Sprintf("v%d", d)}
		if e.KeyVar != "" {
			names[e.KeyVar] = fmt.Sprintf("k%d", d)
		}
		c.locals = append(c.locals, names)
		if e.KeyExpr != nil {
			c.sp()
			c.expr(e.KeyExpr)
		}
		c.sp()
		c.expr(e.ValExpr)
		if e.Group {
			c.b.WriteString(" ...")
		}
		if e.CondExpr != nil {
			c.b.WriteString(" (where ")
			c.expr(e.CondExpr)
			c.close()
		}
		c.locals = c.locals[:len(c.locals)-1]
		c.close()
	default:
		c.unsupported(e)
	}
}

func (c *canon) unsupported(e hclsyntax.Expression) {
	r := e.Range()
	c.diags = append(c.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported expression",
		Detail: "This kind of expression is not supported in row expressions.", Subject: &r})
}

func unparen(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expression
	}
}

// literalTemplate reports whether a template is only literal strings.
func literalTemplate(t *hclsyntax.TemplateExpr) (string, bool) {
	var sb strings.Builder
	for _, p := range t.Parts {
		lit, ok := p.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.IsNull() || lit.Val.Type() != cty.String {
			return "", false
		}
		sb.WriteString(lit.Val.AsString())
	}
	return sb.String(), true
}

// renderName writes a top-level column name as it would be referenced.
func renderName(s string) string {
	if hclsyntax.ValidIdentifier(s) {
		return s
	}
	return "col[" + strconv.Quote(s) + "]"
}

func renderStep(s string) string {
	if hclsyntax.ValidIdentifier(s) {
		return "." + s
	}
	return "[" + strconv.Quote(s) + "]"
}

// render writes e back as compact HCL, for diagnostics.
func render(e hclsyntax.Expression) string {
	var b strings.Builder
	renderTo(&b, e)
	rendered.Add(int64(b.Len()))
	return b.String()
}

// rendered counts the bytes render has produced, so a test can tell that
// compiling renders text only for messages.
var rendered atomic.Int64

func renderTo(b *strings.Builder, e hclsyntax.Expression) {
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		b.WriteByte('(')
		renderTo(b, e.Expression)
		b.WriteByte(')')
	case *hclsyntax.LiteralValueExpr:
		renderValue(b, e.Val)
	case *hclsyntax.TemplateWrapExpr:
		b.WriteString(`"${`)
		renderTo(b, e.Wrapped)
		b.WriteString(`}"`)
	case *hclsyntax.TemplateExpr:
		if s, ok := literalTemplate(e); ok {
			b.WriteString(strconv.Quote(s))
			return
		}
		b.WriteByte('"')
		for _, p := range e.Parts {
			if s, ok := p.(*hclsyntax.LiteralValueExpr); ok && s.Val.Type() == cty.String && !s.Val.IsNull() {
				q := strconv.Quote(s.Val.AsString())
				b.WriteString(q[1 : len(q)-1])
				continue
			}
			b.WriteString("${")
			renderTo(b, p)
			b.WriteByte('}')
		}
		b.WriteByte('"')
	case *hclsyntax.ScopeTraversalExpr:
		b.WriteString(e.Traversal.RootName())
		renderSteps(b, e.Traversal[1:])
	case *hclsyntax.RelativeTraversalExpr:
		renderTo(b, e.Source)
		renderSteps(b, e.Traversal)
	case *hclsyntax.IndexExpr:
		renderTo(b, e.Collection)
		b.WriteByte('[')
		renderTo(b, e.Key)
		b.WriteByte(']')
	case *hclsyntax.BinaryOpExpr:
		renderTo(b, e.LHS)
		if op, ok := binOps[e.Op]; ok {
			b.WriteString(" " + opSyms[op] + " ")
		} else {
			b.WriteString(" ? ")
		}
		renderTo(b, e.RHS)
	case *hclsyntax.UnaryOpExpr:
		if e.Op == hclsyntax.OpNegate {
			b.WriteByte('-')
		} else {
			b.WriteByte('!')
		}
		renderTo(b, e.Val)
	case *hclsyntax.ConditionalExpr:
		renderTo(b, e.Condition)
		b.WriteString(" ? ")
		renderTo(b, e.TrueResult)
		b.WriteString(" : ")
		renderTo(b, e.FalseResult)
	case *hclsyntax.FunctionCallExpr:
		b.WriteString(e.Name + "(")
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, a)
		}
		b.WriteByte(')')
	case *hclsyntax.ObjectConsExpr:
		b.WriteByte('{')
		for i, it := range e.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			if k := hcl.ExprAsKeyword(it.KeyExpr); k != "" {
				b.WriteString(k)
			} else if w, ok := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
				renderTo(b, w.Wrapped)
			}
			b.WriteString(" = ")
			renderTo(b, it.ValueExpr)
		}
		b.WriteByte('}')
	case *hclsyntax.TupleConsExpr:
		b.WriteByte('[')
		for i, x := range e.Exprs {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, x)
		}
		b.WriteByte(']')
	case *hclsyntax.ForExpr:
		b.WriteString("[for ")
		if e.KeyVar != "" {
			b.WriteString(e.KeyVar + ", ")
		}
		b.WriteString(e.ValVar + " in ")
		renderTo(b, e.CollExpr)
		b.WriteString(" : ")
		renderTo(b, e.ValExpr)
		if e.CondExpr != nil {
			b.WriteString(" if ")
			renderTo(b, e.CondExpr)
		}
		b.WriteByte(']')
	default:
		b.WriteString("…")
	}
}

func renderSteps(b *strings.Builder, tr hcl.Traversal) {
	for _, st := range tr {
		switch t := st.(type) {
		case hcl.TraverseAttr:
			b.WriteString("." + t.Name)
		case hcl.TraverseIndex:
			b.WriteByte('[')
			renderValue(b, t.Key)
			b.WriteByte(']')
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
}

func renderValue(b *strings.Builder, v cty.Value) {
	switch {
	case !v.IsKnown():
		b.WriteString("?")
	case v.IsNull():
		b.WriteString("null")
	case v.Type() == cty.Number:
		b.WriteString(canonNum(v.AsBigFloat()))
	case v.Type() == cty.String:
		b.WriteString(strconv.Quote(v.AsString()))
	case v.Type() == cty.Bool:
		fmt.Fprintf(b, "%t", v.True())
	default:
		b.WriteString(v.GoString())
	}
}

// source is the text of a sub-expression for messages. It is rendered only
// when a message is built: rendering every node of the tree while
// compiling made checking quadratic in the depth of an expression (30k
// nested ! took seconds per thousand levels).
type source struct {
	text string
	expr hclsyntax.Expression
	// base, when set, is rendered first and text follows it: a struct
	// field or list index step appended to a column reference.
	base *source
}

func text(s string) source                  { return source{text: s} }
func srcOf(e hclsyntax.Expression) source   { return source{expr: e} }
func (s source) then(step string) source    { b := s; return source{base: &b, text: step} }
func (s source) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

func (s source) String() string {
	var parts []*source
	for p := &s; p != nil; p = p.base {
		parts = append(parts, p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		if e := parts[i].expr; e != nil {
			b.WriteString(render(e))
		}
		b.WriteString(parts[i].text)
	}
	return b.String()
}
