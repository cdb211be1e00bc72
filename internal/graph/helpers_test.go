package graph

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fakeOps is a registry of the builtin ops plus test kinds whose runs are
// counted per node, BuildKit style:
//
//	gen "NAME" { input = gen.x, also = gen.y, rows = 10, fail = false, sleep_ms = 0, block = false, seed = 0 }
//	badsink "NAME" { input = gen.x, path = "out/x.txt", fail = true }
//
// gen emits its inputs' rows, then `rows` rows of its own (id int64, val
// utf8) in batches of 3 rows; head reads only the first batch of each input; block waits for cancellation; started is
// closed by the first gen run with block set.
type fakeOps struct {
	reg     ops.Registry
	mu      sync.Mutex
	runs    map[string]*atomic.Int64
	started chan struct{}
	once    sync.Once
}

func newFakeOps() *fakeOps {
	f := &fakeOps{reg: ops.Builtin(), runs: map[string]*atomic.Int64{}, started: make(chan struct{})}
	f.reg["gen"] = &ops.Spec{
		Kind: "gen", Version: 1, Doc: "test rows",
		Attrs: []recipe.AttrSpec{
			{Name: "input", Mode: recipe.Ref},
			{Name: "also", Mode: recipe.Ref},
			{Name: "rows", Mode: recipe.Static, Type: cty.Number},
			{Name: "seed", Mode: recipe.Static, Type: cty.Number},
			{Name: "fail", Mode: recipe.Static, Type: cty.Bool},
			{Name: "sleep_ms", Mode: recipe.Static, Type: cty.Number},
			{Name: "block", Mode: recipe.Static, Type: cty.Bool},
			{Name: "bad_schema", Mode: recipe.Static, Type: cty.Bool},
			{Name: "head", Mode: recipe.Static, Type: cty.Bool},
		},
		New: func(n *recipe.Node, env *ops.Env) (ops.Op, hcl.Diagnostics) {
			return &genOp{f: f, id: n.ID(), rows: num(n, "rows", 10), seed: num(n, "seed", 0),
				fail: flagAttr(n, "fail"), sleep: time.Duration(num(n, "sleep_ms", 0)) * time.Millisecond,
				block: flagAttr(n, "block"), badSchema: flagAttr(n, "bad_schema"), head: flagAttr(n, "head")}, nil
		},
	}
	f.reg["badsink"] = &ops.Spec{
		Kind: "badsink", Version: 1, Doc: "a sink that writes some bytes, then fails",
		Attrs: []recipe.AttrSpec{
			{Name: "input", Required: true, Mode: recipe.Ref},
			{Name: "path", Required: true, Mode: recipe.Static, Type: cty.String},
			{Name: "fail", Mode: recipe.Static, Type: cty.Bool},
		},
		New: func(n *recipe.Node, env *ops.Env) (ops.Op, hcl.Diagnostics) {
			return &badSink{f: f, id: n.ID(), path: n.Attrs["path"].Value.AsString(), fail: flagAttr(n, "fail")}, nil
		},
	}
	return f
}

func num(n *recipe.Node, name string, def int64) int64 {
	a, ok := n.Attrs[name]
	if !ok || a.Value.IsNull() {
		return def
	}
	i, _ := a.Value.AsBigFloat().Int64()
	return i
}

func flagAttr(n *recipe.Node, name string) bool {
	a, ok := n.Attrs[name]
	return ok && !a.Value.IsNull() && a.Value.True()
}

func (f *fakeOps) counter(id string) *atomic.Int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.runs[id]
	if !ok {
		c = new(atomic.Int64)
		f.runs[id] = c
	}
	return c
}

// Runs returns how many times node id has run.
func (f *fakeOps) Runs(id string) int64 { return f.counter(id).Load() }

var genSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "val", Type: arrow.BinaryTypes.String},
}, nil)

type genOp struct {
	f                            *fakeOps
	id                           string
	rows, seed                   int64
	fail, block, badSchema, head bool
	sleep                        time.Duration
}

func (g *genOp) Params() []ops.Param {
	return []ops.Param{{Name: "fail", Value: fmt.Sprint(g.fail)}, {Name: "rows", Value: fmt.Sprint(g.rows)},
		{Name: "seed", Value: fmt.Sprint(g.seed)}}
}

func (g *genOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	return genSchema, nil
}

func (g *genOp) Run(ctx context.Context, rc *ops.RunContext) error {
	g.f.counter(g.id).Add(1)
	if g.sleep > 0 {
		select {
		case <-time.After(g.sleep):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if g.fail {
		return errors.New("gen failed on purpose")
	}
	for _, in := range rc.Inputs {
		rd, err := in.Open()
		if err != nil {
			return err
		}
		for rd.Next() {
			if err := rc.Emit(rd.RecordBatch()); err != nil {
				rd.Release()
				return err
			}
			if g.head {
				break // like a limit: the rest of the input is never read
			}
		}
		err = rd.Err()
		rd.Release()
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
	}
	for off := int64(0); off < g.rows; off += 3 {
		rec := genBatch(rc.Mem, g.seed*1000+off, min(3, g.rows-off))
		err := rc.Emit(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if g.badSchema {
		b := array.NewFloat64Builder(rc.Mem)
		defer b.Release()
		b.Append(1)
		col := b.NewArray()
		defer col.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil), []arrow.Array{col}, 1)
		defer rec.Release()
		return rc.Emit(rec)
	}
	if g.block {
		g.f.once.Do(func() { close(g.f.started) })
		<-ctx.Done()
		// Like many ops, report the interruption without wrapping it.
		return fmt.Errorf("gen %s: stopped: %v", g.id, ctx.Err())
	}
	return nil
}

// genBatch returns rows [first, first+n) of deterministic data.
func genBatch(mem memory.Allocator, first, n int64) arrow.RecordBatch {
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for i := first; i < first+n; i++ {
		ib.Append(i)
		if i%5 == 0 {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("row-%d", i))
		}
	}
	ic, sc := ib.NewArray(), sb.NewArray()
	defer ic.Release()
	defer sc.Release()
	return array.NewRecordBatch(genSchema, []arrow.Array{ic, sc}, n)
}

type badSink struct {
	f    *fakeOps
	id   string
	path string
	fail bool
}

func (s *badSink) Params() []ops.Param {
	return []ops.Param{{Name: "fail", Value: fmt.Sprint(s.fail)}, {Name: "path", Value: s.path}}
}
func (s *badSink) Prepare([]*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) { return nil, nil }
func (s *badSink) Path() string                                             { return s.path }
func (s *badSink) MediaType() string                                        { return "text/plain" }
func (s *badSink) Run(ctx context.Context, rc *ops.RunContext) error {
	s.f.counter(s.id).Add(1)
	io.WriteString(rc.File, "partial output\n")
	if s.fail {
		return errors.New("sink failed on purpose")
	}
	return nil
}

// project is a temporary project directory with one recipe.
type project struct {
	t     *testing.T
	dir   string
	store *cache.Store
	ops   *fakeOps
}

func newProject(t *testing.T, src string) *project {
	t.Helper()
	dir := t.TempDir()
	s, err := cache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	p := &project{t: t, dir: dir, store: s, ops: newFakeOps()}
	p.write(src)
	return p
}

func (p *project) recipePath() string { return filepath.Join(p.dir, "recipes", "test.hcl") }

func (p *project) write(src string) {
	p.t.Helper()
	if err := os.MkdirAll(filepath.Dir(p.recipePath()), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(p.recipePath(), []byte(src), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *project) load(vars map[string]string) *Plan {
	p.t.Helper()
	pl, diags := Load(LoadOptions{Recipe: p.recipePath(), Vars: vars, Registry: p.ops.reg, ProjectDir: p.dir})
	if diags.HasErrors() {
		p.t.Fatalf("Load: %v", diags)
	}
	return pl
}

// build loads the recipe and executes it with a checked allocator.
func (p *project) build(jobs int) (*Plan, error) {
	p.t.Helper()
	pl := p.load(nil)
	return pl, p.exec(context.Background(), pl, ExecOptions{Jobs: jobs})
}

func (p *project) exec(ctx context.Context, pl *Plan, o ExecOptions) error {
	p.t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(p.t, 0)
	o.Store, o.Mem = p.store, mem
	return pl.Execute(ctx, o)
}

func (p *project) mustBuild(jobs int) *Plan {
	p.t.Helper()
	pl, err := p.build(jobs)
	if err != nil {
		p.t.Fatalf("Execute: %v", err)
	}
	return pl
}

// checkStore verifies every blob and that no temporary file is left.
func checkStore(t *testing.T, s *cache.Store) {
	t.Helper()
	blobs, err := s.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if err := s.Verify(b.Digest); err != nil {
			t.Errorf("Store.Verify(%s) = %v, want nil", b.Digest, err)
		}
	}
	ingest, _ := os.ReadDir(filepath.Join(s.Root(), "ingest"))
	for _, e := range ingest {
		t.Errorf("temporary file left in the store: ingest/%s", e.Name())
	}
}

// recorder records Start calls.
type recorder struct {
	mu      sync.Mutex
	started map[string]int
	onStart func(*Node)
}

func (r *recorder) Start(n *Node) {
	r.mu.Lock()
	if r.started == nil {
		r.started = map[string]int{}
	}
	r.started[n.ID]++
	r.mu.Unlock()
	if r.onStart != nil {
		r.onStart(n)
	}
}
func (r *recorder) Progress(*Node, int64, int64)     {}
func (r *recorder) Done(*Node, time.Duration, error) {}
func (r *recorder) Started(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started[id]
}
