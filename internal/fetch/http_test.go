package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// hitServer is an httptest.Server that counts the requests it received.
type hitServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newHitServer(t testing.TB, h http.HandlerFunc) *hitServer {
	t.Helper()
	s := &hitServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// closedURL returns a URL on a port where nothing listens any more.
func closedURL(t *testing.T, p string) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL + p
	s.Close()
	return u
}

func testFetcher(t testing.TB) *Fetcher {
	return &Fetcher{Backoff: time.Millisecond, Logf: t.Logf, HFEndpoint: "http://hf.invalid"}
}

// openAll opens url and reads the whole body.
func openAll(t *testing.T, f *Fetcher, url string, pin digest.Digest) ([]byte, Info, error) {
	t.Helper()
	rc, info, err := f.Open(context.Background(), url, Pin{Digest: pin})
	if err != nil {
		return nil, info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return b, info, err
}

func TestOpenHTTP(t *testing.T) {
	const payload = `{"a": 1}`
	var gotEncoding, gotAuth atomic.Value
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotEncoding.Store(r.Header.Get("Accept-Encoding"))
		gotAuth.Store(r.Header.Get("Authorization"))
		io.WriteString(w, payload)
	})
	f := testFetcher(t)
	f.HFToken = "secret-token"
	url := srv.URL + "/data/f.json"
	b, info, err := openAll(t, f, url, "")
	if err != nil {
		t.Fatalf("Open(%s) = %v", url, err)
	}
	if string(b) != payload {
		t.Errorf("body = %q, want %q", b, payload)
	}
	want := Info{URL: url, Source: url, Size: int64(len(payload))}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Info mismatch (-want +got):\n%s", diff)
	}
	if got := gotEncoding.Load(); got != "identity" {
		t.Errorf("Accept-Encoding = %q, want identity (pins cover the bytes as published)", got)
	}
	if got := gotAuth.Load(); got != "" {
		t.Errorf("Authorization sent to a non-HuggingFace URL: %q", got)
	}
}

func TestOpenRedirectChain(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/b", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/c/final.csv", http.StatusFound)
	})
	mux.HandleFunc("/c/final.csv", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "x,y\n1,2\n")
	})
	srv := newHitServer(t, mux.ServeHTTP)
	b, info, err := openAll(t, testFetcher(t), srv.URL+"/a", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "x,y\n1,2\n" {
		t.Errorf("body = %q", b)
	}
	if info.URL != srv.URL+"/a" || info.Source != srv.URL+"/c/final.csv" {
		t.Errorf("Info = %+v, want URL %s/a and Source the final URL %s/c/final.csv", info, srv.URL, srv.URL)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("server hits = %d, want 3", n)
	}
}

func TestOpenRedirectLoopFails(t *testing.T) {
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	})
	_, _, err := openAll(t, testFetcher(t), srv.URL+"/loop", "")
	if err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("Open(redirect loop) = %v, want a too-many-redirects error", err)
	}
	if n := srv.hits.Load(); n != 10 {
		t.Errorf("server hits = %d, want 10 (net/http gives up after 10 requests; not retried)", n)
	}
}

type reply struct {
	code   int
	header map[string]string
	body   string
}

// sequenceServer answers the i-th request with replies[i], repeating the
// last reply after the sequence ends.
func sequenceServer(t *testing.T, replies ...reply) *hitServer {
	var next atomic.Int64
	return newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		i := int(next.Add(1)) - 1
		if i >= len(replies) {
			i = len(replies) - 1
		}
		rp := replies[i]
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.code)
		io.WriteString(w, rp.body)
	})
}

func TestOpenStatus(t *testing.T) {
	text := map[string]string{"Content-Type": "text/plain"}
	tests := []struct {
		name     string
		retries  int
		backoff  time.Duration
		replies  []reply
		wantHits int64
		wantErr  []string // substrings; nil means success
		notFound bool
	}{
		{name: "404", replies: []reply{{404, text, "Entry not found"}}, wantHits: 1,
			wantErr: []string{"404 Not Found", `"Entry not found"`}, notFound: true},
		{name: "410", replies: []reply{{410, nil, ""}}, wantHits: 1,
			wantErr: []string{"410 Gone"}, notFound: true},
		{name: "400 not retried", replies: []reply{{400, text, "bad\n  request"}}, wantHits: 1,
			wantErr: []string{"400 Bad Request", `"bad request"`}},
		{name: "401 without token", replies: []reply{{401, nil, ""}}, wantHits: 1,
			wantErr: []string{"401 Unauthorized", "no token was sent"}},
		{name: "500 500 200", replies: []reply{{500, nil, ""}, {500, nil, ""}, {200, nil, "ok"}}, wantHits: 3},
		{name: "502 then 200 with Retries 1", retries: 1, replies: []reply{{502, nil, ""}, {200, nil, "ok"}}, wantHits: 2},
		{name: "503 forever", retries: 2, replies: []reply{{503, nil, ""}}, wantHits: 3,
			wantErr: []string{"503 Service Unavailable", "gave up after 3 attempts"}},
		{name: "no retries", retries: -1, replies: []reply{{500, nil, ""}, {200, nil, "ok"}}, wantHits: 1,
			wantErr: []string{"500 Internal Server Error", "after 1 attempts"}},
		{name: "501 not retried", replies: []reply{{501, nil, ""}}, wantHits: 1, wantErr: []string{"501"}},
		// An hour of backoff would outlast the test's context: Retry-After: 0
		// must replace the backoff, not add to it.
		{name: "429 Retry-After 0", backoff: time.Hour,
			replies:  []reply{{429, map[string]string{"Retry-After": "0"}, ""}, {200, nil, "ok"}},
			wantHits: 2},
		{name: "Retry-After too long", replies: []reply{{503, map[string]string{"Retry-After": "3600"}, ""}}, wantHits: 1,
			wantErr: []string{"503", `Retry-After: "3600"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sequenceServer(t, tt.replies...)
			f := testFetcher(t)
			f.Retries = tt.retries
			if tt.backoff != 0 {
				f.Backoff = tt.backoff
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			url := srv.URL + "/file.bin"
			rc, _, err := f.Open(ctx, url, Pin{})
			if got := srv.hits.Load(); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Open = %v, want success", err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || string(b) != "ok" {
					t.Errorf("body = %q, %v; want \"ok\"", b, err)
				}
				return
			}
			if err == nil {
				rc.Close()
				t.Fatalf("Open succeeded, want error containing %q", tt.wantErr)
			}
			for _, s := range append([]string{url}, tt.wantErr...) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if got := errors.Is(err, ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, got, tt.notFound)
			}
		})
	}
}

func TestOpenClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release) // before srv.Close, which waits for handlers
	f := testFetcher(t)
	f.Client = &http.Client{Timeout: 50 * time.Millisecond}
	f.Retries = 1
	_, _, err := openAll(t, f, srv.URL+"/slow", "")
	if err == nil {
		t.Fatal("Open of a hanging server succeeded")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Open = %v, want a net.Error with Timeout()", err)
	}
	if !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), srv.URL+"/slow") {
		t.Errorf("error %q should say timeout and name the URL", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("error %q blames the caller's context", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server hits = %d, want 2 (timeouts are retried)", n)
	}
}

func TestOpenCancelDuringBackoff(t *testing.T) {
	srv := sequenceServer(t, reply{code: 503})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := testFetcher(t)
	f.Backoff = time.Hour
	// Logf is called just before the backoff wait: cancelling there puts
	// the cancellation inside the wait, deterministically.
	f.Logf = func(format string, args ...any) {
		t.Logf(format, args...)
		cancel()
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := f.Open(ctx, srv.URL+"/f", Pin{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Open = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Open did not return after its context was cancelled during backoff")
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("server hits = %d, want 1", n)
	}
}

func TestOpenCanceledContext(t *testing.T) {
	srv := sequenceServer(t, reply{code: 200, body: "ok"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := testFetcher(t).Open(ctx, srv.URL+"/f", Pin{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled ctx) = %v, want context.Canceled", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hits = %d, want 0", n)
	}
}

func TestOpenConnectionRefused(t *testing.T) {
	url := closedURL(t, "/data.json")
	f := testFetcher(t)
	f.Retries = 1
	_, _, err := openAll(t, f, url, "")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	for _, s := range []string{url, "connection refused", "after 2 attempts"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestOpenWrongBytesIsCallersJob(t *testing.T) {
	srv := sequenceServer(t, reply{code: 200, body: "tampered"})
	pin := digest.FromString("genuine")
	b, _, err := openAll(t, testFetcher(t), srv.URL+"/f.json", pin)
	if err != nil {
		t.Fatalf("Open = %v; verifying the bytes is the caller's job", err)
	}
	if got := digest.FromBytes(b); got == pin {
		t.Errorf("digest of body = pin %s, want it to differ", got)
	}
}

func TestOpenTruncatedBodyNamesOffset(t *testing.T) {
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "0123456789")
		w.(http.Flusher).Flush()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		buf.Flush()
		conn.Close()
	})
	rc, info, err := testFetcher(t).Open(context.Background(), srv.URL+"/big.bin", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if info.Size != 100 {
		t.Errorf("Info.Size = %d, want 100", info.Size)
	}
	b, err := io.ReadAll(rc)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadAll = %d bytes, %v; want io.ErrUnexpectedEOF", len(b), err)
	}
	if !strings.Contains(err.Error(), "at byte 10") || !strings.Contains(err.Error(), srv.URL+"/big.bin") {
		t.Errorf("error %q should name the URL and byte 10", err)
	}
}

const hfCommit = "0123456789abcdef0123456789abcdef01234567"

func TestOpenHF(t *testing.T) {
	const token = "hf_sEcReTtOkEn"
	var gotAuth atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/datasets/org/name/resolve/main/data/train%201.jsonl", func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("X-Repo-Commit", hfCommit)
		http.Redirect(w, r, "/cdn/blob?sig=abc", http.StatusFound)
	})
	mux.HandleFunc("/cdn/blob", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"text":"hi"}`+"\n")
	})
	mux.HandleFunc("/org/model/resolve/"+hfCommit+"/config.json", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	})
	mux.HandleFunc("/datasets/org/name/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Repo-Commit", hfCommit)
		io.WriteString(w, "PAR1")
	})
	srv := newHitServer(t, mux.ServeHTTP)
	f := testFetcher(t)
	f.HFEndpoint = srv.URL + "/"
	f.HFToken = token

	tests := []struct {
		url  string
		body string
		want Info
	}{
		{"hf://datasets/org/name@main/data/train 1.jsonl", `{"text":"hi"}` + "\n",
			Info{Source: srv.URL + "/cdn/blob?sig=abc", Revision: hfCommit, Size: 14}},
		// No header: a commit in the URL is itself the resolved revision.
		{"hf://models/org/model@" + hfCommit + "/config.json", "{}",
			Info{Source: srv.URL + "/org/model/resolve/" + hfCommit + "/config.json", Revision: hfCommit, Size: 2}},
		{"hf://datasets/org/name@refs%2Fconvert%2Fparquet/default/train/0000.parquet", "PAR1",
			Info{Source: srv.URL + "/datasets/org/name/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet", Revision: hfCommit, Size: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			b, info, err := openAll(t, f, tt.url, "")
			if err != nil {
				t.Fatalf("Open(%s) = %v", tt.url, err)
			}
			if string(b) != tt.body {
				t.Errorf("body = %q, want %q", b, tt.body)
			}
			tt.want.URL = tt.url
			if diff := cmp.Diff(tt.want, info); diff != "" {
				t.Errorf("Info mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(fmt.Sprintf("%+v", info), token) {
				t.Errorf("Info %+v contains the token", info)
			}
		})
	}
	if got := gotAuth.Load(); got != "Bearer "+token {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
}

func TestHFTokenNeverInErrors(t *testing.T) {
	const token = "hf_TopSecret123"
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		// A hostile or buggy server echoing the credential back.
		echo := "invalid credentials " + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "/unauth/"):
			w.WriteHeader(401)
		case strings.Contains(r.URL.Path, "/missing/"):
			w.WriteHeader(404)
		default:
			w.WriteHeader(500)
		}
		io.WriteString(w, `{"error":"`+echo+`"}`)
	})
	mirror := t.TempDir()
	writeFile(t, mirror, "x/pinned.json", "not what was pinned")

	var logs strings.Builder
	f := testFetcher(t)
	f.HFEndpoint = srv.URL
	f.HFToken = token
	f.Mirrors = []string{mirror}
	f.Retries = 1
	f.Logf = func(format string, args ...any) { fmt.Fprintf(&logs, format+"\n", args...) }

	for _, url := range []string{
		"hf://datasets/org/unauth/a.json",
		"hf://datasets/org/missing/b.json",
		"hf://datasets/org/broken/c.json",
		"hf://datasets/org/broken@main/pinned.json", // mirror mismatch → PinError
		"hf://datasets/bad repo/x/y.json",
	} {
		_, _, err := f.Open(context.Background(), url, Pin{Digest: digest.FromString("pinned")})
		if err == nil {
			t.Errorf("Open(%s) succeeded, want an error", url)
			continue
		}
		t.Logf("Open(%s) = %v", url, err)
		if strings.Contains(err.Error(), token) {
			t.Errorf("Open(%s) error leaks the token: %v", url, err)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("log leaks the token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "[HF_TOKEN]") {
		t.Errorf("log does not show the redacted echo; the test no longer exercises redaction:\n%s", logs.String())
	}
}

func BenchmarkOpenHTTP(b *testing.B) {
	payload := strings.Repeat("x", 1<<20)
	srv := newHitServer(b, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, payload) })
	f := testFetcher(b)
	f.Logf = nil
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		rc, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
