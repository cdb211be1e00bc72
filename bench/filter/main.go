// Command filter is the driver of the 10M-row filter benchmark; run it
// through bench/filter/run.sh, which builds the binaries and the data.
//
// It times, side by side and interleaved, the same query
//
//	rows where empathy < 3 && speaker == "supporter", all columns, to Parquet
//
// in three engines, each sample in its own process so that its peak RSS
// (wait4 ru_maxrss, the figure /usr/bin/time -v prints) is its own:
//
//   - dsbuild: the dsbuild CLI on a generated recipe (fetch → filter →
//     output) whose fetch node is already cached, so filter and output run:
//     end to end from dsbuild's Arrow IPC store blob to out/filtered.parquet,
//     including hashing, store writes and the lockfile. The first sample is a
//     real threshold change (warm-up built max_empathy=2, sample 1 builds 3);
//     before the next samples the filter and output key manifests named in
//     the lock are deleted from the store, so each sample redoes the same
//     work.
//   - duckdb: COPY (SELECT ... FROM read_parquet(...)) TO ... (FORMAT parquet),
//     timed in Go around the statement, with DuckDB's default codec (snappy)
//     and, for a like-for-like codec, with zstd as dsbuild writes.
//   - naive: arrow-go read IPC → compute.FilterRecordBatch → pqarrow, one
//     goroutine.
//
// Every sample's output row count is checked against the generator's count.
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
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

type meta struct {
	Rows         int64    `json:"rows"`
	ArrowFile    string   `json:"arrow_file"`
	ArrowBytes   int64    `json:"arrow_bytes"`
	ArrowSHA256  string   `json:"arrow_sha256"`
	ParquetFile  string   `json:"parquet_file"`
	ParquetBytes int64    `json:"parquet_bytes"`
	Matches      [7]int64 `json:"matches"`
}

// sample is one timed process.
type sample struct {
	wall    float64 // process wall time, s
	inner   float64 // time the process reports for the work itself, s (0: none)
	cpu     float64 // user+sys, s
	maxRSS  int64   // bytes
	outRows int64
}

func (s sample) time() float64 {
	if s.inner > 0 {
		return s.inner
	}
	return s.wall
}

type engine struct {
	name    string
	note    string
	inBytes int64
	samples []sample
}

func main() {
	dataDir := flag.String("data", "", "directory written by ./gen (meta.json, utterances.arrows, utterances.parquet)")
	workDir := flag.String("work", "", "scratch directory (dsbuild project and store, outputs); created, left for the caller to remove")
	dsbuild := flag.String("dsbuild", "dsbuild", "dsbuild binary")
	duck := flag.String("duck", "duck", "duck binary (./duck)")
	naive := flag.String("naive", "naive", "naive binary (./naive)")
	runs := flag.Int("runs", 3, "timed samples per engine")
	maxEmpathy := flag.Int("max-empathy", 3, "the query's threshold: empathy < max-empathy")
	flag.Parse()
	if err := run(*dataDir, *workDir, *dsbuild, *duck, *naive, *runs, *maxEmpathy); err != nil {
		fmt.Fprintln(os.Stderr, "filter bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "== "+format+"\n", args...) }

// runProc runs argv with env added, returns its wall time, CPU time, peak
// RSS, and stdout.
func runProc(dir string, env []string, argv ...string) (sample, []byte, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	var s sample
	s.wall = wall
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		s.maxRSS = ru.Maxrss * 1024
		s.cpu = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
	}
	if err != nil {
		return s, stdout.Bytes(), fmt.Errorf("%s: %v\n%s%s", strings.Join(argv, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return s, append(stdout.Bytes(), stderr.Bytes()...), nil
}

// forget removes a node's key manifest and its result blob from the store,
// so that the next build runs the node again and stores a new blob, as after
// a real change (fsync and rename included), rather than finding the blob
// already there.
func forget(store string, lock []byte, node string) error {
	block := regexp.MustCompile(`(?s)node "` + regexp.QuoteMeta(node) + `" \{.*?\n\}`).Find(lock)
	key := regexp.MustCompile(`\n\s*key\s*=\s*"sha256:([0-9a-f]{64})"`).FindSubmatch(block)
	blob := regexp.MustCompile(`\n\s*blob\s*=\s*"sha256:([0-9a-f]{64})"`).FindSubmatch(block)
	if key == nil || blob == nil {
		return fmt.Errorf("no key or blob for %s in the lock", node)
	}
	if err := os.Remove(filepath.Join(store, "keys", "sha256", string(key[1]))); err != nil {
		return fmt.Errorf("forgetting %s: %w (has the store layout changed? DESIGN §3)", node, err)
	}
	// Blobs are read-only files; removing one needs only the directory.
	if err := os.Remove(filepath.Join(store, "blobs", "sha256", string(blob[1]))); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("forgetting %s's blob: %w", node, err)
	}
	return nil
}

func parquetRows(path string) (int64, error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.NumRows(), nil
}

func run(dataDir, workDir, dsbuild, duck, naive string, runs, maxEmpathy int) error {
	if dataDir == "" || workDir == "" {
		return fmt.Errorf("-data and -work are required")
	}
	var m meta
	js, err := os.ReadFile(filepath.Join(dataDir, "meta.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return err
	}
	if maxEmpathy < 0 || maxEmpathy >= len(m.Matches) {
		return fmt.Errorf("-max-empathy must be in 0..%d", len(m.Matches)-1)
	}
	want := m.Matches[maxEmpathy]
	arrowPath, _ := filepath.Abs(filepath.Join(dataDir, m.ArrowFile))
	pqPath, _ := filepath.Abs(filepath.Join(dataDir, m.ParquetFile))
	for _, p := range []*string{&workDir, &dsbuild, &duck, &naive} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}

	// ---- dsbuild project ----------------------------------------------------
	proj := filepath.Join(workDir, "proj")
	store := filepath.Join(workDir, "store")
	if err := os.MkdirAll(filepath.Join(proj, "lockfiles"), 0o755); err != nil {
		return err
	}
	recipe := fmt.Sprintf(`# Generated by bench/filter: %d ESConv-like utterances, Arrow IPC stream.
variable "max_empathy" {
  default = %d
}

fetch "u" {
  url    = "file://%s"
  digest = "sha256:%s"
  format = "arrow"
}

filter "f" {
  input = fetch.u
  where = empathy < var.max_empathy && speaker == "supporter"
}

output "o" {
  input = filter.f
  path  = "out/filtered.parquet"
}
`, m.Rows, maxEmpathy, arrowPath, m.ArrowSHA256)
	if err := os.WriteFile(filepath.Join(proj, "filter.hcl"), []byte(recipe), 0o644); err != nil {
		return err
	}
	// Two more projects over the same store: the same output with snappy
	// (DuckDB's default codec), and the filter alone, whose result stays in
	// dsbuild's cache as an Arrow IPC artifact (IPC cache → cached output).
	projSnappy := filepath.Join(workDir, "proj-snappy")
	projIPC := filepath.Join(workDir, "proj-ipc")
	snappyRecipe := strings.Replace(recipe, `path  = "out/filtered.parquet"`, "path  = \"out/filtered.parquet\"\n  compression = \"snappy\"", 1)
	ipcRecipe := recipe[:strings.Index(recipe, `output "o"`)]
	for dir, text := range map[string]string{projSnappy: snappyRecipe, projIPC: ipcRecipe} {
		if err := os.MkdirAll(filepath.Join(dir, "lockfiles"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "filter.hcl"), []byte(text), 0o644); err != nil {
			return err
		}
	}
	dsEnv := []string{"DSBUILD_CACHE=" + store}
	dsArgsIn := func(dir string, threshold int) []string {
		return []string{dsbuild, "build", "filter.hcl", "--project", dir, "--var", fmt.Sprintf("max_empathy=%d", threshold)}
	}
	dsArgs := func(threshold int) []string { return dsArgsIn(proj, threshold) }
	lockPath := filepath.Join(proj, "lockfiles", "filter.lock")
	outPath := filepath.Join(proj, "out", "filtered.parquet")

	warmThreshold := maxEmpathy - 1
	if warmThreshold < 0 {
		warmThreshold = maxEmpathy + 1
	}
	logf("dsbuild: cold build (fetch decodes %.2f GB of Arrow IPC into the store), max_empathy=%d", float64(m.ArrowBytes)/1e9, warmThreshold)
	cold, out, err := runProc(proj, dsEnv, dsArgs(warmThreshold)...)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s   %.2fs wall, peak RSS %.0f MiB\n", indent(out), cold.wall, mib(cold.maxRSS))
	for _, dir := range []string{projSnappy, projIPC} {
		logf("dsbuild: warm-up of %s (fetch is cached)", filepath.Base(dir))
		if _, _, err := runProc(dir, dsEnv, dsArgsIn(dir, warmThreshold)...); err != nil {
			return err
		}
	}

	ds := &engine{name: "dsbuild", note: "CLI, fetch cached; filter+output run (IPC store blob → Parquet zstd)", inBytes: m.ArrowBytes}
	dsS := &engine{name: "dsbuild-snappy", note: "same, output compression = \"snappy\" (DuckDB's default codec)", inBytes: m.ArrowBytes}
	dsI := &engine{name: "dsbuild-ipc", note: "CLI, fetch cached; the filter node alone: IPC store blob → cached IPC artifact", inBytes: m.ArrowBytes}
	dk := &engine{name: "duckdb", note: "COPY ... (FORMAT parquet): snappy; time of the COPY in Go", inBytes: m.ParquetBytes}
	dz := &engine{name: "duckdb-zstd", note: "same, COMPRESSION zstd (dsbuild's codec)", inBytes: m.ParquetBytes}
	dkA := &engine{name: "duckdb-arrow", note: "COPY from the Arrow IPC stream dsbuild reads: arrow-go reader -> DuckDB Arrow view, snappy; filter pushdown off (duckdb-go's view ignores pushed filters and returned all 10M rows)", inBytes: m.ArrowBytes}
	nv := &engine{name: "naive", note: "arrow-go IPC → compute.FilterRecordBatch → pqarrow zstd, 1 goroutine", inBytes: m.ArrowBytes}

	duckRun := func(e *engine, out string, extra ...string) (sample, error) {
		in := pqPath
		if slices.Contains(extra, "-arrow") {
			in = arrowPath
		}
		args := append([]string{duck, "-in", in, "-out", out, "-max-empathy", fmt.Sprint(maxEmpathy)}, extra...)
		s, stdout, err := runProc(workDir, nil, args...)
		if err != nil {
			return s, err
		}
		var r struct {
			Seconds float64 `json:"seconds"`
			Threads int     `json:"threads"`
		}
		if err := json.Unmarshal(firstLine(stdout), &r); err != nil {
			return s, fmt.Errorf("duck output %q: %v", stdout, err)
		}
		s.inner = r.Seconds
		if e != nil && !strings.Contains(e.note, "threads") {
			e.note += fmt.Sprintf(", %d threads", r.Threads)
		}
		return s, nil
	}
	naiveRun := func(out string) (sample, error) {
		s, stdout, err := runProc(workDir, nil, naive, "-in", arrowPath, "-out", out, "-max-empathy", fmt.Sprint(maxEmpathy))
		if err != nil {
			return s, err
		}
		var r struct {
			Seconds float64 `json:"seconds"`
		}
		if err := json.Unmarshal(firstLine(stdout), &r); err != nil {
			return s, fmt.Errorf("naive output %q: %v", stdout, err)
		}
		s.inner = r.Seconds
		return s, nil
	}
	check := func(name, path string, s *sample) error {
		n, err := parquetRows(path)
		if err != nil {
			return fmt.Errorf("%s output: %w", name, err)
		}
		if n != want {
			return fmt.Errorf("%s wrote %d rows, want %d", name, n, want)
		}
		s.outRows = n
		return os.Remove(path)
	}

	// One unmeasured warm-up of the others, as dsbuild had its cold build:
	// every input is then in the page cache.
	logf("warm-up: duckdb, naive")
	duckOut := filepath.Join(workDir, "duckdb.parquet")
	naiveOut := filepath.Join(workDir, "naive.parquet")
	if _, err := duckRun(nil, duckOut); err != nil {
		return err
	}
	if _, err := naiveRun(naiveOut); err != nil {
		return err
	}

	for i := 0; i < runs; i++ {
		logf("sample %d/%d", i+1, runs)
		if i > 0 {
			// Forget the filter and output results so they run again.
			lock, err := os.ReadFile(lockPath)
			if err != nil {
				return err
			}
			for _, node := range []string{"filter.f", "output.o"} {
				if err := forget(store, lock, node); err != nil {
					return fmt.Errorf("%s: %w", lockPath, err)
				}
			}
		}
		s, out, err := runProc(proj, dsEnv, dsArgs(maxEmpathy)...)
		if err != nil {
			return err
		}
		text := string(out)
		for _, line := range []string{`cached\s+fetch\.u\b`, `ran\s+filter\.f\b`, `ran\s+output\.o\b`} {
			if !regexp.MustCompile(`(?m)^` + line).MatchString(text) {
				return fmt.Errorf("dsbuild sample %d: expected %q in its output:\n%s", i+1, line, text)
			}
		}
		fmt.Fprint(os.Stderr, indent(out))
		if err := check("dsbuild", outPath, &s); err != nil {
			return err
		}
		ds.samples = append(ds.samples, s)

		for _, v := range []struct {
			e     *engine
			dir   string
			nodes []string
		}{{dsS, projSnappy, []string{"filter.f", "output.o"}}, {dsI, projIPC, []string{"filter.f"}}} {
			vlock := filepath.Join(v.dir, "lockfiles", "filter.lock")
			// The projects share the store and the filter's key: forget it
			// (and this project's output) whichever lock last recorded it.
			for _, dir := range []string{proj, projSnappy, projIPC} {
				if lock, err := os.ReadFile(filepath.Join(dir, "lockfiles", "filter.lock")); err == nil {
					for _, node := range v.nodes {
						if node == "output.o" && dir != v.dir {
							continue
						}
						forget(store, lock, node)
					}
				}
			}
			s, out, err := runProc(v.dir, dsEnv, dsArgsIn(v.dir, maxEmpathy)...)
			if err != nil {
				return err
			}
			if !regexp.MustCompile(`(?m)^ran\s+filter\.f\b`).Match(out) {
				return fmt.Errorf("%s sample %d: the filter did not run:\n%s", v.e.name, i+1, out)
			}
			fmt.Fprint(os.Stderr, indent(out))
			if v.e == dsI {
				lock, err := os.ReadFile(vlock)
				if err != nil {
					return err
				}
				mm := regexp.MustCompile(`(?s)node "filter\.f" \{.*?\n\s*rows\s*=\s*(\d+)`).FindSubmatch(lock)
				if mm == nil || string(mm[1]) != fmt.Sprint(want) {
					return fmt.Errorf("dsbuild-ipc: filter.f rows %q, want %d", mm, want)
				}
				s.outRows = want
			} else if err := check(v.e.name, filepath.Join(v.dir, "out", "filtered.parquet"), &s); err != nil {
				return err
			}
			v.e.samples = append(v.e.samples, s)
		}

		if s, err = duckRun(dk, duckOut); err != nil {
			return err
		}
		if err := check("duckdb", duckOut, &s); err != nil {
			return err
		}
		dk.samples = append(dk.samples, s)

		if s, err = duckRun(dkA, duckOut, "-arrow"); err != nil {
			return err
		}
		if err := check("duckdb-arrow", duckOut, &s); err != nil {
			return err
		}
		dkA.samples = append(dkA.samples, s)

		if s, err = duckRun(dz, duckOut, "-compression", "zstd"); err != nil {
			return err
		}
		if err := check("duckdb-zstd", duckOut, &s); err != nil {
			return err
		}
		dz.samples = append(dz.samples, s)

		if s, err = naiveRun(naiveOut); err != nil {
			return err
		}
		if err := check("naive", naiveOut, &s); err != nil {
			return err
		}
		nv.samples = append(nv.samples, s)
	}

	// ---- report ---------------------------------------------------------------
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if mm := regexp.MustCompile(`(?m)^model name\s*:\s*(.*)$`).FindSubmatch(b); mm != nil {
			cpu = string(mm[1])
		}
	}
	fmt.Printf("\nfilter benchmark: %d rows (%.1f%% kept: %d), %d samples each (median), %d cores (%s)\n",
		m.Rows, 100*float64(want)/float64(m.Rows), want, runs, runtime.NumCPU(), cpu)
	fmt.Printf("inputs: Arrow IPC stream %.2f GB (dsbuild, duckdb-arrow, naive), Parquet snappy %.2f GB (duckdb, duckdb-zstd)\n",
		float64(m.ArrowBytes)/1e9, float64(m.ParquetBytes)/1e9)
	fmt.Printf("dsbuild cold build (fetch+filter+output, max_empathy=%d): %.2f s, peak RSS %.0f MiB\n\n", warmThreshold, cold.wall, mib(cold.maxRSS))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\ttime s\tmin-max s\tproc wall s\tCPU s\tMrows/s\tin GB/s\tpeak RSS MiB\tdsbuild/engine\t")
	dsT := median(ds.samples, sample.time)
	for _, e := range []*engine{ds, dsS, dsI, dk, dkA, dz, nv} {
		t := median(e.samples, sample.time)
		lo, hi := minMax(e.samples, sample.time)
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f-%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%.0f\t%.2fx\t\n",
			e.name, t, lo, hi, median(e.samples, func(s sample) float64 { return s.wall }),
			median(e.samples, func(s sample) float64 { return s.cpu }),
			float64(m.Rows)/t/1e6, float64(e.inBytes)/t/1e9,
			mib(int64(maxOf(e.samples, func(s sample) float64 { return float64(s.maxRSS) }))), dsT/t)
	}
	tw.Flush()
	fmt.Println()
	for _, e := range []*engine{ds, dsS, dsI, dk, dkA, dz, nv} {
		fmt.Printf("  %-15s %s\n", e.name, e.note)
	}
	dkT := median(dk.samples, sample.time)
	dsRSS := maxOf(ds.samples, func(s sample) float64 { return float64(s.maxRSS) })
	fmt.Printf("\ntime = dsbuild process wall; duckdb/naive: the work timed inside the process (proc wall includes start-up)\n")
	fmt.Printf("floor dsbuild <= 0.5x duckdb: %.2fx -> %s;  peak RSS < 1 GiB: %.0f MiB -> %s\n",
		dsT/dkT, passFail(dsT <= 0.5*dkT), dsRSS/(1<<20), passFail(dsRSS < 1<<30))
	for _, e := range []*engine{dsS, dsI} {
		t := median(e.samples, sample.time)
		rss := maxOf(e.samples, func(s sample) float64 { return float64(s.maxRSS) })
		fmt.Printf("      %s <= 0.5x duckdb: %.2fx -> %s;  peak RSS %.0f MiB -> %s\n",
			e.name, t/dkT, passFail(t <= 0.5*dkT), rss/(1<<20), passFail(rss < 1<<30))
	}
	// The same floor against DuckDB reading the same input as dsbuild.
	dkAT := median(dkA.samples, sample.time)
	for _, e := range []*engine{ds, dsS, dsI} {
		t := median(e.samples, sample.time)
		fmt.Printf("      %s <= 0.5x duckdb-arrow (same Arrow IPC input): %.2fx -> %s\n", e.name, t/dkAT, passFail(t <= 0.5*dkAT))
	}
	return nil
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func minMax(ss []sample, f func(sample) float64) (float64, float64) {
	lo, hi := f(ss[0]), f(ss[0])
	for _, s := range ss[1:] {
		lo, hi = min(lo, f(s)), max(hi, f(s))
	}
	return lo, hi
}

func maxOf(ss []sample, f func(sample) float64) float64 {
	_, hi := minMax(ss, f)
	return hi
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

func indent(b []byte) string {
	var sb strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		sb.WriteString("   " + l + "\n")
	}
	return sb.String()
}
