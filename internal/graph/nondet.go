package graph

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/projpath"
)

// nondeterminismNote explains a node whose key is unchanged but whose data
// is not: like Go's build cache under GODEBUG=gocacheverify=1, one key
// with two results means the op is not deterministic (or a lock or store
// was edited), never that the new result may quietly replace the old.
const nondeterminismNote = "same key, different data: the op is not deterministic, or the lock or the store was edited"

// Previous records, before a build, the logical digest each node's key
// had in the store (its manifest, even when its blob is gone and the node
// will run again), so Nondeterminism can compare a rebuild with it.
type Previous map[string]prevResult

type prevResult struct {
	key     digest.Digest
	logical digest.Digest
}

// PreviousResults reads what the store holds for every node's key.
func (p *Plan) PreviousResults(s *cache.Store) Previous {
	prev := Previous{}
	for _, n := range p.Nodes {
		if n.Key == "" {
			continue
		}
		if m, ok := getManifestAny(s, n.Key); ok && !m.Nondeterministic {
			prev[n.ID] = prevResult{n.Key, m.Logical}
		}
	}
	return prev
}

// Nondeterminism lists every node of an executed plan that ran under a key
// whose result was recorded before — in the lock, or in a manifest read by
// PreviousResults (nil: none) — with another logical digest. Nodes marked
// nondeterministic (an LLM backend) are expected to differ and are left
// out. Each line names the node, the key, what was recorded and what was
// got.
func (p *Plan) Nondeterminism(prev Previous) []string {
	var out []string
	for _, n := range p.Nodes {
		m := n.Manifest
		if m == nil || n.Key == "" || m.Nondeterministic {
			continue
		}
		if p.Lock != nil {
			if ln, ok := p.Lock.Nodes[n.ID]; ok && ln.Key == n.Key && !ln.Nondeterministic && ln.Logical != m.Logical {
				out = append(out, fmt.Sprintf("node %s: logical: expected %s (the lock), got %s under the unchanged key %s: %s",
					n.ID, ln.Logical, m.Logical, n.Key, nondeterminismNote))
				continue
			}
		}
		if pr, ok := prev[n.ID]; ok && pr.key == n.Key && pr.logical != m.Logical {
			out = append(out, fmt.Sprintf("node %s: logical: expected %s (the store's manifest), got %s under the unchanged key %s: %s",
				n.ID, pr.logical, m.Logical, n.Key, nondeterminismNote))
		}
	}
	return out
}

// ProjectOutputDiffs compares the output files present in the project with
// the lock: a file edited or replaced since it was built is a mismatch,
// named with its node, path, field, expected and got. A missing file is
// not (a clean clone has none; build restores them).
func (p *Plan) ProjectOutputDiffs() []string {
	if p.Lock == nil {
		return nil
	}
	var out []string
	for _, n := range p.Nodes {
		sink, ok := n.Op.(ops.Sink)
		if !ok {
			continue
		}
		rec, ok := p.Lock.Outputs[n.ID]
		if !ok || rec.Path != sink.Path() {
			continue // Diff names it
		}
		path := filepath.Join(p.ProjectDir, filepath.FromSlash(sink.Path()))
		fi, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			out = append(out, fmt.Sprintf("output %s: file %s in the project: %v", n.ID, sink.Path(), err))
			continue
		case !fi.Mode().IsRegular():
			out = append(out, fmt.Sprintf("output %s: file %s in the project: expected a regular file, got %s", n.ID, sink.Path(), projpath.Describe(fi)))
			continue
		}
		d, size, err := fileDigest(path)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("output %s: file %s in the project: %v", n.ID, sink.Path(), err))
		case d != rec.Digest:
			out = append(out, fmt.Sprintf("output %s: file %s in the project: digest: expected %s, got %s (size %d, locked %d)", n.ID, sink.Path(), rec.Digest, d, size, rec.Size))
		}
	}
	return out
}
