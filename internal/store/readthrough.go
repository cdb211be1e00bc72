package store

import (
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

// ReadThrough reads from Local first and, on a miss, from Remote, copying
// what it finds into Local: a blob is pushed into Local against its digest
// while it streams in, so bytes that do not match are never stored or
// returned; a manifest is filed locally under the key it was asked for
// (Remote's own GetManifest checks that it belongs to that key). Writes go
// to Local only; writing back to a remote is the caller's decision.
//
// The optional capabilities are Local's, after the blob has been copied in.
type ReadThrough struct {
	Local, Remote Store
}

var (
	_ Store         = ReadThrough{}
	_ PathVerifier  = ReadThrough{}
	_ Mapper        = ReadThrough{}
	_ Ingester      = ReadThrough{}
	_ FileStamper   = ReadThrough{}
	_ IngestCleaner = ReadThrough{}
	_ Deleter       = ReadThrough{}
	_ Verifier      = ReadThrough{}
)

// pull makes sure Local has blob d, copying it from Remote if it is missing.
func (r ReadThrough) pull(ctx context.Context, d Descriptor) error {
	ok, err := r.Local.Exists(ctx, d)
	if err != nil || ok {
		return err
	}
	rc, err := r.Remote.Fetch(ctx, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := r.Local.Push(ctx, d, rc)
	if err != nil {
		return fmt.Errorf("store: copy %s from remote: %w", d.Digest, err)
	}
	if d.Size >= 0 && got.Size != d.Size {
		return fmt.Errorf("store: copy %s from remote: %w: %d bytes, want %d", d.Digest, ErrCorrupt, got.Size, d.Size)
	}
	return nil
}

// Fetch reads d from Local, copying it in from Remote on a miss. A corrupt
// local copy is a miss too (Local has removed it).
func (r ReadThrough) Fetch(ctx context.Context, d Descriptor) (io.ReadCloser, error) {
	rc, err := r.Local.Fetch(ctx, d)
	if err == nil || !IsMiss(err) {
		return rc, err
	}
	if err := r.pull(ctx, d); err != nil {
		return nil, err
	}
	return r.Local.Fetch(ctx, d)
}

// Push stores into Local.
func (r ReadThrough) Push(ctx context.Context, expected Descriptor, rd io.Reader) (Descriptor, error) {
	return r.Local.Push(ctx, expected, rd)
}

// Exists asks Local, then Remote. An error from either is returned, never
// taken for a miss.
func (r ReadThrough) Exists(ctx context.Context, d Descriptor) (bool, error) {
	ok, err := r.Local.Exists(ctx, d)
	if err != nil || ok {
		return ok, err
	}
	return r.Remote.Exists(ctx, d)
}

// GetManifest reads key from Local, else from Remote, filing a copy in Local.
func (r ReadThrough) GetManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	b, err := r.Local.GetManifest(ctx, key)
	if err == nil || !IsMiss(err) {
		return b, err
	}
	b, err = r.Remote.GetManifest(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := r.Local.PutManifest(ctx, key, b); err != nil {
		return nil, err
	}
	return b, nil
}

// PutManifest files into Local.
func (r ReadThrough) PutManifest(ctx context.Context, key digest.Digest, b []byte) error {
	return r.Local.PutManifest(ctx, key, b)
}

func unsupported(s Store, what string) error {
	return fmt.Errorf("store: %T cannot %s: %w", s, what, ErrUnsupported)
}

// VerifiedPath copies d in from Remote if Local lacks it.
func (r ReadThrough) VerifiedPath(d digest.Digest) (string, int64, error) {
	pv, ok := r.Local.(PathVerifier)
	if !ok {
		return "", 0, unsupported(r.Local, "give paths")
	}
	if err := r.pull(context.Background(), Descriptor{Digest: d, Size: -1}); err != nil {
		return "", 0, err
	}
	return pv.VerifiedPath(d)
}

// Map copies d in from Remote if Local lacks it.
func (r ReadThrough) Map(d digest.Digest) ([]byte, func() error, error) {
	m, ok := r.Local.(Mapper)
	if !ok {
		return nil, nil, ErrUnverified // read it through Fetch
	}
	if err := r.pull(context.Background(), Descriptor{Digest: d, Size: -1}); err != nil {
		return nil, nil, err
	}
	return m.Map(d)
}

// NewBlobWriter writes into Local.
func (r ReadThrough) NewBlobWriter() (BlobWriter, error) {
	return NewWriter(context.Background(), r.Local)
}

func (r ReadThrough) FileMatches(path string, d digest.Digest) bool {
	fs, ok := r.Local.(FileStamper)
	return ok && fs.FileMatches(path, d)
}

func (r ReadThrough) StampFile(path string, d digest.Digest) {
	if fs, ok := r.Local.(FileStamper); ok {
		fs.StampFile(path, d)
	}
}

func (r ReadThrough) CleanIngest() error {
	if c, ok := r.Local.(IngestCleaner); ok {
		return c.CleanIngest()
	}
	return nil
}

// Delete and DeleteKey forget Local's copy only.
func (r ReadThrough) Delete(d digest.Digest) error {
	if x, ok := r.Local.(Deleter); ok {
		return x.Delete(d)
	}
	return unsupported(r.Local, "delete")
}

func (r ReadThrough) DeleteKey(key digest.Digest) error {
	if x, ok := r.Local.(Deleter); ok {
		return x.DeleteKey(key)
	}
	return unsupported(r.Local, "delete")
}

// Verify re-hashes Local's copy.
func (r ReadThrough) Verify(d digest.Digest) error {
	return Verify(context.Background(), r.Local, d)
}
