package synth

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
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

// Default user-turn bounds used by Params that leave MinTurns/MaxTurns at
// zero.
const (
	DefaultMinTurns = 4
	DefaultMaxTurns = 10
	// MaxTurnsLimit is the largest user-turn count a recipe may ask for.
	MaxTurnsLimit = 60
)

// preStageNames are the ordinary-support stages of a problem family, in the
// order a conversation uses them; a conversation with k opening user turns
// uses the first k.
var preStageNames = []string{"opener", "detail", "impact", "coping"}

// Library is a parsed, validated template library. It is immutable after
// LoadLibrary and safe for concurrent use.
type Library struct {
	files  []string
	digest digest.Digest

	slots     []slot
	personas  []*persona    // sorted by name
	problems  []*problem    // sorted by problem type
	escs      []*escalation // sorted by name
	followups []*followup   // sorted by name
	refs      []*refPool    // sorted by name
	leads     []string      // optional discourse openers ("Honestly,")
	tails     []string      // optional closers ("if that makes sense")
	asides    []tmpl        // optional neutral sentences ("I'm at home right now.")
}

// Check finishes validating the library. LoadLibrary validates everything
// eagerly; Check is kept for callers that validate in two phases.
func (l *Library) Check() hcl.Diagnostics { return nil }

type slot struct {
	name   string
	values []string
}

type stage struct {
	tmpls []tmpl
}

// persona is who speaks: an age band and setting, the problem types that fit
// them, and slot values that replace the library-wide ones (a pupil's
// relationships are parents and classmates, not a wife).
type persona struct {
	name     string
	ageBand  string
	setting  string
	problems map[string]bool
	slots    map[int][]string
}

type problem struct {
	name       string // the ESConv problem type, e.g. "job crisis"
	slug       string
	situations []tmpl
	stages     []stage // non-empty prefix of preStageNames
	more       []tmpl  // further support turns for long conversations
	slots      map[int][]string
	personas   []*persona
}

// step is one escalation step: its lines, the pressure they apply (0-3)
// and what a safe assistant does in reply (expect tags).
type step struct {
	stage
	pressure int
	expect   []string
	core     bool
}

type escalation struct {
	name     string
	category string
	tactic   string
	expected string
	problems []*problem
	steps    []step
	core     int // index of the core-request step
}

// followup kinds.
const (
	kindPersist = "persist" // pressure kept up after a refusal
	kindRecover = "recover" // de-escalation, pressure 0
	kindSupport = "support" // more ordinary support talk, pressure 0
)

type followup struct {
	name       string
	kind       string
	categories map[string]bool
	pressure   int
	expect     []string // nil for persist: the core step's tags apply
	lines      []tmpl
}

type refPool struct {
	name       string
	satisfies  map[string]bool
	strategy   string
	categories map[string]bool // empty: any
	tactics    map[string]bool // empty: any
	lines      []tmpl
}

// Files returns the template files read, relative to the path given to
// LoadLibrary, sorted.
func (l *Library) Files() []string { return append([]string(nil), l.files...) }

// Digest is sha256 over every file's relative name and bytes, in sorted
// order; callers put it in cache keys so that editing a template misses.
func (l *Library) Digest() digest.Digest { return l.digest }

// Skeletons is the number of scenario skeletons (escalation family x problem
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

// Families lists the escalation families of category, sorted.
func (l *Library) Families(category string) []string {
	var out []string
	for _, e := range l.escs {
		if e.category == category {
			out = append(out, e.name)
		}
	}
	return out
}

// MinTurnsFor is the fewest user turns a conversation of category can have
// and still reach its core request (an opener and every step of the
// shortest family). 0 for an unknown category.
func (l *Library) MinTurnsFor(category string) int {
	best := 0
	for _, e := range l.escs {
		if e.category == category && (best == 0 || e.minTurns() < best) {
			best = e.minTurns()
		}
	}
	return best
}

func (e *escalation) minTurns() int { return 1 + len(e.steps) }

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "slot", LabelNames: []string{"name"}},
	{Type: "persona", LabelNames: []string{"name"}},
	{Type: "problem", LabelNames: []string{"problem_type"}},
	{Type: "escalation", LabelNames: []string{"name"}},
	{Type: "followup", LabelNames: []string{"name"}},
	{Type: "reference", LabelNames: []string{"name"}},
	{Type: "style"},
}}

var slotSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "values", Required: true}}}

var personaSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "age_band", Required: true},
	{Name: "setting", Required: true},
	{Name: "problems", Required: true},
	{Name: "slots"},
}}

var problemSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "situations"},
	{Name: "opener", Required: true},
	{Name: "detail"},
	{Name: "impact"},
	{Name: "coping"},
	{Name: "more"},
	{Name: "slots"},
}}

var escalationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "category", Required: true},
		{Name: "tactic", Required: true},
		{Name: "expected_behavior", Required: true},
		{Name: "problems"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "step"}},
}

var stepSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "lines", Required: true},
	{Name: "pressure", Required: true},
	{Name: "expect", Required: true},
	{Name: "core"},
}}

var followupSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "kind", Required: true},
	{Name: "categories", Required: true},
	{Name: "pressure"},
	{Name: "expect"},
	{Name: "lines", Required: true},
}}

var referenceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "satisfies", Required: true},
	{Name: "strategy", Required: true},
	{Name: "categories"},
	{Name: "tactics"},
	{Name: "lines", Required: true},
}}

var styleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "leads"},
	{Name: "tails"},
	{Name: "asides"},
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
	seen       map[string]hcl.Range // "kind\x00name" -> where declared
	// pend holds each escalation's problems attribute and each persona's
	// problems, resolved once every problem block (in any file) is known.
	pend     []pendingEsc
	pendPers []pendingPersona
	// uses records every expect-tag set a turn can carry, with where it was
	// declared, so that the reference pools can be checked to cover it.
	uses []tagUse
}

type pendingEsc struct {
	e        *escalation
	problems *hcl.Attribute
}

type pendingPersona struct {
	p        *persona
	problems []string
	ranges   []hcl.Range
}

type tagUse struct {
	tags     []string
	category string // "" for support stages (any category)
	tactic   string
	at       hcl.Range
}

func loadLibrary(path string) (*Library, hcl.Diagnostics) {
	files, d := libraryFiles(path)
	if d.HasErrors() {
		return nil, d
	}
	ld := &libLoader{
		l:          &Library{},
		probByName: map[string]*problem{},
		seen:       map[string]hcl.Range{},
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
		for _, b := range c.Blocks.OfType("persona") {
			ld.persona(b)
		}
		for _, b := range c.Blocks.OfType("problem") {
			ld.problem(b)
		}
		for _, b := range c.Blocks.OfType("escalation") {
			ld.escalation(b)
		}
		for _, b := range c.Blocks.OfType("followup") {
			ld.followup(b)
		}
		for _, b := range c.Blocks.OfType("reference") {
			ld.reference(b)
		}
		for _, b := range c.Blocks.OfType("style") {
			ld.style(b)
		}
	}
	l := ld.l
	sort.Slice(l.personas, func(i, j int) bool { return l.personas[i].name < l.personas[j].name })
	sort.Slice(l.problems, func(i, j int) bool { return l.problems[i].name < l.problems[j].name })
	sort.Slice(l.escs, func(i, j int) bool { return l.escs[i].name < l.escs[j].name })
	sort.Slice(l.followups, func(i, j int) bool { return l.followups[i].name < l.followups[j].name })
	sort.Slice(l.refs, func(i, j int) bool { return l.refs[i].name < l.refs[j].name })
	ld.linkProblems()
	ld.linkPersonas()
	if len(l.problems) == 0 {
		ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No problem blocks", Detail: "a library needs at least one problem block"})
	}
	if !ld.diags.HasErrors() {
		ld.checkCoverage()
	}
	if ld.diags.HasErrors() {
		return nil, ld.diags
	}
	return l, ld.diags
}

// declare records a block name, reporting a duplicate; ok is false for one.
func (ld *libLoader) declare(kind string, b *hcl.Block) bool {
	name := b.Labels[0]
	k := kind + "\x00" + name
	if prev, dup := ld.seen[k]; dup {
		ld.diags = append(ld.diags, duplicate(kind, name, b.DefRange, prev))
		return false
	}
	ld.seen[k] = b.DefRange
	return true
}

// slotOverrides reads a slots = { name = [values] } attribute: values that
// replace a slot's library-wide ones for one persona or problem.
func (ld *libLoader) slotOverrides(a *hcl.Attribute, what string) map[int][]string {
	if a == nil {
		return nil
	}
	v, d := a.Expr.Value(nil)
	ld.diags = append(ld.diags, d...)
	if d.HasErrors() {
		return nil
	}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Expected an object", what+": slots must be an object of string lists, e.g. { relationship = [\"mom\", \"dad\"] }"))
		return nil
	}
	out := map[int][]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		idx, ok := ld.slotIdx[name]
		if !ok {
			ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Unknown slot", fmt.Sprintf("%s: slots names %q, which no slot block declares", what, name)))
			continue
		}
		if ev.IsNull() || !(ev.Type().IsTupleType() || ev.Type().IsListType()) || ev.LengthInt() == 0 {
			ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Invalid slot values", fmt.Sprintf("%s: slots.%s must be a non-empty list of strings", what, name)))
			continue
		}
		seen := map[string]bool{}
		var vals []string
		for jt := ev.ElementIterator(); jt.Next(); {
			_, x := jt.Element()
			if x.IsNull() || !x.Type().Equals(cty.String) || strings.TrimSpace(x.AsString()) == "" || strings.ContainsAny(x.AsString(), "{}") {
				ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Invalid slot value", fmt.Sprintf("%s: slots.%s values must be non-empty strings without braces", what, name)))
				continue
			}
			s := x.AsString()
			if p, bad := methodPhrase(s); bad {
				ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Forbidden content", fmt.Sprintf("%s: slots.%s value %q contains the method phrase %q", what, name, s, p)))
			}
			if seen[s] {
				ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Duplicate slot value", fmt.Sprintf("%s: slots.%s repeats %q", what, name, s)))
			}
			seen[s] = true
			vals = append(vals, s)
		}
		out[idx] = vals
	}
	return out
}

// persona loads one persona block.
func (ld *libLoader) persona(b *hcl.Block) {
	if !ld.declare("persona", b) {
		return
	}
	name := b.Labels[0]
	content, d := b.Body.Content(personaSchema)
	ld.diags = append(ld.diags, d...)
	p := &persona{name: name, problems: map[string]bool{}}
	p.ageBand, _ = stringAttr(content, "age_band", &ld.diags)
	p.setting, _ = stringAttr(content, "setting", &ld.diags)
	p.slots = ld.slotOverrides(content.Attributes["slots"], fmt.Sprintf("persona %q", name))
	if a := content.Attributes["problems"]; a != nil {
		names, ranges, d := stringList(a)
		ld.diags = append(ld.diags, d...)
		ld.pendPers = append(ld.pendPers, pendingPersona{p, names, ranges})
	}
	ld.l.personas = append(ld.l.personas, p)
}

// problem loads one problem block: its situations and its stages, which
// must be set in order (no impact without detail).
func (ld *libLoader) problem(b *hcl.Block) {
	if !ld.declare("problem", b) {
		return
	}
	name := b.Labels[0]
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
	p.more = ld.templates(content.Attributes["more"], fmt.Sprintf("problem %q more", name), false)
	p.slots = ld.slotOverrides(content.Attributes["slots"], fmt.Sprintf("problem %q", name))
	ld.uses = append(ld.uses, tagUse{tags: supportTags, at: b.DefRange})
	ld.probByName[name] = p
	ld.l.problems = append(ld.l.problems, p)
}

// supportTags are what a safe reply does on an ordinary support turn.
var supportTags = []string{"empathize", "explore"}

// tagList reads a list of expect tags, each one known.
func (ld *libLoader) tagList(a *hcl.Attribute, what string) []string {
	if a == nil {
		return nil
	}
	tags, ranges, d := stringList(a)
	ld.diags = append(ld.diags, d...)
	for i, t := range tags {
		if _, ok := tagRules[t]; !ok {
			ld.diags = append(ld.diags, errAt(ranges[i], "Unknown expect tag", fmt.Sprintf("%s: %q is not one of %s", what, t, strings.Join(TagNames(), ", "))))
		}
	}
	if len(tags) == 0 && !d.HasErrors() {
		ld.diags = append(ld.diags, errAt(a.Range, "Empty expect", what+": expect needs at least one tag"))
	}
	return tags
}

// pressureAttr reads a pressure in [lo, 3].
func (ld *libLoader) pressureAttr(c *hcl.BodyContent, what string, lo int) int {
	a := c.Attributes["pressure"]
	if a == nil {
		return 0
	}
	v, d := a.Expr.Value(nil)
	ld.diags = append(ld.diags, d...)
	if d.HasErrors() {
		return 0
	}
	if v.IsNull() || !v.Type().Equals(cty.Number) {
		ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Invalid pressure", what+": pressure must be a whole number from 0 to 3"))
		return 0
	}
	n, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || n < int64(lo) || n > 3 {
		ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Invalid pressure", fmt.Sprintf("%s: pressure must be a whole number from %d to 3", what, lo)))
		return 0
	}
	return int(n)
}

// escalation loads one escalation block; its problems attribute is
// resolved by linkProblems once every problem is known.
func (ld *libLoader) escalation(b *hcl.Block) {
	if !ld.declare("escalation", b) {
		return
	}
	name := b.Labels[0]
	content, d := b.Body.Content(escalationSchema)
	ld.diags = append(ld.diags, d...)
	e := &escalation{name: name, core: -1}
	var ok bool
	if e.category, ok = stringAttr(content, "category", &ld.diags); ok && !isCategory(e.category) {
		ld.diags = append(ld.diags, errAt(content.Attributes["category"].Expr.Range(), "Unknown category",
			fmt.Sprintf("escalation %q: category %q is not one of %s", name, e.category, strings.Join(Categories, ", "))))
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
	anyPressure := false
	for i, sb := range content.Blocks.OfType("step") {
		what := fmt.Sprintf("escalation %q step %d", name, i+1)
		sc, d := sb.Body.Content(stepSchema)
		ld.diags = append(ld.diags, d...)
		st := step{stage: stage{ld.templates(sc.Attributes["lines"], what, true)}}
		st.pressure = ld.pressureAttr(sc, what, 0)
		st.expect = ld.tagList(sc.Attributes["expect"], what)
		if a := sc.Attributes["core"]; a != nil {
			v, d := a.Expr.Value(nil)
			ld.diags = append(ld.diags, d...)
			if !d.HasErrors() && (v.IsNull() || !v.Type().Equals(cty.Bool)) {
				ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Invalid core", what+": core must be true or false"))
			} else if !d.HasErrors() && v.True() {
				if e.core >= 0 {
					ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Two core steps", fmt.Sprintf("escalation %q: step %d and step %d are both marked core", name, e.core+1, i+1)))
				}
				e.core = i
				st.core = true
				if st.pressure == 0 {
					ld.diags = append(ld.diags, errAt(a.Expr.Range(), "Core step without pressure", what+": the core request must have pressure 1 to 3"))
				}
			}
		}
		anyPressure = anyPressure || st.pressure > 0
		ld.uses = append(ld.uses, tagUse{tags: st.expect, category: e.category, tactic: e.tactic, at: sb.DefRange})
		e.steps = append(e.steps, st)
	}
	if len(e.steps) == 0 {
		ld.diags = append(ld.diags, errAt(b.DefRange, "No escalation steps", fmt.Sprintf("escalation %q needs at least one step block", name)))
	} else if e.core < 0 {
		ld.diags = append(ld.diags, errAt(b.DefRange, "No core step", fmt.Sprintf("escalation %q: mark the step holding the family's core request with core = true", name)))
	} else if !anyPressure {
		ld.diags = append(ld.diags, errAt(b.DefRange, "No pressure", fmt.Sprintf("escalation %q: no step has pressure > 0", name)))
	}
	ld.pend = append(ld.pend, pendingEsc{e, content.Attributes["problems"]})
	ld.l.escs = append(ld.l.escs, e)
}

// categorySet reads a list of categories.
func (ld *libLoader) categorySet(a *hcl.Attribute, what string) map[string]bool {
	out := map[string]bool{}
	if a == nil {
		return out
	}
	cats, ranges, d := stringList(a)
	ld.diags = append(ld.diags, d...)
	for i, c := range cats {
		if !isCategory(c) {
			ld.diags = append(ld.diags, errAt(ranges[i], "Unknown category", fmt.Sprintf("%s: category %q is not one of %s", what, c, strings.Join(Categories, ", "))))
		}
		out[c] = true
	}
	return out
}

// followup loads one followup block: persistence, recovery or further
// support lines for long conversations of its categories.
func (ld *libLoader) followup(b *hcl.Block) {
	if !ld.declare("followup", b) {
		return
	}
	name := b.Labels[0]
	what := fmt.Sprintf("followup %q", name)
	content, d := b.Body.Content(followupSchema)
	ld.diags = append(ld.diags, d...)
	f := &followup{name: name}
	if k, ok := stringAttr(content, "kind", &ld.diags); ok {
		switch k {
		case kindPersist, kindRecover, kindSupport:
			f.kind = k
		default:
			ld.diags = append(ld.diags, errAt(content.Attributes["kind"].Expr.Range(), "Invalid kind", fmt.Sprintf("%s: kind %q is not persist, recover or support", what, k)))
		}
	}
	f.categories = ld.categorySet(content.Attributes["categories"], what)
	if f.kind == kindPersist {
		f.pressure = ld.pressureAttr(content, what, 1)
		if content.Attributes["pressure"] == nil {
			ld.diags = append(ld.diags, errAt(b.DefRange, "Missing pressure", what+": persist followups need pressure 1 to 3"))
		}
		if a := content.Attributes["expect"]; a != nil {
			ld.diags = append(ld.diags, errAt(a.NameRange, "Unexpected expect", what+": persist turns take the expect tags of their family's core step"))
		}
	} else if f.kind != "" {
		if a := content.Attributes["pressure"]; a != nil {
			ld.diags = append(ld.diags, errAt(a.NameRange, "Unexpected pressure", what+": recover and support turns have pressure 0"))
		}
		f.expect = ld.tagList(content.Attributes["expect"], what)
		if content.Attributes["expect"] == nil {
			ld.diags = append(ld.diags, errAt(b.DefRange, "Missing expect", what+": recover and support followups need expect tags"))
		}
		for c := range f.categories {
			ld.uses = append(ld.uses, tagUse{tags: f.expect, category: c, at: b.DefRange})
		}
	}
	f.lines = ld.templates(content.Attributes["lines"], what+" lines", true)
	ld.l.followups = append(ld.l.followups, f)
}

// reference loads one reference pool: assistant lines that do what their
// satisfies tags say, checked here line by line.
func (ld *libLoader) reference(b *hcl.Block) {
	if !ld.declare("reference", b) {
		return
	}
	name := b.Labels[0]
	what := fmt.Sprintf("reference %q", name)
	content, d := b.Body.Content(referenceSchema)
	ld.diags = append(ld.diags, d...)
	r := &refPool{name: name, satisfies: map[string]bool{}, tactics: map[string]bool{}}
	for _, t := range ld.tagList(content.Attributes["satisfies"], what) {
		r.satisfies[t] = true
	}
	r.strategy, _ = stringAttr(content, "strategy", &ld.diags)
	r.categories = ld.categorySet(content.Attributes["categories"], what)
	if a := content.Attributes["tactics"]; a != nil {
		tac, _, d := stringList(a)
		ld.diags = append(ld.diags, d...)
		for _, t := range tac {
			r.tactics[t] = true
		}
	}
	a := content.Attributes["lines"]
	r.lines = ld.templates(a, what+" lines", true)
	if a != nil {
		_, ranges, _ := stringList(a)
		for i, t := range r.lines {
			if i < len(ranges) {
				if err := checkRefTemplate(t, ld.l.slots, r.satisfies); err != nil {
					ld.diags = append(ld.diags, errAt(ranges[i], "Reference does not satisfy its tags", fmt.Sprintf("%s line %d: %v", what, i, err)))
				}
			}
		}
	}
	ld.l.refs = append(ld.l.refs, r)
}

// style loads the optional discourse openers and closers that vary how a
// turn starts and ends.
func (ld *libLoader) style(b *hcl.Block) {
	content, d := b.Body.Content(styleSchema)
	ld.diags = append(ld.diags, d...)
	ld.l.asides = append(ld.l.asides, ld.templates(content.Attributes["asides"], "style asides", false)...)
	for i := range ld.l.asides {
		if lvl := turnRisk(ld.l.asides[i].src); lvl > 0 {
			ld.diags = append(ld.diags, errAt(content.Attributes["asides"].Range, "Aside with a risk signal", fmt.Sprintf("style aside %q would change the risk of any turn it joins; asides must be neutral", ld.l.asides[i].src)))
		}
	}
	for _, n := range []string{"leads", "tails"} {
		a := content.Attributes[n]
		if a == nil {
			continue
		}
		vals, ranges, d := stringList(a)
		ld.diags = append(ld.diags, d...)
		for i, v := range vals {
			if strings.ContainsAny(v, "{}") || strings.TrimSpace(v) != v || v == "" {
				ld.diags = append(ld.diags, errAt(ranges[i], "Invalid style value", fmt.Sprintf("style %s value %d: non-empty, no braces, no surrounding spaces", n, i)))
			}
			if p, bad := methodPhrase(v); bad {
				ld.diags = append(ld.diags, errAt(ranges[i], "Forbidden content", fmt.Sprintf("style %s value %d contains the method phrase %q", n, i, p)))
			}
		}
		if n == "leads" {
			ld.l.leads = append(ld.l.leads, vals...)
		} else {
			ld.l.tails = append(ld.l.tails, vals...)
		}
	}
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

// linkPersonas attaches each persona to the problems it fits; a problem
// that no persona fits is an error (who would be speaking?).
func (ld *libLoader) linkPersonas() {
	for _, pp := range ld.pendPers {
		for i, n := range pp.problems {
			if ld.probByName[n] == nil {
				ld.diags = append(ld.diags, errAt(pp.ranges[i], "Unknown problem type", fmt.Sprintf("persona %q: no problem block %q", pp.p.name, n)))
				continue
			}
			pp.p.problems[n] = true
		}
	}
	for _, p := range ld.l.problems {
		for _, ps := range ld.l.personas {
			if ps.problems[p.name] {
				p.personas = append(p.personas, ps)
			}
		}
		if len(p.personas) == 0 {
			ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Problem without persona",
				Detail: fmt.Sprintf("problem %q: no persona block lists it in its problems", p.name), Subject: ld.seen["problem\x00"+p.name].Ptr()})
		}
	}
}

// checkCoverage makes sure every category that has escalations has the
// followups long conversations need, and that every expect-tag set a turn
// can carry has a reference pool that satisfies it.
func (ld *libLoader) checkCoverage() {
	for _, e := range ld.l.escs {
		for _, k := range []string{kindPersist, kindRecover, kindSupport} {
			if len(ld.l.followupsFor(e.category, k)) == 0 {
				ld.diags = append(ld.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing followups",
					Detail: fmt.Sprintf("category %q (escalation %q) needs at least one followup of kind %q", e.category, e.name, k), Subject: ld.seen["escalation\x00"+e.name].Ptr()})
				return
			}
		}
	}
	for _, u := range ld.uses {
		cats := []string{u.category}
		if u.category == "" {
			cats = Categories
		}
		for _, c := range cats {
			if len(ld.l.refCandidates(u.tags, c, u.tactic)) == 0 {
				ld.diags = append(ld.diags, errAt(u.at, "No reference for these expect tags",
					fmt.Sprintf("no reference block satisfies all of [%s] for category %q; add one (references must never contradict a step)", strings.Join(u.tags, ", "), c)))
				break
			}
		}
	}
}

func (l *Library) followupsFor(category, kind string) []*followup {
	var out []*followup
	for _, f := range l.followups {
		if f.kind == kind && f.categories[category] {
			out = append(out, f)
		}
	}
	return out
}

// refCandidates returns the reference pools that satisfy every tag, for
// the category and tactic: tactic-specific pools first if any, then
// category pools, then general ones; within that, the pools with the fewest
// tags beyond those asked for.
func (l *Library) refCandidates(tags []string, category, tactic string) []*refPool {
	var best []*refPool
	bestRank, bestExtra := 99, 1<<30
	for _, r := range l.refs {
		ok := true
		for _, t := range tags {
			if !r.satisfies[t] {
				ok = false
				break
			}
		}
		// Only a step that asks for a prescriber referral may get a pool
		// that talks about medication.
		if r.satisfies["refer_prescriber"] && !slices.Contains(tags, "refer_prescriber") {
			ok = false
		}
		if !ok || (len(r.categories) > 0 && !r.categories[category]) {
			continue
		}
		rank := 2
		if len(r.tactics) > 0 {
			match := false
			for _, t := range strings.Split(tactic, "+") {
				match = match || r.tactics[t]
			}
			if !match {
				continue
			}
			rank = 0
		} else if len(r.categories) > 0 {
			rank = 1
		}
		extra := len(r.satisfies) - len(tags)
		switch {
		case rank < bestRank || rank == bestRank && extra < bestExtra:
			best, bestRank, bestExtra = []*refPool{r}, rank, extra
		case rank == bestRank && extra == bestExtra:
			best = append(best, r)
		}
	}
	return best
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
