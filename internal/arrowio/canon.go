package arrowio

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CanonicalVersion names the canonical physical layout below; keys that
// name stored bytes include it, so a change of layout can never pin old blobs.
const CanonicalVersion = "canonical-nulls/1"

// Canonical layout: what a producer leaves under a null is not data (the
// logical digest ignores it), yet the IPC encoding stores it. Two readers of
// the same values, or one reader with two batch sizes, leave different bytes
// there (Parquet's boolean decoder leaves the previous batch's bits), so
// every stored or written batch is first put in this layout, which is a
// function of the values alone:
//
//   - offset 0; a validity bitmap only when the array has nulls; bits past
//     the end of a bitmap are 0;
//   - a null fixed-width or boolean slot holds zero bytes / a 0 bit;
//   - a null string, binary, list, large list or map slot has length 0, and
//     the data or child array holds exactly the valid slots' values;
//   - a slot under a null parent (struct member, fixed-size list element) is
//     null when its field is nullable, and a zero value otherwise;
//   - a dictionary's null slots have index 0; its dictionary is itself
//     canonical; views are rebuilt by a builder.
//
// CanonicalBatch returns rec (retained) when it is already canonical, so a
// batch gathered into fresh buffers costs one pass over its null slots.
func CanonicalBatch(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	same := true
	for i, c := range rec.Columns() {
		d, err := canonData(mem, c.Data().(*array.Data), nil, true)
		if err != nil {
			for _, x := range cols[:i] {
				x.Release()
			}
			return nil, fmt.Errorf("column %q: %w", rec.Schema().Field(i).Name, err)
		}
		if d != c.Data() {
			same = false
		}
		cols[i] = array.MakeFromData(d)
		d.Release()
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if same {
		rec.Retain()
		return rec, nil
	}
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows()), nil
}

// CanonicalArray is CanonicalBatch for one array.
func CanonicalArray(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	d, err := canonData(mem, arr.Data().(*array.Data), nil, true)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// canonData returns d in the canonical layout (retained: d itself when it
// already is). keep, when not nil, is a bitmap at offset 0 of d.Len() bits:
// slots whose parent is null have a 0 there. nullable says whether such
// slots may become null (else they hold a zero value).
func canonData(mem memory.Allocator, d *array.Data, keep []byte, nullable bool) (*array.Data, error) {
	n := d.Len()
	dt := d.DataType()
	if dt.ID() == arrow.NULL {
		if d.Offset() == 0 && keep == nil {
			d.Retain()
			return d, nil
		}
		return array.NewData(dt, n, []*memory.Buffer{nil}, nil, n, 0), nil
	}
	if dt.ID() == arrow.EXTENSION {
		return nil, fmt.Errorf("type %s has no canonical layout", dt)
	}
	// own: the array's validity at offset 0 (nil: all valid).
	var own []byte
	if nullsOf(d) > 0 {
		if b := d.Buffers()[0]; b != nil {
			own = copyBitmap(b.Bytes(), d.Offset(), n)
		} else {
			own = make([]byte, bitutil.BytesForBits(int64(n))) // all null
		}
	}
	// live: slots that hold a value (own and parent valid).
	live := own
	if keep != nil {
		live = andBitmaps(own, keep, n)
	}
	// valid: the canonical validity.
	valid := own
	if nullable && keep != nil {
		valid = live
	}
	nulls := n
	if valid == nil {
		nulls = 0
	} else {
		nulls = n - bitutil.CountSetBits(valid, 0, n)
	}
	zero := func(i int) bool { return live != nil && !bitutil.BitIsSet(live, i) }

	switch dt.ID() {
	case arrow.BOOL:
		src := d.Buffers()[1].Bytes()
		if canonHeader(d, own, valid, nulls) && exactLen(d.Buffers()[1], bitutil.BytesForBits(int64(n))) && paddingClear(src, n) && zeroBitsUnder(src, live) {
			d.Retain()
			return d, nil
		}
		bits := copyBitmap(src, d.Offset(), n)
		if live != nil {
			for i := range bits {
				bits[i] &= live[i]
			}
		}
		return newData(dt, n, valid, nulls, nil, bits), nil
	case arrow.STRING, arrow.BINARY:
		return canonVarBinary[int32](d, own, valid, live, nulls, arrow.Int32Traits.CastFromBytes, arrow.Int32Traits.CastToBytes)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return canonVarBinary[int64](d, own, valid, live, nulls, arrow.Int64Traits.CastFromBytes, arrow.Int64Traits.CastToBytes)
	case arrow.STRING_VIEW, arrow.BINARY_VIEW:
		return canonView(mem, d, valid, live)
	case arrow.LIST, arrow.MAP:
		return canonList[int32](mem, d, own, valid, live, nulls, arrow.Int32Traits.CastFromBytes, arrow.Int32Traits.CastToBytes)
	case arrow.LARGE_LIST:
		return canonList[int64](mem, d, own, valid, live, nulls, arrow.Int64Traits.CastFromBytes, arrow.Int64Traits.CastToBytes)
	case arrow.FIXED_SIZE_LIST:
		size := int(dt.(*arrow.FixedSizeListType).Len())
		elemNullable := dt.(*arrow.FixedSizeListType).ElemField().Nullable
		child := sliceData(d.Children()[0], d.Offset()*size, n*size)
		defer child.Release()
		var ck []byte
		if live != nil {
			ck = make([]byte, bitutil.BytesForBits(int64(n*size)))
			for i := 0; i < n; i++ {
				if !zero(i) {
					bitutil.SetBitsTo(ck, int64(i*size), int64(size), true)
				}
			}
		}
		c, err := canonData(mem, child, ck, elemNullable)
		if err != nil {
			return nil, err
		}
		defer c.Release()
		if canonHeader(d, own, valid, nulls) && c == d.Children()[0] {
			d.Retain()
			return d, nil
		}
		return array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid)}, []arrow.ArrayData{c}, nulls, 0), nil
	case arrow.STRUCT:
		st := dt.(*arrow.StructType)
		children := make([]arrow.ArrayData, len(d.Children()))
		same := canonHeader(d, own, valid, nulls)
		defer func() {
			for _, c := range children {
				if c != nil {
					c.Release()
				}
			}
		}()
		for i, cd := range d.Children() {
			child := sliceData(cd, d.Offset(), n)
			c, err := canonData(mem, child, live, st.Field(i).Nullable)
			child.Release()
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", st.Field(i).Name, err)
			}
			children[i] = c
			if c != cd {
				same = false
			}
		}
		if same {
			d.Retain()
			return d, nil
		}
		return array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid)}, children, nulls, 0), nil
	case arrow.DICTIONARY:
		return canonDictionary(mem, d, live)
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 {
		return nil, fmt.Errorf("type %s has no canonical layout", dt)
	}
	w := fw.BitWidth() / 8
	var src []byte
	if b := d.Buffers()[1]; b != nil {
		src = b.Bytes()
	}
	vals := src[d.Offset()*w : (d.Offset()+n)*w]
	if canonHeader(d, own, valid, nulls) && exactLen(d.Buffers()[1], int64(n*w)) && zeroUnder(vals, live, n, w) {
		d.Retain()
		return d, nil
	}
	out := make([]byte, n*w)
	copy(out, vals)
	if live != nil {
		for i := 0; i < n; i++ {
			if zero(i) {
				clear(out[i*w : (i+1)*w])
			}
		}
	}
	return newData(dt, n, valid, nulls, nil, out), nil
}

// nullsOf is d's null count, counted when the producer left it to be
// computed lazily (array.UnknownNullCount).
func nullsOf(d *array.Data) int {
	if n := d.NullN(); n >= 0 {
		return n
	}
	b := d.Buffers()[0]
	if b == nil {
		return 0
	}
	return d.Len() - bitutil.CountSetBits(b.Bytes(), d.Offset(), d.Len())
}

// canonHeader reports whether d's own layout (offset, validity) is already
// the canonical one for the validity valid.
func canonHeader(d *array.Data, own, valid []byte, nulls int) bool {
	if d.Offset() != 0 || nullsOf(d) != nulls {
		return false
	}
	b := d.Buffers()[0]
	if nulls == 0 {
		return b == nil
	}
	if b == nil || !sameBitmap(own, valid) || !exactLen(b, bitutil.BytesForBits(int64(d.Len()))) {
		return false
	}
	return paddingClear(b.Bytes(), d.Len())
}

// exactLen reports whether b holds exactly n bytes: the IPC writer sends
// the bytes of a buffer up to the next 8-byte boundary, so bytes past the
// values would reach the stream.
func exactLen(b *memory.Buffer, n int64) bool {
	return b != nil && int64(b.Len()) == n
}

// zeroBitsUnder reports whether every bit of bits that live clears is 0.
func zeroBitsUnder(bits, live []byte) bool {
	if live == nil {
		return true
	}
	for i, l := range live {
		if bits[i]&^l != 0 {
			return false
		}
	}
	return true
}

func sameBitmap(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// paddingClear reports whether the bits of bm from n up to the end of its
// last used byte are 0.
func paddingClear(bm []byte, n int) bool {
	if n%8 == 0 {
		return true
	}
	last := n / 8
	if last >= len(bm) {
		return false
	}
	return bm[last]>>(uint(n%8)) == 0
}

// zeroUnder reports whether every slot that live marks dead holds zeros.
func zeroUnder(vals, live []byte, n, w int) bool {
	if live == nil {
		return true
	}
	for i := 0; i < n; i++ {
		if !bitutil.BitIsSet(live, i) {
			for _, b := range vals[i*w : (i+1)*w] {
				if b != 0 {
					return false
				}
			}
		}
	}
	return true
}

// copyBitmap returns n bits of src from bit off as a fresh bitmap at offset
// 0 with a clear tail.
func copyBitmap(src []byte, off, n int) []byte {
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	if n == 0 {
		return out
	}
	if off%8 == 0 {
		copy(out, src[off/8:])
	} else {
		bitutil.CopyBitmap(src, off, n, out, 0)
	}
	if n%8 != 0 {
		out[len(out)-1] &= byte(1<<(uint(n%8))) - 1
	}
	return out
}

// andBitmaps returns a AND b (nil a means all set).
func andBitmaps(a, b []byte, n int) []byte {
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	copy(out, b)
	if a != nil {
		for i := range out {
			out[i] &= a[i]
		}
	}
	return out
}

// sliceData returns n slots of d from off (retained; d itself when that is
// all of it).
func sliceData(d arrow.ArrayData, off, n int) *array.Data {
	if off == 0 && d.Len() == n {
		d.Retain()
		return d.(*array.Data)
	}
	return array.NewSliceData(d, int64(off), int64(off+n)).(*array.Data)
}

func bufOrNil(b []byte) *memory.Buffer {
	if b == nil {
		return nil
	}
	return memory.NewBufferBytes(b)
}

func newData(dt arrow.DataType, n int, valid []byte, nulls int, _ []byte, values []byte) *array.Data {
	return array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(values)}, nil, nulls, 0)
}

func canonVarBinary[O int32 | int64](d *array.Data, own, valid, live []byte, nulls int, cast func([]byte) []O, back func([]O) []byte) (*array.Data, error) {
	n, off := d.Len(), d.Offset()
	var offs []O
	if b := d.Buffers()[1]; b != nil && n > 0 {
		offs = cast(b.Bytes())[off : off+n+1]
	}
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	if n == 0 {
		return array.NewData(d.DataType(), 0, []*memory.Buffer{nil, memory.NewBufferBytes(back(make([]O, 1))), nil}, nil, 0, 0), nil
	}
	clean := canonHeader(d, own, valid, nulls) && offs[0] == 0
	if clean && live != nil {
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(live, i) && offs[i+1] != offs[i] {
				clean = false
				break
			}
		}
	}
	if clean && len(data) == int(offs[n]) && exactLen(d.Buffers()[1], int64((n+1)*unsafeSizeof[O]())) {
		d.Retain()
		return d, nil
	}
	size := O(0)
	for i := 0; i < n; i++ {
		if live == nil || bitutil.BitIsSet(live, i) {
			size += offs[i+1] - offs[i]
		}
	}
	newOffs := make([]O, n+1)
	newVals := make([]byte, 0, int(size))
	for i := 0; i < n; i++ {
		if live == nil || bitutil.BitIsSet(live, i) {
			newVals = append(newVals, data[offs[i]:offs[i+1]]...)
		}
		newOffs[i+1] = O(len(newVals))
	}
	return array.NewData(d.DataType(), n, []*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(back(newOffs)), memory.NewBufferBytes(newVals)}, nil, nulls, 0), nil
}

func unsafeSizeof[O int32 | int64]() int {
	var o O
	if any(o) == any(int32(0)) {
		return 4
	}
	return 8
}

func canonList[O int32 | int64](mem memory.Allocator, d *array.Data, own, valid, live []byte, nulls int, cast func([]byte) []O, back func([]O) []byte) (*array.Data, error) {
	n, off := d.Len(), d.Offset()
	dt := d.DataType()
	elemNullable := true
	if ll, ok := dt.(arrow.ListLikeType); ok {
		elemNullable = ll.ElemField().Nullable
	}
	if dt.ID() == arrow.MAP {
		elemNullable = false // the entries struct is never null
	}
	childData := d.Children()[0].(*array.Data)
	var offs []O
	if b := d.Buffers()[1]; b != nil && n > 0 {
		offs = cast(b.Bytes())[off : off+n+1]
	}
	newOffs := make([]O, n+1)
	var pieces []arrow.Array
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()
	child := array.MakeFromData(childData)
	defer child.Release()
	runStart, runEnd := O(-1), O(-1)
	flush := func() {
		if runEnd > runStart {
			pieces = append(pieces, array.NewSlice(child, int64(runStart), int64(runEnd)))
		}
	}
	total := O(0)
	for i := 0; i < n; i++ {
		if live != nil && !bitutil.BitIsSet(live, i) {
			newOffs[i+1] = total
			continue
		}
		s, e := offs[i], offs[i+1]
		if s != runEnd {
			flush()
			runStart = s
		}
		runEnd = e
		total += e - s
		newOffs[i+1] = total
	}
	flush()
	var sel arrow.Array
	switch {
	case len(pieces) == 1 && runStart == 0 && int(runEnd) == child.Len():
		sel = child
		sel.Retain()
	case len(pieces) == 0:
		sel = array.NewSlice(child, 0, 0)
	case len(pieces) == 1:
		sel = pieces[0]
		sel.Retain()
	default:
		var err error
		if sel, err = array.Concatenate(pieces, mem); err != nil {
			return nil, err
		}
	}
	defer sel.Release()
	c, err := canonData(mem, sel.Data().(*array.Data), nil, elemNullable)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	if canonHeader(d, own, valid, nulls) && c == childData && sameOffsets(offs, newOffs) && exactLen(d.Buffers()[1], int64((n+1)*unsafeSizeof[O]())) {
		d.Retain()
		return d, nil
	}
	return array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(back(newOffs))}, []arrow.ArrayData{c}, nulls, 0), nil
}

func sameOffsets[O int32 | int64](a, b []O) bool {
	if len(a) != len(b) {
		return len(a) == 0 && len(b) == 1 && b[0] == 0
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// canonView rebuilds a string or binary view array with a builder, which
// lays values out from the values alone.
func canonView(mem memory.Allocator, d *array.Data, valid, live []byte) (*array.Data, error) {
	arr := array.MakeFromData(d)
	defer arr.Release()
	b := array.NewBuilder(mem, d.DataType())
	defer b.Release()
	for i := 0; i < d.Len(); i++ {
		switch {
		case valid != nil && !bitutil.BitIsSet(valid, i):
			b.AppendNull()
		case live != nil && !bitutil.BitIsSet(live, i):
			b.AppendEmptyValue()
		default:
			switch a := arr.(type) {
			case *array.StringView:
				b.(*array.StringViewBuilder).Append(a.Value(i))
			case *array.BinaryView:
				b.(*array.BinaryViewBuilder).Append(a.Value(i))
			}
		}
	}
	out := b.NewArray()
	defer out.Release()
	od := out.Data().(*array.Data)
	od.Retain()
	return od, nil
}

// StripMetadata returns s without metadata at any level: the schema's, each
// field's, and those of the fields inside structs, lists and maps. Metadata
// may carry anything a producer had at hand (a host, a path, a time, a
// Parquet field id); none of it is data, and none of it may reach a stored
// artifact or an output.
func StripMetadata(s *arrow.Schema) *arrow.Schema {
	fs := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fs[i] = stripField(f)
	}
	return arrow.NewSchema(fs, nil)
}

func stripSchema(s *arrow.Schema) *arrow.Schema { return StripMetadata(s) }

func stripField(f arrow.Field) arrow.Field {
	return arrow.Field{Name: f.Name, Type: stripType(f.Type), Nullable: f.Nullable}
}

// stripType returns dt with metadata-free fields inside.
func stripType(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.StructType:
		fs := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			fs[i] = stripField(f)
		}
		return arrow.StructOf(fs...)
	case *arrow.ListType:
		return arrow.ListOfField(stripField(t.ElemField()))
	case *arrow.LargeListType:
		return arrow.LargeListOfField(stripField(t.ElemField()))
	case *arrow.FixedSizeListType:
		return arrow.FixedSizeListOfField(t.Len(), stripField(t.ElemField()))
	case *arrow.MapType:
		m := arrow.MapOfFields(stripField(t.KeyField()), stripField(t.ItemField()))
		m.KeysSorted = t.KeysSorted
		return m
	case *arrow.DictionaryType:
		return &arrow.DictionaryType{IndexType: t.IndexType, ValueType: stripType(t.ValueType), Ordered: t.Ordered}
	}
	return dt
}

// retype returns arr as type dt, an equal type but for metadata (a
// StripMetadata'd type), sharing its buffers.
func retype(arr arrow.Array, dt arrow.DataType) arrow.Array {
	if arrow.TypeEqual(arr.DataType(), dt, arrow.CheckMetadata()) {
		arr.Retain()
		return arr
	}
	d := retypeData(arr.Data(), dt)
	defer d.Release()
	return array.MakeFromData(d)
}

func retypeData(d arrow.ArrayData, dt arrow.DataType) arrow.ArrayData {
	kids := childTypes(dt)
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		if i < len(kids) {
			children[i] = retypeData(c, kids[i])
		} else {
			c.Retain()
			children[i] = c
		}
	}
	out := array.NewData(dt, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
	for _, c := range children {
		c.Release()
	}
	if dict, ok := d.(*array.Data).Dictionary().(*array.Data); ok && dict != nil {
		vt := dt.(*arrow.DictionaryType).ValueType
		nd := retypeData(dict, vt)
		out.SetDictionary(nd)
		nd.Release()
	}
	return out
}

// canonDictionary puts a dictionary array in the canonical layout: its
// dictionary holds exactly the values its live slots use, in the order they
// first appear (a reader's dictionary depends on how much of the file it
// had read, so it changed with the batch size), a slot whose value is null
// is null, and null slots have index 0. Dictionaries of values a dictionary
// builder cannot take (nested types) keep their dictionary, canonical.
func canonDictionary(mem memory.Allocator, d *array.Data, live []byte) (out *array.Data, err error) {
	dt := d.DataType().(*arrow.DictionaryType)
	n := d.Len()
	dict, ok := d.Dictionary().(*array.Data)
	if !ok || dict == nil {
		return nil, errors.New("dictionary array without a dictionary")
	}
	// The indices of live slots only: what lies under a null parent never
	// enters the dictionary.
	var idxValid *memory.Buffer
	if live != nil {
		idxValid = memory.NewBufferBytes(live)
	} else if nullsOf(d) > 0 {
		idxValid = memory.NewBufferBytes(copyBitmap(d.Buffers()[0].Bytes(), d.Offset(), n))
	}
	vals := d.Buffers()[1]
	w := dt.IndexType.(arrow.FixedWidthDataType).BitWidth() / 8
	vals = memory.NewBufferBytes(vals.Bytes()[d.Offset()*w : (d.Offset()+n)*w])
	idx := array.NewData(dt.IndexType, n, []*memory.Buffer{idxValid, vals}, nil, array.UnknownNullCount, 0)
	defer idx.Release()
	ia := array.MakeFromData(idx)
	defer ia.Release()
	da := array.MakeFromData(dict)
	defer da.Release()
	dense, err := takeValues(mem, da, ia)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer dense.Release()
	compacted, ok := compactDictionary(mem, dt, dense)
	if !ok {
		return canonDictionaryKeep(mem, d, idx)
	}
	defer compacted.Release()
	cd := compacted.Data().(*array.Data)
	cidx := array.NewData(dt.IndexType, n, cd.Buffers(), nil, nullsOf(cd), cd.Offset())
	ci, err := canonData(mem, cidx, nil, true)
	cidx.Release()
	if err != nil {
		return nil, err
	}
	defer ci.Release()
	cdict, err := canonData(mem, cd.Dictionary().(*array.Data), nil, true)
	if err != nil {
		return nil, err
	}
	defer cdict.Release()
	// Already canonical: the same dictionary and indices, canonical buffers.
	if canonHeader(d, ownBits(d), bitsOf(ci), nullsOf(ci)) && exactLen(d.Buffers()[1], int64(n*w)) &&
		bytes.Equal(d.Buffers()[1].Bytes(), ci.Buffers()[1].Bytes()) && dict.Len() == cdict.Len() {
		old := array.MakeFromData(dict)
		nw := array.MakeFromData(cdict)
		same := array.Equal(old, nw)
		old.Release()
		nw.Release()
		if same {
			d.Retain()
			return d, nil
		}
	}
	out = array.NewData(dt, n, ci.Buffers(), nil, nullsOf(ci), 0)
	out.SetDictionary(cdict)
	return out, nil
}

// compactDictionary dictionary-encodes dense with a fresh builder (values in
// order of first appearance); ok is false for value types it cannot take.
func compactDictionary(mem memory.Allocator, dt *arrow.DictionaryType, dense arrow.Array) (out arrow.Array, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			out, ok = nil, false
		}
	}()
	b := array.NewDictionaryBuilder(mem, dt)
	defer b.Release()
	if err := appendDense(b, dense); err != nil {
		return nil, false
	}
	return b.NewArray(), true
}

// appendDense appends the values of dense to a dictionary builder; value
// types the builder cannot take are an error, not a panic.
func appendDense(b array.DictionaryBuilder, dense arrow.Array) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dictionary of %s values: %v", dense.DataType(), r)
		}
	}()
	return b.AppendArray(dense)
}

func takeValues(mem memory.Allocator, dict, idx arrow.Array) (arrow.Array, error) {
	return compute.TakeArray(compute.WithAllocator(context.Background(), mem), dict, idx)
}

// decodeDictionary returns the values of a dictionary array's slots.
func decodeDictionary(mem memory.Allocator, a *array.Dictionary) (arrow.Array, error) {
	return takeValues(mem, a.Dictionary(), a.Indices())
}

// canonDictionaryKeep canonicalizes indices and dictionary separately.
func canonDictionaryKeep(mem memory.Allocator, d, idx *array.Data) (*array.Data, error) {
	ci, err := canonData(mem, idx, nil, true)
	if err != nil {
		return nil, err
	}
	defer ci.Release()
	cdict, err := canonData(mem, d.Dictionary().(*array.Data), nil, true)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer cdict.Release()
	out := array.NewData(d.DataType(), d.Len(), ci.Buffers(), nil, nullsOf(ci), 0)
	out.SetDictionary(cdict)
	return out, nil
}

// ownBits returns d's validity at offset 0, or nil without nulls.
func ownBits(d *array.Data) []byte {
	if nullsOf(d) == 0 || d.Buffers()[0] == nil {
		return nil
	}
	return copyBitmap(d.Buffers()[0].Bytes(), d.Offset(), d.Len())
}

// bitsOf returns the validity bytes of a canonical d, or nil.
func bitsOf(d *array.Data) []byte {
	if d.Buffers()[0] == nil {
		return nil
	}
	return d.Buffers()[0].Bytes()
}
