package arrowio

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/apache/arrow-go/v18/parquet/variant"
)

// Parquet VARIANT columns (the Arrow extension type arrow.parquet.variant,
// shredded or not, from Parquet or Arrow IPC) are read as utf8: each value
// as JSON text. The logical digest has no variant form, and a variant's
// binary encoding is not canonical (one value has many encodings, and a
// shredded value is spread over several columns), so the reader
// reconstructs each value as the Parquet shredding spec defines
// (VariantShredding.md) and writes it in one canonical JSON text:
//
//   - a null of the column (the variant group itself is null: the value is
//     missing) is a null of the utf8 column; a variant null, including a
//     present group whose value and typed_value are both null, is the text
//     `null`: a null of the column and the four-letter text tell them
//     apart;
//   - booleans are true and false; int8 to int64 are JSON integers, exact;
//     decimals (4, 8, 16 bytes) are JSON numbers with every digit and no
//     exponent, without trailing fraction zeros ("1.5" for 1.50 at scale 2);
//     float and double are numbers with the fewest digits that read back
//     to the same float (as float32 for float: 10.11, not
//     10.109999656677246), in JavaScript's notation (an exponent only below
//     1e-6 and from 1e21 on: 1234567890.1234, 1e+21, 1e-7); NaN and ±Inf,
//     which JSON has no numbers for, are the strings "NaN", "Infinity" and
//     "-Infinity";
//   - strings are JSON strings (invalid UTF-8 is an error); binary is a
//     base64 (standard, padded) string; uuid its lowercase 8-4-4-4-12 string;
//   - date is "YYYY-MM-DD"; time (of day, microseconds) "HH:MM:SS[.ffffff]";
//     timestamp with time zone (micro- or nanoseconds) RFC 3339 in UTC,
//     "2024-11-07T12:33:54.123456Z"; timestamp without time zone the same
//     without the "Z"; fraction digits only as far as they are not zero;
//   - objects are JSON objects with their keys in byte order (the order the
//     variant encoding requires, also for objects merged from shredded and
//     residual fields); a shredded field that is missing is left out, one
//     holding a variant null is `"key":null`; arrays are JSON arrays.
//
// Input is untrusted: metadata and values are validated (bounds, offsets,
// sorted unique keys, nesting depth at most 1024) before they are read, and
// shredded input must follow the spec (a value beside a shredded primitive
// or array, a residual that is not an object or repeats a shredded field,
// an unsigned or other unlisted typed_value type) — each is an error naming
// the row, never a guess.

// isVariantType reports whether dt is the Parquet variant extension type.
func isVariantType(dt arrow.DataType) bool {
	et, ok := dt.(arrow.ExtensionType)
	return ok && extensions.IsVariantExtensionName(et.ExtensionName())
}

// variantRowError is a variant that cannot be read, at index row of the
// array being converted.
type variantRowError struct {
	row int
	err error
}

func (e *variantRowError) Error() string { return fmt.Sprintf("variant value: %v", e.err) }
func (e *variantRowError) Unwrap() error { return e.err }

// rowOf is the 1-based file row of err when it is a variant error in a
// top-level column (convBatch keeps the index only then), else first.
func rowOf(err error, first int64) int64 {
	var re *variantRowError
	if errors.As(err, &re) {
		return first + int64(re.row)
	}
	return first
}

// columnError wraps a conversion error of the top-level column f. A
// variant's index is a row of the batch only when no list, map or other
// reindexing type lies between the column and the variant; otherwise it is
// reported as an element index.
func columnError(f arrow.Field, err error) error {
	var re *variantRowError
	if errors.As(err, &re) && !rowAligned(f.Type) {
		err = fmt.Errorf("element %d: %w", re.row, re.err)
	}
	return fmt.Errorf("column %q: %w", f.Name, err)
}

func rowAligned(dt arrow.DataType) bool {
	if isVariantType(dt) {
		return true
	}
	if st, ok := dt.(*arrow.StructType); ok {
		for _, f := range st.Fields() {
			if _, ch := convType(f.Type); ch && !rowAligned(f.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// bytesCol reads a binary column (binary, large_binary, binary_view, or a
// dictionary of one).
type bytesCol struct {
	arr  arrow.Array
	vals arrow.TypedArray[[]byte]
	dict *array.Dictionary // when arr is dictionary-encoded
}

func newBytesCol(arr arrow.Array, what string) (*bytesCol, error) {
	switch a := arr.(type) {
	case *array.Binary, *array.LargeBinary, *array.BinaryView:
		return &bytesCol{arr: arr, vals: a.(arrow.TypedArray[[]byte])}, nil
	case *array.Dictionary:
		if v, ok := a.Dictionary().(arrow.TypedArray[[]byte]); ok && isBinaryType(v.DataType()) {
			return &bytesCol{arr: arr, vals: v, dict: a}, nil
		}
	}
	return nil, fmt.Errorf("%s has type %s; a variant's %s must be binary", what, arr.DataType(), what)
}

func isBinaryType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return true
	}
	return false
}

func (c *bytesCol) isNull(i int) bool { return c.arr.IsNull(i) }

func (c *bytesCol) value(i int) ([]byte, error) {
	if c.dict == nil {
		return c.vals.Value(i), nil
	}
	k := c.dict.GetValueIndex(i)
	if k < 0 || k >= c.vals.Len() {
		return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", k, c.vals.Len())
	}
	return c.vals.Value(k), nil
}

// A vgroup is a shredding group: a value (variant bytes) and a typed_value
// column, either of which may be absent.
type vgroup struct {
	path  string // for messages: "", "typed_value.a", "typed_value[]"...
	value *bytesCol
	typed *vtyped
}

type vkind int

const (
	vPrim vkind = iota
	vList
	vObject
)

type vtyped struct {
	kind   vkind
	arr    arrow.Array
	list   array.ListLike // vList
	elem   *vgroup        // vList
	fields []vfield       // vObject, sorted by name
}

type vfield struct {
	name string
	st   *array.Struct
	g    *vgroup
}

func (t *vtyped) isNull(i int) bool { return t.arr.IsNull(i) }

// newVGroup reads the shredding group st (its fields value and typed_value;
// metadata too at the top).
func newVGroup(st *array.Struct, path string, top bool) (*vgroup, error) {
	g := &vgroup{path: path}
	stt := st.DataType().(*arrow.StructType)
	for k, f := range stt.Fields() {
		child := st.Field(k)
		switch f.Name {
		case "value":
			c, err := newBytesCol(child, join(path, "value"))
			if err != nil {
				return nil, err
			}
			g.value = c
		case "typed_value":
			t, err := newVTyped(child, join(path, "typed_value"))
			if err != nil {
				return nil, err
			}
			g.typed = t
		case "metadata":
			if !top {
				return nil, fmt.Errorf("%s has a metadata field; only the variant's top level has one", orTop(path))
			}
		default:
			return nil, fmt.Errorf("%s has a field %q; a variant shredding group has only value and typed_value", orTop(path), f.Name)
		}
	}
	if g.value == nil && g.typed == nil {
		return nil, fmt.Errorf("%s has neither value nor typed_value", orTop(path))
	}
	return g, nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orTop(path string) string {
	if path == "" {
		return "the variant"
	}
	return path
}

// newVTyped checks that arr's type is one the shredding spec allows for a
// typed_value and prepares to read it.
func newVTyped(arr arrow.Array, path string) (*vtyped, error) {
	t := &vtyped{arr: arr}
	switch a := arr.(type) {
	case *array.Struct:
		t.kind = vObject
		seen := map[string]bool{}
		for k, f := range a.DataType().(*arrow.StructType).Fields() {
			fst, ok := a.Field(k).(*array.Struct)
			if !ok {
				return nil, fmt.Errorf("%s.%s has type %s; a shredded object field must be a group of value and typed_value", path, f.Name, f.Type)
			}
			if seen[f.Name] {
				return nil, fmt.Errorf("%s has two fields named %q", path, f.Name)
			}
			seen[f.Name] = true
			g, err := newVGroup(fst, path+"."+f.Name, false)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, vfield{name: f.Name, st: fst, g: g})
		}
		sort.Slice(t.fields, func(i, j int) bool { return t.fields[i].name < t.fields[j].name })
		return t, nil
	case *array.List, *array.LargeList, *array.ListView, *array.LargeListView:
		ll := a.(array.ListLike)
		est, ok := ll.ListValues().(*array.Struct)
		if !ok {
			return nil, fmt.Errorf("%s has type %s; a shredded array's element must be a group of value and typed_value", path, arr.DataType())
		}
		g, err := newVGroup(est, path+"[]", false)
		if err != nil {
			return nil, err
		}
		t.kind, t.list, t.elem = vList, ll, g
		return t, nil
	case *array.Boolean, *array.Int8, *array.Int16, *array.Int32, *array.Int64,
		*array.Float32, *array.Float64, *array.Decimal32, *array.Decimal64, *array.Decimal128,
		*array.Date32, *array.String, *array.LargeString, *array.StringView,
		*array.Binary, *array.LargeBinary, *array.BinaryView:
		return t, nil
	case *array.Time64:
		if a.DataType().(*arrow.Time64Type).Unit == arrow.Microsecond {
			return t, nil
		}
	case *array.Timestamp:
		if u := a.DataType().(*arrow.TimestampType).Unit; u == arrow.Microsecond || u == arrow.Nanosecond {
			return t, nil
		}
	case *extensions.UUIDArray:
		return t, nil
	}
	return nil, fmt.Errorf("%s has type %s, which Parquet variant shredding does not allow", path, arr.DataType())
}

// variantToJSON converts a variant extension array to utf8 JSON text (see
// the comment at the top of this file).
func variantToJSON(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	ext, ok := arr.(array.ExtensionArray)
	if !ok {
		return nil, fmt.Errorf("variant column of Go type %T", arr)
	}
	st, ok := ext.Storage().(*array.Struct)
	if !ok {
		return nil, fmt.Errorf("variant storage %s is not a struct", ext.Storage().DataType())
	}
	mi, ok := st.DataType().(*arrow.StructType).FieldIdx("metadata")
	if !ok {
		return nil, errors.New("variant storage has no metadata field")
	}
	meta, err := newBytesCol(st.Field(mi), "metadata")
	if err != nil {
		return nil, err
	}
	root, err := newVGroup(st, "", true)
	if err != nil {
		return nil, err
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(st.Len())
	r := variantRenderer{}
	total := 0
	for i := 0; i < st.Len(); i++ {
		if st.IsNull(i) {
			b.AppendNull()
			continue
		}
		out, err := r.row(meta, root, i)
		if err != nil {
			return nil, &variantRowError{row: i, err: err}
		}
		if total += len(out); total > math.MaxInt32 {
			return nil, &variantRowError{row: i, err: errors.New("the batch's JSON text exceeds 2 GiB; read with a smaller batch size")}
		}
		b.BinaryBuilder.Append(out)
	}
	return b.NewArray(), nil
}

type variantRenderer struct {
	buf      []byte
	lastMeta []byte
	md       variant.Metadata
	mdErr    error
}

// row renders row i of the variant whose metadata is meta and top-level
// shredding group root.
func (r *variantRenderer) row(meta *bytesCol, root *vgroup, i int) ([]byte, error) {
	if meta.isNull(i) {
		return nil, errors.New("metadata is null")
	}
	mb, err := meta.value(i)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if r.lastMeta == nil || string(mb) != string(r.lastMeta) {
		r.md, r.mdErr = variant.NewMetadata(mb)
		r.lastMeta = append(r.lastMeta[:0], mb...)
		if r.lastMeta == nil {
			r.lastMeta = []byte{}
		}
	}
	if r.mdErr != nil {
		return nil, r.mdErr
	}
	out, present, err := r.group(r.buf[:0], root, i)
	if err != nil {
		return nil, err
	}
	if !present {
		// A present variant whose value and typed_value are both null is a
		// variant null (VariantShredding.md).
		out = append(out, "null"...)
	}
	r.buf = out
	return out, nil
}

// group appends the value of shredding group g at index i; present is
// false when both its value and typed_value are null (missing).
func (r *variantRenderer) group(dst []byte, g *vgroup, i int) ([]byte, bool, error) {
	vNull := g.value == nil || g.value.isNull(i)
	tNull := g.typed == nil || g.typed.isNull(i)
	if tNull {
		if vNull {
			return dst, false, nil
		}
		v, err := r.decode(g, i)
		if err != nil {
			return dst, false, err
		}
		if g.typed != nil && g.typed.kind == vObject && v.Type() == variant.Object {
			return dst, false, fmt.Errorf("%s is an object while typed_value, a shredded object, is null (invalid shredding)", join(g.path, "value"))
		}
		dst, err = appendVariantJSON(dst, v)
		return dst, true, err
	}
	t := g.typed
	switch t.kind {
	case vObject:
		return r.object(dst, g, i, vNull)
	case vList:
		if !vNull {
			return dst, false, fmt.Errorf("%s and %s are both set for an array (conflicting value and typed_value)", join(g.path, "value"), join(g.path, "typed_value"))
		}
		s, e := t.list.ValueOffsets(i)
		dst = append(dst, '[')
		for j := s; j < e; j++ {
			if j > s {
				dst = append(dst, ',')
			}
			var present bool
			var err error
			if dst, present, err = r.group(dst, t.elem, int(j)); err != nil {
				return dst, false, err
			}
			if !present {
				dst = append(dst, "null"...) // an array element cannot be missing
			}
		}
		return append(dst, ']'), true, nil
	default:
		if !vNull {
			return dst, false, fmt.Errorf("%s and %s are both set (conflicting value and typed_value)", join(g.path, "value"), join(g.path, "typed_value"))
		}
		dst, err := appendTypedJSON(dst, t.arr, i)
		if err != nil {
			err = fmt.Errorf("%s: %w", join(g.path, "typed_value"), err)
		}
		return dst, true, err
	}
}

func (r *variantRenderer) decode(g *vgroup, i int) (variant.Value, error) {
	vb, err := g.value.value(i)
	if err != nil {
		return variant.Value{}, fmt.Errorf("%s: %w", join(g.path, "value"), err)
	}
	v, err := variant.NewWithMetadata(r.md, vb)
	if err != nil {
		return variant.Value{}, fmt.Errorf("%s: %w", join(g.path, "value"), err)
	}
	return v, nil
}

// object appends a shredded object: its shredded fields merged, in key
// order, with the fields of the residual object in value (if any).
func (r *variantRenderer) object(dst []byte, g *vgroup, i int, vNull bool) ([]byte, bool, error) {
	var rest variant.ObjectValue
	n := uint32(0)
	if !vNull {
		v, err := r.decode(g, i)
		if err != nil {
			return dst, false, err
		}
		if v.Type() != variant.Object {
			return dst, false, fmt.Errorf("%s is not an object but typed_value has shredded fields (invalid shredding)", join(g.path, "value"))
		}
		rest = v.Value().(variant.ObjectValue)
		n = rest.NumElements()
	}
	fields := g.typed.fields
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	k := 0
	for j := uint32(0); j < n || k < len(fields); {
		var rf variant.ObjectField
		if j < n {
			var err error
			if rf, err = rest.FieldAt(j); err != nil {
				return dst, false, fmt.Errorf("%s: %w", join(g.path, "value"), err)
			}
		}
		if k < len(fields) && (j >= n || fields[k].name <= rf.Key) {
			f := fields[k]
			if j < n && f.name == rf.Key {
				return dst, false, fmt.Errorf("field %q is both shredded in %s and present in %s (invalid shredding)", f.name, join(g.path, "typed_value"), join(g.path, "value"))
			}
			k++
			if f.st.IsNull(i) {
				return dst, false, fmt.Errorf("%s is null; a shredded object field group must be present", f.g.path)
			}
			mark, wasFirst := len(dst), first
			sep()
			var present bool
			var err error
			if dst, err = appendKey(dst, f.name); err != nil {
				return dst, false, err
			}
			if dst, present, err = r.group(dst, f.g, i); err != nil {
				return dst, false, err
			}
			if !present { // a missing field is left out
				dst, first = dst[:mark], wasFirst
			}
			continue
		}
		j++
		sep()
		var err error
		if dst, err = appendKey(dst, rf.Key); err != nil {
			return dst, false, err
		}
		if dst, err = appendVariantJSON(dst, rf.Value); err != nil {
			return dst, false, err
		}
	}
	return append(dst, '}'), true, nil
}

func appendKey(dst []byte, k string) ([]byte, error) {
	if !utf8.ValidString(k) {
		return dst, fmt.Errorf("object key %q is not valid UTF-8", k)
	}
	dst = appendJSONString(dst, []byte(k))
	return append(dst, ':'), nil
}

// appendVariantJSON appends the (validated) variant value v as JSON text.
func appendVariantJSON(dst []byte, v variant.Value) ([]byte, error) {
	switch v.Type() {
	case variant.Object:
		o := v.Value().(variant.ObjectValue)
		dst = append(dst, '{')
		for j := uint32(0); j < o.NumElements(); j++ {
			f, err := o.FieldAt(j)
			if err != nil {
				return dst, err
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendKey(dst, f.Key); err != nil {
				return dst, err
			}
			if dst, err = appendVariantJSON(dst, f.Value); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case variant.Array:
		a := v.Value().(variant.ArrayValue)
		dst = append(dst, '[')
		for j := uint32(0); j < a.Len(); j++ {
			e, err := a.Value(j)
			if err != nil {
				return dst, err
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendVariantJSON(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case variant.Null:
		return append(dst, "null"...), nil
	case variant.String:
		// Read from the bytes: arrow-go v18.8.0's Value() indexes past the
		// end of a long-form (primitive) empty string, a valid encoding.
		return appendVariantStringBytes(dst, variantStringBytes(v.Bytes()))
	}
	switch x := v.Value().(type) {
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float32:
		return appendVariantFloat(dst, float64(x), 32), nil
	case float64:
		return appendVariantFloat(dst, x, 64), nil
	case variant.DecimalValue[decimal.Decimal32]:
		return appendDecimal64(dst, int64(x.Value.(decimal.Decimal32)), int32(x.Scale)), nil
	case variant.DecimalValue[decimal.Decimal64]:
		return appendDecimal64(dst, int64(x.Value.(decimal.Decimal64)), int32(x.Scale)), nil
	case variant.DecimalValue[decimal.Decimal128]:
		return append(dst, exactDecimal(x.Value.(decimal.Decimal128).BigInt(), int32(x.Scale))...), nil
	case []byte:
		return appendBase64(dst, x), nil
	case arrow.Date32:
		return appendVariantDate(dst, int32(x)), nil
	case arrow.Time64:
		return appendVariantTime(dst, int64(x))
	case arrow.Timestamp:
		switch v.Type() {
		case variant.TimestampMicros:
			return appendVariantTimestamp(dst, time.UnixMicro(int64(x)), true), nil
		case variant.TimestampMicrosNTZ:
			return appendVariantTimestamp(dst, time.UnixMicro(int64(x)), false), nil
		case variant.TimestampNanos:
			return appendVariantTimestamp(dst, time.Unix(0, int64(x)), true), nil
		case variant.TimestampNanosNTZ:
			return appendVariantTimestamp(dst, time.Unix(0, int64(x)), false), nil
		}
	}
	if v.Type() == variant.UUID {
		return appendUUID(dst, v.Bytes()[1:]), nil
	}
	return dst, fmt.Errorf("variant of type %d has no JSON form", v.Type())
}

// variantStringBytes returns the UTF-8 bytes of the validated variant
// string b: a short string (basic type 1, length in the header) or a
// primitive string (type 16, a 4-byte little-endian length).
func variantStringBytes(b []byte) []byte {
	if b[0]&0b11 == 1 {
		return b[1 : 1+int(b[0]>>2)]
	}
	return b[5 : 5+int(binary.LittleEndian.Uint32(b[1:5]))]
}

// appendTypedJSON appends slot i of a shredded typed_value primitive
// column arr (a type newVTyped allows) as JSON text.
func appendTypedJSON(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	switch a := arr.(type) {
	case *array.Boolean:
		return strconv.AppendBool(dst, a.Value(i)), nil
	case *array.Int8:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10), nil
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10), nil
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(i), 10), nil
	case *array.Float32:
		return appendVariantFloat(dst, float64(a.Value(i)), 32), nil
	case *array.Float64:
		return appendVariantFloat(dst, a.Value(i), 64), nil
	case *array.Decimal32:
		return appendDecimal64(dst, int64(a.Value(i)), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.Decimal64:
		return appendDecimal64(dst, int64(a.Value(i)), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.Decimal128:
		if d := a.Value(i); d.FitsInPrecision(18) {
			return appendDecimal64(dst, int64(d.LowBits()), a.DataType().(arrow.DecimalType).GetScale()), nil
		}
		return append(dst, exactDecimal(a.Value(i).BigInt(), a.DataType().(arrow.DecimalType).GetScale())...), nil
	case *array.Date32:
		return appendVariantDate(dst, int32(a.Value(i))), nil
	case *array.Time64:
		return appendVariantTime(dst, int64(a.Value(i)))
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		t := time.UnixMicro(int64(a.Value(i)))
		if tt.Unit == arrow.Nanosecond {
			t = time.Unix(0, int64(a.Value(i)))
		}
		return appendVariantTimestamp(dst, t, tt.TimeZone != ""), nil
	case *array.String:
		return appendVariantString(dst, a.Value(i))
	case *array.LargeString:
		return appendVariantString(dst, a.Value(i))
	case *array.StringView:
		return appendVariantString(dst, a.Value(i))
	case *array.Binary:
		return appendBase64(dst, a.Value(i)), nil
	case *array.LargeBinary:
		return appendBase64(dst, a.Value(i)), nil
	case *array.BinaryView:
		return appendBase64(dst, a.Value(i)), nil
	case *extensions.UUIDArray:
		b := a.Storage().(*array.FixedSizeBinary).Value(i)
		if len(b) != 16 {
			return dst, fmt.Errorf("uuid of %d bytes", len(b))
		}
		return appendUUID(dst, b), nil
	}
	return dst, fmt.Errorf("type %s has no variant JSON form", arr.DataType())
}

// appendDecimal64 appends unscaled·10^-scale as exactDecimal writes it,
// without going through big.Int.
func appendDecimal64(dst []byte, unscaled int64, scale int32) []byte {
	if scale < 0 || scale > 18 || unscaled == math.MinInt64 {
		return append(dst, exactDecimal(big.NewInt(unscaled), scale)...)
	}
	if unscaled < 0 {
		dst = append(dst, '-')
		unscaled = -unscaled
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], uint64(unscaled), 10)
	n := int(scale)
	if n == 0 {
		return append(dst, digits...)
	}
	for len(digits) <= n {
		digits = append([]byte{'0'}, digits...)
	}
	intPart, frac := digits[:len(digits)-n], digits[len(digits)-n:]
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	dst = append(dst, intPart...)
	if len(frac) > 0 {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst
}

func appendVariantFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	// Shortest round-trip digits in JavaScript's notation (as encoding/json
	// writes them): an exponent only below 1e-6 and from 1e21 on.
	format, abs := byte('f'), math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 -> 1e-7
		if m := len(dst) - n; m >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

func appendVariantString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return dst, errors.New("string is not valid UTF-8")
	}
	return appendJSONString(dst, []byte(s)), nil
}

func appendVariantStringBytes(dst []byte, s []byte) ([]byte, error) {
	if !utf8.Valid(s) {
		return dst, errors.New("string is not valid UTF-8")
	}
	return appendJSONString(dst, s), nil
}

func appendVariantDate(dst []byte, days int32) []byte {
	return appendQuoted(dst, time.Unix(int64(days)*86400, 0).UTC().Format(time.DateOnly))
}

func appendVariantTime(dst []byte, micros int64) ([]byte, error) {
	if micros < 0 || micros >= microsPerDay {
		return dst, fmt.Errorf("time of day %d µs is outside [00:00, 24:00)", micros)
	}
	return appendQuoted(dst, time.UnixMicro(micros).UTC().Format("15:04:05.999999")), nil
}

func appendVariantTimestamp(dst []byte, t time.Time, utc bool) []byte {
	t = t.UTC()
	if utc {
		return appendQuoted(dst, t.Format(time.RFC3339Nano))
	}
	return appendQuoted(dst, t.Format(naiveTimestamp))
}

func appendUUID(dst, b []byte) []byte {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	dst = append(dst, '"')
	dst = append(dst, s[:]...)
	return append(dst, '"')
}

// checkVariantParquetSchema checks the shredding layout of every VARIANT
// group of a Parquet schema where arrow-go's own check names neither the
// column nor the rule: a shredded object's field groups must be required.
func checkVariantParquetSchema(root *schema.GroupNode) error {
	var walk func(g *schema.GroupNode) error
	walk = func(g *schema.GroupNode) error {
		for i := 0; i < g.NumFields(); i++ {
			c, ok := g.Field(i).(*schema.GroupNode)
			if !ok {
				continue
			}
			if _, v := c.LogicalType().(schema.VariantLogicalType); v {
				if err := checkShredGroup(c, ""); err != nil {
					return &DataError{Row: -1, Offset: -1, Column: c.Path(), Err: err}
				}
				continue
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

func checkShredGroup(g *schema.GroupNode, path string) error {
	i := g.FieldIndexByName("typed_value")
	if i < 0 {
		return nil
	}
	tv, ok := g.Field(i).(*schema.GroupNode)
	if !ok {
		return nil
	}
	path = join(path, "typed_value")
	if _, list := tv.LogicalType().(schema.ListLogicalType); list {
		// repeated group list { required group element { ... } }
		if tv.NumFields() == 1 {
			if l, ok := tv.Field(0).(*schema.GroupNode); ok && l.NumFields() == 1 {
				if e, ok := l.Field(0).(*schema.GroupNode); ok {
					return checkShredGroup(e, path+"[]")
				}
			}
		}
		return nil
	}
	for k := 0; k < tv.NumFields(); k++ {
		f, ok := tv.Field(k).(*schema.GroupNode)
		if !ok {
			continue // refused when read (newVTyped)
		}
		if f.RepetitionType() != parquet.Repetitions.Required {
			return fmt.Errorf("shredded object field %s.%s is an %s group; the Parquet variant shredding spec requires shredded fields to be required groups (invalid shredding)",
				path, f.Name(), strings.ToLower(f.RepetitionType().String()))
		}
		if err := checkShredGroup(f, path+"."+f.Name()); err != nil {
			return err
		}
	}
	return nil
}

// inFile sets the file of a DataError without one.
func inFile(err error, path string) error {
	var de *DataError
	if errors.As(err, &de) && de.File == "" {
		de.File = path
	}
	return err
}
