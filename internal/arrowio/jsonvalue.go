package arrowio

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// naiveTimestamp is ISO 8601 without a zone, fractional seconds only as
// far as they are not zero.
const naiveTimestamp = "2006-01-02T15:04:05.999999999"

// appendJSONValue appends slot i of arr as JSON: nested values as JSON
// arrays and objects, floats in shortest round-trip form (NaN and ±Inf,
// which JSON cannot express, as null), binary as base64, dates and
// timestamps as ISO 8601 strings (a timestamp with a time zone carries its
// offset, "Z" for UTC; one without a zone carries none), decimals, times,
// durations and intervals as strings (to keep precision).
func appendJSONValue(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return append(dst, "null"...), nil
	}
	switch a := arr.(type) {
	case *array.Null:
		return append(dst, "null"...), nil
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
	case *array.Uint8:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10), nil
	case *array.Uint16:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10), nil
	case *array.Uint32:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10), nil
	case *array.Uint64:
		return strconv.AppendUint(dst, a.Value(i), 10), nil
	case *array.Float16:
		return appendFloat(dst, float64(a.Value(i).Float32()), 32), nil
	case *array.Float32:
		return appendFloat(dst, float64(a.Value(i)), 32), nil
	case *array.Float64:
		return appendFloat(dst, a.Value(i), 64), nil
	case *array.String:
		return appendJSONString(dst, []byte(a.Value(i))), nil
	case *array.LargeString:
		return appendJSONString(dst, []byte(a.Value(i))), nil
	case *array.StringView:
		return appendJSONString(dst, []byte(a.Value(i))), nil
	case *array.Binary:
		return appendBase64(dst, a.Value(i)), nil
	case *array.LargeBinary:
		return appendBase64(dst, a.Value(i)), nil
	case *array.BinaryView:
		return appendBase64(dst, a.Value(i)), nil
	case *array.FixedSizeBinary:
		return appendBase64(dst, a.Value(i)), nil
	case *array.Date32:
		return appendQuoted(dst, a.Value(i).ToTime().Format(time.DateOnly)), nil
	case *array.Date64:
		return appendQuoted(dst, a.Value(i).ToTime().Format(time.DateOnly)), nil
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		toTime, err := tt.GetToTimeFunc()
		if err != nil {
			return dst, err
		}
		if tt.TimeZone == "" {
			// A timestamp without a zone is a wall-clock time (pandas'
			// naive datetime): written without an offset, it stays one.
			return appendQuoted(dst, toTime(a.Value(i)).Format(naiveTimestamp)), nil
		}
		return appendQuoted(dst, formatInstant(toTime(a.Value(i)))), nil
	case *array.Decimal32:
		return appendQuoted(dst, exactDecimal(big.NewInt(int64(a.Value(i))), a.DataType().(arrow.DecimalType).GetScale())), nil
	case *array.Decimal64:
		return appendQuoted(dst, exactDecimal(big.NewInt(int64(a.Value(i))), a.DataType().(arrow.DecimalType).GetScale())), nil
	case *array.Decimal128:
		return appendQuoted(dst, exactDecimal(a.Value(i).BigInt(), a.DataType().(arrow.DecimalType).GetScale())), nil
	case *array.Decimal256:
		return appendQuoted(dst, exactDecimal(a.Value(i).BigInt(), a.DataType().(arrow.DecimalType).GetScale())), nil
	case *array.Time32, *array.Time64, *array.Duration,
		*array.MonthInterval, *array.DayTimeInterval, *array.MonthDayNanoInterval:
		return appendQuoted(dst, arr.ValueStr(i)), nil
	case *array.List:
		s, e := a.ValueOffsets(i)
		return appendJSONArray(dst, a.ListValues(), s, e)
	case *array.LargeList:
		s, e := a.ValueOffsets(i)
		return appendJSONArray(dst, a.ListValues(), s, e)
	case *array.FixedSizeList:
		s, e := a.ValueOffsets(i)
		return appendJSONArray(dst, a.ListValues(), s, e)
	case *array.Map:
		return appendJSONMap(dst, a, i)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		dst = append(dst, '{')
		for j, f := range st.Fields() {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, []byte(f.Name))
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, a.Field(j), i); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case *array.Dictionary:
		return appendJSONValue(dst, a.Dictionary(), a.GetValueIndex(i))
	}
	return dst, fmt.Errorf("type %s cannot be written as JSON", arr.DataType())
}

func appendFloat(dst []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, bits)
}

func appendQuoted(dst []byte, s string) []byte { return appendJSONString(dst, []byte(s)) }

func appendBase64(dst, v []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, v)
	return append(dst, '"')
}

func appendJSONArray(dst []byte, child arrow.Array, start, end int64) ([]byte, error) {
	dst = append(dst, '[')
	for k := start; k < end; k++ {
		if k > start {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendJSONValue(dst, child, int(k)); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendJSONMap writes a map with string keys as an object (entries in
// stored order) and any other map as an array of [key, value] pairs.
func appendJSONMap(dst []byte, a *array.Map, i int) ([]byte, error) {
	start, end := a.ValueOffsets(i)
	entries := a.ListValues().(*array.Struct)
	keys, items := entries.Field(0), entries.Field(1)
	_, strKeys := keys.(*array.String)
	var err error
	if strKeys {
		dst = append(dst, '{')
	} else {
		dst = append(dst, '[')
	}
	for k := start; k < end; k++ {
		if k > start {
			dst = append(dst, ',')
		}
		if strKeys {
			dst = appendJSONString(dst, []byte(keys.(*array.String).Value(int(k))))
			dst = append(dst, ':')
		} else {
			dst = append(dst, '[')
			if dst, err = appendJSONValue(dst, keys, int(k)); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
		}
		if dst, err = appendJSONValue(dst, items, int(k)); err != nil {
			return dst, err
		}
		if !strKeys {
			dst = append(dst, ']')
		}
	}
	if strKeys {
		return append(dst, '}'), nil
	}
	return append(dst, ']'), nil
}

// appendCSVFloat writes a float as JSON does, but NaN and ±Inf, which a
// CSV cell can hold, as NaN, Inf and -Inf (what pandas, DuckDB and Spark
// read back as those floats) rather than as null.
func appendCSVFloat(dst []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, bits)
}

// cellText is the CSV text of slot i: strings as they are, null as "",
// floats as in JSON but NaN, Inf and -Inf as such, other scalars as their
// JSON text without quotes, nested values as JSON.
func cellText(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return dst, nil
	}
	switch a := arr.(type) {
	case *array.String:
		return append(dst, a.Value(i)...), nil
	case *array.LargeString:
		return append(dst, a.Value(i)...), nil
	case *array.StringView:
		return append(dst, a.Value(i)...), nil
	case *array.Dictionary:
		return cellText(dst, a.Dictionary(), a.GetValueIndex(i))
	case *array.Float16:
		return appendCSVFloat(dst, float64(a.Value(i).Float32()), 32), nil
	case *array.Float32:
		return appendCSVFloat(dst, float64(a.Value(i)), 32), nil
	case *array.Float64:
		return appendCSVFloat(dst, a.Value(i), 64), nil
	case *array.Date32, *array.Date64, *array.Timestamp, *array.Binary, *array.LargeBinary,
		*array.BinaryView, *array.FixedSizeBinary, *array.Decimal32, *array.Decimal64,
		*array.Decimal128, *array.Decimal256, *array.Time32, *array.Time64, *array.Duration,
		*array.MonthInterval, *array.DayTimeInterval, *array.MonthDayNanoInterval:
		// These encode as JSON strings without escapes; drop the quotes.
		n := len(dst)
		out, err := appendJSONValue(dst, arr, i)
		if err != nil {
			return dst, err
		}
		body := append([]byte(nil), out[n+1:len(out)-1]...)
		return append(out[:n], body...), nil
	}
	return appendJSONValue(dst, arr, i)
}

// formatInstant writes a zoned timestamp as RFC 3339 in its zone. RFC 3339
// offsets have whole minutes, and Go's layout drops an offset's seconds: a
// historical local mean time (America/Los_Angeles before 1883 is -07:52:58)
// would be written up to 59 s off. Such an instant is written in UTC
// instead, so the text always denotes the stored instant exactly.
func formatInstant(t time.Time) string {
	if _, off := t.Zone(); off%60 != 0 {
		t = t.UTC()
	}
	return t.Format(time.RFC3339Nano)
}

// exactDecimal writes the decimal unscaled·10^-scale with every digit it
// has and no trailing fraction zeros (no rounding, no exponent: "-0.5" for
// -0.500, "12000" for 12 at scale -3), whatever its declared
// precision: a file may hold more digits than its type declares, and those
// are data (arrow-go's ValueStr rounds to the precision).
func exactDecimal(unscaled *big.Int, scale int32) string {
	s := unscaled.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	switch {
	case scale < 0:
		if s != "0" {
			s += strings.Repeat("0", int(-scale))
		}
	case scale > 0:
		if len(s) <= int(scale) {
			s = strings.Repeat("0", int(scale)-len(s)+1) + s
		}
		s = strings.TrimRight(s[:len(s)-int(scale)]+"."+s[len(s)-int(scale):], "0")
		s = strings.TrimSuffix(s, ".")
	}
	if neg {
		s = "-" + s
	}
	return s
}
