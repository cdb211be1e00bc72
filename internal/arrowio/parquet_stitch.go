package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/sourcegraph/conc/stream"
)

var parquetMagic = []byte("PAR1")

// rowGroupPipeline writes a flat table's row groups on several cores at
// once: each row group is encoded, by parallelParquet, into a Parquet file
// of its own in memory; the files are then stitched in order into the
// output: their column chunks are copied after one another and their
// footers merged, with every file offset moved to where its chunk landed.
// A row group's column chunks do not depend on the other row groups, so
// the result has the bytes one writer would have written
// (TestParallelParquetMatchesPqarrow).
type rowGroupPipeline struct {
	sink     io.Writer
	schema   *arrow.Schema
	props    *parquet.WriterProperties
	arrProps pqarrow.ArrowWriterProperties
	work     *stream.Stream
	waited   sync.Once

	// Owned by the stream's callbacks (run one at a time, in order).
	off  int64                  // bytes written to sink
	meta *metadata.FileMetaData // footer so far; nil before the first row group
	err  error
	mu   sync.Mutex // guards err, which the writer's goroutine reads
}

func newRowGroupPipeline(sink io.Writer, schema *arrow.Schema, props *parquet.WriterProperties, arrProps pqarrow.ArrowWriterProperties) *rowGroupPipeline {
	return &rowGroupPipeline{sink: sink, schema: schema, props: props, arrProps: arrProps,
		work: stream.New().WithMaxGoroutines(runtime.GOMAXPROCS(0))}
}

func (p *rowGroupPipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *rowGroupPipeline) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

// add encodes parts (rows rows, the writer's schema) as the next row group.
// It owns the parts' references.
func (p *rowGroupPipeline) add(parts []arrow.RecordBatch, rows int64) error {
	if err := p.failed(); err != nil {
		releaseAll(parts)
		return err
	}
	p.work.Go(func() stream.Callback {
		file, err := p.encode(parts, rows)
		releaseAll(parts)
		return func() {
			if p.failed() != nil {
				return
			}
			if err == nil {
				err = p.stitch(file)
			}
			if err != nil {
				p.fail(err)
			}
		}
	})
	return nil
}

// encode writes one row group as a whole Parquet file in memory.
func (p *rowGroupPipeline) encode(parts []arrow.RecordBatch, rows int64) (file []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error encoding a row group: %v", r)
		}
	}()
	var buf bytes.Buffer
	pw, err := newParallelParquet(nopCloser{&buf}, p.schema, p.props, p.arrProps)
	if err != nil {
		return nil, err
	}
	if err := pw.writeRowGroup(parts, rows); err != nil {
		pw.fw.Close()
		return nil, err
	}
	if err := pw.fw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stitch appends the row group of file to the output.
func (p *rowGroupPipeline) stitch(file []byte) error {
	n := len(file)
	if n < 12 || !bytes.Equal(file[:4], parquetMagic) || !bytes.Equal(file[n-4:], parquetMagic) {
		return errors.New("row group file is not Parquet")
	}
	footerLen := int(binary.LittleEndian.Uint32(file[n-8:]))
	if footerLen > n-12 {
		return errors.New("row group file has a footer longer than itself")
	}
	meta, err := metadata.NewFileMetaData(file[n-8-footerLen:n-8], nil)
	if err != nil {
		return err
	}
	if len(meta.RowGroups) != 1 {
		return fmt.Errorf("row group file has %d row groups", len(meta.RowGroups))
	}
	if p.off == 0 {
		if _, err := p.sink.Write(parquetMagic); err != nil {
			return err
		}
		p.off = int64(len(parquetMagic))
	}
	rg := meta.RowGroups[0]
	// The chunks start right after the magic in their own file and at
	// p.off here: every absolute offset moves by the difference.
	delta := p.off - int64(len(parquetMagic))
	move := func(o *int64) {
		if o != nil && *o != 0 {
			*o += delta
		}
	}
	move(rg.FileOffset)
	for _, c := range rg.Columns {
		if c.FileOffset != 0 {
			c.FileOffset += delta
		}
		move(c.OffsetIndexOffset)
		move(c.ColumnIndexOffset)
		if md := c.MetaData; md != nil {
			if md.DataPageOffset != 0 {
				md.DataPageOffset += delta
			}
			move(md.IndexPageOffset)
			move(md.DictionaryPageOffset)
			move(md.BloomFilterOffset)
		}
	}
	if p.meta == nil {
		p.meta = meta
	} else {
		ordinal := int16(len(p.meta.RowGroups))
		if rg.Ordinal != nil {
			rg.Ordinal = &ordinal
		}
		p.meta.RowGroups = append(p.meta.RowGroups, rg)
		p.meta.NumRows += rg.NumRows
	}
	data := file[len(parquetMagic) : n-8-footerLen]
	if _, err := p.sink.Write(data); err != nil {
		return err
	}
	p.off += int64(len(data))
	return nil
}

// close waits for the row groups in flight and writes the footer. With no
// row group at all it writes the file an empty writer would.
func (p *rowGroupPipeline) close() error {
	p.waited.Do(p.work.Wait)
	if err := p.failed(); err != nil {
		return err
	}
	if p.meta == nil {
		pw, err := newParallelParquet(p.sink, p.schema, p.props, p.arrProps)
		if err != nil {
			return err
		}
		return pw.fw.Close()
	}
	n, err := p.meta.WriteTo(p.sink, nil)
	if err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(n))
	copy(tail[4:], parquetMagic)
	_, err = p.sink.Write(tail[:])
	return err
}

// abort waits for the row groups in flight, dropping their results.
func (p *rowGroupPipeline) abort() {
	p.fail(errors.New("parquet writer aborted"))
	p.waited.Do(p.work.Wait)
}
