package recipe

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// testKinds is the kind table the tests load recipes against; it mirrors
// the attributes of the real ops without depending on them.
var testKinds = map[string]KindSpec{
	"fetch": {Attrs: []AttrSpec{
		{Name: "url", Required: true, Mode: Static, Type: cty.String},
		{Name: "digest", Mode: Static, Type: cty.String},
		{Name: "format", Mode: Static, Type: cty.String},
	}},
	"filter": {Attrs: []AttrSpec{
		{Name: "input", Required: true, Mode: Ref},
		{Name: "where", Required: true, Mode: RowExpr},
		{Name: "strict", Mode: Static, Type: cty.Bool},
	}},
	"select": {Attrs: []AttrSpec{
		{Name: "input", Required: true, Mode: Ref},
		{Name: "keep", Mode: Static, Type: cty.List(cty.String)},
		{Name: "drop", Mode: Static, Type: cty.List(cty.String)},
		{Name: "rename", Mode: Static, Type: cty.Map(cty.String)},
		{Name: "derive", Mode: RowExprMap},
	}},
	"flatten": {Attrs: []AttrSpec{
		{Name: "input", Required: true, Mode: Ref},
		{Name: "column", Required: true, Mode: Static, Type: cty.String},
		{Name: "index", Mode: Static, Type: cty.String},
	}},
	"mix": {Attrs: []AttrSpec{
		{Name: "sources", Required: true, Mode: Refs},
		{Name: "seed", Mode: Static, Type: cty.Number},
	}},
	"output": {Attrs: []AttrSpec{
		{Name: "input", Required: true, Mode: Ref},
		{Name: "path", Required: true, Mode: Static, Type: cty.String},
		{Name: "format", Mode: Static, Type: cty.String},
	}},
}

func TestLoadValid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid recipes: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, diags := Load(f, testKinds, nil)
			if len(diags) > 0 {
				t.Fatalf("Load(%s) diagnostics:\n%s", f, FormatDiagnostics(diags))
			}
			if r == nil || len(r.Nodes) == 0 {
				t.Fatalf("Load(%s) = %v, want nodes", f, r)
			}
		})
	}
}

// marker is one expected diagnostic: "# ERROR: summary" on a line.
type marker struct {
	Line    int
	Summary string
}

var errorMarker = regexp.MustCompile(`#\s*ERROR:\s*`)

func markers(t *testing.T, path string) []marker {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []marker
	for i, line := range strings.Split(string(src), "\n") {
		parts := errorMarker.Split(line, -1)
		for _, p := range parts[1:] {
			out = append(out, marker{Line: i + 1, Summary: strings.TrimSpace(p)})
		}
	}
	return out
}

func sortMarkers(ms []marker) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Line != ms[j].Line {
			return ms[i].Line < ms[j].Line
		}
		return ms[i].Summary < ms[j].Summary
	})
}

func TestLoadInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid recipes: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := markers(t, f)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR: markers", f)
			}
			_, diags := Load(f, testKinds, nil)
			var got []marker
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a source range: %s; %s", d.Summary, d.Detail)
					continue
				}
				if d.Subject.Filename != f {
					t.Errorf("diagnostic in %q, want %q: %s", d.Subject.Filename, f, d.Summary)
				}
				if d.Detail == "" {
					t.Errorf("line %d: %q has no detail telling how to fix it", d.Subject.Start.Line, d.Summary)
				}
				got = append(got, marker{Line: d.Subject.Start.Line, Summary: d.Summary})
			}
			sortMarkers(want)
			sortMarkers(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load(%s) diagnostics mismatch (-want +got):\n%s\nall:\n%s", f, diff, FormatDiagnostics(diags))
			}
		})
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"combined", "blocks", "refs", "nesting", "empty"} {
		t.Run(name, func(t *testing.T) {
			_, diags := Load(filepath.Join("testdata", "invalid", name+".hcl"), testKinds, nil)
			got := FormatDiagnostics(diags)
			golden := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/recipe -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("FormatDiagnostics mismatch (-%s +got):\n%s", golden, diff)
			}
		})
	}
}

func loadDrift(t *testing.T) *Recipe {
	t.Helper()
	r, diags := Load("testdata/valid/drift.hcl", testKinds, nil)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", FormatDiagnostics(diags))
	}
	return r
}

func TestStructure(t *testing.T) {
	r := loadDrift(t)
	if r.Name != "drift" || r.Dir != "testdata/valid" {
		t.Errorf("Name, Dir = %q, %q, want drift, testdata/valid", r.Name, r.Dir)
	}
	if len(r.Files) != 1 || r.Files[0].Path != "testdata/valid/drift.hcl" || len(r.Files[0].Bytes) == 0 {
		t.Errorf("Files = %+v", r.Files)
	}

	var ids []string
	for _, n := range r.Nodes {
		ids = append(ids, n.ID())
	}
	wantIDs := []string{
		"fetch.esconv_failed", "fetch.esconv", "filter.low_empathy", "filter.long",
		"flatten.turns", "select.shaped", "mix.all", "mix.pair", "output.failed", "output.all",
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("node IDs in file order (-want +got):\n%s", diff)
	}

	deps := map[string][]string{}
	for _, n := range r.Nodes {
		deps[n.ID()] = n.Deps
	}
	wantDeps := map[string][]string{
		"fetch.esconv_failed": nil,
		"fetch.esconv":        nil,
		"filter.low_empathy":  {"fetch.esconv_failed"},
		"filter.long":         {"fetch.esconv"},
		"flatten.turns":       {"filter.long"},
		"select.shaped":       {"flatten.turns"},
		"mix.all":             {"filter.low_empathy", "select.shaped"}, // "again" repeats low_empathy
		"mix.pair":            {"fetch.esconv", "fetch.esconv_failed"},
		"output.failed":       {"filter.low_empathy"},
		"output.all":          {"mix.all"},
	}
	if diff := cmp.Diff(wantDeps, deps); diff != "" {
		t.Errorf("Deps (-want +got):\n%s", diff)
	}

	mix := r.Node("mix.all").Attrs["sources"]
	if diff := cmp.Diff([]string{"failed", "turns", "again"}, mix.RefKeys); diff != "" {
		t.Errorf("mix.all RefKeys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"filter.low_empathy", "select.shaped", "filter.low_empathy"}, mix.Refs); diff != "" {
		t.Errorf("mix.all Refs (-want +got):\n%s", diff)
	}
	if len(mix.RefRanges) != 3 || mix.RefRanges[1].Start.Line != 60 {
		t.Errorf("mix.all RefRanges = %v, want 3 ranges, the second on line 60", mix.RefRanges)
	}
	if pair := r.Node("mix.pair").Attrs["sources"]; pair.RefKeys != nil || len(pair.Refs) != 2 {
		t.Errorf("mix.pair RefKeys, Refs = %v, %v; want nil and 2 refs", pair.RefKeys, pair.Refs)
	}

	derive := r.Node("select.shaped").Attrs["derive"]
	var keys []string
	for _, it := range derive.Items {
		keys = append(keys, it.Key)
	}
	if diff := cmp.Diff([]string{"role_is_user", "text length", "upper_text"}, keys); diff != "" {
		t.Errorf("derive keys (-want +got):\n%s", diff)
	}
	if derive.Mode != RowExprMap || derive.Items[1].KeyRange.Start.Line != 51 {
		t.Errorf("derive Mode = %v, item 1 key line = %d; want RowExprMap, 51", derive.Mode, derive.Items[1].KeyRange.Start.Line)
	}

	where := r.Node("filter.low_empathy").Attrs["where"]
	if where.Mode != RowExpr || !isNil(where.Value) {
		t.Errorf("where: Mode %v, Value %#v; want RowExpr, unevaluated", where.Mode, where.Value)
	}
	vars := where.Expr.Variables()
	if len(vars) != 1 || traversalString(vars[0]) != "survey_score.seeker.empathy" {
		t.Errorf("where.Expr.Variables() = %v, want survey_score.seeker.empathy", vars)
	}

	for _, c := range []struct {
		id, attr string
		want     cty.Value
	}{
		{"fetch.esconv_failed", "url", cty.StringVal("https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/8bb3b3f/FailedESConv.json")},
		{"filter.long", "strict", cty.True},
		{"select.shaped", "keep", cty.ListVal([]cty.Value{cty.StringVal("conversation_id"), cty.StringVal("turn"), cty.StringVal("content")})},
		{"select.shaped", "drop", cty.ListValEmpty(cty.String)},
		{"select.shaped", "rename", cty.MapVal(map[string]cty.Value{"content": cty.StringVal("text"), "speaker": cty.StringVal("role")})},
		{"mix.all", "seed", cty.NumberIntVal(20261125)},
		{"output.all", "path", cty.StringVal("out/all-20261124.parquet")},
	} {
		a := r.Node(c.id).Attrs[c.attr]
		if a == nil || !a.Value.RawEquals(c.want) {
			t.Errorf("%s.%s = %#v, want %#v", c.id, c.attr, a, c.want)
		}
	}
	if in := r.Node("output.failed").Attrs["input"]; len(in.Refs) != 1 || in.Refs[0] != "filter.low_empathy" {
		t.Errorf("output.failed input Refs = %v", in.Refs)
	}
	if r.Node("filter.nope") != nil {
		t.Errorf("Node(filter.nope) != nil")
	}
	if v := r.Variable("seed"); v == nil || !v.Value.RawEquals(cty.NumberIntVal(20261124)) || v.Overridden || v.Description == "" {
		t.Errorf("Variable(seed) = %+v", v)
	}
}

func TestLoadDirectory(t *testing.T) {
	r, diags := Load("testdata/dir", testKinds, map[string]string{"threshold": "5"})
	if len(diags) > 0 {
		t.Fatalf("Load: %s", FormatDiagnostics(diags))
	}
	var paths []string
	for _, f := range r.Files {
		paths = append(paths, f.Path)
	}
	if diff := cmp.Diff([]string{"testdata/dir/a_vars.hcl", "testdata/dir/b_nodes.hcl"}, paths); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if r.Name != "dir" || r.Dir != "testdata/dir" {
		t.Errorf("Name, Dir = %q, %q", r.Name, r.Dir)
	}
	if f := r.Node("filter.f"); f == nil || len(f.Deps) != 1 || f.Deps[0] != "fetch.src" {
		t.Errorf("filter.f across files = %+v", f)
	}

	_, diags = Load(t.TempDir(), testKinds, nil)
	if !hasSummary(diags, "No recipe files") {
		t.Errorf("empty dir: %s", FormatDiagnostics(diags))
	}
	_, diags = Load("testdata/nope.hcl", testKinds, nil)
	if !hasSummary(diags, "Failed to read recipe") {
		t.Errorf("missing file: %s", FormatDiagnostics(diags))
	}
	_, diags = Load("testdata/dir/notes.txt", testKinds, nil)
	if !hasSummary(diags, "Unsupported recipe file") {
		t.Errorf("not .hcl: %s", FormatDiagnostics(diags))
	}
}

func hasSummary(diags hcl.Diagnostics, summary string) bool {
	for _, d := range diags {
		if d.Summary == summary {
			return true
		}
	}
	return false
}

func writeRecipe(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const varsRecipe = `
variable "seed" {
  type    = number
  default = 7
}
variable "name" {
  type    = string
  default = "base"
}
variable "strict" {
  type    = bool
  default = false
}
variable "anything" {
  default = "x"
}
fetch "a" {
  url = "file://${var.name}.csv"
}
filter "f" {
  input  = fetch.a
  where  = ok
  strict = var.strict
}
mix "m" {
  sources = [filter.f]
  seed    = var.seed
}
`

func TestVarOverrides(t *testing.T) {
	path := writeRecipe(t, "vars.hcl", varsRecipe)
	for _, c := range []struct {
		name    string
		vars    map[string]string
		check   string // "VAR" whose Value must equal want
		want    cty.Value
		summary string // expected error, "" for none
		detail  string
	}{
		{name: "defaults", check: "seed", want: cty.NumberIntVal(7)},
		{name: "number", vars: map[string]string{"seed": "42"}, check: "seed", want: cty.NumberIntVal(42)},
		{name: "negative", vars: map[string]string{"seed": "-3.5"}, check: "seed", want: cty.NumberFloatVal(-3.5)},
		{name: "string verbatim", vars: map[string]string{"name": "1.50"}, check: "name", want: cty.StringVal("1.50")},
		{name: "string with spaces", vars: map[string]string{"name": "hello world"}, check: "name", want: cty.StringVal("hello world")},
		{name: "bool", vars: map[string]string{"strict": "true"}, check: "strict", want: cty.True},
		{name: "any list", vars: map[string]string{"anything": `["a", 1]`}, check: "anything",
			want: cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)})},
		{name: "any object", vars: map[string]string{"anything": `{a = true}`}, check: "anything",
			want: cty.ObjectVal(map[string]cty.Value{"a": cty.True})},
		{name: "any quoted", vars: map[string]string{"anything": `"true"`}, check: "anything", want: cty.StringVal("true")},
		{name: "any bare word", vars: map[string]string{"anything": "esconv"}, check: "anything", want: cty.StringVal("esconv")},
		{name: "any date is not arithmetic", vars: map[string]string{"anything": "2024-01-01"}, check: "anything", want: cty.StringVal("2024-01-01")},
		{name: "bad number", vars: map[string]string{"seed": "abc"}, summary: "Invalid value for variable", detail: "-var seed=abc: a number is required"},
		{name: "date for number", vars: map[string]string{"seed": "2024-01-01"}, summary: "Invalid value for variable"},
		{name: "bad bool", vars: map[string]string{"strict": "yes"}, summary: "Invalid value for variable", detail: "has type bool"},
		{name: "undeclared", vars: map[string]string{"sed": "1"}, summary: "Value for undeclared variable", detail: `Did you mean "seed"?`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, diags := Load(path, testKinds, c.vars)
			if c.summary != "" {
				if len(diags) != 1 || diags[0].Summary != c.summary || !strings.Contains(diags[0].Detail, c.detail) {
					t.Fatalf("Load(-var %v) = %s; want one %q containing %q", c.vars, FormatDiagnostics(diags), c.summary, c.detail)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("Load(-var %v): %s", c.vars, FormatDiagnostics(diags))
			}
			v := r.Variable(c.check)
			if !v.Value.RawEquals(c.want) {
				t.Errorf("var.%s = %#v, want %#v", c.check, v.Value, c.want)
			}
			if v.Overridden != (len(c.vars) > 0) {
				t.Errorf("var.%s Overridden = %v", c.check, v.Overridden)
			}
		})
	}

	// Overrides reach the static attributes that use them.
	r, diags := Load(path, testKinds, map[string]string{"seed": "9", "name": "other", "strict": "true"})
	if len(diags) > 0 {
		t.Fatal(FormatDiagnostics(diags))
	}
	for id, want := range map[string]cty.Value{
		"mix.m.seed":      cty.NumberIntVal(9),
		"fetch.a.url":     cty.StringVal("file://other.csv"),
		"filter.f.strict": cty.True,
	} {
		i := strings.LastIndex(id, ".")
		if got := r.Node(id[:i]).Attrs[id[i+1:]].Value; !got.RawEquals(want) {
			t.Errorf("%s = %#v, want %#v", id, got, want)
		}
	}
	// A bad override is reported once, not again at every use.
	_, diags = Load(path, testKinds, map[string]string{"seed": "abc", "name": "ok"})
	if len(diags) != 1 {
		t.Errorf("bad override: %d diagnostics, want 1:\n%s", len(diags), FormatDiagnostics(diags))
	}
}

// TestFormattingInsensitive loads the same recipe written twice with
// different layout and comments and expects the same structure and values.
func TestFormattingInsensitive(t *testing.T) {
	a := `variable "k" { default = 3 }
fetch "src" { url = "file://x.jsonl" }
filter "f" {
  input = fetch.src
  where = score < var.k
}
select "s" {
  input = filter.f
  keep = ["a", "b"]
  derive = { n = length(turns), m = a + b }
}
mix "m" {
  sources = { one = select.s, two = fetch.src }
  seed = var.k * 2
}
output "o" {
  input = mix.m
  path = "out/${var.k}.csv"
}
`
	b := `# the same recipe, reformatted
variable "k" {
  default = 3 # three
}

fetch "src" {
  url = "file://x.jsonl"
}

filter "f" {
  input = fetch.src   // upstream
  where = score     <   var.k
}

/* selection */
select "s" {
  input  = filter.f
  keep   = [
    "a",
    "b",
  ]
  derive = {
    n = length(turns)
    m = a+b
  }
}

mix "m" {
  sources = {
    one = select.s
    two = fetch.src
  }
  seed    = var.k*2
}

output "o" {
  input = mix.m
  path  = "out/${var.k}.csv"
}
`
	ra, da := Load(writeRecipe(t, "r.hcl", a), testKinds, nil)
	rb, db := Load(writeRecipe(t, "r.hcl", b), testKinds, nil)
	if len(da)+len(db) > 0 {
		t.Fatalf("diagnostics:\n%s%s", FormatDiagnostics(da), FormatDiagnostics(db))
	}
	if diff := cmp.Diff(shape(ra), shape(rb)); diff != "" {
		t.Errorf("recipes differing only in layout differ (-a +b):\n%s", diff)
	}
}

// shape is the layout-independent content of a recipe.
func shape(r *Recipe) []string {
	var out []string
	for _, v := range r.Variables {
		out = append(out, fmt.Sprintf("var %s = %#v", v.Name, v.Value))
	}
	for _, n := range r.Nodes {
		out = append(out, fmt.Sprintf("node %s deps %v", n.ID(), n.Deps))
		names := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			a := n.Attrs[k]
			s := fmt.Sprintf("  %s %v refs %v keys %v", k, a.Mode, a.Refs, a.RefKeys)
			if !isNil(a.Value) {
				s += fmt.Sprintf(" value %#v", a.Value)
			}
			for _, it := range a.Items {
				s += fmt.Sprintf(" item %s%v", it.Key, varNames(it.Expr))
			}
			if a.Mode == RowExpr {
				s += fmt.Sprint(" vars", varNames(a.Expr))
			}
			out = append(out, s)
		}
	}
	return out
}

func varNames(e hcl.Expression) []string {
	var out []string
	for _, tr := range e.Variables() {
		out = append(out, traversalString(tr))
	}
	return out
}

func TestDiagnosticDetails(t *testing.T) {
	cases := map[string]struct {
		file, summary, detail string
	}{
		"unknown kind lists kinds":  {"blocks.hcl", "Unsupported block type", `Did you mean "filter"? Valid block types are: variable, dsbuild, fetch, filter, flatten, mix, output, select.`},
		"unknown attribute":         {"blocks.hcl", "Unsupported argument", `Did you mean "where"?`},
		"missing required":          {"blocks.hcl", "Missing required argument", `The argument "where" is required in filter blocks`},
		"undeclared node":           {"combined.hcl", "Reference to undeclared node", "No node filter.nope is declared in this recipe."},
		"duplicate points at first": {"combined.hcl", "Duplicate node declaration", "was already declared at testdata/invalid/combined.hcl:3,1"},
		"node typo":                 {"refs.hcl", "Reference to undeclared node", `Did you mean "fetch.a"?`},
		"quoted ref":                {"refs.hcl", "Invalid node reference", `Write it without quotes: fetch.a, not "fetch.a".`},
		"ref without name":          {"refs.hcl", "Invalid node reference", "needs the node's name: fetch.NAME"},
		"var typo":                  {"rowexpr.hcl", "Reference to undeclared variable", `Did you mean "limit"?`},
		"row expr node":             {"rowexpr.hcl", "Node reference in row expression", "row expressions refer to columns, not nodes"},
		"static only var":           {"static.hcl", "Invalid reference in static attribute", "only var.NAME variables"},
		"type hint":                 {"static.hcl", "Incorrect attribute value type", "Write true or false without quotes."},
		"nested type error":         {"static.hcl", "Incorrect attribute value type", "keep\": element 1: string required"},
	}
	loaded := map[string]hcl.Diagnostics{}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			diags, ok := loaded[c.file]
			if !ok {
				_, diags = Load(filepath.Join("testdata", "invalid", c.file), testKinds, nil)
				loaded[c.file] = diags
			}
			for _, d := range diags {
				if d.Summary == c.summary && strings.Contains(d.Detail, c.detail) {
					return
				}
			}
			t.Errorf("%s: no %q with detail containing %q in:\n%s", c.file, c.summary, c.detail, FormatDiagnostics(diags))
		})
	}
}

func TestFormatDiagnostics(t *testing.T) {
	rng := func(file string, line, col, byte int) *hcl.Range {
		p := hcl.Pos{Line: line, Column: col, Byte: byte}
		return &hcl.Range{Filename: file, Start: p, End: p}
	}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Second", Detail: "two\nlines", Subject: rng("b.hcl", 2, 1, 10)},
		{Severity: hcl.DiagWarning, Summary: "Warn", Subject: rng("a.hcl", 9, 3, 50)},
		{Severity: hcl.DiagError, Summary: "First", Detail: "x", Subject: rng("b.hcl", 1, 5, 4)},
		{Severity: hcl.DiagError, Summary: "Flag", Detail: "-var x=1: bad"},
	}
	want := "error: Flag; -var x=1: bad\n" +
		"a.hcl:9:3: warning: Warn\n" +
		"b.hcl:1:5: error: First; x\n" +
		"b.hcl:2:1: error: Second; two lines\n"
	if got := FormatDiagnostics(diags); got != want {
		t.Errorf("FormatDiagnostics =\n%s\nwant\n%s", got, want)
	}
	if FormatDiagnostics(nil) != "" {
		t.Errorf("FormatDiagnostics(nil) != \"\"")
	}
}

func TestWriter(t *testing.T) {
	r, diags := Load("testdata/invalid/combined.hcl", testKinds, nil)
	if r == nil || !diags.HasErrors() {
		t.Fatalf("Load = %v, %d diags", r, len(diags))
	}
	var b strings.Builder
	if err := r.Writer(&b, 0, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	// The writer shows the offending source line under the message.
	if !strings.Contains(b.String(), `input = filter.nope`) {
		t.Errorf("Writer output lacks the source line:\n%s", b.String())
	}
}

func TestKindTable(t *testing.T) {
	kinds := map[string]KindSpec{
		"variable": {},
		"fetch":    {Attrs: []AttrSpec{{Name: "url", Mode: Static}, {Name: "url", Mode: Static}}},
	}
	_, diags := Load("testdata/valid/minimal.hcl", kinds, nil)
	var got []string
	for _, d := range diags {
		if d.Summary == "Invalid kind table" {
			got = append(got, d.Detail)
		}
	}
	if len(got) != 2 {
		t.Errorf("kind table errors = %q, want 2", got)
	}
}

func TestEvalContextFunctions(t *testing.T) {
	r := loadDrift(t)
	ctx := r.EvalContext()
	for _, name := range []string{"upper", "lower", "format", "join", "concat", "length", "min", "max", "abs", "tonumber", "tostring"} {
		if _, ok := ctx.Functions[name]; !ok {
			t.Errorf("EvalContext lacks function %s", name)
		}
	}
	if !ctx.Variables["var"].GetAttr("revision").RawEquals(cty.StringVal("8bb3b3f")) {
		t.Errorf("var.revision = %#v", ctx.Variables["var"].GetAttr("revision"))
	}
}

func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.hcl")
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		r, diags := Load(p, testKinds, nil)
		if r == nil {
			t.Fatalf("Load returned no recipe: %s", FormatDiagnostics(diags))
		}
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Filename != p {
				t.Errorf("diagnostic in %q, want %q", d.Subject.Filename, p)
			}
		}
		if !diags.HasErrors() {
			for _, n := range r.Nodes {
				for _, d := range n.Deps {
					if r.Node(d) == nil {
						t.Errorf("%s depends on undeclared %s without an error", n.ID(), d)
					}
				}
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, diags := Load("testdata/valid/drift.hcl", testKinds, nil); diags.HasErrors() {
			b.Fatal(FormatDiagnostics(diags))
		}
	}
}
