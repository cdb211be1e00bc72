package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test, so both outcomes of find can be observed.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

// repo makes root/repo with a go.mod and returns root and the repo's pkg dir.
func repo(t *testing.T) (root, pkg string) {
	root = t.TempDir()
	pkg = filepath.Join(root, "repo", "internal", "x")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "repo", "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, pkg
}

func TestFindAbsent(t *testing.T) {
	_, pkg := repo(t)
	for _, ci := range []bool{false, true} {
		r := &recorder{TB: t}
		got := find(r, pkg, "data", ci)
		if got != "" {
			t.Errorf("find(ci=%v) = %q for an absent ../shared, want \"\"", ci, got)
		}
		if ci && (r.failed == "" || r.skipped != "") {
			t.Errorf("find(ci=true) with ../shared absent: failed %q, skipped %q; want a failure", r.failed, r.skipped)
		}
		if !ci && (r.skipped == "" || r.failed != "") {
			t.Errorf("find(ci=false) with ../shared absent: failed %q, skipped %q; want a skip", r.failed, r.skipped)
		}
	}
}

func TestFindPresent(t *testing.T) {
	root, pkg := repo(t)
	want := filepath.Join(root, "shared", "data")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ci := range []bool{false, true} {
		r := &recorder{TB: t}
		if got := find(r, pkg, "data", ci); got != want || r.failed != "" || r.skipped != "" {
			t.Errorf("find(ci=%v) = %q (failed %q, skipped %q), want %q", ci, got, r.failed, r.skipped, want)
		}
	}
}

// TestDirReadsCI: Dir itself turns CI=true into a failure.
func TestDirReadsCI(t *testing.T) {
	_, pkg := repo(t)
	t.Chdir(pkg)
	for env, wantFail := range map[string]bool{"true": true, "": false, "false": false} {
		t.Setenv("CI", env)
		r := &recorder{TB: t}
		Dir(r, "data")
		if (r.failed != "") != wantFail || (r.skipped != "") == wantFail {
			t.Errorf("CI=%q: failed %q, skipped %q; want failure %v", env, r.failed, r.skipped, wantFail)
		}
	}
}
