package ops

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

// stubInput is the upstream node every test recipe references as fetch.in.
const stubInput = `fetch "in" { url = "x.json" }` + "\n"

// loadNode loads src, prefixed by stubInput, and returns the node id and
// the environment a plan would give it. Recipe diagnostics fail the test:
// the ops, not the loader, are under test.
func loadNode(t *testing.T, src, id string, vars map[string]string) (*recipe.Node, *Env) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "r.hcl")
	if err := os.WriteFile(p, []byte(stubInput+src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, diags := recipe.Load(p, Builtin().Kinds(), vars)
	if diags.HasErrors() {
		t.Fatalf("recipe.Load: %s", diags.Error())
	}
	n := r.Node(id)
	if n == nil {
		t.Fatalf("recipe has no node %s", id)
	}
	env := &Env{ProjectDir: dir, RecipeDir: r.Dir, Vars: map[string]cty.Value{}}
	for _, v := range r.Variables {
		env.Vars[v.Name] = v.Value
	}
	return n, env
}

// newOp builds the op for node id of src.
func newOp(t *testing.T, src, id string, vars map[string]string, env func(*Env)) (Op, hcl.Diagnostics) {
	t.Helper()
	n, e := loadNode(t, src, id, vars)
	if env != nil {
		env(e)
	}
	return Builtin()[n.Kind].New(n, e)
}

// mustOp is newOp that fails the test on diagnostics.
func mustOp(t *testing.T, src, id string) Op {
	t.Helper()
	op, diags := newOp(t, src, id, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("New(%s): %s", id, diags.Error())
	}
	return op
}

// prepare calls Prepare with one input schema.
func prepare(t *testing.T, op Op, in *arrow.Schema) *arrow.Schema {
	t.Helper()
	out, diags := op.Prepare([]*arrow.Schema{in})
	if diags.HasErrors() {
		t.Fatalf("Prepare: %s", diags.Error())
	}
	return out
}

// wantDiag checks that diags has an error whose summary or detail contains
// every one of subs, and that it points into the recipe.
func wantDiag(t *testing.T, diags hcl.Diagnostics, subs ...string) *hcl.Diagnostic {
	t.Helper()
	for _, d := range diags {
		text := d.Summary + ": " + d.Detail
		ok := d.Severity == hcl.DiagError
		for _, s := range subs {
			ok = ok && strings.Contains(text, s)
		}
		if ok {
			if d.Subject == nil || d.Subject.Filename == "" || d.Subject.Start.Line == 0 {
				t.Errorf("diagnostic %q has no source range", d.Summary)
			}
			return d
		}
	}
	t.Fatalf("diagnostics = %v, want an error containing %q", diags, subs)
	return nil
}

// fromJSON builds one batch from a JSON array of rows.
func fromJSON(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatalf("RecordFromJSON: %v", err)
	}
	return rec
}

// sliced returns an input that reads rec in batches of size rows (the last
// one shorter). The returned func releases the slices; call it before the
// allocator is checked.
func sliced(rec arrow.RecordBatch, size int) (Input, func()) {
	var parts []arrow.RecordBatch
	for i := int64(0); i < rec.NumRows(); i += int64(size) {
		j := min(i+int64(size), rec.NumRows())
		parts = append(parts, rec.NewSlice(i, j))
	}
	in := Input{
		Schema: rec.Schema(),
		Rows:   rec.NumRows(),
		Open: func() (array.RecordReader, error) {
			return array.NewRecordReader(rec.Schema(), parts)
		},
	}
	return in, func() {
		for _, p := range parts {
			p.Release()
		}
	}
}

// result is what an op emitted.
type result struct {
	Schema  *arrow.Schema // declared or of the first batch
	Rows    []string      // one JSON object per row, keys sorted
	Batches int
}

// run prepares op over in, runs it and collects its output. prepared is the
// schema Prepare returned (nil for ops that declare it at run time); every
// emitted batch must have it.
func run(t *testing.T, ctx context.Context, mem memory.Allocator, op Op, prepared *arrow.Schema, rc RunContext) (*result, error) {
	t.Helper()
	res := &result{Schema: prepared}
	declared := prepared
	rc.Mem = mem
	if rc.BatchSize == 0 {
		rc.BatchSize = 1024
	}
	rc.DeclareSchema = func(s *arrow.Schema) error {
		if declared != nil && !declared.Equal(s) {
			return errors.New("DeclareSchema called twice with different schemas")
		}
		declared = s
		res.Schema = s
		return nil
	}
	var kept []arrow.RecordBatch
	defer func() {
		for _, r := range kept {
			r.Release()
		}
	}()
	rc.Emit = func(rec arrow.RecordBatch) error {
		if declared == nil {
			return errors.New("Emit before DeclareSchema")
		}
		if !declared.Equal(rec.Schema()) {
			t.Errorf("emitted schema\n%s\nwant\n%s", rec.Schema(), declared)
		}
		for i, c := range rec.Columns() {
			if int64(c.Len()) != rec.NumRows() {
				t.Errorf("column %d has %d values in a batch of %d rows", i, c.Len(), rec.NumRows())
			}
		}
		rec.Retain() // the batch is only borrowed
		kept = append(kept, rec)
		return nil
	}
	if err := op.Run(ctx, &rc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, r := range kept {
		if err := array.RecordToJSON(r, &buf); err != nil {
			t.Fatalf("RecordToJSON: %v", err)
		}
	}
	res.Batches = len(kept)
	if s := strings.TrimSpace(buf.String()); s != "" {
		res.Rows = strings.Split(s, "\n")
	}
	return res, nil
}

// runRec prepares op for rec's schema and runs it over rec in batches of
// size rows.
func runRec(t *testing.T, mem memory.Allocator, op Op, rec arrow.RecordBatch, size int) (*result, error) {
	t.Helper()
	out := prepare(t, op, rec.Schema())
	in, release := sliced(rec, size)
	defer release()
	return run(t, context.Background(), mem, op, out, RunContext{Inputs: []Input{in}})
}

// checked returns a checked allocator; defer mem.AssertSize(t, 0).
func checked() *memory.CheckedAllocator {
	return memory.NewCheckedAllocator(memory.NewGoAllocator())
}

func paramMap(ps []Param) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}
