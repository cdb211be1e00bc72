package ops

// Helpers that build an op's key params (Op.Params). Every attribute that
// can change an op's output must reach its params, including the recipe
// variables its expressions read; these helpers keep that uniform: params
// are sorted by name and deduplicated, and lists print in one fixed form.

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// varParams returns the values of the recipe variables an expression reads,
// so that changing a variable changes the key of every node that uses it.
func varParams(vars map[string]cty.Value, e hcl.Expression) []Param {
	var ps []Param
	for _, tr := range e.Variables() {
		if tr.RootName() != "var" || len(tr) < 2 {
			continue
		}
		attr, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		v, ok := vars[attr.Name]
		if !ok {
			continue
		}
		ps = append(ps, Param{"var." + attr.Name, CanonicalValue(v)})
	}
	return dedupParams(ps)
}

// dedupParams sorts ps by name and keeps the first param of each name, so
// a variable read by two expressions enters the key once.
func dedupParams(ps []Param) []Param {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p.Name == ps[i-1].Name {
			continue
		}
		out = append(out, p)
	}
	return out
}

// joinComma joins xs with ", ", the list form of canonical params and
// messages.
func joinComma(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

// sortedKeys returns the keys of m in sorted order, so that params built
// from a map do not depend on map iteration order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
