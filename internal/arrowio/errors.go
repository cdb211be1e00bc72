package arrowio

import (
	"fmt"
	"strings"
)

// DataError reports input that does not fit: malformed syntax, a value that
// does not match the (declared or inferred) type, a corrupt file.
//
// Row is 1-based: the line number for line-oriented inputs (JSON Lines, CSV,
// where the line is the one the record starts on), the element number for a
// JSON array document, the first row not yet delivered for Parquet and Arrow;
// -1 when unknown. Offset is the byte offset in the file, -1 when unknown.
// Column is a dotted path into nested data ("dialog[].strategy"), "" when
// the problem is not about one column.
type DataError struct {
	File   string
	Row    int64
	Offset int64
	Column string
	Err    error
}

func (e *DataError) Error() string {
	// file: row R (byte B), column C: message — each part only when known.
	var loc []string
	switch {
	case e.Row >= 0 && e.Offset >= 0:
		loc = append(loc, fmt.Sprintf("row %d (byte %d)", e.Row, e.Offset))
	case e.Row >= 0:
		loc = append(loc, fmt.Sprintf("row %d", e.Row))
	case e.Offset >= 0:
		loc = append(loc, fmt.Sprintf("byte %d", e.Offset))
	}
	if e.Column != "" {
		loc = append(loc, "column "+e.Column)
	}
	var b strings.Builder
	b.WriteString(e.File)
	if len(loc) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(loc, ", "))
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid data")
	}
	return b.String()
}

func (e *DataError) Unwrap() error { return e.Err }

// posError is an error at a byte offset inside a record, before the reader
// that knows the file and row wraps it into a DataError.
type posError struct {
	off int64
	col string
	err error
}

func (e *posError) Error() string { return fmt.Sprintf("byte %d: %v", e.off, e.err) }
func (e *posError) Unwrap() error { return e.err }
