package arrowio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestConformanceDuckDB compares, value by value, every Parquet file of
// parquet-testing that this reader reads with what DuckDB (an independent
// implementation) reads from it. DuckDB's values come from the dumps
// written by testdata/duckref into $DSBUILD_DUCKDB_REF, which .ci/run
// produces in its own step (DuckDB is cgo, kept out of the main module);
// without the variable the test skips (and the digests pinned in
// testdata/conformance.tsv still catch any change of values).
//
// A file both read must be equal. A file DuckDB reads while this reader
// refuses it fails, unless it is one a reader must reject (bad_data/) or
// its row in the table is an exception with a reason (status
// refused-duckdb-reads, conform_exception_test.go). A file DuckDB refuses
// while this reader reads it is listed.
func TestConformanceDuckDB(t *testing.T) {
	ref := os.Getenv("DSBUILD_DUCKDB_REF")
	if ref == "" {
		t.Skip("DSBUILD_DUCKDB_REF not set: run testdata/duckref first (.ci/run does)")
	}
	root := filepath.Join(sharedDir(t, "fixtures/conformance"), "parquet-testing")
	want := readConformTable(t)
	compared := 0
	for rel, o := range want {
		if !strings.HasPrefix(rel, "parquet-testing/") {
			continue
		}
		prel := strings.TrimPrefix(rel, "parquet-testing/")
		dump := filepath.Join(ref, strings.ReplaceAll(prel, "/", "__")+".jsonl")
		t.Run(prel, func(t *testing.T) {
			lines, header := readDuckDump(t, dump)
			// A dump error of duckref's own (values it cannot render)
			// still means DuckDB reads the file.
			duckReads := header.Error == "" || duckDumpOnly(header.Error)
			if o.status != "read" {
				mustRefuse := strings.HasPrefix(prel, "bad_data/") && !conformValidBadData[filepath.Base(prel)] || duckCorpusRefuses[prel] != ""
				switch {
				case !duckReads:
					if o.reason != "" {
						t.Errorf("the table lets this file be refused because DuckDB reads it (%s), but DuckDB refuses it: %s; drop the exception", o.reason, header.Error)
					}
				case mustRefuse:
					t.Logf("DuckDB reads %d rows of a file a reader must reject %s", len(lines), duckCorpusRefuses[prel])
				case o.reason != "":
					t.Logf("refused though DuckDB reads it, by the table's exception: %s", o.reason)
				default:
					t.Errorf("DuckDB reads this file (%d rows dumped) but this reader refuses it: %s\nread it, or mark its row in %s %s with the reason", len(lines), o.detail, conformTable, conformDuckException)
				}
				return
			}
			if header.Error != "" {
				if duckReads {
					t.Logf("not compared: DuckDB reads it, but duckref could not dump its values: %s", header.Error)
				} else if !strings.HasPrefix(prel, "bad_data/") {
					t.Logf("DuckDB refuses what this reader reads: %s", header.Error)
				}
				return
			}
			compared++
			d := duckDifference(t, filepath.Join(root, filepath.FromSlash(prel)), header.Columns, lines)
			why, listed := duckDisagrees[prel]
			switch {
			case d != "" && listed:
				t.Logf("differs from DuckDB, which is wrong here (%s): %s", why, d)
			case d != "":
				t.Errorf("differs from DuckDB: %s", d)
			case listed:
				t.Errorf("equal to DuckDB now, though listed in duckDisagrees (%s): remove it", why)
			}
		})
	}
	t.Logf("%d files compared with DuckDB", compared)
	if compared < 50 {
		t.Errorf("only %d files compared: dumps missing?", compared)
	}
}

type duckHeader struct {
	File    string   `json:"file"`
	Error   string   `json:"error"`
	Columns []string `json:"columns"`
}

func readDuckDump(t *testing.T, path string) ([]string, duckHeader) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatalf("no DuckDB dump: %v", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 256<<20)
	var h duckHeader
	var lines []string
	for i := 0; sc.Scan(); i++ {
		if i == 0 {
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, canonJSON(v))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines, h
}

func canonJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// duckDifference reads path as fetch does and returns the first row (or
// the column names) differing from DuckDB's lines, "" when all are equal.
func duckDifference(t *testing.T, path string, cols []string, want []string) string {
	r, err := Open(context.Background(), memory.NewGoAllocator(), []string{path}, ReadOptions{Format: Parquet, BatchSize: 1000})
	if err != nil {
		return err.Error()
	}
	defer r.Release()
	var names []string
	for _, f := range r.Schema().Fields() {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != strings.Join(cols, ",") {
		return fmt.Sprintf("columns %v, DuckDB %v", names, cols)
	}
	row := 0
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]any, rec.NumCols())
			for j, c := range rec.Columns() {
				v, err := canonValue(c, i)
				if err != nil {
					return fmt.Sprintf("column %s: %v", names[j], err)
				}
				vals[j] = v
			}
			if row >= len(want) {
				return fmt.Sprintf("row %d beyond DuckDB's %d rows", row+1, len(want))
			}
			got := canonJSON(vals)
			if got != want[row] && strings.Contains(want[row], `"j:`) {
				// VARIANT columns: JSON text compared as values.
				if d := duckVariantRow(vals, want[row]); d != "" {
					return fmt.Sprintf("row %d: %s", row+1, d)
				}
				got = canonJSON(vals)
			}
			if got != want[row] {
				return fmt.Sprintf("row %d:\n  got    %.400s\n  DuckDB %.400s", row+1, got, want[row])
			}
			row++
		}
	}
	if err := r.Err(); err != nil {
		return err.Error()
	}
	if row != len(want) {
		return fmt.Sprintf("%d rows, DuckDB %d", row, len(want))
	}
	return ""
}

// canonValue is slot i of arr in the canonical value form of
// testdata/duckref (its doc comment defines it).
func canonValue(arr arrow.Array, i int) (any, error) {
	if arr.IsNull(i) {
		return nil, nil
	}
	switch a := arr.(type) {
	case *array.Null:
		return nil, nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int8:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Int16:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Int32:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Int64:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Uint8:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Uint16:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Uint32:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Uint64:
		return fmt.Sprintf("n:%d", a.Value(i)), nil
	case *array.Float16:
		return canonFloat(float64(a.Value(i).Float32())), nil
	case *array.Float32:
		return canonFloat(float64(a.Value(i))), nil
	case *array.Float64:
		return canonFloat(a.Value(i)), nil
	case *array.Decimal32:
		return "d:" + exactDecimal(big.NewInt(int64(a.Value(i))), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.Decimal64:
		return "d:" + exactDecimal(big.NewInt(int64(a.Value(i))), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.Decimal128:
		return "d:" + exactDecimal(a.Value(i).BigInt(), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.Decimal256:
		return "d:" + exactDecimal(a.Value(i).BigInt(), a.DataType().(arrow.DecimalType).GetScale()), nil
	case *array.String:
		return "s:" + a.Value(i), nil
	case *array.LargeString:
		return "s:" + a.Value(i), nil
	case *array.StringView:
		return "s:" + a.Value(i), nil
	case *array.Binary:
		return "b:" + hex.EncodeToString(a.Value(i)), nil
	case *array.LargeBinary:
		return "b:" + hex.EncodeToString(a.Value(i)), nil
	case *array.BinaryView:
		return "b:" + hex.EncodeToString(a.Value(i)), nil
	case *array.FixedSizeBinary:
		return "b:" + hex.EncodeToString(a.Value(i)), nil
	case *array.Date32:
		return "t:" + a.Value(i).ToTime().UTC().Format(time.RFC3339Nano), nil
	case *array.Date64:
		return "t:" + a.Value(i).ToTime().UTC().Format(time.RFC3339Nano), nil
	case *array.Timestamp:
		f, err := a.DataType().(*arrow.TimestampType).GetToTimeFunc()
		if err != nil {
			return nil, err
		}
		return "t:" + f(a.Value(i)).UTC().Format(time.RFC3339Nano), nil
	case *array.Time32:
		d := time.Duration(a.Value(i)) * a.DataType().(*arrow.Time32Type).Unit.Multiplier()
		return "t:" + time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format(time.RFC3339Nano), nil
	case *array.Time64:
		d := time.Duration(a.Value(i)) * a.DataType().(*arrow.Time64Type).Unit.Multiplier()
		return "t:" + time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format(time.RFC3339Nano), nil
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return fmt.Sprintf("iv:%d,%d,%d", v.Months, v.Days, v.Nanoseconds), nil
	case *array.Dictionary:
		return canonValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.RunEndEncoded:
		return canonValue(a.Values(), a.GetPhysicalIndex(i))
	case array.ExtensionArray:
		return canonValue(a.Storage(), i)
	case *array.Map:
		s, e := a.ValueOffsets(i)
		out := make([]any, 0, e-s)
		for j := int(s); j < int(e); j++ {
			k, err := canonValue(a.Keys(), j)
			if err != nil {
				return nil, err
			}
			v, err := canonValue(a.Items(), j)
			if err != nil {
				return nil, err
			}
			out = append(out, []any{k, v})
		}
		return out, nil
	case array.ListLike:
		s, e := a.ValueOffsets(i)
		out := make([]any, 0, e-s)
		for j := int(s); j < int(e); j++ {
			v, err := canonValue(a.ListValues(), j)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case array.Union:
		// The reader's struct form of a union (convert.go).
		out := map[string]any{unionCodeField: fmt.Sprintf("n:%d", a.TypeCode(i))}
		for k, f := range a.UnionType().Fields() {
			out[f.Name] = nil
			if a.ChildID(i) != k {
				continue
			}
			j := i
			if d, ok := a.(*array.DenseUnion); ok {
				j = int(d.ValueOffset(i))
			}
			v, err := canonValue(a.Field(k), j)
			if err != nil {
				return nil, err
			}
			out[f.Name] = v
		}
		return out, nil
	case *array.Struct:
		out := map[string]any{}
		st := a.DataType().(*arrow.StructType)
		for j, f := range st.Fields() {
			v, err := canonValue(a.Field(j), i)
			if err != nil {
				return nil, err
			}
			out[f.Name] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %s has no canonical value form", arr.DataType())
}

func canonFloat(f float64) string {
	if math.IsNaN(f) {
		return "f:NaN"
	}
	return "f:" + strconv.FormatFloat(f, 'g', -1, 64)
}
