package synth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrCapacity is returned (wrapped) when the library cannot produce the
// requested conversations distinctly, or none of its families fits the
// turn range.
var ErrCapacity = errors.New("not enough distinct scenarios")

// Split is one named share of a split assignment.
type Split struct {
	Name   string
	Weight int
}

// Params selects what Generate draws.
type Params struct {
	Category string
	N        int
	Seed     uint64
	// MinTurns and MaxTurns bound the number of USER turns (the turns the
	// harness sends), inclusive; zero means DefaultMinTurns /
	// DefaultMaxTurns. A family whose core request needs more turns than
	// MaxTurns is left out unless Partial is set.
	MinTurns, MaxTurns int
	// References adds a reference reply per user turn in the references
	// column, chosen for the step's expect tags and the tactic.
	References bool
	// Controls adds, after every scenario, a matched control: same persona,
	// slots and opening turns, no escalation (control_of names the
	// scenario).
	Controls bool
	// Partial lets conversations stop before the family's core request
	// (reached_core = false) when the turn range is too short for it.
	Partial bool
	// Casual scales the casual-typing rates (lower-case starts, missing
	// final punctuation, lower-case "i", dropped apostrophes, typos): 0 is
	// polished text, 1 the rates of ESConv's user turns.
	Casual float64
	// Split assigns each conversation to a named split, grouped by
	// escalation family (a family never spans two splits), with family
	// counts proportional to the weights. Empty: split is null.
	Split []Split
}

func (p Params) withDefaults() Params {
	if p.MinTurns == 0 {
		p.MinTurns = DefaultMinTurns
	}
	if p.MaxTurns == 0 {
		p.MaxTurns = max(DefaultMaxTurns, p.MinTurns)
	}
	return p
}

// Rewriter rewrites one user turn (e.g. an LLM paraphrase). It is applied
// after the draw, so the drawn scenarios do not depend on it.
type Rewriter func(ctx context.Context, text string) (string, error)

var userTurnType = arrow.StructOf(
	arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "text", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "pressure", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "phase", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "expected_behavior", Type: arrow.ListOfNonNullable(arrow.BinaryTypes.String)},
)

var refTurnType = arrow.StructOf(
	arrow.Field{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "text", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "strategy", Type: arrow.BinaryTypes.String},
)

// Column indices of schema.
const (
	colConvID = iota
	colScenID
	colSource
	colCategory
	colFamily
	colTactic
	colProblem
	colAgeBand
	colSetting
	colSituation
	colRisk
	colExpected
	colEscTurn
	colCoreTurn
	colReached
	colControlOf
	colSplit
	colTurns
	colRefs
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "conversation_id", Type: arrow.BinaryTypes.String},
	{Name: "scenario_id", Type: arrow.BinaryTypes.String},
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "category", Type: arrow.BinaryTypes.String},
	{Name: "family", Type: arrow.BinaryTypes.String},
	{Name: "tactic", Type: arrow.BinaryTypes.String},
	{Name: "problem_type", Type: arrow.BinaryTypes.String},
	{Name: "age_band", Type: arrow.BinaryTypes.String},
	{Name: "setting", Type: arrow.BinaryTypes.String},
	{Name: "situation", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "risk_level", Type: arrow.BinaryTypes.String},
	{Name: "expected_behavior", Type: arrow.BinaryTypes.String},
	{Name: "escalation_turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "core_turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "reached_core", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "control_of", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "split", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "turns", Type: arrow.ListOfNonNullable(userTurnType)},
	{Name: "references", Type: arrow.ListOfNonNullable(refTurnType), Nullable: true},
}, nil)

// Schema is the output schema of Generate; docs/synthesize.md describes
// every column. turns holds only the user turns the harness sends, with
// per-turn labels; references (null unless Params.References) holds one
// reference reply per user turn, never part of the conversation itself.
func Schema() *arrow.Schema { return schema }

// Generate draws p.N scenarios of p.Category (and, with p.Controls, a
// control after each) into one batch. The output is a pure function of
// (library, params): identical on any machine or GOMAXPROCS, and equal to
// the concatenation of NewReader's batches for any batch size. No two
// scenarios share their full user text.
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

// NewReader streams the rows of Generate in batches of at most batchRows
// scenarios (a scenario and its control stay in one batch).
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

// slotRow is one (family, problem) assignment of the balanced plan.
type slotRow struct {
	fam  int32
	prob int32
}

// gen is the sequential state of one draw. Rows are produced strictly in
// order, so batching cannot change them.
type gen struct {
	lib      *Library
	p        Params
	rw       Rewriter
	fams     []*escalation
	famSplit []string
	plan     []slotRow
	row      int
	base     uint64
	seen     map[uint64]struct{} // conversations (scenarios) drawn so far
	seenRW   map[[16]byte]struct{}
	bloom    []uint64 // user turns drawn so far (approximate set)
	bloomM   uint64
	persist  []*followup
	// scratch buffers for one turn, and the arena holding the texts of the
	// current scenario and its control
	b1, b2, b3, b4, b5, arena []byte
	// reused generators: per scenario attempt, and for the situation
	pcg, spcg *rand.PCG
	rng, srng *rand.Rand
	sdraw     func(int) int
	// dupTurns counts turns that kept a repeated text after every redraw,
	// of allTurns drawn: a saturated library stops redrawing.
	dupTurns, allTurns, redraws int
	recover                     []*followup
	support                     []*followup

	// pipe, while a batch is filled, writes conversations on a goroutine
	// of its own (nil: written in place)
	pipe *pipe

	// per-conversation scratch
	vals  [][]string
	bind  binding
	turns []turnOut
	buf   []byte
	hs    []uint64
}

// turnOut is one drawn user turn.
type turnOut struct {
	text     []byte // as sent (casual variants applied)
	canon    []byte // before casual variants: what labels are graded on
	pressure int
	phase    string
	expect   []string
	tactic   string
	tmpl     *tmpl // the template drawn, so a conversation uses each once
}

// usedTmpl reports whether the conversation so far already used t.
func (g *gen) usedTmpl(t *tmpl) bool {
	for i := range g.turns {
		if g.turns[i].tmpl == t {
			return true
		}
	}
	return false
}

func newGen(lib *Library, p Params, rw Rewriter) (*gen, error) {
	p = p.withDefaults()
	if lib == nil {
		return nil, errors.New("synth: nil library")
	}
	if !isCategory(p.Category) {
		return nil, fmt.Errorf("synth: category %q is not one of %v", p.Category, Categories)
	}
	if p.N < 0 {
		return nil, fmt.Errorf("synth: N = %d is negative", p.N)
	}
	if p.MinTurns < 1 || p.MaxTurns < p.MinTurns || p.MaxTurns > MaxTurnsLimit {
		return nil, fmt.Errorf("synth: turn range [%d, %d] is invalid (user turns; need 1 <= min <= max <= %d)", p.MinTurns, p.MaxTurns, MaxTurnsLimit)
	}
	if p.Casual < 0 || p.Casual > 2 || math.IsNaN(p.Casual) {
		return nil, fmt.Errorf("synth: casual = %g is outside [0, 2]", p.Casual)
	}
	g := &gen{lib: lib, p: p, rw: rw, seen: make(map[uint64]struct{}, p.N)}
	if rw != nil {
		g.seenRW = make(map[[16]byte]struct{}, p.N)
	}
	for _, e := range lib.escs {
		if e.category == p.Category && (p.Partial || e.minTurns() <= p.MaxTurns) {
			g.fams = append(g.fams, e)
		}
	}
	if len(g.fams) == 0 {
		return nil, fmt.Errorf("synth: %w: category %q has no escalation family that reaches its core request within %d user turns (the shortest needs %d; widen turns or set partial)",
			ErrCapacity, p.Category, p.MaxTurns, lib.MinTurnsFor(p.Category))
	}
	g.persist = lib.followupsFor(p.Category, kindPersist)
	g.recover = lib.followupsFor(p.Category, kindRecover)
	g.support = lib.followupsFor(p.Category, kindSupport)
	// One generator per (seed, category) drives the plan, so categories
	// drawn with the same seed are still independent.
	h := fnv.New64a()
	h.Write([]byte(p.Category))
	rng := rand.New(rand.NewPCG(p.Seed, h.Sum64()))
	g.base = rng.Uint64()
	g.plan = balancedPlan(g.fams, p.N, rng)
	g.famSplit = assignSplits(g.fams, p.Split, p.Seed)
	// The turn set: about 16 bits per expected user turn.
	bitsWanted := uint64(max(p.N, 1)) * uint64(p.MinTurns+p.MaxTurns) * 8
	if p.Controls {
		bitsWanted *= 2
	}
	m := uint64(1) << 16
	for m < bitsWanted && m < 1<<33 {
		m <<= 1
	}
	g.bloom = make([]uint64, m/64)
	g.bloomM = m
	g.pcg, g.spcg = rand.NewPCG(0, 0), rand.NewPCG(0, 0)
	g.rng, g.srng = rand.New(g.pcg), rand.New(g.spcg)
	g.sdraw = func(n int) int { return g.srng.IntN(n) }
	g.vals = make([][]string, len(lib.slots))
	g.bind = make(binding, len(lib.slots))
	return g, nil
}

// balancedPlan gives every family n/F rows (the first n mod F families in
// a seeded order get one more) and, within a family, its problem types in
// turn from a seeded offset; then shuffles the row order.
func balancedPlan(fams []*escalation, n int, rng *rand.Rand) []slotRow {
	plan := make([]slotRow, 0, n)
	F := len(fams)
	extra := rng.Perm(F)
	counts := make([]int, F)
	for i := range counts {
		counts[i] = n / F
	}
	for _, i := range extra[:n%F] {
		counts[i]++
	}
	for fi, e := range fams {
		off := rng.IntN(len(e.problems))
		for j := 0; j < counts[fi]; j++ {
			plan = append(plan, slotRow{fam: int32(fi), prob: int32((off + j) % len(e.problems))})
		}
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan
}

// assignSplits puts whole families into splits: family counts follow the
// weights by largest remainder (every split with weight gets at least one
// family when there are enough), families in a seeded order.
func assignSplits(fams []*escalation, splits []Split, seed uint64) []string {
	out := make([]string, len(fams))
	if len(splits) == 0 {
		return out
	}
	F := len(fams)
	total := 0
	for _, s := range splits {
		total += s.Weight
	}
	counts := make([]int, len(splits))
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	used := 0
	for i, s := range splits {
		exact := float64(F) * float64(s.Weight) / float64(total)
		counts[i] = int(exact)
		used += counts[i]
		rems = append(rems, rem{i, exact - float64(counts[i])})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; used < F; k++ {
		counts[rems[k%len(rems)].i]++
		used++
	}
	// A split with weight but no family takes one from the largest.
	for i, s := range splits {
		if s.Weight > 0 && counts[i] == 0 && F >= len(splits) {
			big := 0
			for j := range counts {
				if counts[j] > counts[big] {
					big = j
				}
			}
			counts[big]--
			counts[i]++
		}
	}
	order := make([]int, F)
	keys := make([]uint64, F)
	for i, e := range fams {
		order[i] = i
		h := fnv.New64a()
		h.Write([]byte(e.name))
		keys[i] = mix64(h.Sum64() ^ seed)
	}
	sort.Slice(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	k := 0
	for i := range splits {
		for j := 0; j < counts[i]; j++ {
			out[order[k]] = splits[i].Name
			k++
		}
	}
	return out
}

// mix64 is the splitmix64 finalizer: a fixed bijective bit mixer.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// rowBuilders are the typed column builders of one output batch.
type rowBuilders struct {
	str                 [colTurns]*array.StringBuilder // string columns by index (nil for others)
	escTurn, coreTurn   *array.Int32Builder
	reached             *array.BooleanBuilder
	turns, refs         *array.ListBuilder
	turn, ref           *array.StructBuilder
	tNum, tPressure     *array.Int32Builder
	tRole, tText, tPh   *array.StringBuilder
	tExp                *array.ListBuilder
	tExpV               *array.StringBuilder
	rNum                *array.Int32Builder
	rRole, rText, rStra *array.StringBuilder
}

func newRowBuilders(b *array.RecordBuilder) *rowBuilders {
	rb := &rowBuilders{}
	for i := 0; i < colTurns; i++ {
		if sb, ok := b.Field(i).(*array.StringBuilder); ok {
			rb.str[i] = sb
		}
	}
	rb.escTurn = b.Field(colEscTurn).(*array.Int32Builder)
	rb.coreTurn = b.Field(colCoreTurn).(*array.Int32Builder)
	rb.reached = b.Field(colReached).(*array.BooleanBuilder)
	rb.turns = b.Field(colTurns).(*array.ListBuilder)
	rb.turn = rb.turns.ValueBuilder().(*array.StructBuilder)
	rb.tNum = rb.turn.FieldBuilder(0).(*array.Int32Builder)
	rb.tRole = rb.turn.FieldBuilder(1).(*array.StringBuilder)
	rb.tText = rb.turn.FieldBuilder(2).(*array.StringBuilder)
	rb.tPressure = rb.turn.FieldBuilder(3).(*array.Int32Builder)
	rb.tPh = rb.turn.FieldBuilder(4).(*array.StringBuilder)
	rb.tExp = rb.turn.FieldBuilder(5).(*array.ListBuilder)
	rb.tExpV = rb.tExp.ValueBuilder().(*array.StringBuilder)
	rb.refs = b.Field(colRefs).(*array.ListBuilder)
	rb.ref = rb.refs.ValueBuilder().(*array.StructBuilder)
	rb.rNum = rb.ref.FieldBuilder(0).(*array.Int32Builder)
	rb.rRole = rb.ref.FieldBuilder(1).(*array.StringBuilder)
	rb.rText = rb.ref.FieldBuilder(2).(*array.StringBuilder)
	rb.rStra = rb.ref.FieldBuilder(3).(*array.StringBuilder)
	return rb
}

// fill appends the next n scenarios (and their controls) of the draw to b.
func (g *gen) fill(ctx context.Context, b *array.RecordBuilder, n int) error {
	rb := newRowBuilders(b)
	// Room for the usual row up front: growing the text buffers by
	// doubling would copy them several times.
	turns := n * (g.p.MinTurns + g.p.MaxTurns) / 2
	if g.p.Controls {
		turns *= 2
	}
	rb.tText.ReserveData(turns * 72)
	rb.tExpV.ReserveData(turns * 24)
	rb.tExpV.Reserve(turns * 3)
	for _, x := range []interface{ Reserve(int) }{rb.turn, rb.tNum, rb.tRole, rb.tText, rb.tPressure, rb.tPh, rb.tExp} {
		x.Reserve(turns)
	}
	// Without a rewriter or references (both draw or call out while
	// writing), writing runs beside the draw.
	if g.rw == nil && !g.p.References && pipelineWrites {
		g.pipe = g.startPipe(rb)
		defer func() {
			g.pipe.stop()
			g.pipe = nil
		}()
	}
	for i := 0; i < n; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := g.nextRow(ctx, rb); err != nil {
			return err
		}
	}
	return nil
}

// maxAttempts bounds the redraws of one scenario whose full user text
// repeats an earlier one.
const maxAttempts = 64

// conv is one drawn conversation before it is written.
type conv struct {
	fam      *escalation
	prob     *problem
	persona  *persona
	turns    []turnOut
	nSupport int // leading support turns (shared with the control)
	reached  bool
	coreTurn int
	key      uint64
	id       [32]byte
}

// nextRow draws the next distinct scenario and appends it (and its
// control).
func (g *gen) nextRow(ctx context.Context, rb *rowBuilders) error {
	if g.row >= len(g.plan) {
		return fmt.Errorf("synth: internal error: row %d beyond the %d planned", g.row, len(g.plan))
	}
	pr := g.plan[g.row]
	g.arena = g.arena[:0]
	e := g.fams[pr.fam]
	prob := e.problems[pr.prob]
	for attempt := 0; attempt < maxAttempts; attempt++ {
		g.pcg.Seed(g.base^uint64(g.row)*0x9e3779b97f4a7c15, uint64(attempt))
		rng := g.rng
		c := g.draw(e, prob, rng)
		if _, dup := g.seen[c.key]; dup {
			continue
		}
		g.seen[c.key] = struct{}{}
		for _, t := range c.turns {
			g.bloomAdd(hash64(t.text))
		}
		g.row++
		sid, err := g.emit(ctx, rb, c, rng, "")
		if err != nil || !g.p.Controls {
			return err
		}
		ctl := g.control(c, rng)
		_, err = g.emit(ctx, rb, ctl, rng, sid)
		return err
	}
	return fmt.Errorf("synth: %w: category %q: after %d rows, %d draws of %s with %q repeated earlier conversations; add templates or lower n",
		ErrCapacity, g.p.Category, g.row, maxAttempts, e.name, prob.name)
}

// draw builds one scenario: persona and slots, turn plan, turn texts.
func (g *gen) draw(e *escalation, prob *problem, rng *rand.Rand) *conv {
	lib := g.lib
	c := &conv{fam: e, prob: prob, coreTurn: -1}
	c.persona = prob.personas[rng.IntN(len(prob.personas))]
	for i := range g.vals {
		g.vals[i] = lib.slots[i].values
		if v, ok := c.persona.slots[i]; ok {
			g.vals[i] = v
		}
		if v, ok := prob.slots[i]; ok {
			g.vals[i] = v
		}
		g.bind[i] = -1
	}
	draw := func(n int) int { return rng.IntN(n) }

	// Turn plan.
	lo, hi := g.p.MinTurns, g.p.MaxTurns
	need := e.minTurns()
	if !g.p.Partial {
		lo = max(lo, need)
	}
	T := lo
	if hi > lo {
		T += rng.IntN(hi - lo + 1)
	}
	nSteps := len(e.steps)
	if T-1 < nSteps {
		nSteps = max(T-1, 0) // Partial: stop before the end
		if T == 0 {
			nSteps = 0
		}
	}
	R := T - 1 - nSteps
	if R < 0 {
		R = 0
	}
	var p, r int
	if R > 0 {
		p = (2*R + rng.IntN(3)) / 5
		r = (R + rng.IntN(3)) / 5
		if R >= 3 && r == 0 {
			r = 1
		}
		if R >= 2 && p == 0 {
			p = 1
		}
	}
	s := R - p - r

	g.turns = g.turns[:0]
	g.hs = g.hs[:0]
	// Support phase: the opener, then the problem's stages in order, then
	// its further lines and the category's support followups.
	nStage := min(1+s, len(prob.stages))
	for i := 0; i < nStage; i++ {
		g.addTurn(rng, draw, prob.stages[i].tmpls, nil, 0, "support", supportTags, e.tactic)
	}
	g.addSupport(rng, draw, prob, 1+s-nStage, e.tactic)
	c.nSupport = len(g.turns)
	// Escalation steps, in order.
	for i := 0; i < nSteps; i++ {
		st := &e.steps[i]
		phase := "escalation"
		switch {
		case i == e.core:
			phase = "core"
		case i > e.core:
			phase = "persist"
		case st.pressure == 0:
			phase = "setup"
		}
		if i == e.core {
			c.coreTurn = len(g.turns)
			c.reached = true
		}
		g.addTurn(rng, draw, st.tmpls, nil, st.pressure, phase, st.expect, e.tactic)
	}
	// After the core: persistence after the refusal, a recovery, renewed
	// pressure, and recovery again.
	coreExp := e.steps[e.core].expect
	firstP := (p + 1) / 2
	for i := 0; i < firstP; i++ {
		g.addFollowup(rng, draw, g.persist, "persist", coreExp, e.tactic)
	}
	firstR := 0
	if r > 0 && p > firstP {
		firstR = 1
	}
	for i := 0; i < firstR; i++ {
		g.addFollowup(rng, draw, g.recover, "recover", nil, e.tactic)
	}
	for i := firstP; i < p; i++ {
		g.addFollowup(rng, draw, g.persist, "persist", coreExp, e.tactic)
	}
	for i := firstR; i < r; i++ {
		g.addFollowup(rng, draw, g.recover, "recover", nil, e.tactic)
	}
	c.turns = append([]turnOut(nil), g.turns...)
	// The scenario's identity for distinctness: its family and the
	// hashes of its turn texts, in order.
	k := hash64([]byte(e.name))
	for _, h := range g.hs {
		k = mix64(k*0x9e3779b97f4a7c15 ^ h)
	}
	c.key = k
	return c
}

// addSupport appends n ordinary support turns: the problem's further
// lines first, then the category's support followups.
func (g *gen) addSupport(rng *rand.Rand, draw func(int) int, prob *problem, n int, tactic string) {
	for i := 0; i < n; i++ {
		if len(prob.more) > 0 && rng.IntN(2) == 0 {
			g.addTurn(rng, draw, prob.more, nil, 0, "support", supportTags, tactic)
			continue
		}
		fu := g.support[rng.IntN(len(g.support))]
		g.addTurn(rng, draw, fu.lines, nil, 0, "support", fu.expect, tactic)
	}
}

func (g *gen) addFollowup(rng *rand.Rand, draw func(int) int, pools []*followup, phase string, exp []string, tactic string) {
	fu := pools[rng.IntN(len(pools))]
	if exp == nil {
		exp = fu.expect
	}
	g.addTurn(rng, draw, fu.lines, nil, fu.pressure, phase, exp, tactic)
}

// turnTries bounds the redraws of one user turn whose text repeats an
// earlier turn (of this conversation or, approximately, of the draw).
const turnTries = 6

// addTurn draws one user turn from tmpls: a template, filled, optionally
// with a discourse lead or tail, then casual variants. A text already used
// is redrawn a few times.
func (g *gen) addTurn(rng *rand.Rand, draw func(int) int, tmpls []tmpl, _ []string, pressure int, phase string, expect []string, tactic string) {
	lib := g.lib
	var canon, text []byte
	var h uint64
	start := rng.IntN(len(tmpls))
	var t *tmpl
	tries := turnTries
	if g.allTurns > 10000 && (g.dupTurns*8 > g.allTurns || g.redraws > g.allTurns) {
		// The library is saturated for this n: redraws rarely find a new
		// text, so stop paying for them.
		tries = 1
	}
	for try := 0; try < tries; try++ {
		// A template not yet used in this conversation, if any is left.
		t = &tmpls[(start+try)%len(tmpls)]
		for k := 0; k < len(tmpls) && g.usedTmpl(t); k++ {
			t = &tmpls[(start+try+k)%len(tmpls)]
		}
		g.b1 = t.appendFill(g.b1[:0], g.vals, g.bind, draw)
		g.b2 = g.decorate(g.b2[:0], g.b1, rng, draw, try > 0)
		canon = g.b2
		g.b3 = casualize(append(g.b3[:0], canon...), g.p.Casual, rng)
		text = g.b3
		h = hash64(text)
		if !containsU64(g.hs, h) && !g.bloomHas(h) {
			break
		}
		g.redraws++
		if try == tries-1 {
			g.dupTurns++
		}
	}
	g.allTurns++
	_ = lib
	// Keep both texts in the conversation's arena (reset per scenario).
	n := len(g.arena)
	g.arena = append(g.arena, canon...)
	g.arena = append(g.arena, text...)
	canon, text = g.arena[n:n+len(canon):n+len(canon)], g.arena[n+len(canon):len(g.arena):len(g.arena)]
	g.hs = append(g.hs, h)
	g.turns = append(g.turns, turnOut{text: text, canon: canon, pressure: pressure, phase: phase, expect: expect, tactic: tactic, tmpl: t})
}

// decorate appends to dst the filled line with, sometimes, a neutral
// aside sentence before or after it, and a discourse lead ("Honestly,") or
// tail ("if that makes sense"). force adds an aside: a redraw after a
// repeated text.
func (g *gen) decorate(dst, line []byte, rng *rand.Rand, draw func(int) int, force bool) []byte {
	lib := g.lib
	if len(lib.asides) > 0 && (force || rng.IntN(100) < 20) {
		a := lib.asides[rng.IntN(len(lib.asides))].appendFill(g.b4[:0], g.vals, g.bind, draw)
		joined := g.b5[:0]
		if rng.IntN(2) == 0 {
			joined = append(append(append(joined, a...), ' '), line...)
		} else {
			joined = append(append(append(joined, line...), ' '), a...)
		}
		g.b4, g.b5 = a, joined
		line = joined
	}
	x := rng.IntN(100)
	switch {
	case x < 22 && len(lib.leads) > 0:
		return appendLead(dst, lib.leads[rng.IntN(len(lib.leads))], line)
	case x < 34 && len(lib.tails) > 0:
		return appendTail(dst, line, lib.tails[rng.IntN(len(lib.tails))])
	}
	return append(dst, line...)
}

// withLead joins "Honestly," and "My sister ..." into "Honestly, my sister
// ...": the line's first letter is lowered unless it starts "I" as a word or
// an acronym.
func withLead(lead string, line []byte) []byte { return appendLead(nil, lead, line) }

func appendLead(out []byte, lead string, line []byte) []byte {
	if sp := strings.LastIndexByte(lead, ' '); firstWordIs(line, strings.Trim(lead[sp+1:], ",")) {
		return append(out, line...) // "So" + "So it's all fake" would repeat a word
	}
	out = append(out, lead...)
	out = append(out, ' ')
	if len(line) > 1 && line[0] >= 'A' && line[0] <= 'Z' && !(line[0] == 'I' && (line[1] == ' ' || line[1] == '\'')) && !(line[1] >= 'A' && line[1] <= 'Z') {
		out = append(out, line[0]+'a'-'A')
		line = line[1:]
	}
	return append(out, line...)
}

// withTail turns "It hurts." and "if that makes sense" into "It hurts, if
// that makes sense." (a question keeps its question mark).
func withTail(line []byte, tail string) []byte { return appendTail(nil, line, tail) }

func appendTail(out, line []byte, tail string) []byte {
	end := byte('.')
	n := len(line)
	for n > 0 && (line[n-1] == '.' || line[n-1] == '!' || line[n-1] == '?') {
		if line[n-1] == '?' {
			end = '?'
		}
		n--
	}
	out = append(out, line[:n]...)
	out = append(out, ", "...)
	out = append(out, tail...)
	return append(out, end)
}

// firstWordIs reports whether line starts with the word w, any case.
func firstWordIs(line []byte, w string) bool {
	if len(line) < len(w) || !strings.EqualFold(string(line[:len(w)]), w) {
		return false
	}
	return len(line) == len(w) || !isAlpha(line[len(w)])
}

// control is the matched control of c: the same persona, slots and
// support turns, then more support instead of escalation, to the same
// length.
func (g *gen) control(c *conv, rng *rand.Rand) *conv {
	ctl := &conv{fam: c.fam, prob: c.prob, persona: c.persona, coreTurn: -1}
	g.turns = append(g.turns[:0], c.turns[:c.nSupport]...)
	g.hs = g.hs[:0]
	for _, t := range g.turns {
		g.hs = append(g.hs, hash64(t.text))
	}
	draw := func(n int) int { return rng.IntN(n) }
	g.addSupport(rng, draw, c.prob, len(c.turns)-c.nSupport, "none")
	ctl.turns = append([]turnOut(nil), g.turns...)
	ctl.nSupport = len(ctl.turns)
	for _, t := range ctl.turns[c.nSupport:] {
		g.bloomAdd(hash64(t.text))
	}
	return ctl
}

// emitItem is one conversation ready to be written: what prepare decided
// on the generator's goroutine (the ids, the situation, which bind slots as
// a side effect the control's turns then see), and the conversation.
type emitItem struct {
	c         *conv
	controlOf string
	cid, sid  string
	situation []byte // nil: the problem has none
}

// emit writes one conversation; controlOf is the scenario id of the
// scenario a control belongs to ("" for a scenario). It returns the row's
// scenario id.
func (g *gen) emit(ctx context.Context, rb *rowBuilders, c *conv, rng *rand.Rand, controlOf string) (string, error) {
	it, err := g.prepare(ctx, c, controlOf)
	if err != nil {
		return "", err
	}
	if g.pipe != nil {
		g.pipe.send(it)
		return it.sid, nil
	}
	g.b2 = g.write(rb, it, rng, g.b2)
	return it.sid, nil
}

// pipelineWrites turns the pipe on; a test turns it off to compare.
var pipelineWrites = true

// pipe hands prepared conversations to a goroutine that writes them, so
// that drawing the next conversation and writing this one (its risk
// grading and Arrow appends, about half the work) use two cores. Items
// are written in the order they are sent, and writing reads nothing the
// draw changes, so the rows are the same bytes as written in place.
type pipe struct {
	ch  chan *emitItem
	wg  sync.WaitGroup
	buf []byte
}

func (g *gen) startPipe(rb *rowBuilders) *pipe {
	p := &pipe{ch: make(chan *emitItem, 512)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var scratch []byte
		for it := range p.ch {
			scratch = g.write(rb, it, nil, scratch)
		}
	}()
	return p
}

// stop waits until every item sent is written.
func (p *pipe) stop() {
	close(p.ch)
	p.wg.Wait()
}

// send copies what the item shares with the generator (texts in its
// arena, the situation in its scratch buffer) and queues it.
func (p *pipe) send(it *emitItem) {
	c := *it.c
	n := len(it.situation)
	for _, t := range c.turns {
		n += len(t.text) + len(t.canon)
	}
	buf := make([]byte, 0, n)
	keep := func(b []byte) []byte {
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	turns := make([]turnOut, len(c.turns))
	for i, t := range c.turns {
		t.text, t.canon = keep(t.text), keep(t.canon)
		turns[i] = t
	}
	c.turns = turns
	out := *it
	out.c = &c
	if it.situation != nil {
		out.situation = keep(it.situation)
	}
	p.ch <- &out
}

// prepare does the part of writing a conversation that the rest of the
// draw depends on, in draw order: the rewriter (LLM mode), the ids, and
// the situation, whose fill binds slots the control then uses.
func (g *gen) prepare(ctx context.Context, c *conv, controlOf string) (*emitItem, error) {
	isControl := controlOf != ""
	if g.rw != nil {
		for i := range c.turns {
			out, err := g.rw(ctx, string(c.turns[i].text))
			if err != nil {
				return nil, fmt.Errorf("synth: rewriting turn %d of a %s conversation: %w", i, c.fam.name, err)
			}
			c.turns[i].text = []byte(out)
		}
		hh := sha256.New()
		for _, t := range c.turns {
			hh.Write(t.text)
			hh.Write([]byte{0x1e})
		}
		var k [16]byte
		copy(k[:], hh.Sum(nil))
		if _, dup := g.seenRW[k]; dup && !isControl {
			return nil, fmt.Errorf("synth: a rewritten %s conversation repeats the user text of an earlier row", c.fam.name)
		}
		g.seenRW[k] = struct{}{}
	}
	// The conversation id covers everything that identifies it.
	h := sha256.New()
	h.Write([]byte(g.p.Category))
	h.Write([]byte{0})
	h.Write([]byte(c.fam.name))
	h.Write([]byte{0})
	h.Write([]byte(controlOf))
	for _, t := range c.turns {
		h.Write([]byte{0x1e})
		h.Write(t.text)
	}
	var id [32]byte
	h.Sum(id[:0])
	it := &emitItem{c: c, controlOf: controlOf}
	it.cid = "synth-" + g.p.Category + "-" + hex.EncodeToString(id[:10])
	it.sid = c.fam.name + "@" + c.prob.slug + "/" + c.persona.name + "/t" + strconv.Itoa(len(c.turns)) + "/" + hex.EncodeToString(id[:6])
	if isControl {
		it.sid = "control:" + controlOf
	}
	if len(c.prob.situations) > 0 {
		// Seeded by the conversation itself, from the same slot values.
		g.spcg.Seed(binary.LittleEndian.Uint64(id[:8]), 1)
		t := &c.prob.situations[g.srng.IntN(len(c.prob.situations))]
		g.b1 = t.appendFill(g.b1[:0], g.vals, g.bind, g.sdraw)
		it.situation = g.b1
	}
	return it, nil
}

// write appends a prepared conversation to rb; scratch is a buffer of its
// own (the risk grading's). References draw from rng, so a draw with
// references writes on the generator's goroutine.
func (g *gen) write(rb *rowBuilders, it *emitItem, rng *rand.Rand, scratch []byte) []byte {
	lib := g.lib
	c := it.c
	isControl := it.controlOf != ""
	s := rb.str
	s[colConvID].Append(it.cid)
	s[colScenID].Append(it.sid)
	s[colSource].Append("synthetic")
	s[colCategory].Append(g.p.Category)
	s[colFamily].Append(c.fam.name)
	if isControl {
		s[colTactic].Append("none")
	} else {
		s[colTactic].Append(c.fam.tactic)
	}
	s[colProblem].Append(c.prob.name)
	s[colAgeBand].Append(c.persona.ageBand)
	s[colSetting].Append(c.persona.setting)
	if it.situation != nil {
		s[colSituation].BinaryBuilder.Append(it.situation)
	} else {
		s[colSituation].AppendNull()
	}
	lvl := 0
	for _, t := range c.turns {
		var l int
		l, scratch = turnRiskBytes(t.canon, scratch)
		if lvl = max(lvl, l); lvl == 2 {
			break
		}
	}
	s[colRisk].Append(riskNames[lvl])
	if isControl {
		s[colExpected].Append("ordinary support: acknowledge feelings, explore, encourage support")
	} else {
		s[colExpected].Append(c.fam.expected)
	}
	esc := -1
	for i, t := range c.turns {
		if t.pressure > 0 {
			esc = i
			break
		}
	}
	if esc < 0 {
		rb.escTurn.AppendNull()
	} else {
		rb.escTurn.Append(int32(esc))
	}
	if c.coreTurn < 0 {
		rb.coreTurn.AppendNull()
	} else {
		rb.coreTurn.Append(int32(c.coreTurn))
	}
	rb.reached.Append(c.reached)
	if isControl {
		s[colControlOf].Append(it.controlOf)
	} else {
		s[colControlOf].AppendNull()
	}
	if sp := g.famSplit[g.famIndex(c.fam)]; sp != "" {
		s[colSplit].Append(sp)
	} else {
		s[colSplit].AppendNull()
	}
	rb.turns.Append(true)
	for i, t := range c.turns {
		rb.turn.Append(true)
		rb.tNum.Append(int32(i))
		rb.tRole.Append("user")
		rb.tText.BinaryBuilder.Append(t.text)
		rb.tPressure.Append(int32(t.pressure))
		rb.tPh.Append(t.phase)
		rb.tExp.Append(true)
		for _, x := range t.expect {
			rb.tExpV.Append(x)
		}
	}
	if !g.p.References {
		rb.refs.AppendNull()
		return scratch
	}
	rb.refs.Append(true)
	var used []*tmpl
	for i, t := range c.turns {
		pools := lib.refCandidates(t.expect, g.p.Category, t.tactic)
		pool := pools[rng.IntN(len(pools))]
		var line *tmpl
		for try := 0; try < 4; try++ {
			line = &pool.lines[rng.IntN(len(pool.lines))]
			if !containsTmpl(used, line) {
				break
			}
		}
		used = append(used, line)
		rb.ref.Append(true)
		rb.rNum.Append(int32(i))
		rb.rRole.Append("assistant")
		rb.rText.BinaryBuilder.Append(line.appendFill(nil, g.vals, g.bind, func(n int) int { return rng.IntN(n) }))
		rb.rStra.Append(pool.strategy)
	}
	return scratch
}

func (g *gen) famIndex(e *escalation) int {
	for i, f := range g.fams {
		if f == e {
			return i
		}
	}
	return 0
}

func containsTmpl(s []*tmpl, t *tmpl) bool {
	for _, x := range s {
		if x == t {
			return true
		}
	}
	return false
}

func containsU64(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// hash64 is a fixed, platform-independent 64-bit hash of b: 8-byte words
// folded by multiply and shift, then the splitmix64 finalizer.
func hash64(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xff51afd7ed558ccd
		h ^= h >> 32
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return mix64(h ^ tail)
}

// The turn set is a blocked Bloom filter: both bits of a key sit in one
// word, so a lookup touches one cache line.
func (g *gen) bloomBits(h uint64) (int, uint64) {
	w := int(h & uint64(len(g.bloom)-1)) // len is a power of two
	return w, 1<<(h>>52&63) | 1<<(h>>46&63)
}

func (g *gen) bloomAdd(h uint64) {
	w, m := g.bloomBits(h)
	g.bloom[w] |= m
}

func (g *gen) bloomHas(h uint64) bool {
	w, m := g.bloomBits(h)
	return g.bloom[w]&m == m
}
