package recipe

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is how deep brackets, blocks, template interpolations, unary
// operators and chained conditionals may nest in a recipe (or any HCL file
// dsbuild parses). HCL's parser, and every walk over its syntax tree,
// recurses once (or more) per level, so a 200 KB file of parentheses would
// overflow the stack; real recipes nest a dozen levels at most.
const MaxNesting = 500

// MaxChain is how many binary operators (and index steps x[k][j]...) one
// expression may chain without brackets (a && b && c ...). HCL parses such
// a chain in a loop, but the tree it builds is as deep as the chain is
// long, and every later walk over it recurses: 500k && (7 MB) overflowed
// the stack.
const MaxChain = 10000

// CheckNesting scans src without parsing it and reports where nesting
// first exceeds MaxNesting or an operator chain MaxChain. It understands just enough HCL to count
// correctly: comments, quoted strings with escapes, heredocs, and the
// interpolations and directives inside templates. It allocates in
// proportion to the nesting it accepts, never to the file's size, and it
// must run before hclparse/hclsyntax see src.
func CheckNesting(src []byte, filename string) hcl.Diagnostics {
	s := nestScanner{src: src, pos: hcl.InitialPos}
	if !s.scan() {
		return nil
	}
	start := s.over
	end := start
	end.Byte++
	end.Column++
	if s.chainOver {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Expression too long",
			Detail: fmt.Sprintf("More than %d operators are chained here in one expression, beyond what dsbuild parses. To test a value against many constants use in(x, [\"a\", \"b\", ...]); otherwise split the expression or add brackets around parts of it.",
				MaxChain),
			Subject: &hcl.Range{Filename: filename, Start: start, End: end},
		}}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Expression nested too deeply",
		Detail: fmt.Sprintf("Brackets, blocks, interpolations, unary operators (! and -) and chained conditionals nest more than %d levels deep here, beyond what dsbuild parses. Split the expression: compute parts in a select's derive, or simplify it.",
			MaxNesting),
		Subject: &hcl.Range{Filename: filename, Start: start, End: end},
	}}
}

// Scanner modes: what the innermost open construct is.
const (
	modeExpr    = iota // inside (), [], {} or at the top level
	modeInterp         // inside ${ } or %{ } of a template
	modeString         // inside "..."
	modeHeredoc        // inside <<EOF ... EOF
)

type nestFrame struct {
	mode  int
	close byte   // the byte that ends a bracket or interpolation frame
	cost  int    // nesting levels the frame adds (1 + pending unary operators)
	conds int    // chained ? seen in this frame since its last item boundary
	ops   int    // binary operators seen in this frame since its last item boundary
	delim []byte // heredoc delimiter
}

type nestScanner struct {
	src   []byte
	pos   hcl.Pos
	stack []nestFrame
	depth int // sum of the costs of the frames on the stack, plus conds
	unary int // ! and unary - waiting for their operand
	// topConds counts chained ? outside any bracket (an attribute's value).
	topConds int
	// chain is the sum of the frames' ops (and topOps): how deep the
	// operator chains open here make the syntax tree.
	chain, topOps int
	chainOver     bool // the limit exceeded is MaxChain, not MaxNesting
	// directives counts open %{ if } and %{ for } directives, which nest
	// like blocks in HCL's template parser.
	directives int
	over       hcl.Pos
}

func (s *nestScanner) top() *nestFrame {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

func (s *nestScanner) mode() int {
	if f := s.top(); f != nil {
		return f.mode
	}
	return modeExpr
}

// advance moves past n bytes, keeping line and column.
func (s *nestScanner) advance(n int) {
	for i := 0; i < n && s.pos.Byte < len(s.src); i++ {
		c := s.src[s.pos.Byte]
		s.pos.Byte++
		switch {
		case c == '\n':
			s.pos.Line++
			s.pos.Column = 1
		case c&0xC0 != 0x80: // count characters, not UTF-8 continuation bytes
			s.pos.Column++
		}
	}
}

func (s *nestScanner) at(off int) byte {
	if i := s.pos.Byte + off; i < len(s.src) {
		return s.src[i]
	}
	return 0
}

// exceeds records the position when depth (with extra levels) is over the
// limit.
func (s *nestScanner) exceeds(extra int) bool {
	if s.depth+s.directives+extra > MaxNesting {
		s.over = s.pos
		return true
	}
	return false
}

func (s *nestScanner) push(f nestFrame) bool {
	f.cost += s.unary
	s.unary = 0
	if s.exceeds(f.cost) {
		return true
	}
	s.stack = append(s.stack, f)
	s.depth += f.cost
	return false
}

func (s *nestScanner) pop() {
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	s.depth -= f.cost + f.conds
	s.chain -= f.ops
	s.unary = 0
}

// boundary ends an item (a comma, or a newline where newlines separate
// items): conditionals chained before it are finished.
func (s *nestScanner) boundary() {
	if f := s.top(); f != nil {
		s.depth -= f.conds
		s.chain -= f.ops
		f.conds, f.ops = 0, 0
	} else {
		s.depth -= s.topConds
		s.chain -= s.topOps
		s.topConds, s.topOps = 0, 0
	}
	s.unary = 0
}

// scan reports whether the limit is exceeded, with the place in s.over.
func (s *nestScanner) scan() bool {
	for s.pos.Byte < len(s.src) {
		var over bool
		switch s.mode() {
		case modeExpr, modeInterp:
			over = s.expr()
		case modeString:
			over = s.template(false)
		case modeHeredoc:
			over = s.template(true)
		}
		if over {
			return true
		}
	}
	return false
}

// expr consumes one token (or skips one comment or blank) in expression
// mode.
func (s *nestScanner) expr() bool {
	c := s.at(0)
	switch {
	case c == '#' || (c == '/' && s.at(1) == '/'):
		for s.pos.Byte < len(s.src) && s.at(0) != '\n' {
			s.advance(1)
		}
		return false
	case c == '/' && s.at(1) == '*':
		s.advance(2)
		for s.pos.Byte < len(s.src) && !(s.at(0) == '*' && s.at(1) == '/') {
			s.advance(1)
		}
		s.advance(2)
		return false
	case c == '"':
		over := s.push(nestFrame{mode: modeString, cost: 1})
		s.advance(1)
		return over
	case c == '<' && s.at(1) == '<' && s.heredocStart():
		return false
	case c == '(' || c == '[' || c == '{':
		if c == '[' && !s.afterOperator() {
			// An index after an operand (x[k][j]...) nests the tree one
			// level per step, like a binary operator.
			if s.countOp() {
				return true
			}
		}
		closer := map[byte]byte{'(': ')', '[': ']', '{': '}'}[c]
		over := s.push(nestFrame{mode: modeExpr, close: closer, cost: 1})
		s.advance(1)
		return over
	case c == ')' || c == ']' || c == '}':
		if f := s.top(); f != nil && f.close == c {
			s.pop()
		}
		s.advance(1)
		return false
	case c == '!' && s.at(1) != '=':
		s.unary++
		if s.exceeds(s.unary) {
			return true
		}
	case c == '-' && s.unaryMinus():
		s.unary++
		if s.exceeds(s.unary) {
			return true
		}
	case c == '?':
		if f := s.top(); f != nil {
			f.conds++
		} else {
			s.topConds++
		}
		s.depth++
		s.unary = 0
		if s.exceeds(0) {
			return true
		}
	case isBinaryOp(c, s.at(1)) || c == '-':
		// (a unary minus was taken by the case above)
		n := 1
		if c2 := s.at(1); c2 == '=' || (c == '&' && c2 == '&') || (c == '|' && c2 == '|') {
			n = 2
		}
		if s.countOp() {
			return true
		}
		s.advance(n)
		return false
	case c == '=' && s.at(1) == '>':
		s.unary = 0
		s.advance(2)
		return false
	case c == ',':
		s.boundary()
	case c == '\n':
		if f := s.top(); f == nil || f.close == '}' {
			s.boundary()
		}
	case c == ' ' || c == '\t' || c == '\r':
	default:
		// Any other token is (part of) an operand or a binary operator:
		// unary operators before it have found their operand.
		s.unary = 0
	}
	s.advance(1)
	return false
}

// countOp counts one operator of the chain open here; it reports whether
// that exceeds MaxChain.
func (s *nestScanner) countOp() bool {
	if f := s.top(); f != nil {
		f.ops++
	} else {
		s.topOps++
	}
	s.chain++
	s.unary = 0
	if s.chain > MaxChain {
		s.over, s.chainOver = s.pos, true
		return true
	}
	return false
}

func (s *nestScanner) unaryMinus() bool { return s.afterOperator() }

// afterOperator tells, by the last significant byte before the current
// one, whether an operand ends there or not: after an operand, - is
// binary and [ indexes.
func (s *nestScanner) afterOperator() bool {
	for i := s.pos.Byte - 1; i >= 0; i-- {
		switch c := s.src[i]; c {
		case ' ', '\t', '\r':
			continue
		case ')', ']', '}', '"', '_':
			return false
		default:
			alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
			return !alnum
		}
	}
	return true
}

// heredocStart enters a heredoc when <<ID or <<-ID followed by a newline
// starts here.
func (s *nestScanner) heredocStart() bool {
	i := s.pos.Byte + 2
	if i < len(s.src) && s.src[i] == '-' {
		i++
	}
	j := i
	for j < len(s.src) && (s.src[j] == '_' || s.src[j] == '-' || s.src[j] >= '0' && s.src[j] <= '9' || s.src[j] >= 'a' && s.src[j] <= 'z' || s.src[j] >= 'A' && s.src[j] <= 'Z') {
		j++
	}
	k := j
	if k < len(s.src) && s.src[k] == '\r' {
		k++
	}
	if j == i || k >= len(s.src) || s.src[k] != '\n' {
		return false
	}
	delim := s.src[i:j]
	if s.push(nestFrame{mode: modeHeredoc, cost: 1, delim: delim}) {
		return true
	}
	s.advance(k + 1 - s.pos.Byte)
	return false
}

// template consumes template text up to an interpolation, a directive or
// the end of the string or heredoc.
func (s *nestScanner) template(heredoc bool) bool {
	f := s.top()
	lineStart := s.pos.Column == 1
	if heredoc && lineStart {
		line := s.src[s.pos.Byte:]
		if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
			line = line[:nl]
		}
		if bytes.Equal(bytes.TrimSpace(line), f.delim) {
			s.advance(len(line))
			s.pop()
			return false
		}
	}
	c := s.at(0)
	switch {
	case !heredoc && c == '\\':
		s.advance(2)
	case !heredoc && c == '"':
		s.pop()
		s.advance(1)
	case !heredoc && c == '\n':
		s.pop() // an unterminated string: the parser reports it
		s.advance(1)
	case (c == '$' || c == '%') && s.at(1) == c && s.at(2) == '{':
		s.advance(3) // $${ and %%{ are literal
	case (c == '$' || c == '%') && s.at(1) == '{':
		if c == '%' {
			if over := s.directive(); over {
				return true
			}
		}
		over := s.push(nestFrame{mode: modeInterp, close: '}', cost: 1})
		s.advance(2)
		return over
	default:
		s.advance(1)
	}
	return false
}

// directive tracks %{ if } / %{ for } and their ends.
func (s *nestScanner) directive() bool {
	i := s.pos.Byte + 2
	if i < len(s.src) && s.src[i] == '~' {
		i++
	}
	for i < len(s.src) && (s.src[i] == ' ' || s.src[i] == '\t') {
		i++
	}
	word := s.src[i:]
	switch {
	case bytes.HasPrefix(word, []byte("endif")), bytes.HasPrefix(word, []byte("endfor")):
		if s.directives > 0 {
			s.directives--
		}
	case bytes.HasPrefix(word, []byte("if")), bytes.HasPrefix(word, []byte("for")):
		s.directives++
		return s.exceeds(0)
	}
	return false
}

// isBinaryOp tells whether c (followed by next) starts a binary operator:
// && || == != < <= > >= + * / %. A lone = assigns, => maps, ! alone is
// unary, and - is decided by the caller.
func isBinaryOp(c, next byte) bool {
	switch c {
	case '&':
		return next == '&'
	case '|':
		return next == '|'
	case '=', '!':
		return next == '='
	case '<', '>', '+', '*', '/', '%':
		return true
	}
	return false
}
