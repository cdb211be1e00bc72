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
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		rest <- string(b)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), <-rest
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("dsbuild %v did not exit within 10 s of the interrupt", cmd.Args)
		return 0, ""
	}
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
// overflow the stack in load and in fmt; now every command reports the
// place as a recipe error (exit 2).
func TestDeepNestingIsADiagnostic(t *testing.T) {
	where := strings.Repeat("(", 100000) + `a == "x"` + strings.Repeat(")", 100000)
	_, rec, cacheDir := smallProject(t, strings.Replace(smallRecipe, `a == "x"`, where, 1))
	for _, args := range [][]string{{"build", rec, "--cache", cacheDir}, {"plan", rec, "--cache", cacheDir}, {"fmt", rec}, {"fmt", "--check", rec}} {
		cmd, stderr := startChild(t, nil, args...)
		code, out := waitExit(t, cmd, stderr)
		if code != exitUsage || !strings.Contains(out, "r.hcl:7:") || !strings.Contains(out, "Expression nested too deeply") {
			t.Errorf("dsbuild %v: exit %d, want %d and a diagnostic at r.hcl:7:\n%.2000s", args, code, exitUsage, out)
		}
	}
}
