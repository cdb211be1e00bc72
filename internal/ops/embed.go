package ops

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/vec"
)

var embedSpec = &Spec{
	Kind:    "embed",
	Version: 1,
	Doc:     "Embed a text column as a fixed_size_list<float32>[d] column: the built-in hash-<d> embedder (deterministic, offline) or an OpenAI-compatible /v1/embeddings endpoint (cached per text, non-deterministic).",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "column", Mode: recipe.Static, Type: cty.String},
		{Name: "output", Mode: recipe.Static, Type: cty.String},
		{Name: "model", Mode: recipe.Static, Type: cty.String},
		{Name: "dimensions", Mode: recipe.Static, Type: cty.Number},
		{Name: "endpoint", Mode: recipe.Static, Type: cty.String},
		{Name: "batch", Mode: recipe.Static, Type: cty.Number},
		{Name: "concurrency", Mode: recipe.Static, Type: cty.Number},
	},
	Keys: map[string]AttrKey{
		"endpoint":    {Use: KeyNone, Why: "like a mirror, the server is where vectors come from, not what they are; model and dimensions are"},
		"batch":       {Use: KeyNone, Why: "texts per request: how vectors are asked for, not what they are"},
		"concurrency": {Use: KeyNone, Why: "requests in flight: how vectors are asked for, not what they are"},
	},
	New: newEmbed,
}

// embedOp appends a vector column computed from a text column. A null
// text gives a null vector. The hash embedder runs batch-parallel and is
// the same bits everywhere; the HTTP backend is marked non-deterministic
// (verify checks its pinned output instead of asking the server again).
type embedOp struct {
	n           *recipe.Node
	column      string
	output      string
	model       string // "hash-<d>" or "openai:<name>"
	d           int
	endpoint    string
	batch, conc int
	colIdx      int
}

func newEmbed(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &embedOp{n: n, column: attrString(n, "column", "text"), output: attrString(n, "output", "embedding"),
		model: attrString(n, "model", "hash-256"), endpoint: attrString(n, "endpoint", "")}
	mr := attrRange(n, "model")
	if mr == nil {
		mr = &n.DeclRange
	}
	switch {
	case strings.HasPrefix(op.model, "hash-"):
		d, err := strconv.Atoi(strings.TrimPrefix(op.model, "hash-"))
		if err != nil || d < 2 || d > 65536 || strconv.Itoa(d) != strings.TrimPrefix(op.model, "hash-") {
			diags = append(diags, diag("Invalid model", fmt.Sprintf("model %q: the built-in embedder is hash-<d> with a dimension d from 2 to 65536, e.g. \"hash-256\".", op.model), mr))
		}
		op.d = d
		for _, a := range []string{"endpoint", "dimensions", "batch", "concurrency"} {
			if hasAttr(n, a) {
				diags = append(diags, diag("Attribute does not apply", fmt.Sprintf("%s applies to model = \"openai:<name>\" only; the built-in %s embedder has its dimension in its name.", a, op.model), attrRange(n, a)))
			}
		}
	case strings.HasPrefix(op.model, "openai:") && len(op.model) > len("openai:"):
		if op.endpoint == "" {
			diags = append(diags, diag("Missing endpoint", "model = \"openai:<name>\" needs endpoint, an OpenAI-compatible server (e.g. \"http://localhost:8000/v1\"). The API key is read from $OPENAI_API_KEY.", mr))
		}
		d, ok, dd := attrInt(n, "dimensions", 1, 65536)
		diags = append(diags, dd...)
		if !ok && !dd.HasErrors() {
			diags = append(diags, diag("Missing dimensions", "model = \"openai:<name>\" needs dimensions, the length of the model's vectors (e.g. 768), so the column's type is known before the server is asked.", mr))
		}
		op.d = int(d)
		b, _, dd := attrInt(n, "batch", 1, 4096)
		diags = append(diags, dd...)
		c, _, dd := attrInt(n, "concurrency", 1, 64)
		diags = append(diags, dd...)
		op.batch, op.conc = int(b), int(c)
	default:
		diags = append(diags, diag("Invalid model", fmt.Sprintf("model %q is not \"hash-<d>\" (built in, offline) or \"openai:<name>\" (an OpenAI-compatible endpoint).", op.model), mr))
	}
	return op, diags
}

func (op *embedOp) Params() []Param {
	ps := []Param{{"column", quote(op.column)}, {"model", quote(op.model)}, {"output", quote(op.output)}}
	if !op.hash() {
		ps = append(ps, Param{"dimensions", strconv.Itoa(op.d)})
	}
	return ps
}

func (op *embedOp) hash() bool { return strings.HasPrefix(op.model, "hash-") }

// Nondeterministic: a server's vectors cannot be reproduced by asking
// again (another GPU, another batch composition), so verify checks the
// pinned output.
func (op *embedOp) Nondeterministic() bool { return !op.hash() }

func (op *embedOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	rng := attrRange(op.n, "column")
	if rng == nil {
		rng = attrRange(op.n, "input")
	}
	idx := in.FieldIndices(op.column)
	if len(idx) != 1 {
		return nil, hcl.Diagnostics{diag("Unknown column", fmt.Sprintf("%s has no column %q (it has %s). Set column to the text column.", op.n.Attrs["input"].Refs[0], op.column, strings.Join(SchemaFields(in), ", ")), rng)}
	}
	switch in.Field(idx[0]).Type.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
	default:
		return nil, hcl.Diagnostics{diag("Not a text column", fmt.Sprintf("Column %q is %s; embed reads strings.", op.column, typeString(in.Field(idx[0]).Type)), rng)}
	}
	op.colIdx = idx[0]
	if len(in.FieldIndices(op.output)) > 0 {
		return nil, hcl.Diagnostics{diag("Column exists", fmt.Sprintf("%s already has a column %q; set output to another name.", op.n.Attrs["input"].Refs[0], op.output), attrRange(op.n, "output"))}
	}
	fields := append(append([]arrow.Field(nil), in.Fields()...), arrow.Field{
		Name: op.output, Type: arrow.FixedSizeListOf(int32(op.d), arrow.PrimitiveTypes.Float32), Nullable: true})
	return arrow.NewSchema(fields, nil), nil
}

type stringsCol interface {
	arrow.Array
	Value(int) string
}

func (op *embedOp) Run(ctx context.Context, rc *RunContext) error {
	in := rc.Inputs[0]
	sc, diags := op.Prepare([]*arrow.Schema{in.Schema})
	if diags.HasErrors() {
		return diags
	}
	rd, err := in.Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	if op.hash() {
		h := vec.HashEmbedder{D: op.d}
		return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
			acc := make([]float64, op.d)
			return op.attach(rc.Mem, sc, rec, func(texts stringsCol, out []float32) error {
				for i := range texts.Len() {
					if texts.IsValid(i) {
						h.Embed(texts.Value(i), out[i*op.d:(i+1)*op.d], acc)
					}
				}
				return nil
			})
		}, rc.Emit)
	}
	client := &vec.EmbedClient{Endpoint: op.endpoint, Model: strings.TrimPrefix(op.model, "openai:"), Dimensions: op.d,
		APIKey: os.Getenv("OPENAI_API_KEY"), Batch: op.batch, Concurrency: op.conc}
	if rc.Memo != nil {
		client.Cache = rc.Memo
	}
	defer func() {
		if rc.Logf != nil {
			rc.Logf("%d embedding requests to %s", client.Calls(), client.URL())
		}
	}()
	// Batches in order: the client has its own bounded concurrency.
	for rd.Next() {
		rec := rd.RecordBatch()
		out, err := op.attach(rc.Mem, sc, rec, func(texts stringsCol, out []float32) error {
			var ts []string
			var rows []int
			for i := range texts.Len() {
				if texts.IsValid(i) {
					ts = append(ts, texts.Value(i))
					rows = append(rows, i)
				}
			}
			vs, err := client.Embed(ctx, ts)
			if err != nil {
				return err
			}
			for k, i := range rows {
				copy(out[i*op.d:(i+1)*op.d], vs[k])
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = rc.Emit(out)
		out.Release()
		if err != nil {
			return err
		}
	}
	return rd.Err()
}

// attach builds the vector column for rec with fill (which writes each
// non-null text's vector; null texts stay zero and null) and returns rec
// with it appended.
func (op *embedOp) attach(mem memory.Allocator, sc *arrow.Schema, rec arrow.RecordBatch, fill func(stringsCol, []float32) error) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	texts, ok := rec.Column(op.colIdx).(stringsCol)
	if !ok {
		return nil, fmt.Errorf("column %q is %s, not text", op.column, rec.Column(op.colIdx).DataType())
	}
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(n * op.d * 4)
	out := arrow.Float32Traits.CastFromBytes(vals.Bytes())[:n*op.d]
	clear(out)
	if err := fill(texts, out); err != nil {
		vals.Release()
		return nil, err
	}
	for _, x := range out {
		if math.IsNaN(float64(x)) {
			vals.Release()
			return nil, fmt.Errorf("internal: NaN in an embedding")
		}
	}
	var valid *memory.Buffer
	nulls := texts.NullN()
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		vb := valid.Bytes()
		clear(vb)
		for i := range n {
			if texts.IsValid(i) {
				bitutil.SetBit(vb, i)
			}
		}
	}
	child := array.NewData(arrow.PrimitiveTypes.Float32, n*op.d, []*memory.Buffer{nil, vals}, nil, 0, 0)
	vals.Release()
	ft := sc.Field(sc.NumFields() - 1).Type
	ld := array.NewData(ft, n, []*memory.Buffer{valid}, []arrow.ArrayData{child}, nulls, 0)
	child.Release()
	if valid != nil {
		valid.Release()
	}
	col := array.MakeFromData(ld)
	ld.Release()
	defer col.Release()
	cols := append(append([]arrow.Array(nil), rec.Columns()...), col)
	return array.NewRecordBatch(sc, cols, int64(n)), nil
}
