package vec

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/sourcegraph/conc/pool"

	"github.com/dsbuild/dsbuild/internal/httpretry"
)

// Cache keeps embeddings by the digest of (model, text). Implementations
// must be safe for concurrent use.
type Cache interface {
	Get(key digest.Digest) ([]byte, bool)
	Put(key digest.Digest, val []byte) error
}

// EmbedClient embeds texts with an OpenAI-compatible /v1/embeddings server
// (vLLM, text-embeddings-inference, llama.cpp, Ollama, hosted APIs): texts
// not in the cache are sent in batches, a bounded number of requests at a
// time, retried on transient failures as httpretry says, and every vector
// received is cached by the digest of model and text, so an unchanged
// text is never sent again.
type EmbedClient struct {
	// Endpoint is the server's base URL ("http://host:8000" or
	// "https://api.example.com/v1"); /v1/embeddings (or /embeddings after a
	// trailing /v1) is appended.
	Endpoint string
	Model    string
	// Dimensions every returned vector must have.
	Dimensions int
	// APIKey is sent as a Bearer token; never logged, redacted from errors.
	APIKey      string
	Batch       int // texts per request; default 64
	Concurrency int // requests in flight; default 4
	Timeout     time.Duration
	MaxRetries  int
	Backoff     time.Duration
	HTTPClient  *http.Client
	Cache       Cache

	calls atomic.Int64
	sleep func(ctx context.Context, d time.Duration) error
}

// Calls is the number of HTTP requests sent (retries included).
func (c *EmbedClient) Calls() int64 { return c.calls.Load() }

// URL is where requests go.
func (c *EmbedClient) URL() string {
	base := strings.TrimRight(c.Endpoint, "/")
	switch {
	case strings.HasSuffix(base, "/embeddings"):
		return base
	case strings.HasSuffix(base, "/v1"):
		return base + "/embeddings"
	}
	return base + "/v1/embeddings"
}

// CacheKey is the digest a text's vector is cached under.
func (c *EmbedClient) CacheKey(text string) digest.Digest {
	return digest.FromString(fmt.Sprintf("dsbuild-embed-v1\nmodel %q\ndimensions %d\ntext %q\n", c.Model, c.Dimensions, text))
}

// Embed returns one vector per text, in order.
func (c *EmbedClient) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var miss []string
	where := map[string][]int{}
	for i, t := range texts {
		if idx, ok := where[t]; ok {
			where[t] = append(idx, i)
			continue
		}
		if c.Cache != nil {
			if b, ok := c.Cache.Get(c.CacheKey(t)); ok && len(b) == 4*c.Dimensions {
				v := make([]float32, c.Dimensions)
				for j := range v {
					v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
				}
				out[i] = v
				where[t] = []int{i}
				continue
			}
		}
		where[t] = []int{i}
		miss = append(miss, t)
	}
	batch := c.Batch
	if batch <= 0 {
		batch = 64
	}
	conc := c.Concurrency
	if conc <= 0 {
		conc = 4
	}
	var mu sync.Mutex
	p := pool.New().WithContext(ctx).WithMaxGoroutines(conc).WithCancelOnError().WithFirstError()
	for lo := 0; lo < len(miss); lo += batch {
		part := miss[lo:min(lo+batch, len(miss))]
		p.Go(func(ctx context.Context) error {
			vs, err := c.post(ctx, part)
			if err != nil {
				return err
			}
			for k, t := range part {
				if c.Cache != nil {
					b := make([]byte, 4*len(vs[k]))
					for j, x := range vs[k] {
						binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
					}
					if err := c.Cache.Put(c.CacheKey(t), b); err != nil {
						return err
					}
				}
				mu.Lock()
				for _, i := range where[t] {
					out[i] = vs[k]
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	for _, idx := range where {
		for _, i := range idx[1:] {
			out[i] = out[idx[0]]
		}
	}
	return out, nil
}

type embedRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

type embedResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

func (c *EmbedClient) post(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(embedRequest{Model: c.Model, Input: texts})
	if err != nil {
		return nil, err
	}
	url := c.URL()
	hc := c.HTTPClient
	if hc == nil {
		t := c.Timeout
		if t <= 0 {
			t = 120 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = 4
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	policy := httpretry.Policy{Retries: retries, Backoff: backoff, MaxRetryAfter: 60 * time.Second}
	sleep := c.sleep
	if sleep == nil {
		sleep = httpretry.Sleep
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("embed: POST %s: %s", url, c.redact(err.Error()))
		}
		req.Header.Set("Content-Type", "application/json")
		if c.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.APIKey)
		}
		c.calls.Add(1)
		var failure error
		var header http.Header
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failure = errors.New(c.redact(httpretry.DescribeTransport(err).Error()))
			if !httpretry.Transient(err) {
				return nil, fmt.Errorf("embed: POST %s: endpoint unreachable: %w", url, failure)
			}
		} else {
			vs, err := c.read(resp, len(texts))
			switch {
			case err == nil:
				return vs, nil
			case resp.StatusCode/100 == 2 || !httpretry.RetryableStatus(resp.StatusCode):
				return nil, fmt.Errorf("embed: POST %s: %w", url, err)
			}
			failure, header = err, resp.Header
		}
		wait, stop := policy.Next(attempt, url, header, time.Now())
		if stop != nil {
			return nil, fmt.Errorf("embed: POST %s: %w (%v)", url, failure, stop)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *EmbedClient) read(resp *http.Response, n int) ([][]float32, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("reading response: %s", c.redact(err.Error()))
	}
	if resp.StatusCode/100 != 2 {
		snippet := strings.TrimSpace(string(raw))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, c.redact(snippet))
	}
	var r embedResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding response: %s", c.redact(err.Error()))
	}
	if len(r.Data) != n {
		return nil, fmt.Errorf("response has %d embeddings for %d inputs", len(r.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range r.Data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, fmt.Errorf("response has a bad or repeated index %d", d.Index)
		}
		if len(d.Embedding) != c.Dimensions {
			return nil, fmt.Errorf("model %s returned a vector of dimension %d, the recipe says dimensions = %d", c.Model, len(d.Embedding), c.Dimensions)
		}
		v := make([]float32, len(d.Embedding))
		for j, x := range d.Embedding {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("response embedding %d has a non-finite element", d.Index)
			}
			v[j] = float32(x)
		}
		out[d.Index] = v
	}
	return out, nil
}

func (c *EmbedClient) redact(s string) string {
	if c.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.APIKey, "[REDACTED]")
}
