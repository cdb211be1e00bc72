package graph

import (
	"sort"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/store"
)

// EntryKind tells what a StoreEntry holds.
type EntryKind int

const (
	// EntryNode is a node's manifest (under Key) and output blob (Blob).
	EntryNode EntryKind = iota
	// EntryFetchRecord is what a fetch node's result needs besides its
	// manifest: the record of the fetched bytes, under Key (no blob).
	EntryFetchRecord
	// EntryFetched is the raw fetched bytes (Blob only, no key).
	EntryFetched
)

// StoreEntry is one thing a lock pins in a store.
type StoreEntry struct {
	Kind EntryKind
	Node string
	Key  digest.Digest
	Blob store.Descriptor // zero Digest for a fetch record
	// Output is the project path of the file a node writes ("" if none).
	Output string
}

// LockEntries lists what lock l pins in a store, in a stable order: every
// node's manifest key and output blob, and every fetch's record key and
// raw bytes. A build is reused from a store holding the node and fetch
// record entries; the raw bytes are needed only to run a fetch node again.
func LockEntries(l *Lock) []StoreEntry {
	ids := make([]string, 0, len(l.Nodes))
	for id := range l.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []StoreEntry
	for _, id := range ids {
		n := l.Nodes[id]
		e := StoreEntry{Kind: EntryNode, Node: id, Key: n.Key, Blob: store.Descriptor{Digest: n.Blob, Size: n.Size}}
		if o, ok := l.Outputs[id]; ok {
			e.Output = o.Path
		}
		out = append(out, e)
		if fr, ok := l.Fetches[id]; ok {
			out = append(out,
				StoreEntry{Kind: EntryFetchRecord, Node: id, Key: fetchRecordKey(fr.URL, fr.Digest)},
				StoreEntry{Kind: EntryFetched, Node: id, Blob: store.Descriptor{Digest: fr.Digest, Size: fr.Size}})
		}
	}
	return out
}
