package ops

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/review"
)

var reviewSpec = &Spec{
	Kind:    "review",
	Version: 1,
	Doc:     "Write a review sheet: one offline HTML page showing each conversation's turns and labels with a keep/fix/drop verdict form that exports conversation_id,review_verdict,review_note as CSV.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "path", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "title", Mode: recipe.Static, Type: cty.String},
		{Name: "id", Mode: recipe.Static, Type: cty.String},
		{Name: "turns", Mode: recipe.Static, Type: cty.String},
		{Name: "labels", Mode: recipe.Static, Type: cty.List(cty.String)},
	},
	New: newReview,
}

// reviewMaxRows bounds the sheet: it is read by a person, in one page.
const reviewMaxRows = 5000

type reviewOp struct {
	n      *recipe.Node
	path   string
	title  string
	id     string
	turns  string
	labels []string // nil: every column but id and turns
	params []Param
}

func newReview(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := attrString(n, "path", "")
	clean, d := checkOutputPath(n, env, p)
	if d.HasErrors() {
		return nil, d
	}
	if ext := strings.ToLower(path.Ext(clean)); ext != ".html" && ext != ".htm" {
		diags = append(diags, diag("Review sheet is an HTML page", fmt.Sprintf("%q: a review sheet is written as one .html page; name it e.g. \"out/review.html\" (write the CSV template with an output of format csv).", p), attrRange(n, "path")))
	}
	op := &reviewOp{n: n, path: clean,
		title:  attrString(n, "title", "Review"),
		id:     attrString(n, "id", "conversation_id"),
		turns:  attrString(n, "turns", "turns"),
		labels: attrStrings(n, "labels"),
	}
	op.params = []Param{
		{"id", quote(op.id)},
		{"path", quote(op.path)},
		{"title", quote(op.title)},
		{"turns", quote(op.turns)},
	}
	if hasAttr(n, "labels") {
		op.params = append(op.params, Param{"labels", canonicalList(op.labels)})
	}
	return op, diags
}

func (op *reviewOp) Path() string      { return op.path }
func (op *reviewOp) MediaType() string { return "text/html" }
func (op *reviewOp) Params() []Param   { return op.params }

func (op *reviewOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := inputs[0]
	if s == nil {
		return nil, hcl.Diagnostics{diag("Review input is not a table", "input names an output (a file); name the table it writes.", attrRange(op.n, "input"))}
	}
	cols := strings.Join(columnNames(s), ", ")
	if !s.HasField(op.id) {
		diags = append(diags, diag("Unknown column", fmt.Sprintf("id column %q is not in the input; its columns are %s.", op.id, cols), attrRange(op.n, "id")))
	}
	if idx := s.FieldIndices(op.turns); len(idx) == 0 {
		diags = append(diags, diag("Unknown column", fmt.Sprintf("turns column %q is not in the input; its columns are %s.", op.turns, cols), attrRange(op.n, "turns")))
	} else if !isTurnList(s.Field(idx[0]).Type) {
		diags = append(diags, diag("Not a list of turns", fmt.Sprintf("%s is %s; the sheet shows a list of structs with a text field (and role, turn, strategy when present), as in the conversation schema.", op.turns, s.Field(idx[0]).Type), attrRange(op.n, "turns")))
	}
	for _, l := range op.labels {
		if !s.HasField(l) {
			diags = append(diags, diag("Unknown column", fmt.Sprintf("labels names %q, which the input does not have; its columns are %s.", l, cols), attrRange(op.n, "labels")))
		}
	}
	return s, diags
}

func isTurnList(t arrow.DataType) bool {
	l, ok := t.(arrow.ListLikeType)
	if !ok {
		return false
	}
	st, ok := l.Elem().(*arrow.StructType)
	if !ok {
		return false
	}
	_, ok = st.FieldIdx("text")
	return ok
}

func (op *reviewOp) Run(ctx context.Context, rc *RunContext) error {
	in := rc.Inputs[0]
	if in.Rows > reviewMaxRows {
		return fmt.Errorf("the review sheet would show %d conversations; a sheet holds at most %d (sample the table first, e.g. sample with n and allocate)", in.Rows, reviewMaxRows)
	}
	rd, err := in.Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	labels := op.labels
	if labels == nil {
		for _, f := range rd.Schema().Fields() {
			if f.Name != op.id && f.Name != op.turns {
				labels = append(labels, f.Name)
			}
		}
	}
	page := &review.Page{Title: op.title}
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		sch := rec.Schema()
		id := stringsOf(rec.Column(sch.FieldIndices(op.id)[0]))
		turns := rec.Column(sch.FieldIndices(op.turns)[0])
		vals := make([]func(int) *string, len(labels))
		for i, l := range labels {
			vals[i] = labelsOf(rec.Column(sch.FieldIndices(l)[0]))
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			c := review.Conversation{}
			if v := id(i); v != nil {
				c.ID = *v
			} else {
				return fmt.Errorf("row %d: %s is null; every conversation on the sheet needs an id for its verdict", row+int64(i), op.id)
			}
			for j, l := range labels {
				if v := vals[j](i); v != nil && *v != "" {
					c.Labels = append(c.Labels, review.Label{Name: l, Value: *v})
				}
			}
			c.Turns = turnsAt(turns, i)
			page.Conversations = append(page.Conversations, c)
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return err
	}
	b, err := page.HTML()
	if err != nil {
		return err
	}
	_, err = rc.File.Write(b)
	return err
}

// turnsAt reads row i of a list<struct{turn, role, text, strategy}> column;
// absent or null members are empty.
func turnsAt(col arrow.Array, i int) []review.Turn {
	if col.IsNull(i) {
		return nil
	}
	var start, end int64
	var values arrow.Array
	switch l := col.(type) {
	case *array.List:
		start, end = l.ValueOffsets(i)
		values = l.ListValues()
	case *array.LargeList:
		start, end = l.ValueOffsets(i)
		values = l.ListValues()
	default:
		return nil
	}
	st := values.(*array.Struct)
	member := func(name string) func(int) *string {
		idx, ok := st.DataType().(*arrow.StructType).FieldIdx(name)
		if !ok {
			return func(int) *string { return nil }
		}
		return stringsOf(st.Field(idx))
	}
	turn, role, text, strategy := member("turn"), member("role"), member("text"), member("strategy")
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var out []review.Turn
	for j := int(start); j < int(end); j++ {
		if st.IsNull(j) {
			continue
		}
		out = append(out, review.Turn{Turn: str(turn(j)), Role: str(role(j)), Text: str(text(j)), Strategy: str(strategy(j))})
	}
	return out
}

// labelsOf reads a label column as text: a struct as its non-null members
// ("empathy 5, relevance 4"), anything else as stringsOf does.
func labelsOf(a arrow.Array) func(int) *string {
	st, ok := a.(*array.Struct)
	if !ok {
		return stringsOf(a)
	}
	typ := st.DataType().(*arrow.StructType)
	members := make([]func(int) *string, st.NumField())
	for i := range members {
		members[i] = labelsOf(st.Field(i))
	}
	return func(i int) *string {
		if st.IsNull(i) {
			return nil
		}
		var parts []string
		for f, m := range members {
			if v := m(i); v != nil {
				parts = append(parts, typ.Field(f).Name+" "+*v)
			}
		}
		if parts == nil {
			return nil
		}
		s := strings.Join(parts, ", ")
		return &s
	}
}
