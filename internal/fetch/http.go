package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/httpretry"
)

const (
	// snippetLen bounds how much of an error body enters a message: enough
	// for the Hub's "Repository not found" or "Access restricted".
	snippetLen = 200
)

// errIdle is the cause of an attempt cancelled for want of bytes.
var errIdle = errors.New("idle timeout")

// download is one http(s) or hf:// fetch: its current response and what
// its body must satisfy. It resumes a body that fails transiently (a
// stall, a cut connection) with a Range request, within the Fetcher's
// retry budget, and never delivers more bytes than its limit.
type download struct {
	f    *Fetcher
	cfg  *config
	ctx  context.Context
	src  source
	what string // the URL for messages; for hf:// also the Hub URL
	info *Info

	attempt int // requests made so far

	resp   *http.Response
	cancel context.CancelCauseFunc // of resp's request
	idle   *time.Timer
	actx   context.Context

	off      int64 // bytes delivered
	total    int64 // the body's length (Content-Length), -1 if unknown
	pinSize  int64 // -1 if unknown
	pin      digest.Digest
	validate string // If-Range validator of the first response ("" = none)
	failure  error  // why resp was dropped, for the resumed request's log
	err      error  // the first error Read returned (other than io.EOF): it sticks
	etag     string
	lastMod  string
}

func (f *Fetcher) openHTTP(ctx context.Context, cfg *config, src source, pin Pin, info Info) (io.ReadCloser, Info, error) {
	// For hf:// the Hub URL is the one to paste into a browser or curl.
	what := src.display
	if src.hf {
		what += " (GET " + src.httpURL + ")"
	}
	d := &download{f: f, cfg: cfg, ctx: ctx, src: src, what: what, info: &info, total: -1, pinSize: -1, pin: pin.Digest}
	if n, ok := pin.size(); ok {
		d.pinSize = n
	}
	if err := d.request(0); err != nil {
		return nil, info, err
	}
	resp := d.resp
	info.Source = resp.Request.URL.Redacted()
	info.Size = resp.ContentLength
	if rev := repoCommit(resp); rev != "" && src.hf {
		info.Revision = rev
	}
	d.total = resp.ContentLength
	d.etag, d.lastMod = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	switch {
	case d.etag != "" && !strings.HasPrefix(d.etag, "W/"):
		d.validate = d.etag
	case d.lastMod != "":
		d.validate = d.lastMod
	}
	// A size announced up front fails before a byte is read.
	if d.total >= 0 && d.pinSize >= 0 && d.total != d.pinSize {
		d.Close()
		return nil, info, &PinError{URL: src.display, Want: pin.Digest, Source: info.Source + " (Content-Length)", WantSize: d.pinSize, GotSize: d.total}
	}
	if d.total > cfg.maxSize {
		d.Close()
		return nil, info, tooLarge(src.display, info.Source+" (Content-Length)", d.total, cfg.maxSize, false)
	}
	return d, info, nil
}

// request GETs the URL from byte off on, retrying transient failures
// (connection errors, timeouts, 429, 5xx) while the retry budget lasts,
// and leaves a 2xx response in d.resp.
func (d *download) request(off int64) error {
	cfg, what := d.cfg, d.what
	for ; ; d.attempt++ {
		resp, err := d.get(off)
		var failure error
		var header http.Header // of a failed response, for its Retry-After
		if err != nil {
			if ctxErr := d.ctx.Err(); ctxErr != nil {
				return fmt.Errorf("fetch %s: %w", what, ctxErr)
			}
			failure = httpretry.DescribeTransport(err)
			if !httpretry.Transient(err) {
				return fmt.Errorf("fetch %s: %w", what, failure)
			}
		} else if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			d.attempt++
			return nil
		} else {
			failure = statusError(resp, cfg.hfToken)
			d.closeResp()
			if !httpretry.RetryableStatus(resp.StatusCode) {
				return fmt.Errorf("fetch %s: %w", what, failure)
			}
			header = resp.Header
		}
		if err := d.backoff(d.attempt, failure, header); err != nil {
			return err
		}
	}
}

// backoff waits before the attempt after the failed one (0-based), as the
// retry policy says (header is the failed response's, nil if there was
// none), or says why there is no next attempt: the retry budget is spent,
// or the server asks to wait longer than a build may be parked.
func (d *download) backoff(failed int, failure error, header http.Header) error {
	policy := httpretry.Policy{Retries: d.cfg.retries, Backoff: d.cfg.backoff}
	wait, stop := policy.Next(failed, d.src.httpURL, header, time.Now())
	var long *httpretry.RetryAfterError
	switch {
	case errors.As(stop, &long):
		return fmt.Errorf("fetch %s: %w; %v", d.what, failure, long)
	case stop != nil:
		return fmt.Errorf("fetch %s: %w (%v)", d.what, failure, stop)
	}
	d.f.logf("fetch %s: %v; retry %d/%d in %s", d.what, failure, failed+1, d.cfg.retries, wait)
	if err := httpretry.Sleep(d.ctx, wait); err != nil {
		return fmt.Errorf("fetch %s: %w (while waiting to retry after: %v)", d.what, err, failure)
	}
	return nil
}

// get sends one request under an idle timer: the wait for the response
// and every later read of its body must see progress within the idle
// timeout, or the request is cancelled with errIdle.
func (d *download) get(off int64) (*http.Response, error) {
	cfg := d.cfg
	actx, cancel := context.WithCancelCause(d.ctx)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, d.src.httpURL, nil)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	// identity: the pin covers the bytes as published, so a server must not
	// compress them on the fly and the client must not undo a compression
	// that is part of the file.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "dsbuild-fetch")
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		if d.validate != "" {
			req.Header.Set("If-Range", d.validate)
		}
	}
	if d.src.hf && cfg.hfToken != "" {
		// net/http drops this header on redirects to another host, so the
		// token never reaches the Hub's CDN.
		req.Header.Set("Authorization", "Bearer "+cfg.hfToken)
	}
	idle := time.AfterFunc(cfg.idle, func() { cancel(errIdle) })
	resp, err := cfg.client.Do(req)
	idle.Stop()
	if err != nil {
		if context.Cause(actx) == errIdle && d.ctx.Err() == nil {
			err = d.idleError()
		}
		cancel(nil)
		return nil, err
	}
	d.resp, d.cancel, d.idle, d.actx = resp, cancel, idle, actx
	return resp, nil
}

func (d *download) idleError() error {
	return &idleTimeout{after: d.cfg.idle}
}

// idleTimeout is a net.Error with Timeout(), so it is retried like one.
type idleTimeout struct{ after time.Duration }

func (e *idleTimeout) Error() string {
	return fmt.Sprintf("no data for %s (read-idle timeout)", e.after)
}
func (e *idleTimeout) Timeout() bool   { return true }
func (e *idleTimeout) Temporary() bool { return true }

func (d *download) closeResp() {
	if d.resp != nil {
		d.resp.Body.Close()
		d.resp = nil
	}
	if d.cancel != nil {
		d.cancel(nil)
		d.cancel = nil
	}
}

func (d *download) Close() error {
	d.closeResp()
	if d.err == nil {
		d.err = fmt.Errorf("fetch %s: read after Close", d.src.display)
	}
	return nil
}

// limit is how many bytes the body may have: its Content-Length, else the
// pinned size, else the max fetch size.
func (d *download) limit() int64 {
	switch {
	case d.total >= 0:
		return d.total
	case d.pinSize >= 0:
		return d.pinSize
	}
	return d.cfg.maxSize
}

// overLimit is the error for a body that has more than limit() bytes.
func (d *download) overLimit() error {
	switch {
	case d.total >= 0:
		return fmt.Errorf("fetch %s: %s sent more than its Content-Length of %d bytes", d.src.display, d.info.Source, d.total)
	case d.pinSize >= 0:
		return &PinError{URL: d.src.display, Want: d.pin, Source: d.info.Source, WantSize: d.pinSize, GotSize: d.pinSize, GotMore: true}
	}
	return tooLarge(d.src.display, d.info.Source, d.cfg.maxSize, d.cfg.maxSize, true)
}

func (d *download) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	for {
		n, err := d.read(p)
		if err == nil || err == io.EOF {
			return n, err
		}
		var te transientBody
		if !errors.As(err, &te) {
			d.err = err
			return n, err
		}
		// Nothing was delivered from this call: resume from d.off.
		if rerr := d.resume(te.err); rerr != nil {
			d.err = rerr
			return 0, rerr
		}
	}
}

// transientBody marks a body failure that a resumed request may cure.
type transientBody struct{ err error }

func (e transientBody) Error() string { return e.err.Error() }

// read reads from the current response; a transient failure comes back as
// a transientBody (with n == 0, so the caller can resume).
func (d *download) read(p []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, d.readError(err)
	}
	if d.resp == nil {
		return 0, transientBody{d.failure}
	}
	lim := d.limit()
	// Ask for one byte past the limit, to see a body that has more.
	if max := lim - d.off + 1; int64(len(p)) > max {
		p = p[:max]
	}
	d.idle.Reset(d.cfg.idle)
	n, err := d.resp.Body.Read(p)
	d.idle.Stop()
	if d.off+int64(n) > lim {
		n = int(lim - d.off)
		d.off = lim
		d.closeResp()
		return n, d.overLimit()
	}
	d.off += int64(n)
	if err == nil {
		return n, nil
	}
	if err == io.EOF {
		switch {
		case d.total >= 0 && d.off < d.total:
			err = fmt.Errorf("body ended at byte %d of its Content-Length %d: %w", d.off, d.total, io.ErrUnexpectedEOF)
		case d.pinSize >= 0 && d.off < d.pinSize:
			return n, &PinError{URL: d.src.display, Want: d.pin, Source: d.info.Source, WantSize: d.pinSize, GotSize: d.off}
		default:
			return n, io.EOF
		}
	}
	if ctxErr := d.ctx.Err(); ctxErr != nil {
		return n, d.readError(ctxErr)
	}
	if context.Cause(d.actx) == errIdle {
		err = d.idleError()
	}
	if httpretry.Transient(err) {
		d.closeResp()
		d.failure = d.readError(err)
		if n > 0 {
			// Deliver these bytes; the next Read resumes.
			return n, nil
		}
		return 0, transientBody{d.readError(err)}
	}
	return n, d.readError(err)
}

func (d *download) readError(err error) error {
	return fmt.Errorf("fetch %s: reading %s at byte %d: %w", d.src.display, d.info.Source, d.off, err)
}

// resume re-requests the body from d.off after failure, within the retry
// budget. A server that answers 206 must resume exactly there; one that
// answers 200 sends the whole body again, whose first d.off bytes are
// skipped, and must still have the validator (ETag, Last-Modified) of the
// first response.
func (d *download) resume(failure error) error {
	d.closeResp()
	if err := d.backoff(d.attempt-1, failure, nil); err != nil {
		return err
	}
	if err := d.request(d.off); err != nil {
		return err
	}
	resp := d.resp
	changed := func(why string) error {
		d.closeResp()
		return fmt.Errorf("fetch %s: cannot resume at byte %d: %s", d.what, d.off, why)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != d.off || (d.total >= 0 && total >= 0 && total != d.total) {
			return changed(fmt.Sprintf("the server answered Content-Range %q", resp.Header.Get("Content-Range")))
		}
		if d.total >= 0 {
			// Content-Length of a 206 is what is left; limit() works on
			// the whole body, so keep the total.
			if resp.ContentLength >= 0 && resp.ContentLength != d.total-d.off {
				return changed(fmt.Sprintf("the server sends %d bytes for the remaining %d", resp.ContentLength, d.total-d.off))
			}
		}
		return nil
	case http.StatusOK:
		if (d.etag != "" && resp.Header.Get("ETag") != d.etag) || (d.lastMod != "" && resp.Header.Get("Last-Modified") != d.lastMod) {
			return changed("the file changed on the server (ETag or Last-Modified differs)")
		}
		if d.total >= 0 && resp.ContentLength >= 0 && resp.ContentLength != d.total {
			return changed(fmt.Sprintf("the server now announces Content-Length %d instead of %d", resp.ContentLength, d.total))
		}
		if err := d.skip(d.off); err != nil {
			return err
		}
		return nil
	}
	return changed("the server answered " + resp.Status)
}

// skip reads and drops the first n bytes of a resent body.
func (d *download) skip(n int64) error {
	buf := make([]byte, 32<<10)
	for n > 0 {
		chunk := buf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		d.idle.Reset(d.cfg.idle)
		k, err := d.resp.Body.Read(chunk)
		d.idle.Stop()
		n -= int64(k)
		if err != nil && n > 0 {
			if context.Cause(d.actx) == errIdle && d.ctx.Err() == nil {
				err = d.idleError()
			}
			d.closeResp()
			if d.ctx.Err() == nil && httpretry.Transient(err) {
				return d.resume(err)
			}
			return d.readError(err)
		}
	}
	return nil
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*", -1).
func parseContentRange(v string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	total = -1
	if tot = strings.TrimSpace(tot); tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, total, true
}

// repoCommit finds X-Repo-Commit on the final response or on the redirect
// that led to it: the Hub sets it on its resolve endpoint, which usually
// redirects to a CDN that does not.
func repoCommit(resp *http.Response) string {
	for r := resp; r != nil; {
		if c := strings.TrimSpace(r.Header.Get("X-Repo-Commit")); c != "" {
			return c
		}
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	return ""
}

// statusError says what the server answered, including the start of a
// textual body with the token redacted (a server could echo it back).
func statusError(resp *http.Response, token string) error {
	msg := "HTTP " + resp.Status
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		if resp.Request != nil && resp.Request.Header.Get("Authorization") != "" {
			msg += " (a token was sent)"
		} else {
			msg += " (no token was sent; set HF_TOKEN for gated or private repositories)"
		}
	}
	if s := snippet(resp, token); s != "" {
		msg += ": " + strconv.Quote(s)
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return fmt.Errorf("%s: %w", msg, ErrNotFound)
	}
	return errors.New(msg)
}

func snippet(resp *http.Response, token string) string {
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "json") {
		return ""
	}
	buf := make([]byte, snippetLen*4)
	n, _ := io.ReadFull(resp.Body, buf)
	s := strings.ToValidUTF8(string(buf[:n]), "?")
	if token != "" {
		s = strings.ReplaceAll(s, token, "[HF_TOKEN]")
	}
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	if r := []rune(s); len(r) > snippetLen {
		s = string(r[:snippetLen]) + "…"
	}
	return s
}
