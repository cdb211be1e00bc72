package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/store"
)

// A store's use is recorded for `cache ls` and `cache gc`: every build,
// push and pull holds a shared lock on ROOT/gc.lock while it runs, and gc
// takes it exclusively, so gc never deletes what a running command reads or
// writes; every successful build leaves ROOT/builds/<time>-<pid>.json with
// how many nodes ran and were cached, and the keys and blobs it used, which
// is what "least recently used" means.

const (
	gcLockName = "gc.lock"
	buildsDir  = "builds"
	// keptRecords is how many build records are kept; older ones go.
	keptRecords = 200
)

// buildRecord is one build's use of the store.
type buildRecord struct {
	Time       time.Time       `json:"time"`
	Recipe     string          `json:"recipe"`
	Ran        int             `json:"ran"`
	Cached     int             `json:"cached"`
	Downloaded int64           `json:"downloaded,omitempty"` // manifests read from a remote
	Keys       []digest.Digest `json:"keys"`
	Blobs      []digest.Digest `json:"blobs"`
}

// readThrough is the store a build runs on: local, reading through to the
// remote when there is one.
func readThrough(local *cache.Store, r *countingRemote) store.Store {
	if r == nil {
		return local
	}
	return store.ReadThrough{Local: local, Remote: r}
}

// afterBuild runs after a successful build: it records the build's use of
// the store and writes back to the remote.
func afterBuild(ctx context.Context, g *globals, p *graph.Plan, local *cache.Store, r *countingRemote, ev *events) error {
	l, err := graph.ReadLock(p.LockPath)
	if err == nil {
		ev.mu.Lock()
		rec := buildRecord{Time: time.Now().UTC(), Recipe: l.Recipe, Ran: ev.ran, Cached: ev.cached}
		ev.mu.Unlock()
		if r != nil {
			rec.Downloaded = r.downMan.Load()
		}
		for _, e := range graph.LockEntries(l) {
			if e.Key != "" {
				rec.Keys = append(rec.Keys, e.Key)
			}
			if e.Blob.Digest != "" {
				rec.Blobs = append(rec.Blobs, e.Blob.Digest)
			}
		}
		if err := writeRecord(local.Root(), rec); err != nil {
			fmt.Fprintf(g.stderr, "warning: recording the build's use of the store: %v\n", err)
		}
	}
	if r == nil {
		return nil
	}
	return writeBack(ctx, g, p, local, r, ev)
}

func writeRecord(root string, rec buildRecord) error {
	dir := filepath.Join(root, buildsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	name := filepath.Join(dir, fmt.Sprintf("%020d-%d.json", rec.Time.UnixNano(), os.Getpid()))
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	pruneRecords(dir)
	return nil
}

// pruneRecords keeps the newest keptRecords records.
func pruneRecords(dir string) {
	names := recordNames(dir)
	for len(names) > keptRecords {
		os.Remove(filepath.Join(dir, names[0]))
		names = names[1:]
	}
}

// recordNames lists the records, oldest first (their names start with the
// time in nanoseconds, zero-padded).
func recordNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func readRecords(root string) []buildRecord {
	dir := filepath.Join(root, buildsDir)
	var out []buildRecord
	for _, n := range recordNames(dir) {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		var r buildRecord
		if json.Unmarshal(b, &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

func runCacheCmd(ctx context.Context, g *globals, args []string) error {
	if len(args) == 0 || (args[0] != "ls" && args[0] != "gc") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(g.stderr, "usage: dsbuild cache ls|gc [flags]")
			return flag.ErrHelp
		}
		return usageError{"cache needs a subcommand: ls (size, entries, hit rate) or gc (trim the store)"}
	}
	if args[0] == "ls" {
		return runCacheLs(g, args[1:])
	}
	return runCacheGC(ctx, g, args[1:])
}

func cacheDirFlag(fs *flag.FlagSet) *string {
	return fs.String("cache", "", "store directory (default $DSBUILD_CACHE, else $XDG_CACHE_HOME/dsbuild)")
}

func openCacheDir(g *globals, dir string) (*cache.Store, error) {
	o := commonOptions{cacheDir: dir}
	if dir == "" && g.getenv("DSBUILD_CACHE") != "" {
		o.cacheDir = g.getenv("DSBUILD_CACHE")
	}
	return o.openStore(g)
}

// storeEntry is one file of the store, for ls and gc.
type storeEntry struct {
	kind     string // "blob" or "key"
	d        digest.Digest
	size     int64
	lastUsed time.Time
}

// listStore lists the store's blobs and keys with their size and the
// time they were last used: the newer of their write and the last recorded
// build that used them.
func listStore(s *cache.Store) ([]storeEntry, error) {
	used := map[digest.Digest]time.Time{}
	for _, r := range readRecords(s.Root()) {
		for _, d := range append(append([]digest.Digest(nil), r.Keys...), r.Blobs...) {
			if r.Time.After(used[d]) {
				used[d] = r.Time
			}
		}
	}
	var out []storeEntry
	add := func(kind string, d digest.Digest, path string) {
		fi, err := os.Lstat(path)
		if err != nil {
			return // removed meanwhile
		}
		t := fi.ModTime()
		if u := used[d]; u.After(t) {
			t = u
		}
		out = append(out, storeEntry{kind: kind, d: d, size: fi.Size(), lastUsed: t})
	}
	blobs, err := s.Blobs()
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		add("blob", b.Digest, filepath.Join(s.Root(), "blobs", "sha256", b.Digest.Encoded()))
	}
	keys, err := s.Keys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		add("key", k, filepath.Join(s.Root(), "keys", "sha256", k.Encoded()))
	}
	return out, nil
}

func runCacheLs(g *globals, args []string) error {
	fs := newFlagSet(g, "cache ls", "", "Show the local store: its size, entries, temporary files, and the cache hit rate\nof the builds recorded in it.")
	dir := cacheDirFlag(fs)
	if _, err := parseArgs(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	s, err := openCacheDir(g, *dir)
	if err != nil {
		return err
	}
	ents, err := listStore(s)
	if err != nil {
		return err
	}
	var nb, nk int
	var sb, sk int64
	for _, e := range ents {
		if e.kind == "blob" {
			nb++
			sb += e.size
		} else {
			nk++
			sk += e.size
		}
	}
	temps, _ := os.ReadDir(filepath.Join(s.Root(), "ingest"))
	w := g.stdout
	fmt.Fprintf(w, "store   %s\n", s.Root())
	fmt.Fprintf(w, "size    %s (%d bytes)\n", human(float64(sb+sk)), sb+sk)
	fmt.Fprintf(w, "blobs   %d (%s)\n", nb, human(float64(sb)))
	fmt.Fprintf(w, "keys    %d (%s)\n", nk, human(float64(sk)))
	fmt.Fprintf(w, "temps   %d in ingest/ (of running writers, or of killed ones: gc removes those)\n", len(temps))
	recs := readRecords(s.Root())
	if len(recs) == 0 {
		fmt.Fprintln(w, "builds  none recorded")
		return nil
	}
	const recent = 10
	if len(recs) > recent {
		recs = recs[len(recs)-recent:]
	}
	var ran, cached int
	for _, r := range recs {
		ran += r.Ran
		cached += r.Cached
	}
	fmt.Fprintf(w, "hits    %s of nodes cached over the last %d builds (%d cached, %d ran)\n", percent(cached, cached+ran), len(recs), cached, ran)
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		dl := ""
		if r.Downloaded > 0 {
			dl = fmt.Sprintf(", %d from the remote", r.Downloaded)
		}
		fmt.Fprintf(w, "  %s  %-20s ran %d, cached %d (%s%s)\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Recipe, r.Ran, r.Cached, percent(r.Cached, r.Ran+r.Cached), dl)
	}
	return nil
}

func percent(a, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(a)/float64(n))
}

func runCacheGC(ctx context.Context, g *globals, args []string) error {
	fs := newFlagSet(g, "cache gc", "", `Trim the local store. Entries that the --keep locks name are never removed. With
--max-age, entries not used for that long go; with --max-size, the least recently used
go until the store fits; with --keep alone, everything the locks do not name goes.
Temporary files that no live process owns are removed. gc waits for no one: it
refuses to run while a build, push or pull uses the store.`)
	dir := cacheDirFlag(fs)
	var keeps []string
	fs.Func("keep", "a lock (or glob of locks, e.g. 'lockfiles/*.lock') whose artifacts are kept (repeatable)", func(s string) error {
		keeps = append(keeps, s)
		return nil
	})
	var maxSize int64 = -1
	fs.Func("max-size", "trim to at most `SIZE` (e.g. 20GB), least recently used first", func(s string) (err error) {
		maxSize, err = fetch.ParseSize(s)
		return err
	})
	maxAge := fs.Duration("max-age", 0, "remove entries not used for this long (e.g. 720h)")
	dry := fs.Bool("dry-run", false, "only print what would be removed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	keeps = append(keeps, pos...) // the shell may have expanded --keep's glob
	s, err := openCacheDir(g, *dir)
	if err != nil {
		return err
	}
	keep := map[digest.Digest]bool{}
	for _, k := range keeps {
		paths, err := filepath.Glob(k)
		if err != nil || len(paths) == 0 {
			return usageError{fmt.Sprintf("cache gc: --keep %s: no such lock", k)}
		}
		for _, path := range paths {
			l, err := graph.ReadLock(path)
			if err != nil {
				return usageError{fmt.Sprintf("cache gc: --keep %s: %v", path, err)}
			}
			for _, e := range graph.LockEntries(l) {
				keep[e.Key] = true
				keep[e.Blob.Digest] = true
			}
		}
	}
	if !*dry {
		unlock, err := lockStoreExclusive(s.Root())
		if err != nil {
			return err
		}
		defer unlock()
		if err := s.CleanIngest(); err != nil {
			fmt.Fprintf(g.stderr, "warning: %v\n", err)
		}
		cleanRecordTemps(filepath.Join(s.Root(), buildsDir))
	}
	ents, err := listStore(s)
	if err != nil {
		return err
	}
	// Least recently used first; ties by digest, so a run is reproducible.
	sort.Slice(ents, func(i, j int) bool {
		if !ents[i].lastUsed.Equal(ents[j].lastUsed) {
			return ents[i].lastUsed.Before(ents[j].lastUsed)
		}
		return ents[i].d < ents[j].d
	})
	var total int64
	for _, e := range ents {
		total += e.size
	}
	now := time.Now()
	limits := *maxAge > 0 || maxSize >= 0
	var removed, kept int
	var freed int64
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	for _, e := range ents {
		if keep[e.d] {
			kept++
			continue
		}
		why := ""
		switch {
		case !limits && len(keeps) > 0:
			why = "not named by a kept lock"
		case *maxAge > 0 && now.Sub(e.lastUsed) > *maxAge:
			why = "unused for " + now.Sub(e.lastUsed).Round(time.Second).String()
		case maxSize >= 0 && total-freed > maxSize:
			why = "least recently used, over --max-size"
		default:
			continue
		}
		if !*dry {
			if err := removeEntry(s, e); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		removed++
		freed += e.size
		fmt.Fprintf(g.stdout, "%s %s %s (%s, last used %s): %s\n", verb, e.kind, e.d, human(float64(e.size)), e.lastUsed.Local().Format("2006-01-02 15:04"), why)
	}
	fmt.Fprintf(g.stderr, "cache gc: %s %d entries (%s); kept %d named by locks; the store holds %s\n",
		verb, removed, human(float64(freed)), kept, human(float64(total-freed)))
	if maxSize >= 0 && total-freed > maxSize {
		fmt.Fprintf(g.stderr, "warning: the kept entries alone are more than --max-size\n")
	}
	return nil
}

func removeEntry(s *cache.Store, e storeEntry) error {
	if e.kind == "key" {
		return s.DeleteKey(e.d)
	}
	err := s.Delete(e.d)
	// The blob's verification stamp is no use without it.
	os.Remove(filepath.Join(s.Root(), "verified", "sha256", e.d.Encoded()))
	return err
}

// cleanRecordTemps removes record temp files left by killed builds (an
// hour old: a live writer renames its own within milliseconds).
func cleanRecordTemps(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
