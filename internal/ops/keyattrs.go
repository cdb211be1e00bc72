package ops

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/projpath"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// KeyUse says how one attribute of a node kind reaches the node's key. The
// graph builds the key from the attribute specs, so an attribute reaches it
// by construction: references as input roles, files as content digests,
// everything else through Op.Params (checked for every attribute of every
// kind by a table test in internal/graph).
type KeyUse int

const (
	// KeyValue is the default. A Ref or Refs attribute enters as one
	// `input ROLE KEY` line per reference (the role is the attribute name,
	// with the tuple index or object key of a Refs attribute); any other
	// attribute enters through Op.Params.
	KeyValue KeyUse = iota
	// KeyFile marks a Static string naming a file or folder inside the
	// project that the op reads at plan time (synthesize's templates). Its
	// content enters as `file NAME DIGEST`, computed once by Env.File; its
	// path does not.
	KeyFile
	// KeyPin marks fetch's digest: it enters as the pinned digest of the
	// fetched bytes (`input @fetched DIGEST`), like the lock's pin of an
	// unpinned fetch.
	KeyPin
	// KeyNone marks an attribute that deliberately stays out of the key
	// (where bytes or answers come from, not what they are); Why says why.
	KeyNone
)

// AttrKey is a non-default KeyUse of one attribute.
type AttrKey struct {
	Use KeyUse
	// Pattern selects, for a KeyFile attribute naming a folder, the files
	// of the folder the op reads (filepath.Match on the name, e.g.
	// "*.hcl"); "" is every file. Subfolders are not read.
	Pattern string
	// Hint ends the diagnostics of a KeyFile path that cannot be read.
	Hint string
	// Why documents a KeyNone attribute.
	Why string
}

// KeyOf returns how the attribute name of s enters a key.
func (s *Spec) KeyOf(name string) AttrKey { return s.Keys[name] }

// FileContent is what a KeyFile attribute names: a file, or the files of a
// folder matching the attribute's pattern, as read at plan time.
type FileContent struct {
	Rel  string // project-relative path as given (cleaned)
	Real string // every link resolved, inside the project
	// Digest covers the names (relative to Real's folder, or the base name
	// of a single file) and bytes of every file read, each as
	// "NAME\x00LEN\x00BYTES", in name order: the encoding of
	// synth.LibraryDigest, so a template library's key digest and the
	// digest of the library loaded later agree.
	Digest digest.Digest
}

type fileMemo struct {
	fc    *FileContent
	diags hcl.Diagnostics
	told  bool
}

// File resolves the KeyFile attribute name of n inside the project and
// digests what it names, once per node and attribute: the op that reads
// the files and the graph that keys them get the same result. Diagnostics
// are returned by the first call only; fc is nil when they are errors.
func (env *Env) File(n *recipe.Node, name string, k AttrKey) (*FileContent, hcl.Diagnostics) {
	if k.Use != KeyFile {
		panic(fmt.Sprintf("ops: %s.%s is not a KeyFile attribute", n.Kind, name))
	}
	if env.files == nil {
		env.files = map[fileMemoKey]*fileMemo{}
	}
	mk := fileMemoKey{n, name}
	m, ok := env.files[mk]
	if !ok {
		m = &fileMemo{}
		m.fc, m.diags = readFileAttr(n, env, name, k)
		if m.diags.HasErrors() {
			m.fc = nil
		}
		env.files[mk] = m
	}
	if m.told {
		return m.fc, nil
	}
	m.told = true
	return m.fc, m.diags
}

type fileMemoKey struct {
	n    *recipe.Node
	name string
}

// FileContents returns, sorted by attribute name, the content of every
// KeyFile attribute n sets, for its key. It reads what Build has not read.
func FileContents(n *recipe.Node, spec *Spec, env *Env) ([]NamedFile, hcl.Diagnostics) {
	var out []NamedFile
	var diags hcl.Diagnostics
	for _, a := range spec.Attrs {
		if spec.KeyOf(a.Name).Use != KeyFile || n.Attrs[a.Name] == nil {
			continue
		}
		fc, d := env.File(n, a.Name, spec.KeyOf(a.Name))
		diags = append(diags, d...)
		if fc != nil {
			out = append(out, NamedFile{Attr: a.Name, Content: fc})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Attr < out[j].Attr })
	return out, diags
}

// NamedFile is the content of one KeyFile attribute.
type NamedFile struct {
	Attr    string
	Content *FileContent
}

// Build makes the op of a loaded block: the files its KeyFile attributes
// name are read first (by the one mechanism, Env.File), so every op that
// reads files at plan time keys them the same way.
func (s *Spec) Build(n *recipe.Node, env *Env) (Op, []NamedFile, hcl.Diagnostics) {
	files, diags := FileContents(n, s, env)
	op, d := s.New(n, env)
	diags = append(diags, d...)
	return op, files, diags
}

func readFileAttr(n *recipe.Node, env *Env, name string, k AttrKey) (*FileContent, hcl.Diagnostics) {
	rng := attrRange(n, name)
	hint := k.Hint
	if hint == "" {
		hint = fmt.Sprintf("%s names a file or folder inside the project.", name)
	}
	res, err := projpath.Resolve(env.ProjectDir, attrString(n, name, ""))
	if err != nil {
		return nil, hcl.Diagnostics{diag(fmt.Sprintf("Invalid %s path", name), err.Error()+". "+hint, rng)}
	}
	if res.Info == nil {
		return nil, hcl.Diagnostics{diag(fmt.Sprintf("%s not found", upperFirst(name)),
			fmt.Sprintf("%s does not exist in the project %s. %s", res.Rel, env.ProjectDir, hint), rng)}
	}
	fail := func(summary, detail string) (*FileContent, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{diag(summary, detail, rng)}
	}
	st, err := os.Stat(res.Real)
	if err != nil {
		return fail(fmt.Sprintf("Cannot read %s", name), err.Error())
	}
	type entry struct{ rel, abs string }
	var files []entry
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return fail(fmt.Sprintf("Cannot read %s", name), fmt.Sprintf("%s is not a regular file; %s is read from regular files only (never devices or pipes).", res.Rel, name))
		}
		files = append(files, entry{filepath.Base(res.Real), res.Real})
	} else {
		ents, err := os.ReadDir(res.Real)
		if err != nil {
			return fail(fmt.Sprintf("Cannot read %s", name), err.Error())
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			if k.Pattern != "" {
				if ok, _ := filepath.Match(k.Pattern, e.Name()); !ok {
					continue
				}
			}
			// A link in the folder could lead anywhere (outside the
			// project, to a device): only regular files are read.
			if !e.Type().IsRegular() {
				return fail(fmt.Sprintf("Cannot read %s", name), fmt.Sprintf("%s in %s is not a regular file (a symbolic link, device or pipe); %s folders hold regular files only.", e.Name(), res.Rel, name))
			}
			files = append(files, entry{e.Name(), filepath.Join(res.Real, e.Name())})
		}
		sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
		if len(files) == 0 {
			want := "files"
			if k.Pattern != "" {
				want = k.Pattern + " files"
			}
			return fail(fmt.Sprintf("Empty %s", name), fmt.Sprintf("%s contains no %s.", res.Rel, want))
		}
	}
	h := sha256.New()
	fc := &FileContent{Rel: res.Rel, Real: res.Real}
	for _, f := range files {
		if err := hashFile(h, f.rel, f.abs); err != nil {
			return fail(fmt.Sprintf("Cannot read %s", name), err.Error())
		}
	}
	fc.Digest = digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
	return fc, nil
}

// hashFile adds one file, length-prefixed, so that no two different file
// sets hash alike.
func hashFile(h io.Writer, rel, abs string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", abs)
	}
	// Read no further than the size seen at open, and fail if it was
	// shorter: the length prefix must describe the bytes hashed.
	fmt.Fprintf(h, "%s\x00%d\x00", rel, st.Size())
	n, err := io.Copy(h, io.LimitReader(f, st.Size()))
	if err != nil {
		return err
	}
	if n != st.Size() {
		return fmt.Errorf("%s changed while it was read", abs)
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
