package arrowio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/variant"
	"github.com/google/uuid"
)

// shreddedCase is one entry of parquet-testing's shredded_variant/cases.json.
type shreddedCase struct {
	Number       int       `json:"case_number"`
	Test         string    `json:"test"`
	ParquetFile  string    `json:"parquet_file"`
	VariantFile  *string   `json:"variant_file"`
	VariantFiles []*string `json:"variant_files"`
	ErrorMessage string    `json:"error_message"`
	Notes        string    `json:"notes"`
}

// shreddedRefused is why each case the corpus marks as an error (or as
// INVALID: "implementations can choose to error") must be refused: a
// phrase the error must contain.
var shreddedRefused = map[int]string{
	40:  "conflicting value and typed_value", // array element with both
	42:  "conflicting value and typed_value", // primitive with both
	43:  "both shredded in",                  // residual repeats a (missing) shredded field
	84:  "typed_value",                       // optional shredded field groups (arrow-go refuses the schema)
	87:  "is not an object but typed_value has shredded fields",
	125: "both shredded in", // residual repeats a present shredded field
	127: "uint32, which Parquet variant shredding does not allow",
	128: "is not an object but typed_value has shredded fields",
	137: "fixed_size_binary[4], which Parquet variant shredding does not allow",
}

var columnVar = regexp.MustCompile(`column "?var"?[:,]`)

// TestShreddedVariantCases reads every Parquet file of parquet-testing's
// shredded_variant/ (Iceberg's reader test cases) as fetch does and
// compares each row, value by value and type by type, with the case's
// expected unshredded variant (its .variant.bin: metadata then value), by
// parsing the JSON text the reader produced back; error and INVALID cases
// must be refused, naming the file and the column, without a panic.
func TestShreddedVariantCases(t *testing.T) {
	dir := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "shredded_variant")
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []shreddedCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	read, refused := 0, 0
	for _, c := range cases {
		if c.ParquetFile == "" {
			continue // case 3 has no files
		}
		t.Run(fmt.Sprintf("case-%03d-%s", c.Number, c.Test), func(t *testing.T) {
			path := filepath.Join(dir, c.ParquetFile)
			rows, err := readVariantColumn(path, "var")
			if phrase, ok := shreddedRefused[c.Number]; ok {
				if c.ErrorMessage == "" && !strings.Contains(c.ParquetFile, "INVALID") {
					t.Fatalf("case %d is listed as refused but the corpus expects a value", c.Number)
				}
				if err == nil {
					t.Fatalf("read %d rows; the corpus says: %s%s", len(rows), c.ErrorMessage, c.Notes)
				}
				msg := err.Error()
				for _, want := range []string{path, phrase} {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not contain %q", msg, want)
					}
				}
				if !columnVar.MatchString(msg) {
					t.Errorf("error %q does not name the column var", msg)
				}
				if strings.Contains(msg, "panic") || strings.Contains(msg, "runtime error") {
					t.Errorf("a decoder panicked: %v", err)
				}
				refused++
				return
			}
			if c.ErrorMessage != "" {
				t.Fatalf("corpus error case %d (%s) is not in shreddedRefused", c.Number, c.ErrorMessage)
			}
			if err != nil {
				t.Fatal(err)
			}
			files := c.VariantFiles
			if c.VariantFile != nil {
				files = []*string{c.VariantFile}
			}
			if len(rows) != len(files) {
				t.Fatalf("%d rows, want %d", len(rows), len(files))
			}
			for i, f := range files {
				if f == nil {
					if rows[i] != nil {
						t.Errorf("row %d = %s, want null (a missing variant)", i, *rows[i])
					}
					continue
				}
				if rows[i] == nil {
					t.Errorf("row %d is null, want %s", i, *f)
					continue
				}
				want := readVariantBin(t, filepath.Join(dir, *f))
				if err := sameVariant(want, *rows[i]); err != nil {
					t.Errorf("row %d = %s: %v (want %s)", i, *rows[i], err, want.String())
				}
			}
			read++
		})
	}
	t.Logf("%d cases read and equal to their variants, %d refused", read, refused)
	if read+refused < 130 {
		t.Errorf("only %d cases checked", read+refused)
	}
}

// readVariantColumn reads column col of a Parquet file through Open: each
// row's text, nil for null.
func readVariantColumn(path, col string) ([]*string, error) {
	mem := memory.NewGoAllocator()
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: Parquet})
	if err != nil {
		return nil, err
	}
	defer r.Release()
	idx := r.Schema().FieldIndices(col)
	if len(idx) != 1 {
		return nil, fmt.Errorf("no column %q in %s", col, r.Schema())
	}
	var out []*string
	for r.Next() {
		s, ok := r.RecordBatch().Column(idx[0]).(*array.String)
		if !ok {
			return nil, fmt.Errorf("column %q has type %s, want utf8", col, r.RecordBatch().Column(idx[0]).DataType())
		}
		for i := 0; i < s.Len(); i++ {
			if s.IsNull(i) {
				out = append(out, nil)
				continue
			}
			v := s.Value(i)
			out = append(out, &v)
		}
	}
	return out, r.Err()
}

// readVariantBin decodes a corpus .variant.bin: metadata, then value.
func readVariantBin(t *testing.T, path string) variant.Value {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := variant.NewMetadata(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := m.SizeBytes()
	v, err := variant.New(b[:n], b[n:])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// jnode is parsed JSON with object keys in their order.
type jnode struct {
	kind  byte // 'n' null, 'b' bool, '#' number, 's' string, '[' array, '{' object
	b     bool
	s     string // number text or string
	elems []jnode
	keys  []string
}

func parseJSONOrdered(text string) (jnode, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	n, err := parseJNode(dec)
	if err != nil {
		return n, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, fmt.Errorf("trailing data after the JSON value")
	}
	return n, nil
}

func parseJNode(dec *json.Decoder) (jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return jnode{}, err
	}
	switch x := tok.(type) {
	case nil:
		return jnode{kind: 'n'}, nil
	case bool:
		return jnode{kind: 'b', b: x}, nil
	case json.Number:
		return jnode{kind: '#', s: string(x)}, nil
	case string:
		return jnode{kind: 's', s: x}, nil
	case json.Delim:
		n := jnode{kind: byte(x)}
		for dec.More() {
			if x == '{' {
				k, err := dec.Token()
				if err != nil {
					return n, err
				}
				n.keys = append(n.keys, k.(string))
			}
			e, err := parseJNode(dec)
			if err != nil {
				return n, err
			}
			n.elems = append(n.elems, e)
		}
		_, err := dec.Token() // closing delimiter
		return n, err
	}
	return jnode{}, fmt.Errorf("unexpected token %v", tok)
}

// sameVariant checks that the JSON text got denotes the variant want, by
// the mapping documented in variant.go: type by type, numbers exactly,
// object keys in the variant's order.
func sameVariant(want variant.Value, got string) error {
	n, err := parseJSONOrdered(got)
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return sameVariantNode(want, n)
}

func sameVariantNode(want variant.Value, n jnode) error {
	mismatch := func() error { return fmt.Errorf("%s: got JSON %c %q", want.String(), n.kind, n.s) }
	switch want.Type() {
	case variant.Null:
		if n.kind != 'n' {
			return mismatch()
		}
		return nil
	case variant.Object:
		o := want.Value().(variant.ObjectValue)
		if n.kind != '{' || len(n.keys) != int(o.NumElements()) {
			return mismatch()
		}
		for j := uint32(0); j < o.NumElements(); j++ {
			f, err := o.FieldAt(j)
			if err != nil {
				return err
			}
			if n.keys[j] != f.Key {
				return fmt.Errorf("key %d is %q, want %q", j, n.keys[j], f.Key)
			}
			if err := sameVariantNode(f.Value, n.elems[j]); err != nil {
				return fmt.Errorf("%s: %w", f.Key, err)
			}
		}
		return nil
	case variant.Array:
		a := want.Value().(variant.ArrayValue)
		if n.kind != '[' || len(n.elems) != int(a.Len()) {
			return mismatch()
		}
		for j := uint32(0); j < a.Len(); j++ {
			e, err := a.Value(j)
			if err != nil {
				return err
			}
			if err := sameVariantNode(e, n.elems[j]); err != nil {
				return fmt.Errorf("[%d]: %w", j, err)
			}
		}
		return nil
	}
	switch x := want.Value().(type) {
	case bool:
		if n.kind != 'b' || n.b != x {
			return mismatch()
		}
	case int8, int16, int32, int64:
		v, err := strconv.ParseInt(n.s, 10, 64)
		if n.kind != '#' || err != nil || fmt.Sprint(v) != fmt.Sprint(x) {
			return mismatch()
		}
	case float32:
		if n.kind == 's' && (math.IsNaN(float64(x)) || math.IsInf(float64(x), 0)) {
			if n.s != nonFinite(float64(x)) {
				return mismatch()
			}
			return nil
		}
		v, err := strconv.ParseFloat(n.s, 32)
		if n.kind != '#' || err != nil || math.Float32bits(float32(v)) != math.Float32bits(x) {
			return mismatch()
		}
	case float64:
		if n.kind == 's' && (math.IsNaN(x) || math.IsInf(x, 0)) {
			if n.s != nonFinite(x) {
				return mismatch()
			}
			return nil
		}
		v, err := strconv.ParseFloat(n.s, 64)
		if n.kind != '#' || err != nil || math.Float64bits(v) != math.Float64bits(x) {
			return mismatch()
		}
	case variant.DecimalValue[decimal.Decimal32]:
		return sameDecimal(n, big.NewInt(int64(x.Value.(decimal.Decimal32))), int(x.Scale), want)
	case variant.DecimalValue[decimal.Decimal64]:
		return sameDecimal(n, big.NewInt(int64(x.Value.(decimal.Decimal64))), int(x.Scale), want)
	case variant.DecimalValue[decimal.Decimal128]:
		return sameDecimal(n, x.Value.(decimal.Decimal128).BigInt(), int(x.Scale), want)
	case string:
		if n.kind != 's' || n.s != x {
			return mismatch()
		}
	case []byte:
		b, err := base64.StdEncoding.DecodeString(n.s)
		if n.kind != 's' || err != nil || !bytes.Equal(b, x) {
			return mismatch()
		}
	case uuid.UUID:
		u, err := uuid.Parse(n.s)
		if n.kind != 's' || err != nil || u != x || n.s != strings.ToLower(n.s) {
			return mismatch()
		}
	case arrow.Date32:
		d, err := time.Parse(time.DateOnly, n.s)
		if n.kind != 's' || err != nil || d.Unix() != int64(x)*86400 {
			return mismatch()
		}
	case arrow.Time64:
		d, err := time.Parse("15:04:05", n.s)
		us := int64(d.Hour())*3600e6 + int64(d.Minute())*60e6 + int64(d.Second())*1e6 + int64(d.Nanosecond()/1000)
		if n.kind != 's' || err != nil || d.Nanosecond()%1000 != 0 || us != int64(x) {
			return mismatch()
		}
	case arrow.Timestamp:
		if n.kind != 's' {
			return mismatch()
		}
		var d time.Time
		var err error
		switch want.Type() {
		case variant.TimestampMicros, variant.TimestampNanos:
			if !strings.HasSuffix(n.s, "Z") {
				return fmt.Errorf("%s: got %q, want an instant in UTC (Z)", want.String(), n.s)
			}
			d, err = time.Parse(time.RFC3339Nano, n.s)
		default:
			d, err = time.Parse("2006-01-02T15:04:05", n.s)
		}
		if err != nil {
			return fmt.Errorf("%s: got %q: %v", want.String(), n.s, err)
		}
		got := d.UnixMicro()
		if want.Type() == variant.TimestampNanos || want.Type() == variant.TimestampNanosNTZ {
			got = d.UnixNano()
		} else if d.Nanosecond()%1000 != 0 {
			return mismatch()
		}
		if got != int64(x) {
			return mismatch()
		}
	default:
		return fmt.Errorf("%s: no comparison for Go type %T", want.String(), x)
	}
	return nil
}

func sameDecimal(n jnode, unscaled *big.Int, scale int, want variant.Value) error {
	got, ok := new(big.Rat).SetString(n.s)
	w := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	if n.kind != '#' || !ok || got.Cmp(w) != 0 || strings.ContainsAny(n.s, "eE") {
		return fmt.Errorf("%s: got JSON %c %q", want.String(), n.kind, n.s)
	}
	return nil
}

func nonFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f > 0:
		return "Infinity"
	}
	return "-Infinity"
}

// TestVariantBinaryExamples converts each example of parquet-testing's
// variant/ folder (unshredded metadata and value, one per primitive type
// and a few objects and arrays) and compares the text with the decoded
// variant (type by type) and with the folder's data_dictionary.json,
// written independently by the Spark script that made the examples: equal
// values, compared as numbers (the dictionary prints decimal16 through a
// float) and as instants (it prints timestamps in other notations).
func TestVariantBinaryExamples(t *testing.T) {
	dir := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing", "variant")
	raw, err := os.ReadFile(filepath.Join(dir, "data_dictionary.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The file ends with "...,\n}": a trailing comma JSON does not allow.
	raw = regexp.MustCompile(`,\s*}\s*$`).ReplaceAll(raw, []byte("}"))
	var dict map[string]json.RawMessage
	if err := json.Unmarshal(raw, &dict); err != nil {
		t.Fatal(err)
	}
	metas, _ := filepath.Glob(filepath.Join(dir, "*.metadata"))
	if len(metas) < 29 {
		t.Fatalf("only %d examples", len(metas))
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, mp := range metas {
		name := strings.TrimSuffix(filepath.Base(mp), ".metadata")
		t.Run(name, func(t *testing.T) {
			mb, err := os.ReadFile(mp)
			if err != nil {
				t.Fatal(err)
			}
			vb, err := os.ReadFile(filepath.Join(dir, name+".value"))
			if err != nil {
				t.Fatal(err)
			}
			texts, err := unshreddedJSON(t, mem, [][2][]byte{{mb, vb}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := variant.New(mb, vb)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameVariant(v, texts[0]); err != nil {
				t.Errorf("%s: %v", texts[0], err)
			}
			want, ok := dict[name]
			if !ok {
				if name == "long_string" {
					return // not in the dictionary; checked against its bytes above
				}
				t.Fatalf("not in data_dictionary.json")
			}
			var w, g any
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(strings.NewReader(texts[0]))
			dec.UseNumber()
			if err := dec.Decode(&g); err != nil {
				t.Fatal(err)
			}
			if d := dictDiff(g, w); d != "" {
				t.Errorf("got %s, data_dictionary.json %s: %s", texts[0], want, d)
			}
		})
	}
}

// dictDiff compares our JSON value g with the dictionary's w.
func dictDiff(g, w any) string {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok || len(gm) != len(w) {
			return fmt.Sprintf("object %v vs %v", g, w)
		}
		for k, wv := range w {
			if d := dictDiff(gm[k], wv); d != "" {
				return k + ": " + d
			}
		}
		return ""
	case []any:
		ga, ok := g.([]any)
		if !ok || len(ga) != len(w) {
			return fmt.Sprintf("array %v vs %v", g, w)
		}
		for i := range w {
			if d := dictDiff(ga[i], w[i]); d != "" {
				return fmt.Sprintf("[%d]: %s", i, d)
			}
		}
		return ""
	case float64:
		n, ok := g.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if !ok || err != nil || (f != w && float32(f) != float32(w)) {
			return fmt.Sprintf("number %v vs %v", g, w)
		}
		return ""
	case string:
		gs, ok := g.(string)
		if !ok {
			return fmt.Sprintf("%v vs string %q", g, w)
		}
		if gs == w {
			return ""
		}
		// The dictionary's time of day separates the microseconds by a
		// colon; its timestamps use a space and offsets.
		if tw, ok := dictTime(regexp.MustCompile(`^(\d\d:\d\d:\d\d):`).ReplaceAllString(w, "$1.")); ok {
			if tg, ok := dictTime(gs); ok && tg.Equal(tw) {
				return ""
			}
		}
		return fmt.Sprintf("%q vs %q", gs, w)
	}
	if g != w {
		return fmt.Sprintf("%v vs %v", g, w)
	}
	return ""
}

func dictTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
