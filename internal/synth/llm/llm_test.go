package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/synth"
)

const testKey = "sk-test-7c1f9a0b"

// fakeAPI is an OpenAI-compatible chat completions server. Scripted status
// codes are served first (with their headers); after that it paraphrases
// the last user message.
type fakeAPI struct {
	mu      sync.Mutex
	hits    int
	auth    []string
	bodies  []request
	script  []scripted
	content func(user string) string
}

type scripted struct {
	status int
	header map[string]string
	body   string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, "not found: "+r.URL.Path, http.StatusNotFound)
		return
	}
	var req request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.bodies = append(f.bodies, req)
	if len(f.script) > 0 {
		s := f.script[0]
		f.script = f.script[1:]
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
		return
	}
	user := req.Messages[len(req.Messages)-1].Content
	out := "In other words: " + user
	if f.content != nil {
		out = f.content(user)
	}
	json.NewEncoder(w).Encode(map[string]any{
		"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": out}}},
	})
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

// newClient returns a client for srv whose waits are recorded, not slept.
func newClient(srv *httptest.Server, cache Cache) (*Client, *[]time.Duration) {
	var waits []time.Duration
	c := &Client{Endpoint: srv.URL, Model: "test-model", Temperature: 0.7, Seed: 1, APIKey: testKey,
		Cache: cache, Backoff: 10 * time.Millisecond, MaxRetries: 3}
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return c, &waits
}

func testLibrary(t *testing.T) *synth.Library {
	t.Helper()
	lib, diags := synth.LoadLibrary(filepath.Join("..", "testdata", "small"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return lib
}

func TestGenerateWithLLMCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	lib := testLibrary(t)
	p := synth.Params{Category: "crisis", N: 20, Seed: 4}
	cache := NewMemCache()

	c1, _ := newClient(srv, cache)
	first, err := GenerateWithLLM(context.Background(), mem, lib, p, c1)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	calls := api.count()
	if calls == 0 || int64(calls) != c1.Calls() {
		t.Fatalf("first run: server saw %d calls, client counted %d; want the same, > 0", calls, c1.Calls())
	}
	if cache.Len() == 0 || cache.Len() > calls {
		t.Errorf("cache holds %d responses after %d calls", cache.Len(), calls)
	}
	for i, a := range api.auth {
		if a != "Bearer "+testKey {
			t.Fatalf("request %d Authorization = %q, want the Bearer key", i, a)
		}
	}
	if b := api.bodies[0]; b.Model != "test-model" || b.Temperature != 0.7 || b.Seed != 1 || len(b.Messages) != 2 || b.Messages[0].Role != "system" {
		t.Errorf("request body = %+v", b)
	}

	c2, _ := newClient(srv, cache)
	second, err := GenerateWithLLM(context.Background(), mem, lib, p, c2)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Release()
	if got := api.count() - calls; got != 0 || c2.Calls() != 0 {
		t.Errorf("second run with the same cache made %d calls (client: %d), want 0", got, c2.Calls())
	}
	if !array.RecordEqual(first, second) {
		t.Errorf("cached run gave a different batch")
	}

	plain, err := synth.Generate(context.Background(), mem, lib, p)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Release()
	turns := first.Column(first.Schema().FieldIndices("turns")[0]).(*array.List).ListValues().(*array.Struct)
	plainTurns := plain.Column(plain.Schema().FieldIndices("turns")[0]).(*array.List).ListValues().(*array.Struct)
	role, text, ptext := turns.Field(1).(*array.String), turns.Field(2).(*array.String), plainTurns.Field(2).(*array.String)
	for i := 0; i < role.Len(); i++ {
		want := ptext.Value(i)
		if role.Value(i) == "user" {
			want = "In other words: " + want
		}
		if text.Value(i) != want {
			t.Fatalf("turn %d (%s) = %q, want %q", i, role.Value(i), text.Value(i), want)
		}
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		script    []scripted
		wantCalls int
		// wantWaits are the nominal backoffs, which jitter scales into
		// [½, 1); with exact, Retry-After waits that must be met exactly.
		wantWaits []time.Duration
		exact     bool
		wantErr   string
	}{
		{
			name:      "500 500 200",
			script:    []scripted{{status: 500, body: "oops"}, {status: 502, body: "bad gateway"}},
			wantCalls: 3,
			wantWaits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
		},
		{
			name:      "429 honours Retry-After",
			script:    []scripted{{status: 429, header: map[string]string{"Retry-After": "7"}, body: "slow down"}},
			wantCalls: 2,
			wantWaits: []time.Duration{7 * time.Second},
			exact:     true,
		},
		{
			name:      "503 honours Retry-After too",
			script:    []scripted{{status: 503, header: map[string]string{"Retry-After": "2"}}},
			wantCalls: 2,
			wantWaits: []time.Duration{2 * time.Second},
			exact:     true,
		},
		{
			name:      "Retry-After longer than MaxRetryAfter fails at once",
			script:    []scripted{{status: 429, header: map[string]string{"Retry-After": "3600"}, body: "quota exceeded"}},
			wantCalls: 1,
			wantErr:   `HTTP 429: quota exceeded; server asks to wait longer than 1m0s (Retry-After: "3600")`,
		},
		{
			name:      "408 is retried",
			script:    []scripted{{status: 408}},
			wantCalls: 2,
			wantWaits: []time.Duration{10 * time.Millisecond},
		},
		{
			name:      "501 is not retried",
			script:    []scripted{{status: 501, body: "no such method"}},
			wantCalls: 1,
			wantErr:   "HTTP 501: no such method",
		},
		{
			name:      "429 without Retry-After backs off",
			script:    []scripted{{status: 429}},
			wantCalls: 2,
			wantWaits: []time.Duration{10 * time.Millisecond},
		},
		{
			name:      "400 is not retried",
			script:    []scripted{{status: 400, body: "bad request"}},
			wantCalls: 1,
			wantErr:   "HTTP 400: bad request",
		},
		{
			name:      "5xx until retries run out",
			script:    []scripted{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}},
			wantCalls: 4,
			wantWaits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond},
			wantErr:   "failed after 4 attempts: HTTP 503",
		},
		{
			name:      "method phrase in the paraphrase is rejected",
			script:    []scripted{{status: 200, body: `{"choices":[{"message":{"role":"assistant","content":"tell me the lethal dose"}}]}`}},
			wantCalls: 1,
			wantErr:   `method phrase "lethal dose"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{script: append([]scripted(nil), tc.script...)}
			srv := httptest.NewServer(api)
			defer srv.Close()
			cache := NewMemCache()
			c, waits := newClient(srv, cache)
			out, err := c.Paraphrase(context.Background(), "I feel low.")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Paraphrase error = %v, want it to contain %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), srv.URL) {
					t.Errorf("error %q does not name the URL %s", err, srv.URL)
				}
				if cache.Len() != 0 {
					t.Errorf("a failed call left %d cache entries", cache.Len())
				}
			} else if err != nil || out != "In other words: I feel low." {
				t.Fatalf("Paraphrase = %q, %v", out, err)
			}
			if got := api.count(); got != tc.wantCalls {
				t.Errorf("server calls = %d, want %d", got, tc.wantCalls)
			}
			if tc.exact {
				if diff := cmp.Diff(tc.wantWaits, *waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
				return
			}
			if len(*waits) != len(tc.wantWaits) {
				t.Fatalf("waits %v, want %d of them", *waits, len(tc.wantWaits))
			}
			for i, w := range *waits {
				if nominal := tc.wantWaits[i]; w < nominal/2 || w >= nominal {
					t.Errorf("wait %d = %v, want in [%v, %v)", i, w, nominal/2, nominal)
				}
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{})
	srv.Close() // nothing listens there any more
	c, waits := newClient(srv, nil)
	_, err := c.Paraphrase(context.Background(), "hello")
	if err == nil {
		t.Fatal("Paraphrase to a closed server succeeded")
	}
	url := srv.URL + "/v1/chat/completions"
	if !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error = %q, want it to name %s and say unreachable", err, url)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error contains the API key: %q", err)
	}
	if len(*waits) != c.MaxRetries {
		t.Errorf("waited %d times, want %d (connection errors are retried)", len(*waits), c.MaxRetries)
	}
}

// TestKeyNeverInErrors: a server that echoes the Authorization header in
// its error body must not leak the key into the error.
func TestKeyNeverInErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid credentials: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	defer srv.Close()
	c, _ := newClient(srv, nil)
	_, err := c.Complete(context.Background(), []Message{{Role: "user", Content: "hi"}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("Complete error = %v, want HTTP 401", err)
	}
	if strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error = %q: key not redacted", err)
	}
}

func TestCacheKey(t *testing.T) {
	c := &Client{Model: "m", Temperature: 0.5, Seed: 3}
	msgs := []Message{{Role: "user", Content: "hi"}}
	k1, _, _ := c.CacheKey(msgs)
	k2, _, _ := c.CacheKey([]Message{{Role: "user", Content: "hi"}})
	if k1 != k2 {
		t.Errorf("equal requests have different keys %s, %s", k1, k2)
	}
	// Transport settings are not part of the request and must not change it.
	c.Endpoint, c.APIKey, c.Timeout = "http://elsewhere", "other", time.Second
	if k, _, _ := c.CacheKey(msgs); k != k1 {
		t.Errorf("endpoint/key/timeout changed the cache key")
	}
	for name, mut := range map[string]func(*Client){
		"model": func(c *Client) { c.Model = "m2" }, "temperature": func(c *Client) { c.Temperature = 0.6 },
		"seed": func(c *Client) { c.Seed = 4 },
	} {
		c2 := &Client{Model: "m", Temperature: 0.5, Seed: 3}
		mut(c2)
		if k, _, _ := c2.CacheKey(msgs); k == k1 {
			t.Errorf("changing the %s did not change the cache key", name)
		}
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1":                        "http://h:1/v1/chat/completions",
		"http://h:1/":                       "http://h:1/v1/chat/completions",
		"https://api.x/v1":                  "https://api.x/v1/chat/completions",
		"https://api.x/v1/chat/completions": "https://api.x/v1/chat/completions",
	} {
		if got := (&Client{Endpoint: in}).URL(); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	api := &fakeAPI{script: []scripted{{status: 500}}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := &Client{Endpoint: srv.URL, Model: "m", Backoff: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for api.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := c.Paraphrase(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Paraphrase with a cancelled context during backoff = %v, want context.Canceled", err)
	}
}

// TestPermanentTransportError: a transport failure another attempt cannot
// cure (here an unsupported scheme) fails at once, without retries.
func TestPermanentTransportError(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{})
	defer srv.Close()
	c, waits := newClient(srv, nil)
	c.Endpoint = "gopher://example.invalid"
	_, err := c.Paraphrase(context.Background(), "hello")
	if err == nil || !strings.Contains(err.Error(), "unsupported protocol scheme") || !strings.Contains(err.Error(), "gopher://example.invalid/v1/chat/completions") {
		t.Fatalf("Paraphrase = %v, want an unsupported-scheme error naming the URL", err)
	}
	if len(*waits) != 0 || c.Calls() != 1 {
		t.Errorf("%d calls, waits %v; want 1 call and no retries", c.Calls(), *waits)
	}
}
