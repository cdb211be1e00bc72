package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// The SIMD kernel and the pure-Go kernel give the same bits: results do not
// depend on the CPU.
func TestKernelMatchesGoBitForBit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{1, 3, 4, 7, 8, 33, 64, 100, 768, 1023, 4096} {
		for _, k := range []int{1, 3, 4} {
			vecs := make([][]float32, k)
			for i := range vecs {
				vecs[i] = randVec(r, d)
			}
			b := newBlock(vecs, d)
			rows := [Rows][]float32{randVec(r, d), randVec(r, d), randVec(r, d)}
			var got, want [Rows * Group]float64
			dot3(&rows, &b, d, &got)
			// The same with the Go kernel, written out: lane i%4, the tail
			// in lanes 0.., then (l0+l2)+(l1+l3).
			for q := range Rows {
				for kk := range Group {
					var l [Lanes]float64
					for i := range d {
						lane := i % Lanes
						if i >= d&^(Lanes-1) {
							lane = i - d&^(Lanes-1)
						}
						v := 0.0
						if kk < k {
							v = float64(vecs[kk][i])
						}
						l[lane] += float64(rows[q][i]) * v
					}
					want[q*Group+kk] = (l[0] + l[2]) + (l[1] + l[3])
				}
			}
			if got != want {
				t.Errorf("d=%d k=%d: kernel %s = %v, written out %v", d, k, Kernel(), got, want)
			}
			var viaGo acc
			if body := d &^ (Lanes - 1); body > 0 {
				kernelGo(rows[0][:body], rows[1][:body], rows[2][:body], b.data[:body*Group], &viaGo)
				var viaKernel acc
				kernel(rows[0][:body], rows[1][:body], rows[2][:body], b.data[:body*Group], &viaKernel)
				if viaGo != viaKernel {
					t.Errorf("d=%d k=%d: kernel %s and kernelGo differ", d, k, Kernel())
				}
			}
			for kk := range k {
				for q := range Rows {
					var ref float64
					for i := range d {
						ref += float64(rows[q][i]) * float64(vecs[kk][i])
					}
					if math.Abs(got[q*Group+kk]-ref) > 1e-9*(1+math.Abs(ref)) {
						t.Errorf("d=%d k=%d row %d: dot %v, naive %v", d, kk, q, got[q*Group+kk], ref)
					}
				}
			}
		}
	}
}

// Projections equal a float64 reference within 1e-5 relative (in fact to
// float32 rounding), for every shape the issue names, with nulls skipped
// and an odd row count (the last row has no partner).
func TestProjectMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{1, 3, 768, 4096} {
		for _, k := range []int{1, 8} {
			for _, normalize := range []bool{false, true} {
				n := 37 + tileRows*3
				vecs := make([][]float32, k)
				names := make([]string, k)
				for i := range vecs {
					vecs[i] = randVec(r, d)
					names[i] = "v"
				}
				p, err := NewProjector(vecs, names, nil, normalize)
				if err != nil {
					t.Fatal(err)
				}
				values := randVec(r, n*d)
				out := make([][]float32, k)
				for i := range out {
					out[i] = make([]float32, n)
				}
				skip := func(i int) bool { return i%5 == 2 }
				p.Rows(values, n, skip, out, &Scratch{})
				// Tiling and pairing change no bit: each row equals its own
				// untiled dot2.
				for i := range n {
					if skip(i) || normalize {
						continue
					}
					e := values[i*d : (i+1)*d]
					for b := range p.blocks {
						var res [Rows * Group]float64
						g := [Rows][]float32{e, e, e}
						dot3(&g, &p.blocks[b], d, &res)
						for k := 0; k < p.blocks[b].n; k++ {
							kk := b*Group + k
							if want := float32(res[k] / p.norm[kk]); math.Float32bits(want) != math.Float32bits(out[kk][i]) {
								t.Fatalf("d=%d K=%d row %d vector %d: tiled %v, untiled %v", d, k, i, kk, out[kk][i], want)
							}
						}
					}
				}
				for i := range n {
					e := values[i*d : (i+1)*d]
					var ee float64
					for _, x := range e {
						ee += float64(x) * float64(x)
					}
					for kk := range k {
						if skip(i) {
							if out[kk][i] != 0 {
								t.Fatalf("skipped row %d written", i)
							}
							continue
						}
						var dot, vv float64
						for j := range d {
							dot += float64(e[j]) * float64(vecs[kk][j])
							vv += float64(vecs[kk][j]) * float64(vecs[kk][j])
						}
						want := dot / math.Sqrt(vv)
						if normalize {
							want /= math.Sqrt(ee)
						}
						if got := float64(out[kk][i]); math.Abs(got-want) > 1e-5*math.Abs(want) {
							t.Errorf("d=%d K=%d normalize=%v row %d vector %d: %v, float64 reference %v", d, k, normalize, i, kk, got, want)
						}
					}
				}
			}
		}
	}
}
