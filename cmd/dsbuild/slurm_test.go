package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests of the Slurm executor (issue 15) against a real cluster: the
// one-machine cluster .ci/slurm.sh starts (DSBUILD_TEST_SLURM=1). Every
// dsbuild here, the driver and the jobs Slurm runs, is this test binary
// acting as dsbuild (DSBUILD_TEST_AS_DSBUILD=1, which sbatch passes on to
// the jobs with the rest of the environment).

func init() {
	if os.Getenv("DSBUILD_TEST_AS_DSBUILD") == "1" {
		os.Exit(mainArgs(os.Args[1:]))
	}
}

func needSlurm(t *testing.T) {
	t.Helper()
	if os.Getenv("DSBUILD_TEST_SLURM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DSBUILD_TEST_SLURM is unset under CI=true: .ci/run must start the cluster (.ci/slurm.sh start)")
		}
		t.Skip("no Slurm cluster (DSBUILD_TEST_SLURM unset)")
	}
}

type slurmProject struct {
	dir, cache string
}

// newSlurmProject lays out a project with recipes/r.hcl and data files.
func newSlurmProject(t *testing.T, recipe string, files map[string][]byte) *slurmProject {
	t.Helper()
	p := &slurmProject{dir: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	for name, b := range files {
		must(t, os.WriteFile(filepath.Join(p.dir, name), b, 0o644))
	}
	p.setRecipe(t, recipe)
	return p
}

func (p *slurmProject) setRecipe(t *testing.T, recipe string) {
	must(t, os.WriteFile(p.recipe(), []byte(recipe), 0o644))
}

func (p *slurmProject) recipe() string { return filepath.Join(p.dir, "recipes", "r.hcl") }
func (p *slurmProject) lock() string   { return filepath.Join(p.dir, "lockfiles", "r.lock") }

// command is dsbuild ARGS --cache STORE as a child process.
func (p *slurmProject) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append(args, "--cache", p.cache)...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "DSBUILD_TEST_AS_DSBUILD=1")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func (p *slurmProject) run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := p.command(env, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func (p *slurmProject) build(t *testing.T, args ...string) string {
	t.Helper()
	code, out := p.run(t, nil, append([]string{"build", p.recipe()}, args...)...)
	if code != 0 {
		t.Fatalf("dsbuild build %v: exit %d\n%s", args, code, out)
	}
	return out
}

func (p *slurmProject) readLock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.lock())
	must(t, err)
	return string(b)
}

// localLock is the lock a local build of the same project files writes,
// in a copy of the project with a store of its own.
func (p *slurmProject) localLock(t *testing.T) string {
	t.Helper()
	q := &slurmProject{dir: t.TempDir(), cache: t.TempDir()}
	copyTree(t, p.dir, q.dir)
	must(t, os.RemoveAll(filepath.Join(q.dir, "lockfiles")))
	must(t, os.RemoveAll(filepath.Join(q.dir, "out")))
	must(t, os.RemoveAll(filepath.Join(q.dir, ".dsbuild")))
	must(t, os.MkdirAll(filepath.Join(q.dir, "lockfiles"), 0o755))
	if out := q.build(t, "--executor", "local"); strings.Contains(out, "submitted") {
		t.Fatalf("a local build submitted a job:\n%s", out)
	}
	return q.readLock(t)
}

const slurmSmallRecipe = `executor "slurm" {
  poll = "100ms"
}

fetch "d" {
  url = "../d.csv"
}

filter "f" {
  input = fetch.d
  where = a == "x"
  resources {
    cpus = 1
    mem  = "200M"
  }
}

output "o" {
  input = filter.f
  path  = "out/o.csv"
}
`

var slurmSmallData = map[string][]byte{"d.csv": []byte("a,b\nx,1\ny,2\nx,3\n")}

var submittedRE = regexp.MustCompile(`submitted (\S+) as job (?:array )?(\d+)`)

// A recipe built on the cluster gives the lock a local build gives, byte
// for byte; the second build finds everything in the store and submits
// nothing.
func TestSlurmBuildLockMatchesLocal(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	p := newSlurmProject(t, slurmSmallRecipe, slurmSmallData)
	out := p.build(t, "--executor", "slurm")
	subs := submittedRE.FindAllStringSubmatch(out, -1)
	if len(subs) != 2 || subs[0][1] != "fetch.d" || subs[1][1] != "filter.f" {
		t.Fatalf("want one job for fetch.d and one for filter.f:\n%s", out)
	}
	if got, want := p.readLock(t), p.localLock(t); got != want {
		t.Fatalf("lock of the Slurm build differs from the local build's:\n--- slurm\n%s\n--- local\n%s", got, want)
	}
	for _, s := range subs {
		log := filepath.Join(p.dir, ".dsbuild", "slurm", s[1]+"-"+s[2]+".log")
		if b, err := os.ReadFile(log); err != nil || !strings.Contains(string(b), "ran") {
			t.Errorf("job log %s: %v\n%s", log, err, b)
		}
	}
	again := p.build(t) // the executor block selects slurm
	if strings.Contains(again, "submitted") || !strings.Contains(again, "nothing to do") {
		t.Fatalf("second build submitted jobs or ran nodes:\n%s", again)
	}
}

// shardRecipe is a select and a filter over 150,000 rows (three stored
// batches) split into SHARDS jobs each; row_number() shows that each shard
// counts its rows from its range's start.
const shardRecipe = `executor "slurm" {
  poll = "100ms"
}

fetch "d" {
  url    = "../d.csv"
  schema = { id = "int64" }
}

select "s" {
  input  = fetch.d
  derive = { n = row_number(), tag = upper(word) }
  shards = %[1]d
}

filter "f" {
  input  = select.s
  where  = n %% 3 != 0 && id %% 7 != 1
  shards = %[1]d
}

output "o" {
  input = filter.f
  path  = "out/o.parquet"
}
`

func shardData() map[string][]byte {
	var b bytes.Buffer
	b.WriteString("id,word\n")
	for i := range 150000 {
		fmt.Fprintf(&b, "%d,w%d\n", (i*7919)%100003, i%13)
	}
	return map[string][]byte{"d.csv": b.Bytes()}
}

// A node split into 4 shards gives the artifact (blob and logical digest),
// output and lock entries of the same node unsplit; shards never enter a
// key.
func TestSlurmShardsGiveTheUnshardedArtifact(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	data := shardData()
	p := newSlurmProject(t, fmt.Sprintf(shardRecipe, 4), data)
	out := p.build(t, "--executor", "slurm")
	if n := strings.Count(out, "as job array"); n != 2 || !strings.Contains(out, "shards [0 1 2 3] of 4") {
		t.Fatalf("want select.s and filter.f as arrays of 4 shards:\n%s", out)
	}
	sharded := p.readLock(t)
	if local := p.localLock(t); sharded != local {
		t.Fatalf("lock of the sharded Slurm build differs from the local build's:\n--- slurm\n%s\n--- local\n%s", sharded, local)
	}
	one := newSlurmProject(t, fmt.Sprintf(shardRecipe, 1), data)
	one.build(t, "--executor", "local")
	if got, want := withoutFileDigests(sharded), withoutFileDigests(one.readLock(t)); got != want {
		t.Fatalf("shards = 4 and shards = 1 give different nodes:\n--- 4\n%s\n--- 1\n%s", got, want)
	}
}

// withoutFileDigests drops the recipe file block of a lock: the recipes
// compared differ in their shards, nothing else.
func withoutFileDigests(lock string) string {
	var keep []string
	skip := false
	for _, l := range strings.Split(lock, "\n") {
		switch {
		case strings.HasPrefix(l, "file "):
			skip = true
		case skip && l == "}":
			skip = false
		case !skip:
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// startBuild starts a Slurm build held by a test hook, and returns it with
// a scanner of its output.
func startSlurmBuild(t *testing.T, p *slurmProject, hook string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	cmd := p.command([]string{"DSBUILD_TEST_HOOK=pause-at:" + hook}, "build", p.recipe(), "--executor", "slurm")
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(stderr), &bytes.Buffer{}
}

// waitSubmitted reads the build's output until node's job is submitted,
// and returns its job id and log path.
func waitSubmitted(t *testing.T, sc *bufio.Scanner, seen *bytes.Buffer, p *slurmProject, node string) (string, string) {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		seen.WriteString(line + "\n")
		if m := submittedRE.FindStringSubmatch(line); m != nil && m[1] == node {
			return m[2], filepath.Join(p.dir, ".dsbuild", "slurm", node+"-"+m[2])
		}
	}
	t.Fatalf("the build ended before submitting %s:\n%s", node, seen)
	return "", ""
}

// waitPaused waits until a job's log shows it held at the test hook. The
// deadline only turns a hang into a failure.
func waitPaused(t *testing.T, log string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(log); bytes.Contains(b, []byte("dsbuild-test-hook: paused at")) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job log %s never showed the job held at the hook", log)
}

func finish(t *testing.T, cmd *exec.Cmd, sc *bufio.Scanner, seen *bytes.Buffer) (int, string) {
	t.Helper()
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), seen.String()
}

// A job cancelled while it runs (scancel, as an admin or a preemption
// would) is submitted again, once, and the build succeeds with the lock a
// local build writes.
func TestSlurmCancelledJobIsRetried(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	p := newSlurmProject(t, slurmSmallRecipe, slurmSmallData)
	// Attempt 1 of filter.f holds at the hook; attempt 2 does not.
	cmd, sc, seen := startSlurmBuild(t, p, "run-node:filter.f:1")
	id, log := waitSubmitted(t, sc, seen, p, "filter.f")
	waitPaused(t, log+".log")
	if out, err := exec.Command("scancel", id).CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v\n%s", id, err, out)
	}
	code, out := finish(t, cmd, sc, seen)
	if code != 0 {
		t.Fatalf("exit %d after one cancelled job:\n%s", code, out)
	}
	if want := regexp.MustCompile(`job ` + id + ` \(filter\.f\) was cancelled \[slurm: state CANCELLED[^\]]*\]; submitting it again \(retry 1 of 1\)`); !want.MatchString(out) {
		t.Fatalf("want %s:\n%s", want, out)
	}
	if n := len(submittedRE.FindAllString(out, -1)); n != 3 {
		t.Fatalf("want 3 jobs submitted (fetch, filter, filter again), got %d:\n%s", n, out)
	}
	if got, want := p.readLock(t), p.localLock(t); got != want {
		t.Fatalf("lock after a retried job differs from the local build's:\n--- slurm\n%s\n--- local\n%s", got, want)
	}
}

// A node whose job Slurm takes away on every attempt (here: cancelled
// twice) stops the build after its one retry: exit 1, both jobs named, no
// lock, and a store with nothing partial in it.
func TestSlurmNodeTakenAwayTwiceStopsTheBuild(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	p := newSlurmProject(t, slurmSmallRecipe, slurmSmallData)
	cmd, sc, seen := startSlurmBuild(t, p, "run-node:filter.f")
	var ids []string
	for range 2 {
		id, log := waitSubmitted(t, sc, seen, p, "filter.f")
		waitPaused(t, log+".log")
		if out, err := exec.Command("scancel", id).CombinedOutput(); err != nil {
			t.Fatalf("scancel %s: %v\n%s", id, err, out)
		}
		ids = append(ids, id)
	}
	code, out := finish(t, cmd, sc, seen)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	want := regexp.MustCompile(`job ` + ids[1] + ` \(filter\.f\) was cancelled \[[^\]]*\] on attempt 2 \(earlier: job ` + ids[0] + ` was cancelled \[[^\]]*\] \(log: \S+filter\.f-` + ids[0] + `\.log\)\); log: \S+filter\.f-` + ids[1] + `\.log`)
	if !want.MatchString(out) {
		t.Fatalf("want %s in:\n%s", want, out)
	}
	if _, err := os.Stat(p.lock()); err == nil {
		t.Fatal("a failed build wrote the lock")
	}
	assertStoreIntact(t, p.cache)
	if left := treeFiles(t, filepath.Join(p.cache, "ingest")); len(left) > 0 {
		t.Fatalf("temp files left in the store: %v", left)
	}
}

// A node whose job always fails is reported with its job id, exit code
// and log path, once, and the build exits 1 with a store a next build can
// trust (nothing partial in it).
func TestSlurmFailingNodeIsReported(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	recipe := strings.Replace(slurmSmallRecipe, `where = a == "x"`, `where = tonumber(a) > 0
  strict = true`, 1)
	p := newSlurmProject(t, recipe, slurmSmallData)
	code, out := p.run(t, nil, "build", p.recipe(), "--executor", "slurm")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	m := regexp.MustCompile(`job (\d+) \(filter\.f\) failed: dsbuild run-node exit code 1; log: (\S+\.log)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no report naming the job, its exit code and log:\n%s", out)
	}
	if want := filepath.Join(p.dir, ".dsbuild", "slurm", "filter.f-"+m[1]+".log"); m[2] != want {
		t.Fatalf("log path %s, want %s", m[2], want)
	}
	if b, err := os.ReadFile(m[2]); err != nil || !strings.Contains(string(b), "tonumber") {
		t.Fatalf("the job log does not hold the op's error: %v\n%s", err, b)
	}
	if strings.Count(out, "submitted filter.f") != 1 {
		t.Fatalf("a failing op is not a job Slurm took away: it must not be retried:\n%s", out)
	}
	if _, err := os.Stat(p.lock()); err == nil {
		t.Fatal("a failed build wrote the lock")
	}
	assertStoreIntact(t, p.cache)
	if left := treeFiles(t, filepath.Join(p.cache, "ingest")); len(left) > 0 {
		t.Fatalf("temp files left in the store: %v", left)
	}
}

// Ctrl-C (SIGINT) during a Slurm build cancels every job it submitted:
// after it exits 130, Slurm lists none of them as pending or running.
func TestSlurmInterruptCancelsEveryJob(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	recipe := strings.Replace(slurmSmallRecipe, `  resources {`, `  shards = 2
  resources {`, 1)
	p := newSlurmProject(t, recipe, slurmSmallData)
	cmd, sc, seen := startSlurmBuild(t, p, "run-node:filter.f:1")
	id, log := waitSubmitted(t, sc, seen, p, "filter.f")
	waitPaused(t, log+"_0.log")
	must(t, cmd.Process.Signal(syscall.SIGINT))
	code, out := finish(t, cmd, sc, seen)
	if code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130:\n%s", code, out)
	}
	q, err := exec.Command("squeue", "-h", "-r", "-t", "PENDING,RUNNING,SUSPENDED,CONFIGURING", "-o", "%i %T", "-j", id).CombinedOutput()
	if err != nil && !strings.Contains(string(q), "Invalid job id") {
		t.Fatalf("squeue: %v\n%s", err, q)
	}
	if strings.TrimSpace(string(q)) != "" && !strings.Contains(string(q), "Invalid job id") {
		t.Fatalf("jobs of the interrupted build still queued or running:\n%s\nbuild output:\n%s", q, out)
	}
	if !strings.Contains(out, "cancelled 2 job(s): "+id+"_0 "+id+"_1") && !strings.Contains(out, "cancelled 2 job(s): "+id+"_1 "+id+"_0") {
		t.Fatalf("the build did not report cancelling both shards' jobs:\n%s", out)
	}
	assertStoreIntact(t, p.cache)
}

// Resources, extra sbatch flags and shards say where and how a node runs,
// not what it gives: changing them changes no key, so nothing runs again
// (no cluster needed).
func TestResourcesAndShardsNeverEnterKeys(t *testing.T) {
	recipe := strings.Replace(slurmSmallRecipe, `  resources {`, `  shards = 2
  resources {`, 1)
	p := newSlurmProject(t, recipe, slurmSmallData)
	p.build(t, "--executor", "local")
	before := p.readLock(t)
	edited := strings.Replace(slurmSmallRecipe, `    cpus = 1
    mem  = "200M"`, `    cpus         = 2
    mem          = "1G"
    time         = "10:00"
    partition    = "gpu"
    gres         = "gpu:1"
    account      = "lab"
    qos          = "high"
    sbatch_flags = ["--exclusive", "--constraint=a100"]`, 1)
	edited = strings.Replace(edited, `  resources {`, `  shards = 7
  resources {`, 1)
	p.setRecipe(t, edited)
	out := p.build(t, "--executor", "local")
	if !strings.Contains(out, "nothing to do: all 3 nodes cached") {
		t.Fatalf("changing resources or shards ran nodes again:\n%s", out)
	}
	if got := p.readLock(t); withoutFileDigests(got) != withoutFileDigests(before) || got == before {
		t.Fatalf("the lock changed beyond the recipe's digest:\n--- before\n%s\n--- after\n%s", before, got)
	}
}

// shards on a kind that is not row-wise, and settings the executor block
// does not have, are recipe errors with their place.
func TestPlacementDiagnostics(t *testing.T) {
	recipe := `executor "slurm" {
  retries = -1
  colour  = "red"
}

executor "kubernetes" {}

fetch "d" {
  url = "../d.csv"
  resources {
    cpus = 0
  }
}

fetch "e" {
  url = "../d.csv"
}

sort "s" {
  input  = fetch.e
  by     = ["a"]
  shards = 2
}
`
	p := newSlurmProject(t, recipe, slurmSmallData)
	code, out := p.run(t, nil, "plan", p.recipe())
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, out)
	}
	for _, want := range []string{
		"r.hcl:2:13: error: Invalid executor setting; retries must be a whole number",
		`r.hcl:3:3: error: Unsupported argument; An executor "slurm" block has no argument "colour"`,
		`r.hcl:6:10: error: Unknown executor; There is no executor "kubernetes"`,
		"r.hcl:11:12: error: Invalid cpus",
		"r.hcl:22:12: error: Node cannot be sharded; shards splits a row-wise node",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// run-node runs one node over inputs already in the store and never runs
// an input; a key other than the driver's is refused (no cluster needed).
func TestRunNodePlumbing(t *testing.T) {
	p := newSlurmProject(t, slurmSmallRecipe, slurmSmallData)
	code, out := p.run(t, nil, "run-node", p.recipe(), "filter.f")
	if code != 1 || !strings.Contains(out, "input fetch.d of filter.f") || !strings.Contains(out, "input not in the store") {
		t.Fatalf("run-node without its input in the store: exit %d\n%s", code, out)
	}
	if code, out := p.run(t, nil, "run-node", p.recipe(), "fetch.d"); code != 0 {
		t.Fatalf("run-node fetch.d: exit %d\n%s", code, out)
	}
	// fetch.d is unpinned and there is no lock yet: the driver passes
	// the digest its job measured.
	pin := "fetch.d=" + sha(string(slurmSmallData["d.csv"]))
	bad := "sha256:" + strings.Repeat("0", 64)
	code, out = p.run(t, nil, "run-node", p.recipe(), "filter.f", "--pin", pin, "--key", bad)
	if code != 1 || !strings.Contains(out, "the driver's "+bad+": the recipe or an input changed since the job was submitted") {
		t.Fatalf("run-node with another key: exit %d\n%s", code, out)
	}
	res := filepath.Join(t.TempDir(), "r.json")
	if code, out := p.run(t, nil, "run-node", p.recipe(), "filter.f", "--pin", pin, "--result", res); code != 0 || !strings.Contains(out, "ran") {
		t.Fatalf("run-node filter.f: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(res)
	must(t, err)
	if !strings.Contains(string(b), `"node": "filter.f"`) || !strings.Contains(string(b), `"rows": 2`) {
		t.Fatalf("result file:\n%s", b)
	}
	if code, out := p.run(t, nil, "run-node", p.recipe(), "output.o", "--pin", pin); code != 0 {
		t.Fatalf("run-node output.o: exit %d\n%s", code, out)
	}
	// The lock a build writes from what run-node stored is a local build's.
	out = p.build(t, "--executor", "local")
	if !strings.Contains(out, "nothing to do") {
		t.Fatalf("the build after run-node ran nodes:\n%s", out)
	}
	if got, want := p.readLock(t), p.localLock(t); got != want {
		t.Fatalf("lock differs:\n%s\n---\n%s", got, want)
	}
}

// A shard's stored result found corrupt when the driver assembles the node
// is a cache miss: the shards run again and the build writes the lock it
// would have.
func TestSlurmCorruptShardIsRebuilt(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	recipe := strings.Replace(slurmSmallRecipe, `  resources {`, `  shards = 2
  resources {`, 1)
	p := newSlurmProject(t, recipe, slurmSmallData)
	p.build(t, "--executor", "slurm")
	want := p.readLock(t)
	// Flip a byte of shard 0's blob, and drop filter.f's own result so the
	// driver assembles it again from its shards.
	keys, err := filepath.Glob(filepath.Join(p.cache, "keys", "sha256", "*"))
	must(t, err)
	var shardBlob, nodeKey string
	for _, k := range keys {
		b, err := os.ReadFile(k)
		must(t, err)
		if m := regexp.MustCompile(`"blob": "sha256:([0-9a-f]{64})"`).FindSubmatch(b); m != nil && bytes.Contains(b, []byte(`shard-rows 0 `)) {
			shardBlob = filepath.Join(p.cache, "blobs", "sha256", string(m[1]))
		}
		if bytes.Contains(b, []byte(`\nop filter@1\n`)) && !bytes.Contains(b, []byte("shard-rows")) {
			nodeKey = k
		}
	}
	if shardBlob == "" || nodeKey == "" {
		t.Fatalf("no shard 0 result or no filter.f key in the store (%d keys)", len(keys))
	}
	must(t, os.Chmod(shardBlob, 0o644))
	b, err := os.ReadFile(shardBlob)
	must(t, err)
	b[len(b)/2] ^= 0xff
	must(t, os.WriteFile(shardBlob, b, 0o444))
	must(t, os.Remove(nodeKey))
	out := p.build(t)
	if !strings.Contains(out, "filter.f: shard 0/2 of filter.f:") || !strings.Contains(out, "running its shards again") || strings.Count(out, "submitted filter.f as job array") != 1 {
		t.Fatalf("want the corrupt shard found and both shards run again in one array:\n%s", out)
	}
	if got := p.readLock(t); got != want {
		t.Fatalf("lock after rebuilding a corrupt shard differs:\n%s\n---\n%s", got, want)
	}
	assertStoreIntact(t, p.cache)
}

// vecShardRecipe embeds 150,000 texts and projects them onto a direction
// derived from two of their subsets, embed and vector_project each split
// into SHARDS jobs.
const vecShardRecipe = `executor "slurm" {
  poll = "100ms"
}

fetch "d" {
  url    = "../d.csv"
  schema = { id = "int64" }
}

select "t" {
  input  = fetch.d
  derive = { text = concat("word ", word, " id ", cast(id %% 97, "string")) }
}

embed "e" {
  input  = select.t
  model  = "hash-64"
  shards = %[1]d
}

filter "pos" {
  input = embed.e
  where = id %% 2 == 0
}

filter "neg" {
  input = embed.e
  where = id %% 2 == 1
}

vectors "v" {
  positive = filter.pos
  negative = filter.neg
}

vector_project "p" {
  input       = embed.e
  vectors     = [vectors.v]
  drop_column = true
  shards      = %[1]d
}

output "o" {
  input = vector_project.p
  path  = "out/o.parquet"
}
`

// embed and vector_project split into 3 shards give the artifacts of the
// same nodes unsplit.
func TestSlurmShardedEmbedAndProjection(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	data := shardData()
	p := newSlurmProject(t, fmt.Sprintf(vecShardRecipe, 3), data)
	out := p.build(t, "--executor", "slurm")
	if n := strings.Count(out, "as job array"); n != 2 || !strings.Contains(out, "shards [0 1 2] of 3") {
		t.Fatalf("want embed.e and vector_project.p as arrays of 3 shards:\n%s", out)
	}
	one := newSlurmProject(t, fmt.Sprintf(vecShardRecipe, 1), data)
	one.build(t, "--executor", "local")
	if got, want := withoutFileDigests(p.readLock(t)), withoutFileDigests(one.readLock(t)); got != want {
		t.Fatalf("shards = 3 and shards = 1 give different nodes:\n--- 3\n%s\n--- 1\n%s", got, want)
	}
}
