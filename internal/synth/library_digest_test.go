package synth

import (
	"path/filepath"
	"runtime"
	"testing"
)

// LibraryDigest must equal the digest of the loaded library: callers key
// nodes with it before loading.
func TestLibraryDigestMatchesLoad(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "recipes", "templates")
	lib, diags := LoadLibrary(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	d, diags := LibraryDigest(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d != lib.Digest() {
		t.Fatalf("LibraryDigest = %s, Library.Digest = %s", d, lib.Digest())
	}
	if _, diags := LibraryDigest(filepath.Join(dir, "missing")); !diags.HasErrors() {
		t.Fatalf("LibraryDigest of a missing path: no diagnostic")
	}
}
