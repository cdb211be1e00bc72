package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The flat path groups by one integer key when every aggregation keeps a
// fixed-size state per group (count, sum, mean, min and max of numbers or
// bools, any, all) and there is no order_by: the common shape of "group
// ids, then count and add". It gives the same output as the general path
// (aggState), byte for byte, and the same first error, but runs on up to
// as many workers as the --jobs budget spares:
//
//   - The reader evaluates each batch's key and arguments once.
//   - Worker w of W owns the keys whose hash falls in part w (and worker 0
//     the null key); every worker sees every batch, in input order, and
//     groups only its own rows. A group's rows thus all reach one worker,
//     in input order, so sums and means add in the same order as on one
//     core, whatever W and the batch size.
//   - Each worker keeps its groups in an open-addressing table (key →
//     group id, doubled when half full) and their states in flat []uint64
//     pages, a fixed number of words per group (1, 2, 4 or 8 share one
//     cache line), which growing never copies. Rows are handled in chunks:
//     first the chunk's group ids, then one tight loop per aggregation
//     over the chunk.
//   - At the end the workers' groups, each worker's in the order of their
//     first row, are merged by first row into first-appearance order, the
//     output columns are built from the states (on the workers), and with
//     sort = true taken in key order, as the general path does.
//
// Memory: per group its key, its first row, one or two table slots (16
// bytes each) and 8 bytes per state word; the input is
// streamed, with at most a few batches in flight.

// flatFn is an aggregation of the flat path.
type flatFn uint8

const (
	flatCount flatFn = iota // [n]
	flatSumI                // [sum, n]
	flatSumF                // [sum as float64 bits, n]
	flatMean                // [sum as float64 bits, n]
	flatMinI                // [value, has]; bools as 0/1
	flatMaxI
	flatMinF // [value as float64 bits, has]
	flatMaxF
	flatAny // [value 0/1, has]
	flatAll
)

// flatAgg is one aggregation's place in the flat state.
type flatAgg struct {
	fn    flatFn
	off   int  // first state word
	valid bool // count(x): count only valid values; else every row
	bool  bool // min/max of a bool
}

// flatPlan is the flat path's plan for an op, or nil if the op's shape
// needs the general path.
type flatPlan struct {
	aggs   []flatAgg
	stride int
}

func (op *aggregateOp) flatPlan() *flatPlan {
	if op.noFlat || len(op.byProgs) != 1 || len(op.ordProgs) != 0 {
		return nil
	}
	if !flatKeyType(op.byProgs[0].Type()) {
		return nil
	}
	p := &flatPlan{}
	words := 0
	for _, s := range op.aggs {
		a := flatAgg{off: words}
		var kind byte
		if s.prog != nil {
			kind = flatKind(s.prog.Type())
		}
		switch s.fn {
		case "count":
			a.fn, a.valid = flatCount, s.prog != nil
		case "sum":
			switch kind {
			case 'i':
				a.fn = flatSumI
			case 'f':
				a.fn = flatSumF
			default:
				return nil
			}
		case "mean":
			if kind != 'i' && kind != 'f' {
				return nil
			}
			a.fn = flatMean
		case "min", "max":
			switch kind {
			case 'i', 'b':
				a.fn, a.bool = flatMinI, kind == 'b'
			case 'f':
				a.fn = flatMinF
			default:
				return nil
			}
			if s.fn == "max" {
				a.fn++
			}
		case "any", "all":
			if kind != 'b' {
				return nil
			}
			a.fn = map[string]flatFn{"any": flatAny, "all": flatAll}[s.fn]
		default:
			return nil
		}
		if a.fn == flatCount {
			words++
		} else {
			words += 2
		}
		p.aggs = append(p.aggs, a)
	}
	// Up to eight words, a group's states share one cache line: the
	// stride is a power of two (and a page's base is page-aligned).
	p.stride = max(words, 1)
	if p.stride <= 8 {
		p.stride = 1 << bits.Len(uint(p.stride-1))
	}
	return p
}

// flatKeyType: the integer types whose values the flat path groups by as
// int64 (the general path's intKey types).
func flatKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

// flatKind is how the flat path reads an argument type: 'i' as int64, 'f'
// as float64, 'b' as bool (0/1), 0 for none (count reads only validity).
func flatKind(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return 'i'
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return 'f'
	case arrow.BOOL:
		return 'b'
	}
	return 0
}

// flatCol is one evaluated column of a batch as the workers read it.
type flatCol struct {
	i     []int64   // int kinds and bools (0/1)
	f     []float64 // float kinds
	valid []bool    // nil: every value is valid
}

func readFlat(a arrow.Array, values bool) flatCol {
	var c flatCol
	n := a.Len()
	if a.NullN() > 0 {
		c.valid = make([]bool, n)
		for i := range c.valid {
			c.valid[i] = a.IsValid(i)
		}
	}
	if !values {
		return c
	}
	switch a := a.(type) {
	case *array.Int64:
		c.i = a.Int64Values()
	case *array.Float64:
		c.f = a.Float64Values()
	case *array.Float32:
		c.f = make([]float64, n)
		for i, x := range a.Float32Values() {
			c.f[i] = float64(x)
		}
	case *array.Float16:
		c.f = make([]float64, n)
		for i := range c.f {
			c.f[i] = float64(a.Value(i).Float32())
		}
	case *array.Boolean:
		c.i = make([]int64, n)
		for i := range c.i {
			if a.Value(i) {
				c.i[i] = 1
			}
		}
	default:
		if ints, ok := signedInts(a); ok {
			c.i = ints
		} else {
			c.i = make([]int64, n)
			for i := range c.i {
				c.i[i] = intAt(a, i)
			}
		}
	}
	return c
}

// flatBatch is one input batch, evaluated, shared by the workers.
type flatBatch struct {
	idx   int64 // batch number
	first int64 // input row of row 0
	n     int
	keys  []int64
	kval  []bool // nil: no null key
	cols  []flatCol
	naggs int // aggregations to add (fewer when evaluating one failed)
	arrs  []arrow.Array
	rec   arrow.RecordBatch
	refs  atomic.Int32
}

func (b *flatBatch) done() {
	if b.refs.Add(-1) == 0 {
		releaseArrs(b.arrs)
		b.rec.Release()
	}
}

// flatEvent is an error at a point of the serial order: batch, then phase
// (-1: evaluating the key; 2i: evaluating aggregation i; 2i+1: adding it),
// then input row. The general path stops at the first one; so does the
// flat path's report.
type flatEvent struct {
	batch int64
	phase int
	row   int64
	first int64
	err   error
}

func (e *flatEvent) before(o *flatEvent) bool {
	if o == nil {
		return true
	}
	return cmp.Or(cmp.Compare(e.batch, o.batch), cmp.Compare(e.phase, o.phase), cmp.Compare(e.row, o.row)) < 0
}

// flatSlot is a table slot: a key and its group id + 1 (0: empty).
type flatSlot struct {
	key int64
	gid int32
}

type flatWorker struct {
	w, nw  int
	plan   *flatPlan
	specs  []aggSpec
	slots  []flatSlot
	mask   uint64
	n      int32     // groups
	firsts [][]int64 // per group, in pages as the states: input row of its first row
	keys   [][]int64 // per group: its key
	nullG  int32
	pages  [][]uint64 // group g's states: pages[g>>flatPageShift], from word (g&flatPageMask)*stride
	sel    []int32
	gids   []int32
	hs     []uint64
	touch  int64      // keeps the touching loads
	ev     *flatEvent // the first error; the worker stops there
	cand   *flatEvent // the current batch's first error so far
	failed *atomic.Bool
}

const flatChunk = 2048

// States live in pages of 4096 groups, so that growing never copies them.
const (
	flatPageShift = 12
	flatPageMask  = 1<<flatPageShift - 1
)

func newFlatWorker(w, nw int, plan *flatPlan, specs []aggSpec, failed *atomic.Bool) *flatWorker {
	return &flatWorker{w: w, nw: nw, plan: plan, specs: specs, slots: make([]flatSlot, 1024), mask: 1023,
		nullG: -1, gids: make([]int32, flatChunk), hs: make([]uint64, flatChunk), failed: failed}
}

// flatPart is the worker that owns key k.
func flatPart(k int64, nw int) int {
	return int((uint64(k) * 0xd6e8feb86659fd93 >> 32) * uint64(nw) >> 32)
}

func flatHash(k int64) uint64 {
	h := uint64(k) * 0x9e3779b97f4a7c15
	return h ^ h>>29
}

func (wk *flatWorker) newGroup(k int64, row int64) int32 {
	g := wk.n
	if g&flatPageMask == 0 {
		wk.pages = append(wk.pages, make([]uint64, (flatPageMask+1)*wk.plan.stride))
		wk.firsts = append(wk.firsts, make([]int64, flatPageMask+1))
		wk.keys = append(wk.keys, make([]int64, flatPageMask+1))
	}
	wk.firsts[g>>flatPageShift][g&flatPageMask] = row
	wk.keys[g>>flatPageShift][g&flatPageMask] = k
	wk.n++
	return g
}

func (wk *flatWorker) key(g int32) int64   { return wk.keys[g>>flatPageShift][g&flatPageMask] }
func (wk *flatWorker) first(g int32) int64 { return wk.firsts[g>>flatPageShift][g&flatPageMask] }

// grow doubles the table.
func (wk *flatWorker) grow() {
	old := wk.slots
	wk.slots = make([]flatSlot, 2*len(old))
	wk.mask = uint64(len(wk.slots) - 1)
	for _, s := range old {
		if s.gid != 0 {
			i := flatHash(s.key) & wk.mask
			for wk.slots[i].gid != 0 {
				i = (i + 1) & wk.mask
			}
			wk.slots[i] = s
		}
	}
}

// process adds the worker's rows of b.
func (wk *flatWorker) process(b *flatBatch) {
	if wk.ev != nil {
		return
	}
	sel := wk.sel[:0]
	if cap(sel) < b.n {
		sel = make([]int32, 0, b.n)
	}
	sel = sel[:b.n]
	m := 0
	if wk.nw == 1 {
		for r := range sel {
			sel[r] = int32(r)
		}
		m = b.n
	} else {
		for r, k := range b.keys {
			p := flatPart(k, wk.nw)
			if b.kval != nil && !b.kval[r] {
				p = 0
			}
			sel[m] = int32(r)
			if p == wk.w {
				m++
			}
		}
	}
	wk.sel = sel
	sel = sel[:m]
	for start := 0; start < len(sel); start += flatChunk {
		chunk := sel[start:min(start+flatChunk, len(sel))]
		gids := wk.gids[:len(chunk)]
		wk.group(b, chunk, gids)
		for i := range b.naggs {
			wk.add(b, i, chunk, gids)
		}
	}
	if wk.cand != nil {
		wk.ev, wk.cand = wk.cand, nil
		wk.failed.Store(true)
	}
}

// group finds (or makes) the group of every row of chunk.
func (wk *flatWorker) group(b *flatBatch, chunk, gids []int32) {
	keys := b.keys
	// Hash the chunk first, then touch each row's slot in a tight loop:
	// its loads do not depend on each other, so many cache misses are in
	// flight at once, and the probes below find the slots in cache.
	hs := wk.hs[:len(chunk)]
	for j, r := range chunk {
		hs[j] = flatHash(keys[r]) & wk.mask
	}
	var touch int64
	for _, h := range hs {
		touch += wk.slots[h].key
	}
	wk.touch += touch
	for j, r := range chunk {
		if b.kval != nil && !b.kval[r] {
			if wk.nullG < 0 {
				wk.nullG = wk.newGroup(0, b.first+int64(r))
			}
			gids[j] = wk.nullG
			continue
		}
		k := keys[r]
		i := hs[j]
		for {
			s := &wk.slots[i]
			if s.gid == 0 {
				g := wk.newGroup(k, b.first+int64(r))
				*s = flatSlot{key: k, gid: g + 1}
				if 2*int(wk.n) > len(wk.slots) {
					wk.grow()
					for jj := j + 1; jj < len(chunk); jj++ {
						hs[jj] = flatHash(keys[chunk[jj]]) & wk.mask
					}
				}
				gids[j] = g
				break
			}
			if s.key == k {
				gids[j] = s.gid - 1
				break
			}
			i = (i + 1) & wk.mask
		}
	}
}

// add adds aggregation ai's values of the chunk's rows to their groups.
func (wk *flatWorker) add(b *flatBatch, ai int, chunk, gids []int32) {
	a := wk.plan.aggs[ai]
	S := wk.plan.stride
	pages := wk.pages
	c := b.cols[ai]
	valid := c.valid
	switch a.fn {
	case flatCount:
		if !a.valid || valid == nil {
			for _, g := range gids {
				pages[g>>flatPageShift][int(g&flatPageMask)*S+a.off]++
			}
			return
		}
		for j, r := range chunk {
			if valid[r] {
				g := gids[j]
				pages[g>>flatPageShift][int(g&flatPageMask)*S+a.off]++
			}
		}
	case flatSumI:
		vals := c.i
		for j, r := range chunk {
			if valid != nil && !valid[r] {
				continue
			}
			g := gids[j]
			pg := pages[g>>flatPageShift]
			p := int(g&flatPageMask)*S + a.off
			s, over := addInt64(int64(pg[p]), vals[r])
			if over {
				row := b.first + int64(r)
				wk.fail(&flatEvent{batch: b.idx, phase: 2*ai + 1, row: row, first: b.first,
					err: fmt.Errorf("%s: sum overflows int64 at input row %d", wk.specs[ai].name, row)})
			}
			pg[p] = uint64(s)
			pg[p+1]++
		}
	case flatSumF, flatMean:
		if c.f != nil {
			vals := c.f
			for j, r := range chunk {
				if valid != nil && !valid[r] {
					continue
				}
				g := gids[j]
				pg := pages[g>>flatPageShift]
				p := int(g&flatPageMask)*S + a.off
				pg[p] = math.Float64bits(math.Float64frombits(pg[p]) + vals[r])
				pg[p+1]++
			}
			return
		}
		vals := c.i
		for j, r := range chunk {
			if valid != nil && !valid[r] {
				continue
			}
			g := gids[j]
			pg := pages[g>>flatPageShift]
			p := int(g&flatPageMask)*S + a.off
			pg[p] = math.Float64bits(math.Float64frombits(pg[p]) + float64(vals[r]))
			pg[p+1]++
		}
	case flatMinI, flatMaxI:
		vals := c.i
		isMax := a.fn == flatMaxI
		for j, r := range chunk {
			if valid != nil && !valid[r] {
				continue
			}
			g := gids[j]
			pg := pages[g>>flatPageShift]
			p := int(g&flatPageMask)*S + a.off
			x := vals[r]
			cur := int64(pg[p])
			if pg[p+1] == 0 || (isMax && x > cur) || (!isMax && x < cur) {
				pg[p], pg[p+1] = uint64(x), 1
			}
		}
	case flatMinF, flatMaxF:
		// As cmpVal orders floats: NaN after every number; equal values
		// (0 and -0) keep the first.
		vals := c.f
		isMax := a.fn == flatMaxF
		for j, r := range chunk {
			if valid != nil && !valid[r] {
				continue
			}
			g := gids[j]
			pg := pages[g>>flatPageShift]
			p := int(g&flatPageMask)*S + a.off
			x := vals[r]
			take := pg[p+1] == 0
			if !take {
				cur := math.Float64frombits(pg[p])
				xn, cn := math.IsNaN(x), math.IsNaN(cur)
				if isMax {
					take = !cn && (xn || x > cur)
				} else {
					take = !xn && (cn || x < cur)
				}
			}
			if take {
				pg[p], pg[p+1] = math.Float64bits(x), 1
			}
		}
	case flatAny, flatAll:
		vals := c.i
		isAny := a.fn == flatAny
		for j, r := range chunk {
			if valid != nil && !valid[r] {
				continue
			}
			g := gids[j]
			pg := pages[g>>flatPageShift]
			p := int(g&flatPageMask)*S + a.off
			x := uint64(vals[r])
			switch {
			case pg[p+1] == 0:
				pg[p], pg[p+1] = x, 1
			case isAny:
				pg[p] |= x
			default:
				pg[p] &= x
			}
		}
	}
}

// fail notes an error of the batch being added; the earliest in the
// serial order wins.
func (wk *flatWorker) fail(e *flatEvent) {
	if e.before(wk.cand) {
		wk.cand = e
	}
}

// flatWorkers is how many workers the flat path uses: one plus the shares
// the budget spares, up to GOMAXPROCS (the work is CPU-bound).
func (op *aggregateOp) flatWorkers(b *Budget) (int, func()) {
	if op.workers > 0 {
		return op.workers, func() {}
	}
	extra, release := b.Extra(min(runtime.GOMAXPROCS(0), 16) - 1)
	return 1 + extra, release
}

func (op *aggregateOp) runFlat(ctx context.Context, rc *RunContext, plan *flatPlan) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	nw, giveBack := op.flatWorkers(rc.Budget)
	release := sync.OnceFunc(giveBack)
	defer release()
	var failed atomic.Bool
	workers := make([]*flatWorker, nw)
	for w := range workers {
		workers[w] = newFlatWorker(w, nw, plan, op.aggs, &failed)
	}
	// Worker 0 runs on this goroutine, between reading batches.
	chans := make([]chan *flatBatch, nw)
	var wg sync.WaitGroup
	for w := 1; w < nw; w++ {
		chans[w] = make(chan *flatBatch, 2)
		wg.Add(1)
		go func(wk *flatWorker, ch chan *flatBatch) {
			defer wg.Done()
			for b := range ch {
				wk.process(b)
				b.done()
			}
		}(workers[w], chans[w])
	}
	stop := func() {
		for _, ch := range chans[1:] {
			close(ch)
		}
		wg.Wait()
	}
	pool := newEvalPool(rc.Mem)
	defer pool.release()
	var readErr *flatEvent
	var row, idx int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			stop()
			return err
		}
		rec := rd.RecordBatch()
		b, ev := op.evalFlat(ctx, pool, rec, row, idx)
		row += rec.NumRows()
		idx++
		if b != nil {
			b.refs.Store(int32(nw))
			for _, ch := range chans[1:] {
				ch <- b
			}
			workers[0].process(b)
			b.done()
		}
		if ev != nil {
			readErr = ev
			break
		}
		if failed.Load() {
			break
		}
	}
	stop()
	first := readErr
	for _, wk := range workers {
		if wk.ev != nil && wk.ev.before(first) {
			first = wk.ev
		}
	}
	if first != nil {
		return inputRow(first.err, first.first)
	}
	if err := rd.Err(); err != nil {
		return err
	}
	out, err := op.finishFlat(ctx, rc.Mem, workers)
	// The workers' shares go back before the output does: writing it is
	// the executor's work.
	release()
	if err != nil {
		return err
	}
	defer out.Release()
	return emitSlices(ctx, rc, out)
}

// evalFlat evaluates a batch's key and arguments. An error stops the
// batch where the general path would: nothing is added after it.
func (op *aggregateOp) evalFlat(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, first, idx int64) (*flatBatch, *flatEvent) {
	n := int(rec.NumRows())
	if n == 0 {
		return nil, nil
	}
	k, err := op.byProgs[0].EvalAt(ctx, mem, rec, first)
	if err != nil {
		return nil, &flatEvent{batch: idx, phase: -1, first: first, err: fmt.Errorf("by %s: %w", op.by[0].name, err)}
	}
	rec.Retain()
	b := &flatBatch{idx: idx, first: first, n: n, rec: rec, arrs: []arrow.Array{k}}
	kc := readFlat(k, true)
	b.keys, b.kval = kc.i, kc.valid
	for i, s := range op.aggs {
		if s.prog == nil {
			b.cols = append(b.cols, flatCol{})
			b.naggs++
			continue
		}
		v, err := s.prog.EvalAt(ctx, mem, rec, first)
		if err != nil {
			return b, &flatEvent{batch: idx, phase: 2 * i, first: first, err: fmt.Errorf("%s: %w", s.name, err)}
		}
		b.arrs = append(b.arrs, v)
		b.cols = append(b.cols, readFlat(v, s.fn != "count"))
		b.naggs++
	}
	return b, nil
}

// flatRef is a group of one worker.
type flatRef struct {
	w int32
	g int32
}

// finishFlat builds the output: the groups in first-appearance order (or
// sorted by key), then their columns.
func (op *aggregateOp) finishFlat(ctx context.Context, mem memory.Allocator, workers []*flatWorker) (arrow.RecordBatch, error) {
	total := 0
	for _, wk := range workers {
		total += int(wk.n)
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("aggregate: more than 2^31 groups")
	}
	// Each worker's groups are in the order of their first rows: merge.
	order := make([]flatRef, 0, total)
	pos := make([]int, len(workers))
	for range total {
		best := -1
		for w, wk := range workers {
			if pos[w] < int(wk.n) && (best < 0 || wk.first(int32(pos[w])) < workers[best].first(int32(pos[best]))) {
				best = w
			}
		}
		order = append(order, flatRef{int32(best), int32(pos[best])})
		pos[best]++
	}
	cols := make([]arrow.Array, 0, len(op.schema.Fields()))
	defer func() { releaseArrs(cols) }()
	keys := make([]int64, total)
	var kvalid []bool
	for i, r := range order {
		wk := workers[r.w]
		if wk.nullG == r.g {
			if kvalid == nil {
				kvalid = make([]bool, total)
				for j := range kvalid {
					kvalid[j] = true
				}
			}
			kvalid[i] = false
			continue
		}
		keys[i] = wk.key(r.g)
	}
	kc, err := flatKeyColumn(ctx, mem, op.byProgs[0].Type(), keys, kvalid)
	if err != nil {
		return nil, err
	}
	cols = append(cols, kc)
	// The aggregation columns are independent: the workers build them.
	plan := workers[0].plan
	aggCols := make([]arrow.Array, len(plan.aggs))
	errs := make([]error, len(plan.aggs))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(len(workers), len(plan.aggs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ai := int(next.Add(1)) - 1; ai < len(plan.aggs); ai = int(next.Add(1)) - 1 {
				aggCols[ai], errs[ai] = op.flatColumn(mem, workers, order, ai)
			}
		}()
	}
	wg.Wait()
	cols = append(cols, aggCols...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !op.sorted {
		return array.NewRecordBatch(op.schema, cols, int64(total)), nil
	}
	// As the general path sorts: its columns taken in key order (keys are
	// distinct; the null key first).
	perm := make([]int32, total)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int {
		xn, yn := kvalid != nil && !kvalid[x], kvalid != nil && !kvalid[y]
		if xn || yn {
			return cmp.Compare(b2i(!xn), b2i(!yn))
		}
		return cmp.Compare(keys[x], keys[y])
	})
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues(perm, nil)
	ia := ib.NewArray()
	defer ia.Release()
	sorted := make([]arrow.Array, len(cols))
	defer func() { releaseArrs(sorted) }()
	for i, c := range cols {
		t, err := compute.TakeArray(compute.WithAllocator(ctx, mem), c, ia)
		if err != nil {
			return nil, err
		}
		sorted[i] = t
	}
	return array.NewRecordBatch(op.schema, sorted, int64(total)), nil
}

// flatColumn builds aggregation ai's column. Its buffers are at least as
// long as the general path's builders make them, so that the stored bytes
// (buffers are cut to their padded length) are the same.
func (op *aggregateOp) flatColumn(mem memory.Allocator, workers []*flatWorker, order []flatRef, ai int) (arrow.Array, error) {
	a := workers[0].plan.aggs[ai]
	S := workers[0].plan.stride
	total := len(order)
	ints := make([]int64, total)
	var valid []bool
	if a.fn != flatCount {
		valid = make([]bool, total)
	}
	for i, r := range order {
		st := workers[r.w].pages[r.g>>flatPageShift][int(r.g&flatPageMask)*S+a.off:]
		if a.fn == flatCount {
			ints[i] = int64(st[0])
			continue
		}
		if st[1] == 0 {
			continue
		}
		valid[i] = true
		if a.fn == flatMean {
			ints[i] = int64(math.Float64bits(math.Float64frombits(st[0]) / float64(st[1])))
		} else {
			ints[i] = int64(st[0])
		}
	}
	out := op.aggs[ai].out
	b := array.NewBuilder(mem, out)
	defer b.Release()
	switch b := b.(type) {
	case *array.Int64Builder:
		b.AppendValues(ints, valid)
	case *array.Float64Builder:
		floats := make([]float64, total)
		for i, x := range ints {
			floats[i] = math.Float64frombits(uint64(x))
		}
		b.AppendValues(floats, valid)
	case *array.BooleanBuilder:
		bools := make([]bool, total)
		for i, x := range ints {
			bools[i] = x == 1
		}
		b.AppendValues(bools, valid)
	default:
		return nil, fmt.Errorf("aggregate: flat output type %s", out)
	}
	return b.NewArray(), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flatKeyColumn builds the key column as the general path's picker does:
// the values in an array of the key's type, then taken by group (so that
// even the validity buffer's size is the same).
func flatKeyColumn(ctx context.Context, mem memory.Allocator, dt arrow.DataType, vals []int64, valid []bool) (arrow.Array, error) {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	switch b := b.(type) {
	case *array.Int64Builder:
		b.AppendValues(vals, valid)
	case *array.Int32Builder:
		b.AppendValues(convInts[int32](vals), valid)
	case *array.Int16Builder:
		b.AppendValues(convInts[int16](vals), valid)
	case *array.Int8Builder:
		b.AppendValues(convInts[int8](vals), valid)
	case *array.Uint32Builder:
		b.AppendValues(convInts[uint32](vals), valid)
	case *array.Uint16Builder:
		b.AppendValues(convInts[uint16](vals), valid)
	case *array.Uint8Builder:
		b.AppendValues(convInts[uint8](vals), valid)
	default:
		return nil, fmt.Errorf("aggregate: flat key of type %s", dt)
	}
	all := b.NewArray()
	defer all.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	for i := range vals {
		ib.Append(int32(i))
	}
	ia := ib.NewArray()
	defer ia.Release()
	return compute.TakeArray(compute.WithAllocator(ctx, mem), all, ia)
}

func convInts[T int32 | int16 | int8 | uint32 | uint16 | uint8](vals []int64) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = T(v)
	}
	return out
}

// evalPool is the allocator the flat path evaluates batches with: it keeps
// the buffers of finished batches and hands them out again, cleared, for
// the next ones, which have the same sizes. Fresh memory for every batch
// costs page faults that reusing warm buffers does not.
type evalPool struct {
	mem  memory.Allocator
	mu   sync.Mutex
	free map[int][][]byte // by length
	kept int
}

// evalPoolMax bounds the buffers kept: a few batches' worth.
const evalPoolMax = 256

func newEvalPool(mem memory.Allocator) *evalPool {
	return &evalPool{mem: mem, free: map[int][][]byte{}}
}

func (p *evalPool) Allocate(size int) []byte {
	p.mu.Lock()
	if l := p.free[size]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[size] = l[:len(l)-1]
		p.kept--
		p.mu.Unlock()
		clear(b)
		return b
	}
	p.mu.Unlock()
	return p.mem.Allocate(size)
}

func (p *evalPool) Reallocate(size int, b []byte) []byte {
	if size == len(b) {
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *evalPool) Free(b []byte) {
	p.mu.Lock()
	if p.kept < evalPoolMax {
		p.free[len(b)] = append(p.free[len(b)], b)
		p.kept++
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.mem.Free(b)
}

// release gives every kept buffer back.
func (p *evalPool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for size, l := range p.free {
		for _, b := range l {
			p.mem.Free(b)
		}
		delete(p.free, size)
	}
	p.kept = 0
}
