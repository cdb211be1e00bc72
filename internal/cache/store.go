package cache

import (
	// sha256 must be linked in for digest.SHA256.Available to report true.
	_ "crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// The sentinel errors are the store package's, so that callers holding a
// store.Store test them without knowing which store answered.
var (
	// ErrNotFound reports a blob or key that is not in the store.
	ErrNotFound = store.ErrNotFound
	// ErrCorrupt reports an entry whose content does not match its name; the
	// entry has been removed by the time the error is returned.
	ErrCorrupt = store.ErrCorrupt
	// ErrDigestMismatch reports a write whose content differs from the digest
	// the caller expected; see DigestMismatchError.
	ErrDigestMismatch = store.ErrDigestMismatch
	// ErrUnverified: the blob changed (or was never hashed) since it last
	// matched its name, so it cannot be mapped; read it through Open.
	ErrUnverified = store.ErrUnverified
	// ErrInvalidDigest reports a digest string that is malformed or not
	// sha256. It is returned before any path is derived from the digest.
	ErrInvalidDigest = store.ErrInvalidDigest

	// errNotRegular: a store entry is a link, FIFO, device or directory. The
	// store only ever creates regular files, so it is never read.
	errNotRegular = errors.New("not a regular file")
)

// DigestMismatchError is returned, wrapping ErrDigestMismatch, by
// Writer.Commit and Store.Put when the written content does not hash to the
// expected digest. Size is the number of bytes actually written.
type DigestMismatchError = store.DigestMismatchError

// Descriptor names a blob by content and length.
type Descriptor = store.Descriptor

// Store is a content-addressed store rooted at one directory. Its methods are
// safe for concurrent use by multiple goroutines and multiple processes
// sharing the same root.
type Store struct {
	// AlwaysVerify makes every Open re-hash the blob, ignoring stamps of
	// earlier verification (see stamp.go).
	AlwaysVerify bool

	root   string
	blobs  string
	keys   string
	ingest string
	stamps string

	// hashed holds the identity of each blob file this process hashed
	// itself (see stamp.go), keyed by digest.
	hashed sync.Map
}

const (
	blobMode = 0o444
	keyMode  = 0o644
	dirMode  = 0o755
)

// DefaultDir returns the store root used when none is configured:
// $DSBUILD_CACHE, else $XDG_CACHE_HOME/dsbuild, else os.UserCacheDir()/dsbuild.
func DefaultDir() (string, error) {
	if d := os.Getenv("DSBUILD_CACHE"); d != "" {
		return d, nil
	}
	// A relative $XDG_CACHE_HOME is invalid per the XDG spec; leaving it to
	// os.UserCacheDir gets its error message rather than a cwd-relative store.
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "dsbuild"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no cache directory (set DSBUILD_CACHE): %w", err)
	}
	return filepath.Join(d, "dsbuild"), nil
}

// Open opens the store at root, creating root/blobs/sha256, root/keys/sha256
// and root/ingest as needed.
func Open(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("cache: empty store root")
	}
	// An absolute root keeps Path results valid if the process later chdirs.
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cache: store root %s: %w", root, err)
	}
	s := &Store{
		root:   abs,
		blobs:  filepath.Join(abs, "blobs", "sha256"),
		keys:   filepath.Join(abs, "keys", "sha256"),
		ingest: filepath.Join(abs, "ingest"),
		stamps: filepath.Join(abs, "verified", "sha256"),
	}
	for _, d := range []string{s.blobs, s.keys, s.ingest, s.stamps} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return nil, fmt.Errorf("cache: open store %s: %w", abs, err)
		}
	}
	return s, nil
}

// Root returns the absolute store root.
func (s *Store) Root() string { return s.root }

// validate rejects anything but a well-formed lowercase sha256 digest. It
// must run before a digest becomes part of a path: the hex is what keeps
// "sha256:../../x" from escaping the store.
func validate(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidDigest, string(d), err)
	}
	// Validate accepts any linked-in algorithm (sha384/sha512 if some other
	// package imports crypto/sha512); the layout only has sha256.
	if d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("%w %q: algorithm %s is not supported, only sha256", ErrInvalidDigest, string(d), d.Algorithm())
	}
	return nil
}

func (s *Store) blobPath(d digest.Digest) (string, error) {
	if err := validate(d); err != nil {
		return "", err
	}
	return filepath.Join(s.blobs, d.Encoded()), nil
}

func (s *Store) keyPath(k digest.Digest) (string, error) {
	if err := validate(k); err != nil {
		return "", err
	}
	return filepath.Join(s.keys, k.Encoded()), nil
}

// Has reports whether the blob d is present as a regular file (never
// through a link) with exactly size bytes; a negative size accepts any size.
// It only stats the file: a same-size corruption is caught by Open, Verify
// or VerifiedPath, not here.
func (s *Store) Has(d digest.Digest, size int64) bool {
	p, err := s.blobPath(d)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return size < 0 || fi.Size() == size
}

// Path returns the path of blob d, unverified: for tests and messages.
// Readers that open the file themselves must use VerifiedPath.
func (s *Store) Path(d digest.Digest) (string, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return "", notFound("blob", d, p, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("cache: blob %s: %s is not a regular file", d, p)
	}
	return p, nil
}

func notFound(what string, d digest.Digest, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %s %s: %w", what, d, ErrNotFound)
	}
	return fmt.Errorf("cache: %s %s: %w", what, d, err)
}

// openBlob opens blob d's file. An entry that is not a regular file is
// removed (only the link or special file itself, never what it points to)
// and reported as ErrCorrupt: a miss that the next write replaces.
func (s *Store) openBlob(d digest.Digest) (*os.File, os.FileInfo, string, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, nil, "", err
	}
	f, fi, err := openEntry(p)
	if errors.Is(err, errNotRegular) {
		if rerr := removeFile(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, nil, p, fmt.Errorf("cache: blob %s: %w: %s is not a regular file (removing it failed: %v)", d, ErrCorrupt, p, rerr)
		}
		return nil, nil, p, fmt.Errorf("cache: blob %s: %w: %s is not a regular file", d, ErrCorrupt, p)
	}
	if err != nil {
		return nil, nil, p, notFound("blob", d, p, err)
	}
	return f, fi, p, nil
}

// Open returns a reader of blob d that re-hashes what it reads. When the
// last byte has been read (or at EOF) it compares the hash and length with
// the blob's name; on a mismatch it withholds that final chunk, removes the
// blob and returns an error wrapping ErrCorrupt, so a consumer that needs the
// whole blob can never act on corrupt content. It never reads past the size
// the file had when opened.
func (s *Store) Open(d digest.Digest) (io.ReadCloser, error) {
	f, fi, p, err := s.openBlob(d)
	if err != nil {
		return nil, err
	}
	if s.stampValid(d, fi) {
		return &stampedReader{f: f, d: d, size: fi.Size()}, nil
	}
	return &verifyingReader{s: s, d: d, path: p, f: f, fi: fi, size: fi.Size(), h: digest.SHA256.Hash()}, nil
}

// Verify re-hashes blob d in full, stamp or not. A mismatch removes the
// blob and returns an error wrapping ErrCorrupt.
func (s *Store) Verify(d digest.Digest) error {
	f, fi, p, err := s.openBlob(d)
	if err != nil {
		return err
	}
	return s.hashAll(&verifyingReader{s: s, d: d, path: p, f: f, fi: fi, size: fi.Size(), h: digest.SHA256.Hash()})
}

func (s *Store) hashAll(rc *verifyingReader) error {
	defer rc.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	_, err := io.CopyBuffer(io.Discard, onlyReader{rc}, *bp)
	return err
}

// VerifiedPath returns the path and size of blob d for a reader that opens
// the file itself (a decoder given a path), after making sure its content
// matches its name: its stamp shows it unchanged since it last hashed
// correctly, or it is hashed now (always, with AlwaysVerify). A corrupt,
// truncated or non-regular blob is removed and reported as ErrCorrupt.
func (s *Store) VerifiedPath(d digest.Digest) (string, int64, error) {
	f, fi, p, err := s.openBlob(d)
	if err != nil {
		return "", 0, err
	}
	if s.stampValid(d, fi) {
		f.Close()
		return p, fi.Size(), nil
	}
	if err := s.hashAll(&verifyingReader{s: s, d: d, path: p, f: f, fi: fi, size: fi.Size(), h: digest.SHA256.Hash()}); err != nil {
		return "", 0, err
	}
	return p, fi.Size(), nil
}

// onlyReader hides WriterTo/ReaderFrom so io.CopyBuffer uses our buffer.
type onlyReader struct{ io.Reader }

// removeIfSame removes path only if it is still the file described by fi.
// Another writer may have renamed a good copy over a corrupt one since we
// opened it; deleting that copy would only cost a rebuild, but is avoidable.
func removeIfSame(path string, fi os.FileInfo) error {
	cur, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if !os.SameFile(cur, fi) {
		return nil
	}
	return removeFile(path)
}

// removeFile removes a possibly read-only file. Unix only needs write
// permission on the directory; Windows refuses to delete read-only files.
func removeFile(path string) error {
	err := os.Remove(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Never chmod through a link: it would change its target.
	if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode().IsRegular() && os.Chmod(path, keyMode) == nil {
		return os.Remove(path)
	}
	return err
}

// Delete removes blob d. Deleting a missing blob returns ErrNotFound.
func (s *Store) Delete(d digest.Digest) error {
	p, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if err := removeFile(p); err != nil {
		return notFound("delete blob", d, p, err)
	}
	return nil
}

// Blobs lists the blobs in the store, sorted by digest. Entries whose name
// is not a sha256 hex string are skipped: they cannot be addressed anyway.
func (s *Store) Blobs() ([]Descriptor, error) {
	ents, err := os.ReadDir(s.blobs)
	if err != nil {
		return nil, fmt.Errorf("cache: list blobs in %s: %w", s.blobs, err)
	}
	out := make([]Descriptor, 0, len(ents))
	// os.ReadDir sorts by name, and "sha256:"+hex sorts like hex.
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if validate(d) != nil || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since ReadDir
			}
			return nil, fmt.Errorf("cache: list blobs: %s: %w", e.Name(), err)
		}
		out = append(out, Descriptor{Digest: d, Size: fi.Size()})
	}
	return out, nil
}

// CleanIngest removes the files in ingest/ that no live process owns: the
// leftovers of writers that were killed. Every writer holds an exclusive
// lock on its temp file from creating it until it has been renamed away or
// removed (see createIngest), and the kernel drops the lock when the writer
// dies, so a file whose lock can be taken belongs to nobody. Anything in
// ingest/ that is not a regular file was never put there by a writer and is
// removed too. Where the OS has no such locks (Windows) nothing is removed.
func (s *Store) CleanIngest() error {
	if !canClean {
		return nil
	}
	ents, err := os.ReadDir(s.ingest)
	if err != nil {
		return fmt.Errorf("cache: clean ingest %s: %w", s.ingest, err)
	}
	var errs []error
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(s.ingest, e.Name())
		if err := cleanIngestFile(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cache: clean ingest: %w", err))
		}
	}
	return errors.Join(errs...)
}

func cleanIngestFile(p string) error {
	f, fi, err := openEntry(p)
	if errors.Is(err, errNotRegular) {
		return removeFile(p)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if !tryLockExclusive(f) {
		return nil // its writer is alive
	}
	// Still the file we locked: a name in ingest/ is never reused.
	return removeIfSame(p, fi)
}

// createIngest creates a temp file in ingest/ and locks it for the life of
// the returned file. A cleaner may have removed the file between its
// creation and our lock (it found it unlocked); then it has no links left
// and another is made.
func (s *Store) createIngest(pattern string) (*os.File, error) {
	for {
		f, err := os.CreateTemp(s.ingest, pattern)
		if err != nil {
			return nil, err
		}
		// A filesystem without locks (an old NFS mount) fails the lock
		// with ENOLCK or the like: the file stays unlocked, and a cleaner's
		// try-lock fails the same way, so it is never taken for a dead
		// writer's.
		_ = lockExclusive(f)
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
		if cur, err := os.Lstat(f.Name()); err == nil && os.SameFile(cur, fi) {
			return f, nil
		}
		f.Close()
	}
}
