package ops

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/suggest"
)

var sortSpec = &Spec{
	Kind:    "sort",
	Version: 1,
	Doc:     `Order rows by = ["col", "col desc", "col asc nulls first", ...]; stable; nulls last unless "nulls first". Holds the whole input in memory.`,
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "by", Required: true, Mode: recipe.Static, Type: cty.List(cty.String)},
	},
	New: newSort,
}

// sortOp is a stable in-memory sort. Memory: the whole input, concatenated
// (one copy of every column), plus 8 bytes of permutation per row (32 on
// sortByKey's path: an order key, a keyed pair and the permutation) and
// one output batch at a time; a string or list column is limited to arrow's
// 32-bit offsets (2 GiB of text per column) unless it is already large.
// Ties keep input order, so the output depends only on the input's rows,
// never on how they were batched.
type sortOp struct {
	n    *recipe.Node
	keys []sortKey
	idx  []int // column of each key, set by Prepare

	noKeyPath bool // tests: always sortGeneral
}

type sortKey struct {
	col        string
	desc       bool
	nullsFirst bool
}

func (k sortKey) canonical() string {
	dir, nulls := "asc", "last"
	if k.desc {
		dir = "desc"
	}
	if k.nullsFirst {
		nulls = "first"
	}
	return quote(k.col) + " " + dir + " nulls " + nulls
}

// parseSortKey reads "NAME [asc|desc] [nulls first|nulls last]"; the
// keywords are taken from the end, so a column name may hold spaces.
func parseSortKey(s string) (sortKey, error) {
	f := strings.Fields(s)
	k := sortKey{}
	if len(f) >= 2 && strings.EqualFold(f[len(f)-2], "nulls") {
		switch strings.ToLower(f[len(f)-1]) {
		case "first":
			k.nullsFirst = true
		case "last":
		default:
			return k, fmt.Errorf("%q: after nulls comes first or last", s)
		}
		f = f[:len(f)-2]
	}
	if len(f) >= 2 {
		switch strings.ToLower(f[len(f)-1]) {
		case "asc":
			f = f[:len(f)-1]
		case "desc":
			k.desc = true
			f = f[:len(f)-1]
		}
	}
	if len(f) == 0 {
		return k, fmt.Errorf("%q names no column", s)
	}
	// Keep the name's own spacing: cut the keywords off the original.
	name := strings.TrimSpace(s)
	all := strings.Fields(s)
	for range all[len(f):] {
		name = strings.TrimSpace(name[:strings.LastIndexFunc(name, unicode.IsSpace)])
	}
	k.col = name
	return k, nil
}

func newSort(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &sortOp{n: n}
	var diags hcl.Diagnostics
	by := attrStrings(n, "by")
	if len(by) == 0 {
		diags = append(diags, diag("Missing sort keys", `by lists at least one column, e.g. by = ["score desc", "id"].`, attrRange(n, "by")))
	}
	for _, s := range by {
		k, err := parseSortKey(s)
		if err != nil {
			diags = append(diags, diag("Invalid sort key", err.Error()+`; write "column", "column desc" or "column asc nulls first".`, attrRange(n, "by")))
			continue
		}
		op.keys = append(op.keys, k)
	}
	return op, diags
}

func (op *sortOp) Params() []Param {
	cs := make([]string, len(op.keys))
	for i, k := range op.keys {
		cs[i] = k.canonical()
	}
	return []Param{{"by", "[" + strings.Join(cs, ",") + "]"}}
}

func (op *sortOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	var diags hcl.Diagnostics
	op.idx = op.idx[:0]
	for _, k := range op.keys {
		ix := in.FieldIndices(k.col)
		if len(ix) == 0 {
			names := make([]string, in.NumFields())
			for i, f := range in.Fields() {
				names[i] = f.Name
			}
			diags = append(diags, diag("Unknown column", fmt.Sprintf("by names %q, which is not a column of the input.%s Columns: %s.", k.col, suggest.DidYouMean(k.col, names), joinComma(names)), attrRange(op.n, "by")))
			continue
		}
		if !sortable(in.Field(ix[0]).Type) {
			diags = append(diags, diag("Column cannot be sorted on", fmt.Sprintf("Column %q is %s; sort keys are numbers, strings, binary, booleans, dates, times and timestamps. Derive a sortable column first (e.g. len(%s)).", k.col, typeText(in.Field(ix[0]).Type), k.col), attrRange(op.n, "by")))
			continue
		}
		op.idx = append(op.idx, ix[0])
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return in, nil
}

func sortable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.LARGE_STRING,
		arrow.BINARY, arrow.LARGE_BINARY, arrow.BOOL, arrow.DATE32, arrow.DATE64,
		arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return true
	}
	return false
}

func (op *sortOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	schema := rc.Inputs[0].Schema
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		rec.Retain()
		batches = append(batches, rec)
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if len(batches) == 0 {
		return nil
	}
	cols, err := concatColumns(rc.Mem, schema, batches)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, b := range batches {
		b.Release()
	}
	batches = nil
	var order []int
	if op.noKeyPath {
		order = sortGeneral(cols, op.idx, op.keys)
	} else {
		order = sortByKey(cols, op.idx, op.keys)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return emitTaken(ctx, rc, schema, cols, order)
}

// sortGeneral orders rows by the keys in columns idx of cols, comparing
// row by row. Ties broken by input position make the order total, so an
// unstable O(n log n) sort (sortTotal) gives exactly the stable order.
func sortGeneral(cols []arrow.Array, idx []int, keys []sortKey) []int {
	cmps := make([]func(i, j int) int, len(keys))
	for i, k := range keys {
		cmps[i] = compareRows(cols[idx[i]], k)
	}
	perm := make([]int, cols[0].Len())
	for i := range perm {
		perm[i] = i
	}
	sortTotal(perm, func(i, j int) int {
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return cmp.Compare(i, j)
	})
	return perm
}

// keyed is a row's order key and its position.
type keyed struct {
	k uint64
	i int
}

// sortByKey gives sortGeneral's order faster: every row's first key is
// turned into a uint64 order key (orderKeys), and rows are sorted as one
// contiguous slice of (order key, position) compared inline; only rows
// whose order keys tie (equal values, strings sharing their first 8
// bytes) are compared through the columns, by the first key in full when
// its order key is a prefix, then by the other keys. Rows whose first key
// is null are placed first or last, among themselves in the order of the
// other keys.
func sortByKey(cols []arrow.Array, idx []int, keys []sortKey) []int {
	a, k := cols[idx[0]], keys[0]
	okeys, exact, ok := orderKeys(a)
	if !ok {
		return sortGeneral(cols, idx, keys)
	}
	var first func(i, j int) int // the full first key, where okeys is a prefix
	if !exact {
		first = prefixTie(a)
		if k.desc {
			asc := first
			first = func(i, j int) int { return -asc(i, j) }
		}
	}
	rest := make([]func(i, j int) int, len(keys)-1)
	for n, rk := range keys[1:] {
		rest[n] = compareRows(cols[idx[n+1]], rk)
	}
	tie := func(i, j int) int {
		for _, c := range rest {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return cmp.Compare(i, j)
	}
	n := a.Len()
	kv := make([]keyed, 0, n-a.NullN())
	var nulls []int
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			nulls = append(nulls, i)
			continue
		}
		x := okeys[i]
		if k.desc {
			x = ^x
		}
		kv = append(kv, keyed{x, i})
	}
	sortKeyed(kv, func(x, y keyed) int {
		if c := cmp.Compare(x.k, y.k); c != 0 {
			return c
		}
		if first != nil {
			if r := first(x.i, y.i); r != 0 {
				return r
			}
		}
		return tie(x.i, y.i)
	}, first != nil || len(rest) > 0)
	if len(rest) > 0 {
		sortTotal(nulls, tie)
	}
	perm := make([]int, 0, n)
	if k.nullsFirst {
		perm = append(perm, nulls...)
	}
	for _, e := range kv {
		perm = append(perm, e.i)
	}
	if !k.nullsFirst {
		perm = append(perm, nulls...)
	}
	return perm
}

// orderKeys maps each value of a fixed-width column to a uint64 whose
// unsigned order is compareRows' order of the values: signed integers with
// the sign bit flipped; floats with -0 as +0, every NaN as one NaN above
// +Inf (compareRows: NaNs tie and sort above every number), then the IEEE
// bits made monotonic; booleans false < true. Equal keys mean equal values
// (exact) for all of these. Strings and binary get their first 8 bytes,
// big-endian, zero-padded: a prefix order (not exact), since bytes beyond
// the 8th can differ under equal keys. Null slots get arbitrary keys. ok is
// false for a column of another type.
func orderKeys(a arrow.Array) (keys []uint64, exact, ok bool) {
	switch a := a.(type) {
	case *array.Int8:
		return signedKeys(a.Int8Values()), true, true
	case *array.Int16:
		return signedKeys(a.Int16Values()), true, true
	case *array.Int32:
		return signedKeys(a.Int32Values()), true, true
	case *array.Int64:
		return signedKeys(a.Int64Values()), true, true
	case *array.Date32:
		return signedKeys(a.Date32Values()), true, true
	case *array.Date64:
		return signedKeys(a.Date64Values()), true, true
	case *array.Timestamp:
		return signedKeys(a.TimestampValues()), true, true
	case *array.Time32:
		return signedKeys(a.Time32Values()), true, true
	case *array.Time64:
		return signedKeys(a.Time64Values()), true, true
	case *array.Duration:
		return signedKeys(a.DurationValues()), true, true
	case *array.Uint8:
		return unsignedKeys(a.Uint8Values()), true, true
	case *array.Uint16:
		return unsignedKeys(a.Uint16Values()), true, true
	case *array.Uint32:
		return unsignedKeys(a.Uint32Values()), true, true
	case *array.Uint64:
		return unsignedKeys(a.Uint64Values()), true, true
	case *array.Float32:
		keys := make([]uint64, a.Len())
		for i, f := range a.Float32Values() {
			keys[i] = floatKey(float64(f))
		}
		return keys, true, true
	case *array.Float64:
		keys := make([]uint64, a.Len())
		for i, f := range a.Float64Values() {
			keys[i] = floatKey(f)
		}
		return keys, true, true
	case *array.Boolean:
		keys := make([]uint64, a.Len())
		for i := range keys {
			if a.Value(i) {
				keys[i] = 1
			}
		}
		return keys, true, true
	case *array.String:
		return prefixKeys(a), false, true
	case *array.LargeString:
		return prefixKeys(a), false, true
	case *array.Binary:
		return prefixKeys(a), false, true
	case *array.LargeBinary:
		return prefixKeys(a), false, true
	}
	return nil, false, false
}

func signedKeys[T ~int8 | ~int16 | ~int32 | ~int64](vs []T) []uint64 {
	keys := make([]uint64, len(vs))
	for i, v := range vs {
		keys[i] = uint64(int64(v)) ^ 1<<63
	}
	return keys
}

func unsignedKeys[T ~uint8 | ~uint16 | ~uint32 | ~uint64](vs []T) []uint64 {
	keys := make([]uint64, len(vs))
	for i, v := range vs {
		keys[i] = uint64(v)
	}
	return keys
}

// prefixTie compares values i and j (not null) of a string or binary
// column whose prefix keys are equal: byte-wise, like compareRows, reading
// the buffers directly; past the 8 bytes the keys hold when both values
// are that long (a shorter value's key is zero-padded, so it is compared
// in full).
func prefixTie(a arrow.Array) func(i, j int) int {
	switch a := a.(type) {
	case *array.String:
		return tailCompare(a.ValueOffsets(), a.ValueBytes())
	case *array.LargeString:
		return tailCompare(a.ValueOffsets(), a.ValueBytes())
	case *array.Binary:
		return tailCompare(a.ValueOffsets(), a.ValueBytes())
	case *array.LargeBinary:
		return tailCompare(a.ValueOffsets(), a.ValueBytes())
	}
	panic(fmt.Sprintf("sort: prefix keys for %s", a.DataType()))
}

func tailCompare[O int32 | int64](offs []O, data []byte) func(i, j int) int {
	base := offs[0]
	return func(i, j int) int {
		x, y := data[offs[i]-base:offs[i+1]-base], data[offs[j]-base:offs[j+1]-base]
		if len(x) >= 8 && len(y) >= 8 {
			x, y = x[8:], y[8:]
		}
		return bytes.Compare(x, y)
	}
}

// prefixKeys is the first 8 bytes of each value, big-endian, zero-padded.
func prefixKeys(a interface {
	arrow.Array
	ValueBytes() []byte
	ValueOffset64(int) int64
	ValueLen(int) int
}) []uint64 {
	keys := make([]uint64, a.Len())
	if len(keys) == 0 {
		return keys
	}
	data := a.ValueBytes()
	base := a.ValueOffset64(0)
	var buf [8]byte
	for i := range keys {
		s := a.ValueOffset64(i) - base
		e := s + int64(a.ValueLen(i))
		if e-s >= 8 {
			keys[i] = binary.BigEndian.Uint64(data[s:])
			continue
		}
		buf = [8]byte{}
		copy(buf[:], data[s:e])
		keys[i] = binary.BigEndian.Uint64(buf[:])
	}
	return keys
}

// floatKey is f's order key (see orderKeys); float32 values widen exactly.
func floatKey(f float64) uint64 {
	switch {
	case math.IsNaN(f):
		return math.MaxUint64 // above +Inf's key, 0xfff0000000000000
	case f == 0:
		f = 0 // -0 ties with +0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// concatColumns concatenates each column of batches into one array.
func concatColumns(mem memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) ([]arrow.Array, error) {
	cols := make([]arrow.Array, 0, schema.NumFields())
	for c := 0; c < schema.NumFields(); c++ {
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, x := range cols {
				x.Release()
			}
			return nil, fmt.Errorf("column %q: %w", schema.Field(c).Name, err)
		}
		cols = append(cols, a)
	}
	return cols, nil
}

// emitTaken emits the rows perm lists, in its order, in batches of
// rc.BatchSize rows.
func emitTaken(ctx context.Context, rc *RunContext, schema *arrow.Schema, cols []arrow.Array, perm []int) error {
	size := rc.BatchSize
	if size <= 0 {
		size = 1 << 16
	}
	// Columns of up to 2^31 rows are gathered by the join's typed gathers
	// (takeRows, 32-bit indexes); longer ones by the take kernel.
	small := len(cols) > 0 && cols[0].Len() <= math.MaxInt32
	var ix []int32
	if small {
		ix = make([]int32, min(size, len(perm)))
	}
	for lo := 0; lo < len(perm); lo += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+size, len(perm))
		out := make([]arrow.Array, 0, len(cols))
		var err error
		if small {
			for k, p := range perm[lo:hi] {
				ix[k] = int32(p)
			}
			for _, c := range cols {
				var t arrow.Array
				if t, err = takeRows(ctx, rc.Mem, c, ix[:hi-lo], false); err != nil {
					break
				}
				out = append(out, t)
			}
		} else {
			ib := array.NewInt64Builder(rc.Mem)
			ib.Reserve(hi - lo)
			for _, p := range perm[lo:hi] {
				ib.UnsafeAppend(int64(p))
			}
			idx := ib.NewArray()
			ib.Release()
			for _, c := range cols {
				var t arrow.Array
				if t, err = compute.TakeArray(compute.WithAllocator(ctx, rc.Mem), c, idx); err != nil {
					break
				}
				out = append(out, t)
			}
			idx.Release()
		}
		if err == nil {
			rec := array.NewRecordBatch(schema, out, int64(hi-lo))
			err = rc.Emit(rec)
			rec.Release()
		}
		for _, a := range out {
			a.Release()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type valuer[T any] interface {
	Value(int) T
	IsNull(int) bool
}

// compareRows orders rows i and j of a by key k: nulls first or last
// whatever the direction, NaN above every number.
func compareRows(a arrow.Array, k sortKey) func(i, j int) int {
	var cv func(i, j int) int
	switch a := a.(type) {
	case *array.Int8:
		cv = ordered[int8](a)
	case *array.Int16:
		cv = ordered[int16](a)
	case *array.Int32:
		cv = ordered[int32](a)
	case *array.Int64:
		cv = ordered[int64](a)
	case *array.Uint8:
		cv = ordered[uint8](a)
	case *array.Uint16:
		cv = ordered[uint16](a)
	case *array.Uint32:
		cv = ordered[uint32](a)
	case *array.Uint64:
		cv = ordered[uint64](a)
	case *array.Float32:
		cv = floats[float32](a)
	case *array.Float64:
		cv = floats[float64](a)
	case *array.String:
		cv = ordered[string](a)
	case *array.LargeString:
		cv = ordered[string](a)
	case *array.Binary:
		cv = func(i, j int) int { return strings.Compare(string(a.Value(i)), string(a.Value(j))) }
	case *array.LargeBinary:
		cv = func(i, j int) int { return strings.Compare(string(a.Value(i)), string(a.Value(j))) }
	case *array.Boolean:
		cv = func(i, j int) int {
			x, y := a.Value(i), a.Value(j)
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case *array.Date32:
		cv = ordered[arrow.Date32](a)
	case *array.Date64:
		cv = ordered[arrow.Date64](a)
	case *array.Timestamp:
		cv = ordered[arrow.Timestamp](a)
	case *array.Time32:
		cv = ordered[arrow.Time32](a)
	case *array.Time64:
		cv = ordered[arrow.Time64](a)
	case *array.Duration:
		cv = ordered[arrow.Duration](a)
	default:
		panic(fmt.Sprintf("sort: unsortable %s passed Prepare", a.DataType()))
	}
	nulls := a.NullN() > 0
	return func(i, j int) int {
		if nulls {
			ni, nj := a.IsNull(i), a.IsNull(j)
			switch {
			case ni && nj:
				return 0
			case ni != nj:
				if ni == k.nullsFirst {
					return -1
				}
				return 1
			}
		}
		r := cv(i, j)
		if k.desc {
			return -r
		}
		return r
	}
}

func ordered[T cmp.Ordered](a valuer[T]) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(a.Value(i), a.Value(j)) }
}

func floats[T float32 | float64](a valuer[T]) func(i, j int) int {
	return func(i, j int) int {
		x, y := a.Value(i), a.Value(j)
		xn, yn := math.IsNaN(float64(x)), math.IsNaN(float64(y))
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		}
		return cmp.Compare(x, y)
	}
}
