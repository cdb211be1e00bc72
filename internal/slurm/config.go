// Package slurm runs a recipe's nodes as Slurm jobs: a graph.Runner whose
// nodes that are not cached become `sbatch` jobs running
// `dsbuild run-node RECIPE NODE` over a store every machine of the cluster
// shares (a directory on a shared filesystem). Slurm schedules; the driver
// (dsbuild build --executor slurm) keeps the graph, the keys and the lock,
// follows the jobs (squeue, and an exit file each job writes), retries the
// jobs Slurm took away (cancelled, preempted, out of memory, node failure)
// and cancels every job it submitted when it is interrupted.
package slurm

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

// Executors are the names an executor block may have.
var Executors = []string{"local", "slurm"}

// Config is the slurm executor's configuration: the recipe's
// executor "slurm" { } block, with defaults.
type Config struct {
	// Retries is how many times a job Slurm took away (cancelled,
	// preempted, out of memory, node failure) is submitted again.
	Retries int
	// Poll is how often job states are read.
	Poll time.Duration
	// LogDir holds the job script, each job's log and exit file; relative
	// to the project. It must be on a filesystem the compute nodes share.
	LogDir string
	// Binary is the dsbuild the jobs run; "" is this executable.
	Binary string
	// Defaults are the resources of a node without its own.
	Defaults recipe.Resources
}

// DefaultConfig is the configuration without an executor block.
func DefaultConfig() Config {
	return Config{Retries: 1, Poll: 500 * time.Millisecond, LogDir: ".dsbuild/slurm"}
}

var executorAttrs = map[string]string{
	"retries": "how many times a job Slurm took away is submitted again (default 1)",
	"poll":    `how often job states are read, e.g. "500ms" (default)`,
	"log_dir": `folder of job logs and exit files, on a shared filesystem (default ".dsbuild/slurm" in the project)`,
	"dsbuild": "path of the dsbuild binary on the compute nodes (default: the one running the build)",
}

// CheckRecipe checks the recipe's executor blocks: names, and the
// attributes of the slurm block.
func CheckRecipe(r *recipe.Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range r.Executors {
		switch e.Name {
		case "slurm":
			_, d := ParseConfig(e)
			diags = append(diags, d...)
		case "local":
			for _, a := range e.Attrs {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
					Detail: fmt.Sprintf("The local executor has no settings; %s is not one.", a.Name), Subject: a.Range.Ptr()})
			}
		default:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown executor",
				Detail: fmt.Sprintf("There is no executor %q; executors are local (the default) and slurm.", e.Name), Subject: e.LabelRange.Ptr()})
		}
	}
	return diags
}

// ParseConfig reads an executor "slurm" block; e may be nil.
func ParseConfig(e *recipe.Executor) (Config, hcl.Diagnostics) {
	c := DefaultConfig()
	if e == nil {
		return c, nil
	}
	var diags hcl.Diagnostics
	bad := func(a *recipe.Attr, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid executor setting", Detail: detail, Subject: a.Expr.Range().Ptr()})
	}
	str := func(a *recipe.Attr) (string, bool) {
		v, err := convert.Convert(a.Value, cty.String)
		if err != nil || v.IsNull() || !v.IsKnown() {
			bad(a, fmt.Sprintf("%s must be a string.", a.Name))
			return "", false
		}
		return v.AsString(), true
	}
	for name, a := range e.Attrs {
		if a.Value == cty.NilVal {
			continue // already reported
		}
		switch name {
		case "retries":
			v, err := convert.Convert(a.Value, cty.Number)
			if err != nil || v.IsNull() || !v.AsBigFloat().IsInt() || v.AsBigFloat().Sign() < 0 {
				bad(a, "retries must be a whole number, 0 or more.")
				continue
			}
			k, _ := v.AsBigFloat().Int64()
			c.Retries = int(min(k, 100))
		case "poll":
			if s, ok := str(a); ok {
				d, err := time.ParseDuration(s)
				if err != nil || d < 10*time.Millisecond {
					bad(a, fmt.Sprintf("poll must be a duration of at least 10ms, such as \"500ms\" or \"2s\"; %q is not.", s))
					continue
				}
				c.Poll = d
			}
		case "log_dir":
			if s, ok := str(a); ok {
				c.LogDir = s
			}
		case "dsbuild":
			if s, ok := str(a); ok {
				if !filepath.IsAbs(s) {
					bad(a, fmt.Sprintf("dsbuild must be an absolute path of the binary on the compute nodes; %q is not absolute.", s))
					continue
				}
				c.Binary = s
			}
		default:
			names := make([]string, 0, len(executorAttrs))
			for k := range executorAttrs {
				names = append(names, k)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
				Detail:  fmt.Sprintf("An executor \"slurm\" block has no argument %q; it takes retries, poll, log_dir, dsbuild and a resources { } block of defaults.", name),
				Subject: a.Range.Ptr()})
		}
	}
	if e.Resources != nil {
		c.Defaults = *e.Resources
	}
	return c, diags
}

// sbatchArgs are the sbatch options for resources res over the defaults.
func sbatchArgs(def recipe.Resources, res *recipe.Resources) []string {
	r := def
	r.Flags = append([]string(nil), def.Flags...)
	if res != nil {
		if res.CPUs > 0 {
			r.CPUs = res.CPUs
		}
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&r.Mem, res.Mem}, {&r.Time, res.Time}, {&r.Partition, res.Partition},
			{&r.GRES, res.GRES}, {&r.Account, res.Account}, {&r.QOS, res.QOS},
		} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
		r.Flags = append(r.Flags, res.Flags...)
	}
	var out []string
	if r.CPUs > 0 {
		out = append(out, fmt.Sprintf("--cpus-per-task=%d", r.CPUs))
	}
	for _, f := range []struct{ flag, v string }{
		{"--mem", r.Mem}, {"--time", r.Time}, {"--partition", r.Partition},
		{"--gres", r.GRES}, {"--account", r.Account}, {"--qos", r.QOS},
	} {
		if f.v != "" {
			out = append(out, f.flag+"="+f.v)
		}
	}
	return append(out, r.Flags...)
}
