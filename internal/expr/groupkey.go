package expr

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// GroupKeyVersion names the group-key encoding below. An op whose output
// depends on group keys (sample, and later join, aggregate, trajectory)
// must change its key when the encoding changes; the encoding changes only
// together with this constant.
const GroupKeyVersion = 1

// Group keys: a canonical byte encoding of one row's values of some columns
// (or evaluated expressions), used wherever rows are grouped or matched by
// value. Two rows get the same key exactly when their values are equal
// under these rules; the bytes are fixed by this file alone, never by
// arrow-go's display format (ValueStr), Go's fmt, or map order, so a
// library upgrade cannot move a row to another group or reseed a draw.
//
// A key is the concatenation of the encodings of the row's values, one per
// column in the order given. Every encoding is self-delimiting (a tag byte,
// then a fixed-size or length-prefixed payload), so the concatenation is
// unambiguous: no value can spill into the next column's.
//
//	null (of any type)        0x00
//	bool                      0x01, then 0x00 or 0x01
//	int8..int64               0x02, then the value as 8 bytes big-endian (two's complement)
//	uint8..uint64             0x03, then the value as 8 bytes big-endian
//	float16..float64          0x04, then the float64 bits, 8 bytes big-endian;
//	                          -0 is written as +0 and every NaN as 0x7ff8000000000000
//	string, large_string,     0x05, then the byte length as a uvarint, then the UTF-8 bytes
//	  string_view
//	binary, large_binary,     0x06, then the byte length as a uvarint, then the bytes
//	  binary_view, fixed_size_binary
//	date32                    0x07, then the days since the epoch as 8 bytes big-endian
//	date64                    0x08, then the milliseconds since the epoch, 8 bytes
//	timestamp                 0x09, then the unit (0 s, 1 ms, 2 µs, 3 ns), then the value, 8 bytes
//	time32, time64            0x0a, then the unit, then the value, 8 bytes
//	duration                  0x0b, then the unit, then the value, 8 bytes
//	list, large_list,         0x10, then the element count as a uvarint, then each element
//	  list_view, fixed_size_list
//	struct                    0x11, then the field count as a uvarint, then for each field
//	                          its name (uvarint length, bytes) and its value
//	map                       0x12, then the entry count as a uvarint, then each key and
//	                          value, in stored order
//
// Consequences: null, "" and "null" are three different keys; 1 (an
// integer), 1.0 (a float) and "1" (a string) are three different keys,
// while int32 1 and int64 1 are one key, as are float32 0.5 and float64
// 0.5, -0.0 and 0.0, and all NaNs. A null struct differs from a struct
// whose fields are all null; an empty list differs from a null list. A
// dictionary-encoded value is keyed by the value it stands for, so a
// column keys the same whether or not it is dictionary-encoded. A
// timestamp's time zone does not enter the key (the stored instant is
// UTC), its unit does. Decimal, interval and extension types have no key
// yet: GroupKeys and CheckGroupKeyType refuse them.

const (
	gkNull      = 0x00
	gkBool      = 0x01
	gkInt       = 0x02
	gkUint      = 0x03
	gkFloat     = 0x04
	gkString    = 0x05
	gkBinary    = 0x06
	gkDate32    = 0x07
	gkDate64    = 0x08
	gkTime      = 0x09 // timestamp
	gkTimeOfDay = 0x0a
	gkDuration  = 0x0b
	gkList      = 0x10
	gkStruct    = 0x11
	gkMap       = 0x12
)

// canonicalNaN is the one NaN a key holds.
const canonicalNaN = 0x7ff8000000000000

// GroupKeys returns the group key of every row of cols, which must all
// have the same length: keys[i] encodes row i's values of cols, in order.
// It fails only for a type that has no key (see CheckGroupKeyType) or
// columns of different lengths.
func GroupKeys(cols ...arrow.Array) ([]string, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("group keys of no columns")
	}
	n := cols[0].Len()
	encs := make([]encoder, len(cols))
	for c, a := range cols {
		if a.Len() != n {
			return nil, fmt.Errorf("group keys: column %d has %d rows, column 0 has %d", c, a.Len(), n)
		}
		enc, err := newEncoder(a)
		if err != nil {
			return nil, err
		}
		encs[c] = enc
	}
	// One buffer for the batch, one string made of it, and every key a
	// substring: two allocations instead of one per row.
	ends := make([]int, n)
	buf := make([]byte, 0, n*(1+8)*len(cols)) // a fixed-width value's size
	for i := range ends {
		for _, enc := range encs {
			buf = enc(buf, i)
		}
		ends[i] = len(buf)
	}
	all := string(buf)
	keys := make([]string, n)
	start := 0
	for i, end := range ends {
		keys[i] = all[start:end]
		start = end
	}
	return keys, nil
}

// AppendGroupKey appends the encoding of row i of a to dst. For many rows,
// GroupKeys is faster: it chooses each column's encoder once.
func AppendGroupKey(dst []byte, a arrow.Array, i int) ([]byte, error) {
	enc, err := newEncoder(a)
	if err != nil {
		return dst, err
	}
	return enc(dst, i), nil
}

// CheckGroupKeyType reports (as an error naming the type) whether values
// of dt have no group key, so that an op can refuse such a column when it
// is planned rather than when it runs.
func CheckGroupKeyType(dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.NullType, *arrow.BooleanType,
		*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
		*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType,
		*arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType,
		*arrow.Time32Type, *arrow.Time64Type, *arrow.DurationType:
		return nil
	case *arrow.DictionaryType:
		return CheckGroupKeyType(t.ValueType)
	case *arrow.MapType:
		if err := CheckGroupKeyType(t.KeyType()); err != nil {
			return err
		}
		return CheckGroupKeyType(t.ItemType())
	case arrow.ListLikeType:
		return CheckGroupKeyType(t.Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := CheckGroupKeyType(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("values of type %s cannot be grouped or matched (no group key for this type)", dt)
}

// encoder appends the encoding of row i of the array it was made for.
type encoder func(dst []byte, i int) []byte

func newEncoder(a arrow.Array) (encoder, error) {
	if err := CheckGroupKeyType(a.DataType()); err != nil {
		return nil, err
	}
	enc, err := valueEncoder(a)
	if err != nil {
		return nil, err
	}
	if a.NullN() == 0 {
		return enc, nil
	}
	return func(dst []byte, i int) []byte {
		if a.IsNull(i) {
			return append(dst, gkNull)
		}
		return enc(dst, i)
	}, nil
}

type signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

type valuer[T any] interface{ Value(int) T }

// fixed encodes a tag, an optional unit byte, and 8 bytes.
func fixed[T signed](a valuer[T], tag byte, unit ...byte) encoder {
	return func(dst []byte, i int) []byte {
		dst = append(append(dst, tag), unit...)
		return binary.BigEndian.AppendUint64(dst, uint64(int64(a.Value(i))))
	}
}

func unsigned[T ~uint8 | ~uint16 | ~uint32 | ~uint64](a valuer[T]) encoder {
	return func(dst []byte, i int) []byte {
		return binary.BigEndian.AppendUint64(append(dst, gkUint), uint64(a.Value(i)))
	}
}

func appendKeyFloat(dst []byte, f float64) []byte {
	bits := math.Float64bits(f)
	switch {
	case f != f:
		bits = canonicalNaN
	case f == 0:
		bits = 0 // -0 and +0 are one key
	}
	return binary.BigEndian.AppendUint64(append(dst, gkFloat), bits)
}

func floats[T float32 | float64](a valuer[T]) encoder {
	return func(dst []byte, i int) []byte { return appendKeyFloat(dst, float64(a.Value(i))) }
}

// appendLenBytes appends v's length as a uvarint, then v.
func appendLenBytes[T string | []byte](dst []byte, v T) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(v))), v...)
}

func bytesOf[T string | []byte](a valuer[T], tag byte) encoder {
	return func(dst []byte, i int) []byte { return appendLenBytes(append(dst, tag), a.Value(i)) }
}

func timeUnit(u arrow.TimeUnit) byte { return byte(u) }

// valueEncoder encodes the non-null values of a; newEncoder handles nulls.
func valueEncoder(a arrow.Array) (encoder, error) {
	switch a := a.(type) {
	case *array.Null:
		return func(dst []byte, _ int) []byte { return append(dst, gkNull) }, nil
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, gkBool, 1)
			}
			return append(dst, gkBool, 0)
		}, nil
	case *array.Int8:
		return fixed(a, gkInt), nil
	case *array.Int16:
		return fixed(a, gkInt), nil
	case *array.Int32:
		return fixed(a, gkInt), nil
	case *array.Int64:
		return fixed(a, gkInt), nil
	case *array.Uint8:
		return unsigned(a), nil
	case *array.Uint16:
		return unsigned(a), nil
	case *array.Uint32:
		return unsigned(a), nil
	case *array.Uint64:
		return unsigned(a), nil
	case *array.Float16:
		return func(dst []byte, i int) []byte { return appendKeyFloat(dst, float64(a.Value(i).Float32())) }, nil
	case *array.Float32:
		return floats(a), nil
	case *array.Float64:
		return floats(a), nil
	case *array.String:
		return bytesOf(a, gkString), nil
	case *array.LargeString:
		return bytesOf(a, gkString), nil
	case *array.StringView:
		return bytesOf(a, gkString), nil
	case *array.Binary:
		return bytesOf(a, gkBinary), nil
	case *array.LargeBinary:
		return bytesOf(a, gkBinary), nil
	case *array.BinaryView:
		return bytesOf(a, gkBinary), nil
	case *array.FixedSizeBinary:
		return bytesOf(a, gkBinary), nil
	case *array.Date32:
		return fixed(a, gkDate32), nil
	case *array.Date64:
		return fixed(a, gkDate64), nil
	case *array.Timestamp:
		return fixed(a, gkTime, timeUnit(a.DataType().(*arrow.TimestampType).Unit)), nil
	case *array.Time32:
		return fixed(a, gkTimeOfDay, timeUnit(a.DataType().(*arrow.Time32Type).Unit)), nil
	case *array.Time64:
		return fixed(a, gkTimeOfDay, timeUnit(a.DataType().(*arrow.Time64Type).Unit)), nil
	case *array.Duration:
		return fixed(a, gkDuration, timeUnit(a.DataType().(*arrow.DurationType).Unit)), nil
	case *array.Dictionary:
		values, err := newEncoder(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(dst []byte, i int) []byte { return values(dst, a.GetValueIndex(i)) }, nil
	case *array.Map:
		// Before ListLike: a map is a list of entries, keyed as pairs.
		keys, err := newEncoder(a.Keys())
		if err != nil {
			return nil, err
		}
		items, err := newEncoder(a.Items())
		if err != nil {
			return nil, err
		}
		return func(dst []byte, i int) []byte {
			start, end := a.ValueOffsets(i)
			dst = binary.AppendUvarint(append(dst, gkMap), uint64(end-start))
			for j := int(start); j < int(end); j++ {
				dst = items(keys(dst, j), j)
			}
			return dst
		}, nil
	case array.ListLike:
		elems, err := newEncoder(a.ListValues())
		if err != nil {
			return nil, err
		}
		return func(dst []byte, i int) []byte {
			start, end := a.ValueOffsets(i)
			dst = binary.AppendUvarint(append(dst, gkList), uint64(end-start))
			for j := int(start); j < int(end); j++ {
				dst = elems(dst, j)
			}
			return dst
		}, nil
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		fields := make([]encoder, a.NumField())
		for f := range fields {
			enc, err := newEncoder(a.Field(f))
			if err != nil {
				return nil, err
			}
			fields[f] = enc
		}
		return func(dst []byte, i int) []byte {
			dst = binary.AppendUvarint(append(dst, gkStruct), uint64(len(fields)))
			for f, enc := range fields {
				dst = enc(appendLenBytes(dst, st.Field(f).Name), i)
			}
			return dst
		}, nil
	}
	return nil, fmt.Errorf("values of type %s cannot be grouped or matched (no group key for this type)", a.DataType())
}
