package ops

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/vec"
)

// vectorsSpec: named direction vectors, as an artifact of one row with one
// fixed_size_list<float32>[d] column per vector (so their names and
// dimension are in the schema, and vector_project checks them before
// anything runs). Either read from a file pinned like a fetch (url,
// digest), or derived from two sets of embeddings as the normalized
// difference of their means (the persona-vector recipe).
var vectorsSpec = &Spec{
	Kind:    "vectors",
	Version: 1,
	Doc:     "Named direction vectors: from a pinned .npy, .safetensors, JSON, Parquet or Arrow file, or derived from contrastive sets (positive, negative) as the normalized difference of their mean embeddings.",
	Attrs: []recipe.AttrSpec{
		{Name: "url", Mode: recipe.Static, Type: cty.String},
		{Name: "digest", Mode: recipe.Static, Type: cty.String},
		{Name: "format", Mode: recipe.Static, Type: cty.String},
		{Name: "names", Mode: recipe.Static, Type: cty.List(cty.String)},
		{Name: "name_column", Mode: recipe.Static, Type: cty.String},
		{Name: "vector_column", Mode: recipe.Static, Type: cty.String},
		{Name: "positive", Mode: recipe.Ref},
		{Name: "negative", Mode: recipe.Ref},
		{Name: "column", Mode: recipe.Static, Type: cty.String},
		{Name: "name", Mode: recipe.Static, Type: cty.String},
		{Name: "dimensions", Mode: recipe.Static, Type: cty.Number},
	},
	Keys: map[string]AttrKey{
		"url":    {Use: KeyNone, Why: "where the bytes come from, not what they are: the pinned digest of the bytes is the key's input, as for fetch"},
		"digest": {Use: KeyPin},
	},
	New: newVectors,
}

var vectorFormats = []string{"npy", "safetensors", "json", "parquet", "arrow"}

func newVectors(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	fileAttrs := []string{"url", "digest", "format", "names", "name_column", "vector_column"}
	derivedAttrs := []string{"positive", "negative", "column", "name", "dimensions"}
	file, derived := hasAttr(n, "url"), hasAttr(n, "positive") || hasAttr(n, "negative")
	switch {
	case file && derived:
		return nil, hcl.Diagnostics{diag("Two sources of vectors", "A vectors block reads a file (url) or derives vectors from contrastive sets (positive, negative), not both.", attrRange(n, "url"))}
	case !file && !derived:
		return nil, hcl.Diagnostics{diag("No source of vectors", `Set url (a .npy, .safetensors, JSON, Parquet or Arrow file, pinned with digest), or positive and negative (node references) with column, e.g. positive = filter.high, negative = filter.low, column = "embedding".`, &n.DeclRange)}
	}
	wrong := derivedAttrs
	if derived {
		wrong = fileAttrs
	}
	for _, a := range wrong {
		if hasAttr(n, a) {
			what := "derived vectors (positive, negative)"
			if derived {
				what = "vectors read from a file (url)"
			}
			diags = append(diags, diag("Attribute does not apply", fmt.Sprintf("%s applies only to %s.", a, what), attrRange(n, a)))
		}
	}
	if derived {
		op := &derivedVectorsOp{column: attrString(n, "column", "embedding"), name: attrString(n, "name", n.Name), n: n}
		dims, _, d := attrInt(n, "dimensions", 1, 1<<20)
		diags = append(diags, d...)
		op.dims = int(dims)
		if !hasAttr(n, "positive") || !hasAttr(n, "negative") {
			diags = append(diags, diag("Missing contrastive set", "Derived vectors need both positive and negative (node references), e.g. positive = filter.high_empathy, negative = filter.low_empathy.", &n.DeclRange))
			return nil, diags
		}
		op.posIn, op.negIn = depIndex(n, "positive"), depIndex(n, "negative")
		if op.name == "" {
			diags = append(diags, diag("Invalid name", "name must not be empty.", attrRange(n, "name")))
		}
		return op, diags
	}
	op := &fileVectorsOp{url: relativeToRecipe(attrString(n, "url", ""), n.DeclRange.Filename, env.RecipeDir), names: attrStrings(n, "names"), def: n.Name,
		nameCol: attrString(n, "name_column", "name"), vecCol: attrString(n, "vector_column", "vector")}
	u, err := url.Parse(op.url)
	if err != nil || op.url == "" {
		return nil, append(diags, diag("Invalid URL", fmt.Sprintf("%q is not a URL: %v. Use https://..., hf://datasets/ORG/NAME@REV/PATH, or a path relative to the recipe.", op.url, err), attrRange(n, "url")))
	}
	op.base = path.Base(u.Path)
	if d := attrString(n, "digest", ""); d != "" {
		pd, err := digest.Parse(d)
		if err != nil || pd.Algorithm() != digest.SHA256 {
			diags = append(diags, diag("Invalid digest", fmt.Sprintf("%q is not a sha256 digest. Write it as \"sha256:<64 hex digits>\" (sha256sum FILE prints the hex).", d), attrRange(n, "digest")))
		} else {
			op.pin = pd
		}
	}
	op.format = attrString(n, "format", "")
	if op.format == "" {
		ext := strings.TrimPrefix(path.Ext(op.base), ".")
		switch ext {
		case "feather", "ipc", "arrows":
			ext = "arrow"
		}
		if !slices.Contains(vectorFormats, ext) {
			diags = append(diags, diag("Unknown format", fmt.Sprintf("Cannot tell the format of %q from its name. Set format = %q.", op.base, strings.Join(vectorFormats, `", "`)), attrRange(n, "url")))
		}
		op.format = ext
	} else if !slices.Contains(vectorFormats, op.format) {
		diags = append(diags, diag("Unknown format", fmt.Sprintf("format %q is not one of %s.", op.format, strings.Join(vectorFormats, ", ")), attrRange(n, "format")))
	}
	if len(op.names) > 0 && op.format != "npy" {
		diags = append(diags, diag("Attribute does not apply", "names names the rows of a .npy array; the other formats name their vectors themselves.", attrRange(n, "names")))
	}
	seen := map[string]bool{}
	for _, nm := range op.names {
		if nm == "" || seen[nm] {
			diags = append(diags, diag("Invalid names", fmt.Sprintf("names must be distinct and non-empty; %q is not.", nm), attrRange(n, "names")))
		}
		seen[nm] = true
	}
	if p, ok := fetch.LocalPath(op.url, env.RecipeDir); ok {
		if err := fetch.CheckLocalPath(p); err != nil {
			diags = append(diags, diag("Not a regular file", fmt.Sprintf("%v. Point url at a regular file.", err), attrRange(n, "url")))
		}
	}
	return op, diags
}

// depIndex is the position of attribute role's reference among n's
// inputs (each node once, in dependency order).
func depIndex(n *recipe.Node, role string) int {
	a := n.Attrs[role]
	if a == nil || len(a.Refs) == 0 {
		return -1
	}
	for i, d := range n.Deps {
		if d == a.Refs[0] {
			return i
		}
	}
	return -1
}

// fileVectorsOp reads vectors from a pinned file: a Source, so the
// executor fetches, mirrors, pins and verifies its bytes like a fetch's.
type fileVectorsOp struct {
	url, base, format string
	pin               digest.Digest
	names             []string
	def               string
	nameCol, vecCol   string
}

func (op *fileVectorsOp) URLs() []string     { return []string{op.url} }
func (op *fileVectorsOp) Pin() digest.Digest { return op.pin }

// Params omit the URL and the pin, as fetch's do: the bytes enter the key
// as the pinned digest.
func (op *fileVectorsOp) Params() []Param {
	ps := []Param{{"format", quote(op.format)}}
	switch op.format {
	case "npy":
		ps = append(ps, Param{"names", canonicalList(op.names)}, Param{"default_name", quote(op.def)})
	case "parquet", "arrow":
		ps = append(ps, Param{"name_column", quote(op.nameCol)}, Param{"vector_column", quote(op.vecCol)})
	}
	return ps
}

// Prepare cannot know the names and the dimension before the file is read.
func (op *fileVectorsOp) Prepare([]*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) { return nil, nil }

func (op *fileVectorsOp) Run(ctx context.Context, rc *RunContext) error {
	vs, err := op.read(ctx, rc)
	if err != nil {
		return fmt.Errorf("reading vectors from %s: %w", op.base, err)
	}
	return emitVectors(rc, vs)
}

func (op *fileVectorsOp) read(ctx context.Context, rc *RunContext) ([]vec.Named, error) {
	p := rc.RawPaths[0]
	switch op.format {
	case "parquet", "arrow":
		return readVectorTable(ctx, rc.Mem, p, op.format, op.nameCol, op.vecCol)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, vec.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > vec.MaxFileSize {
		return nil, fmt.Errorf("the file is larger than %d bytes; direction vectors are small", vec.MaxFileSize)
	}
	switch op.format {
	case "npy":
		return vec.ReadNPY(b, op.names, op.def)
	case "safetensors":
		return vec.ReadSafetensors(b)
	default:
		return vec.ReadJSON(b)
	}
}

// readVectorTable reads a Parquet or Arrow table of (name, vector) rows.
func readVectorTable(ctx context.Context, mem memory.Allocator, p, format, nameCol, vecCol string) ([]vec.Named, error) {
	f := arrowio.Parquet
	if format == "arrow" {
		f = arrowio.Arrow
	}
	rd, err := arrowio.Open(ctx, mem, []string{p}, arrowio.ReadOptions{Format: f, BatchSize: 1024})
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	sc := rd.Schema()
	ni, vi := sc.FieldIndices(nameCol), sc.FieldIndices(vecCol)
	if len(ni) != 1 || len(vi) != 1 {
		return nil, fmt.Errorf("the table needs a string column %q and a vector column %q (name_column, vector_column); it has %s", nameCol, vecCol, strings.Join(SchemaFields(sc), ", "))
	}
	vt, ok := vectorType(sc.Field(vi[0]).Type)
	if !ok {
		return nil, fmt.Errorf("column %q is %s, not a list of float32 or float64", vecCol, typeString(sc.Field(vi[0]).Type))
	}
	var out []vec.Named
	var row int64
	var rows vectorRows
	for rd.Next() {
		rec := rd.RecordBatch()
		names, ok := rec.Column(ni[0]).(*array.String)
		if !ok {
			return nil, fmt.Errorf("column %q is %s, not a string", nameCol, rec.Column(ni[0]).DataType())
		}
		col := rec.Column(vi[0])
		d := vt.d
		if d == 0 {
			// A plain list: the first row sets the dimension.
			if col.Len() > 0 && col.IsValid(0) {
				lo, hi := col.(array.ListLike).ValueOffsets(0)
				d = int(hi - lo)
			}
			if len(out) > 0 {
				d = len(out[0].Values)
			}
		}
		if err := rows.load(col, d, row); err != nil {
			return nil, err
		}
		for i := range int(rec.NumRows()) {
			if names.IsNull(i) || rows.isNull(i) {
				return nil, fmt.Errorf("row %d: a null name or vector", row+int64(i))
			}
			out = append(out, vec.Named{Name: names.Value(i), Values: slices.Clone(rows.values[i*d : (i+1)*d])})
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// emitVectors checks the vectors (distinct names, one dimension, finite,
// non-zero) and emits the one-row artifact.
func emitVectors(rc *RunContext, vs []vec.Named) error {
	if len(vs) == 0 {
		return fmt.Errorf("no vectors")
	}
	d := len(vs[0].Values)
	seen := map[string]bool{}
	names := make([]string, len(vs))
	for i, v := range vs {
		if v.Name == "" || seen[v.Name] {
			return fmt.Errorf("vector names must be distinct and non-empty; %q is not", v.Name)
		}
		seen[v.Name] = true
		names[i] = v.Name
		if len(v.Values) != d {
			return fmt.Errorf("vector %q has dimension %d, vector %q has %d", v.Name, len(v.Values), vs[0].Name, d)
		}
		if d == 0 {
			return fmt.Errorf("vector %q is empty", v.Name)
		}
		var ss float64
		for j, x := range v.Values {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("vector %q: element %d is %v", v.Name, j, x)
			}
			ss += float64(x) * float64(x)
		}
		if ss == 0 {
			return fmt.Errorf("vector %q is all zeros: it has no direction", v.Name)
		}
	}
	sc := vectorsSchema(names, d)
	if err := rc.DeclareSchema(sc); err != nil {
		return err
	}
	cols := make([]arrow.Array, len(vs))
	for i, v := range vs {
		b := array.NewFixedSizeListBuilder(rc.Mem, int32(d), arrow.PrimitiveTypes.Float32)
		b.Append(true)
		b.ValueBuilder().(*array.Float32Builder).AppendValues(v.Values, nil)
		cols[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(sc, cols, 1)
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return rc.Emit(rec)
}

// derivedVectorsOp: mean(positive.column) − mean(negative.column),
// normalized to unit length, summed in float64 in input order.
type derivedVectorsOp struct {
	n            *recipe.Node
	column, name string
	posIn, negIn int
	dims         int // declared length of a list column's rows (0: none)
	d            int
}

func (op *derivedVectorsOp) Params() []Param {
	return []Param{{"column", quote(op.column)}, {"dimensions", fmt.Sprint(op.dims)}, {"method", `"mean_difference_normalized"`}, {"name", quote(op.name)}}
}

func (op *derivedVectorsOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	dims := map[string]int{}
	for _, role := range []string{"positive", "negative"} {
		sc := inputs[depIndex(op.n, role)]
		rng := attrRange(op.n, "column")
		if !hasAttr(op.n, "column") {
			rng = attrRange(op.n, role)
		}
		idx := sc.FieldIndices(op.column)
		if len(idx) != 1 {
			diags = append(diags, diag("Unknown column", fmt.Sprintf("The %s set %s has no column %q (it has %s). Set column to its embedding column.", role, op.n.Attrs[role].Refs[0], op.column, strings.Join(SchemaFields(sc), ", ")), rng))
			continue
		}
		vt, ok := vectorType(sc.Field(idx[0]).Type)
		switch {
		case !ok:
			diags = append(diags, diag("Not a vector column", fmt.Sprintf("Column %q of the %s set %s is %s; derived vectors need fixed_size_list<float32 or float64>[d] (the type embed gives), or a list of them with dimensions set.", op.column, role, op.n.Attrs[role].Refs[0], typeString(sc.Field(idx[0]).Type)), rng))
			continue
		case !vt.fixed && op.dims == 0:
			diags = append(diags, diag("Dimension unknown", fmt.Sprintf("Column %q of the %s set %s is %s, whose rows may have any length; set dimensions = <d> (every non-null row must have d elements).", op.column, role, op.n.Attrs[role].Refs[0], typeString(sc.Field(idx[0]).Type)), rng))
			continue
		case vt.fixed && op.dims != 0 && op.dims != vt.d:
			diags = append(diags, diag("Dimension mismatch", fmt.Sprintf("dimensions = %d, but column %q of the %s set %s has dimension %d.", op.dims, op.column, role, op.n.Attrs[role].Refs[0], vt.d), attrRange(op.n, "dimensions")))
			continue
		case vt.fixed:
			dims[role] = vt.d
		default:
			dims[role] = op.dims
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if dims["positive"] != dims["negative"] {
		return nil, hcl.Diagnostics{diag("Dimension mismatch", fmt.Sprintf("Column %q has dimension %d in the positive set and %d in the negative set.", op.column, dims["positive"], dims["negative"]), attrRange(op.n, "negative"))}
	}
	op.d = dims["positive"]
	return vectorsSchema([]string{op.name}, op.d), nil
}

func (op *derivedVectorsOp) Run(ctx context.Context, rc *RunContext) error {
	pos, np, err := op.sum(ctx, rc.Inputs[op.posIn])
	if err != nil {
		return fmt.Errorf("positive set: %w", err)
	}
	neg, nn, err := op.sum(ctx, rc.Inputs[op.negIn])
	if err != nil {
		return fmt.Errorf("negative set: %w", err)
	}
	if np == 0 || nn == 0 {
		return fmt.Errorf("the positive set has %d and the negative set %d rows with a %q vector; both need at least one", np, nn, op.column)
	}
	diff := make([]float64, op.d)
	var ss float64
	for j := range diff {
		diff[j] = pos[j]/float64(np) - neg[j]/float64(nn)
		ss += float64(diff[j] * diff[j]) // no fused multiply-add: the same bits on every platform
	}
	if ss == 0 {
		return fmt.Errorf("the positive and negative sets have the same mean %q: the difference has no direction", op.column)
	}
	norm := math.Sqrt(ss)
	out := make([]float32, op.d)
	for j, x := range diff {
		out[j] = float32(x / norm)
	}
	return emitVectors(rc, []vec.Named{{Name: op.name, Values: out}})
}

// sum adds the non-null vectors of in's column, in input order.
func (op *derivedVectorsOp) sum(ctx context.Context, in Input) ([]float64, int64, error) {
	rd, err := in.Open()
	if err != nil {
		return nil, 0, err
	}
	defer rd.Release()
	ci := in.Schema.FieldIndices(op.column)[0]
	acc := make([]float64, op.d)
	var count, row int64
	var rows vectorRows
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rec := rd.RecordBatch()
		if err := rows.load(rec.Column(ci), op.d, row); err != nil {
			return nil, 0, err
		}
		for i := range int(rec.NumRows()) {
			if rows.isNull(i) {
				continue
			}
			for j, x := range rows.values[i*op.d : (i+1)*op.d] {
				acc[j] += float64(x)
			}
			count++
		}
		row += rec.NumRows()
	}
	return acc, count, rd.Err()
}
