package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// commonOptions are the flags shared by the commands that load a recipe.
type commonOptions struct {
	vars     varFlag
	mirrors  []string
	cacheDir string
	project  string
	maxFetch int64 // --max-fetch-size; 0: $DSBUILD_MAX_FETCH_SIZE, else the default
}

func (o *commonOptions) AddFlags(fs *flag.FlagSet) {
	o.vars = varFlag{}
	fs.Var(o.vars, "var", "set a recipe variable, NAME=VALUE (repeatable)")
	fs.Func("mirror", "directory searched for pinned inputs by file name (repeatable; also $DSBUILD_MIRROR)", func(s string) error {
		o.mirrors = append(o.mirrors, s)
		return nil
	})
	fs.StringVar(&o.cacheDir, "cache", "", "store directory (default $DSBUILD_CACHE, else $XDG_CACHE_HOME/dsbuild)")
	fs.StringVar(&o.project, "project", "", "project directory (default: found from the recipe: the folder holding lockfiles/ or .git)")
	fs.Func("max-fetch-size", "the most bytes one fetch may have, a `SIZE` such as 500MB or 10GiB (default $DSBUILD_MAX_FETCH_SIZE, else 64GiB)", func(s string) (err error) {
		o.maxFetch, err = parseFetchSize(s)
		return err
	})
}

func parseFetchSize(s string) (int64, error) {
	n, err := fetch.ParseSize(s)
	if err == nil && n <= 0 {
		err = fmt.Errorf("invalid size %q: must be positive", s)
	}
	return n, err
}

func (o *commonOptions) openStore(g *globals) (*cache.Store, error) {
	dir := o.cacheDir
	if dir == "" {
		var err error
		if dir, err = cache.DefaultDir(); err != nil {
			return nil, err
		}
	}
	s, err := cache.Open(dir)
	if err != nil {
		return nil, err
	}
	s.AlwaysVerify = g.getenv("DSBUILD_VERIFY") != ""
	return s, nil
}

func (o *commonOptions) fetcher(g *globals, p *graph.Plan) (*fetch.Fetcher, error) {
	mirrors := append([]string(nil), o.mirrors...)
	mirrors = append(mirrors, fetch.SplitMirrorList(g.getenv("DSBUILD_MIRROR"))...)
	f := &fetch.Fetcher{Mirrors: mirrors, BaseDir: p.Recipe.Dir, MaxSize: o.maxFetch}
	if env := g.getenv("DSBUILD_MAX_FETCH_SIZE"); env != "" && f.MaxSize == 0 {
		n, err := parseFetchSize(env)
		if err != nil {
			return nil, usageError{"DSBUILD_MAX_FETCH_SIZE: " + err.Error()}
		}
		f.MaxSize = n
	}
	if env := g.getenv("DSBUILD_FETCH_IDLE_TIMEOUT"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil || d <= 0 {
			return nil, usageError{fmt.Sprintf("DSBUILD_FETCH_IDLE_TIMEOUT: %q is not a positive duration such as 30s", env)}
		}
		f.IdleTimeout = d
	}
	return f, nil
}

// load reads the recipe and prints its diagnostics with source snippets.
func (o *commonOptions) load(g *globals, path string) (*graph.Plan, error) {
	stallForTest(g, "load")
	var debug io.Writer
	if strings.Contains(g.getenv("DSBUILD_DEBUG"), "keys") {
		debug = g.stderr
	}
	storeDir := o.cacheDir
	if storeDir == "" {
		storeDir, _ = cache.DefaultDir()
	}
	p, diags := graph.Load(graph.LoadOptions{Recipe: path, Vars: o.vars, ProjectDir: o.project, StoreDir: storeDir, DebugKeys: debug})
	diags = append(diags, checkPlacement(p)...)
	if diags.HasErrors() && p != nil && len(p.Nodes) > 0 {
		// The nodes no error touches are type-checked now, against the
		// inputs already cached, so all problems are reported at once.
		if store, err := o.openStore(g); err == nil {
			diags = append(diags, p.Check(store, memory.DefaultAllocator)...)
		}
	}
	if len(diags) > 0 {
		printDiags(g, p, diags)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, nil
}

// reportNodeDiags prints the diagnostics of a recipe problem that surfaced
// only when a node ran (its input schema was unknown before).
func reportNodeDiags(g *globals, p *graph.Plan, err error) {
	var ne *graph.NodeError
	if errors.As(err, &ne) && ne.Diags.HasErrors() {
		printDiags(g, p, ne.Diags)
	}
}

// printDiags shows each problem with its source snippet, then all of them
// once more as file:line:col lines that editors and CI logs link to.
func printDiags(g *globals, p *graph.Plan, diags hcl.Diagnostics) {
	if p != nil && p.Recipe != nil {
		w := p.Recipe.Writer(g.stderr, 100, false)
		w.WriteDiagnostics(diags)
	}
	fmt.Fprint(g.stderr, recipe.FormatDiagnostics(diags))
}

type buildOptions struct {
	commonOptions
	remoteOptions
	jobs      int
	locked    bool
	json      bool
	batchSize int
	executor  string
	report    string
	jobsSet   bool
}

func (o *buildOptions) AddFlags(fs *flag.FlagSet) {
	o.commonOptions.AddFlags(fs)
	o.remoteOptions.AddFlags(fs)
	fs.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "nodes run in parallel")
	fs.BoolVar(&o.locked, "locked", false, "fail (exit 3) if anything would change the lock")
	fs.BoolVar(&o.json, "json", false, "print machine-readable events (JSON lines) instead of progress")
	fs.IntVar(&o.batchSize, "batch-size", 0, "rows per batch inside ops (does not change any digest)")
	fs.StringVar(&o.report, "report", "", "the build report, a self-contained HTML page (default PROJECT/.dsbuild/report/<recipe>.html; none: no report)")
	fs.StringVar(&o.executor, "executor", "", "where nodes run: local, or slurm (one Slurm job per node over the shared --cache; default: slurm when the recipe has an executor \"slurm\" block, else local)")
}

func newFlagSet(g *globals, name, args, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "usage: dsbuild %s [flags] %s\n\n%s\n\nFLAGS\n", name, args, help)
		fs.PrintDefaults()
		fmt.Fprint(g.stderr, exitStatusHelp)
	}
	return fs
}

func runBuildCmd(ctx context.Context, g *globals, args []string) error {
	var o buildOptions
	fs := newFlagSet(g, "build", "RECIPE", "Build every node of RECIPE that is not cached, then write lockfiles/<recipe>.lock.")
	o.AddFlags(fs)
	pos, err := parseArgs(fs, args, 1, "exactly one RECIPE (e.g. dsbuild build recipes/drift.hcl)")
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { o.jobsSet = o.jobsSet || f.Name == "jobs" })
	return runBuild(ctx, g, &o, pos[0])
}

func runBuild(ctx context.Context, g *globals, o *buildOptions, path string) error {
	p, err := o.load(g, path)
	if err != nil {
		return err
	}
	if o.locked {
		if problems := p.CheckRecipe(); len(problems) > 0 {
			return lockError{"--locked: the lock would change:\n  " + strings.Join(problems, "\n  ") + "\nRun dsbuild build without --locked to update it."}
		}
	}
	store, err := o.openStore(g)
	if err != nil {
		return err
	}
	defer holdStore(store.Root())()
	rem, err := o.remoteOptions.open(g, true)
	if err != nil {
		return err
	}
	if diags := p.Check(store, memory.DefaultAllocator); diags.HasErrors() {
		printDiags(g, p, diags)
		return diags
	}
	fetcher, err := o.fetcher(g, p)
	if err != nil {
		return err
	}
	executor, err := executorOf(o, p)
	if err != nil {
		return err
	}
	prev := p.PreviousResults(store)
	ev := newEvents(g, o.json)
	defer ev.Close()
	rem.logTo(ev)
	eo := graph.ExecOptions{
		Store: readThrough(store, rem), Fetcher: fetcher, Jobs: o.jobs, BatchSize: o.batchSize, Events: ev,
		DebugKeys: debugKeys(g),
	}
	if executor == "slurm" {
		r, err := slurmRunner(g, o, p, path, eo, ev.Logf)
		if err != nil {
			return err
		}
		defer r.Close()
		cancelJobs := r.CancelAll
		onInterrupt.Store(&cancelJobs)
		defer onInterrupt.Store(nil)
		eo.Runner = r
		if !o.jobsSet {
			eo.Jobs = slurmJobs // jobs in flight, not cores of this machine
		}
	}
	err = p.Execute(ctx, eo)
	if err != nil {
		ev.Failed(err)
		reportNodeDiags(g, p, err)
		return err
	}
	lock, err := p.NewLock()
	if err != nil {
		return err
	}
	ev.Summary(p)
	if err := checkDeterminism(g, p, prev); err != nil {
		return err
	}
	if p.Lock != nil {
		if diff := graph.Diff(p.Lock, lock); len(diff) == 0 {
			writeReport(g, o, p, store, ev)
			return afterBuild(ctx, g, p, store, rem, ev)
		} else if o.locked {
			return lockError{"--locked: the lock would change:\n  " + strings.Join(diff, "\n  ")}
		}
	} else if o.locked {
		return lockError{"--locked: there is no lock at " + p.LockPath}
	}
	if err := graph.WriteLock(p.LockPath, lock); err != nil {
		return err
	}
	ev.Logf("wrote %s", relToCwd(p.LockPath))
	writeReport(g, o, p, store, ev)
	return afterBuild(ctx, g, p, store, rem, ev)
}

func debugKeys(g *globals) io.Writer {
	if strings.Contains(g.getenv("DSBUILD_DEBUG"), "keys") {
		return g.stderr
	}
	return nil
}

func relToCwd(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := relPath(wd, path); err == nil {
		return rel
	}
	return path
}
