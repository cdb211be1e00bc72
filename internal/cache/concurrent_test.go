package cache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// manifest is what the concurrency tests store under keys: it names the
// writer and a blob, so a reader can check it got one writer's whole value.
type manifest struct {
	Writer string        `json:"writer"`
	Blob   digest.Digest `json:"blob"`
	Size   int64         `json:"size"`
}

func sharedBlob(i int) []byte { return pseudoRandom(uint64(1000+i%4), parallelMin+1000*(i%4)) }

func sharedKey(i int) digest.Digest { return digest.FromString(fmt.Sprintf("shared key %d", i%3)) }

// hammer runs iterations of put/get on blobs shared with other writers and
// on blobs of its own, and of put/get on shared keys.
func hammer(s *Store, writer string, iterations int) error {
	for i := range iterations {
		shared := sharedBlob(i)
		own := []byte(fmt.Sprintf("%s blob %d", writer, i))
		for _, data := range [][]byte{shared, own} {
			desc, err := s.Put(bytes.NewReader(data), digest.FromBytes(data))
			if err != nil {
				return fmt.Errorf("%s: Put #%d: %w", writer, i, err)
			}
			got, err := readBlob(s, desc.Digest)
			if err != nil || !bytes.Equal(got, data) {
				return fmt.Errorf("%s: read %s #%d: %d bytes, %v", writer, desc.Digest, i, len(got), err)
			}
			m, _ := json.Marshal(manifest{Writer: writer, Blob: desc.Digest, Size: desc.Size})
			if err := s.PutKey(sharedKey(i), m); err != nil {
				return fmt.Errorf("%s: PutKey #%d: %w", writer, i, err)
			}
			if err := checkKey(s, sharedKey(i)); err != nil {
				return fmt.Errorf("%s: #%d: %w", writer, i, err)
			}
		}
	}
	return nil
}

// checkKey requires the manifest under k to parse and name a present blob.
func checkKey(s *Store, k digest.Digest) error {
	b, err := s.GetKey(k)
	if err != nil {
		return err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest %s does not parse (%q): %w", k, b, err)
	}
	if !s.Has(m.Blob, m.Size) {
		return fmt.Errorf("manifest %s names %s (%d bytes), which is absent", k, m.Blob, m.Size)
	}
	return nil
}

// checkStore requires every blob to verify, every key to parse and ingest/
// to be empty.
func checkStore(t *testing.T, s *Store, wantBlobs int) {
	t.Helper()
	blobs, err := s.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != wantBlobs {
		t.Errorf("Blobs() has %d entries, want %d", len(blobs), wantBlobs)
	}
	for _, b := range blobs {
		if err := s.Verify(b.Digest); err != nil {
			t.Errorf("Verify(%s) = %v", b.Digest, err)
		}
	}
	keys, err := s.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Errorf("Keys() = %v, want the 3 shared keys", keys)
	}
	for _, k := range keys {
		if err := checkKey(s, k); err != nil {
			t.Error(err)
		}
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ not empty: %v", left)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	const writers, iterations = 8, 12
	s := newTestStore(t)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hammer(s, fmt.Sprintf("goroutine-%d", g), iterations); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	checkStore(t, s, 4+writers*iterations)
}
