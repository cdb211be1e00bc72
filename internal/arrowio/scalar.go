package arrowio

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// scalarFromText reports whether a declared column of type dt can be built
// from text (CSV cells, JSON strings and number literals).
func scalarFromText(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// appendText parses text as a value of b's type and appends it.
func appendText(b array.Builder, text []byte) error {
	switch b := b.(type) {
	case *array.StringBuilder:
		b.BinaryBuilder.Append(text)
	case *array.LargeStringBuilder:
		b.BinaryBuilder.Append(text)
	case *array.BinaryBuilder:
		b.Append(text)
	case *array.BooleanBuilder:
		v, err := strconv.ParseBool(string(text))
		if err != nil {
			return fmt.Errorf("%q is not a bool", text)
		}
		b.Append(v)
	case *array.Int8Builder:
		v, err := parseInt(text, 8)
		if err != nil {
			return err
		}
		b.Append(int8(v))
	case *array.Int16Builder:
		v, err := parseInt(text, 16)
		if err != nil {
			return err
		}
		b.Append(int16(v))
	case *array.Int32Builder:
		v, err := parseInt(text, 32)
		if err != nil {
			return err
		}
		b.Append(int32(v))
	case *array.Int64Builder:
		v, err := parseInt(text, 64)
		if err != nil {
			return err
		}
		b.Append(v)
	case *array.Uint8Builder:
		v, err := parseUint(text, 8)
		if err != nil {
			return err
		}
		b.Append(uint8(v))
	case *array.Uint16Builder:
		v, err := parseUint(text, 16)
		if err != nil {
			return err
		}
		b.Append(uint16(v))
	case *array.Uint32Builder:
		v, err := parseUint(text, 32)
		if err != nil {
			return err
		}
		b.Append(uint32(v))
	case *array.Uint64Builder:
		v, err := parseUint(text, 64)
		if err != nil {
			return err
		}
		b.Append(v)
	case *array.Float32Builder:
		v, err := strconv.ParseFloat(string(text), 32)
		if err != nil {
			return fmt.Errorf("%q is not a float32", text)
		}
		b.Append(float32(v))
	case *array.Float64Builder:
		v, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return fmt.Errorf("%q is not a float64", text)
		}
		b.Append(v)
	case *array.Date32Builder:
		if v, err := strconv.ParseInt(string(text), 10, 32); err == nil {
			b.Append(arrow.Date32(v))
			return nil
		}
		t, err := time.Parse(time.DateOnly, string(text))
		if err != nil {
			return fmt.Errorf("%q is not a date (YYYY-MM-DD)", text)
		}
		b.Append(arrow.Date32FromTime(t))
	case *array.TimestampBuilder:
		if v, err := strconv.ParseInt(string(text), 10, 64); err == nil {
			b.Append(arrow.Timestamp(v))
			return nil
		}
		unit := b.Type().(*arrow.TimestampType).Unit
		v, err := arrow.TimestampFromString(string(text), unit)
		if err != nil {
			return fmt.Errorf("%q is not a timestamp (RFC 3339)", text)
		}
		b.Append(v)
	default:
		return fmt.Errorf("cannot build %s from text", b.Type())
	}
	return nil
}

func parseInt(text []byte, bits int) (int64, error) {
	v, err := strconv.ParseInt(string(text), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not an int%d", text, bits)
	}
	return v, nil
}

func parseUint(text []byte, bits int) (uint64, error) {
	v, err := strconv.ParseUint(string(text), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not a uint%d", text, bits)
	}
	return v, nil
}
