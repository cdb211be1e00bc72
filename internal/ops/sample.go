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
	"github.com/hashicorp/hcl/v2/hclsyntax"
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
	// equal: n is the total, shared equally by the strata as far as each
	// holds units, the rest going on to the others (a review sheet that
	// shows every stratum). With stratify = [a, b, …] the shares are equal
	// level by level: among the values of a, then among the values of b
	// within each, and so on; levels are those expressions, paths each
	// stratum's group key at every level.
	equal  bool
	levels []*expr.Program
	paths  map[string][]string

	// proportional: n is the total, shared by the strata in proportion to
	// their units (largest remainder); otherwise n is taken per stratum.
	proportional bool
	vars         map[string]cty.Value
	params       []Param

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
	switch alloc := attrString(n, "allocate", "each"); alloc {
	case "each":
	case "proportional":
		switch {
		case op.stratify == nil:
			diags = append(diags, diag("Invalid value", "allocate = \"proportional\" shares n among strata; set stratify = <row expression> too, or remove allocate.", attrRange(n, "allocate")))
		case !hasN:
			diags = append(diags, diag("Invalid value", "allocate = \"proportional\" shares a total n among strata; with fraction every stratum is already sampled in proportion. Set n, or remove allocate.", attrRange(n, "allocate")))
		}
		op.proportional = true
		op.params = append(op.params, Param{"allocate", alloc})
	case "equal":
		switch {
		case op.stratify == nil:
			diags = append(diags, diag("Invalid value", "allocate = \"equal\" shares n among strata; set stratify = <row expression> too, or remove allocate.", attrRange(n, "allocate")))
		case !hasN:
			diags = append(diags, diag("Invalid value", "allocate = \"equal\" shares a total n among strata; set n, or remove allocate.", attrRange(n, "allocate")))
		}
		op.equal = true
		op.params = append(op.params, Param{"allocate", alloc})
	default:
		diags = append(diags, diag("Invalid value", fmt.Sprintf("allocate is \"each\" (n per stratum, the default), \"proportional\" (n in total, shared by the strata in proportion to their size) or \"equal\" (n in total, the same share for every stratum that has the units), not %q.", alloc), attrRange(n, "allocate")))
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
	if op.equal && op.stratify != nil {
		diags = append(diags, op.prepareLevels(inputs[0])...)
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
		if err := op.notePaths(ctx, rc, rec, row0, strat); err != nil {
			return err
		}
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
	var quota map[string]int64
	if op.proportional {
		if quota, err = proportionalQuota(op.count, names, strata, op.byProg != nil); err != nil {
			return err
		}
	}
	if op.equal {
		if quota, err = op.equalQuota(names, strata); err != nil {
			return err
		}
	}
	for _, k := range names {
		us := strata[k]
		want := op.count
		if quota != nil {
			want = quota[k]
		}
		if want < 0 {
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

// proportionalQuota shares n among the strata in proportion to their
// units: each gets floor(n*size/total), and the units left over go to the
// largest remainders, ties to the stratum whose key sorts first (names is
// sorted), so the quotas add up to n exactly and depend only on the sizes.
func proportionalQuota(n int64, names []string, strata map[string][]unit, groups bool) (map[string]int64, error) {
	var total int64
	for _, k := range names {
		total += int64(len(strata[k]))
	}
	if n > total {
		what := "rows"
		if groups {
			what = "groups"
		}
		return nil, fmt.Errorf("sample asks for n = %d but the input has only %d %s; lower n or use fraction", n, total, what)
	}
	quota := make(map[string]int64, len(names))
	rem := make([]*big.Int, len(names))
	var given int64
	for i, k := range names {
		prod := new(big.Int).Mul(big.NewInt(n), big.NewInt(int64(len(strata[k]))))
		q, r := new(big.Int).QuoRem(prod, big.NewInt(total), new(big.Int))
		quota[k] = q.Int64()
		rem[i] = r
		given += q.Int64()
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]].Cmp(rem[order[b]]) > 0 })
	for _, i := range order[:n-given] {
		quota[names[i]]++
	}
	return quota, nil
}

// equalQuota shares n among the strata equally: each gets the same share,
// capped at its units, and what a small stratum cannot take goes on to the
// others (water-filling). With levels, the share is equal among the first
// level's values, then within each of them among the next level's, and so
// on. When fewer units are left than open strata, they go to the strata
// whose seeded hash of their key is lowest, so the shares depend only on
// the seed and the strata's sizes and keys.
func (op *sampleOp) equalQuota(names []string, strata map[string][]unit) (map[string]int64, error) {
	var total int64
	for _, k := range names {
		total += int64(len(strata[k]))
	}
	if op.count > total {
		what := "rows"
		if op.byProg != nil {
			what = "groups"
		}
		return nil, fmt.Errorf("sample asks for n = %d but the input has only %d %s; lower n or use fraction", op.count, total, what)
	}
	quota := make(map[string]int64, len(names))
	op.fillLevel(op.count, names, strata, 0, quota)
	return quota, nil
}

// fillLevel shares n among the strata of names, equally among their values
// at level and on down.
func (op *sampleOp) fillLevel(n int64, names []string, strata map[string][]unit, level int, quota map[string]int64) {
	if level >= len(op.levels)-1 {
		size := make(map[string]int64, len(names))
		for _, k := range names {
			size[k] = int64(len(strata[k]))
		}
		for k, q := range op.waterfill(n, names, size) {
			quota[k] = q
		}
		return
	}
	members := map[string][]string{}
	size := map[string]int64{}
	var values []string
	for _, k := range names {
		v := op.paths[k][level]
		if _, ok := members[v]; !ok {
			values = append(values, v)
		}
		members[v] = append(members[v], k)
		size[v] += int64(len(strata[k]))
	}
	for v, q := range op.waterfill(n, values, size) {
		op.fillLevel(q, members[v], strata, level+1, quota)
	}
}

// waterfill shares n among keys equally, capped at each key's size, the
// rest going on to the others; the last units go by seeded hash order.
func (op *sampleOp) waterfill(n int64, keys []string, size map[string]int64) map[string]int64 {
	open := slices.Clone(keys)
	sort.SliceStable(open, func(i, j int) bool {
		hi, hj := op.hash(open[i]), op.hash(open[j])
		return hi < hj || hi == hj && open[i] < open[j]
	})
	out := make(map[string]int64, len(keys))
	for left := n; left > 0 && len(open) > 0; {
		each := left / int64(len(open))
		if each == 0 {
			// Fewer units left than open keys: one each, in hash order.
			for _, k := range open[:left] {
				out[k]++
			}
			break
		}
		var next []string
		for _, k := range open {
			give := min(each, size[k]-out[k])
			out[k] += give
			left -= give
			if out[k] < size[k] {
				next = append(next, k)
			}
		}
		open = next
	}
	return out
}

// prepareLevels compiles the elements of stratify = [a, b, …] as the levels
// of an equal allocation; any other stratify is one level.
func (op *sampleOp) prepareLevels(s *arrow.Schema) hcl.Diagnostics {
	tup, ok := op.stratify.Expr.(*hclsyntax.TupleConsExpr)
	if !ok || len(tup.Exprs) < 2 {
		op.levels = nil
		return nil
	}
	var diags hcl.Diagnostics
	op.levels = make([]*expr.Program, len(tup.Exprs))
	for i, e := range tup.Exprs {
		var d hcl.Diagnostics
		op.levels[i], d = expr.Compile(e, s, op.vars)
		diags = append(diags, d...)
	}
	return diags
}

// notePaths records, for each stratum first seen in the batch, its group
// key at every level.
func (op *sampleOp) notePaths(ctx context.Context, rc *RunContext, rec arrow.RecordBatch, row0 int64, strat []string) error {
	if op.levels == nil || strat == nil {
		return nil
	}
	if op.paths == nil {
		op.paths = map[string][]string{}
	}
	var keys [][]string
	for i := 0; i < int(rec.NumRows()); i++ {
		if _, ok := op.paths[strat[i]]; ok {
			continue
		}
		if keys == nil {
			keys = make([][]string, len(op.levels))
			for l, p := range op.levels {
				k, err := evalKeys(ctx, rc.Mem, p, rec, row0)
				if err != nil {
					return fmt.Errorf("stratify: %w", inputRow(err, row0))
				}
				keys[l] = k
			}
		}
		path := make([]string, len(op.levels))
		for l := range op.levels {
			path[l] = keys[l][i]
		}
		op.paths[strat[i]] = path
	}
	return nil
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
