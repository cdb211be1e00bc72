package graph

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/ops"
)

const keyRecipe = `
variable "limit" {
  default = 3
}

gen "src" {
  rows = 10
}

filter "f" {
  input = gen.src
  where = id > var.limit && val != "x"
}

select "s" {
  input  = filter.f
  keep   = ["id", "val"]
  derive = {
    twice = id * 2
  }
}

gen "side" {
  input = gen.src
  rows  = 1
}

output "o" {
  input = select.s
  path  = "out/s.jsonl"
}
`

// keys loads src and returns every node's key by ID.
func keysOf(t *testing.T, src string) map[string]string {
	t.Helper()
	p := newProject(t, src)
	out := map[string]string{}
	for _, n := range p.load(nil).Nodes {
		if n.Key == "" {
			t.Fatalf("%s has no key", n.ID)
		}
		out[n.ID] = string(n.Key)
	}
	return out
}

func TestKeysSurviveReformatting(t *testing.T) {
	reformatted := `# the same recipe, written differently
variable "limit" {
    default = 3   # a comment
}
gen "src" { rows = 10 }

filter "f" {
  input = gen.src

  /* redundant parentheses and spacing */
  where = ((id) >   var.limit) && (val != "x")
}
select "s" {
  input = filter.f
  keep = [ "id",
           "val" ]
  derive = { twice = (id * 2) }
}
gen "side" {
  rows  = 1
  input = gen.src
}
output "o" {
  path  = "out/s.jsonl"
  input = select.s
}
`
	if diff := cmp.Diff(keysOf(t, keyRecipe), keysOf(t, reformatted)); diff != "" {
		t.Errorf("keys changed by reformatting (-before +after):\n%s", diff)
	}
}

func TestKeyChangesFlowDownstreamOnly(t *testing.T) {
	before := keysOf(t, keyRecipe)
	after := keysOf(t, strings.Replace(keyRecipe, `val != "x"`, `val != "y"`, 1))
	changed := map[string]bool{"filter.f": true, "select.s": true, "output.o": true}
	for id, k := range before {
		if got := after[id] != k; got != changed[id] {
			t.Errorf("%s: key changed = %v, want %v", id, got, changed[id])
		}
	}
	// A variable the expression uses is a param too.
	p := newProject(t, keyRecipe)
	withVar := map[string]string{}
	for _, n := range p.load(map[string]string{"limit": "4"}).Nodes {
		withVar[n.ID] = string(n.Key)
	}
	for id, k := range before {
		if got := withVar[id] != k; got != changed[id] {
			t.Errorf("-var limit=4: %s key changed = %v, want %v", id, got, changed[id])
		}
	}
}

func TestRenamingANodeKeepsItsKey(t *testing.T) {
	before := keysOf(t, keyRecipe)
	renamed := strings.NewReplacer(`filter "f"`, `filter "kept"`, `filter.f`, `filter.kept`).Replace(keyRecipe)
	after := keysOf(t, renamed)
	for id, k := range before {
		nid := strings.Replace(id, "filter.f", "filter.kept", 1)
		if after[nid] != k {
			t.Errorf("%s (now %s): key %s → %s after renaming filter.f", id, nid, k, after[nid])
		}
	}
}

func TestPreimageGolden(t *testing.T) {
	src := keyRecipe + `
fetch "pinned" {
  url    = "https://example.com/data.jsonl"
  digest = "sha256:3f2a9c0e4b1d7e6f5a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
}

gen "pair" {
  also  = gen.src
  input = gen.side
}

synthesize "s" {
  category  = "boundary"
  n         = 2
  seed      = 1
  templates = "recipes/tpl"
}
`
	p := newProject(t, src)
	if err := os.MkdirAll(filepath.Join(p.dir, "recipes", "tpl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "recipes", "tpl", "a.hcl"), []byte("# a template\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var debug bytes.Buffer
	pl, diags := Load(LoadOptions{Recipe: p.recipePath(), Registry: p.ops.reg, ProjectDir: p.dir, DebugKeys: &debug})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var b strings.Builder
	for _, n := range pl.Nodes {
		fmt.Fprintf(&b, "# %s\n%s", n.ID, n.Preimage)
		if n.Preimage.Key() != n.Key {
			t.Errorf("%s: Preimage.Key() = %s, Key = %s", n.ID, n.Preimage.Key(), n.Key)
		}
		if !strings.Contains(debug.String(), "key "+n.ID+" = "+string(n.Key)+"\n") {
			t.Errorf("DebugKeys output lacks %s's key", n.ID)
		}
	}
	golden(t, "preimage.golden", []byte(b.String()))
}

func TestPreimageEscapesNewlines(t *testing.T) {
	p := preimage("k", 1, nil, nil, nil)
	q := preimage("k", 1, []ops.Param{{Name: "x", Value: "a\nparam y b"}}, nil, nil)
	if strings.Count(string(q), "\n") != strings.Count(string(p), "\n")+1 {
		t.Errorf("a newline in a param value made a new preimage line:\n%s", q)
	}
}

// golden compares got with testdata/name; -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test -update if the change is intended:\n%s", path, diff)
	}
}
