package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Parquet files arrow-go (v18.8.0) refuses or misreads though the format
// and other readers (DuckDB, Spark, parquet-mr) read them. Each is fixed by
// rewriting the file's footer (its Thrift FileMetaData, parquet_thrift.go)
// before arrow-go parses it, and, where the rewrite changed what a column
// reads as, converting the column back after arrow-go read it:
//
//   - A logical type arrow-go does not know (a newer writer's; the format
//     says readers ignore what they do not know): arrow-go panics ("invalid
//     logical type"). The annotation is dropped and the column reads as its
//     physical type (parquet-testing unknown-logical-type: BYTE_ARRAY reads
//     as binary, as DuckDB reads it). So is a TIME or TIMESTAMP whose unit
//     arrow-go does not know.
//   - INT96 (Impala and Spark timestamps: nanoseconds into a Julian day).
//     arrow-go reads it as timestamp[ns], which holds 1677 to 2262 only, so
//     Spark's microsecond timestamps outside that range fail. INT96 is
//     presented to arrow-go as FIXED_LEN_BYTE_ARRAY(12) (PLAIN and
//     dictionary pages encode the same 12 bytes) and each value is converted
//     exactly to timestamp[us, UTC], as DuckDB and Spark read INT96: a value
//     with a sub-microsecond part, or outside what int64 microseconds hold
//     (±292,000 years), is an error naming file, column and row, never
//     rounded.
//   - A MAP whose key field is optional (Presto and Trino before 2022,
//     Athena): arrow-go refuses ("MAP keys must be required"). The format's
//     backward-compatibility rules read it as the map it is: the group is
//     presented as a LIST of key/value structs, which is turned back into a
//     map; a null key in the data is an error naming file, column and row.
//
// Only a footer that needs it is rewritten: every other file is opened
// exactly as before.

// pqCompat is what compatFooter changed, by leaf column index.
type pqCompat struct {
	int96   map[int]bool // INT96 leaves, now FIXED_LEN_BYTE_ARRAY(12)
	mapKeys map[int]bool // optional MAP key leaves, their MAP now a LIST
}

// Parquet Thrift field ids and enum values used below.
const (
	fmdSchema     = 2
	fmdRowGroups  = 4
	fmdEncryption = 8

	seType          = 1
	seTypeLength    = 2
	seRepetition    = 3
	seNumChildren   = 5
	seConvertedType = 6
	seLogicalType   = 10

	rgColumns      = 1
	ccMetaData     = 3
	cmdType        = 1
	ptInt96        = 3
	ptFixedLen     = 7
	repOptional    = 1
	repRepeated    = 2
	ctMap          = 1
	ctMapKeyValue  = 2
	ctList         = 3
	ltMap          = 2
	ltList         = 3
	ltTime         = 7
	ltTimestamp    = 8
	maxSchemaDepth = 64
)

// knownLogicalTypes are the members of the LogicalType union arrow-go
// v18.8.0 reads (parquet.thrift: STRING 1 ... GEOGRAPHY 18; 9 is unused).
var knownLogicalTypes = map[int16]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true,
	10: true, 11: true, 12: true, 13: true, 14: true, 15: true, 16: true, 17: true, 18: true}

// selem is one SchemaElement of a footer's schema list.
type selem struct {
	fs       []tfield
	children []int // element indexes
	leaf     int   // leaf column index, -1 for a group
	changed  bool
}

func (e *selem) i32(id int16) (int32, bool) {
	f, ok := findField(e.fs, id)
	if !ok {
		return 0, false
	}
	return thriftI32(f)
}

func (e *selem) set(f tfield) {
	e.del(f.id)
	i := sort.Search(len(e.fs), func(i int) bool { return e.fs[i].id > f.id })
	e.fs = append(e.fs[:i], append([]tfield{f}, e.fs[i:]...)...)
	e.changed = true
}

func (e *selem) del(id int16) {
	for i, f := range e.fs {
		if f.id == id {
			e.fs = append(e.fs[:i:i], e.fs[i+1:]...)
			e.changed = true
			return
		}
	}
}

// compatFooter returns footer (a plaintext FileMetaData, possibly followed
// by other bytes) rewritten as the package comment says, and what it
// changed; nil, nil when nothing needs changing or the footer is not one it
// can walk (arrow-go then reads, or refuses, it as it is).
func compatFooter(footer []byte) ([]byte, *pqCompat) {
	// The schema (field 2) comes before the row groups: a footer that needs
	// no change is decided on without walking those.
	sraw, ok := footerSchema(footer)
	if !ok {
		return nil, nil
	}
	raws, err := thriftList(sraw, tcStruct)
	if err != nil || len(raws) == 0 {
		return nil, nil
	}
	els := make([]selem, len(raws))
	for i, r := range raws {
		if els[i].fs, err = thriftStruct(r); err != nil {
			return nil, nil
		}
	}
	if !linkSchema(els) {
		return nil, nil
	}
	c := &pqCompat{int96: map[int]bool{}, mapKeys: map[int]bool{}}
	for i := range els {
		e := &els[i]
		if f, ok := findField(e.fs, seLogicalType); ok && !knownLogicalType(f) {
			e.del(seLogicalType)
		}
		if t, ok := e.i32(seType); ok && t == ptInt96 && e.leaf >= 0 {
			e.set(i32Field(seType, ptFixedLen))
			e.set(i32Field(seTypeLength, 12))
			e.del(seConvertedType)
			e.del(seLogicalType)
			c.int96[e.leaf] = true
		}
		if key, ok := optionalMapKey(els, i); ok {
			if ct, ok := e.i32(seConvertedType); ok && (ct == ctMap || ct == ctMapKeyValue) {
				e.set(i32Field(seConvertedType, ctList))
			}
			if _, ok := findField(e.fs, seLogicalType); ok {
				e.set(tfield{id: seLogicalType, typ: tcStruct, raw: appendStruct(nil, []tfield{{id: ltList, typ: tcStruct, raw: []byte{tcStop}}})})
			}
			c.mapKeys[els[key].leaf] = true
		}
	}
	changed := false
	for i := range els {
		if els[i].changed {
			raws[i] = appendStruct(nil, els[i].fs)
			changed = true
		}
	}
	if !changed {
		return nil, nil
	}
	n, err := thriftPrefix(footer)
	if err != nil {
		return nil, nil
	}
	top, err := thriftStruct(footer[:n])
	if err != nil {
		return nil, nil
	}
	if _, enc := findField(top, fmdEncryption); enc {
		return nil, nil // a signed plaintext footer: rewriting would break the signature
	}
	for i := range top {
		switch top[i].id {
		case fmdSchema:
			top[i].raw = appendList(nil, tcStruct, raws)
		case fmdRowGroups:
			if len(c.int96) > 0 && top[i].typ == tcList {
				raw, err := int96ColumnChunks(top[i].raw, c.int96)
				if err != nil {
					return nil, nil
				}
				top[i].raw = raw
			}
		}
	}
	out := appendStruct(nil, top)
	return append(out, footer[n:]...), c
}

// footerSchema returns the encoded schema list of the FileMetaData footer
// starts with, reading no further than it.
func footerSchema(footer []byte) ([]byte, bool) {
	d := &tdec{b: footer}
	last := int16(0)
	for {
		id, t, err := d.fieldHeader(last)
		if err != nil || t == tcStop {
			return nil, false
		}
		start := d.p
		if err := d.skip(t, false, 1); err != nil {
			return nil, false
		}
		if id == fmdSchema {
			return footer[start:d.p], t == tcList
		}
		last = id
	}
}

// linkSchema fills the children and leaf index of each element, walking
// the schema as arrow-go's schema.FromParquet does; false if it is not a
// tree of the elements (arrow-go reports that).
func linkSchema(els []selem) bool {
	pos, leaves := 0, 0
	var walk func(depth int) (int, bool)
	walk = func(depth int) (int, bool) {
		if pos >= len(els) || depth > maxSchemaDepth {
			return 0, false
		}
		i := pos
		pos++
		e := &els[i]
		e.leaf = -1
		n, _ := e.i32(seNumChildren)
		if n <= 0 {
			if i == 0 {
				return i, true // a root without columns
			}
			e.leaf = leaves
			leaves++
			return i, true
		}
		if int(n) > len(els)-pos {
			return 0, false
		}
		for k := 0; k < int(n); k++ {
			c, ok := walk(depth + 1)
			if !ok {
				return 0, false
			}
			e.children = append(e.children, c)
		}
		return i, true
	}
	_, ok := walk(0)
	return ok && pos == len(els)
}

// knownLogicalType says whether arrow-go reads the LogicalType union f:
// one of its members is one arrow-go knows (and, for TIME and TIMESTAMP,
// so is the unit).
func knownLogicalType(f tfield) bool {
	if f.typ != tcStruct {
		return true // not a union at all: arrow-go reports it
	}
	members, err := thriftStruct(f.raw)
	if err != nil {
		return true
	}
	for _, m := range members {
		if !knownLogicalTypes[m.id] {
			continue
		}
		if (m.id == ltTime || m.id == ltTimestamp) && m.typ == tcStruct {
			fs, err := thriftStruct(m.raw)
			if err != nil {
				return true
			}
			unit, ok := findField(fs, 2)
			if !ok || unit.typ != tcStruct {
				return true
			}
			us, err := thriftStruct(unit.raw)
			if err != nil {
				return true
			}
			for _, u := range us {
				if u.id >= 1 && u.id <= 3 { // MILLIS, MICROS, NANOS
					return true
				}
			}
			return false
		}
		return true
	}
	return false
}

// optionalMapKey says whether element i is a group arrow-go reads as a MAP
// (logical type MAP, or converted type MAP or MAP_KEY_VALUE) whose one
// repeated key/value group has one or two fields, the first of them an
// optional leaf: the key; it returns the key's element index. (A MAP of
// keys only reads, as arrow-go reads one with required keys, as a list of
// its keys.)
func optionalMapKey(els []selem, i int) (int, bool) {
	e := &els[i]
	if e.leaf >= 0 || len(e.children) != 1 {
		return 0, false
	}
	isMap := false
	if f, ok := findField(e.fs, seLogicalType); ok {
		if f.typ == tcStruct {
			if ms, err := thriftStruct(f.raw); err == nil && len(ms) == 1 && ms[0].id == ltMap {
				isMap = true
			}
		}
	} else if ct, ok := e.i32(seConvertedType); ok && (ct == ctMap || ct == ctMapKeyValue) {
		isMap = true
	}
	if !isMap {
		return 0, false
	}
	if rep, _ := e.i32(seRepetition); rep == repRepeated {
		return 0, false
	}
	kv := &els[e.children[0]]
	if rep, _ := kv.i32(seRepetition); rep != repRepeated || kv.leaf >= 0 || len(kv.children) < 1 || len(kv.children) > 2 {
		return 0, false
	}
	key := kv.children[0]
	if rep, _ := els[key].i32(seRepetition); rep != repOptional || els[key].leaf < 0 {
		return 0, false
	}
	return key, true
}

// int96ColumnChunks rewrites the physical type of the INT96 leaves in each
// row group's column metadata (raw: the row_groups list).
func int96ColumnChunks(raw []byte, int96 map[int]bool) ([]byte, error) {
	rgs, err := thriftList(raw, tcStruct)
	if err != nil {
		return nil, err
	}
	for g, rgRaw := range rgs {
		rg, err := thriftStruct(rgRaw)
		if err != nil {
			return nil, err
		}
		for k := range rg {
			if rg[k].id != rgColumns || rg[k].typ != tcList {
				continue
			}
			ccs, err := thriftList(rg[k].raw, tcStruct)
			if err != nil {
				return nil, err
			}
			for j, ccRaw := range ccs {
				if !int96[j] {
					continue
				}
				cc, err := thriftStruct(ccRaw)
				if err != nil {
					return nil, err
				}
				for m := range cc {
					if cc[m].id != ccMetaData || cc[m].typ != tcStruct {
						continue
					}
					md, err := thriftStruct(cc[m].raw)
					if err != nil {
						return nil, err
					}
					for q := range md {
						if t, ok := thriftI32(md[q]); ok && md[q].id == cmdType && t == ptInt96 {
							md[q] = i32Field(cmdType, ptFixedLen)
						}
					}
					cc[m].raw = appendStruct(nil, md)
				}
				ccs[j] = appendStruct(nil, cc)
			}
			rg[k].raw = appendList(nil, tcStruct, ccs)
		}
		rgs[g] = appendStruct(nil, rg)
	}
	return appendList(nil, tcStruct, rgs), nil
}

// parquetFooter reads the plaintext footer of the Parquet file fh; nil
// when the file has none (too short, an encrypted footer): arrow-go then
// reports what it finds.
func parquetFooter(fh *os.File) ([]byte, int64) {
	size := fileSize(fh)
	if size < 12 {
		return nil, 0
	}
	var tail [8]byte
	if _, err := fh.ReadAt(tail[:], size-8); err != nil {
		return nil, 0
	}
	if !bytes.Equal(tail[4:], []byte("PAR1")) {
		return nil, 0
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n+8 > size {
		return nil, 0
	}
	footer := make([]byte, n)
	if _, err := fh.ReadAt(footer, size-8-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0
	}
	return footer, size
}

// openParquet opens the Parquet file fh as file.NewParquetReader does,
// after compatFooter's rewrite of its footer when it needs one. The
// returned pqCompat (nil: none) says what the reader must convert back.
func openParquet(fh *os.File, props *parquet.ReaderProperties) (*file.Reader, *pqCompat, error) {
	if props == nil {
		props = parquet.NewReaderProperties(nil)
	}
	props.MaxUncompressedPageSize = maxParquetPage
	opts := []file.ReadOption{file.WithReadProps(props)}
	footer, size := parquetFooter(fh)
	if footer == nil {
		pf, err := file.NewParquetReader(fh, opts...)
		return pf, nil, err
	}
	patched, c := compatFooter(footer)
	if c == nil {
		pf, err := file.NewParquetReader(fh, opts...)
		return pf, nil, err
	}
	md, err := metadata.NewFileMetaData(patched, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("parquet: could not read footer: %w", err)
	}
	md.SetSourceFileSize(size)
	pf, err := file.NewParquetReader(fh, append(opts, file.WithMetadata(md))...)
	return pf, c, err
}

// compatFix says how to convert one Arrow column (or nested field) that
// pqarrow read from a rewritten footer; nil: as it is.
type compatFix struct {
	int96    bool         // FixedSizeBinary(12) holding INT96 → timestamp[us, UTC]
	toMap    bool         // list<struct<key, value>> → map<key, value>, keys checked non-null
	keyList  bool         // list<key> (a MAP without values, which pqarrow reads as its keys) → keys non-null, checked
	children []*compatFix // struct fields, list element, map entries
}

// compatPlan is the conversion of a whole record batch.
type compatPlan struct {
	fixes  []*compatFix
	names  []string
	schema *arrow.Schema
}

// plan returns the conversions of the columns manifest describes (a
// reader of the file c was made for), nil when there are none.
func (c *pqCompat) plan(manifest *pqarrow.SchemaManifest, sc *arrow.Schema) *compatPlan {
	if c == nil || manifest == nil || len(manifest.Fields) != sc.NumFields() {
		return nil
	}
	p := &compatPlan{fixes: make([]*compatFix, sc.NumFields())}
	some := false
	for i := range manifest.Fields {
		p.fixes[i] = c.buildFix(&manifest.Fields[i], sc.Field(i).Type)
		some = some || p.fixes[i] != nil
		p.names = append(p.names, sc.Field(i).Name)
	}
	if !some {
		return nil
	}
	fs := append([]arrow.Field(nil), sc.Fields()...)
	for i := range fs {
		fs[i].Type = compatType(fs[i].Type, p.fixes[i])
	}
	md := sc.Metadata()
	p.schema = arrow.NewSchema(fs, &md)
	return p
}

func (c *pqCompat) buildFix(sf *pqarrow.SchemaField, dt arrow.DataType) *compatFix {
	if sf.IsLeaf() {
		if t, ok := dt.(*arrow.FixedSizeBinaryType); ok && t.ByteWidth == 12 && c.int96[sf.ColIndex] {
			return &compatFix{int96: true}
		}
		return nil
	}
	kids := childTypes(dt)
	if len(kids) != len(sf.Children) {
		return nil
	}
	fx := &compatFix{children: make([]*compatFix, len(sf.Children))}
	some := false
	for i := range sf.Children {
		fx.children[i] = c.buildFix(&sf.Children[i], kids[i])
		some = some || fx.children[i] != nil
	}
	if _, isList := dt.(*arrow.ListType); isList {
		if st, ok := kids[0].(*arrow.StructType); ok && st.NumFields() == 2 && len(sf.Children[0].Children) == 2 {
			if k := &sf.Children[0].Children[0]; k.IsLeaf() && c.mapKeys[k.ColIndex] {
				fx.toMap, some = true, true
			}
		}
		if k := &sf.Children[0]; k.IsLeaf() && c.mapKeys[k.ColIndex] {
			fx.keyList, some = true, true
		}
	}
	if !some {
		return nil
	}
	return fx
}

// compatType is dt converted by fx.
func compatType(dt arrow.DataType, fx *compatFix) arrow.DataType {
	if fx == nil {
		return dt
	}
	if fx.int96 {
		return arrow.FixedWidthTypes.Timestamp_us
	}
	switch t := dt.(type) {
	case *arrow.StructType:
		fs := append([]arrow.Field(nil), t.Fields()...)
		for i := range fs {
			fs[i].Type = compatType(fs[i].Type, fx.children[i])
		}
		return arrow.StructOf(fs...)
	case *arrow.MapType:
		st := compatType(t.Elem(), fx.children[0]).(*arrow.StructType)
		key, val := st.Field(0), st.Field(1)
		key.Nullable = false
		m := arrow.MapOfFields(key, val)
		m.KeysSorted = t.KeysSorted
		return m
	case *arrow.ListType:
		ef := t.ElemField()
		ef.Type = compatType(ef.Type, fx.children[0])
		if fx.toMap {
			st := ef.Type.(*arrow.StructType)
			key, val := st.Field(0), st.Field(1)
			key.Nullable = false
			return arrow.MapOfFields(key, val)
		}
		if fx.keyList {
			ef.Nullable = false
		}
		return arrow.ListOfField(ef)
	case *arrow.LargeListType:
		ef := t.ElemField()
		ef.Type = compatType(ef.Type, fx.children[0])
		return arrow.LargeListOfField(ef)
	}
	return dt
}

// compatError is a value a conversion refuses, at a row of the batch.
type compatError struct {
	row int // 0-based, in the batch
	col string
	err error
}

func (e *compatError) Error() string {
	return fmt.Sprintf("row %d, column %s: %v", e.row+1, e.col, e.err)
}

// dataError is e as the DataError of file path, whose batch starts after
// row rows.
func (e *compatError) dataError(path string, rows int64) *DataError {
	return &DataError{File: path, Row: rows + int64(e.row) + 1, Offset: -1, Column: e.col, Err: e.err}
}

// convert returns rec (not released) with the plan's columns converted.
func (p *compatPlan) convert(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	return mapColumns(rec, p.schema, func(i int, c arrow.Array) (arrow.Array, error) {
		if p.fixes[i] == nil {
			c.Retain()
			return c, nil
		}
		return dataColumn(compatData(mem, c.Data(), p.fixes[i], p.names[i], func(k int) int { return k }))
	})
}

// compatData converts d by fx; rowOf maps an index of d to the row of the
// batch it belongs to, for errors; col is d's dotted path.
func compatData(mem memory.Allocator, d arrow.ArrayData, fx *compatFix, col string, rowOf func(int) int) (arrow.ArrayData, error) {
	if fx == nil {
		d.Retain()
		return d, nil
	}
	if fx.int96 {
		return int96Data(mem, d, col, rowOf)
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	defer func() {
		for _, c := range children {
			if c != nil {
				c.Release()
			}
		}
	}()
	off := d.Offset()
	switch t := d.DataType().(type) {
	case *arrow.StructType:
		for i, c := range d.Children() {
			var err error
			children[i], err = compatData(mem, c, fx.children[i], col+"."+t.Field(i).Name,
				func(k int) int { return rowOf(k - off) })
			if err != nil {
				return nil, err
			}
		}
	case *arrow.ListType, *arrow.MapType, *arrow.LargeListType:
		listRow := func(k int) int { return rowOf(listSlotOf(d, k)) }
		var err error
		children[0], err = compatData(mem, d.Children()[0], fx.children[0], col+"[]", listRow)
		if err != nil {
			return nil, err
		}
		if fx.toMap || fx.keyList {
			if k, ok := nullMapKey(d, children[0], fx.keyList); ok {
				return nil, &compatError{row: listRow(k), col: col, err: errors.New("a null MAP key (the file's schema lets MAP keys be null, which a map cannot hold)")}
			}
		}
	default:
		d.Retain()
		return d, nil
	}
	dt := compatType(d.DataType(), fx)
	if fx.toMap {
		e := children[0]
		ed := array.NewData(dt.(*arrow.MapType).Elem(), e.Len(), e.Buffers(), e.Children(), e.NullN(), e.Offset())
		children[0].Release()
		children[0] = ed
	}
	return array.NewData(dt, d.Len(), d.Buffers(), children, d.NullN(), off), nil
}

// listSlotOf is the slot of the list d whose values hold child index k.
func listSlotOf(d arrow.ArrayData, k int) int {
	off, n := d.Offset(), d.Len()
	at := func(i int) int64 {
		b := d.Buffers()[1].Bytes()
		if _, large := d.DataType().(*arrow.LargeListType); large {
			return int64(binary.LittleEndian.Uint64(b[8*(off+i):]))
		}
		return int64(int32(binary.LittleEndian.Uint32(b[4*(off+i):])))
	}
	// The last slot whose start is at most k.
	i := sort.Search(n, func(i int) bool { return at(i+1) > int64(k) })
	return min(i, n-1)
}

// nullMapKey finds a null key (or a null entry) among the entries the
// valid slots of the list d reference; entries is d's converted child, a
// struct of key and value or, for keyList, the keys themselves.
func nullMapKey(d, entries arrow.ArrayData, keyList bool) (int, bool) {
	key, keyOff := entries, 0
	if !keyList {
		key, keyOff = entries.Children()[0], entries.Offset()
	}
	if key.NullN() == 0 && entries.NullN() == 0 {
		return 0, false
	}
	arr := array.MakeFromData(d).(array.ListLike)
	defer arr.Release()
	ent := array.MakeFromData(entries)
	defer ent.Release()
	keys := array.MakeFromData(key)
	defer keys.Release()
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			continue
		}
		s, e := arr.ValueOffsets(i)
		for k := int(s); k < int(e); k++ {
			if ent.IsNull(k) || keys.IsNull(k+keyOff) {
				return k, true
			}
		}
	}
	return 0, false
}

const (
	julianDayOfUnixEpoch = 2440588
	microsPerDay         = 86_400_000_000
)

// int96Micros is the INT96 value b (8 bytes little-endian nanoseconds into
// the day, 4 bytes little-endian Julian day) in microseconds since the Unix
// epoch, computed exactly.
func int96Micros(b []byte) (int64, error) {
	nanos := int64(binary.LittleEndian.Uint64(b[:8]))
	day := int64(int32(binary.LittleEndian.Uint32(b[8:12])))
	if nanos%1000 != 0 {
		return 0, fmt.Errorf("INT96 timestamp (Julian day %d, %d ns into it) has a sub-microsecond part, which timestamp[us] (how INT96 is read) cannot hold; it is not rounded", day, nanos)
	}
	days, us := day-julianDayOfUnixEpoch, nanos/1000
	// Fold whole days into days, and give us the sign of days, so that
	// days*microsPerDay + us overflows only if the sum itself does.
	days, us = days+us/microsPerDay, us%microsPerDay
	if days < 0 && us > 0 {
		days, us = days+1, us-microsPerDay
	} else if days > 0 && us < 0 {
		days, us = days-1, us+microsPerDay
	}
	if days > math.MaxInt64/microsPerDay || days < math.MinInt64/microsPerDay ||
		(us > 0 && days*microsPerDay > math.MaxInt64-us) || (us < 0 && days*microsPerDay < math.MinInt64-us) {
		if v, ok := sparkOverflowedInt96(day, nanos); ok {
			return v, nil
		}
		hint := ""
		if nanos < 0 || nanos >= 1000*microsPerDay {
			// Spark's writer makes such times of day when it overflows
			// (sparkOverflowedInt96), but never this pair.
			hint = "; its time of day is outside the day, yet it is not what Spark's INT96 writer makes when it overflows (timestamps after the year 287,559)"
		}
		return 0, fmt.Errorf("INT96 timestamp (Julian day %d, %d ns into it) is outside what timestamp[us] (how INT96 is read) holds, about 290,000 years either side of 1970%s", day, nanos, hint)
	}
	return days*microsPerDay + us, nil
}

// sparkOverflowedInt96 recognizes the INT96 pair Spark's writer produces
// for int64 microseconds past the year 287,559, where its Julian-day
// arithmetic overflows int64 (DateTimeUtils.toJulianDay):
//
//	julianUs := us + 2440588*86400e6 // wraps
//	day, nanos := int32(julianUs / 86400e6), (julianUs % 86400e6) * 1000
//
// Spark reads such a pair back with the same wrapping arithmetic
// (fromJulianDay), so the value it wrote is recovered exactly: v is
// returned only when writing v that way gives back exactly (day, nanos),
// and any other pair outside int64 microseconds stays refused.
// parquet-testing's int96_from_spark.md documents such a value
// (290000-12-31T01:00:00+02:00, 9089380393200000000 µs).
func sparkOverflowedInt96(day, nanos int64) (int64, bool) {
	if nanos%1000 != 0 {
		return 0, false
	}
	v := (day-julianDayOfUnixEpoch)*microsPerDay + nanos/1000 // wraps as Spark's reader does
	julianUs := v + julianDayOfUnixEpoch*microsPerDay         // wraps as Spark's writer does
	if int64(int32(julianUs/microsPerDay)) != day || (julianUs%microsPerDay)*1000 != nanos {
		return 0, false
	}
	return v, true
}

// int96Data converts the FixedSizeBinary(12) data d holding INT96 values
// to timestamp[us, UTC].
func int96Data(mem memory.Allocator, d arrow.ArrayData, col string, rowOf func(int) int) (arrow.ArrayData, error) {
	off, n := d.Offset(), d.Len()
	src := d.Buffers()[1].Bytes()
	var valid []byte
	if b := d.Buffers()[0]; b != nil && d.NullN() > 0 {
		valid = b.Bytes()
	}
	out := memory.NewResizableBuffer(mem)
	out.Resize((off + n) * 8)
	vals := arrow.Int64Traits.CastFromBytes(out.Bytes())
	for i := off; i < off+n; i++ {
		if valid != nil && !bitutil.BitIsSet(valid, i) {
			vals[i] = 0
			continue
		}
		v, err := int96Micros(src[12*i : 12*i+12])
		if err != nil {
			out.Release()
			return nil, &compatError{row: rowOf(i - off), col: col, err: err}
		}
		vals[i] = v
	}
	defer out.Release()
	return array.NewData(arrow.FixedWidthTypes.Timestamp_us, n, []*memory.Buffer{d.Buffers()[0], out}, nil, d.NullN(), off), nil
}

// compatDataError is err (from convert) as a DataError of file path, whose
// batch starts after row rows.
func compatDataError(path string, rows int64, err error) error {
	var ce *compatError
	if errors.As(err, &ce) {
		return ce.dataError(path, rows)
	}
	return &DataError{File: path, Row: rows + 1, Offset: -1, Err: err}
}

// maxParquetPage is the largest uncompressed page read (arrow-go's default,
// stated here so that it is dsbuild's bound, not an upstream default that
// may change). arrow-go decompresses a page whole, and a dictionary page is
// then expanded into every batch that uses it, so the format's own limit
// (2 GiB - 1) would let a file of a few KiB (parquet-testing
// large_string_map.brotli: a Brotli page of 1 GiB of one letter) ask for
// gigabytes per column; arrow-go v18.8.0 also builds a utf8 array whose
// int32 offsets overflow from such a column (docs/upstream).
const maxParquetPage = 256 << 20

var pageCapRE = regexp.MustCompile(`uncompressed page size (\d+) exceeds configured limit`)

// explainPageCap completes de, the error of reading pf, when it is arrow-go's
// refusal of a page over maxParquetPage, which names neither the column nor
// the reason: the column is the one whose column chunks are large enough
// to hold such a page (a page is no larger than its chunk).
func explainPageCap(pf *file.Reader, de *DataError) {
	m := pageCapRE.FindStringSubmatch(de.Err.Error())
	if m == nil {
		return
	}
	size, _ := strconv.ParseInt(m[1], 10, 64)
	var cols []string
	seen := map[int]bool{}
	md := pf.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		for j := 0; j < rg.NumColumns(); j++ {
			cc, err := rg.ColumnChunk(j)
			if err != nil || seen[j] || cc.TotalUncompressedSize() < size {
				continue
			}
			seen[j] = true
			cols = append(cols, md.Schema.Column(j).Path())
		}
	}
	if len(cols) == 1 {
		de.Column = cols[0]
	} else if len(cols) > 1 {
		de.Column = "one of " + strings.Join(cols, ", ")
	}
	de.Err = fmt.Errorf("%w: pages are read up to %d MiB uncompressed, to bound memory (a page is decompressed whole); write the file with smaller pages (a single value or dictionary over %d MiB cannot be read)", de.Err, maxParquetPage>>20, maxParquetPage>>20)
}
