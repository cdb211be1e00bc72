//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// Tests of issue 14: sharing a store across a lab through an OCI registry
// (Debian's docker-registry, started by .ci/registry.sh) or a shared
// directory, at the level a user meets it: dsbuild processes on two
// "machines" (two projects, two caches) and one remote.

// testRegistry is the address of the test registry named by env, or skips
// the test (fails under CI=true, where .ci/run starts it).
func testRegistry(t *testing.T, env string) string {
	t.Helper()
	addr := os.Getenv(env)
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("$%s is not set: .ci/run starts the registries with .ci/registry.sh", env)
		}
		t.Skipf("$%s is not set (.ci/registry.sh start, then source the env file it prints)", env)
	}
	return addr
}

// registryStorage is the storage root of the unauthenticated registry.
func registryStorage(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DSBUILD_TEST_REGISTRY_STORAGE")
	if dir == "" {
		t.Fatal("$DSBUILD_TEST_REGISTRY_STORAGE is not set (.ci/registry.sh writes it with the address)")
	}
	return dir
}

// newRepo is a repository of its own for a test, in the registry at addr.
func newRepo(t *testing.T, addr string) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return fmt.Sprintf("oci://%s/dsbuild-test/%s-%d", addr, name, time.Now().UnixNano())
}

// newRemoteProject is a small project whose data no other test has: the
// registry's blob storage is shared by all repositories, and the tests
// that damage a blob there must not touch another test's.
func newRemoteProject(t *testing.T) *storeProject {
	t.Helper()
	p := newSmallProject(t)
	seed := int(time.Now().UnixNano() % 1e9)
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "single.jsonl"), jsonlRows(seed, 400), 0o644))
	for i := range 3 {
		must(t, os.WriteFile(filepath.Join(p.dir, "data", "parts", fmt.Sprintf("p%d.jsonl", i)), jsonlRows(seed+1+i, 120), 0o644))
	}
	return p
}

// remoteArgs are the flags that point a command at url.
func remoteArgs(url string) []string {
	if strings.HasPrefix(url, "oci://") {
		return []string{"--remote", url, "--plain-http"}
	}
	return []string{"--remote", url}
}

// onMachineB is a copy of project a (its recipe, data and lock, as a
// colleague's checkout) with an empty cache of its own and no outputs.
func onMachineB(t *testing.T, a *storeProject) *storeProject {
	t.Helper()
	b := &storeProject{dir: t.TempDir(), mirror: a.mirror, cache: t.TempDir(), pin: a.pin, env: a.env, name: a.name}
	copyTree(t, a.dir, b.dir)
	must(t, os.RemoveAll(filepath.Join(b.dir, "out")))
	return b
}

func (p *storeProject) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := p.run(t, args...)
	if code != 0 {
		t.Fatalf("dsbuild %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout + stderr
}

// registryBlobPath is where the registry keeps blob d's bytes.
func registryBlobPath(storage string, d string) string {
	hexd := strings.TrimPrefix(d, "sha256:")
	return filepath.Join(storage, "docker", "registry", "v2", "blobs", "sha256", hexd[:2], hexd, "data")
}

// assertRegistryIntact fails the test if a blob of the repository at url
// does not hash to its name in the registry's storage.
func assertRegistryIntact(t *testing.T, storage, url string) {
	t.Helper()
	repo := url[strings.Index(strings.TrimPrefix(url, "oci://"), "/")+len("oci://")+1:]
	layers := filepath.Join(storage, "docker", "registry", "v2", "repositories", filepath.FromSlash(repo), "_layers", "sha256")
	ents, err := os.ReadDir(layers)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	must(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(registryBlobPath(storage, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // linked before its upload was committed
		}
		must(t, err)
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != e.Name() {
			t.Errorf("registry blob %s holds content %x", e.Name(), sum)
		}
	}
}

func readLock(t *testing.T, p *storeProject) *graph.Lock {
	t.Helper()
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	return l
}

// Machine A builds with a remote and so pushes; machine B, with an empty
// cache, builds the same recipe running no node, only downloading, and
// gets the same lock and outputs. So does machine C after `dsbuild pull`,
// building offline. verify --remote finds everything; `oras pull` of the
// build's tag gives the output files byte for byte.
func TestRemoteShareBuild(t *testing.T) {
	for _, kind := range []string{"oci", "file"} {
		t.Run(kind, func(t *testing.T) {
			var url string
			if kind == "oci" {
				url = newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
			} else {
				url = "file://" + t.TempDir()
			}
			a := newRemoteProject(t)
			out := a.mustRun(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
			if !strings.Contains(out, "uploaded") {
				t.Fatalf("machine A's build did not write back:\n%s", out)
			}
			want := a.snapshot(t)

			b := onMachineB(t, a)
			start := time.Now()
			out = b.mustRun(t, append([]string{"build", b.recipe()}, remoteArgs(url)...)...)
			t.Logf("%s: machine B's no-op build with downloads took %v", kind, time.Since(start))
			if strings.Contains(out, "ran ") || !strings.Contains(out, "nothing to do") {
				t.Fatalf("machine B ran nodes:\n%s", out)
			}
			if d := diffSnapshots(want, b.snapshot(t)); d != "" {
				t.Fatalf("machine B's lock and outputs differ from A's:\n%s", d)
			}
			assertStoreIntact(t, b.cache)

			c := onMachineB(t, a)
			out = c.mustRun(t, append([]string{"pull", c.recipe()}, remoteArgs(url)...)...)
			if !strings.Contains(out, "downloaded") {
				t.Fatalf("pull said nothing of what it downloaded:\n%s", out)
			}
			out = c.mustRun(t, "build", c.recipe()) // no remote
			if strings.Contains(out, "ran ") || !strings.Contains(out, "nothing to do") {
				t.Fatalf("a build after pull, without the remote, ran nodes:\n%s", out)
			}
			if d := diffSnapshots(want, c.snapshot(t)); d != "" {
				t.Fatalf("after pull: lock and outputs differ from A's:\n%s", d)
			}

			out = a.mustRun(t, append([]string{"verify", a.recipe()}, remoteArgs(url)...)...)
			if !strings.Contains(out, "verify --remote: ok") {
				t.Fatalf("verify --remote:\n%s", out)
			}
			if kind == "oci" {
				orasPull(t, url, a, want)
			}
		})
	}
}

// orasPull pulls the build's tag with the oras CLI and compares the files.
func orasPull(t *testing.T, url string, a *storeProject, want map[string]string) {
	t.Helper()
	oras, err := exec.LookPath("oras")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("oras is not on PATH (.ci/run: go install oras.land/oras/cmd/oras@v1.3.0)")
		}
		t.Log("oras is not on PATH: the interop check is skipped")
		return
	}
	code, stdout, stderr := a.run(t, append([]string{"push", a.recipe()}, remoteArgs(url)...)...)
	if code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	ref := strings.TrimSpace(stdout)
	lockBytes, err := os.ReadFile(a.lock())
	must(t, err)
	sum := sha256.Sum256(lockBytes)
	if !strings.HasSuffix(ref, ":small-"+hex.EncodeToString(sum[:])) {
		t.Fatalf("push printed %q; want the tag small-<lock digest hex>", ref)
	}
	dir := t.TempDir()
	cmd := exec.Command(oras, "pull", "--plain-http", "-o", dir, ref)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oras pull %s: %v\n%s", ref, err, b)
	}
	got := map[string]string{}
	must(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	if d := diffSnapshots(want, got); d != "" {
		t.Fatalf("oras pull gave other files than the build:\n%s", d)
	}
}

// A byte flipped in blobs inside the registry's storage is caught when
// they are downloaded: pull fails naming the digest; a build warns naming
// it, rebuilds the nodes locally, and still matches the lock.
func TestRemoteTamperedBlob(t *testing.T) {
	url := newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
	storage := registryStorage(t)
	a := newRemoteProject(t)
	a.mustRun(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
	want := a.snapshot(t)
	l := readLock(t, a)
	// The output's blob is read to restore the file; the filter's then to
	// write it again.
	var flipped []string
	for _, id := range []string{"output.big", "filter.big"} {
		blob := string(l.Nodes[id].Blob)
		path := registryBlobPath(storage, blob)
		b, err := os.ReadFile(path)
		must(t, err)
		b[len(b)/2] ^= 0x20
		must(t, os.WriteFile(path, b, 0o644))
		t.Cleanup(func() {
			b[len(b)/2] ^= 0x20
			os.WriteFile(path, b, 0o644)
		})
		flipped = append(flipped, blob)
	}

	c := onMachineB(t, a)
	code, _, stderr := c.run(t, append([]string{"pull", c.recipe()}, remoteArgs(url)...)...)
	if code != 1 || !strings.Contains(stderr, "corrupt") || !(strings.Contains(stderr, flipped[0]) || strings.Contains(stderr, flipped[1])) {
		t.Fatalf("pull of tampered blobs: exit %d, want 1 naming the digest\n%s", code, stderr)
	}

	b := onMachineB(t, a)
	out := b.mustRun(t, append([]string{"build", b.recipe()}, remoteArgs(url)...)...)
	for _, d := range flipped {
		if !strings.Contains(out, "warning: remote "+url+": blob "+d+" rejected") {
			t.Errorf("no warning naming the tampered blob %s:\n%s", d, out)
		}
	}
	for _, id := range []string{"ran       output.big", "ran       filter.big"} {
		if !strings.Contains(out, id) {
			t.Errorf("%q was not rebuilt:\n%s", id, out)
		}
	}
	if d := diffSnapshots(want, b.snapshot(t)); d != "" {
		t.Fatalf("the build after rejecting tampered blobs differs from the lock:\n%s", d)
	}
	assertStoreIntact(t, b.cache)
}

// verify --remote checks existence only (no download), and exits 3
// naming the node and digest of a blob deleted from the registry.
func TestVerifyRemote(t *testing.T) {
	url := newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
	storage := registryStorage(t)
	a := newRemoteProject(t)
	a.mustRun(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
	b := onMachineB(t, a)
	out := b.mustRun(t, append([]string{"verify", b.recipe()}, remoteArgs(url)...)...)
	if !strings.Contains(out, "verify --remote: ok") {
		t.Fatalf("verify --remote:\n%s", out)
	}
	if ents, err := os.ReadDir(filepath.Join(b.cache, "blobs", "sha256")); err == nil && len(ents) != 0 {
		t.Fatalf("verify --remote downloaded %d blobs", len(ents))
	}
	blob := string(readLock(t, a).Nodes["filter.even"].Blob)
	must(t, os.Remove(registryBlobPath(storage, blob)))
	code, _, stderr := b.run(t, append([]string{"verify", b.recipe()}, remoteArgs(url)...)...)
	if code != 3 || !strings.Contains(stderr, "filter.even: blob "+blob) || !strings.Contains(stderr, "1 artifacts") {
		t.Fatalf("verify --remote after deleting a blob: exit %d, want 3 naming filter.even and %s\n%s", code, blob, stderr)
	}
}

// Wrong (or no) credentials are an authentication error that says what to
// set, and never show the password.
func TestRemoteCredentials(t *testing.T) {
	addr := testRegistry(t, "DSBUILD_TEST_REGISTRY_AUTH")
	user, pass := os.Getenv("DSBUILD_TEST_REGISTRY_USER"), os.Getenv("DSBUILD_TEST_REGISTRY_PASSWORD")
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // not the machine's docker logins
	url := newRepo(t, addr)
	for _, env := range []map[string]string{
		{"DSBUILD_REGISTRY_USER": user, "DSBUILD_REGISTRY_PASSWORD": "wrong" + pass},
		{},
	} {
		a := newRemoteProject(t)
		a.env = env
		code, stdout, stderr := a.run(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
		if code != 1 || !strings.Contains(stderr, "registry authentication failed") || !strings.Contains(stderr, "DSBUILD_REGISTRY_PASSWORD") {
			t.Fatalf("build with credentials %v: exit %d, want 1 and an authentication error\n%s", env != nil, code, stderr)
		}
		if strings.Contains(stdout+stderr, pass) {
			t.Fatal("the output shows the password")
		}
	}
	a := newRemoteProject(t)
	a.env = map[string]string{"DSBUILD_REGISTRY_USER": user, "DSBUILD_REGISTRY_PASSWORD": pass}
	out := a.mustRun(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
	if strings.Contains(out, pass) {
		t.Fatal("the output shows the password")
	}
	b := onMachineB(t, a)
	if out := b.mustRun(t, append([]string{"build", b.recipe()}, remoteArgs(url)...)...); strings.Contains(out, "ran ") {
		t.Fatalf("machine B with credentials ran nodes:\n%s", out)
	}
}

// startBuild starts `dsbuild build` of p as a child process.
func startBuild(t *testing.T, p *storeProject, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"build", p.recipe(), "--cache", p.cache, "--mirror", p.mirror}, extra...)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHardenMainChild$")
	cmd.Env = append(os.Environ(), "DSBUILD_HARDEN_CHILD_ARGS="+strings.Join(args, "\x1f"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	return cmd, &out
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatal(err)
	return 0
}

// Four builds at once, in four checkouts sharing one store and one remote,
// all succeed with the same lock; neither store holds a bad blob.
func TestRemoteConcurrentBuilds(t *testing.T) {
	for _, kind := range []string{"oci", "file"} {
		t.Run(kind, func(t *testing.T) {
			var url, remoteDir string
			if kind == "oci" {
				url = newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
			} else {
				remoteDir = t.TempDir()
				url = "file://" + remoteDir
			}
			base := newRemoteProject(t)
			var ps []*storeProject
			for range 4 {
				p := onMachineB(t, base)
				p.cache = base.cache
				must(t, os.RemoveAll(p.lock()))
				ps = append(ps, p)
			}
			var wg sync.WaitGroup
			codes := make([]int, len(ps))
			outs := make([]*bytes.Buffer, len(ps))
			for i, p := range ps {
				cmd, out := startBuild(t, p, remoteArgs(url)...)
				outs[i] = out
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = exitCodeOf(t, cmd, cmd.Wait())
				}()
			}
			wg.Wait()
			var first []byte
			for i, p := range ps {
				if codes[i] != 0 {
					t.Fatalf("build %d: exit %d\n%s", i, codes[i], outs[i])
				}
				l, err := os.ReadFile(p.lock())
				must(t, err)
				if first == nil {
					first = l
				} else if !bytes.Equal(l, first) {
					t.Fatalf("build %d wrote another lock", i)
				}
			}
			assertStoreIntact(t, base.cache)
			if kind == "oci" {
				assertRegistryIntact(t, registryStorage(t), url)
			} else {
				assertStoreIntact(t, remoteDir)
			}
			b := onMachineB(t, ps[0])
			if out := b.mustRun(t, append([]string{"build", b.recipe()}, remoteArgs(url)...)...); strings.Contains(out, "ran ") {
				t.Fatalf("a build from the remote the four filled ran nodes:\n%s", out)
			}
		})
	}
}

// Builds with a remote killed with SIGKILL at random points (while
// building, writing locally, or pushing) never leave a blob whose content
// does not match its digest, locally or in the registry; the next build
// completes and verify --remote passes.
func TestRemoteKilledBuilds(t *testing.T) {
	url := newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
	storage := registryStorage(t)
	p := newRemoteProject(t)
	// A reference build in a child process measures how long a build with
	// its push takes, so that the kill points spread over all of it.
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "single.jsonl"), jsonlRows(99, 399), 0o644))
	start := time.Now()
	cmd, out := startBuild(t, p, remoteArgs(url)...)
	if code := exitCodeOf(t, cmd, cmd.Wait()); code != 0 {
		t.Fatalf("reference build: exit %d\n%s", code, out)
	}
	span := time.Since(start)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, kill points within %v", seed, span)
	rng := rand.New(rand.NewPCG(seed, 1))
	killed := 0
	for i := 0; killed < 20 && i < 60; i++ {
		// New data every round: every node has work to do and to push.
		must(t, os.WriteFile(filepath.Join(p.dir, "data", "single.jsonl"), jsonlRows(100+i, 400+i), 0o644))
		cmd, _ := startBuild(t, p, remoteArgs(url)...)
		// The kill lands at a random point of the build: this chooses the
		// point, it waits for nothing.
		time.Sleep(time.Duration(rng.Int64N(int64(span))))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		if code := exitCodeOf(t, cmd, cmd.Wait()); code == -int(syscall.SIGKILL) {
			killed++
		}
		assertStoreIntact(t, p.cache)
		assertRegistryIntact(t, storage, url)
	}
	if killed < 20 {
		t.Fatalf("only %d builds were killed before they ended", killed)
	}
	p.mustRun(t, append([]string{"build", p.recipe()}, remoteArgs(url)...)...)
	if v := p.mustRun(t, append([]string{"verify", p.recipe()}, remoteArgs(url)...)...); !strings.Contains(v, "verify --remote: ok") {
		t.Fatalf("verify --remote after the kills:\n%s", v)
	}
	assertRegistryIntact(t, storage, url)
}

// stoppingProxy forwards to a registry until the first blob upload
// arrives, then stops for good, as a registry shut down mid-push.
func stoppingProxy(t *testing.T, addr string) string {
	t.Helper()
	target, err := url.Parse("http://" + addr)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	var once sync.Once
	srv := &http.Server{}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			once.Do(func() { go srv.Close() })
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<10)) // part of the upload arrives
			panic(http.ErrAbortHandler)
		}
		rp.ServeHTTP(w, r)
	})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// The registry going away mid-push fails the build with a clear error
// after the local build is complete: the local store is intact and whole
// (a build without the remote runs nothing), and a later build with the
// registry back writes everything back.
func TestRegistryStoppedMidPush(t *testing.T) {
	addr := testRegistry(t, "DSBUILD_TEST_REGISTRY")
	repo := strings.TrimPrefix(newRepo(t, addr), "oci://"+addr)
	p := newRemoteProject(t)
	proxy := "oci://" + stoppingProxy(t, addr) + repo
	code, _, stderr := p.run(t, append([]string{"build", p.recipe()}, remoteArgs(proxy)...)...)
	if code != 1 || !strings.Contains(stderr, "results are in the local store, but writing them back failed") ||
		!strings.Contains(stderr, "cannot reach the registry") {
		t.Fatalf("build with the registry stopping mid-push: exit %d, want 1 and a clear error\n%s", code, stderr)
	}
	assertStoreIntact(t, p.cache)
	want := p.snapshot(t)
	if out := p.mustRun(t, "build", p.recipe()); !strings.Contains(out, "nothing to do") {
		t.Fatalf("the local store is not whole after the failed push:\n%s", out)
	}
	url := "oci://" + addr + repo
	p.mustRun(t, append([]string{"build", p.recipe()}, remoteArgs(url)...)...)
	if out := p.mustRun(t, append([]string{"verify", p.recipe()}, remoteArgs(url)...)...); !strings.Contains(out, "verify --remote: ok") {
		t.Fatalf("verify --remote after pushing again:\n%s", out)
	}
	if d := diffSnapshots(want, p.snapshot(t)); d != "" {
		t.Fatal(d)
	}
}

// Usage errors of the remote flags exit 2 before anything runs.
func TestRemoteUsage(t *testing.T) {
	p := newRemoteProject(t)
	for _, args := range [][]string{
		{"build", p.recipe(), "--remote", "s3://bucket/x"},
		{"build", p.recipe(), "--remote", "oci://registry.example.com/lab", "--plain-http"},
		{"push", p.recipe()},
		{"pull", p.recipe()},
	} {
		code, _, stderr := p.run(t, args...)
		if code != 2 {
			t.Errorf("dsbuild %s: exit %d, want 2\n%s", strings.Join(args, " "), code, stderr)
		}
	}
	p.env = map[string]string{"DSBUILD_REMOTE": "file://" + t.TempDir()}
	if out := p.mustRun(t, "build", p.recipe()); !strings.Contains(out, "uploaded") {
		t.Fatalf("DSBUILD_REMOTE was not used:\n%s", out)
	}
}

// cacheCmd runs `dsbuild cache ...` on p's store.
func (p *storeProject) cacheCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(k string) string { return p.env[k] }}
	code := run(context.Background(), g, append(append([]string{"cache"}, args...), "--cache", p.cache))
	return code, out.String(), errb.String()
}

// storeFiles lists the files of a store (blobs, keys, ingest temps).
func storeFiles(t *testing.T, root string) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	for _, d := range []string{"blobs/sha256", "keys/sha256", "ingest"} {
		ents, err := os.ReadDir(filepath.Join(root, d))
		must(t, err)
		for _, e := range ents {
			m[d+"/"+e.Name()] = true
		}
	}
	return m
}

// lockFiles are the store files a lock names.
func lockFiles(t *testing.T, lockPath string) map[string]bool {
	t.Helper()
	l, err := graph.ReadLock(lockPath)
	must(t, err)
	m := map[string]bool{}
	for _, e := range graph.LockEntries(l) {
		if e.Key != "" {
			m["keys/sha256/"+e.Key.Encoded()] = true
		}
		if e.Blob.Digest != "" {
			m["blobs/sha256/"+e.Blob.Digest.Encoded()] = true
		}
	}
	return m
}

// cache gc keeps what the --keep locks name and removes the rest (after a
// dry run that removes nothing); it refuses to run while a build uses the
// store, removes the temp files of killed writers but not a live one's,
// and trims by age and size, least recently used first. cache ls shows
// the store and the hit rate of the builds recorded.
func TestCacheGCAndLs(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	lock1 := filepath.Join(t.TempDir(), "v1.lock")
	copyFile(t, p.lock(), lock1)
	p.setVariant(t, true)
	p.build(t)
	lock2 := filepath.Join(t.TempDir(), "v2.lock")
	copyFile(t, p.lock(), lock2)
	p.build(t) // a no-op: a hit rate of 100% for this one

	code, out, stderr := p.cacheCmd(t, "ls")
	if code != 0 || !strings.Contains(out, "blobs ") || !strings.Contains(out, "keys ") ||
		!strings.Contains(out, "over the last 3 builds") || !strings.Contains(out, "ran 0, cached 10 (100%)") {
		t.Fatalf("cache ls: exit %d\n%s%s", code, out, stderr)
	}

	// A temp file of a killed writer, and one a live writer holds.
	must(t, os.WriteFile(filepath.Join(p.cache, "ingest", "blob-killed"), []byte("half a blob"), 0o644))
	live, err := os.Create(filepath.Join(p.cache, "ingest", "blob-live"))
	must(t, err)
	defer live.Close()
	must(t, syscall.Flock(int(live.Fd()), syscall.LOCK_EX))

	before := storeFiles(t, p.cache)
	code, out, stderr = p.cacheCmd(t, "gc", "--dry-run", "--keep", lock2)
	if code != 0 || !strings.Contains(out, "would remove") {
		t.Fatalf("gc --dry-run: exit %d\n%s%s", code, out, stderr)
	}
	if after := storeFiles(t, p.cache); len(after) != len(before) {
		t.Fatalf("gc --dry-run removed %d files", len(before)-len(after))
	}

	release := holdStore(p.cache) // as a running build does
	code, _, stderr = p.cacheCmd(t, "gc", "--keep", lock2)
	release()
	if code != 1 || !strings.Contains(stderr, "in use by a running dsbuild") {
		t.Fatalf("gc while a build uses the store: exit %d, want 1\n%s", code, stderr)
	}
	if after := storeFiles(t, p.cache); len(after) != len(before) {
		t.Fatalf("gc removed %d files while the store was in use", len(before)-len(after))
	}

	code, out, stderr = p.cacheCmd(t, "gc", "--keep", lock2)
	if code != 0 {
		t.Fatalf("gc --keep: exit %d\n%s", code, stderr)
	}
	after := storeFiles(t, p.cache)
	keep := lockFiles(t, lock2)
	for f := range before {
		switch {
		case f == "ingest/blob-live":
			if !after[f] {
				t.Error("gc removed a temp file a live writer holds")
			}
		case f == "ingest/blob-killed":
			if after[f] {
				t.Error("gc left a killed writer's temp file")
			}
		case keep[f] != after[f]:
			t.Errorf("%s: kept %v, named by the kept lock %v", f, after[f], keep[f])
		}
	}
	if out := p.mustRun(t, "build", p.recipe()); !strings.Contains(out, "nothing to do") {
		t.Fatalf("the kept build is not whole after gc:\n%s", out)
	}
	p.setVariant(t, false)
	if out := p.mustRun(t, "build", p.recipe()); !strings.Contains(out, "ran ") {
		t.Fatalf("the removed build was still cached:\n%s", out)
	}

	// Age every entry and every record by two days, then use variant 2
	// again: variant 1's entries are now the least recently used.
	old := time.Now().Add(-48 * time.Hour)
	for f := range storeFiles(t, p.cache) {
		os.Chtimes(filepath.Join(p.cache, f), old, old)
	}
	recs, _ := filepath.Glob(filepath.Join(p.cache, "builds", "*.json"))
	for _, r := range recs {
		b, err := os.ReadFile(r)
		must(t, err)
		var rec buildRecord
		must(t, json.Unmarshal(b, &rec))
		rec.Time = old
		b, _ = json.Marshal(rec)
		must(t, os.WriteFile(r, b, 0o644))
	}
	p.setVariant(t, true)
	p.build(t)
	code, out, _ = p.cacheCmd(t, "gc", "--dry-run", "--max-size", "1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 2 {
		t.Fatalf("gc --dry-run --max-size 1: exit %d\n%s", code, out)
	}
	v2 := lockFiles(t, p.lock())
	if f := entryFile(lines[0]); v2[f] || !v2[entryFile(lines[len(lines)-1])] {
		t.Fatalf("gc --max-size does not remove the least recently used first:\n%s", out)
	}
	code, out, stderr = p.cacheCmd(t, "gc", "--max-age", "24h")
	if code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("gc --max-age: exit %d\n%s%s", code, out, stderr)
	}
	for f := range storeFiles(t, p.cache) {
		if !v2[f] && !strings.HasPrefix(f, "ingest/") {
			t.Errorf("gc --max-age 24h left %s, unused for two days", f)
		}
	}
	if out := p.mustRun(t, "build", p.recipe()); !strings.Contains(out, "nothing to do") {
		t.Fatalf("gc --max-age removed what the last build used:\n%s", out)
	}
}

// entryFile is the store file a gc output line names.
func entryFile(line string) string {
	f := strings.Fields(line) // [would remove] blob|key sha256:... (...
	for i, w := range f {
		if (w == "blob" || w == "key") && i+1 < len(f) {
			return map[string]string{"blob": "blobs", "key": "keys"}[w] + "/sha256/" + strings.TrimPrefix(f[i+1], "sha256:")
		}
	}
	return ""
}

// The demonstration on the real recipe: machine A builds and pushes
// recipes/drift.hcl; machine B, with an empty cache, builds it running no
// node and gets lockfiles/drift.lock byte for byte, and the same outputs.
func TestRemoteDrift(t *testing.T) {
	url := newRepo(t, testRegistry(t, "DSBUILD_TEST_REGISTRY"))
	want, err := os.ReadFile("../../lockfiles/drift.lock")
	must(t, err)
	a := &storeProject{dir: t.TempDir(), mirror: sharedData(t), cache: t.TempDir(), name: "drift"}
	copyRepoRecipes(t, a.dir)
	must(t, os.MkdirAll(filepath.Join(a.dir, "lockfiles"), 0o755))
	start := time.Now()
	a.mustRun(t, append([]string{"build", a.recipe()}, remoteArgs(url)...)...)
	t.Logf("machine A: build and push of drift.hcl took %v", time.Since(start))
	if got, err := os.ReadFile(a.lock()); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("machine A's lock differs from lockfiles/drift.lock (%v)", err)
	}
	b := onMachineB(t, a)
	start = time.Now()
	out := b.mustRun(t, append([]string{"build", b.recipe()}, remoteArgs(url)...)...)
	t.Logf("machine B: no-op build of drift.hcl with downloads took %v", time.Since(start))
	if strings.Contains(out, "ran ") || !strings.Contains(out, "nothing to do") {
		t.Fatalf("machine B ran nodes:\n%s", out)
	}
	if d := diffSnapshots(a.snapshot(t), b.snapshot(t)); d != "" {
		t.Fatalf("machine B's lock and outputs differ from A's:\n%s", d)
	}
}
