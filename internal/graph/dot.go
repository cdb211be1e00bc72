package graph

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// DOT renders the DAG for Graphviz, in topological order so the text is
// stable.
func (p *Plan) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n", strconv.Quote(p.Recipe.Name))
	for _, n := range p.Nodes {
		shape := ""
		switch n.Op.(type) {
		case ops.Source:
			shape = ", shape=cylinder"
		case ops.Sink:
			shape = ", shape=note"
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", strconv.Quote(n.ID), strconv.Quote(n.Rec.Kind+"\n"+n.Rec.Name), shape)
	}
	for _, n := range p.Nodes {
		for _, d := range n.Deps {
			fmt.Fprintf(&b, "  %s -> %s;\n", strconv.Quote(d.ID), strconv.Quote(n.ID))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// Explain describes a node's key: its preimage, whether it is cached, and
// what changed since the lock.
func (p *Plan) Explain(s store.Store, n *Node) string {
	var b strings.Builder
	p.refreshLocal(s)
	fmt.Fprintf(&b, "node     %s (%s)\n", n.ID, n.Rec.DeclRange)
	if n.Key == "" {
		b.WriteString("key      unknown until the unpinned fetch upstream has run\n")
		return b.String()
	}
	fmt.Fprintf(&b, "key      %s\n", n.Key)
	if m, ok := nodeManifest(s, n); ok {
		fmt.Fprintf(&b, "cached   yes: %d rows, logical %s\n", m.Rows, m.Logical)
	} else {
		b.WriteString("cached   no\n")
	}
	b.WriteString("preimage\n")
	b.WriteString(indent(string(n.Preimage)))
	b.WriteString("\n")
	for _, r := range n.Roles {
		fmt.Fprintf(&b, "  input %s = %s\n", r.Name, r.Dep.ID)
	}
	if p.Lock == nil {
		b.WriteString("lock     none\n")
		return b.String()
	}
	ln, ok := p.Lock.Nodes[n.ID]
	switch {
	case !ok:
		b.WriteString("lock     not in the lock (new node)\n")
	case ln.Key == n.Key:
		b.WriteString("lock     same key as the lock\n")
	default:
		fmt.Fprintf(&b, "lock     key was %s\n", ln.Key)
		old, ok := getManifestAny(s, ln.Key)
		if !ok {
			b.WriteString("changed  (the locked key's preimage is not in this cache; run with DSBUILD_DEBUG=keys on the old recipe to compare)\n")
			break
		}
		for _, c := range diffPreimages(old.Preimage, n.Preimage) {
			fmt.Fprintf(&b, "changed  %s\n", p.nameInputs(n, c))
		}
	}
	return b.String()
}
