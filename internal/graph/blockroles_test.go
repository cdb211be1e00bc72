package graph

import (
	"os"
	"path/filepath"
	"testing"
)

// A reference inside a sub-block (mix's part "LABEL" { input = ... })
// enters the key under the role part["LABEL"].input: moving an input to
// another part, or reordering parts, gives another key; changing one
// part's n changes the mix's key and not its inputs'.
func TestBlockReferencesAreRoles(t *testing.T) {
	reg := newFakeOps().reg
	load := func(t *testing.T, block string) *Plan {
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
		return pl
	}
	mix := func(a, na, b, nb, first string) string {
		pa := "  part \"x\" {\n    input = " + a + "\n    n = " + na + "\n  }\n"
		pb := "  part \"y z\" {\n    input = " + b + "\n    n = " + nb + "\n  }\n"
		if first == "y" {
			pa, pb = pb, pa
		}
		return "mix \"t\" {\n  seed = 1\n" + pa + pb + "}\n"
	}
	base := load(t, mix("gen.a", "1", "gen.b", "2", "x"))
	n := base.Node("mix.t")
	var roles []string
	for _, r := range n.Roles {
		roles = append(roles, r.Name+"="+r.Dep.ID)
	}
	if got, want := roles, []string{`part["x"].input=gen.a`, `part["y\x20z"].input=gen.b`}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("roles = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		name, block string
	}{
		{"inputs swapped between parts", mix("gen.b", "1", "gen.a", "2", "x")},
		{"parts reordered", mix("gen.a", "1", "gen.b", "2", "y")},
		{"one part's n", mix("gen.a", "1", "gen.b", "3", "x")},
	} {
		pl := load(t, tt.block)
		if pl.Node("mix.t").Key == n.Key {
			t.Errorf("%s: key unchanged", tt.name)
		}
		for _, id := range []string{"gen.a", "gen.b"} {
			if pl.Node(id).Key != base.Node(id).Key {
				t.Errorf("%s: key of %s changed", tt.name, id)
			}
		}
	}
}
