package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// fetchBound is how many bytes a fetch that must stop early may cost: the
// server's sends include what the loopback socket buffers took.
const fetchBound = 32 << 20

// endlessCap ends the test server's "endless" body after all, so that a
// build that does not stop fails the test instead of filling the disk.
const endlessCap = 1 << 30

// flakyOrigin serves body until endless is set; then it serves body
// followed by 'x' forever (to endlessCap), counting the bytes it sends.
type flakyOrigin struct {
	*httptest.Server
	body    string
	endless atomic.Bool
	sent    atomic.Int64
}

func newFlakyOrigin(t *testing.T, body string) *flakyOrigin {
	o := &flakyOrigin{body: body}
	chunk := []byte(strings.Repeat("x", 64<<10))
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.endless.Load() {
			fmt.Fprint(w, o.body)
			return
		}
		n, _ := fmt.Fprint(w, o.body)
		o.sent.Add(int64(n))
		for o.sent.Load() < endlessCap {
			n, err := w.Write(chunk)
			o.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(o.Close)
	return o
}

// fetchProject is a project whose recipe fetches one URL into an output.
func fetchProject(t *testing.T, url, pin, format string) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	digest := ""
	if pin != "" {
		digest = fmt.Sprintf("  digest = %q\n", pin)
	}
	recipe := fmt.Sprintf("fetch \"data\" {\n  url    = %q\n%s  format = %q\n}\n\noutput \"data\" {\n  input = fetch.data\n  path  = \"out/data.jsonl\"\n}\n", url, digest, format)
	must(t, os.WriteFile(p.recipe(), []byte(recipe), 0o644))
	return p
}

// dsbuildEnv runs the CLI in-process with extra environment variables.
func (p *project) dsbuildEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "DSBUILD_CACHE" {
			return p.cache
		}
		return env[k]
	}}
	args = append(args, "--cache", p.cache, "--mirror", p.mirror)
	code := run(context.Background(), g, args)
	return code, out.String(), errb.String()
}

// storeBytes sums the sizes of the files in a store directory.
func storeBytes(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// The review's case: the lock pins 34 bytes, the server sends on and on.
// build, build --locked and verify stop at the pinned size with exit 3.
func TestEndlessServerStopsAtLockedSize(t *testing.T) {
	const body = `{"id": 1, "text": "pinned bytes"}` + "\n"
	origin := newFlakyOrigin(t, body)
	p := fetchProject(t, origin.URL+"/data.jsonl", sha(body), "jsonl")
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("build against the honest server: exit %d\n%s", code, stderr)
	}
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	if got := l.Fetches["fetch.data"].Size; got != int64(len(body)) {
		t.Fatalf("locked size = %d, want %d", got, len(body))
	}

	origin.endless.Store(true)
	for _, args := range [][]string{{"build", p.recipe()}, {"build", "--locked", p.recipe()}, {"verify", p.recipe()}} {
		t.Run(strings.Join(args[:len(args)-1], " "), func(t *testing.T) {
			p.cache = t.TempDir() // nothing cached: the bytes must be fetched
			origin.sent.Store(0)
			code, _, stderr := p.dsbuild(t, args...)
			if code != exitPin {
				t.Fatalf("exit %d, want %d\n%s", code, exitPin, stderr)
			}
			for _, want := range []string{"fetch.data", origin.URL + "/data.jsonl", sha(body),
				fmt.Sprintf("expected %d bytes", len(body)), fmt.Sprintf("more than %d bytes", len(body))} {
				if !strings.Contains(stderr, want) {
					t.Errorf("message does not contain %q:\n%s", want, stderr)
				}
			}
			t.Logf("the server sent %d bytes; the store holds %d", origin.sent.Load(), storeBytes(t, p.cache))
			if sent := origin.sent.Load(); sent > fetchBound {
				t.Errorf("the server sent %d bytes before the build stopped, want at most %d", sent, fetchBound)
			}
			if n := storeBytes(t, p.cache); n > fetchBound {
				t.Errorf("the store holds %d bytes, want at most %d", n, fetchBound)
			}
			assertStoreIntact(t, p.cache)
		})
	}
}

// Without a known size, --max-fetch-size (or DSBUILD_MAX_FETCH_SIZE)
// bounds a download: exit 1 naming the node and the limit.
func TestEndlessServerStopsAtMaxFetchSize(t *testing.T) {
	origin := newFlakyOrigin(t, `{"id": 1}`+"\n")
	origin.endless.Store(true)
	for _, tt := range []struct {
		name string
		pin  string
		args []string
		env  map[string]string
	}{
		{"flag, unpinned", "", []string{"--max-fetch-size", "1MiB"}, nil},
		{"env, pinned without a locked size", sha("small"), nil, map[string]string{"DSBUILD_MAX_FETCH_SIZE": "1MiB"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := fetchProject(t, origin.URL+"/data.jsonl", tt.pin, "jsonl")
			origin.sent.Store(0)
			code, _, stderr := p.dsbuildEnv(t, tt.env, append([]string{"build", p.recipe()}, tt.args...)...)
			if code != exitFailed {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr)
			}
			for _, want := range []string{"fetch.data", origin.URL + "/data.jsonl", "more than 1048576 bytes", "1MiB", "--max-fetch-size"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("message does not contain %q:\n%s", want, stderr)
				}
			}
			t.Logf("the server sent %d bytes; the store holds %d", origin.sent.Load(), storeBytes(t, p.cache))
			if sent := origin.sent.Load(); sent > fetchBound {
				t.Errorf("the server sent %d bytes, want at most %d", sent, fetchBound)
			}
			if _, err := os.Stat(p.lock()); err == nil {
				t.Errorf("a failed build wrote a lock")
			}
		})
	}
}

func TestMaxFetchSizeUsage(t *testing.T) {
	p := fetchProject(t, "data.jsonl", "", "jsonl")
	must(t, os.WriteFile(filepath.Join(p.dir, "recipes", "data.jsonl"), []byte(`{"id": 1}`+"\n"), 0o644))
	for _, tt := range []struct {
		args []string
		env  map[string]string
		code int
	}{
		{[]string{"build", "--max-fetch-size", "10XB"}, nil, exitUsage},
		{[]string{"plan", "--max-fetch-size", "0"}, nil, exitUsage},
		{[]string{"verify", "--max-fetch-size", "-5"}, nil, exitUsage},
		{[]string{"build"}, map[string]string{"DSBUILD_MAX_FETCH_SIZE": "lots"}, exitUsage},
		{[]string{"build"}, map[string]string{"DSBUILD_FETCH_IDLE_TIMEOUT": "soon"}, exitUsage},
		{[]string{"build", "--max-fetch-size", "9B"}, nil, exitFailed}, // the file has 10
		{[]string{"build", "--max-fetch-size", "10B"}, map[string]string{"DSBUILD_MAX_FETCH_SIZE": "9B"}, exitOK},
		{[]string{"plan", "--max-fetch-size", "10GiB"}, nil, exitOK},
		{[]string{"verify", "--max-fetch-size", "10GiB"}, map[string]string{"DSBUILD_FETCH_IDLE_TIMEOUT": "5s"}, exitOK},
	} {
		args := append(append([]string(nil), tt.args...), p.recipe())
		if code, _, stderr := p.dsbuildEnv(t, tt.env, args...); code != tt.code {
			t.Errorf("%v %v: exit %d, want %d\n%s", tt.args, tt.env, code, tt.code, stderr)
		}
	}
}

// runBounded runs the CLI, failing the test if it does not return (a FIFO
// opened for reading waits for a writer; /dev/zero never ends).
func runBounded(t *testing.T, p *project, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, _, stderr := p.dsbuildEnv(t, map[string]string{"DSBUILD_MAX_FETCH_SIZE": "256MiB"}, args...)
		done <- result{code, stderr}
	}()
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(60 * time.Second):
		t.Fatalf("dsbuild %v did not return", args)
		return 0, ""
	}
}

// Fetches read regular files only: a link to /dev/zero, a FIFO, a socket
// or a /proc file is refused, whether the recipe names it (a load
// diagnostic, exit 2), a directory or glob fetch matches it (exit 1, from
// the listing), or a mirror holds it under the URL's name (never read).
func TestFetchRefusesSpecialFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev, /proc or FIFOs")
	}
	base := t.TempDir()
	special := map[string]string{}
	link := func(name, target string) {
		p := filepath.Join(base, name)
		if err := os.Symlink(target, p); err != nil {
			t.Skip("symlinks unsupported:", err)
		}
		special[name] = p
	}
	link("zero.jsonl", "/dev/zero")
	link("status.jsonl", "/proc/self/status")
	if err := mkfifo(filepath.Join(base, "fifo.jsonl")); err == nil {
		special["fifo.jsonl"] = filepath.Join(base, "fifo.jsonl")
	}
	special["proc.jsonl"] = "/proc/self/status"
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()

	for name, path := range special {
		for _, url := range []string{path, "file://" + path} {
			t.Run("recipe/"+name+"/"+url[:4], func(t *testing.T) {
				p := fetchProject(t, url, "", "jsonl")
				code, stderr := runBounded(t, p, "build", p.recipe())
				if code != exitUsage || !strings.Contains(stderr, "Not a regular file") || !strings.Contains(stderr, path) || !strings.Contains(stderr, "esconv.hcl:2") {
					t.Errorf("exit %d, want %d with a diagnostic at the url naming %s:\n%s", code, exitUsage, path, stderr)
				}
			})
		}
		if name == "proc.jsonl" {
			continue
		}
		t.Run("tree/"+name, func(t *testing.T) {
			p := fetchProject(t, "../data/*.jsonl", "", "jsonl")
			data := filepath.Join(p.dir, "data")
			must(t, os.MkdirAll(data, 0o755))
			must(t, os.WriteFile(filepath.Join(data, "a.jsonl"), []byte(`{"id": 1}`+"\n"), 0o644))
			entry := filepath.Join(data, "b.jsonl")
			if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
				must(t, mkfifo(entry))
			} else {
				must(t, os.Symlink(path, entry))
			}
			code, stderr := runBounded(t, p, "build", p.recipe())
			if code != exitFailed || !strings.Contains(stderr, "fetch.data") || !strings.Contains(stderr, entry) || !strings.Contains(stderr, "regular file") {
				t.Errorf("exit %d, want %d naming fetch.data and %s:\n%s", code, exitFailed, entry, stderr)
			}
		})
		t.Run("mirror/"+name, func(t *testing.T) {
			p := fetchProject(t, gone.URL+"/"+name, sha("pinned"), "jsonl")
			must(t, os.Symlink(path, filepath.Join(p.mirror, name)))
			code, stderr := runBounded(t, p, "build", p.recipe())
			if code != exitFailed || !strings.Contains(stderr, "fetch.data") || !strings.Contains(stderr, "404") {
				t.Errorf("exit %d, want %d: the mirror's %s is no candidate, so the URL is tried and fails:\n%s", code, exitFailed, name, stderr)
			}
		})
	}
}

// A directory fetch reads every file no further than its size at listing
// and is bounded as a whole by --max-fetch-size; links to regular files
// count as the files (as sha256sum reads them).
func TestTreeFetchLimits(t *testing.T) {
	p := fetchProject(t, "../data", "", "jsonl")
	data := filepath.Join(p.dir, "data")
	must(t, os.MkdirAll(data, 0o755))
	for i := range 3 {
		must(t, os.WriteFile(filepath.Join(data, fmt.Sprintf("%d.jsonl", i)), []byte(fmt.Sprintf(`{"id": %d}`+"\n", i)), 0o644))
	}
	elsewhere := filepath.Join(t.TempDir(), "linked.jsonl")
	must(t, os.WriteFile(elsewhere, []byte(`{"id": 9}`+"\n"), 0o644))
	must(t, os.Symlink(elsewhere, filepath.Join(data, "3.jsonl")))

	code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--max-fetch-size", "39B")
	if code != exitFailed || !strings.Contains(stderr, "more than 39 bytes") {
		t.Fatalf("4 files of 10 bytes under --max-fetch-size 39B: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	if code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--max-fetch-size", "40B"); code != 0 {
		t.Fatalf("under --max-fetch-size 40B: exit %d\n%s", code, stderr)
	}
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	if n := l.Nodes["fetch.data"].Rows; n != 4 {
		t.Errorf("fetch.data has %d rows, want 4 (the linked file counts)", n)
	}
	if s := l.Fetches["fetch.data"].Size; s != 40 {
		t.Errorf("locked tree size = %d, want 40", s)
	}
	// Pinned (and locked with its size), a tree whose file grew is a pin
	// problem found before the tree is read past the pinned size.
	pinned := fetchProject(t, "../data", string(l.Fetches["fetch.data"].Digest), "jsonl")
	must(t, os.Rename(p.lock(), pinned.lock()))
	must(t, os.Rename(data, filepath.Join(pinned.dir, "data")))
	data, p = filepath.Join(pinned.dir, "data"), pinned
	if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
		t.Fatalf("pinned tree: exit %d\n%s", code, stderr)
	}
	must(t, os.WriteFile(filepath.Join(data, "0.jsonl"), []byte(strings.Repeat(`{"id": 0}`+"\n", 1000)), 0o644))
	p.cache = t.TempDir()
	code, _, stderr = p.dsbuild(t, "build", p.recipe())
	if code != exitPin || !strings.Contains(stderr, "expected 40 bytes") || !strings.Contains(stderr, "more than 40 bytes") {
		t.Errorf("grown tree: exit %d, want %d saying expected 40 bytes, got more\n%s", code, exitPin, stderr)
	}
}
