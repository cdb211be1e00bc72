package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/opencontainers/go-digest"
)

// GetKey returns the manifest stored under key k.
func (s *Store) GetKey(k digest.Digest) ([]byte, error) {
	p, err := s.keyPath(k)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, notFound("key", k, p, err)
	}
	return b, nil
}

// PutKey stores manifest under key k atomically: readers see the old or the
// new manifest, never a mix. Concurrent writers race and the last rename wins.
func (s *Store) PutKey(k digest.Digest, manifest []byte) error {
	p, err := s.keyPath(k)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.ingest, "key-*")
	if err != nil {
		return fmt.Errorf("cache: put key %s: %w", k, err)
	}
	tmp := f.Name()
	err = writeSynced(f, manifest)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err == nil {
		err = syncDir(s.keys)
	}
	if err != nil {
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("cache: put key %s: %w", k, err)
	}
	return nil
}

func writeSynced(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Chmod(keyMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// DeleteKey removes key k. Deleting a missing key returns ErrNotFound.
func (s *Store) DeleteKey(k digest.Digest) error {
	p, err := s.keyPath(k)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return notFound("delete key", k, p, err)
	}
	return nil
}

// Keys lists the keys in the store, sorted.
func (s *Store) Keys() ([]digest.Digest, error) {
	ents, err := os.ReadDir(s.keys)
	if err != nil {
		return nil, fmt.Errorf("cache: list keys in %s: %w", s.keys, err)
	}
	out := make([]digest.Digest, 0, len(ents))
	// os.ReadDir sorts by name, and "sha256:"+hex sorts like hex.
	for _, e := range ents {
		k := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if validate(k) == nil && e.Type().IsRegular() {
			out = append(out, k)
		}
	}
	return out, nil
}
