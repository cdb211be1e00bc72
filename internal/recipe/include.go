package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/projpath"
	"github.com/dsbuild/dsbuild/internal/suggest"
)

// attrInclude is the one argument allowed at the top level of a recipe
// file: include = ["lib/esconv.hcl", ...], paths relative to the file that
// holds it. Included files share the recipe's namespace (nodes and
// variables), are loaded once however often they are included, and are
// files of the recipe like the main one (the lock pins their digests).
const attrInclude = "include"

// ProjectDir returns the project a recipe in recipeDir belongs to: the
// first directory at or above it holding a lockfiles/ folder or a .git;
// failing that, a recipe in a folder named "recipes" belongs to the folder
// above it, and any other recipe to its own folder.
func ProjectDir(recipeDir string) string {
	abs, err := filepath.Abs(recipeDir)
	if err != nil {
		return recipeDir
	}
	for d := abs; ; {
		for _, marker := range []string{"lockfiles", ".git"} {
			if fi, err := os.Stat(filepath.Join(d, marker)); err == nil && (fi.IsDir() || marker == ".git") {
				return d
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if filepath.Base(abs) == "recipes" {
		return filepath.Dir(abs)
	}
	return abs
}

// includer expands the include lists of a recipe's files, depth first.
type includer struct {
	parser  *hclparse.Parser
	project string // real path of the project directory
	// loaded maps a file's real path to the path it was loaded under, so
	// a file reached twice (a diamond, or a main file also included) is
	// loaded once.
	loaded map[string]string
	// onStack holds the real paths of the files being expanded, for cycles.
	onStack map[string]bool
	stack   []string // the paths of those files, as loaded, in order

	files       []File
	parsed      []*hcl.File
	diags       hcl.Diagnostics
	parseFailed bool
}

func newIncluder(p *hclparse.Parser, project string) *includer {
	real, err := projpath.RealDir(project)
	if err != nil {
		real = projpath.Real(project)
	}
	return &includer{parser: p, project: real, loaded: map[string]string{}, onStack: map[string]bool{}}
}

// root loads one main file of the recipe (given to Load, or listed from
// its directory) and, through its includes, every file it reaches.
func (in *includer) root(path string) {
	real := projpath.Real(path)
	if _, ok := in.loaded[real]; ok {
		return // already included by an earlier main file
	}
	src, err := os.ReadFile(path)
	if err != nil {
		in.diags = append(in.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Failed to read recipe file",
			Detail:   fmt.Sprintf("Cannot read %s: %v.", path, err),
		})
		return
	}
	in.load(path, real, src)
}

// load parses one file and expands its include list.
func (in *includer) load(path, real string, src []byte) {
	in.loaded[real] = path
	in.files = append(in.files, File{Path: path, Bytes: src})
	// HCL's parser recurses per level of nesting; a file nested too deep
	// is refused before it can overflow the stack.
	if d := CheckNesting(src, path); d.HasErrors() {
		in.diags = append(in.diags, d...)
		in.parseFailed = true
		return
	}
	f, d := in.parser.ParseHCL(src, path)
	in.diags = append(in.diags, d...)
	if d.HasErrors() {
		in.parseFailed = true
	}
	if f == nil {
		return
	}
	in.parsed = append(in.parsed, f)
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return
	}
	attr, ok := body.Attributes[attrInclude]
	if !ok {
		return
	}
	in.onStack[real] = true
	in.stack = append(in.stack, path)
	for _, it := range in.items(attr) {
		in.include(path, it.path, it.rng)
	}
	in.stack = in.stack[:len(in.stack)-1]
	delete(in.onStack, real)
}

type includeItem struct {
	path string
	rng  hcl.Range
}

// items decodes include = [...]: a literal list of strings, each with its
// own range so that a problem with one file points at its item.
func (in *includer) items(attr *hclsyntax.Attribute) []includeItem {
	bad := func(detail string, rng hcl.Range) {
		in.diags = append(in.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid include",
			Detail:   detail + ` Write include = ["lib/esconv.hcl", ...]: a list of .hcl files, relative to the file that includes them.`,
			Subject:  rng.Ptr(),
		})
	}
	tuple, ok := attr.Expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		bad("include must be a list of literal strings.", attr.Expr.Range())
		return nil
	}
	var out []includeItem
	for _, e := range tuple.Exprs {
		if len(e.Variables()) > 0 {
			bad("include is resolved before variables exist, so its items are literal strings, not references.", e.Range())
			continue
		}
		// A nil context: function calls are refused with hcl's message.
		v, d := e.Value(nil)
		if d.HasErrors() {
			in.diags = append(in.diags, d...)
			continue
		}
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			bad(fmt.Sprintf("Each item of include must be a string; this one is %s.", friendlyType(v)), e.Range())
			continue
		}
		out = append(out, includeItem{path: v.AsString(), rng: e.Range()})
	}
	return out
}

func friendlyType(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "not known when the recipe is loaded"
	}
	return "a " + v.Type().FriendlyName()
}

// include resolves one item of from's include list and loads it.
func (in *includer) include(from, rel string, rng hcl.Range) {
	fail := func(summary, detail string) {
		in.diags = append(in.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
	}
	if rel == "" {
		fail("Invalid include", `An empty path includes nothing; name a .hcl file relative to this file, e.g. "lib/esconv.hcl".`)
		return
	}
	if filepath.IsAbs(rel) || filepath.VolumeName(rel) != "" || strings.HasPrefix(filepath.ToSlash(rel), "/") {
		fail("Include outside the project", fmt.Sprintf("%q is absolute; include paths are relative to the including file (%s) and stay inside the project %s, so the recipe builds the same on another machine.", rel, from, in.project))
		return
	}
	if filepath.Ext(rel) != ".hcl" {
		fail("Unsupported include", fmt.Sprintf("%q does not end in .hcl; include names recipe files written in HCL native syntax. Data and templates are read by nodes (fetch, synthesize templates), not included.", rel))
		return
	}
	path := filepath.Join(filepath.Dir(from), filepath.FromSlash(rel))
	real := projpath.Real(path)
	if !projpath.Within(in.project, real) {
		fail("Include outside the project", fmt.Sprintf("%q resolves to %s, outside the project %s; included files must lie inside the project (put shared files in e.g. recipes/lib/), so the lock can pin them and the recipe builds the same elsewhere.", rel, real, in.project))
		return
	}
	if in.onStack[real] {
		chain := append([]string{}, in.stack...)
		start := 0
		for i, p := range chain {
			if projpath.Real(p) == real {
				start = i
				break
			}
		}
		chain = append(chain[start:], path)
		fail("Include cycle", fmt.Sprintf("%s includes %s, which is already being included: %s. Remove one of these includes; a file shared by several recipes must not include them back.",
			from, path, strings.Join(chain, " → ")))
		return
	}
	if _, ok := in.loaded[real]; ok {
		return // included before: loaded once
	}
	fi, err := os.Stat(real)
	switch {
	case err != nil && os.IsNotExist(err):
		fail("Missing included file", fmt.Sprintf("%s (%q, relative to %s) does not exist.%s Include paths are relative to the file that holds the include.",
			path, rel, filepath.Dir(from), suggest.DidYouMean(filepath.Base(rel), hclFilesIn(filepath.Dir(path)))))
		return
	case err != nil:
		fail("Failed to read included file", fmt.Sprintf("Cannot read %s: %v.", path, err))
		return
	case !fi.Mode().IsRegular():
		fail("Unsupported include", fmt.Sprintf("%s is %s; include names regular .hcl files.", path, projpath.Describe(fi)))
		return
	}
	src, err := os.ReadFile(real)
	if err != nil {
		fail("Failed to read included file", fmt.Sprintf("Cannot read %s: %v.", path, err))
		return
	}
	in.load(path, real, src)
}

// hclFilesIn lists the .hcl files of dir, for did-you-mean hints.
func hclFilesIn(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".hcl" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
