package main

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fmt replaces a recipe atomically, beside the file a link leads to: the
// link stays a link, its target gets the formatted text, no temp is left.
func TestFmtThroughLinkIsAtomic(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	must(t, os.MkdirAll(real, 0o755))
	target := filepath.Join(real, "r.hcl")
	must(t, os.WriteFile(target, []byte("fetch \"a\" {\nurl=\"x.json\"\n}\n"), 0o640))
	link := filepath.Join(dir, "r.hcl")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), g, []string{"fmt", link}); code != exitOK {
		t.Fatalf("fmt: exit %d\n%s", code, errb.String())
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link: %v", link, err)
	}
	got, err := os.ReadFile(target)
	must(t, err)
	if want := "fetch \"a\" {\n  url = \"x.json\"\n}\n"; string(got) != want {
		t.Errorf("target after fmt:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after fmt = %v, want 0640", fi.Mode().Perm())
	}
	for _, d := range []string{dir, real} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temp file left: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// treeFiles maps every regular file under dir (relative, slash-separated)
// to its content.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b, _ := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

// killAt runs a build in a child process that pauses at the named write
// point (DSBUILD_TEST_HOOK), and kills it there with SIGKILL. It fails the
// test if the child ends without reaching the point.
func killAt(t *testing.T, p *project, point string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildBuild$")
	cmd.Env = append(os.Environ(), "DSBUILD_TEST_CHILD=1", "CHILD_PROJECT="+p.dir, "CHILD_MIRROR="+p.mirror,
		"CHILD_CACHE="+p.cache, "CHILD_ARGS=--jobs 1", "DSBUILD_TEST_HOOK=pause-at:"+point)
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	defer cmd.Wait()
	defer cmd.Process.Kill() // whatever happens below, no child outlives the test
	sc := bufio.NewScanner(stderr)
	var seen []string
	for sc.Scan() {
		line := sc.Text()
		if line == "dsbuild-test-hook: paused at "+point {
			// The child blocks at the point from here on: the kill lands
			// exactly there.
			must(t, cmd.Process.Signal(syscall.SIGKILL))
			return
		}
		seen = append(seen, line)
	}
	t.Fatalf("the build ended without reaching %s:\n%s", point, strings.Join(seen, "\n"))
}

// A build killed with SIGKILL at each point of a write (blob half written,
// blob complete but not renamed, blob renamed but no manifest yet, manifest
// complete but not renamed, manifest in place, output written but not
// renamed, output in place but not recorded) leaves a store whose every
// blob matches its name; the next build cleans up what the killed one left,
// succeeds, and writes the same lock and outputs as a build never killed.
func TestKillAtEachWritePoint(t *testing.T) {
	if os.Getenv("DSBUILD_TEST_CHILD") != "" {
		return
	}
	ref := newProject(t)
	if code, _, stderr := ref.dsbuild(t, "build", ref.recipe()); code != 0 {
		t.Fatalf("reference build: exit %d\n%s", code, stderr)
	}
	refOut := treeFiles(t, filepath.Join(ref.dir, "out"))
	refLock, err := os.ReadFile(ref.lock())
	must(t, err)

	for _, tc := range []struct {
		point string
		// what the kill must leave behind for the next build to clean up
		ingestLeft, outputTempLeft bool
	}{
		{"blob-partial", true, false},
		{"blob-written", true, false},
		{"blob-renamed", false, false},
		{"key-written", true, false},
		{"key-renamed", false, false},
		{"output-written", false, true},
		{"output-renamed", false, false},
	} {
		t.Run(tc.point, func(t *testing.T) {
			p := newProject(t)
			killAt(t, p, tc.point)
			assertStoreIntact(t, p.cache)
			ingest := filepath.Join(p.cache, "ingest")
			if left := treeFiles(t, ingest); (len(left) > 0) != tc.ingestLeft {
				t.Errorf("killed at %s: ingest/ holds %d files, want leftovers: %v", tc.point, len(left), tc.ingestLeft)
			}
			outTemps := func() []string {
				var temps []string
				for rel := range treeFiles(t, filepath.Join(p.dir, "out")) {
					if strings.Contains(rel, ".dsbuild-") {
						temps = append(temps, rel)
					}
				}
				return temps
			}
			if temps := outTemps(); (len(temps) > 0) != tc.outputTempLeft {
				t.Errorf("killed at %s: output temp files %v, want leftovers: %v", tc.point, temps, tc.outputTempLeft)
			}
			if _, err := os.Stat(p.lock()); err == nil {
				t.Errorf("killed at %s: a lock was written by a build that did not finish", tc.point)
			}

			if code, _, stderr := p.dsbuild(t, "build", p.recipe()); code != 0 {
				t.Fatalf("build after a kill at %s: exit %d\n%s", tc.point, code, stderr)
			}
			assertStoreIntact(t, p.cache)
			if left := treeFiles(t, ingest); len(left) != 0 {
				t.Errorf("after the next build ingest/ still holds %v", left)
			}
			if temps := outTemps(); len(temps) != 0 {
				t.Errorf("after the next build output temp files remain: %v", temps)
			}
			lock, err := os.ReadFile(p.lock())
			must(t, err)
			if !bytes.Equal(lock, refLock) {
				t.Errorf("lock after a kill at %s differs from a clean build's:\n%s\nwant:\n%s", tc.point, lock, refLock)
			}
			out := treeFiles(t, filepath.Join(p.dir, "out"))
			if len(out) != len(refOut) {
				t.Errorf("outputs after a kill at %s: %d files, want %d", tc.point, len(out), len(refOut))
			}
			for rel, want := range refOut {
				if out[rel] != want {
					t.Errorf("output %s after a kill at %s differs from a clean build's", rel, tc.point)
				}
			}
			if code, stdout, stderr := p.dsbuild(t, "verify", p.recipe()); code != 0 {
				t.Errorf("verify after a kill at %s: exit %d\n%s%s", tc.point, code, stdout, stderr)
			}
		})
	}
}
