package slurm

import (
	"slices"
	"testing"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

// A node's resources override the executor's defaults field by field;
// extra flags add up, the executor's first.
func TestSbatchArgsMergeDefaults(t *testing.T) {
	def := recipe.Resources{CPUs: 2, Mem: "1G", Partition: "debug", Account: "lab", Flags: []string{"--exclusive"}}
	node := &recipe.Resources{CPUs: 8, GRES: "gpu:1", QOS: "high", Time: "30:00", Flags: []string{"--constraint=a100"}}
	got := sbatchArgs(def, node)
	want := []string{"--cpus-per-task=8", "--mem=1G", "--time=30:00", "--partition=debug", "--gres=gpu:1", "--account=lab", "--qos=high", "--exclusive", "--constraint=a100"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := sbatchArgs(recipe.Resources{}, nil); len(got) != 0 {
		t.Fatalf("no resources, no flags: got %q", got)
	}
	if len(def.Flags) != 1 {
		t.Fatal("merging changed the defaults")
	}
}

// What the job script's exit status means: 0 done; a signal (128+N) a job
// killed under it (the OOM killer), to retry; anything else run-node's own
// failure, not retried.
func TestExitOutcome(t *testing.T) {
	for _, tc := range []struct {
		code      int
		ok, retry bool
	}{
		{0, true, false}, {1, false, false}, {2, false, false}, {3, false, false},
		{130, false, false}, {137, false, true}, {143, false, true},
	} {
		o := exitOutcome(tc.code)
		if o.ok != tc.ok || o.retry != tc.retry {
			t.Errorf("exit %d: ok %v retry %v, want %v %v (%s)", tc.code, o.ok, o.retry, tc.ok, tc.retry, o.msg)
		}
	}
}
