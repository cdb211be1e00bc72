package graph

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/store"
)

// Show writes the first limit rows of a built node's output as JSON Lines
// (limit < 0: all of them). The node must be in the store: show never runs
// anything.
func (p *Plan) Show(s store.Store, n *Node, limit int64, w io.Writer) (*Manifest, error) {
	p.refreshLocal(s)
	if n.Key == "" {
		return nil, fmt.Errorf("%s has no key yet: an unpinned fetch upstream has not run", n.ID)
	}
	m, ok := nodeManifest(s, n)
	if !ok {
		return nil, fmt.Errorf("%s is not built in this cache; run dsbuild build first", n.ID)
	}
	if m.MediaType != MediaTypeArrowStream {
		// An output node: its table is its input's.
		if len(n.Deps) == 1 {
			return p.Show(s, n.Deps[0], limit, w)
		}
		return nil, fmt.Errorf("%s stores %s, not a table", n.ID, m.MediaType)
	}
	mem := memory.DefaultAllocator
	rd, err := openVerifiedArtifact(s, mem, m.Blob)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	jw, err := arrowio.NewWriter(w, arrowio.JSONL, rd.Schema(), mem)
	if err != nil {
		return nil, err
	}
	left := limit
	for (limit < 0 || left > 0) && rd.Next() {
		rec := rd.RecordBatch()
		if limit >= 0 && rec.NumRows() > left {
			rec = rec.NewSlice(0, left)
			defer rec.Release()
		}
		if err := jw.Write(rec); err != nil {
			return nil, err
		}
		left -= rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return m, jw.Close()
}

// OpenTable opens a built node's table from the store, verified (an output
// node's table is its input's). It runs nothing; a node not in the store
// is an error.
func (p *Plan) OpenTable(s store.Store, n *Node, mem memory.Allocator) (array.RecordReader, error) {
	if n.Key == "" {
		return nil, fmt.Errorf("%s has no key yet: an unpinned fetch upstream has not run", n.ID)
	}
	m, ok := nodeManifest(s, n)
	if !ok {
		return nil, fmt.Errorf("%s is not built in this cache", n.ID)
	}
	if m.MediaType != MediaTypeArrowStream {
		if len(n.Deps) == 1 {
			return p.OpenTable(s, n.Deps[0], mem)
		}
		return nil, fmt.Errorf("%s stores %s, not a table", n.ID, m.MediaType)
	}
	return openVerifiedArtifact(s, mem, m.Blob)
}
