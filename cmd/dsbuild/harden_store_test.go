//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// The store-integrity tests run a small recipe over generated files that
// goes through every path where stored bytes become data: a single local
// file and a glob of files (both unpinned, so pinned by the lock), a
// pinned download served by a mirror, filters over each, and outputs in
// three formats.

const storeRecipe = `
fetch "single" {
  url = "../data/single.jsonl"%[1]s
}

fetch "parts" {
  url         = "../data/parts/*.jsonl"
  file_column = "%[3]s"
}

fetch "pinned" {
  url    = "https://example.invalid/d/pinned.jsonl"
  digest = "%[2]s"%[1]s
}

filter "big" {
  input = fetch.single
  where = x > 250
}

filter "even" {
  input = fetch.parts
  where = x %% 2 == 0
}

filter "small" {
  input = fetch.pinned
  where = x < 100
}

output "big" {
  input = filter.big
  path  = "out/big.jsonl"
}

output "even" {
  input = filter.even
  path  = "out/even.parquet"
}

output "small" {
  input = filter.small
  path  = "out/small.csv"
}

output "parts" {
  input = fetch.parts
  path  = "out/parts.jsonl"
}
`

// A second variant edits an attribute of every fetch (a declared schema, the
// file column's name), so each fetch node runs again over raw bytes already
// in the store.
const editedFetch = `
  schema = { x = "int64" }`

type storeProject struct {
	dir, mirror, cache string
	pin                string
	env                map[string]string
	name               string // recipe name: recipes/NAME.hcl, lockfiles/NAME.lock
}

func jsonlRows(seed, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "{\"id\": %d, \"x\": %d, \"s\": \"row %d of %d\"}\n", i, (i*37+seed*11)%500, i, seed)
	}
	return b.Bytes()
}

func newSmallProject(t testing.TB) *storeProject {
	t.Helper()
	p := &storeProject{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	for _, d := range []string{"recipes", "lockfiles", "data/parts"} {
		must(t, os.MkdirAll(filepath.Join(p.dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "single.jsonl"), jsonlRows(1, 400), 0o644))
	for i := range 3 {
		must(t, os.WriteFile(filepath.Join(p.dir, "data", "parts", fmt.Sprintf("p%d.jsonl", i)), jsonlRows(10+i, 120), 0o644))
	}
	pinned := jsonlRows(7, 300)
	must(t, os.WriteFile(filepath.Join(p.mirror, "pinned.jsonl"), pinned, 0o644))
	sum := sha256.Sum256(pinned)
	p.pin = "sha256:" + hex.EncodeToString(sum[:])
	p.setVariant(t, false)
	return p
}

func (p *storeProject) setVariant(t testing.TB, edited bool) {
	t.Helper()
	extra, fileColumn := "", "file"
	if edited {
		extra, fileColumn = editedFetch, "source_file"
	}
	must(t, os.WriteFile(p.recipe(), fmt.Appendf(nil, storeRecipe, extra, p.pin, fileColumn), 0o644))
}

func (p *storeProject) recipe() string { return filepath.Join(p.dir, "recipes", p.recipeName()+".hcl") }
func (p *storeProject) lock() string {
	return filepath.Join(p.dir, "lockfiles", p.recipeName()+".lock")
}

func (p *storeProject) recipeName() string {
	if p.name == "" {
		return "small"
	}
	return p.name
}

func (p *storeProject) run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(k string) string { return p.env[k] }}
	args = append(args, "--cache", p.cache, "--mirror", p.mirror)
	code := run(context.Background(), g, args)
	return code, out.String(), errb.String()
}

func (p *storeProject) build(t testing.TB, args ...string) {
	t.Helper()
	if code, _, stderr := p.run(t, append([]string{"build", p.recipe()}, args...)...); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
}

// snapshot maps every file under the project's out/ and its lock to their
// bytes: what a user reads after a build.
func (p *storeProject) snapshot(t testing.TB) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(filepath.Join(p.dir, "out"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(p.dir, path)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	must(t, err)
	b, err := os.ReadFile(p.lock())
	must(t, err)
	m["lockfiles/"+p.recipeName()+".lock"] = string(b)
	return m
}

func diffSnapshots(want, got map[string]string) string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			out = append(out, k+": missing")
		case g != w:
			out = append(out, fmt.Sprintf("%s: differs (%d bytes, want %d)", k, len(g), len(w)))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, k+": unexpected")
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// copyTree copies a directory (store or project state), keeping modes.
func copyTree(t testing.TB, from, to string) {
	t.Helper()
	must(t, os.RemoveAll(to))
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, fi.Mode().Perm())
	})
	must(t, err)
}

// stampEntries lists the blob stamps of a store.
func stampEntries(t testing.TB, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, "verified", "sha256"))
	must(t, err)
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, filepath.Join(root, "verified", "sha256", e.Name()))
		}
	}
	return out
}

// storeEntries lists the blob and key files of a store.
func storeEntries(t testing.TB, root string) (blobs, keys []string) {
	t.Helper()
	list := func(dir string) []string {
		ents, err := os.ReadDir(filepath.Join(root, dir))
		must(t, err)
		var out []string
		for _, e := range ents {
			out = append(out, filepath.Join(root, dir, e.Name()))
		}
		return out
	}
	return list("blobs/sha256"), list("keys/sha256")
}

var faultKinds = []string{"truncate", "flip", "delete", "swap", "symlink /dev/zero", "symlink other", "fifo"}

// applyFault damages the store entry at path; others are entries of the
// same kind (blobs or keys), for swaps and links.
func applyFault(t testing.TB, rng *rand.Rand, kind, path string, others []string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		return "skip (gone)"
	}
	other := others[rng.IntN(len(others))]
	// Never act through a link an earlier fault made: chmod or truncate
	// would reach /dev/zero itself.
	if !fi.Mode().IsRegular() && (kind == "truncate" || kind == "flip") {
		return "skip (not a regular file)"
	}
	if fi.Mode().IsRegular() {
		os.Chmod(path, 0o644)
	}
	switch kind {
	case "truncate":
		n := int64(0)
		if fi.Size() > 0 {
			n = rng.Int64N(fi.Size())
		}
		must(t, os.Truncate(path, n))
		return fmt.Sprintf("truncate to %d of %d", n, fi.Size())
	case "flip":
		if fi.Size() == 0 || !fi.Mode().IsRegular() {
			return "skip (empty)"
		}
		off := rng.Int64N(fi.Size())
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		must(t, err)
		b := make([]byte, 1)
		_, err = f.ReadAt(b, off)
		must(t, err)
		b[0] ^= byte(1 << rng.IntN(8))
		_, err = f.WriteAt(b, off)
		must(t, err)
		must(t, f.Close())
		return fmt.Sprintf("flip byte %d", off)
	case "delete":
		must(t, os.Remove(path))
		return "delete"
	case "swap":
		if other == path {
			return "skip (swap with itself)"
		}
		if ofi, err := os.Lstat(other); err == nil && ofi.Mode().IsRegular() {
			os.Chmod(other, 0o644)
		}
		tmp := path + ".swap"
		if err := os.Rename(path, tmp); err != nil {
			return "skip"
		}
		if err := os.Rename(other, path); err != nil {
			os.Rename(tmp, path)
			return "skip"
		}
		must(t, os.Rename(tmp, other))
		return "swap with " + filepath.Base(other)
	case "symlink /dev/zero":
		must(t, os.Remove(path))
		must(t, os.Symlink("/dev/zero", path))
		return kind
	case "symlink other":
		if other == path {
			return "skip (link to itself)"
		}
		must(t, os.Remove(path))
		must(t, os.Symlink(other, path))
		return "symlink to " + filepath.Base(other)
	case "fifo":
		must(t, os.Remove(path))
		must(t, syscall.Mkfifo(path, 0o644))
		return kind
	}
	t.Fatalf("unknown fault %q", kind)
	return ""
}

// fastTempDir is a temporary directory in /dev/shm where there is one.
func fastTempDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "dsbuild-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestStoreFaultsNeverChangeResults damages a warm store at random (truncate,
// flip a byte, delete, swap entries between names, or replace an entry by
// a link to /dev/zero, a link to another entry, or a FIFO), then builds,
// sometimes with the fetch attributes edited so the fetch nodes decode raw
// bytes already in the store, sometimes with DSBUILD_VERIFY=1 or a no-fault
// build first so that stamps are valid when the fault strikes. Every build
// must succeed and give outputs and a lock byte-identical to a clean build.
func TestStoreFaultsNeverChangeResults(t *testing.T) {
	// DSBUILD_FAULT_SEED and DSBUILD_FAULT_TRIALS explore further.
	seed, trials := uint64(20261201), 200
	if testing.Short() {
		trials = 40
	}
	if v, err := strconv.ParseUint(os.Getenv("DSBUILD_FAULT_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("DSBUILD_FAULT_TRIALS")); err == nil {
		trials = v
	}
	p := newSmallProject(t)
	// Every build fsyncs what it stores; on a memory filesystem the trials
	// cost CPU, not disk waits.
	p.cache = fastTempDir(t)
	fast := fastTempDir(t)
	copyTree(t, p.dir, fast)
	p.dir = fast
	work := p.cache

	// Clean references, each from an empty store and no lock.
	want := map[bool]map[string]string{}
	for _, edited := range []bool{true, false} {
		os.RemoveAll(filepath.Join(p.dir, "out"))
		os.Remove(p.lock())
		p.cache = fastTempDir(t)
		p.setVariant(t, edited)
		p.build(t)
		want[edited] = p.snapshot(t)
	}
	// The baseline every trial starts from: the unedited recipe built.
	baseStore, baseProject := p.cache, fastTempDir(t)
	copyTree(t, p.dir, baseProject)
	p.cache = work

	for trial := range trials {
		rng := rand.New(rand.NewPCG(seed, uint64(trial)))
		copyTree(t, baseStore, p.cache)
		copyTree(t, baseProject, p.dir)
		edited := rng.IntN(2) == 0
		p.env = nil
		if rng.IntN(4) == 0 {
			p.env = map[string]string{"DSBUILD_VERIFY": "1"}
		}
		var did []string
		if rng.IntN(3) == 0 {
			p.build(t) // stamps the copies, so faults meet valid stamps
			did = append(did, "warm build")
		}
		p.setVariant(t, edited)
		for range 1 + rng.IntN(3) {
			blobs, keys := storeEntries(t, p.cache)
			set := blobs
			switch rng.IntN(5) {
			case 0, 1:
				set = keys
			case 2:
				// A stamp (verified/) damaged or moved to another name must
				// only cost a re-hash.
				if stamps := stampEntries(t, p.cache); len(stamps) > 0 {
					set = stamps
				}
			}
			path := set[rng.IntN(len(set))]
			kind := faultKinds[rng.IntN(len(faultKinds))]
			did = append(did, fmt.Sprintf("%s %s: %s", filepath.Base(filepath.Dir(filepath.Dir(path))), filepath.Base(path)[:12], applyFault(t, rng, kind, path, set)))
		}
		jobs := fmt.Sprint(1 + rng.IntN(4))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		code, _, stderr := p.run(t, "build", p.recipe(), "--jobs", jobs)
		runtime.ReadMemStats(&after)
		// A damaged entry must not make a decoder trust a length in it (a
		// text file under a blob's name reads as a 1.6 GB message).
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
			t.Errorf("seed %d trial %d (faults %q): the build allocated %d MiB", seed, trial, did, alloc>>20)
		}
		if code != 0 {
			t.Fatalf("seed %d trial %d (edited %v, jobs %s, env %v, faults %q): build exit %d\n%s", seed, trial, edited, jobs, p.env, did, code, stderr)
		}
		if d := diffSnapshots(want[edited], p.snapshot(t)); d != "" {
			t.Fatalf("seed %d trial %d (edited %v, jobs %s, env %v, faults %q): results differ from a clean build:\n%s\n%s", seed, trial, edited, jobs, p.env, did, d, stderr)
		}
	}
}

// TestLockIsAFunctionOfRecipeAndInputs builds the same recipe from every
// cache state (cold, warm, partly warm, manifests lost, raw bytes lost,
// several processes at once on one store, the lock deleted and regenerated
// each time): every lock is byte-identical.
func TestLockIsAFunctionOfRecipeAndInputs(t *testing.T) {
	if os.Getenv("DSBUILD_LOCK_CHILD") != "" {
		return
	}
	p := newSmallProject(t)
	p.build(t)
	want, err := os.ReadFile(p.lock())
	must(t, err)
	if bytes.Contains(want, []byte("size     = 0")) {
		t.Fatalf("cold lock records a fetch of size 0:\n%s", want)
	}
	check := func(cell string) {
		t.Helper()
		got, err := os.ReadFile(p.lock())
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: lock differs from the cold build's:\n%s\n--- want\n%s", cell, got, want)
		}
	}
	regen := func(cell string, prepare func()) {
		t.Helper()
		for _, keepLock := range []bool{false, true} {
			if prepare != nil {
				prepare()
			}
			if !keepLock {
				must(t, os.Remove(p.lock()))
			}
			p.build(t)
			check(fmt.Sprintf("%s (lock kept: %v)", cell, keepLock))
		}
	}
	regen("warm", nil)
	rng := rand.New(rand.NewPCG(3, 4))
	regen("partly warm", func() {
		blobs, keys := storeEntries(t, p.cache)
		for _, set := range [][]string{blobs, keys} {
			for _, e := range set {
				if rng.IntN(2) == 0 {
					os.Remove(e)
				}
			}
		}
	})
	regen("manifests lost", func() {
		must(t, os.RemoveAll(filepath.Join(p.cache, "keys")))
		must(t, os.MkdirAll(filepath.Join(p.cache, "keys", "sha256"), 0o755))
	})
	regen("blobs lost", func() {
		must(t, os.RemoveAll(filepath.Join(p.cache, "blobs")))
		must(t, os.MkdirAll(filepath.Join(p.cache, "blobs", "sha256"), 0o755))
	})
	// The pinned download's source gone (offline, no mirror) while its
	// verified bytes are still in the store: they are used, and the lock
	// is the same.
	mirror := p.mirror
	p.mirror = t.TempDir()
	regen("manifests lost, source unreachable", func() {
		must(t, os.RemoveAll(filepath.Join(p.cache, "keys")))
		must(t, os.MkdirAll(filepath.Join(p.cache, "keys", "sha256"), 0o755))
	})
	p.mirror = mirror
	regen("cold again", func() { p.cache = t.TempDir() })
	regen("outputs deleted", func() { must(t, os.RemoveAll(filepath.Join(p.dir, "out"))) })

	// Concurrent builders: processes sharing one empty store, each in its
	// own copy of the project without a lock, plus two sharing one project.
	p.cache = t.TempDir()
	must(t, os.Remove(p.lock()))
	var dirs []string
	for range 4 {
		d := t.TempDir()
		copyTree(t, p.dir, d)
		dirs = append(dirs, d)
	}
	dirs = append(dirs, dirs[0])
	runBuilders(t, p, dirs)
	for i, d := range dirs {
		got, err := os.ReadFile(filepath.Join(d, "lockfiles", "small.lock"))
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("concurrent builder %d: lock differs from the cold build's:\n%s", i, got)
		}
	}
	// And what they left behind verifies.
	p.dir = dirs[1]
	if code, out, stderr := p.run(t, "verify", p.recipe()); code != 0 {
		t.Errorf("verify after concurrent builds: exit %d\n%s%s", code, out, stderr)
	}
}

func TestLockChildBuild(t *testing.T) {
	if os.Getenv("DSBUILD_LOCK_CHILD") == "" {
		t.Skip("helper process for TestLockIsAFunctionOfRecipeAndInputs")
	}
	p := &storeProject{dir: os.Getenv("CHILD_PROJECT"), mirror: os.Getenv("CHILD_MIRROR"), cache: os.Getenv("CHILD_CACHE"), name: os.Getenv("CHILD_RECIPE")}
	p.build(t)
}

// runBuilders builds the project copies in dirs at once, one process each,
// all on one store.
func runBuilders(t *testing.T, p *storeProject, dirs []string) {
	t.Helper()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, d := range dirs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockChildBuild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DSBUILD_LOCK_CHILD=1", "CHILD_PROJECT="+d, "CHILD_MIRROR="+p.mirror, "CHILD_CACHE="+p.cache, "CHILD_RECIPE="+p.recipeName())
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		must(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("builder %d: %v\n%s", i, err, outs[i])
		}
	}
}

// The lock matrix over the real recipe: from every cache state the lock is
// byte for byte the committed lockfiles/drift.lock.
func TestDriftLockMatrix(t *testing.T) {
	if os.Getenv("DSBUILD_LOCK_CHILD") != "" {
		return
	}
	want, err := os.ReadFile("../../lockfiles/drift.lock")
	must(t, err)
	p := &storeProject{dir: t.TempDir(), mirror: sharedData(t), cache: fastTempDir(t), name: "drift"}
	copyRepoRecipes(t, p.dir)
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	check := func(cell string) {
		t.Helper()
		got, err := os.ReadFile(p.lock())
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: lock differs from lockfiles/drift.lock:\n%s", cell, got)
		}
	}
	p.build(t)
	check("cold")
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cell := range []struct {
		name    string
		prepare func()
	}{
		{"warm", func() {}},
		{"manifests lost", func() {
			must(t, os.RemoveAll(filepath.Join(p.cache, "keys")))
			must(t, os.MkdirAll(filepath.Join(p.cache, "keys", "sha256"), 0o755))
		}},
		{"partly warm", func() {
			blobs, keys := storeEntries(t, p.cache)
			for _, e := range append(blobs, keys...) {
				if rng.IntN(2) == 0 {
					os.Remove(e)
				}
			}
		}},
	} {
		cell.prepare()
		must(t, os.Remove(p.lock()))
		p.build(t)
		check(cell.name + ", lock deleted and regenerated")
	}
	p.cache = fastTempDir(t)
	must(t, os.Remove(p.lock()))
	var dirs []string
	for range 3 {
		d := t.TempDir()
		copyTree(t, p.dir, d)
		dirs = append(dirs, d)
	}
	runBuilders(t, p, dirs)
	for i, d := range dirs {
		p.dir = d
		check(fmt.Sprintf("concurrent builder %d", i))
	}
}

// The raw bytes of a fetch that runs again (an attribute edited) come from
// the store only once verified: a stored copy cut short is fetched again,
// never decoded into fewer rows; the same for a glob fetch's files.
func TestShortRawBlobIsFetchedAgain(t *testing.T) {
	for _, verify := range []string{"", "1"} {
		t.Run("DSBUILD_VERIFY="+verify, func(t *testing.T) {
			p := newSmallProject(t)
			p.env = map[string]string{"DSBUILD_VERIFY": verify}
			p.setVariant(t, true)
			p.build(t)
			want := p.snapshot(t)
			wantLock, err := graph.ReadLock(p.lock())
			must(t, err)

			// A store that has only ever built the unedited recipe.
			p.cache = t.TempDir()
			must(t, os.RemoveAll(filepath.Join(p.dir, "out")))
			must(t, os.Remove(p.lock()))
			p.setVariant(t, false)
			p.build(t)
			// Cut every raw blob (the fetched files and the glob's files)
			// short; the lock of the unedited build pins their digests.
			l, err := graph.ReadLock(p.lock())
			must(t, err)
			blobs, _ := storeEntries(t, p.cache)
			cut := 0
			for _, b := range blobs {
				fi, err := os.Stat(b)
				must(t, err)
				if isArtifactBlob(l, filepath.Base(b)) || fi.Size() < 100 {
					continue
				}
				must(t, os.Chmod(b, 0o644))
				must(t, os.Truncate(b, fi.Size()/2))
				cut++
			}
			if cut < 5 {
				t.Fatalf("cut %d raw blobs, want the 2 fetched files and 3 glob files", cut)
			}
			p.setVariant(t, true)
			p.build(t)
			if d := diffSnapshots(want, p.snapshot(t)); d != "" {
				t.Fatalf("after cutting the raw blobs the outputs differ:\n%s", d)
			}
			got, err := graph.ReadLock(p.lock())
			must(t, err)
			for id, n := range wantLock.Nodes {
				if got.Nodes[id].Rows != n.Rows {
					t.Errorf("%s: %d rows, want %d", id, got.Nodes[id].Rows, n.Rows)
				}
			}
		})
	}
}

func isArtifactBlob(l *graph.Lock, hex string) bool {
	for _, n := range l.Nodes {
		if strings.TrimPrefix(string(n.Blob), "sha256:") == hex {
			return true
		}
	}
	return false
}

// A manifest copied over another node's key is not served: the node runs
// again, its output keeps its own rows and its lock entry its own op; plan,
// show and verify see it as not cached.
func TestManifestUnderAnotherKeyIsAMiss(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	want := p.snapshot(t)
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	keyFile := func(id string) string {
		return filepath.Join(p.cache, "keys", "sha256", strings.TrimPrefix(string(l.Nodes[id].Key), "sha256:"))
	}
	// The fetch's manifest over the filter's key, the filter's over the
	// output's.
	for _, pair := range [][2]string{{"fetch.single", "filter.big"}, {"filter.even", "output.even"}} {
		b, err := os.ReadFile(keyFile(pair[0]))
		must(t, err)
		must(t, os.WriteFile(keyFile(pair[1]), b, 0o644))
	}
	code, out, stderr := p.run(t, "plan", p.recipe())
	if code != 0 || !strings.Contains(out, "will run  filter.big") || !strings.Contains(out, "will run  output.even") {
		t.Errorf("plan with swapped manifests: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = p.run(t, "show", p.recipe(), "filter.big", "--schema")
	if code == 0 && strings.Contains(out, "400 rows") {
		t.Errorf("show served the fetch's rows for filter.big:\n%s", out)
	}
	p.build(t)
	if d := diffSnapshots(want, p.snapshot(t)); d != "" {
		t.Fatalf("outputs or lock differ after swapping manifests:\n%s", d)
	}
	got, err := graph.ReadLock(p.lock())
	must(t, err)
	if op := got.Nodes["filter.big"].Op; op != "filter@1" {
		t.Errorf("lock records filter.big as op %q", op)
	}
	if code, out, stderr := p.run(t, "verify", p.recipe()); code != 0 {
		t.Errorf("verify: exit %d\n%s%s", code, out, stderr)
	}
}

// A store entry that is a link to /dev/zero, a link to another entry, or a
// FIFO is never followed or read: the build finishes with the right results
// (reading /dev/zero or a FIFO would never end).
func TestSpecialStoreEntriesAreMisses(t *testing.T) {
	for _, kind := range []string{"symlink /dev/zero", "symlink other", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			p := newSmallProject(t)
			p.build(t)
			want := p.snapshot(t)
			blobs, keys := storeEntries(t, p.cache)
			rng := rand.New(rand.NewPCG(1, 1))
			for i, b := range blobs {
				applyFault(t, rng, kind, b, blobs[(i+1)%len(blobs):(i+1)%len(blobs)+1])
			}
			for i, k := range keys {
				applyFault(t, rng, kind, k, keys[(i+1)%len(keys):(i+1)%len(keys)+1])
			}
			p.setVariant(t, true) // the fetches run again over the store
			p.setVariant(t, false)
			p.build(t)
			if d := diffSnapshots(want, p.snapshot(t)); d != "" {
				t.Fatalf("results differ:\n%s", d)
			}
			blobs, keys = storeEntries(t, p.cache)
			for _, e := range append(blobs, keys...) {
				if fi, err := os.Lstat(e); err == nil && !fi.Mode().IsRegular() {
					t.Errorf("%s is still a %v after the build", e, fi.Mode().Type())
				}
			}
		})
	}
}

// An unpinned local input edited after it was locked is noticed: plan says
// it will run, --locked fails with exit 3, and build rebuilds and re-locks.
func TestEditedLocalInputIsRebuilt(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	lock1, err := os.ReadFile(p.lock())
	must(t, err)
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "single.jsonl"), jsonlRows(2, 380), 0o644))
	must(t, os.WriteFile(filepath.Join(p.dir, "data", "parts", "p1.jsonl"), jsonlRows(99, 50), 0o644))

	code, out, stderr := p.run(t, "plan", p.recipe())
	for _, id := range []string{"fetch.single", "filter.big", "output.big", "fetch.parts", "output.parts"} {
		if code != 0 || !strings.Contains(out, "will run  "+id) {
			t.Errorf("plan after editing local inputs: exit %d, %s not listed as will run\n%s%s", code, id, out, stderr)
		}
	}
	if code, _, stderr := p.run(t, "build", p.recipe(), "--locked"); code != exitPin {
		t.Errorf("build --locked after editing a local input: exit %d, want %d\n%s", code, exitPin, stderr)
	}
	code, _, stderr = p.run(t, "build", p.recipe())
	if code != 0 || !strings.Contains(stderr, "ran       fetch.single") || !strings.Contains(stderr, "ran       fetch.parts") {
		t.Fatalf("build after editing local inputs: exit %d\n%s", code, stderr)
	}
	lock2, err := os.ReadFile(p.lock())
	must(t, err)
	if bytes.Equal(lock1, lock2) {
		t.Fatalf("lock unchanged after editing local inputs")
	}
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	if got := l.Nodes["fetch.single"].Rows; got != 380 {
		t.Errorf("fetch.single has %d rows after the edit, want 380", got)
	}
	// Now it is locked again: nothing to do, --locked passes.
	code, out, _ = p.run(t, "plan", p.recipe())
	if code != 0 || !strings.Contains(out, "0 of 10 nodes will run") {
		t.Errorf("plan after re-locking:\n%s", out)
	}
	if code, _, stderr := p.run(t, "build", p.recipe(), "--locked"); code != 0 || !strings.Contains(stderr, "nothing to do") {
		t.Errorf("build --locked after re-locking: exit %d\n%s", code, stderr)
	}
}

// A temp file in the store's ingest/ that no live process holds (left by a
// writer killed with kill -9) is removed by the next build.
func TestBuildCleansDeadWritersTempFiles(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	ingest := filepath.Join(p.cache, "ingest")
	for _, name := range []string{"blob-123", "key-456", "stamp-789"} {
		must(t, os.WriteFile(filepath.Join(ingest, name), []byte("left by a killed writer"), 0o644))
	}
	p.build(t)
	ents, err := os.ReadDir(ingest)
	must(t, err)
	if len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("ingest/ after the next build = %v, want empty", names)
	}
}

// verify names node, field, expected and got, one line per field.
func TestVerifyPrintsFields(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	b, err := os.ReadFile(p.lock())
	must(t, err)
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	size := l.Fetches["fetch.pinned"].Size
	edited := strings.Replace(string(b), fmt.Sprintf("size     = %d", size), "size     = 0", 1)
	if edited == string(b) {
		t.Fatalf("no fetch size %d in the lock", size)
	}
	must(t, os.WriteFile(p.lock(), []byte(edited), 0o644))
	code, out, stderr := p.run(t, "verify", p.recipe())
	want := fmt.Sprintf("fetch fetch.pinned: size: expected 0, got %d", size)
	if code != exitPin || !strings.Contains(stderr+out, want) || strings.Contains(stderr+out, "{URL:") {
		t.Errorf("verify of a lock with a wrong size: exit %d, want %d and %q\n%s%s", code, exitPin, want, out, stderr)
	}
}

// An artifact whose first message length was damaged in place (same size,
// so its manifest still finds it) is verified before it is decoded: the
// decoder never gets to trust the length and allocate gigabytes for it.
func TestDamagedArtifactLengthIsNotTrusted(t *testing.T) {
	p := newSmallProject(t)
	p.build(t)
	want := p.snapshot(t)
	l, err := graph.ReadLock(p.lock())
	must(t, err)
	blob := filepath.Join(p.cache, "blobs", "sha256", strings.TrimPrefix(string(l.Nodes["filter.big"].Blob), "sha256:"))
	must(t, os.Chmod(blob, 0o644))
	f, err := os.OpenFile(blob, os.O_RDWR, 0)
	must(t, err)
	// An IPC stream starts with 0xFFFFFFFF and the metadata length.
	_, err = f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0x7f}, 0)
	must(t, err)
	must(t, f.Close())
	// output.big must run again, reading filter.big's artifact.
	must(t, os.Remove(filepath.Join(p.cache, "keys", "sha256", strings.TrimPrefix(string(l.Nodes["output.big"].Key), "sha256:"))))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p.build(t)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("the build allocated %d MiB", alloc>>20)
	}
	if d := diffSnapshots(want, p.snapshot(t)); d != "" {
		t.Fatalf("results differ:\n%s", d)
	}
}

// A lockfile that is a link to /dev/zero or a FIFO is refused with a
// diagnostic (exit 2), not read until memory runs out or forever.
func TestSpecialLockfileIsRefused(t *testing.T) {
	for _, kind := range []string{"symlink /dev/zero", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			p := newSmallProject(t)
			switch kind {
			case "fifo":
				must(t, syscall.Mkfifo(p.lock(), 0o644))
			default:
				must(t, os.Symlink("/dev/zero", p.lock()))
			}
			code, _, stderr := p.run(t, "plan", p.recipe())
			if code != exitUsage || !strings.Contains(stderr, "not a regular file") {
				t.Errorf("plan with a %s as lockfile: exit %d, want %d\n%s", kind, code, exitUsage, stderr)
			}
		})
	}
}
