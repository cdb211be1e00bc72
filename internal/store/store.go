// Package store defines what dsbuild asks of a content-addressed store, as
// small interfaces in the manner of ORAS's content package: blobs fetched,
// pushed and checked by digest, and manifests (the small documents filed
// under an action key: node manifests, fetch records, memo entries) got and
// put by key. Every method takes a context and returns an error, so a store
// across a network fits behind the same interface as the local one
// (internal/cache); ReadThrough composes two of them.
//
// The package owns the interfaces, the sentinel errors every implementation
// wraps (test them with errors.Is), and compositions written only in terms
// of the interfaces. It must never import Arrow, HCL, ops or graph, never
// interpret the bytes it moves, and never report a failure to reach a store
// as a miss: Exists returns (false, nil) only when the store answered that
// the blob is not there.
//
// What only a store on this machine can do (give a file path to a decoder,
// memory-map a blob, stamp files, clean up after killed writers, stream a
// blob in as it is produced) is a separate optional interface below,
// checked with a type assertion by whoever needs it.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

var (
	// ErrNotFound reports a blob or manifest that is not in the store.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt reports an entry whose content does not match its name; an
	// implementation removes it (where it can) before returning, so callers
	// treat it as a miss.
	ErrCorrupt = errors.New("corrupt")
	// ErrDigestMismatch reports pushed content that differs from the digest
	// the caller expected; see DigestMismatchError.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrInvalidDigest reports a digest that is malformed or of an
	// unsupported algorithm. It is returned before the digest is used to
	// name anything.
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrUnverified: the blob changed (or was never hashed) since it last
	// matched its name, so it cannot be used without hashing; read it
	// through Fetch.
	ErrUnverified = errors.New("not verified since it last changed")
	// ErrUnsupported reports an optional capability the store lacks.
	ErrUnsupported = errors.New("not supported by this store")
)

// Descriptor names a blob by content and length. A negative Size means
// "any size" where a method accepts a descriptor to look something up.
type Descriptor struct {
	Digest digest.Digest
	Size   int64
}

// DigestMismatchError is returned, wrapping ErrDigestMismatch, by a push
// whose content does not hash to the expected digest. Size is the number of
// bytes actually received.
type DigestMismatchError struct {
	Expected, Actual digest.Digest
	Size             int64
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("%v: expected %s, got %s (%d bytes)", ErrDigestMismatch, e.Expected, e.Actual, e.Size)
}

func (e *DigestMismatchError) Unwrap() error { return ErrDigestMismatch }

// Fetcher reads blobs. The reader verifies what it returns: a blob whose
// content does not match its digest makes a read fail with ErrCorrupt no
// later than the last byte, so a consumer that reads to the end never acts
// on wrong bytes.
type Fetcher interface {
	Fetch(ctx context.Context, d Descriptor) (io.ReadCloser, error)
}

// Pusher writes blobs. Push reads r to its end and stores it under its
// digest; with expected.Digest != "" content that hashes otherwise is a
// *DigestMismatchError and is not stored. Pushing a blob that is already
// there is not an error.
type Pusher interface {
	Push(ctx context.Context, expected Descriptor, r io.Reader) (Descriptor, error)
}

// Exister checks blobs without reading them. A blob of another size than
// d.Size (when d.Size >= 0) does not exist. An error means the store could
// not answer, never a miss.
type Exister interface {
	Exists(ctx context.Context, d Descriptor) (bool, error)
}

// ManifestStore files small documents under action keys. GetManifest
// returns ErrNotFound for a key with nothing filed, and ErrCorrupt for an
// entry that is not bound to its key (damaged, or copied from another key).
// PutManifest replaces what is filed under the key atomically.
type ManifestStore interface {
	GetManifest(ctx context.Context, key digest.Digest) ([]byte, error)
	PutManifest(ctx context.Context, key digest.Digest, b []byte) error
}

// Store is everything dsbuild needs of a store: the local one, a remote, or
// a composition of them.
type Store interface {
	Fetcher
	Pusher
	Exister
	ManifestStore
}

// Optional capabilities. They take no context: they are local file-system
// operations, answered at once.

// Deleter forgets entries (a lost input's producer is run again).
type Deleter interface {
	Delete(d digest.Digest) error
	DeleteKey(key digest.Digest) error
}

// Verifier re-hashes a blob in full, whatever it remembers of it.
type Verifier interface {
	Verify(d digest.Digest) error
}

// PathVerifier gives the path of a blob on this machine to a reader that
// opens the file itself, after making sure its content matches its digest.
type PathVerifier interface {
	VerifiedPath(d digest.Digest) (path string, size int64, err error)
}

// Mapper maps a verified blob into memory read-only. It returns
// ErrUnverified when the blob must be read (and hashed) through Fetch.
type Mapper interface {
	Map(d digest.Digest) (data []byte, release func() error, err error)
}

// FileStamper remembers that a file outside the store (a build output, a
// local input) held content d while its identity stays unchanged.
type FileStamper interface {
	FileMatches(path string, d digest.Digest) bool
	StampFile(path string, d digest.Digest)
}

// IngestCleaner removes the leftovers of writers that were killed.
type IngestCleaner interface {
	CleanIngest() error
}

// BlobWriter streams one blob in as it is produced. Nothing is visible
// until Commit; Abort (idempotent, a no-op after Commit) discards it.
type BlobWriter interface {
	io.Writer
	Size() int64
	Commit(expected digest.Digest) (Descriptor, error)
	Abort() error
}

// Ingester starts blob writers.
type Ingester interface {
	NewBlobWriter() (BlobWriter, error)
}

// IsMiss reports whether err means "not there or not usable": the entry is
// missing or was found corrupt. Any other error is a failure to answer.
func IsMiss(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt)
}

// Verify re-hashes blob d in full: with the store's own Verifier, else by
// reading it to its end through Fetch (whose reader verifies).
func Verify(ctx context.Context, s Store, d digest.Digest) error {
	if v, ok := s.(Verifier); ok {
		return v.Verify(d)
	}
	rc, err := s.Fetch(ctx, Descriptor{Digest: d, Size: -1})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// EnsureVerified makes sure blob d matches its digest before a decoder
// trusts the lengths written in it: a PathVerifier's stamp or hash, else a
// full read.
func EnsureVerified(ctx context.Context, s Store, d digest.Digest) error {
	if pv, ok := s.(PathVerifier); ok {
		_, _, err := pv.VerifiedPath(d)
		return err
	}
	return Verify(ctx, s, d)
}
