package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// memStore is a Store in memory that checks nothing it serves: a remote
// that may lie. serve overrides what Fetch returns for a digest.
type memStore struct {
	mu        sync.Mutex
	blobs     map[digest.Digest][]byte
	keys      map[digest.Digest][]byte
	serve     map[digest.Digest][]byte
	existsErr error
}

func newMem() *memStore {
	return &memStore{blobs: map[digest.Digest][]byte{}, keys: map[digest.Digest][]byte{}, serve: map[digest.Digest][]byte{}}
}

func (m *memStore) Fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.serve[d.Digest]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	b, ok := m.blobs[d.Digest]
	if !ok {
		return nil, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Push(ctx context.Context, want store.Descriptor, r io.Reader) (store.Descriptor, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return store.Descriptor{}, err
	}
	d := digest.FromBytes(b)
	if want.Digest != "" && want.Digest != d {
		return store.Descriptor{}, &store.DigestMismatchError{Expected: want.Digest, Actual: d, Size: int64(len(b))}
	}
	m.mu.Lock()
	m.blobs[d] = b
	m.mu.Unlock()
	return store.Descriptor{Digest: d, Size: int64(len(b))}, nil
}

func (m *memStore) Exists(ctx context.Context, d store.Descriptor) (bool, error) {
	if m.existsErr != nil {
		return false, m.existsErr
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[d.Digest]
	return ok && (d.Size < 0 || int64(len(b)) == d.Size), nil
}

func (m *memStore) GetManifest(ctx context.Context, k digest.Digest) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.keys[k]
	if !ok {
		return nil, store.ErrNotFound
	}
	return b, nil
}

func (m *memStore) PutManifest(ctx context.Context, k digest.Digest, b []byte) error {
	m.mu.Lock()
	m.keys[k] = append([]byte(nil), b...)
	m.mu.Unlock()
	return nil
}

func openCache(t *testing.T) *cache.Store {
	t.Helper()
	s, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fetchAll(t *testing.T, s store.Store, d store.Descriptor) ([]byte, error) {
	t.Helper()
	rc, err := s.Fetch(context.Background(), d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestReadThroughTwoLocalStores(t *testing.T) {
	ctx := context.Background()
	local, remote := openCache(t), openCache(t)
	data := []byte("rows of a dataset\n")
	desc, err := remote.Push(ctx, store.Descriptor{Size: -1}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	key := digest.FromString("a node key")
	if err := remote.PutManifest(ctx, key, []byte(`{"blob":"x"}`)); err != nil {
		t.Fatal(err)
	}
	rt := store.ReadThrough{Local: local, Remote: remote}

	if ok, err := local.Exists(ctx, desc); ok || err != nil {
		t.Fatalf("local.Exists before = %v, %v; want false, nil", ok, err)
	}
	if ok, err := rt.Exists(ctx, desc); !ok || err != nil {
		t.Fatalf("ReadThrough.Exists = %v, %v; want true, nil", ok, err)
	}
	got, err := fetchAll(t, rt, desc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadThrough.Fetch = %q, %v; want %q", got, err, data)
	}
	if ok, err := local.Exists(ctx, desc); !ok || err != nil {
		t.Fatalf("local.Exists after a read through = %v, %v; want true, nil", ok, err)
	}
	if p, _, err := rt.VerifiedPath(desc.Digest); err != nil || filepath.Dir(p) == "" {
		t.Fatalf("ReadThrough.VerifiedPath = %q, %v", p, err)
	}

	b, err := rt.GetManifest(ctx, key)
	if err != nil || string(b) != `{"blob":"x"}` {
		t.Fatalf("ReadThrough.GetManifest = %q, %v", b, err)
	}
	if b, err := local.GetManifest(ctx, key); err != nil || string(b) != `{"blob":"x"}` {
		t.Fatalf("local copy of the manifest = %q, %v", b, err)
	}
	if _, err := rt.GetManifest(ctx, digest.FromString("nothing")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetManifest of a key in neither store = %v, want ErrNotFound", err)
	}
	missing := store.Descriptor{Digest: digest.FromString("absent"), Size: -1}
	if _, err := fetchAll(t, rt, missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Fetch of a blob in neither store = %v, want ErrNotFound", err)
	}

	// A corrupt local copy is a miss: it is read through again.
	p, _, err := local.VerifiedPath(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, bytes.ToUpper(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = fetchAll(t, rt, desc)
	if errors.Is(err, store.ErrCorrupt) {
		// The corrupt copy is found at its end and removed; the next read
		// goes through to the remote.
		got, err = fetchAll(t, rt, desc)
	}
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Fetch after the local copy was damaged = %q, %v; want %q", got, err, data)
	}
}

// A remote that serves other bytes than the digest names never gets them
// into the local store.
func TestReadThroughRejectsWrongBytes(t *testing.T) {
	ctx := context.Background()
	local, remote := openCache(t), newMem()
	data := []byte("the real content")
	d := store.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	remote.serve[d.Digest] = []byte("something else!")
	rt := store.ReadThrough{Local: local, Remote: remote}
	if _, err := fetchAll(t, rt, d); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("Fetch of tampered remote bytes = %v, want ErrDigestMismatch", err)
	}
	if _, _, err := rt.VerifiedPath(d.Digest); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("VerifiedPath of tampered remote bytes = %v, want ErrDigestMismatch", err)
	}
	if ok, err := local.Exists(ctx, store.Descriptor{Digest: d.Digest, Size: -1}); ok || err != nil {
		t.Fatalf("local.Exists after a rejected copy = %v, %v; want false, nil", ok, err)
	}
}

// A store that cannot answer is an error, never a miss.
func TestExistsErrorIsNotAMiss(t *testing.T) {
	ctx := context.Background()
	broken := errors.New("connection reset")
	remote := newMem()
	remote.existsErr = broken
	rt := store.ReadThrough{Local: openCache(t), Remote: remote}
	d := store.Descriptor{Digest: digest.FromString("x"), Size: -1}
	if ok, err := rt.Exists(ctx, d); ok || !errors.Is(err, broken) {
		t.Fatalf("ReadThrough.Exists with the remote down = %v, %v; want false, %v", ok, err, broken)
	}

	// The local store: a blobs directory that cannot be read.
	root := t.TempDir()
	s, err := cache.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	blobs := filepath.Join(root, "blobs", "sha256")
	if err := os.RemoveAll(blobs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobs, nil, 0o644); err != nil { // ENOTDIR on every stat below it
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, d); ok || err == nil || store.IsMiss(err) {
		t.Fatalf("cache.Exists under a broken blobs dir = %v, %v; want an error that is not a miss", ok, err)
	}
	if _, err := s.Exists(ctx, store.Descriptor{Digest: "sha256:../../etc"}); !errors.Is(err, store.ErrInvalidDigest) {
		t.Fatalf("Exists of an invalid digest = %v, want ErrInvalidDigest", err)
	}
}

func TestNewWriterOverPush(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	data := []byte("streamed in pieces")
	w, err := store.NewWriter(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:5])
	w.Write(data[5:])
	if w.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", w.Size(), len(data))
	}
	desc, err := w.Commit(digest.FromBytes(data))
	if err != nil || desc.Digest != digest.FromBytes(data) {
		t.Fatalf("Commit = %v, %v", desc, err)
	}
	if got, err := fetchAll(t, m, desc); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("pushed blob = %q, %v", got, err)
	}
	if _, err := w.Commit(""); err == nil {
		t.Fatal("second Commit succeeded")
	}

	w, _ = store.NewWriter(ctx, m)
	w.Write([]byte("abc"))
	if _, err := w.Commit(digest.FromString("other")); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("Commit against another digest = %v, want ErrDigestMismatch", err)
	}

	w, _ = store.NewWriter(ctx, m)
	w.Write([]byte("never committed"))
	w.Abort()
	if ok, _ := m.Exists(ctx, store.Descriptor{Digest: digest.FromString("never committed"), Size: -1}); ok {
		t.Fatal("an aborted write was pushed")
	}

	// The local store streams through its own writer.
	if _, ok := any(openCache(t)).(store.Ingester); !ok {
		t.Fatal("cache.Store is not an Ingester")
	}
}

func TestFetchCancelled(t *testing.T) {
	s := openCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Fetch(ctx, store.Descriptor{Digest: digest.FromString("x"), Size: -1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch with a cancelled context = %v", err)
	}
	if _, err := s.Push(ctx, store.Descriptor{Size: -1}, bytes.NewReader(nil)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Push with a cancelled context = %v", err)
	}
	if _, err := s.GetManifest(ctx, digest.FromString("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetManifest with a cancelled context = %v", err)
	}
}

// ReadThrough's local-only capabilities are Local's, after copying in what
// they need from Remote; a Local without them says so.
func TestReadThroughExtras(t *testing.T) {
	ctx := context.Background()
	local, remote := openCache(t), openCache(t)
	data := []byte("mapped after a read through")
	desc, err := remote.Push(ctx, store.Descriptor{Size: -1}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rt := store.ReadThrough{Local: local, Remote: remote}
	b, release, err := rt.Map(desc.Digest)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Map through = %q, %v", b, err)
	}
	release()
	if err := rt.Verify(desc.Digest); err != nil {
		t.Errorf("Verify of the copy: %v", err)
	}

	w, err := rt.NewBlobWriter()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("written locally"))
	wd, err := w.Commit("")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := local.Exists(ctx, wd); !ok {
		t.Error("a blob written through ReadThrough is not in Local")
	}
	if ok, _ := remote.Exists(ctx, wd); ok {
		t.Error("a blob written through ReadThrough went to Remote")
	}

	file := filepath.Join(t.TempDir(), "out")
	os.WriteFile(file, []byte("x"), 0o644)
	rt.StampFile(file, digest.FromString("x"))
	_ = rt.FileMatches(file, digest.FromString("x")) // racily clean or not: only must not fail
	if err := rt.CleanIngest(); err != nil {
		t.Errorf("CleanIngest: %v", err)
	}
	if err := rt.Delete(desc.Digest); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if ok, _ := remote.Exists(ctx, desc); !ok {
		t.Error("Delete through ReadThrough removed Remote's copy")
	}
	if err := rt.DeleteKey(digest.FromString("k")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteKey of a missing key = %v, want ErrNotFound", err)
	}

	// A Local without the capabilities.
	plain := store.ReadThrough{Local: newMem(), Remote: remote}
	if _, _, err := plain.VerifiedPath(desc.Digest); !errors.Is(err, store.ErrUnsupported) {
		t.Errorf("VerifiedPath without paths = %v, want ErrUnsupported", err)
	}
	if _, _, err := plain.Map(desc.Digest); !errors.Is(err, store.ErrUnverified) {
		t.Errorf("Map without mapping = %v, want ErrUnverified", err)
	}
	if err := plain.Delete(desc.Digest); !errors.Is(err, store.ErrUnsupported) {
		t.Errorf("Delete without Deleter = %v, want ErrUnsupported", err)
	}
	if err := plain.DeleteKey(desc.Digest); !errors.Is(err, store.ErrUnsupported) {
		t.Errorf("DeleteKey without Deleter = %v, want ErrUnsupported", err)
	}
	if plain.FileMatches(file, desc.Digest) {
		t.Error("FileMatches without stamps = true")
	}
	plain.StampFile(file, desc.Digest)
	if err := plain.CleanIngest(); err != nil {
		t.Errorf("CleanIngest without a cleaner = %v", err)
	}
	if _, err := plain.Fetch(ctx, desc); err != nil {
		t.Fatal(err) // copied into the in-memory Local
	}
	if err := plain.Verify(desc.Digest); err != nil {
		t.Errorf("Verify by reading = %v", err)
	}
	if err := store.Verify(ctx, newMem(), desc.Digest); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Verify of a missing blob = %v, want ErrNotFound", err)
	}
}
