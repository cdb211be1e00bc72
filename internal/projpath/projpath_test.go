package projpath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		outside  bool // the error wraps ErrOutside
		errPart  string
	}{
		{in: "out/a.csv", want: "out/a.csv"},
		{in: "./out/./a.csv", want: "out/a.csv"},
		{in: "out/x/../a.csv", want: "out/a.csv"},
		{in: "out//a.csv", want: "out/a.csv"},
		{in: "", errPart: "empty"},
		{in: ".", errPart: "project directory itself"},
		{in: "out/..", errPart: "project directory itself"},
		{in: "..", outside: true, errPart: `".."`},
		{in: "../x.csv", outside: true, errPart: `".."`},
		{in: "out/../../x.csv", outside: true, errPart: `".."`},
		{in: "/etc/passwd", outside: true, errPart: "absolute"},
		{in: "out/a\x00.csv", errPart: "NUL byte at offset 5"},
		{in: "out/" + strings.Repeat("x", 256), errPart: "256 bytes"},
	}
	for _, tc := range tests {
		got, err := Clean(tc.in)
		if tc.errPart == "" {
			if err != nil || got != tc.want {
				t.Errorf("Clean(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("Clean(%q) = %q, %v, want an error containing %q", tc.in, got, err, tc.errPart)
			continue
		}
		if errors.Is(err, ErrOutside) != tc.outside {
			t.Errorf("Clean(%q): errors.Is(err, ErrOutside) = %v, want %v", tc.in, !tc.outside, tc.outside)
		}
	}
}

func TestResolve(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	rootReal, err := RealDir(root)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("data/real")
	mk("a")
	link(outside, "a/out")                  // out of the project, absolute
	link("../../..", "a/up")                // out of the project, relative
	link("data/real", "in")                 // inside
	link("../data/real/nothing", "a/loose") // inside, dangling
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, real string // real relative to root; "" = refused
		errPart  string
	}{
		{in: "out/x.csv", real: "out/x.csv"},
		{in: "in/x.csv", real: "data/real/x.csv"},
		{in: "in", real: "data/real"},
		{in: "a/out/x.csv", errPart: "goes through a/out, a symbolic link to " + outside + ", outside the project"},
		{in: "a/out", errPart: "a/out, a symbolic link"},
		{in: "a/up/x.csv", errPart: "goes through a/up"},
		{in: "a/loose/x.csv", errPart: "does not resolve"},
		{in: "file/x.csv", errPart: "goes through file, which is a file"},
	}
	for _, tc := range tests {
		res, err := Resolve(root, tc.in)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("Resolve(%q) = %v, %v, want an error containing %q", tc.in, res, err, tc.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.in, err)
			continue
		}
		if want := filepath.Join(rootReal, filepath.FromSlash(tc.real)); res.Real != want {
			t.Errorf("Resolve(%q).Real = %q, want %q", tc.in, res.Real, want)
		}
	}
}
