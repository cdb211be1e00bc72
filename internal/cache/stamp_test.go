package cache

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// TestStampSkipsRehashUntilTheFileChanges: a blob written through the store
// is read without re-hashing; any change to its file (here: chmod and an
// in-place byte flip, which keeps the size) sends reads back through the
// verifying path, which catches the corruption.
func TestStampSkipsRehashUntilTheFileChanges(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(7, 1<<20)
	desc, err := s.Put(bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	// A stamp written in the same filesystem clock tick as the blob is
	// racily clean and not trusted; a verification stamps it, and the stamp
	// is then dated a tick after the blob's last change (as if the clock
	// had moved on), whatever the filesystem's timestamp resolution.
	// Another Store on the directory (another process) has only the stamp.
	if err := s.Verify(desc.Digest); err != nil {
		t.Fatal(err)
	}
	path, err := s.Path(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	settle(t, s.stampPath(desc.Digest), path)
	if s, err = Open(s.root); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.(*stampedReader); !ok {
		t.Errorf("Open(fresh blob) = %T, want a stamped reader", rc)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stamped read = %d bytes, %v; want the blob", len(got), err)
	}

	s.AlwaysVerify = true
	rc, err = s.Open(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.(*verifyingReader); !ok {
		t.Errorf("Open with AlwaysVerify = %T, want a verifying reader", rc)
	}
	rc.Close()
	s.AlwaysVerify = false

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[1000] ^ 0xff}, 1000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	later(t, path)
	rc, err = s.Open(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read of a flipped blob = %v, want ErrCorrupt", err)
	}
	if s.Has(desc.Digest, -1) {
		t.Errorf("corrupt blob still present")
	}
}

func TestFileStamp(t *testing.T) {
	s := newTestStore(t)
	path := t.TempDir() + "/out.parquet"
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := digestOf([]byte("hello"))
	if s.FileMatches(path, d) {
		t.Fatalf("FileMatches before any stamp = true")
	}
	s.StampFile(path, d)
	settle(t, s.fileStampPath(path), path) // not racily clean
	if !s.FileMatches(path, d) {
		t.Fatalf("FileMatches after stamping = false")
	}
	if s.FileMatches(path, digestOf([]byte("other"))) {
		t.Errorf("FileMatches with another digest = true")
	}
	// Rewriting the file, even with the same size, changes its identity.
	if err := os.WriteFile(path, []byte("HELLO"), 0o644); err != nil {
		t.Fatal(err)
	}
	later(t, path)
	if s.FileMatches(path, d) {
		t.Errorf("FileMatches after the file changed = true")
	}
}

func digestOf(b []byte) digest.Digest { return digest.FromBytes(b) }

// Stamp tests never sleep for the clock to tick, so they hold on a
// filesystem with 1-second timestamps as on one with nanoseconds: times
// are set explicitly instead.

// settle dates the stamp at stampPath two seconds after the last change of
// the file it describes, as a stamp written once the clock had moved on.
func settle(t *testing.T, stampPath, file string) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := fi.ModTime()
	if _, ctime := statExtra(fi); ctime != 0 {
		changed = time.Unix(0, ctime)
	}
	when := changed.Add(2 * time.Second)
	if err := os.Chtimes(stampPath, when, when); err != nil {
		t.Fatal(err)
	}
}

// later dates the file's modification an hour ahead, as a change made
// after the stamp: with 1-second timestamps a change within the same
// second would otherwise leave the file's recorded identity as it was.
// (Setting the time changes the ctime too, as any real change does.)
func later(t *testing.T, file string) {
	t.Helper()
	when := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, when, when); err != nil {
		t.Fatal(err)
	}
}

// A stamp taken in the same clock tick as the file's last change is not
// trusted: on a filesystem with coarse timestamps a second write in that
// tick would leave the file's identity unchanged.
func TestRacilyCleanStampIsNotTrusted(t *testing.T) {
	s := newTestStore(t)
	path := t.TempDir() + "/out"
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := digestOf([]byte("abc"))
	s.StampFile(path, d)
	// Backdate the stamp to the file's change time: racily clean.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	_, ctime := statExtra(fi)
	if ctime == 0 {
		t.Skip("no ctime here")
	}
	when := time.Unix(0, ctime)
	if err := os.Chtimes(s.fileStampPath(path), when, when); err != nil {
		t.Fatal(err)
	}
	if s.FileMatches(path, d) {
		t.Errorf("FileMatches trusted a stamp no newer than the file's last change")
	}
}

// A blob this store wrote and hashed itself maps at once, inside the
// racily-clean window; another Store on the same directory (another
// process) does not trust it until the tick has passed and a verification
// stamps it.
func TestOwnBlobMapsAtOnce(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(9, 1<<16)
	desc, err := s.Put(bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	b, release, err := s.Map(desc.Digest)
	if err != nil {
		t.Fatalf("Map(own fresh blob) = %v", err)
	}
	if !bytes.Equal(b, data) {
		t.Errorf("mapped bytes differ")
	}
	release()
	other, err := Open(s.root)
	if err != nil {
		t.Fatal(err)
	}
	// Make the stamp racily clean whatever the clock did: backdate it to
	// the blob's change time.
	path, _ := s.Path(desc.Digest)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	_, ctime := statExtra(fi)
	if ctime == 0 {
		t.Skip("no ctime here")
	}
	when := time.Unix(0, ctime)
	if err := os.Chtimes(s.stampPath(desc.Digest), when, when); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Map(desc.Digest); !errors.Is(err, ErrUnverified) {
		t.Errorf("another store mapped a racily clean blob: %v", err)
	}
	if _, release, err := s.Map(desc.Digest); err != nil {
		t.Errorf("Map(own blob, racily clean stamp) = %v", err)
	} else {
		release()
	}
}
