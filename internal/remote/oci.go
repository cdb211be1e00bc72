package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// What dsbuild puts in a registry. Every node result is an OCI image
// manifest (an artifact: empty config, artifactType below) tagged
// "sha256-<hex of the node key>", whose first layer is dsbuild's own
// manifest (the bytes the local store files under the key) and whose second
// is the node's output blob; annotations show the node, key, rows, schema
// and logical digest. A build is an artifact tagged "<recipe>-<hex of the
// lock digest>" whose layers are the lock and the output files, titled
// with their project paths, so `oras pull` writes them out.
const (
	ArtifactTypeNode   = "application/vnd.dsbuild.node.v1"
	ArtifactTypeRecord = "application/vnd.dsbuild.record.v1"
	ArtifactTypeBuild  = "application/vnd.dsbuild.build.v1"
	MediaTypeManifest  = "application/vnd.dsbuild.manifest.v1+json"
	MediaTypeLock      = "application/vnd.dsbuild.lock.v1"

	annPrefix     = "dev.dsbuild."
	AnnKey        = annPrefix + "key"
	AnnNode       = annPrefix + "node"
	AnnOp         = annPrefix + "op"
	AnnRows       = annPrefix + "rows"
	AnnSchema     = annPrefix + "schema"
	AnnLogical    = annPrefix + "logical"
	AnnRecipe     = annPrefix + "recipe"
	AnnLockDigest = annPrefix + "lock"

	// maxOCIManifest bounds a registry manifest read by dsbuild.
	maxOCIManifest = 4 << 20
)

// ErrAuth reports credentials the registry refused (or none where it
// wants some).
var ErrAuth = errors.New("registry authentication failed")

type ociBackend struct {
	repo *remote.Repository
	host string
	url  string

	emptyMu     sync.Mutex // the empty config is pushed once per process
	emptyPushed bool
}

func openOCI(rest string, o Options) (backend, error) {
	host, repoPath, ok := strings.Cut(rest, "/")
	if !ok || host == "" || repoPath == "" || strings.ContainsAny(repoPath, "?#@:") {
		return nil, fmt.Errorf("%w oci://%s: want oci://HOST[:PORT]/REPO", ErrUsage, rest)
	}
	repo, err := remote.NewRepository(host + "/" + repoPath)
	if err != nil {
		return nil, fmt.Errorf("%w oci://%s: %v", ErrUsage, rest, err)
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if o.PlainHTTP {
		if !isLoopback(hostname) {
			return nil, fmt.Errorf("%w oci://%s: --plain-http is only allowed for a registry on this machine (localhost, 127.0.0.1, ::1): credentials and data would cross the network unencrypted", ErrUsage, rest)
		}
		repo.PlainHTTP = true
	}
	cred := auth.CredentialFunc(nil)
	if u := o.Getenv("DSBUILD_REGISTRY_USER"); u != "" {
		cred = auth.StaticCredential(host, auth.Credential{Username: u, Password: o.Getenv("DSBUILD_REGISTRY_PASSWORD")})
	} else if st, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		cred = credentials.Credential(st)
	}
	repo.Client = &auth.Client{
		Client:     retry.DefaultClient,
		Cache:      auth.NewCache(),
		Credential: cred,
		Header:     http.Header{"User-Agent": {"dsbuild"}},
	}
	return &ociBackend{repo: repo, host: host, url: "oci://" + host + "/" + repoPath}, nil
}

func (b *ociBackend) String() string { return b.url }

// wrap turns a registry error into the store's terms: absent is
// ErrNotFound, refused credentials ErrAuth; anything else is a failure to
// answer, named with the remote.
func (b *ociBackend) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return fmt.Errorf("remote %s: %s: %w", b.url, what, store.ErrNotFound)
	}
	var er *errcode.ErrorResponse
	if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("remote %s: %s: %w (HTTP %d from %s): check DSBUILD_REGISTRY_USER and DSBUILD_REGISTRY_PASSWORD, or `docker login %s`",
			b.url, what, ErrAuth, er.StatusCode, b.host, b.host)
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("remote %s: %s: %w: %s asks for a user name and password and none is configured: set DSBUILD_REGISTRY_USER and DSBUILD_REGISTRY_PASSWORD, or `docker login %s`",
			b.url, what, ErrAuth, b.host, b.host)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL is ours, without credentials; the cause is what matters.
		return fmt.Errorf("remote %s: %s: cannot reach the registry: %w", b.url, what, ue.Err)
	}
	return fmt.Errorf("remote %s: %s: %w", b.url, what, err)
}

// servedWrong reports an error of a blob fetch that means the registry
// answered with other bytes than asked for (a length or digest header that
// does not match), as opposed to not answering.
func servedWrong(err error) bool {
	var er *errcode.ErrorResponse
	var ue *url.Error
	var ne net.Error
	return !errors.As(err, &er) && !errors.As(err, &ue) && !errors.As(err, &ne) &&
		!errors.Is(err, errdef.ErrNotFound) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func (b *ociBackend) desc(d store.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d.Digest, Size: d.Size}
}

func (b *ociBackend) fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, int64, error) {
	if d.Size < 0 {
		got, err := b.repo.Blobs().Resolve(ctx, d.Digest.String())
		if err != nil {
			return nil, -1, b.wrap("blob "+d.Digest.String(), err)
		}
		d.Size = got.Size
	}
	rc, err := b.repo.Blobs().Fetch(ctx, b.desc(d))
	if err != nil {
		if servedWrong(err) {
			return nil, -1, fmt.Errorf("remote %s: blob %s: %w: %v", b.url, d.Digest, store.ErrCorrupt, err)
		}
		return nil, -1, b.wrap("blob "+d.Digest.String(), err)
	}
	return rc, d.Size, nil
}

func (b *ociBackend) push(ctx context.Context, d store.Descriptor, r io.Reader) error {
	err := b.repo.Blobs().Push(ctx, b.desc(d), r)
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return b.wrap("push blob "+d.Digest.String(), err)
}

func (b *ociBackend) exists(ctx context.Context, d store.Descriptor) (bool, error) {
	got, err := b.repo.Blobs().Resolve(ctx, d.Digest.String())
	if errors.Is(err, errdef.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, b.wrap("blob "+d.Digest.String(), err)
	}
	return d.Size < 0 || got.Size == d.Size, nil
}

// keyTag is the tag of the manifest filed under key.
func keyTag(key digest.Digest) string { return key.Algorithm().String() + "-" + key.Encoded() }

func (b *ociBackend) manifestExists(ctx context.Context, key digest.Digest) (bool, error) {
	_, err := b.repo.Resolve(ctx, keyTag(key))
	if errors.Is(err, errdef.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, b.wrap("manifest "+key.String(), err)
	}
	return true, nil
}

func (b *ociBackend) fetchOCIManifest(ctx context.Context, ref string) (*ocispec.Manifest, error) {
	desc, rc, err := b.repo.FetchReference(ctx, ref)
	if err != nil {
		return nil, b.wrap("manifest "+ref, err)
	}
	defer rc.Close()
	if desc.Size > maxOCIManifest {
		return nil, fmt.Errorf("remote %s: manifest %s: %w: %d bytes", b.url, ref, store.ErrCorrupt, desc.Size)
	}
	raw, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, fmt.Errorf("remote %s: manifest %s: %w: %v", b.url, ref, store.ErrCorrupt, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("remote %s: manifest %s: %w: %v", b.url, ref, store.ErrCorrupt, err)
	}
	return &m, nil
}

// getManifest reads the dsbuild manifest filed under key: the registry
// manifest tagged for key must say it is for key, and its first layer is
// read, bounded and checked against its digest.
func (b *ociBackend) getManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	m, err := b.fetchOCIManifest(ctx, keyTag(key))
	if err != nil {
		return nil, err
	}
	bad := func(why string) ([]byte, error) {
		return nil, fmt.Errorf("remote %s: manifest %s: %w: %s", b.url, key, store.ErrCorrupt, why)
	}
	if m.ArtifactType != ArtifactTypeNode && m.ArtifactType != ArtifactTypeRecord {
		return bad("not a dsbuild artifact (artifactType " + strconv.Quote(m.ArtifactType) + ")")
	}
	if m.Annotations[AnnKey] != key.String() {
		return bad("filed for another key (" + m.Annotations[AnnKey] + ")")
	}
	if len(m.Layers) == 0 || m.Layers[0].MediaType != MediaTypeManifest {
		return bad("no dsbuild manifest layer")
	}
	l := m.Layers[0]
	if l.Size < 0 || l.Size > cache.MaxKeySize || validDigest(l.Digest) != nil {
		return bad(fmt.Sprintf("manifest layer of %d bytes", l.Size))
	}
	rc, err := b.repo.Blobs().Fetch(ctx, l)
	if err != nil {
		if servedWrong(err) {
			return bad(err.Error())
		}
		return nil, b.wrap("manifest "+key.String(), err)
	}
	defer rc.Close()
	raw, err := content.ReadAll(rc, l)
	if err != nil {
		return bad(fmt.Sprintf("layer %s: %v", l.Digest, err))
	}
	return raw, nil
}

// nodeFields is what the annotations show of a dsbuild node manifest.
type nodeFields struct {
	Op        string        `json:"op"`
	Blob      digest.Digest `json:"blob"`
	Size      int64         `json:"size"`
	MediaType string        `json:"mediaType"`
	Rows      int64         `json:"rows"`
	Schema    []string      `json:"schema"`
	Logical   digest.Digest `json:"logical"`
}

func (b *ociBackend) pushBytes(ctx context.Context, mediaType string, p []byte) (ocispec.Descriptor, error) {
	d := content.NewDescriptorFromBytes(mediaType, p)
	ok, err := b.exists(ctx, store.Descriptor{Digest: d.Digest, Size: d.Size})
	if err != nil {
		return d, err
	}
	if !ok {
		if err := b.push(ctx, store.Descriptor{Digest: d.Digest, Size: d.Size}, bytes.NewReader(p)); err != nil {
			return d, err
		}
	}
	return d, nil
}

// pushArtifact pushes an artifact manifest with an empty config and tags it.
//
// A registry that stores links as plain files (distribution's filesystem
// driver rewrites a blob's link in place when the blob is uploaded again)
// can, while another writer re-links a blob, report it unknown to a
// manifest that names it: a transient answer, so the push is tried again
// a few times after checking that every blob it names is there.
func (b *ociBackend) pushArtifact(ctx context.Context, artifactType string, layers []ocispec.Descriptor, ann map[string]string, tag string) error {
	empty := ocispec.DescriptorEmptyJSON
	b.emptyMu.Lock()
	if !b.emptyPushed {
		if _, err := b.pushBytes(ctx, empty.MediaType, empty.Data); err != nil {
			b.emptyMu.Unlock()
			return err
		}
		b.emptyPushed = true
	}
	b.emptyMu.Unlock()
	empty.Data = nil
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       empty,
		Layers:       layers,
		Annotations:  ann,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	for attempt := 1; ; attempt++ {
		err = b.repo.PushReference(ctx, d, bytes.NewReader(raw), tag)
		if err == nil || attempt == 5 || !blobUnknown(err) {
			return b.wrap("push manifest "+tag, err)
		}
		for _, l := range append([]ocispec.Descriptor{empty}, layers...) {
			ok, err := b.exists(ctx, store.Descriptor{Digest: l.Digest, Size: l.Size})
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("remote %s: push manifest %s: blob %s is missing from the registry", b.url, tag, l.Digest)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// blobUnknown reports a registry's "manifest names a blob it does not
// know" (or an unreadable link to it).
func blobUnknown(err error) bool {
	var er *errcode.ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != http.StatusBadRequest {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == errcode.ErrorCodeManifestBlobUnknown || e.Code == "BLOB_UNKNOWN" || e.Code == "DIGEST_INVALID" {
			return true
		}
	}
	return false
}

func (b *ociBackend) putManifest(ctx context.Context, key digest.Digest, p []byte, node string) error {
	ld, err := b.pushBytes(ctx, MediaTypeManifest, p)
	if err != nil {
		return err
	}
	ld.Annotations = map[string]string{ocispec.AnnotationTitle: "dsbuild-manifest.json"}
	layers := []ocispec.Descriptor{ld}
	ann := map[string]string{AnnKey: key.String()}
	if node != "" {
		ann[AnnNode] = node
	}
	artifactType := ArtifactTypeRecord
	var f nodeFields
	if json.Unmarshal(p, &f) == nil && f.MediaType != "" && validDigest(f.Blob) == nil && f.Size >= 0 {
		// A node result: its blob is referenced (so the registry keeps it
		// and a copy of the tag brings it) and described.
		artifactType = ArtifactTypeNode
		layers = append(layers, ocispec.Descriptor{MediaType: f.MediaType, Digest: f.Blob, Size: f.Size})
		schema, _ := json.Marshal(f.Schema)
		ann[AnnOp] = f.Op
		ann[AnnRows] = strconv.FormatInt(f.Rows, 10)
		ann[AnnSchema] = string(schema)
		ann[AnnLogical] = f.Logical.String()
	}
	return b.pushArtifact(ctx, artifactType, layers, ann, keyTag(key))
}

var tagUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// BuildTag is the tag of a build: the recipe name (made tag-safe) and the
// hex of the lock's digest.
func BuildTag(recipe string, lock digest.Digest) string {
	name := strings.TrimLeft(tagUnsafe.ReplaceAllString(recipe, "_"), ".-")
	if name == "" {
		name = "recipe"
	}
	if len(name) > 60 {
		name = name[:60]
	}
	return name + "-" + lock.Encoded()
}

func (b *ociBackend) publishBuild(ctx context.Context, bd Build) (string, error) {
	ld, err := b.pushBytes(ctx, MediaTypeLock, bd.Lock)
	if err != nil {
		return "", err
	}
	ld.Annotations = map[string]string{ocispec.AnnotationTitle: bd.LockPath}
	layers := []ocispec.Descriptor{ld}
	for _, o := range bd.Outputs {
		layers = append(layers, ocispec.Descriptor{
			MediaType: o.MediaType, Digest: o.Blob.Digest, Size: o.Blob.Size,
			Annotations: map[string]string{ocispec.AnnotationTitle: o.Path},
		})
	}
	tag := BuildTag(bd.Recipe, ld.Digest)
	ann := map[string]string{AnnRecipe: bd.Recipe, AnnLockDigest: ld.Digest.String()}
	if err := b.pushArtifact(ctx, ArtifactTypeBuild, layers, ann, tag); err != nil {
		return "", err
	}
	return strings.TrimPrefix(b.url, "oci://") + ":" + tag, nil
}
