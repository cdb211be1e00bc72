// Command duck runs the join benchmark's query in DuckDB (in process,
// through github.com/duckdb/duckdb-go/v2) and prints one JSON line with the
// time of the statement alone, measured in Go. -mode copy:
//
//	COPY (SELECT l.id, l.a, r.b FROM read_parquet(L) l JOIN read_parquet(R) r ON l.id = r.id)
//	  TO OUT (FORMAT parquet, COMPRESSION zstd)
//
// -mode table: CREATE TABLE j AS the same SELECT (in memory).
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

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func main() {
	left := flag.String("left", "", "left Parquet file")
	right := flag.String("right", "", "right Parquet file")
	out := flag.String("out", "", "output Parquet file (mode copy)")
	mode := flag.String("mode", "copy", "copy | table")
	flag.Parse()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail(err)
	}
	defer db.Close()
	var threads int
	if err := db.QueryRow("SELECT current_setting('threads')").Scan(&threads); err != nil {
		fail(err)
	}
	sel := fmt.Sprintf("SELECT l.id, l.a, r.b FROM read_parquet(%s) l JOIN read_parquet(%s) r ON l.id = r.id", quote(*left), quote(*right))
	var q string
	switch *mode {
	case "copy":
		q = fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd)", sel, quote(*out))
	case "table":
		q = "CREATE TABLE j AS " + sel
	default:
		fail(fmt.Errorf("unknown mode %q", *mode))
	}
	start := time.Now()
	res, err := db.Exec(q)
	if err != nil {
		fail(err)
	}
	secs := time.Since(start).Seconds()
	rows, _ := res.RowsAffected()
	if *mode == "table" {
		if err := db.QueryRow("SELECT count(*) FROM j").Scan(&rows); err != nil {
			fail(err)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": secs, "rows": rows, "threads": threads, "query": q}); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "duck:", err)
	os.Exit(1)
}
