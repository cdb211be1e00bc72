package ops

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var mixSpec = &Spec{
	Kind:    "mix",
	Version: 1,
	Doc:     `Seeded sample of each part "LABEL" { input, n | fraction | weight, by }, labelled and unioned; weights share the mix's n.`,
	Attrs: []recipe.AttrSpec{
		{Name: "seed", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "n", Mode: recipe.Static, Type: cty.Number},
		{Name: "shuffle", Mode: recipe.Static, Type: cty.Bool},
		{Name: "replace", Mode: recipe.Static, Type: cty.Bool},
		{Name: "label_column", Mode: recipe.Static, Type: cty.String},
	},
	Blocks: []recipe.BlockSpec{{
		Type: "part", Label: "label", Required: 1,
		Attrs: []recipe.AttrSpec{
			{Name: "input", Required: true, Mode: recipe.Ref},
			{Name: "n", Mode: recipe.Static, Type: cty.Number},
			{Name: "fraction", Mode: recipe.Static, Type: cty.Number},
			{Name: "weight", Mode: recipe.Static, Type: cty.Number},
			{Name: "by", Mode: recipe.RowExpr},
		},
	}},
	New: newMix,
}

// mixOp draws, for each part, units (rows, or the groups of rows sharing a
// `by` value) by their rank under a hash of (seed, part label, unit id),
// the way sample does, so a part's draw depends on nothing but its own
// input and attributes; with replace, each of the part's draws picks a unit
// by its own hash. The parts' rows are conformed to one schema (unify.go),
// labelled, and emitted part by part (units in input order, a unit drawn
// twice twice in a row), or, with shuffle, all units in the order of a
// hash of (seed, part, unit, copy), each group's rows kept together.
//
// Memory: every part's input is held in memory (conformed and
// concatenated), plus a group key per row of grouped parts and 8 bytes per
// output row.
type mixOp struct {
	n        *recipe.Node
	seed     uint64
	total    int64 // the mix's n, shared by weighted parts; -1 if unset
	shuffle  bool
	replace  bool
	labelCol string
	parts    []*mixPart
	params   []Param
	vars     map[string]cty.Value
	schema   *arrow.Schema
}

type mixPart struct {
	label    string
	b        *recipe.Block
	ref      string
	name     string // for messages: `select.a (part["x"].input)`
	dep      int
	n        int64 // -1 unless set
	fraction float64
	hasFrac  bool
	weight   float64
	hasW     bool
	by       *recipe.Attr
	byProg   *expr.Program
}

func newMix(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &mixOp{n: n, total: -1, shuffle: attrBool(n, "shuffle", false), replace: attrBool(n, "replace", false),
		labelCol: attrString(n, "label_column", "part"), vars: env.Vars}
	seed, _, d := attrInt(n, "seed", 0, math.MaxInt64)
	diags = append(diags, d...)
	op.seed = uint64(seed)
	if t, ok, d := attrInt(n, "n", 0, math.MaxInt32); ok {
		diags = append(diags, d...)
		op.total = t
	}
	if op.labelCol == "" {
		diags = append(diags, diag("Invalid label_column", "label_column names the column holding each row's part label; it cannot be empty.", attrRange(n, "label_column")))
	}
	depIdx := map[string]int{}
	for i, d := range n.Deps {
		depIdx[d] = i
	}
	op.params = []Param{
		{"seed", new(big.Int).SetUint64(op.seed).String()},
		{"shuffle", strconv.FormatBool(op.shuffle)},
		{"replace", strconv.FormatBool(op.replace)},
		{"label_column", quote(op.labelCol)},
	}
	if op.total >= 0 {
		op.params = append(op.params, Param{"n", fmt.Sprint(op.total)})
	}
	var labels []string
	grouped, weighted := false, false
	for _, b := range n.Blocks {
		if b.Type != "part" {
			continue
		}
		p := &mixPart{label: b.Label, b: b, n: -1, by: b.Attrs["by"]}
		role := `part[` + strconv.Quote(b.Label) + `].input`
		if a := b.Attrs["input"]; a != nil && len(a.Refs) == 1 {
			p.ref, p.dep = a.Refs[0], depIdx[a.Refs[0]]
			p.name = p.ref + " (" + role + ")"
		}
		pn := &recipe.Node{Attrs: b.Attrs, DeclRange: b.DeclRange}
		var canon []string
		set := 0
		if v, ok, d := attrInt(pn, "n", 0, math.MaxInt32); ok {
			diags = append(diags, d...)
			p.n = v
			set++
			canon = append(canon, "n="+fmt.Sprint(v))
		}
		if f, ok := attrNumber(pn, "fraction"); ok {
			p.fraction, _ = f.Float64()
			p.hasFrac = true
			set++
			canon = append(canon, "fraction="+f.Text('g', -1))
			if p.fraction < 0 || (p.fraction > 1 && !op.replace) {
				diags = append(diags, diag("Invalid value", fmt.Sprintf("part %q: fraction must be between 0 and 1 (above 1 only with replace = true).", b.Label), attrRange(pn, "fraction")))
			}
		}
		if f, ok := attrNumber(pn, "weight"); ok {
			p.weight, _ = f.Float64()
			p.hasW = true
			weighted = true
			set++
			canon = append(canon, "weight="+f.Text('g', -1))
			if !(p.weight > 0) || math.IsInf(p.weight, 0) {
				diags = append(diags, diag("Invalid value", fmt.Sprintf("part %q: weight must be a positive number.", b.Label), attrRange(pn, "weight")))
			}
		}
		if set != 1 {
			diags = append(diags, diag("Part size", fmt.Sprintf("part %q sets %d of n, fraction and weight; set exactly one: n = <rows or groups>, fraction = <0..1> or weight = <share of the mix's n>.", b.Label, set), b.DeclRange.Ptr()))
		}
		if p.by != nil {
			c, d := expr.Canonical(p.by.Expr)
			diags = append(diags, d...)
			canon = append(canon, "by="+c)
			op.params = append(op.params, varParams(env.Vars, p.by.Expr)...)
			grouped = true
		}
		labels = append(labels, b.Label)
		op.params = append(op.params, Param{`part[` + strconv.Quote(b.Label) + `]`, "{" + strings.Join(canon, ",") + "}"})
		op.parts = append(op.parts, p)
	}
	if weighted && op.total < 0 {
		diags = append(diags, diag("Missing mix size", "Parts with a weight share the mix's n: set n = <total rows or groups> on the mix.", &n.DeclRange))
	}
	if !weighted && op.total >= 0 {
		diags = append(diags, diag("Unused mix size", "The mix's n is shared by parts with a weight, and no part has one: remove n or give parts weights.", attrRange(n, "n")))
	}
	// Part order is output order.
	op.params = append(op.params, Param{"parts", canonicalList(labels)})
	if grouped {
		op.params = append(op.params, Param{"group_key", fmt.Sprint(expr.GroupKeyVersion)})
	}
	op.params = dedupParams(op.params)
	return op, diags
}

func (op *mixOp) Params() []Param { return op.params }

func (op *mixOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	ins := make([]unifyInput, len(op.parts))
	for i, p := range op.parts {
		in := inputs[p.dep]
		r := p.b.Attrs["input"].Expr.Range()
		ins[i] = unifyInput{Name: p.name, Schema: in, Range: &r}
		p.byProg = nil
		if p.by != nil {
			prog, d := expr.Compile(p.by.Expr, in, op.vars)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			if err := expr.CheckGroupKeyType(prog.Type()); err != nil {
				diags = append(diags, diag("Invalid by expression", fmt.Sprintf("part %q: by: %v; group by a column or expression of another type.", p.label, err), p.by.Expr.Range().Ptr()))
				continue
			}
			p.byProg = prog
		}
	}
	s, d := unifySchemas(ins)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	s, d = withLabelColumn(s, op.labelCol, attrRange(op.n, "label_column"))
	if d.HasErrors() {
		return nil, d
	}
	op.schema = s
	return s, diags
}

// mixUnit is one drawn unit of a part: its rows (positions in the part's
// input) and its place in the output.
type mixUnit struct {
	hash uint64
	key  string
	rows []int64
}

func (op *mixOp) Run(ctx context.Context, rc *RunContext) error {
	wants := op.wants()
	type outUnit struct {
		order uint64
		part  int
		seq   int // tie-break: position in the part's draw
		rows  []int64
	}
	var out []outUnit
	var cols [][]arrow.Array // per part, the conformed, labelled columns
	defer func() {
		for _, cs := range cols {
			for _, c := range cs {
				c.Release()
			}
		}
	}()
	for pi, p := range op.parts {
		units, data, err := op.loadPart(ctx, rc, p)
		if err != nil {
			return fmt.Errorf("part %q: %w", p.label, err)
		}
		cols = append(cols, data)
		draws, err := op.draw(p, units, wants[pi])
		if err != nil {
			return err
		}
		for i, u := range draws {
			ou := outUnit{part: pi, seq: i, rows: units[u].rows}
			if op.shuffle {
				var b [16]byte
				binary.BigEndian.PutUint64(b[:8], uint64(u))
				binary.BigEndian.PutUint64(b[8:], uint64(i))
				ou.order = mixHash(op.seed, "shuffle\x00"+p.label, units[u].key+string(b[:]))
			}
			out = append(out, ou)
		}
	}
	if op.shuffle {
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].order != out[j].order {
				return out[i].order < out[j].order
			}
			if out[i].part != out[j].part {
				return out[i].part < out[j].part
			}
			return out[i].seq < out[j].seq
		})
	}
	// Emit in runs of one part, at most BatchSize rows a batch.
	size := rc.BatchSize
	if size <= 0 {
		size = 1 << 16
	}
	var idx []int64
	cur := -1
	flush := func() error {
		if len(idx) == 0 {
			return nil
		}
		err := emitRows(ctx, rc, op.schema, cols[cur], idx)
		idx = idx[:0]
		return err
	}
	for _, u := range out {
		if u.part != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = u.part
		}
		for _, r := range u.rows {
			idx = append(idx, r)
			if len(idx) == size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// wants is the number of units each part draws; weighted parts share the
// mix's n by largest remainder (ties to the earlier part).
func (op *mixOp) wants() []int64 {
	w := make([]int64, len(op.parts))
	var sum float64
	for _, p := range op.parts {
		if p.hasW {
			sum += p.weight
		}
	}
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := op.total
	for i, p := range op.parts {
		switch {
		case p.n >= 0:
			w[i] = p.n
		case p.hasW:
			exact := float64(op.total) * p.weight / sum
			w[i] = int64(math.Floor(exact))
			left -= w[i]
			rems = append(rems, rem{i, exact - math.Floor(exact)})
		default:
			w[i] = -1 // fraction: known once the units are counted
		}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; k < len(rems) && left > 0; k++ {
		w[rems[k].i]++
		left--
	}
	return w
}

// loadPart reads a part's input: its rows conformed to the mix's schema
// and labelled, concatenated, and its units in order of first row.
func (op *mixOp) loadPart(ctx context.Context, rc *RunContext, p *mixPart) ([]mixUnit, []arrow.Array, error) {
	rd, err := rc.Inputs[p.dep].Open()
	if err != nil {
		return nil, nil, err
	}
	defer rd.Release()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var units []mixUnit
	byKey := map[string]int{}
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		rec := rd.RecordBatch()
		n := int(rec.NumRows())
		if n == 0 {
			continue
		}
		if p.byProg != nil {
			keys, err := evalKeys(ctx, rc.Mem, p.byProg, rec, row)
			if err != nil {
				return nil, nil, fmt.Errorf("by: %w", inputRow(err, row))
			}
			for i, k := range keys {
				u, ok := byKey[k]
				if !ok {
					u = len(units)
					byKey[k] = u
					units = append(units, mixUnit{key: k})
				}
				units[u].rows = append(units[u].rows, row+int64(i))
			}
		} else {
			for i := 0; i < n; i++ {
				var b [8]byte
				binary.BigEndian.PutUint64(b[:], uint64(row+int64(i)))
				units = append(units, mixUnit{key: string(b[:]), rows: []int64{row + int64(i)}})
			}
		}
		out, err := conformWithLabel(ctx, rc.Mem, rec, op.schema, op.labelCol, p.label)
		if err != nil {
			return nil, nil, fmt.Errorf("rows from %d: %w", row, err)
		}
		batches = append(batches, out)
		row += int64(n)
	}
	if err := rd.Err(); err != nil {
		return nil, nil, err
	}
	for i := range units {
		units[i].hash = mixHash(op.seed, p.label, units[i].key)
	}
	if len(batches) == 0 {
		cols := make([]arrow.Array, op.schema.NumFields())
		for i, f := range op.schema.Fields() {
			cols[i] = array.MakeArrayOfNull(rc.Mem, f.Type, 0)
		}
		return units, cols, nil
	}
	cols, err := concatColumns(rc.Mem, op.schema, batches)
	return units, cols, err
}

// draw returns the units drawn, as indexes into units, in output order.
func (op *mixOp) draw(p *mixPart, units []mixUnit, want int64) ([]int, error) {
	what := "rows"
	if p.byProg != nil {
		what = "groups"
	}
	if want < 0 {
		want = int64(math.Round(p.fraction * float64(len(units))))
	}
	if op.replace {
		if want > 0 && len(units) == 0 {
			return nil, fmt.Errorf("part %q asks for %d %s but %s has none", p.label, want, what, p.ref)
		}
		draws := make([]int, want)
		for d := range draws {
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(d))
			h := mixHash(op.seed, "draw\x00"+p.label, string(b[:]))
			hi, _ := bits.Mul64(h, uint64(len(units)))
			draws[d] = int(hi)
		}
		sort.Ints(draws) // units in input order, a unit drawn twice twice in a row
		return draws, nil
	}
	if want > int64(len(units)) {
		return nil, fmt.Errorf("part %q asks for %d %s but %s has only %d; lower its n, or set replace = true to draw with replacement", p.label, want, what, p.ref, len(units))
	}
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ua, ub := &units[order[a]], &units[order[b]]
		if ua.hash != ub.hash {
			return ua.hash < ub.hash
		}
		if ua.key != ub.key {
			return ua.key < ub.key
		}
		return order[a] < order[b]
	})
	chosen := order[:want]
	sort.Ints(chosen)
	return chosen, nil
}

// emitRows emits rows idx of cols (a part's conformed columns).
func emitRows(ctx context.Context, rc *RunContext, schema *arrow.Schema, cols []arrow.Array, idx []int64) error {
	perm := make([]int, len(idx))
	for i, r := range idx {
		perm[i] = int(r)
	}
	return emitTaken(ctx, rc, schema, cols, perm)
}

// mixHash is FNV-1a over the seed, the part label and the unit id,
// finished with splitmix64 (as sample's hash, with the label, so that two
// parts over one input draw independently).
func mixHash(seed uint64, label, id string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	var sb [8]byte
	binary.LittleEndian.PutUint64(sb[:], seed)
	for _, c := range sb {
		h = (h ^ uint64(c)) * prime
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(label)))
	for _, c := range lb {
		h = (h ^ uint64(c)) * prime
	}
	for i := 0; i < len(label); i++ {
		h = (h ^ uint64(label[i])) * prime
	}
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	h += 0x9e3779b97f4a7c15
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	return h ^ (h >> 31)
}
