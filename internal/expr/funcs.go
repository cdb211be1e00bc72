package expr

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// isNullNode is is_null(x): never null itself.
type isNullNode struct{ src node }

func (m *isNullNode) eval(e *env) (arrow.Array, error) {
	a, err := m.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	vb := newBitmap(e.mem, e.n)
	switch bits, off := validBits(a); {
	case a.NullN() == 0:
	case bits == nil:
		memory.Set(vb.Bytes(), 0xff)
	default:
		bitutil.InvertBitmap(bits, off, e.n, vb.Bytes(), 0)
	}
	return finish(tBool, e.n, nil, vb), nil
}

// pickNode gathers each row from one of several same-typed candidates:
// the conditional (cond given: true → args[0], false → args[1], null →
// null) and coalesce (first non-null). Gathering goes through one
// concatenation and a take so it works for every Arrow type, nested ones
// included.
type pickNode struct {
	cond node // nil for coalesce
	args []node
	dt   arrow.DataType
}

func (p *pickNode) eval(e *env) (arrow.Array, error) {
	n := e.n
	arrs := make([]arrow.Array, 0, len(p.args))
	defer func() { releaseAll(arrs...) }()
	for _, a := range p.args {
		v, err := a.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, v)
	}
	idx := make([]int32, n)
	if p.cond != nil {
		c, err := p.cond.eval(e)
		if err != nil {
			return nil, err
		}
		cb := c.(*array.Boolean)
		for i := range idx {
			switch {
			case cb.IsNull(i):
				idx[i] = -1
			case cb.Value(i):
				idx[i] = int32(i)
			default:
				idx[i] = int32(n + i)
			}
		}
		c.Release()
	} else {
		for i := range idx {
			idx[i] = -1
			for k, a := range arrs {
				if a.IsValid(i) {
					idx[i] = int32(k*n + i)
					break
				}
			}
		}
	}
	if n*len(arrs) > 1<<31-1 {
		return nil, fmt.Errorf("batch of %d rows is too large for a conditional", n)
	}
	all, err := array.Concatenate(arrs, e.mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return take(e.ctx, e.mem, all, idx)
}

// strFuncNode applies a string → string function row by row into one
// output buffer.
type strFuncNode struct {
	name string
	src  node
}

func (s *strFuncNode) eval(e *env) (arrow.Array, error) {
	a, err := s.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	sv, err := strView(a)
	if err != nil {
		return nil, err
	}
	n := e.n
	valid := andValidity(e.mem, n, a)
	o := newStrOut(e.mem, n, int(sv.offs[n]-sv.offs[0]))
	for i := 0; i < n; i++ {
		v := sv.at(i)
		switch s.name {
		case "lower":
			o.data = appendMapped(o.data, v, unicode.ToLower)
		case "upper":
			o.data = appendMapped(o.data, v, unicode.ToUpper)
		case "trimspace":
			o.data = append(o.data, bytes.TrimSpace(v)...)
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// appendMapped matches strings.Map: invalid UTF-8 becomes U+FFFD.
func appendMapped(dst, s []byte, f func(rune) rune) []byte {
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			dst = append(dst, byte(f(rune(c))))
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		dst = utf8.AppendRune(dst, f(r))
		s = s[size:]
	}
	return dst
}

// toStringNode formats numbers and bools as text.
type toStringNode struct {
	src node
	k   kind
}

func (t *toStringNode) eval(e *env) (arrow.Array, error) {
	a, err := t.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	n := e.n
	valid := andValidity(e.mem, n, a)
	o := newStrOut(e.mem, n, n*4)
	switch t.k {
	case kInt:
		for i, v := range a.(*array.Int64).Int64Values() {
			o.data = strconv.AppendInt(o.data, v, 10)
			o.end(i)
		}
	case kFloat:
		for i, v := range a.(*array.Float64).Float64Values() {
			o.data = appendFloat(o.data, v)
			o.end(i)
		}
	case kBool:
		b := a.(*array.Boolean)
		for i := 0; i < n; i++ {
			o.data = strconv.AppendBool(o.data, b.Value(i))
			o.end(i)
		}
	}
	return o.finish(e.mem, n, valid)
}

// appendFloat writes the shortest decimal that round-trips, never in
// exponent form, so tostring(3.0) is "3" like HCL's; -0 prints as "0".
func appendFloat(dst []byte, f float64) []byte {
	if f == 0 {
		f = 0
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

// toNumberNode parses decimal text into float64.
type toNumberNode struct{ src node }

func (t *toNumberNode) eval(e *env) (arrow.Array, error) {
	a, err := t.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	sv, err := strView(a)
	if err != nil {
		return nil, err
	}
	n := e.n
	valid := andValidity(e.mem, n, a)
	vb, out := newFloat64s(e.mem, n)
	for i := 0; i < n; i++ {
		if valid != nil && !bitutil.BitIsSet(valid.Bytes(), i) {
			continue
		}
		s := sv.at(i)
		f, ok := parseNumber(s)
		if ok {
			out[i] = f
			continue
		}
		if e.strict {
			vb.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, fmt.Errorf("row %d: tonumber(%q): not a number", e.topRow(i), s)
		}
		if valid == nil {
			valid = allValid(e.mem, n)
		}
		bitutil.ClearBit(valid.Bytes(), i)
	}
	return finish(tFloat, n, valid, vb), nil
}

// parseNumber accepts exactly the decimal literals of HCL: optional sign,
// digits, optional fraction, optional exponent. No spaces, hex, inf or nan.
func parseNumber(s []byte) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return 0, false // out of range
	}
	return f, true
}

// lengthNode is length(x): runes of a string, elements of a list.
type lengthNode struct {
	src node
	k   kind
}

func (l *lengthNode) eval(e *env) (arrow.Array, error) {
	a, err := l.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	n := e.n
	valid := andValidity(e.mem, n, a)
	vb, out := newInt64s(e.mem, n)
	if l.k == kString {
		sv, err := strView(a)
		if err != nil {
			vb.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		for i := range out {
			out[i] = int64(utf8.RuneCount(sv.at(i)))
		}
	} else {
		offs := listOffsets(a)
		for i := range out {
			out[i] = offs[i+1] - offs[i]
		}
	}
	return finish(tInt, n, valid, vb), nil
}

// matchNode is contains / startswith / endswith / regex_match.
type matchNode struct {
	name string
	s    operand
	sub  operand
	re   *regexp.Regexp
}

func (m *matchNode) eval(e *env) (arrow.Array, error) {
	sa, pa, err := getPair(e, m.s, m.sub)
	if err != nil {
		return nil, err
	}
	defer releaseAll(sa, pa)
	n := e.n
	x, mx, err := strOperand(sa, m.s.c)
	if err != nil {
		return nil, err
	}
	var y strs
	var my int
	if m.re == nil {
		if y, my, err = strOperand(pa, m.sub.c); err != nil {
			return nil, err
		}
	}
	valid := andValidity(e.mem, n, sa, pa)
	vb := newBitmap(e.mem, n)
	out := vb.Bytes()
	switch m.name {
	case "contains":
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(bytes.Contains(x.at(i&mx), y.at(i&my))) << (i & 7)
		}
	case "startswith":
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(bytes.HasPrefix(x.at(i&mx), y.at(i&my))) << (i & 7)
		}
	case "endswith":
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(bytes.HasSuffix(x.at(i&mx), y.at(i&my))) << (i & 7)
		}
	case "regex_match":
		for i := 0; i < n; i++ {
			if valid != nil && !bitutil.BitIsSet(valid.Bytes(), i) {
				continue
			}
			out[i>>3] |= b2u8(m.re.Match(x.at(i&mx))) << (i & 7)
		}
	}
	return finish(tBool, n, valid, vb), nil
}

// inNode is in(x, [constants]): true on a match; null when x is null, or
// when nothing matched and the list holds a null (SQL IN).
type inNode struct {
	src     node
	k       kind
	strs    map[string]struct{}
	ints    map[int64]struct{}
	floats  map[float64]struct{}
	bools   [2]bool
	hasNull bool
}

func (m *inNode) eval(e *env) (arrow.Array, error) {
	a, err := m.src.eval(e)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	n := e.n
	valid := andValidity(e.mem, n, a)
	vb := newBitmap(e.mem, n)
	out := vb.Bytes()
	switch m.k {
	case kString:
		sv, err := strView(a)
		if err != nil {
			vb.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		for i := 0; i < n; i++ {
			_, ok := m.strs[string(sv.at(i))]
			out[i>>3] |= b2u8(ok) << (i & 7)
		}
	case kInt:
		for i, v := range a.(*array.Int64).Int64Values() {
			_, ok := m.ints[v]
			out[i>>3] |= b2u8(ok) << (i & 7)
		}
	case kFloat:
		for i, v := range a.(*array.Float64).Float64Values() {
			_, ok := m.floats[v]
			out[i>>3] |= b2u8(ok) << (i & 7)
		}
	case kBool:
		b := a.(*array.Boolean)
		for i := 0; i < n; i++ {
			out[i>>3] |= b2u8(m.bools[b2u8(b.Value(i))]) << (i & 7)
		}
	}
	if m.hasNull {
		if valid == nil {
			valid = allValid(e.mem, n)
		}
		vo := valid.Bytes()
		for i := range vo {
			vo[i] &= out[i]
		}
	}
	return finish(tBool, n, valid, vb), nil
}

// concatNode joins string parts (a template with interpolations); null if
// any part is null.
type concatNode struct{ parts []node }

func (c *concatNode) eval(e *env) (arrow.Array, error) {
	n := e.n
	arrs := make([]arrow.Array, 0, len(c.parts))
	defer func() { releaseAll(arrs...) }()
	views := make([]strs, len(c.parts))
	size := 0
	for i, p := range c.parts {
		a, err := p.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		if views[i], err = strView(a); err != nil {
			return nil, err
		}
		size += int(views[i].offs[n] - views[i].offs[0])
	}
	valid := andValidity(e.mem, n, arrs...)
	o := newStrOut(e.mem, n, size)
	for i := 0; i < n; i++ {
		for _, v := range views {
			o.data = append(o.data, v.at(i)...)
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// listOffsets returns a list array's n+1 offsets into its child values.
func listOffsets(a arrow.Array) []int64 {
	n, off := a.Len(), a.Data().Offset()
	out := make([]int64, n+1)
	switch l := a.(type) {
	case *array.List:
		if n == 0 {
			return out
		}
		for i, o := range l.Offsets()[off : off+n+1] {
			out[i] = int64(o)
		}
	case *array.LargeList:
		if n == 0 {
			return out
		}
		copy(out, l.Offsets()[off:off+n+1])
	case *array.Map:
		if n == 0 {
			return out
		}
		for i, o := range l.Offsets()[off : off+n+1] {
			out[i] = int64(o)
		}
	}
	return out
}

func listValues(a arrow.Array) arrow.Array {
	switch l := a.(type) {
	case *array.List:
		return l.ListValues()
	case *array.LargeList:
		return l.ListValues()
	case *array.Map:
		return l.ListValues()
	}
	return nil
}
