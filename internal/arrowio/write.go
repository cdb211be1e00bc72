package arrowio

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Writer writes batches of one schema to a file format.
type Writer interface {
	Write(rec arrow.RecordBatch) error
	// Close flushes; it does not close the underlying io.Writer.
	Close() error
}

// ParquetRowGroupRows is the number of rows per Parquet row group. Row
// groups are cut by row count, never by the caller's batches, so the bytes
// do not depend on how the input was batched.
const ParquetRowGroupRows = 64 << 10

// ParquetWriterVersion versions the bytes dsbuild's Parquet writer produces
// (properties, page and row group cuts, the layout of values). Bump it, and
// only it, when a change of the writer or of arrow-go changes those bytes:
// TestParquetWriterVersionPinsBytes fails until then.
const ParquetWriterVersion = "1.0.0"

// ParquetCreatedBy is written as the Parquet created_by instead of the
// library's version string, so output bytes do not change with upgrades
// that leave them alone. It has the "NAME version X (build Y)" form that
// parquet-java (Spark, Hive) parses: without a parseable version it ignores
// the statistics of string and decimal columns.
const ParquetCreatedBy = "dsbuild version " + ParquetWriterVersion + " (build parquet-writer)"

// NewWriter writes batches of schema to w as Parquet, an Arrow IPC stream,
// JSON Lines or CSV. Output is deterministic: the same rows give the same
// bytes whatever the batching.
func NewWriter(w io.Writer, format Format, schema *arrow.Schema, mem memory.Allocator) (Writer, error) {
	return NewWriterWithOptions(w, format, schema, mem, WriteOptions{})
}

// WriteOptions tune a writer. The zero value is the default.
type WriteOptions struct {
	// Compression of Parquet pages: "zstd" (default, level 3), "snappy"
	// (faster to write, larger) or "none". Other formats ignore it.
	Compression string
	// Prepass, for the Arrow IPC file format, is a reader of the same
	// batches that will be written, read (and not released) before any:
	// the file format holds one dictionary per column, so each dictionary
	// column gets the union of its batches' values, in order of first
	// appearance. Without it, a dictionary that differs between batches
	// is an error.
	Prepass array.RecordReader
}

// ParquetCompressions are the accepted WriteOptions.Compression values.
var ParquetCompressions = []string{"zstd", "snappy", "none"}

// NewWriterWithOptions is NewWriter with options.
func NewWriterWithOptions(w io.Writer, format Format, schema *arrow.Schema, mem memory.Allocator, opts WriteOptions) (Writer, error) {
	switch format {
	case Parquet:
		var codec parquet.WriterProperty
		switch opts.Compression {
		case "", "zstd":
			codec = parquet.WithCompression(compress.Codecs.Zstd)
		case "snappy":
			codec = parquet.WithCompression(compress.Codecs.Snappy)
		case "none":
			codec = parquet.WithCompression(compress.Codecs.Uncompressed)
		default:
			return nil, fmt.Errorf("arrowio: unknown Parquet compression %q (use zstd, snappy or none)", opts.Compression)
		}
		return newParquetWriter(w, schema, mem, ParquetRowGroupRows, codec)
	case Arrow, ArrowStream:
		// No compression: codec output is not promised stable across
		// library versions, and the store compresses nothing either.
		// .arrow and .feather mean the IPC file format (ARROW1 magic and a
		// footer, what pyarrow.feather, pandas.read_feather and
		// polars.read_ipc expect); .arrows the stream format.
		clean := stripSchema(schema)
		if format == ArrowStream {
			iw := ipc.NewWriter(w, ipc.WithSchema(clean), ipc.WithAllocator(mem))
			return &ipcWriter{w: iw, schema: clean, mem: mem}, nil
		}
		iw := &ipcWriter{schema: clean, mem: mem}
		if opts.Prepass != nil {
			if err := iw.primeDictionaries(opts.Prepass); err != nil {
				iw.releaseDicts()
				return nil, fmt.Errorf("arrowio: arrow writer: %w", err)
			}
		}
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(clean), ipc.WithAllocator(mem))
		if err != nil {
			iw.releaseDicts()
			return nil, fmt.Errorf("arrowio: arrow writer: %w", err)
		}
		iw.w = fw
		return iw, nil
	case JSONL, JSON:
		return &jsonlWriter{w: bufio.NewWriterSize(w, 64<<10), schema: schema}, nil
	case CSV, TSV:
		cw := csv.NewWriter(w)
		if format == TSV {
			cw.Comma = '\t'
		}
		return &csvWriter{w: cw, schema: schema}, nil
	}
	return nil, fmt.Errorf("arrowio: cannot write format %q", format)
}

// checkSchema accepts a batch whose columns have the writer's names and types
// (metadata aside).
func checkSchema(want *arrow.Schema, rec arrow.RecordBatch) error {
	got := rec.Schema()
	if got == want {
		return nil
	}
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("arrowio: batch has %d columns, writer has %d", got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("arrowio: batch column %d is %s %s, writer has %s %s", i, g.Name, g.Type, f.Name, f.Type)
		}
	}
	return nil
}

// withSchema returns rec under schema s (retained; the caller releases).
func withSchema(s *arrow.Schema, rec arrow.RecordBatch) arrow.RecordBatch {
	if rec.Schema() == s {
		rec.Retain()
		return rec
	}
	return array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
}

type ipcWriter struct {
	w interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	schema *arrow.Schema
	mem    memory.Allocator
	// dicts holds, per top-level dictionary column, a builder whose memo
	// holds the column's values across the whole table (primeDictionaries).
	dicts map[int]array.DictionaryBuilder
}

// primeDictionaries reads every batch of pre into one dictionary builder
// per top-level dictionary column.
func (w *ipcWriter) primeDictionaries(pre array.RecordReader) error {
	for i, f := range w.schema.Fields() {
		if dt, ok := f.Type.(*arrow.DictionaryType); ok {
			if w.dicts == nil {
				w.dicts = map[int]array.DictionaryBuilder{}
			}
			w.dicts[i] = array.NewDictionaryBuilder(w.mem, dt)
		}
	}
	if w.dicts == nil {
		return nil
	}
	for pre.Next() {
		rec := pre.RecordBatch()
		for i, b := range w.dicts {
			dense, err := decodeDictionary(w.mem, rec.Column(i).(*array.Dictionary))
			if err != nil {
				return err
			}
			err = appendDense(b, dense)
			dense.Release()
			if err != nil {
				return fmt.Errorf("column %q: %w", w.schema.Field(i).Name, err)
			}
			b.NewArray().Release() // the memo stays
		}
	}
	return pre.Err()
}

func (w *ipcWriter) releaseDicts() {
	for _, b := range w.dicts {
		b.Release()
	}
	w.dicts = nil
}

// unifyDictionaries re-encodes the dictionary columns of a canonical batch
// against the dictionaries of the whole table.
func (w *ipcWriter) unifyDictionaries(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := append([]arrow.Array(nil), rec.Columns()...)
	var made []arrow.Array
	defer func() {
		for _, c := range made {
			c.Release()
		}
	}()
	for i, b := range w.dicts {
		dense, err := decodeDictionary(w.mem, cols[i].(*array.Dictionary))
		if err != nil {
			return nil, err
		}
		err = appendDense(b, dense)
		dense.Release()
		if err != nil {
			return nil, err
		}
		a := b.NewArray()
		made = append(made, a)
		d := a.Data().(*array.Data)
		idx := array.NewData(d.DataType().(*arrow.DictionaryType).IndexType, d.Len(), d.Buffers(), nil, nullsOf(d), d.Offset())
		c, err := canonDictionaryKeep(w.mem, d, idx)
		idx.Release()
		if err != nil {
			return nil, err
		}
		ca := array.MakeFromData(c)
		c.Release()
		made = append(made, ca)
		cols[i] = ca
	}
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows()), nil
}

func (w *ipcWriter) Write(rec arrow.RecordBatch) error {
	if err := checkSchema(w.schema, rec); err != nil {
		return err
	}
	// IPC stores what lies under nulls; store the canonical layout.
	c, err := CanonicalBatch(w.mem, rec)
	if err != nil {
		return fmt.Errorf("arrowio: arrow writer: %w", err)
	}
	defer c.Release()
	if w.dicts != nil {
		u, err := w.unifyDictionaries(c)
		if err != nil {
			return fmt.Errorf("arrowio: arrow writer: %w", err)
		}
		defer u.Release()
		c = u
	}
	r := withSchema(w.schema, c)
	defer r.Release()
	if err := w.w.Write(r); err != nil {
		if _, isFile := w.w.(*ipc.FileWriter); isFile && strings.Contains(err.Error(), "Dictionary replacement") {
			return fmt.Errorf("%w (the IPC file format holds one dictionary per column, and this column's dictionary changes between batches: write .arrows, the stream format, or .parquet)", err)
		}
		return err
	}
	return nil
}

func (w *ipcWriter) Close() error {
	w.releaseDicts()
	return w.w.Close()
}

type jsonlWriter struct {
	w      *bufio.Writer
	schema *arrow.Schema
	line   []byte
	keys   [][]byte
}

func (w *jsonlWriter) Write(rec arrow.RecordBatch) error {
	if err := checkSchema(w.schema, rec); err != nil {
		return err
	}
	if w.keys == nil {
		for _, f := range w.schema.Fields() {
			k := appendJSONString(nil, []byte(f.Name))
			w.keys = append(w.keys, append(k, ':'))
		}
	}
	cols := rec.Columns()
	for i := 0; i < int(rec.NumRows()); i++ {
		line := append(w.line[:0], '{')
		var err error
		for j, c := range cols {
			if j > 0 {
				line = append(line, ',')
			}
			line = append(line, w.keys[j]...)
			if line, err = appendJSONValue(line, c, i); err != nil {
				return fmt.Errorf("column %q: %w", w.schema.Field(j).Name, err)
			}
		}
		line = append(line, '}', '\n')
		w.line = line
		if _, err := w.w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

func (w *jsonlWriter) Close() error { return w.w.Flush() }

type csvWriter struct {
	w      *csv.Writer
	schema *arrow.Schema
	header bool
	rec    []string
	cell   []byte
}

func (w *csvWriter) Write(rec arrow.RecordBatch) error {
	if err := checkSchema(w.schema, rec); err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	cols := rec.Columns()
	for i := 0; i < int(rec.NumRows()); i++ {
		for j, c := range cols {
			var err error
			if w.cell, err = cellText(w.cell[:0], c, i); err != nil {
				return fmt.Errorf("column %q: %w", w.schema.Field(j).Name, err)
			}
			w.rec[j] = string(w.cell)
		}
		if err := w.w.Write(w.rec); err != nil {
			return err
		}
	}
	return nil
}

func (w *csvWriter) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	w.rec = make([]string, w.schema.NumFields())
	for i, f := range w.schema.Fields() {
		w.rec[i] = f.Name
	}
	return w.w.Write(w.rec)
}

func (w *csvWriter) Close() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.w.Flush()
	return w.w.Error()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// parallelParquetWriter is switched off by tests to compare with pqarrow.
var parallelParquetWriter = true

// parquetWriter buffers rows into row groups of exactly ParquetRowGroupRows.
// A schema of flat columns is written by the parallel encoder (fw nil, pw
// set); any other by pqarrow's FileWriter.
type parquetWriter struct {
	fw      *pqarrow.FileWriter
	pw      *rowGroupPipeline
	schema  *arrow.Schema
	mem     memory.Allocator
	pending []arrow.RecordBatch
	rows    int64
	closed  bool

	groupRows int64
}

func newParquetWriter(w io.Writer, schema *arrow.Schema, mem memory.Allocator, groupRows int64, codec parquet.WriterProperty) (*parquetWriter, error) {
	// Metadata may carry anything (timestamps, hosts); keep it out of the file.
	clean := stripSchema(schema)
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCreatedBy(ParquetCreatedBy),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		codec,
		parquet.WithCompressionLevel(3), // used by zstd only
		// No dictionary pages: when a column's dictionary overflows, its
		// chunk mixes dictionary and plain pages, and arrow-go writes the
		// per-encoding page counts of the footer in map order, so the file's
		// bytes would vary from run to run (TestParquetBytesStableUnderDictionaryFallback).
		// zstd recovers most of what dictionaries save, and writing is faster.
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(groupRows),
		parquet.WithDataPageSize(1<<20),
		parquet.WithBatchSize(1024),
	)
	// The stored Arrow schema keeps large_utf8, dictionaries and time zones
	// across a round trip; it is deterministic because metadata is gone.
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
	if parallelParquetWriter && flatSchema(clean) {
		// Fail here, not at the first row group, on a schema Parquet cannot take.
		if _, err := pqarrow.ToParquet(clean, props, arrProps); err != nil {
			return nil, fmt.Errorf("arrowio: parquet writer: %w", err)
		}
		pw := newRowGroupPipeline(w, clean, props, arrProps)
		return &parquetWriter{pw: pw, schema: clean, mem: mem, groupRows: groupRows}, nil
	}
	fw, err := pqarrow.NewFileWriter(clean, nopCloser{w}, props, arrProps)
	if err != nil {
		return nil, fmt.Errorf("arrowio: parquet writer: %w", err)
	}
	return &parquetWriter{fw: fw, schema: clean, mem: mem, groupRows: groupRows}, nil
}

func (w *parquetWriter) Write(rec arrow.RecordBatch) error {
	if err := checkSchema(w.schema, rec); err != nil {
		return err
	}
	// Nulls pushed into the members of null structs and fixed-size lists
	// are what Parquet's levels can say.
	rec, err := CanonicalBatch(w.mem, rec)
	if err != nil {
		return fmt.Errorf("arrowio: parquet writer: %w", err)
	}
	defer rec.Release()
	n := rec.NumRows()
	for off := int64(0); off < n; {
		take := min(w.groupRows-w.rows, n-off)
		w.pending = append(w.pending, rec.NewSlice(off, off+take))
		w.rows += take
		off += take
		if w.rows == w.groupRows {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the buffered rows as one row group from contiguous arrays,
// so that page boundaries depend only on the rows.
func (w *parquetWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	if w.pw != nil {
		// Row groups are encoded on several cores; the pipeline owns the
		// pending batches from here.
		parts, rows := w.pending, w.rows
		w.pending, w.rows = nil, 0
		if err := w.pw.add(parts, rows); err != nil {
			return fmt.Errorf("arrowio: parquet writer: %w", err)
		}
		return nil
	}
	defer func() {
		releaseAll(w.pending)
		w.pending, w.rows = w.pending[:0], 0
	}()
	cols := make([]arrow.Array, w.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(w.pending))
	for j := range cols {
		for k, p := range w.pending {
			parts[k] = p.Column(j)
		}
		c, err := array.Concatenate(parts, w.mem)
		if err != nil {
			return fmt.Errorf("arrowio: parquet writer: column %q: %w", w.schema.Field(j).Name, err)
		}
		cols[j] = c
	}
	// What pqarrow's FileWriter.Write does for a batch of at most a row
	// group, column by column, so that fixed-size lists with null entries
	// can be handed over as the lists Parquet stores them as.
	if err := w.fw.NewRowGroupChecked(); err != nil {
		return fmt.Errorf("arrowio: parquet writer: %w", err)
	}
	for j, c := range cols {
		pc := parquetLists(w.mem, c)
		err := w.fw.WriteColumnData(pc)
		pc.Release()
		if err != nil {
			return fmt.Errorf("arrowio: parquet writer: column %q: %w", w.schema.Field(j).Name, err)
		}
	}
	return nil
}

func (w *parquetWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.flush()
	var cerr error
	if w.pw != nil {
		if err != nil {
			w.pw.abort()
		} else {
			cerr = w.pw.close()
			if cerr != nil {
				cerr = fmt.Errorf("arrowio: parquet writer: %w", cerr)
			}
		}
	} else {
		cerr = w.fw.Close()
	}
	if err == nil {
		err = cerr
	}
	return err
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}
