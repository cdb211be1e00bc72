package graph

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// Keys complete by construction: every attribute of every registered kind
// is changed in turn, with values generated from its declared mode and
// type, and the key of the node must change (or, for an attribute declared
// ops.KeyNone, must not). An attribute added later without reaching the
// key, or a kind added without a base block here, fails this test.

// keyBase is one block of a kind with the attributes it sets, as HCL
// source, over a prelude of upstream nodes. Each attribute it sets is
// changed to every generated alternative the op accepts. A kind may need several bases
// to make every attribute matter (a CSV fetch for header, a glob fetch for
// file_column, an LLM synthesize for model).
type keyBase struct {
	kind  string
	attrs map[string]string // attribute → HCL expression
	files map[string]string // project files the block reads
}

const keyPrelude = `gen "a" {
  rows = 3
}

gen "b" {
  rows = 4
}
`

const hex64 = "3f2a9c0e4b1d7e6f5a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"

var keyBases = []keyBase{
	{kind: "fetch", attrs: map[string]string{
		"url": `"https://example.com/d.csv"`, "digest": `"sha256:` + hex64 + `"`, "format": `"csv"`,
		"header": `true`, "delimiter": `";"`, "schema": `{ id = "int64" }`,
	}},
	{kind: "fetch", attrs: map[string]string{
		"url": `"../data/*.jsonl"`, "digest": `"sha256:` + hex64 + `"`, "format": `"jsonl"`,
		"file_column": `"file"`,
	}, files: map[string]string{"data/x.jsonl": `{"a": 1}` + "\n"}},
	{kind: "filter", attrs: map[string]string{"input": "gen.a", "where": "id > 1", "strict": "false"}},
	{kind: "select", attrs: map[string]string{
		"input": "gen.a", "keep": `["id", "val"]`, "rename": `{ id = "ident" }`, "derive": `{ twice = id * 2 }`,
	}},
	{kind: "select", attrs: map[string]string{"input": "gen.a", "drop": `["val"]`}},
	{kind: "flatten", attrs: map[string]string{
		"input": "gen.a", "column": `"turns"`, "index": `"turn"`, "prefix": `"t_"`,
	}},
	{kind: "sample", attrs: map[string]string{"input": "gen.a", "n": "2", "seed": "7", "by": "val"}},
	{kind: "sample", attrs: map[string]string{"input": "gen.a", "fraction": "0.5", "seed": "7", "stratify": "val"}},
	{kind: "sample", attrs: map[string]string{"input": "gen.a", "n": "2", "seed": "7", "stratify": "val", "allocate": `"proportional"`}},
	{kind: "synthesize", attrs: map[string]string{
		"category": `"boundary"`, "n": "2", "seed": "1", "turns": "[4, 8]", "templates": `"recipes/tpl"`,
		"references": "false", "controls": "false", "partial": "false", "casual": "0.5",
		"split": `{ train = 3, test = 1 }`,
	}, files: map[string]string{"recipes/tpl/a.hcl": "# one\n", "recipes/tpl/b.hcl": "# two\n", "recipes/tpl/notes.txt": "not read\n"}},
	{kind: "synthesize", attrs: map[string]string{
		"category": `"boundary"`, "n": "2", "seed": "1", "templates": `"recipes/tpl/a.hcl"`,
		"generator": `"openai"`, "endpoint": `"http://localhost:8000/v1"`, "model": `"m"`, "temperature": "0.5",
	}, files: map[string]string{"recipes/tpl/a.hcl": "# one\n"}},
	{kind: "output", attrs: map[string]string{
		"input": "gen.a", "path": `"out/o.parquet"`, "format": `"parquet"`, "compression": `"zstd"`,
	}},
	{kind: "output", attrs: map[string]string{"input": "gen.a", "path": `"out/o.jsonl"`, "format": `"jsonl"`}},
	{kind: "union", attrs: map[string]string{"inputs": "[gen.a, gen.b]", "label_column": `"src"`}},
	{kind: "union", attrs: map[string]string{"inputs": "{ x = gen.a, y = gen.b }", "label_column": `"src"`}},
	{kind: "sort", attrs: map[string]string{"input": "gen.a", "by": `["id desc"]`}},
	// keyOf writes NAME = VALUE lines only: the mix's part blocks ride in
	// one name that is no attribute, closed by a comment ("# = x"). Part
	// attributes reach the key as tested in ops (TestMixParamsCoverParts)
	// and as roles in TestBlockReferencesAreRoles.
	{kind: "mix", attrs: map[string]string{
		"seed": "7", "n": "4", "shuffle": "false", "replace": "false", "label_column": `"src"`,
		"part \"a\" {\n    input = gen.a\n    weight = 1\n  }\n  part \"b\" {\n    input = gen.b\n    weight = 2\n  }\n  #": "x",
	}},
	{kind: "aggregate", attrs: map[string]string{
		"input": "gen.a", "by": "[id, val]", "order_by": "[id]", "agg": `{ n = count(), ids = list(id) }`, "sort": "true",
	}},
	{kind: "join", attrs: map[string]string{
		"left": "gen.a", "right": "gen.b", "on": `["id"]`, "how": `"left"`, "many": "true", "suffix": `"_r"`,
	}},
	{kind: "distinct", attrs: map[string]string{"input": "gen.a", "by": "val", "keep": `"last"`, "order_by": "id"}},
	{kind: "sample", attrs: map[string]string{"input": "gen.a", "n": "2", "seed": "7", "stratify": "val", "allocate": `"equal"`}},
	{kind: "card", attrs: map[string]string{
		"input": "gen.a", "data_files": "[gen.b]", "path": `"out/c.md"`, "format": `"huggingface"`, "title": `"T"`,
		"description": `"D"`, "citations": `["@misc{x}"]`, "task_categories": `["text-generation"]`, "count_by": `["val"]`, "mirror": `"m"`,
	}},
	{kind: "review", attrs: map[string]string{
		"input": "gen.a", "path": `"out/r.html"`, "title": `"T"`, "id": `"id"`, "turns": `"turns"`, "labels": `["val"]`,
	}},
	{kind: "vectors", attrs: map[string]string{
		"url": `"https://example.com/v.npy"`, "digest": `"sha256:` + hex64 + `"`, "format": `"npy"`, "names": `["a", "b"]`,
	}},
	{kind: "vectors", attrs: map[string]string{
		"url": `"https://example.com/v.parquet"`, "digest": `"sha256:` + hex64 + `"`, "format": `"parquet"`,
		"name_column": `"n"`, "vector_column": `"v"`,
	}},
	{kind: "vectors", attrs: map[string]string{"positive": "gen.a", "negative": "gen.b", "column": `"e"`, "name": `"warmth"`, "dimensions": "8"}},
	{kind: "vector_project", attrs: map[string]string{
		"input": "gen.a", "vectors": "[gen.b]", "column": `"e"`, "normalize": "false", "baseline": "gen.b", "prefix": `"p_"`,
		"drop_column": "false",
	}},
	{kind: "embed", attrs: map[string]string{"input": "gen.a", "column": `"text"`, "output": `"e"`, "model": `"hash-64"`}},
	{kind: "embed", attrs: map[string]string{
		"input": "gen.a", "model": `"openai:m"`, "dimensions": "8", "endpoint": `"http://localhost:8000/v1"`, "batch": "16", "concurrency": "2",
	}},
	{kind: "plot", attrs: map[string]string{
		"input": "gen.a", "path": `"out/p.png"`, "x": `"turn"`, "y": `"proj_a"`, "group": `"src"`, "where": "id > 1",
		"band": `"sd"`, "min_count": "2", "title": `"t"`,
	}},
	{kind: "trajectory", attrs: map[string]string{
		"input": "gen.a", "by": `"id"`, "order": `"turn"`, "columns": `["proj_a"]`, "keep": `["val"]`, "where": "id > 1",
	}},
}

// stringPool holds the words string attributes are tried with: every
// enumerated value an op accepts, and plain alternatives. Values an op
// refuses are skipped (they fail to load).
var stringPool = []string{
	"json", "jsonl", "csv", "tsv", "parquet", "arrow", "arrows", "zstd", "snappy", "none",
	"huggingface", "croissant", "out/o.html", "equal", "proportional", // card format, review path, sample allocate
	"adversarial", "boundary", "validation", "meta", "crisis", "templates", "openai",
	"\t", "|", "other", "out/other.jsonl", "out/o.csv", "https://example.com/e.csv",
	"sha256:" + strings.Repeat("ab", 32), "http://localhost:9/v1", "m2",
	"inner", "semi", "anti", "first", "last", "_other", // join how/suffix, distinct keep
	"each", "proportional", // sample allocate
	"out/other.png", "ci95", // plot path and band
}

// synonyms are values an op documents as meaning the same (so the same
// key): KIND.ATTR → pairs of HCL sources.
var synonyms = map[string][][2]string{
	"output.format": {{`"json"`, `"jsonl"`}}, // JSON output is JSON Lines
}

func isSynonym(kindAttr, a, b string) bool {
	for _, p := range synonyms[kindAttr] {
		if (p[0] == a && p[1] == b) || (p[0] == b && p[1] == a) {
			return true
		}
	}
	return false
}

// alternatives generates other values for one attribute from its mode and
// type, given its current HCL source ("" when the base leaves it unset).
func alternatives(as recipe.AttrSpec, cur string) []string {
	var out []string
	switch as.Mode {
	case recipe.Ref:
		out = []string{"gen.a", "gen.b"}
	case recipe.Refs:
		out = []string{"[gen.a, gen.b]", "[gen.b, gen.a]", "[gen.a]"}
	case recipe.RowExpr:
		out = []string{"id", "val", "id + 1"}
		if cur != "" {
			out = append(out, "!("+cur+")")
		}
	case recipe.RowExprMap:
		out = []string{"{ other = id }", "{ twice = id * 3 }", "{ twice = id * 2, more = val }"}
	case recipe.Static:
		out = staticAlternatives(as.Type, cur)
	}
	var keep []string
	for _, v := range out {
		if v != cur {
			keep = append(keep, v)
		}
	}
	return keep
}

func staticAlternatives(t cty.Type, cur string) []string {
	var out []string
	switch {
	case t == cty.String:
		for _, s := range stringPool {
			out = append(out, strconv.Quote(s))
		}
		if s, err := strconv.Unquote(cur); err == nil {
			out = append(out, strconv.Quote(s+"2"))
		}
	case t == cty.Number:
		f, _ := strconv.ParseFloat(cur, 64)
		for _, x := range []float64{f + 1, 2*f + 3, f / 2, 0.25} {
			out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
		}
	case t == cty.Bool:
		out = []string{"true", "false"}
	case t.IsListType() && t.ElementType() == cty.String:
		out = []string{`["id"]`, `["id", "val", "zz"]`, `["val", "id"]`}
	case t.IsListType() && t.ElementType() == cty.Number:
		out = []string{"[4, 9]", "[5, 8]", "[2, 12]"}
	case t.IsMapType() && t.ElementType() == cty.Number:
		out = []string{`{ train = 1, test = 3 }`, `{ train = 3 }`, `{ train = 3, test = 1, valid = 1 }`}
	case t.IsMapType() && t.ElementType() == cty.String:
		out = []string{`{ id = "string" }`, `{ id = "float64", n = "int32" }`, `{ val = "ident" }`, `{ id = "other" }`}
	case t == cty.DynamicPseudoType: // join's on: a list of names or a map left → right
		out = []string{`["id"]`, `["val", "id"]`, `{ id = "val" }`, `{ val = "val" }`}
	default:
		panic(fmt.Sprintf("no generator of alternative values for type %s: add one", t.FriendlyName()))
	}
	return out
}

// keyOf loads prelude + the block of b with attrs and returns the key of
// KIND.t, or the diagnostics.
func keyOf(t *testing.T, dir string, reg ops.Registry, b keyBase, attrs map[string]string) (string, hcl.Diagnostics) {
	t.Helper()
	var src strings.Builder
	src.WriteString(keyPrelude)
	fmt.Fprintf(&src, "\n%s \"t\" {\n", b.kind)
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&src, "  %s = %s\n", k, attrs[k])
	}
	src.WriteString("}\n")
	path := filepath.Join(dir, "recipes", "test.hcl")
	if err := os.WriteFile(path, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, diags := Load(LoadOptions{Recipe: path, Registry: reg, ProjectDir: dir})
	if diags.HasErrors() {
		return "", diags
	}
	n := pl.Node(b.kind + ".t")
	if n == nil {
		t.Fatalf("no %s.t in\n%s", b.kind, src.String())
	}
	if n.Key == "" {
		return "(unknown until fetched)", nil
	}
	return string(n.Key), nil
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEveryAttributeReachesTheKey(t *testing.T) {
	reg := newFakeOps().reg
	covered := map[string]bool{} // KIND.ATTR whose change was checked
	for i, b := range keyBases {
		t.Run(fmt.Sprintf("%s#%d", b.kind, i), func(t *testing.T) {
			spec := reg[b.kind]
			dir := t.TempDir()
			for _, d := range []string{"recipes", "lockfiles"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeFiles(t, dir, b.files)
			base, diags := keyOf(t, dir, reg, b, b.attrs)
			if diags.HasErrors() {
				t.Fatalf("base block does not load: %v", diags)
			}
			for _, as := range spec.Attrs {
				// Each base sets the attributes that matter in it (model
				// only with generator = "openai"); the others are another
				// base's business, and every attribute must be some base's.
				if _, set := b.attrs[as.Name]; !set {
					continue
				}
				use := spec.KeyOf(as.Name).Use
				if use == ops.KeyFile {
					if checkFileAttr(t, dir, reg, b, as.Name, base) {
						covered[b.kind+"."+as.Name] = true
					}
					continue
				}
				for _, alt := range alternatives(as, b.attrs[as.Name]) {
					attrs := map[string]string{}
					for k, v := range b.attrs {
						attrs[k] = v
					}
					attrs[as.Name] = alt
					k, diags := keyOf(t, dir, reg, b, attrs)
					if diags.HasErrors() {
						continue // a value the op refuses
					}
					covered[b.kind+"."+as.Name] = true
					switch changed := k != base; {
					case use == ops.KeyNone && changed:
						t.Errorf("%s = %s changed the key of %s, which declares it KeyNone (%s)", as.Name, alt, b.kind, spec.KeyOf(as.Name).Why)
					case use != ops.KeyNone && !changed && !isSynonym(b.kind+"."+as.Name, alt, b.attrs[as.Name]):
						t.Errorf("%s = %s (was %s) did not change the key of %s: the attribute does not reach the key", as.Name, alt, orUnset(b.attrs[as.Name]), b.kind)
					}
				}
			}
		})
	}
	for _, kind := range ops.Builtin().Names() {
		for _, as := range reg[kind].Attrs {
			if !covered[kind+"."+as.Name] {
				t.Errorf("%s.%s: no base block here sets it to a value that loads and changes it; add a keyBase for %s that does, or make it reach the key", kind, as.Name, kind)
			}
		}
	}
}

// checkFileAttr edits the files a KeyFile attribute names (the key must
// change) and moves them to another path with the same content (it must
// not: content enters the key, not paths).
func checkFileAttr(t *testing.T, dir string, reg ops.Registry, b keyBase, name, base string) bool {
	t.Helper()
	cur, err := strconv.Unquote(b.attrs[name])
	if err != nil {
		t.Fatalf("%s = %s: the base of a file attribute must be a string", name, b.attrs[name])
	}
	var read, unread []string
	pattern := b.files
	for rel := range pattern {
		if rel != cur && !strings.HasPrefix(rel, cur+"/") {
			continue
		}
		if ok, _ := filepath.Match(orAll(specPattern(reg, b.kind, name)), filepath.Base(rel)); ok || rel == cur {
			read = append(read, rel)
		} else {
			unread = append(unread, rel)
		}
	}
	if len(read) == 0 {
		t.Fatalf("%s = %s names no file of the base", name, b.attrs[name])
	}
	sort.Strings(read)
	// Moved with the same content: same key.
	moved := map[string]string{}
	for rel, body := range b.files {
		if strings.HasPrefix(rel, cur) {
			moved["moved/"+rel] = body
		}
	}
	writeFiles(t, dir, moved)
	attrs := map[string]string{}
	for k, v := range b.attrs {
		attrs[k] = v
	}
	attrs[name] = strconv.Quote("moved/" + cur)
	if k, diags := keyOf(t, dir, reg, b, attrs); diags.HasErrors() || k != base {
		t.Errorf("%s moved to moved/%s with the same content: key %s → %s (%v); the path must not enter the key", name, cur, base, k, diags)
	}
	// Every file read, edited in turn: another key.
	for _, rel := range read {
		writeFiles(t, dir, map[string]string{rel: b.files[rel] + "# edited\n"})
		if k, diags := keyOf(t, dir, reg, b, b.attrs); diags.HasErrors() || k == base {
			t.Errorf("editing %s (read by %s) did not change the key of %s (%v)", rel, name, b.kind, diags)
		}
		writeFiles(t, dir, map[string]string{rel: b.files[rel]})
	}
	// A file the op does not read: same key.
	for _, rel := range unread {
		writeFiles(t, dir, map[string]string{rel: "edited\n"})
		if k, diags := keyOf(t, dir, reg, b, b.attrs); diags.HasErrors() || k != base {
			t.Errorf("editing %s (not read by %s) changed the key of %s (%v)", rel, name, b.kind, diags)
		}
		writeFiles(t, dir, map[string]string{rel: b.files[rel]})
	}
	return true
}

func specPattern(reg ops.Registry, kind, name string) string { return reg[kind].KeyOf(name).Pattern }

func orAll(p string) string {
	if p == "" {
		return "*"
	}
	return p
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

// TestSwappedInputsChangeTheKey: inputs enter under their roles, so the
// same nodes in swapped roles — written in the same source order, which
// is all a positional encoding would see — give another key, while
// writing the attributes in another order keeps it.
func TestSwappedInputsChangeTheKey(t *testing.T) {
	reg := newFakeOps().reg
	reg["mix"] = &ops.Spec{
		Kind: "mix", Version: 1, Doc: "test: a tuple or object of inputs",
		Attrs: []recipe.AttrSpec{{Name: "inputs", Required: true, Mode: recipe.Refs}},
		New:   reg["gen"].New,
	}
	key := func(t *testing.T, block string) string {
		t.Helper()
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "recipes"), 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "recipes", "test.hcl")
		if err := os.WriteFile(path, []byte(keyPrelude+"\n"+block), 0o644); err != nil {
			t.Fatal(err)
		}
		pl, diags := Load(LoadOptions{Recipe: path, Registry: reg, ProjectDir: dir})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for _, n := range pl.Nodes {
			if n.Rec.Name == "t" {
				return string(n.Key)
			}
		}
		t.Fatal("no node t")
		return ""
	}
	tests := []struct {
		name      string
		a, b      string
		wantEqual bool
	}{
		{"roles swapped, same source order",
			"gen \"t\" {\n  input = gen.a\n  also  = gen.b\n}\n",
			"gen \"t\" {\n  also  = gen.a\n  input = gen.b\n}\n", false},
		{"roles kept, attributes reordered",
			"gen \"t\" {\n  input = gen.a\n  also  = gen.b\n}\n",
			"gen \"t\" {\n  also  = gen.b\n  input = gen.a\n}\n", true},
		{"one node in both roles vs one role",
			"gen \"t\" {\n  input = gen.a\n  also  = gen.a\n}\n",
			"gen \"t\" {\n  input = gen.a\n}\n", false},
		{"tuple order",
			"mix \"t\" {\n  inputs = [gen.a, gen.b]\n}\n",
			"mix \"t\" {\n  inputs = [gen.b, gen.a]\n}\n", false},
		{"object values swapped",
			"mix \"t\" {\n  inputs = { x = gen.a, y = gen.b }\n}\n",
			"mix \"t\" {\n  inputs = { x = gen.b, y = gen.a }\n}\n", false},
		{"object keys with spaces",
			"mix \"t\" {\n  inputs = { \"x y\" = gen.a, x = gen.b }\n}\n",
			"mix \"t\" {\n  inputs = { \"x y\" = gen.b, x = gen.a }\n}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := key(t, tt.a), key(t, tt.b)
			if (ka == kb) != tt.wantEqual {
				t.Errorf("keys equal = %v, want %v\n%s\n%s", ka == kb, tt.wantEqual, tt.a, tt.b)
			}
		})
	}
}

func TestRoleNames(t *testing.T) {
	tests := []struct {
		mode recipe.AttrMode
		i    int
		keys []string
		want string
	}{
		{recipe.Ref, 0, nil, "input"},
		{recipe.Refs, 1, nil, "input[1]"},
		{recipe.Refs, 0, []string{"a b"}, `input["a\x20b"]`},
		{recipe.Refs, 0, []string{"é\n"}, `input["\u00e9\n"]`},
	}
	for _, tt := range tests {
		if got := roleName("input", tt.mode, tt.i, tt.keys); got != tt.want {
			t.Errorf("roleName(input, %v, %d, %q) = %s, want %s", tt.mode, tt.i, tt.keys, got, tt.want)
		}
	}
}
