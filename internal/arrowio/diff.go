package arrowio

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// FirstDifference compares two tables value by value (under the logical
// digest's canonical encoding, so batching and physical type variants do not
// count) and describes the first difference for `dsbuild verify`: the first
// differing column and the run of rows that differ from there, with rows
// numbered from 0; or "schema differs: ..."; or "row count A vs B". It
// returns "" for equal tables. It reads both readers to the end and releases
// neither.
func FirstDifference(a, b array.RecordReader) (string, error) {
	if msg, err := schemaDifference(a.Schema(), b.Schema()); msg != "" || err != nil {
		return msg, err
	}
	encs := make([]*enc, a.Schema().NumFields())
	for i, f := range a.Schema().Fields() {
		e, err := compileEnc(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %q: %w", f.Name, err)
		}
		encs[i] = e
	}
	ca, cb := &cursor{r: a}, &cursor{r: b}
	var (
		row        int64 // absolute index of the next row to compare
		phase      int   // 0 searching, 1 extending a run, 2 counting
		col        int
		first, end int64
		va, vb     string
		bufA, bufB []byte
	)
	for {
		okA, okB := ca.ensure(), cb.ensure()
		if ca.err != nil {
			return "", ca.err
		}
		if cb.err != nil {
			return "", cb.err
		}
		if !okA || !okB {
			break
		}
		n := min(ca.left(), cb.left())
		for k := int64(0); k < n && phase < 2; k++ {
			ia, ib := int(ca.off+k), int(cb.off+k)
			if phase == 0 {
				for j, e := range encs {
					bufA = appendNested(bufA[:0], e, ca.rec.Column(j), ia)
					bufB = appendNested(bufB[:0], e, cb.rec.Column(j), ib)
					if !bytes.Equal(bufA, bufB) {
						phase, col, first, end = 1, j, row+k, row+k
						va, vb = showValue(ca.rec.Column(j), ia), showValue(cb.rec.Column(j), ib)
						break
					}
				}
				continue
			}
			bufA = appendNested(bufA[:0], encs[col], ca.rec.Column(col), ia)
			bufB = appendNested(bufB[:0], encs[col], cb.rec.Column(col), ib)
			if bytes.Equal(bufA, bufB) {
				phase = 2
			} else {
				end = row + k
			}
		}
		ca.off += n
		cb.off += n
		row += n
	}
	// Count what is left on either side, so a length difference is exact.
	rowsA, rowsB := row+ca.drain(), row+cb.drain()
	if ca.err != nil {
		return "", ca.err
	}
	if cb.err != nil {
		return "", cb.err
	}
	var msg string
	if phase > 0 {
		name := strconv.Quote(a.Schema().Field(col).Name)
		if first == end {
			msg = fmt.Sprintf("column %s: row %d differs (%s vs %s)", name, first, va, vb)
		} else {
			msg = fmt.Sprintf("column %s: rows %d–%d differ (first: row %d %s vs %s)", name, first, end, first, va, vb)
		}
	}
	if rowsA != rowsB {
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("row count %d vs %d", rowsA, rowsB)
	}
	return msg, nil
}

func schemaDifference(a, b *arrow.Schema) (string, error) {
	for i := 0; i < max(a.NumFields(), b.NumFields()); i++ {
		if i >= a.NumFields() || i >= b.NumFields() {
			return fmt.Sprintf("schema differs: %d columns vs %d", a.NumFields(), b.NumFields()), nil
		}
		fa, err := canonicalSchema(arrow.NewSchema([]arrow.Field{a.Field(i)}, nil))
		if err != nil {
			return "", err
		}
		fb, err := canonicalSchema(arrow.NewSchema([]arrow.Field{b.Field(i)}, nil))
		if err != nil {
			return "", err
		}
		if fa != fb {
			return fmt.Sprintf("schema differs: column %d is %s vs %s", i, fa, fb), nil
		}
	}
	return "", nil
}

const maxShown = 60

// showValue renders a value for a message, shortened on a rune boundary.
func showValue(arr arrow.Array, i int) string {
	b, err := appendJSONValue(nil, arr, i)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(b) <= maxShown {
		return string(b)
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// cursor walks a reader row by row across batch boundaries.
type cursor struct {
	r   array.RecordReader
	rec arrow.RecordBatch
	off int64
	err error
}

func (c *cursor) left() int64 { return c.rec.NumRows() - c.off }

func (c *cursor) ensure() bool {
	for c.rec == nil || c.off >= c.rec.NumRows() {
		if !c.r.Next() {
			c.rec, c.err = nil, c.r.Err()
			return false
		}
		c.rec, c.off = c.r.RecordBatch(), 0
	}
	return true
}

func (c *cursor) drain() int64 {
	var n int64
	if c.rec != nil {
		n += c.left()
		c.off = c.rec.NumRows()
	}
	for c.err == nil && c.r.Next() {
		n += c.r.RecordBatch().NumRows()
	}
	if c.err == nil {
		c.err = c.r.Err()
	}
	return n
}
