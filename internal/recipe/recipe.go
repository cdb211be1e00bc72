package recipe

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// AttrMode says how the loader treats an attribute of a node block.
type AttrMode int

const (
	// Static attributes are evaluated at load time with only var.* and the
	// functions of Functions in scope; the converted value is in Attr.Value.
	Static AttrMode = iota
	// Ref is exactly one node reference, a traversal KIND.NAME.
	Ref
	// Refs is a tuple [a.x, b.y] of node references, or an object
	// {name = a.x, ...} whose keys name the sources.
	Refs
	// RowExpr is a row expression over the columns of the node's input. It
	// is stored unevaluated; free names are columns, except var.* which must
	// name declared variables. Node references are rejected.
	RowExpr
	// RowExprMap is an object constructor {new_col = <row expr>, ...}; the
	// items are kept unevaluated in source order.
	RowExprMap
	// Raw attributes are stored unevaluated and unchecked; the op validates
	// them.
	Raw
)

func (m AttrMode) String() string {
	switch m {
	case Static:
		return "Static"
	case Ref:
		return "Ref"
	case Refs:
		return "Refs"
	case RowExpr:
		return "RowExpr"
	case RowExprMap:
		return "RowExprMap"
	case Raw:
		return "Raw"
	}
	return fmt.Sprintf("AttrMode(%d)", int(m))
}

// AttrSpec declares one attribute of a node kind.
type AttrSpec struct {
	Name     string
	Required bool
	Mode     AttrMode
	// Type is the type a Static attribute is converted to;
	// cty.DynamicPseudoType (or cty.NilType) accepts any value.
	Type cty.Type
}

// KindSpec declares a node kind: the attributes its blocks accept.
type KindSpec struct {
	Attrs []AttrSpec
	// Blocks are the labelled sub-blocks the kind's blocks accept, e.g.
	// mix's part "LABEL" { input = ..., n = ... }.
	Blocks []BlockSpec
	Doc    string
}

// BlockSpec declares a sub-block type of a node kind: one label, unique
// within the node, and attributes decoded like the node's own (references
// in them are dependencies of the node).
type BlockSpec struct {
	Type  string
	Label string // what the label names, for messages ("label")
	Attrs []AttrSpec
	// Required is the least number of such blocks a node must have.
	Required int
}

// Recipe is a loaded recipe. It is static structure only: row expressions
// and Raw attributes are not evaluated.
type Recipe struct {
	// Name is the base name of the main file without .hcl, or the base name
	// of the directory when a directory was loaded.
	Name string
	// Dir is the directory of the main file (or the directory loaded).
	Dir string
	// Files holds every .hcl file loaded: the main files (sorted by path),
	// each followed depth first by the files it includes, each file once.
	Files []File
	// Variables are sorted by name.
	Variables []*Variable
	// Nodes holds every node block, output blocks included, in file order.
	// A block whose ID repeats an earlier one is not included.
	Nodes []*Node
	// Executors are the executor "NAME" { } blocks, in file order.
	Executors []*Executor
	// SyntaxErrors is set when a file did not parse: its blocks may be
	// cut short, so nothing beyond the loader's own checks should judge
	// them.
	SyntaxErrors bool

	parsed map[string]*hcl.File
	ctx    *hcl.EvalContext
}

// File is one source file of a recipe.
type File struct {
	Path  string // as given to Load, or joined to the directory given
	Bytes []byte
}

// Variable is a declared variable and the value in effect for this load.
type Variable struct {
	Name        string
	Description string
	// Default is cty.NilVal when the declaration has none.
	Default cty.Value
	// Value is the default or the -var override, converted to Type.
	Value      cty.Value
	Overridden bool
	// Type is cty.DynamicPseudoType when the declaration has no type.
	Type      cty.Type
	DeclRange hcl.Range
}

// Node is one node block: KIND "NAME" { ... }.
type Node struct {
	Kind, Name string
	DeclRange  hcl.Range
	// Range spans the whole block, header to closing brace.
	Range hcl.Range
	Attrs map[string]*Attr
	// Deps are the IDs of the declared nodes this node references, in
	// order of first appearance in the source, without duplicates.
	Deps []string
	// Blocks are the node's sub-blocks (KindSpec.Blocks), in source order.
	Blocks []*Block
	// Resources is the node's resources { } block, nil without one; Shards
	// its shards attribute, 0 without one. Neither is an attribute of the
	// kind, and neither enters a key (see exec.go).
	Resources   *Resources
	Shards      int
	ShardsRange hcl.Range
}

// Block is one sub-block of a node: TYPE "LABEL" { ... }.
type Block struct {
	Type, Label string
	DeclRange   hcl.Range
	LabelRange  hcl.Range
	Attrs       map[string]*Attr
}

// ID returns the node's reference form, KIND.NAME.
func (n *Node) ID() string { return n.Kind + "." + n.Name }

// Attr is one attribute of a node block.
type Attr struct {
	Name  string
	Expr  hcl.Expression
	Range hcl.Range
	Mode  AttrMode
	// Value is set for Static attributes: evaluated and converted.
	Value cty.Value
	// Refs are the node IDs referenced by Ref and Refs attributes, in source
	// order; RefKeys are the object keys of a Refs object (nil for a tuple);
	// RefRanges are the ranges of the reference expressions.
	Refs      []string
	RefKeys   []string
	RefRanges []hcl.Range
	// Items are the entries of a RowExprMap attribute, in source order.
	Items []Item
}

// Item is one entry of a RowExprMap attribute.
type Item struct {
	Key      string
	KeyRange hcl.Range
	Expr     hcl.Expression
}

// Node returns the node with the given ID (KIND.NAME), or nil.
func (r *Recipe) Node(id string) *Node {
	for _, n := range r.Nodes {
		if n.ID() == id {
			return n
		}
	}
	return nil
}

// Variable returns the variable with the given name, or nil.
func (r *Recipe) Variable(name string) *Variable {
	i := sort.Search(len(r.Variables), func(i int) bool { return r.Variables[i].Name >= name })
	if i < len(r.Variables) && r.Variables[i].Name == name {
		return r.Variables[i]
	}
	return nil
}

// EvalContext returns the context Static attributes were evaluated in:
// var.* with the values in effect, plus Functions. Callers must not modify
// it.
func (r *Recipe) EvalContext() *hcl.EvalContext {
	if r.ctx == nil {
		r.ctx = evalContext(r.Variables)
	}
	return r.ctx
}

// Writer returns a diagnostic writer that prints diagnostics with the
// offending source lines of this recipe's files.
func (r *Recipe) Writer(w io.Writer, width uint, color bool) hcl.DiagnosticWriter {
	return hcl.NewDiagnosticTextWriter(w, r.parsed, width, color)
}

// Load parses path (a .hcl file, or a directory whose *.hcl files are loaded
// in name order) and validates it against kinds. vars are -var NAME=VALUE
// overrides: VALUE is taken as an HCL literal when it parses as a number,
// bool, list or object (or a quoted string), otherwise as a plain string,
// and then converted to the variable's type; a string-typed variable always
// takes VALUE verbatim.
//
// The returned Recipe is nil only when no file could be read; with error
// diagnostics it is partial and must be used only to print them.
func Load(path string, kinds map[string]KindSpec, vars map[string]string) (*Recipe, hcl.Diagnostics) {
	return LoadProject(path, "", kinds, vars)
}

// LoadProject is Load for a recipe of the given project directory (""
// for ProjectDir of the recipe's directory): files included with
// include = [...] must lie inside it.
func LoadProject(path, project string, kinds map[string]KindSpec, vars map[string]string) (*Recipe, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	diags = append(diags, checkKinds(kinds)...)

	paths, name, dir, d := recipeFiles(path)
	diags = append(diags, d...)
	if len(paths) == 0 {
		return nil, sortDiagnostics(diags)
	}
	if project == "" {
		project = ProjectDir(dir)
	}

	p := hclparse.NewParser()
	r := &Recipe{Name: name, Dir: dir}
	in := newIncluder(p, project)
	for _, fp := range paths {
		in.root(fp)
	}
	diags = append(diags, in.diags...)
	r.Files = in.files
	files, parseFailed := in.parsed, in.parseFailed
	r.parsed = p.Files()
	if len(r.Files) == 0 {
		return nil, sortDiagnostics(diags)
	}

	l := newLoader(kinds)
	for _, f := range files {
		diags = append(diags, l.collect(f.Body)...)
	}
	diags = append(diags, l.decodeVariables(r, vars)...)
	r.ctx = evalContext(r.Variables)
	diags = append(diags, l.decodeExecutors(r)...)
	diags = append(diags, l.decodeNodes(r)...)
	// A syntax error can hide declarations; cross-node checks would then
	// report references to nodes that do exist, burying the real problem.
	r.SyntaxErrors = parseFailed
	if !parseFailed {
		diags = append(diags, l.resolve(r)...)
		diags = append(diags, findCycles(r)...)
		if len(l.pending) == 0 {
			diags = append(diags, emptyRecipe(r, l.kindNames))
		}
	}
	return r, sortDiagnostics(diags)
}

// recipeFiles lists the files to load for path and derives the recipe's
// name and directory.
func recipeFiles(path string) (paths []string, name, dir string, diags hcl.Diagnostics) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read recipe",
			Detail:   fmt.Sprintf("Cannot open %s: %v. Give the path of a .hcl file or of a directory holding .hcl files.", path, err),
		}}
	}
	if !info.IsDir() {
		if filepath.Ext(path) != ".hcl" {
			return nil, "", "", hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Unsupported recipe file",
				Detail:   fmt.Sprintf("%s does not end in .hcl; recipes are written in HCL native syntax in .hcl files.", path),
			}}
		}
		return []string{path}, strings.TrimSuffix(filepath.Base(path), ".hcl"), filepath.Dir(path), nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read recipe",
			Detail:   fmt.Sprintf("Cannot list %s: %v.", path, err),
		}}
	}
	for _, e := range entries { // os.ReadDir sorts by name
		if !e.IsDir() && filepath.Ext(e.Name()) == ".hcl" {
			paths = append(paths, filepath.Join(path, e.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No recipe files",
			Detail:   fmt.Sprintf("Directory %s holds no .hcl files.", path),
		}}
	}
	return paths, filepath.Base(filepath.Clean(path)), path, nil
}

// emptyRecipe reports a recipe without a single node: building it would
// succeed having done nothing and write a lock that pins nothing, which
// hides a wrong path or an unsaved file.
func emptyRecipe(r *Recipe, kinds []string) *hcl.Diagnostic {
	files := make([]string, len(r.Files))
	for i, f := range r.Files {
		files[i] = f.Path
	}
	start := hcl.InitialPos
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Empty recipe",
		Detail: fmt.Sprintf("%s declares no nodes, so there is nothing to build or lock. Declare at least one node (%s), e.g. fetch \"data\" { url = \"data/input.csv\" } and output \"data\" { input = fetch.data, path = \"out/data.parquet\" }; check that this is the recipe you meant and that it is saved.",
			strings.Join(files, ", "), strings.Join(kinds, ", ")),
		Subject: &hcl.Range{Filename: r.Files[0].Path, Start: start, End: start},
	}
}

// ErrorsIn reports whether diags hold an error located inside rng, e.g.
// inside a node's block (Node.Range): a caller that goes on to check the
// nodes a recipe error did not touch, so that all problems are reported at
// once, skips those.
func ErrorsIn(diags hcl.Diagnostics, rng hcl.Range) bool {
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Subject == nil || d.Subject.Filename != rng.Filename {
			continue
		}
		if d.Subject.Start.Byte >= rng.Start.Byte && d.Subject.Start.Byte <= rng.End.Byte {
			return true
		}
	}
	return false
}
