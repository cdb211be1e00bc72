package graph

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
	"github.com/dsbuild/dsbuild/internal/projpath"
)

// outFile is an output file being written: a temp file beside its final
// path, created, renamed and removed only through an os.Root opened at the
// output directory, so that no link, even one made after the plan was
// checked, can carry the write outside the project. While its writer
// lives the temp file holds an exclusive lock (flock on Unix); a temp
// file that nobody holds was left by a killed build and is removed by the
// next one (cleanStaleTemps).
type outFile struct {
	root *os.Root
	rel  string           // final path relative to the root, OS separators
	tmp  *atomicfile.Temp // inside the root
}

// Temp files are named ".NAME.dsbuild-RANDOM" beside NAME. A file gets
// that name only once it is locked: it is created as
// ".NAME.dsbuild-new-RANDOM", locked, then renamed, so the cleaner never
// sees an owned temp file in the moment before its lock.
const (
	tempInfix    = ".dsbuild-"
	tempNewInfix = ".dsbuild-new-"
	// newTempAge is how old an unlocked "-new-" file must be before the
	// cleaner takes it for a leftover (a build killed between create and
	// rename, a window of microseconds).
	newTempAge = time.Hour
)

// createOutput opens a temp file for the output at rel (slash-separated,
// relative to outDir), creating its folders inside outDir.
func createOutput(outDir, rel string) (*outFile, error) {
	clean, err := projpath.Clean(rel)
	if err != nil {
		return nil, err
	}
	// outDir itself is trusted: the project directory or verify's own
	// temporary directory.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(outDir)
	if err != nil {
		return nil, err
	}
	o := &outFile{root: root, rel: filepath.FromSlash(clean)}
	if err := o.create(); err != nil {
		root.Close()
		return nil, fmt.Errorf("writing %s: %w", clean, err)
	}
	return o, nil
}

func (o *outFile) create() error {
	dir, base := filepath.Dir(o.rel), filepath.Base(o.rel)
	if err := o.root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cleanStaleTemps(o.root, o.rel)
	var b [8]byte
	for range 100 {
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		suffix := hex.EncodeToString(b[:])
		newName := filepath.Join(dir, "."+base+tempNewInfix+suffix)
		f, err := o.root.OpenFile(newName, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := lockFile(f, true); err != nil {
			f.Close()
			o.root.Remove(newName)
			return err
		}
		name := filepath.Join(dir, "."+base+tempInfix+suffix)
		if err := o.root.Rename(newName, name); err != nil {
			f.Close()
			o.root.Remove(newName)
			return err
		}
		o.tmp = atomicfile.Adopt(o.root, f, name)
		return nil
	}
	return fmt.Errorf("no free temp file name beside %s", o.rel)
}

func (o *outFile) Write(p []byte) (int, error) { return o.tmp.Write(p) }

// commit makes the written bytes the output: fsync, 0644, then a rename
// over the final path inside the root, and an fsync of its folder. A final
// path that turned into a link or a special file since the plan is
// refused, never replaced or followed.
func (o *outFile) commit() error {
	defer o.close()
	err := o.tmp.Commit(o.rel, atomicfile.Options{Mode: 0o644, Sync: true, RefuseNonRegular: true, Point: "output"})
	var nr *atomicfile.NotRegularError
	if errors.As(err, &nr) {
		return fmt.Errorf("writing %s: it exists and is %s; outputs replace regular files only", filepath.ToSlash(o.rel), projpath.Describe(nr.Info))
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.ToSlash(o.rel), err)
	}
	return nil
}

// abort removes the temp file unless commit renamed it; it is safe to
// call after commit.
func (o *outFile) abort() {
	o.tmp.Abort() // closing the file releases the lock
	o.close()
}

func (o *outFile) close() {
	if o.root != nil {
		o.root.Close()
		o.root = nil
	}
}

// cleanStaleOutputTemps removes the temp files of the output at rel that
// no live process owns, for outputs that are not rewritten this build.
func cleanStaleOutputTemps(outDir, rel string) {
	clean, err := projpath.Clean(rel)
	if err != nil {
		return
	}
	root, err := os.OpenRoot(outDir)
	if err != nil {
		return
	}
	defer root.Close()
	cleanStaleTemps(root, filepath.FromSlash(clean))
}

// cleanStaleTemps removes the temp files beside rel that were left by a
// killed build: those whose lock it can take (no live writer holds them).
// Anything else, including links and special files, is left alone.
func cleanStaleTemps(root *os.Root, rel string) {
	dir, base := filepath.Dir(rel), filepath.Base(rel)
	d, err := root.Open(dir)
	if err != nil {
		return
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return
	}
	prefix := "." + base + tempInfix
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, name)
		if strings.HasPrefix(name, "."+base+tempNewInfix) {
			fi, err := e.Info()
			if err != nil || time.Since(fi.ModTime()) < newTempAge {
				continue
			}
		}
		f, err := root.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if lockFile(f, false) == nil {
			root.Remove(p)
		}
		f.Close()
	}
}

// isRegular reports whether path is a regular file, not following a final
// link.
func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}
