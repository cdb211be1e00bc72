package fetch

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
)

// A directory or glob fetch (a tree) is pinned by the digest of its
// listing: the lines `sha256sum` prints ("<hex>  <path>\n"), sorted by
// path. The listing's digest is the pin, so a user can compute it with
// `(cd DIR && sha256sum FILES | sort -k2) | sha256sum`, and a cached tree is
// found from the pin alone.

// TreeEntry is one file of a tree: its path relative to the tree, with
// forward slashes, and the digest of its content.
type TreeEntry struct {
	Rel    string
	Digest digest.Digest
}

// ParseListing reads a listing written by RenderListing.
func ParseListing(b []byte) ([]TreeEntry, error) {
	var out []TreeEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		hexs, rel, ok := strings.Cut(line, "  ")
		d := digest.NewDigestFromEncoded(digest.SHA256, hexs)
		if !ok || d.Validate() != nil || rel == "" {
			return nil, fmt.Errorf("malformed tree listing line %q", line)
		}
		out = append(out, TreeEntry{rel, d})
	}
	return out, nil
}

// RenderListing writes the lines `sha256sum` prints for the entries, in
// their order (ListTree's: sorted by path).
func RenderListing(es []TreeEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "%s  %s\n", e.Digest.Encoded(), e.Rel)
	}
	return b.Bytes()
}

// ListTree returns the files of a tree source, sorted by relative path:
// what `sha256sum` would read. The directory itself may be a link; below
// it, links to files count as those files (sha256sum follows them) while
// links to directories are not followed (no cycles) and dangling links are
// skipped. A matching device, FIFO or socket, or a link to one, is an
// error: fetches read regular files only.
func ListTree(dir, pattern string) ([]string, error) {
	if err := CheckLocalPath(dir); err != nil {
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
				if err := CheckLocalPath(shown); err != nil {
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

// ListingDigest is the pin of a tree with these entries.
func ListingDigest(es []TreeEntry) digest.Digest {
	return digest.FromBytes(RenderListing(es))
}
