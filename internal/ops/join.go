package ops

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var joinSpec = &Spec{
	Kind:    "join",
	Version: 1,
	Doc:     "Join two inputs on key columns (how = inner | left | semi | anti); the right side is held in memory.",
	Attrs: []recipe.AttrSpec{
		{Name: "left", Required: true, Mode: recipe.Ref},
		{Name: "right", Required: true, Mode: recipe.Ref},
		{Name: "on", Required: true, Mode: recipe.Static, Type: cty.DynamicPseudoType},
		{Name: "how", Mode: recipe.Static, Type: cty.String},
		{Name: "many", Mode: recipe.Static, Type: cty.Bool},
		{Name: "suffix", Mode: recipe.Static, Type: cty.String},
	},
	New: newJoin,
}

// joinOp is a hash join. The right input is read whole into memory (its
// batches concatenated, plus an index of its keys): that, and not the left
// input, bounds the op's memory, so put the smaller table on the right.
// The left input streams batch by batch: each batch's keys probe the
// index, which gives each left row's right row, and the output columns are
// gathered by typed loops (join_take.go). Without many = true, left
// batches are probed on as many workers as the budget spares, their
// results emitted in input order.
//
// The index: for one signed-integer key column (the common case of ids), a
// rank bitmap when the keys are unique and narrow (the right columns are
// then stored in key order), a dense array or an open-addressing table
// otherwise (join_ints.go); for other keys, a map from their group keys
// (expr.GroupKeys). Which one depends on the right input's keys alone, and
// none changes a result.
//
// Semantics: a row whose key has a null in any key column never matches
// (inner and semi drop it, left keeps it with null right columns, anti
// keeps it). Keys compare by their group-key encoding, so int32 1 matches
// int64 1 but not "1". Output order is the left rows in order, each
// followed by its matches in right-input order; the right's key columns are
// dropped (the left's carry the value) and its other columns whose names a
// left column already has get the suffix.
//
// Memory: the right input whole (its columns, twice for a moment while
// they are put in key order), an int32 per right row and its index (for
// one integer key column at most 48 bytes a row, else a group key per row
// and a map entry per distinct key), plus, per left batch in flight, the
// batch, its keys and int32 index vectors with one entry per output row
// of that batch (with many = true a left row may match many right rows).
// Output batches hold at most --batch-size rows. The right input may have
// at most 2^31-1 rows.
type joinOp struct {
	n               *recipe.Node
	leftKeys        []string
	rightKeys       []string
	how             string
	many            bool
	suffix          string
	leftIn, rightIn int // indexes of the roles among the node's inputs

	// prepared
	leftKeyIdx, rightKeyIdx []int
	rightOut                []int // right columns in the output, in order
	leftIntKey              bool  // one key, a signed integer column on the left
	schema                  *arrow.Schema
}

var joinHows = []string{"inner", "left", "semi", "anti"}

func newJoin(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &joinOp{n: n, how: attrString(n, "how", "inner"), many: attrBool(n, "many", false), suffix: attrString(n, "suffix", "_right")}
	var diags hcl.Diagnostics
	valid := false
	for _, h := range joinHows {
		valid = valid || op.how == h
	}
	if !valid {
		diags = append(diags, diag("Invalid join type", fmt.Sprintf("how is %q; use one of %s.", op.how, joinComma(joinHows)), attrRange(n, "how")))
	}
	if op.suffix == "" {
		diags = append(diags, diag("Invalid suffix", "suffix renames right columns whose names the left input already has; it cannot be empty.", attrRange(n, "suffix")))
	}
	onBad := func(why string) {
		diags = append(diags, diag("Invalid join keys", why+` Write on = ["col", ...] (same names on both sides) or on = { left_col = "right_col", ... }.`, attrRange(n, "on")))
	}
	if a, ok := n.Attrs["on"]; ok && a.Value.IsKnown() && !a.Value.IsNull() {
		t := a.Value.Type()
		switch {
		case t.IsListType() || t.IsTupleType() || t.IsSetType():
			for it := a.Value.ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
					onBad("Each key must be a column name (a string).")
					continue
				}
				op.leftKeys = append(op.leftKeys, v.AsString())
				op.rightKeys = append(op.rightKeys, v.AsString())
			}
		case t.IsMapType() || t.IsObjectType():
			for it := a.Value.ElementIterator(); it.Next(); {
				k, v := it.Element()
				if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
					onBad("Each right key must be a column name (a string).")
					continue
				}
				op.leftKeys = append(op.leftKeys, k.AsString())
				op.rightKeys = append(op.rightKeys, v.AsString())
			}
		default:
			onBad("on is neither a list of column names nor a map from left to right names.")
		}
		if len(op.leftKeys) == 0 && !diags.HasErrors() {
			onBad("on names no key column.")
		}
	}
	// Inputs arrive in the node's dependency order (each node once, so a
	// self-join has one input).
	index := func(role string) int {
		a := n.Attrs[role]
		if a == nil || len(a.Refs) == 0 {
			return 0
		}
		for i, d := range n.Deps {
			if d == a.Refs[0] {
				return i
			}
		}
		return 0
	}
	op.leftIn, op.rightIn = index("left"), index("right")
	return op, diags
}

func (op *joinOp) Params() []Param {
	pairs := make([]string, len(op.leftKeys))
	for i := range op.leftKeys {
		pairs[i] = quote(op.leftKeys[i]) + ":" + quote(op.rightKeys[i])
	}
	return []Param{
		{"group_key", fmt.Sprint(expr.GroupKeyVersion)},
		{"how", op.how},
		{"many", fmt.Sprint(op.many)},
		{"on", "[" + strings.Join(pairs, ",") + "]"},
		{"suffix", quote(op.suffix)},
	}
}

// keyClass names the values a key column's type can hold under the group
// key encoding: two key columns can match only if their classes are equal.
func keyClass(dt arrow.DataType) string {
	switch t := dt.(type) {
	case *arrow.DictionaryType:
		return keyClass(t.ValueType)
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		return "integer"
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		return "unsigned integer"
	case *arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type:
		return "float"
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "string"
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return "binary"
	case *arrow.ListType:
		return "list<" + keyClass(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "list<" + keyClass(t.Elem()) + ">"
	}
	var b strings.Builder
	writeType(&b, dt)
	return b.String()
}

func (op *joinOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op.leftKeyIdx, op.rightKeyIdx, op.rightOut, op.schema, op.leftIntKey = nil, nil, nil, nil, false
	if op.leftIn >= len(inputs) || op.rightIn >= len(inputs) {
		return nil, hcl.Diagnostics{diag("Missing join input", "join needs its left and right inputs.", &op.n.DeclRange)}
	}
	left, right := inputs[op.leftIn], inputs[op.rightIn]
	rng := attrRange(op.n, "on")
	find := func(s *arrow.Schema, side, name string) int {
		idx := s.FieldIndices(name)
		if len(idx) == 0 {
			diags = append(diags, diag("Unknown join key", fmt.Sprintf("on names %q, which is not a column of the %s input (%s). Columns: %s.", name, side, op.n.Attrs[side].Refs[0], joinComma(schemaNames(s))), rng))
			return -1
		}
		return idx[0]
	}
	for i := range op.leftKeys {
		li, ri := find(left, "left", op.leftKeys[i]), find(right, "right", op.rightKeys[i])
		op.leftKeyIdx = append(op.leftKeyIdx, li)
		op.rightKeyIdx = append(op.rightKeyIdx, ri)
		if li < 0 || ri < 0 {
			continue
		}
		lt, rt := left.Field(li).Type, right.Field(ri).Type
		for _, c := range []struct {
			side string
			col  string
			dt   arrow.DataType
		}{{"left", op.leftKeys[i], lt}, {"right", op.rightKeys[i], rt}} {
			if err := expr.CheckGroupKeyType(c.dt); err != nil {
				diags = append(diags, diag("Invalid join key", fmt.Sprintf("The %s key column %q cannot be a join key: %v.", c.side, c.col, err), rng))
			}
		}
		if keyClass(lt) != keyClass(rt) {
			diags = append(diags, diag("Join key types differ",
				fmt.Sprintf("The left key %q (%s, from %s) and the right key %q (%s, from %s) can never be equal: %s values do not match %s values.",
					op.leftKeys[i], lt, op.n.Attrs["left"].Refs[0], op.rightKeys[i], rt, op.n.Attrs["right"].Refs[0], keyClass(lt), keyClass(rt))+
					" Convert one side first (a select with derive), e.g. cast the column to the other's type.", rng))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if len(op.leftKeyIdx) == 1 {
		switch left.Field(op.leftKeyIdx[0]).Type.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			op.leftIntKey = true
		}
	}
	fields := append([]arrow.Field(nil), left.Fields()...)
	if op.how == "inner" || op.how == "left" {
		names := map[string]bool{}
		for _, f := range fields {
			names[f.Name] = true
		}
		isKey := map[int]bool{}
		for _, ri := range op.rightKeyIdx {
			isKey[ri] = true
		}
		var added []arrow.Field
		for j, f := range right.Fields() {
			if isKey[j] {
				continue
			}
			if names[f.Name] {
				f.Name += op.suffix
			}
			if f.Name != "" && names[f.Name] {
				diags = append(diags, diag("Duplicate output column", fmt.Sprintf("The right column renamed to %q (suffix %q) collides with another output column; choose another suffix or rename the column first.", f.Name, op.suffix), attrRange(op.n, "suffix")))
				continue
			}
			names[f.Name] = true
			if op.how == "left" {
				f.Nullable = true
			}
			op.rightOut = append(op.rightOut, j)
			added = append(added, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
		}
		fields = append(fields, added...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	op.schema = arrow.NewSchema(fields, nil)
	return op.schema, nil
}

func schemaNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// joinTable is the right side in memory.
type joinTable struct {
	// Every right column, concatenated; in key order (see joinRanks) when
	// ranks is set. The "right rows" below are rows of these columns.
	cols     []arrow.Array
	next     []int32 // next right row with the same key, -1 at the end; nil with ranks (unique keys)
	distinct int     // distinct non-null keys
	// The first right row of each key: by its group key (expr.GroupKeys),
	// or, for one signed-integer key column, by its value (the group key
	// of a signed integer is its value as an int64, so both agree).
	head  map[string]int32
	ints  *joinInts
	ranks *joinRanks
}

// signedInts returns the values of a signed integer array (not dictionary
// encoded) as int64s, and whether it is one.
func signedInts(a arrow.Array) ([]int64, bool) {
	widen := func(n int, at func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Int64Values(), true
	case *array.Int32:
		v := a.Int32Values()
		return widen(len(v), func(i int) int64 { return int64(v[i]) }), true
	case *array.Int16:
		v := a.Int16Values()
		return widen(len(v), func(i int) int64 { return int64(v[i]) }), true
	case *array.Int8:
		v := a.Int8Values()
		return widen(len(v), func(i int) int64 { return int64(v[i]) }), true
	}
	return nil, false
}

// intKeys returns the single key column's values when the integer table
// applies to it.
func intKeys(keyCols []arrow.Array) ([]int64, bool) {
	if len(keyCols) != 1 {
		return nil, false
	}
	return signedInts(keyCols[0])
}

// heads returns, for every row of keyCols (a left batch's key columns),
// the first matching right row, or -1 (no match, or a null key).
func (t *joinTable) heads(keyCols []arrow.Array) ([]int32, error) {
	n := keyCols[0].Len()
	out := make([]int32, n)
	nulls := false
	for _, c := range keyCols {
		nulls = nulls || c.NullN() > 0
	}
	if t.ints != nil || t.ranks != nil {
		if vals, ok := intKeys(keyCols); ok {
			if t.ranks != nil {
				t.ranks.probe(vals, out)
			} else {
				t.ints.probe(vals, out)
			}
			if nulls {
				c := keyCols[0]
				bits, off := c.NullBitmapBytes(), c.Data().Offset()
				for i := range out {
					if bits == nil || !bitutil.BitIsSet(bits, off+i) {
						out[i] = -1
					}
				}
			}
			return out, nil
		}
		return nil, fmt.Errorf("join: the left key column is %s, not the integer column planned", keyCols[0].DataType())
	}
	keys, err := expr.GroupKeys(keyCols...)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		out[i] = -1
		if nulls && anyNull(keyCols, i) {
			continue
		}
		if h, ok := t.head[k]; ok {
			out[i] = h
		}
	}
	return out, nil
}

func (t *joinTable) release() { releaseArrays(t.cols...) }

// build reads the right input into memory and indexes its keys.
func (op *joinOp) build(ctx context.Context, rc *RunContext) (*joinTable, error) {
	in := rc.Inputs[op.rightIn]
	rd, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var total int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec := rd.RecordBatch()
		total += rec.NumRows()
		if total > math.MaxInt32 {
			return nil, fmt.Errorf("join: the right input (%s) has more than %d rows, the most a join holds in memory; put the smaller input on the right", op.n.Attrs["right"].Refs[0], math.MaxInt32)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	schema := in.Schema
	t := &joinTable{}
	for c := 0; c < schema.NumFields(); c++ {
		var a arrow.Array
		switch len(recs) {
		case 0:
			a = array.MakeArrayOfNull(rc.Mem, schema.Field(c).Type, 0)
		case 1:
			a = recs[0].Column(c)
			a.Retain()
		default:
			parts := make([]arrow.Array, len(recs))
			for i, r := range recs {
				parts[i] = r.Column(c)
			}
			a, err = array.Concatenate(parts, rc.Mem)
			if err != nil {
				t.release()
				return nil, err
			}
		}
		t.cols = append(t.cols, a)
	}
	// Workers read the columns at once: null counts an array computes
	// lazily, on first use, are counted now.
	for _, a := range t.cols {
		countNulls(a.Data())
	}
	n := int(total)
	if n == 0 {
		t.head = map[string]int32{}
		return t, nil
	}
	keyCols := make([]arrow.Array, len(op.rightKeyIdx))
	for i, ri := range op.rightKeyIdx {
		keyCols[i] = t.cols[ri]
	}
	nulls := false
	for _, c := range keyCols {
		nulls = nulls || c.NullN() > 0
	}
	if vals, ok := intKeys(keyCols); ok && op.leftIntKey && !op.many {
		var null func(int) bool
		if nulls {
			null = keyCols[0].IsNull
		}
		if r, order := newJoinRanks(vals, null); r != nil {
			// Unique keys in a narrow range: the columns go in key order,
			// so that a probe's rank is the row to take.
			for c, a := range t.cols {
				k, err := takeRows(ctx, rc.Mem, a, order, false)
				if err != nil {
					t.release()
					return nil, fmt.Errorf("join: right column %q: %w", schema.Field(c).Name, err)
				}
				a.Release()
				countNulls(k.Data())
				t.cols[c] = k
			}
			t.ranks, t.distinct = r, len(order)
			return t, nil
		}
	}
	t.next = make([]int32, n)
	// Chains are built from the end so that each runs in right-input order.
	dups := 0
	link := func(i int, prev int32) {
		t.next[i] = prev
		if prev >= 0 {
			dups++
		}
	}
	if vals, ok := intKeys(keyCols); ok && op.leftIntKey {
		var null func(int) bool
		if nulls {
			null = keyCols[0].IsNull
		}
		t.ints, dups = newJoinInts(vals, null, t.next)
		t.distinct = t.ints.count
	} else {
		keys, err := expr.GroupKeys(keyCols...)
		if err != nil {
			t.release()
			return nil, err
		}
		t.head = make(map[string]int32)
		for i := n - 1; i >= 0; i-- {
			if nulls && anyNull(keyCols, i) {
				t.next[i] = -1
				continue
			}
			prev, ok := t.head[keys[i]]
			if !ok {
				prev = -1
			}
			link(i, prev)
			t.head[keys[i]] = int32(i)
		}
		t.distinct = len(t.head)
	}
	if dups > 0 && !op.many {
		err := op.duplicateError(t, keyCols, dups)
		t.release()
		return nil, err
	}
	return t, nil
}

// countNulls settles the lazily counted null counts of d and its children.
func countNulls(d arrow.ArrayData) {
	a := array.MakeFromData(d) // an array's NullN counts them into d
	a.NullN()
	a.Release()
	for _, c := range d.Children() {
		countNulls(c)
	}
	if dd, ok := d.(*array.Data); ok {
		if dict, ok := dd.Dictionary().(*array.Data); ok && dict != nil {
			countNulls(dict)
		}
	}
}

// duplicateError names the first duplicated key (in right-input order),
// how often it occurs, and how many rows share how many distinct keys.
func (op *joinOp) duplicateError(t *joinTable, keyCols []arrow.Array, dups int) error {
	rows, distinct := 0, t.distinct
	first, count := -1, 0
	for i := 0; i < len(t.next); i++ {
		if anyNull(keyCols, i) {
			continue
		}
		rows++
	}
	// The first right row whose key repeats: walk heads in row order.
	for i := 0; i < len(t.next) && first < 0; i++ {
		if anyNull(keyCols, i) || t.next[i] < 0 {
			continue
		}
		first = i
		for j := int32(i); j >= 0; j = t.next[j] {
			count++
		}
	}
	var b strings.Builder
	for k, c := range keyCols {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s", op.rightKeys[k], scalarText(c, first))
	}
	return fmt.Errorf("join: the right input (%s) has duplicate keys: %d rows with non-null keys but only %d distinct (%s); the key (%s) occurs %d times. Deduplicate the right input (distinct) or set many = true to emit every match",
		op.n.Attrs["right"].Refs[0], rows, distinct, joinComma(op.rightKeys), b.String(), count)
}

// scalarText renders row i of a for a message.
func scalarText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "null"
	}
	s := a.ValueStr(i)
	switch a.DataType().ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return fmt.Sprintf("%q", s)
	}
	return s
}

func anyNull(cols []arrow.Array, i int) bool {
	for _, c := range cols {
		if c.IsNull(i) {
			return true
		}
	}
	return false
}

func (op *joinOp) Run(ctx context.Context, rc *RunContext) error {
	t, err := op.build(ctx, rc)
	if err != nil {
		return err
	}
	defer t.release()
	rd, err := rc.Inputs[op.leftIn].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	if !op.many {
		// Each left row gives at most one output row, so one output batch
		// per left batch is bounded by the batch size: left batches are
		// probed on the workers the budget spares (the table is only
		// read), and emitted in input order.
		return forEachOrderedRows(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, expr.Selection, error) {
			out, sel, err := op.joinBatch(ctx, rc, t, rec)
			if err != nil {
				return nil, sel, inputRow(err, first)
			}
			return out, sel, nil
		}, func(out arrow.RecordBatch, sel expr.Selection) error {
			if sel.Kept() == sel.Total() {
				return rc.Emit(out)
			}
			return rc.EmitRows(out, sel)
		})
	}
	// With many = true a left row may match any number of right rows: one
	// batch at a time, its output cut into batches of --batch-size rows.
	chunk := rc.BatchSize
	if chunk <= 0 {
		chunk = 4096
	}
	var row0 int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		li, ri, err := op.match(t, rec)
		if err != nil {
			return inputRow(err, row0)
		}
		for s := 0; s < len(li); s += chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			e := min(s+chunk, len(li))
			var rs []int32
			if ri != nil {
				rs = ri[s:e]
			}
			out, err := op.gather(ctx, rc.Mem, t, rec, li[s:e], rs)
			if err != nil {
				return inputRow(err, row0)
			}
			err = rc.Emit(out)
			out.Release()
			if err != nil {
				return err
			}
		}
		row0 += rec.NumRows()
	}
	return rd.Err()
}

// joinBatch joins one left batch when each left row has at most one match
// (many = false). It returns an output batch and the rows of it that are
// output:
//
//   - inner: the matched left rows, gathered with their right rows (all
//     of the batch's rows);
//   - left: the left batch as it is, with the right columns taken at each
//     row's match or null (all rows);
//   - semi and anti: the left batch as it is and the rows with a match, or
//     without one. The executor copies those rows straight into its
//     stored batches (RunContext.EmitRows), so the join copies nothing;
//     where there is no EmitRows they are gathered here.
//
// An inner join gathers rather than selects: the matched rows of a batch
// are a mix of short runs, which cost more to find and copy run by run
// than the typed gathers take to move them by index.
func (op *joinOp) joinBatch(ctx context.Context, rc *RunContext, t *joinTable, rec arrow.RecordBatch) (arrow.RecordBatch, expr.Selection, error) {
	n := int(rec.NumRows())
	if n == 0 {
		return nil, expr.Selection{}, nil
	}
	keyCols := make([]arrow.Array, len(op.leftKeyIdx))
	for i, c := range op.leftKeyIdx {
		keyCols[i] = rec.Column(c)
	}
	heads, err := t.heads(keyCols)
	if err != nil {
		return nil, expr.Selection{}, err
	}
	switch op.how {
	case "semi", "anti":
		sel := headsSelection(rc.Mem, heads, op.how == "anti")
		if sel.Kept() == 0 {
			return nil, sel, nil
		}
		out := array.NewRecordBatch(op.schema, rec.Columns(), int64(n))
		if sel.Kept() == n || rc.EmitRows != nil {
			return out, sel, nil
		}
		defer out.Release()
		g, err := expr.GatherInto(ctx, rc.Mem, rc.Mem, op.schema, []expr.Part{{Rec: out, Sel: sel}})
		if err != nil {
			return nil, sel, err
		}
		return g, expr.SelectAll(sel.Kept()), nil
	}
	cols := make([]arrow.Array, 0, op.schema.NumFields())
	defer func() { releaseArrays(cols...) }()
	rows, m := heads, n
	if op.how == "inner" {
		// The matched rows and their right rows, without a branch on
		// whether each matched.
		li := make([]int32, n)
		m = 0
		for i, h := range heads {
			li[m], rows[m] = int32(i), h
			m += int(uint32(^h) >> 31)
		}
		if m == 0 {
			return nil, expr.Selection{}, nil
		}
		rows = rows[:m]
		for c, col := range rec.Columns() {
			if m == n {
				col.Retain()
				cols = append(cols, col)
				continue
			}
			a, err := takeRows(ctx, rc.Mem, col, li[:m], false)
			if err != nil {
				return nil, expr.Selection{}, fmt.Errorf("join: column %q: %w", op.schema.Field(c).Name, err)
			}
			cols = append(cols, a)
		}
	} else {
		for _, col := range rec.Columns() {
			col.Retain()
			cols = append(cols, col)
		}
	}
	for _, c := range op.rightOut {
		a, err := takeRows(ctx, rc.Mem, t.cols[c], rows, op.how == "left")
		if err != nil {
			return nil, expr.Selection{}, fmt.Errorf("join: right column %q: %w", op.schema.Field(len(cols)).Name, err)
		}
		cols = append(cols, a)
	}
	return array.NewRecordBatch(op.schema, cols, int64(m)), expr.SelectAll(m), nil
}

// headsSelection selects the rows with a match (heads[i] >= 0), or with
// none when anti is true.
func headsSelection(mem memory.Allocator, heads []int32, anti bool) expr.Selection {
	n := len(heads)
	vb := joinBuf(mem, int(bitutil.BytesForBits(int64(n))), true)
	bits := vb.Bytes()
	flip := int32(0)
	if anti {
		flip = -1
	}
	// The sign bit of each head, flipped for anti: 1 where the row is
	// kept; a byte at a time.
	for b := range bits {
		var x byte
		for k, h := range heads[b*8 : min(b*8+8, n)] {
			x |= byte(uint32(^(h^flip))>>31) << k
		}
		bits[b] = x
	}
	mask := array.NewBoolean(n, vb, nil, 0)
	vb.Release()
	defer mask.Release()
	return expr.SelectMask(mask)
}

// match probes the table with one left batch's keys and returns the index
// vectors of its output: left rows li and, for inner and left joins, their
// right rows ri (-1: none, a left join's unmatched row).
func (op *joinOp) match(t *joinTable, rec arrow.RecordBatch) (li, ri []int32, err error) {
	n := int(rec.NumRows())
	if n == 0 {
		return nil, nil, nil
	}
	keyCols := make([]arrow.Array, len(op.leftKeyIdx))
	for i, c := range op.leftKeyIdx {
		keyCols[i] = rec.Column(c)
	}
	heads, err := t.heads(keyCols)
	if err != nil {
		return nil, nil, err
	}
	switch op.how {
	case "semi", "anti":
		want := op.how == "semi"
		li = make([]int32, 0, n)
		for i, h := range heads {
			if (h >= 0) == want {
				li = append(li, int32(i))
			}
		}
		return li, nil, nil
	}
	li = make([]int32, 0, n)
	ri = make([]int32, 0, n)
	for i, h := range heads {
		if h < 0 {
			if op.how == "left" {
				li = append(li, int32(i))
				ri = append(ri, -1)
			}
			continue
		}
		for j := h; j >= 0; j = t.next[j] {
			li = append(li, int32(i))
			ri = append(ri, j)
		}
	}
	return li, ri, nil
}

// gather builds one output batch: the left columns taken at li, the right
// output columns taken at ri (-1 is a null row of a left join). A left
// batch kept whole (every row once, in order) is passed on as it is.
func (op *joinOp) gather(ctx context.Context, mem memory.Allocator, t *joinTable, rec arrow.RecordBatch, li, ri []int32) (arrow.RecordBatch, error) {
	if len(op.rightOut) == 0 && int64(len(li)) == rec.NumRows() {
		return array.NewRecordBatch(op.schema, rec.Columns(), rec.NumRows()), nil
	}
	cols := make([]arrow.Array, 0, op.schema.NumFields())
	defer func() { releaseArrays(cols...) }()
	for c := 0; c < int(rec.NumCols()); c++ {
		a, err := takeRows(ctx, mem, rec.Column(c), li, true)
		if err != nil {
			return nil, fmt.Errorf("join: column %q: %w", rec.Schema().Field(c).Name, err)
		}
		cols = append(cols, a)
	}
	for _, c := range op.rightOut {
		a, err := takeRows(ctx, mem, t.cols[c], ri, true)
		if err != nil {
			return nil, fmt.Errorf("join: right column %q: %w", op.schema.Field(len(cols)).Name, err)
		}
		cols = append(cols, a)
	}
	return array.NewRecordBatch(op.schema, cols, int64(len(li))), nil
}

// indexArray is idx as an Int32 array; negative entries are null.
func indexArray(mem memory.Allocator, idx []int32) arrow.Array {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(len(idx))
	for _, v := range idx {
		if v < 0 {
			b.UnsafeAppendBoolToBitmap(false)
		} else {
			b.UnsafeAppend(v)
		}
	}
	return b.NewArray()
}

func releaseArrays(arrs ...arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}
