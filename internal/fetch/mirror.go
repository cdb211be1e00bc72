package fetch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
)

// mirrorIndex maps base names to files under the mirror directories. It is
// built once per Fetcher; digests are computed only for files whose name
// some pinned URL asks for, and memoized, since a mirror may hold gigabytes
// that a build never needs. The memo assumes mirror files do not change
// during a build; if one does, the caller's verification of the streamed
// bytes still catches it.
type mirrorIndex struct {
	byName map[string][]string // base name → absolute paths, mirror order then lexical

	mu      sync.Mutex
	digests map[hashKey]*hashEntry
	hashed  atomic.Int64 // files hashed to completion, for tests
}

type hashKey struct {
	path string
	alg  digest.Algorithm
}

type hashEntry struct {
	done     chan struct{}
	d        digest.Digest
	err      error
	canceled bool // err came from the hashing caller's ctx: not memoized
}

func buildMirrorIndex(dirs []string, logf func(string, ...any)) *mirrorIndex {
	idx := &mirrorIndex{byName: map[string][]string{}, digests: map[hashKey]*hashEntry{}}
	seen := map[string]bool{}
	for _, dir := range dirs {
		root, err := filepath.Abs(dir)
		if err != nil {
			logf("mirror %s: %v", dir, err)
			continue
		}
		// WalkDir visits in lexical order, so the candidate order is
		// deterministic; it does not follow symlinked directories, so a
		// link cycle cannot trap it.
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				logf("mirror %s: %v", dir, err)
				if d != nil && d.IsDir() && p != root {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				st, err := os.Stat(p)
				if err != nil || !st.Mode().IsRegular() {
					return nil
				}
			}
			if seen[p] {
				return nil
			}
			seen[p] = true
			name := filepath.Base(p)
			idx.byName[name] = append(idx.byName[name], p)
			return nil
		})
	}
	return idx
}

func (m *mirrorIndex) candidates(name string) []string {
	return m.byName[name]
}

// digestOf hashes path once per algorithm, however many goroutines ask.
// A hash cut short by its caller's cancellation is forgotten so that the
// next caller starts over rather than inheriting someone else's ctx error.
// The file is read only if it is regular, no larger than max, and only up
// to the size it had when opened.
func (m *mirrorIndex) digestOf(ctx context.Context, path string, alg digest.Algorithm, max int64) (digest.Digest, error) {
	key := hashKey{path, alg}
	for {
		m.mu.Lock()
		e, ok := m.digests[key]
		if !ok {
			e = &hashEntry{done: make(chan struct{})}
			m.digests[key] = e
			m.mu.Unlock()
			e.d, e.err = hashFile(ctx, path, alg, max)
			if e.err != nil && ctx.Err() != nil {
				e.canceled = true
				m.mu.Lock()
				delete(m.digests, key)
				m.mu.Unlock()
			} else if e.err == nil {
				m.hashed.Add(1)
			}
			close(e.done)
			return e.d, e.err
		}
		m.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if !e.canceled {
			return e.d, e.err
		}
	}
}

func hashFile(ctx context.Context, path string, alg digest.Algorithm, max int64) (digest.Digest, error) {
	if !alg.Available() {
		return "", fmt.Errorf("digest algorithm %q is not available", alg)
	}
	file, st, err := openRegular(path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	if st.Size() > max {
		return "", tooLarge(path, "mirror:"+path, st.Size(), max, false)
	}
	h := alg.Hash()
	buf := make([]byte, 1<<20)
	r := newFileBody(ctx, file, path, "mirror:"+path, st.Size())
	for {
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return "", ctxErr
			}
			return "", fmt.Errorf("hashing: %w", err)
		}
	}
	return digest.NewDigest(alg, h), nil
}
