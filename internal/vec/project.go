package vec

import (
	"fmt"
	"math"
)

// Projector projects d-dimensional float32 rows onto K direction vectors.
// It is read-only after NewProjector and safe for concurrent use.
type Projector struct {
	D         int
	K         int
	Normalize bool // cosine instead of scalar projection
	blocks    []block
	norm      []float64 // |v_k|
	center    []float32 // baseline subtracted from every row, in float32
}

// NewProjector prepares vecs (each of length d) for projection. center,
// when not nil, is subtracted from every row first (rounded to float32, so
// the products stay exact). A zero or non-finite vector is an error.
func NewProjector(vecs [][]float32, names []string, center []float32, normalize bool) (*Projector, error) {
	if len(vecs) == 0 {
		return nil, fmt.Errorf("no direction vectors")
	}
	d := len(vecs[0])
	p := &Projector{D: d, K: len(vecs), Normalize: normalize}
	for k, v := range vecs {
		if len(v) != d {
			return nil, fmt.Errorf("vector %q has dimension %d, vector %q has %d", names[k], len(v), names[0], d)
		}
		n := math.Sqrt(SumSquares(v))
		if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("vector %q has norm %v: a direction needs a finite, non-zero norm", names[k], n)
		}
		p.norm = append(p.norm, n)
	}
	for k := 0; k < len(vecs); k += Group {
		p.blocks = append(p.blocks, newBlock(vecs[k:min(k+Group, len(vecs))], d))
	}
	if center != nil {
		if len(center) != d {
			return nil, fmt.Errorf("baseline has dimension %d, vectors have %d", len(center), d)
		}
		p.center = center
	}
	return p, nil
}

// SumSquares is the sum of x[i]² in float64, in the package's lane order.
func SumSquares(x []float32) float64 {
	var a [Lanes]float64
	for i, v := range x {
		f := float64(v)
		a[i%Lanes] += f * f // exact: a float32 squared fits a float64
	}
	return (a[0] + a[2]) + (a[1] + a[3])
}

// Scratch is per-goroutine working memory for Rows.
type Scratch struct {
	c [2][]float32
}

// Rows projects n rows stored back to back in values (n*D floats). For row
// i, out[k][i] is dot(e, v_k)/|v_k|, or dot(e, v_k)/(|e| |v_k|) with
// Normalize (NaN for a zero row, whose direction is undefined). skip, when
// not nil, marks rows to leave untouched (nulls).
func (p *Projector) Rows(values []float32, n int, skip func(i int) bool, out [][]float32, s *Scratch) {
	d := p.D
	row := func(i, slot int) []float32 {
		e := values[i*d : (i+1)*d]
		if p.center == nil {
			return e
		}
		if cap(s.c[slot]) < d {
			s.c[slot] = make([]float32, d)
		}
		c := s.c[slot][:d]
		for j, x := range e {
			c[j] = x - p.center[j]
		}
		return c
	}
	var res [2 * Group]float64
	for i := 0; i < n; {
		for i < n && skip != nil && skip(i) {
			i++
		}
		if i >= n {
			break
		}
		j := i + 1
		for j < n && skip != nil && skip(j) {
			j++
		}
		two := j < n
		r0 := row(i, 0)
		r1 := r0
		if two {
			r1 = row(j, 1)
		}
		var s0, s1 = 1.0, 1.0
		if p.Normalize {
			s0 = 1 / math.Sqrt(SumSquares(r0))
			s1 = 1 / math.Sqrt(SumSquares(r1))
		}
		for b := range p.blocks {
			blk := &p.blocks[b]
			dot2(r0, r1, blk, d, &res)
			for k := 0; k < blk.n; k++ {
				kk := b*Group + k
				out[kk][i] = float32(res[k] / p.norm[kk] * s0)
				if two {
					out[kk][j] = float32(res[Group+k] / p.norm[kk] * s1)
				}
			}
		}
		i = j + 1
	}
}
