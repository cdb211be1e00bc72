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
	nb := len(p.blocks)
	if len(s.acc) < tileRows/Rows*nb {
		s.acc = make([]acc, tileRows/Rows*nb)
	}
	body := d &^ (Lanes - 1)
	var res [Rows * Group]float64
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
		groups := (m + Rows - 1) / Rows
		// group q holds rows Rows*q ...; a short last group repeats its
		// first row (the extra sums are not used).
		group := func(q int) (g [Rows][]float32) {
			for r := range Rows {
				if j := Rows*q + r; j < m {
					g[r] = tile[j]
				} else {
					g[r] = tile[Rows*q]
				}
			}
			return g
		}
		accs := s.acc[:groups*nb]
		clear(accs)
		for lo := 0; lo < body; lo += tileD {
			hi := min(lo+tileD, body)
			for b := range p.blocks {
				for q := range groups {
					g := group(q)
					accumulate(&g, &p.blocks[b], lo, hi, &accs[q*nb+b])
				}
			}
		}
		for q := range groups {
			g := group(q)
			var scale [Rows]float64
			for r := range Rows {
				scale[r] = 1
				if p.Normalize && Rows*q+r < m {
					scale[r] = 1 / math.Sqrt(SumSquares(g[r]))
				}
			}
			for b := range p.blocks {
				blk := &p.blocks[b]
				finish(&g, blk, d, &accs[q*nb+b], &res)
				for r := range Rows {
					j := Rows*q + r
					if j >= m {
						break
					}
					for k := 0; k < blk.n; k++ {
						kk := b*Group + k
						out[kk][rows[t+j]] = float32(res[r*Group+k] / p.norm[kk] * scale[r])
					}
				}
			}
		}
	}
}
