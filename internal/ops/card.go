package ops

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/card"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var cardSpec = &Spec{
	Kind:    "card",
	Version: 1,
	Doc:     "Write a dataset card for a table and the output files that hold it: a Hugging Face README.md (format = \"huggingface\") or a Croissant 1.0 croissant.json (format = \"croissant\"), with the files' sha256 as the lock records them.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "data_files", Required: true, Mode: recipe.Refs},
		{Name: "path", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "format", Mode: recipe.Static, Type: cty.String},
		{Name: "title", Mode: recipe.Static, Type: cty.String},
		{Name: "description", Mode: recipe.Static, Type: cty.String},
		{Name: "citations", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "task_categories", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "count_by", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "mirror", Mode: recipe.Static, Type: cty.String},
	},
	FileRefs: map[string]bool{"data_files": true},
	New:      newCard,
}

const (
	cardHuggingFace = "huggingface"
	cardCroissant   = "croissant"
)

var cardMediaTypes = map[string]string{
	cardHuggingFace: "text/markdown",
	cardCroissant:   "application/ld+json",
}

// cardDefaultCounts are the columns counted when count_by is not set, those
// of them the table has.
var cardDefaultCounts = []string{"source", "category", "split", "part"}

type cardOp struct {
	n       *recipe.Node
	path    string
	format  string
	meta    card.Meta
	countBy []string
	table   int     // index of input in RunContext.Inputs
	files   refList // data_files
	params  []Param

	schema *arrow.Schema
}

func newCard(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := attrString(n, "path", "")
	clean, d := checkOutputPath(n, env, p)
	if d.HasErrors() {
		return nil, d
	}
	op := &cardOp{n: n, path: clean, files: resolveRefs(n, "data_files")}
	op.format = attrString(n, "format", "")
	if op.format == "" {
		switch strings.ToLower(path.Ext(clean)) {
		case ".md":
			op.format = cardHuggingFace
		case ".json", ".jsonld":
			op.format = cardCroissant
		default:
			diags = append(diags, diag("Unknown card format", fmt.Sprintf("Cannot tell the card format of %q from its extension. Set format = \"huggingface\" (a README.md dataset card) or \"croissant\" (croissant.json).", p), attrRange(n, "path")))
		}
	} else if _, ok := cardMediaTypes[op.format]; !ok {
		diags = append(diags, diag("Unknown card format", fmt.Sprintf("format %q is not a card format; use \"huggingface\" or \"croissant\".", op.format), attrRange(n, "format")))
	}
	for i, d := range n.Deps {
		if a := n.Attrs["input"]; a != nil && len(a.Refs) > 0 && d == a.Refs[0] {
			op.table = i
		}
	}
	rel, err := filepath.Rel(env.ProjectDir, firstOr(env.RecipeFiles, env.RecipeDir))
	if err != nil {
		rel = firstOr(env.RecipeFiles, env.RecipeDir)
	}
	op.meta = card.Meta{
		Title:          attrString(n, "title", ""),
		Description:    attrString(n, "description", ""),
		Citations:      attrStrings(n, "citations"),
		TaskCategories: attrStrings(n, "task_categories"),
		Recipe:         filepath.ToSlash(rel),
		Lock:           "lockfiles/" + env.RecipeName + ".lock",
		Mirror:         attrString(n, "mirror", ""),
	}
	op.countBy = attrStrings(n, "count_by")
	// The recipe's and the lock's paths are written into the card, so they
	// are parameters like the text attributes.
	op.params = []Param{
		{"citations", canonicalList(op.meta.Citations)},
		{"description", quote(op.meta.Description)},
		{"format", op.format},
		{"lock", quote(op.meta.Lock)},
		{"mirror", quote(op.meta.Mirror)},
		{"path", quote(op.path)},
		{"recipe", quote(op.meta.Recipe)},
		{"task_categories", canonicalList(op.meta.TaskCategories)},
		{"title", quote(op.meta.Title)},
	}
	if hasAttr(n, "count_by") {
		op.params = append(op.params, Param{"count_by", canonicalList(op.countBy)})
	}
	return op, diags
}

func firstOr(xs []string, def string) string {
	if len(xs) > 0 {
		return xs[0]
	}
	return def
}

func (op *cardOp) Path() string      { return op.path }
func (op *cardOp) MediaType() string { return cardMediaTypes[op.format] }
func (op *cardOp) Params() []Param   { return op.params }

func (op *cardOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	in := op.n.Attrs["input"]
	if inputs[op.table] == nil {
		diags = append(diags, diag("Card input is not a table", fmt.Sprintf("%s is an output (a file); input names the table the card describes, e.g. the node the output writes.", in.Refs[0]), in.Range.Ptr()))
		return nil, diags
	}
	op.schema = inputs[op.table]
	for i, dep := range op.files.dep {
		if inputs[dep] != nil {
			diags = append(diags, diag("Data file is not an output", fmt.Sprintf("%s is a table, not an output; data_files lists output nodes, whose files (and their digests in the lock) the card describes.", op.files.names[i]), op.files.ranges[i].Ptr()))
		}
	}
	if op.countBy == nil {
		for _, c := range cardDefaultCounts {
			if op.schema.HasField(c) {
				op.countBy = append(op.countBy, c)
			}
		}
	}
	for _, c := range op.countBy {
		if !op.schema.HasField(c) {
			diags = append(diags, diag("Unknown column", fmt.Sprintf("count_by names %q, which the input does not have; its columns are %s.", c, strings.Join(columnNames(op.schema), ", ")), attrRange(op.n, "count_by")))
		}
	}
	return op.schema, diags
}

func columnNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

func (op *cardOp) Run(ctx context.Context, rc *RunContext) error {
	dir := path.Dir(op.path)
	var files []card.File
	for i, dep := range op.files.dep {
		fi := rc.Inputs[dep].File
		if fi == nil {
			return fmt.Errorf("data_files: %s is not an output", op.files.names[i])
		}
		rel, ok := relUnder(dir, fi.Path)
		if !ok {
			return fmt.Errorf("data_files: %s writes %s, outside the card's folder %s/; a dataset card describes the files beside or below it (data_files paths are relative to the card)", op.files.names[i], fi.Path, dir)
		}
		files = append(files, card.File{
			Path: rel, Format: formatOfMedia(fi.MediaType), MediaType: fi.MediaType,
			SHA256: fi.Digest.Encoded(), Size: fi.Size, Rows: rc.Inputs[dep].Rows,
		})
	}
	stats, err := op.tally(ctx, rc)
	if err != nil {
		return err
	}
	c := &card.Card{Schema: op.schema, Stats: stats, Files: files, Meta: op.meta}
	var out []byte
	if op.format == cardCroissant {
		out = c.Croissant()
	} else {
		out = c.Markdown()
	}
	_, err = rc.File.Write(out)
	return err
}

// relUnder gives p relative to dir when p is dir's descendant.
func relUnder(dir, p string) (string, bool) {
	if dir == "." {
		return p, true
	}
	rest, ok := strings.CutPrefix(p, dir+"/")
	return rest, ok && rest != ""
}

func formatOfMedia(media string) string {
	for f, m := range mediaTypes {
		if m == media {
			return string(f)
		}
	}
	return media
}

// tally reads the table once for the card's counts.
func (op *cardOp) tally(ctx context.Context, rc *RunContext) (card.Stats, error) {
	t := card.NewTally(op.countBy)
	rd, err := rc.Inputs[op.table].Open()
	if err != nil {
		return card.Stats{}, err
	}
	defer rd.Release()
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return card.Stats{}, err
		}
		rec := rd.RecordBatch()
		col := func(name string) func(int) *string {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) == 0 {
				return func(int) *string { return nil }
			}
			return stringsOf(rec.Column(idx[0]))
		}
		counted := make([]func(int) *string, len(op.countBy))
		for i, c := range op.countBy {
			counted[i] = col(c)
		}
		src, lic, up, lang := col("source"), col("license"), col("upstream"), col("language")
		for i := 0; i < int(rec.NumRows()); i++ {
			r := card.Row{Source: src(i), License: lic(i), Upstream: up(i), Language: lang(i)}
			for _, c := range counted {
				r.Counted = append(r.Counted, c(i))
			}
			t.Add(r)
		}
	}
	if err := rd.Err(); err != nil {
		return card.Stats{}, err
	}
	return t.Stats(), nil
}

// stringsOf reads a column's values as text: strings as they are, other
// scalars as their JSON Lines text; null is nil.
func stringsOf(a arrow.Array) func(int) *string {
	switch a := a.(type) {
	case *array.String:
		return func(i int) *string {
			if a.IsNull(i) {
				return nil
			}
			s := a.Value(i)
			return &s
		}
	case *array.LargeString:
		return func(i int) *string {
			if a.IsNull(i) {
				return nil
			}
			s := a.Value(i)
			return &s
		}
	case *array.Dictionary:
		vals := stringsOf(a.Dictionary())
		return func(i int) *string {
			if a.IsNull(i) {
				return nil
			}
			return vals(a.GetValueIndex(i))
		}
	}
	return func(i int) *string {
		if a.IsNull(i) {
			return nil
		}
		s := strings.Trim(a.ValueStr(i), `"`)
		return &s
	}
}
