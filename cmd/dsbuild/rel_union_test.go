package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// relUnionProject is newProject with testdata/rel_union.hcl (plus extra
// blocks) as its recipe.
func relUnionProject(t *testing.T, extra string) *project {
	t.Helper()
	p := newProject(t)
	src, err := os.ReadFile("testdata/rel_union.hcl")
	must(t, err)
	must(t, os.WriteFile(p.recipe(), append(src, extra...), 0o644))
	return p
}

// Issue 10, items 1, 2, 6: union of FailedESConv (normalized as
// recipes/drift.hcl normalizes ESConv) and the ESConv test split gives
// 391 rows; the recipe builds twice (the second run executes nothing) and
// gives the same lock at --batch-size 1 and 4096.
func TestRelUnionMixSortBuildTwiceAndBatchSizes(t *testing.T) {
	var locks [][]byte
	for _, bs := range []string{"1", "4096"} {
		p := relUnionProject(t, relUnionExtra)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--batch-size", bs)
		if code != 0 {
			t.Fatalf("build --batch-size %s: exit %d\n%s", bs, code, stderr)
		}
		lock, err := os.ReadFile(p.lock())
		must(t, err)
		locks = append(locks, lock)
		l, err := graph.ReadLock(p.lock())
		must(t, err)
		for id, rows := range relUnionRows {
			if got := l.Nodes[id].Rows; got != rows {
				t.Errorf("--batch-size %s: %s rows = %d, want %d", bs, id, got, rows)
			}
		}
		code, _, stderr = p.dsbuild(t, "build", p.recipe(), "--batch-size", bs)
		if code != 0 || strings.Contains(stderr, "ran ") || !strings.Contains(stderr, "nothing to do") {
			t.Fatalf("second build: exit %d, executed nodes:\n%s", code, stderr)
		}
	}
	if !bytes.Equal(locks[0], locks[1]) {
		t.Errorf("lock at --batch-size 1 differs from --batch-size 4096:\n%s\n---\n%s", locks[0], locks[1])
	}
}

// Issue 10, item 1: a string/int conflict in a shared column is a
// diagnostic naming both inputs, the column and both types (exit 2).
func TestRelUnionTypeConflictIsADiagnostic(t *testing.T) {
	p := relUnionProject(t, `
select "failed_ids" {
  input  = select.failed_conversations
  keep   = ["source", "turn_count"]
  derive = { turn_count = length(turns) }
}

select "test_ids" {
  input  = select.test_conversations
  keep   = ["source", "turn_count"]
  derive = { turn_count = "many" }
}

union "clash" {
  inputs = [select.failed_ids, select.test_ids]
}

output "clash" {
  input = union.clash
  path  = "out/clash.parquet"
}
`)
	for _, cmd := range []string{"build", "build"} {
		code, _, stderr := p.dsbuild(t, cmd, p.recipe())
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s", cmd, code, stderr)
		}
		for _, want := range []string{"Incompatible column types", `"turn_count"`, "int64 in select.failed_ids (inputs[0])", "string in select.test_ids (inputs[1])", "esconv.hcl:"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, stderr)
			}
			if testing.Verbose() {
				t.Log(stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "out", "clash.parquet")); err == nil {
		t.Errorf("the conflicting union wrote its output")
	}
}

// relUnionExtra adds to rel_union.hcl a mix of both splits (whole
// conversations of the test split, grouped by situation) and a sort.
const relUnionExtra = `
mix "eval" {
  seed = 20261124
  part "failed" {
    input = select.failed_conversations
    n     = 40
  }
  part "test" {
    input = select.test_conversations
    n     = 30
    by    = situation
  }
}

sort "eval" {
  input = mix.eval
  by    = ["part desc", "emotion_type nulls first", "situation"]
}

output "eval" {
  input = sort.eval
  path  = "out/eval.jsonl"
}
`

var relUnionRows = map[string]int64{
	"union.esconv": 391, "select.failed_conversations": 196, "select.test_conversations": 195,
	"mix.eval": 70, "sort.eval": 70,
}

// Issue 10, item 2: changing one part's n re-runs only the mix and what
// follows it; asking a part for more than it has fails naming the part
// unless replace = true.
func TestRelMixPartChangeRerunsOnlyTheMix(t *testing.T) {
	p := relUnionProject(t, relUnionExtra)
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	src, err := os.ReadFile(p.recipe())
	must(t, err)
	edit := func(from, to string) {
		t.Helper()
		s := strings.Replace(string(src), from, to, 1)
		if s == string(src) {
			t.Fatalf("recipe has no %q", from)
		}
		must(t, os.WriteFile(p.recipe(), []byte(s), 0o644))
	}
	edit("n     = 40", "n     = 41")
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build after editing n: exit %d\n%s", code, stderr)
	}
	var ran []string
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "ran" {
			ran = append(ran, f[1])
		}
	}
	if got, want := strings.Join(ran, " "), "mix.eval sort.eval output.eval"; got != want {
		t.Errorf("after changing part \"failed\"'s n, ran %q, want %q:\n%s", got, want, stderr)
	}
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	if got := l.Nodes["mix.eval"].Rows; got != 71 {
		t.Errorf("mix.eval rows = %d, want 71", got)
	}

	edit("n     = 40", "n     = 197")
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 1 || !strings.Contains(stderr, `part "failed" asks for 197 rows`) || !strings.Contains(stderr, "only 196") {
		t.Fatalf("over-asking part: exit %d, want 1 naming the part\n%s", code, stderr)
	}
	s := strings.Replace(strings.Replace(string(src), "n     = 40", "n     = 197", 1), "seed = 20261124", "seed = 20261124\n  replace = true", 1)
	must(t, os.WriteFile(p.recipe(), []byte(s), 0o644))
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("replace = true: exit %d\n%s", code, stderr)
	}
	l, err = graph.ReadLock(p.lock())
	must(t, err)
	if got := l.Nodes["mix.eval"].Rows; got != 227 {
		t.Errorf("mix.eval rows with replace = %d, want 227", got)
	}
}
