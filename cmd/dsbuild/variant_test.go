package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// Issue 16, finding 6: a Parquet VARIANT column, shredded or not, is read
// as JSON text (a utf8 column): fetch → output jsonl writes each value's
// JSON as a string, a missing variant as null and a variant null as the
// text "null"; the lock records the column as utf8. A file that breaks
// the shredding rules fails the fetch naming the node, the file, the row
// and the column.
func TestVariantParquetReadsAsJSONText(t *testing.T) {
	dir := filepath.Join(sharedtest.Dir(t, "fixtures/conformance"), "parquet-testing", "shredded_variant")
	files := map[string][]byte{}
	for _, n := range []string{"case-083.parquet", "case-126.parquet", "case-047.parquet", "case-042.parquet"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		must(t, err)
		files[n] = b
	}
	recipe := `fetch "mixed" {
  url = "../data/case-083.parquet"
}
fetch "arrays" {
  url = "../data/case-126.parquet"
}
fetch "unshredded_null" {
  url = "../data/case-047.parquet"
}
output "mixed" {
  input = fetch.mixed
  path  = "out/mixed.jsonl"
}
output "arrays" {
  input = fetch.arrays
  path  = "out/arrays.jsonl"
}
output "unshredded_null" {
  input = fetch.unshredded_null
  path  = "out/unshredded_null.jsonl"
}
`
	p := arrowProject(t, recipe, files)
	code, out := p.dsbuildProcess(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build: exit %d:\n%s", code, out)
	}
	want := map[string]string{
		"mixed.jsonl": `{"id":0,"var":null}
{"id":1,"var":"{\"c\":{\"b\":\"iceberg\"}}"}
{"id":2,"var":"{\"c\":8,\"d\":-0}"}
{"id":3,"var":"{\"c\":{\"a\":34,\"b\":\"\"},\"d\":0}"}
`,
		"arrays.jsonl": `{"id":1,"var":"[{\"a\":1,\"b\":\"comedy\"},{\"a\":2,\"b\":\"drama\"}]"}
{"id":2,"var":"[{\"a\":3,\"b\":\"action\",\"c\":\"str\"},{\"a\":4,\"b\":\"horror\",\"d\":\"2024-01-30\"}]"}
`,
		"unshredded_null.jsonl": `{"id":1,"var":"null"}
`,
	}
	for name, w := range want {
		if got := string(readFile(t, filepath.Join(p.dir, "out", name))); got != w {
			t.Errorf("out/%s:\n%s\nwant:\n%s", name, got, w)
		}
	}
	lock := string(readFile(t, filepath.Join(p.dir, "lockfiles", "esconv.lock")))
	if !strings.Contains(lock, `"var: utf8"`) {
		t.Errorf("the lock does not record var as utf8:\n%s", lock)
	}
	// Built again: nothing runs, the same bytes.
	code, out = p.dsbuildProcess(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("second build: exit %d:\n%s", code, out)
	}
	if got := string(readFile(t, filepath.Join(p.dir, "lockfiles", "esconv.lock"))); got != lock {
		t.Errorf("the lock changed on a rebuild")
	}

	bad := `fetch "conflict" {
  url = "../data/case-042.parquet"
}
output "conflict" {
  input = fetch.conflict
  path  = "out/conflict.jsonl"
}
`
	q := arrowProject(t, bad, files)
	code, out = q.dsbuildProcess(t, "build", q.recipe())
	if code != exitFailed || strings.Contains(out, "panic") {
		t.Fatalf("exit %d, want %d without a panic:\n%s", code, exitFailed, out)
	}
	for _, w := range []string{"fetch.conflict", "case-042.parquet", "row 1", `column "var"`, "conflicting value and typed_value"} {
		if !strings.Contains(out, w) {
			t.Errorf("the error does not say %q:\n%s", w, out)
		}
	}
}
