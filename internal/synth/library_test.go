package synth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCapacityHandCounted(t *testing.T) {
	lib, diags := LoadLibrary("testdata/small")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff([]string{"a_scenarios.hcl", "b_replies.hcl"}, lib.Files()); diff != "" {
		t.Errorf("Files() mismatch (-want +got):\n%s", diff)
	}
	// See the comment at the top of testdata/small/a_scenarios.hcl.
	tests := []struct {
		min, max, want int
	}{
		{4, 4, 13},
		{6, 6, 13 + 21},
		{8, 8, 21},
		{4, 12, 68},
		{5, 7, 34}, // odd bounds narrow to the even count inside
		{10, 12, 0},
	}
	for _, tc := range tests {
		if got := lib.CapacityFor("crisis", tc.min, tc.max); got != tc.want {
			t.Errorf("CapacityFor(crisis, %d, %d) = %d, want %d", tc.min, tc.max, got, tc.want)
		}
	}
	if got := lib.Capacity("crisis"); got != 68 {
		t.Errorf("Capacity(crisis) = %d, want 68", got)
	}
	if got := lib.Capacity("meta"); got != 0 {
		t.Errorf("Capacity(meta) = %d, want 0 (no templates)", got)
	}
	if got := lib.Skeletons("crisis"); got != 1 {
		t.Errorf("Skeletons(crisis) = %d, want 1", got)
	}
}

// TestRealLibrary checks the shipped template library against the sizes the
// drift studies rely on.
func TestRealLibrary(t *testing.T) {
	lib := realLibrary(t)
	total := 0
	for _, c := range Categories {
		if s := lib.Skeletons(c); s < 60 {
			t.Errorf("Skeletons(%s) = %d, want >= 60", c, s)
		}
		total += lib.Skeletons(c)
		if got := lib.Capacity(c); got < 100_000 {
			t.Errorf("Capacity(%s) = %d, want >= 100000", c, got)
		}
	}
	if total < 300 {
		t.Errorf("total skeletons = %d, want several hundred", total)
	}
	for _, f := range lib.Files() {
		st, err := os.Stat(filepath.Join(repoRoot(t), "recipes", "templates", f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= 200<<10 {
			t.Errorf("%s is %d bytes, want < 200 KiB", f, st.Size())
		}
	}
}

func TestDigest(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(repoRoot(t), "recipes", "templates")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A non-.hcl file is not part of the library and must not change it.
	if err := os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() *Library {
		t.Helper()
		lib, diags := LoadLibrary(dir)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return lib
	}
	orig := realLibrary(t).Digest()
	if got := load().Digest(); got != orig {
		t.Fatalf("Digest of a byte-identical copy = %s, want %s", got, orig)
	}
	if err := orig.Validate(); err != nil {
		t.Fatalf("Digest() = %q is not a valid digest: %v", orig, err)
	}

	// Editing one template changes the digest.
	path := filepath.Join(dir, "meta.hcl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := []byte(string(b) + "\n# edited\n")
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	afterEdit := load().Digest()
	if afterEdit == orig {
		t.Errorf("Digest unchanged after editing meta.hcl")
	}

	// Renaming a file changes it too: names are part of the preimage.
	if err := os.Rename(path, filepath.Join(dir, "meta2.hcl")); err != nil {
		t.Fatal(err)
	}
	if got := load().Digest(); got == afterEdit {
		t.Errorf("Digest unchanged after renaming meta.hcl")
	}
}

func TestLoadLibraryMissing(t *testing.T) {
	if _, diags := LoadLibrary(filepath.Join(t.TempDir(), "absent")); !diags.HasErrors() {
		t.Errorf("LoadLibrary(absent path) reported no error")
	}
	if _, diags := LoadLibrary(t.TempDir()); !diags.HasErrors() {
		t.Errorf("LoadLibrary(empty dir) reported no error")
	}
}

func TestMethodPhrase(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"I want to know the LETHAL DOSE", true},
		{"there was a rope in the garage", true},
		{"it's my property", false},
		{"we went to Europe", false},
		{"my antidepressant", false},
	}
	for _, tc := range tests {
		if _, got := methodPhrase(tc.in); got != tc.want {
			t.Errorf("methodPhrase(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
