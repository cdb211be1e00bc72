package expr

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// structNode is an object constructor: one struct column from its fields.
type structNode struct {
	fields []node
	dt     *arrow.StructType
}

func (s *structNode) eval(e *env) (arrow.Array, error) {
	children := make([]arrow.ArrayData, 0, len(s.fields))
	arrs := make([]arrow.Array, 0, len(s.fields))
	defer func() { releaseAll(arrs...) }()
	for _, f := range s.fields {
		a, err := f.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		children = append(children, a.Data())
	}
	d := array.NewData(s.dt, e.n, []*memory.Buffer{nil}, children, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// tupleNode is a tuple constructor: a list column whose every row holds
// the items in order.
type tupleNode struct {
	items []node
	dt    *arrow.ListType
}

func (t *tupleNode) eval(e *env) (arrow.Array, error) {
	n, k := e.n, len(t.items)
	if n*k > math.MaxInt32 {
		return nil, fmt.Errorf("tuple of %d items over %d rows is too large for one batch", k, n)
	}
	var child arrow.Array
	if k == 0 {
		child = array.MakeArrayOfNull(e.mem, t.dt.Elem(), 0)
	} else {
		arrs := make([]arrow.Array, 0, k)
		defer func() { releaseAll(arrs...) }()
		for _, it := range t.items {
			a, err := it.eval(e)
			if err != nil {
				return nil, err
			}
			arrs = append(arrs, a)
		}
		all, err := array.Concatenate(arrs, e.mem)
		if err != nil {
			return nil, err
		}
		idx := make([]int32, n*k)
		for i := 0; i < n; i++ {
			for j := 0; j < k; j++ {
				idx[i*k+j] = int32(j*n + i)
			}
		}
		child, err = take(e.ctx, e.mem, all, idx)
		all.Release()
		if err != nil {
			return nil, err
		}
	}
	defer child.Release()
	ob := newBuf(e.mem, (n+1)*4)
	offs := arrow.Int32Traits.CastFromBytes(ob.Bytes())[:n+1]
	for i := range offs {
		offs[i] = int32(i * k)
	}
	d := array.NewData(t.dt, n, []*memory.Buffer{nil, ob}, []arrow.ArrayData{child.Data()}, 0, 0)
	ob.Release()
	defer d.Release()
	return array.MakeFromData(d), nil
}

// indexNode is list[k] with a constant k; out of range is null.
type indexNode struct {
	src node
	k   int64
}

func (x *indexNode) eval(e *env) (arrow.Array, error) {
	a, err := x.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	offs := listOffsets(a)
	vals := listValues(a)
	idx := make([]int32, e.n)
	for i := range idx {
		idx[i] = -1
		if a.IsValid(i) && x.k >= 0 && x.k < offs[i+1]-offs[i] {
			p := offs[i] + x.k
			if p > math.MaxInt32 {
				return nil, fmt.Errorf("list child too large to index (row %d)", e.topRow(i))
			}
			idx[i] = int32(p)
		}
	}
	return take(e.ctx, e.mem, vals, idx)
}

// forNode evaluates [for k, v in coll : body if cond] without leaving the
// columnar form: the list's elements become the rows of a child frame in
// which v is the element column and k its index, outer columns are
// gathered to element rows, body and cond are evaluated once over all
// elements of the batch, and the kept results are regrouped by the
// original list offsets.
type forNode struct {
	coll   node
	body   node
	cond   node // may be nil
	hasKey bool
	depth  int // depth of the child frame
	dt     *arrow.ListType
}

func (f *forNode) eval(e *env) (arrow.Array, error) {
	if err := e.ctx.Err(); err != nil {
		return nil, err
	}
	c, err := f.coll.eval(e)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	n := e.n
	offs := listOffsets(c)
	vals := listValues(c)
	m := 0
	for i := 0; i < n; i++ {
		if c.IsValid(i) {
			m += int(offs[i+1] - offs[i])
		}
	}
	if m > math.MaxInt32 {
		return nil, fmt.Errorf("for expression over %d elements is too large for one batch", m)
	}
	parent := make([]int32, 0, m)
	pos := make([]int32, 0, m)
	keyBuf, keys := newInt64s(e.mem, m)
	contiguous := true
	for i := 0; i < n; i++ {
		if !c.IsValid(i) {
			continue
		}
		for p := offs[i]; p < offs[i+1]; p++ {
			if len(pos) > 0 && int64(pos[len(pos)-1])+1 != p {
				contiguous = false
			}
			keys[len(pos)] = p - offs[i]
			parent = append(parent, int32(i))
			pos = append(pos, int32(p))
		}
	}
	var elems arrow.Array
	switch {
	case m == 0:
		elems = array.NewSlice(vals, 0, 0)
	case contiguous:
		elems = array.NewSlice(vals, int64(pos[0]), int64(pos[0])+int64(m))
	default:
		if elems, err = take(e.ctx, e.mem, vals, pos); err != nil {
			keyBuf.Release()
			return nil, err
		}
	}
	keyArr := finish(tInt, m, nil, keyBuf)
	child := &env{ctx: e.ctx, mem: e.mem, n: m, strict: e.strict, depth: f.depth, parent: e, idx: parent,
		locals: []arrow.Array{elems, keyArr}}
	defer releaseAll(elems, keyArr)

	body, err := f.body.eval(child)
	if err != nil {
		return nil, err
	}
	defer body.Release()
	kept := body
	counts := make([]int32, n)
	if f.cond != nil {
		ca, err := f.cond.eval(child)
		if err != nil {
			return nil, err
		}
		mask := ca.(*array.Boolean)
		for j := 0; j < m; j++ {
			if mask.IsValid(j) && mask.Value(j) {
				counts[parent[j]]++
			}
		}
		fa, err := filterArray(e.ctx, e.mem, body, maskRuns(mask))
		ca.Release()
		if err != nil {
			return nil, err
		}
		defer fa.Release()
		kept = fa
	} else {
		for _, p := range parent {
			counts[p]++
		}
	}
	ob := newBuf(e.mem, (n+1)*4)
	no := arrow.Int32Traits.CastFromBytes(ob.Bytes())[:n+1]
	for i := 0; i < n; i++ {
		no[i+1] = no[i] + counts[i]
	}
	valid := andValidity(e.mem, n, c)
	d := array.NewData(f.dt, n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{kept.Data()}, nullsIn(valid, n), 0)
	ob.Release()
	if valid != nil {
		valid.Release()
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}
