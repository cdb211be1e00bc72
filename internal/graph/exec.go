package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/sourcegraph/conc/pool"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/artifact"
	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
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
	// WantSize and GotSize are set instead of Got when the sizes differ
	// (GotMore: more than GotSize bytes, which were not read).
	WantSize, GotSize int64
	GotMore           bool
}

func (e *PinError) Error() string {
	if e.Got == "" && (e.GotSize != 0 || e.GotMore) {
		return e.sizeError()
	}
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
	// Store holds results; the local store (internal/cache) or any other
	// store.Store, whose optional capabilities are used when it has them.
	Store   store.Store
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
	Reuse store.Store
	// Runner runs each node; nil runs them in this process (InProcess).
	Runner Runner
	// shard, set by RunOne, runs one row range of a RowWise node.
	shard *Shard
}

// Execute runs every node that is not cached, in parallel up to Jobs, each
// as soon as its inputs are ready. The first failure cancels the rest and
// is the one error returned, a *NodeError; nodes that only lost their inputs
// are not reported. When ctx is cancelled the result wraps ctx.Err().
//
// An input artifact found corrupt or missing while a node reads it is a
// cache miss, not a failure: its producer runs again, then the node (once).
func (p *Plan) Execute(ctx context.Context, o ExecOptions) error {
	o.fill(p)
	// Temp files of writers killed earlier (kill -9) are owned by nobody:
	// clear them. A failure here costs only disk space.
	cleanIngest(o.Store)
	if err := p.refreshLocal(o.Store); err != nil {
		return err
	}
	runner := o.Runner
	if runner == nil {
		runner = InProcess(p, o)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type done struct {
		n   *Node
		res *Result
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
		// Inputs are read here, in the scheduling goroutine: a producer run
		// again after a corrupt read replaces its Manifest while other
		// consumers may still be running on the old one.
		in := make([]*Manifest, len(n.Deps))
		for i, d := range n.Deps {
			in[i] = d.Manifest
		}
		workers.Go(func() {
			start := time.Now()
			o.Events.Start(n)
			res, err := runner.Run(ctx, n, in)
			var lost *inputLostError
			if err != nil && ctx.Err() == nil && !errors.As(err, &lost) {
				err = nodeError(n, err)
			}
			if err == nil {
				// Visible to Events.Done; the scheduler reads it only after
				// the result arrives.
				res.apply(n)
			}
			o.Events.Done(n, time.Since(start), err)
			results <- done{n, res, err}
		})
	}
	for _, n := range p.Nodes {
		if indeg[n] == 0 {
			submit(n)
		}
	}
	var firstErr error
	completed := map[*Node]bool{}
	retried := map[*Node]bool{}
	rebuilding := map[*Node][]*Node{} // producer run again → consumers waiting for it
	for running > 0 {
		d := <-results
		running--
		if d.err != nil {
			var lost *inputLostError
			if errors.As(d.err, &lost) {
				if firstErr == nil && ctx.Err() == nil && !retried[d.n] {
					retried[d.n] = true
					waiting, again := rebuilding[lost.dep]
					rebuilding[lost.dep] = append(waiting, d.n)
					if !again {
						p.forget(lost.dep, lost.blob, &o)
						submit(lost.dep)
					}
					continue
				}
				if ctx.Err() == nil {
					d.err = nodeError(d.n, d.err)
				}
			}
			if firstErr == nil {
				firstErr = d.err
				cancel()
			}
			continue
		}
		completed[d.n] = true
		if ctx.Err() != nil {
			continue
		}
		if waiting, ok := rebuilding[d.n]; ok {
			delete(rebuilding, d.n)
			for _, u := range waiting {
				submit(u)
			}
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
	var ne *NodeError
	switch {
	case firstErr != nil && (parent.Err() == nil || errors.As(firstErr, &ne)):
		return firstErr
	case len(completed) == len(p.Nodes):
		return nil
	case parent.Err() != nil:
		// Ops report cancellation in their own words, not always wrapping
		// it; the caller needs to tell Ctrl-C from a failure.
		return parent.Err()
	case firstErr != nil:
		return firstErr
	}
	return ctx.Err()
}

func nodeError(n *Node, err error) error {
	var ne *NodeError
	if errors.As(err, &ne) && ne.Node == n.ID {
		return err // a recipe problem found at run time, already placed
	}
	return &NodeError{Node: n.ID, Range: n.Rec.DeclRange, Err: err}
}

// inputLostError reports that a node could not read an input artifact
// because its blob is corrupt or gone; Execute runs the producer again.
type inputLostError struct {
	dep  *Node
	blob digest.Digest
	err  error
}

func (e *inputLostError) Error() string { return e.err.Error() }
func (e *inputLostError) Unwrap() error { return e.err }

// lostBlob reports whether err means a stored blob is unusable.
func lostBlob(err error) bool {
	return store.IsMiss(err)
}

// forget drops a node's stored result so that running it again rebuilds it:
// its key, and its blob, which a corrupt read has usually removed already
// (a corrupt copy left behind would be kept by the next commit of the same
// digest, since commits keep an existing blob of the right size).
func (p *Plan) forget(n *Node, blob digest.Digest, o *ExecOptions) {
	forgetEntry(o.Store, n.Key, blob)
	n.Manifest, n.Cached, n.Restored = nil, false, false
}

// inputTracker records, per input, whether every opened reader was read to
// its verified end, and which input turned out lost, so that a node's error
// can be traced to a corrupt input whatever words the op wraps it in.
type inputTracker struct {
	mu       sync.Mutex
	opened   []int // readers opened per input
	verified []int // readers that reached a verified end
	lost     int   // index of the first lost input, -1 if none
	lostErr  error
}

func newInputTracker(n int) *inputTracker {
	return &inputTracker{opened: make([]int, n), verified: make([]int, n), lost: -1}
}

func (t *inputTracker) report(i int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil:
		t.verified[i]++
	case lostBlob(err) && t.lost < 0:
		t.lost, t.lostErr = i, err
	}
}

// check runs after the op: an error caused by a lost input becomes an
// *inputLostError; inputs the op read only partly are verified in full
// now, because the bytes it did use may be the corrupt ones.
func (t *inputTracker) check(ctx context.Context, runErr error, n *Node, in []*Manifest, o *ExecOptions) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	lost := func(i int, err error) error {
		return &inputLostError{dep: n.Deps[i], blob: in[i].Blob, err: fmt.Errorf("input %s: %w", n.Deps[i].ID, err)}
	}
	if t.lost >= 0 {
		err := t.lostErr
		if runErr != nil && !errors.Is(runErr, t.lostErr) {
			err = fmt.Errorf("%w (op: %v)", t.lostErr, runErr)
		} else if runErr != nil {
			err = runErr
		}
		return lost(t.lost, err)
	}
	if runErr != nil {
		return runErr
	}
	for i := range t.opened {
		if t.opened[i] > t.verified[i] {
			// Not ctx: a cancelled run still reports a corrupt input.
			if err := verifyBlob(context.WithoutCancel(ctx), o.Store, in[i].Blob); err != nil {
				if lostBlob(err) {
					return lost(i, err)
				}
				return fmt.Errorf("input %s: %w", n.Deps[i].ID, err)
			}
		}
	}
	return nil
}

// Runner runs one node: given the manifests of its inputs (in the order of
// n.Deps), it returns the node's result, from the store or by running its
// op. It never assigns the result into the node (the scheduler does), so a
// runner elsewhere (a batch-scheduler job) can be another implementation.
// Run is called from several goroutines at once, for different nodes.
//
// A runner may learn a node's pin and key on the way (an unpinned fetch
// measures its digest; nodes below it then get their keys): those it sets
// on the node, as the plan does.
type Runner interface {
	Run(ctx context.Context, n *Node, in []*Manifest) (*Result, error)
}

// Result is what running (or finding) one node gives.
type Result struct {
	Manifest *Manifest
	// Cached: found in the store, not run. Restored: an output file was
	// copied back from the store.
	Cached, Restored bool
	// Fetch is what the lock records about a fetched input.
	Fetch *FetchRecord
}

func (r *Result) apply(n *Node) {
	n.Manifest, n.Cached, n.Restored = r.Manifest, r.Cached, r.Restored
	if r.Fetch != nil {
		n.FetchInfo = r.Fetch
	}
}

// fill sets the defaults of the options left zero.
func (o *ExecOptions) fill(p *Plan) {
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
		// Decoders build batches of this many rows; it changes no digest.
		o.BatchSize = arrowio.DefaultBatchSize
	}
	if o.Fetcher == nil {
		// Relative local paths are the recipe's, as the loader read them.
		o.Fetcher = &fetch.Fetcher{BaseDir: p.Recipe.Dir}
	}
}

// InProcess is the runner that runs ops in this process, with the store,
// fetcher and allocator of o. Its parallelism budget is o.Jobs: each node
// holds one share while it runs, and the batch workers of its op and of
// its artifact writer take the shares no node is using (ops.Budget).
func InProcess(p *Plan, o ExecOptions) Runner {
	o.fill(p)
	return &inProcess{p: p, o: &o, budget: ops.NewBudget(o.Jobs)}
}

type inProcess struct {
	p      *Plan
	o      *ExecOptions
	budget *ops.Budget
}

// Run turns an op's panic into the node's error: the pool would re-raise it
// only at Wait, after the scheduler had waited forever for the node's
// result.
func (r *inProcess) Run(ctx context.Context, n *Node, in []*Manifest) (res *Result, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			res, err = nil, fmt.Errorf("internal error (panic): %v\n%s", rec, debug.Stack())
		}
	}()
	if err := r.budget.Acquire(ctx); err != nil {
		return nil, err
	}
	defer r.budget.Release()
	res = &Result{}
	if err := r.p.runNode(ctx, n, in, r.o, r.budget, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (p *Plan) runNode(ctx context.Context, n *Node, in []*Manifest, o *ExecOptions, budget *ops.Budget, res *Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n.Key == "" {
		// Downstream of an unpinned fetch: its inputs' keys are known now.
		p.computeKey(n, o.DebugKeys)
	}
	if n.Key != "" && o.shard == nil {
		if ok, err := p.tryCached(ctx, n, o, res); ok || err != nil {
			return err
		}
	}
	var raw, rawNames []string
	if src, ok := n.Op.(ops.Source); ok {
		var err error
		if tree, ok := src.(ops.TreeSource); ok {
			raw, rawNames, err = p.fetchTree(ctx, n, tree, o, res)
		} else {
			var path string
			path, err = p.fetchRaw(ctx, n, src, o, res)
			raw = []string{path}
		}
		if err != nil {
			return err
		}
		if n.Key == "" {
			p.computeKey(n, o.DebugKeys)
			if ok, err := p.tryCached(ctx, n, o, res); ok || err != nil {
				return err
			}
		}
	}
	if n.Key == "" {
		return fmt.Errorf("internal: key of %s unknown after its inputs", n.ID)
	}
	trk := newInputTracker(len(n.Deps))
	var inputs []ops.Input
	var schemas []*arrow.Schema
	// Registered before the artifact writer's Abort, so it runs after it:
	// the writer may hold slices of mapped input until it is done.
	var maps artifact.Mappings
	defer maps.ReleaseAll()
	for i, d := range n.Deps {
		blob := in[i].Blob
		if sink, ok := d.Op.(ops.Sink); ok {
			// An output node's result is the file it wrote (what the lock
			// records), not a table: the op gets its description.
			schemas = append(schemas, nil)
			inputs = append(inputs, ops.Input{Rows: in[i].Rows, File: &ops.FileInput{
				Path: sink.Path(), Digest: blob, Size: in[i].Size, MediaType: in[i].MediaType,
				Schema: in[i].Schema,
			}})
			continue
		}
		s, err := artifact.VerifiedSchema(ctx, o.Store, o.Mem, blob)
		if err != nil {
			err = fmt.Errorf("input %s: %w", d.ID, err)
			if lostBlob(err) {
				return &inputLostError{dep: d, blob: blob, err: err}
			}
			return err
		}
		if !slices.Equal(ops.SchemaFields(s), in[i].Schema) {
			// The blob is not the artifact its manifest describes.
			return &inputLostError{dep: d, blob: blob, err: fmt.Errorf("input %s: artifact %s: %w: its schema is not its manifest's", d.ID, blob, store.ErrCorrupt)}
		}
		schemas = append(schemas, s)
		inputs = append(inputs, ops.Input{Schema: s, Rows: in[i].Rows, Open: func() (array.RecordReader, error) {
			trk.mu.Lock()
			trk.opened[i]++
			trk.mu.Unlock()
			notify := func(err error) { trk.report(i, err) }
			rd, err := artifact.OpenMapped(o.Store, o.Mem, blob, &maps, notify)
			if errors.Is(err, store.ErrUnverified) {
				rd, err = artifact.OpenNotify(ctx, o.Store, o.Mem, blob, notify)
			}
			if err != nil {
				trk.report(i, err)
			}
			return rd, err
		}})
	}
	if o.shard != nil {
		inputs[0] = o.shard.input(inputs[0])
	}
	outSchema, diags := n.Op.Prepare(schemas)
	if diags.HasErrors() {
		return &NodeError{Node: n.ID, Range: n.Rec.DeclRange, Diags: diags, Err: diags}
	}
	if sink, ok := n.Op.(ops.Sink); ok {
		return p.runSink(ctx, n, sink, inputs, in, trk, o, budget, res)
	}

	var aw *artifact.Writer
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
		aw, err = artifact.NewWriter(ctx, o.Store, o.Mem, s, artifact.Rows, budget)
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
		RawNames:  rawNames,
		BatchSize: o.BatchSize,
		RowOffset: rowOffset(o.shard),
		Memo:      storeMemo{ctx, o.Store},
		Budget:    budget,
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
			o.Events.Progress(n, r, aw.Size())
			return ctx.Err()
		},
		EmitRows: func(rec arrow.RecordBatch, sel expr.Selection) error {
			if err := open(rec.Schema()); err != nil {
				return err
			}
			if err := aw.WriteRows(rec, sel); err != nil {
				return err
			}
			r := rows.Add(int64(sel.Kept()))
			o.Events.Progress(n, r, aw.Size())
			return ctx.Err()
		},
	}
	if err := trk.check(ctx, n.Op.Run(ctx, rc), n, in, o); err != nil {
		return err
	}
	if aw == nil {
		return fmt.Errorf("%s produced no schema", n.ID)
	}
	desc, logical, nrows, err := aw.Commit()
	if err != nil {
		return err
	}
	key, pre := n.Key, n.Preimage
	if o.shard != nil {
		pre = o.shard.preimage(n)
		key = pre.Key()
	}
	m := &Manifest{
		Version: manifestVersion, Op: opName(n),
		Preimage: pre, Blob: desc.Digest, Size: desc.Size, MediaType: MediaTypeArrowStream,
		Rows: nrows, Schema: ops.SchemaFields(aw.Schema()), Logical: logical,
	}
	if nd, ok := n.Op.(ops.Nondeterministic); ok && nd.Nondeterministic() {
		m.Nondeterministic = true
	}
	if err := o.Store.PutManifest(ctx, key, m.encode()); err != nil {
		return err
	}
	res.Manifest = m
	return nil
}

// tryCached uses the stored result for n's key, if there is a usable one.
// A store that cannot say whether there is one is an error.
func (p *Plan) tryCached(ctx context.Context, n *Node, o *ExecOptions, res *Result) (bool, error) {
	m, err := nodeLookup(ctx, o.Store, n)
	if err != nil {
		return false, fmt.Errorf("looking up %s in the store: %w", n.ID, err)
	}
	if m != nil {
		if _, ok := n.Op.(ops.Source); ok {
			// What the lock says of the input comes with the result, or
			// the node runs and measures it again.
			fr := p.fetchRecordOf(o.Store, n)
			if fr == nil {
				return false, nil
			}
			res.Fetch = fr
		}
		if sink, ok := n.Op.(ops.Sink); ok {
			restored, err := p.ensureOutput(ctx, n, sink, m, o)
			if err != nil {
				// The stored copy of the file is unusable: write it again.
				return false, nil
			}
			res.Restored = restored
		}
		res.Manifest, res.Cached = m, true
		return true, nil
	}
	if _, nd := n.Op.(ops.Nondeterministic); nd && o.Reuse != nil {
		if m, err := copyEntry(ctx, o.Reuse, o.Store, n); err == nil {
			res.Manifest, res.Cached = m, true
			return true, nil
		}
	}
	return false, nil
}

// fetchRaw makes sure the node's raw bytes are in the store, verified
// against the pin, and returns their path there. Bytes already in the store
// are used only once verified (their stamp, or a hash now) and together
// with their fetch record; anything else is fetched again.
func (p *Plan) fetchRaw(ctx context.Context, n *Node, src ops.Source, o *ExecOptions, res *Result) (string, error) {
	url := src.URLs()[0]
	if n.Pin != "" {
		if fr, ok := getFetchRecord(ctx, o.Store, url, n.Pin); ok {
			if path, size, err := verifiedPath(o.Store, n.Pin); err == nil && size == fr.Size {
				res.Fetch = fr
				return path, nil
			}
		}
	}
	body, info, err := o.Fetcher.Open(ctx, url, fetch.Pin{Digest: n.Pin, Size: p.pinnedSize(n)})
	if err != nil {
		if n.Pin != "" && ctx.Err() == nil {
			// Unreachable now, but the pinned bytes are here and verified;
			// only a revision resolved by the server could be missing.
			if path, size, verr := verifiedPath(o.Store, n.Pin); verr == nil {
				fr := FetchRecord{URL: url, Digest: n.Pin, Size: size}
				if p.Lock != nil {
					if lf, ok := p.Lock.Fetches[n.ID]; ok && lf.Digest == n.Pin && lf.URL == url {
						fr.Revision = lf.Revision
					}
				}
				res.Fetch = &fr
				return path, nil
			}
		}
		return "", fetchPinError(n, url, err)
	}
	defer body.Close()
	w, err := store.NewWriter(ctx, o.Store)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	if _, err := io.Copy(w, &progressReader{r: body, ctx: ctx, report: func(b int64) { o.Events.Progress(n, 0, b) }}); err != nil {
		return "", fetchPinError(n, url, fmt.Errorf("downloading %s: %w", url, err))
	}
	desc, err := w.Commit(n.Pin)
	if err != nil {
		var dm *store.DigestMismatchError
		if errors.As(err, &dm) {
			return "", &PinError{Node: n.ID, URL: url, Want: dm.Expected, Got: dm.Actual, Source: info.Source}
		}
		return "", err
	}
	if n.Pin == "" {
		n.Pin, n.PinFrom = desc.Digest, "fetched"
	}
	fr := FetchRecord{URL: url, Revision: info.Revision, Digest: desc.Digest, Size: desc.Size}
	if err := putFetchRecord(ctx, o.Store, fr); err != nil {
		return "", err
	}
	res.Fetch = &fr
	path, _, err := verifiedPath(o.Store, desc.Digest)
	return path, err
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
func (p *Plan) runSink(ctx context.Context, n *Node, sink ops.Sink, inputs []ops.Input, in []*Manifest, trk *inputTracker, o *ExecOptions, budget *ops.Budget, res *Result) error {
	dst := filepath.Join(o.OutputDir, filepath.FromSlash(sink.Path()))
	// The temp file and the rename stay inside the output directory
	// whatever links appear there (see outFile).
	tmp, err := createOutput(o.OutputDir, sink.Path())
	if err != nil {
		return err
	}
	defer tmp.abort() // a no-op after the commit; cleans up on failure
	bw, err := store.NewWriter(ctx, o.Store)
	if err != nil {
		return err
	}
	defer bw.Abort()
	rc := &ops.RunContext{Mem: o.Mem, Inputs: inputs, File: io.MultiWriter(tmp, bw), BatchSize: o.BatchSize, Budget: budget,
		Emit: func(arrow.RecordBatch) error { return ctx.Err() }}
	if err := trk.check(ctx, n.Op.Run(ctx, rc), n, in, o); err != nil {
		return err
	}
	desc, err := bw.Commit("")
	if err != nil {
		return err
	}
	if err := tmp.commit(); err != nil {
		return err
	}
	stampFile(o.Store, dst, desc.Digest)
	// The file's table is the first input that is a table (a card also
	// reads output nodes, whose results are files).
	src := in[0]
	for i, d := range n.Deps {
		if _, file := d.Op.(ops.Sink); !file {
			src = in[i]
			break
		}
	}
	m := &Manifest{
		Version: manifestVersion, Op: opName(n),
		Preimage: n.Preimage, Blob: desc.Digest, Size: desc.Size, MediaType: sink.MediaType(),
		Rows: src.Rows, Schema: src.Schema, Logical: src.Logical,
	}
	if err := o.Store.PutManifest(ctx, n.Key, m.encode()); err != nil {
		return err
	}
	res.Manifest = m
	return nil
}

// ensureOutput makes the project's output file match the stored one,
// copying it from the store when it is missing or differs.
func (p *Plan) ensureOutput(ctx context.Context, n *Node, sink ops.Sink, m *Manifest, o *ExecOptions) (restored bool, err error) {
	dst := filepath.Join(o.OutputDir, filepath.FromSlash(sink.Path()))
	cleanStaleOutputTemps(o.OutputDir, sink.Path())
	// Only a regular file is read to compare: a FIFO would block and a
	// link could lead anywhere. Anything else is replaced, or refused by
	// commit.
	if isRegular(dst) {
		if fileMatches(o.Store, dst, m.Blob) {
			return false, nil
		}
		if d, _, err := fileDigest(dst); err == nil && d == m.Blob {
			stampFile(o.Store, dst, m.Blob)
			return false, nil
		}
	}
	src, err := o.Store.Fetch(ctx, store.Descriptor{Digest: m.Blob, Size: m.Size})
	if err != nil {
		return false, err
	}
	defer src.Close()
	tmp, err := createOutput(o.OutputDir, sink.Path())
	if err != nil {
		return false, err
	}
	defer tmp.abort()
	if _, err := io.Copy(tmp, src); err != nil {
		return false, err
	}
	if err := tmp.commit(); err != nil {
		return false, err
	}
	stampFile(o.Store, dst, m.Blob)
	return true, nil
}

// copyEntry copies n's manifest and blob from one store to another,
// verifying the blob on the way.
func copyEntry(ctx context.Context, from, to store.Store, n *Node) (*Manifest, error) {
	key := n.Key
	m, ok := nodeManifestCtx(ctx, from, n)
	if !ok {
		return nil, store.ErrNotFound
	}
	desc := store.Descriptor{Digest: m.Blob, Size: m.Size}
	r, err := from.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, err := to.Push(ctx, desc, r); err != nil {
		return nil, err
	}
	if err := to.PutManifest(ctx, key, m.encode()); err != nil {
		return nil, err
	}
	return m, nil
}

func decodeManifest(b []byte, m *Manifest) error { return json.Unmarshal(b, m) }

// storeMemo keeps op memo entries (LLM responses) in the store's key space,
// under keys derived so they can never collide with node keys.
type storeMemo struct {
	ctx context.Context
	s   store.Store
}

func memoKey(k digest.Digest) digest.Digest {
	return digest.FromString("dsbuild-memo-v1\n" + string(k))
}

func (m storeMemo) Get(k digest.Digest) ([]byte, bool) {
	b, err := m.s.GetManifest(m.ctx, memoKey(k))
	return b, err == nil
}

func (m storeMemo) Put(k digest.Digest, val []byte) error {
	return m.s.PutManifest(m.ctx, memoKey(k), val)
}
