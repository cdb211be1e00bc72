package arrowio

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// smallTable reads testdata/small.jsonl (nested structs, lists, nulls).
func smallTable(t *testing.T, mem memory.Allocator) []arrow.RecordBatch {
	_, recs := readAll(t, mem, []string{"testdata/small.jsonl"}, ReadOptions{})
	return recs
}

func TestLogicalDigestBatching(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	recs := smallTable(t, mem)
	defer releaseAll(recs)
	// Repeat to get enough rows for batch boundaries to fall everywhere.
	var many []arrow.RecordBatch
	for i := 0; i < 50; i++ {
		many = append(many, recs...)
	}
	var want string
	for _, size := range []int64{4096, 7, 1} {
		b := rebatch(t, mem, many, size)
		got := digestOf(t, mem, b)
		releaseAll(b)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("batch size %d: digest %s, want %s", size, got, want)
		}
	}
	if !strings.HasPrefix(want, "sha256:") {
		t.Errorf("digest %s is not sha256", want)
	}
}

func digestStrings(t *testing.T, mem memory.Allocator, name string, vals []*string, offset int) string {
	t.Helper()
	b := array.NewStringBuilder(mem)
	defer b.Release()
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	for i, v := range vals {
		if v == nil {
			b.AppendNull()
			ib.AppendNull()
		} else {
			b.Append(*v)
			ib.Append(int64(len(*v)) * int64(i+1))
		}
	}
	sa, ia := b.NewArray(), ib.NewArray()
	defer sa.Release()
	defer ia.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{sa, ia}, int64(len(vals)))
	defer rec.Release()
	sl := rec.NewSlice(int64(offset), rec.NumRows())
	defer sl.Release()
	return digestOf(t, mem, []arrow.RecordBatch{sl})
}

func sp(s string) *string { return &s }

func TestLogicalDigestSensitivity(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	base := digestStrings(t, mem, "text", []*string{sp("a"), sp(""), nil, sp("b")}, 0)
	for _, tc := range []struct {
		name string
		got  string
	}{
		{"changed value", digestStrings(t, mem, "text", []*string{sp("a"), sp(""), nil, sp("c")}, 0)},
		{"changed column name", digestStrings(t, mem, "txt", []*string{sp("a"), sp(""), nil, sp("b")}, 0)},
		{"null instead of empty string", digestStrings(t, mem, "text", []*string{sp("a"), nil, nil, sp("b")}, 0)},
		{"empty string instead of null", digestStrings(t, mem, "text", []*string{sp("a"), sp(""), sp(""), sp("b")}, 0)},
		{"values moved across a boundary", digestStrings(t, mem, "text", []*string{sp("a"), sp(""), nil, sp("b"), sp("")}, 0)},
	} {
		if tc.got == base {
			t.Errorf("%s: digest unchanged (%s)", tc.name, base)
		}
	}
	// Sliced arrays (non-zero offset) hash like the same values unsliced.
	b := array.NewStringBuilder(mem)
	b.AppendValues([]string{"zz", "q", "a", "", "x", "b"}, []bool{true, false, true, true, false, true})
	full := b.NewArray()
	b.Release()
	defer full.Release()
	part := array.NewSlice(full, 2, 6)
	defer part.Release()
	b = array.NewStringBuilder(mem)
	b.AppendValues([]string{"a", "", "", "b"}, []bool{true, true, false, true})
	fresh := b.NewArray()
	b.Release()
	defer fresh.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	r1 := array.NewRecordBatch(sc, []arrow.Array{part}, 4)
	r2 := array.NewRecordBatch(sc, []arrow.Array{fresh}, 4)
	defer r1.Release()
	defer r2.Release()
	if d1, d2 := digestOf(t, mem, []arrow.RecordBatch{r1}), digestOf(t, mem, []arrow.RecordBatch{r2}); d1 != d2 {
		t.Errorf("sliced array digest %s, unsliced %s; want equal", d1, d2)
	}
}

func TestLogicalDigestUnsupported(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "ok", Type: arrow.PrimitiveTypes.Int64},
		{Name: "u", Type: arrow.SparseUnionOf([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int8}}, []arrow.UnionTypeCode{0})},
	}, nil)
	_, err := NewLogicalHasher(sc)
	if err == nil || !strings.Contains(err.Error(), `"u"`) || !strings.Contains(err.Error(), "sparse_union") {
		t.Errorf("NewLogicalHasher(union) = %v, want an error naming column \"u\" and its type", err)
	}
}

func TestFirstDifference(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	mk := func(vals []string, nulls []bool, batch int64) array.RecordReader {
		b := array.NewStringBuilder(mem)
		b.AppendValues(vals, nulls)
		a := b.NewArray()
		b.Release()
		sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "text", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		ib := array.NewInt64Builder(mem)
		for i := range vals {
			ib.Append(int64(i))
		}
		ia := ib.NewArray()
		ib.Release()
		rec := array.NewRecordBatch(sc, []arrow.Array{ia, a}, int64(len(vals)))
		a.Release()
		ia.Release()
		recs := rebatch(t, mem, []arrow.RecordBatch{rec}, batch)
		rec.Release()
		r, err := array.NewRecordReader(sc, recs)
		if err != nil {
			t.Fatal(err)
		}
		releaseAll(recs)
		return r
	}
	vals := func(n int, change map[int]string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "v" + string(rune('a'+i%26))
			if c, ok := change[i]; ok {
				out[i] = c
			}
		}
		return out
	}
	tests := []struct {
		name string
		a, b array.RecordReader
		want string
	}{
		{"equal, different batching", mk(vals(300, nil), nil, 7), mk(vals(300, nil), nil, 64), ""},
		{"a run of rows", mk(vals(300, nil), nil, 7), mk(vals(300, map[int]string{120: "foo", 121: "x", 122: "y"}), nil, 50),
			`column "text": rows 120–122 differ (first: row 120 "vq" vs "foo")`},
		{"null vs empty", mk([]string{"a", ""}, nil, 1), mk([]string{"a", ""}, []bool{true, false}, 2),
			`column "text": row 1 differs ("" vs null)`},
		{"row count", mk(vals(196, nil), nil, 10), mk(vals(276, nil), nil, 100), "row count 196 vs 276"},
	}
	for _, tt := range tests {
		got, err := FirstDifference(tt.a, tt.b)
		tt.a.Release()
		tt.b.Release()
		if err != nil || got != tt.want {
			t.Errorf("%s: FirstDifference = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	sa := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	sb := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String}}, nil)
	ra, _ := array.NewRecordReader(sa, nil)
	rb, _ := array.NewRecordReader(sb, nil)
	defer ra.Release()
	defer rb.Release()
	if got, _ := FirstDifference(ra, rb); !strings.HasPrefix(got, "schema differs: column 0") {
		t.Errorf("FirstDifference(int64, utf8) = %q, want schema differs", got)
	}
}

// The physical variants of a string column hash alike: utf8, large_utf8,
// string_view and a dictionary of strings, with nulls in any of them; and
// bytes moving from one value to the next change the digest.
func TestLogicalDigestStringVariants(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	vals := []string{"ab", "", "c", "ab", "longer than twelve bytes", "x"}
	valid := []bool{true, true, false, true, true, true}
	one := func(arr arrow.Array) string {
		defer arr.Release()
		sc := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arr.DataType(), Nullable: true}}, nil)
		rec := array.NewRecordBatch(sc, []arrow.Array{arr}, int64(arr.Len()))
		defer rec.Release()
		return digestOf(t, mem, []arrow.RecordBatch{rec})
	}
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(vals, valid)
	want := one(sb.NewArray())
	sb.Release()
	lb := array.NewLargeStringBuilder(mem)
	lb.AppendValues(vals, valid)
	vb := array.NewStringViewBuilder(mem)
	vb.AppendValues(vals, valid)
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for i, v := range vals {
		if !valid[i] {
			db.AppendNull()
		} else if err := db.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	for name, arr := range map[string]arrow.Array{"large_utf8": lb.NewArray(), "string_view": vb.NewArray(), "dictionary": db.NewArray()} {
		if got := one(arr); got != want {
			t.Errorf("%s: digest %s, utf8 %s", name, got, want)
		}
	}
	lb.Release()
	vb.Release()
	db.Release()
	sb = array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b", "c", "ab", "longer than twelve bytes", "x"}, valid) // "ab","" -> "a","b"
	if got := one(sb.NewArray()); got == want {
		t.Errorf("moving a byte to the next value kept the digest %s", got)
	}
	sb.Release()
}

// An empty batch between two others changes nothing, even right after a
// null (it must not split the run of nulls).
func TestLogicalDigestEmptyBatch(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	batch := func(vals []int64, valid []bool) arrow.RecordBatch {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, valid)
		a := b.NewArray()
		defer a.Release()
		return array.NewRecordBatch(sc, []arrow.Array{a}, int64(a.Len()))
	}
	whole := []arrow.RecordBatch{batch([]int64{1, 0, 3}, []bool{true, false, true})}
	split := []arrow.RecordBatch{
		batch([]int64{1, 0}, []bool{true, false}),
		batch(nil, nil),
		batch([]int64{3}, []bool{true}),
	}
	defer releaseAll(whole)
	defer releaseAll(split)
	if a, b := digestOf(t, mem, whole), digestOf(t, mem, split); a != b {
		t.Errorf("digest with an empty batch after a null %s, without %s", b, a)
	}
}
