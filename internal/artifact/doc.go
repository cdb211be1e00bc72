// Package artifact owns the format of a node's stored output: one Arrow IPC
// stream, its batches re-cut to a fixed number of rows (Rows) or bytes of
// values (MaxBytes) so that its bytes depend only on the data, written
// through a store.BlobWriter while a logical digest is taken in the same
// pass (Writer), and read back either through the store's verifying reader
// (Open) or, once verified, memory-mapped and decoded in place (OpenMapped).
// Format names the encoding; it enters every key.
//
// The package knows Arrow and the store interface; it must never import
// graph, never decide what to run or cache, and never decode a blob's
// lengths before the blob is verified (VerifiedSchema, OpenVerified) or
// while it is being verified to its end (Open).
package artifact

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// VerifiedSchema returns a stored artifact's schema, after verifying the
// whole blob: a decoder trusts the lengths written in an artifact, and a
// blob holding other bytes (damaged or swapped) could make it allocate
// gigabytes before a verifying reader reached the end.
func VerifiedSchema(ctx context.Context, s store.Store, mem memory.Allocator, blob digest.Digest) (*arrow.Schema, error) {
	if err := store.EnsureVerified(ctx, s, blob); err != nil {
		return nil, err
	}
	return ReadSchema(ctx, s, mem, blob)
}

// OpenVerified opens a stored artifact after verifying the whole blob.
func OpenVerified(ctx context.Context, s store.Store, mem memory.Allocator, blob digest.Digest) (array.RecordReader, error) {
	if err := store.EnsureVerified(ctx, s, blob); err != nil {
		return nil, err
	}
	return Open(ctx, s, mem, blob)
}
