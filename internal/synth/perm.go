package synth

import "math/bits"

// feistel is a keyed pseudo-random permutation of [0, n): a balanced Feistel
// network over the smallest even-width bit domain covering n, restricted to
// [0, n) by cycle walking. Taking its first j outputs samples j distinct
// indices without a rejection loop over already-drawn values or any memory
// proportional to n; the domain is less than 4n, so a walk averages fewer
// than 4 steps.
type feistel struct {
	n    uint64
	half uint
	mask uint64
	keys [6]uint64
}

func newFeistel(n, key uint64) feistel {
	b := uint(bits.Len64(n - 1))
	if b < 2 {
		b = 2
	}
	b += b & 1
	f := feistel{n: n, half: b / 2, mask: 1<<(b/2) - 1}
	for i := range f.keys {
		key += 0x9e3779b97f4a7c15
		f.keys[i] = mix64(key)
	}
	return f
}

// at returns the i-th element of the permutation; i must be < n.
func (f *feistel) at(i uint64) uint64 {
	x := i
	for {
		l, r := x>>f.half, x&f.mask
		for _, k := range f.keys {
			l, r = r, l^(mix64(r^k)&f.mask)
		}
		x = l<<f.half | r
		if x < f.n {
			return x
		}
	}
}

// mix64 is the splitmix64 finalizer: a fixed bijective bit mixer, identical
// on every platform.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
