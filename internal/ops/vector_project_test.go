package ops

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// readAll reads a Parquet or Arrow file into one batch.
func readAll(t *testing.T, mem memory.Allocator, p string, f arrowio.Format) arrow.RecordBatch {
	t.Helper()
	rd, err := arrowio.Open(context.Background(), mem, []string{p}, arrowio.ReadOptions{Format: f, BatchSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var recs []arrow.RecordBatch
	for rd.Next() {
		r := rd.RecordBatch()
		r.Retain()
		recs = append(recs, r)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return concatRecs(t, mem, rd.Schema(), recs)
}

// concatRecs concatenates recs into one batch and releases them.
func concatRecs(t *testing.T, mem memory.Allocator, sc *arrow.Schema, recs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var n int64
	cols := make([]arrow.Array, sc.NumFields())
	for c := range cols {
		var parts []arrow.Array
		for _, r := range recs {
			parts = append(parts, r.Column(c))
		}
		if len(parts) == 0 {
			b := array.NewBuilder(mem, sc.Field(c).Type)
			cols[c] = b.NewArray()
			b.Release()
			continue
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = a
	}
	for _, r := range recs {
		n += r.NumRows()
	}
	out := array.NewRecordBatch(sc, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out
}

// vectorsFrom runs a file vectors op over the raw file p.
func vectorsFrom(t *testing.T, mem memory.Allocator, src, p string) arrow.RecordBatch {
	t.Helper()
	op := mustOp(t, src, "vectors.v")
	var out arrow.RecordBatch
	rc := RunContext{Mem: mem, RawPaths: []string{p}, DeclareSchema: func(*arrow.Schema) error { return nil },
		Emit: func(r arrow.RecordBatch) error { r.Retain(); out = r; return nil }}
	if err := op.Run(context.Background(), &rc); err != nil {
		t.Fatalf("vectors from %s: %v", filepath.Base(p), err)
	}
	return out
}

func oneBatchInput(rec arrow.RecordBatch, size int) (Input, func()) { return sliced(rec, size) }

// projectWith runs vector_project (src defines vector_project.p with input
// fetch.in and vectors vectors.v) over emb and vecs.
func projectWith(t *testing.T, mem memory.Allocator, src string, emb, vecs arrow.RecordBatch, size int) arrow.RecordBatch {
	t.Helper()
	n, env := loadNode(t, `vectors "v" {
  url = "v.npy"
}
`+src, "vector_project.p", nil)
	op, diags := vectorProjectSpec.New(n, env)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	// Inputs in dependency order.
	ins := map[string]arrow.RecordBatch{"fetch.in": emb, "vectors.v": vecs}
	var inputs []Input
	var schemas []*arrow.Schema
	for _, d := range n.Deps {
		in, release := oneBatchInput(ins[d], size)
		defer release()
		inputs = append(inputs, in)
		schemas = append(schemas, ins[d].Schema())
	}
	sc, diags := op.Prepare(schemas)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var recs []arrow.RecordBatch
	rc := RunContext{Mem: mem, Inputs: inputs, Budget: NewBudget(4),
		Emit: func(r arrow.RecordBatch) error { r.Retain(); recs = append(recs, r); return nil }}
	if err := op.Run(context.Background(), &rc); err != nil {
		t.Fatal(err)
	}
	return concatRecs(t, mem, sc, recs)
}

func col32(t *testing.T, rec arrow.RecordBatch, name string) *array.Float32 {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q in %s", name, rec.Schema())
	}
	return rec.Column(idx[0]).(*array.Float32)
}

// The reference files written by numpy, safetensors and Python load as
// the same eight vectors, and projecting the reference embeddings onto them
// matches projections_reference.f64.parquet (float64) within 1e-5
// relative, as scalar projections and as cosines.
func TestReferenceProjections(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	mem := checked()
	defer mem.AssertSize(t, 0)
	emb := readAll(t, mem, filepath.Join(dir, "embeddings_500x64.parquet"), arrowio.Parquet)
	defer emb.Release()
	ref := readAll(t, mem, filepath.Join(dir, "projections_reference.f64.parquet"), arrowio.Parquet)
	defer ref.Release()
	names := `["trait_0", "trait_1", "trait_2", "trait_3", "trait_4", "trait_5", "trait_6", "trait_7"]`
	for _, c := range []struct{ file, src string }{
		{"vectors_8x64.f32.npy", `vectors "v" {
  url = "x.npy"
  names = ` + names + `
}`},
		{"vectors.safetensors", `vectors "v" {
  url = "x.safetensors"
}`},
		{"vectors.json", `vectors "v" {
  url = "x.json"
}`},
	} {
		t.Run(c.file, func(t *testing.T) {
			vecs := vectorsFrom(t, mem, c.src, filepath.Join(dir, c.file))
			defer vecs.Release()
			if got := vecs.NumCols(); got != 8 {
				t.Fatalf("%d vectors, want 8: %s", got, vecs.Schema())
			}
			for _, normalize := range []bool{false, true} {
				prefix, attr := "proj_", ""
				if normalize {
					prefix, attr = "cos_", "\n  normalize = true\n  prefix = \"cos_\""
				}
				out := projectWith(t, mem, `vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]`+attr+`
}
`, emb, vecs, 77)
				for k := range 8 {
					name := fmt.Sprint(prefix, "trait_", k)
					got := col32(t, out, name)
					wantIdx := ref.Schema().FieldIndices(name)
					if len(wantIdx) != 1 {
						t.Fatalf("reference has no %s: %s", name, ref.Schema())
					}
					want := ref.Column(wantIdx[0]).(*array.Float64)
					if got.Len() != 500 || want.Len() != 500 {
						t.Fatalf("%s: %d rows, reference %d, want 500", name, got.Len(), want.Len())
					}
					for i := range 500 {
						g, w := float64(got.Value(i)), want.Value(i)
						if math.Abs(g-w) > 1e-5*math.Abs(w) {
							t.Fatalf("%s row %d = %v, reference %v", name, i, g, w)
						}
					}
				}
				out.Release()
			}
		})
	}
	// The float64 (d,) file is trait_0 alone.
	one := vectorsFrom(t, mem, `vectors "v" {
  url = "x.npy"
  names = ["trait_0"]
}`, filepath.Join(dir, "vector_64.f64.npy"))
	defer one.Release()
	out := projectWith(t, mem, `vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`, emb, one, 500)
	defer out.Release()
	got, want := col32(t, out, "proj_trait_0"), ref.Column(ref.Schema().FieldIndices("proj_trait_0")[0]).(*array.Float64)
	for i := range 500 {
		if g, w := float64(got.Value(i)), want.Value(i); math.Abs(g-w) > 1e-5*math.Abs(w) {
			t.Fatalf("f64 vector: row %d = %v, reference %v", i, g, w)
		}
	}
}

// fixedRows builds a batch (id int64, embedding fixed_size_list<float32>[d])
// of random rows, every seventh null.
func fixedRows(mem memory.Allocator, r *rand.Rand, n, d int) arrow.RecordBatch {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "embedding", Type: arrow.FixedSizeListOf(int32(d), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	lb := b.Field(1).(*array.FixedSizeListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 3 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for range d {
			vb.Append(float32(r.NormFloat64()))
		}
	}
	return b.NewRecordBatch()
}

func vectorsRec(mem memory.Allocator, vecs [][]float32) arrow.RecordBatch {
	names := make([]string, len(vecs))
	cols := make([]arrow.Array, len(vecs))
	for k, v := range vecs {
		names[k] = fmt.Sprint("v", k)
		b := array.NewFixedSizeListBuilder(mem, int32(len(v)), arrow.PrimitiveTypes.Float32)
		b.Append(true)
		b.ValueBuilder().(*array.Float32Builder).AppendValues(v, nil)
		cols[k] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(vectorsSchema(names, len(vecs[0])), cols, 1)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// Projections equal a float64 computation within 1e-5 relative, for
// d ∈ {1, 3, 768, 4096} and K ∈ {1, 8}, with a baseline too, null rows
// null; batch size does not change a bit.
func TestProjectMatchesFloat64(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	for _, d := range []int{1, 3, 768, 4096} {
		for _, k := range []int{1, 8} {
			emb := fixedRows(mem, r, 61, d)
			vecs := make([][]float32, k)
			for i := range vecs {
				vecs[i] = make([]float32, d)
				for j := range vecs[i] {
					vecs[i][j] = float32(r.NormFloat64())
				}
			}
			vr := vectorsRec(mem, vecs)
			src := `vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`
			out := projectWith(t, mem, strings.Replace(src, "}", "  drop_column = true\n}", 1), emb, vr, 16)
			if out.Schema().HasField("embedding") || !out.Schema().HasField("id") {
				t.Fatalf("drop_column: output schema %s", out.Schema())
			}
			out2 := projectWith(t, mem, src, emb, vr, 61)
			ev := emb.Column(1).(*array.FixedSizeList)
			vals := ev.ListValues().(*array.Float32).Float32Values()
			for kk := range k {
				got := col32(t, out, fmt.Sprint("proj_v", kk))
				got2 := col32(t, out2, fmt.Sprint("proj_v", kk))
				var vv float64
				for _, x := range vecs[kk] {
					vv += float64(x) * float64(x)
				}
				for i := range 61 {
					if got.IsNull(i) != ev.IsNull(i) || got2.IsNull(i) != ev.IsNull(i) {
						t.Fatalf("d=%d K=%d row %d: null %v, input null %v", d, k, i, got.IsNull(i), ev.IsNull(i))
					}
					if ev.IsNull(i) {
						continue
					}
					var dot float64
					for j := range d {
						dot += float64(vals[i*d+j]) * float64(vecs[kk][j])
					}
					want := dot / math.Sqrt(vv)
					if g := float64(got.Value(i)); math.Abs(g-want) > 1e-5*math.Abs(want) {
						t.Fatalf("d=%d K=%d row %d vector %d: %v, float64 %v", d, k, i, kk, g, want)
					}
					if math.Float32bits(got.Value(i)) != math.Float32bits(got2.Value(i)) {
						t.Fatalf("batch size changed row %d: %v vs %v", i, got.Value(i), got2.Value(i))
					}
				}
			}
			out.Release()
			out2.Release()
			vr.Release()
			emb.Release()
		}
	}
}

// A column whose dimension differs from the vectors' is a diagnostic at
// Prepare (plan time) naming both dimensions.
func TestProjectDimensionMismatch(t *testing.T) {
	op := mustOp(t, `vectors "v" {
  url = "v.npy"
}
vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`, "vector_project.p")
	in := arrow.NewSchema([]arrow.Field{{Name: "embedding", Type: arrow.FixedSizeListOf(768, arrow.PrimitiveTypes.Float32)}}, nil)
	_, diags := op.Prepare([]*arrow.Schema{in, vectorsSchema([]string{"a"}, 64)})
	wantDiag(t, diags, "Dimension mismatch", "768", "64")
}

func TestRaggedListIsAnErrorNamingTheRow(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "embedding", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true}}, nil)
	emb := fromJSON(t, mem, sc, `[{"embedding": [1, 2]}, {"embedding": null}, {"embedding": [3, 4]}, {"embedding": [5, 6, 7]}]`)
	defer emb.Release()
	vr := vectorsRec(mem, [][]float32{{1, 0}})
	defer vr.Release()
	// Constant-length rows project like a fixed-size list.
	good := emb.NewSlice(0, 3)
	defer good.Release()
	out := projectWith(t, mem, `vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`, good, vr, 2)
	defer out.Release()
	p := col32(t, out, "proj_v0")
	if p.Value(0) != 1 || !p.IsNull(1) || p.Value(2) != 3 {
		t.Errorf("projections of a list column: %v", p)
	}
	n, env := loadNode(t, `vectors "v" {
  url = "v.npy"
}
vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`, "vector_project.p", nil)
	op, _ := vectorProjectSpec.New(n, env)
	if _, diags := op.Prepare([]*arrow.Schema{sc, vr.Schema()}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	in, release := sliced(emb, 3)
	defer release()
	vin, vrelease := sliced(vr, 1)
	defer vrelease()
	rc := RunContext{Mem: mem, Inputs: []Input{in, vin}, Emit: func(arrow.RecordBatch) error { return nil }}
	err := op.Run(context.Background(), &rc)
	if err == nil || !strings.Contains(err.Error(), "row 3") || !strings.Contains(err.Error(), "3 elements, want 2") {
		t.Fatalf("ragged list: %v, want an error naming row 3", err)
	}
}

// Vectors from a Parquet/Arrow table of (name, vector) rows.
func TestVectorsFromTable(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String}, {Name: "vector", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32)}}, nil)
	rec := fromJSON(t, mem, sc, `[{"name": "a", "vector": [1, 0, 0]}, {"name": "b", "vector": [0, 2, 0]}]`)
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "v.arrow")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := arrowio.NewWriter(f, arrowio.Arrow, sc, mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	vecs := vectorsFrom(t, mem, `vectors "v" {
  url = "v.arrow"
}`, p)
	defer vecs.Release()
	if got := strings.Join(SchemaFields(vecs.Schema()), "; "); got != "a: fixed_size_list<float32>[3] not null; b: fixed_size_list<float32>[3] not null" {
		t.Errorf("schema %s", got)
	}
}

// Derived vectors: the normalized difference of the mean vectors of two
// sets (nulls skipped), from fixed-size or (with dimensions) list columns.
func TestDerivedVectors(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "embedding", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true}}, nil)
	pos := fromJSON(t, mem, sc, `[{"embedding": [2, 0]}, {"embedding": null}, {"embedding": [4, 2]}]`)
	defer pos.Release()
	neg := fromJSON(t, mem, sc, `[{"embedding": [0, 1]}]`)
	defer neg.Release()
	src := `filter "neg" {
  input = fetch.in
  where = true
}
vectors "v" {
  positive = fetch.in
  negative = filter.neg
  name = "warmth"
}
`
	_, diags := mustOp(t, src, "vectors.v").Prepare([]*arrow.Schema{sc, sc})
	wantDiag(t, diags, "Dimension unknown", "dimensions")
	op := mustOp(t, strings.Replace(src, `name = "warmth"`, "name = \"warmth\"\n  dimensions = 2", 1), "vectors.v")
	out, diags := op.Prepare([]*arrow.Schema{sc, sc})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	pin, r1 := sliced(pos, 2)
	defer r1()
	nin, r2 := sliced(neg, 1)
	defer r2()
	res, err := run(t, context.Background(), mem, op, out, RunContext{Inputs: []Input{pin, nin}})
	if err != nil {
		t.Fatal(err)
	}
	// mean(pos) = (3, 1), mean(neg) = (0, 1): difference (3, 0), normalized (1, 0).
	if got := strings.Join(res.Rows, ""); got != `{"warmth":[1,0]}` {
		t.Fatalf("derived vector %s, want (1, 0)", got)
	}
}

func TestVectorsDiagnostics(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`url = "v.npy"` + "\n  positive = fetch.in", "Two sources of vectors"},
		{`column = "e"`, "No source of vectors"},
		{`positive = fetch.in`, "Missing contrastive set"},
		{`url = "v.json"` + "\n" + `names = ["a"]`, "names names the rows of a .npy array"},
		{`url = "v.bin"`, "Cannot tell the format"},
		{`url = "v.npy"` + "\n" + `names = ["a", "a"]`, "distinct"},
		{`url = "v.npy"` + "\n" + `digest = "sha256:abc"`, "not a sha256 digest"},
		{`url = "v.npy"` + "\n" + `column = "e"`, "applies only to derived vectors"},
	} {
		_, diags := newOp(t, "vectors \"v\" {\n  "+c.body+"\n}\n", "vectors.v", nil, nil)
		wantDiag(t, diags, c.want)
	}
	// Vector names and dimensions are checked when vector_project is
	// prepared: two vectors nodes naming one vector clash.
	op := mustOp(t, `vectors "a" {
  url = "a.npy"
}
vectors "b" {
  url = "b.npy"
}
vector_project "p" {
  input = fetch.in
  vectors = [vectors.a, vectors.b]
}
`, "vector_project.p")
	in := arrow.NewSchema([]arrow.Field{{Name: "embedding", Type: arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32)}}, nil)
	_, diags := op.Prepare([]*arrow.Schema{in, vectorsSchema([]string{"x"}, 4), vectorsSchema([]string{"x"}, 4)})
	wantDiag(t, diags, "Duplicate vector name", `"x"`)
	_, diags = op.Prepare([]*arrow.Schema{in, vectorsSchema([]string{"x"}, 4), vectorsSchema([]string{"y"}, 5)})
	wantDiag(t, diags, "Dimension mismatch", "dimension 5", "dimension 4")
}
