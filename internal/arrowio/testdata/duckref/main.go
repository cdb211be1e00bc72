// Command duckref reads every Parquet file under a directory with DuckDB
// (in process, github.com/duckdb/duckdb-go/v2: an implementation
// independent of arrow-go) and writes, for each, the values DuckDB sees as
// JSON Lines in the canonical value form that arrowio's conformance test
// renders its own reads in (see canonValue in conform_duck_test.go):
//
//	{"file": REL, "columns": [...]}            or {"file": REL, "error": "..."}
//	[v, v, ...]                                 one line per row
//
// A scalar is a string tagged by kind: "n:" integer, "f:" float (shortest
// round-trip of the float64 value), "d:" decimal (exact, no trailing
// fraction zeros), "s:" text, "b:" hex bytes, "t:" time (RFC 3339 in UTC;
// a time of day on 0001-01-01), "iv:" interval (months,days,nanoseconds);
// booleans are JSON booleans, lists JSON arrays, structs JSON objects, maps
// arrays of [key, value] pairs. A VARIANT column is "j:" and DuckDB's JSON
// text of the value (its own notation: timestamps "2024-11-07
// 12:33:54.123456+00", blobs "\x0A", floats widened to double), which the
// test compares with arrowio's JSON text as values (variant_duck_test.go).
//
// It is its own module (cgo, DuckDB's library), kept under testdata so that
// the main module's build and tests never need it; .ci/run runs it:
//
//	cd internal/arrowio/testdata/duckref && go run . ROOT OUT
package main

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: duckref ROOT OUT")
		os.Exit(2)
	}
	root, out := os.Args[1], os.Args[2]
	if err := run(root, out); err != nil {
		fmt.Fprintln(os.Stderr, "duckref:", err)
		os.Exit(1)
	}
}

func run(root, out string) error {
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".parquet.encrypted")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		// A fresh database per file: some files make DuckDB fail with a
		// fatal (internal) error, which invalidates its database for every
		// later query.
		db, err := sql.Open("duckdb", "")
		if err != nil {
			return err
		}
		err = dumpFile(db, p, rel, filepath.Join(out, strings.ReplaceAll(rel, "/", "__")+".jsonl"))
		db.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func dumpFile(db *sql.DB, path, rel, out string) error {
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	defer fh.Close()
	enc := json.NewEncoder(fh)
	enc.SetEscapeHTML(false)
	fail := func(err error) error {
		// DuckDB's internal errors carry a stack trace of the process.
		msg, _, _ := strings.Cut(err.Error(), "\n\nStack Trace:")
		return enc.Encode(map[string]any{"file": rel, "error": msg})
	}
	sel, jsonCols, err := selectList(db, path)
	if err != nil {
		return fail(err)
	}
	rows, err := db.Query("SELECT "+sel+" FROM read_parquet(?)", path)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fail(err)
	}
	var lines [][]any
	size := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		line := make([]any, len(cols))
		for i, v := range vals {
			if s, ok := v.(string); ok && jsonCols[i] {
				line[i] = "j:" + s
				continue
			}
			if line[i], err = canon(v); err != nil {
				return fail(fmt.Errorf("column %s: %w", cols[i], err))
			}
		}
		b, _ := json.Marshal(line)
		if size += len(b); size > maxDump {
			return fail(fmt.Errorf("more than %d bytes of values: not dumped", maxDump))
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if err := enc.Encode(map[string]any{"file": rel, "columns": cols}); err != nil {
		return err
	}
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// selectList is the select list for the file at path: every column as it
// is, except that a VARIANT column (which the Go driver cannot scan) is
// read as DuckDB's JSON text of each value; jsonCols marks those.
func selectList(db *sql.DB, path string) (string, map[int]bool, error) {
	rows, err := db.Query("DESCRIBE SELECT * FROM read_parquet(?)", path)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", nil, err
	}
	var items []string
	jsonCols := map[int]bool{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", nil, err
		}
		name, _ := vals[0].(string)
		typ, _ := vals[1].(string)
		q := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		if typ == "VARIANT" {
			jsonCols[len(items)] = true
			q = "CAST(" + q + " AS JSON)::VARCHAR AS " + q
		}
		items = append(items, q)
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(items) == 0 {
		return "*", nil, nil
	}
	return strings.Join(items, ", "), jsonCols, nil
}

// maxDump bounds one file's dump (large_string_map holds a 1 GiB page).
const maxDump = 64 << 20

func canon(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return v, nil
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprintf("n:%d", v), nil
	case *big.Int:
		return "n:" + v.String(), nil
	case float32:
		return canonFloat(float64(v)), nil
	case float64:
		return canonFloat(v), nil
	case string:
		return "s:" + v, nil
	case []byte:
		return "b:" + hex.EncodeToString(v), nil
	case duckdb.UUID:
		return "b:" + hex.EncodeToString(v[:]), nil
	case time.Time:
		return "t:" + v.UTC().Format(time.RFC3339Nano), nil
	case duckdb.Decimal:
		return "d:" + exactDecimal(v.Value, int32(v.Scale)), nil
	case duckdb.Interval:
		return fmt.Sprintf("iv:%d,%d,%d", v.Months, v.Days, v.Micros*1000), nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			c, err := canon(x)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			c, err := canon(x)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case duckdb.OrderedMap:
		return canonPairs(v.Keys(), v.Values())
	case *duckdb.OrderedMap:
		return canonPairs(v.Keys(), v.Values())
	case duckdb.Map:
		var ks, vs []any
		for k, x := range v {
			ks, vs = append(ks, k), append(vs, x)
		}
		return canonPairs(ks, vs)
	}
	return nil, fmt.Errorf("value of Go type %T has no canonical form", v)
}

func canonPairs(ks, vs []any) (any, error) {
	out := make([]any, len(ks))
	for i := range ks {
		k, err := canon(ks[i])
		if err != nil {
			return nil, err
		}
		x, err := canon(vs[i])
		if err != nil {
			return nil, err
		}
		out[i] = []any{k, x}
	}
	return out, nil
}

func canonFloat(f float64) string {
	if math.IsNaN(f) {
		return "f:NaN"
	}
	return "f:" + strconv.FormatFloat(f, 'g', -1, 64)
}

func exactDecimal(unscaled *big.Int, scale int32) string {
	s := unscaled.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	switch {
	case scale < 0:
		if s != "0" {
			s += strings.Repeat("0", int(-scale))
		}
	case scale > 0:
		if len(s) <= int(scale) {
			s = strings.Repeat("0", int(scale)-len(s)+1) + s
		}
		s = strings.TrimSuffix(strings.TrimRight(s[:len(s)-int(scale)]+"."+s[len(s)-int(scale):], "0"), ".")
	}
	if neg {
		s = "-" + s
	}
	return s
}
