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
	c    [tileRows][]float32
	rows []int
	acc  []acc
}

// Rows projects n rows stored back to back in values (n*D floats). For row
// i, out[k][i] is dot(e, v_k)/|v_k|, or dot(e, v_k)/(|e| |v_k|) with
// Normalize (NaN for a zero row, whose direction is undefined). skip, when
// not nil, marks rows to leave untouched (nulls). The work is tiled for
// the cache; every value is computed in the same order as dot2 would.
func (p *Projector) Rows(values []float32, n int, skip func(i int) bool, out [][]float32, s *Scratch) {
	d := p.D
	rows := s.rows[:0]
	for i := range n {
		if skip == nil || !skip(i) {
			rows = append(rows, i)
		}
	}
	s.rows = rows
	if len(s.acc) < tileRows/2*len(p.blocks) {
		s.acc = make([]acc, tileRows/2*len(p.blocks))
	}
	body := d &^ (Lanes - 1)
	var res [2 * Group]float64
	var tile [tileRows][]float32
	for t := 0; t < len(rows); t += tileRows {
		m := min(tileRows, len(rows)-t)
		for j := range m {
			e := values[rows[t+j]*d : (rows[t+j]+1)*d]
			if p.center != nil {
				if cap(s.c[j]) < d {
					s.c[j] = make([]float32, d)
				}
				c := s.c[j][:d]
				for q, x := range e {
					c[q] = x - p.center[q]
				}
				e = c
			}
			tile[j] = e
		}
		pairs := (m + 1) / 2
		pair := func(q int) ([]float32, []float32) {
			r0 := tile[2*q]
			if 2*q+1 < m {
				return r0, tile[2*q+1]
			}
			return r0, r0 // an odd row out is paired with itself
		}
		accs := s.acc[:pairs*len(p.blocks)]
		clear(accs)
		for lo := 0; lo < body; lo += tileD {
			hi := min(lo+tileD, body)
			for b := range p.blocks {
				for q := range pairs {
					r0, r1 := pair(q)
					accumulate(r0, r1, &p.blocks[b], lo, hi, &accs[q*len(p.blocks)+b])
				}
			}
		}
		for q := range pairs {
			r0, r1 := pair(q)
			i, j := rows[t+2*q], -1
			if 2*q+1 < m {
				j = rows[t+2*q+1]
			}
			s0, s1 := 1.0, 1.0
			if p.Normalize {
				s0 = 1 / math.Sqrt(SumSquares(r0))
				s1 = 1 / math.Sqrt(SumSquares(r1))
			}
			for b := range p.blocks {
				blk := &p.blocks[b]
				finish(r0, r1, blk, d, &accs[q*len(p.blocks)+b], &res)
				for k := 0; k < blk.n; k++ {
					kk := b*Group + k
					out[kk][i] = float32(res[k] / p.norm[kk] * s0)
					if j >= 0 {
						out[kk][j] = float32(res[Group+k] / p.norm[kk] * s1)
					}
				}
			}
		}
	}
}
