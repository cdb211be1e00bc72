// Package httpretry is the one retry policy of dsbuild's HTTP clients (the
// fetcher's downloads and the LLM client): which failures are worth another
// attempt, how long to wait before it, and how far a server's Retry-After
// is followed.
//
// It decides and waits; it never sends a request, so each client keeps its
// own request loop (fetch resumes a cut body with a Range request, the LLM
// client re-posts its body) and its own messages.
//
// Waits are reproducible: the jitter that spreads concurrent clients apart
// is derived from a key (the URL) and the attempt number, not from a global
// random source.
package httpretry

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of the Policy bounds.
const (
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
)

// Policy bounds the retries of one request. The zero value retries nothing.
type Policy struct {
	// Retries is how many attempts may follow the first.
	Retries int
	// Backoff is the wait before the first retry when the server names
	// none; it doubles with each retry up to MaxBackoff and is jittered
	// into [½, 1) of that.
	Backoff time.Duration
	// MaxBackoff caps the doubling (0: DefaultMaxBackoff).
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After followed; a server asking
	// for longer ends the retries at once, with a RetryAfterError saying
	// how long it asked (0: DefaultMaxRetryAfter).
	MaxRetryAfter time.Duration
}

// GiveUpError ends the retries when the budget is spent.
type GiveUpError struct{ Attempts int }

func (e *GiveUpError) Error() string { return fmt.Sprintf("gave up after %d attempts", e.Attempts) }

// RetryAfterError ends the retries when a server asks to wait longer than
// the policy allows.
type RetryAfterError struct {
	Value string // the Retry-After header as sent
	Limit time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("server asks to wait longer than %s (Retry-After: %q)", e.Limit, e.Value)
}

// Next decides what follows the failure of attempt failed (0-based): how
// long to wait before the next attempt, or an error (*GiveUpError or
// *RetryAfterError) that ends the retries. header is the failed response's
// header, nil when the failure was not a response (a transport error or a
// cut body); a Retry-After in it replaces the backoff, also when it is 0.
// key spreads the jitter (use the URL).
func (p Policy) Next(failed int, key string, header http.Header, now time.Time) (time.Duration, error) {
	wait, waitSet := time.Duration(0), false
	if v := header.Get("Retry-After"); v != "" {
		if d, ok := ParseRetryAfter(v, now); ok {
			limit := or(p.MaxRetryAfter, DefaultMaxRetryAfter)
			if d > limit {
				return 0, &RetryAfterError{Value: v, Limit: limit}
			}
			wait, waitSet = d, true
		}
	}
	if failed >= p.Retries {
		return 0, &GiveUpError{Attempts: failed + 1}
	}
	if !waitSet {
		wait = p.Delay(failed, key)
	}
	return wait, nil
}

// Delay is the backoff after failed attempt failed: Backoff·2^failed,
// capped at MaxBackoff, scaled into [½, 1) by a jitter derived from key and
// failed, so concurrent requests to different URLs spread out while the
// schedule stays reproducible.
func (p Policy) Delay(failed int, key string) time.Duration {
	maxB := or(p.MaxBackoff, DefaultMaxBackoff)
	d := p.Backoff
	for i := 0; i < failed && d < maxB; i++ {
		d *= 2
	}
	if d > maxB {
		d = maxB
	}
	h := fnv.New64a()
	io.WriteString(h, key)
	h.Write([]byte{byte(failed)})
	frac := float64(h.Sum64()>>11) / float64(1<<53)
	return d/2 + time.Duration(frac*float64(d/2))
}

// RetryableStatus reports whether a response with this status is worth
// another attempt: 408, 429 and 5xx other than 501 and 505 (which another
// attempt will not change).
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusRequestTimeout:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code < 600
}

// Transient reports whether a transport error, or an error reading a
// response body, may be cured by another attempt: timeouts (any net.Error
// that says so), temporary DNS failures, refused, reset, aborted or broken
// connections, unreachable networks and hosts, and bodies cut short. A
// DNS name that does not exist, a bad certificate or a malformed URL is
// not.
func Transient(err error) bool {
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

// DescribeTransport drops the *url.Error wrapper of a transport error,
// whose text repeats the method and URL the caller's message already
// names, and says what kind of failure it was.
func DescribeTransport(err error) error {
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

// ParseRetryAfter parses a Retry-After value, delay-seconds or an
// HTTP-date (a date in the past is a wait of 0). A huge number of seconds
// is clamped rather than overflowing into a short or negative wait.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if secs < 0 {
			return 0, false
		}
		if limit := int64(math.MaxInt64 / int64(time.Second)); secs > limit {
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

// Sleep waits d or until ctx is done, whichever is first, and returns
// ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
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

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
