package graph

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// LockVersion is the lock format version written in every lock.
const LockVersion = 1

// Lock is the parsed form of lockfiles/<recipe>.lock.
type Lock struct {
	Version   int
	Recipe    string
	Files     map[string]digest.Digest // recipe file (project-relative, slash) → digest
	Variables map[string]string        // name → canonical JSON value
	Fetches   map[string]FetchRecord
	Nodes     map[string]LockNode
	Outputs   map[string]OutputRecord
}

// FetchRecord pins one fetched input.
type FetchRecord struct {
	URL      string
	Revision string
	Digest   digest.Digest
	Size     int64
}

// LockNode pins one node's output.
type LockNode struct {
	Key              digest.Digest
	Op               string
	Logical          digest.Digest
	Blob             digest.Digest
	Size             int64
	Rows             int64
	Schema           []string
	Nondeterministic bool
}

// OutputRecord pins one written file.
type OutputRecord struct {
	Path   string
	Digest digest.Digest
	Size   int64
}

// Lock builds the lock of a successfully executed plan.
func (p *Plan) NewLock() (*Lock, error) {
	l := &Lock{
		Version: LockVersion, Recipe: p.Recipe.Name,
		Files: map[string]digest.Digest{}, Variables: map[string]string{},
		Fetches: map[string]FetchRecord{}, Nodes: map[string]LockNode{}, Outputs: map[string]OutputRecord{},
	}
	for _, f := range p.Recipe.Files {
		sum := sha256.Sum256(f.Bytes)
		l.Files[p.relPath(f.Path)] = digest.NewDigestFromBytes(digest.SHA256, sum[:])
	}
	for _, v := range p.Recipe.Variables {
		l.Variables[v.Name] = ops.CanonicalValue(v.Value)
	}
	for _, n := range p.Nodes {
		if n.Manifest == nil {
			return nil, fmt.Errorf("internal: %s has no result", n.ID)
		}
		m := n.Manifest
		l.Nodes[n.ID] = LockNode{
			Key: n.Key, Op: m.Op, Logical: m.Logical, Blob: m.Blob, Size: m.Size,
			Rows: m.Rows, Schema: m.Schema, Nondeterministic: m.Nondeterministic,
		}
		if src, ok := n.Op.(ops.Source); ok {
			// Never from the old lock: what it says is what is checked.
			if n.FetchInfo == nil || n.FetchInfo.Digest != n.Pin {
				return nil, fmt.Errorf("internal: %s has no fetch record", n.ID)
			}
			fr := *n.FetchInfo
			fr.URL = src.URLs()[0]
			l.Fetches[n.ID] = fr
		}
		if sink, ok := n.Op.(ops.Sink); ok {
			l.Outputs[n.ID] = OutputRecord{Path: sink.Path(), Digest: m.Blob, Size: m.Size}
		}
	}
	return l, nil
}

func (p *Plan) relPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(p.ProjectDir, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// Encode renders the lock: sorted, stable, diff-friendly HCL.
func (l *Lock) Encode() []byte {
	var b bytes.Buffer
	b.WriteString("# This file is written by `dsbuild build` and checked by `dsbuild verify`.\n")
	b.WriteString("# It pins every input and output of the recipe. Do not edit it by hand.\n\n")
	fmt.Fprintf(&b, "lock_version = %d\n", l.Version)
	fmt.Fprintf(&b, "recipe       = %s\n", hclQuote(l.Recipe))
	for _, k := range sortedMapKeys(l.Files) {
		fmt.Fprintf(&b, "\nfile %s {\n  digest = %s\n}\n", hclQuote(k), hclQuote(string(l.Files[k])))
	}
	for _, k := range sortedMapKeys(l.Variables) {
		fmt.Fprintf(&b, "\nvariable %s {\n  value = %s\n}\n", hclQuote(k), hclQuote(l.Variables[k]))
	}
	for _, k := range sortedMapKeys(l.Fetches) {
		f := l.Fetches[k]
		fmt.Fprintf(&b, "\nfetch %s {\n", hclQuote(k))
		fmt.Fprintf(&b, "  url      = %s\n", hclQuote(f.URL))
		if f.Revision != "" {
			fmt.Fprintf(&b, "  revision = %s\n", hclQuote(f.Revision))
		}
		fmt.Fprintf(&b, "  digest   = %s\n", hclQuote(string(f.Digest)))
		fmt.Fprintf(&b, "  size     = %d\n}\n", f.Size)
	}
	for _, k := range sortedMapKeys(l.Nodes) {
		n := l.Nodes[k]
		fmt.Fprintf(&b, "\nnode %s {\n", hclQuote(k))
		fmt.Fprintf(&b, "  op      = %s\n", hclQuote(n.Op))
		fmt.Fprintf(&b, "  key     = %s\n", hclQuote(string(n.Key)))
		fmt.Fprintf(&b, "  logical = %s\n", hclQuote(string(n.Logical)))
		fmt.Fprintf(&b, "  blob    = %s\n", hclQuote(string(n.Blob)))
		fmt.Fprintf(&b, "  size    = %d\n", n.Size)
		fmt.Fprintf(&b, "  rows    = %d\n", n.Rows)
		if n.Nondeterministic {
			b.WriteString("  nondeterministic = true\n")
		}
		b.WriteString("  schema = [\n")
		for _, f := range n.Schema {
			fmt.Fprintf(&b, "    %s,\n", hclQuote(f))
		}
		b.WriteString("  ]\n}\n")
	}
	for _, k := range sortedMapKeys(l.Outputs) {
		o := l.Outputs[k]
		fmt.Fprintf(&b, "\noutput %s {\n", hclQuote(k))
		fmt.Fprintf(&b, "  path   = %s\n", hclQuote(o.Path))
		fmt.Fprintf(&b, "  digest = %s\n", hclQuote(string(o.Digest)))
		fmt.Fprintf(&b, "  size   = %d\n}\n", o.Size)
	}
	return b.Bytes()
}

// hclQuote writes s as an HCL quoted string that parses back to s. Go's
// strconv.Quote is not enough: HCL reads "${" and "%{" as template
// sequences and knows neither \x nor \a-style escapes, and column names
// (which reach the lock through schemas) can hold any of them.
func hclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		case r > 0xffff && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hclLock mirrors the lock's syntax for gohcl.
type hclLock struct {
	Version int    `hcl:"lock_version"`
	Recipe  string `hcl:"recipe"`
	Files   []struct {
		Path   string `hcl:"path,label"`
		Digest string `hcl:"digest"`
	} `hcl:"file,block"`
	Variables []struct {
		Name  string `hcl:"name,label"`
		Value string `hcl:"value"`
	} `hcl:"variable,block"`
	Fetches []struct {
		ID       string  `hcl:"id,label"`
		URL      string  `hcl:"url"`
		Revision *string `hcl:"revision"`
		Digest   string  `hcl:"digest"`
		Size     int64   `hcl:"size"`
	} `hcl:"fetch,block"`
	Nodes []struct {
		ID               string   `hcl:"id,label"`
		Op               string   `hcl:"op"`
		Key              string   `hcl:"key"`
		Logical          string   `hcl:"logical"`
		Blob             string   `hcl:"blob"`
		Size             int64    `hcl:"size"`
		Rows             int64    `hcl:"rows"`
		Nondeterministic *bool    `hcl:"nondeterministic"`
		Schema           []string `hcl:"schema"`
	} `hcl:"node,block"`
	Outputs []struct {
		ID     string `hcl:"id,label"`
		Path   string `hcl:"path"`
		Digest string `hcl:"digest"`
		Size   int64  `hcl:"size"`
	} `hcl:"output,block"`
}

// ReadLock parses a lockfile. A missing file is an os.IsNotExist error.
func ReadLock(path string) (*Lock, error) {
	// A lock is text of a few KB per node: a link to a device or a FIFO,
	// or anything past maxLockSize, is refused rather than read.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, maxLockSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > maxLockSize {
		return nil, fmt.Errorf("%s is larger than a lock may be (%d bytes)", path, maxLockSize)
	}
	return ParseLock(path, src)
}

const maxLockSize = 64 << 20

// ParseLock parses lock text.
func ParseLock(name string, src []byte) (*Lock, error) {
	if diags := recipe.CheckNesting(src, name); diags.HasErrors() {
		return nil, diags // HCL's parser would overflow the stack
	}
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	if diags.HasErrors() {
		return nil, diags
	}
	if err := duplicateBlocks(f.Body); err != nil {
		return nil, err
	}
	var h hclLock
	if diags := gohcl.DecodeBody(f.Body, nil, &h); diags.HasErrors() {
		return nil, diags
	}
	if h.Version != LockVersion {
		return nil, fmt.Errorf("lock format version %d; this dsbuild reads version %d", h.Version, LockVersion)
	}
	l := &Lock{
		Version: h.Version, Recipe: h.Recipe,
		Files: map[string]digest.Digest{}, Variables: map[string]string{},
		Fetches: map[string]FetchRecord{}, Nodes: map[string]LockNode{}, Outputs: map[string]OutputRecord{},
	}
	for _, x := range h.Files {
		l.Files[x.Path] = digest.Digest(x.Digest)
	}
	for _, x := range h.Variables {
		l.Variables[x.Name] = x.Value
	}
	for _, x := range h.Fetches {
		fr := FetchRecord{URL: x.URL, Digest: digest.Digest(x.Digest), Size: x.Size}
		if x.Revision != nil {
			fr.Revision = *x.Revision
		}
		l.Fetches[x.ID] = fr
	}
	for _, x := range h.Nodes {
		ln := LockNode{Key: digest.Digest(x.Key), Op: x.Op, Logical: digest.Digest(x.Logical), Blob: digest.Digest(x.Blob),
			Size: x.Size, Rows: x.Rows, Schema: x.Schema}
		if x.Nondeterministic != nil {
			ln.Nondeterministic = *x.Nondeterministic
		}
		l.Nodes[x.ID] = ln
	}
	for _, x := range h.Outputs {
		l.Outputs[x.ID] = OutputRecord{Path: x.Path, Digest: digest.Digest(x.Digest), Size: x.Size}
	}
	return l, nil
}

// WriteLock writes the lock atomically.
func WriteLock(path string, l *Lock) error {
	// Written like an output file, inside the folder above lockfiles/ (the
	// project), so a link made after the plan cannot carry it elsewhere.
	dir := filepath.Dir(path)
	o, err := createOutput(filepath.Dir(dir), filepath.Base(dir)+"/"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer o.abort()
	if _, err := o.Write(l.Encode()); err != nil {
		return err
	}
	return o.commit()
}

// Diff lists every way b differs from a (a = on disk, b = new), one line
// each, sorted; empty when they are the same. Every line names what
// differs and how: `KIND ID: FIELD: expected X, got Y`, where expected is
// the lock's value; a block only one side has is `not in the lock` or
// `in the lock, not in the recipe`.
func Diff(a, b *Lock) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	field := func(kind, id, name string, want, got any) {
		if want != got {
			add("%s %s: %s: expected %s, got %s", kind, id, name, showValue(want), showValue(got))
		}
	}
	presence := func(kind, id string, inA, inB bool) bool {
		switch {
		case !inA:
			add("%s %s: not in the lock (new)", kind, id)
		case !inB:
			add("%s %s: in the lock, not in the recipe", kind, id)
		default:
			return true
		}
		return false
	}
	for _, k := range unionKeys(a.Files, b.Files) {
		field("recipe file", k, "digest", a.Files[k], b.Files[k])
	}
	for _, k := range unionKeys(a.Variables, b.Variables) {
		field("variable", k, "value", a.Variables[k], b.Variables[k])
	}
	for _, k := range unionKeys(a.Fetches, b.Fetches) {
		fa, oka := a.Fetches[k]
		fb, okb := b.Fetches[k]
		if !presence("fetch", k, oka, okb) {
			continue
		}
		field("fetch", k, "digest", fa.Digest, fb.Digest)
		field("fetch", k, "url", fa.URL, fb.URL)
		field("fetch", k, "revision", fa.Revision, fb.Revision)
		field("fetch", k, "size", fa.Size, fb.Size)
	}
	for _, k := range unionKeys(a.Nodes, b.Nodes) {
		na, oka := a.Nodes[k]
		nb, okb := b.Nodes[k]
		if !presence("node", k, oka, okb) {
			continue
		}
		field("node", k, "key", na.Key, nb.Key)
		field("node", k, "op", na.Op, nb.Op)
		if na.Logical != nb.Logical {
			why := ""
			if na.Key == nb.Key && !na.Nondeterministic && !nb.Nondeterministic {
				// Go's build cache habit: one key, two results.
				why = " (" + nondeterminismNote + ")"
			}
			add("node %s: logical: expected %s, got %s%s", k, na.Logical, nb.Logical, why)
		}
		field("node", k, "blob", na.Blob, nb.Blob)
		field("node", k, "size", na.Size, nb.Size)
		field("node", k, "rows", na.Rows, nb.Rows)
		field("node", k, "schema", strings.Join(na.Schema, ", "), strings.Join(nb.Schema, ", "))
		field("node", k, "nondeterministic", na.Nondeterministic, nb.Nondeterministic)
	}
	for _, k := range unionKeys(a.Outputs, b.Outputs) {
		oa, oka := a.Outputs[k]
		ob, okb := b.Outputs[k]
		if !presence("output", k, oka, okb) {
			continue
		}
		field("output", k, "path", oa.Path, ob.Path)
		field("output", k, "digest", oa.Digest, ob.Digest)
		field("output", k, "size", oa.Size, ob.Size)
	}
	field("lock", "header", "recipe", a.Recipe, b.Recipe)
	field("lock", "header", "lock_version", a.Version, b.Version)
	return out
}

// duplicateBlocks refuses a lock with two blocks of one kind and label
// (two `node "x"`): decoding would keep one silently, and which one a
// merge left behind is exactly what a reader must not guess.
func duplicateBlocks(body hcl.Body) error {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	first := map[string]hcl.Range{}
	var errs []string
	for _, b := range sb.Blocks {
		id := b.Type + " " + strconv.Quote(strings.Join(b.Labels, " "))
		if prev, dup := first[id]; dup {
			errs = append(errs, fmt.Sprintf("%s: duplicate %s block; the first is at %s:%d (a lock has one block per name: resolve the merge, or delete the lock and build to re-lock)",
				b.DefRange().String(), id, prev.Filename, prev.Start.Line))
			continue
		}
		first[id] = b.DefRange()
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func showValue(v any) string {
	switch v := v.(type) {
	case string:
		return orNone(v)
	case digest.Digest:
		return orNone(string(v))
	}
	return fmt.Sprint(v)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for k := range a {
		seen[k] = true
		keys = append(keys, k)
	}
	for k := range b {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// CheckRecipe compares the recipe's files and variables with the lock, for
// --locked: any difference means the lock would change.
func (p *Plan) CheckRecipe() []string {
	if p.Lock == nil {
		return []string{"no lockfile at " + p.LockPath}
	}
	var out []string
	files := map[string]digest.Digest{}
	for _, f := range p.Recipe.Files {
		sum := sha256.Sum256(f.Bytes)
		files[p.relPath(f.Path)] = digest.NewDigestFromBytes(digest.SHA256, sum[:])
	}
	for _, k := range unionKeys(p.Lock.Files, files) {
		if p.Lock.Files[k] != files[k] {
			out = append(out, fmt.Sprintf("recipe file %s changed since it was locked: digest: expected %s, got %s", k, orNone(string(p.Lock.Files[k])), orNone(string(files[k]))))
		}
	}
	vars := map[string]string{}
	for _, v := range p.Recipe.Variables {
		vars[v.Name] = ops.CanonicalValue(v.Value)
	}
	for _, k := range unionKeys(p.Lock.Variables, vars) {
		if p.Lock.Variables[k] != vars[k] {
			out = append(out, fmt.Sprintf("variable %s changed since it was locked: value: expected %s, got %s", k, orNone(p.Lock.Variables[k]), orNone(vars[k])))
		}
	}
	p.refreshLocal(nil)
	for _, n := range p.Nodes {
		src, ok := n.Op.(ops.Source)
		switch {
		case !ok:
		case n.lockedPin != "":
			out = append(out, fmt.Sprintf("fetch %s: local input %s changed since it was locked: digest: expected %s, got %s", n.ID, src.URLs()[0], n.lockedPin, orNone(string(n.Pin))))
		case n.Pin == "":
			if f, ok := p.Lock.Fetches[n.ID]; ok && f.URL != src.URLs()[0] {
				out = append(out, fmt.Sprintf("fetch %s: url: expected %s, got %s (the lock pins another URL, so this one is not pinned)", n.ID, f.URL, src.URLs()[0]))
				continue
			}
			out = append(out, fmt.Sprintf("fetch %s: not pinned in the recipe or the lock", n.ID))
		}
	}
	return out
}

// DataDiffs describes, for every node whose logical digest differs from the
// lock, the first differing column and row range, when the locked artifact
// is still in the old store.
func DataDiffs(p *Plan, old, cur *cache.Store, now *Lock) []string {
	var out []string
	for _, id := range sortedMapKeys(now.Nodes) {
		ln, ok := p.Lock.Nodes[id]
		nn := now.Nodes[id]
		if !ok || ln.Logical == nn.Logical {
			continue
		}
		if !old.Has(ln.Blob, ln.Size) {
			out = append(out, fmt.Sprintf("%s: locked artifact %s is not in the local cache; cannot show where the data differs", id, ln.Blob))
			continue
		}
		a, err := openVerifiedArtifact(old, memory.DefaultAllocator, ln.Blob)
		if err != nil {
			continue
		}
		b, err := openVerifiedArtifact(cur, memory.DefaultAllocator, nn.Blob)
		if err != nil {
			a.Release()
			continue
		}
		d, err := arrowio.FirstDifference(a, b)
		a.Release()
		b.Release()
		if err == nil && d != "" {
			out = append(out, fmt.Sprintf("%s: %s", id, d))
		}
	}
	return out
}
