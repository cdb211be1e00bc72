package expr

import (
	"bytes"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// konst is a compile-time constant in its normalized Go form.
type konst struct {
	k    kind
	null bool
	b    bool
	i    int64
	f    float64
	s    string
}

func (c *konst) float() float64 {
	if c.k == kInt {
		return float64(c.i)
	}
	return c.f
}

// constNode broadcasts a constant to every row.
type constNode struct {
	c  konst
	dt arrow.DataType
}

func (c *constNode) eval(e *env) (arrow.Array, error) {
	n := e.n
	if c.c.null {
		return array.MakeArrayOfNull(e.mem, c.dt, n), nil
	}
	switch c.dt.ID() {
	case arrow.BOOL:
		vb := newBitmap(e.mem, n)
		if c.c.b {
			memory.Set(vb.Bytes(), 0xff)
		}
		return finish(tBool, n, nil, vb), nil
	case arrow.INT64:
		vb, v := newInt64s(e.mem, n)
		for i := range v {
			v[i] = c.c.i
		}
		return finish(tInt, n, nil, vb), nil
	case arrow.FLOAT64:
		vb, v := newFloat64s(e.mem, n)
		f := c.c.float()
		for i := range v {
			v[i] = f
		}
		return finish(tFloat, n, nil, vb), nil
	case arrow.STRING:
		o := newStrOut(e.mem, n, n*len(c.c.s))
		for i := 0; i < n; i++ {
			o.data = append(o.data, c.c.s...)
			o.end(i)
		}
		return o.finish(e.mem, n, nil)
	}
	return nil, fmt.Errorf("expr: constant of type %s", c.dt)
}

// convNode converts a value to the normalized type of its target kind:
// any integer width to int64, any float (or integer) to float64, large_utf8
// to utf8.
type convNode struct {
	src node
	to  arrow.DataType
}

func (c *convNode) eval(e *env) (arrow.Array, error) {
	a, err := c.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	if arrow.TypeEqual(a.DataType(), c.to) {
		a.Retain()
		return a, nil
	}
	if a.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(e.mem, c.to, e.n), nil
	}
	n := a.Len()
	valid := andValidity(e.mem, n, a)
	switch c.to.ID() {
	case arrow.INT64:
		vb, out := newInt64s(e.mem, n)
		copy(out, int64s(a))
		return finish(tInt, n, valid, vb), nil
	case arrow.FLOAT64:
		vb, out := newFloat64s(e.mem, n)
		copy(out, float64s(a))
		return finish(tFloat, n, valid, vb), nil
	case arrow.STRING:
		sv, err := strView(a)
		if err != nil {
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		o := newStrOut(e.mem, n, int(sv.offs[n]-sv.offs[0]))
		for i := 0; i < n; i++ {
			o.data = append(o.data, sv.at(i)...)
			o.end(i)
		}
		return o.finish(e.mem, n, valid)
	}
	if valid != nil {
		valid.Release()
	}
	return nil, fmt.Errorf("expr: cannot convert %s to %s", a.DataType(), c.to)
}

type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opMod
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opAnd
	opOr
)

var opNames = [...]string{"add", "sub", "mul", "div", "mod", "eq", "ne", "lt", "le", "gt", "ge", "and", "or"}
var opSyms = [...]string{"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"}

// operand is one side of a binary kernel: an array or a compile-time
// constant (mask 0 makes every row read element 0).
type operand struct {
	n node
	c *konst
}

func (o operand) get(e *env) (arrow.Array, error) {
	if o.c != nil {
		return nil, nil
	}
	return o.n.eval(e)
}

// getPair evaluates two operands; on error nothing is left to release.
// The caller releases both (releaseAll skips constants' nil arrays).
func getPair(e *env, l, r operand) (arrow.Array, arrow.Array, error) {
	la, err := l.get(e)
	if err != nil {
		return nil, nil, err
	}
	ra, err := r.get(e)
	if err != nil {
		releaseAll(la)
		return nil, nil, err
	}
	return la, ra, nil
}

func numSlice[T int64 | float64](arr arrow.Array, c *konst) ([]T, int) {
	if c != nil {
		var v T
		switch p := any(&v).(type) {
		case *int64:
			*p = c.i
		case *float64:
			*p = c.float()
		}
		return []T{v}, 0
	}
	switch a := arr.(type) {
	case *array.Int64:
		return any(a.Int64Values()).([]T), -1
	case *array.Float64:
		return any(a.Float64Values()).([]T), -1
	}
	panic("expr: numSlice of " + arr.DataType().String())
}

func releaseAll(arrs ...arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// arithNode computes l op r over int64 or float64 operands of one type.
// Integer overflow wraps; division or modulo by zero is null.
type arithNode struct {
	op   binOp
	l, r operand
	dt   arrow.DataType
}

func (a *arithNode) eval(e *env) (arrow.Array, error) {
	la, ra, err := getPair(e, a.l, a.r)
	if err != nil {
		return nil, err
	}
	defer releaseAll(la, ra)
	n := e.n
	valid := andValidity(e.mem, n, la, ra)
	if a.dt.ID() == arrow.INT64 {
		x, mx := numSlice[int64](la, a.l.c)
		y, my := numSlice[int64](ra, a.r.c)
		vb, out := newInt64s(e.mem, n)
		valid = arith(e.mem, a.op, x, mx, y, my, out, valid)
		return finish(tInt, n, valid, vb), nil
	}
	x, mx := numSlice[float64](la, a.l.c)
	y, my := numSlice[float64](ra, a.r.c)
	vb, out := newFloat64s(e.mem, n)
	valid = arith(e.mem, a.op, x, mx, y, my, out, valid)
	return finish(tFloat, n, valid, vb), nil
}

func arith[T int64 | float64](mem memory.Allocator, op binOp, x []T, mx int, y []T, my int, out []T, valid *memory.Buffer) *memory.Buffer {
	n := len(out)
	switch op {
	case opAdd:
		for i := range out {
			out[i] = x[i&mx] + y[i&my]
		}
	case opSub:
		for i := range out {
			out[i] = x[i&mx] - y[i&my]
		}
	case opMul:
		for i := range out {
			out[i] = x[i&mx] * y[i&my]
		}
	case opDiv, opMod:
		for i := range out {
			d := y[i&my]
			if d == 0 {
				if valid == nil {
					valid = allValid(mem, n)
				}
				bitutil.ClearBit(valid.Bytes(), i)
				continue
			}
			if op == opDiv {
				out[i] = x[i&mx] / d
			} else {
				out[i] = mod(x[i&mx], d)
			}
		}
	}
	return valid
}

func mod[T int64 | float64](a, b T) T {
	switch p := any(a).(type) {
	case int64:
		return T(p % int64(b))
	case float64:
		return T(math.Mod(p, float64(b)))
	}
	return 0
}

// negNode is unary minus.
type negNode struct {
	src node
	dt  arrow.DataType
}

func (m *negNode) eval(e *env) (arrow.Array, error) {
	a, err := m.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	valid := andValidity(e.mem, e.n, a)
	if m.dt.ID() == arrow.INT64 {
		vb, out := newInt64s(e.mem, e.n)
		for i, v := range a.(*array.Int64).Int64Values() {
			out[i] = -v
		}
		return finish(tInt, e.n, valid, vb), nil
	}
	vb, out := newFloat64s(e.mem, e.n)
	for i, v := range a.(*array.Float64).Float64Values() {
		out[i] = -v
	}
	return finish(tFloat, e.n, valid, vb), nil
}

// cmpNode compares two operands of one normalized kind.
type cmpNode struct {
	op   binOp
	l, r operand
	k    kind
}

func (c *cmpNode) eval(e *env) (arrow.Array, error) {
	la, ra, err := getPair(e, c.l, c.r)
	if err != nil {
		return nil, err
	}
	defer releaseAll(la, ra)
	n := e.n
	valid := andValidity(e.mem, n, la, ra)
	vb := newBitmap(e.mem, n)
	out := vb.Bytes()
	switch c.k {
	case kInt:
		x, mx := numSlice[int64](la, c.l.c)
		y, my := numSlice[int64](ra, c.r.c)
		cmpNum(c.op, x, mx, y, my, out, n)
	case kFloat:
		x, mx := numSlice[float64](la, c.l.c)
		y, my := numSlice[float64](ra, c.r.c)
		cmpNum(c.op, x, mx, y, my, out, n)
	case kString:
		x, mx, err := strOperand(la, c.l.c)
		if err == nil {
			var y strs
			var my int
			y, my, err = strOperand(ra, c.r.c)
			if err == nil {
				cmpStr(c.op, x, mx, y, my, out, n)
			}
		}
		if err != nil {
			vb.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
	case kBool:
		x, mx := boolOperand(la, c.l.c)
		y, my := boolOperand(ra, c.r.c)
		for i := 0; i < n; i++ {
			eq := bitutil.BitIsSet(x, i&mx) == bitutil.BitIsSet(y, i&my)
			if eq == (c.op == opEq) {
				bitutil.SetBit(out, i)
			}
		}
	}
	return finish(tBool, n, valid, vb), nil
}

func strOperand(arr arrow.Array, c *konst) (strs, int, error) {
	if c != nil {
		return strs{offs: []int32{0, int32(len(c.s))}, data: []byte(c.s)}, 0, nil
	}
	s, err := strView(arr)
	return s, -1, err
}

func boolOperand(arr arrow.Array, c *konst) ([]byte, int) {
	if c != nil {
		if c.b {
			return []byte{1}, 0
		}
		return []byte{0}, 0
	}
	return boolBits(arr.(*array.Boolean)), -1
}

func cmpNum[T int64 | float64](op binOp, x []T, mx int, y []T, my int, out []byte, n int) {
	switch op {
	case opEq:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] == y[i&my]) << (i & 7)
		}
	case opNe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] != y[i&my]) << (i & 7)
		}
	case opLt:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] < y[i&my]) << (i & 7)
		}
	case opLe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] <= y[i&my]) << (i & 7)
		}
	case opGt:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] > y[i&my]) << (i & 7)
		}
	case opGe:
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(x[i&mx] >= y[i&my]) << (i & 7)
		}
	}
}

func cmpStr(op binOp, x strs, mx int, y strs, my int, out []byte, n int) {
	if op == opEq || op == opNe {
		want := op == opEq
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(bytes.Equal(x.at(i&mx), y.at(i&my)) == want) << (i & 7)
		}
		return
	}
	for i := 0; i < n; i++ {
		c := bytes.Compare(x.at(i&mx), y.at(i&my))
		var r bool
		switch op {
		case opLt:
			r = c < 0
		case opLe:
			r = c <= 0
		case opGt:
			r = c > 0
		case opGe:
			r = c >= 0
		}
		out[i>>3] |= b2u8(r) << (i & 7)
	}
}

// logicNode is && / || with SQL three-valued logic: false && null is
// false, true || null is true, otherwise null wins.
type logicNode struct {
	op   binOp
	l, r node
}

func (l *logicNode) eval(e *env) (arrow.Array, error) {
	la, err := l.l.eval(e)
	if err != nil {
		return nil, err
	}
	defer la.Release()
	ra, err := l.r.eval(e)
	if err != nil {
		return nil, err
	}
	defer ra.Release()
	n := e.n
	av, bv := boolBits(la.(*array.Boolean)), boolBits(ra.(*array.Boolean))
	ad, bd := validAligned(la), validAligned(ra)
	vb := newBitmap(e.mem, n)
	out := vb.Bytes()
	nb := len(out)
	if ad == nil && bd == nil {
		for i := 0; i < nb; i++ {
			if l.op == opAnd {
				out[i] = av[i] & bv[i]
			} else {
				out[i] = av[i] | bv[i]
			}
		}
		return finish(tBool, n, nil, vb), nil
	}
	valid := newBitmap(e.mem, n)
	vo := valid.Bytes()
	for i := 0; i < nb; i++ {
		a, b := av[i], bv[i]
		da, db := byte(0xff), byte(0xff)
		if ad != nil {
			da = ad[i]
		}
		if bd != nil {
			db = bd[i]
		}
		if l.op == opAnd {
			fa, fb := da&^a, db&^b // known false
			vo[i] = (da & db) | fa | fb
			out[i] = a & b & da & db
		} else {
			ta, tb := da&a, db&b // known true
			vo[i] = (da & db) | ta | tb
			out[i] = ta | tb
		}
	}
	return finish(tBool, n, valid, vb), nil
}

// notNode is logical negation; null stays null.
type notNode struct{ src node }

func (m *notNode) eval(e *env) (arrow.Array, error) {
	a, err := m.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	vb := newBitmap(e.mem, e.n)
	bits := a.Data().Buffers()[1].Bytes()
	bitutil.InvertBitmap(bits, a.Data().Offset(), e.n, vb.Bytes(), 0)
	return finish(tBool, e.n, andValidity(e.mem, e.n, a), vb), nil
}
