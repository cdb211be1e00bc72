// Package fetch resolves the URL of a recipe input (http, https, file, a
// local path, or hf://) to a byte stream, preferring a local mirror file
// when one holds the pinned digest.
//
// It owns URL schemes, mirror lookup, retries, the HuggingFace mapping and
// the bounds of every read (sizes, idle timeouts, regular files only). It
// must never write to the cache store, verify the streamed bytes' digest
// against the pin (the caller hashes while storing, and only that check
// counts; sizes it does check, to stop early), know
// anything of Arrow or HCL, keep package-level state, or let the HuggingFace
// token reach an error, a log line or an Info.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// ErrPinMismatch is wrapped by *PinError.
var ErrPinMismatch = errors.New("pinned digest does not match")

// ErrNotFound is wrapped, with the URL, for HTTP 404/410 and for missing
// local files.
var ErrNotFound = errors.New("not found")

// PinError reports that a pin does not hold: the only thing able to serve a
// pinned URL was a mirror file whose digest or size differs from the pin,
// or the source has (or sends, or announces) a size other than the pinned
// one. A size mismatch leaves Got empty: the bytes are never read to the
// end to hash them.
type PinError struct {
	URL    string
	Want   digest.Digest
	Got    digest.Digest
	Source string // "mirror:/abs/path" of the mismatching candidate, or the URL that served
	// WantSize and GotSize are set when the sizes differ (Got is then "");
	// GotMore means the source has more than GotSize bytes, which were not
	// read.
	WantSize, GotSize int64
	GotMore           bool
	// Err is why the URL itself could not be fetched. It is kept out of
	// Unwrap so that errors.Is(err, ErrNotFound) cannot hide the pin problem.
	Err error
}

func (e *PinError) Error() string {
	msg := fmt.Sprintf("fetch %s: pinned %s but %s has %s", e.URL, e.Want, e.Source, e.Got)
	if e.Got == "" {
		msg = fmt.Sprintf("fetch %s: pinned %s of %d bytes but %s has %s", e.URL, e.Want, e.WantSize, e.Source, SizeText(e.GotSize, e.GotMore))
	}
	if e.Err != nil {
		msg += " (and the URL itself failed: " + e.Err.Error() + ")"
	}
	return msg
}

func (e *PinError) Unwrap() error { return ErrPinMismatch }

// SizeText says "N bytes", or "more than N bytes" when more is set.
func SizeText(n int64, more bool) string {
	s := fmt.Sprintf("%d bytes", n)
	if more {
		s = "more than " + s
	}
	return s
}

// Info describes what served a fetch; the lock records it.
type Info struct {
	URL      string // as requested
	Source   string // "mirror:/abs/path", the final URL after redirects, or "file:/abs/path"
	Revision string // resolved revision when the protocol reveals it (HuggingFace); "" otherwise
	Size     int64  // Content-Length or file size; -1 if unknown
}

// Fetcher opens recipe inputs. The zero value is usable; a Fetcher must not
// be copied after its first Open, and Open is safe for concurrent use. The
// fields other than Logf are read once, at the first Open (Mirrors at the
// first pinned one), and later changes to them have no effect.
//
// Every fetch is bounded: by the pinned size when the caller knows it, by
// the Content-Length a server announces, and by MaxSize; a body that
// stalls for IdleTimeout fails (and is resumed, as a transient failure,
// per Retries). Local files, mirror files included, are read only if they
// are regular files outside /proc, /sys and /dev, and never past the size
// they had when opened.
type Fetcher struct {
	// Client is used for http(s) and hf:// fetches. nil means a client of
	// this Fetcher's own with connect (10s) and response-header (30s)
	// timeouts but no overall timeout, since bodies may be large.
	Client *http.Client
	// Mirrors are directories searched recursively for a file with the
	// URL's base name whose digest equals the pin. They are consulted only
	// for pinned fetches: an unpinned fetch must reach the real source.
	Mirrors []string
	// Retries is how many times a transient failure (connection error,
	// timeout, 429, 5xx) is retried: 0 means 3, a negative value means none.
	Retries int
	// Backoff is the base of the exponential backoff between retries
	// (0 means 500ms). A Retry-After header overrides it.
	Backoff time.Duration
	// HFEndpoint is the HuggingFace Hub base URL: "" means $HF_ENDPOINT,
	// else https://huggingface.co.
	HFEndpoint string
	// HFToken is sent as "Authorization: Bearer" on hf:// requests only;
	// "" means $HF_TOKEN. It never appears in errors, logs or Info.
	HFToken string
	// BaseDir is the directory relative local paths are resolved against
	// (the recipe's directory); "" means the working directory.
	BaseDir string
	// MaxSize bounds the bytes of one fetch (a directory or glob fetch:
	// all its files together): 0 means DefaultMaxSize (64 GiB). A source
	// known to be larger fails before it is read; a body that turns out
	// larger fails once it passes the limit, wrapping ErrTooLarge.
	MaxSize int64
	// IdleTimeout fails a download, or the wait for its response, after
	// this long without a byte (0 means 30s). The failure is transient: it
	// is retried like a connection error, resuming where it stopped.
	IdleTimeout time.Duration
	// Logf, when set, receives progress notes (mirror hits, retries).
	Logf func(format string, args ...any)

	initOnce sync.Once
	cfg      config

	mirrorOnce sync.Once
	mirrors    *mirrorIndex
}

// config is the Fetcher's fields with defaults applied, fixed at first use
// so that concurrent Opens all see the same settings.
type config struct {
	client     *http.Client
	retries    int
	backoff    time.Duration
	hfEndpoint string
	hfToken    string
	baseDir    string
	maxSize    int64
	idle       time.Duration
}

const (
	defaultRetries = 3
	defaultBackoff = 500 * time.Millisecond
	defaultHF      = "https://huggingface.co"
	defaultIdle    = 30 * time.Second
)

func (f *Fetcher) config() *config {
	f.initOnce.Do(func() {
		c := config{
			client:     f.Client,
			retries:    f.Retries,
			backoff:    f.Backoff,
			hfEndpoint: f.HFEndpoint,
			hfToken:    f.HFToken,
			baseDir:    f.BaseDir,
			maxSize:    f.MaxSize,
			idle:       f.IdleTimeout,
		}
		if c.maxSize <= 0 {
			c.maxSize = DefaultMaxSize
		}
		if c.idle <= 0 {
			c.idle = defaultIdle
		}
		if c.client == nil {
			c.client = newDefaultClient()
		}
		switch {
		case c.retries == 0:
			c.retries = defaultRetries
		case c.retries < 0:
			c.retries = 0
		}
		if c.backoff <= 0 {
			c.backoff = defaultBackoff
		}
		if c.hfEndpoint == "" {
			c.hfEndpoint = os.Getenv("HF_ENDPOINT")
		}
		if c.hfEndpoint == "" {
			c.hfEndpoint = defaultHF
		}
		c.hfEndpoint = strings.TrimRight(c.hfEndpoint, "/")
		if c.hfToken == "" {
			c.hfToken = os.Getenv("HF_TOKEN")
		}
		f.cfg = c
	})
	return &f.cfg
}

func newDefaultClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Logf != nil {
		f.Logf(format, args...)
	}
}

// Open returns the body of url. If pin.Digest != "" and a mirror has a
// file with the URL's base name whose digest equals it, that file is served
// without touching the network. Mirror candidates whose digest (or size)
// differs are remembered: if the URL itself then cannot be fetched, Open
// returns a *PinError for the first of them. Open never checks the bytes it
// serves against the pinned digest; the caller must. It does check sizes:
// when pin.Size is known, a source whose size differs fails with a
// *PinError, before it is read when its size is known up front (a file, a
// Content-Length), else when the body passes the pinned size.
func (f *Fetcher) Open(ctx context.Context, url string, pin Pin) (io.ReadCloser, Info, error) {
	info := Info{URL: url, Size: -1}
	if err := ctx.Err(); err != nil {
		return nil, info, fmt.Errorf("fetch %s: %w", url, err)
	}
	if pin.Digest != "" {
		if err := pin.Digest.Validate(); err != nil {
			return nil, info, fmt.Errorf("fetch %s: invalid pin %q: %w", url, pin.Digest, err)
		}
	}
	cfg := f.config()
	src, err := resolve(url, cfg)
	if err != nil {
		return nil, info, err
	}
	info.Revision = src.revision

	var mismatch *PinError
	if pin.Digest != "" && src.base != "" && len(f.Mirrors) > 0 {
		rc, minfo, pe, err := f.openMirror(ctx, cfg, src, pin, info)
		if err != nil {
			return nil, info, err
		}
		if rc != nil {
			return rc, minfo, nil
		}
		mismatch = pe
	}

	var rc io.ReadCloser
	if src.local != "" {
		rc, info, err = openLocal(ctx, cfg, src, pin, info)
	} else {
		rc, info, err = f.openHTTP(ctx, cfg, src, pin, info)
	}
	if err != nil {
		if mismatch != nil && ctx.Err() == nil {
			mismatch.Err = err
			return nil, info, mismatch
		}
		return nil, info, err
	}
	return rc, info, nil
}

// openMirror returns an open mirror file whose digest equals the pin, or
// the first mismatching candidate as a *PinError (nil if there was none).
// A candidate whose size differs from a known pinned size is a mismatch
// without being read.
func (f *Fetcher) openMirror(ctx context.Context, cfg *config, src source, pin Pin, info Info) (io.ReadCloser, Info, *PinError, error) {
	f.mirrorOnce.Do(func() { f.mirrors = buildMirrorIndex(f.Mirrors, f.logf) })
	wantSize, sizeKnown := pin.size()
	var mismatch *PinError
	unusable := func(p string, err error) {
		f.logf("fetch %s: mirror candidate %s unusable: %v", src.display, p, err)
	}
	for _, p := range f.mirrors.candidates(src.base) {
		st, err := checkLocal(p, true)
		if err != nil {
			unusable(p, err)
			continue
		}
		if sizeKnown && st.Size() != wantSize {
			if mismatch == nil {
				mismatch = &PinError{URL: src.display, Want: pin.Digest, Source: "mirror:" + p, WantSize: wantSize, GotSize: st.Size()}
			}
			continue
		}
		if st.Size() > cfg.maxSize {
			unusable(p, tooLarge(src.display, "mirror:"+p, st.Size(), cfg.maxSize, false))
			continue
		}
		got, err := f.mirrors.digestOf(ctx, p, pin.Digest.Algorithm(), cfg.maxSize)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, info, nil, fmt.Errorf("fetch %s: %w", src.display, ctxErr)
			}
			unusable(p, err)
			continue
		}
		if got != pin.Digest {
			if mismatch == nil {
				mismatch = &PinError{URL: src.display, Want: pin.Digest, Got: got, Source: "mirror:" + p}
			}
			continue
		}
		file, st, err := openRegular(p)
		if err != nil {
			unusable(p, err)
			continue
		}
		// The file may have changed since it was hashed: serve no more than
		// the pinned size (the caller's hash check catches the rest).
		if (sizeKnown && st.Size() != wantSize) || st.Size() > cfg.maxSize {
			file.Close()
			unusable(p, fmt.Errorf("changed size to %d bytes since it was hashed", st.Size()))
			continue
		}
		info.Source = "mirror:" + p
		info.Size = st.Size()
		f.logf("fetch %s: served by %s", src.display, info.Source)
		return newFileBody(ctx, file, src.display, info.Source, st.Size()), info, nil, nil
	}
	return nil, info, mismatch, nil
}

func openLocal(ctx context.Context, cfg *config, src source, pin Pin, info Info) (io.ReadCloser, Info, error) {
	file, st, err := openRegular(src.local)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, info, fmt.Errorf("fetch %s: %s: %w", src.display, src.local, ErrNotFound)
		}
		return nil, info, fmt.Errorf("fetch %s: %w", src.display, err)
	}
	info.Source = "file:" + src.local
	info.Size = st.Size()
	if want, ok := pin.size(); ok && st.Size() != want {
		file.Close()
		return nil, info, &PinError{URL: src.display, Want: pin.Digest, Source: info.Source, WantSize: want, GotSize: st.Size()}
	}
	if st.Size() > cfg.maxSize {
		file.Close()
		return nil, info, tooLarge(src.display, info.Source, st.Size(), cfg.maxSize, false)
	}
	return newFileBody(ctx, file, src.display, info.Source, st.Size()), info, nil
}

// SplitMirrorList splits a DSBUILD_MIRROR value (colon-separated, like
// PATH) into directories, dropping empty elements.
func SplitMirrorList(list string) []string {
	var dirs []string
	for _, d := range filepath.SplitList(list) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
