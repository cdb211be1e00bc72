package arrowio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/variant"
	"github.com/google/uuid"
)

// mkVariant builds one variant value with fill.
func mkVariant(t *testing.T, fill func(b *variant.Builder) error) variant.Value {
	t.Helper()
	var b variant.Builder
	if err := fill(&b); err != nil {
		t.Fatal(err)
	}
	v, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// variantArray builds a variant array of type vt; a nil entry is a null
// (missing) variant.
func variantArray(mem memory.Allocator, vt *extensions.VariantType, vals []*variant.Value) arrow.Array {
	b := extensions.NewVariantBuilder(mem, vt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		b.Append(*v)
	}
	return b.NewArray()
}

// toJSONTexts converts arr and returns its texts ("<null>" for nulls).
func toJSONTexts(t *testing.T, mem memory.Allocator, arr arrow.Array) ([]string, error) {
	t.Helper()
	out, err := convArray(mem, arr)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	s, ok := out.(*array.String)
	if !ok {
		t.Fatalf("converted to %s, want utf8", out.DataType())
	}
	texts := make([]string, s.Len())
	for i := range texts {
		texts[i] = "<null>"
		if s.IsValid(i) {
			texts[i] = s.Value(i)
		}
	}
	return texts, nil
}

func TestVariantJSONMapping(t *testing.T) {
	dec16, _ := decimal128.FromString("-12345678901234567890123456789.012345678", 38, 9)
	u := uuid.MustParse("F24F9B64-81FA-49D1-B74E-8C09A6E31C56")
	cases := []struct {
		name string
		fill func(b *variant.Builder) error
		want string
	}{
		{"null", func(b *variant.Builder) error { return b.AppendNull() }, `null`},
		{"true", func(b *variant.Builder) error { return b.AppendBool(true) }, `true`},
		{"int8", func(b *variant.Builder) error { return b.AppendInt(-128) }, `-128`},
		{"int64 beyond 2^53", func(b *variant.Builder) error { return b.AppendInt(1<<53 + 1) }, `9007199254740993`},
		{"int64 min", func(b *variant.Builder) error { return b.AppendInt(math.MinInt64) }, `-9223372036854775808`},
		{"float shortest as float32", func(b *variant.Builder) error { return b.AppendFloat32(10.11) }, `10.11`},
		{"float NaN", func(b *variant.Builder) error { return b.AppendFloat32(float32(math.NaN())) }, `"NaN"`},
		{"double", func(b *variant.Builder) error { return b.AppendFloat64(0.1) }, `0.1`},
		{"double -0", func(b *variant.Builder) error { return b.AppendFloat64(math.Copysign(0, -1)) }, `-0`},
		{"double large", func(b *variant.Builder) error { return b.AppendFloat64(1e21) }, `1e+21`},
		{"double below 1e21", func(b *variant.Builder) error { return b.AppendFloat64(123456789012345678e3) }, `123456789012345680000`},
		{"double small", func(b *variant.Builder) error { return b.AppendFloat64(1e-7) }, `1e-7`},
		{"double 1e-6", func(b *variant.Builder) error { return b.AppendFloat64(0.000001) }, `0.000001`},
		{"double tiny", func(b *variant.Builder) error { return b.AppendFloat64(5e-324) }, `5e-324`},
		{"float large", func(b *variant.Builder) error { return b.AppendFloat32(1234567940) }, `1234568000`},
		{"double +Inf", func(b *variant.Builder) error { return b.AppendFloat64(math.Inf(1)) }, `"Infinity"`},
		{"double -Inf", func(b *variant.Builder) error { return b.AppendFloat64(math.Inf(-1)) }, `"-Infinity"`},
		{"decimal4", func(b *variant.Builder) error { return b.AppendDecimal4(2, decimal.Decimal32(1234)) }, `12.34`},
		{"decimal4 trailing zero", func(b *variant.Builder) error { return b.AppendDecimal4(2, decimal.Decimal32(150)) }, `1.5`},
		{"decimal8 small", func(b *variant.Builder) error { return b.AppendDecimal8(9, decimal.Decimal64(-5)) }, `-0.000000005`},
		{"decimal16 38 digits", func(b *variant.Builder) error { return b.AppendDecimal16(9, dec16) }, `-12345678901234567890123456789.012345678`},
		{"date", func(b *variant.Builder) error { return b.AppendDate(arrow.Date32(-1)) }, `"1969-12-31"`},
		{"time", func(b *variant.Builder) error { return b.AppendTimeMicro(arrow.Time64(45296_000001)) }, `"12:34:56.000001"`},
		{"time midnight", func(b *variant.Builder) error { return b.AppendTimeMicro(0) }, `"00:00:00"`},
		{"timestamp utc micros", func(b *variant.Builder) error {
			return b.AppendTimestamp(arrow.Timestamp(1731_000_000_123_456), true, true)
		}, `"2024-11-07T17:20:00.123456Z"`},
		{"timestamp ntz micros", func(b *variant.Builder) error {
			return b.AppendTimestamp(arrow.Timestamp(1731_000_000_000_000), true, false)
		}, `"2024-11-07T17:20:00"`},
		{"timestamp utc nanos before 1970", func(b *variant.Builder) error {
			return b.AppendTimestamp(arrow.Timestamp(-1), false, true)
		}, `"1969-12-31T23:59:59.999999999Z"`},
		{"timestamp ntz nanos", func(b *variant.Builder) error {
			return b.AppendTimestamp(arrow.Timestamp(1), false, false)
		}, `"1970-01-01T00:00:00.000000001"`},
		{"binary", func(b *variant.Builder) error { return b.AppendBinary([]byte{0, 0xff, 0x10}) }, `"AP8Q"`},
		{"uuid", func(b *variant.Builder) error { return b.AppendUUID(u) }, `"f24f9b64-81fa-49d1-b74e-8c09a6e31c56"`},
		{"string escapes", func(b *variant.Builder) error { return b.AppendString("a\"b\\c\n\x01é🐢") }, `"a\"b\\c\n\u0001é🐢"`},
		{"long string", func(b *variant.Builder) error { return b.AppendString(strings.Repeat("x", 100)) }, `"` + strings.Repeat("x", 100) + `"`},
		{"object keys in byte order", func(b *variant.Builder) error {
			start := b.Offset()
			var fs []variant.FieldEntry
			for _, k := range []string{"b", "a", "B", "é", "aa"} {
				fs = append(fs, b.NextField(start, k))
				if err := b.AppendString(k); err != nil {
					return err
				}
			}
			return b.FinishObject(start, fs)
		}, `{"B":"B","a":"a","aa":"aa","b":"b","é":"é"}`},
		{"nested", func(b *variant.Builder) error {
			start := b.Offset()
			fs := []variant.FieldEntry{b.NextField(start, "list")}
			as := b.Offset()
			var es []int
			es = append(es, b.NextElement(as))
			_ = b.AppendNull()
			es = append(es, b.NextElement(as))
			obj := b.Offset()
			if err := b.FinishObject(obj, nil); err != nil {
				return err
			}
			es = append(es, b.NextElement(as))
			if err := b.FinishArray(b.Offset(), nil); err != nil {
				return err
			}
			if err := b.FinishArray(as, es); err != nil {
				return err
			}
			return b.FinishObject(start, fs)
		}, `{"list":[null,{},[]]}`},
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var vals []*variant.Value
	for _, c := range cases {
		v := mkVariant(t, c.fill)
		vals = append(vals, &v)
	}
	vals = append(vals, nil)
	arr := variantArray(mem, extensions.NewDefaultVariantType(), vals)
	defer arr.Release()
	texts, err := toJSONTexts(t, mem, arr)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if texts[i] != c.want {
			t.Errorf("%s: got %s, want %s", c.name, texts[i], c.want)
		}
		if err := sameVariant(*vals[i], texts[i]); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got := texts[len(cases)]; got != "<null>" {
		t.Errorf("missing variant: got %s, want a null", got)
	}
}

// TestVariantShreddedEqualsUnshredded writes the same values in the
// unshredded layout and shredded (arrow-go's shredding builder: fully,
// partially, or not at all matching the shredded schema): the texts must
// be the same bytes.
func TestVariantShreddedEqualsUnshredded(t *testing.T) {
	docs := []string{
		`{"a": 1, "b": "x", "c": ["p", "q"], "d": {"x": 1.5}}`,
		`{"a": 9007199254740993, "extra": true, "d": {"x": 2.5, "y": null}}`,
		`{"b": null, "zz": [1, {"k": "v"}]}`,
		`{}`,
		`"not an object"`,
		`[1, 2, 3]`,
		`null`,
		`{"a": "a string where an int64 is shredded", "c": [1, "two", null]}`,
		`{"c": [], "d": "not an object"}`,
		`12345678901234567890.5`,
	}
	shredded := extensions.NewShreddedVariantType(arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "d", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64})},
		// Not a list: arrow-go v18.8.0's shredding builder writes a missing
		// list field as a one-element list of a missing element (read back
		// as [null] by the spec, and by arrow-go's own reader); arrays are
		// covered by the parquet-testing cases instead.
	))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var vals []*variant.Value
	for _, d := range docs {
		v, err := variant.ParseJSON(d, false)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		vals = append(vals, &v)
	}
	vals = append(vals, nil)
	plain := variantArray(mem, extensions.NewDefaultVariantType(), vals)
	defer plain.Release()
	shred := variantArray(mem, shredded, vals)
	defer shred.Release()
	want, err := toJSONTexts(t, mem, plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := toJSONTexts(t, mem, shred)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: shredded %s, unshredded %s", i, got[i], want[i])
		}
		if i < len(docs) {
			if err := sameVariant(*vals[i], want[i]); err != nil {
				t.Errorf("row %d: %v", i, err)
			}
		}
	}
	if want[1] != `{"a":9007199254740993,"d":{"x":2.5,"y":null},"extra":true}` {
		t.Errorf("row 1 = %s", want[1])
	}
	if want[9] != `12345678901234567890.5` {
		t.Errorf("row 9 = %s (a JSON number parsed as a decimal must stay exact)", want[9])
	}
	if want[len(docs)] != "<null>" {
		t.Errorf("missing variant = %s, want a null", want[len(docs)])
	}
}

// TestVariantCorruptIsAnError feeds every truncation and many single-byte
// changes of valid metadata and values through the converter: each must
// give an error naming the row, or valid JSON, never a panic.
func TestVariantCorruptIsAnError(t *testing.T) {
	seeds := []string{
		`{"a": [1, "two", {"b": null}], "c": 1.5, "d": "a string longer than sixty-four bytes ................"}`,
		`[[[]], {}, -1, 12345678901234567890.25]`,
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n, errs := 0, 0
	for _, s := range seeds {
		v, err := variant.ParseJSON(s, false)
		if err != nil {
			t.Fatal(err)
		}
		meta, val := v.Metadata().Bytes(), v.Bytes()
		try := func(m, x []byte) {
			n++
			st := unshreddedStorage(mem, [][2][]byte{{meta, val}, {m, x}})
			arr := array.NewExtensionArrayWithStorage(extensions.NewDefaultVariantType(), st)
			st.Release()
			defer arr.Release()
			texts, err := toJSONTexts(t, mem, arr)
			if err != nil {
				var re *variantRowError
				if !errors.As(err, &re) || re.row != 1 {
					t.Fatalf("error %v does not name row 1", err)
				}
				errs++
				return
			}
			if err := jsonValid(texts[1]); err != nil {
				t.Fatalf("corrupt variant gave invalid JSON %q: %v", texts[1], err)
			}
		}
		for k := 0; k < len(val); k++ {
			try(meta, val[:k])
			for _, b := range []byte{0, 1, 2, 3, 0x7f, 0x80, 0xfe, 0xff, val[k] ^ 0x01, val[k] ^ 0x40} {
				x := bytes.Clone(val)
				x[k] = b
				try(meta, x)
			}
		}
		for k := 0; k < len(meta); k++ {
			try(meta[:k], val)
			for _, b := range []byte{0, 1, 0x11, 0xff, meta[k] ^ 0x01} {
				m := bytes.Clone(meta)
				m[k] = b
				try(m, val)
			}
		}
	}
	t.Logf("%d corrupt variants: %d errors, the rest valid JSON", n, errs)
	if errs == 0 {
		t.Error("no corruption was detected")
	}
}

func jsonValid(s string) error {
	_, err := parseJSONOrdered(s)
	return err
}

// unshreddedStorage is struct<metadata, value> with the given pairs.
// unshreddedJSON renders unshredded variants of (metadata, value) pairs
// as JSON text.
func unshreddedJSON(t *testing.T, mem memory.Allocator, pairs [][2][]byte) ([]string, error) {
	st := unshreddedStorage(mem, pairs)
	arr := array.NewExtensionArrayWithStorage(extensions.NewDefaultVariantType(), st)
	st.Release()
	defer arr.Release()
	return toJSONTexts(t, mem, arr)
}

func unshreddedStorage(mem memory.Allocator, pairs [][2][]byte) arrow.Array {
	b := array.NewStructBuilder(mem, extensions.NewDefaultVariantType().StorageType().(*arrow.StructType))
	defer b.Release()
	mb := b.FieldBuilder(0).(*array.BinaryBuilder)
	vb := b.FieldBuilder(1).(*array.BinaryBuilder)
	for _, p := range pairs {
		b.Append(true)
		mb.Append(p[0])
		vb.Append(p[1])
	}
	return b.NewArray()
}

func TestVariantInvalidUTF8IsAnError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v := mkVariant(t, func(b *variant.Builder) error { return b.AppendString("ok \xff") })
	arr := variantArray(mem, extensions.NewDefaultVariantType(), []*variant.Value{&v})
	defer arr.Release()
	_, err := toJSONTexts(t, mem, arr)
	if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("got %v, want an invalid UTF-8 error", err)
	}
}

// TestVariantFilesRead writes a shredded variant column to Parquet and to
// Arrow IPC and reads both through Open at several batch sizes: the same
// texts and the same logical digest; a corrupt value is an error naming
// its file row and column.
func TestVariantFilesRead(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	vt := extensions.NewShreddedVariantType(arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Timestamp_us},
	))
	docs := []string{`{"a": 1}`, `{"a": "x", "b": [true]}`, `null`, `3.25`, `{"t": 0}`}
	var vals []*variant.Value
	for _, d := range docs {
		v, err := variant.ParseJSON(d, false)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, &v)
	}
	vals = append(vals, nil)
	want := []string{`{"a":1}`, `{"a":"x","b":[true]}`, `null`, `3.25`, `{"t":0}`, "<null>"}
	corrupt := []byte{0x02, 0x05} // an object header claiming five fields, then nothing
	dir := t.TempDir()
	for _, bad := range []bool{false, true} {
		arr := variantArray(mem, vt, vals)
		if bad {
			arr = withCorruptValue(t, mem, arr, 3, corrupt)
		}
		sc := arrow.NewSchema([]arrow.Field{{Name: "v", Type: vt, Nullable: true}}, nil)
		rec := array.NewRecordBatch(sc, []arrow.Array{arr}, int64(arr.Len()))
		arr.Release()
		pq := filepath.Join(dir, "v.parquet")
		ip := filepath.Join(dir, "v.arrow")
		writeVariantParquet(t, pq, rec)
		writeVariantIPC(t, mem, ip, rec)
		rec.Release()
		for _, p := range []struct {
			path   string
			format Format
		}{{pq, Parquet}, {ip, Arrow}} {
			var digests []string
			for _, bs := range []int{1, 2, 1000} {
				texts, digest, err := readVariantTexts(mem, p.path, p.format, bs)
				if bad {
					if err == nil || !strings.Contains(err.Error(), p.path+": row 4") || !strings.Contains(err.Error(), `column "v"`) {
						t.Errorf("%s batch %d: got %v, want an error at row 4, column v", p.path, bs, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s batch %d: %v", p.path, bs, err)
				}
				if strings.Join(texts, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s batch %d: got %q, want %q", p.path, bs, texts, want)
				}
				digests = append(digests, digest)
			}
			for _, d := range digests {
				if d != digests[0] {
					t.Errorf("%s: digest depends on the batch size: %q", p.path, digests)
				}
			}
		}
	}
}

// withCorruptValue returns arr (released) with row i's value bytes
// replaced, unshredded, by val.
func withCorruptValue(t *testing.T, mem memory.Allocator, arr arrow.Array, i int, val []byte) arrow.Array {
	defer arr.Release()
	va := arr.(*extensions.VariantArray)
	st := va.Storage().(*array.Struct)
	vt := va.DataType().(*extensions.VariantType)
	b := extensions.NewVariantBuilder(mem, vt)
	defer b.Release()
	sb := b.StorageBuilder().(*array.StructBuilder)
	for r := 0; r < arr.Len(); r++ {
		if r != i {
			if st.IsNull(r) {
				b.AppendNull()
				continue
			}
			v, err := va.Value(r)
			if err != nil {
				t.Fatal(err)
			}
			b.Append(v)
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.BinaryBuilder).Append([]byte{1, 0, 0})
		sb.FieldBuilder(1).(*array.BinaryBuilder).Append(val)
		sb.FieldBuilder(2).AppendNull()
	}
	return b.NewArray()
}

func writeVariantParquet(t *testing.T, path string, rec arrow.RecordBatch) {
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), fh, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeVariantIPC(t *testing.T, mem memory.Allocator, path string, rec arrow.RecordBatch) {
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w, err := ipc.NewFileWriter(fh, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readVariantTexts reads the one utf8 column of path through Open and returns its
// texts and the logical digest.
func readVariantTexts(mem memory.Allocator, path string, format Format, batch int) ([]string, string, error) {
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: format, BatchSize: batch})
	if err != nil {
		return nil, "", err
	}
	defer r.Release()
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		return nil, "", err
	}
	var texts []string
	for r.Next() {
		rec := r.RecordBatch()
		s := rec.Column(0).(*array.String)
		for i := 0; i < s.Len(); i++ {
			if s.IsNull(i) {
				texts = append(texts, "<null>")
			} else {
				texts = append(texts, s.Value(i))
			}
		}
		c, err := CanonicalBatch(mem, rec)
		if err != nil {
			return nil, "", err
		}
		err = h.Write(c)
		c.Release()
		if err != nil {
			return nil, "", err
		}
	}
	if err := r.Err(); err != nil {
		return nil, "", err
	}
	return texts, string(h.Sum()), nil
}

// TestVariantInsideAList reads a list of variants: converted element by
// element, an error names the element (a list's index is no row).
func TestVariantInsideAList(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v1 := mkVariant(t, func(b *variant.Builder) error { return b.AppendInt(7) })
	vals := variantArray(mem, extensions.NewDefaultVariantType(), []*variant.Value{&v1, &v1, nil})
	defer vals.Release()
	offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 2, 3}))
	lt := arrow.ListOf(vals.DataType())
	d := array.NewData(lt, 2, []*memory.Buffer{nil, offs}, []arrow.ArrayData{vals.Data()}, 0, 0)
	list := array.MakeFromData(d)
	d.Release()
	defer list.Release()
	out, err := convArray(mem, list)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if got := out.String(); got != `[["7" "7"] [(null)]]` {
		t.Errorf("got %s", got)
	}
	bad := unshreddedStorage(mem, [][2][]byte{{{1, 0, 0}, {0x0c, 1}}, {{1, 0, 0}, {0x02, 0x05}}})
	badv := array.NewExtensionArrayWithStorage(extensions.NewDefaultVariantType(), bad)
	bad.Release()
	defer badv.Release()
	d = array.NewData(arrow.ListOf(badv.DataType()), 1, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 2}))}, []arrow.ArrayData{badv.Data()}, 0, 0)
	blist := array.MakeFromData(d)
	d.Release()
	defer blist.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "l", Type: blist.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{blist}, 1)
	defer rec.Release()
	_, err = convBatch(mem, rec, convSchema(sc))
	if err == nil || !strings.Contains(err.Error(), `column "l": element 1: `) || rowOf(err, 10) != 10 {
		t.Errorf("got %v (row %d), want an error naming element 1 and no row", err, rowOf(err, 10))
	}
}

// FuzzVariantJSON converts arbitrary metadata and value bytes: an error
// naming the row, or valid JSON text, never a panic.
func FuzzVariantJSON(f *testing.F) {
	for _, doc := range []string{`{"a": [1, "two", {"b": null}], "c": 1.5}`, `[[[]], {}, -1, 12345678901234567890.25]`, `"s"`, `null`, `{"k": {"k": {"k": []}}}`} {
		v, err := variant.ParseJSON(doc, false)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v.Metadata().Bytes(), v.Bytes())
	}
	f.Fuzz(func(t *testing.T, meta, val []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		texts, err := unshreddedJSON(t, mem, [][2][]byte{{meta, val}})
		if err != nil {
			var re *variantRowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v names no row", err)
			}
			return
		}
		if err := jsonValid(texts[0]); err != nil {
			t.Fatalf("invalid JSON %q: %v", texts[0], err)
		}
	})
}

// BenchmarkVariantToJSON converts 8192 variants (objects, partly
// shredded; and the same unshredded) per op.
func BenchmarkVariantToJSON(b *testing.B) {
	mem := memory.NewGoAllocator()
	vt := extensions.NewShreddedVariantType(arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String},
	))
	var vals []*variant.Value
	for i := 0; i < 8192; i++ {
		v, err := variant.ParseJSON(fmt.Sprintf(`{"a": %d, "b": "text %d", "extra": [1.5, true, null], "ts": "2024-11-07"}`, i, i), false)
		if err != nil {
			b.Fatal(err)
		}
		vals = append(vals, &v)
	}
	for _, c := range []struct {
		name string
		vt   *extensions.VariantType
	}{{"shredded", vt}, {"unshredded", extensions.NewDefaultVariantType()}} {
		arr := variantArray(mem, c.vt, vals)
		b.Run(c.name, func(b *testing.B) {
			var n int64
			for i := 0; i < b.N; i++ {
				out, err := convArray(mem, arr)
				if err != nil {
					b.Fatal(err)
				}
				n = int64(len(out.(*array.String).ValueBytes()))
				out.Release()
			}
			b.SetBytes(n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*arr.Len()), "ns/row")
		})
		arr.Release()
	}
}

// appendDecimal64 (the fast path for decimals that fit an int64) writes
// what exactDecimal writes.
func TestAppendDecimal64MatchesExactDecimal(t *testing.T) {
	vals := []int64{0, 1, -1, 5, -5, 10, 100, 1234, -1500, math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 999999999999999999, -100000000000000000}
	for i := 0; i < 2000; i++ {
		v := int64(uint64(i)*0x9E3779B97F4A7C15) >> (i % 63)
		vals = append(vals, v)
	}
	for _, v := range vals {
		for s := int32(-3); s <= 20; s++ {
			if got, want := string(appendDecimal64(nil, v, s)), exactDecimal(big.NewInt(v), s); got != want {
				t.Fatalf("appendDecimal64(%d, %d) = %s, want %s", v, s, got, want)
			}
		}
	}
}

// TestVariantStorageLayouts reads the other storage layouts the Arrow
// extension allows (dictionary-encoded metadata, large and view binaries,
// value after typed_value): the same texts as the default layout.
func TestVariantStorageLayouts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var vals []*variant.Value
	for _, d := range []string{`{"a": 1, "b": [true, null]}`, `"x"`, `null`, `{}`} {
		v, err := variant.ParseJSON(d, false)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, &v)
	}
	vals = append(vals, nil)
	plain := variantArray(mem, extensions.NewDefaultVariantType(), vals)
	defer plain.Release()
	want, err := toJSONTexts(t, mem, plain)
	if err != nil {
		t.Fatal(err)
	}
	layouts := map[string]*arrow.StructType{
		"dictionary metadata, large value": arrow.StructOf(
			arrow.Field{Name: "metadata", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.Binary}},
			arrow.Field{Name: "value", Type: arrow.BinaryTypes.LargeBinary, Nullable: true}),
		"views, value first": arrow.StructOf(
			arrow.Field{Name: "value", Type: arrow.BinaryTypes.BinaryView, Nullable: true},
			arrow.Field{Name: "metadata", Type: arrow.BinaryTypes.BinaryView}),
	}
	for name, st := range layouts {
		vt, err := extensions.NewVariantType(st)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		arr := variantArray(mem, vt, vals)
		got, err := toJSONTexts(t, mem, arr)
		arr.Release()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

// TestVariantInvalidShreddingIsAnError covers the spec's invalid layouts
// that parquet-testing has no case for.
func TestVariantInvalidShreddingIsAnError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	vt := extensions.NewShreddedVariantType(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}))
	st := vt.StorageType().(*arrow.StructType)
	obj, err := variant.ParseJSON(`{"z": 1}`, false)
	if err != nil {
		t.Fatal(err)
	}
	emptyMeta := []byte{1, 0, 0}
	cases := []struct {
		name string
		fill func(b *array.StructBuilder)
		want string
	}{
		{"object in value, typed_value null", func(b *array.StructBuilder) {
			b.Append(true)
			b.FieldBuilder(0).(*array.BinaryBuilder).Append(obj.Metadata().Bytes())
			b.FieldBuilder(1).(*array.BinaryBuilder).Append(obj.Bytes())
			b.FieldBuilder(2).AppendNull()
		}, "is an object while typed_value, a shredded object, is null"},
		{"shredded field group null", func(b *array.StructBuilder) {
			b.Append(true)
			b.FieldBuilder(0).(*array.BinaryBuilder).Append(emptyMeta)
			b.FieldBuilder(1).AppendNull()
			tb := b.FieldBuilder(2).(*array.StructBuilder)
			tb.Append(true)
			tb.FieldBuilder(0).AppendNull()
		}, "typed_value.a is null; a shredded object field group must be present"},
		{"metadata of another version", func(b *array.StructBuilder) {
			b.Append(true)
			b.FieldBuilder(0).(*array.BinaryBuilder).Append([]byte{2, 0, 0})
			b.FieldBuilder(1).(*array.BinaryBuilder).Append([]byte{0})
			b.FieldBuilder(2).AppendNull()
		}, "unsupported version"},
		{"empty value", func(b *array.StructBuilder) {
			b.Append(true)
			b.FieldBuilder(0).(*array.BinaryBuilder).Append(emptyMeta)
			b.FieldBuilder(1).(*array.BinaryBuilder).Append([]byte{})
			b.FieldBuilder(2).AppendNull()
		}, "empty"},
	}
	for _, c := range cases {
		b := array.NewStructBuilder(mem, st)
		c.fill(b)
		storage := b.NewArray()
		b.Release()
		arr := array.NewExtensionArrayWithStorage(vt, storage)
		storage.Release()
		_, err := toJSONTexts(t, mem, arr)
		arr.Release()
		var re *variantRowError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &re) || re.row != 0 {
			t.Errorf("%s: got %v, want an error at row 0 saying %q", c.name, err, c.want)
		}
	}
}

func TestVariantTimeOutsideTheDayIsAnError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, us := range []int64{-1, microsPerDay} {
		v := mkVariant(t, func(b *variant.Builder) error { return b.AppendTimeMicro(arrow.Time64(us)) })
		arr := variantArray(mem, extensions.NewDefaultVariantType(), []*variant.Value{&v})
		_, err := toJSONTexts(t, mem, arr)
		arr.Release()
		if err == nil || !strings.Contains(err.Error(), "outside [00:00, 24:00)") {
			t.Errorf("time %d µs: got %v, want an error", us, err)
		}
	}
}

// TestVariantLongFormEmptyString: a primitive (long-form) string of length
// 0 is valid and reads as "", alone and inside an array and an object
// (arrow-go v18.8.0's Value() panics on it; found by FuzzVariantJSON).
func TestVariantLongFormEmptyString(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	noKeys := []byte{0x01, 0x00, 0x00}
	oneKey := []byte{0x01, 0x01, 0x00, 0x01, 'k'}
	empty := []byte{16 << 2, 0, 0, 0, 0}
	hi := []byte{16 << 2, 2, 0, 0, 0, 'h', 'i'}
	rows := [][2][]byte{
		{noKeys, empty},
		{noKeys, hi},
		{noKeys, append([]byte{0x03, 0x02, 0x00, 0x05, 0x0c}, append(append([]byte{}, empty...), hi...)...)},
		{oneKey, append([]byte{0x02, 0x01, 0x00, 0x00, 0x05}, empty...)},
	}
	texts, err := unshreddedJSON(t, mem, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`""`, `"hi"`, `["","hi"]`, `{"k":""}`}
	for i, w := range want {
		if texts[i] != w {
			t.Errorf("row %d: got %s, want %s", i, texts[i], w)
		}
	}
}
