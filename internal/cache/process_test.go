package cache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The multi-process tests re-exec the test binary; the child's role comes
// from these variables and runs inside TestHelperProcess.
const (
	envHelper = "DSBUILD_CACHE_TEST_HELPER"
	envRoot   = "DSBUILD_CACHE_TEST_ROOT"
	envName   = "DSBUILD_CACHE_TEST_NAME"

	helperIterations = 15
	killAfter        = 3 * copyBufSize
)

func helperCmd(t *testing.T, role, root, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelper+"="+role, envRoot+"="+root, envName+"="+name)
	return cmd
}

func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envHelper)
	if role == "" {
		t.Skip("only runs as a child of the multi-process tests")
	}
	s, err := Open(os.Getenv(envRoot))
	if err != nil {
		t.Fatal(err)
	}
	switch role {
	case "hammer":
		if err := hammer(s, os.Getenv(envName), helperIterations); err != nil {
			t.Fatal(err)
		}
	case "killput":
		_, err := s.Put(&stallingReader{limit: killAfter}, "")
		t.Fatalf("Put of a stalling reader returned (%v); the parent should have killed us", err)
	default:
		t.Fatalf("unknown helper role %q", role)
	}
}

// stallingReader yields limit bytes, announces on stdout that they have all
// been handed to the store, then blocks until the process is killed.
type stallingReader struct{ limit, n int }

func (r *stallingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		// Put writes each full buffer before reading the next one, so
		// every byte so far is in the temp file.
		fmt.Println("READY")
		time.Sleep(time.Hour)
		return 0, io.EOF
	}
	n := min(len(p), r.limit-r.n)
	for i := range p[:n] {
		p[i] = byte(r.n + i)
	}
	r.n += n
	return n, nil
}

func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s := newTestStore(t)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 2 {
		cmd := helperCmd(t, "hammer", s.Root(), fmt.Sprintf("process-%d", i))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// Hammer from this process too, so three writers share the store.
	if err := hammer(s, "parent", helperIterations); err != nil {
		t.Error(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process %d: %v\n%s", i, err, outs[i])
		}
	}
	checkStore(t, s, 4+3*helperIterations)
}

// startStalledWriter starts a child process whose Put has written killAfter
// bytes into ingest/ and then stalls.
func startStalledWriter(t *testing.T, s *Store) *exec.Cmd {
	t.Helper()
	cmd := helperCmd(t, "killput", s.Root(), "")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	// The deadline only guards against a hung child; it asserts nothing.
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "READY" {
			t.Fatalf("helper said %q, want READY\n%s", line, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("helper never got to READY\n%s", stderr.String())
	}
	return cmd
}

// A killed writer's temp file is removed by CleanIngest; a live writer's,
// in another process, is not, however old it is: ownership is decided by
// the writer's lock on its file, not by age.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s := newTestStore(t)
	dead := startStalledWriter(t, s)
	live := startStalledWriter(t, s)
	if err := dead.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	dead.Wait()

	if blobs, err := s.Blobs(); err != nil || len(blobs) != 0 {
		t.Errorf("Blobs() = %v, %v after a killed Put, want none", blobs, err)
	}
	left := listDir(t, ingestDir(s))
	if len(left) != 2 {
		t.Fatalf("ingest/ = %v, want the killed and the live writer's temp files", left)
	}
	for _, name := range left {
		if fi, err := os.Stat(filepath.Join(ingestDir(s), name)); err != nil || fi.Size() != killAfter {
			t.Errorf("temp file %s = %v, %v; want %d bytes written before the kill", name, fi, err, killAfter)
		}
		// Old enough for any age rule to call it abandoned.
		old := time.Now().Add(-48 * time.Hour)
		os.Chtimes(filepath.Join(ingestDir(s), name), old, old)
	}
	if err := s.CleanIngest(); err != nil {
		t.Fatalf("CleanIngest() = %v", err)
	}
	if got := listDir(t, ingestDir(s)); len(got) != 1 {
		t.Fatalf("ingest/ = %v after CleanIngest with one live writer, want only its file", got)
	}
	live.Process.Kill()
	live.Wait()
	if err := s.CleanIngest(); err != nil {
		t.Fatalf("CleanIngest() = %v", err)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ = %v after CleanIngest, want empty", left)
	}
}
