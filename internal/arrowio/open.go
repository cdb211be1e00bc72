package arrowio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// DefaultBatchSize is the number of rows per batch when ReadOptions.BatchSize is 0.
const DefaultBatchSize = 8192

// ReadOptions says how Open reads its files.
type ReadOptions struct {
	// Format of every file; "" guesses per file from its name. A .json file
	// whose first non-space byte is not '[' is read as JSON Lines.
	Format Format
	// Schema, when set, replaces inference: JSON and CSV are built to it,
	// Parquet and Arrow columns are selected by name and must have its
	// types. A value that does not fit is a *DataError.
	Schema *arrow.Schema
	// BatchSize is the number of rows per batch for JSON and CSV (and the
	// Parquet read batch size); 0 means DefaultBatchSize.
	BatchSize int
	// FileColumn, if set, adds a last utf8 column holding each row's file
	// base name (or its entry in Names).
	FileColumn string
	// Names, when it has one entry per path, is what FileColumn holds for
	// each file instead of its base name: the caller's name for a file it
	// reads from somewhere else (a content-addressed store).
	Names []string
	// CSVHeader says whether the first CSV record names the columns
	// (nil means true); without a header, columns are c0, c1, ...
	CSVHeader *bool
	// Delimiter of CSV fields; 0 means ',' (or '\t' for TSV).
	Delimiter rune
}

type input struct {
	path string
	rf   resolvedFormat
}

// plan is the outcome of the first pass: the output schema and how each
// file is read.
type plan struct {
	inputs    []input
	data      *arrow.Schema // schema of the file data (without FileColumn)
	out       *arrow.Schema
	valueMode bool // JSON records are bare values
	declared  bool
}

func makePlan(ctx context.Context, paths []string, opts ReadOptions) (p *plan, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &DataError{File: strings.Join(paths, ", "), Row: -1, Offset: -1, Err: fmt.Errorf("corrupt file: %v", r)}
		}
	}()
	return makePlanUnsafe(ctx, paths, opts)
}

func makePlanUnsafe(ctx context.Context, paths []string, opts ReadOptions) (*plan, error) {
	if len(paths) == 0 {
		return nil, errors.New("arrowio: no input files")
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("arrowio: negative batch size %d", opts.BatchSize)
	}
	p := &plan{inputs: make([]input, len(paths))}
	for i, path := range paths {
		rf, err := resolveFormat(path, opts.Format)
		if err != nil {
			return nil, err
		}
		p.inputs[i] = input{path: path, rf: rf}
	}
	if opts.Schema != nil {
		p.data, p.declared = opts.Schema, true
	} else {
		var err error
		if p.data, p.valueMode, err = inferAll(ctx, p.inputs, opts); err != nil {
			return nil, err
		}
	}
	p.out = p.data
	if opts.FileColumn != "" {
		if len(p.data.FieldIndices(opts.FileColumn)) > 0 {
			return nil, fmt.Errorf("arrowio: file column %q is also a column of the data", opts.FileColumn)
		}
		fs := append(append([]arrow.Field(nil), p.data.Fields()...),
			arrow.Field{Name: opts.FileColumn, Type: arrow.BinaryTypes.String})
		p.out = arrow.NewSchema(fs, nil)
	}
	return p, nil
}

// inferAll infers each file's schema and unifies them by field name, in
// order of first appearance. All JSON files share one inference, so that
// an integer field in one file and a float field in another widen alike.
func inferAll(ctx context.Context, inputs []input, opts ReadOptions) (*arrow.Schema, bool, error) {
	var u unifier
	var root *tnode
	valueMode := false
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		switch in.rf {
		case fmtJSONArray, fmtJSONLines:
			if root == nil {
				root = &tnode{}
				u.addJSONSlot()
			}
			if err := inferJSONFile(ctx, in.path, in.rf, root); err != nil {
				return nil, false, err
			}
		case fmtCSV:
			cf, err := openCSV(in.path, opts)
			if err != nil {
				return nil, false, err
			}
			cf.fh.Close()
			fs := make([]arrow.Field, len(cf.names))
			for i, n := range cf.names {
				fs[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
			}
			if err := u.add(in.path, fs); err != nil {
				return nil, false, err
			}
		default:
			sc, err := typedSchema(in)
			if err != nil {
				return nil, false, err
			}
			sc, _ = dedupSchema(in.path, sc) // per file, before unifying (dupnames.go)
			if err := u.add(in.path, sc.Fields()); err != nil {
				return nil, false, err
			}
		}
	}
	if root != nil {
		valueMode = root.kind != kObject && root.kind != kNull
		if err := u.fillJSON(root.jsonFields()); err != nil {
			return nil, false, err
		}
	}
	return arrow.NewSchema(u.result(), nil), valueMode, nil
}

// unifier merges per-file field lists by name. JSON fields are merged at the
// position of the first JSON file, after all JSON files have been seen.
type unifier struct {
	entries []unifyEntry
	index   map[string]int
	files   int
}

type unifyEntry struct {
	f       arrow.Field
	from    string
	inFiles int
	json    bool // placeholder for the JSON fields
}

func (u *unifier) addJSONSlot() {
	u.entries = append(u.entries, unifyEntry{json: true})
	u.files++
}

func (u *unifier) add(path string, fs []arrow.Field) error {
	u.files++
	if u.index == nil {
		u.index = map[string]int{}
	}
	// Columns are found by name everywhere downstream: a second column of
	// a name would be shadowed (its data silently lost). Each file's names
	// are made unique before this (dupnames.go); reaching this is a bug.
	first := map[string]int{}
	for i, f := range fs {
		if j, ok := first[f.Name]; ok {
			return &DataError{File: path, Row: -1, Offset: -1, Column: f.Name,
				Err: fmt.Errorf("internal error: columns %d and %d share this name after renaming (please report)", j+1, i+1)}
		}
		first[f.Name] = i
	}
	for _, f := range fs {
		if i, ok := u.index[f.Name]; ok {
			e := &u.entries[i]
			if !arrow.TypeEqual(e.f.Type, f.Type) {
				return &DataError{File: path, Row: -1, Offset: -1, Column: f.Name,
					Err: fmt.Errorf("type %s differs from %s in %s", f.Type, e.f.Type, e.from)}
			}
			e.f.Nullable = e.f.Nullable || f.Nullable
			e.inFiles++
			continue
		}
		u.index[f.Name] = len(u.entries)
		u.entries = append(u.entries, unifyEntry{f: arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable}, from: path, inFiles: 1})
	}
	return nil
}

// fillJSON replaces the JSON placeholder by the inferred JSON fields.
func (u *unifier) fillJSON(fs []arrow.Field) error {
	var out []unifyEntry
	for _, e := range u.entries {
		if !e.json {
			out = append(out, e)
			continue
		}
		for _, f := range fs {
			if i, ok := u.index[f.Name]; ok {
				if !arrow.TypeEqual(u.entries[i].f.Type, f.Type) {
					return &DataError{File: "(JSON inputs)", Row: -1, Offset: -1, Column: f.Name,
						Err: fmt.Errorf("inferred type %s differs from %s in %s", f.Type, u.entries[i].f.Type, u.entries[i].from)}
				}
				continue
			}
			out = append(out, unifyEntry{f: f, from: "(JSON inputs)", inFiles: u.files})
		}
	}
	u.entries = out
	return nil
}

func (u *unifier) result() []arrow.Field {
	fs := make([]arrow.Field, len(u.entries))
	for i, e := range u.entries {
		fs[i] = e.f
		if e.inFiles < u.files {
			fs[i].Nullable = true // filled with nulls for files that lack it
		}
	}
	return fs
}

// typedSchema reads the schema of a Parquet or Arrow file from its metadata.
func typedSchema(in input) (sc *arrow.Schema, err error) {
	defer recoverCorrupt(in.path, -1, &err)
	fh, err := os.Open(in.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	switch in.rf {
	case fmtParquet:
		pf, compat, err := openParquet(fh, nil)
		if err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		defer pf.Close()
		if err := checkParquetArrowSchema(pf.MetaData().KeyValueMetadata()); err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		if err := checkVariantParquetSchema(pf.MetaData().Schema.Root()); err != nil {
			return nil, inFile(err, in.path)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		sc, err := fr.Schema()
		if err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		if cp := compat.plan(fr.Manifest, sc); cp != nil {
			sc = cp.schema
		}
		sc = fixSchema(sc, legacyListFixes(pf.MetaData().Schema.Root(), sc))
		return StripMetadata(readSchema(sc)), nil
	case fmtArrowFile:
		if err := checkIPC(in.path, true); err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		r, err := ipc.NewFileReader(fh, ipc.WithAllocator(newLimitAllocator(memory.DefaultAllocator, fileSize(fh))))
		if err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		defer r.Close()
		return StripMetadata(readSchema(r.Schema())), nil
	default:
		if err := checkIPC(in.path, false); err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: -1, Err: err}
		}
		r, err := ipc.NewReader(bufio.NewReader(fh), ipc.WithAllocator(newLimitAllocator(memory.DefaultAllocator, fileSize(fh))))
		if err != nil {
			return nil, &DataError{File: in.path, Row: -1, Offset: 0, Err: err}
		}
		defer r.Release()
		return StripMetadata(readSchema(r.Schema())), nil
	}
}

func fileSize(fh *os.File) int64 {
	fi, err := fh.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// recoverCorrupt turns a panic inside a third-party decoder (which corrupt
// Parquet or IPC input can cause) into a DataError.
func recoverCorrupt(path string, row int64, err *error) {
	if r := recover(); r != nil {
		if fmt.Sprint(r) == "invalid logical type" {
			// arrow-go panics on a logical type newer than it knows
			// (parquet-testing unknown-logical-type.parquet).
			*err = &DataError{File: path, Row: row, Offset: -1, Err: errors.New("a column has a Parquet logical type this reader does not know (written by a newer Parquet writer); not supported")}
			return
		}
		*err = &DataError{File: path, Row: row, Offset: -1, Err: fmt.Errorf("corrupt file: %v", r)}
	}
}

// int96Columns names the INT96 columns of pf (dotted paths, comma-separated).
func int96Columns(pf *file.Reader) string {
	sc := pf.MetaData().Schema
	var names []string
	for i := 0; i < sc.NumColumns(); i++ {
		if c := sc.Column(i); c.PhysicalType() == parquet.Types.Int96 {
			names = append(names, c.Path())
		}
	}
	return strings.Join(names, ", ")
}

// InferSchema returns the schema Open would produce: for JSON and CSV a
// first pass over all of the input, for Parquet and Arrow the metadata.
func InferSchema(ctx context.Context, paths []string, opts ReadOptions) (*arrow.Schema, error) {
	p, err := makePlan(ctx, paths, opts)
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

// Open reads one or more files as one table. A directory or glob is the
// caller's to expand, into sorted paths. Schemas are unified by field name
// (inference runs over all files first); files are then read one at a time,
// so memory is bounded by the batch size, not by the input.
func Open(ctx context.Context, mem memory.Allocator, paths []string, opts ReadOptions) (array.RecordReader, error) {
	p, err := makePlan(ctx, paths, opts)
	if err != nil {
		return nil, err
	}
	batch := opts.BatchSize
	if batch == 0 {
		batch = DefaultBatchSize
	}
	r := &multiReader{ctx: ctx, mem: mem, p: p, opts: opts, batch: batch}
	r.refs.Store(1)
	return r, nil
}

// source yields the batches of one file; next returns nil, nil at the end.
// Batches are owned by the caller.
type source interface {
	next() (arrow.RecordBatch, error)
	close() error
}

type multiReader struct {
	refs  atomic.Int64
	ctx   context.Context
	mem   memory.Allocator
	p     *plan
	opts  ReadOptions
	batch int

	i      int // index of the current input
	src    source
	colMap []int // output column → source column, -1 for nulls
	cur    arrow.RecordBatch
	err    error

	renames []Rename // columns renamed so far (dupnames.go)
}

func (r *multiReader) Retain() { r.refs.Add(1) }

func (r *multiReader) Release() {
	if r.refs.Add(-1) == 0 {
		r.releaseCur()
		r.closeSrc()
	}
}

func (r *multiReader) Schema() *arrow.Schema { return r.p.out }

func (r *multiReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current batch.
//
// Deprecated: Use RecordBatch.
func (r *multiReader) Record() arrow.RecordBatch { return r.cur }

func (r *multiReader) Err() error { return r.err }

func (r *multiReader) releaseCur() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *multiReader) closeSrc() {
	if r.src != nil {
		_ = r.src.close()
		r.src = nil
	}
}

// Next reads the next batch. A panic in any decoder (a third-party one
// meeting corrupt input, or a bug in ours) becomes the reader's error
// naming the file, so a node fails instead of the process.
func (r *multiReader) Next() (ok bool) {
	r.releaseCur()
	if r.err != nil {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			path := ""
			if r.i < len(r.p.inputs) {
				path = r.p.inputs[r.i].path
			}
			r.releaseCur()
			r.fail(&DataError{File: path, Row: -1, Offset: -1, Err: fmt.Errorf("corrupt file: %v", p)})
			ok = false
		}
	}()
	for {
		if err := r.ctx.Err(); err != nil {
			r.fail(err)
			return false
		}
		if r.src == nil {
			if r.i >= len(r.p.inputs) {
				return false
			}
			if err := r.openSrc(r.p.inputs[r.i]); err != nil {
				r.fail(err)
				return false
			}
		}
		rec, err := r.src.next()
		if err != nil {
			r.fail(err)
			return false
		}
		if rec == nil {
			r.closeSrc()
			r.i++
			continue
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.cur, err = r.project(rec)
		rec.Release()
		if err != nil {
			r.fail(err)
			return false
		}
		return true
	}
}

func (r *multiReader) fail(err error) {
	r.err = err
	r.closeSrc()
}

func (r *multiReader) openSrc(in input) error {
	src, err := newSource(r.ctx, r.mem, in, r.opts, r.p, r.batch)
	if err != nil {
		return err
	}
	r.src = src
	data := r.p.data
	r.colMap = nil
	if cs, ok := src.(*csvSource); ok {
		r.renames = append(r.renames, cs.f.renames...)
	}
	switch in.rf {
	case fmtParquet, fmtArrowFile, fmtArrowStream:
		var sc *arrow.Schema
		switch s := r.src.(type) {
		case *parquetSource:
			sc = s.schema
		case *ipcSource:
			sc = s.schema
		}
		var rn []Rename
		sc, rn = dedupSchema(in.path, sc)
		r.renames = append(r.renames, rn...)
		r.colMap = make([]int, data.NumFields())
		for i, f := range data.Fields() {
			r.colMap[i] = -1
			idx := sc.FieldIndices(f.Name)
			if len(idx) == 0 {
				if !f.Nullable {
					return &DataError{File: in.path, Row: -1, Offset: -1, Column: f.Name, Err: errors.New("declared non-nullable column is missing from the file")}
				}
				continue
			}
			if got := stripType(sc.Field(idx[0]).Type); !arrow.TypeEqual(got, f.Type) {
				return &DataError{File: in.path, Row: -1, Offset: -1, Column: f.Name, Err: fmt.Errorf("type %s does not match %s", got, f.Type)}
			}
			r.colMap[i] = idx[0]
		}
	}
	return nil
}

// newSource opens the source of one input. On error the source is nil as an
// interface, never a typed nil pointer that a later close would call into.
func newSource(ctx context.Context, mem memory.Allocator, in input, opts ReadOptions, p *plan, batch int) (source, error) {
	var (
		s   source
		err error
	)
	switch in.rf {
	case fmtJSONArray, fmtJSONLines:
		var js *jsonSource
		js, err = newJSONSource(mem, in.path, in.rf, p.data, p.valueMode, batch)
		s = js
	case fmtCSV:
		var cs *csvSource
		cs, err = newCSVSource(mem, in.path, opts, p.data, batch)
		s = cs
	case fmtParquet:
		var ps *parquetSource
		ps, err = newParquetSource(ctx, mem, in.path, batch)
		s = ps
	default:
		var is *ipcSource
		is, err = newIPCSource(mem, in.path, in.rf == fmtArrowFile)
		s = is
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// project maps a source batch onto the output schema: columns by name,
// nulls for columns the file lacks, and the file column.
func (r *multiReader) project(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	out := r.p.out
	cols := make([]arrow.Array, 0, out.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i := 0; i < r.p.data.NumFields(); i++ {
		src := i
		if r.colMap != nil {
			src = r.colMap[i]
		}
		if src < 0 {
			cols = append(cols, array.MakeArrayOfNull(r.mem, r.p.data.Field(i).Type, n))
			continue
		}
		// A typed source's columns may carry metadata in nested fields,
		// which the output schema has shed.
		cols = append(cols, retype(rec.Column(src), r.p.data.Field(i).Type))
	}
	if r.opts.FileColumn != "" {
		b := array.NewStringBuilder(r.mem)
		name := filepath.Base(r.p.inputs[r.i].path)
		if len(r.opts.Names) == len(r.p.inputs) {
			name = r.opts.Names[r.i]
		}
		b.ReserveData(n * len(name))
		for j := 0; j < n; j++ {
			b.Append(name)
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	return array.NewRecordBatch(out, cols, int64(n)), nil
}

// parquetSource streams a Parquet file row group by row group.
type parquetSource struct {
	path   string
	fh     *os.File
	pf     *file.Reader
	rr     pqarrow.RecordReader
	schema *arrow.Schema
	compat *compatPlan   // conversions after a footer rewrite (parquet_compat.go), nil: none
	fixes  []*listFix    // legacy LIST encodings to rewrite (parquet_legacy.go)
	fixed  *arrow.Schema // schema after those rewrites
	mem    memory.Allocator
	conv   *arrow.Schema // schema after read-time conversions (convert.go), nil: none
	rows   int64
}

func newParquetSource(ctx context.Context, mem memory.Allocator, path string, batch int) (src *parquetSource, err error) {
	defer recoverCorrupt(path, -1, &err)
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &parquetSource{path: path, fh: fh}
	// Page and dictionary sizes come from the file: bound what they may ask.
	mem = newLimitAllocator(mem, fileSize(fh))
	var compat *pqCompat
	s.pf, compat, err = openParquet(fh, parquet.NewReaderProperties(mem))
	if err != nil {
		fh.Close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	if err := checkParquetArrowSchema(s.pf.MetaData().KeyValueMetadata()); err != nil {
		s.close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	if err := checkVariantParquetSchema(s.pf.MetaData().Schema.Root()); err != nil {
		s.close()
		return nil, inFile(err, path)
	}
	fr, err := pqarrow.NewFileReader(s.pf, pqarrow.ArrowReadProperties{BatchSize: int64(batch)}, mem)
	if err != nil {
		s.close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	s.rr, err = fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		s.close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	s.schema = s.rr.Schema()
	if s.compat = compat.plan(fr.Manifest, s.schema); s.compat != nil {
		s.schema = s.compat.schema
	}
	s.fixes = legacyListFixes(s.pf.MetaData().Schema.Root(), s.schema)
	s.fixed = fixSchema(s.schema, s.fixes)
	s.mem, s.conv = mem, convSchema(s.fixed)
	s.schema = s.fixed
	if s.conv != nil {
		s.schema = s.conv
	}
	return s, nil
}

func (s *parquetSource) next() (rec arrow.RecordBatch, err error) {
	defer recoverCorrupt(s.path, s.rows+1, &err)
	if !s.rr.Next() {
		if err := s.rr.Err(); err != nil {
			de := &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: err}
			if strings.Contains(err.Error(), "INT96") {
				// arrow-go reads INT96 (Impala/Spark) timestamps as
				// timestamp[ns] and names neither column nor range.
				de.Column = int96Columns(s.pf)
				de.Err = fmt.Errorf("%w (Parquet INT96 timestamps are read as timestamp[ns], which holds 1677-09-21 to 2262-04-11; this file has values outside it)", err)
			}
			explainPageCap(s.pf, de)
			return nil, de
		}
		return nil, nil
	}
	rec = s.rr.RecordBatch()
	if err := validateBatch(rec); err != nil {
		return nil, &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: err}
	}
	if s.compat != nil {
		if rec, err = s.compat.convert(s.mem, rec); err != nil {
			return nil, compatDataError(s.path, s.rows, err)
		}
		defer rec.Release()
	}
	if s.fixes != nil {
		if rec, err = fixBatch(rec, s.fixed, s.fixes); err != nil {
			return nil, &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: err}
		}
	} else {
		rec.Retain()
	}
	if rec, err = convSource(s.mem, rec, s.conv); err != nil {
		return nil, &DataError{File: s.path, Row: rowOf(err, s.rows+1), Offset: -1, Err: err}
	}
	s.rows += rec.NumRows()
	return rec, nil
}

func (s *parquetSource) close() error {
	if s.rr != nil {
		s.rr.Release()
	}
	if s.pf != nil {
		_ = s.pf.Close()
	}
	return s.fh.Close()
}

// ipcSource streams an Arrow IPC file or stream.
type ipcSource struct {
	path   string
	fh     *os.File
	fr     *ipc.FileReader
	sr     *ipc.Reader
	i      int
	schema *arrow.Schema
	mem    memory.Allocator
	conv   *arrow.Schema // schema after read-time conversions (convert.go), nil: none
	rows   int64
}

func newIPCSource(mem memory.Allocator, path string, isFile bool) (src *ipcSource, err error) {
	defer recoverCorrupt(path, -1, &err)
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &ipcSource{path: path, fh: fh}
	if err := checkIPC(path, isFile); err != nil {
		fh.Close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	mem = newLimitAllocator(mem, fileSize(fh))
	if isFile {
		s.fr, err = ipc.NewFileReader(fh, ipc.WithAllocator(mem))
		if err == nil {
			s.schema = s.fr.Schema()
		}
	} else {
		s.sr, err = ipc.NewReader(bufio.NewReaderSize(fh, 64<<10), ipc.WithAllocator(mem))
		if err == nil {
			s.schema = s.sr.Schema()
		}
	}
	if err != nil {
		fh.Close()
		return nil, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	s.mem, s.conv = mem, convSchema(s.schema)
	if s.conv != nil {
		s.schema = s.conv
	}
	return s, nil
}

func (s *ipcSource) next() (rec arrow.RecordBatch, err error) {
	defer recoverCorrupt(s.path, s.rows+1, &err)
	if s.fr != nil {
		if s.i >= s.fr.NumRecords() {
			return nil, nil
		}
		rec, err = s.fr.RecordBatch(s.i)
		if err != nil {
			return nil, &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: fmt.Errorf("batch %d: %w", s.i, err)}
		}
		rec.Retain()
		s.i++
	} else {
		if !s.sr.Next() {
			if err := s.sr.Err(); err != nil {
				return nil, &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: err}
			}
			return nil, nil
		}
		rec = s.sr.RecordBatch()
		rec.Retain()
	}
	// The IPC reader takes lengths and offsets from the file as they are.
	if err := validateBatch(rec); err != nil {
		rec.Release()
		return nil, &DataError{File: s.path, Row: s.rows + 1, Offset: -1, Err: err}
	}
	if rec, err = convSource(s.mem, rec, s.conv); err != nil {
		return nil, &DataError{File: s.path, Row: rowOf(err, s.rows+1), Offset: -1, Err: err}
	}
	s.rows += rec.NumRows()
	return rec, nil
}

func (s *ipcSource) close() error {
	if s.fr != nil {
		_ = s.fr.Close()
	}
	if s.sr != nil {
		s.sr.Release()
	}
	return s.fh.Close()
}

// readSchema is sc after the read-time conversions (convert.go).
func readSchema(sc *arrow.Schema) *arrow.Schema {
	if c := convSchema(sc); c != nil {
		return c
	}
	return sc
}

// convSource converts rec (which it releases) to the schema conv; nil conv
// means no conversion.
func convSource(mem memory.Allocator, rec arrow.RecordBatch, conv *arrow.Schema) (arrow.RecordBatch, error) {
	if conv == nil {
		return rec, nil
	}
	defer rec.Release()
	return convBatch(mem, rec, conv)
}
