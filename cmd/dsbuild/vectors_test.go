package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// vecProject is a throwaway project whose recipe is src (recipes/esconv.hcl),
// with files written into the project.
func vecProject(t *testing.T, src string, files map[string]string) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.WriteFile(p.recipe(), []byte(src), 0o644))
	for rel, body := range files {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(p.dir, rel)), 0o755))
		must(t, os.WriteFile(filepath.Join(p.dir, rel), []byte(body), 0o644))
	}
	return p
}

func lockNode(t *testing.T, p *project, id string) graph.LockNode {
	t.Helper()
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	n, ok := l.Nodes[id]
	if !ok {
		t.Fatalf("lock has no node %s", id)
	}
	return n
}

// The shipped activations recipe (precomputed Parquet activations and .npy
// vectors from ../shared/fixtures/reference) builds, rebuilds nothing, and
// verifies; its vectors are pinned in the lock like a fetch.
func TestActivationsRecipe(t *testing.T) {
	sharedtest.Dir(t, "fixtures/reference")
	root, err := filepath.Abs("../..")
	must(t, err)
	// The recipe's paths are relative to it: ../../shared from recipes/.
	p := &project{dir: filepath.Join(t.TempDir(), "wt"), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.Symlink(filepath.Join(root, "..", "shared"), filepath.Join(p.dir, "..", "shared")))
	copyFile(t, filepath.Join(root, "recipes", "activations.hcl"), filepath.Join(p.dir, "recipes", "activations.hcl"))
	rec := filepath.Join(p.dir, "recipes", "activations.hcl")
	p.mirror = t.TempDir()
	code, _, stderr := p.dsbuild(t, "build", rec, "--jobs", "2")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	lock, err := os.ReadFile(filepath.Join(p.dir, "lockfiles", "activations.lock"))
	must(t, err)
	for _, want := range []string{`fetch "vectors.traits"`, "sha256:9527cff8ad5c61c3dcc445062050f14ecfbfa4d13faef356a8be7e4cc9540e8c",
		`node "trajectory.conversations"`, "rows    = 20", "proj_trait_7: float"} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("lock lacks %q", want)
		}
	}
	// The committed lock is what this build gives.
	committed, err := os.ReadFile(filepath.Join(root, "lockfiles", "activations.lock"))
	must(t, err)
	if !bytes.Equal(committed, lock) {
		t.Errorf("lockfiles/activations.lock differs from a fresh build's lock; rebuild it")
	}
	for _, cmd := range [][]string{{"build", rec}, {"build", rec, "--locked"}, {"verify", rec}} {
		code, stdout, stderr := p.dsbuild(t, cmd...)
		if code != 0 || strings.Contains(stderr, "ran ") && cmd[0] == "build" {
			t.Fatalf("%v: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
	}
}

// A vector column whose dimension differs from the vectors' is an HCL
// diagnostic naming both dimensions, with the recipe's file:line:col; once
// the inputs are cached, plan reports it too (exit 2) without running.
func TestVectorDimensionMismatchIsARecipeError(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	npy, err := os.ReadFile(filepath.Join(dir, "vectors_8x64.f32.npy"))
	must(t, err)
	turns := `{"text": "hello there"}` + "\n" + `{"text": "how are you"}` + "\n"
	// Pinned, so that after the first build plan knows every input.
	p := vecProject(t, fmt.Sprintf(`
fetch "turns" {
  url    = "../data/turns.jsonl"
  digest = "%s"
}

embed "turns" {
  input = fetch.turns
  model = "hash-32"
}

vector_project "turns" {
  input   = embed.turns
  vectors = [vectors.traits]
}

vectors "traits" {
  url    = "../data/traits.npy"
  digest = "%s"
}
`, sha(turns), sha(string(npy))), map[string]string{"data/turns.jsonl": turns, "data/traits.npy": string(npy)})
	for _, cmd := range []string{"build", "plan"} {
		code, stdout, stderr := p.dsbuild(t, cmd, p.recipe())
		out := stdout + stderr
		if code != exitUsage || !strings.Contains(out, "Dimension mismatch") || !strings.Contains(out, "dimension 32") ||
			!strings.Contains(out, "dimension 64") || !strings.Contains(out, "esconv.hcl:14") {
			t.Fatalf("%s: exit %d, want %d with a diagnostic naming 32 and 64 at esconv.hcl:14:\n%s", cmd, code, exitUsage, out)
		}
	}
}

func utterances(n int) string {
	var b strings.Builder
	words := []string{"I", "feel", "so", "alone", "lately", "and", "nobody", "listens", "to", "me", "at", "work", "école", "Straße"}
	for i := range n {
		fmt.Fprintf(&b, `{"id": %d, "text": %q}`+"\n", i, words[i%len(words)]+" "+words[(i*7+3)%len(words)]+" "+words[(i*5+1)%len(words)])
	}
	b.WriteString(`{"id": -1, "text": null}` + "\n")
	return b.String()
}

// The built-in embedder gives the same bytes (lock digests and output
// file) whatever --jobs and --batch-size.
func TestHashEmbeddingByteIdenticalAcrossJobs(t *testing.T) {
	src := `
fetch "utterances" {
  url = "../data/u.jsonl"
}

embed "utterances" {
  input = fetch.utterances
  model = "hash-64"
}

output "utterances" {
  input = embed.utterances
  path  = "out/u.parquet"
}
`
	files := map[string]string{"data/u.jsonl": utterances(3000)}
	var locks, outs [][]byte
	for _, args := range [][]string{{"--jobs", "1"}, {"--jobs", "2", "--batch-size", "7"}, {"--jobs", "4", "--batch-size", "1000"}} {
		p := vecProject(t, src, files)
		code, _, stderr := p.dsbuild(t, append([]string{"build", p.recipe()}, args...)...)
		if code != 0 {
			t.Fatalf("build %v: exit %d\n%s", args, code, stderr)
		}
		l, err := os.ReadFile(p.lock())
		must(t, err)
		o, err := os.ReadFile(filepath.Join(p.dir, "out", "u.parquet"))
		must(t, err)
		locks, outs = append(locks, l), append(outs, o)
		if n := lockNode(t, p, "embed.utterances"); n.Rows != 3001 || n.Nondeterministic {
			t.Fatalf("embed.utterances: %d rows, nondeterministic %v; want 3001, false", n.Rows, n.Nondeterministic)
		}
	}
	for i := 1; i < len(locks); i++ {
		if !bytes.Equal(locks[0], locks[i]) || !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("run %d: lock or output differs from run 0", i)
		}
	}
}

// embedServer implements /v1/embeddings, counting requests and texts; a
// text's vector is derived from its bytes. failFirst answers 503 that many
// times first.
func embedServer(t *testing.T, d int, failFirst int64) (*httptest.Server, *atomic.Int64, *[]string) {
	var hits atomic.Int64
	var mu sync.Mutex
	var texts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer sk-test-secret" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		if n <= failFirst {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "test-embedder" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		texts = append(texts, req.Input...)
		mu.Unlock()
		var data []map[string]any
		for i, s := range req.Input {
			v := make([]float64, d)
			for j := range v {
				v[j] = float64(len(s)%7) + float64(j)/10
			}
			data = append(data, map[string]any{"index": i, "embedding": v})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, &texts
}

// The HTTP backend batches, retries, caches per text and pins: a rebuild,
// a --locked build and verify ask nothing; adding rows asks only for the
// new texts; the key is never written.
func TestHTTPEmbeddingCachesPerText(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-test-secret")
	srv, hits, texts := embedServer(t, 8, 2)
	src := fmt.Sprintf(`
fetch "utterances" {
  url = "../data/u.jsonl"
}

embed "utterances" {
  input       = fetch.utterances
  model       = "openai:test-embedder"
  dimensions  = 8
  endpoint    = %q
  batch       = 16
  concurrency = 3
}

output "utterances" {
  input = embed.utterances
  path  = "out/u.jsonl"
}
`, srv.URL+"/v1")
	p := vecProject(t, src, map[string]string{"data/u.jsonl": utterances(100)})
	code, stdout, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	first := hits.Load()
	distinct := map[string]bool{}
	for _, s := range *texts {
		if distinct[s] {
			t.Errorf("text %q was sent twice", s)
		}
		distinct[s] = true
	}
	// 100 rows, fewer distinct texts, in batches of 16, plus two 503s.
	if want := int64((len(distinct)+15)/16 + 2); first != want {
		t.Errorf("first build made %d requests for %d distinct texts, want %d", first, len(distinct), want)
	}
	if n := lockNode(t, p, "embed.utterances"); !n.Nondeterministic || n.Rows != 101 {
		t.Errorf("embed.utterances in the lock: nondeterministic %v, rows %d; want true, 101", n.Nondeterministic, n.Rows)
	}
	for _, cmd := range [][]string{{"build", p.recipe()}, {"build", p.recipe(), "--locked"}, {"verify", p.recipe()}} {
		code, so, se := p.dsbuild(t, cmd...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", cmd, code, so, se)
		}
		stdout, stderr = stdout+so, stderr+se
	}
	if got := hits.Load(); got != first {
		t.Fatalf("rebuild, --locked build and verify made %d more requests, want 0", got-first)
	}
	// Ten new utterances: only their texts are sent.
	sent := len(*texts)
	extra := `{"id": 1000, "text": "a completely new sentence"}` + "\n" + `{"id": 1001, "text": "I alone feel"}` + "\n"
	body, err := os.ReadFile(filepath.Join(p.dir, "data", "u.jsonl"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "u.jsonl"), append(body, extra...), 0o644))
	code, _, stderr2 := p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build with new rows: exit %d\n%s", code, stderr2)
	}
	if got := (*texts)[sent:]; len(got) != 1 || got[0] != "a completely new sentence" {
		t.Fatalf("after adding rows the server got %q, want only the one new text", got)
	}
	lock, err := os.ReadFile(p.lock())
	must(t, err)
	for what, s := range map[string]string{"lock": string(lock), "stdout": stdout, "stderr": stderr + stderr2} {
		if strings.Contains(s, "sk-test-secret") {
			t.Errorf("the API key appears in the %s", what)
		}
	}
}

// End to end over the real ESConv files (the drift recipe's shape):
// conversations → turns → hash embeddings → an empathy vector derived from
// high- vs low-rated supporter turns → projections → one trajectory row per
// conversation.
func TestDriftTrajectoriesFromESConv(t *testing.T) {
	data := sharedData(t)
	p := vecProject(t, esconvTrajectoryRecipe, nil)
	copyFile(t, filepath.Join(data, "esconv", "FailedESConv.json"), filepath.Join(p.mirror, "FailedESConv.json"))
	copyFile(t, filepath.Join(data, "esconv", "hf_splits", "test.json"), filepath.Join(p.mirror, "test.json"))
	code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--jobs", "2")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	conv := lockNode(t, p, "union.conversations")
	traj := lockNode(t, p, "trajectory.drift")
	if conv.Rows != 195+196 || traj.Rows != conv.Rows {
		t.Fatalf("%d conversations, %d trajectory rows; want 391 each", conv.Rows, traj.Rows)
	}
	for _, want := range []string{"proj_empathy_slope: float64", "proj_empathy_turn_of_max: int64", "source: utf8"} {
		if !strings.Contains(strings.Join(traj.Schema, "; "), want) {
			t.Errorf("trajectory schema %v lacks %q", traj.Schema, want)
		}
	}
	// The picture: a PNG of 768×480 with one line per source in its
	// palette colour (blue, vermillion) and no third.
	f, err := os.Open(filepath.Join(p.dir, "out", "drift.png"))
	must(t, err)
	img, err := png.Decode(f)
	f.Close()
	must(t, err)
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
		t.Errorf("drift.png is %v, want 768×480", b)
	}
	count := map[[3]uint32]int{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			count[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	if count[[3]uint32{0, 114, 178}] < 200 || count[[3]uint32{213, 94, 0}] < 200 || count[[3]uint32{0, 158, 115}] > 0 {
		t.Errorf("drift.png: %d blue, %d vermillion, %d green pixels; want two lines (esconv, esconv_failed) and no third",
			count[[3]uint32{0, 114, 178}], count[[3]uint32{213, 94, 0}], count[[3]uint32{0, 158, 115}])
	}
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != 0 || strings.Contains(stderr, "ran ") {
		t.Fatalf("second build: exit %d, ran nodes:\n%s", code, stderr)
	}
}

const esconvTrajectoryRecipe = `
fetch "failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
  digest = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
}

fetch "test" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/test.json"
  digest = "sha256:44ee8e25a5cd08149c9c114d9ddb4bdbb7c0d2f8d503b41a35a8fb4a7ce68777"
  format = "jsonl"
}

select "failed" {
  input = fetch.failed
  keep  = ["conversation_id", "source", "empathy", "turns"]
  derive = {
    source          = "esconv_failed"
    conversation_id = hash("esconv_failed", row_number())
    empathy         = tonumber(survey_score.seeker.empathy)
    turns = [for i, t in dialog : {
      turn = i
      role = t.speaker == "listener" ? "assistant" : "user"
      text = t.content
    }]
  }
}

select "test" {
  input = fetch.test
  keep  = ["conversation_id", "source", "empathy", "turns"]
  derive = {
    source          = "esconv"
    conversation_id = hash("esconv_test", row_number())
    empathy         = tonumber(survey_score.seeker.empathy)
    turns = [for i, t in dialog : {
      turn = i
      role = t.speaker == "usr" ? "user" : "assistant"
      text = t.text
    }]
  }
}

union "conversations" {
  inputs = [select.test, select.failed]
}

flatten "turns" {
  input  = union.conversations
  column = "turns"
  index  = "position"
}

embed "turns" {
  input = flatten.turns
  model = "hash-256"
}

filter "high_rated_supporter_turns" {
  input = embed.turns
  where = role == "assistant" && empathy >= 5
}

filter "low_rated_supporter_turns" {
  input = embed.turns
  where = role == "assistant" && empathy <= 2
}

vectors "empathy" {
  positive = filter.high_rated_supporter_turns
  negative = filter.low_rated_supporter_turns
}

vector_project "turns" {
  input   = embed.turns
  vectors = [vectors.empathy]
}

trajectory "drift" {
  input = vector_project.turns
  keep  = ["source"]
}

output "trajectories" {
  input = trajectory.drift
  path  = "out/trajectories.parquet"
}

plot "drift" {
  input = vector_project.turns
  x     = "turn"
  y     = "proj_empathy"
  group = "source"
  where = role == "assistant"
  min_count = 5
  path  = "out/drift.png"
}
`

// Activations from elsewhere as list<double> (JSON Lines from a GPU job,
// with a null), joined to the turns, project like a fixed-size column; a
// ragged row fails the build naming the node and the row.
func TestJoinedListActivations(t *testing.T) {
	turns := `{"conversation_id": "c1", "turn": 0, "role": "user"}
{"conversation_id": "c1", "turn": 1, "role": "assistant"}
{"conversation_id": "c2", "turn": 0, "role": "assistant"}
`
	acts := `{"conversation_id": "c1", "turn": 1, "act": [1.0, 2.0, 2.0]}
{"conversation_id": "c1", "turn": 0, "act": null}
{"conversation_id": "c2", "turn": 0, "act": [0.0, 3.0, 4.0]}
`
	src := `
fetch "turns" {
  url = "../data/turns.jsonl"
}

fetch "activations" {
  url = "../data/acts.jsonl"
}

vectors "dirs" {
  url = "../data/dirs.json"
}

join "turns" {
  left  = fetch.turns
  right = fetch.activations
  on    = ["conversation_id", "turn"]
  how   = "left"
}

vector_project "turns" {
  input   = join.turns
  column  = "act"
  vectors = [vectors.dirs]
}

output "turns" {
  input = vector_project.turns
  path  = "out/turns.jsonl"
}
`
	p := vecProject(t, src, map[string]string{"data/turns.jsonl": turns, "data/acts.jsonl": acts,
		"data/dirs.json": `{"x": [1, 0, 0], "yz": [0, 3, 4]}`})
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	out, err := os.ReadFile(filepath.Join(p.dir, "out", "turns.jsonl"))
	must(t, err)
	want := `{"conversation_id":"c1","turn":0,"role":"user","act":null,"proj_x":null,"proj_yz":null}
{"conversation_id":"c1","turn":1,"role":"assistant","act":[1,2,2],"proj_x":1,"proj_yz":2.8}
{"conversation_id":"c2","turn":0,"role":"assistant","act":[0,3,4],"proj_x":0,"proj_yz":5}
`
	if string(out) != want {
		t.Fatalf("projections of joined list activations:\n%s\nwant\n%s", out, want)
	}
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "acts.jsonl"), []byte(strings.Replace(acts, "[0.0, 3.0, 4.0]", "[0.0, 3.0]", 1)), 0o644))
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != exitFailed || !strings.Contains(stderr, "vector_project.turns") || !strings.Contains(stderr, "row 2: the vector has 2 elements, want 3") {
		t.Fatalf("ragged activations: exit %d, want %d naming vector_project.turns and row 2:\n%s", code, exitFailed, stderr)
	}
}
