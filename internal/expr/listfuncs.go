package expr

// Row functions over lists and types: concat, split, join, slice, cast.
//
// Null behaviour: concat, split, slice and cast are null when any argument
// is null; join skips null elements and is null when the list or the
// separator is null.

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ---- concat ----

// compileConcat: concat(s1, s2, ...) joins strings; concat(l1, l2, ...)
// joins lists of one type.
func compileConcat(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	var first *cexpr
	for i := range args {
		if args[i].k != kNull {
			first = &args[i]
			break
		}
	}
	if first == nil {
		return nullOf(tString, rng, src)
	}
	switch first.k {
	case kString:
		parts := make([]cexpr, len(args))
		for i, a := range args {
			if a.k != kString && a.k != kNull {
				return c.errorf(a.rng, &rng, "Mismatched argument types", "concat joins strings or lists, not both: %s, but %s.", describe(*first), describe(a))
			}
			if isNullConst(a) {
				return nullOf(tString, rng, src)
			}
			parts[i] = norm(a)
		}
		nodes := make([]node, len(parts))
		for i, p := range parts {
			nodes[i] = p.n
		}
		return c.fold(cexpr{n: &concatNode{parts: nodes}, dt: tString, k: kString, rng: rng, src: src}, parts...)
	case kList:
		nodes := make([]node, 0, len(args))
		for _, a := range args {
			if isNullConst(a) {
				return nullOf(first.dt, rng, src)
			}
			if !arrow.TypeEqual(a.dt, first.dt) {
				return c.errorf(a.rng, &rng, "Mismatched argument types", "concat joins lists of one type: %s is %s, but %s is %s.", first.src, first.dt, a.src, a.dt)
			}
			nodes = append(nodes, a.n)
		}
		return cexpr{n: &listConcatNode{args: nodes, dt: first.dt}, dt: first.dt, k: kList, rng: rng, src: src}
	}
	return c.errorf(first.rng, &rng, "Invalid function argument", "concat joins strings or lists, but %s.", describe(*first))
}

type listConcatNode struct {
	args []node
	dt   arrow.DataType
}

func (l *listConcatNode) eval(e *env) (arrow.Array, error) {
	arrs := make([]arrow.Array, 0, len(l.args))
	defer func() { releaseAll(arrs...) }()
	for _, a := range l.args {
		v, err := a.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, v)
	}
	n := e.n
	valid := andValidity(e.mem, n, arrs...)
	offs := make([][]int64, len(arrs))
	children := make([]arrow.Array, len(arrs))
	bases := make([]int64, len(arrs))
	var total int64
	for k, a := range arrs {
		offs[k] = listOffsets(a)
		children[k] = listValues(a)
		bases[k] = total
		total += int64(children[k].Len())
	}
	out := make([]int32, n+1)
	var idx []int32
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			for k := range arrs {
				for j := offs[k][i]; j < offs[k][i+1]; j++ {
					idx = append(idx, int32(bases[k]+j))
				}
			}
		}
		out[i+1] = int32(len(idx))
	}
	return gatherList(e, l.dt, children, idx, out, valid)
}

// gatherList builds a list array of type dt whose values are elements idx
// of the concatenated children, with offsets offs; it takes valid.
func gatherList(e *env, dt arrow.DataType, children []arrow.Array, idx []int32, offs []int32, valid *memory.Buffer) (arrow.Array, error) {
	all, err := array.Concatenate(children, e.mem)
	if err != nil {
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	defer all.Release()
	vals, err := take(e.ctx, e.mem, all, idx)
	if err != nil {
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	defer vals.Release()
	n := len(offs) - 1
	var ob *memory.Buffer
	if dt.ID() == arrow.LARGE_LIST {
		ob = newBuf(e.mem, 8*(n+1))
		o := arrow.Int64Traits.CastFromBytes(ob.Bytes())
		for i, v := range offs {
			o[i] = int64(v)
		}
	} else {
		ob = newBuf(e.mem, 4*(n+1))
		copy(arrow.Int32Traits.CastFromBytes(ob.Bytes()), offs)
	}
	d := array.NewData(dt, n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{vals.Data()}, nullsIn(valid, n), 0)
	if valid != nil {
		valid.Release()
	}
	ob.Release()
	defer d.Release()
	return array.MakeFromData(d), nil
}

// ---- slice ----

// compileSlice: slice(list, start[, end]) keeps elements start..end-1
// (0-based; negative counts from the end; clamped to the list).
func compileSlice(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	l := args[0]
	if l.k != kList && l.k != kNull {
		hint := ""
		if l.k == kString {
			hint = fmt.Sprintf("; for characters of a string use substr(%s, ...)", l.src)
		}
		return c.errorf(l.rng, &rng, "Invalid function argument", "slice needs a list, but %s%s.", describe(l), hint)
	}
	for _, a := range args[1:] {
		if a.k != kInt && a.k != kNull {
			return c.errorf(a.rng, &rng, "Invalid function argument", "slice needs whole numbers for start and end, but %s.", describe(a))
		}
	}
	if l.k == kNull {
		return c.errorf(l.rng, &rng, "Invalid function argument", "slice needs a list, but its argument is null.")
	}
	for _, a := range args {
		if isNullConst(a) {
			return nullOf(l.dt, rng, src)
		}
	}
	s := &sliceNode{list: l.n, dt: l.dt}
	for _, a := range args[1:] {
		s.bounds = append(s.bounds, norm(a).n)
	}
	return cexpr{n: s, dt: l.dt, k: kList, rng: rng, src: src}
}

type sliceNode struct {
	list   node
	bounds []node
	dt     arrow.DataType
}

func (s *sliceNode) eval(e *env) (arrow.Array, error) {
	arrs := make([]arrow.Array, 0, 3)
	defer func() { releaseAll(arrs...) }()
	for _, nd := range append([]node{s.list}, s.bounds...) {
		v, err := nd.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, v)
	}
	n := e.n
	valid := andValidity(e.mem, n, arrs...)
	offs := listOffsets(arrs[0])
	bounds := make([][]int64, len(arrs))
	for k := 1; k < len(arrs); k++ {
		bounds[k] = int64s(arrs[k])
	}
	clamp := func(x, l int64) int64 {
		if x < 0 {
			x += l
		}
		return min(max(x, 0), l)
	}
	out := make([]int32, n+1)
	var idx []int32
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			l := offs[i+1] - offs[i]
			from, to := clamp(bounds[1][i], l), l
			if len(arrs) == 3 {
				to = clamp(bounds[2][i], l)
			}
			for j := from; j < to; j++ {
				idx = append(idx, int32(offs[i]+j))
			}
		}
		out[i+1] = int32(len(idx))
	}
	return gatherList(e, s.dt, []arrow.Array{listValues(arrs[0])}, idx, out, valid)
}

// ---- split, join ----

// compileSplit: split(s, sep) is the list of the parts of s between
// occurrences of sep (strings.Split: an empty sep splits into characters).
func compileSplit(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	for _, a := range args {
		if a.k != kString && a.k != kNull {
			return c.errorf(a.rng, &rng, "Invalid function argument", "split needs strings, but %s.", describe(a))
		}
	}
	dt := arrow.ListOf(tString)
	for _, a := range args {
		if isNullConst(a) {
			return nullOf(dt, rng, src)
		}
	}
	return cexpr{n: &splitNode{s: norm(args[0]).n, sep: norm(args[1]).n, dt: dt}, dt: dt, k: kList, rng: rng, src: src}
}

type splitNode struct {
	s, sep node
	dt     arrow.DataType
}

func (s *splitNode) eval(e *env) (arrow.Array, error) {
	a, err := s.s.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	b, err := s.sep.eval(e)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	sv, err := strView(a)
	if err != nil {
		return nil, err
	}
	pv, err := strView(b)
	if err != nil {
		return nil, err
	}
	n := e.n
	valid := andValidity(e.mem, n, a, b)
	var parts [][]byte
	offs := make([]int32, n+1)
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			parts = append(parts, bytes.Split(sv.at(i), pv.at(i))...)
		}
		offs[i+1] = int32(len(parts))
	}
	o := newStrOut(e.mem, len(parts), int(sv.offs[n]-sv.offs[0]))
	for i, p := range parts {
		o.data = append(o.data, p...)
		o.end(i)
	}
	child, err := o.finish(e.mem, len(parts), nil)
	if err != nil {
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	defer child.Release()
	idx := make([]int32, len(parts))
	for i := range idx {
		idx[i] = int32(i)
	}
	return gatherList(e, s.dt, []arrow.Array{child}, idx, offs, valid)
}

// compileJoin: join(list, sep) joins a list of strings, skipping null
// elements.
func compileJoin(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	l, sep := args[0], args[1]
	if l.k == kNull || isNullConst(sep) {
		return nullOf(tString, rng, src)
	}
	if l.k != kList || kindOf(listElem(l.dt)) != kString {
		return c.errorf(l.rng, &rng, "Invalid function argument", "join needs a list of strings, but %s; convert elements with [for x in %s : tostring(x)].", describe(l), l.src)
	}
	if sep.k != kString {
		return c.errorf(sep.rng, &rng, "Invalid function argument", "join needs a string separator, but %s.", describe(sep))
	}
	return cexpr{n: &joinNode{list: l.n, sep: norm(sep).n}, dt: tString, k: kString, rng: rng, src: src}
}

func listElem(dt arrow.DataType) arrow.DataType {
	if l, ok := dt.(arrow.ListLikeType); ok {
		return l.Elem()
	}
	return arrow.Null
}

type joinNode struct{ list, sep node }

func (j *joinNode) eval(e *env) (arrow.Array, error) {
	l, err := j.list.eval(e)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	s, err := j.sep.eval(e)
	if err != nil {
		return nil, err
	}
	defer s.Release()
	vals := listValues(l)
	vv, err := strView(vals)
	if err != nil {
		return nil, err
	}
	sv, err := strView(s)
	if err != nil {
		return nil, err
	}
	n := e.n
	offs := listOffsets(l)
	valid := andValidity(e.mem, n, l, s)
	o := newStrOut(e.mem, n, int(vv.offs[len(vv.offs)-1]-vv.offs[0]))
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			first := true
			for k := offs[i]; k < offs[i+1]; k++ {
				if vals.IsNull(int(k)) {
					continue
				}
				if !first {
					o.data = append(o.data, sv.at(i)...)
				}
				first = false
				o.data = append(o.data, vv.at(int(k))...)
			}
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// ---- cast ----

// castTypes are the types cast(x, "NAME") converts to.
var castTypes = map[string]arrow.DataType{
	"int8": arrow.PrimitiveTypes.Int8, "int16": arrow.PrimitiveTypes.Int16, "int32": arrow.PrimitiveTypes.Int32, "int64": arrow.PrimitiveTypes.Int64,
	"uint8": arrow.PrimitiveTypes.Uint8, "uint16": arrow.PrimitiveTypes.Uint16, "uint32": arrow.PrimitiveTypes.Uint32, "uint64": arrow.PrimitiveTypes.Uint64,
	"float32": arrow.PrimitiveTypes.Float32, "float64": arrow.PrimitiveTypes.Float64,
	"string": arrow.BinaryTypes.String, "large_string": arrow.BinaryTypes.LargeString, "bool": arrow.FixedWidthTypes.Boolean,
}

func castTypeNames() string {
	names := make([]string, 0, len(castTypes))
	for k := range castTypes {
		names = append(names, k)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// compileCast: cast(x, "TYPE") converts numbers, strings and bools. A
// value that does not fit (overflow, a fraction to an integer, a string
// that is not a number) is an error naming the row; null stays null.
func compileCast(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	x, t := args[0], args[1]
	if t.c == nil || t.c.null || t.k != kString {
		return c.errorf(t.rng, &rng, "Invalid cast type", "cast needs the type as a literal string, one of %s.", castTypeNames())
	}
	to, ok := castTypes[t.c.s]
	if !ok {
		return c.errorf(t.rng, &rng, "Invalid cast type", "%q is not a type cast converts to; the types are %s.", t.c.s, castTypeNames())
	}
	if x.k == kNull {
		return nullOf(to, rng, src)
	}
	if !isNum(x.k) && x.k != kString && x.k != kBool {
		return c.errorf(x.rng, &rng, "Invalid function argument", "cast converts numbers, strings and bools, but %s.", describe(x))
	}
	return cexpr{n: &castNode{src: x.n, to: to}, dt: to, k: kindOf(to), rng: rng, src: src}
}

type castNode struct {
	src node
	to  arrow.DataType
}

func (c *castNode) eval(e *env) (arrow.Array, error) {
	a, err := c.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	if arrow.TypeEqual(a.DataType(), c.to) {
		a.Retain()
		return a, nil
	}
	// arrow-go's cast kernels leak their scratch buffers when a value does
	// not fit; Go's allocator lets the collector take them (e.mem may be
	// counting), so the cast runs on it.
	cmem := memory.DefaultAllocator
	out, err := compute.CastArray(compute.WithAllocator(e.ctx, cmem), a, compute.SafeCastOptions(c.to))
	if err == nil {
		return out, nil
	}
	// Find the row: cast each value alone.
	for i := 0; i < a.Len(); i++ {
		one := array.NewSlice(a, int64(i), int64(i+1))
		o, err1 := compute.CastArray(compute.WithAllocator(e.ctx, cmem), one, compute.SafeCastOptions(c.to))
		one.Release()
		if err1 != nil {
			return nil, fmt.Errorf("row %d: cannot cast %s to %s: %v", e.topRow(i), valueText(a, i), c.to, err1)
		}
		o.Release()
	}
	return nil, fmt.Errorf("cast to %s: %v", c.to, err)
}

func valueText(a arrow.Array, i int) string {
	if s, ok := a.(interface{ Value(int) string }); ok {
		return fmt.Sprintf("%q", s.Value(i))
	}
	return a.ValueStr(i)
}
