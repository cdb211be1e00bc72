package cache

import (
	"bytes"
	_ "crypto/sha512" // makes sha512 digests Validate, to prove only sha256 is accepted
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func TestOpenCreatesLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nested", "store")
	s, err := Open(root)
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
	}
	if s.Root() != root {
		t.Errorf("Root() = %s, want %s", s.Root(), root)
	}
	for _, d := range []string{"blobs/sha256", "keys/sha256", "ingest"} {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || !fi.IsDir() {
			t.Errorf("Open(%s) did not create %s: %v", root, d, err)
		}
	}
	if _, err := Open(""); err == nil {
		t.Errorf(`Open("") succeeded, want error`)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Errorf("Open(%s) on a regular file succeeded, want error", file)
	}
}

func TestDefaultDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("os.UserCacheDir fallback is platform specific")
	}
	tests := []struct {
		name, dsbuild, xdg, home string
		want                     string
	}{
		{"DSBUILD_CACHE wins", "/srv/dsb", "/xdg", "/home/u", "/srv/dsb"},
		{"XDG_CACHE_HOME", "", "/xdg", "/home/u", "/xdg/dsbuild"},
		{"HOME fallback", "", "", "/home/u", "/home/u/.cache/dsbuild"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DSBUILD_CACHE", tt.dsbuild)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			got, err := DefaultDir()
			if err != nil || got != tt.want {
				t.Errorf("DefaultDir() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
	t.Run("relative XDG_CACHE_HOME", func(t *testing.T) {
		t.Setenv("DSBUILD_CACHE", "")
		t.Setenv("XDG_CACHE_HOME", "rel/cache")
		if got, err := DefaultDir(); err == nil {
			t.Errorf("DefaultDir() = %q, nil, want error for relative XDG_CACHE_HOME", got)
		}
	})
}

func TestPutGet(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		plain bool // read through the buffered path instead of WriterTo
	}{
		{"empty", nil, false},
		{"empty buffered", nil, true},
		{"small", []byte("hello, dsbuild\n"), false},
		{"small buffered", []byte("hello, dsbuild\n"), true},
		{"pipelined chunk", pseudoRandom(1, parallelMin+17), false},
		{"multi chunk with writeback", pseudoRandom(2, writebackEvery+maxChunk+3), false},
		{"multi buffer buffered", pseudoRandom(3, 3*copyBufSize+5), true},
	}
	s := newTestStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Descriptor{Digest: digest.FromBytes(tt.data), Size: int64(len(tt.data))}
			var r io.Reader = bytes.NewReader(tt.data)
			if tt.plain {
				r = plainReader{r}
			}
			got, err := s.Put(r, "")
			if err != nil || got != want {
				t.Fatalf("Put() = %v, %v, want %v", got, err, want)
			}
			if !s.Has(want.Digest, want.Size) || !s.Has(want.Digest, -1) {
				t.Errorf("Has(%s, %d) = false after Put", want.Digest, want.Size)
			}
			if s.Has(want.Digest, want.Size+1) {
				t.Errorf("Has(%s, %d) = true, want false for wrong size", want.Digest, want.Size+1)
			}
			b, err := readBlob(s, want.Digest)
			if err != nil || !bytes.Equal(b, tt.data) {
				t.Errorf("Open(%s) read %d bytes, %v; want %d bytes", want.Digest, len(b), err, len(tt.data))
			}
			p, err := s.Path(want.Digest)
			if err != nil {
				t.Fatalf("Path(%s): %v", want.Digest, err)
			}
			if want := filepath.Join(s.Root(), "blobs", "sha256", want.Digest.Encoded()); p != want {
				t.Errorf("Path() = %s, want %s", p, want)
			}
			if fi, err := os.Stat(p); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o444) {
				t.Errorf("blob %s mode = %v, %v, want 0444", p, fi.Mode(), err)
			}
			if err := s.Verify(want.Digest); err != nil {
				t.Errorf("Verify(%s) = %v", want.Digest, err)
			}
			// Idempotent: a second Put, with or without an expected digest, succeeds.
			if again, err := s.Put(bytes.NewReader(tt.data), want.Digest); err != nil || again != want {
				t.Errorf("second Put() = %v, %v, want %v", again, err, want)
			}
			if left := listDir(t, ingestDir(s)); len(left) != 0 {
				t.Errorf("ingest/ not empty after Put: %v", left)
			}
		})
	}
	blobs, err := s.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	var want []Descriptor
	for _, tt := range tests {
		d := Descriptor{Digest: digest.FromBytes(tt.data), Size: int64(len(tt.data))}
		if !slices.Contains(want, d) {
			want = append(want, d)
		}
	}
	slices.SortFunc(want, func(a, b Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	if diff := cmp.Diff(want, blobs); diff != "" {
		t.Errorf("Blobs() mismatch (-want +got):\n%s", diff)
	}
}

func TestPutExpectedMismatch(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(4, 200<<10)
	other := digest.FromString("something else")
	_, err := s.Put(bytes.NewReader(data), other)
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Put(expected=%s) = %v, want ErrDigestMismatch", other, err)
	}
	var dm *DigestMismatchError
	if !errors.As(err, &dm) {
		t.Fatalf("Put error %T is not a *DigestMismatchError", err)
	}
	want := DigestMismatchError{Expected: other, Actual: digest.FromBytes(data), Size: int64(len(data))}
	if *dm != want {
		t.Errorf("DigestMismatchError = %+v, want %+v", *dm, want)
	}
	if s.Has(dm.Actual, -1) || s.Has(other, -1) {
		t.Errorf("a blob was stored despite the mismatch")
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ not empty after mismatch: %v", left)
	}

	// The same through a Writer.
	w, err := s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:10])
	if _, err := w.Commit(other); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Writer.Commit(%s) = %v, want ErrDigestMismatch", other, err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after failed Commit = %v", err)
	}
}

func TestInvalidDigestsRejected(t *testing.T) {
	s := newTestStore(t)
	data := []byte("a real blob")
	desc, err := s.Put(bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	key := digest.FromString("a real key")
	if err := s.PutKey(key, []byte("manifest")); err != nil {
		t.Fatal(err)
	}
	// Files a naive path join would reach.
	if err := os.WriteFile(filepath.Join(s.Root(), "etc"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := walkFiles(t, s.Root())

	hex := desc.Digest.Encoded()
	bad := []string{
		"",
		"sha256:",
		"deadbeef", // no separator: digest.Digest.Algorithm would panic on it
		"sha256:../../etc",
		"sha256:../../keys/sha256/" + key.Encoded(),
		"sha256:" + hex + "/..",
		"sha256:" + strings.ToUpper(hex), // a case-insensitive filesystem would find the blob
		"sha256:" + hex[:63],
		"sha256:" + hex + "0",
		"md5:d41d8cd98f00b204e9800998ecf8427e",
		string(digest.SHA512.FromBytes(data)), // valid digest, unsupported layout
		"SHA256:" + hex,
		" sha256:" + hex,
	}
	for _, str := range bad {
		d := digest.Digest(str)
		t.Run(str, func(t *testing.T) {
			if s.Has(d, -1) {
				t.Errorf("Has(%q) = true", str)
			}
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, ErrInvalidDigest) {
					t.Errorf("%s(%q) = %v, want ErrInvalidDigest", op, str, err)
				}
			}
			_, err := s.Open(d)
			check("Open", err)
			_, err = s.Path(d)
			check("Path", err)
			check("Verify", s.Verify(d))
			check("Delete", s.Delete(d))
			_, err = s.GetKey(d)
			check("GetKey", err)
			check("PutKey", s.PutKey(d, []byte("x")))
			check("DeleteKey", s.DeleteKey(d))
			if str != "" { // "" means "accept any" for Put
				r := bytes.NewReader(data)
				_, err = s.Put(r, d)
				check("Put", err)
				if r.Len() != len(data) {
					t.Errorf("Put(expected=%q) read its source before rejecting the digest", str)
				}
				w, err := s.NewWriter()
				if err != nil {
					t.Fatal(err)
				}
				w.Write(data)
				_, err = w.Commit(d)
				check("Writer.Commit", err)
			}
		})
	}
	if diff := cmp.Diff(before, walkFiles(t, s.Root())); diff != "" {
		t.Errorf("invalid digests changed the store (-before +after):\n%s", diff)
	}
	if b, err := readBlob(s, desc.Digest); err != nil || !bytes.Equal(b, data) {
		t.Errorf("valid blob damaged: %q, %v", b, err)
	}
}

func TestNotFound(t *testing.T) {
	s := newTestStore(t)
	d := digest.FromString("absent")
	if s.Has(d, -1) {
		t.Errorf("Has(%s) = true in an empty store", d)
	}
	_, err := s.Open(d)
	errs := map[string]error{"Open": err}
	_, errs["Path"] = s.Path(d)
	errs["Verify"] = s.Verify(d)
	errs["Delete"] = s.Delete(d)
	_, errs["GetKey"] = s.GetKey(d)
	errs["DeleteKey"] = s.DeleteKey(d)
	for op, err := range errs {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s(%s) = %v, want ErrNotFound", op, d, err)
		} else if !strings.Contains(err.Error(), d.String()) {
			t.Errorf("%s error %q does not name the digest", op, err)
		}
	}
}

func TestWriterLifecycle(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(5, 600<<10)
	want := Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}

	w, err := s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	// Uneven pieces cross the sequential/pipelined boundary both ways.
	for _, piece := range [][]byte{data[:1], data[1 : 1+parallelMin], data[1+parallelMin : 1000+parallelMin], data[1000+parallelMin:]} {
		if n, err := w.Write(piece); err != nil || n != len(piece) {
			t.Fatalf("Write(%d bytes) = %d, %v", len(piece), n, err)
		}
	}
	if w.Size() != want.Size {
		t.Errorf("Size() = %d, want %d", w.Size(), want.Size)
	}
	if s.Has(want.Digest, -1) {
		t.Errorf("blob visible before Commit")
	}
	got, err := w.Commit(want.Digest)
	if err != nil || got != want {
		t.Fatalf("Commit() = %v, %v, want %v", got, err, want)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit = %v, want nil", err)
	}
	if !s.Has(want.Digest, want.Size) {
		t.Errorf("Abort after Commit removed the blob")
	}
	if _, err := w.Commit(""); err == nil {
		t.Errorf("second Commit succeeded, want error")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Commit succeeded, want error")
	}

	// Abort discards and is idempotent.
	w, err = s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("discard me"))
	if err := w.Abort(); err != nil {
		t.Errorf("Abort() = %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort() = %v", err)
	}
	if _, err := w.Commit(""); err == nil {
		t.Errorf("Commit after Abort succeeded, want error")
	}
	if s.Has(digest.FromString("discard me"), -1) {
		t.Errorf("aborted blob is present")
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ not empty after Abort: %v", left)
	}
}

func TestWriterFailedWriteIsSticky(t *testing.T) {
	s := newTestStore(t)
	w, err := s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("before"))
	w.f.Close() // the disk goes away under the writer
	for _, n := range []int{10, parallelMin} {
		if _, err := w.Write(make([]byte, n)); err == nil {
			t.Fatalf("Write(%d bytes) to a closed file succeeded", n)
		} else if !strings.Contains(err.Error(), "byte offset 6") {
			t.Errorf("Write error %q does not name the byte offset", err)
		}
	}
	if _, err := w.Commit(""); err == nil {
		t.Errorf("Commit after a failed Write succeeded")
	}
	if blobs, _ := s.Blobs(); len(blobs) != 0 {
		t.Errorf("Blobs() = %v after a failed write, want none", blobs)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ = %v after failed Commit, want empty", left)
	}
}

// TestAbandonedWriter simulates a writer that dies before Commit.
func TestAbandonedWriter(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(6, 300<<10)
	w, err := s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Abort()

	if blobs, _ := s.Blobs(); len(blobs) != 0 {
		t.Errorf("Blobs() = %v with no Commit, want none", blobs)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 2 {
		t.Fatalf("ingest/ = %v, want the 2 temp files", left)
	}
	// A writer still in progress is left alone however old its file is;
	// one whose file is no longer held (its process died: simulated by
	// closing the file, which drops the lock) is removed.
	old := time.Now().Add(-3 * time.Hour)
	for _, n := range []string{w.name, fresh.name} {
		if err := os.Chtimes(n, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CleanIngest(); err != nil {
		t.Fatalf("CleanIngest() = %v", err)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 2 {
		t.Fatalf("after CleanIngest() with two live writers ingest/ = %v, want both files", left)
	}
	w.f.Close()
	if err := s.CleanIngest(); err != nil {
		t.Fatalf("CleanIngest() = %v", err)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 1 || left[0] != filepath.Base(fresh.name) {
		t.Errorf("after CleanIngest() ingest/ = %v, want only %s", left, filepath.Base(fresh.name))
	}
	// The abandoned writer's late Commit must fail, not publish anything.
	if _, err := w.Commit(""); err == nil {
		t.Errorf("Commit of a cleaned-up writer succeeded")
	}
	if s.Has(digest.FromBytes(data), -1) {
		t.Errorf("cleaned-up writer published a blob")
	}
	fresh.Abort()
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("after Abort ingest/ = %v, want empty", left)
	}
}

// corruptBlob makes blob d writable and applies f to its file.
func corruptBlob(t *testing.T, s *Store, d digest.Digest, f func(path string) error) {
	t.Helper()
	p, err := s.Path(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f(p); err != nil {
		t.Fatal(err)
	}
}

func truncateBy(n int64) func(string) error {
	return func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		return os.Truncate(p, fi.Size()-n)
	}
}

func flipByte(off int64) func(string) error {
	return func(p string) error {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, off); err != nil {
			return err
		}
		b[0] ^= 0x40
		_, err = f.WriteAt(b, off)
		return err
	}
}

func TestCorruptBlob(t *testing.T) {
	data := pseudoRandom(7, 300<<10)
	d, size := digest.FromBytes(data), int64(len(data))
	put := func(t *testing.T, s *Store) {
		t.Helper()
		if _, err := s.Put(bytes.NewReader(data), d); err != nil {
			t.Fatal(err)
		}
	}
	wantGone := func(t *testing.T, s *Store, err error, op string) {
		t.Helper()
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s = %v, want ErrCorrupt", op, err)
		} else if !strings.Contains(err.Error(), d.String()) {
			t.Errorf("%s error %q does not name the blob", op, err)
		}
		if s.Has(d, -1) {
			t.Errorf("corrupt blob still present after %s", op)
		}
	}

	t.Run("truncated/Open", func(t *testing.T) {
		s := newTestStore(t)
		put(t, s)
		corruptBlob(t, s, d, truncateBy(10))
		if s.Has(d, size) {
			t.Errorf("Has(%s, %d) = true for a truncated blob", d, size)
		}
		_, err := readBlob(s, d)
		wantGone(t, s, err, "Open+ReadAll")
		if !strings.Contains(err.Error(), "byte offset") && !strings.Contains(err.Error(), "hashes to") {
			t.Errorf("error %q does not say where it went wrong", err)
		}
	})
	t.Run("truncated/Verify", func(t *testing.T) {
		s := newTestStore(t)
		put(t, s)
		corruptBlob(t, s, d, truncateBy(1))
		wantGone(t, s, s.Verify(d), "Verify")
		// A fresh Put after the removal restores it.
		put(t, s)
		if err := s.Verify(d); err != nil {
			t.Errorf("Verify after re-Put = %v", err)
		}
	})
	t.Run("bit flip/exact-size reader", func(t *testing.T) {
		s := newTestStore(t)
		put(t, s)
		corruptBlob(t, s, d, flipByte(size/2))
		if !s.Has(d, size) {
			t.Errorf("Has(%s, %d) = false; a same-size corruption is only visible to a read", d, size)
		}
		rc, err := s.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		// A consumer that stops at the known end must still see the error.
		_, err = io.ReadFull(rc, make([]byte, size))
		wantGone(t, s, err, "ReadFull")
		if _, err2 := rc.Read(make([]byte, 1)); !errors.Is(err2, ErrCorrupt) {
			t.Errorf("Read after corruption = %v, want sticky ErrCorrupt", err2)
		}
	})
	t.Run("wrong size is replaced by Put", func(t *testing.T) {
		s := newTestStore(t)
		put(t, s)
		corruptBlob(t, s, d, truncateBy(100))
		put(t, s)
		if err := s.Verify(d); err != nil {
			t.Errorf("Verify after Put over a truncated blob = %v", err)
		}
	})
	t.Run("replaced while open is not deleted", func(t *testing.T) {
		s := newTestStore(t)
		put(t, s)
		corruptBlob(t, s, d, flipByte(0))
		rc, err := s.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		// Another writer renames a good copy into place mid-read.
		if err := s.Delete(d); err != nil {
			t.Fatal(err)
		}
		put(t, s)
		if _, err := io.ReadAll(rc); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadAll of the corrupt inode = %v, want ErrCorrupt", err)
		}
		if err := s.Verify(d); err != nil {
			t.Errorf("the good replacement was damaged: Verify = %v", err)
		}
	})
}

func TestKeys(t *testing.T) {
	s := newTestStore(t)
	k1, k2 := digest.FromString("key one"), digest.FromString("key two")
	if err := s.PutKey(k1, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(k2, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(k1, []byte("second")); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[digest.Digest]string{k1: "second", k2: ""} {
		if got, err := s.GetKey(k); err != nil || string(got) != want {
			t.Errorf("GetKey(%s) = %q, %v, want %q", k, got, err, want)
		}
	}
	keys, err := s.Keys()
	want := []digest.Digest{k1, k2}
	slices.Sort(want)
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("Keys() = %v, %v, want %v", keys, err, want)
	}
	if err := s.DeleteKey(k1); err != nil {
		t.Errorf("DeleteKey(%s) = %v", k1, err)
	}
	if _, err := s.GetKey(k1); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey after DeleteKey = %v, want ErrNotFound", err)
	}
	if left := listDir(t, ingestDir(s)); len(left) != 0 {
		t.Errorf("ingest/ not empty after PutKey: %v", left)
	}
}

func TestListingsSkipForeignFiles(t *testing.T) {
	s := newTestStore(t)
	for _, dir := range []string{"blobs/sha256", "keys/sha256"} {
		for _, name := range []string{"README", strings.Repeat("A", 64), strings.Repeat("a", 63)} {
			if err := os.WriteFile(filepath.Join(s.Root(), dir, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(s.Root(), dir, strings.Repeat("b", 64)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var want []Descriptor
	for i := range 5 {
		b := pseudoRandom(uint64(100+i), 10+i)
		desc, err := s.Put(bytes.NewReader(b), "")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, desc)
	}
	slices.SortFunc(want, func(a, b Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	got, err := s.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Blobs() mismatch (-want +got):\n%s", diff)
	}
	if keys, err := s.Keys(); err != nil || len(keys) != 0 {
		t.Errorf("Keys() = %v, %v, want none", keys, err)
	}
}
