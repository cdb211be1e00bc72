// Package atomicfile owns dsbuild's one way of replacing a file: bytes go
// to a temp file, which is fsynced, given its mode and renamed over the
// final name, then the directory is fsynced, so a reader (or a crash) sees
// the old file or the new one, never a mix. It also owns the advisory locks
// that let a cleaner tell a live writer's temp file from a killed one's.
//
// Every operation goes through a Dir: a plain directory path (the store's
// ingest/ and entries) or an os.Root (outputs and the lock), so that a
// write confined to a root stays confined whatever links appear under it.
// How a temp file is named and locked stays with each caller (the store's
// ingest protocol, an output's dot-file beside its name); this package must
// never follow a link at the final name (rename replaces it, or Commit
// refuses it with RefuseNonRegular), never leave a temp file behind on a
// failed commit, and never import anything of dsbuild's but faultpoint.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dsbuild/dsbuild/internal/faultpoint"
)

// Dir is where temp files are created and renamed. *os.Root is one; OS is
// the other, for absolute paths.
type Dir interface {
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	Lstat(name string) (fs.FileInfo, error)
}

var _ Dir = (*os.Root)(nil)

// OS is the Dir of plain paths.
var OS Dir = osDir{}

type osDir struct{}

func (osDir) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
func (osDir) Rename(oldname, newname string) error   { return os.Rename(oldname, newname) }
func (osDir) Remove(name string) error               { return os.Remove(name) }
func (osDir) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }

// Options say what a commit guarantees.
type Options struct {
	// Mode is given to the file before the rename.
	Mode fs.FileMode
	// Sync fsyncs the file before the rename and its directory after, so
	// the new content survives a crash. Without it (stamps: a lost one only
	// costs a re-hash) the rename is still atomic.
	Sync bool
	// RefuseNonRegular refuses a final name that exists and is not a
	// regular file (a link, FIFO or folder), instead of replacing it.
	RefuseNonRegular bool
	// Point names the write for fault injection (faultpoint): the points
	// "<Point>-written" (temp complete, before the rename) and
	// "<Point>-renamed" (in place, before anything refers to it) are hit.
	Point string
}

// Temp is a temp file being written in a Dir.
type Temp struct {
	dir  Dir
	f    *os.File
	name string
	done bool
}

// Adopt takes over a temp file the caller created (and locked) in dir
// under name.
func Adopt(dir Dir, f *os.File, name string) *Temp {
	return &Temp{dir: dir, f: f, name: name}
}

// Create makes a new temp file prefix+RANDOM in dir (mode 0600, O_EXCL).
func Create(dir Dir, prefix string) (*Temp, error) {
	var b [8]byte
	for range 100 {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := prefix + hex.EncodeToString(b[:])
		f, err := dir.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &Temp{dir: dir, f: f, name: name}, nil
	}
	return nil, fmt.Errorf("no free temp file name %s*", prefix)
}

// File is the open temp file.
func (t *Temp) File() *os.File { return t.f }

// Name is the temp file's name in its Dir.
func (t *Temp) Name() string { return t.name }

func (t *Temp) Write(p []byte) (int, error) { return t.f.Write(p) }

// Commit makes the temp file dst (a name in the same Dir). On failure the
// temp file is removed.
func (t *Temp) Commit(dst string, o Options) error {
	if t.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	err := t.commit(dst, o)
	if err != nil {
		t.Abort()
		return err
	}
	t.done = true
	if o.Point != "" {
		faultpoint.Hit(o.Point + "-renamed")
	}
	if o.Sync {
		if err := syncDir(t.dir, filepath.Dir(dst)); err != nil {
			return err
		}
	}
	return nil
}

func (t *Temp) commit(dst string, o Options) error {
	if err := t.f.Chmod(o.Mode); err != nil {
		return err
	}
	if o.Sync {
		if err := t.f.Sync(); err != nil {
			return err
		}
	}
	if o.Point != "" {
		faultpoint.Hit(o.Point + "-written")
	}
	if o.RefuseNonRegular {
		if fi, err := t.dir.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
			return &NotRegularError{Path: dst, Info: fi}
		}
	}
	// The file stays open (and locked) through the rename where the OS
	// allows it, so a cleaner never finds it unlocked while it is still
	// a temp file.
	f := t.f
	t.f = nil
	return renameOpen(t.dir, f, t.name, dst)
}

// NotRegularError: the final name is a link, FIFO, folder or device.
type NotRegularError struct {
	Path string
	Info fs.FileInfo
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s exists and is not a regular file (%v)", e.Path, e.Info.Mode().Type())
}

// Abort removes the temp file; a no-op after Commit or Abort.
func (t *Temp) Abort() error {
	if t.done {
		return nil
	}
	t.done = true
	var err error
	if t.f != nil {
		err = t.f.Close()
		t.f = nil
	}
	if rerr := t.dir.Remove(t.name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// syncDir makes a rename into dir durable: without it a crash can lose the
// directory entry even though the file's data was fsynced.
func syncDir(d Dir, dir string) error {
	f, err := d.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFile replaces the file at path (in d) with data, atomically and
// durably: a temp file ".NAME.tmp-RANDOM" beside it, fsync, mode, rename,
// directory fsync. A link at path is replaced, not followed; resolve it
// first to write its target.
func WriteFile(d Dir, path string, data []byte, mode fs.FileMode) error {
	t, err := Create(d, filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"))
	if err != nil {
		return err
	}
	if _, err := t.Write(data); err != nil {
		t.Abort()
		return err
	}
	return t.Commit(path, Options{Mode: mode, Sync: true})
}
