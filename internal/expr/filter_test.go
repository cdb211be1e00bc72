package expr

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var filterSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "d32", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "y", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), Nullable: true},
	{Name: "dialog", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "speaker", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	{Name: "ll", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "fsl", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
}, nil)

// randomRows writes n JSON rows for filterSchema; about one value in six
// is null.
func randomRows(r *rand.Rand, n int) string {
	null := func() bool { return r.IntN(6) == 0 }
	rows := make([]map[string]any, n)
	word := func() string {
		w := []string{"", "a", "usr", "sys", "ÄÖü", "longer text with spaces", "x"}
		return w[r.IntN(len(w))]
	}
	for i := range rows {
		row := map[string]any{}
		set := func(k string, v any) {
			if null() {
				row[k] = nil
			} else {
				row[k] = v
			}
		}
		set("i8", r.IntN(200)-100)
		set("i32", r.Int32())
		set("i64", r.Int64()-r.Int64())
		set("u16", r.IntN(65536))
		set("f32", float32(r.NormFloat64()))
		set("f64", r.NormFloat64())
		set("b", r.IntN(2) == 0)
		set("s", word())
		set("ls", word()+word())
		set("bin", []byte(word()))
		set("ts", "2024-05-14T10:00:00Z")
		set("d32", "2024-05-14")
		set("dec", fmt.Sprintf("%d.%02d", r.IntN(1000), r.IntN(100)))
		set("st", map[string]any{"x": word(), "y": r.IntN(10)})
		var dl []any
		for k := r.IntN(4); k > 0; k-- {
			if null() {
				dl = append(dl, nil)
			} else {
				dl = append(dl, map[string]any{"speaker": word(), "text": word()})
			}
		}
		set("dialog", dl)
		var ll []any
		for k := r.IntN(3); k > 0; k-- {
			ll = append(ll, r.Float64())
		}
		set("ll", ll)
		set("fsl", []float32{float32(r.IntN(9)), float32(r.IntN(9))})
		set("m", []map[string]any{{"key": word() + "k", "value": r.IntN(5)}})
		rows[i] = row
	}
	b, err := json.Marshal(rows)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// withDictionary appends a dictionary<int16, utf8> column.
func withDictionary(t testing.TB, mem memory.Allocator, rec arrow.RecordBatch, r *rand.Rand) arrow.RecordBatch {
	t.Helper()
	n := int(rec.NumRows())
	idx := make([]string, n)
	for i := range idx {
		if r.IntN(6) == 0 {
			idx[i] = "null"
		} else {
			idx[i] = fmt.Sprint(r.IntN(3))
		}
	}
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	dict, err := array.DictArrayFromJSON(mem, dt, "["+strings.Join(idx, ",")+"]", `["anxiety","depression","sadness"]`)
	if err != nil {
		t.Fatal(err)
	}
	defer dict.Release()
	fields := append(rec.Schema().Fields(), arrow.Field{Name: "dict", Type: dt, Nullable: true})
	cols := append(append([]arrow.Array(nil), rec.Columns()...), dict)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
}

func randomMask(t testing.TB, mem memory.Allocator, r *rand.Rand, n int, density int) *array.Boolean {
	t.Helper()
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for i := 0; i < n; i++ {
		switch v := r.IntN(10); {
		case v == 0:
			b.AppendNull()
		default:
			b.Append(v <= density)
		}
	}
	return b.NewBooleanArray()
}

func TestFilterMatchesCompute(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(1, 2))
	base := recFromJSON(t, mem, filterSchema, randomRows(r, 300))
	rec := withDictionary(t, mem, base, r)
	base.Release()
	defer rec.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	for _, tc := range []struct {
		name    string
		lo, hi  int64
		density int // of 9 non-null mask values, how many are true
	}{
		{"whole/sparse", 0, 300, 2},
		{"whole/dense", 0, 300, 8},
		{"whole/all", 0, 300, 9},
		{"whole/none", 0, 300, 0},
		{"slice/3-250", 3, 250, 5},
		{"slice/77-78", 77, 78, 9},
		{"slice/empty", 10, 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sl := rec.NewSlice(tc.lo, tc.hi)
			defer sl.Release()
			full := randomMask(t, mem, r, int(tc.hi-tc.lo)+5, tc.density)
			defer full.Release()
			mask := array.NewSlice(full, 5, int64(full.Len())).(*array.Boolean) // sliced mask too
			defer mask.Release()
			got, err := Filter(ctx, mem, sl, mask)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			want, err := compute.FilterRecordBatch(ctx, sl, mask, compute.DefaultFilterOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			if got.NumRows() != want.NumRows() {
				t.Fatalf("Filter rows = %d, want %d", got.NumRows(), want.NumRows())
			}
			for i := range got.Columns() {
				g, w := got.Column(i), want.Column(i)
				if err := validateFull(g); err != nil {
					t.Errorf("column %s invalid: %v", got.ColumnName(i), err)
				}
				if !array.Equal(g, w) {
					t.Errorf("column %s (%s):\n got %v\nwant %v", got.ColumnName(i), g.DataType(), g, w)
				}
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, testSchema, testRows)
	defer rec.Release()
	mask := randomMask(t, mem, rand.New(rand.NewPCG(3, 4)), 3, 5)
	defer mask.Release()
	if _, err := Filter(context.Background(), mem, rec, mask); err == nil || !strings.Contains(err.Error(), "3 values") {
		t.Errorf("Filter with short mask: err = %v", err)
	}
}

// TestFilterWithProgram runs the way the filter op uses this package.
func TestFilterWithProgram(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recFromJSON(t, mem, testSchema, testRows)
	defer rec.Release()
	p, diags := Compile(parse(t, `i < 3 || st.x == "usr"`), rec.Schema(), nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	m, err := p.Eval(context.Background(), mem, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	out, err := Filter(context.Background(), mem, rec, m.(*array.Boolean))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	b, _ := json.Marshal(out.Column(0))
	if got, want := string(b), `[5,-7,0]`; got != want {
		t.Errorf("filtered i = %s, want %s", got, want)
	}
}
