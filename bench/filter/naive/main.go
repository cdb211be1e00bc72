// Command naive is the straightforward arrow-go baseline for the filter
// benchmark: read the Arrow IPC stream batch by batch, build the mask with
// arrow compute (empathy < K and speaker == "supporter"), apply
// compute.FilterRecordBatch, write with pqarrow (zstd level 3, dictionaries,
// 64Ki-row row groups: dsbuild's Parquet settings). One goroutine, no
// pipelining. Prints one JSON line with the time and the rows written.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func main() {
	in := flag.String("in", "", "input Arrow IPC stream")
	out := flag.String("out", "", "output Parquet file")
	maxEmpathy := flag.Int64("max-empathy", 3, "keep rows with empathy < this")
	flag.Parse()
	start := time.Now()
	rows, err := run(*in, *out, *maxEmpathy)
	if err != nil {
		fmt.Fprintln(os.Stderr, "naive:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": time.Since(start).Seconds(), "rows": rows})
}

func run(in, out string, maxEmpathy int64) (int64, error) {
	ctx := context.Background()
	mem := memory.NewGoAllocator()
	f, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rd, err := ipc.NewReader(bufio.NewReaderSize(f, 1<<20), ipc.WithAllocator(mem))
	if err != nil {
		return 0, err
	}
	defer rd.Release()
	schema := rd.Schema()
	empIdx := schema.FieldIndices("empathy")
	spkIdx := schema.FieldIndices("speaker")
	if len(empIdx) != 1 || len(spkIdx) != 1 {
		return 0, fmt.Errorf("input needs columns empathy and speaker, has %s", schema)
	}
	of, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer of.Close()
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(3),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(64<<10),
	)
	w, err := pqarrow.NewFileWriter(schema, of, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return 0, err
	}
	threshold := compute.NewDatum(scalar.NewInt64Scalar(maxEmpathy))
	supporter := compute.NewDatum(scalar.NewStringScalar("supporter"))
	var rows int64
	for rd.Next() {
		rec := rd.RecordBatch()
		lt, err := compute.CallFunction(ctx, "less", nil, compute.NewDatum(rec.Column(empIdx[0])), threshold)
		if err != nil {
			return 0, err
		}
		eq, err := compute.CallFunction(ctx, "equal", nil, compute.NewDatum(rec.Column(spkIdx[0])), supporter)
		if err != nil {
			return 0, err
		}
		mask, err := compute.CallFunction(ctx, "and_kleene", nil, lt, eq)
		lt.Release()
		eq.Release()
		if err != nil {
			return 0, err
		}
		kept, err := compute.FilterRecordBatch(ctx, rec, mask.(*compute.ArrayDatum).MakeArray(), compute.DefaultFilterOptions())
		mask.Release()
		if err != nil {
			return 0, err
		}
		if err := w.WriteBuffered(kept); err != nil {
			return 0, err
		}
		rows += kept.NumRows()
		kept.Release()
	}
	if err := rd.Err(); err != nil {
		return 0, err
	}
	return rows, w.Close()
}
