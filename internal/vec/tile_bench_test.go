package vec

import (
	"math/rand/v2"
	"testing"
)

func benchData(n, d, k int) ([]float32, *Projector, [][]float32) {
	r := rand.New(rand.NewPCG(1, 1))
	values := randVec(r, n*d)
	vecs := make([][]float32, k)
	names := make([]string, k)
	for i := range vecs {
		vecs[i] = randVec(r, d)
	}
	p, _ := NewProjector(vecs, names, nil, false)
	out := make([][]float32, k)
	for i := range out {
		out[i] = make([]float32, n)
	}
	return values, p, out
}

// BenchmarkRows compares the tiled Rows with untiled dot3 calls,
// one core, 8192 rows.
func BenchmarkRows(b *testing.B) {
	for _, d := range []int{1024, 4096} {
		n := 8192
		values, p, out := benchData(n, d, 8)
		flops := 2 * float64(n) * float64(d) * 8
		b.Run("tiled/"+itoa(d), func(b *testing.B) {
			var s Scratch
			for range b.N {
				p.Rows(values, n, nil, out, &s)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("untiled/"+itoa(d), func(b *testing.B) {
			var res [Rows * Group]float64
			for range b.N {
				for i := 0; i+Rows <= n; i += Rows {
					g := [Rows][]float32{values[i*d : (i+1)*d], values[(i+1)*d : (i+2)*d], values[(i+2)*d : (i+3)*d]}
					for bl := range p.blocks {
						dot3(&g, &p.blocks[bl], d, &res)
						out[0][i] = float32(res[0])
					}
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func itoa(x int) string {
	s := ""
	for ; x > 0; x /= 10 {
		s = string(rune('0'+x%10)) + s
	}
	return s
}
