package vec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
)

type memCache struct {
	mu sync.Mutex
	m  map[digest.Digest][]byte
}

func (c *memCache) Get(k digest.Digest) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *memCache) Put(k digest.Digest, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}

func TestEmbedClientRetriesCachesAndRedacts(t *testing.T) {
	var hits atomic.Int64
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		var req embedRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Input[0] == "echo" {
			http.Error(w, "bad key "+r.Header.Get("Authorization"), http.StatusBadRequest)
			return
		}
		sent.Add(int64(len(req.Input)))
		var resp embedResponse
		for i := len(req.Input) - 1; i >= 0; i-- { // out of order: index decides
			resp.Data = append(resp.Data, struct {
				Index     int       `json:"index"`
				Embedding []float64 `json:"embedding"`
			}{i, []float64{float64(len(req.Input[i])), 1}})
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	c := &EmbedClient{Endpoint: srv.URL, Model: "m", Dimensions: 2, APIKey: "sk-hidden", Batch: 2, Concurrency: 1,
		Cache: &memCache{m: map[digest.Digest][]byte{}}}
	vs, err := c.Embed(context.Background(), []string{"a", "bbb", "a", "cc"})
	if err != nil {
		t.Fatal(err)
	}
	if vs[0][0] != 1 || vs[1][0] != 3 || vs[2][0] != 1 || vs[3][0] != 2 {
		t.Fatalf("vectors %v", vs)
	}
	if sent.Load() != 3 || hits.Load() != 3 { // one 429, then two batches of distinct texts
		t.Fatalf("%d texts in %d requests, want 3 in 3", sent.Load(), hits.Load())
	}
	if _, err := c.Embed(context.Background(), []string{"cc", "bbb"}); err != nil || hits.Load() != 3 {
		t.Fatalf("cached texts: err %v, %d requests, want none", err, hits.Load()-3)
	}
	_, err = c.Embed(context.Background(), []string{"echo"})
	if err == nil || strings.Contains(err.Error(), "sk-hidden") || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("error %v: want the key redacted", err)
	}
}
