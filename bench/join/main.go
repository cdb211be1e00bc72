// Command join is the driver of the 10M × 1M join benchmark; run it through
// bench/join/run.sh, which builds the binaries and the data.
//
// It times, side by side and interleaved, the inner join of left.parquet
// (10M rows) with right.parquet (1M unique int64 keys) on id, written to
// Parquet (zstd), each sample in its own process so that its peak RSS
// (wait4 ru_maxrss) is its own:
//
//   - dsbuild: `dsbuild build` of a recipe fetch → join → output whose
//     fetch nodes are already cached (a warm-up build): each sample sets
//     another suffix, a real change of the join's key, so the join and the
//     output run and nothing else. Reported: the process wall time (plan,
//     reading the cached inputs, join, hashing and storing its result,
//     writing the Parquet file and the lock) and the join node's own time
//     from the build report.
//   - duckdb: COPY (SELECT ... JOIN ...) TO ... (FORMAT parquet, COMPRESSION
//     zstd) and CREATE TABLE AS the same SELECT, timed in Go around the
//     statement, DuckDB's default threads (one per core).
//
// Every sample's output row count is checked against the generator's.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

type sample struct {
	wall, inner float64
	cpu         float64 // the process's user + system time
	rss         int64
	rows        int64
}

func main() {
	data := flag.String("data", "", "data directory (gen output)")
	work := flag.String("work", "", "work directory")
	runs := flag.Int("runs", 3, "samples per engine")
	dsb := flag.String("dsbuild", "", "dsbuild binary")
	duck := flag.String("duck", "", "duck binary")
	matches := flag.Int64("matches", 0, "expected rows")
	flag.Parse()
	if err := run(*data, *work, *runs, *dsb, *duck, *matches); err != nil {
		fmt.Fprintln(os.Stderr, "join:", err)
		os.Exit(1)
	}
}

func proc(name string, args ...string) (sample, []byte, []byte, error) {
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		s.rss = ru.Maxrss * 1024
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if err != nil {
		return s, out.Bytes(), errb.Bytes(), fmt.Errorf("%s: %v\n%s", name, err, errb.Bytes())
	}
	return s, out.Bytes(), errb.Bytes(), nil
}

func parquetRows(path string) (int64, error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.NumRows(), nil
}

const recipeTmpl = `fetch "left" {
  url = %q
}
fetch "right" {
  url = %q
}
join "j" {
  left   = fetch.left
  right  = fetch.right
  on     = ["id"]
  suffix = %q
}
output "j" {
  input       = join.j
  path        = "out/j.parquet"
  compression = "zstd"
}
`

var joinTime = regexp.MustCompile(`ran\s+join\.j\s.*\s([0-9.]+)s\s*$`)

func run(data, work string, runs int, dsb, duck string, matches int64) error {
	proj := filepath.Join(work, "project")
	for _, d := range []string{"recipes", "lockfiles", "out"} {
		if err := os.MkdirAll(filepath.Join(proj, d), 0o755); err != nil {
			return err
		}
	}
	cache := filepath.Join(work, "cache")
	left, right := filepath.Join(data, "left.parquet"), filepath.Join(data, "right.parquet")
	rec := filepath.Join(proj, "recipes", "join.hcl")
	build := func(suffix string) (sample, error) {
		if err := os.WriteFile(rec, fmt.Appendf(nil, recipeTmpl, left, right, suffix), 0o644); err != nil {
			return sample{}, err
		}
		s, _, stderr, err := proc(dsb, "build", rec, "--project", proj, "--cache", cache)
		if err != nil {
			return s, err
		}
		for _, line := range bytes.Split(stderr, []byte("\n")) {
			if m := joinTime.FindSubmatch(line); m != nil {
				s.inner, _ = strconv.ParseFloat(string(m[1]), 64)
			}
		}
		if s.rows, err = parquetRows(filepath.Join(proj, "out", "j.parquet")); err != nil {
			return s, err
		}
		return s, nil
	}
	fmt.Fprintln(os.Stderr, "== warm-up build (fetches the inputs into the store)")
	if _, err := build("_w"); err != nil {
		return err
	}
	out := filepath.Join(work, "duck.parquet")
	ducks := func(mode string) (sample, error) {
		s, stdout, _, err := proc(duck, "-left", left, "-right", right, "-out", out, "-mode", mode)
		if err != nil {
			return s, err
		}
		var r struct {
			Seconds float64 `json:"seconds"`
			Rows    int64   `json:"rows"`
		}
		if err := json.Unmarshal(stdout, &r); err != nil {
			return s, err
		}
		s.inner, s.rows = r.Seconds, r.Rows
		return s, nil
	}
	var dsS, copyS, tableS []sample
	for i := 0; i < runs; i++ {
		fmt.Fprintf(os.Stderr, "== sample %d/%d\n", i+1, runs)
		s, err := build(fmt.Sprintf("_s%d", i))
		if err != nil {
			return err
		}
		dsS = append(dsS, s)
		if s, err = ducks("copy"); err != nil {
			return err
		}
		copyS = append(copyS, s)
		if s, err = ducks("table"); err != nil {
			return err
		}
		tableS = append(tableS, s)
	}
	for i, ss := range [][]sample{dsS, copyS, tableS} {
		for _, s := range ss {
			if matches > 0 && s.rows != matches {
				return fmt.Errorf("a %s sample gave %d rows, want %d", []string{"dsbuild", "duckdb copy", "duckdb table"}[i], s.rows, matches)
			}
		}
	}
	med := func(ss []sample, f func(sample) float64) float64 {
		xs := make([]float64, len(ss))
		for i, s := range ss {
			xs[i] = f(s)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	maxRSS := func(ss []sample) float64 {
		var m int64
		for _, s := range ss {
			m = max(m, s.rss)
		}
		return float64(m) / (1 << 20)
	}
	wall := func(s sample) float64 { return s.wall }
	inner := func(s sample) float64 { return s.inner }
	cpu := func(s sample) float64 { return s.cpu }
	dsWall, dsJoin := med(dsS, wall), med(dsS, inner)
	cpWall, cpStmt := med(copyS, wall), med(copyS, inner)
	tbStmt := med(tableS, inner)
	fmt.Printf("inner join of %s × %s on int64 id → %d rows, median of %d samples\n", filepath.Base(left), filepath.Base(right), dsS[0].rows, runs)
	fmt.Printf("%-34s %10s %12s %14s %14s\n", "engine", "wall s", "work s", "process CPU s", "peak RSS MiB")
	fmt.Printf("%-34s %10.2f %12.2f %14.2f %14.0f\n", "dsbuild build (join node)", dsWall, dsJoin, med(dsS, cpu), maxRSS(dsS))
	fmt.Printf("%-34s %10.2f %12.2f %14.2f %14.0f\n", "duckdb COPY … TO parquet zstd", cpWall, cpStmt, med(copyS, cpu), maxRSS(copyS))
	fmt.Printf("%-34s %10.2f %12.2f %14.2f %14.0f\n", "duckdb CREATE TABLE AS", med(tableS, wall), tbStmt, med(tableS, cpu), maxRSS(tableS))
	fmt.Printf("ratio dsbuild wall / duckdb COPY statement: %.2f; dsbuild join node / duckdb CREATE TABLE AS: %.2f\n", dsWall/cpStmt, dsJoin/tbStmt)
	return nil
}
