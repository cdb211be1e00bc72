package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/synth"
)

// repoRoot holds recipes/templates, the real template library.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func synthOp(t *testing.T, body string) (Op, error) {
	t.Helper()
	root := repoRoot(t)
	op, diags := newOp(t, "synthesize \"t\" {\n  templates = \"recipes/templates\"\n  "+body+"\n}\n", "synthesize.t", nil,
		func(e *Env) { e.ProjectDir = root })
	if diags.HasErrors() {
		return nil, diags
	}
	return op, nil
}

func runSynth(t *testing.T, op Op, memo Memo) *result {
	t.Helper()
	mem := checked()
	defer mem.AssertSize(t, 0)
	out := prepare(t, op, nil)
	res, err := run(t, context.Background(), mem, op, out, RunContext{Memo: memo})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestSynthesizeTemplates(t *testing.T) {
	op, err := synthOp(t, "category = \"crisis\"\n  n = 7\n  seed = 11\n  turns = [4, 8]")
	if err != nil {
		t.Fatal(err)
	}
	res := runSynth(t, op, nil)
	if len(res.Rows) != 7 {
		t.Errorf("n = 7 gave %d rows", len(res.Rows))
	}
	if again := runSynth(t, op, nil); !cmp.Equal(res.Rows, again.Rows) {
		t.Errorf("second run gave different rows")
	}
	lib, diags := synth.LoadLibrary(filepath.Join(repoRoot(t), "recipes", "templates"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The templates enter the key as a file attribute (Spec.Build), with
	// the digest of the library Prepare loads.
	n, env := loadNode(t, "synthesize \"t\" {\n  templates = \"recipes/templates\"\n  category = \"crisis\"\n  n = 7\n  seed = 11\n}\n", "synthesize.t", nil)
	env.ProjectDir = repoRoot(t)
	if _, files, diags := synthesizeSpec.Build(n, env); diags.HasErrors() || len(files) != 1 ||
		files[0].Attr != "templates" || files[0].Content.Digest != lib.Digest() {
		t.Errorf("Build files = %+v (%v), want templates with the library digest %s", files, diags, lib.Digest())
	}
	if strings.Contains(fmt.Sprint(op.Params()), "recipes/templates") {
		t.Errorf("Params %v hold the templates path", op.Params())
	}
	if nd, ok := op.(Nondeterministic); ok && nd.Nondeterministic() {
		t.Errorf("template generator is Nondeterministic")
	}
	other, _ := synthOp(t, "category = \"crisis\"\n  n = 7\n  seed = 12\n  turns = [4, 8]")
	if cmp.Equal(op.Params(), other.Params()) {
		t.Errorf("seed 11 and 12 have the same Params")
	}
}

func TestSynthesizeDiagnostics(t *testing.T) {
	tests := []struct{ body, want string }{
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  generator = \"openai\"", "Missing LLM settings"},
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  generator = \"openai\"\n  model = \"m\"", "endpoint"},
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  generator = \"magic\"", "Unknown generator"},
		{"category = \"nope\"\n  n = 3\n  seed = 1", "Unknown category"},
		{"category = \"crisis\"\n  n = 0\n  seed = 1", "whole number"},
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  turns = [4]", "Invalid turns"},
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  turns = [8, 4]", "Invalid turns"},
		{"category = \"crisis\"\n  n = 3\n  seed = 1\n  turns = [4.5, 8]", "Invalid turns"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			_, err := synthOp(t, tt.body)
			diags, _ := err.(interface{ HasErrors() bool })
			if diags == nil {
				t.Fatalf("New = no diagnostics, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want a diagnostic containing %q", err, tt.want)
			}
		})
	}
	_, diags := newOp(t, "synthesize \"t\" {\n  templates = \"../templates\"\n  category = \"crisis\"\n  n = 1\n  seed = 1\n}\n", "synthesize.t", nil, nil)
	wantDiag(t, diags, "Invalid templates path", "escapes")
}

// A turn range too short for every family to reach its core request is a
// Prepare diagnostic unless partial = true; new attributes enter Params.
func TestSynthesizeTurnRangeAndParams(t *testing.T) {
	op, err := synthOp(t, "category = \"crisis\"\n  n = 3\n  seed = 1\n  turns = [1, 2]")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, d := op.Prepare(nil); !strings.Contains(d.Error(), "Turn range too short") {
		t.Errorf("turns [1, 2]: Prepare = %v, want a turn-range diagnostic", d)
	}
	op2, err := synthOp(t, "category = \"crisis\"\n  n = 3\n  seed = 1\n  turns = [1, 2]\n  partial = true")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, d := op2.Prepare(nil); d.HasErrors() {
		t.Errorf("partial = true: Prepare = %v", d)
	}
	base := "category = \"crisis\"\n  n = 3\n  seed = 1"
	ref := paramMap(mustSynthOp(t, base).Params())
	for _, extra := range []string{"references = true", "controls = true", "partial = true", "casual = 0", "split = { train = 3, test = 1 }", "turns = [20, 40]"} {
		ps := paramMap(mustSynthOp(t, base+"\n  "+extra).Params())
		if cmp.Equal(ps, ref) {
			t.Errorf("%s does not change Params %v", extra, ps)
		}
	}
	for _, bad := range []string{"casual = 3", "split = { train = -1 }", "turns = [1, 61]"} {
		if _, err := synthOp(t, base+"\n  "+bad); err == nil {
			t.Errorf("%s: no diagnostic", bad)
		}
	}
}

func mustSynthOp(t *testing.T, body string) Op {
	t.Helper()
	op, err := synthOp(t, body)
	if err != nil {
		t.Fatalf("New(%s): %v", body, err)
	}
	return op
}

type mapMemo struct {
	mu sync.Mutex
	m  map[digest.Digest][]byte
}

func (m *mapMemo) Get(k digest.Digest) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	return v, ok
}

func (m *mapMemo) Put(k digest.Digest, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[k] = append([]byte(nil), v...)
	return nil
}

func TestSynthesizeOpenAI(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "m1" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := calls.Add(1)
		resp := map[string]any{"choices": []any{map[string]any{"message": map[string]any{
			"role": "assistant", "content": fmt.Sprintf("Reworded message number %d, said differently.", n),
		}}}}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "")

	body := fmt.Sprintf("category = \"crisis\"\n  n = 4\n  seed = 3\n  turns = [4, 6]\n  generator = \"openai\"\n  endpoint = %q\n  model = \"m1\"", srv.URL)
	op, err := synthOp(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if nd, ok := op.(Nondeterministic); !ok || !nd.Nondeterministic() {
		t.Errorf("openai generator is not Nondeterministic")
	}
	ps := paramMap(op.Params())
	if ps["model"] != `"m1"` || strings.Contains(fmt.Sprint(op.Params()), srv.URL) {
		t.Errorf("Params = %v, want the model and no endpoint", op.Params())
	}
	plain, _ := synthOp(t, "category = \"crisis\"\n  n = 4\n  seed = 3\n  turns = [4, 6]")
	memo := &mapMemo{m: map[digest.Digest][]byte{}}
	first := runSynth(t, op, memo)
	if calls.Load() == 0 {
		t.Fatalf("first Run made no LLM calls")
	}
	if len(first.Rows) != 4 {
		t.Errorf("n = 4 gave %d rows", len(first.Rows))
	}
	if !strings.Contains(strings.Join(first.Rows, "\n"), "Reworded message number") {
		t.Errorf("rows do not hold the paraphrases:\n%s", strings.Join(first.Rows, "\n"))
	}
	if base := runSynth(t, plain, nil); cmp.Equal(base.Rows, first.Rows) {
		t.Errorf("openai rows equal template rows")
	}
	before := calls.Load()
	second := runSynth(t, op, memo)
	if n := calls.Load() - before; n != 0 {
		t.Errorf("second Run with the same Memo made %d calls, want 0", n)
	}
	if diff := cmp.Diff(first.Rows, second.Rows); diff != "" {
		t.Errorf("second Run rows differ (-first +second):\n%s", diff)
	}
}
