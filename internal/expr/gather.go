package expr

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Selection is a set of rows of one batch, kept as sorted runs, so that
// copy loops move whole ranges at once. The zero value selects nothing.
type Selection = selection

// SelectMask returns the rows where mask is true; null counts as false.
func SelectMask(mask *array.Boolean) Selection { return maskRuns(mask) }

// SelectAll returns every row of a batch of n rows.
func SelectAll(n int) Selection {
	s := selection{total: n, kept: n}
	if n > 0 {
		s.runs = []run{{0, n}}
	}
	return s
}

// Kept is the number of selected rows.
func (s selection) Kept() int { return s.kept }

// Total is the number of rows of the batch the selection is over.
func (s selection) Total() int { return s.total }

// Each calls fn for each run [start, end) of selected rows, in order.
func (s selection) Each(fn func(start, end int)) {
	for _, r := range s.runs {
		fn(r.s, r.e)
	}
}

// Split cuts the selection after its first k selected rows.
func (s selection) Split(k int) (head, tail selection) {
	head, tail = selection{total: s.total}, selection{total: s.total}
	if k <= 0 {
		return head, s
	}
	if k >= s.kept {
		return s, tail
	}
	left := k
	for i, r := range s.runs {
		n := r.e - r.s
		if n < left {
			left -= n
			continue
		}
		head.runs = append(s.runs[:i:i], run{r.s, r.s + left})
		tail.runs = make([]run, 0, len(s.runs)-i)
		if n > left {
			tail.runs = append(tail.runs, run{r.s + left, r.e})
		}
		tail.runs = append(tail.runs, s.runs[i+1:]...)
		break
	}
	head.kept, tail.kept = k, s.kept-k
	return head, tail
}

// Part is a batch and the rows of it that Gather takes.
type Part struct {
	Rec arrow.RecordBatch
	Sel Selection
}

// Gather copies the selected rows of parts, in order, into one new batch of
// schema: one copy from the sources straight into exactly sized, zeroed
// buffers, so the result's layout depends only on its values (equal to
// what concatenating the filtered parts would give). Flat columns (fixed
// width, boolean, string and binary) are gathered by hand-written loops over
// runs; nested and dictionary columns are filtered part by part and then
// concatenated. The caller releases the result; parts are only read.
func Gather(ctx context.Context, mem memory.Allocator, schema *arrow.Schema, parts []Part) (arrow.RecordBatch, error) {
	return GatherInto(ctx, mem, mem, schema, parts)
}

// GatherInto is Gather with the buffers it overwrites entirely (values and
// offsets of flat columns) allocated from values, which need not return
// zeroed memory (a recycling allocator), and everything else from mem.
func GatherInto(ctx context.Context, mem, values memory.Allocator, schema *arrow.Schema, parts []Part) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if values == nil {
		values = mem
	}
	n := 0
	for _, p := range parts {
		if int64(p.Sel.total) != p.Rec.NumRows() {
			return nil, fmt.Errorf("gather: selection over %d rows for a batch of %d", p.Sel.total, p.Rec.NumRows())
		}
		if int(p.Rec.NumCols()) != schema.NumFields() {
			return nil, fmt.Errorf("gather: batch of %d columns, schema has %d", p.Rec.NumCols(), schema.NumFields())
		}
		n += p.Sel.kept
	}
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() { releaseAll(cols...) }()
	arrs := make([]arrow.Array, len(parts))
	for i, f := range schema.Fields() {
		for j, p := range parts {
			arrs[j] = p.Rec.Column(i)
		}
		c, err := gatherColumn(ctx, mem, values, f.Type, arrs, parts, n)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(schema, cols, int64(n)), nil
}

func gatherColumn(ctx context.Context, mem, values memory.Allocator, dt arrow.DataType, arrs []arrow.Array, parts []Part, n int) (arrow.Array, error) {
	for _, a := range arrs {
		if !arrow.TypeEqual(a.DataType(), dt) {
			return nil, fmt.Errorf("gather: %s column in a %s schema", a.DataType(), dt)
		}
	}
	sels := make([]selection, len(parts))
	for j, p := range parts {
		sels[j] = p.Sel
	}
	if out, ok, err := gatherFlat(mem, values, dt, arrs, sels, n); ok {
		return out, err
	}
	// Nested and dictionary columns: filter each part, then concatenate.
	pieces := make([]arrow.Array, 0, len(arrs))
	defer func() { releaseAll(pieces...) }()
	for j, a := range arrs {
		f, err := filterArray(ctx, mem, a, sels[j])
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, f)
	}
	if len(pieces) == 0 {
		return array.MakeArrayOfNull(mem, dt, 0), nil
	}
	return array.Concatenate(pieces, mem)
}

// gatherFlat gathers a flat column (null, boolean, fixed width, string or
// binary): the rows sels[j] selects of arrs[j], in order, n in all. It
// reports false for any other type. Filter uses it with one array.
func gatherFlat(mem, values memory.Allocator, dt arrow.DataType, arrs []arrow.Array, sels []selection, n int) (arrow.Array, bool, error) {
	switch dt.ID() {
	case arrow.NULL:
		return array.NewNull(n), true, nil
	case arrow.BOOL:
		valid := gatherValidity(mem, arrs, sels, n)
		vb := newBitmap(mem, n)
		k := 0
		for j, a := range arrs {
			d := a.Data()
			src, off := d.Buffers()[1].Bytes(), d.Offset()
			for _, r := range sels[j].runs {
				copyBits(src, off+r.s, r.e-r.s, vb.Bytes(), k)
				k += r.e - r.s
			}
		}
		valid = dropAllValid(valid, n)
		if valid != nil {
			// A null slot's bit is 0 (the canonical layout of stored
			// batches): what a reader left there is not data.
			vbits, bits := valid.Bytes(), vb.Bytes()
			for i := range bits {
				bits[i] &= vbits[i]
			}
		}
		return finish(dt, n, valid, vb), true, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64,
		arrow.TIMESTAMP, arrow.DURATION, arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256,
		arrow.FIXED_SIZE_BINARY, arrow.INTERVAL_MONTHS, arrow.INTERVAL_DAY_TIME, arrow.INTERVAL_MONTH_DAY_NANO:
		w := dt.(arrow.FixedWidthDataType).BitWidth() / 8
		valid := gatherValidity(mem, arrs, sels, n)
		vb := newUninitBuf(values, n*w) // every byte is written below
		dst := vb.Bytes()
		k := 0
		for j, a := range arrs {
			d := a.Data()
			var src []byte
			if b := d.Buffers()[1]; b != nil {
				src = b.Bytes()
			}
			off := d.Offset()
			for _, r := range sels[j].runs {
				k += copy(dst[k:], src[(off+r.s)*w:(off+r.e)*w])
			}
		}
		valid = dropAllValid(valid, n)
		if valid != nil {
			zeroNullSlots(dst, valid.Bytes(), n, w)
		}
		return finish(dt, n, valid, vb), true, nil
	case arrow.STRING, arrow.BINARY:
		out, err := gatherVarBinary(mem, values, dt, arrs, sels, n, 4, arrow.Int32Traits.CastFromBytes)
		return out, true, err
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		out, err := gatherVarBinary(mem, values, dt, arrs, sels, n, 8, arrow.Int64Traits.CastFromBytes)
		return out, true, err
	}
	return nil, false, nil
}

func gatherVarBinary[O int32 | int64](mem, values memory.Allocator, dt arrow.DataType, arrs []arrow.Array, sels []selection, n, width int, cast func([]byte) []O) (arrow.Array, error) {
	srcOffs := make([][]O, len(arrs))
	size := 0
	for j, a := range arrs {
		d := a.Data()
		if b := d.Buffers()[1]; b != nil {
			srcOffs[j] = cast(b.Bytes())
		}
		off := d.Offset()
		for _, r := range sels[j].runs {
			size += int(srcOffs[j][off+r.e] - srcOffs[j][off+r.s])
		}
		if a.NullN() > 0 {
			// A null slot is empty (the canonical layout of stored
			// batches), whatever bytes a reader left for it.
			for _, r := range sels[j].runs {
				for i := r.s; i < r.e; i++ {
					if a.IsNull(i) {
						size -= int(srcOffs[j][off+i+1] - srcOffs[j][off+i])
					}
				}
			}
		}
	}
	if width == 4 && size > math.MaxInt32 {
		return nil, fmt.Errorf("gather: %d bytes of values do not fit 32-bit offsets", size)
	}
	valid := gatherValidity(mem, arrs, sels, n)
	ob := newUninitBuf(values, (n+1)*width)
	offs := cast(ob.Bytes())[:n+1]
	offs[0] = 0
	db := newUninitBuf(values, size)
	dst := db.Bytes()
	k, pos := 0, O(0)
	for j, a := range arrs {
		d := a.Data()
		src := srcOffs[j]
		var data []byte
		if b := d.Buffers()[2]; b != nil {
			data = b.Bytes()
		}
		off := d.Offset()
		if a.NullN() > 0 {
			for _, r := range sels[j].runs {
				for i := r.s; i < r.e; i++ {
					if a.IsValid(i) {
						lo, hi := src[off+i], src[off+i+1]
						pos += O(copy(dst[pos:], data[lo:hi]))
					}
					k++
					offs[k] = pos
				}
			}
			continue
		}
		for _, r := range sels[j].runs {
			lo, hi := src[off+r.s], src[off+r.e]
			copy(dst[pos:], data[lo:hi])
			base := pos - lo
			d := offs[k+1 : k+1+r.e-r.s]
			for i, o := range src[off+r.s+1 : off+r.e+1] {
				d[i] = base + o
			}
			k += r.e - r.s
			pos += hi - lo
		}
	}
	return finish(dt, n, dropAllValid(valid, n), ob, db), nil
}

// dropAllValid releases a validity bitmap without a null and returns nil:
// a batch without nulls has no bitmap (the canonical layout).
func dropAllValid(valid *memory.Buffer, n int) *memory.Buffer {
	if valid != nil && bitutil.CountSetBits(valid.Bytes(), 0, n) == n {
		valid.Release()
		return nil
	}
	return valid
}

// zeroNullSlots clears the w-byte slots of vals whose validity bit is 0.
func zeroNullSlots(vals, valid []byte, n, w int) {
	for i := 0; i < n; i++ {
		if valid[i>>3]&(1<<(i&7)) == 0 {
			clear(vals[i*w : (i+1)*w])
		}
	}
}

// gatherValidity returns the validity of the gathered rows, or nil when
// none of them can be null.
func gatherValidity(mem memory.Allocator, arrs []arrow.Array, sels []selection, n int) *memory.Buffer {
	nulls := false
	for _, a := range arrs {
		if a.NullN() > 0 {
			nulls = true
			break
		}
	}
	if !nulls {
		return nil
	}
	vb := newBitmap(mem, n)
	dst := vb.Bytes()
	k := 0
	for j, a := range arrs {
		bits, off := validBits(a)
		switch {
		case a.NullN() == 0:
			bitutil.SetBitsTo(dst, int64(k), int64(sels[j].kept), true)
			k += sels[j].kept
		case bits == nil: // all null: the bits stay 0
			k += sels[j].kept
		default:
			for _, r := range sels[j].runs {
				copyBits(bits, off+r.s, r.e-r.s, dst, k)
				k += r.e - r.s
			}
		}
	}
	return vb
}

// copyBits copies n bits into a zeroed destination. Short runs (a filter
// keeping scattered rows makes runs of one or two) are set bit by bit:
// bitutil.CopyBitmap's word readers cost more than the copy itself there.
func copyBits(src []byte, srcOff, n int, dst []byte, dstOff int) {
	if n >= 64 {
		bitutil.CopyBitmap(src, srcOff, n, dst, dstOff)
		return
	}
	for i := 0; i < n; i++ {
		s := srcOff + i
		if src[s>>3]&(1<<(s&7)) != 0 {
			d := dstOff + i
			dst[d>>3] |= 1 << (d & 7)
		}
	}
}

// newUninitBuf allocates a buffer of exactly nbytes for the caller to
// overwrite entirely; it skips newBuf's clearing pass.
func newUninitBuf(mem memory.Allocator, nbytes int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(nbytes)
	return b
}
