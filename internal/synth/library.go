package synth

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"
)

// Categories are the scenario categories a library may declare.
var Categories = []string{"adversarial", "boundary", "crisis", "meta", "validation"}

// Risk levels an escalation family may declare.
var riskLevels = map[string]bool{"low": true, "medium": true, "high": true}

// Default turn bounds (total turns, user + assistant) used by Capacity and
// by Params that leave MinTurns/MaxTurns at zero.
const (
	DefaultMinTurns = 4
	DefaultMaxTurns = 12
)

// maxUnitSpace bounds the combinations of one skeleton/turn plan so that
// counts and Feistel domains stay well inside uint64.
const maxUnitSpace = 1 << 62

// preStageNames are the ordinary-support stages of a problem family, in the
// order a conversation uses them; a conversation with k opening user turns
// uses the first k.
var preStageNames = []string{"opener", "detail", "impact", "coping"}

// Library is a parsed, validated template library. It is immutable after
// LoadLibrary and safe for concurrent use.
type Library struct {
	files  []string
	digest digest.Digest

	slots    []slot
	problems []*problem    // sorted by problem type
	escs     []*escalation // sorted by name
	replies  []*replyPool  // sorted by name

	// The scenario spaces are counted on first use: counting is most of the
	// cost of a library, and a no-op rebuild only needs its digest.
	spacesOnce  sync.Once
	spacesDiags hcl.Diagnostics
	cats        map[string]*catSpace
}

// spaces counts every category's scenario space once and reports problems
// found while counting (a space too large to count, missing reply pools).
func (l *Library) spaces() hcl.Diagnostics {
	l.spacesOnce.Do(func() { l.spacesDiags = l.buildSpaces() })
	return l.spacesDiags
}

// Check finishes validating the library: what LoadLibrary leaves to the
// first use (counting the scenario spaces). Generate and the capacity
// methods run it too.
func (l *Library) Check() hcl.Diagnostics { return l.spaces() }

type slot struct {
	name   string
	values []string
}

type stage struct {
	tmpls []tmpl
}

type problem struct {
	name       string // the ESConv problem type, e.g. "job crisis"
	slug       string
	situations []tmpl
	stages     []stage // non-empty prefix of preStageNames
}

type escalation struct {
	name     string
	category string
	tactic   string
	risk     string
	expected string
	problems []*problem
	steps    []stage
}

type replyPool struct {
	name       string
	escalation bool // false: support phase (before escalation)
	categories map[string]bool
	strategy   string
	lines      []tmpl
}

// unit is one skeleton with a fixed turn plan: k opening and m escalating
// user turns. Units are the strata Generate spreads a draw over.
type unit struct {
	esc    *escalation
	prob   *problem
	k, m   int
	stages []*stage
	// memo[i][S] is the number of distinct completions from stage i on, given
	// that the templates chosen so far use the slot set S; a completion is a
	// template per remaining stage plus a value for every used slot.
	memo  []map[uint64]uint64
	space uint64
	key   uint64 // stable identity hash: keys the unit's permutation
}

type catSpace struct {
	units          []*unit
	supportReplies []*replyPool
	escReplies     []*replyPool
}

// Files returns the template files read, relative to the path given to
// LoadLibrary, sorted.
func (l *Library) Files() []string { return append([]string(nil), l.files...) }

// Digest is sha256 over every file's relative name and bytes, in sorted
// order; callers put it in cache keys so that editing a template misses.
func (l *Library) Digest() digest.Digest { return l.digest }

// Capacity is the number of distinct conversations the library can produce
// for category within the default turn range [DefaultMinTurns,
// DefaultMaxTurns]; see CapacityFor. It is 0 for an unknown category.
func (l *Library) Capacity(category string) int {
	return l.CapacityFor(category, DefaultMinTurns, DefaultMaxTurns)
}

// CapacityFor is Capacity for total turn counts in [minTurns, maxTurns]. It
// counts combinations of skeleton, turn plan, templates and slot values;
// distinct combinations give distinct user text unless two templates happen
// to fill to the same string, which Generate detects and skips. The result
// saturates at math.MaxInt.
func (l *Library) CapacityFor(category string, minTurns, maxTurns int) int {
	if l.spaces().HasErrors() {
		return 0
	}
	cs := l.cats[category]
	if cs == nil {
		return 0
	}
	var total uint64
	for _, u := range cs.units {
		if inRange(u, minTurns, maxTurns) {
			total = satAdd(total, u.space)
		}
	}
	if total > math.MaxInt {
		return math.MaxInt
	}
	return int(total)
}

// Skeletons is the number of scenario skeletons (escalation family × problem
// family pairs) for category.
func (l *Library) Skeletons(category string) int {
	n := 0
	for _, e := range l.escs {
		if e.category == category {
			n += len(e.problems)
		}
	}
	return n
}

func inRange(u *unit, minTurns, maxTurns int) bool {
	t := 2 * (u.k + u.m)
	return t >= minTurns && t <= maxTurns
}

func satAdd(a, b uint64) uint64 {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return math.MaxUint64
	}
	return s
}

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "slot", LabelNames: []string{"name"}},
	{Type: "problem", LabelNames: []string{"problem_type"}},
	{Type: "escalation", LabelNames: []string{"name"}},
	{Type: "reply", LabelNames: []string{"name"}},
}}

var slotSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "values", Required: true}}}

var problemSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "situations"},
	{Name: "opener", Required: true},
	{Name: "detail"},
	{Name: "impact"},
	{Name: "coping"},
}}

var escalationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "category", Required: true},
		{Name: "tactic", Required: true},
		{Name: "risk_level", Required: true},
		{Name: "expected_behavior", Required: true},
		{Name: "problems"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "step"}},
}

var stepSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "lines", Required: true}}}

var replySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "phase", Required: true},
	{Name: "categories"},
	{Name: "strategy", Required: true},
	{Name: "lines", Required: true},
}}

// LoadLibrary reads a template file, or every *.hcl file directly inside a
// directory (sorted by name), and validates it. All problems are reported at
// once, each with its source range.
//
// Loaded libraries are immutable, so a library whose files are byte-identical
// to one loaded before in this process is shared: a recipe with several
// synthesize nodes over one template folder parses and counts it once.
func LoadLibrary(path string) (*Library, hcl.Diagnostics) {
	key, ok := libraryKey(path)
	if ok {
		libMemo.Lock()
		l := libMemo.m[key]
		libMemo.Unlock()
		if l != nil {
			return l, nil
		}
	}
	l, diags := loadLibrary(path)
	if ok && l != nil && !diags.HasErrors() {
		libMemo.Lock()
		if libMemo.m == nil {
			libMemo.m = map[string]*Library{}
		}
		libMemo.m[key] = l
		libMemo.Unlock()
	}
	return l, diags
}

var libMemo struct {
	sync.Mutex
	m map[string]*Library
}

// libraryKey names a library by its files' absolute paths and contents.
func libraryKey(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", false
	}
	paths := []string{abs}
	if st.IsDir() {
		ents, err := os.ReadDir(abs)
		if err != nil {
			return "", false
		}
		paths = paths[:0]
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
				paths = append(paths, filepath.Join(abs, e.Name()))
			}
		}
	}
	h := sha256.New()
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return "", false
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(src))
		h.Write(src)
	}
	return string(h.Sum(nil)), true
}

type srcFile struct{ rel, abs string }

// libraryFiles lists a library's files: path itself, or the *.hcl files
// directly inside the directory path, sorted by name.
func libraryFiles(path string) ([]srcFile, hcl.Diagnostics) {
	fail := func(summary, detail string) ([]srcFile, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail("Cannot read template library", err.Error())
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return fail("Cannot read template library", fmt.Sprintf("%s is not a regular file; templates are read from regular files only (never devices or pipes).", path))
		}
		return []srcFile{{filepath.Base(path), path}}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return fail("Cannot read template library", err.Error())
	}
	var files []srcFile
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		// A link in the folder could lead anywhere (outside the project,
		// to a device); only the regular files of the folder are read.
		if !e.Type().IsRegular() {
			return fail("Cannot read template library", fmt.Sprintf("%s in %s is not a regular file (a symbolic link, device or pipe); template folders hold regular *.hcl files only.", e.Name(), path))
		}
		files = append(files, srcFile{e.Name(), filepath.Join(path, e.Name())})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	if len(files) == 0 {
		return fail("Empty template library", fmt.Sprintf("%s contains no *.hcl files", path))
	}
	return files, nil
}

// hashLibraryFile adds one file to a library digest, length-prefixed so
// that no two different file sets hash alike.
func hashLibraryFile(h io.Writer, rel string, src []byte) {
	fmt.Fprintf(h, "%s\x00%d\x00", rel, len(src))
	h.Write(src)
}

// LibraryDigest is the Digest of the library at path, computed from its
// files' names and bytes without parsing them, for callers that need the
// cache key before (or instead of) loading the library.
func LibraryDigest(path string) (digest.Digest, hcl.Diagnostics) {
	files, diags := libraryFiles(path)
	if diags.HasErrors() {
		return "", diags
	}
	h := sha256.New()
	for _, f := range files {
		src, err := os.ReadFile(f.abs)
		if err != nil {
			return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read template file", Detail: err.Error()}}
		}
		hashLibraryFile(h, f.rel, src)
	}
	return digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), nil
}

// libLoader holds what loading a library accumulates across block kinds
// and files: the library so far, every diagnostic in the order found, and
// the names each kind has declared (for duplicates and references).
type libLoader struct {
	l     *Library
	diags hcl.Diagnostics

	slotIdx    map[string]int
	probByName map[string]*problem
	probRange  map[string]hcl.Range
	escRange   map[string]hcl.Range
	replyRange map[string]hcl.Range
	// pend holds each escalation's problems attribute, resolved once every
	// problem block (in any file) is known.
	pend []pendingEsc
}

type pendingEsc struct {
	e        *escalation
	problems *hcl.Attribute
}

func loadLibrary(path string) (*Library, hcl.Diagnostics) {
	files, d := libraryFiles(path)
	if d.HasErrors() {
		return nil, d
	}
	ld := &libLoader{
		l:          &Library{cats: map[string]*catSpace{}},
		probByName: map[string]*problem{},
		probRange:  map[string]hcl.Range{},
		escRange:   map[string]hcl.Range{},
		replyRange: map[string]hcl.Range{},
	}
	bodies, ok := ld.parseFiles(files)
	if !ok {
		return nil, ld.diags
	}
	// Slots first: templates in any file may use slots declared in any other.
	if !ld.slots(bodies) {
		return nil, ld.diags
	}
	for _, c := range bodies {
		for _, b := range c.Blocks.OfType("problem") {
			ld.problem(b)
		}
		for _, b := range c.Blocks.OfType("escalation") {
			ld.escalation(b)
		}
		for _, b := range c.Blocks.OfType("reply") {
			ld.reply(b)
		}
	}
	l := ld.l
	sort.Slice(l.problems, func(i, j int) bool { return l.problems[i].name < l.problems[j].name })
	sort.Slice(l.escs, func(i, j int) bool { return l.escs[i].name < l.escs[j].name })
	sort.Slice(l.replies, func(i, j int) bool { return l.replies[i].name < l.replies[j].name })
	ld.linkProblems()
	if len(l.problems) == 0 {
		ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No problem blocks", Detail: "a library needs at least one problem block"})
	}
	if ld.diags.HasErrors() {
		return nil, ld.diags
	}
	return l, ld.diags
}

// parseFiles reads, hashes and parses every file, and returns each file's
// top-level content; ok is false when a file cannot be read or has a
// syntax error (then nothing else is checked).
func (ld *libLoader) parseFiles(files []srcFile) (bodies []*hcl.BodyContent, ok bool) {
	h := sha256.New()
	parser := hclparse.NewParser()
	syntaxErr := false
	for _, f := range files {
		src, err := os.ReadFile(f.abs)
		if err != nil {
			ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read template file", Detail: err.Error()})
			return nil, false
		}
		hashLibraryFile(h, f.rel, src)
		ld.l.files = append(ld.l.files, f.rel)
		// HCL's parser recurses per level: refuse deep nesting first.
		d := recipe.CheckNesting(src, f.abs)
		var file *hcl.File
		if !d.HasErrors() {
			file, d = parser.ParseHCL(src, f.abs)
		}
		ld.diags = append(ld.diags, d...)
		if d.HasErrors() {
			// A recovered syntax tree would only add follow-on noise.
			syntaxErr = true
			continue
		}
		content, d := file.Body.Content(fileSchema)
		ld.diags = append(ld.diags, d...)
		bodies = append(bodies, content)
	}
	ld.l.digest = digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
	return bodies, !syntaxErr
}

// slots loads the slot blocks of every file, in name order (a slot's index
// is its bit in a template's slot set); ok is false when there are more
// slots than that set holds.
func (ld *libLoader) slots(bodies []*hcl.BodyContent) (ok bool) {
	ld.slotIdx = map[string]int{}
	slotRange := map[string]hcl.Range{}
	var slotBlocks []*hcl.Block
	for _, c := range bodies {
		for _, b := range c.Blocks.OfType("slot") {
			name := b.Labels[0]
			if prev, dup := slotRange[name]; dup {
				ld.diags = append(ld.diags, duplicate("slot", name, b.DefRange, prev))
				continue
			}
			if !validSlotName(name) {
				ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid slot name",
					Detail: fmt.Sprintf("slot %q: names are lower-case letters, digits and _", name), Subject: b.LabelRanges[0].Ptr()})
				continue
			}
			slotRange[name] = b.DefRange
			slotBlocks = append(slotBlocks, b)
		}
	}
	sort.Slice(slotBlocks, func(i, j int) bool { return slotBlocks[i].Labels[0] < slotBlocks[j].Labels[0] })
	if len(slotBlocks) > 64 {
		ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Too many slots",
			Detail: fmt.Sprintf("%d slots declared; at most 64 are supported", len(slotBlocks)), Subject: slotBlocks[64].DefRange.Ptr()})
		return false
	}
	for i, b := range slotBlocks {
		ld.slotIdx[b.Labels[0]] = i
		ld.l.slots = append(ld.l.slots, ld.slot(b))
	}
	return true
}

// slot loads one slot block's values.
func (ld *libLoader) slot(b *hcl.Block) slot {
	s := slot{name: b.Labels[0]}
	content, d := b.Body.Content(slotSchema)
	ld.diags = append(ld.diags, d...)
	a := content.Attributes["values"]
	if a == nil {
		return s
	}
	vals, ranges, d := stringList(a)
	ld.diags = append(ld.diags, d...)
	seen := map[string]int{}
	for j, v := range vals {
		if strings.ContainsAny(v, "{}") || strings.TrimSpace(v) == "" {
			ld.diags = append(ld.diags, errAt(ranges[j], "Invalid slot value", fmt.Sprintf("slot %q value %d: values must be non-empty and contain no braces", s.name, j)))
		}
		if p, bad := methodPhrase(v); bad {
			ld.diags = append(ld.diags, errAt(ranges[j], "Forbidden content", fmt.Sprintf("slot %q value %d contains the method phrase %q", s.name, j, p)))
		}
		if k, dup := seen[v]; dup {
			ld.diags = append(ld.diags, errAt(ranges[j], "Duplicate slot value", fmt.Sprintf("slot %q: value %d repeats value %d (%q)", s.name, j, k, v)))
		}
		seen[v] = j
	}
	if len(vals) == 0 && !d.HasErrors() {
		ld.diags = append(ld.diags, errAt(a.Range, "Empty slot", fmt.Sprintf("slot %q has no values", s.name)))
	}
	s.values = vals
	return s
}

// templates turns a list attribute into templates, reporting each
// element's problem at the element.
func (ld *libLoader) templates(a *hcl.Attribute, what string, required bool) []tmpl {
	if a == nil {
		return nil
	}
	vals, ranges, d := stringList(a)
	ld.diags = append(ld.diags, d...)
	if required && len(vals) == 0 && !d.HasErrors() {
		ld.diags = append(ld.diags, errAt(a.Range, "Empty template list", what+" has no templates"))
	}
	var out []tmpl
	seen := map[string]int{}
	for i, v := range vals {
		t, err := parseTemplate(v, ld.slotIdx)
		if err != nil {
			ld.diags = append(ld.diags, errAt(ranges[i], "Invalid template", fmt.Sprintf("%s, template %d: %v", what, i, err)))
			continue
		}
		if p, bad := methodPhrase(v); bad {
			ld.diags = append(ld.diags, errAt(ranges[i], "Forbidden content", fmt.Sprintf("%s, template %d contains the method phrase %q", what, i, p)))
			continue
		}
		if k, dup := seen[v]; dup {
			ld.diags = append(ld.diags, errAt(ranges[i], "Duplicate template", fmt.Sprintf("%s: template %d repeats template %d", what, i, k)))
			continue
		}
		seen[v] = i
		out = append(out, t)
	}
	return out
}

// problem loads one problem block: its situations and its stages, which
// must be set in order (no impact without detail).
func (ld *libLoader) problem(b *hcl.Block) {
	name := b.Labels[0]
	if prev, dup := ld.probRange[name]; dup {
		ld.diags = append(ld.diags, duplicate("problem", name, b.DefRange, prev))
		return
	}
	ld.probRange[name] = b.DefRange
	content, d := b.Body.Content(problemSchema)
	ld.diags = append(ld.diags, d...)
	p := &problem{name: name, slug: slugify(name)}
	p.situations = ld.templates(content.Attributes["situations"], fmt.Sprintf("problem %q situations", name), false)
	for i, sn := range preStageNames {
		a := content.Attributes[sn]
		if a == nil {
			for _, later := range preStageNames[i+1:] {
				if la := content.Attributes[later]; la != nil {
					ld.diags = append(ld.diags, errAt(la.NameRange, "Stage without its predecessor",
						fmt.Sprintf("problem %q sets %q but not %q; stages are used in the order %s", name, later, sn, strings.Join(preStageNames, ", "))))
				}
			}
			break
		}
		p.stages = append(p.stages, stage{ld.templates(a, fmt.Sprintf("problem %q %s", name, sn), true)})
	}
	ld.probByName[name] = p
	ld.l.problems = append(ld.l.problems, p)
}

// escalation loads one escalation block; its problems attribute is
// resolved by linkProblems once every problem is known.
func (ld *libLoader) escalation(b *hcl.Block) {
	name := b.Labels[0]
	if prev, dup := ld.escRange[name]; dup {
		ld.diags = append(ld.diags, duplicate("escalation", name, b.DefRange, prev))
		return
	}
	ld.escRange[name] = b.DefRange
	content, d := b.Body.Content(escalationSchema)
	ld.diags = append(ld.diags, d...)
	e := &escalation{name: name}
	var ok bool
	if e.category, ok = stringAttr(content, "category", &ld.diags); ok && !isCategory(e.category) {
		ld.diags = append(ld.diags, errAt(content.Attributes["category"].Expr.Range(), "Unknown category",
			fmt.Sprintf("escalation %q: category %q is not one of %s", name, e.category, strings.Join(Categories, ", "))))
	}
	if e.risk, ok = stringAttr(content, "risk_level", &ld.diags); ok && !riskLevels[e.risk] {
		ld.diags = append(ld.diags, errAt(content.Attributes["risk_level"].Expr.Range(), "Invalid risk level",
			fmt.Sprintf("escalation %q: risk_level %q is not low, medium or high", name, e.risk)))
	}
	e.expected, _ = stringAttr(content, "expected_behavior", &ld.diags)
	if a := content.Attributes["tactic"]; a != nil {
		tac, ranges, d := stringList(a)
		ld.diags = append(ld.diags, d...)
		for i, t := range tac {
			if !validSlotName(t) {
				ld.diags = append(ld.diags, errAt(ranges[i], "Invalid tactic", fmt.Sprintf("escalation %q: tactic %q must be lower-case letters, digits and _", name, t)))
			}
		}
		if len(tac) == 0 && !d.HasErrors() {
			ld.diags = append(ld.diags, errAt(a.Range, "Empty tactic", fmt.Sprintf("escalation %q has no tactic", name)))
		}
		e.tactic = strings.Join(tac, "+")
	}
	for i, sb := range content.Blocks.OfType("step") {
		sc, d := sb.Body.Content(stepSchema)
		ld.diags = append(ld.diags, d...)
		e.steps = append(e.steps, stage{ld.templates(sc.Attributes["lines"], fmt.Sprintf("escalation %q step %d", name, i+1), true)})
	}
	if len(e.steps) == 0 {
		ld.diags = append(ld.diags, errAt(b.DefRange, "No escalation steps", fmt.Sprintf("escalation %q needs at least one step block", name)))
	}
	ld.pend = append(ld.pend, pendingEsc{e, content.Attributes["problems"]})
	ld.l.escs = append(ld.l.escs, e)
}

// reply loads one reply block: a pool of assistant lines for a phase and,
// in the escalation phase, for named categories.
func (ld *libLoader) reply(b *hcl.Block) {
	name := b.Labels[0]
	if prev, dup := ld.replyRange[name]; dup {
		ld.diags = append(ld.diags, duplicate("reply", name, b.DefRange, prev))
		return
	}
	ld.replyRange[name] = b.DefRange
	content, d := b.Body.Content(replySchema)
	ld.diags = append(ld.diags, d...)
	r := &replyPool{name: name, categories: map[string]bool{}}
	if phase, ok := stringAttr(content, "phase", &ld.diags); ok {
		switch phase {
		case "support":
		case "escalation":
			r.escalation = true
		default:
			ld.diags = append(ld.diags, errAt(content.Attributes["phase"].Expr.Range(), "Invalid phase",
				fmt.Sprintf("reply %q: phase %q is not support or escalation", name, phase)))
		}
	}
	r.strategy, _ = stringAttr(content, "strategy", &ld.diags)
	if a := content.Attributes["categories"]; a != nil {
		cats, ranges, d := stringList(a)
		ld.diags = append(ld.diags, d...)
		for i, c := range cats {
			if !isCategory(c) {
				ld.diags = append(ld.diags, errAt(ranges[i], "Unknown category", fmt.Sprintf("reply %q: category %q is not one of %s", name, c, strings.Join(Categories, ", "))))
			}
			r.categories[c] = true
		}
	} else if r.escalation {
		ld.diags = append(ld.diags, errAt(b.DefRange, "Missing categories", fmt.Sprintf("reply %q: escalation-phase replies must name their categories", name)))
	}
	r.lines = ld.templates(content.Attributes["lines"], fmt.Sprintf("reply %q lines", name), true)
	ld.l.replies = append(ld.l.replies, r)
}

// linkProblems resolves each escalation's problems attribute (all
// problems when it is absent) against the problem blocks of every file.
func (ld *libLoader) linkProblems() {
	for _, pe := range ld.pend {
		if pe.problems == nil {
			pe.e.problems = ld.l.problems
			continue
		}
		names, ranges, d := stringList(pe.problems)
		ld.diags = append(ld.diags, d...)
		for i, n := range names {
			p := ld.probByName[n]
			if p == nil {
				ld.diags = append(ld.diags, errAt(ranges[i], "Unknown problem type", fmt.Sprintf("escalation %q: no problem block %q", pe.e.name, n)))
				continue
			}
			pe.e.problems = append(pe.e.problems, p)
		}
		sort.Slice(pe.e.problems, func(i, j int) bool { return pe.e.problems[i].name < pe.e.problems[j].name })
		for i := 1; i < len(pe.e.problems); i++ {
			if pe.e.problems[i] == pe.e.problems[i-1] {
				ld.diags = append(ld.diags, errAt(pe.problems.Range, "Duplicate problem type", fmt.Sprintf("escalation %q lists %q twice", pe.e.name, pe.e.problems[i].name)))
			}
		}
	}
}

// buildSpaces enumerates the units of every category and counts each one.
func (l *Library) buildSpaces() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range l.escs {
		cs := l.cats[e.category]
		if cs == nil {
			cs = &catSpace{}
			l.cats[e.category] = cs
		}
		for _, p := range e.problems {
			for k := 1; k <= len(p.stages); k++ {
				for m := 1; m <= len(e.steps); m++ {
					u := &unit{esc: e, prob: p, k: k, m: m}
					for i := 0; i < k; i++ {
						u.stages = append(u.stages, &p.stages[i])
					}
					for i := 0; i < m; i++ {
						u.stages = append(u.stages, &e.steps[i])
					}
					u.memo = make([]map[uint64]uint64, len(u.stages)+1)
					for i := range u.memo {
						u.memo[i] = map[uint64]uint64{}
					}
					space, ok := l.count(u, 0, 0)
					if !ok {
						diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Scenario space too large",
							Detail: fmt.Sprintf("escalation %q with problem %q (%d+%d user turns) has more than 2^62 combinations; split it", e.name, p.name, k, m)})
						continue
					}
					u.space = space
					hh := fnv.New64a()
					fmt.Fprintf(hh, "%s\x00%s\x00%d\x00%d", e.name, p.name, k, m)
					u.key = hh.Sum64()
					cs.units = append(cs.units, u)
				}
			}
		}
	}
	for _, c := range Categories {
		cs := l.cats[c]
		if cs == nil {
			continue
		}
		for _, r := range l.replies {
			switch {
			case !r.escalation:
				cs.supportReplies = append(cs.supportReplies, r)
			case r.categories[c]:
				cs.escReplies = append(cs.escReplies, r)
			}
		}
		if len(cs.supportReplies) == 0 || len(cs.escReplies) == 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing reply pools",
				Detail: fmt.Sprintf("category %q needs at least one support-phase reply and one escalation-phase reply for it", c)})
		}
	}
	return diags
}

// count returns the number of completions from stage i given used slot set
// S, memoizing; ok is false when the count exceeds maxUnitSpace.
func (l *Library) count(u *unit, i int, S uint64) (uint64, bool) {
	if v, hit := u.memo[i][S]; hit {
		return v, true
	}
	var total uint64
	if i == len(u.stages) {
		total = 1
		for m := S; m != 0; m &= m - 1 {
			hi, lo := bits.Mul64(total, uint64(len(l.slots[bits.TrailingZeros64(m)].values)))
			if hi != 0 || lo > maxUnitSpace {
				return 0, false
			}
			total = lo
		}
	} else {
		for _, t := range u.stages[i].tmpls {
			c, ok := l.count(u, i+1, S|t.mask)
			if !ok {
				return 0, false
			}
			total += c
			if total > maxUnitSpace {
				return 0, false
			}
		}
	}
	u.memo[i][S] = total
	return total, true
}

// decode maps idx in [0, u.space) to one template per stage and a value per
// used slot. It is the inverse of the counting order in count, so distinct
// indices give distinct combinations.
func (l *Library) decode(u *unit, idx uint64, choice []int, b binding) {
	var S uint64
	for i, st := range u.stages {
		for t := range st.tmpls {
			w := u.memo[i+1][S|st.tmpls[t].mask]
			if idx < w {
				choice[i] = t
				S |= st.tmpls[t].mask
				break
			}
			idx -= w
		}
	}
	for m := S; m != 0; m &= m - 1 {
		s := bits.TrailingZeros64(m)
		n := uint64(len(l.slots[s].values))
		b[s] = int32(idx % n)
		idx /= n
	}
}

func isCategory(c string) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

func slugify(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

func errAt(r hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Ptr()}
}

func duplicate(kind, name string, at, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate " + kind,
		Detail:  fmt.Sprintf("%s %q is already declared at %s", kind, name, prev),
		Subject: at.Ptr(), Context: prev.Ptr()}
}

// stringAttr reads a required string attribute; ok is false (with a
// diagnostic) when it is absent or not a string.
func stringAttr(c *hcl.BodyContent, name string, diags *hcl.Diagnostics) (string, bool) {
	a := c.Attributes[name]
	if a == nil {
		return "", false
	}
	v, d := a.Expr.Value(nil)
	*diags = append(*diags, d...)
	if d.HasErrors() {
		return "", false
	}
	if v.IsNull() || !v.Type().Equals(cty.String) || !v.IsKnown() {
		*diags = append(*diags, errAt(a.Expr.Range(), "Expected a string", fmt.Sprintf("%s must be a string", name)))
		return "", false
	}
	s := v.AsString()
	if strings.TrimSpace(s) == "" {
		*diags = append(*diags, errAt(a.Expr.Range(), "Empty value", fmt.Sprintf("%s must not be empty", name)))
		return "", false
	}
	return s, true
}

// stringList evaluates a literal list of strings, returning each element's
// source range so that diagnostics can point at the element.
func stringList(a *hcl.Attribute) ([]string, []hcl.Range, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsTupleType() || v.Type().IsListType()) {
		return nil, nil, append(diags, errAt(a.Expr.Range(), "Expected a list of strings", a.Name+" must be a list of strings"))
	}
	var elemRanges []hcl.Range
	if tc, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range tc.Exprs {
			elemRanges = append(elemRanges, e.Range())
		}
	}
	var out []string
	var ranges []hcl.Range
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		r := a.Expr.Range()
		if i < len(elemRanges) {
			r = elemRanges[i]
		}
		if ev.IsNull() || !ev.IsKnown() || !ev.Type().Equals(cty.String) {
			diags = append(diags, errAt(r, "Expected a string", a.Name+" element "+strconv.Itoa(i)+" is not a string"))
			continue
		}
		out = append(out, ev.AsString())
		ranges = append(ranges, r)
	}
	return out, ranges, diags
}
