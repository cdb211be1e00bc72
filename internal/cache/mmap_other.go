//go:build !unix

package cache

import "github.com/opencontainers/go-digest"

// Map is not supported here: every reader goes through Open.
func (s *Store) Map(d digest.Digest) ([]byte, func() error, error) {
	if _, err := s.blobPath(d); err != nil {
		return nil, nil, err
	}
	return nil, nil, ErrUnverified
}

// Unneeded is a no-op where blobs are not mapped.
func Unneeded(b []byte) {}
