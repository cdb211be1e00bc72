// Command aggregate is the 10M-rows-into-1M-groups aggregate benchmark:
// dsbuild's aggregate op and DuckDB's GROUP BY side by side, each sample in
// its own process so its peak RSS (wait4 ru_maxrss) is its own. Run it
// through bench/aggregate/run.sh.
//
// The query, in both engines, to Parquet:
//
//		by k: count(), sum(v), mean(x), max(v + SAMPLE)
//
//	  - dsbuild: the CLI on a recipe fetch → aggregate → output whose fetch
//	    (an Arrow IPC file) is cached by a warm-up build; every sample changes
//	    SAMPLE, so aggregate and output re-run: the time includes reading the
//	    store blob, hashing, store writes, the Parquet output and the lock.
//	  - duckdb: COPY (SELECT k, count(*), sum(v), avg(x), max(v + SAMPLE) FROM
//	    read_parquet(...) GROUP BY k) TO ... (FORMAT parquet), timed in Go
//	    around the statement (in-memory database, default threads).
//
// With -op sort (run.sh: OP=sort, one key per row), the same harness
// times an in-memory sort by k: fetch → select (derive v = v + SAMPLE) →
// sort → output against COPY (SELECT k, v + SAMPLE AS v, x FROM
// read_parquet(...) ORDER BY k) TO ... (FORMAT parquet).
//
// Subcommands: gen (write the data), duck (one DuckDB sample), and the
// driver (default).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "gen" {
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		rows := fs.Int64("rows", 10_000_000, "rows")
		groups := fs.Int64("groups", 1_000_000, "groups")
		out := fs.String("out", "", "data directory")
		fs.Parse(os.Args[2:])
		check(gen(*rows, *groups, *out))
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "duck" {
		fs := flag.NewFlagSet("duck", flag.ExitOnError)
		in := fs.String("in", "", "Parquet input")
		out := fs.String("out", "", "Parquet output")
		sample := fs.Int("sample", 0, "sample number")
		op := fs.String("op", "aggregate", "aggregate or sort")
		fs.Parse(os.Args[2:])
		check(duck(*op, *in, *out, *sample))
		return
	}
	data := flag.String("data", "", "data directory (gen's -out)")
	work := flag.String("work", "", "scratch directory")
	bin := flag.String("dsbuild", "", "dsbuild binary")
	runs := flag.Int("runs", 3, "samples per engine")
	op := flag.String("op", "aggregate", "aggregate or sort")
	flag.Parse()
	if *op != "aggregate" && *op != "sort" {
		check(fmt.Errorf("-op %q: aggregate or sort", *op))
	}
	check(drive(*op, *data, *work, *bin, *runs))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "aggregate bench:", err)
		os.Exit(1)
	}
}

// gen writes rows rows: k int64 in [0, groups) (every group, scattered),
// v int64, x float64; as data.arrow (IPC file, for dsbuild) and
// data.parquet (for DuckDB).
func gen(rows, groups int64, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	af, err := os.Create(filepath.Join(dir, "data.arrow"))
	if err != nil {
		return err
	}
	defer af.Close()
	aw, err := ipc.NewFileWriter(af, ipc.WithSchema(schema))
	if err != nil {
		return err
	}
	pf, err := os.Create(filepath.Join(dir, "data.parquet"))
	if err != nil {
		return err
	}
	defer pf.Close()
	pw, err := pqarrow.NewFileWriter(schema, pf, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)), pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	mem := memory.NewGoAllocator()
	const batch = 1 << 16
	for start := int64(0); start < rows; start += batch {
		n := min(batch, rows-start)
		kb, vb, xb := array.NewInt64Builder(mem), array.NewInt64Builder(mem), array.NewFloat64Builder(mem)
		for i := start; i < start+n; i++ {
			kb.Append((i * 7919) % groups) // 7919 is prime: every group, scattered
			vb.Append(i % 1000)
			xb.Append(float64(i%977) / 7)
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray(), xb.NewArray()}
		rec := array.NewRecordBatch(schema, cols, n)
		if err := aw.Write(rec); err != nil {
			return err
		}
		if err := pw.WriteBuffered(rec); err != nil {
			return err
		}
		rec.Release()
		for _, c := range cols {
			c.Release()
		}
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if err := pw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "meta.json"), []byte(fmt.Sprintf(`{"rows": %d, "groups": %d}`+"\n", rows, groups)), 0o644)
}

func duck(op, in, out string, sample int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	q := fmt.Sprintf(`COPY (SELECT k, count(*) AS n, sum(v) AS s, avg(x) AS m, max(v + %d) AS hi FROM read_parquet('%s') GROUP BY k) TO '%s' (FORMAT parquet)`, sample, in, out)
	if op == "sort" {
		q = fmt.Sprintf(`COPY (SELECT k, v + %d AS v, x FROM read_parquet('%s') ORDER BY k) TO '%s' (FORMAT parquet)`, sample, in, out)
	}
	t0 := time.Now()
	var rows int64
	if err := db.QueryRow(q).Scan(&rows); err != nil {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	el := time.Since(t0).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"seconds": el, "rows": rows})
}

var recipes = map[string]string{"aggregate": aggRecipe, "sort": sortRecipe}

const aggRecipe = `fetch "d" {
  url = "../data/data.arrow"
}

aggregate "a" {
  input = fetch.d
  by    = [k]
  agg = {
    n  = count()
    s  = sum(v)
    m  = mean(x)
    hi = max(v + %d)
  }
}

output "a" {
  input = aggregate.a
  path  = "out/a.parquet"
}
`

// sortRecipe: the select makes each sample's sort a new node (its input
// changes); it passes the other columns through without copying them.
const sortRecipe = `fetch "d" {
  url = "../data/data.arrow"
}

select "s" {
  input  = fetch.d
  derive = { v = v + %d }
}

sort "a" {
  input = select.s
  by    = ["k"]
}

output "a" {
  input = sort.a
  path  = "out/a.parquet"
}
`

type sample struct {
	wall, inner, cpu float64
	rss              int64
}

func timed(cmd *exec.Cmd) (sample, []byte, error) {
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	t0 := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(t0).Seconds()}
	if err != nil {
		return s, nil, fmt.Errorf("%v: %v\n%s", cmd.Args, err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rss = ru.Maxrss * 1024
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return s, []byte(stdout.String()), nil
}

func drive(op, data, work, bin string, runs int) error {
	// nodeTime finds the op node's own time in the build's report line.
	nodeTime := regexp.MustCompile(`ran\s+` + op + `\.a\s.*\s([0-9.]+)s\s*$`)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	proj := filepath.Join(work, "proj")
	for _, d := range []string{"recipes", "lockfiles", "out"} {
		if err := os.MkdirAll(filepath.Join(proj, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(data, filepath.Join(proj, "data")); err != nil && !os.IsExist(err) {
		return err
	}
	rp := filepath.Join(proj, "recipes", "agg.hcl")
	cache := filepath.Join(work, "cache")
	build := func(n int) (sample, error) {
		if err := os.WriteFile(rp, []byte(fmt.Sprintf(recipes[op], n)), 0o644); err != nil {
			return sample{}, err
		}
		cmd := exec.CommandContext(context.Background(), bin, "build", rp, "--cache", cache)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		s, _, err := timed(cmd)
		if err != nil {
			return s, fmt.Errorf("%v\n%s", err, stderr.String())
		}
		for _, line := range bytes.Split(stderr.Bytes(), []byte("\n")) {
			if m := nodeTime.FindSubmatch(line); m != nil {
				s.inner, _ = strconv.ParseFloat(string(m[1]), 64)
			}
		}
		return s, nil
	}
	fmt.Fprintln(os.Stderr, "== warm-up: dsbuild fetch (cached from here on)")
	if _, err := build(-1); err != nil {
		return err
	}
	var ds, dk []sample
	for i := 0; i < runs; i++ { // interleaved
		s, err := build(i)
		if err != nil {
			return err
		}
		ds = append(ds, s)
		s, out, err := timed(exec.Command(self, "duck", "-in", filepath.Join(data, "data.parquet"), "-out", filepath.Join(work, "duck.parquet"), "-sample", fmt.Sprint(i), "-op", op))
		if err != nil {
			return err
		}
		var r struct{ Seconds float64 }
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("duck printed %q: %v", out, err)
		}
		s.inner = r.Seconds
		dk = append(dk, s)
		fmt.Fprintf(os.Stderr, "   sample %d: dsbuild %.2fs ("+op+" node %.2fs, %d MiB), duckdb %.2fs statement / %.2fs process (%d MiB)\n", i, ds[i].wall, ds[i].inner, ds[i].rss>>20, s.inner, s.wall, s.rss>>20)
	}
	best := func(ss []sample, inner bool) sample {
		b := ss[0]
		for _, s := range ss[1:] {
			t, bt := s.wall, b.wall
			if inner {
				t, bt = s.inner, b.inner
			}
			if t < bt {
				b = s
			}
		}
		return b
	}
	d, k := best(ds, false), best(dk, true)
	fmt.Printf("engine   best time   cpu      peak RSS\n")
	fmt.Printf("dsbuild  %7.2fs   %6.2fs  %5d MiB   (whole build process: store read, "+op+", Parquet output, lock; "+op+" node %.2fs)\n", d.wall, d.cpu, d.rss>>20, d.inner)
	fmt.Printf("duckdb   %7.2fs   %6.2fs  %5d MiB   (COPY statement; process %.2fs)\n", k.inner, k.cpu, k.rss>>20, k.wall)
	fmt.Printf("ratio dsbuild/duckdb: %.2f\n", d.wall/k.inner)
	return nil
}
