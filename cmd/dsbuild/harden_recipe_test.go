//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests of issue 8, items 6, 7, 8, 11, 12 and 13: recipes, project paths
// and interrupts, at the level where a user meets them.

// TestHardenMainChild is the dsbuild process of the tests that send it
// signals: it runs main's code path, signal handling included.
func TestHardenMainChild(t *testing.T) {
	args := os.Getenv("DSBUILD_HARDEN_CHILD_ARGS")
	if args == "" {
		t.Skip("helper process for the interrupt tests")
	}
	os.Exit(mainArgs(strings.Split(args, "\x1f")))
}

// smallProject is a project with one recipe reading a local CSV file.
func smallProject(t *testing.T, recipe string) (dir, rec, cacheDir string) {
	t.Helper()
	dir = t.TempDir()
	cacheDir = t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "lockfiles"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "d.csv"), []byte("a,b\nx,1\ny,2\n"), 0o644))
	rec = filepath.Join(dir, "recipes", "r.hcl")
	must(t, os.WriteFile(rec, []byte(recipe), 0o644))
	return dir, rec, cacheDir
}

const smallRecipe = `fetch "d" {
  url = "../d.csv"
}

filter "f" {
  input = fetch.d
  where = a == "x"
}

output "o" {
  input = filter.f
  path  = "out/o.csv"
}
`

// startChild starts dsbuild as a child process with args and extra
// environment, and returns it with a reader of its stderr.
func startChild(t *testing.T, env []string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHardenMainChild$")
	cmd.Env = append(os.Environ(), "DSBUILD_HARDEN_CHILD_ARGS="+strings.Join(args, "\x1f"))
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	return cmd, bufio.NewReader(stderr)
}

// waitLine reads stderr until a line containing want; it fails the test if
// the stream ends first.
func waitLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	var seen []string
	for {
		line, err := r.ReadString('\n')
		seen = append(seen, line)
		if strings.Contains(line, want) {
			return
		}
		if err != nil {
			t.Fatalf("stderr ended before %q:\n%s", want, strings.Join(seen, ""))
		}
	}
}

// waitExit waits for cmd and returns its exit code; a generous deadline
// only turns a hang into a failure, it is not a timing assertion.
func waitExit(t *testing.T, cmd *exec.Cmd, r *bufio.Reader) (int, string) {
	t.Helper()
	// Read stderr to its end before Wait, which closes the pipe.
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	var rest string
	select {
	case rest = <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("dsbuild %v did not exit within 10 s", cmd.Args)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), rest
}

// TestInterruptEveryCommand interrupts each command while it is stuck in a
// stage that does not watch its context (a test hook blocks loading, or
// formatting, for good): the process still exits 130, after one signal
// and after two.
func TestInterruptEveryCommand(t *testing.T) {
	_, rec, cacheDir := smallProject(t, smallRecipe)
	cmds := [][]string{
		{"build", rec}, {"plan", rec}, {"verify", rec}, {"explain", rec, "filter.f"},
		{"graph", rec}, {"show", rec, "filter.f"}, {"fmt", rec},
	}
	for _, args := range cmds {
		for _, signals := range []int{1, 2} {
			t.Run(strings.Join(append(args[:1:1], string(rune('0'+signals))), "/"), func(t *testing.T) {
				stage := "load"
				if args[0] == "fmt" {
					stage = "fmt"
				}
				full := append(append([]string(nil), args...), "--cache", cacheDir)
				if args[0] == "fmt" {
					full = args
				}
				cmd, stderr := startChild(t, []string{"DSBUILD_TEST_STALL=" + stage}, full...)
				waitLine(t, stderr, "stalled in "+stage)
				for i := 0; i < signals; i++ {
					sig := os.Interrupt
					if i == 1 {
						sig = syscall.SIGTERM
					}
					must(t, cmd.Process.Signal(sig))
				}
				code, rest := waitExit(t, cmd, stderr)
				if code != exitInterrupted {
					t.Fatalf("dsbuild %v after %d signals: exit %d, want %d\n%s", args, signals, code, exitInterrupted, rest)
				}
				if !strings.Contains(rest, "interrupted") {
					t.Errorf("stderr does not say the command was interrupted:\n%s", rest)
				}
			})
		}
	}
}

// TestInterruptedCommandDoesNotReportSuccess: a command that finishes after
// the interrupt (graph and plan do not look at their context) exits 130,
// not 0: the user asked it to stop.
func TestInterruptedCommandDoesNotReportSuccess(t *testing.T) {
	_, rec, cacheDir := smallProject(t, smallRecipe)
	for _, args := range [][]string{{"graph", rec}, {"plan", rec, "--cache", cacheDir}} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb bytes.Buffer
		g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(ctx, g, args); code != exitInterrupted {
			t.Errorf("dsbuild %v after an interrupt: exit %d, want %d\n%s", args, code, exitInterrupted, errb.String())
		}
	}
}

// TestDeepNestingIsADiagnostic: 100k parentheses (about 200 KB) used to
// overflow the stack in load and in fmt, and so did a flat chain of 500k
// && (the tree HCL builds is as deep as the chain); now every command
// reports the place as a recipe error (exit 2).
func TestDeepNestingIsADiagnostic(t *testing.T) {
	var chain strings.Builder
	chain.WriteString(`a == "0"`)
	for i := 1; i < 500000; i++ {
		chain.WriteString(` && a != "1"`)
	}
	for _, tc := range []struct{ name, where, want string }{
		{"parentheses", strings.Repeat("(", 100000) + `a == "x"` + strings.Repeat(")", 100000), "Expression nested too deeply"},
		{"operator chain", chain.String(), "Expression too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rec, cacheDir := smallProject(t, strings.Replace(smallRecipe, `a == "x"`, tc.where, 1))
			for _, args := range [][]string{{"build", rec, "--cache", cacheDir}, {"plan", rec, "--cache", cacheDir}, {"fmt", rec}, {"fmt", "--check", rec}} {
				cmd, stderr := startChild(t, nil, args...)
				code, out := waitExit(t, cmd, stderr)
				if code != exitUsage || !strings.Contains(out, "r.hcl:7:") || !strings.Contains(out, tc.want) {
					t.Errorf("dsbuild %v: exit %d, want %d and %q at r.hcl:7:\n%.2000s", args, code, exitUsage, tc.want, out)
				}
			}
		})
	}
}

// runIn runs the CLI in-process with a private store.
func runIn(t *testing.T, cacheDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if args[0] != "fmt" {
		args = append(args, "--cache", cacheDir)
	}
	code := run(context.Background(), g, args)
	return code, out.String(), errb.String()
}

// outputRecipe is smallRecipe writing to path (an HCL string literal).
func outputRecipe(path string) string {
	return strings.Replace(smallRecipe, `"out/o.csv"`, path, 1)
}

// wantDiag runs dsbuild cmd on rec and wants exit 2 with every substring of
// want in its diagnostics.
func wantDiag(t *testing.T, cacheDir string, args []string, want ...string) string {
	t.Helper()
	code, _, stderr := runIn(t, cacheDir, args...)
	if code != exitUsage {
		t.Fatalf("dsbuild %v: exit %d, want %d\n%s", args, code, exitUsage, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("dsbuild %v: stderr lacks %q:\n%s", args, w, stderr)
		}
	}
	return stderr
}

// TestOutputsStayInsideTheProject: an output whose folder (out/ itself or
// any parent) is a link leading outside the project is refused before
// anything runs, by build and plan alike, and nothing is written there; a
// link that stays inside the project is followed.
func TestOutputsStayInsideTheProject(t *testing.T) {
	tests := []struct {
		name, path string
		links      map[string]string // link (in the project) -> target ("OUT" = the outside folder)
		shown      string            // the link the message must name
	}{
		{"out is a link", `"out/keys/authorized_keys"`, map[string]string{"out": "OUT"}, "out"},
		{"a deeper parent", `"out/keys/authorized_keys"`, map[string]string{"out/keys": "OUT"}, "out/keys"},
		{"a relative link", `"out/keys/authorized_keys"`, map[string]string{"out/keys": "../../../OUTREL"}, "out/keys"},
		{"the file itself", `"out/authorized_keys"`, map[string]string{"out/authorized_keys": "OUT/authorized_keys"}, "out/authorized_keys"},
		{"a dangling link", `"out/keys/authorized_keys"`, map[string]string{"out/keys": "/nonexistent/dsbuild"}, "out/keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, rec, cacheDir := smallProject(t, outputRecipe(tc.path))
			outside := t.TempDir()
			must(t, os.WriteFile(filepath.Join(outside, "authorized_keys"), []byte("ssh-ed25519 AAAA mine\n"), 0o600))
			for link, target := range tc.links {
				target = strings.Replace(target, "OUT", outside, 1)
				if strings.Contains(target, "OUTREL") {
					rel, err := filepath.Rel(filepath.Join(dir, filepath.Dir(link)), outside)
					must(t, err)
					target = rel
				}
				must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(link)), 0o755))
				must(t, os.Symlink(target, filepath.Join(dir, link)))
			}
			for _, cmd := range []string{"plan", "build"} {
				wantDiag(t, cacheDir, []string{cmd, rec}, "r.hcl:12:", "Invalid output path", tc.shown)
			}
			got, err := os.ReadFile(filepath.Join(outside, "authorized_keys"))
			must(t, err)
			if string(got) != "ssh-ed25519 AAAA mine\n" {
				t.Errorf("the file outside the project was changed: %q", got)
			}
		})
	}
	t.Run("a link inside the project", func(t *testing.T) {
		dir, rec, cacheDir := smallProject(t, outputRecipe(`"out/o.csv"`))
		must(t, os.MkdirAll(filepath.Join(dir, "data", "real"), 0o755))
		must(t, os.Symlink(filepath.Join("data", "real"), filepath.Join(dir, "out")))
		if code, _, stderr := runIn(t, cacheDir, "build", rec); code != 0 {
			t.Fatalf("build: exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "real", "o.csv")); err != nil {
			t.Errorf("output not written through the link inside the project: %v", err)
		}
	})
}

// TestOutputsMayNotOverwriteWhatDsbuildOwns: the recipe, lockfiles/, .git/
// and the store are refused as output paths, however the path is spelled;
// an existing link or special file at the output path is refused, not
// followed.
func TestOutputsMayNotOverwriteWhatDsbuildOwns(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{"the recipe", `"recipes/r.hcl"`, "Output would overwrite the recipe"},
		{"the recipe spelled oddly", `"out/../recipes/./r.hcl"`, "Output would overwrite the recipe"},
		{"a lockfile", `"lockfiles/r.lock"`, "Output would overwrite a lockfile"},
		{"the lockfiles folder", `"lockfiles"`, "Output would overwrite a lockfile"},
		{".git", `".git/hooks/pre-commit"`, "Output would write into .git"},
		{"the store", `"cache/blobs/x.csv"`, "Output would write into the store"},
		{"a NUL byte", `"out/a\u0000b.csv"`, "NUL"},
		{"a folder", `"out"`, "is a folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, rec, _ := smallProject(t, outputRecipe(tc.path))
			must(t, os.MkdirAll(filepath.Join(dir, ".git", "hooks"), 0o755))
			must(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
			cacheDir := filepath.Join(dir, "cache")
			before, err := os.ReadFile(rec)
			must(t, err)
			wantDiag(t, cacheDir, []string{"build", rec}, "r.hcl:12:", tc.want)
			after, err := os.ReadFile(rec)
			must(t, err)
			if !bytes.Equal(before, after) {
				t.Errorf("the recipe changed")
			}
		})
	}
	t.Run("an existing link", func(t *testing.T) {
		dir, rec, cacheDir := smallProject(t, outputRecipe(`"out/o.csv"`))
		must(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "kept.csv"), []byte("kept\n"), 0o644))
		must(t, os.Symlink(filepath.Join(dir, "kept.csv"), filepath.Join(dir, "out", "o.csv")))
		wantDiag(t, cacheDir, []string{"build", rec}, "Output path is not a regular file", "a symbolic link")
		if b, _ := os.ReadFile(filepath.Join(dir, "kept.csv")); string(b) != "kept\n" {
			t.Errorf("the link's target was written: %q", b)
		}
	})
	t.Run("a FIFO", func(t *testing.T) {
		dir, rec, cacheDir := smallProject(t, outputRecipe(`"out/o.csv"`))
		must(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
		if err := syscall.Mkfifo(filepath.Join(dir, "out", "o.csv"), 0o644); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		wantDiag(t, cacheDir, []string{"build", rec}, "Output path is not a regular file", "named pipe")
	})
}

// TestTwoOutputsOneFile: two output blocks writing one file (however the
// path is spelled, or through a link inside the project) are a recipe
// error naming both blocks.
func TestTwoOutputsOneFile(t *testing.T) {
	for _, second := range []string{`"out/o.csv"`, `"./out/o.csv"`, `"out/x/../o.csv"`, `"alias/o.csv"`} {
		t.Run(second, func(t *testing.T) {
			dir, rec, cacheDir := smallProject(t, smallRecipe+`
output "again" {
  input = fetch.d
  path  = `+second+`
}
`)
			must(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
			must(t, os.Symlink("out", filepath.Join(dir, "alias")))
			for _, cmd := range []string{"plan", "build", "graph"} {
				wantDiag(t, cacheDir, []string{cmd, rec}, "r.hcl:17:", "Two outputs write one file", "output.o (", `r.hcl:12) already writes "out/o.csv"`, "give output.again another path")
			}
			if _, err := os.Stat(filepath.Join(dir, "lockfiles", "r.lock")); err == nil {
				t.Error("a lock was written")
			}
		})
	}
}

// TestTemplatesStayInsideTheProject: a synthesize templates path through
// a link out of the project, or a template file that is a link, is refused
// at load with a message naming the link.
func TestTemplatesStayInsideTheProject(t *testing.T) {
	const recipe = `synthesize "s" {
  category  = "boundary"
  n         = 2
  seed      = 1
  templates = "recipes/templates"
}
`
	dir, rec, cacheDir := smallProject(t, recipe)
	outside := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(dir, "recipes", "templates")))
	wantDiag(t, cacheDir, []string{"plan", rec}, "r.hcl:5:", "Invalid templates path", "recipes/templates, a symbolic link to "+outside+", outside the project")

	dir, rec, cacheDir = smallProject(t, recipe)
	must(t, os.MkdirAll(filepath.Join(dir, "recipes", "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "secret.hcl"), []byte("x = 1\n"), 0o644))
	must(t, os.Symlink(filepath.Join(outside, "secret.hcl"), filepath.Join(dir, "recipes", "templates", "a.hcl")))
	wantDiag(t, cacheDir, []string{"plan", rec}, "r.hcl:5:", "a.hcl", "not a regular file")
}

// TestStaleOutputTempsAreCleaned: the temp file a killed build leaves
// beside an output is removed by the next build, whether the output is
// rewritten or restored from the cache; a temp file a live writer holds
// (locked) is left alone.
func TestStaleOutputTempsAreCleaned(t *testing.T) {
	dir, rec, cacheDir := smallProject(t, smallRecipe)
	out := filepath.Join(dir, "out")
	must(t, os.MkdirAll(out, 0o755))
	stale := filepath.Join(out, ".o.csv.dsbuild-0123456789abcdef")
	live := filepath.Join(out, ".o.csv.dsbuild-fedcba9876543210")
	must(t, os.WriteFile(stale, []byte("half"), 0o600))
	must(t, os.WriteFile(live, []byte("busy"), 0o600))
	f, err := os.OpenFile(live, os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	if code, _, stderr := runIn(t, cacheDir, "build", rec); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file %s survived the build (err %v)", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a locked temp file was removed: %v", err)
	}
	// A cached build that only checks the output cleans too.
	must(t, os.WriteFile(stale, []byte("half"), 0o600))
	if code, _, stderr := runIn(t, cacheDir, "build", rec); code != 0 {
		t.Fatalf("second build: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file survived a cached build (err %v)", err)
	}
}

// TestEmptyRecipeIsAnError: a recipe without nodes (an empty file, only
// comments, only variables) exits 2 with a hint and writes no lock.
func TestEmptyRecipeIsAnError(t *testing.T) {
	for name, src := range map[string]string{
		"empty":          "",
		"comments":       "# to do\n",
		"only variables": "variable \"seed\" {\n  default = 1\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir, rec, cacheDir := smallProject(t, src)
			for _, cmd := range []string{"build", "plan"} {
				wantDiag(t, cacheDir, []string{cmd, rec}, "r.hcl:1:1: error: Empty recipe", "declares no nodes", "e.g. fetch")
			}
			if _, err := os.Stat(filepath.Join(dir, "lockfiles", "r.lock")); err == nil {
				t.Error("an empty recipe wrote a lock")
			}
		})
	}
}

// TestRecipeAndParameterErrorsTogether: a recipe error in one block (an
// undeclared variable) and an op parameter error in another (an unknown
// output format, an output escaping the project) come in one run, not one
// round after the other.
func TestRecipeAndParameterErrorsTogether(t *testing.T) {
	src := smallRecipe + `
filter "g" {
  input = fetch.d
  where = a == var.missing
  strict = var.nope
}

output "p" {
  input  = fetch.d
  path   = "out/p.csv"
  format = "xlsx"
}

output "q" {
  input = fetch.d
  path  = "../q.csv"
}
`
	_, rec, cacheDir := smallProject(t, src)
	for _, cmd := range []string{"build", "plan"} {
		wantDiag(t, cacheDir, []string{cmd, rec},
			"r.hcl:18:", "Reference to undeclared variable",
			"r.hcl:24:", "Unsupported output format",
			"r.hcl:29:", "Invalid output path")
	}
}

// TestLockfileStaysInsideTheProject: lockfiles/ linked out of the project
// would have the lock written there; it is refused at load.
func TestLockfileStaysInsideTheProject(t *testing.T) {
	dir, rec, cacheDir := smallProject(t, smallRecipe)
	outside := t.TempDir()
	must(t, os.Remove(filepath.Join(dir, "lockfiles")))
	must(t, os.Symlink(outside, filepath.Join(dir, "lockfiles")))
	wantDiag(t, cacheDir, []string{"build", rec}, "Invalid lockfile path", "lockfiles, a symbolic link to "+outside)
	if ents, _ := os.ReadDir(outside); len(ents) > 0 {
		t.Errorf("files written outside the project: %v", ents)
	}
}

// TestAllThreeRoundsAtOnce: once an input is cached, a type error in a
// node reading it is reported in the same run as a recipe error and a
// parameter error elsewhere, not after they are fixed.
func TestAllThreeRoundsAtOnce(t *testing.T) {
	_, rec, cacheDir := smallProject(t, smallRecipe)
	if code, _, stderr := runIn(t, cacheDir, "build", rec); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	bad := strings.Replace(smallRecipe, `where = a == "x"`, `where = a > 1`, 1) + `
filter "g" {
  input = fetch.d
  where = a == var.missing
}

output "p" {
  input  = fetch.d
  path   = "out/p.csv"
  format = "xlsx"
}
`
	must(t, os.WriteFile(rec, []byte(bad), 0o644))
	for _, cmd := range []string{"build", "plan"} {
		wantDiag(t, cacheDir, []string{cmd, rec},
			"r.hcl:7:", "Mismatched types",
			"r.hcl:17:", "Reference to undeclared variable",
			"r.hcl:23:", "Unsupported output format")
	}
}
