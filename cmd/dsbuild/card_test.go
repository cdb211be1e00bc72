package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/graph"
)

var updateCard = flag.Bool("update-card", false, "rewrite the card golden files in testdata/card/")

// cardProject is a throwaway project with the card fixture recipe (plus
// extra, appended) over the fabricated conversation table.
func cardProject(t *testing.T, extra string) *project {
	t.Helper()
	recipe, err := os.ReadFile("testdata/card/drift.hcl")
	must(t, err)
	conv, err := os.ReadFile("testdata/card/conversations.jsonl")
	must(t, err)
	return arrowProject(t, string(recipe)+extra, map[string][]byte{"conversations.jsonl": conv})
}

func buildOK(t *testing.T, p *project, args ...string) string {
	t.Helper()
	code, _, stderr := p.dsbuild(t, append([]string{"build", p.recipe()}, args...)...)
	if code != 0 {
		t.Fatalf("build %v: exit %d\n%s", args, code, stderr)
	}
	return stderr
}

func readProjectFile(t *testing.T, p *project, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
	must(t, err)
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "card", name)
	if *updateCard {
		must(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test -run %s -update-card rewrites it):\n%s", name, path, t.Name(), got)
	}
}

// Issue 11, item 4: the Hugging Face card and the Croissant file of a
// fixture table, as a user builds them, against golden files.
func TestCardGolden(t *testing.T) {
	p := cardProject(t, "")
	buildOK(t, p)
	golden(t, "README.md.golden", readProjectFile(t, p, "out/drift/README.md"))
	golden(t, "croissant.json.golden", readProjectFile(t, p, "out/drift/croissant.json"))
}

// The card's digests are the lock's: every sha256 in croissant.json and in
// the README is the digest the lock records for that output file, and the
// card files are outputs in the lock themselves. Croissant's required
// structure is checked key by key.
func TestCardDigestsAreTheLocks(t *testing.T) {
	p := cardProject(t, "")
	buildOK(t, p)
	lock, err := graph.ReadLock(p.lock())
	must(t, err)
	byPath := map[string]graph.OutputRecord{}
	for _, o := range lock.Outputs {
		byPath[o.Path] = o
	}
	for _, f := range []string{"out/drift/README.md", "out/drift/croissant.json"} {
		if _, ok := byPath[f]; !ok {
			t.Errorf("%s is not an output in the lock", f)
		}
	}

	var cr map[string]any
	must(t, json.Unmarshal(readProjectFile(t, p, "out/drift/croissant.json"), &cr))
	for _, k := range []string{"@context", "@type", "conformsTo", "name", "description", "license", "url", "distribution", "recordSet"} {
		if _, ok := cr[k]; !ok {
			t.Errorf("croissant.json has no %q", k)
		}
	}
	if cr["@type"] != "sc:Dataset" || cr["conformsTo"] != "http://mlcommons.org/croissant/1.0" {
		t.Errorf("croissant.json: @type %v, conformsTo %v", cr["@type"], cr["conformsTo"])
	}
	ctx, _ := cr["@context"].(map[string]any)
	for _, k := range []string{"@vocab", "cr", "sc", "dct", "recordSet", "field", "fileObject", "source", "extract", "subField", "dataType", "conformsTo", "citeAs"} {
		if _, ok := ctx[k]; !ok {
			t.Errorf("@context has no %q", k)
		}
	}
	ids := map[string]bool{}
	dist, _ := cr["distribution"].([]any)
	if len(dist) != 2 {
		t.Fatalf("distribution has %d entries, want 2", len(dist))
	}
	for _, d := range dist {
		fo := d.(map[string]any)
		for _, k := range []string{"@type", "@id", "name", "contentUrl", "encodingFormat", "sha256"} {
			if _, ok := fo[k]; !ok {
				t.Errorf("FileObject %v has no %q", fo["@id"], k)
			}
		}
		rel := path.Join("out/drift", fo["contentUrl"].(string))
		rec, ok := byPath[rel]
		if !ok {
			t.Errorf("FileObject %s: %s is not an output in the lock", fo["@id"], rel)
			continue
		}
		if "sha256:"+fo["sha256"].(string) != string(rec.Digest) {
			t.Errorf("FileObject %s: sha256 %s, the lock says %s", fo["@id"], fo["sha256"], rec.Digest)
		}
		ids[fo["@id"].(string)] = true
	}
	rs, _ := cr["recordSet"].([]any)
	if len(rs) != 1 {
		t.Fatalf("recordSet has %d entries, want 1", len(rs))
	}
	var names []string
	var checkField func(f map[string]any)
	checkField = func(f map[string]any) {
		src, _ := f["source"].(map[string]any)
		fo, _ := src["fileObject"].(map[string]any)
		if f["@type"] != "cr:Field" || f["@id"] == nil || f["name"] == nil || !ids[fmtAny(fo["@id"])] {
			t.Errorf("field %v: @type %v, source %v", f["@id"], f["@type"], src)
		}
		if sub, ok := f["subField"].([]any); ok {
			for _, s := range sub {
				checkField(s.(map[string]any))
			}
		} else if dt := fmtAny(f["dataType"]); !slices.Contains([]string{"sc:Text", "sc:Integer", "sc:Float", "sc:Boolean"}, dt) {
			t.Errorf("field %v: dataType %q", f["@id"], dt)
		}
	}
	for _, f := range rs[0].(map[string]any)["field"].([]any) {
		fm := f.(map[string]any)
		checkField(fm)
		names = append(names, fm["name"].(string))
	}
	var cols []string
	for _, s := range lock.Nodes["fetch.conv"].Schema {
		name, _, _ := strings.Cut(s, ":")
		cols = append(cols, name)
	}
	if !slices.Equal(names, cols) {
		t.Errorf("record set fields %v, table columns %v", names, cols)
	}

	// The README: its file table and sha256sum lines carry the lock's
	// digests, and its configs point at files beside it.
	readme := string(readProjectFile(t, p, "out/drift/README.md"))
	for _, f := range []string{"drift_eval.parquet", "drift_eval.jsonl"} {
		d := strings.TrimPrefix(string(byPath["out/drift/"+f].Digest), "sha256:")
		if !strings.Contains(readme, d+"  "+f+"\n") || !strings.Contains(readme, "`"+d+"`") {
			t.Errorf("README.md does not give %s the lock's digest %s", f, d)
		}
		if !strings.Contains(readme, "    path: "+f+"\n") {
			t.Errorf("README.md configs do not name %s relative to the card", f)
		}
	}
	header, _, ok := strings.Cut(strings.TrimPrefix(readme, "---\n"), "\n---\n")
	if !strings.HasPrefix(readme, "---\n") || !ok {
		t.Fatalf("README.md has no YAML header")
	}
	for _, k := range []string{"license:", "pretty_name:", "language:", "task_categories:", "size_categories:", "configs:", "dataset_info:"} {
		if !regexp.MustCompile(`(?m)^` + k).MatchString(header) {
			t.Errorf("README.md header has no %s", k)
		}
	}
	for _, want := range []string{"- cc-by-nc-4.0\n", "- cc0-1.0\n", "- other\n", "    num_examples: 129\n", "  - name: turns\n    list:\n    - name: turn\n      dtype: int64\n", "  - name: quality\n    struct:\n"} {
		if !strings.Contains(header, want) {
			t.Errorf("README.md header lacks %q", want)
		}
	}
}

func fmtAny(v any) string {
	s, _ := v.(string)
	return s
}

// The card is a function of the recipe and its inputs: the same bytes with
// --jobs 1 and --jobs 8 on fresh stores; verify passes and catches an
// edited card (exit 3); a second build runs nothing; changing the data
// rebuilds the card with the new digests.
func TestCardReproducibleAndVerified(t *testing.T) {
	var want [3][]byte
	for i, jobs := range []string{"1", "8"} {
		p := cardProject(t, "")
		buildOK(t, p, "--jobs", jobs)
		got := [3][]byte{readFile(t, p.lock()), readProjectFile(t, p, "out/drift/README.md"), readProjectFile(t, p, "out/drift/croissant.json")}
		if i == 0 {
			want = got
			if stderr := buildOK(t, p); !strings.Contains(stderr, "nothing to do") {
				t.Errorf("second build ran nodes:\n%s", stderr)
			}
			if code, _, stderr := p.dsbuild(t, "verify", p.recipe()); code != 0 {
				t.Fatalf("verify: exit %d\n%s", code, stderr)
			}
			readme := filepath.Join(p.dir, "out", "drift", "README.md")
			must(t, os.WriteFile(readme, append(readProjectFile(t, p, "out/drift/README.md"), "edited\n"...), 0o644))
			code, stdout, stderr := p.dsbuild(t, "verify", p.recipe())
			if code != 3 || !strings.Contains(stdout+stderr, "card.drift_readme") {
				t.Errorf("verify of an edited card: exit %d, want 3 naming card.drift_readme\n%s%s", code, stdout, stderr)
			}
			// Other data: the card follows with the new digests.
			conv := filepath.Join(p.dir, "data", "conversations.jsonl")
			b := readFile(t, conv)
			must(t, os.WriteFile(conv, b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1], 0o644))
			buildOK(t, p)
			lock, err := graph.ReadLock(p.lock())
			must(t, err)
			d := strings.TrimPrefix(string(lock.Outputs["output.drift_eval_parquet"].Digest), "sha256:")
			if cr := string(readProjectFile(t, p, "out/drift/croissant.json")); !strings.Contains(cr, d) || !strings.Contains(cr, "128 records") {
				t.Errorf("croissant.json after a data change lacks the new digest %s or row count", d)
			}
			continue
		}
		for k, name := range []string{"lock", "README.md", "croissant.json"} {
			if !bytes.Equal(got[k], want[k]) {
				t.Errorf("--jobs %s: %s differs from --jobs 1", jobs, name)
			}
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

// A data file must be an output beside or below the card: a table there is
// an error naming it, a file elsewhere fails the build naming both; and an
// output is read as a file only there: a filter over one is a diagnostic.
func TestCardDataFilesMustBeOutputsBesideIt(t *testing.T) {
	p := cardProject(t, `
card "bad_ref" {
  input      = fetch.conv
  data_files = [fetch.conv]
  path       = "out/drift/bad.md"
}
`)
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 2 || !strings.Contains(stderr, "Data file is not an output") || !strings.Contains(stderr, "fetch.conv (data_files[0])") {
		t.Errorf("card with a table in data_files: exit %d\n%s", code, stderr)
	}

	p = cardProject(t, `
filter "from_file" {
  input = output.drift_eval_parquet
  where = true
}
`)
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 2 || !strings.Contains(stderr, "Reference to an output") || !regexp.MustCompile(`esconv\.hcl:\d+:\d+`).MatchString(stderr) {
		t.Errorf("filter over an output: exit %d, want 2 with a diagnostic at the reference\n%s", code, stderr)
	}

	p = cardProject(t, `
output "elsewhere" {
  input = fetch.conv
  path  = "out/other/x.parquet"
}
card "outside" {
  input      = fetch.conv
  data_files = [output.elsewhere]
  path       = "out/drift/outside.md"
}
`)
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 1 || !strings.Contains(stderr, "out/other/x.parquet, outside the card's folder out/drift/") {
		t.Errorf("card over a file outside its folder: exit %d, want 1\n%s", code, stderr)
	}
}

// A card's attributes may come in any order: with data_files (here a file
// of another table) written before input, the card's record still
// describes its own table, so the second build uses it and runs nothing.
func TestCardAttributeOrder(t *testing.T) {
	p := cardProject(t, `
select "ids" {
  input = fetch.conv
  keep  = ["conversation_id"]
}
output "ids" {
  input = select.ids
  path  = "out/drift/ids.csv"
}
card "reordered" {
  data_files = [output.ids]
  path       = "out/drift/README2.md"
  input      = fetch.conv
}
`)
	buildOK(t, p)
	if stderr := buildOK(t, p); !strings.Contains(stderr, "nothing to do") {
		t.Errorf("second build ran nodes:\n%s", stderr)
	}
	lock, err := graph.ReadLock(p.lock())
	must(t, err)
	if a, b := lock.Nodes["card.reordered"], lock.Nodes["fetch.conv"]; a.Rows != b.Rows || !slices.Equal(a.Schema, b.Schema) {
		t.Errorf("card.reordered records rows %d schema %v; its table has %d %v", a.Rows, a.Schema, b.Rows, b.Schema)
	}
}
