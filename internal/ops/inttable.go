package ops

// intTable is an open-addressing hash table from int64 keys to int32
// values: the general aggregate path's group ids of an integer key (the
// join indexes its integer keys with joinInts and joinRanks instead).
type intTable struct {
	keys  []int64
	rows  []int32 // -1: empty slot
	mask  uint64
	count int
}

func newIntTable(n int) *intTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t := &intTable{keys: make([]int64, size), rows: make([]int32, size), mask: uint64(size - 1)}
	for i := range t.rows {
		t.rows[i] = -1
	}
	return t
}

func (t *intTable) slot(k int64) uint64 {
	h := uint64(k) * 0x9e3779b97f4a7c15
	h ^= h >> 29
	i := h & t.mask
	for t.rows[i] >= 0 && t.keys[i] != k {
		i = (i + 1) & t.mask
	}
	return i
}

// get returns the row stored for k, or -1.
func (t *intTable) get(k int64) int32 { return t.rows[t.slot(k)] }

// put stores row for k and returns the row it replaces (-1: none). The
// table never fills: past half full it doubles (a table sized for its
// keys up front never grows).
func (t *intTable) put(k int64, row int32) int32 {
	i := t.slot(k)
	old := t.rows[i]
	if old < 0 {
		if 2*(t.count+1) > len(t.rows) {
			t.grow()
			i = t.slot(k)
		}
		t.count++
	}
	t.keys[i], t.rows[i] = k, row
	return old
}

// grow doubles the table, re-inserting every key.
func (t *intTable) grow() {
	keys, rows := t.keys, t.rows
	size := 2 * len(rows)
	t.keys, t.rows, t.mask = make([]int64, size), make([]int32, size), uint64(size-1)
	for i := range t.rows {
		t.rows[i] = -1
	}
	for i, r := range rows {
		if r >= 0 {
			j := t.slot(keys[i])
			t.keys[j], t.rows[j] = keys[i], r
		}
	}
}
