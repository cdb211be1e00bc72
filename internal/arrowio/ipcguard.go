package arrowio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrow-go's IPC reader trusts the counts in a file's flatbuffers: a schema
// claiming two billion child fields makes it allocate them before anything
// fails, and the process dies of an out-of-memory error no recover can
// catch (a 408-byte file did that). checkIPC walks every flatbuffer of an
// IPC file or stream first, with bounds checks, and refuses one whose
// offsets, vectors, strings or body lengths do not fit in the file; the
// reader then only allocates what a well-formed file can ask for, and
// limitAllocator bounds what the (compressed) buffers may claim.

const (
	maxFieldDepth = 64       // nesting of child fields in a schema
	minAllocLimit = 1 << 30  // largest single allocation for a small file
	allocPerByte  = 1 << 10  // ... and per byte of a large one (compression)
	maxMetaLength = 64 << 20 // largest flatbuffer metadata of one message
)

// checkIPC reads path as an IPC file (isFile) or stream and checks its
// framing and flatbuffers.
func checkIPC(path string, isFile bool) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	start, end := int64(0), size
	if isFile {
		const tail = 10 // footer length (int32) and "ARROW1"
		if size < int64(len(arrowMagic))+2+tail {
			return fmt.Errorf("IPC file of %d bytes is too short for its footer", size)
		}
		var t [tail]byte
		if _, err := fh.ReadAt(t[:], size-tail); err != nil {
			return err
		}
		if !bytes.Equal(t[4:], arrowMagic) {
			return errors.New("IPC file does not end with the ARROW1 magic (truncated?)")
		}
		flen := int64(int32(binary.LittleEndian.Uint32(t[:4])))
		if flen <= 0 || flen > size-tail-8 {
			return fmt.Errorf("IPC footer of %d bytes in a file of %d", flen, size)
		}
		footer := make([]byte, flen)
		if _, err := fh.ReadAt(footer, size-tail-flen); err != nil {
			return err
		}
		end = size - tail - flen
		blocks, err := checkFooter(footer, end)
		if err != nil {
			return fmt.Errorf("IPC footer: %w", err)
		}
		// The reader seeks to each block: each must hold a sound message.
		for _, b := range blocks {
			if err := checkOneMessage(fh, b[0], b[0]+b[1]+b[2]); err != nil {
				return fmt.Errorf("IPC block at byte %d: %w", b[0], err)
			}
		}
		start = 8
	}
	return checkMessages(fh, start, end)
}

// checkOneMessage checks the one framed message at off, which must end by end.
func checkOneMessage(r io.ReaderAt, off, end int64) error {
	return checkMessagesUntil(r, off, end, 1)
}

func checkMessages(r io.ReaderAt, off, end int64) error {
	return checkMessagesUntil(r, off, end, -1)
}

// checkMessagesUntil checks the framed messages in [off, end) up to the
// end-of-stream marker, or the first max of them (max < 0: all).
func checkMessagesUntil(r io.ReaderAt, off, end int64, max int) error {
	var hdr [8]byte
	for k := 0; off < end && k != max; k++ {
		if end-off < 4 {
			return fmt.Errorf("truncated message header at byte %d", off)
		}
		if _, err := r.ReadAt(hdr[:4], off); err != nil {
			return fmt.Errorf("byte %d: %w", off, err)
		}
		n := int64(int32(binary.LittleEndian.Uint32(hdr[:4])))
		off += 4
		if n == -1 { // continuation marker, then the length
			if end-off < 4 {
				return fmt.Errorf("truncated message header at byte %d", off)
			}
			if _, err := r.ReadAt(hdr[:4], off); err != nil {
				return fmt.Errorf("byte %d: %w", off, err)
			}
			n = int64(int32(binary.LittleEndian.Uint32(hdr[:4])))
			off += 4
		}
		if n == 0 {
			return nil // end of stream
		}
		if n < 0 || n > end-off || n > maxMetaLength {
			return fmt.Errorf("message metadata of %d bytes at byte %d, %d bytes left", n, off, end-off)
		}
		meta := make([]byte, n)
		if _, err := r.ReadAt(meta, off); err != nil {
			return fmt.Errorf("byte %d: %w", off, err)
		}
		off += n
		body, err := checkMessage(meta)
		if err != nil {
			return fmt.Errorf("message at byte %d: %w", off-n, err)
		}
		if body < 0 || body > end-off {
			return fmt.Errorf("message body of %d bytes at byte %d, %d bytes left", body, off, end-off)
		}
		off += body
	}
	return nil
}

// limitAllocator fails (by a panic the decoder's recover turns into an
// error) any single allocation above limit, which a file's own length
// bounds: a corrupt length then costs an error, not the machine's memory.
type limitAllocator struct {
	memory.Allocator
	limit int
}

func newLimitAllocator(mem memory.Allocator, fileSize int64) *limitAllocator {
	limit := int64(minAllocLimit)
	if l := fileSize * allocPerByte; l > limit {
		limit = l
	}
	return &limitAllocator{Allocator: mem, limit: int(min(limit, int64(^uint(0)>>1)))}
}

func (a *limitAllocator) Allocate(n int) []byte {
	if n < 0 || n > a.limit {
		panic(fmt.Sprintf("allocation of %d bytes exceeds what the file can hold (%d)", n, a.limit))
	}
	return a.Allocator.Allocate(n)
}

func (a *limitAllocator) Reallocate(n int, b []byte) []byte {
	if n < 0 || n > a.limit {
		panic(fmt.Sprintf("allocation of %d bytes exceeds what the file can hold (%d)", n, a.limit))
	}
	return a.Allocator.Reallocate(n, b)
}

// fb reads a flatbuffer with bounds checks.
type fb struct{ b []byte }

var errBounds = errors.New("flatbuffer offset out of bounds")

func (f fb) u32(p int) (int, error) {
	if p < 0 || p+4 > len(f.b) {
		return 0, errBounds
	}
	return int(binary.LittleEndian.Uint32(f.b[p:])), nil
}

func (f fb) u16(p int) (int, error) {
	if p < 0 || p+2 > len(f.b) {
		return 0, errBounds
	}
	return int(binary.LittleEndian.Uint16(f.b[p:])), nil
}

func (f fb) i64(p int) (int64, error) {
	if p < 0 || p+8 > len(f.b) {
		return 0, errBounds
	}
	return int64(binary.LittleEndian.Uint64(f.b[p:])), nil
}

// table checks the table at p and returns its vtable position and length.
type fbTable struct {
	pos, vt, vtLen int
}

func (f fb) table(p int) (fbTable, error) {
	if p < 0 || p+4 > len(f.b) {
		return fbTable{}, errBounds
	}
	soff := int(int32(binary.LittleEndian.Uint32(f.b[p:])))
	vt := p - soff
	vtLen, err := f.u16(vt)
	if err != nil {
		return fbTable{}, err
	}
	objLen, err := f.u16(vt + 2)
	if err != nil {
		return fbTable{}, err
	}
	if vtLen < 4 || vtLen%2 != 0 || vt+vtLen > len(f.b) || p+objLen > len(f.b) {
		return fbTable{}, errBounds
	}
	return fbTable{pos: p, vt: vt, vtLen: vtLen}, nil
}

// field returns the position of slot's value, or -1 when it is absent.
func (f fb) field(t fbTable, slot int) (int, error) {
	vo := 4 + 2*slot
	if vo+2 > t.vtLen {
		return -1, nil
	}
	o, err := f.u16(t.vt + vo)
	if err != nil || o == 0 {
		return -1, err
	}
	return t.pos + o, nil
}

// indirect follows the offset stored at p.
func (f fb) indirect(p int) (int, error) {
	o, err := f.u32(p)
	if err != nil {
		return 0, err
	}
	if p+o >= len(f.b) {
		return 0, errBounds
	}
	return p + o, nil
}

// vector checks the vector referenced at slot (elements of elem bytes) and
// returns its first element's position and length; n = 0 when absent.
func (f fb) vector(t fbTable, slot, elem int) (int, int, error) {
	p, err := f.field(t, slot)
	if err != nil || p < 0 {
		return 0, 0, err
	}
	v, err := f.indirect(p)
	if err != nil {
		return 0, 0, err
	}
	n, err := f.u32(v)
	if err != nil {
		return 0, 0, err
	}
	if int64(v)+4+int64(n)*int64(elem) > int64(len(f.b)) {
		return 0, 0, fmt.Errorf("vector of %d elements does not fit in %d bytes", n, len(f.b))
	}
	return v + 4, n, nil
}

// subtable checks the table referenced at slot; ok is false when absent.
func (f fb) subtable(t fbTable, slot int) (fbTable, bool, error) {
	p, err := f.field(t, slot)
	if err != nil || p < 0 {
		return fbTable{}, false, err
	}
	q, err := f.indirect(p)
	if err != nil {
		return fbTable{}, false, err
	}
	st, err := f.table(q)
	return st, err == nil, err
}

// tables checks each table of the vector of tables at slot with check.
func (f fb) tables(t fbTable, slot int, check func(fbTable) error) error {
	start, n, err := f.vector(t, slot, 4)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		q, err := f.indirect(start + 4*i)
		if err != nil {
			return err
		}
		st, err := f.table(q)
		if err != nil {
			return err
		}
		if err := check(st); err != nil {
			return err
		}
	}
	return nil
}

func (f fb) root() (fbTable, error) {
	p, err := f.u32(0)
	if err != nil {
		return fbTable{}, err
	}
	return f.table(p)
}

func (f fb) keyValues(t fbTable, slot int) error {
	return f.tables(t, slot, func(kv fbTable) error {
		if _, _, err := f.vector(kv, 0, 1); err != nil {
			return err
		}
		_, _, err := f.vector(kv, 1, 1)
		return err
	})
}

// Message: version, header_type, header, bodyLength, custom_metadata.
func checkMessage(meta []byte) (body int64, err error) {
	f := fb{meta}
	m, err := f.root()
	if err != nil {
		return 0, err
	}
	if err := f.keyValues(m, 4); err != nil {
		return 0, err
	}
	if err := f.checkVersion(m, false); err != nil {
		return 0, err
	}
	if p, err := f.field(m, 3); err != nil {
		return 0, err
	} else if p >= 0 {
		if body, err = f.i64(p); err != nil {
			return 0, err
		}
	}
	kind := 0
	if p, err := f.field(m, 1); err != nil {
		return 0, err
	} else if p >= 0 {
		if p >= len(meta) {
			return 0, errBounds
		}
		kind = int(meta[p])
	}
	h, ok, err := f.subtable(m, 2)
	if err != nil || !ok {
		return body, err
	}
	switch kind {
	case 1: // Schema
		return body, f.schema(h)
	case 2: // DictionaryBatch: id, data, isDelta
		rb, ok, err := f.subtable(h, 1)
		if err != nil || !ok {
			return body, err
		}
		return body, f.recordBatch(rb, body)
	case 3: // RecordBatch
		return body, f.recordBatch(h, body)
	}
	return body, fmt.Errorf("message type %d is not a schema or a batch", kind)
}

// Schema: endianness, fields, custom_metadata, features.
func (f fb) schema(s fbTable) error {
	if err := f.keyValues(s, 2); err != nil {
		return err
	}
	if _, _, err := f.vector(s, 3, 8); err != nil {
		return err
	}
	return f.tables(s, 1, func(t fbTable) error { return f.arrowField(t, 0) })
}

// Field: name, nullable, type_type, type, dictionary, children, custom_metadata.
func (f fb) arrowField(t fbTable, depth int) error {
	if depth > maxFieldDepth {
		return fmt.Errorf("fields nested more than %d deep", maxFieldDepth)
	}
	if _, _, err := f.vector(t, 0, 1); err != nil {
		return err
	}
	if typ, ok, err := f.subtable(t, 3); err != nil {
		return err
	} else if ok {
		// Strings and vectors inside types: Timestamp's timezone (slot 1)
		// and Union's typeIds (slot 1, int32). Any other type has scalars
		// only, which the bounds of its table cover.
		kind := -1
		if p, err := f.field(t, 2); err != nil {
			return err
		} else if p >= 0 && p < len(f.b) {
			kind = int(f.b[p])
		}
		switch kind {
		case 10: // Timestamp
			if _, _, err := f.vector(typ, 1, 1); err != nil {
				return err
			}
		case 14: // Union
			if _, _, err := f.vector(typ, 1, 4); err != nil {
				return err
			}
		}
	}
	if dict, ok, err := f.subtable(t, 4); err != nil {
		return err
	} else if ok {
		if _, _, err := f.subtable(dict, 1); err != nil {
			return err
		}
	}
	if err := f.keyValues(t, 6); err != nil {
		return err
	}
	return f.tables(t, 5, func(c fbTable) error { return f.arrowField(c, depth+1) })
}

// RecordBatch: length, nodes (16-byte structs), buffers (16-byte structs),
// compression, variadicBufferCounts (int64).
func (f fb) recordBatch(rb fbTable, body int64) error {
	if p, err := f.field(rb, 0); err != nil {
		return err
	} else if p >= 0 {
		n, err := f.i64(p)
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("batch of %d rows", n)
		}
	}
	start, n, err := f.vector(rb, 1, 16)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		length, _ := f.i64(start + 16*i)
		nulls, _ := f.i64(start + 16*i + 8)
		if length < 0 || nulls < 0 || nulls > length {
			return fmt.Errorf("field node %d: length %d, %d nulls", i, length, nulls)
		}
	}
	start, n, err = f.vector(rb, 2, 16)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		off, _ := f.i64(start + 16*i)
		length, _ := f.i64(start + 16*i + 8)
		if off < 0 || length < 0 || off > body || length > body-off {
			return fmt.Errorf("buffer %d at %d of %d bytes outside a body of %d", i, off, length, body)
		}
	}
	if _, _, err := f.subtable(rb, 3); err != nil {
		return err
	}
	_, _, err = f.vector(rb, 4, 8)
	return err
}

// Footer: version, schema, dictionaries and recordBatches (Block structs of
// 24 bytes: offset, metaDataLength, body length), custom_metadata.
func checkFooter(footer []byte, dataEnd int64) ([][3]int64, error) {
	f := fb{footer}
	ft, err := f.root()
	if err != nil {
		return nil, err
	}
	// Writers before 0.15 left the footer's version at its default (V1):
	// only a version from the future is refused here; each message's own
	// version is checked exactly.
	if err := f.checkVersion(ft, true); err != nil {
		return nil, err
	}
	if s, ok, err := f.subtable(ft, 1); err != nil {
		return nil, err
	} else if ok {
		if err := f.schema(s); err != nil {
			return nil, err
		}
	}
	var blocks [][3]int64
	for _, slot := range []int{2, 3} {
		start, n, err := f.vector(ft, slot, 24)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			off, _ := f.i64(start + 24*i)
			meta, _ := f.u32(start + 24*i + 8)
			body, _ := f.i64(start + 24*i + 16)
			m := int64(int32(meta))
			if off < 8 || m < 0 || body < 0 || off > dataEnd || m > dataEnd-off || body > dataEnd-off-m {
				return nil, fmt.Errorf("block %d at %d (%d + %d bytes) outside the data (%d bytes)", i, off, m, body, dataEnd)
			}
			blocks = append(blocks, [3]int64{off, m, body})
		}
	}
	return blocks, f.keyValues(ft, 4)
}

// checkParquetArrowSchema checks the Arrow schema a Parquet file stores in
// its key-value metadata (ARROW:schema: an IPC stream in base64), which
// pqarrow hands to the same IPC schema parser.
func checkParquetArrowSchema(kv interface{ FindValue(string) *string }) error {
	v := kv.FindValue("ARROW:schema")
	if v == nil {
		return nil
	}
	decoded, err := base64.StdEncoding.DecodeString(*v)
	if len(decoded) == 0 || err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(*v)
	}
	if err != nil {
		return nil // pqarrow fails on it the same way, with an error
	}
	if err := checkMessages(bytes.NewReader(decoded), 0, int64(len(decoded))); err != nil {
		return fmt.Errorf("stored Arrow schema: %w", err)
	}
	return nil
}

// checkVersion refuses a Message or Footer whose metadata version (slot 0,
// a short; absent means V1) is not V4 or V5, the versions this reader
// decodes. A version from the future may change the meaning of any field,
// so such a file must be rejected, not read as if it were V5.
func (f fb) checkVersion(t fbTable, futureOnly bool) error {
	v := 0
	if p, err := f.field(t, 0); err != nil {
		return err
	} else if p >= 0 {
		if v, err = f.u16(p); err != nil {
			return err
		}
		v = int(int16(v))
	}
	if futureOnly && v <= 4 {
		return nil
	}
	if v != 3 && v != 4 { // MetadataVersion V4 = 3, V5 = 4
		return fmt.Errorf("IPC metadata version V%d is not supported (this reader reads V4 and V5)", v+1)
	}
	return nil
}
