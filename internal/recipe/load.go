package recipe

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/dsbuild/dsbuild/internal/suggest"
)

// Block types the language itself defines; a kind table may not reuse them.
const (
	blockVariable = "variable"
	blockDsbuild  = "dsbuild"
	rootVar       = "var"
)

// formatVersion is the only recipe format this loader understands.
const formatVersion = 1

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"},
		{Name: "type"},
		{Name: "description"},
	},
}

var dsbuildSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "version", Required: true},
	},
}

// loader carries the state of one Load between its passes: collect (all
// files), variables, nodes, then cross-node resolution.
type loader struct {
	kinds     map[string]KindSpec
	kindNames []string // sorted
	top       *hcl.BodySchema
	schemas   map[string]*hcl.BodySchema

	blocks   []*hcl.Block // known top-level blocks, in file order
	varNames []string     // declared variables, sorted
	pending  []*pendingNode
}

// pendingNode holds what can only be checked once every node is known.
type pendingNode struct {
	node     *Node
	dup      bool // a second declaration of an ID: checked, but not in the graph
	refs     []refUse
	rowExprs []hcl.Expression
}

type refUse struct {
	id  string
	rng hcl.Range
}

func newLoader(kinds map[string]KindSpec) *loader {
	l := &loader{
		kinds:   kinds,
		schemas: make(map[string]*hcl.BodySchema, len(kinds)),
		top: &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: attrInclude}}, Blocks: []hcl.BlockHeaderSchema{
			{Type: blockVariable, LabelNames: []string{"name"}},
			{Type: blockDsbuild},
			{Type: blockExecutor, LabelNames: []string{"name"}},
		}},
	}
	for k := range kinds {
		if reservedKind(k) {
			continue // reported by checkKinds
		}
		l.kindNames = append(l.kindNames, k)
	}
	sort.Strings(l.kindNames)
	for _, k := range l.kindNames {
		l.top.Blocks = append(l.top.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
		// Required is enforced by decodeNode so the diagnostic can point at
		// the block header rather than at the closing brace.
		s := &hcl.BodySchema{}
		for _, a := range kinds[k].Attrs {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name})
		}
		for _, b := range kinds[k].Blocks {
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: b.Type, LabelNames: []string{b.Label}})
		}
		// Where a node runs, not what it computes (see exec.go).
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: attrShards})
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: blockResources})
		l.schemas[k] = s
	}
	return l
}

func reservedKind(k string) bool {
	return k == blockVariable || k == blockDsbuild || k == blockExecutor || k == rootVar || !hclsyntax.ValidIdentifier(k)
}

// checkKinds reports mistakes in the caller's kind table; they are
// programming errors, but reporting them beats a confusing recipe error.
func checkKinds(kinds map[string]KindSpec) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if reservedKind(k) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid kind table",
				Detail:   fmt.Sprintf("Kind %q is reserved or not a valid identifier; the loader cannot accept blocks of that kind.", k),
			})
		}
		seen := map[string]bool{attrShards: true, blockResources: true}
		for _, a := range kinds[k].Attrs {
			if seen[a.Name] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid kind table",
					Detail:   fmt.Sprintf("Kind %q declares attribute %q twice.", k, a.Name),
				})
			}
			seen[a.Name] = true
		}
	}
	return diags
}

func (l *loader) validBlockTypes() string {
	return strings.Join(append([]string{blockVariable, blockDsbuild}, l.kindNames...), ", ")
}

// collect gathers the top-level blocks of one file and reports anything
// else found at the top level.
func (l *loader) collect(body hcl.Body) hcl.Diagnostics {
	content, _, diags := body.PartialContent(l.top)
	l.blocks = append(l.blocks, content.Blocks...)

	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return diags
	}
	known := map[string]bool{}
	for _, b := range l.top.Blocks {
		known[b.Type] = true
	}
	for _, blk := range sb.Blocks {
		if known[blk.Type] {
			continue
		}
		candidates := append([]string{blockVariable, blockDsbuild}, l.kindNames...)
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported block type",
			Detail: fmt.Sprintf("Blocks of type %q are not expected here.%s Valid block types are: %s.",
				blk.Type, suggest.DidYouMean(blk.Type, candidates), l.validBlockTypes()),
			Subject: blk.TypeRange.Ptr(),
			Context: blk.DefRange().Ptr(),
		})
	}
	for _, a := range sortedSyntaxAttrs(sb.Attributes) {
		if a.Name == attrInclude {
			continue // decoded by the includer
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail: fmt.Sprintf("The only argument allowed at the top level of a recipe is include = [\"lib/x.hcl\", ...]. To make %q a variable, declare variable %q { default = ... } and use var.%s.",
				a.Name, a.Name, a.Name),
			Subject: a.NameRange.Ptr(),
		})
	}
	return diags
}

func sortedSyntaxAttrs(m hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return rangeLess(out[i].SrcRange, out[j].SrcRange) })
	return out
}

func sortedAttrs(m hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return rangeLess(out[i].Range, out[j].Range) })
	return out
}

func rangeLess(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

func where(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", rng.Filename, rng.Start.Line, rng.Start.Column)
}

// decodeVariables decodes the variable and dsbuild blocks and applies the
// -var overrides; it must run before decodeNodes, which evaluates var.*.
func (l *loader) decodeVariables(r *Recipe, overrides map[string]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byName := map[string]*Variable{}
	withDefault := map[string]bool{} // even a default that failed to decode
	var settings *hcl.Block
	for _, blk := range l.blocks {
		switch blk.Type {
		case blockDsbuild:
			if settings != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate dsbuild block",
					Detail:   fmt.Sprintf("A dsbuild block was already declared at %s; a recipe has at most one. Remove this one.", where(settings.DefRange)),
					Subject:  blk.DefRange.Ptr(),
				})
				continue
			}
			settings = blk
			diags = append(diags, decodeSettings(blk)...)
		case blockVariable:
			v, hasDefault, d := decodeVariable(blk)
			diags = append(diags, d...)
			if hasDefault {
				withDefault[v.Name] = true
			}
			if prev, ok := byName[v.Name]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate variable declaration",
					Detail: fmt.Sprintf("A variable named %q was already declared at %s. Variable names must be unique within a recipe; remove or rename one of them.",
						v.Name, where(prev.DeclRange)),
					Subject: v.DeclRange.Ptr(),
				})
				continue
			}
			byName[v.Name] = v
			r.Variables = append(r.Variables, v)
		}
	}
	sort.Slice(r.Variables, func(i, j int) bool { return r.Variables[i].Name < r.Variables[j].Name })
	for _, v := range r.Variables {
		l.varNames = append(l.varNames, v.Name)
	}

	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		raw := overrides[n]
		v, ok := byName[n]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("-var %s=%s sets a variable that the recipe does not declare.%s To add it, declare variable %q {} in the recipe.",
					n, raw, suggest.DidYouMean(n, l.varNames), n),
			})
			continue
		}
		val, err := parseVarValue(raw, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail: fmt.Sprintf("-var %s=%s: %s. Variable %q (declared at %s) has type %s.",
					n, raw, formatConvertError(err), n, where(v.DeclRange), typeString(v.Type)),
			})
			v.Value = cty.NilVal
			v.Overridden = true
			continue
		}
		v.Value, v.Overridden = val, true
	}

	for _, v := range r.Variables {
		if isNil(v.Value) && !withDefault[v.Name] && !v.Overridden {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("Variable %q has no default. Set it with -var %s=VALUE, or add a default to its declaration.", v.Name, v.Name),
				Subject:  v.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

func decodeSettings(blk *hcl.Block) hcl.Diagnostics {
	content, diags := blk.Body.Content(dsbuildSchema)
	attr, ok := content.Attributes["version"]
	if !ok {
		return diags
	}
	val, d := attr.Expr.Value(nil)
	diags = append(diags, d...)
	if d.HasErrors() {
		return diags
	}
	n, err := convert.Convert(val, cty.Number)
	ok = err == nil && !n.IsNull() && n.IsKnown()
	if ok {
		bf := n.AsBigFloat()
		ok = bf.IsInt() && bf.Cmp(cty.NumberIntVal(formatVersion).AsBigFloat()) == 0
	}
	if !ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported recipe format version",
			Detail:   fmt.Sprintf("This dsbuild understands recipe format version %d; write version = %d, or use a dsbuild release that supports this recipe.", formatVersion, formatVersion),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return diags
}

func decodeVariable(blk *hcl.Block) (v *Variable, hasDefault bool, diags hcl.Diagnostics) {
	v = &Variable{
		Name:      blk.Labels[0],
		Type:      cty.DynamicPseudoType,
		DeclRange: blk.DefRange,
	}
	if !hclsyntax.ValidIdentifier(v.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   "A variable name must start with a letter or underscore and contain only letters, digits, underscores and dashes, so that var.NAME can refer to it.",
			Subject:  blk.LabelRanges[0].Ptr(),
		})
	}
	content, d := blk.Body.Content(variableSchema)
	diags = append(diags, d...)

	typeOK := true
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		if d.HasErrors() {
			typeOK = false
		} else {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			s, err := convert.Convert(val, cty.String)
			switch {
			case err == nil && !s.IsKnown():
				// Only a syntax error, already reported, yields an unknown.
			case err != nil || s.IsNull():
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incorrect attribute value type",
					Detail:   "The description of a variable must be a string, e.g. \"random seed of the sampling\".",
					Subject:  attr.Expr.Range().Ptr(),
				})
			default:
				v.Description = s.AsString()
			}
		}
	}
	if attr, ok := content.Attributes["default"]; ok {
		hasDefault = true
		// Defaults are literals: evaluating them with a nil context makes
		// hcl reject references and function calls with its own message.
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			conv, err := convert.Convert(val, v.Type)
			if err != nil && typeOK {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail: fmt.Sprintf("The default is not compatible with the variable's type %s: %s. %s",
						typeString(v.Type), formatConvertError(err), typeHint(v.Type)),
					Subject: attr.Expr.Range().Ptr(),
				})
			} else if err == nil {
				v.Default, v.Value = conv, conv
			}
		}
	}
	if !typeOK {
		// An unknown type must not produce a second error for each use.
		v.Type = cty.DynamicPseudoType
	}
	return v, hasDefault, diags
}

// decodeNodes decodes every node block, evaluating its Static attributes
// and recording references for resolve.
func (l *loader) decodeNodes(r *Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byID := map[string]*Node{}
	for _, blk := range l.blocks {
		if blk.Type == blockVariable || blk.Type == blockDsbuild || blk.Type == blockExecutor {
			continue
		}
		pn, d := l.decodeNode(blk, r.EvalContext())
		diags = append(diags, d...)
		n := pn.node
		if prev, ok := byID[n.ID()]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate node declaration",
				Detail: fmt.Sprintf("A %s node named %q was already declared at %s. Node names must be unique within a kind; rename one of them.%s",
					n.Kind, n.Name, where(prev.DeclRange), sharedNamespace(prev, n)),
				Subject: n.DeclRange.Ptr(),
			})
			pn.dup = true
		} else {
			byID[n.ID()] = n
			r.Nodes = append(r.Nodes, n)
		}
		l.pending = append(l.pending, pn)
	}
	return diags
}

func (l *loader) decodeNode(blk *hcl.Block, ctx *hcl.EvalContext) (*pendingNode, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	n := &Node{
		Kind:      blk.Type,
		Name:      blk.Labels[0],
		DeclRange: blk.DefRange,
		Range:     blk.DefRange,
		Attrs:     map[string]*Attr{},
	}
	if sb, ok := blk.Body.(*hclsyntax.Body); ok {
		n.Range = hcl.RangeBetween(blk.DefRange, sb.SrcRange)
	}
	pn := &pendingNode{node: n}
	if !hclsyntax.ValidIdentifier(n.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid node name",
			Detail: fmt.Sprintf("A node name must start with a letter or underscore and contain only letters, digits, underscores and dashes, so that %s.NAME can refer to it.",
				n.Kind),
			Subject: blk.LabelRanges[0].Ptr(),
		})
	}
	spec := l.kinds[n.Kind]
	content, d := blk.Body.Content(l.schemas[n.Kind])
	diags = append(diags, d...)
	diags = append(diags, l.splitPlacement(pn, content, ctx)...)

	for _, as := range spec.Attrs {
		if _, ok := content.Attributes[as.Name]; as.Required && !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing required argument",
				Detail: fmt.Sprintf("The argument %q is required in %s blocks, but no definition was found. Add %s = %s.",
					as.Name, n.Kind, as.Name, example(as)),
				Subject: blk.DefRange.Ptr(),
			})
		}
	}
	n.Attrs, d = l.decodeAttrs(pn, spec.Attrs, content.Attributes, ctx)
	diags = append(diags, d...)
	diags = append(diags, l.decodeBlocks(pn, spec.Blocks, content.Blocks, ctx)...)
	return pn, diags
}

// decodeAttrs decodes the attributes of a node or of one of its
// sub-blocks; their references and row expressions are the node's.
func (l *loader) decodeAttrs(pn *pendingNode, spec []AttrSpec, attrs hcl.Attributes, ctx *hcl.EvalContext) (map[string]*Attr, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]*Attr{}
	specs := map[string]AttrSpec{}
	for _, as := range spec {
		specs[as.Name] = as
	}
	for _, ha := range sortedAttrs(attrs) {
		as := specs[ha.Name]
		a := &Attr{Name: ha.Name, Expr: ha.Expr, Range: ha.Range, Mode: as.Mode}
		out[a.Name] = a
		switch as.Mode {
		case Static:
			diags = append(diags, l.decodeStatic(a, as, ctx)...)
		case Ref:
			diags = append(diags, l.decodeRef(pn, a)...)
		case Refs:
			diags = append(diags, l.decodeRefs(pn, a)...)
		case RowExpr:
			pn.rowExprs = append(pn.rowExprs, a.Expr)
		case RowExprMap:
			diags = append(diags, decodeRowExprMap(pn, a)...)
		}
	}
	return out, diags
}

// decodeBlocks decodes a node's sub-blocks (mix's part "LABEL" { ... }):
// labels unique per type, required attributes present, at least
// BlockSpec.Required blocks of each type.
func (l *loader) decodeBlocks(pn *pendingNode, specs []BlockSpec, blocks hcl.Blocks, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	n := pn.node
	count := map[string]int{}
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		var bs *BlockSpec
		for i := range specs {
			if specs[i].Type == blk.Type {
				bs = &specs[i]
			}
		}
		if bs == nil {
			continue // the body schema has rejected it
		}
		count[blk.Type]++
		b := &Block{Type: blk.Type, Label: blk.Labels[0], DeclRange: blk.DefRange, LabelRange: blk.LabelRanges[0]}
		if prev, ok := seen[blk.Type+"\x00"+b.Label]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + blk.Type + " " + bs.Label,
				Detail:   fmt.Sprintf("A %s block labelled %q was already declared at %s; each %s of a %s needs its own %s.", blk.Type, b.Label, where(prev), blk.Type, n.Kind, bs.Label),
				Subject:  b.LabelRange.Ptr(),
			})
			continue
		}
		seen[blk.Type+"\x00"+b.Label] = b.LabelRange
		schema := &hcl.BodySchema{}
		for _, a := range bs.Attrs {
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a.Name})
		}
		content, d := blk.Body.Content(schema)
		diags = append(diags, d...)
		for _, as := range bs.Attrs {
			if _, ok := content.Attributes[as.Name]; as.Required && !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing required argument",
					Detail: fmt.Sprintf("The argument %q is required in %s blocks of %s, but no definition was found. Add %s = %s.",
						as.Name, blk.Type, n.Kind, as.Name, example(as)),
					Subject: blk.DefRange.Ptr(),
				})
			}
		}
		b.Attrs, d = l.decodeAttrs(pn, bs.Attrs, content.Attributes, ctx)
		diags = append(diags, d...)
		n.Blocks = append(n.Blocks, b)
	}
	for _, bs := range specs {
		if count[bs.Type] < bs.Required {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing " + bs.Type + " block",
				Detail:   fmt.Sprintf("A %s block needs at least %d %s block(s), e.g. %s \"NAME\" { ... }.", n.Kind, bs.Required, bs.Type, bs.Type),
				Subject:  n.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

// example shows the shape of a value for spec, for "add X = ..." hints.
func example(as AttrSpec) string {
	switch as.Mode {
	case Ref:
		return "KIND.NAME (e.g. fetch.esconv)"
	case Refs:
		return "[KIND.NAME, ...] or {name = KIND.NAME, ...}"
	case RowExpr:
		return "<row expression>"
	case RowExprMap:
		return "{new_column = <row expression>, ...}"
	case Static:
		return "<" + typeString(as.Type) + ">"
	}
	return "<value>"
}

func (l *loader) isKind(name string) bool {
	_, ok := l.kinds[name]
	return ok && !reservedKind(name)
}

func (l *loader) decodeStatic(a *Attr, as AttrSpec, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, trav := range a.Expr.Variables() {
		root := trav.RootName()
		if root == rootVar {
			diags = append(diags, l.checkVarTraversal(trav)...)
			continue
		}
		what := fmt.Sprintf("%s would be a column, but columns exist only in row expressions", traversalString(trav))
		if l.isKind(root) && len(trav) > 1 {
			what = fmt.Sprintf("%s is a node reference; nodes are inputs, given in input or sources", traversalString(trav))
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference in static attribute",
			Detail: fmt.Sprintf("The argument %q is evaluated when the recipe is loaded, so only var.NAME variables, literals and functions may be used in it; %s.",
				a.Name, what),
			Subject: trav.SourceRange().Ptr(),
		})
	}
	if diags.HasErrors() {
		return diags
	}
	val, d := a.Expr.Value(ctx)
	diags = append(diags, d...)
	if d.HasErrors() || !val.IsWhollyKnown() {
		// Unknown only when a variable already failed; that was reported.
		return diags
	}
	ty := as.Type
	if ty == cty.NilType {
		ty = cty.DynamicPseudoType
	}
	conv, err := convert.Convert(val, ty)
	if err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail: fmt.Sprintf("Inappropriate value for attribute %q: %s. %s",
				a.Name, formatConvertError(err), typeHint(ty)),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	if as.Required && conv.IsNull() {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   fmt.Sprintf("The argument %q is required and must not be null. %s", a.Name, typeHint(ty)),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	a.Value = conv
	return diags
}

// checkVarTraversal checks a var.* traversal against the declared
// variables.
func (l *loader) checkVarTraversal(trav hcl.Traversal) hcl.Diagnostics {
	if len(trav) < 2 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable reference",
			Detail:   "The name var alone is not a value; refer to a variable as var.NAME.",
			Subject:  trav.SourceRange().Ptr(),
		}}
	}
	step, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable reference",
			Detail:   "Refer to a variable as var.NAME, with a dot.",
			Subject:  trav.SourceRange().Ptr(),
		}}
	}
	i := sort.SearchStrings(l.varNames, step.Name)
	if i < len(l.varNames) && l.varNames[i] == step.Name {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared variable",
		Detail: fmt.Sprintf("No variable named %q is declared.%s To add it, declare variable %q { default = ... } in the recipe.",
			step.Name, suggest.DidYouMean(step.Name, l.varNames), step.Name),
		Subject: hcl.RangeBetween(trav[0].SourceRange(), trav[1].SourceRange()).Ptr(),
	}}
}

// nodeRef reads a node reference expression, checking its shape only:
// whether the node exists is known only after every block is decoded.
func (l *loader) nodeRef(attr string, expr hcl.Expression) (string, hcl.Diagnostics) {
	trav, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() {
		detail := fmt.Sprintf("The argument %q must be a node reference KIND.NAME, such as fetch.esconv.", attr)
		if v, vd := expr.Value(nil); !vd.HasErrors() && v.Type().Equals(cty.String) && v.IsKnown() && !v.IsNull() {
			detail += fmt.Sprintf(" Write it without quotes: %s, not %q.", v.AsString(), v.AsString())
		}
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid node reference",
			Detail:   detail,
			Subject:  expr.Range().Ptr(),
		}}
	}
	bad := func(detail string) (string, hcl.Diagnostics) {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid node reference",
			Detail:   detail,
			Subject:  trav.SourceRange().Ptr(),
		}}
	}
	root := trav.RootName()
	switch {
	case root == rootVar:
		return bad(fmt.Sprintf("The argument %q takes a node, KIND.NAME; %s is a variable.", attr, traversalString(trav)))
	case len(trav) == 1 && l.isKind(root):
		return bad(fmt.Sprintf("A reference to a %s node needs the node's name: %s.NAME.", root, root))
	case len(trav) == 1:
		return bad(fmt.Sprintf("The argument %q takes a node reference KIND.NAME, such as fetch.esconv; %s has no kind.", attr, root))
	}
	step, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return bad(fmt.Sprintf("Write a node reference as KIND.NAME with a dot, e.g. %s.NAME.", root))
	}
	if len(trav) > 2 {
		return bad(fmt.Sprintf("A node reference has exactly two parts, KIND.NAME, but %s has more. Columns cannot be picked here; use a select node to keep or derive columns.",
			traversalString(trav)))
	}
	return root + "." + step.Name, nil
}

func (l *loader) decodeRef(pn *pendingNode, a *Attr) hcl.Diagnostics {
	id, diags := l.nodeRef(a.Name, a.Expr)
	if diags.HasErrors() {
		return diags
	}
	a.Refs = []string{id}
	a.RefRanges = []hcl.Range{a.Expr.Range()}
	pn.refs = append(pn.refs, refUse{id: id, rng: a.Expr.Range()})
	return nil
}

func (l *loader) decodeRefs(pn *pendingNode, a *Attr) hcl.Diagnostics {
	var diags hcl.Diagnostics
	phys := hcl.UnwrapExpressionUntil(a.Expr, func(e hcl.Expression) bool {
		switch e.(type) {
		case *hclsyntax.TupleConsExpr, *hclsyntax.ObjectConsExpr:
			return true
		}
		return false
	})
	add := func(key string, expr hcl.Expression) {
		id, d := l.nodeRef(a.Name, expr)
		diags = append(diags, d...)
		if d.HasErrors() {
			return
		}
		a.Refs = append(a.Refs, id)
		a.RefRanges = append(a.RefRanges, expr.Range())
		if key != "" {
			a.RefKeys = append(a.RefKeys, key)
		}
		pn.refs = append(pn.refs, refUse{id: id, rng: expr.Range()})
	}
	var count int
	switch e := phys.(type) {
	case *hclsyntax.TupleConsExpr:
		count = len(e.Exprs)
		for _, x := range e.Exprs {
			add("", x)
		}
	case *hclsyntax.ObjectConsExpr:
		count = len(e.Items)
		diags = append(diags, uniqueItems(e.Items, "source name",
			func(key string, prev hcl.Range) (string, string) {
				return "Duplicate source name", fmt.Sprintf("The source name %q was already used at %s; each source needs its own name.", key, where(prev))
			},
			func(key string, _ hcl.Range, value hcl.Expression) { add(key, value) })...)
	default:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference list",
			Detail: fmt.Sprintf("The argument %q takes a list of node references such as [fetch.a, fetch.b], or an object naming each source such as {esconv = fetch.esconv}.",
				a.Name),
			Subject: a.Expr.Range().Ptr(),
		}}
	}
	if count == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference list",
			Detail:   fmt.Sprintf("The argument %q must name at least one node, e.g. [fetch.a, fetch.b].", a.Name),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	return diags
}

// objectKey reads the key of an object constructor item: a bare name or a
// quoted string, never a computed value, so keys are known at load time.
// uniqueItems calls add, in order, for each item of an object constructor
// whose key is a valid name (what says of what) not seen before; a repeated
// key gets an error built by dup from the key and its first use.
func uniqueItems(items []hclsyntax.ObjectConsItem, what string, dup func(key string, prev hcl.Range) (summary, detail string), add func(key string, rng hcl.Range, value hcl.Expression)) hcl.Diagnostics {
	var diags hcl.Diagnostics
	keys := map[string]hcl.Range{}
	for _, item := range items {
		key, rng, d := objectKey(item.KeyExpr, what)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if prev, ok := keys[key]; ok {
			summary, detail := dup(key, prev)
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
			continue
		}
		keys[key] = rng
		add(key, rng, item.ValueExpr)
	}
	return diags
}

func objectKey(expr hcl.Expression, what string) (string, hcl.Range, hcl.Diagnostics) {
	rng := expr.Range()
	val, d := expr.Value(nil)
	if d.HasErrors() || !val.Type().Equals(cty.String) || val.IsNull() || !val.IsKnown() {
		return "", rng, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + what,
			Detail:   fmt.Sprintf("A %s must be a bare name or a quoted string, e.g. turn_count or \"turn count\".", what),
			Subject:  rng.Ptr(),
		}}
	}
	return val.AsString(), rng, nil
}

func decodeRowExprMap(pn *pendingNode, a *Attr) hcl.Diagnostics {
	phys := hcl.UnwrapExpressionUntil(a.Expr, func(e hcl.Expression) bool {
		_, ok := e.(*hclsyntax.ObjectConsExpr)
		return ok
	})
	obj, ok := phys.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid row expression map",
			Detail: fmt.Sprintf("The argument %q takes an object whose keys are new column names and whose values are row expressions, e.g. {n_turns = length(turns)}.",
				a.Name),
			Subject: a.Expr.Range().Ptr(),
		}}
	}
	diags := uniqueItems(obj.Items, "column name",
		func(key string, prev hcl.Range) (string, string) {
			return "Duplicate column name", fmt.Sprintf("The column %q is already derived at %s; give each derived column its own name.", key, where(prev))
		},
		func(key string, rng hcl.Range, value hcl.Expression) {
			a.Items = append(a.Items, Item{Key: key, KeyRange: rng, Expr: value})
			pn.rowExprs = append(pn.rowExprs, value)
		})
	return diags
}

// resolve checks every node reference against the declared nodes, fills
// Node.Deps, and checks the references inside row expressions.
func (l *loader) resolve(r *Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ids := make([]string, 0, len(r.Nodes))
	exists := map[string]bool{}
	for _, n := range r.Nodes {
		ids = append(ids, n.ID())
		exists[n.ID()] = true
	}
	for _, pn := range l.pending {
		seen := map[string]bool{}
		for _, ref := range pn.refs {
			if !exists[ref.id] {
				detail := fmt.Sprintf("No node %s is declared in this recipe.%s", ref.id, suggest.DidYouMean(ref.id, ids))
				if kind, _, _ := strings.Cut(ref.id, "."); !l.isKind(kind) {
					detail += fmt.Sprintf(" %q is not a node kind; the kinds are: %s.", kind, strings.Join(l.kindNames, ", "))
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared node",
					Detail:   detail,
					Subject:  ref.rng.Ptr(),
				})
				continue
			}
			if !pn.dup && !seen[ref.id] {
				seen[ref.id] = true
				pn.node.Deps = append(pn.node.Deps, ref.id)
			}
		}
		for _, expr := range pn.rowExprs {
			diags = append(diags, l.checkRowExpr(expr, exists)...)
		}
	}
	return diags
}

func (l *loader) checkRowExpr(expr hcl.Expression, exists map[string]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, trav := range expr.Variables() {
		root := trav.RootName()
		if root == rootVar {
			diags = append(diags, l.checkVarTraversal(trav)...)
			continue
		}
		if !l.isKind(root) || len(trav) < 2 {
			continue
		}
		step, ok := trav[1].(hcl.TraverseAttr)
		if !ok || !exists[root+"."+step.Name] {
			continue // a column that happens to share a kind's name
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Node reference in row expression",
			Detail: fmt.Sprintf("%s.%s is a node, but row expressions refer to columns, not nodes: free names are columns of this node's input. To use another node's rows, make it an input (e.g. through a mix node).",
				root, step.Name),
			Subject: hcl.RangeBetween(trav[0].SourceRange(), trav[1].SourceRange()).Ptr(),
		})
	}
	return diags
}

// traversalString renders trav in source form for messages.
func traversalString(trav hcl.Traversal) string {
	var b strings.Builder
	for _, s := range trav {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString(".")
			b.WriteString(s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type().Equals(cty.String) && s.Key.IsKnown() && !s.Key.IsNull() {
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			} else if s.Key.Type().Equals(cty.Number) && s.Key.IsKnown() && !s.Key.IsNull() {
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			} else {
				b.WriteString("[...]")
			}
		default:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// sharedNamespace explains a clash between two files: included files share
// the recipe's namespace.
func sharedNamespace(prev, n *Node) string {
	if prev.DeclRange.Filename == n.DeclRange.Filename {
		return ""
	}
	return fmt.Sprintf(" %s and %s are files of one recipe (one includes the other, directly or not, or both are in the recipe's directory) and share one namespace; a lib file prefixes its node names with its own name (e.g. esconv_train).",
		prev.DeclRange.Filename, n.DeclRange.Filename)
}
