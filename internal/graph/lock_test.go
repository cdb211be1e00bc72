package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func d(s string) digest.Digest { return digest.FromString(s) }

// sampleLock has every field set, and strings HCL would misread if they were
// quoted the Go way: template sequences, backslashes, control characters.
func sampleLock() *Lock {
	return &Lock{
		Version: LockVersion, Recipe: "drift",
		Files:     map[string]digest.Digest{"recipes/drift.hcl": d("recipe"), "recipes/more.hcl": d("more")},
		Variables: map[string]string{"seed": "20261124", "revision": `"8bb3b3f"`, "tmpl": `"${x} and %{ if y } \\ é \u0007"`},
		Fetches: map[string]FetchRecord{
			"fetch.esconv": {URL: "https://example.com/ESConv.json", Revision: "8bb3b3f", Digest: d("esconv"), Size: 1234},
			"fetch.local":  {URL: "file://data/a.jsonl", Digest: d("a"), Size: 5},
		},
		Nodes: map[string]LockNode{
			"fetch.esconv": {Key: d("k1"), Op: "fetch@1", Logical: d("l1"), Blob: d("b1"), Size: 10, Rows: 2,
				Schema: []string{"id: int64", "${weird} col\t\x01: utf8 not null"}},
			"synthesize.x": {Key: d("k2"), Op: "synthesize@1", Logical: d("l2"), Blob: d("b2"), Size: 20, Rows: 3,
				Schema: []string{"text: utf8"}, Nondeterministic: true},
		},
		Outputs: map[string]OutputRecord{"output.all": {Path: "out/all.parquet", Digest: d("o"), Size: 99}},
	}
}

func TestLockRoundTrip(t *testing.T) {
	want := sampleLock()
	got, err := ParseLock("test.lock", want.Encode())
	if err != nil {
		t.Fatalf("ParseLock(Encode()) = %v\n%s", err, want.Encode())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseLock(Encode()) differs (-want +got):\n%s", diff)
	}
	if diff := Diff(want, got); len(diff) != 0 {
		t.Errorf("Diff(l, ParseLock(Encode(l))) = %q, want none", diff)
	}
}

func TestLockEncodeGolden(t *testing.T) {
	b := sampleLock().Encode()
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Errorf("Encode() does not end with a newline")
	}
	golden(t, "lock.golden", b)
}

func TestLockEncodeIsDeterministic(t *testing.T) {
	want := sampleLock().Encode()
	for i := 0; i < 20; i++ {
		// Rebuild the maps, inserting keys in a different order each time.
		l := sampleLock()
		l2 := &Lock{Version: l.Version, Recipe: l.Recipe, Files: map[string]digest.Digest{}, Variables: map[string]string{},
			Fetches: map[string]FetchRecord{}, Nodes: map[string]LockNode{}, Outputs: map[string]OutputRecord{}}
		for _, k := range rotate(sortedMapKeys(l.Files), i) {
			l2.Files[k] = l.Files[k]
		}
		for _, k := range rotate(sortedMapKeys(l.Variables), i) {
			l2.Variables[k] = l.Variables[k]
		}
		for _, k := range rotate(sortedMapKeys(l.Fetches), i) {
			l2.Fetches[k] = l.Fetches[k]
		}
		for _, k := range rotate(sortedMapKeys(l.Nodes), i) {
			l2.Nodes[k] = l.Nodes[k]
		}
		for _, k := range rotate(sortedMapKeys(l.Outputs), i) {
			l2.Outputs[k] = l.Outputs[k]
		}
		if got := l2.Encode(); !bytes.Equal(got, want) {
			t.Fatalf("Encode() differs with insertion order %d:\n%s", i, cmp.Diff(string(want), string(got)))
		}
	}
}

func rotate(xs []string, n int) []string {
	if len(xs) == 0 {
		return xs
	}
	n %= len(xs)
	return append(append([]string{}, xs[n:]...), xs[:n]...)
}

func TestLockDiff(t *testing.T) {
	a := sampleLock()
	b := sampleLock()
	f := b.Fetches["fetch.esconv"]
	f.Digest = d("changed upstream")
	b.Fetches["fetch.esconv"] = f
	b.Variables["seed"] = "1"
	delete(b.Outputs, "output.all")
	got := Diff(a, b)
	want := []string{
		"variable seed: value: expected 20261124, got 1",
		"fetch fetch.esconv: digest: expected " + string(d("esconv")) + ", got " + string(d("changed upstream")),
		"output output.all: in the lock, not in the recipe",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}

func TestCheckRecipe(t *testing.T) {
	src := `
variable "n" {
  default = 3
}

gen "a" {
  rows = var.n
}
`
	p := newProject(t, src)
	pl := p.load(nil)
	if got := pl.CheckRecipe(); len(got) != 1 || !strings.HasPrefix(got[0], "no lockfile at ") {
		t.Errorf("CheckRecipe without a lock = %q", got)
	}
	if err := p.exec(t.Context(), pl, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	lock, err := pl.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(pl.LockPath, lock); err != nil {
		t.Fatal(err)
	}
	if got := p.load(nil).CheckRecipe(); len(got) != 0 {
		t.Errorf("CheckRecipe of the locked recipe = %q, want nothing", got)
	}

	got := p.load(map[string]string{"n": "4"}).CheckRecipe()
	if want := []string{"variable n changed since it was locked: value: expected 3, got 4"}; !cmp.Equal(got, want) {
		t.Errorf("CheckRecipe with -var n=4 = %q, want %q", got, want)
	}

	p.write(src + "# a comment changes the file\n")
	got = p.load(nil).CheckRecipe()
	if len(got) != 1 || !strings.HasPrefix(got[0], "recipe file recipes/test.hcl changed since it was locked") {
		t.Errorf("CheckRecipe after editing the recipe = %q", got)
	}
}
