package synth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrCapacity is returned (wrapped) when more conversations are requested
// than the library can produce distinctly.
var ErrCapacity = errors.New("not enough distinct scenarios")

// Params selects what Generate draws.
type Params struct {
	Category string
	N        int
	Seed     uint64
	// MinTurns and MaxTurns bound the TOTAL turn count (user + assistant),
	// inclusive; zero means DefaultMinTurns / DefaultMaxTurns. Conversations
	// always have an even count, so odd bounds are narrowed inward.
	MinTurns, MaxTurns int
}

func (p Params) withDefaults() Params {
	if p.MinTurns == 0 {
		p.MinTurns = DefaultMinTurns
	}
	if p.MaxTurns == 0 {
		p.MaxTurns = DefaultMaxTurns
	}
	return p
}

// Rewriter rewrites one user turn (e.g. an LLM paraphrase). It is applied
// after the draw, so the drawn scenarios and their ids do not depend on it.
type Rewriter func(ctx context.Context, text string) (string, error)

var turnType = arrow.StructOf(
	arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "text", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "strategy", Type: arrow.BinaryTypes.String, Nullable: true},
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "conversation_id", Type: arrow.BinaryTypes.String},
	{Name: "scenario_id", Type: arrow.BinaryTypes.String},
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "category", Type: arrow.BinaryTypes.String},
	{Name: "tactic", Type: arrow.BinaryTypes.String},
	{Name: "risk_level", Type: arrow.BinaryTypes.String},
	{Name: "expected_behavior", Type: arrow.BinaryTypes.String},
	{Name: "escalation_turn", Type: arrow.PrimitiveTypes.Int32},
	{Name: "situation", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "problem_type", Type: arrow.BinaryTypes.String},
	{Name: "turns", Type: arrow.ListOfNonNullable(turnType)},
}, nil)

// Schema is the output schema of Generate: the conversation schema of
// DESIGN.md §6 plus the scenario labels. Only situation (null when the
// problem family has no situations) and turn strategy (null on user turns)
// are nullable. scenario_id is
// "<escalation>@<problem>/<k>+<m>/t<template per stage>/<slot>=<value index>,..."
// (k opening and m escalating user turns); conversation_id is
// "synth-<category>-<20 hex digits of sha256 over category, scenario_id and
// user text>"; escalation_turn is the 0-based index of the first escalating
// user turn (always 2k).
func Schema() *arrow.Schema { return schema }

// Generate draws p.N distinct conversations of p.Category into one batch.
// The output is a pure function of (library, params): identical on any
// machine or GOMAXPROCS, and equal to the concatenation of NewReader's
// batches for any batch size. Requests beyond CapacityFor fail with
// ErrCapacity; no two rows share their full user text.
func Generate(ctx context.Context, mem memory.Allocator, lib *Library, p Params) (arrow.RecordBatch, error) {
	return GenerateRewritten(ctx, mem, lib, p, nil)
}

// GenerateRewritten is Generate with every user turn passed through rw
// (nil: unchanged). Rewritten conversations that collide on their full user
// text are an error, never silent duplicates.
func GenerateRewritten(ctx context.Context, mem memory.Allocator, lib *Library, p Params, rw Rewriter) (arrow.RecordBatch, error) {
	g, err := newGen(lib, p, rw)
	if err != nil {
		return nil, err
	}
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	if err := g.fill(ctx, bld, p.N); err != nil {
		return nil, err
	}
	return bld.NewRecordBatch(), nil
}

// NewReader streams the rows of Generate in batches of at most batchRows.
func NewReader(ctx context.Context, mem memory.Allocator, lib *Library, p Params, batchRows int) (array.RecordReader, error) {
	if batchRows <= 0 {
		return nil, fmt.Errorf("synth: batch size %d must be positive", batchRows)
	}
	g, err := newGen(lib, p, nil)
	if err != nil {
		return nil, err
	}
	r := &reader{ctx: ctx, mem: mem, g: g, batch: batchRows, left: p.N}
	r.refs.Store(1)
	return r, nil
}

type reader struct {
	refs  atomic.Int64
	ctx   context.Context
	mem   memory.Allocator
	g     *gen
	batch int
	left  int
	cur   arrow.RecordBatch
	err   error
}

func (r *reader) Retain() { r.refs.Add(1) }
func (r *reader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}
func (r *reader) Schema() *arrow.Schema          { return schema }
func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *reader) Record() arrow.RecordBatch      { return r.cur }
func (r *reader) Err() error                     { return r.err }
func (r *reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || r.left == 0 {
		return false
	}
	n := min(r.batch, r.left)
	bld := array.NewRecordBuilder(r.mem, schema)
	defer bld.Release()
	if err := r.g.fill(r.ctx, bld, n); err != nil {
		r.err = err
		return false
	}
	r.left -= n
	r.cur = bld.NewRecordBatch()
	return true
}

// gen is the sequential state of one draw. Rows are produced strictly in
// order, so batching cannot change them.
type gen struct {
	lib    *Library
	cat    string
	cs     *catSpace
	rw     Rewriter
	units  []*unit // eligible units, in library order
	perms  []feistel
	next   []uint64 // per unit: next position in its permutation
	order  []int32  // per row: the unit it is drawn from
	row    int
	seen   map[[16]byte]struct{}
	seenRW map[[16]byte]struct{}

	// Collisions counts draws skipped because another row already had the
	// same user text (distinct templates filling to the same string).
	collisions int

	choice []int
	bind   binding
	buf    []byte
	ends   []int
	sid    []byte
}

func newGen(lib *Library, p Params, rw Rewriter) (*gen, error) {
	p = p.withDefaults()
	if lib == nil {
		return nil, errors.New("synth: nil library")
	}
	if diags := lib.spaces(); diags.HasErrors() {
		return nil, diags
	}
	cs := lib.cats[p.Category]
	if cs == nil {
		return nil, fmt.Errorf("synth: category %q has no escalation templates in the library (known: %v)", p.Category, Categories)
	}
	if p.N < 0 {
		return nil, fmt.Errorf("synth: N = %d is negative", p.N)
	}
	if p.MinTurns < 2 || p.MaxTurns < p.MinTurns {
		return nil, fmt.Errorf("synth: turn range [%d, %d] is invalid (total turns, user + assistant; need 2 <= MinTurns <= MaxTurns)", p.MinTurns, p.MaxTurns)
	}
	g := &gen{lib: lib, cat: p.Category, cs: cs, rw: rw, seen: make(map[[16]byte]struct{}, p.N)}
	if rw != nil {
		g.seenRW = make(map[[16]byte]struct{}, p.N)
	}
	var total uint64
	for _, u := range cs.units {
		if inRange(u, p.MinTurns, p.MaxTurns) {
			g.units = append(g.units, u)
			total = satAdd(total, u.space)
		}
	}
	if uint64(p.N) > total {
		return nil, fmt.Errorf("synth: %w: category %q, N = %d but the library can produce only %d distinct conversations with %d to %d total turns",
			ErrCapacity, p.Category, p.N, total, p.MinTurns, p.MaxTurns)
	}
	// One generator per (seed, category) drives every seeded choice, so
	// categories drawn with the same seed are still independent.
	h := fnv.New64a()
	h.Write([]byte(p.Category))
	rng := rand.New(rand.NewPCG(p.Seed, h.Sum64()))
	base := rng.Uint64()
	g.perms = make([]feistel, len(g.units))
	g.next = make([]uint64, len(g.units))
	for i, u := range g.units {
		g.perms[i] = newFeistel(u.space, base^u.key)
	}
	g.order = allocate(g.units, p.N, rng)
	maxStages := 0
	for _, u := range g.units {
		maxStages = max(maxStages, len(u.stages))
	}
	g.choice = make([]int, maxStages)
	g.bind = make(binding, len(lib.slots))
	return g, nil
}

// allocate spreads n rows over units as evenly as their sizes allow (water
// filling: every unit gets min(space, L), the remainder goes one each to
// seeded-random units with room), then shuffles the row order. Spreading by
// unit rather than by combination keeps skeletons with many slot fills from
// crowding out the others, and keeps turn counts balanced.
func allocate(units []*unit, n int, rng *rand.Rand) []int32 {
	fill := func(level uint64) uint64 {
		var s uint64
		for _, u := range units {
			s += min(u.space, level)
			if s > uint64(n) {
				return s
			}
		}
		return s
	}
	lo, hi := uint64(0), uint64(n) // largest level with fill(level) <= n
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fill(mid) <= uint64(n) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	order := make([]int32, 0, n)
	for i, u := range units {
		for j := uint64(0); j < min(u.space, lo); j++ {
			order = append(order, int32(i))
		}
	}
	perm := rng.Perm(len(units))
	for _, i := range perm {
		if len(order) == n {
			break
		}
		if units[i].space > lo {
			order = append(order, int32(i))
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// rowBuilders are the typed column builders of one output batch.
type rowBuilders struct {
	convID, scenID, source, cat, tactic, risk, expected *array.StringBuilder
	escTurn                                             *array.Int32Builder
	situation, problem                                  *array.StringBuilder
	turns                                               *array.ListBuilder
	turn                                                *array.StructBuilder
	tNum                                                *array.Int32Builder
	tRole, tText, tStrategy                             *array.StringBuilder
}

func newRowBuilders(b *array.RecordBuilder) rowBuilders {
	s := func(i int) *array.StringBuilder { return b.Field(i).(*array.StringBuilder) }
	rb := rowBuilders{
		convID: s(0), scenID: s(1), source: s(2), cat: s(3), tactic: s(4), risk: s(5), expected: s(6),
		escTurn:   b.Field(7).(*array.Int32Builder),
		situation: s(8), problem: s(9),
		turns: b.Field(10).(*array.ListBuilder),
	}
	rb.turn = rb.turns.ValueBuilder().(*array.StructBuilder)
	rb.tNum = rb.turn.FieldBuilder(0).(*array.Int32Builder)
	rb.tRole = rb.turn.FieldBuilder(1).(*array.StringBuilder)
	rb.tText = rb.turn.FieldBuilder(2).(*array.StringBuilder)
	rb.tStrategy = rb.turn.FieldBuilder(3).(*array.StringBuilder)
	return rb
}

// fill appends the next n rows of the draw to b.
func (g *gen) fill(ctx context.Context, b *array.RecordBuilder, n int) error {
	rb := newRowBuilders(b)
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := g.nextRow(ctx, &rb); err != nil {
			return err
		}
	}
	return nil
}

// nextRow draws the next distinct conversation and appends it.
func (g *gen) nextRow(ctx context.Context, rb *rowBuilders) error {
	if g.row >= len(g.order) {
		return fmt.Errorf("synth: internal error: row %d beyond the %d planned", g.row, len(g.order))
	}
	ui := int(g.order[g.row])
	for {
		if g.next[ui] >= g.units[ui].space {
			// This unit ran out because some of its draws collided with
			// earlier rows; take the row from the next unit with room.
			ui = g.steal(ui)
			if ui < 0 {
				return fmt.Errorf("synth: %w: category %q: only %d distinct user texts found (%d combinations collided on identical text)",
					ErrCapacity, g.cat, g.row, g.collisions)
			}
		}
		u := g.units[ui]
		idx := g.perms[ui].at(g.next[ui])
		g.next[ui]++
		for i := range g.bind {
			g.bind[i] = -1
		}
		g.lib.decode(u, idx, g.choice, g.bind)
		g.buf, g.ends = g.buf[:0], g.ends[:0]
		for i, st := range u.stages {
			if i > 0 {
				g.buf = append(g.buf, 0x1e)
			}
			g.buf = st.tmpls[g.choice[i]].appendFill(g.buf, g.lib, g.bind, nil)
			g.ends = append(g.ends, len(g.buf))
		}
		key := sha256.Sum256(g.buf)
		var k16 [16]byte
		copy(k16[:], key[:16])
		if _, dup := g.seen[k16]; dup {
			g.collisions++
			continue
		}
		g.seen[k16] = struct{}{}
		g.row++
		return g.emit(ctx, u, rb, key)
	}
}

// steal finds the next unit after ui (cyclically) that still has room.
func (g *gen) steal(ui int) int {
	for d := 1; d <= len(g.units); d++ {
		j := (ui + d) % len(g.units)
		if g.next[j] < g.units[j].space {
			return j
		}
	}
	return -1
}

func (g *gen) emit(ctx context.Context, u *unit, rb *rowBuilders, userKey [32]byte) error {
	lib := g.lib
	// scenario_id: the skeleton, the turn plan, the template per stage and
	// the value index per used slot (slots in name order).
	sid := append(g.sid[:0], u.esc.name...)
	sid = append(sid, '@')
	sid = append(sid, u.prob.slug...)
	sid = append(sid, '/')
	sid = strconv.AppendInt(sid, int64(u.k), 10)
	sid = append(sid, '+')
	sid = strconv.AppendInt(sid, int64(u.m), 10)
	sid = append(sid, "/t"...)
	for i := range u.stages {
		if i > 0 {
			sid = append(sid, '.')
		}
		sid = strconv.AppendInt(sid, int64(g.choice[i]), 10)
	}
	sid = append(sid, '/')
	first := true
	for s, v := range g.bind {
		if v < 0 {
			continue
		}
		if !first {
			sid = append(sid, ',')
		}
		first = false
		sid = append(sid, lib.slots[s].name...)
		sid = append(sid, '=')
		sid = strconv.AppendInt(sid, int64(v), 10)
	}
	g.sid = sid

	// The conversation id and every non-drawn choice (reference replies,
	// situation, slots only those use) derive from the conversation's own
	// content, not from the seed or its position: the same conversation
	// gets the same row in any draw that contains it.
	h := sha256.New()
	h.Write([]byte(g.cat))
	h.Write([]byte{0})
	h.Write(sid)
	h.Write([]byte{0})
	h.Write(userKey[:])
	var id [32]byte
	h.Sum(id[:0])
	rng := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(id[0:8]), binary.LittleEndian.Uint64(id[8:16])))
	draw := func(n int) int { return rng.IntN(n) }

	var idb [len("synth-") + 32 + 1 + 20]byte
	cid := append(idb[:0], "synth-"...)
	cid = append(cid, g.cat...)
	cid = append(cid, '-')
	cid = hex.AppendEncode(cid, id[:10])
	rb.convID.BinaryBuilder.Append(cid)
	rb.scenID.BinaryBuilder.Append(sid)
	rb.source.Append("synthetic")
	rb.cat.Append(g.cat)
	rb.tactic.Append(u.esc.tactic)
	rb.risk.Append(u.esc.risk)
	rb.expected.Append(u.esc.expected)
	rb.escTurn.Append(int32(2 * u.k))
	if len(u.prob.situations) > 0 {
		t := &u.prob.situations[rng.IntN(len(u.prob.situations))]
		rb.situation.BinaryBuilder.Append(t.appendFill(nil, lib, g.bind, draw))
	} else {
		rb.situation.AppendNull()
	}
	rb.problem.Append(u.prob.name)

	rb.turns.Append(true)
	start := 0
	var used [2][]int // reply lines already used, per phase, to avoid repeats
	var reply []byte
	for i := range u.stages {
		text := g.buf[start:g.ends[i]]
		start = g.ends[i] + 1
		rb.turn.Append(true)
		rb.tNum.Append(int32(2 * i))
		rb.tRole.Append("user")
		if g.rw != nil {
			out, err := g.rw(ctx, string(text))
			if err != nil {
				return fmt.Errorf("synth: rewriting turn %d of %s: %w", 2*i, cid, err)
			}
			rb.tText.Append(out)
		} else {
			rb.tText.BinaryBuilder.Append(text)
		}
		rb.tStrategy.AppendNull()

		phase, pools := 0, g.cs.supportReplies
		if i >= u.k {
			phase, pools = 1, g.cs.escReplies
		}
		var pool *replyPool
		var line int
		for try := 0; ; try++ {
			pi := rng.IntN(len(pools))
			pool = pools[pi]
			line = rng.IntN(len(pool.lines))
			code := pi<<20 | line
			if try < 8 && contains(used[phase], code) {
				continue
			}
			used[phase] = append(used[phase], code)
			break
		}
		reply = pool.lines[line].appendFill(reply[:0], lib, g.bind, draw)
		rb.turn.Append(true)
		rb.tNum.Append(int32(2*i + 1))
		rb.tRole.Append("assistant")
		rb.tText.BinaryBuilder.Append(reply)
		rb.tStrategy.Append(pool.strategy)
	}
	if g.rw != nil {
		return g.checkRewritten(rb, cid)
	}
	return nil
}

// checkRewritten rejects a rewritten conversation whose user text equals an
// earlier row's.
func (g *gen) checkRewritten(rb *rowBuilders, cid []byte) error {
	n := rb.tText.Len()
	nUser := len(g.ends)
	h := sha256.New()
	for i := 0; i < nUser; i++ {
		h.Write([]byte(rb.tText.Value(n - 2*nUser + 2*i)))
		h.Write([]byte{0x1e})
	}
	var k [16]byte
	copy(k[:], h.Sum(nil))
	if _, dup := g.seenRW[k]; dup {
		return fmt.Errorf("synth: rewritten conversation %s repeats the user text of an earlier row", cid)
	}
	g.seenRW[k] = struct{}{}
	return nil
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
