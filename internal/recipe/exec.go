package recipe

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// What a recipe says about where its nodes run, as opposed to what they
// compute: a node's resources { } block and shards attribute, and the
// recipe's executor "NAME" { } blocks. None of it ever enters a key; the
// loader keeps it apart from a node's Attrs, which ops and keys read.

const (
	blockExecutor  = "executor"
	blockResources = "resources"
	attrShards     = "shards"
)

// resourceAttrs are the attributes of a resources block.
var resourceAttrs = []AttrSpec{
	{Name: "cpus", Mode: Static, Type: cty.Number},
	{Name: "mem", Mode: Static, Type: cty.String},
	{Name: "time", Mode: Static, Type: cty.String},
	{Name: "partition", Mode: Static, Type: cty.String},
	{Name: "gres", Mode: Static, Type: cty.String},
	{Name: "account", Mode: Static, Type: cty.String},
	{Name: "qos", Mode: Static, Type: cty.String},
	{Name: "sbatch_flags", Mode: Static, Type: cty.List(cty.String)},
}

// Resources is a resources { } block: what a batch-scheduler job running
// the node (or, in an executor block, every node) asks for. Zero values are
// unset.
type Resources struct {
	CPUs      int
	Mem       string // e.g. "4G", as sbatch --mem takes it
	Time      string // e.g. "30:00", as sbatch --time takes it
	Partition string
	GRES      string // e.g. "gpu:1"
	Account   string
	QOS       string
	// Flags are extra sbatch arguments, passed as they are.
	Flags     []string
	DeclRange hcl.Range
}

// Executor is one executor "NAME" { } block: its static attributes
// (evaluated with var.* in scope; the executor named validates them) and
// its default resources.
type Executor struct {
	Name       string
	DeclRange  hcl.Range
	LabelRange hcl.Range
	Attrs      map[string]*Attr
	Resources  *Resources
}

// Executor returns the executor block named name, or nil.
func (r *Recipe) Executor(name string) *Executor {
	for _, e := range r.Executors {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// splitPlacement takes a node's shards attribute and resources block out of
// its decoded body content, so what is left is the kind's own.
func (l *loader) splitPlacement(pn *pendingNode, content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	n := pn.node
	if a, ok := content.Attributes[attrShards]; ok {
		attrs := hcl.Attributes{}
		for k, v := range content.Attributes {
			if k != attrShards {
				attrs[k] = v
			}
		}
		content.Attributes = attrs
		at := &Attr{Name: attrShards, Expr: a.Expr, Range: a.Range, Mode: Static}
		d := l.decodeStatic(at, AttrSpec{Name: attrShards, Type: cty.Number}, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() && !at.Value.IsNull() {
			k, ok := smallInt(at.Value)
			if !ok || k < 1 || k > 10000 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid shards",
					Detail:   "shards is the number of jobs a row-wise node is split into: a whole number from 1 to 10000.",
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				n.Shards, n.ShardsRange = k, a.Expr.Range()
			}
		}
	}
	var rest hcl.Blocks
	for _, blk := range content.Blocks {
		if blk.Type != blockResources {
			rest = append(rest, blk)
			continue
		}
		if n.Resources != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate resources block",
				Detail:   fmt.Sprintf("%s already has a resources block at %s; a node has at most one.", n.ID(), where(n.Resources.DeclRange)),
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		res, d := l.decodeResources(pn, blk, ctx)
		diags = append(diags, d...)
		n.Resources = res
	}
	content.Blocks = rest
	return diags
}

func (l *loader) decodeResources(pn *pendingNode, blk *hcl.Block, ctx *hcl.EvalContext) (*Resources, hcl.Diagnostics) {
	schema := &hcl.BodySchema{}
	for _, a := range resourceAttrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	content, diags := blk.Body.Content(schema)
	attrs, d := l.decodeAttrs(pn, resourceAttrs, content.Attributes, ctx)
	diags = append(diags, d...)
	res := &Resources{DeclRange: blk.DefRange}
	str := func(name string) string {
		if a := attrs[name]; a != nil && a.Value != cty.NilVal && !a.Value.IsNull() && a.Value.IsKnown() {
			return a.Value.AsString()
		}
		return ""
	}
	res.Mem, res.Time, res.Partition = str("mem"), str("time"), str("partition")
	res.GRES, res.Account, res.QOS = str("gres"), str("account"), str("qos")
	if a := attrs["cpus"]; a != nil && a.Value != cty.NilVal && !a.Value.IsNull() && a.Value.IsKnown() {
		k, ok := smallInt(a.Value)
		if !ok || k < 1 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid cpus",
				Detail:   "cpus is the number of CPUs a job asks for (sbatch --cpus-per-task): a whole number of at least 1.",
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		res.CPUs = k
	}
	if a := attrs["sbatch_flags"]; a != nil && a.Value != cty.NilVal && !a.Value.IsNull() && a.Value.IsKnown() {
		for _, v := range a.Value.AsValueSlice() {
			if v.IsNull() {
				continue
			}
			f := v.AsString()
			if !strings.HasPrefix(f, "-") {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid sbatch flag",
					Detail:   fmt.Sprintf("%q is not a flag; write each sbatch option as one string starting with -, e.g. \"--constraint=a100\".", f),
					Subject:  a.Expr.Range().Ptr(),
				})
				continue
			}
			res.Flags = append(res.Flags, f)
		}
	}
	for _, name := range []string{"mem", "time", "partition", "gres", "account", "qos"} {
		if s := str(name); strings.ContainsAny(s, " \t\n'\"") || (s == "" && attrs[name] != nil && attrs[name].Value != cty.NilVal && !attrs[name].Value.IsNull()) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid " + name,
				Detail:   fmt.Sprintf("%s is passed to sbatch as one word; %q is empty or has spaces or quotes.", name, s),
				Subject:  attrs[name].Expr.Range().Ptr(),
			})
		}
	}
	return res, diags
}

// decodeExecutors decodes the executor "NAME" { } blocks; there is at most
// one per name.
func (l *loader) decodeExecutors(r *Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, blk := range l.blocks {
		if blk.Type != blockExecutor {
			continue
		}
		e := &Executor{Name: blk.Labels[0], DeclRange: blk.DefRange, LabelRange: blk.LabelRanges[0], Attrs: map[string]*Attr{}}
		if prev := r.Executor(e.Name); prev != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate executor block",
				Detail:   fmt.Sprintf("An executor %q block was already declared at %s; remove one.", e.Name, where(prev.DeclRange)),
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		pn := &pendingNode{node: &Node{}}
		sb, ok := blk.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, rb := range sb.Blocks {
			if rb.Type != blockResources || len(rb.Labels) > 0 {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported block type",
					Detail: "An executor block holds attributes and at most one resources { } block (without a label).", Subject: rb.TypeRange.Ptr()})
				continue
			}
			if e.Resources != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate resources block",
					Detail: "An executor block has at most one resources block.", Subject: rb.TypeRange.Ptr()})
				continue
			}
			res, d := l.decodeResources(pn, rb.AsHCLBlock(), r.EvalContext())
			diags = append(diags, d...)
			e.Resources = res
		}
		attrs := hcl.Attributes{}
		for name, a := range sb.Attributes {
			attrs[name] = a.AsHCLAttribute()
		}
		for _, ha := range sortedAttrs(attrs) {
			a := &Attr{Name: ha.Name, Expr: ha.Expr, Range: ha.Range, Mode: Static}
			diags = append(diags, l.decodeStatic(a, AttrSpec{Name: ha.Name}, r.EvalContext())...)
			e.Attrs[a.Name] = a
		}
		r.Executors = append(r.Executors, e)
	}
	return diags
}

// smallInt is v as an int when it is a whole number that fits.
func smallInt(v cty.Value) (int, bool) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i > 1<<31 || i < -(1<<31) {
		return 0, false
	}
	return int(i), true
}
