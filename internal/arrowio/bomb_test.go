package arrowio

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/dsbuild/dsbuild/internal/arrowio/arrowiotest"
)

// Issue 8, item 10: malformed input is a *DataError naming the file, from
// every decoder, never a panic or an out-of-memory death. The schema bomb
// (a list claiming 2^31-1 children) reaches arrow-go's schema parser from
// an IPC stream, an IPC file's footer and the Arrow schema a Parquet file
// stores.
func TestSchemaBombIsADataError(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	bomb := arrowiotest.SchemaBomb()
	dir := t.TempDir()
	files := map[string][]byte{"bomb.arrows": bomb}

	// A Parquet file of one int column whose stored Arrow schema is the bomb.
	sc := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil)
	var pq bytes.Buffer
	fw, err := pqarrow.NewFileWriter(sc, &pq, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.AppendKeyValueMetadata("ARROW:schema", base64.StdEncoding.EncodeToString(bomb)); err != nil {
		t.Fatal(err)
	}
	b := array.NewInt32Builder(mem)
	b.AppendValues([]int32{1, 2}, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, 2)
	col.Release()
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	files["bomb.parquet"] = pq.Bytes()

	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := InferSchema(context.Background(), []string{p}, ReadOptions{})
		var de *DataError
		if !errors.As(err, &de) || de.File != p {
			t.Errorf("%s: InferSchema error %v, want a *DataError naming the file", name, err)
		}
	}
}
