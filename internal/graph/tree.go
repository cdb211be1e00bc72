package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// A tree fetch stores every matched file as a blob and, as one more blob,
// its listing: the lines `sha256sum` prints ("<hex>  <path>\n"), sorted by
// path. The listing's digest is the pin, so a user can compute it with
// `(cd DIR && sha256sum FILES | sort -k2) | sha256sum`, and a cached tree is
// found from the pin alone.

type treeEntry struct {
	rel    string
	digest digest.Digest
}

func parseListing(b []byte) ([]treeEntry, error) {
	var out []treeEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		hexs, rel, ok := strings.Cut(line, "  ")
		d := digest.NewDigestFromEncoded(digest.SHA256, hexs)
		if !ok || d.Validate() != nil || rel == "" {
			return nil, fmt.Errorf("malformed tree listing line %q", line)
		}
		out = append(out, treeEntry{rel, d})
	}
	return out, nil
}

func renderListing(es []treeEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "%s  %s\n", e.digest.Encoded(), e.rel)
	}
	return b.Bytes()
}

// listTree returns the files of a tree source, sorted by relative path:
// what `sha256sum` would read. The directory itself may be a link; below
// it, links to files count as those files (sha256sum follows them) while
// links to directories are not followed (no cycles) and dangling links are
// skipped. A matching device, FIFO or socket, or a link to one, is an
// error: fetches read regular files only.
func listTree(dir, pattern string) ([]string, error) {
	if err := fetch.CheckLocalPath(dir); err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var rels []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if pattern != "" {
			ok, err := filepath.Match(pattern, rel)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
		}
		if !d.Type().IsRegular() {
			shown := filepath.Join(dir, filepath.FromSlash(rel))
			special := func() error {
				if err := fetch.CheckLocalPath(shown); err != nil {
					return err
				}
				return fmt.Errorf("%s changed while it was listed", shown)
			}
			if d.Type()&fs.ModeSymlink == 0 {
				return special()
			}
			st, err := os.Stat(path)
			switch {
			case err != nil || st.IsDir():
				return nil
			case !st.Mode().IsRegular():
				return special()
			}
		}
		rels = append(rels, rel)
		return nil
	})
	sort.Strings(rels)
	return rels, err
}

// fetchTree makes sure every file of a tree source is in the store and the
// tree matches its pin; it returns the blobs' paths and the files' names.
func (p *Plan) fetchTree(ctx context.Context, n *Node, src ops.TreeSource, o *ExecOptions) ([]string, []string, error) {
	dir, pattern := src.Tree()
	url := src.URLs()[0]
	if n.Pin != "" {
		if paths, names, size, ok := storedTree(o.Store, n.Pin); ok {
			fr := FetchRecord{URL: url, Digest: n.Pin, Size: size}
			if err := putFetchRecord(ctx, o.Store, fr); err != nil {
				return nil, nil, err
			}
			n.FetchInfo = &fr
			return paths, names, nil
		}
	}
	rels, err := listTree(dir, pattern)
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s: %w", url, err)
	}
	if len(rels) == 0 {
		return nil, nil, fmt.Errorf("%s matches no files", url)
	}
	entries := make([]treeEntry, len(rels))
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
		entries[i] = treeEntry{rel, desc.Digest}
		size += desc.Size
		o.Events.Progress(n, 0, size)
	}
	listing := renderListing(entries)
	sum := sha256.Sum256(listing)
	got := digest.NewDigestFromBytes(digest.SHA256, sum[:])
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
	n.FetchInfo = &fr
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
	entries, err := parseListing(b)
	if err != nil {
		return nil, nil, 0, false
	}
	for _, e := range entries {
		path, n, err := verifiedPath(s, e.digest)
		if err != nil {
			return nil, nil, 0, false
		}
		size += n
		paths = append(paths, path)
		names = append(names, e.rel)
	}
	return paths, names, size, true
}
