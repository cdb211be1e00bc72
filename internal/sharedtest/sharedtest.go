// Package sharedtest locates the shared reference material that lies beside
// the repository (../shared: real datasets and files written by pyarrow and
// numpy) for tests. That material is never copied into the repository; a
// test that needs it skips where it is absent, except under CI=true, where
// a missing ../shared fails the test so that a CI run cannot pass by
// skipping.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of ../shared/SUB, found from the repository
// root (the directory holding go.mod above the test's working directory).
// When it is not there, the test is skipped, or fails under CI=true.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return find(tb, dir, sub, os.Getenv("CI") == "true")
}

// find is Dir from the working directory wd, with ci standing for CI=true.
func find(tb testing.TB, wd, sub string, ci bool) string {
	tb.Helper()
	absent := tb.Skipf
	if ci {
		absent = tb.Fatalf
	}
	dir := wd
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			absent("no go.mod above the test directory %s", wd)
			return ""
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", filepath.FromSlash(sub))
	if _, err := os.Stat(p); err != nil {
		absent("shared material absent (CI=true makes this a failure): %v", err)
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// Lookup returns the absolute path of ../shared/SUB and whether it is
// there, without skipping: for fuzz targets that add shared seeds when
// they can and fuzz their committed seeds regardless.
func Lookup(sub string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	p, err := filepath.Abs(filepath.Join(dir, "..", "shared", filepath.FromSlash(sub)))
	if err != nil {
		return "", false
	}
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}
