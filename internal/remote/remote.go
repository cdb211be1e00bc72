// Package remote opens the stores a lab shares: a directory on a shared
// file system (file:///path) and an OCI distribution registry
// (oci://HOST[:PORT]/REPO). Each is a store.Store, so the executor reads it
// through store.ReadThrough like any other store, plus the few things
// sharing needs besides: checking a node manifest without reading it,
// filing it with the node's name, and publishing a build's lock with its
// output files.
//
// Whatever a remote serves is checked as a local entry is: a blob is hashed
// while it streams and read no further than its size, and a mismatch is a
// miss (store.ErrCorrupt) reported once as a warning naming the digest; the
// remote is then taken not to have that blob for the rest of the process,
// so the node that needs it is rebuilt locally. Manifests are bounded by
// cache.MaxKeySize and, from a registry, must carry the key they are asked
// for; the executor then checks their preimage against the key.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// Remote is a shared store reached by URL.
type Remote interface {
	store.Store
	// ManifestExists reports whether a manifest is filed under key,
	// without reading it (a HEAD request on a registry).
	ManifestExists(ctx context.Context, key digest.Digest) (bool, error)
	// PutNodeManifest files a node's manifest under key like PutManifest,
	// naming the node where the remote can show it (registry annotations).
	PutNodeManifest(ctx context.Context, key digest.Digest, b []byte, node string) error
	// PublishBuild makes a build's lock and output files fetchable as one
	// artifact; it returns where ("" when the remote has no such notion).
	PublishBuild(ctx context.Context, b Build) (string, error)
	// String is the URL, without credentials.
	String() string
}

// Build is what PublishBuild publishes: the lock's bytes and the output
// files (already pushed as blobs).
type Build struct {
	Recipe   string // recipe name
	LockPath string // project-relative, slash-separated
	Lock     []byte
	Outputs  []Output
}

// Output is one output file of a build.
type Output struct {
	Path      string // project-relative, slash-separated
	MediaType string
	Blob      store.Descriptor
}

// Options configure Open.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS to a registry; only allowed
	// for a loopback address.
	PlainHTTP bool
	// Getenv reads DSBUILD_REGISTRY_USER and DSBUILD_REGISTRY_PASSWORD
	// (nil: no environment).
	Getenv func(string) string
	// Warn receives one line per rejected blob (nil: dropped).
	Warn func(string)
	// MaxBlobSize bounds a blob fetched without a known size (0: 64 GiB).
	MaxBlobSize int64
}

// ErrUsage marks a URL or option that cannot work whatever the remote
// says (a malformed URL, plain HTTP to a non-loopback host).
var ErrUsage = errors.New("invalid remote")

// Open opens the remote at rawURL.
func Open(rawURL string, o Options) (Remote, error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.MaxBlobSize <= 0 {
		o.MaxBlobSize = 64 << 30
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("%w %q: want oci://HOST[:PORT]/REPO or file:///PATH", ErrUsage, rawURL)
	}
	var b backend
	var err error
	switch scheme {
	case "file":
		if o.PlainHTTP {
			return nil, fmt.Errorf("%w %q: --plain-http is for registries", ErrUsage, rawURL)
		}
		b, err = openFile(rawURL)
	case "oci":
		b, err = openOCI(rest, o)
	default:
		return nil, fmt.Errorf("%w %q: unknown scheme %q (want oci:// or file://)", ErrUsage, rawURL, scheme)
	}
	if err != nil {
		return nil, err
	}
	return &checked{b: b, o: o, bad: map[digest.Digest]bool{}}, nil
}

// isLoopback reports whether host (without port) names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func openFile(rawURL string) (backend, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrUsage, rawURL, err)
	}
	if (u.Host != "" && u.Host != "localhost") || u.Path == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w %q: a shared directory is file:///ABSOLUTE/PATH", ErrUsage, rawURL)
	}
	s, err := cache.Open(u.Path)
	if err != nil {
		return nil, err
	}
	// Every read hashes: the stamps of a shared directory are written by
	// other machines, and nothing read from it is trusted unhashed.
	s.AlwaysVerify = true
	return &fileBackend{s: s, url: "file://" + u.Path}, nil
}

// backend is what each kind of remote implements; checked adds the checks
// common to all.
type backend interface {
	// fetch returns the blob's bytes as served, with the size the remote
	// claims for it (-1 if unknown). Not verified.
	fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, int64, error)
	// push stores content already known to hash to d.
	push(ctx context.Context, d store.Descriptor, r io.Reader) error
	exists(ctx context.Context, d store.Descriptor) (bool, error)
	getManifest(ctx context.Context, key digest.Digest) ([]byte, error)
	putManifest(ctx context.Context, key digest.Digest, b []byte, node string) error
	manifestExists(ctx context.Context, key digest.Digest) (bool, error)
	publishBuild(ctx context.Context, b Build) (string, error)
	String() string
}

// checked is a Remote over a backend: it verifies what is read and
// remembers the blobs found corrupt.
type checked struct {
	b backend
	o Options

	mu  sync.Mutex
	bad map[digest.Digest]bool
}

var _ Remote = (*checked)(nil)

func (c *checked) String() string { return c.b.String() }

func (c *checked) isBad(d digest.Digest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bad[d]
}

// reject records d as unusable and warns once.
func (c *checked) reject(d digest.Digest, why string) {
	c.mu.Lock()
	first := !c.bad[d]
	c.bad[d] = true
	c.mu.Unlock()
	if first && c.o.Warn != nil {
		c.o.Warn(fmt.Sprintf("remote %s: blob %s rejected: %s; it is not used (the node is rebuilt locally)", c.b, d, why))
	}
}

func validDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("%w %q", store.ErrInvalidDigest, string(d))
	}
	return nil
}

// Fetch returns a reader of blob d that hashes while it reads, never reads
// past d.Size (or MaxBlobSize), and ends in an error wrapping
// store.ErrCorrupt instead of the last chunk when the bytes are not d's.
func (c *checked) Fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, error) {
	if err := validDigest(d.Digest); err != nil {
		return nil, err
	}
	if c.isBad(d.Digest) {
		return nil, fmt.Errorf("remote %s: blob %s: %w (rejected earlier)", c.b, d.Digest, store.ErrCorrupt)
	}
	rc, claimed, err := c.b.fetch(ctx, d)
	if err != nil {
		if errors.Is(err, store.ErrCorrupt) {
			c.reject(d.Digest, err.Error())
		}
		return nil, err
	}
	want := d.Size
	if want < 0 {
		want = claimed
	}
	if want > c.o.MaxBlobSize {
		rc.Close()
		c.reject(d.Digest, fmt.Sprintf("%d bytes is more than the %d allowed", want, c.o.MaxBlobSize))
		return nil, fmt.Errorf("remote %s: blob %s: %w: too large", c.b, d.Digest, store.ErrCorrupt)
	}
	limit := want
	if limit < 0 {
		limit = c.o.MaxBlobSize
	}
	return &verifyReader{c: c, rc: rc, r: io.LimitReader(rc, limit+1), d: d.Digest, want: want, limit: limit, h: digest.SHA256.Digester()}, nil
}

type verifyReader struct {
	c     *checked
	rc    io.ReadCloser
	r     io.Reader
	d     digest.Digest
	want  int64 // -1: any size up to limit
	limit int64
	n     int64
	h     digest.Digester
	err   error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	if v.n > v.limit {
		v.err = v.corrupt(fmt.Sprintf("more than %d bytes", v.limit))
		return 0, v.err
	}
	v.h.Hash().Write(p[:n])
	if err == io.EOF || (v.want >= 0 && v.n == v.want) {
		// The last byte: the chunk is handed over only if it completes d.
		if v.want >= 0 && v.n != v.want {
			v.err = v.corrupt(fmt.Sprintf("truncated: %d of %d bytes", v.n, v.want))
			return 0, v.err
		}
		if got := v.h.Digest(); got != v.d {
			v.err = v.corrupt(fmt.Sprintf("content hashes to %s (%d bytes)", got, v.n))
			return 0, v.err
		}
		if err == nil && v.want >= 0 {
			// Exactly want bytes read: nothing more is read from the
			// remote, whatever it would send.
			v.err = io.EOF
			return n, nil
		}
		v.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		if errors.Is(err, store.ErrCorrupt) {
			// The backend's own check (a store directory's verifying
			// reader) found it.
			v.c.reject(v.d, err.Error())
			v.err = err
			return 0, err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			v.err = v.corrupt(fmt.Sprintf("truncated after %d bytes", v.n))
			return 0, v.err
		}
		v.err = err
		return n, err
	}
	return n, nil
}

func (v *verifyReader) corrupt(why string) error {
	v.c.reject(v.d, why)
	return fmt.Errorf("remote %s: blob %s: %w: %s", v.c.b, v.d, store.ErrCorrupt, why)
}

func (v *verifyReader) Close() error { return v.rc.Close() }

// Push stores r under its digest. With expected.Digest and Size known, a
// blob the remote has already is not sent again; otherwise r is spooled to
// learn them. Content that does not hash to expected.Digest is refused.
func (c *checked) Push(ctx context.Context, expected store.Descriptor, r io.Reader) (store.Descriptor, error) {
	if expected.Digest == "" || expected.Size < 0 {
		return c.pushSpooled(ctx, expected, r)
	}
	if err := validDigest(expected.Digest); err != nil {
		return store.Descriptor{}, err
	}
	if !c.isBad(expected.Digest) {
		ok, err := c.b.exists(ctx, expected)
		if err != nil {
			return store.Descriptor{}, err
		}
		if ok {
			_, err := io.Copy(io.Discard, r) // Push reads r to its end
			return expected, err
		}
	}
	vr := &pushReader{r: r, d: expected, h: digest.SHA256.Digester()}
	if err := c.b.push(ctx, expected, vr); err != nil {
		if vr.err != nil {
			return store.Descriptor{}, vr.err
		}
		return store.Descriptor{}, err
	}
	if vr.err != nil {
		return store.Descriptor{}, vr.err
	}
	c.mu.Lock()
	delete(c.bad, expected.Digest)
	c.mu.Unlock()
	return expected, nil
}

// pushReader fails the upload at its last byte when the content is not
// what the caller promised, so a registry never commits it.
type pushReader struct {
	r   io.Reader
	d   store.Descriptor
	h   digest.Digester
	n   int64
	err error
}

func (p *pushReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.h.Hash().Write(b[:n])
	if p.n > p.d.Size {
		p.err = &store.DigestMismatchError{Expected: p.d.Digest, Actual: "", Size: p.n}
		return 0, p.err
	}
	if err == io.EOF || p.n == p.d.Size {
		if got := p.h.Digest(); p.n != p.d.Size || got != p.d.Digest {
			p.err = &store.DigestMismatchError{Expected: p.d.Digest, Actual: got, Size: p.n}
			return 0, p.err
		}
	}
	return n, err
}

func (c *checked) Exists(ctx context.Context, d store.Descriptor) (bool, error) {
	if err := validDigest(d.Digest); err != nil {
		return false, err
	}
	if c.isBad(d.Digest) {
		return false, nil
	}
	return c.b.exists(ctx, d)
}

func (c *checked) GetManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	if err := validDigest(key); err != nil {
		return nil, err
	}
	return c.b.getManifest(ctx, key)
}

func (c *checked) PutManifest(ctx context.Context, key digest.Digest, b []byte) error {
	return c.PutNodeManifest(ctx, key, b, "")
}

func (c *checked) PutNodeManifest(ctx context.Context, key digest.Digest, b []byte, node string) error {
	if err := validDigest(key); err != nil {
		return err
	}
	if len(b) > cache.MaxKeySize {
		return fmt.Errorf("remote %s: manifest %s: %d bytes is more than a manifest may hold", c.b, key, len(b))
	}
	return c.b.putManifest(ctx, key, b, node)
}

func (c *checked) ManifestExists(ctx context.Context, key digest.Digest) (bool, error) {
	if err := validDigest(key); err != nil {
		return false, err
	}
	return c.b.manifestExists(ctx, key)
}

func (c *checked) PublishBuild(ctx context.Context, b Build) (string, error) {
	return c.b.publishBuild(ctx, b)
}

// pushSpooled copies r to a temporary file to learn its digest and size,
// then pushes it.
func (c *checked) pushSpooled(ctx context.Context, expected store.Descriptor, r io.Reader) (store.Descriptor, error) {
	f, err := os.CreateTemp("", "dsbuild-push-*")
	if err != nil {
		return store.Descriptor{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(f, dg.Hash()), r)
	if err != nil {
		return store.Descriptor{}, err
	}
	got := store.Descriptor{Digest: dg.Digest(), Size: n}
	if expected.Digest != "" && expected.Digest != got.Digest {
		return store.Descriptor{}, &store.DigestMismatchError{Expected: expected.Digest, Actual: got.Digest, Size: n}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return store.Descriptor{}, err
	}
	return c.Push(ctx, got, f)
}

// fileBackend is a store directory on a shared file system: the local
// store's own code, with its write protocol (a locked temp file in
// ingest/, fsync, rename), safe with writers on several machines.
type fileBackend struct {
	s   *cache.Store
	url string
}

func (f *fileBackend) String() string { return f.url }

func (f *fileBackend) fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, int64, error) {
	rc, err := f.s.Fetch(ctx, d)
	return rc, -1, err
}

func (f *fileBackend) push(ctx context.Context, d store.Descriptor, r io.Reader) error {
	_, err := f.s.Push(ctx, d, r)
	return err
}

func (f *fileBackend) exists(ctx context.Context, d store.Descriptor) (bool, error) {
	return f.s.Exists(ctx, d)
}

func (f *fileBackend) getManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	return f.s.GetManifest(ctx, key)
}

func (f *fileBackend) putManifest(ctx context.Context, key digest.Digest, b []byte, _ string) error {
	return f.s.PutManifest(ctx, key, b)
}

func (f *fileBackend) manifestExists(ctx context.Context, key digest.Digest) (bool, error) {
	_, err := f.s.GetManifest(ctx, key)
	if store.IsMiss(err) {
		return false, nil
	}
	return err == nil, err
}

func (f *fileBackend) publishBuild(context.Context, Build) (string, error) { return "", nil }

// Root is the directory of a file:// remote ("" for other remotes).
func Root(r Remote) string {
	if c, ok := r.(*checked); ok {
		if f, ok := c.b.(*fileBackend); ok {
			return f.s.Root()
		}
	}
	return ""
}
