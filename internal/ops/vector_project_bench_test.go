package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

// BenchmarkVectorProject runs the vector_project op (Arrow batches of 8192
// rows in, the input plus K float32 columns out, on every core through the
// op's ordered batch workers) over N×d float32 rows with K = 8, the shapes
// of the performance floor. The artifact writer is not included (see
// bench/vectors for the memory roof measured beside it).
//
//	go test -run XXX -bench VectorProject -benchtime 5x ./internal/ops
func BenchmarkVectorProject(b *testing.B) {
	for _, sh := range [][2]int{{200_000, 1024}, {50_000, 4096}} {
		n, d := sh[0], sh[1]
		b.Run(fmt.Sprintf("%dx%d", n, d), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			r := rand.New(rand.NewPCG(1, uint64(d)))
			const batch = 8192
			sc := arrow.NewSchema([]arrow.Field{{Name: "embedding", Type: arrow.FixedSizeListOf(int32(d), arrow.PrimitiveTypes.Float32)}}, nil)
			var recs []arrow.RecordBatch
			for lo := 0; lo < n; lo += batch {
				m := min(batch, n-lo)
				vals := make([]float32, m*d)
				for i := range vals {
					vals[i] = float32(r.NormFloat64())
				}
				vb := memory.NewBufferBytes(arrow.Float32Traits.CastToBytes(vals))
				child := array.NewData(arrow.PrimitiveTypes.Float32, m*d, []*memory.Buffer{nil, vb}, nil, 0, 0)
				ld := array.NewData(sc.Field(0).Type, m, []*memory.Buffer{nil}, []arrow.ArrayData{child}, 0, 0)
				col := array.MakeFromData(ld)
				recs = append(recs, array.NewRecordBatch(sc, []arrow.Array{col}, int64(m)))
			}
			vecs := make([][]float32, 8)
			for k := range vecs {
				vecs[k] = make([]float32, d)
				for j := range vecs[k] {
					vecs[k][j] = float32(r.NormFloat64())
				}
			}
			vr := vectorsRec(mem, vecs)
			n0, env := loadNodeB(b, `vectors "v" {
  url = "v.npy"
}
vector_project "p" {
  input = fetch.in
  vectors = [vectors.v]
}
`)
			op, _ := vectorProjectSpec.New(n0, env)
			if _, diags := op.Prepare([]*arrow.Schema{sc, vr.Schema()}); diags.HasErrors() {
				b.Fatal(diags)
			}
			in := Input{Schema: sc, Rows: int64(n), Open: func() (array.RecordReader, error) { return array.NewRecordReader(sc, recs) }}
			vin := Input{Schema: vr.Schema(), Rows: 1, Open: func() (array.RecordReader, error) {
				return array.NewRecordReader(vr.Schema(), []arrow.RecordBatch{vr})
			}}
			b.SetBytes(int64(n) * int64(d) * 4)
			b.ResetTimer()
			for range b.N {
				rc := RunContext{Mem: mem, Inputs: []Input{in, vin}, Budget: NewBudget(runtime.GOMAXPROCS(0)),
					Emit: func(arrow.RecordBatch) error { return nil }}
				if err := op.Run(context.Background(), &rc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(n)*float64(d)*8*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func loadNodeB(b *testing.B, src string) (*recipe.Node, *Env) {
	dir := b.TempDir()
	p := filepath.Join(dir, "r.hcl")
	if err := os.WriteFile(p, []byte(stubInput+src), 0o644); err != nil {
		b.Fatal(err)
	}
	r, diags := recipe.Load(p, Builtin().Kinds(), nil)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	return r.Node("vector_project.p"), &Env{ProjectDir: dir, RecipeDir: r.Dir}
}

// BenchmarkEmbedHash runs the embed op (hash-256) over ESConv-like
// utterances on one core, in Arrow batches of 8192.
//
//	go test -run XXX -bench EmbedHash -cpu 1 ./internal/ops
func BenchmarkEmbedHash(b *testing.B) {
	mem := memory.NewGoAllocator()
	texts := []string{
		"I've been feeling really down lately and I don't know who to talk to about it.",
		"That sounds really hard. It is understandable to feel that way when things pile up.",
		"My boss keeps giving me more work and I can't sleep.",
		"Have you tried talking to a friend or family member about how you feel?",
		"yes", "Thank you so much, this really helped.",
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	const n, batch = 100_000, 8192
	var recs []arrow.RecordBatch
	for lo := 0; lo < n; lo += batch {
		sb := array.NewStringBuilder(mem)
		for i := lo; i < min(lo+batch, n); i++ {
			sb.Append(texts[i%len(texts)])
		}
		col := sb.NewArray()
		recs = append(recs, array.NewRecordBatch(sc, []arrow.Array{col}, int64(col.Len())))
	}
	dir := b.TempDir()
	p := filepath.Join(dir, "r.hcl")
	if err := os.WriteFile(p, []byte(stubInput+"embed \"e\" {\n  input = fetch.in\n  model = \"hash-256\"\n}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	r, diags := recipe.Load(p, Builtin().Kinds(), nil)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	op, _ := embedSpec.New(r.Node("embed.e"), &Env{ProjectDir: dir, RecipeDir: dir})
	if _, diags := op.Prepare([]*arrow.Schema{sc}); diags.HasErrors() {
		b.Fatal(diags)
	}
	in := Input{Schema: sc, Rows: n, Open: func() (array.RecordReader, error) { return array.NewRecordReader(sc, recs) }}
	b.ResetTimer()
	for range b.N {
		rc := RunContext{Mem: mem, Inputs: []Input{in}, Budget: NewBudget(runtime.GOMAXPROCS(0)),
			Emit: func(arrow.RecordBatch) error { return nil }}
		if err := op.Run(context.Background(), &rc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/float64(runtime.GOMAXPROCS(0)), "utterances/s/core")
}
