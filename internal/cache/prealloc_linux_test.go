package cache

import (
	"bytes"
	"os"
	"syscall"
	"testing"
)

// A large blob reserves file space ahead of its writes; the committed blob
// must not keep what was reserved past its end.
func TestLargeBlobKeepsNoReservedSpace(t *testing.T) {
	s := newTestStore(t)
	data := pseudoRandom(11, 3*writebackEvery+12345)
	desc, err := s.Put(bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	path, err := s.Path(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if used := st.Blocks * 512; used > fi.Size()+1<<20 {
		t.Errorf("blob of %d bytes occupies %d bytes on disk: reserved space past its end was kept", fi.Size(), used)
	}
}
