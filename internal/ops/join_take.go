package ops

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// takeRows returns the rows idx of col, in order, in new buffers. A
// negative index gives a null row when null is true (a left join's
// unmatched row) and otherwise a valid zero value.
//
// Flat columns (boolean, fixed width, string and binary) are gathered by
// typed loops into the canonical layout (no bitmap without a null, zero
// bytes under a null): the take kernel spent as long checking the indexes
// and building them into an array as moving the values. Other columns go
// through the take kernel, where a negative index is always a null row.
func takeRows(ctx context.Context, mem memory.Allocator, col arrow.Array, idx []int32, null bool) (arrow.Array, error) {
	n := len(idx)
	d := col.Data()
	off := d.Offset()
	dt := col.DataType()
	switch dt.ID() {
	case arrow.BOOL:
		valid := takeValidity(mem, col, idx, null)
		vb := joinBuf(mem, int(bitutil.BytesForBits(int64(n))), true)
		src, dst := d.Buffers()[1].Bytes(), vb.Bytes()
		for i, j := range idx {
			if j >= 0 && bitutil.BitIsSet(src, off+int(j)) {
				dst[i>>3] |= 1 << (i & 7)
			}
		}
		if valid != nil {
			for i, v := range valid.Bytes() {
				dst[i] &= v
			}
		}
		return takeFinish(dt, n, valid, vb), nil
	case arrow.STRING, arrow.BINARY:
		return takeVarBinary[int32](mem, col, idx, null)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return takeVarBinary[int64](mem, col, idx, null)
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok || dt.ID() == arrow.DICTIONARY || dt.ID() == arrow.EXTENSION || fw.BitWidth()%8 != 0 || fw.BitWidth() == 0 {
		ctx = compute.WithAllocator(ctx, mem)
		ix := indexArray(mem, idx)
		defer ix.Release()
		return compute.TakeArray(ctx, col, ix)
	}
	w := fw.BitWidth() / 8
	valid := takeValidity(mem, col, idx, null)
	// Every byte is written below but by the loop for odd widths.
	vb := joinBuf(mem, n*w, w&(w-1) != 0 || w > 8)
	var src []byte
	if b := d.Buffers()[1]; b != nil {
		src = b.Bytes()
	}
	dst := vb.Bytes()
	switch w {
	case 1:
		takeFixed(dst, src[off:], idx)
	case 2:
		takeFixed(castSlice[uint16](dst), castSlice[uint16](src)[off:], idx)
	case 4:
		takeFixed(castSlice[uint32](dst), castSlice[uint32](src)[off:], idx)
	case 8:
		takeFixed(castSlice[uint64](dst), castSlice[uint64](src)[off:], idx)
	default:
		for i, j := range idx {
			if j >= 0 {
				s := (off + int(j)) * w
				copy(dst[i*w:(i+1)*w], src[s:s+w])
			}
		}
	}
	if valid != nil {
		bits := valid.Bytes()
		for i := 0; i < n; i++ {
			if bits[i>>3]&(1<<(i&7)) == 0 {
				clear(dst[i*w : (i+1)*w])
			}
		}
	}
	return takeFinish(dt, n, valid, vb), nil
}

// takeFixed sets dst[i] = src[idx[i]], or 0 where idx[i] is negative.
func takeFixed[T uint8 | uint16 | uint32 | uint64](dst, src []T, idx []int32) {
	dst = dst[:len(idx)]
	if len(src) == 0 {
		return // every index is negative; dst is zeroed
	}
	for i, j := range idx {
		// A negative index reads row 0 and keeps 0: no branch to mispredict
		// on a mix of matched and unmatched rows.
		v := src[max(j, 0)]
		if j < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// castSlice reinterprets a byte buffer (Arrow buffers are 64-byte
// aligned) as a slice of T.
func castSlice[T any](b []byte) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	if len(b) < size {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/size)
}

// takeValidity returns the validity of the taken rows, or nil when every
// one is valid.
func takeValidity(mem memory.Allocator, col arrow.Array, idx []int32, null bool) *memory.Buffer {
	n := len(idx)
	nulls := col.NullN() > 0
	if !nulls && !null {
		return nil
	}
	vb := joinBuf(mem, int(bitutil.BytesForBits(int64(n))), true)
	dst := vb.Bytes()
	count := 0
	if nulls {
		src, off := col.NullBitmapBytes(), col.Data().Offset()
		for i, j := range idx {
			ok := j < 0 && !null
			if j >= 0 {
				ok = src != nil && bitutil.BitIsSet(src, off+int(j)) // no bitmap: all null
			}
			if ok {
				dst[i>>3] |= 1 << (i & 7)
				count++
			}
		}
	} else {
		for i, j := range idx {
			if j >= 0 {
				dst[i>>3] |= 1 << (i & 7)
				count++
			}
		}
	}
	if count == n {
		vb.Release()
		return nil
	}
	return vb
}

// takeVarBinary gathers string or binary rows; a null row is empty.
func takeVarBinary[O int32 | int64](mem memory.Allocator, col arrow.Array, idx []int32, null bool) (arrow.Array, error) {
	n := len(idx)
	d := col.Data()
	off := d.Offset()
	var offs []O
	if b := d.Buffers()[1]; b != nil && d.Len() > 0 {
		offs = castSlice[O](b.Bytes())[off : off+d.Len()+1]
	}
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	valid := takeValidity(mem, col, idx, null)
	var bits []byte
	if valid != nil {
		bits = valid.Bytes()
	}
	size := 0
	for i, j := range idx {
		if j >= 0 && (bits == nil || bitutil.BitIsSet(bits, i)) {
			size += int(offs[j+1] - offs[j])
		}
	}
	var zero O
	if unsafe.Sizeof(zero) == 4 && size > math.MaxInt32 {
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("%d bytes of values do not fit the 32-bit offsets of %s", size, col.DataType())
	}
	ob := joinBuf(mem, (n+1)*int(unsafe.Sizeof(zero)), true)
	db := joinBuf(mem, size, false) // filled below
	dst, out := db.Bytes(), castSlice[O](ob.Bytes())
	pos := O(0)
	for i, j := range idx {
		if j >= 0 && (bits == nil || bitutil.BitIsSet(bits, i)) {
			pos += O(copy(dst[pos:], data[offs[j]:offs[j+1]]))
		}
		out[i+1] = pos
	}
	return takeFinish(col.DataType(), n, valid, ob, db), nil
}

// newBuf returns a buffer of n bytes, zeroed if zero is true (an
// allocator need not zero what it hands out).
func joinBuf(mem memory.Allocator, n int, zero bool) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	if zero {
		clear(b.Bytes())
	}
	return b
}

// takeFinish makes an array of the buffers (valid may be nil) and releases
// them.
func takeFinish(dt arrow.DataType, n int, valid *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	nulls := 0
	if valid != nil {
		nulls = n - bitutil.CountSetBits(valid.Bytes(), 0, n)
	}
	all := append([]*memory.Buffer{valid}, bufs...)
	d := array.NewData(dt, n, all, nil, nulls, 0)
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d)
}
