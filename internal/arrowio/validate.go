package arrowio

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// validateBatch checks that every array of rec is structurally sound: its
// buffers are long enough for its offset and length, offsets are in order
// and inside the data or child they index, children are long enough, and
// dictionary indices point into the dictionary. A decoder hands over what
// the file says; a malformed file (the IPC reader trusts the buffer lengths
// and offsets it reads) would otherwise reach code that indexes by those
// numbers, on other goroutines (gathering, hashing, encoding), and panic
// there or store garbage. A failure is an error, never a panic.
func validateBatch(rec arrow.RecordBatch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed batch: %v", r)
		}
	}()
	if rec.NumRows() < 0 {
		return errors.New("negative row count")
	}
	for i, c := range rec.Columns() {
		if int64(c.Len()) != rec.NumRows() {
			return fmt.Errorf("column %q: %d values in a batch of %d rows", rec.Schema().Field(i).Name, c.Len(), rec.NumRows())
		}
		if err := validateData(c.Data().(*array.Data)); err != nil {
			return fmt.Errorf("column %q: %w", rec.Schema().Field(i).Name, err)
		}
	}
	return nil
}

func bufLen(d *array.Data, i int) int {
	bs := d.Buffers()
	if i >= len(bs) || bs[i] == nil {
		return 0
	}
	return bs[i].Len()
}

func validateData(d *array.Data) error {
	n, off := d.Len(), d.Offset()
	if n < 0 || off < 0 {
		return fmt.Errorf("negative length %d or offset %d", n, off)
	}
	dt := d.DataType()
	if dt.ID() == arrow.NULL {
		return nil
	}
	switch t := dt.(type) {
	case arrow.ExtensionType:
		st := array.NewData(t.StorageType(), n, d.Buffers(), d.Children(), d.NullN(), off)
		defer st.Release()
		return validateData(st)
	case *arrow.RunEndEncodedType:
		return validateREE(d, t)
	case arrow.UnionType:
		return validateUnion(d, t)
	}
	if len(d.Buffers()) == 0 {
		return errors.New("no buffers")
	}
	end := off + n
	if b := d.Buffers()[0]; b != nil {
		if int64(b.Len()) < bitutil.BytesForBits(int64(end)) {
			return fmt.Errorf("validity bitmap of %d bytes for %d slots", b.Len(), end)
		}
		nulls := n - bitutil.CountSetBits(b.Bytes(), off, n)
		if k := d.NullN(); k >= 0 && k != nulls {
			return fmt.Errorf("null count %d, bitmap says %d", k, nulls)
		}
	} else if k := d.NullN(); k > 0 && k != n {
		return fmt.Errorf("null count %d without a validity bitmap", k)
	}
	switch t := dt.(type) {
	case *arrow.BooleanType:
		if int64(bufLen(d, 1)) < bitutil.BytesForBits(int64(end)) {
			return fmt.Errorf("boolean values of %d bytes for %d slots", bufLen(d, 1), end)
		}
		return nil
	case *arrow.StringType, *arrow.BinaryType:
		return validateOffsets(d, 4, bufLen(d, 2), "values")
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return validateOffsets(d, 8, bufLen(d, 2), "values")
	case *arrow.StringViewType, *arrow.BinaryViewType:
		a := array.MakeFromData(d)
		defer a.Release()
		return a.(interface{ ValidateFull() error }).ValidateFull()
	case *arrow.ListViewType, *arrow.LargeListViewType:
		if len(d.Children()) != 1 || len(d.Buffers()) < 3 {
			return errors.New("list view without its child or buffers")
		}
		if err := nested("elements", validateData(d.Children()[0].(*array.Data))); err != nil {
			return err
		}
		a := array.MakeFromData(d)
		defer a.Release()
		return a.(interface{ ValidateFull() error }).ValidateFull()
	case *arrow.ListType, *arrow.MapType:
		if len(d.Children()) != 1 {
			return errors.New("list without its child")
		}
		child := d.Children()[0].(*array.Data)
		if err := validateOffsets(d, 4, child.Len(), "elements"); err != nil {
			return err
		}
		return nested("elements", validateData(child))
	case *arrow.LargeListType:
		if len(d.Children()) != 1 {
			return errors.New("list without its child")
		}
		child := d.Children()[0].(*array.Data)
		if err := validateOffsets(d, 8, child.Len(), "elements"); err != nil {
			return err
		}
		return nested("elements", validateData(child))
	case *arrow.FixedSizeListType:
		if len(d.Children()) != 1 {
			return errors.New("fixed-size list without its child")
		}
		child := d.Children()[0].(*array.Data)
		if t.Len() < 0 || int64(child.Len()) < int64(end)*int64(t.Len()) {
			return fmt.Errorf("fixed-size list of %d slots of %d has %d elements", end, t.Len(), child.Len())
		}
		return nested("elements", validateData(child))
	case *arrow.StructType:
		if len(d.Children()) != t.NumFields() {
			return fmt.Errorf("struct of %d fields has %d children", t.NumFields(), len(d.Children()))
		}
		for i, c := range d.Children() {
			cd := c.(*array.Data)
			if cd.Len() < end {
				return fmt.Errorf("field %q: %d values for %d slots", t.Field(i).Name, cd.Len(), end)
			}
			if err := validateData(cd); err != nil {
				return fmt.Errorf("field %q: %w", t.Field(i).Name, err)
			}
		}
		return nil
	case *arrow.DictionaryType:
		dict, ok := d.Dictionary().(*array.Data)
		if !ok || dict == nil {
			return errors.New("dictionary array without a dictionary")
		}
		if err := validateData(dict); err != nil {
			return nested("dictionary", err)
		}
		idx := array.NewData(t.IndexType, n, d.Buffers(), nil, d.NullN(), off)
		defer idx.Release()
		if err := validateData(idx); err != nil {
			return nested("indices", err)
		}
		ia := array.MakeFromData(idx)
		defer ia.Release()
		for i := 0; i < n; i++ {
			if ia.IsNull(i) {
				continue
			}
			var v int64
			switch a := ia.(type) {
			case *array.Int8:
				v = int64(a.Value(i))
			case *array.Int16:
				v = int64(a.Value(i))
			case *array.Int32:
				v = int64(a.Value(i))
			case *array.Int64:
				v = a.Value(i)
			case *array.Uint8:
				v = int64(a.Value(i))
			case *array.Uint16:
				v = int64(a.Value(i))
			case *array.Uint32:
				v = int64(a.Value(i))
			case *array.Uint64:
				v = int64(a.Value(i))
				if a.Value(i) > uint64(dict.Len()) {
					v = -1
				}
			default:
				return fmt.Errorf("dictionary index type %s", t.IndexType)
			}
			if v < 0 || v >= int64(dict.Len()) {
				return fmt.Errorf("dictionary index %d at slot %d outside a dictionary of %d", v, i, dict.Len())
			}
		}
		return nil
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 {
		return fmt.Errorf("type %s is not supported", dt)
	}
	if need := int64(end) * int64(fw.BitWidth()/8); int64(bufLen(d, 1)) < need {
		return fmt.Errorf("%s values of %d bytes for %d slots", dt, bufLen(d, 1), end)
	}
	return nil
}

func nested(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// validateOffsets checks the offsets of slots [off, off+n] of d: present,
// in order, and inside [0, limit].
func validateOffsets(d *array.Data, width, limit int, what string) error {
	n, off := d.Len(), d.Offset()
	if n == 0 {
		return nil
	}
	if bufLen(d, 1) < (off+n+1)*width {
		return fmt.Errorf("offsets of %d bytes for %d slots", bufLen(d, 1), off+n)
	}
	b := d.Buffers()[1].Bytes()
	var prev int64
	for i := off; i <= off+n; i++ {
		var o int64
		if width == 4 {
			o = int64(arrow.Int32Traits.CastFromBytes(b)[i])
		} else {
			o = arrow.Int64Traits.CastFromBytes(b)[i]
		}
		if o < 0 || o > int64(limit) {
			return fmt.Errorf("offset %d at slot %d outside %d %s", o, i, limit, what)
		}
		if i > off && o < prev {
			return fmt.Errorf("offset %d at slot %d before the previous one (%d)", o, i, prev)
		}
		prev = o
	}
	return nil
}

// validateREE checks a run-end encoded array: run ends positive, strictly
// increasing, covering offset+length, one value per run.
func validateREE(d *array.Data, t *arrow.RunEndEncodedType) error {
	if len(d.Children()) != 2 {
		return errors.New("run-end encoded array without run ends and values")
	}
	ends, vals := d.Children()[0].(*array.Data), d.Children()[1].(*array.Data)
	if err := validateData(ends); err != nil {
		return nested("run ends", err)
	}
	if err := validateData(vals); err != nil {
		return nested("values", err)
	}
	if vals.Len() < ends.Len() {
		return fmt.Errorf("%d values for %d runs", vals.Len(), ends.Len())
	}
	ea := array.MakeFromData(ends)
	defer ea.Release()
	if ea.NullN() > 0 {
		return errors.New("null run end")
	}
	prev := int64(0)
	for i := 0; i < ea.Len(); i++ {
		var e int64
		switch a := ea.(type) {
		case *array.Int16:
			e = int64(a.Value(i))
		case *array.Int32:
			e = int64(a.Value(i))
		case *array.Int64:
			e = a.Value(i)
		default:
			return fmt.Errorf("run end type %s", t.RunEnds())
		}
		if e <= prev {
			return fmt.Errorf("run end %d after %d", e, prev)
		}
		prev = e
	}
	if prev < int64(d.Offset())+int64(d.Len()) {
		return fmt.Errorf("runs end at %d, before slot %d", prev, d.Offset()+d.Len())
	}
	return nil
}

// validateUnion checks a sparse or dense union before arrow-go touches it
// (making the array slices sparse children, which panics on a short one):
// no validity of its own, type codes and dense offsets present, children
// long enough and valid; then the codes and offsets themselves.
func validateUnion(d *array.Data, t arrow.UnionType) error {
	n, off := d.Len(), d.Offset()
	end := off + n
	if len(d.Buffers()) < 2 {
		return errors.New("union without its type codes")
	}
	if b := d.Buffers()[0]; b != nil && b.Len() > 0 || d.NullN() > 0 {
		return errors.New("union with a validity bitmap or nulls of its own")
	}
	if bufLen(d, 1) < end {
		return fmt.Errorf("union type codes of %d bytes for %d slots", bufLen(d, 1), end)
	}
	if len(d.Children()) != len(t.Fields()) {
		return fmt.Errorf("union of %d members has %d children", len(t.Fields()), len(d.Children()))
	}
	if t.Mode() == arrow.DenseMode && (len(d.Buffers()) < 3 || bufLen(d, 2) < 4*end) {
		return fmt.Errorf("dense union offsets of %d bytes for %d slots", bufLen(d, 2), end)
	}
	for i, c := range d.Children() {
		cd := c.(*array.Data)
		if t.Mode() == arrow.SparseMode && cd.Len() < end {
			return fmt.Errorf("member %q: %d values for %d slots", t.Fields()[i].Name, cd.Len(), end)
		}
		if !arrow.TypeEqual(cd.DataType(), t.Fields()[i].Type) {
			return fmt.Errorf("member %q: child of type %s, declared %s", t.Fields()[i].Name, cd.DataType(), t.Fields()[i].Type)
		}
		if err := validateData(cd); err != nil {
			return fmt.Errorf("member %q: %w", t.Fields()[i].Name, err)
		}
	}
	if n == 0 {
		return nil // arrow-go's check reads the offsets buffer, absent here
	}
	a := array.MakeFromData(d)
	defer a.Release()
	return a.(interface{ ValidateFull() error }).ValidateFull()
}
