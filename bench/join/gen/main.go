// Command gen writes the join benchmark's two tables as Parquet (snappy),
// seeded and deterministic:
//
//	left.parquet:  ROWS rows   (id int64, a int64)   id uniform in [0, 1.25·RIGHT)
//	right.parquet: RIGHT rows  (id int64, b float64) ids 0..RIGHT-1, shuffled, unique
//
// so about 80% of the left rows have exactly one match. With -spread every
// id is multiplied by a large odd constant (wrapping), so the same keys
// are scattered over the whole int64 range (as hashed or random ids are)
// instead of being dense. It prints one JSON line with the expected
// inner-join row count.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

const batch = 1 << 20

func main() {
	rows := flag.Int64("rows", 10_000_000, "left rows")
	right := flag.Int64("right", 1_000_000, "right rows")
	out := flag.String("out", "", "output directory")
	spread := flag.Bool("spread", false, "scatter the ids over the int64 range")
	flag.Parse()
	if err := run(*rows, *right, *out, *spread); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(path string, schema *arrow.Schema, n int64, fill func(b *array.RecordBuilder, start, end int64)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	mem := memory.DefaultAllocator
	props := parquet.NewWriterProperties(parquet.WithAllocator(mem), parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(batch))
	w, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{f}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for s := int64(0); s < n; s += batch {
		e := min(s+batch, n)
		fill(b, s, e)
		rec := b.NewRecordBatch()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

func run(rows, right int64, out string, spread bool) error {
	id := func(k int64) int64 {
		if spread {
			return int64(uint64(k) * 0x5851f42d4c957f2d)
		}
		return k
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(10, 2026))
	perm := rng.Perm(int(right))
	rs := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.PrimitiveTypes.Float64}}, nil)
	err := write(filepath.Join(out, "right.parquet"), rs, right, func(b *array.RecordBuilder, s, e int64) {
		for i := s; i < e; i++ {
			b.Field(0).(*array.Int64Builder).Append(id(int64(perm[i])))
			b.Field(1).(*array.Float64Builder).Append(rng.Float64())
		}
	})
	if err != nil {
		return err
	}
	ls := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	span := right + right/4
	var matches int64
	err = write(filepath.Join(out, "left.parquet"), ls, rows, func(b *array.RecordBuilder, s, e int64) {
		for i := s; i < e; i++ {
			k := rng.Int64N(span)
			if k < right {
				matches++
			}
			b.Field(0).(*array.Int64Builder).Append(id(k))
			b.Field(1).(*array.Int64Builder).Append(i)
		}
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{"left": rows, "right": right, "matches": matches})
}
