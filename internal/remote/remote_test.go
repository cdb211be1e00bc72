package remote

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// fakeBackend serves whatever serve says for a digest: a remote that lies.
type fakeBackend struct {
	mu    sync.Mutex
	blobs map[digest.Digest][]byte
	serve map[digest.Digest][]byte
	keys  map[digest.Digest][]byte
	reads int
}

func newFake() *fakeBackend {
	return &fakeBackend{blobs: map[digest.Digest][]byte{}, serve: map[digest.Digest][]byte{}, keys: map[digest.Digest][]byte{}}
}

func (f *fakeBackend) String() string { return "fake://" }

func (f *fakeBackend) fetch(_ context.Context, d store.Descriptor) (io.ReadCloser, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if b, ok := f.serve[d.Digest]; ok {
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
	b, ok := f.blobs[d.Digest]
	if !ok {
		return nil, -1, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (f *fakeBackend) push(_ context.Context, d store.Descriptor, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.blobs[d.Digest] = b
	f.mu.Unlock()
	return nil
}

func (f *fakeBackend) exists(_ context.Context, d store.Descriptor) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[d.Digest]
	return ok && (d.Size < 0 || int64(len(b)) == d.Size), nil
}

func (f *fakeBackend) getManifest(_ context.Context, k digest.Digest) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.keys[k]
	if !ok {
		return nil, store.ErrNotFound
	}
	return b, nil
}

func (f *fakeBackend) putManifest(_ context.Context, k digest.Digest, b []byte, _ string) error {
	f.mu.Lock()
	f.keys[k] = b
	f.mu.Unlock()
	return nil
}

func (f *fakeBackend) manifestExists(ctx context.Context, k digest.Digest) (bool, error) {
	_, err := f.getManifest(ctx, k)
	return err == nil, nil
}

func (f *fakeBackend) publishBuild(context.Context, Build) (string, error) { return "", nil }

// endless never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func readAll(t *testing.T, r store.Store, d store.Descriptor) ([]byte, error) {
	t.Helper()
	rc, err := r.Fetch(context.Background(), d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestCheckedRejectsWhatDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	real := []byte("the rows of a node")
	d := store.Descriptor{Digest: digest.FromBytes(real), Size: int64(len(real))}
	for _, tc := range []struct {
		name  string
		serve []byte
		want  string
	}{
		{"flipped byte", append([]byte("The"), real[3:]...), "content hashes to"},
		{"truncated", real[:5], "truncated"},
		{"longer", append(append([]byte(nil), real...), "and more"...), "more than 18 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.blobs[d.Digest] = real
			f.serve[d.Digest] = tc.serve
			var warns []string
			c := &checked{b: f, o: Options{MaxBlobSize: 1 << 20, Warn: func(s string) { warns = append(warns, s) }}, bad: map[digest.Digest]bool{}}
			got, err := readAll(t, c, d)
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("read = %q, %v; want ErrCorrupt", got, err)
			}
			if len(warns) != 1 || !strings.Contains(warns[0], string(d.Digest)) || !strings.Contains(warns[0], tc.want) {
				t.Fatalf("warnings = %q; want one naming %s and %q", warns, d.Digest, tc.want)
			}
			// From now on the remote does not have it: the node is rebuilt.
			if ok, err := c.Exists(ctx, d); ok || err != nil {
				t.Fatalf("Exists after a rejected read = %v, %v", ok, err)
			}
			if _, err := c.Fetch(ctx, d); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("second Fetch = %v, want ErrCorrupt", err)
			}
			// Through ReadThrough nothing lands in the local store.
			local, err := cache.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			c2 := &checked{b: f, o: Options{MaxBlobSize: 1 << 20}, bad: map[digest.Digest]bool{}}
			if _, err := readAll(t, store.ReadThrough{Local: local, Remote: c2}, d); err == nil || !store.IsMiss(err) {
				t.Fatalf("read through = %v, want a miss", err)
			}
			if local.Has(d.Digest, -1) {
				t.Fatal("a rejected blob reached the local store")
			}
			// Pushing the right bytes again makes it usable.
			if _, err := c.Push(ctx, d, bytes.NewReader(real)); err != nil {
				t.Fatal(err)
			}
			delete(f.serve, d.Digest)
			if got, err := readAll(t, c, d); err != nil || !bytes.Equal(got, real) {
				t.Fatalf("read after a good push = %q, %v", got, err)
			}
		})
	}
}

// A blob of unknown size is read no further than MaxBlobSize, even from a
// remote that never stops sending.
func TestCheckedSizeCap(t *testing.T) {
	f := &endlessBackend{fakeBackend: newFake()}
	c := &checked{b: f, o: Options{MaxBlobSize: 1 << 16}, bad: map[digest.Digest]bool{}}
	d := store.Descriptor{Digest: digest.FromString("whatever"), Size: -1}
	rc, err := c.Fetch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	if !errors.Is(err, store.ErrCorrupt) || n > 1<<16 {
		t.Fatalf("read %d bytes, %v; want ErrCorrupt within %d bytes", n, err, 1<<16)
	}
	// A known size bounds the read the same way.
	d.Size = 100
	c = &checked{b: f, o: Options{MaxBlobSize: 1 << 16}, bad: map[digest.Digest]bool{}}
	rc, _ = c.Fetch(context.Background(), d)
	if n, err := io.Copy(io.Discard, rc); !errors.Is(err, store.ErrCorrupt) || n > 100 {
		t.Fatalf("read %d bytes, %v; want ErrCorrupt within 100 bytes", n, err)
	}
}

type endlessBackend struct{ *fakeBackend }

func (e *endlessBackend) fetch(context.Context, store.Descriptor) (io.ReadCloser, int64, error) {
	return io.NopCloser(endless{}), -1, nil
}

// Push refuses content that is not what the caller promised, whether the
// caller gave the size or not.
func TestCheckedPushChecksDigest(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	c := &checked{b: f, o: Options{MaxBlobSize: 1 << 20}, bad: map[digest.Digest]bool{}}
	want := store.Descriptor{Digest: digest.FromString("promised"), Size: 8}
	if _, err := c.Push(ctx, want, strings.NewReader("delivere")); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("push of other bytes = %v, want ErrDigestMismatch", err)
	}
	if _, err := c.Push(ctx, store.Descriptor{Digest: want.Digest, Size: -1}, strings.NewReader("other")); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("spooled push of other bytes = %v, want ErrDigestMismatch", err)
	}
	if len(f.blobs) != 0 {
		t.Fatalf("the remote got %d blobs", len(f.blobs))
	}
	got, err := c.Push(ctx, store.Descriptor{Size: -1}, strings.NewReader("promised"))
	if err != nil || got != want {
		t.Fatalf("push of any content = %v, %v; want %v", got, err, want)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, u := range []string{
		"s3://bucket/x", "oci://", "oci://host", "oci://host/repo:tag", "file://host/x", "/just/a/path", "file://",
	} {
		if _, err := Open(u, Options{}); !errors.Is(err, ErrUsage) {
			t.Errorf("Open(%q) = %v, want ErrUsage", u, err)
		}
	}
	if _, err := Open("oci://registry.example.com/lab/cache", Options{PlainHTTP: true}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "only allowed") {
		t.Errorf("plain HTTP to a remote host = %v, want a refusal", err)
	}
	for _, u := range []string{"oci://127.0.0.1:5000/x", "oci://localhost:5000/x", "oci://[::1]:5000/x"} {
		if _, err := Open(u, Options{PlainHTTP: true}); err != nil {
			t.Errorf("plain HTTP to %s: %v", u, err)
		}
	}
}

// The file:// remote is a store directory: what one machine writes another
// reads, a damaged blob there is rejected (and removed), and writers in
// parallel leave only whole blobs.
func TestFileRemote(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var warns []string
	var mu sync.Mutex
	open := func() Remote {
		r, err := Open("file://"+dir, Options{Warn: func(s string) { mu.Lock(); warns = append(warns, s); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := open(), open()
	if Root(a) != dir {
		t.Fatalf("Root = %q, want %q", Root(a), dir)
	}
	data := bytes.Repeat([]byte("shared rows\n"), 1000)
	d := store.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := open().Push(ctx, d, bytes.NewReader(data)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, err := readAll(t, b, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read on the other machine: %d bytes, %v", len(got), err)
	}
	key := digest.FromString("a node key")
	if err := a.PutNodeManifest(ctx, key, []byte(`{"x":1}`), "node.a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.ManifestExists(ctx, key); !ok || err != nil {
		t.Fatalf("ManifestExists = %v, %v", ok, err)
	}
	if m, err := b.GetManifest(ctx, key); err != nil || string(m) != `{"x":1}` {
		t.Fatalf("GetManifest = %q, %v", m, err)
	}
	if ok, _ := b.ManifestExists(ctx, digest.FromString("other")); ok {
		t.Fatal("ManifestExists of a key never filed")
	}

	// Damage the shared copy.
	p := filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded())
	os.Chmod(p, 0o644)
	damaged := append([]byte(nil), data...)
	damaged[10] ^= 1
	if err := os.WriteFile(p, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, open(), d); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read of a damaged shared blob = %v, want ErrCorrupt", err)
	}
	if len(warns) == 0 || !strings.Contains(strings.Join(warns, "\n"), string(d.Digest)) {
		t.Fatalf("no warning naming %s: %q", d.Digest, warns)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the damaged blob is still in the shared directory: %v", err)
	}
}

// registry returns the address of the test registry named by env, or skips
// (fails under CI=true).
func registry(t *testing.T, env string) string {
	t.Helper()
	addr := os.Getenv(env)
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("$%s is not set: .ci/run starts a registry with .ci/registry.sh", env)
		}
		t.Skipf("$%s is not set (start one: .ci/registry.sh start, then source its env file)", env)
	}
	return addr
}

func repoURL(t *testing.T, addr string) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return fmt.Sprintf("oci://%s/dsbuild-test/%s-%d", addr, name, time.Now().UnixNano())
}

func TestOCIRoundTrip(t *testing.T) {
	addr := registry(t, "DSBUILD_TEST_REGISTRY")
	ctx := context.Background()
	r, err := Open(repoURL(t, addr), Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("arrow stream bytes, say")
	d := store.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	if ok, err := r.Exists(ctx, d); ok || err != nil {
		t.Fatalf("Exists before push = %v, %v", ok, err)
	}
	if _, err := readAll(t, r, d); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Fetch before push = %v, want ErrNotFound", err)
	}
	if _, err := r.Push(ctx, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(ctx, d, bytes.NewReader(data)); err != nil {
		t.Fatalf("second push of the same blob: %v", err)
	}
	if ok, err := r.Exists(ctx, d); !ok || err != nil {
		t.Fatalf("Exists after push = %v, %v", ok, err)
	}
	if ok, _ := r.Exists(ctx, store.Descriptor{Digest: d.Digest, Size: d.Size + 1}); ok {
		t.Fatal("Exists with another size = true")
	}
	for _, size := range []int64{d.Size, -1} {
		if got, err := readAll(t, r, store.Descriptor{Digest: d.Digest, Size: size}); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Fetch (size %d) = %q, %v", size, got, err)
		}
	}

	key := digest.FromString("node key")
	m := fmt.Sprintf(`{"op":"filter@1","blob":%q,"size":%d,"mediaType":"application/vnd.apache.arrow.stream","rows":3,"schema":["a: utf8"],"logical":%q}`,
		d.Digest, d.Size, digest.FromString("logical"))
	if err := r.PutNodeManifest(ctx, key, []byte(m), "filter.f"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetManifest(ctx, key); err != nil || string(got) != m {
		t.Fatalf("GetManifest = %q, %v", got, err)
	}
	if ok, err := r.ManifestExists(ctx, key); !ok || err != nil {
		t.Fatalf("ManifestExists = %v, %v", ok, err)
	}
	other := digest.FromString("another key")
	if ok, err := r.ManifestExists(ctx, other); ok || err != nil {
		t.Fatalf("ManifestExists of another key = %v, %v", ok, err)
	}
	if _, err := r.GetManifest(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetManifest of another key = %v, want ErrNotFound", err)
	}
	// A manifest copied under another key's tag is not that key's.
	o := r.(*checked).b.(*ociBackend)
	desc, err := o.repo.Resolve(ctx, keyTag(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.repo.Tag(ctx, desc, keyTag(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetManifest(ctx, other); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("GetManifest of a manifest tagged for another key = %v, want ErrCorrupt", err)
	}
}

func TestOCIAuth(t *testing.T) {
	addr := registry(t, "DSBUILD_TEST_REGISTRY_AUTH")
	user, pass := os.Getenv("DSBUILD_TEST_REGISTRY_USER"), os.Getenv("DSBUILD_TEST_REGISTRY_PASSWORD")
	ctx := context.Background()
	url := repoURL(t, addr)
	d := store.Descriptor{Digest: digest.FromString("x"), Size: 1}
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine's user
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"none", nil},
		{"wrong password", map[string]string{"DSBUILD_REGISTRY_USER": user, "DSBUILD_REGISTRY_PASSWORD": "not-" + pass}},
	} {
		r, err := Open(url, Options{PlainHTTP: true, Getenv: func(k string) string { return tc.env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Exists(ctx, d)
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("%s: Exists = %v, want ErrAuth", tc.name, err)
		}
		if strings.Contains(err.Error(), pass) {
			t.Fatalf("%s: the error shows the password: %v", tc.name, err)
		}
	}
	env := map[string]string{"DSBUILD_REGISTRY_USER": user, "DSBUILD_REGISTRY_PASSWORD": pass}
	r, err := Open(url, Options{PlainHTTP: true, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(ctx, d, strings.NewReader("x")); err != nil {
		t.Fatalf("push with the right credentials: %v", err)
	}
	// Credentials from a docker config file.
	cfg := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfg)
	auth := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, addr, b64(user+":"+pass))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(auth), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Open(url, Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Exists(ctx, d); !ok || err != nil {
		t.Fatalf("Exists with docker config credentials = %v, %v", ok, err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
