package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/sourcegraph/conc/pool"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/ops"
)

// ErrPin is wrapped by every error meaning "a pin does not hold" (exit 3).
var ErrPin = errors.New("a pin does not hold")

// PinError reports fetched bytes whose digest differs from their pin.
type PinError struct {
	Node   string
	URL    string
	Want   digest.Digest
	Got    digest.Digest
	Source string
}

func (e *PinError) Error() string {
	return fmt.Sprintf("%s: %s is pinned to %s but %s has %s", e.Node, e.URL, e.Want, e.Source, e.Got)
}

func (e *PinError) Unwrap() error { return ErrPin }

// NodeError carries the node that failed and where it is declared.
type NodeError struct {
	Node  string
	Range hcl.Range
	Diags hcl.Diagnostics // set when the failure is a recipe problem found at run time
	Err   error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("%s (%s): %v", e.Node, e.Range, e.Err)
}

func (e *NodeError) Unwrap() error { return e.Err }

// Events receives progress. Calls come from several goroutines.
type Events interface {
	Start(n *Node)
	Progress(n *Node, rows, bytes int64)
	Done(n *Node, d time.Duration, err error)
}

type noEvents struct{}

func (noEvents) Start(*Node)                      {}
func (noEvents) Progress(*Node, int64, int64)     {}
func (noEvents) Done(*Node, time.Duration, error) {}

// ExecOptions configure Execute.
type ExecOptions struct {
	Store   *cache.Store
	Fetcher *fetch.Fetcher
	Mem     memory.Allocator
	Jobs    int
	// OutputDir is where output files are written; "" = the project dir.
	// verify writes into a temporary directory instead.
	OutputDir string
	BatchSize int
	Events    Events
	DebugKeys io.Writer
	// Reuse, when set, is consulted for nondeterministic nodes: their pinned
	// output is copied from it instead of re-running them (verify).
	Reuse *cache.Store
}

// Execute runs every node that is not cached, in parallel up to Jobs, each
// as soon as its inputs are ready. The first failure cancels the rest and
// is the one error returned; nodes that only lost their inputs are not
// reported.
func (p *Plan) Execute(ctx context.Context, o ExecOptions) error {
	if o.Jobs <= 0 {
		o.Jobs = 1
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.Events == nil {
		o.Events = noEvents{}
	}
	if o.OutputDir == "" {
		o.OutputDir = p.ProjectDir
	}
	if o.BatchSize <= 0 {
		o.BatchSize = artifactRows
	}
	if o.Fetcher == nil {
		o.Fetcher = &fetch.Fetcher{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type done struct {
		n   *Node
		err error
	}
	results := make(chan done, len(p.Nodes))
	workers := pool.New().WithMaxGoroutines(o.Jobs)
	indeg := map[*Node]int{}
	users := map[*Node][]*Node{}
	for _, n := range p.Nodes {
		indeg[n] = len(n.Deps)
		for _, d := range n.Deps {
			users[d] = append(users[d], n)
		}
	}
	running := 0
	submit := func(n *Node) {
		running++
		workers.Go(func() {
			start := time.Now()
			o.Events.Start(n)
			err := p.runNode(ctx, n, &o)
			if err != nil && ctx.Err() == nil {
				err = &NodeError{Node: n.ID, Range: n.Rec.DeclRange, Err: err}
			}
			o.Events.Done(n, time.Since(start), err)
			results <- done{n, err}
		})
	}
	for _, n := range p.Nodes {
		if indeg[n] == 0 {
			submit(n)
		}
	}
	var firstErr error
	for running > 0 {
		d := <-results
		running--
		if d.err != nil {
			if firstErr == nil {
				firstErr = d.err
				cancel()
			}
			continue
		}
		if ctx.Err() != nil {
			continue
		}
		for _, u := range users[d.n] {
			indeg[u]--
			if indeg[u] == 0 {
				submit(u)
			}
		}
	}
	workers.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (p *Plan) runNode(ctx context.Context, n *Node, o *ExecOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n.Key != "" && p.tryCached(n, o) {
		return nil
	}
	var raw []string
	if src, ok := n.Op.(ops.Source); ok {
		path, err := p.fetchRaw(ctx, n, src, o)
		if err != nil {
			return err
		}
		raw = []string{path}
		if n.Key == "" {
			p.computeKey(n, o.DebugKeys)
			if p.tryCached(n, o) {
				return nil
			}
		}
	}
	if n.Key == "" {
		return fmt.Errorf("internal: key of %s unknown after its inputs", n.ID)
	}
	var inputs []ops.Input
	var schemas []*arrow.Schema
	for _, d := range n.Deps {
		s, err := readSchema(o.Store, o.Mem, d.Manifest.Blob)
		if err != nil {
			return fmt.Errorf("input %s: %w", d.ID, err)
		}
		schemas = append(schemas, s)
		blob := d.Manifest.Blob
		inputs = append(inputs, ops.Input{Schema: s, Rows: d.Manifest.Rows, Open: func() (array.RecordReader, error) {
			return openArtifact(o.Store, o.Mem, blob)
		}})
	}
	outSchema, diags := n.Op.Prepare(schemas)
	if diags.HasErrors() {
		return &NodeError{Node: n.ID, Range: n.Rec.DeclRange, Diags: diags, Err: diags}
	}
	if sink, ok := n.Op.(ops.Sink); ok {
		return p.runSink(ctx, n, sink, inputs, o)
	}

	var aw *artifactWriter
	var rows atomic.Int64
	defer func() {
		if aw != nil {
			aw.Abort() // no-op after a successful Commit
		}
	}()
	open := func(s *arrow.Schema) error {
		if aw != nil {
			return nil
		}
		var err error
		aw, err = newArtifactWriter(o.Store, o.Mem, s)
		return err
	}
	if outSchema != nil {
		if err := open(outSchema); err != nil {
			return err
		}
	}
	rc := &ops.RunContext{
		Mem:       o.Mem,
		Inputs:    inputs,
		RawPaths:  raw,
		BatchSize: o.BatchSize,
		Memo:      storeMemo{o.Store},
		Logf: func(format string, args ...any) {
			if l, ok := o.Events.(interface{ Logf(string, ...any) }); ok {
				l.Logf("%s: "+format, append([]any{n.ID}, args...)...)
			}
		},
		DeclareSchema: func(s *arrow.Schema) error {
			return open(s)
		},
		Emit: func(rec arrow.RecordBatch) error {
			if err := open(rec.Schema()); err != nil {
				return err
			}
			if err := aw.Write(rec); err != nil {
				return err
			}
			r := rows.Add(rec.NumRows())
			o.Events.Progress(n, r, aw.blob.Size())
			return ctx.Err()
		},
	}
	if err := n.Op.Run(ctx, rc); err != nil {
		return err
	}
	if aw == nil {
		return fmt.Errorf("%s produced no schema", n.ID)
	}
	desc, logical, nrows, err := aw.Commit()
	if err != nil {
		return err
	}
	m := &Manifest{
		Version: manifestVersion, Op: fmt.Sprintf("%s@%d", n.Spec.Kind, n.Spec.Version),
		Preimage: n.Preimage, Blob: desc.Digest, Size: desc.Size, MediaType: MediaTypeArrowStream,
		Rows: nrows, Schema: ops.SchemaFields(aw.schema), Logical: logical,
	}
	if nd, ok := n.Op.(ops.Nondeterministic); ok && nd.Nondeterministic() {
		m.Nondeterministic = true
	}
	if err := o.Store.PutKey(n.Key, m.encode()); err != nil {
		return err
	}
	n.Manifest = m
	return nil
}

// tryCached uses the stored result for n's key, if there is a usable one.
func (p *Plan) tryCached(n *Node, o *ExecOptions) bool {
	if m, ok := getManifest(o.Store, n.Key); ok {
		if sink, ok := n.Op.(ops.Sink); ok {
			restored, err := p.ensureOutput(n, sink, m, o)
			if err != nil {
				// The stored copy of the file is unusable: write it again.
				return false
			}
			n.Restored = restored
		}
		n.Manifest, n.Cached = m, true
		return true
	}
	if _, nd := n.Op.(ops.Nondeterministic); nd && o.Reuse != nil {
		if m, err := copyEntry(o.Reuse, o.Store, n.Key); err == nil {
			n.Manifest, n.Cached = m, true
			return true
		}
	}
	return false
}

// fetchRaw makes sure the node's raw bytes are in the store, verified
// against the pin, and returns their path there.
func (p *Plan) fetchRaw(ctx context.Context, n *Node, src ops.Source, o *ExecOptions) (string, error) {
	url := src.URLs()[0]
	if n.Pin != "" && o.Store.Has(n.Pin, -1) {
		if p.Lock != nil {
			if f, ok := p.Lock.Fetches[n.ID]; ok && f.Digest == n.Pin {
				fr := f
				n.FetchInfo = &fr
			}
		}
		if n.FetchInfo == nil {
			path, _ := o.Store.Path(n.Pin)
			fi, err := os.Stat(path)
			if err != nil {
				return "", err
			}
			n.FetchInfo = &FetchRecord{URL: url, Digest: n.Pin, Size: fi.Size()}
		}
		return o.Store.Path(n.Pin)
	}
	body, info, err := o.Fetcher.Open(ctx, url, n.Pin)
	if err != nil {
		var pe *fetch.PinError
		if errors.As(err, &pe) {
			return "", &PinError{Node: n.ID, URL: url, Want: pe.Want, Got: pe.Got, Source: pe.Source}
		}
		return "", err
	}
	defer body.Close()
	w, err := o.Store.NewWriter()
	if err != nil {
		return "", err
	}
	defer w.Abort()
	if _, err := io.Copy(w, &progressReader{r: body, ctx: ctx, report: func(b int64) { o.Events.Progress(n, 0, b) }}); err != nil {
		return "", fmt.Errorf("downloading %s: %w", url, err)
	}
	desc, err := w.Commit(n.Pin)
	if err != nil {
		var dm *cache.DigestMismatchError
		if errors.As(err, &dm) {
			return "", &PinError{Node: n.ID, URL: url, Want: dm.Expected, Got: dm.Actual, Source: info.Source}
		}
		return "", err
	}
	if n.Pin == "" {
		n.Pin, n.PinFrom = desc.Digest, "fetched"
	}
	n.FetchInfo = &FetchRecord{URL: url, Revision: info.Revision, Digest: desc.Digest, Size: desc.Size}
	return o.Store.Path(desc.Digest)
}

type progressReader struct {
	r      io.Reader
	ctx    context.Context
	n      int64
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.report(p.n)
	return n, err
}

// runSink writes an output file: into a temporary file beside its final
// path and into the store in the same pass, then renames it into place, so a
// killed build never leaves a half-written output.
func (p *Plan) runSink(ctx context.Context, n *Node, sink ops.Sink, inputs []ops.Input, o *ExecOptions) error {
	dst := filepath.Join(o.OutputDir, filepath.FromSlash(sink.Path()))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".dsbuild-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	defer tmp.Close()
	bw, err := o.Store.NewWriter()
	if err != nil {
		return err
	}
	defer bw.Abort()
	rc := &ops.RunContext{Mem: o.Mem, Inputs: inputs, File: io.MultiWriter(tmp, bw), BatchSize: o.BatchSize,
		Emit: func(arrow.RecordBatch) error { return ctx.Err() }}
	if err := n.Op.Run(ctx, rc); err != nil {
		return err
	}
	desc, err := bw.Commit("")
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	in := n.Deps[0].Manifest
	m := &Manifest{
		Version: manifestVersion, Op: fmt.Sprintf("%s@%d", n.Spec.Kind, n.Spec.Version),
		Preimage: n.Preimage, Blob: desc.Digest, Size: desc.Size, MediaType: sink.MediaType(),
		Rows: in.Rows, Schema: in.Schema, Logical: in.Logical,
	}
	if err := o.Store.PutKey(n.Key, m.encode()); err != nil {
		return err
	}
	n.Manifest = m
	return nil
}

// ensureOutput makes the project's output file match the stored one,
// copying it from the store when it is missing or differs.
func (p *Plan) ensureOutput(n *Node, sink ops.Sink, m *Manifest, o *ExecOptions) (restored bool, err error) {
	dst := filepath.Join(o.OutputDir, filepath.FromSlash(sink.Path()))
	if d, _, err := fileDigest(dst); err == nil && d == m.Blob {
		return false, nil
	}
	src, err := o.Store.Open(m.Blob)
	if err != nil {
		return false, err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".dsbuild-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, src); err != nil {
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		return false, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), dst)
}

// copyEntry copies a key's manifest and blob from one store to another,
// verifying the blob on the way.
func copyEntry(from, to *cache.Store, key digest.Digest) (*Manifest, error) {
	m, ok := getManifest(from, key)
	if !ok {
		return nil, cache.ErrNotFound
	}
	r, err := from.Open(m.Blob)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, err := to.Put(r, m.Blob); err != nil {
		return nil, err
	}
	if err := to.PutKey(key, m.encode()); err != nil {
		return nil, err
	}
	return m, nil
}

func decodeManifest(b []byte, m *Manifest) error { return json.Unmarshal(b, m) }

// storeMemo keeps op memo entries (LLM responses) in the store's key space,
// under keys derived so they can never collide with node keys.
type storeMemo struct{ s *cache.Store }

func memoKey(k digest.Digest) digest.Digest {
	return digest.FromString("dsbuild-memo-v1\n" + string(k))
}

func (m storeMemo) Get(k digest.Digest) ([]byte, bool) {
	b, err := m.s.GetKey(memoKey(k))
	return b, err == nil
}

func (m storeMemo) Put(k digest.Digest, val []byte) error { return m.s.PutKey(memoKey(k), val) }
