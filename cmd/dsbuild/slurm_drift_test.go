package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSlurmDriftLockIsTheCommittedOne builds the repository's main recipe
// with --executor slurm on the test cluster: every one of its nodes runs
// as a job (card and review nodes included), and the lock is byte for byte
// lockfiles/drift.lock, the local build's; a second build submits no job.
func TestSlurmDriftLockIsTheCommittedOne(t *testing.T) {
	needSlurm(t)
	t.Parallel() // mostly waiting for Slurm
	want, err := os.ReadFile("../../lockfiles/drift.lock")
	must(t, err)
	p := &slurmProject{dir: t.TempDir(), cache: t.TempDir()}
	copyRepoRecipes(t, p.dir)
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	mirror := sharedData(t)
	code, out := p.run(t, nil, "build", filepath.Join(p.dir, "recipes", "drift.hcl"), "--executor", "slurm", "--mirror", mirror)
	if code != 0 {
		t.Fatalf("build --executor slurm: exit %d\n%s", code, out)
	}
	if n := len(submittedRE.FindAllStringSubmatch(out, -1)); n == 0 {
		t.Fatalf("no job submitted:\n%s", out)
	}
	got, err := os.ReadFile(filepath.Join(p.dir, "lockfiles", "drift.lock"))
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("the Slurm build's lock differs from lockfiles/drift.lock:\n%s", got)
	}
	code, out = p.run(t, nil, "build", filepath.Join(p.dir, "recipes", "drift.hcl"), "--executor", "slurm", "--mirror", mirror)
	if code != 0 || strings.Contains(out, "submitted") || !strings.Contains(out, "nothing to do") {
		t.Fatalf("second build: exit %d, submitted jobs or ran nodes:\n%s", code, out)
	}
}
