package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

const (
	failedPin  = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
	historyPin = "sha256:3513ae2fe489d12b18dbe01ab6706fb2b2610c9128ecd0a7b10e4f7fc513711b"
)

// sharedData is ../shared/data beside the repository.
func sharedData(t testing.TB) string { return sharedtest.Dir(t, "data") }

// project lays out a throwaway project with the test recipe and a mirror
// holding copies of the real ESConv files it fetches.
type project struct {
	dir, mirror, cache string
}

func newProject(t *testing.T) *project {
	t.Helper()
	data := sharedData(t)
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	src, err := os.ReadFile("testdata/esconv.hcl")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(p.dir, "recipes", "esconv.hcl"), src, 0o644))
	copyFile(t, filepath.Join(data, "esconv", "FailedESConv.json"), filepath.Join(p.mirror, "FailedESConv.json"))
	copyFile(t, filepath.Join(data, "esconv", "hf_splits", "test.json"), filepath.Join(p.mirror, "nested", "test.json"))
	return p
}

func (p *project) recipe() string { return filepath.Join(p.dir, "recipes", "esconv.hcl") }
func (p *project) lock() string   { return filepath.Join(p.dir, "lockfiles", "esconv.lock") }

// dsbuild runs the CLI in-process.
func (p *project) dsbuild(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "DSBUILD_CACHE" {
			return p.cache
		}
		return ""
	}}
	args = append(args, "--cache", p.cache, "--mirror", p.mirror)
	code := run(context.Background(), g, args)
	return code, out.String(), errb.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(to), 0o755))
	must(t, os.WriteFile(to, b, 0o644))
}

func TestBuildTwiceSecondRunsNothing(t *testing.T) {
	p := newProject(t)
	code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--jobs", "2")
	if code != 0 {
		t.Fatalf("first build: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "ran ") {
		t.Fatalf("first build ran nothing:\n%s", stderr)
	}
	lock1, err := os.ReadFile(p.lock())
	must(t, err)
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("second build: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "ran ") || !strings.Contains(stderr, "nothing to do") {
		t.Fatalf("second build executed nodes:\n%s", stderr)
	}
	lock2, err := os.ReadFile(p.lock())
	must(t, err)
	if !bytes.Equal(lock1, lock2) {
		t.Fatalf("lock changed on a no-op rebuild")
	}
	// The truth numbers of ../shared/data/esconv/SOURCE.md.
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	for id, rows := range map[string]int64{
		"fetch.failed": 196, "filter.low_empathy": 78, "fetch.test_split": 195, "flatten.utterances": 6039,
	} {
		if got := l.Nodes[id].Rows; got != rows {
			t.Errorf("%s rows = %d, want %d", id, got, rows)
		}
	}
	// Deleting an output restores it from the cache without running anything.
	must(t, os.Remove(filepath.Join(p.dir, "out", "low_empathy.parquet")))
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 0 || !strings.Contains(stderr, "restored") || strings.Contains(stderr, "ran ") {
		t.Fatalf("rebuild after deleting an output: exit %d\n%s", code, stderr)
	}
	if code, out, stderr := p.dsbuild(t, "verify", p.recipe()); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, stderr)
	}
}

func TestLockIdenticalAcrossJobsAndCaches(t *testing.T) {
	var locks [][]byte
	for _, jobs := range []string{"1", "8"} {
		p := newProject(t)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--jobs", jobs, "--batch-size", map[string]string{"1": "7", "8": "4096"}[jobs])
		if code != 0 {
			t.Fatalf("build --jobs %s: exit %d\n%s", jobs, code, stderr)
		}
		b, err := os.ReadFile(p.lock())
		must(t, err)
		locks = append(locks, b)
	}
	if !bytes.Equal(locks[0], locks[1]) {
		t.Fatalf("locks differ between --jobs 1 and --jobs 8 with fresh caches:\n%s\n---\n%s", locks[0], locks[1])
	}
}

func TestChangedUpstreamFailsThePin(t *testing.T) {
	p := newProject(t)
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	// Upstream replaced the file in place: the mirror now has the superseded
	// version under the same name, and nothing else can serve the URL.
	copyFile(t, filepath.Join(sharedData(t), "esconv", "history", "FailedESConv.591fb8e.json"), filepath.Join(p.mirror, "FailedESConv.json"))
	p.cache = t.TempDir() // a fresh machine: nothing cached
	for _, cmd := range [][]string{{"build", p.recipe(), "--locked"}, {"verify", p.recipe()}} {
		code, _, stderr := p.dsbuild(t, cmd...)
		if code != exitPin {
			t.Fatalf("%s: exit %d, want %d\n%s", cmd[0], code, exitPin, stderr)
		}
		// The lock pins the size too, so the superseded copy (historyPin)
		// is refused by its size without being read.
		for _, want := range []string{"fetch.failed", failedPin, "expected 911614 bytes", "FailedESConv.json has 1371049 bytes"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: message does not name %s:\n%s", cmd[0], want, stderr)
			}
		}
	}
	assertStoreIntact(t, p.cache)
}

func TestInvalidRecipeReportsEverything(t *testing.T) {
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), g, []string{"plan", "testdata/invalid.hcl", "--cache", t.TempDir()})
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, errb.String())
	}
	msg := errb.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?s)cycle.*filter\.x.*filter\.y.*filter\.x`),
		regexp.MustCompile(`(?s)fetch\.b`),
		regexp.MustCompile(`(?is)duplicate.*filter\.x|filter "x".*already`),
		regexp.MustCompile(`invalid\.hcl:\d+`),
	} {
		if !want.MatchString(msg) {
			t.Errorf("diagnostics do not match %s:\n%s", want, msg)
		}
	}
}

func TestFormattingDoesNotChangeKeys(t *testing.T) {
	p := newProject(t)
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	src, err := os.ReadFile(p.recipe())
	must(t, err)
	reformatted := strings.ReplaceAll(string(src), "tonumber(survey_score.seeker.empathy) < var.threshold",
		"(  tonumber( survey_score.seeker.empathy )\n     <   var.threshold )  # same condition")
	must(t, os.WriteFile(p.recipe(), []byte(reformatted), 0o644))
	code, out, stderr := p.dsbuild(t, "plan", p.recipe())
	if code != 0 || !strings.Contains(out, "0 of 6 nodes will run") {
		t.Fatalf("plan after reformatting: exit %d\n%s%s", code, out, stderr)
	}
	// A real change says why.
	must(t, os.WriteFile(p.recipe(), []byte(strings.Replace(reformatted, "default = 3", "default = 4", 1)), 0o644))
	code, out, _ = p.dsbuild(t, "plan", p.recipe())
	if code != 0 || !strings.Contains(out, "will run  filter.low_empathy: param var.threshold changed") {
		t.Fatalf("plan after changing a variable:\n%s", out)
	}
}

// assertStoreIntact checks that every blob's content matches its name and
// every key names a manifest.
func assertStoreIntact(t *testing.T, dir string) {
	t.Helper()
	s, err := cache.Open(dir)
	must(t, err)
	blobs, err := s.Blobs()
	must(t, err)
	for _, b := range blobs {
		path, err := s.Path(b.Digest)
		must(t, err)
		f, err := os.Open(path)
		must(t, err)
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		must(t, err)
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != string(b.Digest) {
			t.Errorf("blob %s holds content %s", b.Digest, got)
		}
	}
}

// TestChildBuild is the child process of TestKillAtEachWritePoint
// (harden_engine_test.go): a build that the parent kills.
func TestChildBuild(t *testing.T) {
	if os.Getenv("DSBUILD_TEST_CHILD") == "" {
		t.Skip("helper process for TestKillAtEachWritePoint")
	}
	p := &project{dir: os.Getenv("CHILD_PROJECT"), mirror: os.Getenv("CHILD_MIRROR"), cache: os.Getenv("CHILD_CACHE")}
	// CHILD_ARGS: more flags, e.g. --jobs 1 so that what is in flight at a
	// point does not depend on scheduling.
	p.dsbuild(t, append([]string{"build", p.recipe()}, strings.Fields(os.Getenv("CHILD_ARGS"))...)...)
}

// A where-expression comparing a string column to a number is a recipe
// error pointing at the expression: found as soon as the input's schema is
// known, and before anything runs once the input is cached.
func TestTypeErrorInWhereIsADiagnostic(t *testing.T) {
	p := newProject(t)
	src, err := os.ReadFile(p.recipe())
	must(t, err)
	bad := strings.Replace(string(src), "where = tonumber(survey_score.seeker.empathy) < var.threshold", "where = survey_score.seeker.empathy < var.threshold", 1)
	must(t, os.WriteFile(p.recipe(), []byte(bad), 0o644))
	line := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "where = survey_score") {
			line = i + 1
		}
	}
	want := fmt.Sprintf("esconv.hcl:%d:11: error: Mismatched types", line)
	for _, cmd := range [][]string{{"build", p.recipe()}, {"build", p.recipe()}, {"plan", p.recipe()}} {
		code, _, stderr := p.dsbuild(t, cmd...)
		if code != exitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "tonumber(") {
			t.Fatalf("%v: exit %d, want %d and %q with a tonumber hint:\n%s", cmd, code, exitUsage, want, stderr)
		}
	}
	// Once fetch.failed is cached, the error comes before any node runs.
	if _, _, stderr := p.dsbuild(t, "build", p.recipe()); strings.Contains(stderr, "ran ") {
		t.Fatalf("build ran nodes despite a known type error:\n%s", stderr)
	}
}

func TestJSONEventsGraphAndExplain(t *testing.T) {
	p := newProject(t)
	code, stdout, stderr := p.dsbuild(t, "build", p.recipe(), "--json")
	if code != 0 {
		t.Fatalf("build --json: exit %d\n%s", code, stderr)
	}
	done := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		if ev["event"] == "done" {
			done++
		}
	}
	if done != 6 {
		t.Errorf("--json reported %d done events, want 6:\n%s", done, stdout)
	}
	code, stdout, _ = p.dsbuild(t, "graph", p.recipe())
	if code != 0 || !strings.Contains(stdout, `"fetch.failed" -> "filter.low_empathy";`) || !strings.HasPrefix(stdout, "digraph") {
		t.Errorf("graph: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = p.dsbuild(t, "explain", p.recipe(), "filter.low_empathy")
	for _, want := range []string{"op filter@1", "param where (lt (call tonumber (col survey_score seeker empathy)) (var threshold))", "param var.threshold", "input input = fetch.failed", "same key as the lock"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("explain: exit %d, missing %q:\n%s", code, want, stdout)
		}
	}
	if code, _, stderr := p.dsbuild(t, "explain", p.recipe(), "filter.nope"); code != exitUsage || !strings.Contains(stderr, "filter.low_empathy") {
		t.Errorf("explain of an unknown node: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = p.dsbuild(t, "show", p.recipe(), "output.low_empathy", "-n", "3")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], `{"experience_type":`) {
		t.Errorf("show -n 3: exit %d, %d lines\n%s%s", code, len(lines), stdout, stderr)
	}
	code, stdout, _ = p.dsbuild(t, "show", p.recipe(), "filter.low_empathy", "--schema")
	if code != 0 || !strings.Contains(stdout, "filter.low_empathy: 78 rows") || !strings.Contains(stdout, "dialog: list<struct<") {
		t.Errorf("show --schema: exit %d\n%s", code, stdout)
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.hcl")
	must(t, os.WriteFile(path, []byte("fetch \"a\" {\nurl=\"x.json\"\n    format   =  \"json\"\n}\n"), 0o644))
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), g, []string{"fmt", "--check", dir}); code != exitFailed || !strings.Contains(out.String(), "r.hcl") {
		t.Fatalf("fmt --check of an unformatted recipe: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if code := run(context.Background(), g, []string{"fmt", path}); code != exitOK {
		t.Fatalf("fmt: exit %d\n%s", code, errb.String())
	}
	got, err := os.ReadFile(path)
	must(t, err)
	if want := "fetch \"a\" {\n  url    = \"x.json\"\n  format = \"json\"\n}\n"; string(got) != want {
		t.Errorf("formatted:\n%s\nwant:\n%s", got, want)
	}
	out.Reset()
	if code := run(context.Background(), g, []string{"fmt", "--check", path}); code != exitOK || out.Len() != 0 {
		t.Errorf("fmt --check after fmt: exit %d, listed %q", code, out.String())
	}
	must(t, os.WriteFile(path, []byte("fetch \"a\" {\n"), 0o644))
	if code := run(context.Background(), g, []string{"fmt", path}); code != exitUsage {
		t.Errorf("fmt of a recipe that does not parse: exit %d, want %d", code, exitUsage)
	}
}
