package graph

import (
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/projpath"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// Node is one vertex of the build graph.
type Node struct {
	ID   string
	Rec  *recipe.Node
	Spec *ops.Spec
	Op   ops.Op
	Deps []*Node
	// Roles are the node's references in attribute-spec order, each with
	// the attribute (and element) it came from; they, not Deps, enter the
	// key. A node referenced twice has two roles.
	Roles []Role
	// Files are what the node's file attributes (ops.KeyFile) named when
	// the recipe was loaded.
	Files []ops.NamedFile
	// index is the node's position in topological order.
	index int

	// Pin is the digest a Source node's bytes must have: the recipe's
	// digest, else the lock's. "" means an unpinned fetch not yet fetched.
	Pin       digest.Digest
	PinFrom   string // "recipe" or "lock"
	Preimage  Preimage
	Key       digest.Digest // "" until known (unpinned fetches and their dependents)
	Manifest  *Manifest
	Cached    bool
	Restored  bool // an output file rewritten from the store
	FetchInfo *FetchRecord

	// wantSchema is the output schema Prepare gave before anything ran
	// (Check), when it could: a stored result must have it.
	wantSchema []string
	// lockedPin is the lock's pin of an unpinned local input whose content
	// has changed since (see refreshLocal); Pin is then the current digest.
	lockedPin digest.Digest
}

// Plan is a loaded recipe, its ops and their keys.
type Plan struct {
	Recipe     *recipe.Recipe
	Nodes      []*Node // topological order, ties broken by ID
	ProjectDir string
	LockPath   string
	Lock       *Lock // the lock on disk, nil if none
	byID       map[string]*Node

	debugKeys    io.Writer
	localChecked bool
	localErr     error
}

// LoadOptions configure Load.
type LoadOptions struct {
	Recipe     string
	Vars       map[string]string
	Registry   ops.Registry
	ProjectDir string // "" = found from the recipe's location
	// StoreDir is the store's directory; outputs may not write into it.
	StoreDir string
	// DebugKeys, when set, receives every key's preimage.
	DebugKeys io.Writer
}

// Load reads the recipe, builds every op and computes what keys it can.
// Diagnostics cover the recipe and every op's parameters at once.
func Load(opts LoadOptions) (*Plan, hcl.Diagnostics) {
	reg := opts.Registry
	if reg == nil {
		reg = ops.Builtin()
	}
	// Included files must lie in the project, so it is known before loading.
	proj := opts.ProjectDir
	if proj == "" {
		proj = recipe.ProjectDir(recipeDir(opts.Recipe))
	}
	rec, diags := recipe.LoadProject(opts.Recipe, proj, reg.Kinds(), opts.Vars)
	if rec == nil || rec.SyntaxErrors {
		return &Plan{Recipe: rec}, diags
	}
	// With recipe errors, the ops of the nodes they do not touch are still
	// built, so their parameter errors are reported in the same round.
	recipeDiags := diags
	if !diags.HasErrors() {
		recipeDiags = nil
	}
	proj, _ = filepath.Abs(proj)
	p := &Plan{Recipe: rec, ProjectDir: proj, byID: map[string]*Node{}, debugKeys: opts.DebugKeys}
	p.LockPath = filepath.Join(proj, "lockfiles", rec.Name+".lock")
	vars := map[string]cty.Value{}
	for _, v := range rec.Variables {
		vars[v.Name] = v.Value
	}
	env := &ops.Env{ProjectDir: proj, RecipeDir: rec.Dir, RecipeName: rec.Name, Vars: vars, StoreDir: opts.StoreDir}
	for _, f := range rec.Files {
		env.RecipeFiles = append(env.RecipeFiles, f.Path)
	}
	if _, err := projpath.Resolve(proj, "lockfiles/"+rec.Name+".lock"); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid lockfile path",
			Detail:  fmt.Sprintf("The lock of this recipe would be written to lockfiles/%s.lock in %s, but %v.", rec.Name, proj, err),
			Subject: &hcl.Range{Filename: rec.Files[0].Path, Start: hcl.InitialPos, End: hcl.InitialPos}})
	}
	for _, rn := range rec.Nodes {
		if recipe.ErrorsIn(recipeDiags, rn.Range) {
			continue
		}
		spec := reg[rn.Kind]
		op, files, d := spec.Build(rn, env)
		diags = append(diags, d...)
		n := &Node{ID: rn.ID(), Rec: rn, Spec: spec, Op: op, Files: files}
		p.byID[n.ID] = n
	}
	if diags.HasErrors() {
		// Keep the nodes no error touches, with inputs that are kept too:
		// the caller can still type-check them against cached inputs, so
		// every problem comes in one round. Such a plan is never run.
		p.keepHealthy(diags)
	}
	for _, n := range p.byID {
		for _, dep := range n.Rec.Deps {
			n.Deps = append(n.Deps, p.byID[dep])
		}
		n.Roles = p.roles(n)
	}
	diags = append(diags, p.checkFileRefs()...)
	p.Nodes = topoSort(p.byID)
	if lock, err := ReadLock(p.LockPath); err == nil {
		p.Lock = lock
	} else if !os.IsNotExist(err) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable lockfile",
			Detail: fmt.Sprintf("%s: %v. Delete it to re-lock from scratch, or restore it from version control.", p.LockPath, err)})
		return p, diags
	}
	for _, n := range p.Nodes {
		if src, ok := n.Op.(ops.Source); ok {
			n.Pin, n.PinFrom = src.Pin(), "recipe"
			if n.Pin == "" && p.Lock != nil {
				if f, ok := p.Lock.Fetches[n.ID]; ok && f.URL == src.URLs()[0] {
					n.Pin, n.PinFrom = f.Digest, "lock"
				}
			}
		}
		p.computeKey(n, opts.DebugKeys)
	}
	return p, diags
}

// keepHealthy drops from the plan every node that has an error inside its
// block or an input that is dropped.
func (p *Plan) keepHealthy(diags hcl.Diagnostics) {
	for changed := true; changed; {
		changed = false
		for id, n := range p.byID {
			bad := n.Op == nil || recipe.ErrorsIn(diags, n.Rec.Range)
			for _, dep := range n.Rec.Deps {
				if p.byID[dep] == nil {
					bad = true
				}
			}
			if bad {
				delete(p.byID, id)
				changed = true
			}
		}
	}
}

// Role is one reference of a node: the attribute it came from and the node
// it names.
type Role struct {
	Name string // e.g. "input", "inputs[1]"
	Dep  *Node
}

// roles lists n's references by the attributes of its spec, in spec order
// (the order a kind declares, not the order a recipe writes them).
func (p *Plan) roles(n *Node) []Role {
	var out []Role
	for _, as := range n.Spec.Attrs {
		if as.Mode != recipe.Ref && as.Mode != recipe.Refs {
			continue
		}
		a := n.Rec.Attrs[as.Name]
		if a == nil {
			continue
		}
		for i, id := range a.Refs {
			out = append(out, Role{Name: roleName(as.Name, as.Mode, i, a.RefKeys), Dep: p.byID[id]})
		}
	}
	// Sub-blocks in source order (their order is the op's, e.g. a mix's
	// parts): part["LABEL"].input.
	for _, b := range n.Rec.Blocks {
		for _, bs := range n.Spec.Blocks {
			if bs.Type != b.Type {
				continue
			}
			for _, as := range bs.Attrs {
				if a := b.Attrs[as.Name]; a != nil && (as.Mode == recipe.Ref || as.Mode == recipe.Refs) {
					for i, id := range a.Refs {
						name := roleName(b.Type, recipe.Refs, 0, []string{b.Label}) + "." + roleName(as.Name, as.Mode, i, a.RefKeys)
						out = append(out, Role{Name: name, Dep: p.byID[id]})
					}
				}
			}
		}
	}
	return out
}

// computeKey sets n.Key when everything it depends on is known.
func (p *Plan) computeKey(n *Node, debug io.Writer) {
	var inputs []keyInput
	if _, ok := n.Op.(ops.Source); ok {
		if n.Pin == "" {
			return
		}
		inputs = []keyInput{{fetchedRole, n.Pin}}
	}
	for _, r := range n.Roles {
		if r.Dep == nil || r.Dep.Key == "" {
			return
		}
		inputs = append(inputs, keyInput{r.Name, r.Dep.Key})
	}
	n.Preimage = preimage(n.Spec.Kind, n.Spec.Version, n.Op.Params(), n.Files, inputs)
	n.Key = n.Preimage.Key()
	if debug != nil {
		fmt.Fprintf(debug, "key %s = %s\n%s\n", n.ID, n.Key, indent(string(n.Preimage)))
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ")
}

// Node returns the node with the given ID.
func (p *Plan) Node(id string) *Node { return p.byID[id] }

// topoSort orders nodes so that every node follows its inputs; among nodes
// that are ready together, IDs decide, so the order is a function of the
// recipe alone. The recipe loader has already rejected cycles.
func topoSort(byID map[string]*Node) []*Node {
	indeg := map[string]int{}
	users := map[string][]*Node{}
	var ready []string
	for id, n := range byID {
		indeg[id] = len(n.Deps)
		for _, d := range n.Deps {
			users[d.ID] = append(users[d.ID], n)
		}
		if len(n.Deps) == 0 {
			ready = append(ready, id)
		}
	}
	var out []*Node
	for len(ready) > 0 {
		sort.Strings(ready)
		id := ready[0]
		ready = ready[1:]
		n := byID[id]
		n.index = len(out)
		out = append(out, n)
		for _, u := range users[id] {
			indeg[u.ID]--
			if indeg[u.ID] == 0 {
				ready = append(ready, u.ID)
			}
		}
	}
	return out
}

// recipeDir is the directory of a recipe path: the path itself for a
// directory recipe, else the file's folder.
func recipeDir(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return path
	}
	return filepath.Dir(path)
}

// Status is one line of `dsbuild plan`.
type Status struct {
	Node   *Node
	Cached bool
	Why    string
}

// Status reports, without running anything, which nodes are cached and why
// the others would run.
func (p *Plan) Status(s *cache.Store) []Status {
	p.refreshLocal(s)
	var out []Status
	dirty := map[string]bool{}
	for _, n := range p.Nodes {
		st := Status{Node: n}
		switch {
		case n.Key == "":
			st.Why = "unpinned fetch: the digest is known only after downloading"
			if _, ok := n.Op.(ops.Source); !ok {
				st.Why = "an input is not fetched yet"
			}
		default:
			if m, ok := nodeManifest(s, n); ok && p.outputIntact(s, n, m) {
				if _, src := n.Op.(ops.Source); !src || p.fetchRecordOf(s, n) != nil {
					st.Cached = true
					break
				}
			}
			st.Why = p.why(s, n, dirty)
		}
		if !st.Cached {
			dirty[n.ID] = true
		}
		out = append(out, st)
	}
	return out
}

// why explains a miss by comparing the node with what the lock recorded.
func (p *Plan) why(s *cache.Store, n *Node, dirty map[string]bool) string {
	var ln *LockNode
	if p.Lock != nil {
		if l, ok := p.Lock.Nodes[n.ID]; ok {
			ln = &l
		}
	}
	if ln == nil {
		return "new: not in the lock"
	}
	if n.lockedPin != "" {
		return fmt.Sprintf("local input changed since it was locked: %s → %s", n.lockedPin, n.Pin)
	}
	if ln.Key == n.Key {
		if _, ok := n.Op.(ops.Sink); ok {
			return "output file missing or changed"
		}
		return "not in the local cache (same key as the lock)"
	}
	if old, ok := getManifestAny(s, ln.Key); ok {
		changes := diffPreimages(old.Preimage, n.Preimage)
		for i, c := range changes {
			changes[i] = p.nameInputs(n, c)
		}
		if len(changes) > 0 {
			return strings.Join(changes, "; ")
		}
	}
	for _, d := range n.Deps {
		if dirty[d.ID] {
			return "input changed: " + d.ID
		}
	}
	return "params changed since the lock"
}

// nameInputs turns "input ROLE changed: …" into
// "input ROLE (filter.x) changed: …".
func (p *Plan) nameInputs(n *Node, change string) string {
	rest, ok := strings.CutPrefix(change, "input ")
	if !ok {
		return change
	}
	role, tail, _ := strings.Cut(rest, " ")
	name := ""
	if role == fetchedRole {
		name = "fetched bytes"
	}
	for _, r := range n.Roles {
		if r.Name == role && r.Dep != nil {
			name = r.Dep.ID
		}
	}
	if name == "" {
		return change
	}
	return "input " + role + " (" + name + ") " + tail
}

// outputIntact reports whether a Sink's file is in place with the recorded
// digest. Other nodes are always intact.
func (p *Plan) outputIntact(s *cache.Store, n *Node, m *Manifest) bool {
	sink, ok := n.Op.(ops.Sink)
	if !ok {
		return true
	}
	path := filepath.Join(p.ProjectDir, filepath.FromSlash(sink.Path()))
	if s.FileMatches(path, m.Blob) {
		return true
	}
	d, _, err := fileDigest(path)
	return err == nil && d == m.Blob
}

func fileDigest(path string) (digest.Digest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return digest.NewDigest(digest.SHA256, h), n, nil
}

// Check type-checks, before anything runs, every node whose inputs are
// already in the store: their schemas are known, so a bad row expression
// (a string column compared to a number) is reported with its source range
// now rather than after the upstream work. Nodes downstream of something
// that must run are checked when they run. The output schemas found here
// are what a stored result of those nodes must have.
func (p *Plan) Check(s *cache.Store, mem memory.Allocator) hcl.Diagnostics {
	p.refreshLocal(s)
	var diags hcl.Diagnostics
	known := map[string]*Manifest{}
	for _, n := range p.Nodes {
		_, src := n.Op.(ops.Source)
		if !src && len(n.Deps) > 0 {
			var schemas []*arrow.Schema
			for _, d := range n.Deps {
				m, ok := known[d.ID]
				if !ok {
					schemas = nil
					break
				}
				if _, sink := d.Op.(ops.Sink); sink {
					schemas = append(schemas, nil) // a file, not a table
					continue
				}
				sc, err := verifiedSchema(s, mem, m.Blob)
				if err != nil || !slices.Equal(ops.SchemaFields(sc), m.Schema) {
					schemas = nil
					break
				}
				schemas = append(schemas, sc)
			}
			if schemas != nil {
				out, d := n.Op.Prepare(schemas)
				diags = append(diags, d...)
				if out != nil && !d.HasErrors() {
					n.wantSchema = ops.SchemaFields(out)
				}
			}
		}
		if m, ok := nodeManifest(s, n); ok {
			known[n.ID] = m
		}
	}
	return diags
}

// checkFileRefs reports references that name an output node where a table
// is read: an output's result is the file it wrote, which only attributes
// declared ops.Spec.FileRefs (a card's data_files) read. (An op that reads
// files reports a table there when it prepares.)
func (p *Plan) checkFileRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(n *Node, name string, a *recipe.Attr) {
		for i, id := range a.Refs {
			dep := p.byID[id]
			if dep == nil || i >= len(a.RefRanges) {
				continue
			}
			if _, file := dep.Op.(ops.Sink); file && !n.Spec.FileRefs[name] {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to an output",
					Detail:  fmt.Sprintf("%s names %s, an output: its result is the file it writes, not a table. Name the node it writes instead (its input).", n.ID, id),
					Subject: a.RefRanges[i].Ptr()})
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.byID)) {
		n := p.byID[id]
		for _, as := range n.Spec.Attrs {
			if a := n.Rec.Attrs[as.Name]; a != nil && (as.Mode == recipe.Ref || as.Mode == recipe.Refs) {
				check(n, as.Name, a)
			}
		}
		for _, b := range n.Rec.Blocks {
			for _, a := range b.Attrs {
				if a.Mode == recipe.Ref || a.Mode == recipe.Refs {
					check(n, b.Type+"."+a.Name, a)
				}
			}
		}
	}
	return diags
}
