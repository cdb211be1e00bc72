package artifact

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/expr"
)

// Byte-limited cuts depend on the values alone: the same rows fed in
// batches of any size give the same sequence of batch sizes.
func TestRechunkByBytesIndependentOfInputBatching(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const rows = 500
	for i := 0; i < rows; i++ {
		sb := b.Field(0).(*array.StringBuilder)
		if i%13 == 0 {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("%0*d", 1+(i*37)%90, i))
		}
		lb := b.Field(1).(*array.ListBuilder)
		if i%11 == 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for j := 0; j < i%5; j++ {
			lb.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("item-%d-%d", i, j))
		}
	}
	all := b.NewRecordBatch()
	defer all.Release()

	cuts := func(size int64) []int64 {
		var got []int64
		r := newRechunker(100, gatherTo(mem, schema, func(rec arrow.RecordBatch) error {
			got = append(got, rec.NumRows())
			return nil
		}))
		r.limit = 1500
		for off := int64(0); off < rows; off += size {
			part := all.NewSlice(off, min(off+size, rows))
			if err := r.Add(part); err != nil {
				t.Fatal(err)
			}
			part.Release()
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := cuts(rows)
	if len(want) < 5 || slices.Max(want) >= 100 {
		t.Fatalf("cuts %v: the byte limit did not cut batches", want)
	}

	// Weights of selected rows are those rows' weights in batchWeights.
	full := batchWeights(all)
	for _, every := range []int{1, 2, 3, 7} {
		var rowsKept []int64
		bld := array.NewBooleanBuilder(mem)
		for i := 0; i < rows; i++ {
			keep := i%every == 0
			bld.Append(keep)
			if keep {
				rowsKept = append(rowsKept, full[i])
			}
		}
		mask := bld.NewBooleanArray()
		bld.Release()
		got := keptWeights(all, expr.SelectMask(mask))
		mask.Release()
		if !slices.Equal(got, rowsKept) {
			t.Errorf("keptWeights of every %d rows = %v, want %v", every, got, rowsKept)
		}
	}
	// A filter's selection cuts like the filtered batch: feed every other
	// row through AddRows, and the same rows materialized through Add.
	selCuts := func(size int64) []int64 {
		var got []int64
		r := newRechunker(100, gatherTo(mem, schema, func(rec arrow.RecordBatch) error {
			got = append(got, rec.NumRows())
			return nil
		}))
		r.limit = 1500
		for off := int64(0); off < rows; off += size {
			part := all.NewSlice(off, min(off+size, rows))
			bld := array.NewBooleanBuilder(mem)
			for i := off; i < min(off+size, rows); i++ {
				bld.Append(i%2 == 0)
			}
			mask := bld.NewBooleanArray()
			bld.Release()
			if err := r.AddRows(part, expr.SelectMask(mask)); err != nil {
				t.Fatal(err)
			}
			mask.Release()
			part.Release()
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	wantSel := selCuts(rows)
	for _, size := range []int64{1, 7, 64, 333} {
		if got := selCuts(size); !slices.Equal(got, wantSel) {
			t.Errorf("selections over batches of %d: cuts %v, want %v", size, got, wantSel)
		}
	}
	for _, size := range []int64{1, 7, 64, 333} {
		if got := cuts(size); !slices.Equal(got, want) {
			t.Errorf("input batches of %d: cuts %v, want %v", size, got, want)
		}
	}
}

// Weights ignore what sits under nulls and how arrays are sliced.
func TestRowWeightsIgnoreLayout(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"aaaa", "bb", "garbage-under-null", "c"}, []bool{true, true, false, true})
	arr := sb.NewStringArray()
	defer arr.Release()
	w := make([]int64, 4)
	rowWeights(arr, w)
	if !slices.Equal(w, []int64{4, 2, 0, 1}) {
		t.Errorf("weights %v, want [4 2 0 1]", w)
	}
	sl := array.NewSlice(arr, 1, 4)
	defer sl.Release()
	w = make([]int64, 3)
	rowWeights(sl, w)
	if !slices.Equal(w, []int64{2, 0, 1}) {
		t.Errorf("sliced weights %v, want [2 0 1]", w)
	}
}
