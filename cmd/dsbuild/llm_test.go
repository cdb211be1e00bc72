package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// chatServer implements the part of the OpenAI chat completions API the
// synthesize op uses, counting requests; failFirst answers 500 that many
// times before succeeding.
func chatServer(t *testing.T, failFirst int64) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		if n <= failFirst {
			http.Error(w, "overloaded", http.StatusInternalServerError)
			return
		}
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		last := req.Messages[len(req.Messages)-1].Content
		resp := map[string]any{"choices": []any{map[string]any{"message": map[string]string{
			"role": "assistant", "content": "In other words: " + last}}}}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func llmProject(t *testing.T, endpoint string) *project {
	t.Helper()
	root, err := filepath.Abs("../..")
	must(t, err)
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	// A copy, not a link: a link out of the project is refused.
	must(t, os.CopyFS(filepath.Join(p.dir, "recipes", "templates"), os.DirFS(filepath.Join(root, "recipes", "templates"))))
	recipe := fmt.Sprintf(`
synthesize "boundary" {
  category    = "boundary"
  n           = 5
  seed        = 7
  turns       = [4, 6]
  templates   = "recipes/templates"
  generator   = "openai"
  endpoint    = %q
  model       = "test-model"
  temperature = 0.7
}

output "boundary" {
  input = synthesize.boundary
  path  = "out/boundary.jsonl"
}
`, endpoint)
	must(t, os.WriteFile(filepath.Join(p.dir, "recipes", "esconv.hcl"), []byte(recipe), 0o644))
	return p
}

func TestSynthesizeWithLLMCachesAndPins(t *testing.T) {
	srv, hits := chatServer(t, 2) // two 500s, then success: retries must carry it
	p := llmProject(t, srv.URL+"/v1")
	code, _, stderr := p.dsbuild(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("first build: exit %d\n%s", code, stderr)
	}
	first := hits.Load()
	if first <= 2 {
		t.Fatalf("first build made %d requests, want the model to be called", first)
	}
	out, err := os.ReadFile(filepath.Join(p.dir, "out", "boundary.jsonl"))
	must(t, err)
	if !strings.Contains(string(out), "In other words: ") {
		t.Fatalf("output does not hold the model's paraphrases:\n%.300s", out)
	}
	lock, err := os.ReadFile(p.lock())
	must(t, err)
	if !strings.Contains(string(lock), "nondeterministic = true") {
		t.Fatalf("lock does not mark the LLM node nondeterministic:\n%s", lock)
	}
	for _, cmd := range [][]string{{"build", p.recipe()}, {"build", p.recipe(), "--locked"}, {"verify", p.recipe()}} {
		code, stdout, stderr := p.dsbuild(t, cmd...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
	}
	if got := hits.Load(); got != first {
		t.Fatalf("rebuild, --locked build and verify made %d more requests, want 0", got-first)
	}
	// A new node (another seed) with the model gone fails naming the node and the URL.
	srv.Close()
	src, err := os.ReadFile(p.recipe())
	must(t, err)
	must(t, os.WriteFile(p.recipe(), []byte(strings.Replace(string(src), "seed        = 7", "seed        = 8", 1)), 0o644))
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != exitFailed || !strings.Contains(stderr, "synthesize.boundary") || !strings.Contains(stderr, srv.URL) {
		t.Fatalf("unreachable endpoint: exit %d, want %d naming the node and %s:\n%s", code, exitFailed, srv.URL, stderr)
	}
}

// Editing one template file rebuilds exactly the synthesize nodes that use
// the library, and plan says why; other nodes stay cached.
func TestTemplateEditInvalidatesOnlyItsUsers(t *testing.T) {
	root, err := filepath.Abs("../..")
	must(t, err)
	p := newProject(t)
	tdir := filepath.Join(p.dir, "recipes", "templates")
	must(t, os.MkdirAll(tdir, 0o755))
	ents, err := os.ReadDir(filepath.Join(root, "recipes", "templates"))
	must(t, err)
	for _, e := range ents {
		copyFile(t, filepath.Join(root, "recipes", "templates", e.Name()), filepath.Join(tdir, e.Name()))
	}
	src, err := os.ReadFile(p.recipe())
	must(t, err)
	src = append(src, []byte(`
synthesize "meta" {
  category  = "meta"
  n         = 10
  seed      = 3
  templates = "recipes/templates"
}
`)...)
	must(t, os.WriteFile(p.recipe(), src, 0o644))
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	slots := filepath.Join(tdir, "slots.hcl")
	b, err := os.ReadFile(slots)
	must(t, err)
	must(t, os.WriteFile(slots, append(b, []byte("\n# edited\n")...), 0o644))
	code, out, stderr := p.dsbuild(t, "plan", p.recipe())
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "will run  synthesize.meta: file templates changed") || !strings.Contains(out, "1 of 7 nodes will run") {
		t.Fatalf("plan after editing a template:\n%s", out)
	}
}
