// Command dsbuild builds datasets reproducibly from HCL recipes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// Exit codes, decided only here.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitPin         = 3
	exitInterrupted = 130
)

const exitStatusHelp = `
EXIT STATUS
  0    success
  1    the build failed (an op or a download failed)
  2    usage error or invalid recipe (diagnostics are printed with file:line:col)
  3    a pin does not hold: a fetched digest differs from its pin, the lock
       would change under --locked, or verify found a mismatch
  130  interrupted (Ctrl-C); the cache is left consistent
`

// usageError marks errors that exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// lockError marks "the lock would change" and verify mismatches (exit 3).
type lockError struct{ msg string }

func (e lockError) Error() string { return e.msg }

type command struct {
	name  string
	short string
	run   func(ctx context.Context, g *globals, args []string) error
}

var commands = []command{
	{"build", "build a recipe's nodes and write its lock", runBuildCmd},
	{"plan", "show which nodes are cached and why the others would run", runPlanCmd},
	{"verify", "rebuild everything from pinned inputs in a fresh store and compare with the lock", runVerifyCmd},
	{"explain", "show a node's key preimage and what changed since the lock", runExplainCmd},
	{"graph", "print the recipe's DAG in DOT", runGraphCmd},
	{"show", "print the first rows (or the schema) of a built node", runShowCmd},
	{"push", "copy the artifacts a lock names to a remote (--remote URL)", runPushCmd},
	{"pull", "copy the artifacts a lock names from a remote into the local store", runPullCmd},
	{"cache", "the local store: ls (size, entries, hit rate), gc (trim it)", runCacheCmd},
	{"diff", "show what changed between two locks (nodes, rows, schema, outputs)", runDiffCmd},
	{"run-node", "run one node over inputs in the store (what a cluster job runs)", runRunNodeCmd},
	{"fmt", "rewrite recipe files in canonical HCL layout (--check: list, exit 1)", runFmtCmd},
	{"version", "print the version", runVersionCmd},
}

// globals are the streams every command writes to; tests replace them.
type globals struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	os.Exit(mainArgs(os.Args[1:]))
}

// interruptGrace is how long a command may take to unwind after the first
// interrupt before main exits anyway. Every write dsbuild makes is a rename
// of a finished temp file (the store and the outputs), and leftover temp
// files are cleaned by the next run, so exiting mid-way is safe; waiting
// longer would only make Ctrl-C feel ignored.
const interruptGrace = 500 * time.Millisecond

// mainArgs runs one command with signal handling: the first SIGINT or
// SIGTERM cancels the command's context; if the command has not returned
// within interruptGrace, or a second signal arrives, the process exits 130
// at once. Only main (through mainArgs) exits.
func mainArgs(args []string) int {
	ctx, stop := interrupts(context.Background(), os.Stderr, os.Exit)
	defer stop()
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	// DSBUILD_CPUPROFILE=FILE writes a CPU profile of the whole command, for
	// `go tool pprof`: performance is measured, not guessed.
	// DSBUILD_TRACE=FILE writes an execution trace (`go tool trace`), which
	// shows what the cores wait for.
	if path := os.Getenv("DSBUILD_TRACE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := trace.Start(f); err == nil {
				code := run(ctx, g, args)
				trace.Stop()
				f.Close()
				return code
			}
			f.Close()
		}
	}
	if path := os.Getenv("DSBUILD_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				code := run(ctx, g, args)
				pprof.StopCPUProfile()
				f.Close()
				return code
			}
			f.Close()
		}
	}
	return run(ctx, g, args)
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM.
// After that signal, exit(130) is called when the command has not returned
// within interruptGrace or when another signal arrives, whichever is
// first: no stage of a command (loading, type-checking, formatting, a
// blocking read) can make an interrupt wait.
func interrupts(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		t := time.NewTimer(interruptGrace)
		defer t.Stop()
		select {
		case <-sigs:
		case <-t.C:
		case <-done:
			return
		}
		runOnInterrupt() // e.g. cancel the cluster jobs submitted, first
		fmt.Fprintln(stderr, "dsbuild: interrupted; the cache is consistent")
		exit(exitInterrupted)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func run(ctx context.Context, g *globals, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(g.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, g, args[1:])
			if err == nil && ctx.Err() != nil {
				// Interrupted, even if the command happened to finish:
				// the user asked it to stop and must not read success.
				err = ctx.Err()
			}
			return exitCode(g, err, ctx)
		}
	}
	fmt.Fprintf(g.stderr, "dsbuild: unknown command %q\n", args[0])
	usage(g.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dsbuild COMMAND [flags] RECIPE")
	fmt.Fprintln(w, "\nCOMMANDS")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nRun 'dsbuild COMMAND --help' for a command's flags.")
	fmt.Fprint(w, exitStatusHelp)
}

// exitCode prints err once and maps it to the exit status.
func exitCode(g *globals, err error, ctx context.Context) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var diags hcl.Diagnostics
	var ue usageError
	var le lockError
	var ne *graph.NodeError
	switch {
	case ctx.Err() != nil:
		// Whatever the command reported after an interrupt (a canceled
		// read, a half-done check) stems from it.
		fmt.Fprintln(g.stderr, "dsbuild: interrupted; the cache is consistent")
		return exitInterrupted
	case errors.As(err, &diags):
		// Already printed by the command with source snippets.
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintln(g.stderr, "dsbuild:", ue.msg)
		return exitUsage
	case errors.Is(err, graph.ErrPin):
		fmt.Fprintln(g.stderr, "dsbuild: a pin does not hold:", err)
		return exitPin
	case errors.As(err, &le):
		fmt.Fprintln(g.stderr, "dsbuild:", le.msg)
		return exitPin
	case errors.As(err, &ne) && ne.Diags.HasErrors():
		return exitUsage
	default:
		fmt.Fprintln(g.stderr, "dsbuild:", err)
		return exitFailed
	}
}

// parseFlags parses flags that may appear before or after the positional
// arguments (dsbuild build recipes/drift.hcl --jobs 4).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // let fs.Parse report it
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	return pos, nil
}

// parseArgs parses flags and requires exactly n positional arguments;
// need says what they are when they are not.
func parseArgs(fs *flag.FlagSet, args []string, n int, need string) ([]string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != n {
		return nil, usageError{fs.Name() + " needs " + need}
	}
	return pos, nil
}

// varFlag collects -var NAME=VALUE.
type varFlag map[string]string

func (v varFlag) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k+"="+v[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (v varFlag) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("-var wants NAME=VALUE, got %q", s)
	}
	v[k] = val
	return nil
}

// stallForTest blocks for good, deaf to its context, when
// $DSBUILD_TEST_STALL names stage: process tests interrupt a command at a
// known point of a stage that does not watch its context, the worst case
// the interrupt handling must still end within a second.
func stallForTest(g *globals, stage string) {
	if g.getenv("DSBUILD_TEST_STALL") != stage {
		return
	}
	fmt.Fprintf(g.stderr, "dsbuild: test hook: stalled in %s\n", stage)
	select {}
}
