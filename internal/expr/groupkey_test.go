package expr

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fromJSON builds an array of dt from a JSON list.
func fromJSON(t *testing.T, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	if err != nil {
		t.Fatalf("FromJSON(%s, %s): %v", dt, js, err)
	}
	return a
}

func groupKeys(t *testing.T, cols ...arrow.Array) []string {
	t.Helper()
	keys, err := GroupKeys(cols...)
	if err != nil {
		t.Fatalf("GroupKeys: %v", err)
	}
	if len(keys) != cols[0].Len() {
		t.Fatalf("GroupKeys gave %d keys for %d rows", len(keys), cols[0].Len())
	}
	return keys
}

// TestGroupKeyBytes pins the encoding of every supported type byte for
// byte: these bytes seed samples and will match join rows, so a change
// here must come with a new GroupKeyVersion.
func TestGroupKeyBytes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	i8 := func(v int64) string {
		return hex.EncodeToString([]byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	f8 := func(f float64) string { return i8(int64(math.Float64bits(f))) }
	tests := []struct {
		dt   arrow.DataType
		js   string
		want []string // hex per row
	}{
		{arrow.Null, `[null]`, []string{"00"}},
		{arrow.FixedWidthTypes.Boolean, `[true, false, null]`, []string{"0101", "0100", "00"}},
		{arrow.PrimitiveTypes.Int8, `[-1, 5]`, []string{"02" + i8(-1), "02" + i8(5)}},
		{arrow.PrimitiveTypes.Int16, `[-300]`, []string{"02" + i8(-300)}},
		{arrow.PrimitiveTypes.Int32, `[1, null]`, []string{"02" + i8(1), "00"}},
		{arrow.PrimitiveTypes.Int64, `[1, -9223372036854775808]`, []string{"02" + i8(1), "02" + i8(math.MinInt64)}},
		{arrow.PrimitiveTypes.Uint8, `[255]`, []string{"03" + i8(255)}},
		{arrow.PrimitiveTypes.Uint16, `[1]`, []string{"03" + i8(1)}},
		{arrow.PrimitiveTypes.Uint32, `[1]`, []string{"03" + i8(1)}},
		{arrow.PrimitiveTypes.Uint64, `[18446744073709551615]`, []string{"03ffffffffffffffff"}},
		{arrow.FixedWidthTypes.Float16, `[0.5]`, []string{"04" + f8(0.5)}},
		{arrow.PrimitiveTypes.Float32, `[0.5, -0.0]`, []string{"04" + f8(0.5), "04" + f8(0)}},
		{arrow.PrimitiveTypes.Float64, `[1, -0.0, 0.0, 1e300]`, []string{"04" + f8(1), "04" + f8(0), "04" + f8(0), "04" + f8(1e300)}},
		{arrow.BinaryTypes.String, `["ab", "", null]`, []string{"05026162", "0500", "00"}},
		{arrow.BinaryTypes.LargeString, `["ab"]`, []string{"05026162"}},
		{arrow.BinaryTypes.StringView, `["ab", "a string longer than twelve bytes"]`, []string{"05026162", "0521" + hex.EncodeToString([]byte("a string longer than twelve bytes"))}},
		{arrow.BinaryTypes.Binary, `["YWI="]`, []string{"06026162"}},
		{arrow.BinaryTypes.LargeBinary, `["YWI="]`, []string{"06026162"}},
		{arrow.BinaryTypes.BinaryView, `["YWI="]`, []string{"06026162"}},
		{&arrow.FixedSizeBinaryType{ByteWidth: 2}, `["YWI="]`, []string{"06026162"}},
		{arrow.FixedWidthTypes.Date32, `["1970-01-02"]`, []string{"07" + i8(1)}},
		{arrow.FixedWidthTypes.Date64, `["1970-01-02"]`, []string{"08" + i8(86400000)}},
		{arrow.FixedWidthTypes.Timestamp_ms, `["1970-01-01T00:00:01Z"]`, []string{"0901" + i8(1000)}},
		{arrow.FixedWidthTypes.Time32s, `["00:00:02"]`, []string{"0a00" + i8(2)}},
		{arrow.FixedWidthTypes.Time64ns, `["00:00:00.000000003"]`, []string{"0a03" + i8(3)}},
		{arrow.FixedWidthTypes.Duration_us, `[7]`, []string{"0b02" + i8(7)}},
		{arrow.ListOf(arrow.PrimitiveTypes.Int64), `[[1, null], [], null]`, []string{"1002" + "02" + i8(1) + "00", "1000", "00"}},
		{arrow.LargeListOf(arrow.BinaryTypes.String), `[["a"]]`, []string{"1001" + "050161"}},
		{arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Int8), `[[1, 2]]`, []string{"1002" + "02" + i8(1) + "02" + i8(2)}},
		{arrow.ListViewOf(arrow.BinaryTypes.String), `[["a"], []]`, []string{"1001" + "050161", "1000"}},
		{arrow.StructOf(arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true}, arrow.Field{Name: "bc", Type: arrow.PrimitiveTypes.Int64, Nullable: true}),
			`[{"a": "x", "bc": 1}, {"a": null, "bc": null}, null]`,
			[]string{"1102" + "0161" + "050178" + "026263" + "02" + i8(1), "1102" + "0161" + "00" + "026263" + "00", "00"}},
		{arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), `[[{"key": "k", "value": 1}, {"key": "j", "value": null}], []]`,
			[]string{"1202" + "05016b" + "02" + i8(1) + "05016a" + "00", "1200"}},
	}
	for _, tt := range tests {
		t.Run(tt.dt.String(), func(t *testing.T) {
			a := fromJSON(t, mem, tt.dt, tt.js)
			defer a.Release()
			if err := CheckGroupKeyType(tt.dt); err != nil {
				t.Errorf("CheckGroupKeyType(%s) = %v", tt.dt, err)
			}
			keys := groupKeys(t, a)
			for i, k := range keys {
				if got := hex.EncodeToString([]byte(k)); got != tt.want[i] {
					t.Errorf("row %d (%s): key %s, want %s", i, a.ValueStr(i), got, tt.want[i])
				}
				one, err := AppendGroupKey([]byte("prefix"), a, i)
				if err != nil || string(one) != "prefix"+k {
					t.Errorf("AppendGroupKey(row %d) = %x, %v; want prefix+%x", i, one, err, k)
				}
			}
		})
	}
}

// TestGroupKeyNaN: every NaN is one key, whatever its payload or width.
func TestGroupKeyNaN(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b64 := array.NewFloat64Builder(mem)
	defer b64.Release()
	b64.AppendValues([]float64{math.NaN(), math.Float64frombits(0xfff0000000000001), math.Float64frombits(0x7ff0000000000abc)}, nil)
	f64 := b64.NewArray()
	defer f64.Release()
	b32 := array.NewFloat32Builder(mem)
	defer b32.Release()
	b32.Append(math.Float32frombits(0xffc00001))
	f32 := b32.NewArray()
	defer f32.Release()
	b16 := array.NewFloat16Builder(mem)
	defer b16.Release()
	b16.Append(float16.New(float32(math.NaN())))
	f16 := b16.NewArray()
	defer f16.Release()
	want := "047ff8000000000000"
	for _, a := range []arrow.Array{f64, f32, f16} {
		for i, k := range groupKeys(t, a) {
			if got := hex.EncodeToString([]byte(k)); got != want {
				t.Errorf("%s row %d: NaN key %s, want %s", a.DataType(), i, got, want)
			}
		}
	}
}

// valueStrKey is the kind of key a ValueStr-based encoding gives: display
// strings joined by a separator.
func valueStrKey(cols []arrow.Array, i int) string {
	parts := make([]string, len(cols))
	for c, a := range cols {
		parts[c] = a.ValueStr(i)
	}
	return strings.Join(parts, "|")
}

// TestGroupKeyDistinguishes: values that a display-string key confuses get
// different group keys. The cases marked same check that the ValueStr key
// really does confuse them, so that they keep testing something.
func TestGroupKeyDistinguishes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	str := arrow.BinaryTypes.String
	type col struct {
		dt arrow.DataType
		js string // a one-row list
	}
	tests := []struct {
		name string
		a, b []col
		same bool // ValueStr keys are equal
	}{
		{"separator inside a string", []col{{str, `["a|b"]`}, {str, `["c"]`}}, []col{{str, `["a"]`}, {str, `["b|c"]`}}, true},
		{"null vs the string (null)", []col{{str, `[null]`}}, []col{{str, `["(null)"]`}}, true},
		{"int 1 vs string 1", []col{{arrow.PrimitiveTypes.Int64, `[1]`}}, []col{{str, `["1"]`}}, true},
		{"int 1 vs float 1.0", []col{{arrow.PrimitiveTypes.Int64, `[1]`}}, []col{{arrow.PrimitiveTypes.Float64, `[1.0]`}}, true},
		{"float 1.0 vs string 1", []col{{arrow.PrimitiveTypes.Float64, `[1.0]`}}, []col{{str, `["1"]`}}, true},
		{"bool vs string true", []col{{arrow.FixedWidthTypes.Boolean, `[true]`}}, []col{{str, `["true"]`}}, true},
		{"string vs binary", []col{{str, `["ab"]`}}, []col{{arrow.BinaryTypes.Binary, `["YWI="]`}}, false},
		{"signed -1 vs unsigned max", []col{{arrow.PrimitiveTypes.Int64, `[-1]`}}, []col{{arrow.PrimitiveTypes.Uint64, `[18446744073709551615]`}}, false},
		{"list null element vs list of (null)", []col{{arrow.ListOf(str), `[[null]]`}}, []col{{arrow.ListOf(str), `[["(null)"]]`}}, false},
		{"null list vs list of (null)", []col{{arrow.ListOf(str), `[null]`}}, []col{{str, `["(null)"]`}}, true},
		{"timestamp units", []col{{arrow.FixedWidthTypes.Timestamp_s, `[1]`}}, []col{{arrow.FixedWidthTypes.Timestamp_ms, `[1]`}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := func(cs []col) []arrow.Array {
				out := make([]arrow.Array, len(cs))
				for i, c := range cs {
					out[i] = fromJSON(t, mem, c.dt, c.js)
				}
				return out
			}
			a, b := build(tt.a), build(tt.b)
			defer func() {
				for _, x := range append(a, b...) {
					x.Release()
				}
			}()
			ka, kb := groupKeys(t, a...)[0], groupKeys(t, b...)[0]
			if ka == kb {
				t.Errorf("group keys equal (%x) for %s and %s", ka, valueStrKey(a, 0), valueStrKey(b, 0))
			}
			if tt.same && valueStrKey(a, 0) != valueStrKey(b, 0) {
				t.Fatalf("ValueStr keys %q and %q differ: the case no longer shows a confusion", valueStrKey(a, 0), valueStrKey(b, 0))
			}
		})
	}
}

// TestGroupKeyEquates: values that are equal as values key equal, whatever
// their width or encoding.
func TestGroupKeyEquates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name string
		dt1  arrow.DataType
		js1  string
		dt2  arrow.DataType
		js2  string
	}{
		{"int widths", arrow.PrimitiveTypes.Int32, `[1, -7, null]`, arrow.PrimitiveTypes.Int64, `[1, -7, null]`},
		{"uint widths", arrow.PrimitiveTypes.Uint8, `[200]`, arrow.PrimitiveTypes.Uint64, `[200]`},
		{"float widths", arrow.PrimitiveTypes.Float32, `[0.5, -0.0]`, arrow.PrimitiveTypes.Float64, `[0.5, 0.0]`},
		{"string kinds", arrow.BinaryTypes.String, `["x", null]`, arrow.BinaryTypes.LargeString, `["x", null]`},
		{"dictionary", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, `["b", "a", null, "b"]`, arrow.BinaryTypes.String, `["b", "a", null, "b"]`},
		{"time zones", &arrow.TimestampType{Unit: arrow.Second, TimeZone: "Europe/Paris"}, `[5]`, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, `[5]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fromJSON(t, mem, tt.dt1, tt.js1), fromJSON(t, mem, tt.dt2, tt.js2)
			defer a.Release()
			defer b.Release()
			ka, kb := groupKeys(t, a), groupKeys(t, b)
			for i := range ka {
				if ka[i] != kb[i] {
					t.Errorf("row %d: %s %s keys %x, %s %s keys %x", i, tt.dt1, a.ValueStr(i), ka[i], tt.dt2, b.ValueStr(i), kb[i])
				}
			}
		})
	}
}

// TestGroupKeySlices: a key depends on the row's values only, not on where
// the batch boundaries fall (arrays that are slices of others).
func TestGroupKeySlices(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	st := arrow.StructOf(
		arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true})
	a := fromJSON(t, mem, st, `[{"s": "a", "l": [1]}, null, {"s": null, "l": [2, 3]}, {"s": "d", "l": null}, {"s": "e", "l": []}]`)
	defer a.Release()
	d := fromJSON(t, mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, `["x", null, "y", "x", "z"]`)
	defer d.Release()
	whole := groupKeys(t, a, d)
	for lo := 0; lo < a.Len(); lo++ {
		for hi := lo + 1; hi <= a.Len(); hi++ {
			sa, sd := array.NewSlice(a, int64(lo), int64(hi)), array.NewSlice(d, int64(lo), int64(hi))
			part := groupKeys(t, sa, sd)
			sa.Release()
			sd.Release()
			for i, k := range part {
				if k != whole[lo+i] {
					t.Errorf("slice [%d:%d] row %d: key %x, whole array row %d: %x", lo, hi, i, k, lo+i, whole[lo+i])
				}
			}
		}
	}
	// Distinct rows keep distinct keys.
	seen := map[string]int{}
	for i, k := range whole {
		if j, ok := seen[k]; ok {
			t.Errorf("rows %d and %d share key %x", j, i, k)
		}
		seen[k] = i
	}
}

func TestGroupKeyRefuses(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec := &arrow.Decimal128Type{Precision: 5, Scale: 2}
	for _, dt := range []arrow.DataType{dec, arrow.ListOf(dec), arrow.StructOf(arrow.Field{Name: "d", Type: dec}), arrow.FixedWidthTypes.MonthInterval} {
		if err := CheckGroupKeyType(dt); err == nil || !strings.Contains(err.Error(), "cannot be grouped") {
			t.Errorf("CheckGroupKeyType(%s) = %v, want an error", dt, err)
		}
	}
	b := array.NewDecimal128Builder(mem, dec)
	defer b.Release()
	b.Append(decimal128.FromI64(1))
	a := b.NewArray()
	defer a.Release()
	if _, err := GroupKeys(a); err == nil {
		t.Errorf("GroupKeys(decimal) succeeded")
	}
	i1 := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, 2]`)
	defer i1.Release()
	i2 := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1]`)
	defer i2.Release()
	if _, err := GroupKeys(i1, i2); err == nil {
		t.Errorf("GroupKeys of columns with 2 and 1 rows succeeded")
	}
}

// TestGroupKeyNullEmpty: null, "", "null" and "(null)" are four groups, in
// one column and in a struct field or list element.
func TestGroupKeyNullEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		dt arrow.DataType
		js string
	}{
		{arrow.BinaryTypes.String, `[null, "", "null", "(null)"]`},
		{arrow.StructOf(arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}), `[{"s": null}, {"s": ""}, {"s": "null"}, {"s": "(null)"}, null]`},
		{arrow.ListOf(arrow.BinaryTypes.String), `[[null], [""], ["null"], ["(null)"], [], null]`},
	} {
		a := fromJSON(t, mem, tc.dt, tc.js)
		seen := map[string]int{}
		for i, k := range groupKeys(t, a) {
			if j, ok := seen[k]; ok {
				t.Errorf("%s: rows %d (%s) and %d (%s) share key %x", tc.dt, j, a.ValueStr(j), i, a.ValueStr(i), k)
			}
			seen[k] = i
		}
		a.Release()
	}
}

// BenchmarkGroupKeys compares GroupKeys with the ValueStr keys sample used
// before, over 64k rows.
func BenchmarkGroupKeys(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1 << 16
	sb := array.NewStringBuilder(mem)
	ib := array.NewInt64Builder(mem)
	for i := 0; i < n; i++ {
		sb.Append("conversation-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)))
		ib.Append(int64(i % 1000))
	}
	strs, ints := sb.NewArray(), ib.NewArray()
	defer strs.Release()
	defer ints.Release()
	for _, a := range []arrow.Array{strs, ints} {
		b.Run(a.DataType().String()+"/GroupKeys", func(b *testing.B) {
			for b.Loop() {
				if _, err := GroupKeys(a); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.DataType().String()+"/ValueStr", func(b *testing.B) {
			for b.Loop() {
				out := make([]string, a.Len())
				tag := a.DataType().String() + ":"
				for i := range out {
					out[i] = tag + a.ValueStr(i)
				}
			}
		})
	}
}
