package ops

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var sampleSpec = &Spec{
	Kind:    "sample",
	Version: 1,
	Doc:     "Keep n rows (or a fraction), seeded; by = whole groups (conversations); stratify = per stratum.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "n", Mode: recipe.Static, Type: cty.Number},
		{Name: "fraction", Mode: recipe.Static, Type: cty.Number},
		{Name: "seed", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "by", Mode: recipe.RowExpr},
		{Name: "stratify", Mode: recipe.RowExpr},
		{Name: "allocate", Mode: recipe.Static, Type: cty.String},
	},
	New: newSample,
}

// sampleOp picks units (rows, or groups of rows sharing a `by` value) by
// their rank under a seeded hash of the unit's identity: a row's position, or
// the group's key (expr.GroupKeys of its `by` value, whose encoding version
// is in the node's params). Ranks do not depend on batch boundaries or scheduling,
// and a unit's fate does not change when unrelated rows are added.
type sampleOp struct {
	n        *recipe.Node
	count    int64 // -1 when fraction is used
	fraction float64
	seed     uint64
	by       *recipe.Attr
	stratify *recipe.Attr
	allocate string // "" (n per stratum), "equal" or "proportional" (n in all)
	vars     map[string]cty.Value
	params   []Param

	byProg, stratProg *expr.Program
}

func newSample(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &sampleOp{n: n, count: -1, by: n.Attrs["by"], stratify: n.Attrs["stratify"], vars: env.Vars}
	cnt, hasN, d := attrInt(n, "n", 0, math.MaxInt32)
	diags = append(diags, d...)
	f, hasF := attrNumber(n, "fraction")
	switch {
	case hasN && hasF:
		diags = append(diags, diag("Conflicting attributes", "Set n (a number of rows or groups) or fraction (between 0 and 1), not both.", attrRange(n, "fraction")))
	case hasN:
		op.count = cnt
		op.params = append(op.params, Param{"n", fmt.Sprint(cnt)})
	case hasF:
		op.fraction, _ = f.Float64()
		if op.fraction < 0 || op.fraction > 1 {
			diags = append(diags, diag("Invalid value", "fraction must be between 0 and 1.", attrRange(n, "fraction")))
		}
		op.params = append(op.params, Param{"fraction", f.Text('g', -1)})
	default:
		diags = append(diags, diag("Missing sample size", "Set n = <rows or groups> or fraction = <0..1>.", &n.DeclRange))
	}
	seed, _, d := attrInt(n, "seed", 0, math.MaxInt64)
	diags = append(diags, d...)
	op.seed = uint64(seed)
	op.params = append(op.params, Param{"seed", new(big.Int).SetUint64(op.seed).String()})
	for _, a := range []*recipe.Attr{op.by, op.stratify} {
		if a == nil {
			continue
		}
		c, d := expr.Canonical(a.Expr)
		diags = append(diags, d...)
		op.params = append(op.params, Param{a.Name, c})
		op.params = append(op.params, varParams(env.Vars, a.Expr)...)
	}
	if a := attrString(n, "allocate", ""); a != "" {
		switch {
		case a != "equal" && a != "proportional":
			diags = append(diags, diag("Unknown allocation", fmt.Sprintf("allocate = %q; use \"equal\" (n in all, spread evenly over the strata) or \"proportional\" (n in all, by stratum size); without it n is drawn from each stratum.", a), attrRange(n, "allocate")))
		case op.stratify == nil || !hasN:
			diags = append(diags, diag("allocate needs stratify and n", "allocate shares n units among the strata of stratify; set both, or remove allocate.", attrRange(n, "allocate")))
		}
		op.allocate = a
		op.params = append(op.params, Param{"allocate", a})
	}
	if op.by != nil || op.stratify != nil {
		// Groups are drawn by the hash of their group key: a new encoding
		// draws other groups, so it must give the node another key.
		op.params = append(op.params, Param{"group_key", fmt.Sprint(expr.GroupKeyVersion)})
	}
	op.params = dedupParams(op.params)
	return op, diags
}

func (op *sampleOp) Params() []Param { return op.params }

func (op *sampleOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if op.by != nil {
		var d hcl.Diagnostics
		op.byProg, d = expr.Compile(op.by.Expr, inputs[0], op.vars)
		diags = append(diags, d...)
	}
	if op.stratify != nil {
		var d hcl.Diagnostics
		op.stratProg, d = expr.Compile(op.stratify.Expr, inputs[0], op.vars)
		diags = append(diags, d...)
	}
	for _, g := range []struct {
		a *recipe.Attr
		p *expr.Program
	}{{op.by, op.byProg}, {op.stratify, op.stratProg}} {
		if g.p == nil {
			continue
		}
		if err := expr.CheckGroupKeyType(g.p.Type()); err != nil {
			diags = append(diags, diag("Invalid "+g.a.Name+" expression", fmt.Sprintf("%s: %v; group by a column or expression of another type.", g.a.Name, err), g.a.Expr.Range().Ptr()))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return inputs[0], diags
}

// unit is one sampling unit: a group (key) or a row (its position).
type unit struct {
	hash uint64
	key  string // group key (expr.GroupKeys); "" for row units
	row  int64  // row position; for groups, the first row
}

func (op *sampleOp) Run(ctx context.Context, rc *RunContext) error {
	// Pass 1: the identity and stratum of every unit. Row units are
	// identified by their position, so no per-row value is materialized.
	strata := map[string][]unit{}
	seen := map[string]bool{}
	var total int64
	err := op.scan(ctx, rc, func(rec arrow.RecordBatch, row0 int64, keys, strat []string) error {
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			st := ""
			if strat != nil {
				st = strat[i]
			}
			u := unit{row: row0 + int64(i)}
			if keys != nil {
				// A group is one unit, in the stratum of its first row.
				if seen[keys[i]] {
					continue
				}
				seen[keys[i]] = true
				u.key, u.hash = keys[i], op.hash(keys[i])
			} else {
				u.hash = op.hashRow(u.row)
			}
			strata[st] = append(strata[st], u)
		}
		total = row0 + int64(n)
		return nil
	})
	if err != nil {
		return err
	}
	names := make([]string, 0, len(strata))
	for k := range strata {
		names = append(names, k)
	}
	sort.Strings(names)
	chosenGroups := map[string]bool{}
	chosenRows := make([]uint64, (total+63)/64)
	var shares map[string]int64
	if op.allocate != "" {
		if shares, err = op.share(strata, names); err != nil {
			return err
		}
	}
	for _, k := range names {
		us := strata[k]
		want := op.count
		if shares != nil {
			want = shares[k]
		} else if want < 0 {
			want = int64(math.Round(op.fraction * float64(len(us))))
		} else if op.stratProg == nil && want > int64(len(us)) {
			what := "rows"
			if op.byProg != nil {
				what = "groups"
			}
			return fmt.Errorf("sample asks for n = %d but the input has only %d %s; lower n or use fraction", want, len(us), what)
		}
		if want > int64(len(us)) {
			want = int64(len(us))
		}
		sort.Slice(us, func(i, j int) bool {
			if us[i].hash != us[j].hash {
				return us[i].hash < us[j].hash
			}
			if us[i].key != us[j].key {
				return us[i].key < us[j].key
			}
			return us[i].row < us[j].row
		})
		for _, u := range us[:want] {
			if op.byProg != nil {
				chosenGroups[u.key] = true
			} else {
				chosenRows[u.row/64] |= 1 << (u.row % 64)
			}
		}
	}
	// Pass 2: keep the chosen units' rows, in input order.
	return op.scan(ctx, rc, func(rec arrow.RecordBatch, row0 int64, keys, _ []string) error {
		n := int(rec.NumRows())
		b := array.NewBooleanBuilder(rc.Mem)
		defer b.Release()
		b.Reserve(n)
		for i := 0; i < n; i++ {
			if keys != nil {
				b.UnsafeAppend(chosenGroups[keys[i]])
			} else {
				r := row0 + int64(i)
				b.UnsafeAppend(chosenRows[r/64]&(1<<(r%64)) != 0)
			}
		}
		mask := b.NewBooleanArray()
		defer mask.Release()
		out, err := expr.Filter(ctx, rc.Mem, rec, mask)
		if err != nil {
			return err
		}
		defer out.Release()
		if out.NumRows() == 0 {
			return nil
		}
		return rc.Emit(out)
	})
}

// scan reads the input once, giving each batch's first row position, the
// group key of each row (nil without `by`) and its stratum (nil without
// `stratify`).
func (op *sampleOp) scan(ctx context.Context, rc *RunContext, fn func(rec arrow.RecordBatch, row0 int64, keys, strat []string) error) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		n := int(rec.NumRows())
		var keys, strat []string
		if op.byProg != nil {
			if keys, err = evalKeys(ctx, rc.Mem, op.byProg, rec, row); err != nil {
				return fmt.Errorf("by: %w", inputRow(err, row))
			}
		}
		if op.stratProg != nil {
			if strat, err = evalKeys(ctx, rc.Mem, op.stratProg, rec, row); err != nil {
				return fmt.Errorf("stratify: %w", inputRow(err, row))
			}
		}
		if err := fn(rec, row, keys, strat); err != nil {
			return err
		}
		row += int64(n)
	}
	return rd.Err()
}

// evalKeys evaluates p and gives each row's group key (expr.GroupKeys): a
// type-tagged encoding in which 1 and "1" are different groups, null is a
// group of its own, and nothing depends on arrow-go's display format.
func evalKeys(ctx context.Context, mem memory.Allocator, p *expr.Program, rec arrow.RecordBatch, first int64) ([]string, error) {
	a, err := p.EvalAt(ctx, mem, rec, first)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return expr.GroupKeys(a)
}

// hashRow hashes a row unit: its position as 8 big-endian bytes, the id
// row units have always had, so samples stay what they were.
func (op *sampleOp) hashRow(row int64) uint64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(row))
	return op.hash(string(b[:]))
}

// hash is FNV-1a over the seed and the unit id, finished with splitmix64 so
// that nearby ids spread over the whole range.
func (op *sampleOp) hash(id string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	var sb [8]byte
	binary.LittleEndian.PutUint64(sb[:], op.seed)
	for _, c := range sb {
		h = (h ^ uint64(c)) * prime
	}
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	h += 0x9e3779b97f4a7c15
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	return h ^ (h >> 31)
}

// share divides n units among the strata (allocate): "equal" gives each
// stratum the same share, capped at its size, the rest going on to the
// others; "proportional" gives shares by size, largest remainder. Ties for
// a last unit go to the strata whose seeded hash of their name is lowest, so
// the split depends on nothing but the seed and the strata.
func (op *sampleOp) share(strata map[string][]unit, names []string) (map[string]int64, error) {
	var size int64
	for _, k := range names {
		size += int64(len(strata[k]))
	}
	if op.count > size {
		return nil, fmt.Errorf("sample asks for n = %d in all but the strata hold only %d units; lower n", op.count, size)
	}
	order := slices.Clone(names)
	sort.SliceStable(order, func(i, j int) bool { return op.hash(order[i]) < op.hash(order[j]) })
	out := make(map[string]int64, len(names))
	left := op.count
	if op.allocate == "proportional" {
		rem := make(map[string]int64, len(names))
		for _, k := range names {
			n := int64(len(strata[k]))
			out[k] = op.count * n / size
			rem[k] = op.count * n % size
			left -= out[k]
		}
		sort.SliceStable(order, func(i, j int) bool { return rem[order[i]] > rem[order[j]] })
		for _, k := range order[:left] {
			out[k]++
		}
		return out, nil
	}
	// equal: water-filling.
	open := order
	for left > 0 {
		each := left / int64(len(open))
		var next []string
		for _, k := range open {
			if each > 0 {
				give := min(each, int64(len(strata[k]))-out[k])
				out[k] += give
				left -= give
			}
			if out[k] < int64(len(strata[k])) {
				next = append(next, k)
			}
		}
		if each == 0 {
			// Fewer units left than open strata: one each, in hash order.
			for _, k := range next[:left] {
				out[k]++
			}
			break
		}
		open = next
	}
	return out, nil
}
