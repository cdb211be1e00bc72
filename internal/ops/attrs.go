package ops

import (
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// The recipe loader has already evaluated and type-converted Static
// attributes; these helpers only read them back.

func attrString(n *recipe.Node, name, def string) string {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() || a.Value.Type() != cty.String {
		return def
	}
	return a.Value.AsString()
}

func attrBool(n *recipe.Node, name string, def bool) bool {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() || a.Value.Type() != cty.Bool {
		return def
	}
	return a.Value.True()
}

func hasAttr(n *recipe.Node, name string) bool {
	_, ok := n.Attrs[name]
	return ok
}

func attrRange(n *recipe.Node, name string) *hcl.Range {
	if a, ok := n.Attrs[name]; ok {
		r := a.Range
		return &r
	}
	r := n.DeclRange
	return &r
}

// attrNumber returns the number and whether it was set.
func attrNumber(n *recipe.Node, name string) (*big.Float, bool) {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() || a.Value.Type() != cty.Number {
		return nil, false
	}
	return a.Value.AsBigFloat(), true
}

// attrInt reads an integer attribute, diagnosing fractions and range.
func attrInt(n *recipe.Node, name string, min, max int64) (int64, bool, hcl.Diagnostics) {
	f, ok := attrNumber(n, name)
	if !ok {
		return 0, false, nil
	}
	i, acc := f.Int64()
	if acc != big.Exact || i < min || i > max {
		return 0, true, hcl.Diagnostics{diag("Invalid value",
			name+" must be a whole number between "+big.NewInt(min).String()+" and "+big.NewInt(max).String()+".",
			attrRange(n, name))}
	}
	return i, true, nil
}

func attrStrings(n *recipe.Node, name string) []string {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() {
		return nil
	}
	t := a.Value.Type()
	if !t.IsListType() && !t.IsTupleType() && !t.IsSetType() {
		return nil
	}
	var out []string
	for it := a.Value.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.Type() == cty.String && !v.IsNull() {
			out = append(out, v.AsString())
		}
	}
	return out
}

func attrStringMap(n *recipe.Node, name string) map[string]string {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() {
		return nil
	}
	t := a.Value.Type()
	if !t.IsMapType() && !t.IsObjectType() {
		return nil
	}
	out := map[string]string{}
	for it := a.Value.ElementIterator(); it.Next(); {
		k, v := it.Element()
		if v.Type() == cty.String && !v.IsNull() {
			out[k.AsString()] = v.AsString()
		}
	}
	return out
}

// canonicalList encodes a list of strings for a key parameter.
func canonicalList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = quote(x)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func canonicalMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = quote(k) + ":" + quote(m[k])
	}
	return "{" + strings.Join(q, ",") + "}"
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// canonicalExpr returns the normalized syntax tree of a row expression.
func canonicalExpr(a *recipe.Attr) (string, hcl.Diagnostics) {
	return expr.Canonical(a.Expr)
}
