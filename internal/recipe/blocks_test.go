package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// blockKinds has a kind with labelled sub-blocks, like mix's parts.
var blockKinds = map[string]KindSpec{
	"fetch": testKinds["fetch"],
	"blend": {
		Attrs: []AttrSpec{{Name: "seed", Mode: Static, Type: cty.Number}},
		Blocks: []BlockSpec{{Type: "part", Label: "label", Required: 1, Attrs: []AttrSpec{
			{Name: "input", Required: true, Mode: Ref},
			{Name: "n", Mode: Static, Type: cty.Number},
			{Name: "by", Mode: RowExpr},
		}}},
	},
}

func loadBlocks(t *testing.T, src string) (*Recipe, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.hcl")
	if err := os.WriteFile(p, []byte(`fetch "a" { url = "a" }
fetch "b" { url = "b" }
`+src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, diags := Load(p, blockKinds, map[string]string{})
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Summary+": "+d.Detail)
	}
	return r, strings.Join(msgs, "\n")
}

func TestSubBlocks(t *testing.T) {
	r, diags := loadBlocks(t, `variable "k" { default = 2 }
blend "m" {
  seed = 1
  part "x y" {
    input = fetch.b
    n     = var.k
    by    = conv
  }
  part "z" {
    input = fetch.a
  }
}
`)
	if diags != "" {
		t.Fatal(diags)
	}
	n := r.Node("blend.m")
	if got := strings.Join(n.Deps, ","); got != "fetch.b,fetch.a" {
		t.Errorf("Deps = %s, want the parts' references in source order", got)
	}
	if len(n.Blocks) != 2 || n.Blocks[0].Label != "x y" || n.Blocks[1].Label != "z" {
		t.Fatalf("Blocks = %+v", n.Blocks)
	}
	b := n.Blocks[0]
	if b.Attrs["input"].Refs[0] != "fetch.b" || !b.Attrs["n"].Value.Equals(cty.NumberIntVal(2)).True() || b.Attrs["by"].Mode != RowExpr {
		t.Errorf("part attributes not decoded: %+v", b.Attrs)
	}
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{"duplicate label", "blend \"m\" {\n  part \"x\" {\n    input = fetch.a\n  }\n  part \"x\" {\n    input = fetch.b\n  }\n}\n", []string{"Duplicate part label", `"x"`}},
		{"no part", "blend \"m\" {\n  seed = 1\n}\n", []string{"Missing part block"}},
		{"missing input", "blend \"m\" {\n  part \"x\" {\n    n = 1\n  }\n}\n", []string{"Missing required argument", `"input"`, "part blocks of blend"}},
		{"undeclared node", "blend \"m\" {\n  part \"x\" {\n    input = fetch.c\n  }\n}\n", []string{"Reference to undeclared node", "fetch.c"}},
		{"unknown attribute", "blend \"m\" {\n  part \"x\" {\n    input = fetch.a\n    m = 1\n  }\n}\n", []string{"Unsupported argument"}},
		{"node reference in row expression", "blend \"m\" {\n  part \"x\" {\n    input = fetch.a\n    by = fetch.b\n  }\n}\n", []string{"fetch.b"}},
	} {
		_, diags := loadBlocks(t, tt.src)
		for _, w := range tt.want {
			if !strings.Contains(diags, w) {
				t.Errorf("%s: diagnostics lack %q:\n%s", tt.name, w, diags)
			}
		}
	}
}
