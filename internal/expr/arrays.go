package expr

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Internal value kinds. Every operator works on the normalized physical
// type of its kind (int64, float64, utf8, bool); narrower or wider
// encodings are converted once, when an operator first consumes them.
type kind uint8

const (
	kNull kind = iota // the literal null: its type comes from context
	kBool
	kInt
	kFloat
	kString
	kStruct
	kList
	kOther
)

func kindOf(dt arrow.DataType) kind {
	switch dt.ID() {
	case arrow.NULL:
		return kNull
	case arrow.BOOL:
		return kBool
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return kInt
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return kFloat
	case arrow.STRING, arrow.LARGE_STRING:
		return kString
	case arrow.STRUCT:
		return kStruct
	case arrow.LIST, arrow.LARGE_LIST:
		return kList
	}
	return kOther
}

func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "bool"
	case kInt, kFloat:
		return "number"
	case kString:
		return "string"
	case kStruct:
		return "struct"
	case kList:
		return "list"
	}
	return "value"
}

var (
	tBool   = arrow.FixedWidthTypes.Boolean
	tInt    = arrow.PrimitiveTypes.Int64
	tFloat  = arrow.PrimitiveTypes.Float64
	tString = arrow.BinaryTypes.String
)

// normType is the physical type an operator of kind k works on.
func normType(k kind) arrow.DataType {
	switch k {
	case kBool:
		return tBool
	case kInt:
		return tInt
	case kFloat:
		return tFloat
	case kString:
		return tString
	}
	return nil
}

// newBuf returns a zeroed buffer of nbytes from mem.
func newBuf(mem memory.Allocator, nbytes int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(nbytes)
	memory.Set(b.Bytes(), 0)
	return b
}

func newBitmap(mem memory.Allocator, n int) *memory.Buffer {
	return newBuf(mem, int(bitutil.BytesForBits(int64(n))))
}

// allValid returns a bitmap of n set bits.
func allValid(mem memory.Allocator, n int) *memory.Buffer {
	b := newBitmap(mem, n)
	memory.Set(b.Bytes(), 0xff)
	return b
}

// validBits returns arr's validity bitmap and its bit offset, or nil when
// arr has no nulls.
func validBits(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	if arr.DataType().ID() == arrow.NULL {
		return nil, -1
	}
	b := arr.Data().Buffers()[0]
	if b == nil {
		return nil, 0
	}
	return b.Bytes(), arr.Data().Offset()
}

// andValidity returns the intersection of the arrays' validity as a fresh
// bitmap at offset 0, or nil when none of them has nulls.
func andValidity(mem memory.Allocator, n int, arrs ...arrow.Array) *memory.Buffer {
	var out *memory.Buffer
	for _, a := range arrs {
		if a == nil || a.NullN() == 0 {
			continue
		}
		if a.NullN() == a.Len() {
			if out == nil {
				out = newBitmap(mem, n)
			} else {
				memory.Set(out.Bytes(), 0)
			}
			continue
		}
		bits, off := validBits(a)
		if out == nil {
			out = newBitmap(mem, n)
			bitutil.CopyBitmap(bits, off, n, out.Bytes(), 0)
			continue
		}
		bitutil.BitmapAnd(out.Bytes(), bits, 0, int64(off), out.Bytes(), 0, int64(n))
	}
	return out
}

func nullsIn(valid *memory.Buffer, n int) int {
	if valid == nil {
		return 0
	}
	return n - bitutil.CountSetBits(valid.Bytes(), 0, n)
}

// finish wraps buffers into an array, taking ownership of them.
func finish(dt arrow.DataType, n int, bufs ...*memory.Buffer) arrow.Array {
	d := array.NewData(dt, n, bufs, nil, nullsIn(bufs[0], n), 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d)
}

func newInt64s(mem memory.Allocator, n int) (*memory.Buffer, []int64) {
	b := newBuf(mem, n*8)
	return b, arrow.Int64Traits.CastFromBytes(b.Bytes())[:n]
}

func newFloat64s(mem memory.Allocator, n int) (*memory.Buffer, []float64) {
	b := newBuf(mem, n*8)
	return b, arrow.Float64Traits.CastFromBytes(b.Bytes())[:n]
}

// int64s reads any integer array as []int64 without copying when it already
// is int64. Null lanes hold unspecified values.
func int64s(arr arrow.Array) []int64 {
	switch a := arr.(type) {
	case *array.Int64:
		return a.Int64Values()
	case *array.Int32:
		return widen(a.Int32Values())
	case *array.Int16:
		return widen(a.Int16Values())
	case *array.Int8:
		return widen(a.Int8Values())
	case *array.Uint64:
		return widen(a.Uint64Values())
	case *array.Uint32:
		return widen(a.Uint32Values())
	case *array.Uint16:
		return widen(a.Uint16Values())
	case *array.Uint8:
		return widen(a.Uint8Values())
	}
	panic(fmt.Sprintf("expr: int64s of %s", arr.DataType()))
}

func widen[T int8 | int16 | int32 | uint8 | uint16 | uint32 | uint64](in []T) []int64 {
	out := make([]int64, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}

// float64s reads any numeric array as []float64.
func float64s(arr arrow.Array) []float64 {
	switch a := arr.(type) {
	case *array.Float64:
		return a.Float64Values()
	case *array.Float32:
		in := a.Float32Values()
		out := make([]float64, len(in))
		for i, v := range in {
			out[i] = float64(v)
		}
		return out
	case *array.Float16:
		out := make([]float64, a.Len())
		for i, v := range a.Values() {
			out[i] = float64(v.Float32())
		}
		return out
	}
	ints := int64s(arr)
	out := make([]float64, len(ints))
	for i, v := range ints {
		out[i] = float64(v)
	}
	return out
}

// strs is a read view of a string operand: value i is data[offs[i]:offs[i+1]].
type strs struct {
	offs []int32
	data []byte
}

func (s strs) at(i int) []byte { return s.data[s.offs[i]:s.offs[i+1]] }

func strView(arr arrow.Array) (strs, error) {
	switch a := arr.(type) {
	case *array.String:
		var data []byte
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
		offs := a.ValueOffsets()
		if len(offs) == 0 {
			offs = []int32{0}
		}
		return strs{offs: offs, data: data}, nil
	case *array.LargeString:
		var data []byte
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
		lo := a.ValueOffsets()
		if len(lo) == 0 {
			return strs{offs: []int32{0}}, nil
		}
		base := lo[0]
		if lo[len(lo)-1]-base > math.MaxInt32 {
			return strs{}, fmt.Errorf("large_utf8 batch holds %d bytes of text; at most 2 GiB per batch is supported", lo[len(lo)-1]-base)
		}
		offs := make([]int32, len(lo))
		for i, o := range lo {
			offs[i] = int32(o - base)
		}
		return strs{offs: offs, data: data[base:]}, nil
	}
	return strs{}, fmt.Errorf("expr: string view of %s", arr.DataType())
}

// strOut accumulates a utf8 result.
type strOut struct {
	offBuf *memory.Buffer
	offs   []int32
	data   []byte
}

func newStrOut(mem memory.Allocator, n, sizeHint int) *strOut {
	b := newBuf(mem, (n+1)*4)
	return &strOut{offBuf: b, offs: arrow.Int32Traits.CastFromBytes(b.Bytes())[:n+1], data: make([]byte, 0, sizeHint)}
}

// end closes value i (its bytes already appended to data).
func (o *strOut) end(i int) { o.offs[i+1] = int32(len(o.data)) }

func (o *strOut) finish(mem memory.Allocator, n int, valid *memory.Buffer) (arrow.Array, error) {
	if len(o.data) > math.MaxInt32 {
		o.offBuf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("string result exceeds 2 GiB in one batch")
	}
	db := newBuf(mem, len(o.data))
	copy(db.Bytes(), o.data)
	return finish(tString, n, valid, o.offBuf, db), nil
}

// bitsAligned returns a bitmap whose bit i is bit off+i of bits, copying
// only when off is not byte aligned.
func bitsAligned(bits []byte, off, n int) []byte {
	if off%8 == 0 {
		return bits[off/8:]
	}
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	bitutil.CopyBitmap(bits, off, n, out, 0)
	return out
}

// boolBits returns the value bitmap of a boolean array, aligned to bit 0.
func boolBits(a *array.Boolean) []byte {
	return bitsAligned(a.Data().Buffers()[1].Bytes(), a.Data().Offset(), a.Len())
}

// validAligned returns arr's validity aligned to bit 0, or nil if no nulls.
func validAligned(arr arrow.Array) []byte {
	if arr.NullN() == 0 {
		return nil
	}
	bits, off := validBits(arr)
	if bits == nil {
		return make([]byte, bitutil.BytesForBits(int64(arr.Len()))) // all null
	}
	return bitsAligned(bits, off, arr.Len())
}

func b2u8(b bool) byte {
	var x byte
	if b {
		x = 1
	}
	return x
}

// withValidity returns arr with validity ANDed with parent bits (bit i of
// parent applies to element i of arr); used so struct children inherit the
// nulls of their parent.
func withParentValidity(mem memory.Allocator, arr arrow.Array, parent []byte, parentOff int) arrow.Array {
	d := arr.Data()
	if d.DataType().ID() == arrow.NULL || d.DataType().ID() == arrow.SPARSE_UNION || d.DataType().ID() == arrow.DENSE_UNION || d.DataType().ID() == arrow.RUN_END_ENCODED {
		arr.Retain()
		return arr
	}
	n, off := d.Len(), d.Offset()
	valid := newBitmap(mem, off+n)
	if cb := d.Buffers()[0]; cb != nil && arr.NullN() > 0 {
		bitutil.CopyBitmap(cb.Bytes(), off, n, valid.Bytes(), off)
	} else {
		bitutil.SetBitsTo(valid.Bytes(), int64(off), int64(n), true)
	}
	bitutil.BitmapAnd(valid.Bytes(), parent, int64(off), int64(parentOff), valid.Bytes(), int64(off), int64(n))
	nulls := n - bitutil.CountSetBits(valid.Bytes(), off, n)
	bufs := append([]*memory.Buffer{valid}, d.Buffers()[1:]...)
	var nd *array.Data
	if d.DataType().ID() == arrow.DICTIONARY {
		nd = array.NewDataWithDictionary(d.DataType(), n, bufs, nulls, off, d.Dictionary().(*array.Data))
	} else {
		nd = array.NewData(d.DataType(), n, bufs, d.Children(), nulls, off)
	}
	valid.Release()
	defer nd.Release()
	return array.MakeFromData(nd)
}

// int32Array wraps idx (copied into mem) as an Int32 array; negative
// entries become nulls.
func int32Array(mem memory.Allocator, idx []int32) arrow.Array {
	n := len(idx)
	vb := newBuf(mem, n*4)
	vals := arrow.Int32Traits.CastFromBytes(vb.Bytes())[:n]
	var valid *memory.Buffer
	for i, v := range idx {
		if v < 0 {
			if valid == nil {
				valid = allValid(mem, n)
			}
			bitutil.ClearBit(valid.Bytes(), i)
			v = 0
		}
		vals[i] = v
	}
	return finish(arrow.PrimitiveTypes.Int32, n, valid, vb)
}
