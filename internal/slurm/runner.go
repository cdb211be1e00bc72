package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// Options configure a Runner.
type Options struct {
	Plan *graph.Plan
	// Exec are the driver's options: its store (the one the jobs share)
	// for lookups and assembling shards, and everything the nodes that run
	// in the driver (outputs) need.
	Exec   graph.ExecOptions
	Config Config
	// Recipe is the recipe's absolute path, as the jobs load it.
	Recipe string
	// RunArgs are the flags every `dsbuild run-node` gets besides the
	// recipe and the node: --cache, --project, -var, --mirror, ...
	RunArgs []string
	// Logf prints progress lines (job ids, states, retries).
	Logf func(format string, args ...any)
}

// Runner is a graph.Runner that runs every node not cached as a Slurm job,
// except outputs, which the driver writes itself from the store.
type Runner struct {
	o      Options
	local  graph.Runner
	dir    string // absolute log dir
	script string
	bin    string

	mu        sync.Mutex
	active    map[string]*job // submitted, not seen finished
	pins      map[string]digest.Digest
	cancelled bool
	submitted int
	wake      chan struct{}
	stop      chan struct{}
	started   bool

	cancelMu sync.Mutex
}

// New makes a Runner; Close stops it.
func New(o Options) (*Runner, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	dir := o.Config.LogDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(o.Plan.ProjectDir, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm log dir: %w", err)
	}
	bin := o.Config.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding the dsbuild binary for the jobs: %w (set dsbuild = \"/path\" in the executor block)", err)
		}
		bin = exe
	}
	script := filepath.Join(dir, "dsbuild-job.sh")
	if err := writeFileAtomic(script, []byte(jobScript), 0o755); err != nil {
		return nil, err
	}
	local := o.Exec
	local.Jobs = max(1, min(local.Jobs, 4))
	r := &Runner{o: o, local: graph.InProcess(o.Plan, local), dir: dir, script: script, bin: bin,
		active: map[string]*job{}, pins: map[string]digest.Digest{}, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	return r, nil
}

// jobScript runs one node (or one shard: an array task) and leaves its
// exit status in DIR/ID.exit, and run-node's result in DIR/ID.json. It is
// run as `sbatch … dsbuild-job.sh DIR DSBUILD run-node …`.
const jobScript = `#!/bin/sh
# A dsbuild job: written by dsbuild build --executor slurm, run by sbatch.
dir="$1"; shift
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  id="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  set -- "$@" --shard-index "$SLURM_ARRAY_TASK_ID"
else
  id="$SLURM_JOB_ID"
fi
"$@" --result "$dir/$id.json"
code=$?
echo "$code" > "$dir/.$id.exit" && mv -f "$dir/.$id.exit" "$dir/$id.exit"
exit "$code"
`

// Submitted is the number of jobs (array tasks counted one by one)
// submitted so far.
func (r *Runner) Submitted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.submitted
}

// Close stops following jobs.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		close(r.stop)
		r.started = false
	}
}

// Run implements graph.Runner.
func (r *Runner) Run(ctx context.Context, n *graph.Node, in []*graph.Manifest) (*graph.Result, error) {
	if res, err := r.o.Plan.Lookup(ctx, n, r.o.Exec); err != nil || res != nil {
		return res, err
	}
	if _, ok := n.Op.(ops.Sink); ok {
		// An output is a copy of a stored artifact into the project:
		// the driver writes it, as it writes the lock.
		return r.local.Run(ctx, n, in)
	}
	if err := r.o.Plan.TypeCheck(ctx, n, in, r.o.Exec); err != nil {
		return nil, err
	}
	if n.Rec.Shards > 1 && graph.Sharded(n) {
		return r.runSharded(ctx, n, in)
	}
	done, err := r.runJobs(ctx, n, nil)
	if err != nil {
		return nil, err
	}
	if _, ok := n.Op.(ops.Source); ok && n.Key == "" {
		if err := r.learnPin(n, done[0]); err != nil {
			return nil, err
		}
	}
	res, err := r.o.Plan.Lookup(ctx, n, r.o.Exec)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("its job succeeded but left no result under key %s in the store (is the store, --cache, on a filesystem the compute nodes share?)", n.Key)
	}
	res.Cached, res.Restored = false, false
	return res, nil
}

func (r *Runner) runSharded(ctx context.Context, n *graph.Node, in []*graph.Manifest) (*graph.Result, error) {
	shards := graph.Shards(in[0].Rows, n.Rec.Shards)
	var todo []int
	for _, s := range shards {
		if !r.o.Plan.ShardStored(ctx, n, s, r.o.Exec) {
			todo = append(todo, s.Index)
		}
	}
	if len(todo) < len(shards) {
		r.o.Logf("%s: %d of %d shards already in the store", n.ID, len(shards)-len(todo), len(shards))
	}
	for again := false; ; again = true {
		if len(todo) > 0 {
			if _, err := r.runJobs(ctx, n, &shardSet{count: len(shards), todo: todo}); err != nil {
				return nil, err
			}
		}
		res, err := r.o.Plan.Assemble(ctx, n, shards, r.o.Exec)
		if err == nil || again || !store.IsMiss(err) {
			return res, err
		}
		// A shard's stored result is corrupt or gone: a cache miss, so
		// every shard runs again, once.
		r.o.Logf("%s: %v; running its shards again", n.ID, err)
		r.o.Plan.ForgetShards(ctx, n, shards, r.o.Exec)
		todo = todo[:0]
		for _, s := range shards {
			todo = append(todo, s.Index)
		}
	}
}

type shardSet struct {
	count int
	todo  []int
}

// runJobs submits the node's job (or an array of its shards), follows it,
// and submits again what Slurm took away, up to Retries times. It returns
// the jobs that succeeded.
func (r *Runner) runJobs(ctx context.Context, n *graph.Node, shards *shardSet) ([]*job, error) {
	var failures []string
	var done []*job
	for attempt := 1; ; attempt++ {
		jobs, err := r.submit(ctx, n, attempt, shards)
		if err != nil {
			return nil, err
		}
		if err := r.wait(ctx, jobs); err != nil {
			return nil, err
		}
		var again []int
		var fatal []string
		for _, j := range jobs {
			switch {
			case j.out.ok:
				done = append(done, j)
			case j.out.retry && attempt <= r.o.Config.Retries:
				r.o.Logf("job %s (%s) %s; submitting it again (retry %d of %d)", j.id, j.what(), j.out.msg, attempt, r.o.Config.Retries)
				failures = append(failures, fmt.Sprintf("job %s %s (log: %s)", j.id, j.out.msg, j.log))
				again = append(again, j.shard)
			default:
				note := ""
				if attempt > 1 {
					note = fmt.Sprintf(" on attempt %d (earlier: %s)", attempt, strings.Join(failures, "; "))
				}
				fatal = append(fatal, j.failure(note))
			}
		}
		if len(fatal) > 0 {
			r.cancelJobs(jobs)
			return nil, errors.New(strings.Join(fatal, "\n"))
		}
		if len(again) == 0 {
			return done, nil
		}
		if shards != nil {
			shards = &shardSet{count: shards.count, todo: again}
		}
	}
}

// job is one submitted job or array task.
type job struct {
	id, node string
	shard    int // -1: the whole node
	shards   int
	attempt  int
	log      string
	done     chan struct{}
	state    string // last state seen
	missing  int    // polls without the job in squeue
	ended    int    // polls since a final state without an exit file
	out      outcome
}

type outcome struct {
	ok, retry bool
	msg       string // "failed: exit code 1", "was cancelled", ...
}

func (j *job) what() string {
	if j.shard < 0 {
		return j.node
	}
	return fmt.Sprintf("%s shard %d/%d", j.node, j.shard, j.shards)
}

func (j *job) failure(note string) string {
	return fmt.Sprintf("job %s (%s) %s%s; log: %s%s", j.id, j.what(), j.out.msg, note, j.log, logTail(j.log, 8))
}

// submit runs sbatch for the node, or for the shards to do as an array.
func (r *Runner) submit(ctx context.Context, n *graph.Node, attempt int, shards *shardSet) ([]*job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	logName := n.ID + "-%j.log"
	if shards != nil {
		logName = n.ID + "-%A_%a.log"
	}
	args := []string{"--parsable", "--no-requeue", "--job-name=dsbuild:" + n.ID, "--output=" + filepath.Join(r.dir, logName)}
	args = append(args, sbatchArgs(r.o.Config.Defaults, n.Rec.Resources)...)
	if shards != nil {
		idx := make([]string, len(shards.todo))
		for i, s := range shards.todo {
			idx[i] = strconv.Itoa(s)
		}
		args = append(args, "--array="+strings.Join(idx, ","))
	}
	args = append(args, r.script, r.dir, r.bin, "run-node", r.o.Recipe, n.ID)
	args = append(args, r.o.RunArgs...)
	args = append(args, "--key", string(n.Key), "--attempt", strconv.Itoa(attempt))
	r.mu.Lock()
	for _, id := range slices.Sorted(mapKeys(r.pins)) {
		args = append(args, "--pin", id+"="+string(r.pins[id]))
	}
	r.mu.Unlock()
	if shards != nil {
		args = append(args, "--shard-count", strconv.Itoa(shards.count))
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	out, err := command(sctx, "sbatch", args...)
	if err != nil {
		return nil, fmt.Errorf("submitting its job: %w", err)
	}
	base, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.Atoi(base); err != nil {
		return nil, fmt.Errorf("submitting its job: sbatch printed %q, not a job id", out)
	}
	var jobs []*job
	if shards == nil {
		jobs = append(jobs, &job{id: base, node: n.ID, shard: -1, attempt: attempt, log: filepath.Join(r.dir, n.ID+"-"+base+".log")})
	} else {
		for _, s := range shards.todo {
			id := fmt.Sprintf("%s_%d", base, s)
			jobs = append(jobs, &job{id: id, node: n.ID, shard: s, shards: shards.count, attempt: attempt, log: filepath.Join(r.dir, n.ID+"-"+id+".log")})
		}
	}
	r.mu.Lock()
	for _, j := range jobs {
		j.done = make(chan struct{})
		r.active[j.id] = j
	}
	r.submitted += len(jobs)
	cancelled := r.cancelled
	if !r.started {
		r.started = true
		r.stop = make(chan struct{})
		go r.follow(r.stop)
	}
	r.mu.Unlock()
	if shards == nil {
		r.o.Logf("submitted %s as job %s (log %s)", n.ID, base, relLog(r.o.Plan.ProjectDir, jobs[0].log))
	} else {
		r.o.Logf("submitted %s as job array %s, shards %v of %d (logs %s)", n.ID, base, shards.todo, shards.count,
			relLog(r.o.Plan.ProjectDir, filepath.Join(r.dir, n.ID+"-"+base+"_*.log")))
	}
	if cancelled {
		// Cancelled while sbatch ran: this job is not to run either.
		r.cancelJobs(jobs)
		return nil, context.Canceled
	}
	return jobs, nil
}

// wait returns when every job is done, or cancels them when ctx is.
func (r *Runner) wait(ctx context.Context, jobs []*job) error {
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			r.CancelAll()
			return ctx.Err()
		}
	}
	return nil
}

// follow reads the states of the active jobs every Poll until stop.
func (r *Runner) follow(stop chan struct{}) {
	t := time.NewTicker(r.o.Config.Poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-r.wake:
		}
		r.poll()
	}
}

func (r *Runner) poll() {
	r.mu.Lock()
	jobs := make([]*job, 0, len(r.active))
	for _, j := range r.active {
		jobs = append(jobs, j)
	}
	r.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	states, err := queueStates(context.Background())
	if err != nil {
		// Exit files still tell finished jobs; nothing counts as gone.
		r.o.Logf("squeue: %v", err)
	}
	for _, j := range jobs {
		st := states[j.id]
		code, hasExit := r.exitStatus(j.id)
		if st.state != "" && st.state != j.state {
			if st.state == "RUNNING" {
				r.o.Logf("job %s (%s) running", j.id, j.what())
			}
			j.state = st.state
		}
		var out *outcome
		switch {
		case retriable[st.state]:
			out = &outcome{retry: true, msg: stateText(st.state)}
		case hasExit && code != 0 && !final[st.state] && j.ended < 6:
			// A failed status: wait (a few polls) for Slurm's final
			// state, which tells a cancelled or killed job from a failed
			// one.
			j.ended++
		case hasExit:
			out = exitOutcome(code)
		case st.state == "TIMEOUT" || st.state == "DEADLINE":
			out = &outcome{msg: stateText(st.state) + " (raise time in the node's resources block)"}
		case final[st.state]:
			// The exit file may lag on a network filesystem.
			if j.ended++; j.ended >= 6 {
				out = &outcome{msg: fmt.Sprintf("ended %s without leaving its exit file %s", st.state, filepath.Join(r.dir, j.id+".exit"))}
			}
		case st.state == "" && err == nil:
			if j.missing++; j.missing >= 6 {
				out = &outcome{retry: true, msg: "vanished from the queue without leaving an exit file"}
			}
		}
		if out == nil {
			continue
		}
		if !out.ok && (!hasExit || retriable[st.state]) {
			// Killed before the script could leave its status: what
			// Slurm knows of the end (signal, reason).
			out.msg = withExitDetail(out.msg, j.id)
		}
		j.out = *out
		r.mu.Lock()
		delete(r.active, j.id)
		r.mu.Unlock()
		close(j.done)
	}
}

// retriable are the final states of jobs Slurm took away.
var retriable = map[string]bool{"CANCELLED": true, "PREEMPTED": true, "OUT_OF_MEMORY": true, "NODE_FAIL": true, "BOOT_FAIL": true}

var final = map[string]bool{"COMPLETED": true, "FAILED": true, "CANCELLED": true, "PREEMPTED": true, "OUT_OF_MEMORY": true,
	"NODE_FAIL": true, "BOOT_FAIL": true, "TIMEOUT": true, "DEADLINE": true, "REVOKED": true, "SPECIAL_EXIT": true}

func stateText(s string) string {
	switch s {
	case "CANCELLED":
		return "was cancelled"
	case "PREEMPTED":
		return "was preempted"
	case "OUT_OF_MEMORY":
		return "ran out of memory (raise mem in the node's resources block)"
	case "NODE_FAIL":
		return "lost its node"
	case "BOOT_FAIL":
		return "could not boot its node"
	case "TIMEOUT":
		return "reached its time limit"
	case "DEADLINE":
		return "reached its deadline"
	}
	return "ended " + s
}

// exitOutcome reads the status the job script left: run-node's exit code,
// or 128+N when a signal N killed it (the kernel's OOM killer sends 9).
func exitOutcome(code int) *outcome {
	switch {
	case code == 0:
		return &outcome{ok: true}
	case code > 128 && code != 130:
		return &outcome{retry: true, msg: fmt.Sprintf("was killed by signal %d", code-128)}
	}
	return &outcome{msg: fmt.Sprintf("failed: dsbuild run-node exit code %d", code)}
}

// withExitDetail adds what scontrol knows of a failed job: its exit code
// and signal, and the reason.
func withExitDetail(msg, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := command(ctx, "scontrol", "show", "job", "-o", id)
	if err != nil {
		return msg
	}
	f := map[string]string{}
	for _, kv := range strings.Fields(out) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	if ec := f["ExitCode"]; ec != "" {
		code, sig, _ := strings.Cut(ec, ":")
		msg += fmt.Sprintf(" [slurm: state %s, exit code %s, signal %s", f["JobState"], code, sig)
		if rs := f["Reason"]; rs != "" && rs != "None" {
			msg += ", reason " + rs
		}
		msg += "]"
	}
	return msg
}

func (r *Runner) exitStatus(id string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(r.dir, id+".exit"))
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false
	}
	return code, true
}

type queueState struct{ state, reason string }

// queueStates lists the states of this user's jobs, array tasks one by one,
// finished ones included while Slurm remembers them (MinJobAge).
func queueStates(ctx context.Context) (map[string]queueState, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := command(ctx, "squeue", "--me", "-h", "-r", "-t", "all", "-o", "%i|%T|%r")
	if err != nil {
		return nil, err
	}
	m := map[string]queueState{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) == 3 {
			m[f[0]] = queueState{f[1], f[2]}
		}
	}
	return m, nil
}

// learnPin reads the digest an unpinned fetch's job measured.
func (r *Runner) learnPin(n *graph.Node, j *job) error {
	path := filepath.Join(r.dir, j.id+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("job %s fetched %s but its result is unreadable: %w", j.id, n.ID, err)
	}
	var res RunResult
	if err := json.Unmarshal(b, &res); err != nil || res.Node != n.ID || res.Pin == "" {
		return fmt.Errorf("job %s fetched %s but %s does not name the digest it fetched", j.id, n.ID, path)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.o.Plan.SetPin(n, res.Pin); err != nil {
		return err
	}
	r.pins[n.ID] = res.Pin
	return nil
}

// RunResult is what run-node leaves in its --result file.
type RunResult struct {
	Node    string        `json:"node"`
	Shard   string        `json:"shard,omitempty"`
	Key     digest.Digest `json:"key"`
	Pin     digest.Digest `json:"pin,omitempty"`
	Blob    digest.Digest `json:"blob"`
	Logical digest.Digest `json:"logical"`
	Rows    int64         `json:"rows"`
	Cached  bool          `json:"cached"`
}

// CancelAll cancels every job submitted and not finished, and waits (up
// to 10 s) until Slurm no longer lists any of them as pending or running.
// No job is submitted after it. It is safe to call more than once and
// from several goroutines.
func (r *Runner) CancelAll() {
	r.cancelMu.Lock()
	defer r.cancelMu.Unlock()
	r.mu.Lock()
	r.cancelled = true
	var jobs []*job
	for _, j := range r.active {
		jobs = append(jobs, j)
	}
	r.mu.Unlock()
	r.cancelJobs(jobs)
}

func (r *Runner) cancelJobs(jobs []*job) {
	var ids []string
	for _, j := range jobs {
		select {
		case <-j.done:
		default:
			ids = append(ids, j.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := command(ctx, "scancel", ids...); err != nil {
		r.o.Logf("scancel: %v", err)
	}
	for ctx.Err() == nil {
		states, err := queueStates(ctx)
		if err != nil {
			break
		}
		live := 0
		for _, id := range ids {
			switch states[id].state {
			case "PENDING", "RUNNING", "CONFIGURING", "SUSPENDED", "REQUEUED", "RESIZING":
				live++
			}
		}
		if live == 0 {
			r.o.Logf("cancelled %d job(s): %s", len(ids), strings.Join(ids, " "))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.o.Logf("cancelled job(s) %s; Slurm had not confirmed it after 10s", strings.Join(ids, " "))
}

// command runs a Slurm client and returns its stdout; its stderr is in
// the error.
func command(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("%s: %s", name, msg)
	}
	return stdout.String(), nil
}

// logTail is the last lines of a job's log, indented, to show with its
// failure.
func logTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return "\n    | " + strings.Join(ls, "\n    | ")
}

func relLog(base, path string) string {
	if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
