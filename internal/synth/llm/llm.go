// Package llm owns the optional LLM backend of synthesize: an
// OpenAI-compatible /v1/chat/completions client with retries and a
// content-addressed response cache, used to paraphrase the user turns of
// template-generated scenarios.
//
// It must never log the API key or put it in an error, never make a call
// whose response is already cached, and never let a paraphrase that contains
// a self-harm method phrase into the output.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/httpretry"
	"github.com/dsbuild/dsbuild/internal/synth"
)

// Cache stores responses by the digest of their canonical request. Put of
// an existing key is not an error.
type Cache interface {
	Get(key digest.Digest) ([]byte, bool)
	Put(key digest.Digest, val []byte) error
}

// MemCache is an in-memory Cache, safe for concurrent use.
type MemCache struct {
	mu sync.Mutex
	m  map[digest.Digest][]byte
}

// NewMemCache returns an empty MemCache.
func NewMemCache() *MemCache { return &MemCache{m: map[digest.Digest][]byte{}} }

// Get implements Cache.
func (c *MemCache) Get(key digest.Digest) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// Put implements Cache.
func (c *MemCache) Put(key digest.Digest, val []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = append([]byte(nil), val...)
	return nil
}

// Len is the number of cached responses.
func (c *MemCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// DefaultParaphrasePrompt is the system message Paraphrase sends when
// Client.ParaphrasePrompt is empty.
const DefaultParaphrasePrompt = "Paraphrase the user's message as the same person would say it in a chat with a support assistant. " +
	"Keep its meaning, intent, tone and first-person voice. Do not add details, advice or any description of self-harm methods. " +
	"Refer to medication only by class. Reply with the paraphrase only."

// Client calls an OpenAI-compatible chat completions endpoint. The zero
// values of the tuning fields select the defaults noted on them.
type Client struct {
	// Endpoint is the server's base URL ("http://host:8000" or
	// "https://api.example.com/v1"); /v1/chat/completions (or
	// /chat/completions after a trailing /v1) is appended.
	Endpoint    string
	Model       string
	Temperature float64
	Seed        int64
	// APIKey is sent as a Bearer token. The caller reads it (e.g. from
	// OPENAI_API_KEY); it is never logged and is redacted from errors.
	APIKey string

	ParaphrasePrompt string
	Timeout          time.Duration // per request; default 60s
	MaxRetries       int           // retries after the first attempt; default 4
	// Backoff is the first retry delay, doubled each retry up to 30s and
	// jittered into [½, 1) of that (httpretry.Policy); default 500ms.
	Backoff time.Duration
	// MaxRetryAfter is the longest Retry-After followed; a server asking
	// for longer (a spent quota, not a burst) fails the call at once,
	// saying how long it asked. Default 60s.
	MaxRetryAfter time.Duration
	HTTPClient    *http.Client // default: a client with Timeout
	Cache         Cache        // nil: no caching

	calls atomic.Int64
	// sleep waits between attempts; tests replace it to observe delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// request is both the wire body and the cache-key preimage: encoding/json
// writes struct fields in declaration order, so the encoding is canonical.
type request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	Seed        int64     `json:"seed"`
}

type response struct {
	Choices []struct {
		Message Message `json:"message"`
	} `json:"choices"`
}

// Calls is the number of HTTP requests the client has sent (retries
// included); cache hits send none.
func (c *Client) Calls() int64 { return c.calls.Load() }

// URL is the chat completions URL requests go to.
func (c *Client) URL() string {
	base := strings.TrimRight(c.Endpoint, "/")
	if strings.HasSuffix(base, "/chat/completions") {
		return base
	}
	if strings.HasSuffix(base, "/v1") {
		return base + "/chat/completions"
	}
	return base + "/v1/chat/completions"
}

// CacheKey is the digest of the canonical request for messages.
func (c *Client) CacheKey(messages []Message) (digest.Digest, []byte, error) {
	body, err := json.Marshal(request{Model: c.Model, Messages: messages, Temperature: c.Temperature, Seed: c.Seed})
	if err != nil {
		return "", nil, err
	}
	return digest.FromBytes(body), body, nil
}

// Complete returns the assistant message for messages, from the cache when
// it holds the request, else from the endpoint (and then caches it).
func (c *Client) Complete(ctx context.Context, messages []Message) (string, error) {
	return c.complete(ctx, messages, nil)
}

// complete is Complete with an optional check that may normalize or reject
// a response; a rejected response is never cached, and cached responses are
// checked again on the way out.
func (c *Client) complete(ctx context.Context, messages []Message, check func(string) (string, error)) (string, error) {
	if c.Model == "" {
		return "", errors.New("llm: no model configured")
	}
	key, body, err := c.CacheKey(messages)
	if err != nil {
		return "", fmt.Errorf("llm: encoding request: %w", err)
	}
	if c.Cache != nil {
		if v, ok := c.Cache.Get(key); ok {
			if check != nil {
				return check(string(v))
			}
			return string(v), nil
		}
	}
	out, err := c.post(ctx, body)
	if err != nil {
		return "", err
	}
	if check != nil {
		if out, err = check(out); err != nil {
			return "", err
		}
	}
	if c.Cache != nil {
		if err := c.Cache.Put(key, []byte(out)); err != nil {
			return "", fmt.Errorf("llm: caching response %s: %w", key, err)
		}
	}
	return out, nil
}

// Paraphrase rewrites one user turn. Empty paraphrases and paraphrases that
// contain a self-harm method phrase are errors (and are not cached).
func (c *Client) Paraphrase(ctx context.Context, text string) (string, error) {
	prompt := c.ParaphrasePrompt
	if prompt == "" {
		prompt = DefaultParaphrasePrompt
	}
	msgs := []Message{{Role: "system", Content: prompt}, {Role: "user", Content: text}}
	return c.complete(ctx, msgs, func(out string) (string, error) {
		out = strings.Trim(strings.TrimSpace(out), "\"")
		if out == "" {
			return "", fmt.Errorf("llm: %s returned an empty paraphrase for %q", c.URL(), text)
		}
		if p, bad := synth.ContainsMethodPhrase(out); bad {
			return "", fmt.Errorf("llm: %s paraphrase of %q contains the method phrase %q; rejected", c.URL(), text, p)
		}
		return out, nil
	})
}

// GenerateWithLLM is synth.Generate with every user turn paraphrased by
// client. The draw (rows, labels, reference replies) is the template
// draw; only user text changes. Cached paraphrases cost no call.
func GenerateWithLLM(ctx context.Context, mem memory.Allocator, lib *synth.Library, p synth.Params, client *Client) (arrow.RecordBatch, error) {
	if client == nil {
		return nil, errors.New("llm: nil client")
	}
	return synth.GenerateRewritten(ctx, mem, lib, p, client.Paraphrase)
}

// post sends body, retrying as httpretry's policy says: transient
// connection failures, 408, 429 and 5xx, with jittered exponential backoff
// or after the server's Retry-After.
func (c *Client) post(ctx context.Context, body []byte) (string, error) {
	url := c.URL()
	timeout := orDefault(c.Timeout, 60*time.Second)
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = 4
	}
	policy := httpretry.Policy{
		Retries:       retries,
		Backoff:       orDefault(c.Backoff, 500*time.Millisecond),
		MaxRetryAfter: orDefault(c.MaxRetryAfter, 60*time.Second),
	}
	sleep := c.sleep
	if sleep == nil {
		sleep = httpretry.Sleep
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return "", fmt.Errorf("llm: POST %s: %s", url, c.redact(err.Error()))
		}
		req.Header.Set("Content-Type", "application/json")
		if c.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.APIKey)
		}
		c.calls.Add(1)
		var failure error
		var header http.Header // of a failed response, for its Retry-After
		unreachable := false
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			failure = errors.New(c.redact(httpretry.DescribeTransport(err).Error()))
			if !httpretry.Transient(err) {
				return "", fmt.Errorf("llm: POST %s: endpoint unreachable: %w", url, failure)
			}
			unreachable = true
		} else {
			text, err := c.read(resp)
			switch {
			case err == nil:
				return text, nil
			case !httpretry.RetryableStatus(resp.StatusCode):
				return "", fmt.Errorf("llm: POST %s: %w", url, err)
			}
			failure, header = err, resp.Header
		}
		wait, stop := policy.Next(attempt, url, header, time.Now())
		var long *httpretry.RetryAfterError
		switch {
		case errors.As(stop, &long):
			return "", fmt.Errorf("llm: POST %s: %w; %v", url, failure, long)
		case stop != nil:
			what := "failed"
			if unreachable {
				what = "endpoint unreachable"
			}
			return "", fmt.Errorf("llm: POST %s: %s after %d attempts: %w", url, what, attempt+1, failure)
		}
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}

// read decodes one response; an error says what the server answered.
func (c *Client) read(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", fmt.Errorf("reading response: %s", c.redact(err.Error()))
	}
	if resp.StatusCode/100 != 2 {
		snippet := strings.TrimSpace(string(raw))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, c.redact(snippet))
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("decoding response: %s", c.redact(err.Error()))
	}
	if len(r.Choices) == 0 {
		return "", errors.New("response has no choices")
	}
	return r.Choices[0].Message.Content, nil
}

// redact removes the API key from s; servers may echo request headers.
func (c *Client) redact(s string) string {
	if c.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.APIKey, "[REDACTED]")
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
