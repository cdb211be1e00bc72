package ops

import "math/bits"

// joinInts indexes the right side of a join on one signed-integer key
// column: for each key, the first right row that has it. It is built once
// and then only read, by any number of probing workers at once.
//
// Two layouts, chosen by the keys alone (never by the batch size or the
// number of workers, so neither changes a result):
//
//   - dense: when the keys span at most denseSpan(n) values (ids, row
//     numbers, codes), the row of key k is dense[k-lo]: one 4-byte read
//     per probe, and at most the memory of the hash layout;
//   - hashed: open addressing with linear probing, at most half full,
//     keys and rows in two arrays (12 bytes a slot: side by side, padded
//     to 16, was slower on 1M sparse keys: the table outgrows the caches
//     and the TLB sooner).
//
// Probing the dense layout is a loop without data-dependent branches, so
// the processor overlaps the cache misses of many keys; the hashed one
// follows a collision at once, into the cache line it has just read.
type joinInts struct {
	lo    int64
	dense []int32 // span+1 entries, the last -1 for keys outside the span
	// An empty slot has row -1 and key 0, so a probe for key 0 that lands
	// on it reads row -1, which is the right answer.
	keys  []int64
	rows  []int32
	shift uint8 // 64 - log2(len(rows))
	count int   // distinct keys
}

// denseSpan is the largest span of keys indexed densely for n rows: a
// dense index of 4 bytes per value then takes no more than the hash layout
// (2n..4n slots of 16 bytes).
func denseSpan(n int) uint64 { return 8 * uint64(n) }

// newJoinInts indexes vals (the right side's keys; rows where null(i) is
// true have no key) and sets next[i] to the next row with the key of row i
// (-1: none), so that every key's rows form a chain in row order. It
// returns the index and the number of rows that repeat an earlier key.
func newJoinInts(vals []int64, null func(i int) bool, next []int32) (*joinInts, int) {
	n := len(vals)
	t := &joinInts{}
	lo, hi, any := keyRange(vals, null)
	span := uint64(hi) - uint64(lo) // exact: hi >= lo
	var put func(k int64, row int32) int32
	if any && span < denseSpan(n) {
		t.lo = lo
		t.dense = make([]int32, span+2)
		for i := range t.dense {
			t.dense[i] = -1
		}
		put = func(k int64, row int32) int32 {
			d := uint64(k) - uint64(lo)
			old := t.dense[d]
			t.dense[d] = row
			if old < 0 {
				t.count++
			}
			return old
		}
	} else {
		size := 16
		for size < 2*n {
			size *= 2
		}
		t.keys, t.rows = make([]int64, size), make([]int32, size)
		for i := range t.rows {
			t.rows[i] = -1
		}
		t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
		put = func(k int64, row int32) int32 {
			mask := uint64(len(t.rows) - 1)
			i := t.hash(k)
			for t.rows[i] >= 0 && t.keys[i] != k {
				i = (i + 1) & mask
			}
			old := t.rows[i]
			if old < 0 {
				t.count++
			}
			t.keys[i], t.rows[i] = k, row
			return old
		}
	}
	// From the end, so that each chain runs in row order.
	dups := 0
	for i := n - 1; i >= 0; i-- {
		if null != nil && null(i) {
			next[i] = -1
			continue
		}
		prev := put(vals[i], int32(i))
		next[i] = prev
		if prev >= 0 {
			dups++
		}
	}
	return t, dups
}

// hash mixes every bit of k into the top bits it keeps (one 64×64→128
// multiply, folded): a plain multiplicative hash sends keys that are
// multiples of a constant, such as ids spread by another multiplier, to a
// fraction of the slots.
func joinHash(k int64, shift uint8) uint64 {
	hi, lo := bits.Mul64(uint64(k)^0x2d358dccaa6c78a5, 0x8bb84b93962eacc9)
	return (hi ^ lo) >> shift
}

func (t *joinInts) hash(k int64) uint64 { return joinHash(k, t.shift) }

// probe sets out[i] to the first right row with key vals[i], or -1.
func (t *joinInts) probe(vals []int64, out []int32) {
	out = out[:len(vals)]
	if t.dense != nil {
		lo, last := uint64(t.lo), uint64(len(t.dense)-1)
		dense := t.dense
		for i, v := range vals {
			// Keys outside the span read the -1 at the end; min compiles
			// to a conditional move, so misses cost no mispredicted branch.
			out[i] = dense[min(uint64(v)-lo, last)]
		}
		return
	}
	// A collision is resolved on the spot: the next slots are mostly in
	// the cache line just read, where a second pass over the collided
	// keys missed the cache again (10-20% slower).
	keys, rows, shift := t.keys, t.rows, t.shift
	mask := uint64(len(rows) - 1)
	for i, v := range vals {
		j := joinHash(v, shift)
		for rows[j] >= 0 && keys[j] != v {
			j = (j + 1) & mask
		}
		out[i] = rows[j]
	}
}

// keyRange returns the least and greatest non-null key, and whether there
// is one.
func keyRange(vals []int64, null func(i int) bool) (lo, hi int64, any bool) {
	for i, v := range vals {
		if null != nil && null(i) {
			continue
		}
		if !any {
			lo, hi, any = v, v, true
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, any
}

// joinRanks indexes a right side whose keys are unique (many = false) and
// span at most rankSpan(n) values by the keys' ranks: a bitmap of the keys
// present, and the number of keys before each of its 64-bit words. A key's
// rank is its position among the sorted keys, and the right columns are
// stored in that order (a permutation of the rows), so a probe reads the
// bitmap (span/8 bytes, which stays in cache where a row index per key
// would not) and then each output column at one place: one cache miss per
// column instead of two.
type joinRanks struct {
	lo    int64
	span  uint64   // keys lo..lo+span-1; bit span is 0, for keys outside
	words []uint64 // bit k-lo: key k is present
	ranks []int32  // ranks[w]: keys below bit 64·w
}

// rankSpan is the largest span of keys indexed by rank for n rows: 12
// bytes a row at most (the hash layout takes 24 to 48).
func rankSpan(n int) uint64 { return 64 * uint64(n) }

// newJoinRanks builds the rank index of vals (null(i): row i has no key)
// and returns it with the right row at each rank. It returns nil when the
// keys span too many values or repeat (then a join reports them or,
// with many = true, chains them: see joinInts).
func newJoinRanks(vals []int64, null func(i int) bool) (*joinRanks, []int32) {
	lo, hi, any := keyRange(vals, null)
	if !any || uint64(hi)-uint64(lo) >= rankSpan(len(vals)) {
		return nil, nil
	}
	span := uint64(hi) - uint64(lo) + 1
	r := &joinRanks{lo: lo, span: span, words: make([]uint64, span/64+1)}
	for i, v := range vals {
		if null != nil && null(i) {
			continue
		}
		d := uint64(v) - uint64(lo)
		w, b := d>>6, d&63
		if r.words[w]&(1<<b) != 0 {
			return nil, nil // a repeated key
		}
		r.words[w] |= 1 << b
	}
	r.ranks = make([]int32, len(r.words))
	count := int32(0)
	for w, word := range r.words {
		r.ranks[w] = count
		count += int32(bits.OnesCount64(word))
	}
	order := make([]int32, count)
	for i, v := range vals {
		if null != nil && null(i) {
			continue
		}
		order[r.rank(v)] = int32(i)
	}
	return r, order
}

// rank returns the rank of a key that is present.
func (r *joinRanks) rank(k int64) int32 {
	d := uint64(k) - uint64(r.lo)
	w, b := d>>6, d&63
	return r.ranks[w] + int32(bits.OnesCount64(r.words[w]&(1<<b-1)))
}

// probe sets out[i] to the rank of key vals[i], or -1 when it is absent.
func (r *joinRanks) probe(vals []int64, out []int32) {
	out = out[:len(vals)]
	lo, span, words, ranks := uint64(r.lo), r.span, r.words, r.ranks
	for i, v := range vals {
		// Keys outside the span read bit span, which is 0; no branch
		// depends on the key.
		d := min(uint64(v)-lo, span)
		w, b := d>>6, d&63
		word := words[w]
		pos := ranks[w] + int32(bits.OnesCount64(word&(1<<b-1)))
		bit := int32(word>>b) & 1
		out[i] = (pos+1)*bit - 1
	}
}
