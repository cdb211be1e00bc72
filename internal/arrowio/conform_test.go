package arrowio

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio/internal/arrjson"
)

// The conformance suite reads every file of Apache's public conformance
// corpora (../shared/fixtures/conformance: parquet-testing and
// arrow-testing, see its SOURCE.md) the way fetch does (Open, the canonical
// layout, the logical digest) and checks each outcome against the checked-in
// table testdata/conformance.tsv, so that a regression in either direction
// (a file that read now refused, a refused file now read, other values)
// fails:
//
//   - IPC golden files must equal, value by value, the integration JSON
//     beside them (compared by logical digest, the first differing value
//     shown on a mismatch), or be refused;
//   - Parquet files must read to the digest recorded in the table (values
//     cross-checked against DuckDB where the table says so), or be refused;
//   - files a reader must reject (parquet-testing bad_data/, arrow-testing
//     forward-compatibility/) must fail with an error naming the file;
//   - nothing may panic: a recovered decoder panic ("corrupt file: runtime
//     error ...") is a failure unless the table expects exactly it.
//
// -conform.update rewrites the table from the current outcomes; review its
// diff like code.
var conformUpdate = flag.Bool("conform.update", false, "rewrite testdata/conformance.tsv from the current outcomes")

const conformTable = "testdata/conformance.tsv"

// conformOutcome is one file's row of the table.
type conformOutcome struct {
	status string // match (values equal to the reference), read (read; digest pinned), refused
	detail string // digest for read/match, the error's cause for refused
	// reason is set on a refused row that TestConformanceDuckDB lets stand
	// though DuckDB reads the file (status refused-duckdb-reads in the
	// table, conform_exception_test.go).
	reason string
}

func TestConformance(t *testing.T) {
	root := sharedDir(t, "fixtures/conformance")
	files := conformFiles(t, root)
	want := readConformTable(t)
	got := map[string]conformOutcome{}
	for _, rel := range files {
		rel := rel
		t.Run(rel, func(t *testing.T) {
			if testing.Short() && conformHeavy(rel) {
				t.Skip("large file: skipped under -short")
			}
			o := conformFile(t, root, rel)
			got[rel] = o
			if *conformUpdate {
				return
			}
			w, ok := want[rel]
			if !ok {
				t.Fatalf("not in %s: got %s %s", conformTable, o.status, o.detail)
			}
			if w.status != o.status || w.detail != o.detail {
				t.Errorf("outcome changed:\n got  %s\t%s\n want %s\t%s", o.status, o.detail, w.status, w.detail)
			}
		})
	}
	if *conformUpdate {
		writeConformTable(t, files, got)
		return
	}
	for rel := range want {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Errorf("%s lists %s, which is not in the corpus", conformTable, rel)
		}
	}
}

// conformHeavy names the few files whose reading dominates the suite's time.
func conformHeavy(rel string) bool {
	return strings.Contains(rel, "large_string_map") || strings.Contains(rel, "shredded_variant/")
}

func conformFiles(t *testing.T, root string) []string {
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".parquet", ".arrow_file", ".stream", ".arrow", ".encrypted": // x.parquet.encrypted: encrypted Parquet
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 300 {
		t.Fatalf("only %d corpus files under %s", len(files), root)
	}
	return files
}

// conformValidBadData are bad_data/ files that reproduce a reader crash on
// valid input, not invalid input: ARROW-GH-43605 has dictionary indices
// RLE-encoded with bit width 0 (a one-entry dictionary), which
// apache/arrow#43607 made readers accept (all indices 0).
var conformValidBadData = map[string]bool{"ARROW-GH-43605.parquet": true}

// conformFile reads one file and classifies the outcome.
func conformFile(t *testing.T, root, rel string) conformOutcome {
	path := filepath.Join(root, filepath.FromSlash(rel))
	mustRefuse := (strings.Contains(rel, "/bad_data/") || strings.Contains(rel, "/forward-compatibility/")) && !conformValidBadData[filepath.Base(rel)]
	format := Arrow
	if strings.HasSuffix(rel, ".parquet") || strings.HasSuffix(rel, ".parquet.encrypted") {
		format = Parquet
	}
	// arrow-go's Parquet decoders do not return every buffer they allocate
	// (delta encodings, LZ4 pages; the Go allocator's GC reclaims them), so
	// exact accounting is checked for IPC only.
	var mem memory.Allocator = memory.NewGoAllocator()
	if format == Arrow {
		cm := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer cm.AssertSize(t, 0)
		mem = cm
	}
	sum, rows, err := conformDigest(mem, path, format)
	if err != nil {
		msg := err.Error()
		if !strings.Contains(msg, path) {
			t.Errorf("error does not name the file: %v", err)
		}
		if strings.Contains(msg, "::") {
			t.Errorf("error prints a double colon: %v", err)
		}
		if strings.Contains(msg, "runtime error") || strings.Contains(msg, "nil pointer") {
			t.Errorf("a decoder panicked: %v", err)
		}
		return conformOutcome{status: "refused", detail: strings.ReplaceAll(strings.ReplaceAll(msg, path, "FILE"), "\t", " ")}
	}
	if mustRefuse {
		t.Errorf("read (%d rows) a file a reader must reject", rows)
	}
	if format == Arrow && strings.Contains(rel, "/integration/") {
		if diff := conformIPCGolden(t, mem, path, sum); diff != "" {
			return conformOutcome{status: "wrong", detail: diff}
		}
		return conformOutcome{status: "match", detail: fmt.Sprintf("%d rows", rows)}
	}
	return conformOutcome{status: "read", detail: fmt.Sprintf("%d rows %s", rows, sum)}
}

// conformDigest reads path as fetch does: Open, each batch put in the
// canonical layout and hashed.
func conformDigest(mem memory.Allocator, path string, format Format) (string, int64, error) {
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: format, BatchSize: 1000})
	if err != nil {
		return "", 0, err
	}
	defer r.Release()
	h, err := NewLogicalHasher(r.Schema())
	if err != nil {
		return "", 0, &DataError{File: path, Row: -1, Offset: -1, Err: err}
	}
	for r.Next() {
		c, err := CanonicalBatch(mem, r.RecordBatch())
		if err != nil {
			return "", 0, &DataError{File: path, Row: -1, Offset: -1, Err: err}
		}
		err = h.Write(c)
		c.Release()
		if err != nil {
			return "", 0, err
		}
	}
	if err := r.Err(); err != nil {
		return "", 0, err
	}
	return string(h.Sum()), h.Rows(), nil
}

// conformIPCGolden compares the digest of what Open read from the golden
// file at path with the digest of its integration JSON; on a mismatch it
// returns the first difference.
func conformIPCGolden(t *testing.T, mem memory.Allocator, path, sum string) string {
	jsonPath := strings.TrimSuffix(strings.TrimSuffix(path, ".arrow_file"), ".stream") + ".json.gz"
	recs, sc := readIntegrationJSON(t, mem, jsonPath)
	// Columns and struct fields of one name are read renamed (dupnames.go):
	// the JSON's columns, by position, under the names the reader gives.
	recs, sc = dedupRecords(t, path, recs, sc)
	defer releaseAll(recs)
	h, err := NewLogicalHasher(sc)
	if err != nil {
		// A type the reader converts (convert.go): compare the values in
		// the type-independent form of canonValue, which reads the JSON's
		// original arrays through arrow-go's own accessors.
		return conformValuesDiffer(t, mem, path, sc, recs)
	}
	for _, rec := range recs {
		if err := h.Write(rec); err != nil {
			return "JSON: " + err.Error()
		}
	}
	if string(h.Sum()) == sum {
		return ""
	}
	// Show the first difference.
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: Arrow, BatchSize: 1000})
	if err != nil {
		return err.Error()
	}
	defer r.Release()
	jr, err := array.NewRecordReader(sc, recs)
	if err != nil {
		return err.Error()
	}
	defer jr.Release()
	d, err := FirstDifference(r, jr)
	if err != nil {
		return "differs from its JSON: " + err.Error()
	}
	if d == "" {
		d = "digest differs from its JSON's"
	}
	return strings.ReplaceAll(d, "\t", " ")
}

func readIntegrationJSON(t *testing.T, mem memory.Allocator, path string) ([]arrow.RecordBatch, *arrow.Schema) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	jr, err := arrjson.NewReader(gz, arrjson.WithAllocator(mem))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer jr.Release()
	var recs []arrow.RecordBatch
	for {
		rec, err := jr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", path, err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	return recs, jr.Schema()
}

func readConformTable(t *testing.T) map[string]conformOutcome {
	m := map[string]conformOutcome{}
	fh, err := os.Open(conformTable)
	if err != nil {
		if *conformUpdate {
			return m
		}
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("%s: malformed line %q", conformTable, line)
		}
		m[f[0]] = parseConformRow(t, f[1], f[2])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeConformTable(t *testing.T, files []string, got map[string]conformOutcome) {
	old := readConformTable(t)
	var b strings.Builder
	b.WriteString("# Expected outcome of reading each file of ../shared/fixtures/conformance (see conform_test.go).\n")
	b.WriteString("# file\tstatus (match: equal to the reference; read: read, digest pinned; refused: error)\tdetail\n")
	b.WriteString("# refused-duckdb-reads: refused though DuckDB reads it, an exception TestConformanceDuckDB allows; a fourth field says why\n")
	for _, f := range files {
		o, ok := got[f]
		if !ok { // skipped (-short): keep the old row
			if o, ok = old[f]; !ok {
				continue
			}
		}
		b.WriteString(formatConformRow(f, o, old[f]))
	}
	if err := os.WriteFile(conformTable, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// conformValuesDiffer compares, row by row in canonValue's form, what Open
// reads from path with the records recs of the integration JSON.
func conformValuesDiffer(t *testing.T, mem memory.Allocator, path string, sc *arrow.Schema, recs []arrow.RecordBatch) string {
	var want []string
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j, c := range rec.Columns() {
				v, err := canonValue(c, i)
				if err != nil {
					return "JSON column " + sc.Field(j).Name + ": " + err.Error()
				}
				row[j] = v
			}
			want = append(want, canonJSON(row))
		}
	}
	r, err := Open(context.Background(), mem, []string{path}, ReadOptions{Format: Arrow, BatchSize: 1000})
	if err != nil {
		return err.Error()
	}
	defer r.Release()
	if r.Schema().NumFields() != sc.NumFields() {
		return fmt.Sprintf("%d columns, JSON %d", r.Schema().NumFields(), sc.NumFields())
	}
	for j, f := range r.Schema().Fields() {
		if f.Name != sc.Field(j).Name {
			return fmt.Sprintf("column %d named %q, JSON %q", j, f.Name, sc.Field(j).Name)
		}
	}
	n := 0
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j, c := range rec.Columns() {
				v, err := canonValue(c, i)
				if err != nil {
					return err.Error()
				}
				row[j] = v
			}
			if n >= len(want) {
				return fmt.Sprintf("row %d beyond the JSON's %d", n+1, len(want))
			}
			if got := canonJSON(row); got != want[n] {
				return fmt.Sprintf("row %d: %.300s, JSON %.300s", n+1, got, want[n])
			}
			n++
		}
	}
	if err := r.Err(); err != nil {
		return err.Error()
	}
	if n != len(want) {
		return fmt.Sprintf("%d rows, JSON %d", n, len(want))
	}
	return ""
}
