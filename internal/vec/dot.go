// Package vec owns dsbuild's vector arithmetic and vector files: the dot
// product kernel behind vector_project, readers of direction vectors
// (.npy, .safetensors, JSON) and the built-in hash embedder.
//
// Every result here is a function of its inputs only. Dot products of
// float32 data are summed in float64: the product of two float32 values is
// exact in float64, so a fused multiply-add and a multiply followed by an
// add round alike, and each sum runs in one fixed order (Lanes partial
// sums, element i in lane i%Lanes, the tail in lanes 0, 1, ...; then the
// lanes pairwise) that the SIMD kernel and the pure-Go fallback both
// follow. So a projection is the same bytes on every CPU, with or without
// AVX2, and exact to float32's rounding rather than off by float32
// accumulation's sqrt(d) ulps. The package never reads the store and never
// schedules work.
package vec

// Lanes is the number of partial sums one dot product keeps.
const Lanes = 4

// Group is how many direction vectors the kernel dots a group of Rows
// rows with at once (3 rows × 4 vectors: twelve accumulators, so the FMA
// pipes never wait on one accumulator's latency, and each row chunk and
// vector chunk is loaded once for several products). How rows are grouped
// changes no result: each (row, vector) sum has its own lanes.
const (
	Group = 4
	Rows  = 3
)

// block holds Group vectors of dimension d (zero-padded when fewer),
// interleaved for the kernel: for every chunk of Lanes elements, the chunk
// of vector 0, then of vector 1, ... (float64 values of float32 numbers).
type block struct {
	n    int // real vectors in the block
	data []float64
}

func newBlock(vecs [][]float32, d int) block {
	b := block{n: len(vecs), data: make([]float64, Group*d)}
	body := d &^ (Lanes - 1)
	for k, v := range vecs {
		for i := 0; i < body; i++ {
			b.data[(i/Lanes)*Group*Lanes+k*Lanes+i%Lanes] = float64(v[i])
		}
		for i := body; i < d; i++ {
			b.data[body*Group+(i-body)*Group+k] = float64(v[i])
		}
	}
	return b
}

// acc holds the partial sums of Rows rows against Group vectors:
// acc[r*Group+k][lane].
type acc [Rows * Group][Lanes]float64

// dot3 computes the dot products of three rows (length d) with the block's
// vectors into out[r*Group+k].
func dot3(r *[Rows][]float32, b *block, d int, out *[Rows * Group]float64) {
	var a acc
	accumulate(r, b, 0, d&^(Lanes-1), &a)
	finish(r, b, d, &a, out)
}

// accumulate adds elements [lo, hi) of the rows (multiples of Lanes) to
// a. Each lane sums its elements in index order however [0, body) is cut
// into ranges, so tiling the work changes no bit.
func accumulate(r *[Rows][]float32, b *block, lo, hi int, a *acc) {
	if hi > lo {
		kernel(r[0][lo:hi], r[1][lo:hi], r[2][lo:hi], b.data[lo*Group:hi*Group], a)
	}
}

// finish adds the tail (elements past the last multiple of Lanes) and
// reduces the lanes into out.
func finish(r *[Rows][]float32, b *block, d int, a *acc, out *[Rows * Group]float64) {
	body := d &^ (Lanes - 1)
	tail := b.data[body*Group:]
	for i := body; i < d; i++ {
		for q := range Rows {
			x := float64(r[q][i])
			for k := range Group {
				a[q*Group+k][i-body] += x * tail[(i-body)*Group+k] // exact product
			}
		}
	}
	for j := range a {
		out[j] = (a[j][0] + a[j][2]) + (a[j][1] + a[j][3])
	}
}

// Tiling of Projector.Rows: tileRows rows at a time, tileD elements at a
// time, so a tile of rows (tileRows×tileD×4 bytes) and of a block's
// vectors (Group×tileD×8 bytes) stay in the L1 cache while every group of
// the tile uses them.
const (
	tileRows = 6 * Rows
	tileD    = 256
)

// kernelGo is the reference kernel; len(r0) is a multiple of Lanes.
func kernelGo(r0, r1, r2 []float32, v []float64, a *acc) {
	rs := [Rows][]float32{r0, r1, r2}
	for i := 0; i+Lanes <= len(r0); i += Lanes {
		c := v[(i/Lanes)*Group*Lanes:]
		for l := range Lanes {
			for q := range Rows {
				x := float64(rs[q][i+l])
				for k := range Group {
					a[q*Group+k][l] += x * c[k*Lanes+l] // exact product
				}
			}
		}
	}
}

// Kernel names the dot kernel in use ("avx2+fma" or "go"), for benchmarks.
func Kernel() string { return kernelName }

// Sum adds the elements of a in an unspecified order, as fast as memory
// allows: the benchmark's measure of the memory-read roof, not for results.
func Sum(a []float32) float32 {
	body := len(a) &^ 63
	var s float32
	if body > 0 {
		s = sum(a[:body])
	}
	for _, x := range a[body:] {
		s += x
	}
	return s
}

func sumGo(a []float32) float32 {
	var s float32
	for _, x := range a {
		s += x
	}
	return s
}
