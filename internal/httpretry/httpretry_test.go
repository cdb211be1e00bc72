package httpretry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	huge := time.Duration(1<<63 - 1).Truncate(time.Second)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		// Huge values clamp instead of overflowing into a short wait.
		{"99999999999999999", huge, true},
		{"99999999999999999999999", huge, true},
		{"-99999999999999999999999", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDelay(t *testing.T) {
	base := 100 * time.Millisecond
	for _, p := range []Policy{{Backoff: base}, {Backoff: base, MaxBackoff: time.Second}} {
		maxB := or(p.MaxBackoff, DefaultMaxBackoff)
		for attempt := 0; attempt < 70; attempt++ {
			ceil := maxB
			if attempt < 30 && base<<attempt < maxB {
				ceil = base << attempt
			}
			got := p.Delay(attempt, "https://example.org/a")
			if got < ceil/2 || got >= ceil {
				t.Errorf("%+v.Delay(%d) = %v, want in [%v, %v)", p, attempt, got, ceil/2, ceil)
			}
			if again := p.Delay(attempt, "https://example.org/a"); again != got {
				t.Errorf("%+v.Delay(%d) = %v then %v, want deterministic", p, attempt, got, again)
			}
		}
	}
	p := Policy{Backoff: base}
	if p.Delay(0, "https://example.org/a") == p.Delay(0, "https://example.org/b") {
		t.Errorf("Delay does not jitter by key")
	}
}

func TestNext(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	p := Policy{Retries: 2, Backoff: time.Second, MaxRetryAfter: time.Minute}
	hdr := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name    string
		failed  int
		header  http.Header
		want    time.Duration // -1: the policy's Delay
		wantErr string
	}{
		{"no header backs off", 0, nil, -1, ""},
		{"second retry backs off more", 1, nil, -1, ""},
		{"budget spent", 2, nil, 0, "gave up after 3 attempts"},
		{"Retry-After replaces the backoff", 0, hdr("7"), 7 * time.Second, ""},
		{"Retry-After 0 means now", 1, hdr("0"), 0, ""},
		{"Retry-After as a date", 0, hdr(now.Add(30 * time.Second).Format(http.TimeFormat)), 30 * time.Second, ""},
		{"Retry-After at the limit", 0, hdr("60"), time.Minute, ""},
		{"Retry-After too long", 0, hdr("61"), 0, `server asks to wait longer than 1m0s (Retry-After: "61")`},
		// A refusal is reported even when the budget is spent too: it says more.
		{"too long beats budget", 2, hdr("3600"), 0, "server asks to wait longer"},
		{"unparsable Retry-After backs off", 0, hdr("soon"), -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Next(tt.failed, "k", tt.header, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Next = %v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			want := tt.want
			if want < 0 {
				want = p.Delay(tt.failed, "k")
			}
			if err != nil || got != want {
				t.Errorf("Next = %v, %v; want %v", got, err, want)
			}
		})
	}
	var giveUp *GiveUpError
	if _, err := p.Next(2, "k", nil, now); !errors.As(err, &giveUp) || giveUp.Attempts != 3 {
		t.Errorf("Next after the last attempt = %v, want a *GiveUpError of 3 attempts", err)
	}
	var long *RetryAfterError
	if _, err := (Policy{Retries: 1}).Next(0, "k", hdr("121"), now); !errors.As(err, &long) || long.Limit != DefaultMaxRetryAfter {
		t.Errorf("Next with Retry-After 121 and the default limit = %v, want a *RetryAfterError with limit %v", err, DefaultMaxRetryAfter)
	}
	if _, err := (Policy{}).Next(0, "k", nil, now); err == nil {
		t.Errorf("the zero Policy retried")
	}
}

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 301: false, 400: false, 401: false, 403: false, 404: false,
		408: true, 429: true, 500: true, 501: false, 502: true, 503: true, 504: true, 505: false, 599: true,
	} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransient(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "https://x/", Err: err} }
	tests := []struct {
		err  error
		want bool
	}{
		{wrap(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{wrap(syscall.ECONNRESET), true},
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{wrap(io.EOF), true},
		{wrap(timeoutErr{}), true},
		{wrap(&net.DNSError{Name: "x", Err: "server misbehaving", IsTemporary: true}), true},
		{wrap(&net.DNSError{Name: "x", Err: "no such host", IsNotFound: true}), false},
		{wrap(errors.New("tls: failed to verify certificate")), false},
		{errors.New("unsupported protocol scheme"), false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestDescribeTransport(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&url.Error{Op: "Get", URL: "https://x/", Err: &net.DNSError{Name: "x", Err: "no such host"}}, "DNS lookup of x failed: lookup x: no such host"},
		{&url.Error{Op: "Get", URL: "https://x/", Err: timeoutErr{}}, "timeout: i/o timeout"},
		{&url.Error{Op: "Get", URL: "https://x/", Err: syscall.ECONNREFUSED}, "connection refused"},
	}
	for _, tt := range tests {
		got := DescribeTransport(tt.err)
		if got.Error() != tt.want {
			t.Errorf("DescribeTransport(%v) = %q, want %q", tt.err, got, tt.want)
		}
		if !errors.Is(got, errors.Unwrap(tt.err)) {
			t.Errorf("DescribeTransport(%v) lost the cause", tt.err)
		}
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(cancelled, 1h) = %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(cancelled, 0) = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
}
