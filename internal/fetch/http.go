package fetch

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

const (
	maxBackoff = 30 * time.Second
	// maxRetryAfter bounds how long a server may park a build: a longer
	// Retry-After fails the fetch at once, saying how long was asked.
	maxRetryAfter = 2 * time.Minute
	// snippetLen bounds how much of an error body enters a message: enough
	// for the Hub's "Repository not found" or "Access restricted".
	snippetLen = 200
)

func (f *Fetcher) openHTTP(ctx context.Context, cfg *config, src source, info Info) (io.ReadCloser, Info, error) {
	// For hf:// the Hub URL is the one to paste into a browser or curl.
	what := src.display
	if src.hf {
		what += " (GET " + src.httpURL + ")"
	}
	for attempt := 0; ; attempt++ {
		resp, err := f.get(ctx, cfg, src)
		var failure error
		wait, waitSet := time.Duration(0), false
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, info, fmt.Errorf("fetch %s: %w", what, ctxErr)
			}
			failure = describeTransportError(err)
			if !transientTransport(err) {
				return nil, info, fmt.Errorf("fetch %s: %w", what, failure)
			}
		} else if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			info.Source = resp.Request.URL.Redacted()
			info.Size = resp.ContentLength
			if rev := repoCommit(resp); rev != "" && src.hf {
				info.Revision = rev
			}
			return &body{ctx: ctx, rc: resp.Body, display: src.display, source: info.Source}, info, nil
		} else {
			failure = statusError(resp, cfg.hfToken)
			resp.Body.Close()
			if !retryableStatus(resp.StatusCode) {
				return nil, info, fmt.Errorf("fetch %s: %w", what, failure)
			}
			ra := resp.Header.Get("Retry-After")
			if d, ok := retryAfter(ra, time.Now()); ok {
				if d > maxRetryAfter {
					return nil, info, fmt.Errorf("fetch %s: %w; server asks to wait longer than %s (Retry-After: %q)", what, failure, maxRetryAfter, ra)
				}
				wait, waitSet = d, true
			}
		}
		if attempt >= cfg.retries {
			return nil, info, fmt.Errorf("fetch %s: %w (gave up after %d attempts)", what, failure, attempt+1)
		}
		if !waitSet {
			wait = backoff(cfg.backoff, attempt, src.httpURL)
		}
		f.logf("fetch %s: %v; retry %d/%d in %s", what, failure, attempt+1, cfg.retries, wait)
		if err := sleep(ctx, wait); err != nil {
			return nil, info, fmt.Errorf("fetch %s: %w (while waiting to retry after: %v)", what, err, failure)
		}
	}
}

func (f *Fetcher) get(ctx context.Context, cfg *config, src source) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.httpURL, nil)
	if err != nil {
		return nil, err
	}
	// identity: the pin covers the bytes as published, so a server must not
	// compress them on the fly and the client must not undo a compression
	// that is part of the file.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "dsbuild-fetch")
	if src.hf && cfg.hfToken != "" {
		// net/http drops this header on redirects to another host, so the
		// token never reaches the Hub's CDN.
		req.Header.Set("Authorization", "Bearer "+cfg.hfToken)
	}
	return cfg.client.Do(req)
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

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusRequestTimeout:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code < 600
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

// describeTransportError drops the *url.Error wrapper, whose text repeats
// the URL, and says what kind of failure it was.
func describeTransportError(err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var dns *net.DNSError
	if errors.As(inner, &dns) {
		return fmt.Errorf("DNS lookup of %s failed: %w", dns.Name, inner)
	}
	var ne net.Error
	if errors.As(inner, &ne) && ne.Timeout() {
		return fmt.Errorf("timeout: %w", inner)
	}
	return inner
}

func transientTransport(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, target := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.ENETUNREACH, syscall.EHOSTUNREACH,
		io.EOF, io.ErrUnexpectedEOF,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Clamp before converting so a huge value cannot overflow into a
		// short (or negative) wait; anything this long is refused anyway.
		if limit := int64(maxRetryAfter/time.Second) + 1; secs > limit {
			secs = limit
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// backoff is base·2^attempt scaled into [½, 1) by a jitter derived from the
// URL and attempt: concurrent fetches of different URLs spread out, while
// the schedule stays reproducible (no global random source).
func backoff(base time.Duration, attempt int, key string) time.Duration {
	d := base
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	h := fnv.New64a()
	io.WriteString(h, key)
	h.Write([]byte{byte(attempt)})
	frac := float64(h.Sum64()>>11) / float64(1<<53)
	return d/2 + time.Duration(frac*float64(d/2))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
