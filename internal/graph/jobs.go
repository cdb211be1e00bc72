package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/artifact"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// What a Runner that runs nodes elsewhere (a batch-scheduler job per node,
// internal/slurm) needs from the plan: the stored result of a node, the
// run of one node alone over inputs already in the store (the job's side),
// and sharding of row-wise nodes. Every result still goes through the one
// write protocol (artifact writer, store commit, manifest under the key).

// Lookup returns n's stored result, or nil when it must run. It is what
// the in-process runner does first; a runner elsewhere calls it before
// submitting anything, and again after its job succeeded.
func (p *Plan) Lookup(ctx context.Context, n *Node, o ExecOptions) (*Result, error) {
	o.fill(p)
	if n.Key == "" {
		p.computeKey(n, o.DebugKeys)
	}
	if n.Key == "" {
		return nil, nil
	}
	res := &Result{}
	ok, err := p.tryCached(ctx, n, &o, res)
	if err != nil || !ok {
		return nil, err
	}
	return res, nil
}

// SetPin records the digest a runner elsewhere measured for an unpinned
// source node, and gives the node its key.
func (p *Plan) SetPin(n *Node, d digest.Digest) error {
	if _, ok := n.Op.(ops.Source); !ok {
		return fmt.Errorf("%s is not a fetched input; it has no pin", n.ID)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("pin of %s: %w", n.ID, err)
	}
	if n.Pin != "" && n.Pin != d {
		return fmt.Errorf("%s is pinned to %s, not %s", n.ID, n.Pin, d)
	}
	n.Pin, n.PinFrom = d, "fetched"
	n.Key, n.Preimage = "", ""
	p.computeKey(n, p.debugKeys)
	return nil
}

// ErrInputMissing is wrapped by RunOne's error when an input of the node
// is not in the store.
var ErrInputMissing = errors.New("input not in the store")

// RunOne runs the node id alone, as a batch job does: its inputs are read
// only from the store (verified as every read is) and never run; a missing
// one is an error wrapping ErrInputMissing. With a shard, only that row
// range of the node's input is run (shard.Index of shard.Count, the
// ranges Shards gives for the input's rows), and its result is stored
// under the shard's own key (see Shard). Nothing is written when it fails.
func (p *Plan) RunOne(ctx context.Context, id string, o ExecOptions, shard *Shard) (*Result, error) {
	o.fill(p)
	cleanIngest(o.Store)
	if err := p.refreshLocal(o.Store); err != nil {
		return nil, err
	}
	n := p.Node(id)
	if n == nil {
		return nil, fmt.Errorf("the recipe has no node %s", id)
	}
	p.ComputeKeys()
	in := make([]*Manifest, len(n.Deps))
	for i, d := range n.Deps {
		if d.Key == "" {
			return nil, fmt.Errorf("input %s of %s: its key is unknown (an unpinned fetch above it has not been fetched): %w", d.ID, id, ErrInputMissing)
		}
		m, err := nodeLookup(ctx, o.Store, d)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", d.ID, err)
		}
		if m == nil {
			return nil, fmt.Errorf("input %s of %s (key %s): %w", d.ID, id, d.Key, ErrInputMissing)
		}
		in[i] = m
	}
	if shard != nil {
		if !Sharded(n) {
			return nil, fmt.Errorf("%s cannot be sharded: shards apply to row-wise ops over one input (filter, select)", n.ID)
		}
		all := Shards(in[0].Rows, shard.Count)
		if shard.Count != len(all) || shard.Index < 0 || shard.Index >= len(all) {
			return nil, fmt.Errorf("shard %d/%d is not a shard of %s's %d input rows (%d shards)", shard.Index, shard.Count, n.ID, in[0].Rows, len(all))
		}
		shard = &all[shard.Index]
		if m, ok := p.shardStored(ctx, n, *shard, &o); ok {
			return &Result{Manifest: m, Cached: true}, nil
		}
		o.shard = shard
	}
	res, err := InProcess(p, o).Run(ctx, n, in)
	if err != nil {
		return nil, nodeError(n, err)
	}
	return res, nil
}

// Shard is one row range [Start, End) of the single input of a RowWise
// node. Its result is stored under a key of its own, derived from the
// node's key and the range, so shards done survive a failed build.
type Shard struct {
	Index, Count int
	Start, End   int64
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Shards splits rows into at most n contiguous ranges of near-equal size
// (never an empty one, except the one range of an empty input).
func Shards(rows int64, n int) []Shard {
	if n < 1 {
		n = 1
	}
	if rows < int64(n) {
		n = int(max(rows, 1))
	}
	out := make([]Shard, n)
	for i := range out {
		out[i] = Shard{Index: i, Count: n, Start: rows * int64(i) / int64(n), End: rows * int64(i+1) / int64(n)}
	}
	return out
}

// Sharded reports whether n may be split into shards: a row-wise op. Its
// first input (its table: the first reference in attribute order) is split
// by rows; any others (vector_project's vectors) are read whole by every
// shard.
func Sharded(n *Node) bool {
	_, ok := n.Op.(ops.RowWise)
	return ok && len(n.Deps) >= 1
}

// preimage of a shard's result: the node's, plus its row range. No node
// preimage has such a line, so a shard key is never a node key.
func (s Shard) preimage(n *Node) Preimage {
	return n.Preimage + Preimage(fmt.Sprintf("shard-rows %d %d\n", s.Start, s.End))
}

// ShardStored reports whether the shard's result is in the store.
func (p *Plan) ShardStored(ctx context.Context, n *Node, s Shard, o ExecOptions) bool {
	o.fill(p)
	_, ok := p.shardStored(ctx, n, s, &o)
	return ok
}

func (p *Plan) shardStored(ctx context.Context, n *Node, s Shard, o *ExecOptions) (*Manifest, bool) {
	pre := s.preimage(n)
	m, err := lookupManifest(ctx, o.Store, pre.Key(), true)
	if err != nil || m == nil || m.Preimage != pre || m.MediaType != MediaTypeArrowStream {
		return nil, false
	}
	return m, true
}

// shardReader passes on the rows [start, end) of rd, counted from its
// first row, slicing the batches that straddle either end.
type shardReader struct {
	array.RecordReader
	start, end, row int64
	cur             arrow.RecordBatch
}

func (r *shardReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for r.row < r.end && r.RecordReader.Next() {
		rec := r.RecordReader.RecordBatch()
		first, last := r.row, r.row+rec.NumRows()
		r.row = last
		if last <= r.start {
			continue
		}
		lo, hi := max(r.start, first)-first, min(r.end, last)-first
		r.cur = rec.NewSlice(lo, hi)
		return true
	}
	return false
}

func (r *shardReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *shardReader) Record() arrow.RecordBatch      { return r.cur }

func (r *shardReader) Release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.RecordReader.Release()
}

// shardInput restricts one input of a node to the shard's rows.
func (s *Shard) input(in ops.Input) ops.Input {
	open := in.Open
	in.Rows = s.End - s.Start
	in.Open = func() (array.RecordReader, error) {
		rd, err := open()
		if err != nil {
			return nil, err
		}
		return &shardReader{RecordReader: rd, start: s.Start, end: s.End}, nil
	}
	return in
}

// Assemble makes n's result from its shards' stored results: their rows,
// in shard order, through one artifact writer, so the artifact, its
// digests and the lock are those of the node run whole. Each shard's
// artifact is verified as it is read.
func (p *Plan) Assemble(ctx context.Context, n *Node, shards []Shard, o ExecOptions) (*Result, error) {
	o.fill(p)
	var aw *artifact.Writer
	defer func() {
		if aw != nil {
			aw.Abort()
		}
	}()
	var rows int64
	for _, s := range shards {
		m, ok := p.shardStored(ctx, n, s, &o)
		if !ok {
			return nil, fmt.Errorf("shard %s of %s: %w", s, n.ID, store.ErrNotFound)
		}
		rd, err := artifact.Open(ctx, o.Store, o.Mem, m.Blob)
		if err != nil {
			return nil, fmt.Errorf("shard %s of %s: %w", s, n.ID, err)
		}
		if aw == nil {
			if aw, err = artifact.NewWriter(ctx, o.Store, o.Mem, rd.Schema(), artifact.Rows, nil); err != nil {
				rd.Release()
				return nil, err
			}
		} else if !slices.Equal(ops.SchemaFields(rd.Schema()), ops.SchemaFields(aw.Schema())) {
			rd.Release()
			return nil, fmt.Errorf("shard %s of %s: its schema differs from shard 0's", s, n.ID)
		}
		for rd.Next() {
			if err := aw.Write(rd.RecordBatch()); err != nil {
				rd.Release()
				return nil, err
			}
		}
		err = rd.Err()
		rd.Release()
		if err != nil {
			return nil, fmt.Errorf("shard %s of %s: %w", s, n.ID, err)
		}
		rows += m.Rows
	}
	if aw == nil {
		return nil, fmt.Errorf("%s has no shards", n.ID)
	}
	desc, logical, nrows, err := aw.Commit()
	if err != nil {
		return nil, err
	}
	if nrows != rows {
		return nil, fmt.Errorf("%s: shards hold %d rows, their concatenation %d", n.ID, rows, nrows)
	}
	m := &Manifest{
		Version: manifestVersion, Op: opName(n),
		Preimage: n.Preimage, Blob: desc.Digest, Size: desc.Size, MediaType: MediaTypeArrowStream,
		Rows: nrows, Schema: ops.SchemaFields(aw.Schema()), Logical: logical,
	}
	if err := o.Store.PutManifest(ctx, n.Key, m.encode()); err != nil {
		return nil, err
	}
	return &Result{Manifest: m}, nil
}

func rowOffset(s *Shard) int64 {
	if s == nil {
		return 0
	}
	return s.Start
}

// CheckShards reports shards set on a node that cannot be split.
func (p *Plan) CheckShards() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, n := range p.Nodes {
		if n.Rec.Shards > 1 && !Sharded(n) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Node cannot be sharded",
				Detail:   fmt.Sprintf("shards splits a row-wise node into jobs, each over a range of its input table's rows; %s (%s) is not one. Row-wise kinds are filter, select, embed and vector_project (any kind whose op implements ops.RowWise). Remove shards here.", n.ID, n.Spec.Kind),
				Subject:  n.Rec.ShardsRange.Ptr(),
			})
		}
	}
	return diags
}

// ComputeKeys gives every node whose inputs' keys are now known its key
// (below pins set with SetPin). Not safe while the plan executes.
func (p *Plan) ComputeKeys() {
	for _, m := range p.Nodes {
		if m.Key == "" {
			p.computeKey(m, p.debugKeys)
		}
	}
}

// TypeCheck runs the node's Prepare against the schemas of its stored
// inputs: a recipe problem found only now (an input's schema was unknown
// before) is a *NodeError with its diagnostics, reported by the driver
// before any job is submitted for the node.
func (p *Plan) TypeCheck(ctx context.Context, n *Node, in []*Manifest, o ExecOptions) error {
	o.fill(p)
	if _, ok := n.Op.(ops.Source); ok {
		return nil
	}
	schemas := make([]*arrow.Schema, len(n.Deps))
	for i := range n.Deps {
		s, err := artifact.VerifiedSchema(ctx, o.Store, o.Mem, in[i].Blob)
		if err != nil {
			// The job reads it again and reports what it finds.
			return nil
		}
		schemas[i] = s
	}
	if _, diags := n.Op.Prepare(schemas); diags.HasErrors() {
		return &NodeError{Node: n.ID, Range: n.Rec.DeclRange, Diags: diags, Err: diags}
	}
	return nil
}

// ForgetShards drops the stored results of the shards (after Assemble
// found one corrupt or missing), so that running them again rebuilds them.
func (p *Plan) ForgetShards(ctx context.Context, n *Node, shards []Shard, o ExecOptions) {
	o.fill(p)
	for _, s := range shards {
		key := s.preimage(n).Key()
		var blob digest.Digest
		if m, err := lookupManifest(ctx, o.Store, key, false); err == nil && m != nil {
			blob = m.Blob
		}
		forgetEntry(o.Store, key, blob)
	}
}
