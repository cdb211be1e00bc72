package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

// TestKeysDeclareRealAttributes: every Spec.Keys entry names an attribute
// of its kind; a file attribute is a Static string (a path); an attribute
// kept out of the key says why.
func TestKeysDeclareRealAttributes(t *testing.T) {
	for _, kind := range Builtin().Names() {
		s := Builtin()[kind]
		attrs := map[string]recipe.AttrSpec{}
		for _, a := range s.Attrs {
			attrs[a.Name] = a
		}
		for name, k := range s.Keys {
			a, ok := attrs[name]
			switch {
			case !ok:
				t.Errorf("%s: Keys[%q] names no attribute", kind, name)
			case k.Use == KeyFile && (a.Mode != recipe.Static || a.Type != cty.String):
				t.Errorf("%s.%s: a file attribute must be a Static string, is %v %s", kind, name, a.Mode, a.Type.FriendlyName())
			case k.Use == KeyNone && k.Why == "":
				t.Errorf("%s.%s: KeyNone without Why", kind, name)
			case k.Use == KeyValue:
				t.Errorf("%s.%s: KeyValue is the default; leave it out of Keys", kind, name)
			}
		}
	}
}

// TestEnvFile: one digest per file attribute, over the files the pattern
// selects, by name and content; read once per node; problems diagnosed at
// the attribute.
func TestEnvFile(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		keyNoErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		keyNoErr(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("tpl/a.hcl", "a")
	write("tpl/b.hcl", "b")
	write("tpl/readme.md", "not read")
	write("other/a.hcl", "a")
	write("other/b.hcl", "b")
	write("empty/readme.md", "x")
	key := AttrKey{Use: KeyFile, Pattern: "*.hcl"}
	file := func(path string) (*FileContent, string) {
		n := &recipe.Node{Kind: "k", Name: "n", Attrs: map[string]*recipe.Attr{"templates": {Name: "templates", Value: cty.StringVal(path)}}}
		env := &Env{ProjectDir: dir}
		fc, diags := env.File(n, "templates", key)
		if again, d := env.File(n, "templates", key); again != fc || len(d) != 0 {
			t.Errorf("second File(%s) = %v, %v; want the first result and no diagnostics", path, again, d)
		}
		return fc, diags.Error()
	}
	tpl, _ := file("tpl")
	other, _ := file("other")
	if tpl == nil || other == nil || tpl.Digest != other.Digest {
		t.Fatalf("same *.hcl names and bytes in two folders: %v, %v; want one digest", tpl, other)
	}
	write("tpl/readme.md", "edited")
	if again, _ := file("tpl"); again.Digest != tpl.Digest {
		t.Errorf("editing a file the pattern leaves out changed the digest")
	}
	write("tpl/b.hcl", "b2")
	if again, _ := file("tpl"); again.Digest == tpl.Digest {
		t.Errorf("editing b.hcl did not change the digest")
	}
	keyNoErr(t, os.Rename(filepath.Join(dir, "other", "b.hcl"), filepath.Join(dir, "other", "c.hcl")))
	if again, _ := file("other"); again.Digest == other.Digest {
		t.Errorf("renaming b.hcl to c.hcl did not change the digest")
	}
	for path, want := range map[string]string{
		"missing": "Templates not found",
		"../x":    "Invalid templates path",
		"empty":   "Empty templates",
	} {
		if fc, msg := file(path); fc != nil || !strings.Contains(msg, want) {
			t.Errorf("File(%s) = %v, %q; want a diagnostic %q", path, fc, msg, want)
		}
	}
}

func keyNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
