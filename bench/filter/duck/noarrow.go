//go:build !duckdb_arrow

package main

import "errors"

// runArrow needs duckdb-go's Arrow support: build with -tags duckdb_arrow
// (bench/filter/run.sh does).
func runArrow(in, out string, maxEmpathy int, compression string) error {
	return errors.New("-arrow: this duck was built without -tags duckdb_arrow")
}
