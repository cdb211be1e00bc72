package graph

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// The executor needs only a store.Store. What a store on this machine can
// do besides (paths for decoders, mapping, stamps, cleanup, forgetting) is
// used when the store has it, through these helpers, and otherwise done the
// slow way or skipped.

// verifiedPath is the path of blob d on this machine, its content checked.
// Decoders of fetched bytes need a file; a store without paths cannot feed
// them (a remote is used through store.ReadThrough, which has them).
func verifiedPath(s store.Store, d digest.Digest) (string, int64, error) {
	if pv, ok := s.(store.PathVerifier); ok {
		return pv.VerifiedPath(d)
	}
	return "", 0, fmt.Errorf("store %T gives no file paths: %w", s, store.ErrUnsupported)
}

func verifyBlob(ctx context.Context, s store.Store, d digest.Digest) error {
	return store.Verify(ctx, s, d)
}

func fileMatches(s store.Store, path string, d digest.Digest) bool {
	fs, ok := s.(store.FileStamper)
	return ok && fs.FileMatches(path, d)
}

func stampFile(s store.Store, path string, d digest.Digest) {
	if fs, ok := s.(store.FileStamper); ok {
		fs.StampFile(path, d)
	}
}

// forgetEntry drops a key and a blob; a store that cannot forget is left
// as it is (a corrupt blob there is caught again by its verifying reads).
func forgetEntry(s store.Store, key, blob digest.Digest) {
	d, ok := s.(store.Deleter)
	if !ok {
		return
	}
	if key != "" {
		d.DeleteKey(key)
	}
	if blob != "" {
		d.Delete(blob)
	}
}

func cleanIngest(s store.Store) {
	if c, ok := s.(store.IngestCleaner); ok {
		_ = c.CleanIngest()
	}
}
