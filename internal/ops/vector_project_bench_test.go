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
