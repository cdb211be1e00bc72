package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/projpath"
)

// Pin is what a fetch is pinned to: the digest of its bytes and, when the
// caller knows it (a lock records it), their size. A known size bounds every
// read: a source that has or sends more (or fewer) bytes fails as soon as
// that is known, before its bytes are hashed.
type Pin struct {
	Digest digest.Digest // "" for an unpinned fetch
	// Size is the pinned byte count; 0 means unknown, except that the
	// digest of no bytes at all always means 0.
	Size int64
}

// size returns the pinned byte count, if known.
func (p Pin) size() (int64, bool) {
	if p.Digest == "" {
		return 0, false
	}
	if p.Size > 0 {
		return p.Size, true
	}
	if alg := p.Digest.Algorithm(); alg.Available() && p.Digest == alg.FromBytes(nil) {
		return 0, true
	}
	return 0, false
}

// ErrTooLarge is wrapped when a fetch is larger than the Fetcher's MaxSize.
var ErrTooLarge = errors.New("larger than the max fetch size")

// ErrSpecialFile is wrapped when a local fetch names something other than
// a regular file (a device, FIFO, socket, directory) or a file of a kernel
// pseudo file system (/proc, /sys, /dev), whose sizes cannot be trusted.
var ErrSpecialFile = errors.New("not a regular file")

// DefaultMaxSize is the MaxSize of a Fetcher that sets none.
const DefaultMaxSize int64 = 64 << 30

// tooLarge says that source holds (or sends) more than limit bytes.
func tooLarge(display, source string, size, limit int64, more bool) error {
	got := strconv.FormatInt(size, 10) + " bytes"
	if more {
		got = "more than " + got
	}
	return fmt.Errorf("fetch %s: %s has %s, %w of %s (set --max-fetch-size or DSBUILD_MAX_FETCH_SIZE to raise it)",
		display, source, got, ErrTooLarge, FormatSize(limit))
}

// ParseSize reads a byte count such as 1048576, 512MB, 10GiB or 1.5T:
// K, M, G, T, P and KiB … PiB are powers of 1024, KB … PB powers of 1000
// (as GNU coreutils reads them); the unit is case-insensitive.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional unit, e.g. 10GiB", s)
	}
	mult := float64(1)
	if unit != "" && unit != "b" {
		pow := strings.IndexByte("kmgtp", unit[0]) + 1
		if pow == 0 {
			return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, K, M, G, T, P, KiB…PiB or KB…PB)", s, t[i:])
		}
		base := 1024.0
		switch unit[1:] {
		case "", "ib":
		case "b":
			base = 1000
		default:
			return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, K, M, G, T, P, KiB…PiB or KB…PB)", s, t[i:])
		}
		mult = math.Pow(base, float64(pow))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %v", s, err)
	}
	v *= mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(v), nil
}

// FormatSize prints n in the largest binary unit that divides it, so that
// ParseSize(FormatSize(n)) == n.
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for i < len(units)-1 && n != 0 && n%1024 == 0 {
		n /= 1024
		i++
	}
	return strconv.FormatInt(n, 10) + units[i]
}

// pseudoRoots are kernel file systems whose files claim to be regular but
// have no trustworthy size (/proc/kcore, /proc/self/mem, /sys/…) or are
// devices; fetches never read under them.
var pseudoRoots = []string{"/proc", "/sys", "/dev"}

// sharedMemory is the one folder under /dev that holds ordinary files: a
// tmpfs (POSIX shared memory) that labs and tests use as fast scratch space.
// Its files are still checked to be regular like any other.
const sharedMemory = "/dev/shm"

func underPseudoRoot(p string) (string, bool) {
	if p == sharedMemory || strings.HasPrefix(p, sharedMemory+"/") {
		return "", false
	}
	for _, r := range pseudoRoots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return r, true
		}
	}
	return "", false
}

// CheckLocalPath reports a local fetch path that names something fetches
// never read: a path under /proc, /sys or /dev (before or after resolving
// links), or an existing file that is not regular (a device, FIFO, socket,
// or a link to one). A directory or a path that does not exist is no
// problem here. The recipe loader calls it to make these load errors.
func CheckLocalPath(p string) error {
	_, err := checkLocal(p, false)
	return err
}

// checkLocal resolves p, refuses pseudo file systems and special files, and
// returns the resolved path with its FileInfo (nil if it does not exist or,
// with dirOK, is a directory).
func checkLocal(p string, needFile bool) (os.FileInfo, error) {
	if root, ok := underPseudoRoot(filepath.ToSlash(filepath.Clean(p))); ok {
		return nil, fmt.Errorf("%s is under %s: %w (fetches read regular files only)", p, root, ErrSpecialFile)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		if !needFile && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if root, ok := underPseudoRoot(filepath.ToSlash(resolved)); ok {
		return nil, fmt.Errorf("%s links to %s, under %s: %w (fetches read regular files only)", p, resolved, root, ErrSpecialFile)
	}
	st, err := os.Stat(resolved)
	if err != nil {
		if !needFile && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if st.Mode().IsRegular() || (!needFile && st.IsDir()) {
		return st, nil
	}
	return nil, specialFileError(p, resolved, st.Mode())
}

func specialFileError(p, resolved string, mode os.FileMode) error {
	what := projpath.DescribeMode(mode)
	if resolved != "" && resolved != p {
		return fmt.Errorf("%s links to %s, which is %s: %w (fetches read regular files only)", p, resolved, what, ErrSpecialFile)
	}
	return fmt.Errorf("%s is %s: %w (fetches read regular files only)", p, what, ErrSpecialFile)
}

// openRegular opens p for reading if, after resolving links, it is a
// regular file outside the kernel's pseudo file systems. The file is
// checked before it is opened (opening a FIFO could block, opening a
// device can have effects) and again, as opened, so a file swapped in
// between is refused too.
func openRegular(p string) (*os.File, os.FileInfo, error) {
	before, err := checkLocal(p, true)
	if err != nil {
		return nil, nil, err
	}
	file, err := openNoBlock(p)
	if err != nil {
		return nil, nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		file.Close()
		return nil, nil, specialFileError(p, "", st.Mode())
	}
	if !os.SameFile(before, st) {
		file.Close()
		return nil, nil, fmt.Errorf("%s was replaced while it was opened", p)
	}
	if fs, ok := pseudoFS(file); ok {
		file.Close()
		return nil, nil, fmt.Errorf("%s is on %s: %w (fetches read regular files only)", p, fs, ErrSpecialFile)
	}
	return file, st, nil
}

// OpenFile opens a local regular file for a fetch (a file of a directory
// or glob fetch, say) and returns a reader of exactly its size: a file that
// grows or shrinks while it is read is an error. A file larger than the
// Fetcher's MaxSize is refused before it is read, wrapping ErrTooLarge.
func (f *Fetcher) OpenFile(ctx context.Context, p string) (io.ReadCloser, int64, error) {
	cfg := f.config()
	file, st, err := openRegular(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, fmt.Errorf("%s: %w", p, ErrNotFound)
		}
		return nil, 0, err
	}
	if st.Size() > cfg.maxSize {
		file.Close()
		return nil, 0, tooLarge(p, "file:"+p, st.Size(), cfg.maxSize, false)
	}
	return newFileBody(ctx, file, p, "file:"+p, st.Size()), st.Size(), nil
}

// MaxFetchSize returns the byte limit of one fetch in effect (MaxSize, or
// DefaultMaxSize when that is 0).
func (f *Fetcher) MaxFetchSize() int64 { return f.config().maxSize }

// fileBody reads a local file of a known size and nothing past it.
type fileBody struct {
	ctx     context.Context
	file    *os.File
	display string
	source  string
	size    int64
	off     int64
}

func newFileBody(ctx context.Context, file *os.File, display, source string, size int64) *fileBody {
	return &fileBody{ctx: ctx, file: file, display: display, source: source, size: size}
}

func (b *fileBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, fmt.Errorf("fetch %s: reading %s at byte %d: %w", b.display, b.source, b.off, err)
	}
	// Ask for one byte past the end, to see a file that grew.
	if max := b.size - b.off + 1; int64(len(p)) > max {
		p = p[:max]
	}
	n, err := b.file.Read(p)
	if b.off+int64(n) > b.size {
		n = int(b.size - b.off)
		b.off = b.size
		return n, fmt.Errorf("fetch %s: %s grew past its size of %d bytes while it was read", b.display, b.source, b.size)
	}
	b.off += int64(n)
	if err == io.EOF && b.off < b.size {
		return n, fmt.Errorf("fetch %s: %s ended at byte %d of its %d while it was read: %w", b.display, b.source, b.off, b.size, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("fetch %s: reading %s at byte %d: %w", b.display, b.source, b.off, err)
	}
	return n, err
}

func (b *fileBody) Close() error { return b.file.Close() }

// HashFile returns the sha256 digest and size of a local input file, read
// under the same rules as a fetch of it: a regular file after resolving
// links, outside the kernel's pseudo file systems, opened without blocking
// and read no further than its size when opened. The planner uses it to
// re-check unpinned local inputs, so that path can no more hang on a FIFO
// or read /dev/zero than the fetch itself.
func HashFile(ctx context.Context, p string) (digest.Digest, int64, error) {
	file, st, err := openRegular(p)
	if err != nil {
		return "", 0, err
	}
	body := newFileBody(ctx, file, p, p, st.Size())
	defer body.Close()
	h := digest.SHA256.Digester()
	n, err := io.Copy(h.Hash(), body)
	if err != nil {
		return "", 0, err
	}
	return h.Digest(), n, nil
}
