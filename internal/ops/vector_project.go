package ops

import (
	"context"
	"fmt"
	"math"
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

var vectorProjectSpec = &Spec{
	Kind:    "vector_project",
	Version: 1,
	Doc:     "Project a vector column onto named direction vectors (a vectors node): one float32 column per vector.",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "vectors", Required: true, Mode: recipe.Refs},
		{Name: "column", Mode: recipe.Static, Type: cty.String},
		{Name: "normalize", Mode: recipe.Static, Type: cty.Bool},
		{Name: "baseline", Mode: recipe.Ref},
		{Name: "prefix", Mode: recipe.Static, Type: cty.String},
		{Name: "drop_column", Mode: recipe.Static, Type: cty.Bool},
	},
	New: newVectorProject,
}

// vectorProjectOp: for every row, dot(e, v)/|v| for each direction vector
// v (cosine dot(e, v)/(|e| |v|) with normalize), optionally after
// subtracting the mean of the baseline node's column. Batches are
// projected on several cores and emitted in input order; each value is
// computed in float64 in a fixed order (internal/vec), so it is the same
// bits on every machine. A null vector gives null projections, as does a
// zero vector under normalize.
type vectorProjectOp struct {
	n          *recipe.Node
	column     string
	normalize  bool
	prefix     string
	drop       bool // leave the vector column out of the output
	inputIn    int
	vectorIns  []int
	baselineIn int

	colIdx int
	names  []string
	d      int
	vt     vecType
}

func newVectorProject(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	op := &vectorProjectOp{n: n, column: attrString(n, "column", "embedding"), normalize: attrBool(n, "normalize", false),
		prefix: attrString(n, "prefix", "proj_"), inputIn: depIndex(n, "input"), baselineIn: depIndex(n, "baseline"),
		drop: attrBool(n, "drop_column", false)}
	for _, ref := range n.Attrs["vectors"].Refs {
		for i, d := range n.Deps {
			if d == ref {
				op.vectorIns = append(op.vectorIns, i)
			}
		}
	}
	return op, nil
}

func (op *vectorProjectOp) Params() []Param {
	return []Param{
		{"column", quote(op.column)},
		{"drop_column", fmt.Sprint(op.drop)},
		{"normalize", fmt.Sprint(op.normalize)},
		{"prefix", quote(op.prefix)},
	}
}

func (op *vectorProjectOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[op.inputIn]
	inRef := op.n.Attrs["input"].Refs[0]
	colRange := attrRange(op.n, "column")
	if !hasAttr(op.n, "column") {
		colRange = attrRange(op.n, "input")
	}
	idx := in.FieldIndices(op.column)
	if len(idx) != 1 {
		return nil, hcl.Diagnostics{diag("Unknown column", fmt.Sprintf("%s has no column %q (it has %s). Set column to its vector column.", inRef, op.column, strings.Join(SchemaFields(in), ", ")), colRange)}
	}
	op.colIdx = idx[0]
	vt, ok := vectorType(in.Field(idx[0]).Type)
	if !ok {
		return nil, hcl.Diagnostics{diag("Not a vector column", fmt.Sprintf("Column %q of %s is %s; vector_project needs fixed_size_list<float32 or float64>[d], or a list of them whose rows all have the vectors' dimension.", op.column, inRef, typeString(in.Field(idx[0]).Type)), colRange)}
	}
	op.vt = vt
	// The vectors: every column of every vectors input, in order.
	var diags hcl.Diagnostics
	op.names, op.d = nil, 0
	from := map[string]string{}
	var firstFrom string
	vrefs := op.n.Attrs["vectors"]
	for r, vi := range op.vectorIns {
		sc := inputs[vi]
		ref := vrefs.Refs[r]
		rng := &vrefs.RefRanges[r]
		for _, f := range sc.Fields() {
			fvt, ok := vectorType(f.Type)
			if !ok || !fvt.fixed {
				diags = append(diags, diag("Not a vectors node", fmt.Sprintf("%s has column %q of type %s; vectors come from a vectors block (one fixed_size_list<float32>[d] column per vector).", ref, f.Name, typeString(f.Type)), rng))
				continue
			}
			if prev, dup := from[f.Name]; dup {
				diags = append(diags, diag("Duplicate vector name", fmt.Sprintf("Vector %q comes from both %s and %s; output columns are named %s<name>.", f.Name, prev, ref, op.prefix), rng))
				continue
			}
			from[f.Name] = ref
			if op.d == 0 {
				op.d, firstFrom = fvt.d, ref
			} else if fvt.d != op.d {
				diags = append(diags, diag("Dimension mismatch", fmt.Sprintf("Vector %q of %s has dimension %d, but the vectors of %s have dimension %d.", f.Name, ref, fvt.d, firstFrom, op.d), rng))
			}
			op.names = append(op.names, f.Name)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if len(op.names) == 0 {
		return nil, hcl.Diagnostics{diag("No vectors", "The vectors nodes hold no vector.", attrRange(op.n, "vectors"))}
	}
	if vt.fixed && vt.d != op.d {
		return nil, hcl.Diagnostics{diag("Dimension mismatch", fmt.Sprintf("Column %q of %s has dimension %d (%s), but the vectors of %s have dimension %d. Embed with the model the vectors were made for, or use vectors of dimension %d.", op.column, inRef, vt.d, typeString(in.Field(idx[0]).Type), firstFrom, op.d, vt.d), attrRange(op.n, "vectors"))}
	}
	if op.baselineIn >= 0 {
		bs := inputs[op.baselineIn]
		bref := op.n.Attrs["baseline"].Refs[0]
		bi := bs.FieldIndices(op.column)
		if len(bi) != 1 {
			return nil, hcl.Diagnostics{diag("Unknown column", fmt.Sprintf("The baseline %s has no column %q.", bref, op.column), attrRange(op.n, "baseline"))}
		}
		bvt, ok := vectorType(bs.Field(bi[0]).Type)
		if !ok || (bvt.fixed && bvt.d != op.d) {
			return nil, hcl.Diagnostics{diag("Dimension mismatch", fmt.Sprintf("Column %q of the baseline %s is %s, but the vectors have dimension %d.", op.column, bref, typeString(bs.Field(bi[0]).Type), op.d), attrRange(op.n, "baseline"))}
		}
	}
	var fields []arrow.Field
	for i, f := range in.Fields() {
		if !(op.drop && i == op.colIdx) {
			fields = append(fields, f)
		}
	}
	for _, nm := range op.names {
		out := op.prefix + nm
		if len(in.FieldIndices(out)) > 0 {
			return nil, hcl.Diagnostics{diag("Column exists", fmt.Sprintf("%s already has a column %q; set prefix to name the projections apart.", inRef, out), attrRange(op.n, "vectors"))}
		}
		fields = append(fields, arrow.Field{Name: out, Type: arrow.PrimitiveTypes.Float32, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
}

// readVectors reads the vectors inputs (one row each).
func (op *vectorProjectOp) readVectors(rc *RunContext) ([][]float32, error) {
	var out [][]float32
	for _, vi := range op.vectorIns {
		in := rc.Inputs[vi]
		rd, err := in.Open()
		if err != nil {
			return nil, err
		}
		got := false
		for rd.Next() {
			rec := rd.RecordBatch()
			if rec.NumRows() == 0 {
				continue
			}
			if got || rec.NumRows() != 1 {
				rd.Release()
				return nil, fmt.Errorf("a vectors input has more than one row")
			}
			got = true
			for c := range int(rec.NumCols()) {
				var rows vectorRows
				if err := rows.load(rec.Column(c), op.d, 0); err != nil {
					rd.Release()
					return nil, err
				}
				out = append(out, append([]float32(nil), rows.values[:op.d]...))
			}
		}
		err = rd.Err()
		rd.Release()
		if err != nil {
			return nil, err
		}
		if !got {
			return nil, fmt.Errorf("a vectors input is empty")
		}
	}
	return out, nil
}

// baseline returns the float32 mean of the baseline's non-null vectors.
func (op *vectorProjectOp) baseline(ctx context.Context, rc *RunContext) ([]float32, error) {
	in := rc.Inputs[op.baselineIn]
	rd, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	ci := in.Schema.FieldIndices(op.column)[0]
	acc := make([]float64, op.d)
	var n, row int64
	var rows vectorRows
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec := rd.RecordBatch()
		if err := rows.load(rec.Column(ci), op.d, row); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		for i := range int(rec.NumRows()) {
			if !rows.isNull(i) {
				for j, x := range rows.values[i*op.d : (i+1)*op.d] {
					acc[j] += float64(x)
				}
				n++
			}
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("the baseline has no non-null %q vector", op.column)
	}
	out := make([]float32, op.d)
	for j, x := range acc {
		out[j] = float32(x / float64(n))
	}
	return out, nil
}

func (op *vectorProjectOp) Run(ctx context.Context, rc *RunContext) error {
	vecs, err := op.readVectors(rc)
	if err != nil {
		return err
	}
	var center []float32
	if op.baselineIn >= 0 {
		if center, err = op.baseline(ctx, rc); err != nil {
			return err
		}
	}
	p, err := vec.NewProjector(vecs, op.names, center, op.normalize)
	if err != nil {
		return err
	}
	in := rc.Inputs[op.inputIn]
	rd, err := in.Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	outSchema, _ := op.Prepare(inputSchemas(rc))
	return forEachOrdered(ctx, rc.Budget, rd, func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		// A shard's rows count from its range's start (RowWise).
		return op.project(rc.Mem, p, outSchema, rec, first+rc.RowOffset)
	}, rc.Emit)
}

func inputSchemas(rc *RunContext) []*arrow.Schema {
	out := make([]*arrow.Schema, len(rc.Inputs))
	for i, in := range rc.Inputs {
		out[i] = in.Schema
	}
	return out
}

func (op *vectorProjectOp) project(mem memory.Allocator, p *vec.Projector, sc *arrow.Schema, rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	var rows vectorRows
	if err := rows.load(rec.Column(op.colIdx), op.d, first); err != nil {
		return nil, fmt.Errorf("column %q: %w", op.column, err)
	}
	bufs := make([]*memory.Buffer, len(op.names))
	outs := make([][]float32, len(op.names))
	for k := range bufs {
		bufs[k] = memory.NewResizableBuffer(mem)
		bufs[k].Resize(n * 4)
		outs[k] = arrow.Float32Traits.CastFromBytes(bufs[k].Bytes())[:n]
		clear(outs[k])
	}
	var skip func(int) bool
	if rows.null != nil {
		skip = rows.isNull
	}
	var s vec.Scratch
	p.Rows(rows.values, n, skip, outs, &s)
	// Null where the vector is null, or (cosine) where it has no direction.
	var valid *memory.Buffer
	nulls := 0
	if n > 0 {
		for i := range n {
			if rows.isNull(i) || op.normalize && isNaN32(outs[0][i]) {
				nulls++
			}
		}
	}
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		vb := valid.Bytes()
		clear(vb)
		for i := range n {
			if rows.isNull(i) || op.normalize && isNaN32(outs[0][i]) {
				for k := range outs {
					outs[k][i] = 0
				}
				continue
			}
			bitutil.SetBit(vb, i)
		}
	}
	var cols []arrow.Array
	for i, c := range rec.Columns() {
		if !(op.drop && i == op.colIdx) {
			cols = append(cols, c)
		}
	}
	var made []arrow.Array
	for k := range bufs {
		data := array.NewData(arrow.PrimitiveTypes.Float32, n, []*memory.Buffer{valid, bufs[k]}, nil, nulls, 0)
		a := array.MakeFromData(data)
		data.Release()
		bufs[k].Release()
		made = append(made, a)
		cols = append(cols, a)
	}
	if valid != nil {
		valid.Release()
	}
	out := array.NewRecordBatch(sc, cols, int64(n))
	for _, a := range made {
		a.Release()
	}
	return out, nil
}

func isNaN32(x float32) bool { return math.IsNaN(float64(x)) }
