package arrowio

import (
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// jcol is the build plan for one position of the target schema: the builder
// to append to and, for nested types, the plans of the children.
type jcol struct {
	path     string
	dt       arrow.DataType
	nullable bool
	b        array.Builder // nil for the record root

	fields []*jcol // struct members
	index  map[string]int
	seen   []uint32 // generation stamps to catch duplicate keys
	gen    uint32

	elem     *jcol // list element
	listSize int   // fixed_size_list length
	raw      []byte
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// planJSON binds a plan to builder b of type dt; it rejects types that JSON
// cannot produce, naming the column.
func planJSON(path string, f arrow.Field, b array.Builder) (*jcol, error) {
	c := &jcol{path: path, dt: f.Type, nullable: f.Nullable, b: b}
	switch dt := f.Type.(type) {
	case *arrow.StructType:
		sb := b.(*array.StructBuilder)
		if err := c.planFields(path, dt.Fields(), sb.FieldBuilder); err != nil {
			return nil, err
		}
	case *arrow.ListType:
		e, err := planJSON(path+"[]", dt.ElemField(), b.(*array.ListBuilder).ValueBuilder())
		if err != nil {
			return nil, err
		}
		c.elem = e
	case *arrow.LargeListType:
		e, err := planJSON(path+"[]", dt.ElemField(), b.(*array.LargeListBuilder).ValueBuilder())
		if err != nil {
			return nil, err
		}
		c.elem = e
	case *arrow.FixedSizeListType:
		e, err := planJSON(path+"[]", dt.ElemField(), b.(*array.FixedSizeListBuilder).ValueBuilder())
		if err != nil {
			return nil, err
		}
		c.elem, c.listSize = e, int(dt.Len())
	default:
		if !scalarFromText(f.Type) {
			return nil, fmt.Errorf("column %s: type %s cannot be read from JSON", path, f.Type)
		}
	}
	return c, nil
}

func (c *jcol) planFields(path string, fs []arrow.Field, builder func(int) array.Builder) error {
	c.fields = make([]*jcol, len(fs))
	c.index = make(map[string]int, len(fs))
	c.seen = make([]uint32, len(fs))
	for i, f := range fs {
		fc, err := planJSON(joinPath(path, f.Name), f, builder(i))
		if err != nil {
			return err
		}
		c.fields[i] = fc
		if _, dup := c.index[f.Name]; dup {
			return fmt.Errorf("column %s: duplicate field name", fc.path)
		}
		c.index[f.Name] = i
	}
	return nil
}

func (c *jcol) mismatch(off int64, what string) error {
	return &posError{off: off, col: c.path, err: fmt.Errorf("%s does not fit %s", what, c.dt)}
}

func (c *jcol) appendNull(off int64) error {
	if !c.nullable {
		return &posError{off: off, col: c.path, err: fmt.Errorf("null in non-nullable column")}
	}
	c.b.AppendNull()
	return nil
}

// build reads one value whose first byte c has been consumed into c's builder.
func (c *jcol) build(s *jsonScanner, ch byte) error {
	off := s.offset() - 1
	if ch == 'n' {
		if err := s.readLiteral(ch); err != nil {
			return err
		}
		return c.appendNull(off)
	}
	switch c.dt.ID() {
	case arrow.STRUCT:
		if ch != '{' {
			return c.buildMismatch(s, ch, off)
		}
		c.b.(*array.StructBuilder).Append(true)
		return c.buildMembers(s, off)
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		if ch != '[' {
			return c.buildMismatch(s, ch, off)
		}
		switch b := c.b.(type) {
		case *array.ListBuilder:
			b.Append(true)
		case *array.LargeListBuilder:
			b.Append(true)
		case *array.FixedSizeListBuilder:
			b.Append(true)
		}
		if err := s.enter(); err != nil {
			return err
		}
		defer s.leave()
		n := 0
		for first := true; ; first = false {
			more, err := s.arrayNext(first)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			vc, err := s.next()
			if err != nil {
				return err
			}
			if err := c.elem.build(s, vc); err != nil {
				return err
			}
			n++
		}
		if c.dt.ID() == arrow.FIXED_SIZE_LIST && n != c.listSize {
			return &posError{off: off, col: c.path, err: fmt.Errorf("array of %d elements does not fit %s", n, c.dt)}
		}
		return nil
	case arrow.STRING, arrow.LARGE_STRING:
		switch ch {
		case '"':
			str, err := s.readString()
			if err != nil {
				return err
			}
			return appendText(c.b, str)
		case '{', '[':
			// Declared utf8 for mixed data: keep the raw JSON text.
			var err error
			if c.raw, err = s.appendRaw(c.raw[:0], ch, true); err != nil {
				return err
			}
			return appendText(c.b, c.raw)
		case 't', 'f':
			if err := s.readLiteral(ch); err != nil {
				return err
			}
			if ch == 't' {
				return appendText(c.b, []byte("true"))
			}
			return appendText(c.b, []byte("false"))
		}
		lit, _, err := s.readNumberOrFail(ch)
		if err != nil {
			return err
		}
		return appendText(c.b, lit)
	case arrow.BOOL:
		if ch != 't' && ch != 'f' {
			return c.buildMismatch(s, ch, off)
		}
		if err := s.readLiteral(ch); err != nil {
			return err
		}
		c.b.(*array.BooleanBuilder).Append(ch == 't')
		return nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		k, _ := kindOf(ch)
		if k != kInt {
			return c.buildMismatch(s, ch, off)
		}
		lit, isInt, err := s.readNumber(ch)
		if err != nil {
			return err
		}
		if !isInt {
			return &posError{off: off, col: c.path, err: fmt.Errorf("%s does not fit %s", lit, c.dt)}
		}
		if err := appendText(c.b, lit); err != nil {
			return &posError{off: off, col: c.path, err: err}
		}
		return nil
	case arrow.FLOAT32, arrow.FLOAT64:
		k, _ := kindOf(ch)
		if k != kInt {
			return c.buildMismatch(s, ch, off)
		}
		lit, _, err := s.readNumber(ch)
		if err != nil {
			return err
		}
		if err := appendText(c.b, lit); err != nil {
			return &posError{off: off, col: c.path, err: err}
		}
		return nil
	}
	// Dates, timestamps and binary come from strings (or integers for
	// dates and timestamps, as their raw value).
	var text []byte
	var err error
	switch k, _ := kindOf(ch); {
	case ch == '"':
		text, err = s.readString()
	case k == kInt && (c.dt.ID() == arrow.DATE32 || c.dt.ID() == arrow.TIMESTAMP):
		text, _, err = s.readNumber(ch)
	default:
		return c.buildMismatch(s, ch, off)
	}
	if err != nil {
		return err
	}
	if err := appendText(c.b, text); err != nil {
		return &posError{off: off, col: c.path, err: err}
	}
	return nil
}

func (s *jsonScanner) readNumberOrFail(ch byte) ([]byte, bool, error) {
	if k, ok := kindOf(ch); !ok || k != kInt {
		return nil, false, s.unexpected(ch, "a JSON value")
	}
	return s.readNumber(ch)
}

// buildMismatch reports a value of the wrong JSON kind, after checking that
// it is at least a JSON value (so syntax errors win over type errors).
func (c *jcol) buildMismatch(s *jsonScanner, ch byte, off int64) error {
	k, ok := kindOf(ch)
	if !ok {
		return s.unexpected(ch, "a JSON value")
	}
	if k == kInt {
		if _, isInt, err := s.readNumber(ch); err != nil {
			return err
		} else if !isInt {
			k = kFloat
		}
	}
	return c.mismatch(off, "a JSON "+k.String())
}

// buildMembers reads the members of an object (after '{') into c's fields.
// Members the schema does not declare are skipped; missing ones are null.
func (c *jcol) buildMembers(s *jsonScanner, off int64) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	c.gen++
	if c.gen == 0 {
		clear(c.seen)
		c.gen = 1
	}
	for first := true; ; first = false {
		key, done, err := s.objectNext(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		i, ok := c.index[string(key)]
		if !ok {
			vc, err := s.next()
			if err != nil {
				return err
			}
			if _, err := s.appendRaw(nil, vc, false); err != nil {
				return err
			}
			continue
		}
		f := c.fields[i]
		if c.seen[i] == c.gen {
			return &posError{off: s.offset(), col: f.path, err: fmt.Errorf("duplicate key %q in object", key)}
		}
		c.seen[i] = c.gen
		vc, err := s.next()
		if err != nil {
			return err
		}
		if err := f.build(s, vc); err != nil {
			return err
		}
	}
	for i, f := range c.fields {
		if c.seen[i] != c.gen {
			if err := f.appendNull(off); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonSource streams one JSON or JSON Lines file as batches of schema.
type jsonSource struct {
	path      string
	fh        *os.File
	s         *jsonScanner
	fr        *recordFramer
	rb        *array.RecordBuilder
	root      *jcol
	valueMode bool // records are bare values of the single column
	batch     int
}

func newJSONSource(mem memory.Allocator, path string, rf resolvedFormat, schema *arrow.Schema, valueMode bool, batch int) (*jsonSource, error) {
	rb := array.NewRecordBuilder(mem, schema)
	root := &jcol{}
	if err := root.planFields("", schema.Fields(), func(i int) array.Builder { return rb.Field(i) }); err != nil {
		rb.Release()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	fh, err := os.Open(path)
	if err != nil {
		rb.Release()
		return nil, err
	}
	s := newJSONScanner(fh, 64<<10)
	return &jsonSource{
		path: path, fh: fh, s: s, fr: &recordFramer{s: s, lines: rf == fmtJSONLines},
		rb: rb, root: root, valueMode: valueMode, batch: batch,
	}, nil
}

func (j *jsonSource) next() (arrow.RecordBatch, error) {
	n := 0
	for n < j.batch {
		c, done, err := j.fr.nextRecord()
		if err != nil {
			return nil, j.fr.dataError(j.path, err)
		}
		if done {
			break
		}
		if err := j.record(c); err != nil {
			return nil, j.fr.dataError(j.path, err)
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return j.rb.NewRecordBatch(), nil
}

func (j *jsonSource) record(c byte) error {
	off := j.s.offset() - 1
	if j.valueMode {
		return j.root.fields[0].build(j.s, c)
	}
	switch c {
	case '{':
		return j.root.buildMembers(j.s, off)
	case 'n':
		// A null record is a row of nulls.
		if err := j.s.readLiteral(c); err != nil {
			return err
		}
		for _, f := range j.root.fields {
			if err := f.appendNull(off); err != nil {
				return err
			}
		}
		return nil
	}
	if _, ok := kindOf(c); !ok {
		return j.s.unexpected(c, "a JSON value")
	}
	return &posError{off: off, err: fmt.Errorf("record is not a JSON object")}
}

func (j *jsonSource) close() error {
	j.rb.Release()
	return j.fh.Close()
}
