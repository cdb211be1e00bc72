package arrowio

import (
	"encoding/binary"
	"errors"
)

// A minimal reader and writer of the Thrift compact protocol, which a
// Parquet footer (FileMetaData) is encoded in: enough to walk a footer
// field by field and re-encode the structs compatFooter (parquet_compat.go)
// changes. It parses untrusted bytes: every length and count is checked
// against the bytes left, nesting is bounded, and any malformed input is an
// error (the caller then leaves the footer to arrow-go, which reports it).
//
// A field's value is kept as the bytes that encode it: in the compact
// protocol those do not depend on where the value sits (field ids are
// delta-encoded against the previous field of the same struct, inside the
// field header), so a struct re-encoded from its fields' headers and value
// bytes is valid however its fields were added, removed or changed.

// Compact protocol type codes.
const (
	tcStop   = 0
	tcTrue   = 1 // a boolean field's value is its type; an element type of bool lists
	tcFalse  = 2
	tcByte   = 3
	tcI16    = 4
	tcI32    = 5
	tcI64    = 6
	tcDouble = 7
	tcBinary = 8
	tcList   = 9
	tcSet    = 10
	tcMap    = 11
	tcStruct = 12
	tcUUID   = 13
)

// thriftMaxDepth bounds the nesting of structs and containers (a Parquet
// footer nests 6 deep at most).
const thriftMaxDepth = 32

var errThrift = errors.New("malformed Thrift compact encoding")

// tfield is one field of a struct: its id, its type and the bytes encoding
// its value (none for a boolean, whose value is its type).
type tfield struct {
	id  int16
	typ byte
	raw []byte
}

type tdec struct {
	b []byte
	p int
}

func (d *tdec) need(n int) error {
	if n < 0 || n > len(d.b)-d.p {
		return errThrift
	}
	d.p += n
	return nil
}

func (d *tdec) uvarint() (uint64, error) {
	var x uint64
	for s := 0; s < 70; s += 7 {
		if d.p >= len(d.b) {
			return 0, errThrift
		}
		c := d.b[d.p]
		d.p++
		if s == 63 && c > 1 {
			return 0, errThrift
		}
		x |= uint64(c&0x7f) << s
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errThrift
}

func (d *tdec) zigzag() (int64, error) {
	u, err := d.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

// count reads a container size, which cannot exceed the bytes left (every
// element takes at least one).
func (d *tdec) count(n uint64) (int, error) {
	if n > uint64(len(d.b)-d.p) {
		return 0, errThrift
	}
	return int(n), nil
}

// fieldHeader reads the header of the next field of a struct whose last
// field id was last; typ tcStop ends the struct.
func (d *tdec) fieldHeader(last int16) (int16, byte, error) {
	if d.p >= len(d.b) {
		return 0, 0, errThrift
	}
	c := d.b[d.p]
	d.p++
	typ := c & 0x0f
	if typ == tcStop {
		if c != 0 {
			return 0, 0, errThrift
		}
		return 0, tcStop, nil
	}
	if delta := int(c >> 4); delta != 0 {
		id := int(last) + delta
		if id > 1<<15-1 {
			return 0, 0, errThrift
		}
		return int16(id), typ, nil
	}
	v, err := d.zigzag()
	if err != nil || v < -1<<15 || v > 1<<15-1 {
		return 0, 0, errThrift
	}
	return int16(v), typ, nil
}

// listHeader reads the header of a list or set: element type and size.
func (d *tdec) listHeader() (byte, int, error) {
	if d.p >= len(d.b) {
		return 0, 0, errThrift
	}
	c := d.b[d.p]
	d.p++
	et, n := c&0x0f, uint64(c>>4)
	if n == 15 {
		var err error
		if n, err = d.uvarint(); err != nil {
			return 0, 0, err
		}
	}
	cnt, err := d.count(n)
	return et, cnt, err
}

// skip passes over a value of type typ; in a container, elem is true (a
// boolean element then takes a byte).
func (d *tdec) skip(typ byte, elem bool, depth int) error {
	if depth > thriftMaxDepth {
		return errThrift
	}
	switch typ {
	case tcTrue, tcFalse:
		if elem {
			return d.need(1)
		}
		return nil
	case tcByte:
		return d.need(1)
	case tcI16, tcI32, tcI64:
		_, err := d.uvarint()
		return err
	case tcDouble:
		return d.need(8)
	case tcUUID:
		return d.need(16)
	case tcBinary:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > uint64(len(d.b)-d.p) {
			return errThrift
		}
		d.p += int(n)
		return nil
	case tcList, tcSet:
		et, n, err := d.listHeader()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := d.skip(et, true, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tcMap:
		u, err := d.uvarint()
		if err != nil {
			return err
		}
		n, err := d.count(u)
		if err != nil || n == 0 {
			return err
		}
		if err := d.need(1); err != nil {
			return err
		}
		kt, vt := d.b[d.p-1]>>4, d.b[d.p-1]&0x0f
		for i := 0; i < n; i++ {
			if err := d.skip(kt, true, depth+1); err != nil {
				return err
			}
			if err := d.skip(vt, true, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tcStruct:
		last := int16(0)
		for {
			id, t, err := d.fieldHeader(last)
			if err != nil {
				return err
			}
			if t == tcStop {
				return nil
			}
			if err := d.skip(t, false, depth+1); err != nil {
				return err
			}
			last = id
		}
	}
	return errThrift
}

// thriftStruct parses the struct b encodes (all of b) into its fields.
//
// A field id that occurs twice is an error: Thrift readers disagree on
// which occurrence wins (arrow-go's generated code keeps the last of the
// expected type), so a walker that edited one of them would no longer
// describe the footer arrow-go reads.
func thriftStruct(b []byte) ([]tfield, error) {
	d := &tdec{b: b}
	var fs []tfield
	var seen map[int16]bool // once fs is too long to scan
	last := int16(0)
	for {
		id, t, err := d.fieldHeader(last)
		if err != nil {
			return nil, err
		}
		if t == tcStop {
			break
		}
		if seen == nil && len(fs) == 16 {
			seen = make(map[int16]bool, 32)
			for _, f := range fs {
				seen[f.id] = true
			}
		}
		if seen != nil {
			if seen[id] {
				return nil, errThrift
			}
			seen[id] = true
		} else if _, dup := findField(fs, id); dup {
			return nil, errThrift
		}
		start := d.p
		if err := d.skip(t, false, 1); err != nil {
			return nil, err
		}
		fs = append(fs, tfield{id: id, typ: t, raw: b[start:d.p]})
		last = id
	}
	if d.p != len(b) {
		return nil, errThrift
	}
	return fs, nil
}

// thriftPrefix returns the length of the struct that b starts with (a
// footer's FileMetaData may be followed by other bytes).
func thriftPrefix(b []byte) (int, error) {
	d := &tdec{b: b}
	if err := d.skip(tcStruct, false, 0); err != nil {
		return 0, err
	}
	return d.p, nil
}

// thriftList parses the list value raw of element type want into the bytes
// of each element.
func thriftList(raw []byte, want byte) ([][]byte, error) {
	d := &tdec{b: raw}
	et, n, err := d.listHeader()
	if err != nil || et != want {
		return nil, errThrift
	}
	elems := make([][]byte, n)
	for i := range elems {
		start := d.p
		if err := d.skip(et, true, 1); err != nil {
			return nil, err
		}
		elems[i] = raw[start:d.p]
	}
	if d.p != len(raw) {
		return nil, errThrift
	}
	return elems, nil
}

// thriftI32 is the value of an i32 field.
func thriftI32(f tfield) (int32, bool) {
	if f.typ != tcI32 {
		return 0, false
	}
	d := &tdec{b: f.raw}
	v, err := d.zigzag()
	if err != nil || v < -1<<31 || v > 1<<31-1 || d.p != len(f.raw) {
		return 0, false
	}
	return int32(v), true
}

func i32Field(id int16, v int32) tfield {
	u := uint64(uint32((v << 1) ^ (v >> 31)))
	return tfield{id: id, typ: tcI32, raw: binary.AppendUvarint(nil, u)}
}

func findField(fs []tfield, id int16) (tfield, bool) {
	for _, f := range fs {
		if f.id == id {
			return f, true
		}
	}
	return tfield{}, false
}

// appendStruct encodes the struct of fields fs.
func appendStruct(dst []byte, fs []tfield) []byte {
	last := int16(0)
	for _, f := range fs {
		if delta := int(f.id) - int(last); delta > 0 && delta <= 15 {
			dst = append(dst, byte(delta<<4)|f.typ)
		} else {
			dst = append(dst, f.typ)
			v := int64(f.id)
			dst = binary.AppendUvarint(dst, uint64((v<<1)^(v>>63)))
		}
		dst = append(dst, f.raw...)
		last = f.id
	}
	return append(dst, tcStop)
}

// appendList encodes a list of elements of type et.
func appendList(dst []byte, et byte, elems [][]byte) []byte {
	if n := len(elems); n < 15 {
		dst = append(dst, byte(n<<4)|et)
	} else {
		dst = append(dst, 0xf0|et)
		dst = binary.AppendUvarint(dst, uint64(n))
	}
	for _, e := range elems {
		dst = append(dst, e...)
	}
	return dst
}
