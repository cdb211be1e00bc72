package arrowio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// csvFile is an open CSV input positioned after its header.
type csvFile struct {
	path    string
	fh      *os.File
	cr      *csv.Reader
	bom     int64
	names   []string
	renames []Rename // duplicate header names renamed (dupnames.go)
	pending []string // first data record of a header-less file
	recOff  int64    // byte offset where the next record starts
}

func csvDelimiter(path string, opts ReadOptions) rune {
	if opts.Delimiter != 0 {
		return opts.Delimiter
	}
	if opts.Format == TSV {
		return '\t'
	}
	if opts.Format == "" {
		if f, _ := FormatFromName(path); f == TSV {
			return '\t'
		}
	}
	return ','
}

// openCSV opens path and reads its header (or first record).
func openCSV(path string, opts ReadOptions) (*csvFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(fh, 64<<10)
	c := &csvFile{path: path, fh: fh}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
		c.bom = 3
	}
	c.recOff = c.bom
	c.cr = csv.NewReader(br)
	c.cr.Comma = csvDelimiter(path, opts)
	c.cr.FieldsPerRecord = -1
	c.cr.LazyQuotes = false
	c.cr.ReuseRecord = true
	if !validDelim(c.cr.Comma) {
		fh.Close()
		return nil, fmt.Errorf("%s: invalid CSV delimiter %q", path, c.cr.Comma)
	}
	header := opts.CSVHeader == nil || *opts.CSVHeader
	rec, err := c.read()
	if err == io.EOF {
		return c, nil // empty file: no columns, no rows
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	c.names = make([]string, len(rec))
	for i, name := range rec {
		if header && !utf8.ValidString(name) {
			fh.Close()
			return nil, &DataError{File: path, Row: 1, Offset: c.bom, Column: strconv.Itoa(i + 1), Err: errors.New("header name is not valid UTF-8")}
		}
		if !header || name == "" {
			name = "c" + strconv.Itoa(i)
		}
		c.names[i] = name
	}
	// Two columns of one name are both kept (dupnames.go).
	if uniq := uniqueNames(c.names); uniq != nil {
		for i, n := range uniq {
			if n != c.names[i] {
				c.renames = append(c.renames, Rename{File: path, From: c.names[i], To: n, Index: i + 1})
			}
		}
		c.names = uniq
	}
	if !header {
		c.pending = append([]string(nil), rec...)
	}
	return c, nil
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && r != 0xFFFD
}

// read returns the next record, as a DataError on bad input.
func (c *csvFile) read() ([]string, error) {
	start := c.recOff
	rec, err := c.cr.Read()
	c.recOff = c.bom + c.cr.InputOffset()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &DataError{File: c.path, Row: int64(pe.StartLine), Offset: start,
				Err: fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)}
		}
		return nil, &DataError{File: c.path, Row: -1, Offset: start, Err: err}
	}
	return rec, nil
}

func (c *csvFile) line() int64 {
	l, _ := c.cr.FieldPos(0)
	return int64(l)
}

// csvSource streams one CSV file as batches of the target schema.
type csvSource struct {
	f      *csvFile
	rb     *array.RecordBuilder
	colMap []int // file column → target column
	absent []int // target columns this file does not have
	types  []arrow.DataType
	batch  int
}

func newCSVSource(mem memory.Allocator, path string, opts ReadOptions, schema *arrow.Schema, batch int) (*csvSource, error) {
	for _, f := range schema.Fields() {
		if !scalarFromText(f.Type) {
			return nil, fmt.Errorf("%s: column %s: type %s cannot be read from CSV", path, f.Name, f.Type)
		}
	}
	cf, err := openCSV(path, opts)
	if err != nil {
		return nil, err
	}
	src := &csvSource{f: cf, rb: array.NewRecordBuilder(mem, schema), batch: batch}
	used := make([]bool, schema.NumFields())
	src.colMap = make([]int, len(cf.names))
	for i, name := range cf.names {
		src.colMap[i] = -1
		if idx := schema.FieldIndices(name); len(idx) > 0 {
			src.colMap[i] = idx[0]
			used[idx[0]] = true
		}
	}
	for i, u := range used {
		if !u {
			if !schema.Field(i).Nullable {
				src.close()
				return nil, &DataError{File: path, Row: 1, Offset: cf.bom, Column: schema.Field(i).Name,
					Err: errors.New("declared non-nullable column is missing from the file")}
			}
			src.absent = append(src.absent, i)
		}
	}
	for _, f := range schema.Fields() {
		src.types = append(src.types, f.Type)
	}
	return src, nil
}

func (c *csvSource) next() (arrow.RecordBatch, error) {
	n := 0
	for n < c.batch {
		var rec []string
		var err error
		start := c.f.recOff
		if c.f.pending != nil {
			rec, c.f.pending = c.f.pending, nil
			start = c.f.bom
		} else if rec, err = c.f.read(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if len(rec) != len(c.colMap) {
			return nil, &DataError{File: c.f.path, Row: c.f.line(), Offset: start,
				Err: fmt.Errorf("record has %d fields, header has %d", len(rec), len(c.colMap))}
		}
		for i, cell := range rec {
			t := c.colMap[i]
			if t < 0 {
				continue
			}
			b := c.rb.Field(t)
			id := c.types[t].ID()
			if cell == "" && id != arrow.STRING && id != arrow.LARGE_STRING && id != arrow.BINARY && id != arrow.LARGE_BINARY {
				b.AppendNull()
				continue
			}
			if (id == arrow.STRING || id == arrow.LARGE_STRING) && !utf8.ValidString(cell) {
				// Silently replacing bytes would corrupt e.g. Latin-1 files.
				return nil, &DataError{File: c.f.path, Row: c.f.line(), Offset: start, Column: c.rb.Schema().Field(t).Name,
					Err: errors.New("invalid UTF-8 (declare the column binary to keep the bytes)")}
			}
			if sb, ok := b.(*array.StringBuilder); ok {
				sb.Append(cell)
				continue
			}
			if err := appendText(b, []byte(cell)); err != nil {
				return nil, &DataError{File: c.f.path, Row: c.f.line(), Offset: start, Column: c.rb.Schema().Field(t).Name, Err: err}
			}
		}
		for _, t := range c.absent {
			c.rb.Field(t).AppendNull()
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return c.rb.NewRecordBatch(), nil
}

func (c *csvSource) close() error {
	c.rb.Release()
	return c.f.fh.Close()
}
