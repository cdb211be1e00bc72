package expr

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func ipcBytes(t *testing.T, rec arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGatherMatchesFilterConcat gathers random selections of several
// (sliced) batches and compares with filtering each and concatenating the
// results, the way artifacts were cut before: the values and the IPC bytes
// must be the same.
func TestGatherMatchesFilterConcat(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	base := recFromJSON(t, mem, filterSchema, randomRows(r, 400))
	rec := withDictionary(t, mem, base, r)
	base.Release()
	defer rec.Release()
	ctx := context.Background()
	for trial := 0; trial < 40; trial++ {
		var parts []Part
		var want []arrow.RecordBatch
		for p, np := 0, 1+r.IntN(4); p < np; p++ {
			lo := r.Int64N(rec.NumRows())
			hi := lo + r.Int64N(rec.NumRows()-lo+1)
			sl := rec.NewSlice(lo, hi)
			var sel Selection
			switch trial % 4 {
			case 0:
				sel = SelectAll(int(sl.NumRows()))
			default:
				m := randomMask(t, mem, r, int(sl.NumRows()), 1+r.IntN(9))
				sel = SelectMask(m)
				f, err := Filter(ctx, mem, sl, m)
				m.Release()
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, f)
			}
			if trial%4 == 0 {
				sl.Retain()
				want = append(want, sl)
			}
			// Split and rejoin: the halves gather like the whole.
			h, tl := sel.Split(r.IntN(sel.Kept() + 1))
			parts = append(parts, Part{sl, h}, Part{sl, tl})
		}
		got, err := Gather(ctx, mem, rec.Schema(), parts)
		if err != nil {
			t.Fatal(err)
		}
		cat := concatBatches(t, mem, rec.Schema(), want)
		for i := range got.Columns() {
			if err := validateFull(got.Column(i)); err != nil {
				t.Errorf("trial %d: column %s invalid: %v", trial, got.ColumnName(i), err)
			}
			if !array.Equal(got.Column(i), cat.Column(i)) {
				t.Errorf("trial %d: column %s:\n got %v\nwant %v", trial, got.ColumnName(i), got.Column(i), cat.Column(i))
			}
		}
		if !bytes.Equal(ipcBytes(t, got), ipcBytes(t, cat)) {
			t.Errorf("trial %d: IPC bytes differ from filter+concatenate", trial)
		}
		got.Release()
		cat.Release()
		for _, w := range want {
			w.Release()
		}
		seen := map[arrow.RecordBatch]bool{}
		for _, p := range parts {
			if !seen[p.Rec] {
				seen[p.Rec] = true
				p.Rec.Release()
			}
		}
	}
}

func concatBatches(t *testing.T, mem memory.Allocator, schema *arrow.Schema, recs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out
}

func TestSelectionSplit(t *testing.T) {
	s := selection{total: 20, kept: 9, runs: []run{{1, 4}, {6, 7}, {10, 15}}}
	for k := 0; k <= 10; k++ {
		h, tl := s.Split(k)
		var rows []int
		h.Each(func(a, b int) {
			for i := a; i < b; i++ {
				rows = append(rows, i)
			}
		})
		tl.Each(func(a, b int) {
			for i := a; i < b; i++ {
				rows = append(rows, i)
			}
		})
		want := []int{1, 2, 3, 6, 10, 11, 12, 13, 14}
		if len(rows) != len(want) || h.Kept()+tl.Kept() != 9 || h.Kept() != min(k, 9) {
			t.Fatalf("Split(%d) = %v + %v", k, h, tl)
		}
		for i := range rows {
			if rows[i] != want[i] {
				t.Fatalf("Split(%d) rows %v", k, rows)
			}
		}
	}
	// The original is unchanged.
	if len(s.runs) != 3 || s.runs[0] != (run{1, 4}) || s.runs[2] != (run{10, 15}) {
		t.Fatalf("Split changed its receiver: %v", s.runs)
	}
}

// dirtyAllocator hands out memory full of garbage, as a recycling
// allocator does.
type dirtyAllocator struct{ memory.Allocator }

func (d dirtyAllocator) Allocate(n int) []byte {
	b := d.Allocator.Allocate(n)
	for i := range b[:cap(b)] {
		b[:cap(b)][i] = 0xA5
	}
	return b
}

func (d dirtyAllocator) Reallocate(n int, b []byte) []byte {
	nb := d.Allocate(n)
	copy(nb, b)
	d.Free(b)
	return nb
}

// GatherInto overwrites every byte of what it allocates from its values
// allocator: garbage there never reaches the result or its IPC bytes.
func TestGatherIntoOverwritesValueBuffers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	base := recFromJSON(t, mem, filterSchema, randomRows(r, 300))
	rec := withDictionary(t, mem, base, r)
	base.Release()
	defer rec.Release()
	m := randomMask(t, mem, r, int(rec.NumRows()), 5)
	defer m.Release()
	sel := SelectMask(m)
	h, tl := sel.Split(sel.Kept() / 3)
	parts := []Part{{rec, h}, {rec, tl}}
	ctx := context.Background()
	want, err := Gather(ctx, mem, rec.Schema(), parts)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	got, err := GatherInto(ctx, mem, dirtyAllocator{mem}, rec.Schema(), parts)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !bytes.Equal(ipcBytes(t, got), ipcBytes(t, want)) {
		t.Errorf("garbage from the values allocator reached the gathered batch")
	}
}
