// Package projpath resolves the paths a recipe names relative to its
// project (outputs, templates, the lockfile) and refuses every one that
// would reach outside the project, lexically ("../x", "/etc/x") or through
// a symbolic link anywhere on the way ("out/keys -> ~/.ssh").
//
// Resolve is the load-time check that turns a bad path into a diagnostic.
// It cannot stop a link created after it ran, so whoever writes must also
// confine the write itself: open the project with os.OpenRoot and create,
// rename and remove only through the Root, which refuses to leave it.
// This package never writes.
package projpath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrOutside is wrapped by every error about a path that leaves the
// project.
var ErrOutside = errors.New("outside the project")

// Error is a refused path, with a message that says why in full.
type Error struct {
	Path   string // as given
	Reason string
	Err    error // ErrOutside when the path leaves the project, else nil
}

func (e *Error) Error() string { return fmt.Sprintf("path %q %s", e.Path, e.Reason) }
func (e *Error) Unwrap() error { return e.Err }

// maxComponent is the longest file name most file systems accept
// (NAME_MAX on Linux and macOS, 255 UTF-16 units on NTFS).
const maxComponent = 255

// Clean checks p lexically and returns it cleaned and slash-separated:
// not empty, relative, not escaping with "..", and made only of characters
// a file name may hold on this platform (never NUL). "out/./a/../b.csv"
// and "out/b.csv" clean to the same path.
func Clean(p string) (string, error) {
	if p == "" {
		return "", &Error{Path: p, Reason: "is empty; give a path inside the project such as \"out/data.parquet\""}
	}
	if i := strings.IndexByte(p, 0); i >= 0 {
		return "", &Error{Path: p, Reason: fmt.Sprintf("holds a NUL byte at offset %d; file names cannot contain NUL", i)}
	}
	if filepath.IsAbs(p) || path.IsAbs(p) || filepath.VolumeName(p) != "" {
		return "", &Error{Path: p, Reason: fmt.Sprintf("is absolute; paths stay inside the project, e.g. \"out/%s\"", path.Base(filepath.ToSlash(p))), Err: ErrOutside}
	}
	c := filepath.Clean(filepath.FromSlash(p))
	if c == "." {
		return "", &Error{Path: p, Reason: "names the project directory itself; give a file inside it such as \"out/data.parquet\""}
	}
	if c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) {
		return "", &Error{Path: p, Reason: "escapes the project directory with \"..\"; paths stay inside it", Err: ErrOutside}
	}
	for _, part := range strings.Split(c, string(filepath.Separator)) {
		if len(part) > maxComponent {
			return "", &Error{Path: p, Reason: fmt.Sprintf("has a name of %d bytes; file systems accept at most %d", len(part), maxComponent)}
		}
		if reason := invalidName(part); reason != "" {
			return "", &Error{Path: p, Reason: reason}
		}
	}
	return filepath.ToSlash(c), nil
}

// invalidName says why part cannot be a file name on this platform.
func invalidName(part string) string {
	if runtime.GOOS != "windows" {
		return "" // only NUL and '/' are invalid, and both are handled
	}
	for _, r := range part {
		if r < 32 || strings.ContainsRune(`<>:"|?*`, r) {
			return fmt.Sprintf("holds %q, which Windows does not allow in file names", r)
		}
	}
	if strings.HasSuffix(part, ".") || strings.HasSuffix(part, " ") {
		return fmt.Sprintf("has a name ending in a dot or space (%q), which Windows drops", part)
	}
	base := strings.ToUpper(strings.SplitN(part, ".", 2)[0])
	switch base {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return fmt.Sprintf("uses %q, a device name on Windows", part)
	}
	return ""
}

// Resolved is a project path after Resolve.
type Resolved struct {
	Rel string // cleaned, slash-separated, relative to the project
	// Real is the absolute path with every link on the way resolved; the
	// parts that do not exist yet are appended as written.
	Real string
	// Info describes the file at Real without following a final link; nil
	// when nothing exists there yet.
	Info fs.FileInfo
}

// Resolve cleans p (see Clean) and follows it from root one component at
// a time, resolving each symbolic link it meets; it refuses the path when
// a link leads outside root (or nowhere: a dangling link could be pointed
// anywhere later). A final component that is itself a link is resolved
// the same way, and Info then describes the link, so callers that must
// not follow links (outputs) can refuse it.
func Resolve(root, p string) (*Resolved, error) {
	rel, err := Clean(p)
	if err != nil {
		return nil, err
	}
	rootReal, err := RealDir(root)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(rel, "/")
	cur := rootReal
	var info fs.FileInfo
	for i, part := range parts {
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return &Resolved{Rel: rel, Real: filepath.Join(append([]string{next}, parts[i+1:]...)...)}, nil
		}
		if err != nil {
			return nil, &Error{Path: p, Reason: fmt.Sprintf("cannot be checked: %v", err)}
		}
		shown := path.Join(parts[:i+1]...)
		if i < len(parts)-1 && fi.Mode()&fs.ModeSymlink == 0 && !fi.IsDir() {
			return nil, &Error{Path: p, Reason: fmt.Sprintf("goes through %s, which is a file, not a folder", shown)}
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			link, _ := os.Readlink(next)
			target, err := filepath.EvalSymlinks(next)
			if err != nil {
				return nil, &Error{Path: p, Reason: fmt.Sprintf("goes through %s, a symbolic link to %s, which does not resolve (%v); links in project paths must point inside the project", shown, link, unwrapPathError(err)), Err: ErrOutside}
			}
			if !Within(rootReal, target) {
				return nil, &Error{Path: p, Reason: fmt.Sprintf("goes through %s, a symbolic link to %s, outside the project %s; dsbuild reads and writes only inside the project", shown, target, rootReal), Err: ErrOutside}
			}
			next = target
		}
		cur = next
		info = fi
	}
	return &Resolved{Rel: rel, Real: cur, Info: info}, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// RealDir returns dir as an absolute path with its links resolved.
func RealDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("project directory %s: %w", dir, unwrapPathError(err))
	}
	return real, nil
}

// Real returns p (absolute or relative to the working directory) with the
// links of its existing part resolved, for comparing places; a path that
// does not exist keeps its missing tail as written.
func Real(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	var tail []string
	for cur := abs; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{real}, tail...)...)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		tail = append([]string{filepath.Base(cur)}, tail...)
		cur = parent
	}
}

// Within reports whether p is dir or lies below it; both must be clean
// absolute paths (as Resolve and Real return them).
func Within(dir, p string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// Describe names the kind of a file that is not a regular file, for
// messages ("a symbolic link", "a named pipe (FIFO)", ...).
func Describe(fi fs.FileInfo) string { return DescribeMode(fi.Mode()) }

// DescribeMode is Describe for a file mode alone.
func DescribeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file (" + m.Type().String() + ")"
}

// SameFileKey returns a key under which two project paths compare equal
// when they name the same file: the real path, case-folded when the file
// system holding root ignores case.
func SameFileKey(rootReal, real string) string {
	if caseInsensitive(rootReal) {
		return strings.ToLower(real)
	}
	return real
}

// caseInsensitive probes whether the file system holding dir ignores case,
// by looking dir up with its letters' case swapped; a path without letters
// falls back to the platform's default.
func caseInsensitive(dir string) bool {
	swapped := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, dir)
	if swapped == dir {
		return runtime.GOOS == "windows" || runtime.GOOS == "darwin"
	}
	a, err := os.Stat(dir)
	if err != nil {
		return false
	}
	b, err := os.Stat(swapped)
	return err == nil && os.SameFile(a, b)
}
