package ops

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
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
// (one copy of every column), plus 8 bytes of permutation per row and one
// output batch at a time; a string or list column is limited to arrow's
// 32-bit offsets (2 GiB of text per column) unless it is already large.
// Ties keep input order, so the output depends only on the input's rows,
// never on how they were batched.
type sortOp struct {
	n    *recipe.Node
	keys []sortKey
	idx  []int // column of each key, set by Prepare
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
	n := cols[0].Len()
	cmps := make([]func(i, j int) int, len(op.keys))
	for i, k := range op.keys {
		cmps[i] = compareRows(cols[op.idx[i]], k)
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool {
		i, j := perm[a], perm[b]
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r < 0
			}
		}
		return false
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	return emitTaken(ctx, rc, schema, cols, perm)
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
	for lo := 0; lo < len(perm); lo += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+size, len(perm))
		ib := array.NewInt64Builder(rc.Mem)
		ib.Reserve(hi - lo)
		for _, p := range perm[lo:hi] {
			ib.UnsafeAppend(int64(p))
		}
		idx := ib.NewArray()
		ib.Release()
		out := make([]arrow.Array, 0, len(cols))
		var err error
		for _, c := range cols {
			var t arrow.Array
			t, err = compute.TakeArray(compute.WithAllocator(ctx, rc.Mem), c, idx)
			if err != nil {
				break
			}
			out = append(out, t)
		}
		idx.Release()
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
