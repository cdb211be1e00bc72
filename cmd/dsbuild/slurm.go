package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/slurm"
)

// checkPlacement reports the recipe's executor blocks and shards that
// cannot work, in every command that loads a recipe.
func checkPlacement(p *graph.Plan) hcl.Diagnostics {
	if p == nil || p.Recipe == nil || p.Recipe.SyntaxErrors {
		return nil
	}
	return append(slurm.CheckRecipe(p.Recipe), p.CheckShards()...)
}

// executorOf is the executor a build uses: --executor, else the recipe's
// executor block (slurm when it declares one), else local.
func executorOf(o *buildOptions, p *graph.Plan) (string, error) {
	switch o.executor {
	case "local", "slurm":
		return o.executor, nil
	case "":
		if p.Recipe.Executor("slurm") != nil {
			return "slurm", nil
		}
		return "local", nil
	}
	return "", usageError{fmt.Sprintf("--executor %q: executors are local and slurm", o.executor)}
}

// slurmRunner makes the runner of a build with --executor slurm: the jobs
// run `dsbuild run-node` with the flags of this build that bear on a node
// (store, project, variables, mirrors, limits), as absolute paths.
func slurmRunner(g *globals, o *buildOptions, p *graph.Plan, recipePath string, exec graph.ExecOptions, logf func(string, ...any)) (*slurm.Runner, error) {
	cfg, diags := slurm.ParseConfig(p.Recipe.Executor("slurm"))
	if diags.HasErrors() {
		return nil, diags
	}
	rec, err := filepath.Abs(recipePath)
	if err != nil {
		return nil, err
	}
	storeDir := o.cacheDir
	if storeDir == "" {
		if storeDir, err = cache.DefaultDir(); err != nil {
			return nil, err
		}
	}
	if storeDir, err = filepath.Abs(storeDir); err != nil {
		return nil, err
	}
	args := []string{"--cache", storeDir, "--project", p.ProjectDir}
	names := make([]string, 0, len(o.vars))
	for k := range o.vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, "-var", k+"="+o.vars[k])
	}
	for _, m := range o.mirrors {
		abs, err := filepath.Abs(m)
		if err != nil {
			return nil, err
		}
		args = append(args, "--mirror", abs)
	}
	if o.batchSize > 0 {
		args = append(args, "--batch-size", strconv.Itoa(o.batchSize))
	}
	if o.maxFetch > 0 {
		args = append(args, "--max-fetch-size", strconv.FormatInt(o.maxFetch, 10))
	}
	return slurm.New(slurm.Options{Plan: p, Exec: exec, Config: cfg, Recipe: rec, RunArgs: args, Logf: logf})
}

// slurmJobs is how many nodes a Slurm build keeps submitted at once
// without --jobs.
const slurmJobs = 64

// onInterrupt, when set, runs before an interrupted process exits (the
// Slurm executor cancels the jobs it submitted).
var onInterrupt atomic.Pointer[func()]

func runOnInterrupt() {
	if f := onInterrupt.Load(); f != nil {
		(*f)()
	}
}
