// Command duck runs the filter benchmark's query in DuckDB (in process,
// through github.com/duckdb/duckdb-go/v2) and prints one JSON line with the
// time of the COPY statement alone, measured in Go:
//
//	COPY (SELECT * FROM read_parquet(IN) WHERE empathy < K AND speaker = 'supporter')
//	  TO OUT (FORMAT parquet [, COMPRESSION c])
//
// With -arrow, IN is the Arrow IPC stream dsbuild reads: arrow-go reads it
// and hands the batches to DuckDB through the Arrow C stream interface
// (duckdb-go's RegisterView, build tag duckdb_arrow), and the query reads
// that view instead of read_parquet.
package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	in := flag.String("in", "", "input Parquet file")
	out := flag.String("out", "", "output Parquet file")
	maxEmpathy := flag.Int("max-empathy", 3, "keep rows with empathy < this")
	compression := flag.String("compression", "", "Parquet codec (default: DuckDB's, snappy)")
	threads := flag.Int("threads", 0, "DuckDB threads (0: DuckDB's default, one per core)")
	arrowIn := flag.Bool("arrow", false, "IN is an Arrow IPC stream, read by arrow-go and scanned by DuckDB as an Arrow view")
	flag.Parse()
	var err error
	if *arrowIn {
		err = runArrow(*in, *out, *maxEmpathy, *compression)
	} else {
		err = run(*in, *out, *maxEmpathy, *compression, *threads)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "duck:", err)
		os.Exit(1)
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func run(in, out string, maxEmpathy int, compression string, threads int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	if threads > 0 {
		if _, err := db.Exec(fmt.Sprintf("SET threads = %d", threads)); err != nil {
			return err
		}
	}
	var nthreads int
	if err := db.QueryRow("SELECT current_setting('threads')").Scan(&nthreads); err != nil {
		return err
	}
	opts := "FORMAT parquet"
	if compression != "" {
		opts += ", COMPRESSION " + compression
	}
	q := fmt.Sprintf("COPY (SELECT * FROM read_parquet(%s) WHERE empathy < %d AND speaker = 'supporter') TO %s (%s)",
		quote(in), maxEmpathy, quote(out), opts)
	start := time.Now()
	res, err := db.Exec(q)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	rows, _ := res.RowsAffected()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": secs, "rows": rows, "threads": nthreads, "query": q})
}
