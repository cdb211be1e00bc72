package arrowio

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 512

var errUnexpectedEOF = errors.New("unexpected end of input (truncated JSON?)")

// jsonScanner is a small streaming JSON tokenizer over an io.Reader. It is
// hand-written rather than json.Decoder.Token because both passes (inference
// and building) walk every value, and Token allocates per token; it also
// knows the exact byte offset and line of every error.
type jsonScanner struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	base int64 // file offset of buf[0]
	line int64 // 1-based line of buf[pos]
	rerr error // sticky read error (io.EOF included)

	str   []byte // scratch for strings that need unescaping or span refills
	num   []byte // scratch for number literals
	key   []byte // scratch for the current object key
	depth int
}

func newJSONScanner(r io.Reader, bufSize int) *jsonScanner {
	return &jsonScanner{r: r, buf: make([]byte, bufSize), line: 1}
}

func (s *jsonScanner) offset() int64 { return s.base + int64(s.pos) }

func (s *jsonScanner) errAt(off int64, format string, args ...any) error {
	return &posError{off: off, err: fmt.Errorf(format, args...)}
}

// fill reads more input, discarding consumed bytes. It reports whether at
// least one new byte is available.
func (s *jsonScanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

func (s *jsonScanner) readErr(off int64) error {
	if s.rerr != nil && s.rerr != io.EOF {
		return &posError{off: off, err: s.rerr}
	}
	return &posError{off: off, err: errUnexpectedEOF}
}

// skipWS skips JSON whitespace, counting lines. It returns the next byte
// without consuming it, or ok=false at end of input.
func (s *jsonScanner) skipWS() (c byte, ok bool) {
	for {
		for s.pos < s.end {
			c = s.buf[s.pos]
			switch c {
			case '\n':
				s.line++
				s.pos++
			case ' ', '\t', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// skipBOM drops a UTF-8 byte order mark at the very start of the input.
func (s *jsonScanner) skipBOM() {
	for s.end-s.pos < 3 && s.fill() {
	}
	if s.end-s.pos >= 3 && s.buf[s.pos] == 0xEF && s.buf[s.pos+1] == 0xBB && s.buf[s.pos+2] == 0xBF {
		s.pos += 3
	}
}

// next returns the next non-space byte and consumes it.
func (s *jsonScanner) next() (byte, error) {
	c, ok := s.skipWS()
	if !ok {
		return 0, s.readErr(s.offset())
	}
	s.pos++
	return c, nil
}

// readString reads a string whose opening quote has been consumed. The
// returned slice is valid until the next scanner call.
func (s *jsonScanner) readString() ([]byte, error) {
	start := s.offset() - 1
	// Fast path: no escapes, no refill.
	for i := s.pos; i < s.end; i++ {
		c := s.buf[i]
		if c == '"' {
			b := s.buf[s.pos:i]
			s.pos = i + 1
			if !utf8.Valid(b) {
				s.str = append(s.str[:0], b...)
				return toValidUTF8(s.str), nil
			}
			return b, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	s.str = s.str[:0]
	for {
		if s.pos >= s.end && !s.fill() {
			return nil, s.readErr(s.offset())
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(s.str) {
				return toValidUTF8(s.str), nil
			}
			return s.str, nil
		case c < 0x20:
			return nil, s.errAt(s.offset(), "control character 0x%02x in string starting at byte %d", c, start)
		case c == '\\':
			s.pos++
			r, err := s.readEscape()
			if err != nil {
				return nil, err
			}
			s.str = utf8.AppendRune(s.str, r)
		default:
			// Copy a run of plain bytes at once.
			j := s.pos
			for j < s.end {
				c := s.buf[j]
				if c == '"' || c == '\\' || c < 0x20 {
					break
				}
				j++
			}
			s.str = append(s.str, s.buf[s.pos:j]...)
			s.pos = j
		}
	}
}

func (s *jsonScanner) readEscape() (rune, error) {
	off := s.offset() - 1
	if s.pos >= s.end && !s.fill() {
		return 0, s.readErr(s.offset())
	}
	c := s.buf[s.pos]
	s.pos++
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := s.readHex4()
		if err != nil {
			return 0, err
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate must be followed by \u and a low surrogate;
			// anything else is replaced, as encoding/json does.
			if s.end-s.pos < 6 {
				s.fill()
			}
			if s.end-s.pos >= 6 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
				save := s.pos
				s.pos += 2
				r2, err := s.readHex4()
				if err == nil {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						return d, nil
					}
				}
				s.pos = save
			}
			return utf8.RuneError, nil
		}
		return r, nil
	}
	return 0, s.errAt(off, "invalid escape \\%s in string", strconv.QuoteRune(rune(c)))
}

func (s *jsonScanner) readHex4() (rune, error) {
	for s.end-s.pos < 4 && s.fill() {
	}
	if s.end-s.pos < 4 {
		return 0, s.readErr(s.offset())
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s.buf[s.pos+i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, s.errAt(s.offset()+int64(i), "invalid hex digit %q in \\u escape", c)
		}
		r = r<<4 | rune(v)
	}
	s.pos += 4
	return r, nil
}

func toValidUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// readNumber reads a number literal whose first byte c has been consumed.
// isInt reports a literal without fraction or exponent.
func (s *jsonScanner) readNumber(c byte) (lit []byte, isInt bool, err error) {
	start := s.offset() - 1
	s.num = append(s.num[:0], c)
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				s.num = append(s.num, c)
				s.pos++
				continue
			}
			goto done
		}
		if !s.fill() {
			break
		}
	}
done:
	isInt, ok := validNumber(s.num)
	if !ok {
		return nil, false, s.errAt(start, "invalid number %q", s.num)
	}
	return s.num, isInt, nil
}

// validNumber checks the JSON number grammar.
func validNumber(b []byte) (isInt, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false, false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	return isInt, i == len(b)
}

// readLiteral consumes the rest of true, false or null after its first byte.
func (s *jsonScanner) readLiteral(c byte) error {
	var rest string
	switch c {
	case 't':
		rest = "rue"
	case 'f':
		rest = "alse"
	case 'n':
		rest = "ull"
	}
	start := s.offset() - 1
	for i := 0; i < len(rest); i++ {
		if s.pos >= s.end && !s.fill() {
			return s.readErr(s.offset())
		}
		if s.buf[s.pos] != rest[i] {
			return s.errAt(start, "invalid literal (want %q)", string(c)+rest)
		}
		s.pos++
	}
	return nil
}

// Kinds of JSON values, as seen by a parser that has read the first byte.
type jkind uint8

const (
	kNull jkind = iota
	kBool
	kInt
	kFloat
	kString
	kObject
	kArray
)

func (k jkind) String() string {
	return [...]string{"null", "bool", "integer", "number", "string", "object", "array"}[k]
}

func kindOf(c byte) (jkind, bool) {
	switch c {
	case 'n':
		return kNull, true
	case 't', 'f':
		return kBool, true
	case '"':
		return kString, true
	case '{':
		return kObject, true
	case '[':
		return kArray, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return kInt, true // refined to kFloat by readNumber
	}
	return 0, false
}

func (s *jsonScanner) unexpected(c byte, want string) error {
	return s.errAt(s.offset()-1, "unexpected %s, want %s", quoteByte(c), want)
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// objectNext is called after '{' or after a member value: it consumes the
// separator and returns the next key, or done=true at '}'.
func (s *jsonScanner) objectNext(first bool) (key []byte, done bool, err error) {
	c, err := s.next()
	if err != nil {
		return nil, false, err
	}
	if c == '}' {
		return nil, true, nil
	}
	if !first {
		if c != ',' {
			return nil, false, s.unexpected(c, `"," or "}" in object`)
		}
		if c, err = s.next(); err != nil {
			return nil, false, err
		}
	}
	if c != '"' {
		return nil, false, s.unexpected(c, "a string key in object")
	}
	key, err = s.readString()
	if err != nil {
		return nil, false, err
	}
	// The key may point into buf, which the next read can overwrite.
	s.key = append(s.key[:0], key...)
	key = s.key
	c, err = s.next()
	if err != nil {
		return nil, false, err
	}
	if c != ':' {
		return nil, false, s.unexpected(c, `":" after object key`)
	}
	return key, false, nil
}

// arrayNext is called after '[' or after an element: it consumes the
// separator and reports whether another element follows.
func (s *jsonScanner) arrayNext(first bool) (more bool, err error) {
	c, ok := s.skipWS()
	if !ok {
		return false, s.readErr(s.offset())
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			s.pos++
			return false, s.unexpected(c, `"," or "]" in array`)
		}
		s.pos++
		if _, ok := s.skipWS(); !ok {
			return false, s.readErr(s.offset())
		}
	}
	return true, nil
}

func (s *jsonScanner) enter() error {
	s.depth++
	if s.depth > maxJSONDepth {
		return s.errAt(s.offset(), "nesting deeper than %d", maxJSONDepth)
	}
	return nil
}

func (s *jsonScanner) leave() { s.depth-- }

// appendRaw consumes one value whose first byte c has been consumed and
// appends its compact JSON text to dst (dst may be nil to just skip it).
func (s *jsonScanner) appendRaw(dst []byte, c byte, keep bool) ([]byte, error) {
	switch c {
	case '"':
		b, err := s.readString()
		if err != nil {
			return dst, err
		}
		if keep {
			dst = appendJSONString(dst, b)
		}
		return dst, nil
	case 't', 'f', 'n':
		if err := s.readLiteral(c); err != nil {
			return dst, err
		}
		if keep {
			switch c {
			case 't':
				dst = append(dst, "true"...)
			case 'f':
				dst = append(dst, "false"...)
			default:
				dst = append(dst, "null"...)
			}
		}
		return dst, nil
	case '{':
		if err := s.enter(); err != nil {
			return dst, err
		}
		defer s.leave()
		if keep {
			dst = append(dst, '{')
		}
		for first := true; ; first = false {
			key, done, err := s.objectNext(first)
			if err != nil {
				return dst, err
			}
			if done {
				break
			}
			if keep {
				if !first {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, key)
				dst = append(dst, ':')
			}
			vc, err := s.next()
			if err != nil {
				return dst, err
			}
			if dst, err = s.appendRaw(dst, vc, keep); err != nil {
				return dst, err
			}
		}
		if keep {
			dst = append(dst, '}')
		}
		return dst, nil
	case '[':
		if err := s.enter(); err != nil {
			return dst, err
		}
		defer s.leave()
		if keep {
			dst = append(dst, '[')
		}
		for first := true; ; first = false {
			more, err := s.arrayNext(first)
			if err != nil {
				return dst, err
			}
			if !more {
				break
			}
			if keep && !first {
				dst = append(dst, ',')
			}
			vc, err := s.next()
			if err != nil {
				return dst, err
			}
			if dst, err = s.appendRaw(dst, vc, keep); err != nil {
				return dst, err
			}
		}
		if keep {
			dst = append(dst, ']')
		}
		return dst, nil
	}
	if _, ok := kindOf(c); ok {
		lit, _, err := s.readNumber(c)
		if err != nil {
			return dst, err
		}
		if keep {
			dst = append(dst, lit...)
		}
		return dst, nil
	}
	return dst, s.unexpected(c, "a JSON value")
}

// recordFramer walks the top level of a JSON input: the elements of one
// array document, or the values of a JSON Lines file.
type recordFramer struct {
	s     *jsonScanner
	lines bool
	state int // 0 before start, 1 inside, 2 done
	n     int64
	row   int64 // row of the current record (line or element number)
	start int64 // byte offset of the current record
}

// nextRecord positions the scanner at the first byte of the next record
// (consumed and returned) or reports done.
func (f *recordFramer) nextRecord() (c byte, done bool, err error) {
	s := f.s
	if f.state == 2 {
		return 0, true, nil
	}
	if f.lines {
		if f.state == 1 {
			// The previous record must end its line.
			for s.pos < s.end || s.fill() {
				c := s.buf[s.pos]
				if c == ' ' || c == '\t' || c == '\r' {
					s.pos++
					continue
				}
				if c != '\n' {
					return 0, false, s.errAt(s.offset(), "unexpected %s after a record (one JSON value per line)", quoteByte(c))
				}
				break
			}
		} else {
			s.skipBOM()
			f.state = 1
		}
		c, ok := s.skipWS()
		if !ok {
			if s.rerr != nil && s.rerr != io.EOF {
				return 0, false, &posError{off: s.offset(), err: s.rerr}
			}
			f.state = 2
			return 0, true, nil
		}
		f.n++
		f.row, f.start = s.line, s.offset()
		s.pos++
		return c, false, nil
	}
	first := false
	if f.state == 0 {
		s.skipBOM()
		c, err := s.next()
		if err != nil {
			return 0, false, err
		}
		if c != '[' {
			return 0, false, s.unexpected(c, `"[" at the start of a JSON array document`)
		}
		f.state, first = 1, true
	}
	more, err := s.arrayNext(first)
	if err != nil {
		return 0, false, err
	}
	if !more {
		if c, ok := s.skipWS(); ok {
			s.pos++
			return 0, false, s.unexpected(c, "end of input after the top-level array")
		}
		if s.rerr != nil && s.rerr != io.EOF {
			return 0, false, &posError{off: s.offset(), err: s.rerr}
		}
		f.state = 2
		return 0, true, nil
	}
	f.n++
	f.row, f.start = f.n, s.offset()
	c, err = s.next()
	return c, false, err
}

// dataError wraps an error from inside the current record.
func (f *recordFramer) dataError(file string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &DataError{File: file, Row: f.row, Offset: pe.off, Column: pe.col, Err: pe.err}
	}
	return &DataError{File: file, Row: f.row, Offset: f.start, Err: err}
}

// appendJSONString appends s as a JSON string literal. Only what JSON
// requires is escaped, so output stays readable and deterministic.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
