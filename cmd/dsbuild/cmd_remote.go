package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/sourcegraph/conc/pool"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/remote"
	"github.com/dsbuild/dsbuild/internal/store"
)

// remoteOptions are the flags of the commands that use a remote.
type remoteOptions struct {
	url       string
	plainHTTP bool
}

func (o *remoteOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.url, "remote", "", "shared store `URL`: oci://HOST[:PORT]/REPO (an OCI registry) or file:///PATH (a shared directory); default $DSBUILD_REMOTE")
	fs.BoolVar(&o.plainHTTP, "plain-http", false, "talk HTTP instead of HTTPS to the registry; only for a registry on this machine (also $DSBUILD_PLAIN_HTTP=1)")
}

// open opens the remote named by --remote, else (with useEnv)
// $DSBUILD_REMOTE; nil when there is none.
func (o *remoteOptions) open(g *globals, useEnv bool) (*countingRemote, error) {
	u := o.url
	if u == "" && useEnv {
		u = g.getenv("DSBUILD_REMOTE")
	}
	if u == "" {
		return nil, nil
	}
	plain := o.plainHTTP || g.getenv("DSBUILD_PLAIN_HTTP") == "1"
	c := &countingRemote{g: g}
	r, err := remote.Open(u, remote.Options{
		PlainHTTP: plain,
		Getenv:    g.getenv,
		Warn:      c.warn,
	})
	if errors.Is(err, remote.ErrUsage) {
		return nil, usageError{err.Error()}
	}
	if err != nil {
		return nil, err
	}
	c.Remote = r
	return c, nil
}

// countingRemote counts what a command moves, for its summary line, and
// prints the remote's warnings.
type countingRemote struct {
	remote.Remote
	g                  *globals
	mu                 sync.Mutex
	ev                 *events      // prints warnings once set (logTo)
	down, up           atomic.Int64 // bytes
	downBlobs, upBlobs atomic.Int64
	downMan, upMan     atomic.Int64
}

// logTo prints the remote's warnings through ev from now on, so that they
// do not cut into its progress lines.
func (c *countingRemote) logTo(ev *events) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.ev = ev
	c.mu.Unlock()
}

func (c *countingRemote) warn(s string) {
	c.mu.Lock()
	ev := c.ev
	if ev == nil {
		fmt.Fprintln(c.g.stderr, "warning:", s)
	}
	c.mu.Unlock()
	if ev != nil {
		ev.Logf("warning: %s", s)
	}
}

func (c *countingRemote) Fetch(ctx context.Context, d store.Descriptor) (io.ReadCloser, error) {
	rc, err := c.Remote.Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	c.downBlobs.Add(1)
	return &countReader{ReadCloser: rc, n: &c.down}, nil
}

func (c *countingRemote) GetManifest(ctx context.Context, key digest.Digest) ([]byte, error) {
	b, err := c.Remote.GetManifest(ctx, key)
	if err == nil {
		c.downMan.Add(1)
	}
	return b, err
}

type countReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

func (c *countingRemote) summary() string {
	return fmt.Sprintf("remote %s: downloaded %d manifests, %d blobs (%s); uploaded %d manifests, %d blobs (%s)",
		c.String(), c.downMan.Load(), c.downBlobs.Load(), human(float64(c.down.Load())),
		c.upMan.Load(), c.upBlobs.Load(), human(float64(c.up.Load())))
}

// remoteJobs is how many transfers run at once.
const remoteJobs = 4

// pushLock copies to r every node manifest and blob and every fetch record
// that entries name and r lacks, from local (read verified), then
// publishes the lock with the output files. Blobs go before the manifests
// that name them, so a reader of the remote never finds a manifest whose
// blob is missing.
func pushLock(ctx context.Context, local *cache.Store, r *countingRemote, l *graph.Lock, lockPath, lockRel string) (string, error) {
	entries := graph.LockEntries(l)
	media := map[string]string{}
	var mu sync.Mutex
	p := pool.New().WithErrors().WithContext(ctx).WithMaxGoroutines(remoteJobs).WithCancelOnError().WithFirstError()
	for _, e := range entries {
		if e.Kind == graph.EntryFetched {
			continue // a machine that has the results needs no raw input
		}
		p.Go(func(ctx context.Context) error {
			b, err := local.GetManifest(ctx, e.Key)
			if err != nil {
				return fmt.Errorf("push: %s: its %s is not in the local store %s (%v); run dsbuild build first", e.Node, entryWhat(e), local.Root(), err)
			}
			if e.Kind == graph.EntryNode {
				var m graph.Manifest
				if err := json.Unmarshal(b, &m); err != nil || m.Blob != e.Blob.Digest {
					return fmt.Errorf("push: %s: the local store's manifest does not match the lock; run dsbuild build first", e.Node)
				}
				mu.Lock()
				media[e.Node] = m.MediaType
				mu.Unlock()
				if err := pushBlob(ctx, local, r, e); err != nil {
					return err
				}
			}
			ok, err := r.ManifestExists(ctx, e.Key)
			if err != nil || ok {
				return err
			}
			if err := r.PutNodeManifest(ctx, e.Key, b, e.Node); err != nil {
				return fmt.Errorf("push: %s: %w", e.Node, err)
			}
			r.upMan.Add(1)
			return nil
		})
	}
	if err := p.Wait(); err != nil {
		return "", err
	}
	lockBytes, err := os.ReadFile(lockPath)
	if err != nil {
		return "", err
	}
	bd := remote.Build{Recipe: l.Recipe, LockPath: lockRel, Lock: lockBytes}
	for _, e := range entries {
		if e.Kind == graph.EntryNode && e.Output != "" {
			bd.Outputs = append(bd.Outputs, remote.Output{Path: e.Output, MediaType: media[e.Node], Blob: e.Blob})
		}
	}
	return r.PublishBuild(ctx, bd)
}

func entryWhat(e graph.StoreEntry) string {
	if e.Kind == graph.EntryFetchRecord {
		return "fetch record"
	}
	return "manifest"
}

func pushBlob(ctx context.Context, local *cache.Store, r *countingRemote, e graph.StoreEntry) error {
	ok, err := r.Exists(ctx, e.Blob)
	if err != nil || ok {
		return err
	}
	rc, err := local.Fetch(ctx, e.Blob)
	if err != nil {
		return fmt.Errorf("push: %s: blob %s: %w", e.Node, e.Blob.Digest, err)
	}
	defer rc.Close()
	// The local reader verifies as it goes, and the remote's Push checks
	// the digest at the last byte: a blob damaged locally never leaves.
	if _, err := r.Push(ctx, e.Blob, rc); err != nil {
		return fmt.Errorf("push: %s: blob %s: %w", e.Node, e.Blob.Digest, err)
	}
	r.upBlobs.Add(1)
	r.up.Add(e.Blob.Size)
	return nil
}

// pullLock copies into local every node manifest and blob and every fetch
// record the lock names, verified: a manifest must describe its key and
// name the blob the lock pins; a blob is hashed as it streams in.
func pullLock(ctx context.Context, local *cache.Store, r *countingRemote, l *graph.Lock) error {
	rt := store.ReadThrough{Local: local, Remote: r}
	p := pool.New().WithErrors().WithContext(ctx).WithMaxGoroutines(remoteJobs)
	for _, e := range graph.LockEntries(l) {
		if e.Kind == graph.EntryFetched {
			continue
		}
		p.Go(func(ctx context.Context) error {
			b, err := r.GetManifest(ctx, e.Key)
			if err != nil {
				return fmt.Errorf("pull: %s: %s %s: %w", e.Node, entryWhat(e), e.Key, err)
			}
			var m struct {
				Preimage graph.Preimage `json:"preimage"`
				Blob     digest.Digest  `json:"blob"`
			}
			if err := json.Unmarshal(b, &m); err != nil || m.Preimage.Key() != e.Key {
				return fmt.Errorf("pull: %s: the remote's %s under %s does not belong to that key", e.Node, entryWhat(e), e.Key)
			}
			if e.Kind == graph.EntryNode {
				if m.Blob != e.Blob.Digest {
					return fmt.Errorf("pull: %s: the remote's manifest names blob %s, the lock %s", e.Node, m.Blob, e.Blob.Digest)
				}
				rc, err := rt.Fetch(ctx, e.Blob)
				if err != nil {
					return fmt.Errorf("pull: %s: %w", e.Node, err)
				}
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					return fmt.Errorf("pull: %s: %w", e.Node, err)
				}
			}
			return local.PutManifest(ctx, e.Key, b)
		})
	}
	return p.Wait()
}

// verifyRemote checks, with HEAD requests only, that r has every manifest
// and blob the lock names.
func verifyRemote(ctx context.Context, r *countingRemote, l *graph.Lock) (missing []string, err error) {
	var mu sync.Mutex
	add := func(s string) {
		mu.Lock()
		missing = append(missing, s)
		mu.Unlock()
	}
	p := pool.New().WithErrors().WithContext(ctx).WithMaxGoroutines(remoteJobs)
	for _, e := range graph.LockEntries(l) {
		if e.Kind == graph.EntryFetched {
			continue
		}
		p.Go(func(ctx context.Context) error {
			ok, err := r.ManifestExists(ctx, e.Key)
			if err != nil {
				return err
			}
			if !ok {
				add(fmt.Sprintf("%s: %s %s (tag %s-%s)", e.Node, entryWhat(e), e.Key, e.Key.Algorithm(), e.Key.Encoded()))
			}
			if e.Kind != graph.EntryNode {
				return nil
			}
			ok, err = r.Exists(ctx, e.Blob)
			if err != nil {
				return err
			}
			if !ok {
				add(fmt.Sprintf("%s: blob %s (%d bytes)", e.Node, e.Blob.Digest, e.Blob.Size))
			}
			return nil
		})
	}
	err = p.Wait()
	sortStrings(missing)
	return missing, err
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// writeBack runs after a successful build with a remote: it pushes what
// the lock names and the remote lacks.
func writeBack(ctx context.Context, g *globals, p *graph.Plan, local *cache.Store, r *countingRemote, ev *events) error {
	l, err := graph.ReadLock(p.LockPath)
	if err != nil {
		return err
	}
	ref, err := pushLock(ctx, local, r, l, p.LockPath, lockRel(p))
	if err != nil {
		return fmt.Errorf("the build succeeded and its results are in the local store, but writing them back failed: %w", err)
	}
	ev.Logf("%s", r.summary())
	if ref != "" {
		ev.Logf("pushed build %s", ref)
	}
	return nil
}

func lockRel(p *graph.Plan) string {
	if rel, err := filepath.Rel(p.ProjectDir, p.LockPath); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return "lockfiles/" + filepath.Base(p.LockPath)
}

type transferOptions struct {
	commonOptions
	remoteOptions
}

func loadForTransfer(ctx context.Context, g *globals, name, help string, args []string) (*transferOptions, *graph.Plan, *cache.Store, *countingRemote, error) {
	var o transferOptions
	fs := newFlagSet(g, name, "RECIPE", help)
	o.commonOptions.AddFlags(fs)
	o.remoteOptions.AddFlags(fs)
	pos, err := parseArgs(fs, args, 1, "exactly one RECIPE")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	r, err := o.remoteOptions.open(g, true)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if r == nil {
		return nil, nil, nil, nil, usageError{name + " needs a remote: --remote URL or $DSBUILD_REMOTE"}
	}
	p, err := o.load(g, pos[0])
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if p.Lock == nil {
		return nil, nil, nil, nil, lockError{name + ": there is no lock at " + p.LockPath + "; run dsbuild build first"}
	}
	local, err := o.openStore(g)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return &o, p, local, r, nil
}

func runPushCmd(ctx context.Context, g *globals, args []string) error {
	_, p, local, r, err := loadForTransfer(ctx, g, "push", "Copy every artifact RECIPE's lock names (node manifests and blobs, fetch records) from the\nlocal store to the remote, then publish the lock and output files as one artifact\n(on a registry: tagged <recipe>-<lock digest hex>, so `oras pull` gets the files).", args)
	if err != nil {
		return err
	}
	start := time.Now()
	release := holdStore(local.Root())
	defer release()
	ref, err := pushLock(ctx, local, r, p.Lock, p.LockPath, lockRel(p))
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "%s (%.2fs)\n", r.summary(), time.Since(start).Seconds())
	if ref != "" {
		fmt.Fprintln(g.stdout, ref)
	}
	return nil
}

func runPullCmd(ctx context.Context, g *globals, args []string) error {
	_, p, local, r, err := loadForTransfer(ctx, g, "pull", "Copy every artifact RECIPE's lock names from the remote into the local store, each\nverified against its digest (and each manifest against its key) before it is kept.", args)
	if err != nil {
		return err
	}
	start := time.Now()
	release := holdStore(local.Root())
	defer release()
	if err := pullLock(ctx, local, r, p.Lock); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "%s (%.2fs)\n", r.summary(), time.Since(start).Seconds())
	return nil
}

// runVerifyRemote is verify --remote: existence only, no download.
func runVerifyRemote(ctx context.Context, g *globals, r *countingRemote, p *graph.Plan) error {
	missing, err := verifyRemote(ctx, r, p.Lock)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return lockError{fmt.Sprintf("verify --remote: %d artifacts of %s are missing from %s:\n  %s",
			len(missing), relToCwd(p.LockPath), r.String(), strings.Join(missing, "\n  "))}
	}
	n := 0
	for _, e := range graph.LockEntries(p.Lock) {
		if e.Kind != graph.EntryFetched {
			n++
		}
	}
	fmt.Fprintf(g.stdout, "verify --remote: ok: all %d entries of %s are in %s\n", n, relToCwd(p.LockPath), r.String())
	return nil
}
