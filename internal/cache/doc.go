// Package cache owns dsbuild's local content-addressed store, the local
// implementation of store.Store and of every optional capability there
// (paths, mapping, stamps, ingest cleanup, streaming writers): immutable
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
// the same pass, then fsyncs and renames it into place (atomicfile). The writer holds an
// advisory lock on its temp file until then, so a process killed mid-write
// leaves a file nobody holds, which CleanIngest removes; any number of
// goroutines or processes may write the same entry concurrently.
//
// Every entry is read as a regular file only: a link, FIFO or device under
// blobs/, keys/ or verified/ is never followed or read (it is a miss, and is
// removed). A blob is never read past the size it had when opened; a key
// file is capped at MaxKeySize and carries a check line binding its bytes to
// its key, so a key file that is damaged or copied over another is a miss.
package cache
