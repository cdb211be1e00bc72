package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
)

var unionSpec = &Spec{
	Kind:    "union",
	Version: 1,
	Doc:     "Stack inputs = [a, b, ...] (or {label = a, ...}) by column name; missing columns are null, widths widen; label_column names each row's input.",
	Attrs: []recipe.AttrSpec{
		{Name: "inputs", Required: true, Mode: recipe.Refs},
		{Name: "label_column", Mode: recipe.Static, Type: cty.String},
	},
	New: newUnion,
}

// unionOp streams its inputs one after another, in the order the recipe
// lists them, each batch conformed to the unified schema (unify.go).
// Memory: one input batch and its conformed copy at a time.
type unionOp struct {
	n        *recipe.Node
	labelCol string
	refs     refList
	schema   *arrow.Schema
}

// refList is the references of one Refs attribute, resolved against the
// node's dependency order (the order of RunContext.Inputs and of the
// schemas Prepare gets), with a label each: the object key, else the
// referenced node's name (its ID when two names collide).
type refList struct {
	ids    []string
	dep    []int
	labels []string
	names  []string // for messages: `select.a (inputs[0])`
	ranges []hcl.Range
}

func resolveRefs(n *recipe.Node, attr string) refList {
	a := n.Attrs[attr]
	var rl refList
	if a == nil {
		return rl
	}
	depIdx := map[string]int{}
	for i, d := range n.Deps {
		depIdx[d] = i
	}
	nameCount := map[string]int{} // distinct nodes of each name
	counted := map[string]bool{}
	for _, id := range a.Refs {
		if _, name, _ := strings.Cut(id, "."); !counted[id] {
			counted[id] = true
			nameCount[name]++
		}
	}
	for i, id := range a.Refs {
		rl.ids = append(rl.ids, id)
		rl.dep = append(rl.dep, depIdx[id])
		label := id
		role := fmt.Sprintf("%s[%d]", attr, i)
		if a.RefKeys != nil {
			label = a.RefKeys[i]
			role = fmt.Sprintf("%s[%q]", attr, label)
		} else if _, name, _ := strings.Cut(id, "."); nameCount[name] == 1 {
			label = name
		}
		rl.labels = append(rl.labels, label)
		rl.names = append(rl.names, id+" ("+role+")")
		rl.ranges = append(rl.ranges, a.RefRanges[i])
	}
	return rl
}

func newUnion(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &unionOp{n: n, labelCol: attrString(n, "label_column", ""), refs: resolveRefs(n, "inputs")}
	var diags hcl.Diagnostics
	if hasAttr(n, "label_column") && op.labelCol == "" {
		diags = append(diags, diag("Invalid label_column", "label_column names the new column holding each row's input label; it cannot be empty.", attrRange(n, "label_column")))
	}
	if op.labelCol != "" {
		seen := map[string]int{}
		for i, l := range op.refs.labels {
			if j, ok := seen[l]; ok {
				diags = append(diags, diag("Duplicate union label",
					fmt.Sprintf("%s and %s would both be labelled %q in %s; name each input, e.g. inputs = { a = %s, b = %s }.", op.refs.names[j], op.refs.names[i], l, op.labelCol, op.refs.ids[j], op.refs.ids[i]),
					&op.refs.ranges[i]))
			}
			seen[l] = i
		}
	}
	return op, diags
}

func (op *unionOp) Params() []Param {
	if op.labelCol == "" {
		return []Param{}
	}
	// Labels come from node names when the recipe gives none, and node
	// names do not enter keys: the labels must, as they are output.
	return []Param{{"label_column", quote(op.labelCol)}, {"labels", canonicalList(op.refs.labels)}}
}

func (op *unionOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	ins := make([]unifyInput, len(op.refs.ids))
	for i := range op.refs.ids {
		ins[i] = unifyInput{Name: op.refs.names[i], Schema: inputs[op.refs.dep[i]], Range: &op.refs.ranges[i]}
	}
	s, diags := unifySchemas(ins)
	if diags.HasErrors() {
		return nil, diags
	}
	s, d := withLabelColumn(s, op.labelCol, attrRange(op.n, "label_column"))
	if d.HasErrors() {
		return nil, d
	}
	op.schema = s
	return s, nil
}

// withLabelColumn appends the label column (string, never null) to s.
func withLabelColumn(s *arrow.Schema, col string, rng *hcl.Range) (*arrow.Schema, hcl.Diagnostics) {
	if col == "" {
		return s, nil
	}
	if len(s.FieldIndices(col)) > 0 {
		return nil, hcl.Diagnostics{diag("Label column exists",
			fmt.Sprintf("The inputs already have a column %q; choose another label_column or drop that column first.", col), rng)}
	}
	fields := append(append([]arrow.Field{}, s.Fields()...), arrow.Field{Name: col, Type: arrow.BinaryTypes.String})
	return arrow.NewSchema(fields, nil), nil
}

func (op *unionOp) Run(ctx context.Context, rc *RunContext) error {
	for i := range op.refs.ids {
		if err := op.runInput(ctx, rc, i); err != nil {
			return fmt.Errorf("%s: %w", op.refs.names[i], err)
		}
	}
	return nil
}

func (op *unionOp) runInput(ctx context.Context, rc *RunContext, i int) error {
	rd, err := rc.Inputs[op.refs.dep[i]].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		out, err := conformWithLabel(ctx, rc.Mem, rec, op.schema, op.labelCol, op.refs.labels[i])
		if err != nil {
			return fmt.Errorf("rows from %d: %w", row, err)
		}
		row += rec.NumRows()
		err = rc.Emit(out)
		out.Release()
		if err != nil {
			return err
		}
	}
	return rd.Err()
}

// conformWithLabel conforms rec to schema, whose last column is the label
// column when labelCol is set.
func conformWithLabel(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema, labelCol, label string) (arrow.RecordBatch, error) {
	data := schema
	if labelCol != "" {
		data = arrow.NewSchema(schema.Fields()[:schema.NumFields()-1], nil)
	}
	cols, err := conformBatch(ctx, mem, rec, data)
	if err != nil {
		return nil, err
	}
	if labelCol != "" {
		cols = append(cols, repeatString(mem, label, int(rec.NumRows())))
	}
	out := array.NewRecordBatch(schema, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// repeatString is a string array of n copies of s.
func repeatString(mem memory.Allocator, s string, n int) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	b.ReserveData(n * len(s))
	for i := 0; i < n; i++ {
		b.Append(s)
	}
	return b.NewArray()
}
