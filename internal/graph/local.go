package graph

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// An unpinned local input (a path or file:// URL, or a directory or glob,
// without a digest in the recipe) takes its pin from the lock, but the lock
// only says what the files held when it was written. Every build, plan and
// check re-reads them first (a file whose stamp shows it unchanged is not
// re-hashed): a change gives the node its new digest, so it and everything
// downstream miss the cache, the lock is rewritten, and --locked fails.

// refreshLocal re-checks every unpinned local input once per plan. s may be
// nil (no stamps: every file is hashed).
func (p *Plan) refreshLocal(s store.Store) error {
	if p.localChecked {
		return p.localErr
	}
	p.localChecked = true
	changed := false
	for _, n := range p.Nodes {
		src, ok := n.Op.(ops.Source)
		if !ok || n.PinFrom != "lock" || src.Pin() != "" {
			continue
		}
		cur, err := p.localDigest(s, n, src)
		if err != nil {
			// Unreadable now: fetching it reports why.
			n.lockedPin, n.Pin, n.PinFrom = n.Pin, "", ""
			changed = true
			continue
		}
		if cur == "" || cur == n.Pin {
			continue
		}
		n.lockedPin, n.Pin, n.PinFrom = n.Pin, cur, "local"
		changed = true
	}
	if changed {
		for _, n := range p.Nodes {
			n.Key, n.Preimage = "", ""
			p.computeKey(n, p.debugKeys)
		}
	}
	return nil
}

// localDigest returns the current digest of a local source's content, or
// "" if it is not local.
func (p *Plan) localDigest(s store.Store, n *Node, src ops.Source) (digest.Digest, error) {
	if tree, ok := src.(ops.TreeSource); ok {
		return p.treeDigest(s, n, tree)
	}
	path, ok := fetch.LocalPath(src.URLs()[0], p.Recipe.Dir)
	if !ok {
		return "", nil
	}
	return stampedDigest(s, path, n.Pin)
}

// stampedDigest is the digest of the file at path: want when the file's
// stamp shows it unchanged since it was seen holding want, else its hash.
func stampedDigest(s store.Store, path string, want digest.Digest) (digest.Digest, error) {
	// The same rules as fetching it: a regular file, never a FIFO, device
	// or pseudo file system (checked again as it is opened for hashing).
	if err := fetch.CheckLocalPath(path); err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	if s != nil && want != "" && fileMatches(s, path, want) {
		return want, nil
	}
	d, _, err := fetch.HashFile(context.Background(), path)
	if err != nil {
		return "", err
	}
	if s != nil {
		stampFile(s, path, d)
	}
	return d, nil
}

// treeDigest is the digest of a tree's listing as it is now, re-hashing
// only files changed since the locked listing was stored.
func (p *Plan) treeDigest(s store.Store, n *Node, src ops.TreeSource) (digest.Digest, error) {
	dir, pattern := src.Tree()
	rels, err := fetch.ListTree(dir, pattern)
	if err != nil {
		return "", err
	}
	if len(rels) == 0 {
		return "", fmt.Errorf("%s matches no files", src.URLs()[0])
	}
	old := map[string]digest.Digest{}
	if s != nil && n.Pin != "" {
		if b, ok := storedListing(s, n.Pin); ok {
			if es, err := fetch.ParseListing(b); err == nil {
				for _, e := range es {
					old[e.Rel] = e.Digest
				}
			}
		}
	}
	entries := make([]fetch.TreeEntry, len(rels))
	for i, rel := range rels {
		d, err := stampedDigest(s, filepath.Join(dir, filepath.FromSlash(rel)), old[rel])
		if err != nil {
			return "", err
		}
		entries[i] = fetch.TreeEntry{Rel: rel, Digest: d}
	}
	return fetch.ListingDigest(entries), nil
}

// storedListing reads a tree listing blob, verified.
func storedListing(s store.Store, pin digest.Digest) ([]byte, bool) {
	rc, err := s.Fetch(context.Background(), store.Descriptor{Digest: pin, Size: -1})
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// fetchRecordOf is what the lock records for a fetch node whose result is
// stored: its fetch record, if the store has one for its URL and pin.
func (p *Plan) fetchRecordOf(s store.Store, n *Node) *FetchRecord {
	src := n.Op.(ops.Source)
	fr, ok := getFetchRecord(context.Background(), s, src.URLs()[0], n.Pin)
	if !ok {
		return nil
	}
	return fr
}
