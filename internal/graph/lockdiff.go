package graph

import (
	"fmt"
	"io"
	"strings"

	"github.com/opencontainers/go-digest"
)

// LockChanges is what a rebuild changed, read from two locks alone: the
// recipe files, variables and fetches each side pinned, and for every node
// whether it was added, removed or changed (key, data, rows, schema), and
// which output files changed. `dsbuild diff` prints it.
type LockChanges struct {
	Header    []string // "recipe: a → b", "lock_version: 1 → 2"
	Files     []Change
	Variables []Change
	Fetches   []Change
	Nodes     []NodeChange
	Outputs   []Change
	// Unchanged counts the nodes both locks hold with the same pins.
	Unchanged int
}

// Change is one entry (file, variable, fetch, output) that only one side
// has (Kind '+' or '-') or that differs ('~'); Detail says how.
type Change struct {
	Kind   byte
	ID     string
	Detail string
}

// NodeChange is one node added, removed or changed. For a changed node,
// Lines are its differing fields, one per line, and Schema its column
// changes.
type NodeChange struct {
	Kind   byte
	ID     string
	Op     string
	Lines  []string
	Schema []string
}

// Identical reports whether the two locks pin the same things; it agrees
// with Diff, which verify and --locked use.
func Identical(a, b *Lock) bool { return len(Diff(a, b)) == 0 }

// CompareLocks describes how b differs from a (a is the old lock).
// Everything comes out sorted by ID, so the text is stable.
func CompareLocks(a, b *Lock) *LockChanges {
	c := &LockChanges{}
	if a.Recipe != b.Recipe {
		c.Header = append(c.Header, fmt.Sprintf("recipe: %s → %s", orNone(a.Recipe), orNone(b.Recipe)))
	}
	if a.Version != b.Version {
		c.Header = append(c.Header, fmt.Sprintf("lock_version: %d → %d", a.Version, b.Version))
	}
	for _, k := range unionKeys(a.Files, b.Files) {
		da, oka := a.Files[k]
		db, okb := b.Files[k]
		c.Files = appendChange(c.Files, k, oka, okb, short(da), short(db), da != db, func() string { return short(da) + " → " + short(db) })
	}
	for _, k := range unionKeys(a.Variables, b.Variables) {
		va, oka := a.Variables[k]
		vb, okb := b.Variables[k]
		c.Variables = appendChange(c.Variables, k, oka, okb, "= "+va, "= "+vb, va != vb, func() string { return va + " → " + vb })
	}
	for _, k := range unionKeys(a.Fetches, b.Fetches) {
		fa, oka := a.Fetches[k]
		fb, okb := b.Fetches[k]
		var parts []string
		if fa.Digest != fb.Digest {
			parts = append(parts, "digest "+short(fa.Digest)+" → "+short(fb.Digest))
		}
		if fa.Size != fb.Size {
			parts = append(parts, fmt.Sprintf("size %d → %d", fa.Size, fb.Size))
		}
		if fa.URL != fb.URL {
			parts = append(parts, "url "+orNone(fa.URL)+" → "+orNone(fb.URL))
		}
		if fa.Revision != fb.Revision {
			parts = append(parts, "revision "+orNone(fa.Revision)+" → "+orNone(fb.Revision))
		}
		c.Fetches = appendChange(c.Fetches, k, oka, okb, fetchLine(fa), fetchLine(fb), len(parts) > 0, func() string { return strings.Join(parts, ", ") })
	}
	for _, k := range unionKeys(a.Nodes, b.Nodes) {
		na, oka := a.Nodes[k]
		nb, okb := b.Nodes[k]
		switch {
		case !oka:
			c.Nodes = append(c.Nodes, NodeChange{Kind: '+', ID: k, Op: nb.Op, Lines: []string{nodeSummary(nb)}})
		case !okb:
			c.Nodes = append(c.Nodes, NodeChange{Kind: '-', ID: k, Op: na.Op, Lines: []string{nodeSummary(na)}})
		default:
			if nc, changed := compareNodes(k, na, nb); changed {
				c.Nodes = append(c.Nodes, nc)
			} else {
				c.Unchanged++
			}
		}
	}
	for _, k := range unionKeys(a.Outputs, b.Outputs) {
		oa, oka := a.Outputs[k]
		ob, okb := b.Outputs[k]
		var parts []string
		if oa.Path != ob.Path {
			parts = append(parts, "path "+oa.Path+" → "+ob.Path)
		}
		if oa.Digest != ob.Digest {
			parts = append(parts, short(oa.Digest)+" → "+short(ob.Digest))
		}
		if oa.Size != ob.Size {
			parts = append(parts, fmt.Sprintf("%d → %d bytes", oa.Size, ob.Size))
		}
		c.Outputs = appendChange(c.Outputs, k, oka, okb, outputLine(oa), outputLine(ob), len(parts) > 0, func() string {
			return ob.Path + "  " + strings.Join(parts, ", ")
		})
	}
	return c
}

func appendChange(cs []Change, id string, inA, inB bool, onlyA, onlyB string, differ bool, how func() string) []Change {
	switch {
	case !inA:
		return append(cs, Change{'+', id, onlyB})
	case !inB:
		return append(cs, Change{'-', id, onlyA})
	case differ:
		return append(cs, Change{'~', id, how()})
	}
	return cs
}

func compareNodes(id string, a, b LockNode) (NodeChange, bool) {
	nc := NodeChange{Kind: '~', ID: id, Op: b.Op}
	if a.Op != b.Op {
		nc.Lines = append(nc.Lines, "op       "+a.Op+" → "+b.Op)
	}
	if a.Key != b.Key {
		nc.Lines = append(nc.Lines, "key      "+short(a.Key)+" → "+short(b.Key))
	}
	switch {
	case a.Logical != b.Logical:
		line := "data     " + short(a.Logical) + " → " + short(b.Logical)
		if a.Key == b.Key && !a.Nondeterministic && !b.Nondeterministic {
			line += "  (" + nondeterminismNote + ")"
		}
		nc.Lines = append(nc.Lines, line)
	case a.Key != b.Key:
		nc.Lines = append(nc.Lines, "data     unchanged ("+short(a.Logical)+")")
	}
	if a.Rows != b.Rows {
		nc.Lines = append(nc.Lines, fmt.Sprintf("rows     %d → %d (%+d)", a.Rows, b.Rows, b.Rows-a.Rows))
	}
	if a.Blob != b.Blob || a.Size != b.Size {
		nc.Lines = append(nc.Lines, fmt.Sprintf("artifact %d → %d bytes", a.Size, b.Size))
	}
	if a.Nondeterministic != b.Nondeterministic {
		nc.Lines = append(nc.Lines, fmt.Sprintf("nondeterministic %v → %v", a.Nondeterministic, b.Nondeterministic))
	}
	nc.Schema = schemaChanges(a.Schema, b.Schema)
	return nc, len(nc.Lines) > 0 || len(nc.Schema) > 0
}

// schemaChanges lists columns added (+), removed (-) and retyped (~), in
// the new schema's order then the removed ones in the old order, and a
// reordering when the columns are the same but their order is not.
func schemaChanges(a, b []string) []string {
	split := func(fields []string) ([]string, map[string]string) {
		names := make([]string, len(fields))
		types := map[string]string{}
		for i, f := range fields {
			name, typ, _ := strings.Cut(f, ": ")
			names[i] = name
			types[name] = typ
		}
		return names, types
	}
	an, at := split(a)
	bn, bt := split(b)
	var out []string
	for _, n := range bn {
		ta, ok := at[n]
		switch {
		case !ok:
			out = append(out, "+ "+n+": "+bt[n])
		case ta != bt[n]:
			out = append(out, "~ "+n+": "+ta+" → "+bt[n])
		}
	}
	for _, n := range an {
		if _, ok := bt[n]; !ok {
			out = append(out, "- "+n+": "+at[n])
		}
	}
	if len(out) == 0 && strings.Join(an, "\x00") != strings.Join(bn, "\x00") {
		out = append(out, "column order: "+strings.Join(an, ", ")+" → "+strings.Join(bn, ", "))
	}
	return out
}

func nodeSummary(n LockNode) string {
	s := fmt.Sprintf("%d rows, %d columns, data %s", n.Rows, len(n.Schema), short(n.Logical))
	if n.Nondeterministic {
		s += ", nondeterministic"
	}
	return s
}

func fetchLine(f FetchRecord) string {
	return fmt.Sprintf("%s  %s, %d bytes", f.URL, short(f.Digest), f.Size)
}

func outputLine(o OutputRecord) string {
	return fmt.Sprintf("%s  %s, %d bytes", o.Path, short(o.Digest), o.Size)
}

// short abbreviates a digest to its algorithm and first 12 hex digits, as
// git abbreviates commits; the locks themselves hold the full digests.
func short(d digest.Digest) string {
	s := string(d)
	if s == "" {
		return "(none)"
	}
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) <= 12 {
		return s
	}
	return alg + ":" + hex[:12]
}

// Counts returns the number of nodes changed, added and removed.
func (c *LockChanges) Counts() (changed, added, removed int) {
	for _, n := range c.Nodes {
		switch n.Kind {
		case '~':
			changed++
		case '+':
			added++
		case '-':
			removed++
		}
	}
	return
}

// Write prints the changes as text: a section per kind of entry that
// changed, `+` added, `-` removed, `~` changed; nodes with their differing
// fields and schema changes indented below them.
func (c *LockChanges) Write(w io.Writer, nameA, nameB string) {
	fmt.Fprintf(w, "--- %s\n+++ %s\n", nameA, nameB)
	for _, h := range c.Header {
		fmt.Fprintln(w, h)
	}
	section := func(title string, cs []Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", title)
		for _, ch := range cs {
			fmt.Fprintf(w, "  %c %s  %s\n", ch.Kind, ch.ID, ch.Detail)
		}
	}
	section("recipe files", c.Files)
	section("variables", c.Variables)
	section("fetches", c.Fetches)
	changed, added, removed := c.Counts()
	if len(c.Nodes) > 0 {
		fmt.Fprintf(w, "\nnodes: %d changed, %d added, %d removed, %d unchanged\n", changed, added, removed, c.Unchanged)
		for _, n := range c.Nodes {
			fmt.Fprintf(w, "  %c %s  %s\n", n.Kind, n.ID, n.Op)
			for _, l := range n.Lines {
				fmt.Fprintf(w, "      %s\n", l)
			}
			for i, s := range n.Schema {
				label := "schema   "
				if i > 0 {
					label = "         "
				}
				fmt.Fprintf(w, "      %s%s\n", label, s)
			}
		}
	}
	section("outputs", c.Outputs)
}
