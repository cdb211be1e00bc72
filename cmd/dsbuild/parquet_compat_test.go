package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// Issue 16, finding 6: Parquet files arrow-go refuses though other readers
// read them, fetched and written out as a build does: an unknown logical
// type (read as the physical type), a MAP with optional keys (a map) and
// Impala INT96 timestamps (microseconds, exactly).
func TestFetchParquetCompat(t *testing.T) {
	dir := filepath.Join(sharedtest.Dir(t, "fixtures/conformance"), "parquet-testing", "data")
	files := map[string][]byte{}
	var recipe strings.Builder
	for _, name := range []string{"unknown-logical-type", "incorrect_map_schema", "alltypes_plain"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".parquet"))
		must(t, err)
		files[name+".parquet"] = b
		node := strings.NewReplacer("-", "_").Replace(name)
		recipe.WriteString("fetch \"" + node + "\" {\n  url = \"../data/" + name + ".parquet\"\n}\n\n")
		recipe.WriteString("output \"" + node + "\" {\n  input = fetch." + node + "\n  path  = \"out/" + node + ".jsonl\"\n}\n\n")
	}
	p := arrowProject(t, recipe.String(), files)
	code, out := p.dsbuildProcess(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for node, want := range map[string][]string{
		// binary ("unknown string 1", base64), as DuckDB reads it
		"unknown_logical_type": {`{"column with known type":"known string 1","column with unknown type":"dW5rbm93biBzdHJpbmcgMQ=="}` + "\n"},
		"incorrect_map_schema": {`{"my_map":{"parent":"another","name":"report"}}` + "\n"},
		"alltypes_plain":       {`"string_col":"MA==","timestamp_col":"2009-03-01T00:00:00Z"}` + "\n", `"timestamp_col":"2009-01-01T00:01:00Z"}` + "\n"},
	} {
		b, err := os.ReadFile(filepath.Join(p.dir, "out", node+".jsonl"))
		must(t, err)
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s output lacks %s:\n%s", node, w, b)
			}
		}
	}
}

// Spark's overflowed INT96 encoding of a timestamp after the year 287,559
// (int96_from_spark.parquet row 6) reads back as Spark reads it: the value
// its README states, 290000-12-31T01:00:00+02:00.
func TestFetchParquetInt96SparkOverflow(t *testing.T) {
	dir := filepath.Join(sharedtest.Dir(t, "fixtures/conformance"), "parquet-testing", "data")
	b, err := os.ReadFile(filepath.Join(dir, "int96_from_spark.parquet"))
	must(t, err)
	recipe := "fetch \"x\" {\n  url = \"../data/int96_from_spark.parquet\"\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n"
	p := arrowProject(t, recipe, map[string][]byte{"int96_from_spark.parquet": b})
	code, out := p.dsbuildProcess(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(p.dir, "out", "x.jsonl"))
	must(t, err)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 6 || lines[4] != `{"a":null}` || !strings.Contains(lines[5], "290000-12-30T23:00:00") {
		t.Errorf("output:\n%s", got)
	}
}
