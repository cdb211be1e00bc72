package arrowio

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/opencontainers/go-digest"
	"github.com/zeebo/blake3"
)

// logicalVersion tags the canonical encoding; change it with the encoding.
const logicalVersion = "dsbuild-logical-v2"

// LogicalHasher computes the logical digest of a table: a digest of its
// canonical schema and values that does not depend on batch boundaries,
// slicing, compression, file format or physical variants of a type.
//
// Canonical forms: utf8, large_utf8 and string_view are "utf8"; binary,
// large_binary and binary_view are "binary"; list and large_list are "list";
// a dictionary is its value type and hashes its decoded values; names of
// list elements and map entries and all metadata are ignored. Float values
// hash their IEEE bits (so -0.0 differs from 0.0, NaN payloads matter).
//
// Each top-level column feeds three BLAKE3 streams: its validity as run
// lengths (runs continue across batches, so splits do not show), the
// lengths of its variable-length values as uvarints, and its values, where a
// null slot contributes nothing. Fixed-width values are little-endian bytes
// (all supported platforms are little-endian, so buffers are hashed as they
// are), booleans one byte, variable-length values their bytes (so a string
// column's values stream is its data buffer, hashed in place), lists a
// uvarint length then each element, structs each member, maps a uvarint
// length then each key and item. Values inside lists, structs and maps are
// preceded by a validity byte and variable-length ones by their length. The
// digest is the SHA-256 of the version, the schema, the row count and each
// column's three stream digests.
type LogicalHasher struct {
	schema *arrow.Schema
	canon  string
	cols   []*colHasher
	rows   int64
}

// NewLogicalHasher prepares a hasher for tables of schema; a type without a
// canonical encoding is an error naming the column.
func NewLogicalHasher(schema *arrow.Schema) (*LogicalHasher, error) {
	canon, err := canonicalSchema(schema)
	if err != nil {
		return nil, err
	}
	h := &LogicalHasher{schema: schema, canon: canon}
	for _, f := range schema.Fields() {
		e, err := compileEnc(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		h.cols = append(h.cols, &colHasher{enc: e, valid: blake3.New(), lens: blake3.New(), values: blake3.New(), runValid: true})
	}
	return h, nil
}

// Write adds the rows of rec, whose schema must be canonically equal to the
// hasher's.
func (h *LogicalHasher) Write(rec arrow.RecordBatch) error {
	if rec.Schema() != h.schema {
		c, err := canonicalSchema(rec.Schema())
		if err != nil {
			return err
		}
		if c != h.canon {
			return fmt.Errorf("logical digest: batch schema %s differs from %s", c, h.canon)
		}
	}
	for i, ch := range h.cols {
		ch.write(rec.Column(i))
	}
	h.rows += rec.NumRows()
	return nil
}

// Rows is the number of rows written so far.
func (h *LogicalHasher) Rows() int64 { return h.rows }

// Sum returns the digest of everything written so far; writing may go on.
func (h *LogicalHasher) Sum() digest.Digest {
	f := sha256.New()
	f.Write([]byte(logicalVersion))
	f.Write([]byte{0})
	writeUvarint(f, uint64(len(h.canon)))
	f.Write([]byte(h.canon))
	writeUvarint(f, uint64(h.rows))
	for _, c := range h.cols {
		f.Write(c.sum())
	}
	return digest.NewDigestFromBytes(digest.SHA256, f.Sum(nil))
}

// LogicalDigest hashes every batch of r (which it does not release).
func LogicalDigest(r array.RecordReader) (digest.Digest, int64, error) {
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		return "", 0, err
	}
	for r.Next() {
		if err := h.Write(r.RecordBatch()); err != nil {
			return "", 0, err
		}
	}
	if err := r.Err(); err != nil {
		return "", 0, err
	}
	return h.Sum(), h.Rows(), nil
}

func writeUvarint(w hash.Hash, v uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], v)])
}

type encKind uint8

const (
	eNull encKind = iota
	eBool
	eFixed
	eBinary
	eList
	eFixedList
	eStruct
	eMap
	eDict
)

// enc is the compiled canonical encoding of one type.
type enc struct {
	kind     encKind
	width    int // bytes, for eFixed
	children []*enc
}

func compileEnc(dt arrow.DataType) (*enc, error) {
	switch dt := dt.(type) {
	case *arrow.NullType:
		return &enc{kind: eNull}, nil
	case *arrow.BooleanType:
		return &enc{kind: eBool}, nil
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
		*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		return &enc{kind: eBinary}, nil
	case *arrow.ListType:
		return compileNested(eList, dt.Elem())
	case *arrow.LargeListType:
		return compileNested(eList, dt.Elem())
	case *arrow.FixedSizeListType:
		return compileNested(eFixedList, dt.Elem())
	case *arrow.MapType:
		k, err := compileEnc(dt.KeyType())
		if err != nil {
			return nil, err
		}
		v, err := compileEnc(dt.ItemType())
		if err != nil {
			return nil, err
		}
		return &enc{kind: eMap, children: []*enc{k, v}}, nil
	case *arrow.StructType:
		e := &enc{kind: eStruct}
		for _, f := range dt.Fields() {
			c, err := compileEnc(f.Type)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			e.children = append(e.children, c)
		}
		return e, nil
	case *arrow.DictionaryType:
		return compileNested(eDict, dt.ValueType)
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.Date32Type, *arrow.Date64Type, *arrow.Time32Type, *arrow.Time64Type,
		*arrow.TimestampType, *arrow.DurationType, *arrow.Decimal32Type, *arrow.Decimal64Type,
		*arrow.Decimal128Type, *arrow.Decimal256Type, *arrow.FixedSizeBinaryType,
		*arrow.MonthIntervalType, *arrow.DayTimeIntervalType, *arrow.MonthDayNanoIntervalType:
		return &enc{kind: eFixed, width: dt.(arrow.FixedWidthDataType).BitWidth() / 8}, nil
	}
	return nil, fmt.Errorf("type %s is not supported by the logical digest", dt)
}

func compileNested(k encKind, elem arrow.DataType) (*enc, error) {
	c, err := compileEnc(elem)
	if err != nil {
		return nil, err
	}
	return &enc{kind: k, children: []*enc{c}}, nil
}

// canonicalSchema is the schema as the digest sees it: names, canonical
// types and nullability, no metadata.
func canonicalSchema(s *arrow.Schema) (string, error) {
	var b strings.Builder
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(f.Name))
		b.WriteByte(':')
		if err := canonicalType(&b, f.Type); err != nil {
			return "", fmt.Errorf("column %q: %w", f.Name, err)
		}
		if !f.Nullable {
			b.WriteString(" not null")
		}
	}
	return b.String(), nil
}

var unitNames = map[arrow.TimeUnit]string{arrow.Second: "s", arrow.Millisecond: "ms", arrow.Microsecond: "us", arrow.Nanosecond: "ns"}

func canonicalType(b *strings.Builder, dt arrow.DataType) error {
	elem := func(name string, f arrow.Field) error {
		b.WriteString(name)
		b.WriteByte('<')
		if err := canonicalType(b, f.Type); err != nil {
			return err
		}
		if !f.Nullable {
			b.WriteString(" not null")
		}
		b.WriteByte('>')
		return nil
	}
	switch dt := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		b.WriteString("utf8")
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		b.WriteString("binary")
	case *arrow.ListType:
		return elem("list", dt.ElemField())
	case *arrow.LargeListType:
		return elem("list", dt.ElemField())
	case *arrow.FixedSizeListType:
		if err := elem("fixed_size_list", dt.ElemField()); err != nil {
			return err
		}
		fmt.Fprintf(b, "[%d]", dt.Len())
	case *arrow.MapType:
		b.WriteString("map<")
		if err := canonicalType(b, dt.KeyType()); err != nil {
			return err
		}
		b.WriteByte(',')
		if err := canonicalType(b, dt.ItemType()); err != nil {
			return err
		}
		if !dt.ItemField().Nullable {
			b.WriteString(" not null")
		}
		b.WriteByte('>')
	case *arrow.StructType:
		b.WriteString("struct<")
		for i, f := range dt.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(f.Name))
			b.WriteByte(':')
			if err := canonicalType(b, f.Type); err != nil {
				return err
			}
			if !f.Nullable {
				b.WriteString(" not null")
			}
		}
		b.WriteByte('>')
	case *arrow.DictionaryType:
		return canonicalType(b, dt.ValueType)
	case *arrow.TimestampType:
		fmt.Fprintf(b, "timestamp[%s,%q]", unitNames[dt.Unit], dt.TimeZone)
	case *arrow.Time32Type:
		fmt.Fprintf(b, "time32[%s]", unitNames[dt.Unit])
	case *arrow.Time64Type:
		fmt.Fprintf(b, "time64[%s]", unitNames[dt.Unit])
	case *arrow.DurationType:
		fmt.Fprintf(b, "duration[%s]", unitNames[dt.Unit])
	case arrow.DecimalType:
		fmt.Fprintf(b, "decimal%d(%d,%d)", dt.BitWidth(), dt.GetPrecision(), dt.GetScale())
	case *arrow.FixedSizeBinaryType:
		fmt.Fprintf(b, "fixed_size_binary[%d]", dt.ByteWidth)
	case *arrow.NullType, *arrow.BooleanType, *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type, *arrow.Date32Type, *arrow.Date64Type,
		*arrow.MonthIntervalType, *arrow.DayTimeIntervalType, *arrow.MonthDayNanoIntervalType:
		// Simple type names have been stable across arrow releases.
		b.WriteString(dt.Name())
	default:
		return fmt.Errorf("type %s is not supported by the logical digest", dt)
	}
	return nil
}

// colHasher hashes one top-level column.
type colHasher struct {
	enc      *enc
	valid    hash.Hash
	lens     hash.Hash // lengths of top-level variable-length values
	values   hash.Hash
	buf      []byte // pending for values
	lbuf     []byte // pending for lens
	runValid bool
	runLen   uint64
}

const flushSize = 64 << 10

func (c *colHasher) flush() {
	if len(c.buf) > 0 {
		c.values.Write(c.buf)
		c.buf = c.buf[:0]
	}
	if len(c.lbuf) > 0 {
		c.lens.Write(c.lbuf)
		c.lbuf = c.lbuf[:0]
	}
}

func (c *colHasher) run(valid bool, n int) {
	if n == 0 {
		return // an empty batch must not end the open run
	}
	if valid == c.runValid {
		c.runLen += uint64(n)
		return
	}
	writeUvarint(c.valid, c.runLen)
	c.runValid, c.runLen = valid, uint64(n)
}

func (c *colHasher) sum() []byte {
	c.flush()
	h := sha256.New()
	h.Write(c.valid.Sum(nil))
	// The open run is appended here rather than to c.valid, so that Sum
	// does not change the state and writing can continue.
	writeUvarint(h, c.runLen)
	h.Write(c.lens.Sum(nil))
	h.Write(c.values.Sum(nil))
	return h.Sum(nil)
}

// binaryValues reports whether the column's top-level values are
// variable-length bytes (directly or through a dictionary): their lengths
// then go to the lens stream and their bytes to the values stream.
func (e *enc) binaryValues() bool {
	return e.kind == eBinary || e.kind == eDict && e.children[0].kind == eBinary
}

func (c *colHasher) write(arr arrow.Array) {
	n := arr.Len()
	e := c.enc
	if e.kind == eNull {
		c.run(false, n)
		return
	}
	data := arr.Data()
	if e.kind == eFixed {
		if n == 0 {
			return // an empty array may have no values buffer
		}
		buf := data.Buffers()[1].Bytes()
		off, w := data.Offset(), e.width
		// Without nulls this is one write per batch: the hot path.
		c.validRuns(arr, func(i, j int) {
			c.run(true, j-i)
			c.flush()
			c.values.Write(buf[(off+i)*w : (off+j)*w])
		})
		return
	}
	if e.binaryValues() {
		if c.writeOffsetBinary(arr) {
			return
		}
		for i := 0; i < n; i++ {
			if isNullAt(arr, i) {
				c.run(false, 1)
				continue
			}
			c.run(true, 1)
			v := binaryValue(arr, i)
			c.lbuf = binary.AppendUvarint(c.lbuf, uint64(len(v)))
			c.buf = append(c.buf, v...)
			if len(c.buf) >= flushSize || len(c.lbuf) >= flushSize {
				c.flush()
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		if isNullAt(arr, i) {
			c.run(false, 1)
			continue
		}
		c.run(true, 1)
		c.buf = appendCanonical(c.buf, e, arr, i)
		if len(c.buf) >= flushSize {
			c.flush()
		}
	}
}

// writeOffsetBinary hashes a string or binary array with offsets: each run
// of valid values is one write of its bytes, straight from the data buffer.
func (c *colHasher) writeOffsetBinary(arr arrow.Array) bool {
	d := arr.Data()
	large := false
	switch arr.(type) {
	case *array.String, *array.Binary:
	case *array.LargeString, *array.LargeBinary:
		large = true
	default:
		return false
	}
	n, off := arr.Len(), d.Offset()
	if n == 0 {
		return true // an empty array may have no offsets buffer
	}
	var o32 []int32
	var o64 []int64
	if large {
		o64 = arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())
	} else {
		o32 = arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())
	}
	var vals []byte
	if b := d.Buffers()[2]; b != nil {
		vals = b.Bytes()
	}
	valid := func(i, j int) {
		c.run(true, j-i)
		var lo, hi int64
		if o32 != nil {
			o := o32[off+i : off+j+1]
			for k := 1; k < len(o); k++ {
				c.lbuf = binary.AppendUvarint(c.lbuf, uint64(o[k]-o[k-1]))
			}
			lo, hi = int64(o[0]), int64(o[len(o)-1])
		} else {
			o := o64[off+i : off+j+1]
			for k := 1; k < len(o); k++ {
				c.lbuf = binary.AppendUvarint(c.lbuf, uint64(o[k]-o[k-1]))
			}
			lo, hi = o[0], o[len(o)-1]
		}
		if len(c.buf) > 0 {
			c.values.Write(c.buf)
			c.buf = c.buf[:0]
		}
		if len(c.lbuf) >= flushSize {
			c.lens.Write(c.lbuf)
			c.lbuf = c.lbuf[:0]
		}
		c.values.Write(vals[lo:hi])
	}
	c.validRuns(arr, valid)
	return true
}

// validRuns calls valid(i, j) for each run [i, j) of valid slots of arr,
// in order, and counts each null slot into the validity runs.
func (c *colHasher) validRuns(arr arrow.Array, valid func(i, j int)) {
	n := arr.Len()
	if arr.NullN() == 0 {
		if n > 0 {
			valid(0, n)
		}
		return
	}
	for i := 0; i < n; {
		if arr.IsNull(i) {
			c.run(false, 1)
			i++
			continue
		}
		j := i + 1
		for j < n && arr.IsValid(j) {
			j++
		}
		valid(i, j)
		i = j
	}
}

// binaryValue returns the bytes of the valid top-level slot i of a
// variable-length or dictionary-of-variable-length array.
func binaryValue(arr arrow.Array, i int) []byte {
	switch a := arr.(type) {
	case *array.Dictionary:
		return binaryValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.String:
		return []byte(a.Value(i))
	case *array.LargeString:
		return []byte(a.Value(i))
	case *array.StringView:
		return []byte(a.Value(i))
	case *array.Binary:
		return a.Value(i)
	case *array.LargeBinary:
		return a.Value(i)
	case *array.BinaryView:
		return a.Value(i)
	}
	panic(fmt.Sprintf("logical digest: %s is not variable-length", arr.DataType()))
}

// isNullAt also treats a dictionary index that points at a null value as null.
func isNullAt(arr arrow.Array, i int) bool {
	if arr.IsNull(i) {
		return true
	}
	if d, ok := arr.(*array.Dictionary); ok {
		return d.Dictionary().IsNull(d.GetValueIndex(i))
	}
	return false
}

// appendNested appends a validity byte and, for a valid slot, the value.
func appendNested(dst []byte, e *enc, arr arrow.Array, i int) []byte {
	if e.kind == eNull || isNullAt(arr, i) {
		return append(dst, 0)
	}
	return appendCanonical(append(dst, 1), e, arr, i)
}

// appendCanonical appends the canonical encoding of the valid slot i.
func appendCanonical(dst []byte, e *enc, arr arrow.Array, i int) []byte {
	switch e.kind {
	case eBool:
		if arr.(*array.Boolean).Value(i) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case eFixed:
		data := arr.Data()
		w := e.width
		k := data.Offset() + i
		return append(dst, data.Buffers()[1].Bytes()[k*w:(k+1)*w]...)
	case eBinary:
		var v []byte
		switch a := arr.(type) {
		case *array.String:
			s := a.Value(i)
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			return append(dst, s...)
		case *array.LargeString:
			s := a.Value(i)
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			return append(dst, s...)
		case *array.StringView:
			s := a.Value(i)
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			return append(dst, s...)
		case *array.Binary:
			v = a.Value(i)
		case *array.LargeBinary:
			v = a.Value(i)
		case *array.BinaryView:
			v = a.Value(i)
		}
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		return append(dst, v...)
	case eList:
		var start, end int64
		var child arrow.Array
		switch a := arr.(type) {
		case *array.List:
			start, end = a.ValueOffsets(i)
			child = a.ListValues()
		case *array.LargeList:
			start, end = a.ValueOffsets(i)
			child = a.ListValues()
		}
		dst = binary.AppendUvarint(dst, uint64(end-start))
		for k := start; k < end; k++ {
			dst = appendNested(dst, e.children[0], child, int(k))
		}
		return dst
	case eFixedList:
		a := arr.(*array.FixedSizeList)
		start, end := a.ValueOffsets(i)
		child := a.ListValues()
		for k := start; k < end; k++ {
			dst = appendNested(dst, e.children[0], child, int(k))
		}
		return dst
	case eStruct:
		a := arr.(*array.Struct)
		for j, ce := range e.children {
			dst = appendNested(dst, ce, a.Field(j), i)
		}
		return dst
	case eMap:
		a := arr.(*array.Map)
		start, end := a.ValueOffsets(i)
		entries := a.ListValues().(*array.Struct)
		keys, items := entries.Field(0), entries.Field(1)
		dst = binary.AppendUvarint(dst, uint64(end-start))
		for k := start; k < end; k++ {
			dst = appendNested(dst, e.children[0], keys, int(k))
			dst = appendNested(dst, e.children[1], items, int(k))
		}
		return dst
	case eDict:
		a := arr.(*array.Dictionary)
		return appendCanonical(dst, e.children[0], a.Dictionary(), a.GetValueIndex(i))
	}
	return dst
}
