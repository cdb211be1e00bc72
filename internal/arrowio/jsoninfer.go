package arrowio

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// valueColumn names the single column of a JSON input whose records are not
// objects (e.g. an array of strings).
const valueColumn = "value"

// tnode is the type inferred so far for one position in the JSON data.
type tnode struct {
	name     string
	parent   *tnode
	isElem   bool
	kind     jkind // kNull until a non-null value is seen
	firstRow int64 // row where kind was first seen, for conflict messages
	fields   []*tnode
	index    map[string]int
	elem     *tnode
}

func (n *tnode) path() string {
	if n.parent == nil {
		return ""
	}
	pp := n.parent.path()
	if n.isElem {
		return pp + "[]"
	}
	if pp == "" {
		return n.name
	}
	return pp + "." + n.name
}

func isScalar(k jkind) bool { return k <= kString }

func (n *tnode) observe(k jkind, row, off int64) error {
	switch {
	case k == kNull || k == n.kind:
		return nil
	case n.kind == kNull:
		n.kind, n.firstRow = k, row
		return nil
	case isScalar(n.kind) && isScalar(k):
		if (n.kind == kInt && k == kFloat) || (n.kind == kFloat && k == kInt) {
			n.kind = kFloat
		} else {
			// Numbers stored as strings must stay strings; any other
			// disagreement between scalars keeps the literal text too.
			n.kind = kString
		}
		return nil
	}
	col := n.path()
	what := "column"
	if col == "" {
		what = "record"
	}
	return &posError{off: off, col: col, err: fmt.Errorf(
		"%s is %s here but %s at row %d; mixing objects, arrays and scalars is not inferred (declare the %s utf8 to keep the raw JSON text)",
		what, k, n.kind, n.firstRow, what)}
}

func (n *tnode) field(name []byte) *tnode {
	if i, ok := n.index[string(name)]; ok {
		return n.fields[i]
	}
	if n.index == nil {
		n.index = make(map[string]int)
	}
	f := &tnode{name: string(name), parent: n}
	n.index[f.name] = len(n.fields)
	n.fields = append(n.fields, f)
	return f
}

// infer reads one value whose first byte c has been consumed.
func (n *tnode) infer(s *jsonScanner, c byte, row int64) error {
	off := s.offset() - 1
	switch c {
	case '{':
		if err := n.observe(kObject, row, off); err != nil {
			return err
		}
		if err := s.enter(); err != nil {
			return err
		}
		defer s.leave()
		for first := true; ; first = false {
			key, done, err := s.objectNext(first)
			if err != nil || done {
				return err
			}
			child := n.field(key)
			vc, err := s.next()
			if err != nil {
				return err
			}
			if err := child.infer(s, vc, row); err != nil {
				return err
			}
		}
	case '[':
		if err := n.observe(kArray, row, off); err != nil {
			return err
		}
		if err := s.enter(); err != nil {
			return err
		}
		defer s.leave()
		if n.elem == nil {
			n.elem = &tnode{parent: n, isElem: true}
		}
		for first := true; ; first = false {
			more, err := s.arrayNext(first)
			if err != nil || !more {
				return err
			}
			vc, err := s.next()
			if err != nil {
				return err
			}
			if err := n.elem.infer(s, vc, row); err != nil {
				return err
			}
		}
	case '"':
		if _, err := s.readString(); err != nil {
			return err
		}
		return n.observe(kString, row, off)
	case 't', 'f', 'n':
		if err := s.readLiteral(c); err != nil {
			return err
		}
		if c == 'n' {
			return nil
		}
		return n.observe(kBool, row, off)
	}
	if _, ok := kindOf(c); !ok {
		return s.unexpected(c, "a JSON value")
	}
	lit, isInt, err := s.readNumber(c)
	if err != nil {
		return err
	}
	k := kFloat
	if isInt && fitsInt64(lit) {
		k = kInt
	}
	return n.observe(k, row, off)
}

func fitsInt64(lit []byte) bool {
	if len(lit) <= 18 {
		return true
	}
	_, err := strconv.ParseInt(string(lit), 10, 64)
	return err == nil
}

func (n *tnode) arrowType() arrow.DataType {
	switch n.kind {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt:
		return arrow.PrimitiveTypes.Int64
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kObject:
		fs := make([]arrow.Field, len(n.fields))
		for i, f := range n.fields {
			fs[i] = arrow.Field{Name: f.name, Type: f.arrowType(), Nullable: true}
		}
		return arrow.StructOf(fs...)
	case kArray:
		et := arrow.DataType(arrow.BinaryTypes.String)
		if n.elem != nil {
			et = n.elem.arrowType()
		}
		return arrow.ListOf(et)
	}
	// Strings, mixed scalars, and fields that were only ever null.
	return arrow.BinaryTypes.String
}

// jsonFields turns the inferred root into top-level fields: the members of
// object records, or one "value" column for records that are not objects.
func (n *tnode) jsonFields() []arrow.Field {
	switch n.kind {
	case kObject:
		return n.arrowType().(*arrow.StructType).Fields()
	case kNull:
		return nil
	}
	return []arrow.Field{{Name: valueColumn, Type: n.arrowType(), Nullable: true}}
}

// inferJSONFile is the first pass over one file, widening root.
func inferJSONFile(ctx context.Context, path string, rf resolvedFormat, root *tnode) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	s := newJSONScanner(fh, 64<<10)
	fr := &recordFramer{s: s, lines: rf == fmtJSONLines}
	for {
		c, done, err := fr.nextRecord()
		if err != nil {
			return fr.dataError(path, err)
		}
		if done {
			return nil
		}
		if fr.n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := root.infer(s, c, fr.row); err != nil {
			return fr.dataError(path, err)
		}
	}
}
