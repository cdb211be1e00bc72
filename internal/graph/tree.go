package graph

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// A tree fetch stores every matched file as a blob and, as one more blob,
// its listing (fetch.RenderListing); the listing's digest is the pin, so a
// cached tree is found from the pin alone.

// fetchTree makes sure every file of a tree source is in the store and the
// tree matches its pin; it returns the blobs' paths and the files' names.
func (p *Plan) fetchTree(ctx context.Context, n *Node, src ops.TreeSource, o *ExecOptions, res *Result) ([]string, []string, error) {
	dir, pattern := src.Tree()
	url := src.URLs()[0]
	if n.Pin != "" {
		if paths, names, size, ok := storedTree(o.Store, n.Pin); ok {
			fr := FetchRecord{URL: url, Digest: n.Pin, Size: size}
			if err := putFetchRecord(ctx, o.Store, fr); err != nil {
				return nil, nil, err
			}
			res.Fetch = &fr
			return paths, names, nil
		}
	}
	rels, err := fetch.ListTree(dir, pattern)
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s: %w", url, err)
	}
	if len(rels) == 0 {
		return nil, nil, fmt.Errorf("%s matches no files", url)
	}
	entries := make([]fetch.TreeEntry, len(rels))
	var size int64
	// The lock's size of the tree and the max fetch size bound the files
	// together; each is opened as a regular file and read no further than
	// the size it had when opened.
	pinSize, maxSize := p.pinnedSize(n), o.Fetcher.MaxFetchSize()
	for i, rel := range rels {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		f, fsize, err := o.Fetcher.OpenFile(ctx, filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, nil, err
		}
		if pinSize > 0 && size+fsize > pinSize {
			f.Close()
			return nil, nil, &PinError{Node: n.ID, URL: url, Want: n.Pin, Source: "file:" + dir, WantSize: pinSize, GotSize: pinSize, GotMore: true}
		}
		if size+fsize > maxSize {
			f.Close()
			return nil, nil, fmt.Errorf("%s: its files have more than %d bytes, %w of %s (set --max-fetch-size or DSBUILD_MAX_FETCH_SIZE to raise it)",
				url, maxSize, fetch.ErrTooLarge, fetch.FormatSize(maxSize))
		}
		desc, err := o.Store.Push(ctx, store.Descriptor{Size: -1}, f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", rel, err)
		}
		entries[i] = fetch.TreeEntry{Rel: rel, Digest: desc.Digest}
		size += desc.Size
		o.Events.Progress(n, 0, size)
	}
	listing := fetch.RenderListing(entries)
	got := digest.FromBytes(listing)
	if n.Pin != "" && got != n.Pin {
		return nil, nil, &PinError{Node: n.ID, URL: url, Want: n.Pin, Got: got, Source: "file:" + dir}
	}
	if _, err := o.Store.Push(ctx, store.Descriptor{Digest: got, Size: int64(len(listing))}, bytes.NewReader(listing)); err != nil {
		return nil, nil, err
	}
	if n.Pin == "" {
		n.Pin, n.PinFrom = got, "fetched"
	}
	paths, names, vsize, ok := storedTree(o.Store, got)
	if !ok || vsize != size {
		return nil, nil, fmt.Errorf("%s: tree vanished from the store while it was fetched", url)
	}
	fr := FetchRecord{URL: url, Digest: got, Size: size}
	if err := putFetchRecord(ctx, o.Store, fr); err != nil {
		return nil, nil, err
	}
	res.Fetch = &fr
	return paths, names, nil
}

// storedTree resolves a pinned tree from the store alone. The listing and
// every file are verified (stamp or hash) before their paths are handed to
// a decoder; one that is missing or corrupt makes the whole tree a miss.
func storedTree(s store.Store, pin digest.Digest) (paths, names []string, size int64, ok bool) {
	b, ok := storedListing(s, pin)
	if !ok {
		return nil, nil, 0, false
	}
	entries, err := fetch.ParseListing(b)
	if err != nil {
		return nil, nil, 0, false
	}
	for _, e := range entries {
		path, n, err := verifiedPath(s, e.Digest)
		if err != nil {
			return nil, nil, 0, false
		}
		size += n
		paths = append(paths, path)
		names = append(names, e.Rel)
	}
	return paths, names, size, true
}
