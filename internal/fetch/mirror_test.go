package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

func writeFile(t testing.TB, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMirrorHitSkipsNetwork(t *testing.T) {
	const content = "[1, 2, 3]"
	mirror := t.TempDir()
	p := writeFile(t, mirror, "deep/er/still/file.json", content)
	writeFile(t, mirror, "other/unrelated.json", "{}")
	srv := sequenceServer(t, reply{code: 200, body: "from the network"})
	f := testFetcher(t)
	f.Mirrors = []string{mirror}
	url := srv.URL + "/some/path/file.json"

	b, info, err := openAll(t, f, url, digest.FromString(content))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("body = %q, want the mirror's %q", b, content)
	}
	want := Info{URL: url, Source: "mirror:" + p, Size: int64(len(content))}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Info mismatch (-want +got):\n%s", diff)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hits = %d, want 0", n)
	}

	// Unpinned, the same URL must reach the real source.
	b, info, err = openAll(t, f, url, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "from the network" || info.Source != url {
		t.Errorf("unpinned Open = %q from %s, want the network's body from %s", b, info.Source, url)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("server hits = %d, want 1", n)
	}
}

func TestMirrorMismatchFallsBackToSource(t *testing.T) {
	mirror := t.TempDir()
	writeFile(t, mirror, "file.json", "stale copy")
	srv := sequenceServer(t, reply{code: 200, body: "fresh"})
	f := testFetcher(t)
	f.Mirrors = []string{mirror}
	b, info, err := openAll(t, f, srv.URL+"/file.json", digest.FromString("fresh"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "fresh" || info.Source != srv.URL+"/file.json" {
		t.Errorf("Open = %q from %s, want the source's body", b, info.Source)
	}
}

func TestMirrorMismatchPinError(t *testing.T) {
	const wrong = "these are not the pinned bytes"
	mirror := t.TempDir()
	p := writeFile(t, mirror, "a/b/data.csv", wrong)
	pin := digest.FromString("the pinned bytes")
	for name, url := range map[string]string{
		"closed server": closedURL(t, "/x/data.csv"),
		"port 1":        "http://127.0.0.1:1/x/data.csv",
	} {
		t.Run(name, func(t *testing.T) {
			f := testFetcher(t)
			f.Mirrors = []string{mirror}
			f.Retries = 1
			_, _, err := openAll(t, f, url, pin)
			var pe *PinError
			if !errors.As(err, &pe) {
				t.Fatalf("Open = %v, want *PinError", err)
			}
			want := &PinError{URL: url, Want: pin, Got: digest.FromString(wrong), Source: "mirror:" + p}
			if diff := cmp.Diff(want, pe, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Err" }, cmp.Ignore())); diff != "" {
				t.Errorf("PinError mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrPinMismatch) {
				t.Errorf("errors.Is(%v, ErrPinMismatch) = false", err)
			}
			if pe.Err == nil || !strings.Contains(pe.Err.Error(), "connection refused") {
				t.Errorf("PinError.Err = %v, want the connection failure", pe.Err)
			}
			prefix := "fetch " + url + ": pinned " + pin.String() + " but mirror:" + p + " has " + digest.FromString(wrong).String()
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error = %q\nwant prefix %q", err, prefix)
			}
		})
	}
}

func TestMirrorNotFoundSourceStillPinError(t *testing.T) {
	mirror := t.TempDir()
	writeFile(t, mirror, "data.csv", "wrong")
	srv := sequenceServer(t, reply{code: 404})
	f := testFetcher(t)
	f.Mirrors = []string{mirror}
	_, _, err := openAll(t, f, srv.URL+"/data.csv", digest.FromString("right"))
	if !errors.Is(err, ErrPinMismatch) || errors.Is(err, ErrNotFound) {
		t.Errorf("Open = %v, want ErrPinMismatch (and not ErrNotFound, which would hide it)", err)
	}
}

func TestMirrorCandidateOrder(t *testing.T) {
	const right = "right bytes"
	m1, m2 := t.TempDir(), t.TempDir()
	writeFile(t, m1, "a/data.json", "wrong bytes")
	want := writeFile(t, m1, "b/data.json", right)
	writeFile(t, m2, "data.json", right) // later mirror: only a fallback
	srv := sequenceServer(t, reply{code: 500})
	f := testFetcher(t)
	f.Mirrors = []string{m1, m2}
	url := srv.URL + "/data.json"
	pin := digest.FromString(right)

	_, info, err := openAll(t, f, url, pin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Source != "mirror:"+want {
		t.Errorf("Source = %s, want mirror:%s (first matching candidate)", info.Source, want)
	}
	if got := f.mirrors.hashed.Load(); got != 2 {
		t.Errorf("files hashed = %d, want 2 (m2's copy is never needed)", got)
	}
	// Digests are memoized: a second Open hashes nothing again.
	if _, _, err := openAll(t, f, url, pin); err != nil {
		t.Fatal(err)
	}
	if got := f.mirrors.hashed.Load(); got != 2 {
		t.Errorf("files hashed after second Open = %d, want still 2", got)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hits = %d, want 0", n)
	}
}

func TestMirrorConcurrentOpensHashOnce(t *testing.T) {
	const content = "shared"
	mirror := t.TempDir()
	writeFile(t, mirror, "x/shared.bin", content)
	f := testFetcher(t)
	f.Mirrors = []string{mirror}
	pin := digest.FromString(content)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			rc, info, err := f.Open(context.Background(), "http://127.0.0.1:1/shared.bin", Pin{Digest: pin})
			if err != nil {
				errs[i] = err
				return
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err == nil && (string(b) != content || !strings.HasPrefix(info.Source, "mirror:")) {
				err = errors.New("wrong body or source " + info.Source)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d = %v", i, err)
		}
	}
	if got := f.mirrors.hashed.Load(); got != 1 {
		t.Errorf("files hashed = %d, want 1", got)
	}
}

func TestMirrorHashCancelIsNotMemoized(t *testing.T) {
	mirror := t.TempDir()
	p := writeFile(t, mirror, "f.bin", "abc")
	idx := buildMirrorIndex([]string{mirror}, t.Logf)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := idx.digestOf(ctx, p, digest.SHA256, DefaultMaxSize); !errors.Is(err, context.Canceled) {
		t.Fatalf("digestOf(cancelled) = %v, want context.Canceled", err)
	}
	got, err := idx.digestOf(context.Background(), p, digest.SHA256, DefaultMaxSize)
	if err != nil || got != digest.FromString("abc") {
		t.Errorf("digestOf after a cancelled attempt = %s, %v; want %s", got, err, digest.FromString("abc"))
	}
}

func TestMirrorIndexSkipsProblems(t *testing.T) {
	mirror := t.TempDir()
	p := writeFile(t, mirror, "real/f.json", "x")
	if err := os.Symlink(p, filepath.Join(mirror, "link-f.json")); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	os.Symlink(mirror, filepath.Join(mirror, "real", "loop"))   // a dir link: not followed
	os.Symlink("/nonexistent", filepath.Join(mirror, "f.json")) // dangling: skipped
	var logged []string
	idx := buildMirrorIndex([]string{filepath.Join(mirror, "missing"), mirror}, func(format string, args ...any) {
		logged = append(logged, format)
	})
	if got, want := idx.candidates("f.json"), []string{p}; !cmp.Equal(got, want) {
		t.Errorf("candidates(f.json) = %v, want %v", got, want)
	}
	if got, want := idx.candidates("link-f.json"), []string{filepath.Join(mirror, "link-f.json")}; !cmp.Equal(got, want) {
		t.Errorf("candidates(link-f.json) = %v, want %v (a link to a file counts)", got, want)
	}
	if len(logged) == 0 {
		t.Errorf("a missing mirror directory was not logged")
	}
}

func sharedDir(tb testing.TB, sub string) string { return sharedtest.Dir(tb, sub) }

// failTransport fails the test on any request: the shared mirror must
// satisfy the pin with no network at all.
type failTransport struct{ t *testing.T }

func (ft failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ft.t.Errorf("unexpected network request to %s", r.URL)
	return nil, errors.New("network disabled in this test")
}

func TestSharedMirror(t *testing.T) {
	data := sharedDir(t, "data")
	const url = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
	const pin = digest.Digest("sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279")
	f := testFetcher(t)
	f.Mirrors = []string{data}
	f.Client = &http.Client{Transport: failTransport{t}}
	f.Retries = -1

	rc, info, err := f.Open(context.Background(), url, Pin{Digest: pin})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := digest.SHA256.FromReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	if got != pin {
		t.Errorf("digest of body = %s, want %s", got, pin)
	}
	want := Info{URL: url, Source: "mirror:" + filepath.Join(data, "esconv", "FailedESConv.json"), Size: 911614}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Info mismatch (-want +got):\n%s", diff)
	}
	// history/FailedESConv.591fb8e.json has another base name: never a
	// candidate, never hashed.
	if c := f.mirrors.candidates("FailedESConv.json"); len(c) != 1 {
		t.Errorf("candidates(FailedESConv.json) = %v, want exactly one", c)
	}
	if n := f.mirrors.hashed.Load(); n != 1 {
		t.Errorf("files hashed = %d, want 1", n)
	}
}

func BenchmarkOpenMirrorHit(b *testing.B) {
	mirror := b.TempDir()
	content := strings.Repeat("y", 1<<20)
	writeFile(b, mirror, "m/big.bin", content)
	f := &Fetcher{Mirrors: []string{mirror}}
	pin := digest.FromString(content)
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		rc, _, err := f.Open(context.Background(), "http://127.0.0.1:1/big.bin", Pin{Digest: pin})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}

func BenchmarkMirrorIndexShared(b *testing.B) {
	data := sharedDir(b, "data")
	for b.Loop() {
		buildMirrorIndex([]string{data}, func(string, ...any) {})
	}
}
