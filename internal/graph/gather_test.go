package graph

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/dsbuild/dsbuild/internal/artifact"
	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/ops"
)

// The filter op hands the executor selections of its input batches
// (EmitRows), which the executor gathers into stored batches on several
// cores. The stored blob, logical digest and row count must be those of the
// materialized path: filter each input batch into a copy and write the
// copies.
func TestFilterSelectionsStoreTheMaterializedBlob(t *testing.T) {
	const where = `id % 3 != 1 && !is_null(val) && length(val) != 8`
	p := newProject(t, `
gen "a" {
  rows = 150000
}

filter "f" {
  input = gen.a
  where = `+where+`
}
`)
	pl := p.mustBuild(2)
	in, got := pl.Node("gen.a").Manifest, pl.Node("filter.f").Manifest
	if got.Rows < artifact.Rows {
		t.Fatalf("filter kept %d rows: too few to span two stored batches", got.Rows)
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rd, err := artifact.Open(context.Background(), p.store, mem, in.Blob)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	e, diags := hclsyntax.ParseExpression([]byte(where), "where", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog, diags := expr.Compile(e, rd.Schema(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	w, err := artifact.NewWriter(context.Background(), p.store, mem, rd.Schema(), artifact.Rows, ops.NewBudget(8))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for rd.Next() {
		rec := rd.RecordBatch()
		m, err := prog.Eval(ctx, mem, rec)
		if err != nil {
			t.Fatal(err)
		}
		out, err := expr.Filter(ctx, mem, rec, m.(*array.Boolean))
		m.Release()
		if err != nil {
			t.Fatal(err)
		}
		err = w.Write(out)
		out.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	desc, logical, rows, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != got.Blob || logical != got.Logical || rows != got.Rows {
		t.Errorf("executor stored blob %s, logical %s, %d rows; the materialized path gives %s, %s, %d",
			got.Blob, got.Logical, got.Rows, desc.Digest, logical, rows)
	}
}
