package graph

import (
	"os"
	"path/filepath"
	"testing"
)

const outputRecipe = `
gen "a" {
  rows = 20
}

output "a" {
  input = gen.a
  path  = "out/a.jsonl"
}
`

// outDirEntries lists out/, failing on anything but the expected files.
func checkOutDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("out/ holds %q, want %q (no temporary files)", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("out/ holds %q, want %q (no temporary files)", got, want)
		}
	}
}

func TestOutputWrittenAtomically(t *testing.T) {
	p := newProject(t, outputRecipe)
	pl := p.mustBuild(2)
	checkOutDir(t, p.dir, "a.jsonl")
	dst := filepath.Join(p.dir, "out", "a.jsonl")
	got, _, err := fileDigest(dst)
	if err != nil {
		t.Fatal(err)
	}
	if m := pl.Node("output.a").Manifest; got != m.Blob || !p.store.Has(m.Blob, m.Size) {
		t.Errorf("out/a.jsonl digest %s, manifest blob %s (in store: %v)", got, m.Blob, p.store.Has(m.Blob, m.Size))
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o644 {
		t.Errorf("out/a.jsonl mode %v, want 0644", fi.Mode().Perm())
	}
	checkStore(t, p.store)
}

func TestOutputFailingSinkLeavesNothing(t *testing.T) {
	p := newProject(t, `
gen "a" {}

badsink "x" {
  input = gen.a
  path  = "out/x.txt"
  fail  = true
}
`)
	if _, err := p.build(1); err == nil {
		t.Fatal("Execute = nil, want the sink's failure")
	}
	checkOutDir(t, p.dir)
	checkStore(t, p.store)
}

func TestOutputRestoredAndRewritten(t *testing.T) {
	p := newProject(t, outputRecipe)
	p.mustBuild(1)
	dst := filepath.Join(p.dir, "out", "a.jsonl")
	want, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, restored bool) {
		t.Helper()
		pl := p.mustBuild(1)
		n := pl.Node("output.a")
		if !n.Cached || n.Restored != restored {
			t.Errorf("%s: Cached %v, Restored %v; want true, %v", step, n.Cached, n.Restored, restored)
		}
		if got, _ := os.ReadFile(dst); string(got) != string(want) {
			t.Errorf("%s: out/a.jsonl not restored:\n%s", step, got)
		}
		if s := pl.Status(p.store); !s[len(s)-1].Cached {
			t.Errorf("%s: Status after the build = %+v, want cached", step, s[len(s)-1])
		}
		checkOutDir(t, p.dir, "a.jsonl")
	}
	check("unchanged", false)

	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if s := p.load(nil).Status(p.store); s[len(s)-1].Cached || s[len(s)-1].Why != "new: not in the lock" {
		t.Errorf("Status with the output deleted = %+v, want a miss", s[len(s)-1])
	}
	check("deleted", true)

	if err := os.WriteFile(dst, []byte("edited by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("modified", true)

	if n := p.ops.Runs("gen.a"); n != 1 {
		t.Errorf("gen.a ran %d times, want 1", n)
	}
}
