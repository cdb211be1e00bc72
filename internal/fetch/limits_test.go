package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// endlessCap is where the test servers' "endless" bodies end after all, so
// that a fetcher that does not stop makes a test fail instead of hang.
const endlessCap = 256 << 20

// endless serves a body of 'x' that goes on (to endlessCap) and counts the
// bytes it managed to send.
type endless struct {
	*hitServer
	sent atomic.Int64
}

func newEndless(t *testing.T, header map[string]string) *endless {
	e := &endless{}
	chunk := []byte(strings.Repeat("x", 32<<10))
	e.hitServer = newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(200)
		for e.sent.Load() < endlessCap {
			n, err := w.Write(chunk)
			e.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	return e
}

// readBounded reads rc to its end or first error, failing the test if it
// delivers more than max bytes.
func readBounded(t *testing.T, rc io.ReadCloser, max int64) ([]byte, error) {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if int64(len(b)) > max {
		t.Fatalf("read %d bytes, want at most %d", len(b), max)
	}
	if err == nil {
		// LimitReader hides what came after: ask once more.
		var one [1]byte
		if n, rerr := rc.Read(one[:]); n > 0 {
			t.Fatalf("read more than %d bytes", max)
		} else if rerr != io.EOF {
			err = rerr
		}
	}
	return b, err
}

func wantPinSize(t *testing.T, err error, want, got int64, more bool) {
	t.Helper()
	var pe *PinError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *PinError", err)
	}
	if pe.Got != "" || pe.WantSize != want || pe.GotSize != got || pe.GotMore != more {
		t.Errorf("PinError{Got: %q, WantSize: %d, GotSize: %d, GotMore: %v}, want {\"\", %d, %d, %v}", pe.Got, pe.WantSize, pe.GotSize, pe.GotMore, want, got, more)
	}
	if !errors.Is(err, ErrPinMismatch) {
		t.Errorf("errors.Is(%v, ErrPinMismatch) = false", err)
	}
	wantText := fmt.Sprintf("of %d bytes but", want)
	if !strings.Contains(err.Error(), wantText) || !strings.Contains(err.Error(), SizeText(got, more)) {
		t.Errorf("error %q should say %q and %q", err, wantText, SizeText(got, more))
	}
}

func TestEndlessBodyStopsAtPinnedSize(t *testing.T) {
	const pinned = `{"a": 1, "b": "pinned content"}` + "\n"
	pin := Pin{Digest: digest.FromString(pinned), Size: int64(len(pinned))}
	for _, tt := range []struct {
		name string
		url  func(srv *endless) string
		f    func(srv *endless) *Fetcher
	}{
		{"https", func(srv *endless) string { return srv.URL + "/f.json" }, func(*endless) *Fetcher { return testFetcher(t) }},
		{"hf", func(*endless) string { return "hf://datasets/org/name@main/f.json" }, func(srv *endless) *Fetcher {
			f := testFetcher(t)
			f.HFEndpoint = srv.URL
			return f
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newEndless(t, nil)
			f := tt.f(srv)
			url := tt.url(srv)
			rc, _, err := f.Open(context.Background(), url, pin)
			if err != nil {
				t.Fatal(err)
			}
			b, err := readBounded(t, rc, pin.Size)
			wantPinSize(t, err, pin.Size, pin.Size, true)
			if !strings.Contains(err.Error(), url) {
				t.Errorf("error %q does not name %s", err, url)
			}
			if int64(len(b)) != pin.Size {
				t.Errorf("read %d bytes before failing, want the pinned %d", len(b), pin.Size)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("server hits = %d, want 1 (a pin error is not retried)", n)
			}
		})
	}
}

func TestEndlessBodyStopsAtMaxSize(t *testing.T) {
	srv := newEndless(t, nil)
	f := testFetcher(t)
	f.MaxSize = 1 << 20
	rc, _, err := f.Open(context.Background(), srv.URL+"/f.json", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBounded(t, rc, f.MaxSize)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 1048576 bytes") || !strings.Contains(err.Error(), "1MiB") {
		t.Fatalf("read %d bytes, %v; want ErrTooLarge saying more than 1048576 bytes, 1MiB", len(b), err)
	}
	// A pinned digest with an unknown size is bounded the same way.
	rc, _, err = f.Open(context.Background(), srv.URL+"/g.json", Pin{Digest: digest.FromString("small")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readBounded(t, rc, f.MaxSize); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("pinned digest, unknown size: %v, want ErrTooLarge", err)
	}
}

// A Content-Length that cannot hold fails before the body is read.
func TestContentLengthCheckedBeforeReading(t *testing.T) {
	const pinned = "0123456789"
	pin := Pin{Digest: digest.FromString(pinned), Size: int64(len(pinned))}
	for _, tt := range []struct {
		name   string
		length int64
		pin    Pin
		max    int64
		check  func(t *testing.T, err error)
	}{
		{"longer than the pin", 1 << 40, pin, 0, func(t *testing.T, err error) { wantPinSize(t, err, 10, 1<<40, false) }},
		{"shorter than the pin", 5, pin, 0, func(t *testing.T, err error) { wantPinSize(t, err, 10, 5, false) }},
		{"longer than the cap", 1 << 40, Pin{}, 1 << 30, func(t *testing.T, err error) {
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "Content-Length") {
				t.Errorf("Open = %v, want ErrTooLarge naming the Content-Length", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var wrote atomic.Int64
			srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.FormatInt(tt.length, 10))
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				// Only what a reader asks for flows; a fetcher that reads
				// would get (and the test count) these bytes.
				for i := 0; i < 64 && r.Context().Err() == nil; i++ {
					n, err := w.Write([]byte(strings.Repeat("y", 1024)))
					wrote.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			f := testFetcher(t)
			f.MaxSize = tt.max
			rc, _, err := f.Open(context.Background(), srv.URL+"/f.bin", tt.pin)
			if err == nil {
				b, rerr := io.ReadAll(rc)
				rc.Close()
				t.Fatalf("Open succeeded (then read %d bytes, %v); want it to fail before reading", len(b), rerr)
			}
			tt.check(t, err)
		})
	}
}

// hijack answers with a raw HTTP response: head, then body, then closes
// the connection (or keeps writing when body is nil).
func rawServer(t *testing.T, head string, body func(w *bufio.Writer) error) *hitServer {
	return newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		buf.WriteString(head)
		body(buf.Writer)
		buf.Flush()
	})
}

func TestContentLengthShorterThanBody(t *testing.T) {
	// The server says 5 bytes and sends on and on: the body is the first 5
	// bytes, and reading it ends there.
	srv := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", func(w *bufio.Writer) error {
		chunk := []byte(strings.Repeat("z", 32<<10))
		for i := 0; i < endlessCap/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	rc, info, err := testFetcher(t).Open(context.Background(), srv.URL+"/f", Pin{Digest: digest.FromString("zzzzz"), Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBounded(t, rc, 5)
	if err != nil || string(b) != "zzzzz" || info.Size != 5 {
		t.Errorf("body = %q, %v (Info.Size %d); want the 5 bytes of its Content-Length", b, err, info.Size)
	}
}

func TestContentLengthLongerThanBody(t *testing.T) {
	// Each answer declares 100 bytes and sends 10.
	srv := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", func(w *bufio.Writer) error {
		_, err := w.WriteString("0123456789")
		return err
	})
	f := testFetcher(t)
	f.Retries = 2
	rc, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBounded(t, rc, 100)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("read %d bytes, %v; want io.ErrUnexpectedEOF after 3 attempts", len(b), err)
	}
	if string(b) != "0123456789" {
		t.Errorf("delivered %q, want the 10 bytes once (a resent body is skipped, not repeated)", b)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("server hits = %d, want 3", n)
	}
}

// stallServer sends head bytes of body, then stalls until the request is
// cancelled (or, so that a fetcher without an idle timeout fails rather
// than hangs, a few seconds pass and it ends the body short). Requests
// after the first stalls are answered per resume.
func stallServer(t *testing.T, body string, head int, stalls int, resume func(w http.ResponseWriter, r *http.Request)) *hitServer {
	var n atomic.Int64
	return newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) > stalls {
			resume(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(200)
		io.WriteString(w, body[:head])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			io.WriteString(w, strings.ToUpper(body[head:]))
		}
	})
}

func TestStalledBodyTimesOut(t *testing.T) {
	const body = "0123456789abcdefghij"
	srv := stallServer(t, body, 10, 1<<30, nil)
	f := testFetcher(t)
	f.IdleTimeout = 50 * time.Millisecond
	f.Retries = 1
	rc, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBounded(t, rc, int64(len(body)))
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "read-idle timeout") {
		t.Fatalf("read %q, %v; want a read-idle timeout", b, err)
	}
	if !strings.Contains(err.Error(), "at byte 10") || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Errorf("error %q should name byte 10 and 2 attempts", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("server hits = %d, want 2 (a stall is retried)", n)
	}
}

func TestStallBeforeHeadersTimesOut(t *testing.T) {
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	f := testFetcher(t)
	f.IdleTimeout = 50 * time.Millisecond
	f.Retries = -1
	_, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{})
	if err == nil || !strings.Contains(err.Error(), "read-idle timeout") {
		t.Fatalf("Open = %v, want a read-idle timeout", err)
	}
}

func TestStalledBodyResumes(t *testing.T) {
	const body = "0123456789abcdefghij"
	for _, tt := range []struct {
		name   string
		resume func(w http.ResponseWriter, r *http.Request)
	}{
		{"range", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") != "bytes=10-" || r.Header.Get("If-Range") != `"v1"` {
				http.Error(w, "unexpected resume "+r.Header.Get("Range")+" "+r.Header.Get("If-Range"), 400)
				return
			}
			w.Header().Set("Content-Range", "bytes 10-19/20")
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusPartialContent)
			io.WriteString(w, body[10:])
		}},
		{"whole body again", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			io.WriteString(w, body)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := stallServer(t, body, 10, 1, tt.resume)
			f := testFetcher(t)
			f.IdleTimeout = 50 * time.Millisecond
			rc, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{Digest: digest.FromString(body), Size: int64(len(body))})
			if err != nil {
				t.Fatal(err)
			}
			b, err := readBounded(t, rc, int64(len(body)))
			if err != nil || string(b) != body {
				t.Fatalf("read %q, %v; want %q", b, err, body)
			}
		})
	}
}

func TestResumeRefusesChangedFile(t *testing.T) {
	const body = "0123456789abcdefghij"
	srv := stallServer(t, body, 10, 1, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v2"`)
		io.WriteString(w, strings.ToUpper(body))
	})
	f := testFetcher(t)
	f.IdleTimeout = 50 * time.Millisecond
	rc, _, err := f.Open(context.Background(), srv.URL+"/f", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBounded(t, rc, int64(len(body)))
	if err == nil || !strings.Contains(err.Error(), "changed on the server") {
		t.Fatalf("read %q, %v; want a changed-on-the-server error", b, err)
	}
}

func TestSlowDripCompletes(t *testing.T) {
	const body = "a slow but steady body"
	srv := newHitServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i := range len(body) {
			io.WriteString(w, body[i:i+1])
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
		}
	})
	f := testFetcher(t)
	// Each gap is far below the idle timeout; the whole body takes longer
	// than one gap would be allowed.
	f.IdleTimeout = 2 * time.Second
	f.Retries = -1
	b, _, err := openAll(t, f, srv.URL+"/f", digest.FromString(body))
	if err != nil || string(b) != body {
		t.Fatalf("read %q, %v; want %q", b, err, body)
	}
}

func TestLocalFileSizeLimits(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "f.json", strings.Repeat("x", 100))
	f := testFetcher(t)
	f.BaseDir = dir
	// Bigger than the pin: refused before reading.
	_, _, err := f.Open(context.Background(), "f.json", Pin{Digest: digest.FromString("small"), Size: 34})
	wantPinSize(t, err, 34, 100, false)
	if !strings.Contains(err.Error(), "file:"+p) {
		t.Errorf("error %q does not name file:%s", err, p)
	}
	// Bigger than the cap.
	f = testFetcher(t)
	f.BaseDir = dir
	f.MaxSize = 99
	if _, _, err := f.Open(context.Background(), "f.json", Pin{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Open(100 bytes, MaxSize 99) = %v, want ErrTooLarge", err)
	}
	if _, _, err := f.OpenFile(context.Background(), p); !errors.Is(err, ErrTooLarge) {
		t.Errorf("OpenFile(100 bytes, MaxSize 99) = %v, want ErrTooLarge", err)
	}
}

func TestLocalFileChangingWhileRead(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(p string) error
		want   string
	}{
		{"grows", func(p string) error {
			fh, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer fh.Close()
			_, err = fh.WriteString(strings.Repeat("more", 1<<20))
			return err
		}, "grew past its size of 100 bytes"},
		{"shrinks", func(p string) error { return os.Truncate(p, 10) }, "ended at byte 10 of its 100"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "f.json", strings.Repeat("x", 100))
			rc, size, err := testFetcher(t).OpenFile(context.Background(), p)
			if err != nil || size != 100 {
				t.Fatalf("OpenFile = %d, %v", size, err)
			}
			if err := tt.change(p); err != nil {
				t.Fatal(err)
			}
			b, err := readBounded(t, rc, 100)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("read %d bytes, %v; want %q", len(b), err, tt.want)
			}
		})
	}
}

func TestMirrorLargerThanPinIsNotRead(t *testing.T) {
	const pinned = "the pinned bytes"
	mirror := t.TempDir()
	big := writeFile(t, mirror, "a/data.json", strings.Repeat("x", 1<<20))
	f := testFetcher(t)
	f.Mirrors = []string{mirror}
	f.Retries = -1
	url := closedURL(t, "/data.json")
	_, _, err := openAll(t, f, url, "") // unpinned: mirrors are not consulted
	if err == nil {
		t.Fatal("unpinned Open of a closed port succeeded")
	}
	rc, _, err := f.Open(context.Background(), url, Pin{Digest: digest.FromString(pinned), Size: int64(len(pinned))})
	if err == nil {
		rc.Close()
		t.Fatal("Open succeeded; want a pin error from the mirror's size")
	}
	wantPinSize(t, err, int64(len(pinned)), 1<<20, false)
	if !strings.Contains(err.Error(), "mirror:"+big) {
		t.Errorf("error %q does not name mirror:%s", err, big)
	}
	if n := f.mirrors.hashed.Load(); n != 0 {
		t.Errorf("mirror files hashed = %d, want 0 (the size alone rules it out)", n)
	}
	// With the size unknown, the same file is hashed (it is a regular file
	// within the cap) and reported by digest.
	f2 := testFetcher(t)
	f2.Mirrors = []string{mirror}
	f2.Retries = -1
	_, _, err = f2.Open(context.Background(), url, Pin{Digest: digest.FromString(pinned)})
	var pe *PinError
	if !errors.As(err, &pe) || pe.Got != digest.FromString(strings.Repeat("x", 1<<20)) {
		t.Errorf("Open with unknown size = %v, want a digest mismatch", err)
	}
	// A mirror file bigger than the cap is not hashed at all.
	f3 := testFetcher(t)
	f3.Mirrors = []string{mirror}
	f3.Retries = -1
	f3.MaxSize = 1 << 10
	if _, _, err := f3.Open(context.Background(), url, Pin{Digest: digest.FromString(pinned)}); errors.Is(err, ErrPinMismatch) {
		t.Errorf("Open with MaxSize 1KiB = %v; the 1MiB mirror file should be skipped unread", err)
	}
	if n := f3.mirrors.hashed.Load(); n != 0 {
		t.Errorf("mirror files hashed with MaxSize 1KiB = %d, want 0", n)
	}
}

// specialFiles lays out the things a fetch must refuse, each under a name
// a recipe or mirror could use, and returns name → path.
func specialFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no /dev, /proc or FIFOs")
	}
	m := map[string]string{}
	link := func(name, target string) {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Skip("symlinks unsupported:", err)
		}
		m[name] = p
	}
	link("zero.json", "/dev/zero")
	link("status.json", "/proc/self/status")
	fifo := filepath.Join(dir, "fifo.json")
	if err := mkfifo(fifo); err == nil {
		m["fifo.json"] = fifo
	}
	sock := filepath.Join(dir, "sock.json")
	if l, err := net.Listen("unix", sock); err == nil {
		t.Cleanup(func() { l.Close() })
		m["sock.json"] = sock
	}
	m["dev-zero"] = "/dev/zero"
	m["proc-status"] = "/proc/self/status"
	return m
}

// bounded runs fn, failing the test if it does not return in a few
// seconds (opening a FIFO for reading blocks until a writer comes).
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func TestLocalFetchRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	for name, p := range specialFiles(t, dir) {
		t.Run(name, func(t *testing.T) {
			f := testFetcher(t)
			f.BaseDir = dir
			for _, url := range []string{p, "file://" + p} {
				bounded(t, "Open("+url+")", func() {
					rc, _, err := f.Open(context.Background(), url, Pin{})
					if err == nil {
						rc.Close()
						t.Errorf("Open(%s) succeeded; want it refused", url)
						return
					}
					if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "regular file") {
						t.Errorf("Open(%s) = %v; want an error naming %s and saying regular file", url, err, p)
					}
				})
			}
			bounded(t, "OpenFile", func() {
				if rc, _, err := f.OpenFile(context.Background(), p); err == nil {
					rc.Close()
					t.Errorf("OpenFile(%s) succeeded; want it refused", p)
				} else if !errors.Is(err, ErrSpecialFile) {
					t.Errorf("OpenFile(%s) = %v; want ErrSpecialFile", p, err)
				}
			})
			if err := CheckLocalPath(p); !errors.Is(err, ErrSpecialFile) {
				t.Errorf("CheckLocalPath(%s) = %v; want ErrSpecialFile", p, err)
			}
		})
	}
	if err := CheckLocalPath(filepath.Join(dir, "missing.json")); err != nil {
		t.Errorf("CheckLocalPath(missing) = %v; a missing file is not this check's business", err)
	}
	if err := CheckLocalPath(dir); err != nil {
		t.Errorf("CheckLocalPath(dir) = %v; a directory is fine here", err)
	}
}

func TestMirrorRefusesSpecialFiles(t *testing.T) {
	mirror := t.TempDir()
	specials := specialFiles(t, mirror)
	for name := range specials {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f := testFetcher(t)
			f.Mirrors = []string{mirror}
			f.Retries = -1
			var logged []string
			f.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
			url := closedURL(t, "/"+name)
			bounded(t, "Open", func() {
				rc, _, err := f.Open(context.Background(), url, Pin{Digest: digest.FromString("pinned")})
				if err == nil {
					rc.Close()
					t.Errorf("Open succeeded from a mirror's %s", name)
				} else if errors.Is(err, ErrPinMismatch) {
					t.Errorf("Open = %v; a special file is no candidate at all", err)
				}
			})
			if n := f.mirrors.hashed.Load(); n != 0 {
				t.Errorf("mirror files hashed = %d, want 0", n)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "10GiB": 10 << 30, "10gib": 10 << 30, "64G": 64 << 30,
		"500MB": 500e6, "1.5KiB": 1536, "2k": 2048, "3 MiB": 3 << 20, "1TB": 1e12, "7B": 7,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "10XB", "1e3", "10 GiBs", "-1", "99999999PiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d; want an error", in, got)
		}
	}
	for _, n := range []int64{0, 1, 1023, 1024, 64 << 30, 3 << 20, 1e12} {
		if got, err := ParseSize(FormatSize(n)); err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", n, FormatSize(n), got, err)
		}
	}
}

func TestSharedMemoryIsNotAPseudoRoot(t *testing.T) {
	for _, tc := range []struct {
		path   string
		pseudo bool
	}{
		{"/dev/shm/x/data.jsonl", false},
		{"/dev/shm", false},
		{"/dev/shmx/data.jsonl", true},
		{"/dev/zero", true},
		{"/proc/self/status", true},
		{"/sys/kernel", true},
		{"/home/a/dev/x", false},
	} {
		if _, got := underPseudoRoot(tc.path); got != tc.pseudo {
			t.Errorf("underPseudoRoot(%q) = %v, want %v", tc.path, got, tc.pseudo)
		}
	}
}
