package expr

// Row functions that make ids and reshape strings and lists: hash,
// row_number, sha256, len, replace, regex_replace, substr. Each is
// type-checked when the expression is compiled and evaluated a batch at a
// time into one output buffer.
//
// Null behaviour:
//   - hash(x, ...) is never null: a null argument is part of the encoding.
//   - row_number() is never null.
//   - sha256(s), len(l), replace, regex_replace and substr are null when any
//     argument is null.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// rowFuncs are compiled here rather than in calls.go's switch; calls.go
// dispatches to them by name after checking the arity.
var rowFuncs = map[string]func(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr{
	"hash":          compileHash,
	"row_number":    compileRowNumber,
	"sha256":        compileSHA256,
	"len":           compileLen,
	"replace":       compileReplace,
	"regex_replace": compileReplace,
	"substr":        compileSubstr,
	"concat":        compileConcat, // listfuncs.go
	"slice":         compileSlice,
	"split":         compileSplit,
	"join":          compileJoin,
	"cast":          compileCast,
}

// ---- hash ----

// compileHash accepts any argument whose type has a group key (see
// groupkey.go): the digest is sha256 over the concatenated group-key
// encodings of the arguments, in order, printed as 64 lowercase hex digits.
// It depends only on the values (int32 1 and int64 1 hash alike, as they
// group alike), never on batch boundaries, machine or library version; it
// changes only with GroupKeyVersion.
func compileHash(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	nodes := make([]node, len(args))
	for i, a := range args {
		dt := a.dt
		if a.k == kNull {
			dt = arrow.Null
		}
		if err := CheckGroupKeyType(dt); err != nil {
			return c.errorf(a.rng, &rng, "Invalid function argument", "hash cannot encode %s: %v.", describe(a), err)
		}
		nodes[i] = a.n
	}
	return c.fold(cexpr{n: &hashNode{args: nodes}, dt: tString, k: kString, rng: rng, src: src}, args...)
}

type hashNode struct{ args []node }

func (h *hashNode) eval(e *env) (arrow.Array, error) {
	arrs := make([]arrow.Array, 0, len(h.args))
	defer func() { releaseAll(arrs...) }()
	encs := make([]encoder, len(h.args))
	for i, a := range h.args {
		v, err := a.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, v)
		if encs[i], err = newEncoder(v); err != nil {
			return nil, err
		}
	}
	n := e.n
	o := newStrOut(e.mem, n, n*sha256.Size*2)
	var buf []byte
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for _, enc := range encs {
			buf = enc(buf, i)
		}
		sum := sha256.Sum256(buf)
		o.data = hex.AppendEncode(o.data, sum[:])
		o.end(i)
	}
	return o.finish(e.mem, n, nil)
}

// ---- row_number ----

func compileRowNumber(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	// Never folded: its value is the row's position, not a constant.
	return cexpr{n: rowNumberNode{}, dt: tInt, k: kInt, rng: rng, src: src}
}

// rowNumberNode is the 0-based position of the row in the op's input: the
// batch's offset (Program.EvalAt) plus the row's index in the batch. Inside
// a for expression it is the position of the row the element belongs to.
type rowNumberNode struct{}

func (rowNumberNode) eval(e *env) (arrow.Array, error) {
	first := e.at(0).first
	vb, out := newInt64s(e.mem, e.n)
	for i := range out {
		out[i] = first + int64(e.topRow(i))
	}
	return finish(tInt, e.n, nil, vb), nil
}

// ---- sha256 ----

func compileSHA256(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	x := args[0]
	if x.k == kNull {
		return nullOf(tString, rng, src)
	}
	if x.k != kString {
		return c.errorf(x.rng, &rng, "Invalid function argument", "sha256 needs a string, but %s; hash(...) digests values of any type.", describe(x))
	}
	x = norm(x)
	return c.fold(cexpr{n: &sha256Node{src: x.n}, dt: tString, k: kString, rng: rng, src: src}, x)
}

type sha256Node struct{ src node }

func (s *sha256Node) eval(e *env) (arrow.Array, error) {
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
	o := newStrOut(e.mem, n, n*sha256.Size*2)
	for i := 0; i < n; i++ {
		if a.IsValid(i) {
			sum := sha256.Sum256(sv.at(i))
			o.data = hex.AppendEncode(o.data, sum[:])
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// ---- len ----

func compileLen(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	x := args[0]
	switch x.k {
	case kNull:
		return nullOf(tInt, rng, src)
	case kList:
		return c.fold(cexpr{n: &lengthNode{src: x.n, k: kList}, dt: tInt, k: kInt, rng: rng, src: src}, x)
	}
	hint := ""
	if x.k == kString {
		hint = fmt.Sprintf("; the number of characters of a string is length(%s)", x.src)
	}
	return c.errorf(x.rng, &rng, "Invalid function argument", "len needs a list, but %s%s.", describe(x), hint)
}

// ---- replace, regex_replace ----

// compileReplace compiles replace(s, old, new) (every occurrence of the
// literal old) and regex_replace(s, pattern, new) (every match of a constant
// RE2 pattern; new may use $1 / ${name}).
func compileReplace(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	for _, a := range args {
		if a.k != kString && a.k != kNull {
			return c.errorf(a.rng, &rng, "Invalid function argument", "%s needs strings, but %s.", e.Name, describe(a))
		}
	}
	r := &replaceNode{}
	if e.Name == "regex_replace" {
		p := args[1]
		if p.c == nil {
			return c.errorf(p.rng, &rng, "Non-constant pattern", "regex_replace needs its pattern as a literal string (or a variable), so it is compiled once; %s varies by row.", p.src)
		}
		if p.c.null {
			return c.errorf(p.rng, &rng, "Invalid pattern", "The pattern of regex_replace is null.")
		}
		re, err := regexp.Compile(p.c.s)
		if err != nil {
			return c.errorf(p.rng, &rng, "Invalid regular expression", "%s: %s (Go RE2 syntax).", p.src, err)
		}
		r.re = re
	}
	for _, a := range args {
		if isNullConst(a) {
			return nullOf(tString, rng, src)
		}
	}
	ns := make([]cexpr, len(args))
	for i, a := range args {
		ns[i] = norm(a)
		r.args = append(r.args, ns[i].n)
	}
	return c.fold(cexpr{n: r, dt: tString, k: kString, rng: rng, src: src}, ns...)
}

type replaceNode struct {
	args []node // s, old (or pattern), new
	re   *regexp.Regexp
}

func (r *replaceNode) eval(e *env) (arrow.Array, error) {
	arrs := make([]arrow.Array, 0, 3)
	defer func() { releaseAll(arrs...) }()
	views := make([]strs, 3)
	for i, op := range r.args {
		a, err := op.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		if views[i], err = strView(a); err != nil {
			return nil, err
		}
	}
	n := e.n
	valid := andValidity(e.mem, n, arrs...)
	o := newStrOut(e.mem, n, int(views[0].offs[len(views[0].offs)-1]-views[0].offs[0]))
	at := func(k, i int) []byte { return views[k].at(i) }
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			s, a, b := at(0, i), at(1, i), at(2, i)
			if r.re != nil {
				o.data = append(o.data, r.re.ReplaceAll(s, b)...)
			} else {
				o.data = appendReplaced(o.data, s, a, b)
			}
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// appendReplaced matches strings.ReplaceAll: an empty old inserts new
// around every rune.
func appendReplaced(dst, s, old, new []byte) []byte {
	if len(old) == 0 {
		dst = append(dst, new...)
		for len(s) > 0 {
			_, w := utf8.DecodeRune(s)
			dst = append(dst, s[:w]...)
			dst = append(dst, new...)
			s = s[w:]
		}
		return dst
	}
	for {
		j := indexBytes(s, old)
		if j < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		dst = append(dst, new...)
		s = s[j+len(old):]
	}
}

// ---- substr ----

// compileSubstr compiles substr(s, start[, length]): characters (runes),
// 0-based; a negative start counts from the end; a start past the end gives
// "", a length past the end stops at the end; a negative length is a
// runtime error naming the row.
func compileSubstr(c *compiler, e *hclsyntax.FunctionCallExpr, args []cexpr, rng hcl.Range, src source) cexpr {
	if args[0].k != kString && args[0].k != kNull {
		return c.errorf(args[0].rng, &rng, "Invalid function argument", "substr needs a string, but %s.", describe(args[0]))
	}
	for _, a := range args[1:] {
		if a.k != kInt && a.k != kNull {
			return c.errorf(a.rng, &rng, "Invalid function argument", "substr needs whole numbers for start and length, but %s.", describe(a))
		}
	}
	for _, a := range args {
		if isNullConst(a) {
			return nullOf(tString, rng, src)
		}
	}
	ns := make([]cexpr, len(args))
	s := &substrNode{}
	for i, a := range args {
		ns[i] = norm(a)
		s.args = append(s.args, ns[i].n)
	}
	return c.fold(cexpr{n: s, dt: tString, k: kString, rng: rng, src: src}, ns...)
}

type substrNode struct{ args []node }

func (s *substrNode) eval(e *env) (arrow.Array, error) {
	arrs := make([]arrow.Array, 0, 3)
	defer func() { releaseAll(arrs...) }()
	for _, op := range s.args {
		a, err := op.eval(e)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
	}
	sv, err := strView(arrs[0])
	if err != nil {
		return nil, err
	}
	n := e.n
	ints := make([][]int64, len(arrs))
	for k := 1; k < len(arrs); k++ {
		ints[k] = int64s(arrs[k])
	}
	get := func(k, i int) int64 { return ints[k][i] }
	str := func(i int) []byte { return sv.at(i) }
	valid := andValidity(e.mem, n, arrs...)
	o := newStrOut(e.mem, n, 0)
	for i := 0; i < n; i++ {
		if valid == nil || bitIsSet(valid.Bytes(), i) {
			v := str(i)
			runes := int64(utf8.RuneCount(v))
			start := get(1, i)
			if start < 0 {
				start = max(runes+start, 0)
			}
			end := runes
			if len(arrs) == 3 {
				l := get(2, i)
				if l < 0 {
					o.offBuf.Release()
					if valid != nil {
						valid.Release()
					}
					return nil, fmt.Errorf("row %d: substr length %d is negative", e.topRow(i), l)
				}
				end = min(start+l, runes)
			}
			o.data = appendRunes(o.data, v, start, end)
		}
		o.end(i)
	}
	return o.finish(e.mem, n, valid)
}

// appendRunes appends runes [from, to) of v.
func appendRunes(dst, v []byte, from, to int64) []byte {
	var r int64
	for i := 0; i < len(v) && r < to; {
		_, w := utf8.DecodeRune(v[i:])
		if r >= from {
			dst = append(dst, v[i:i+w]...)
		}
		i += w
		r++
	}
	return dst
}

func bitIsSet(bits []byte, i int) bool { return bits[i>>3]&(1<<(uint(i)&7)) != 0 }

func indexBytes(s, sep []byte) int {
	n := len(sep)
	for i := 0; i+n <= len(s); i++ {
		if string(s[i:i+n]) == string(sep) {
			return i
		}
	}
	return -1
}

func sortStrings(xs []string) { sort.Strings(xs) }
