package arrowio

import (
	"strings"
	"testing"
)

// A file this reader refuses while DuckDB reads it fails
// TestConformanceDuckDB, unless its row in the expectation table says why
// it may: status refused-duckdb-reads, the error as for refused, then a
// tab and the reason, e.g.
//
//	parquet-testing/data/x.parquet	refused-duckdb-reads	FILE: ...	INT96 beyond timestamp[ns]: not read yet
//
// The exception is for a file refused now: once the file reads,
// TestConformance fails on the changed outcome, and -conform.update writes
// the row as read (the exception is gone).
const conformDuckException = "refused-duckdb-reads"

// parseConformRow reads the status and detail fields of a table row.
func parseConformRow(t *testing.T, status, detail string) conformOutcome {
	t.Helper()
	if status != conformDuckException {
		return conformOutcome{status: status, detail: detail}
	}
	i := strings.LastIndexByte(detail, '\t')
	if i < 0 || strings.TrimSpace(detail[i+1:]) == "" {
		t.Fatalf("%s: a %s row needs a reason after the detail (a tab, then why the file may be refused though DuckDB reads it): %q", conformTable, status, detail)
	}
	return conformOutcome{status: "refused", detail: detail[:i], reason: detail[i+1:]}
}

// formatConformRow is the table row of file with outcome o; old is its
// previous row, whose exception a still refused file keeps.
func formatConformRow(file string, o, old conformOutcome) string {
	if o.status == "refused" && o.reason == "" {
		o.reason = old.reason
	}
	if o.status == "refused" && o.reason != "" {
		return file + "\t" + conformDuckException + "\t" + o.detail + "\t" + o.reason + "\n"
	}
	return file + "\t" + o.status + "\t" + o.detail + "\n"
}

// duckDumpOnly tells a dump's error written by testdata/duckref itself
// (DuckDB read the file, but its values could not be rendered: a type the
// Go driver cannot scan, such as VARIANT, or a file too large to dump)
// from DuckDB's own refusal.
func duckDumpOnly(msg string) bool {
	return strings.HasPrefix(msg, "database/sql/driver: unsupported data type") ||
		strings.Contains(msg, "bytes of values: not dumped") ||
		strings.Contains(msg, "has no canonical form")
}

// An exception row reads back as refused with its reason and is written
// back unchanged; -conform.update keeps the reason while the file is still
// refused and drops it once the file reads.
func TestConformExceptionRow(t *testing.T) {
	row := "p/x.parquet\trefused-duckdb-reads\tFILE: bad\tpending, see issue 16\n"
	f := strings.SplitN(strings.TrimSuffix(row, "\n"), "\t", 3)
	o := parseConformRow(t, f[1], f[2])
	if want := (conformOutcome{status: "refused", detail: "FILE: bad", reason: "pending, see issue 16"}); o != want {
		t.Fatalf("parsed %+v, want %+v", o, want)
	}
	if got := formatConformRow("p/x.parquet", o, conformOutcome{}); got != row {
		t.Errorf("written %q, want %q", got, row)
	}
	if got := formatConformRow("p/x.parquet", conformOutcome{status: "refused", detail: "FILE: worse"}, o); got != "p/x.parquet\trefused-duckdb-reads\tFILE: worse\tpending, see issue 16\n" {
		t.Errorf("still refused: written %q, want the reason kept", got)
	}
	if got := formatConformRow("p/x.parquet", conformOutcome{status: "read", detail: "3 rows sha256:00"}, o); got != "p/x.parquet\tread\t3 rows sha256:00\n" {
		t.Errorf("now read: written %q, want the exception gone", got)
	}
	if o := parseConformRow(t, "refused", "FILE: x"); o.reason != "" || o.status != "refused" {
		t.Errorf("plain refused row parsed as %+v", o)
	}
	for _, msg := range []string{"database/sql/driver: unsupported data type: VARIANT: index: 1", "more than 67108864 bytes of values: not dumped"} {
		if !duckDumpOnly(msg) {
			t.Errorf("%q is duckref's own error, not DuckDB's", msg)
		}
	}
	if duckDumpOnly("Invalid Error: TProtocolException: Invalid data") {
		t.Error("DuckDB's refusal taken for duckref's")
	}
}
