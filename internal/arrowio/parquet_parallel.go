package arrowio

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/sourcegraph/conc/pool"
)

// parallelParquet writes row groups of flat columns with every column of a
// row group encoded and compressed on its own goroutine. pqarrow's
// FileWriter encodes the columns of a row group one after the other on one
// goroutine, which left a core idle while Parquet output was the slowest
// node of a build (bench/filter). The bytes are those pqarrow writes: the
// same schema conversion and metadata, the same per-column encoder
// (pqarrow.WriteArrowToColumn) with the definition levels pqarrow computes
// for a top-level column, and each column's pages buffered and then written
// in column order when the row group closes (TestParallelParquetMatchesPqarrow).
type parallelParquet struct {
	fw       *file.Writer
	arrProps pqarrow.ArrowWriterProperties
	mem      memory.Allocator
	names    []string
	nullable []bool
}

// flatSchema reports whether every column has a type the parallel writer
// handles: primitive values and strings, no nesting, dictionaries or
// extension types.
func flatSchema(s *arrow.Schema) bool {
	for _, f := range s.Fields() {
		switch f.Type.ID() {
		case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
			arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64,
			arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY, arrow.DATE32:
		default:
			return false
		}
	}
	return s.NumFields() > 0
}

// newParallelParquet sets up what pqarrow.NewFileWriter would for schema
// (flat, without metadata) with the stored Arrow schema.
func newParallelParquet(w io.Writer, schema *arrow.Schema, props *parquet.WriterProperties, arrProps pqarrow.ArrowWriterProperties) (*parallelParquet, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, arrProps)
	if err != nil {
		return nil, err
	}
	// The ARROW:schema value pqarrow stores: the IPC schema message, as
	// flight.SerializeSchema writes it (a flat schema needs none of the
	// list renaming pqarrow applies first).
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(props.Allocator()))
	if err := iw.Close(); err != nil {
		return nil, err
	}
	meta := make(metadata.KeyValueMetadata, 0)
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(buf.Bytes()))
	fw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	p := &parallelParquet{fw: fw, arrProps: arrProps, mem: props.Allocator()}
	for _, f := range schema.Fields() {
		p.names = append(p.names, f.Name)
		p.nullable = append(p.nullable, f.Nullable)
	}
	return p, nil
}

// writeRowGroup writes the rows of parts (batches of the writer's schema)
// as one row group of rows rows. Each column is concatenated into one array
// and encoded on a goroutine of its own, as pqarrow would encode the
// concatenated batch.
func (p *parallelParquet) writeRowGroup(parts []arrow.RecordBatch, rows int64) error {
	rgw, err := p.fw.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	ncols := len(p.nullable)
	// Longest columns first, so the last one to finish is a short one.
	order := make([]int, ncols)
	size := make([]int64, ncols)
	for i := range order {
		order[i] = i
		for _, part := range parts {
			for _, b := range part.Column(i).Data().Buffers() {
				if b != nil {
					size[i] += int64(b.Len())
				}
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	g := pool.New().WithErrors().WithMaxGoroutines(runtime.GOMAXPROCS(0))
	for _, i := range order {
		cw, err := rgw.Column(i)
		if err != nil {
			g.Wait()
			return err
		}
		g.Go(func() error {
			pieces := make([]arrow.Array, len(parts))
			for k, part := range parts {
				pieces[k] = part.Column(i)
			}
			col, err := array.Concatenate(pieces, p.mem)
			if err != nil {
				return fmt.Errorf("column %q: %w", p.names[i], err)
			}
			defer col.Release()
			if int64(col.Len()) != rows {
				return fmt.Errorf("column %q: %d rows in a row group of %d", p.names[i], col.Len(), rows)
			}
			defs, leafNullable := topLevelDefLevels(col, p.nullable[i])
			// A write context per goroutine: it holds a scratch buffer.
			ctx := pqarrow.NewArrowWriteContext(context.Background(), &p.arrProps)
			if err := pqarrow.WriteArrowToColumn(ctx, cw, col, defs, nil, leafNullable); err != nil {
				return fmt.Errorf("column %q: %w", p.names[i], err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		rgw.Close()
		return err
	}
	return rgw.Close()
}

// topLevelDefLevels returns the definition levels and leaf nullability
// pqarrow's path builder gives a top-level column: none for a required
// column; for an optional one, 1 for a value and 0 for a null, and the leaf
// counts as not nullable when it holds no null.
func topLevelDefLevels(arr arrow.Array, nullable bool) ([]int16, bool) {
	if !nullable {
		return nil, false
	}
	n := arr.Len()
	defs := make([]int16, n)
	switch arr.NullN() {
	case 0:
		for i := range defs {
			defs[i] = 1
		}
		return defs, false
	case n:
		return defs, true
	}
	for i := range defs {
		if arr.IsValid(i) {
			defs[i] = 1
		}
	}
	return defs, true
}
