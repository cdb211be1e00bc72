package graph

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputWriteStaysInside covers the write-time half of the output
// checks: links that appear after the plan was checked (a
// time-of-check/time-of-use race) still cannot carry a write outside the
// output directory, nor replace a link at the output path.
func TestOutputWriteStaysInside(t *testing.T) {
	empty := func(t *testing.T, dir string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 0 {
			t.Errorf("%d files appeared outside the project: %v", len(ents), ents)
		}
	}
	t.Run("parent is a link at create", func(t *testing.T) {
		proj, outside := t.TempDir(), t.TempDir()
		if err := os.Symlink(outside, filepath.Join(proj, "out")); err != nil {
			t.Fatal(err)
		}
		if o, err := createOutput(proj, "out/keys/authorized_keys"); err == nil {
			o.abort()
			t.Fatal("createOutput through a link out of the project succeeded")
		}
		empty(t, outside)
	})
	t.Run("parent becomes a link before the rename", func(t *testing.T) {
		proj, outside := t.TempDir(), t.TempDir()
		o, err := createOutput(proj, "out/o.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer o.abort()
		if _, err := o.Write([]byte("data\n")); err != nil {
			t.Fatal(err)
		}
		// Swap out/ for a link out of the project, keeping the temp file
		// reachable through it as an attacker would.
		if err := os.Rename(filepath.Join(proj, "out"), filepath.Join(outside, "moved")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "moved"), filepath.Join(proj, "out")); err != nil {
			t.Fatal(err)
		}
		if err := o.commit(); err == nil {
			t.Fatal("commit through a link out of the project succeeded")
		}
		if _, err := os.Stat(filepath.Join(outside, "moved", "o.csv")); err == nil {
			t.Error("the output was renamed into place outside the project")
		}
	})
	t.Run("the output path becomes a link", func(t *testing.T) {
		proj := t.TempDir()
		victim := filepath.Join(proj, "victim.txt")
		if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := createOutput(proj, "out/o.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer o.abort()
		if err := os.Symlink(victim, filepath.Join(proj, "out", "o.csv")); err != nil {
			t.Fatal(err)
		}
		err = o.commit()
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("commit over a link = %v, want a refusal naming the link", err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
			t.Errorf("the link's target changed: %q", b)
		}
	})
	t.Run("abort leaves nothing", func(t *testing.T) {
		proj := t.TempDir()
		o, err := createOutput(proj, "out/o.csv")
		if err != nil {
			t.Fatal(err)
		}
		o.abort()
		empty(t, filepath.Join(proj, "out"))
	})
}

// TestWriteLockStaysInside: lockfiles/ turned into a link out of the
// project after the plan was checked does not carry the lock there.
func TestWriteLockStaysInside(t *testing.T) {
	proj, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(proj, "lockfiles")); err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(filepath.Join(proj, "lockfiles", "r.lock"), &Lock{}); err == nil {
		t.Fatal("WriteLock through a link out of the project succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("files written outside the project: %v", ents)
	}
}

// TestParseDeepLock: a lock nested 100k levels deep is an error, not a
// stack overflow.
func TestParseDeepLock(t *testing.T) {
	src := "lock_version = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\n"
	if _, err := ParseLock("deep.lock", []byte(src)); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("ParseLock = %v, want a nesting error", err)
	}
}
