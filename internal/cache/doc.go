// Package cache owns dsbuild's local content-addressed store: immutable
// blobs named by their sha256 digest under blobs/sha256/<hex>, small
// manifests named by an action key under keys/sha256/<hex>, and the ingest/
// directory where every write is staged before an atomic rename.
//
// The store treats blobs and manifests as opaque bytes. It must never import
// Arrow, HCL, ops or graph, never interpret what it stores, never build a
// filesystem path from a digest that has not been validated, and never let a
// reader observe a partially written or corrupt entry: a corrupt entry is
// removed and reported as ErrCorrupt so that callers treat it as a miss.
//
// Every write streams into a uniquely named temp file in ingest/, hashing in
// the same pass, then fsyncs and renames it into place. A process killed
// mid-write therefore leaves at most a stale file in ingest/ (see
// CleanIngest), and any number of goroutines or processes may write the same
// entry concurrently.
package cache
