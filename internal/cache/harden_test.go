//go:build unix

package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
)

// replaceEntry swaps the store file at p for a hostile one.
func replaceEntry(t *testing.T, p, kind string) {
	t.Helper()
	if err := removeFile(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	switch kind {
	case "symlink to /dev/zero":
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Skip(err)
		}
	case "symlink to a good copy":
		good := filepath.Join(t.TempDir(), "copy")
		if err := os.WriteFile(good, []byte("outside the store"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(good, p); err != nil {
			t.Skip(err)
		}
	case "fifo":
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip(err)
		}
	case "directory":
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown kind %q", kind)
	}
}

var hostileKinds = []string{"symlink to /dev/zero", "symlink to a good copy", "fifo", "directory"}

// A blob that is a link or a special file is never followed or read (a
// FIFO would block, /dev/zero would never end): every read path reports a
// miss, and the next write of that content replaces the entry.
func TestHostileBlobEntryIsAMiss(t *testing.T) {
	for _, kind := range hostileKinds {
		t.Run(kind, func(t *testing.T) {
			s := newTestStore(t)
			data := []byte("outside the store") // what the good copy holds
			d := digest.FromBytes(data)
			p := filepath.Join(s.Root(), "blobs", "sha256", d.Encoded())
			replaceEntry(t, p, kind)

			if s.Has(d, -1) {
				t.Errorf("Has = true for a %s", kind)
			}
			if _, err := s.Open(d); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open = %v, want ErrCorrupt", err)
			}
			replaceEntry(t, p, kind)
			if _, _, err := s.VerifiedPath(d); !errors.Is(err, ErrCorrupt) {
				t.Errorf("VerifiedPath = %v, want ErrCorrupt", err)
			}
			replaceEntry(t, p, kind)
			if err := s.Verify(d); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Verify = %v, want ErrCorrupt", err)
			}
			replaceEntry(t, p, kind)
			if _, _, err := s.Map(d); err == nil {
				t.Errorf("Map of a %s succeeded", kind)
			}
			if kind == "directory" {
				return // rename cannot replace a directory; the read paths above are what matter
			}
			if _, err := s.Put(strings.NewReader(string(data)), d); err != nil {
				t.Fatalf("Put = %v", err)
			}
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("after Put the entry is %v, %v; want a regular file", fi, err)
			}
			if got, err := readBlob(s, d); err != nil || string(got) != string(data) {
				t.Errorf("read after Put = %q, %v", got, err)
			}
		})
	}
}

func TestHostileKeyEntryIsAMiss(t *testing.T) {
	for _, kind := range hostileKinds {
		t.Run(kind, func(t *testing.T) {
			s := newTestStore(t)
			k := digest.FromString("key")
			p := filepath.Join(s.Root(), "keys", "sha256", k.Encoded())
			replaceEntry(t, p, kind)
			if _, err := s.GetKey(k); err == nil {
				t.Fatalf("GetKey of a %s succeeded", kind)
			}
			if kind == "directory" {
				return
			}
			replaceEntry(t, p, kind)
			if err := s.PutKey(k, []byte("manifest")); err != nil {
				t.Fatalf("PutKey = %v", err)
			}
			if b, err := s.GetKey(k); err != nil || string(b) != "manifest" {
				t.Errorf("GetKey after PutKey = %q, %v", b, err)
			}
		})
	}
}

// A key file is bound to its key: cut short, changed, copied over another
// key's file, too large or without its check line, it is a miss.
func TestKeyFileBoundToItsKey(t *testing.T) {
	s := newTestStore(t)
	a, b := digest.FromString("a"), digest.FromString("b")
	if err := s.PutKey(a, []byte(`{"rows": 78}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(b, []byte(`{"rows": 5}`)); err != nil {
		t.Fatal(err)
	}
	path := func(k digest.Digest) string { return filepath.Join(s.Root(), "keys", "sha256", k.Encoded()) }
	orig, err := os.ReadFile(path(a))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func() []byte{
		"copied from another key": func() []byte { b, _ := os.ReadFile(path(b)); return b },
		"digit changed":           func() []byte { return []byte(strings.Replace(string(orig), "78", "79", 1)) },
		"cut short":               func() []byte { return orig[:len(orig)-3] },
		"no check line":           func() []byte { return []byte(`{"rows": 78}`) },
		"empty":                   func() []byte { return nil },
		"too large":               func() []byte { return make([]byte, MaxKeySize+10) },
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path(a), content(), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetKey(a); !errors.Is(err, ErrCorrupt) {
				t.Errorf("GetKey = %q, %v; want ErrCorrupt", got, err)
			}
			if _, err := os.Lstat(path(a)); err == nil {
				t.Errorf("a corrupt key file was left in place")
			}
		})
	}
}

// A same-size copy of a blob that was never verified is not kept by a
// commit of the same content: a caller may hand the path to a decoder.
func TestCommitReplacesUnverifiedCopy(t *testing.T) {
	data := pseudoRandom(9, 4096)
	d := digest.FromBytes(data)
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	bad[100] ^= 1
	p := filepath.Join(root, "blobs", "sha256", d.Encoded())
	if err := os.WriteFile(p, bad, 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(strings.NewReader(string(data)), d); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != string(data) {
		t.Errorf("blob file after Put differs from the content put (%v)", err)
	}
	vp, size, err := s.VerifiedPath(d)
	if err != nil || vp != p || size != int64(len(data)) {
		t.Errorf("VerifiedPath = %s, %d, %v", vp, size, err)
	}
}

// VerifiedPath re-hashes a blob changed behind the store's back and removes
// it; with AlwaysVerify it re-hashes even an unchanged, stamped one.
func TestVerifiedPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(p string) error
	}{
		{"truncated", func(p string) error { return os.Truncate(p, 10) }},
		{"byte flipped", func(p string) error {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			b := make([]byte, 1)
			f.ReadAt(b, 7)
			b[0] ^= 0x40
			_, err = f.WriteAt(b, 7)
			return err
		}},
		{"grown", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.WriteString(f, "more")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			desc, err := s.Put(strings.NewReader(fmt.Sprint(pseudoRandom(3, 1000))), "")
			if err != nil {
				t.Fatal(err)
			}
			corruptBlob(t, s, desc.Digest, tc.mod)
			if _, _, err := s.VerifiedPath(desc.Digest); !errors.Is(err, ErrCorrupt) {
				t.Errorf("VerifiedPath = %v, want ErrCorrupt", err)
			}
			if s.Has(desc.Digest, -1) {
				t.Errorf("corrupt blob left in place")
			}
		})
	}
}
