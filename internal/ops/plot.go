package ops

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var plotSpec = &Spec{
	Kind:    "plot",
	Version: 1,
	Doc:     "Write a PNG inside the project: the mean of a column per turn, one line per group, with a band (95% confidence interval of the mean, or ±1 standard deviation).",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "path", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "x", Mode: recipe.Static, Type: cty.String},
		{Name: "y", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "group", Mode: recipe.Static, Type: cty.String},
		{Name: "where", Mode: recipe.RowExpr},
		{Name: "band", Mode: recipe.Static, Type: cty.String},
		{Name: "min_count", Mode: recipe.Static, Type: cty.Number},
		{Name: "title", Mode: recipe.Static, Type: cty.String},
	},
	New: newPlot,
}

// plotOp draws, for each group (a string column; null is "(null)"), the
// mean of y at each x (an integer column, e.g. the turn), as a line with a
// shaded band, groups in name order. Points with fewer than min_count
// values are left out. Pure Go rendering with an embedded font, so the PNG
// is the same bytes on every machine. Memory: per (group, x) a count, a sum
// and a sum of squares.
type plotOp struct {
	n           *recipe.Node
	path        string
	x, y, group string
	band, title string
	minCount    int
	where       *recipe.Attr
	canon       string
	varPs       []Param
	vars        map[string]cty.Value
	prog        *expr.Program
	xi, yi, gi  int
}

func newPlot(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	clean, diags := checkOutputPath(n, env, attrString(n, "path", ""))
	if diags.HasErrors() {
		return nil, diags
	}
	if !strings.HasSuffix(strings.ToLower(clean), ".png") {
		diags = append(diags, diag("Not a PNG path", fmt.Sprintf("plot writes PNG images; name the file *.png, not %q.", clean), attrRange(n, "path")))
	}
	op := &plotOp{n: n, path: clean, x: attrString(n, "x", "turn"), y: attrString(n, "y", ""), group: attrString(n, "group", ""),
		band: attrString(n, "band", "ci95"), title: attrString(n, "title", ""), where: n.Attrs["where"], vars: env.Vars}
	if op.band != "ci95" && op.band != "sd" {
		diags = append(diags, diag("Unknown band", fmt.Sprintf("band %q is not \"ci95\" (95%% confidence interval of the mean) or \"sd\" (±1 standard deviation).", op.band), attrRange(n, "band")))
	}
	mc, ok, d := attrInt(n, "min_count", 1, math.MaxInt32)
	diags = append(diags, d...)
	op.minCount = 1
	if ok {
		op.minCount = int(mc)
	}
	if op.where != nil {
		var d hcl.Diagnostics
		op.canon, d = canonicalExpr(op.where)
		diags = append(diags, d...)
		op.varPs = varParams(env.Vars, op.where.Expr)
	}
	return op, diags
}

func (op *plotOp) Path() string      { return op.path }
func (op *plotOp) MediaType() string { return "image/png" }

func (op *plotOp) Params() []Param {
	ps := []Param{
		{"band", quote(op.band)}, {"group", quote(op.group)}, {"min_count", fmt.Sprint(op.minCount)},
		{"path", quote(op.path)}, {"title", quote(op.title)}, {"where", op.canon}, {"x", quote(op.x)}, {"y", quote(op.y)},
	}
	return append(ps, op.varPs...)
}

func (op *plotOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	in := inputs[0]
	var diags hcl.Diagnostics
	col := func(name, attr string, ok func(arrow.DataType) bool, want string) int {
		idx := in.FieldIndices(name)
		rng := attrRange(op.n, attr)
		if rng == nil {
			rng = attrRange(op.n, "input")
		}
		if len(idx) != 1 {
			diags = append(diags, diag("Unknown column", fmt.Sprintf("%s has no column %q (it has %s).", op.n.Attrs["input"].Refs[0], name, strings.Join(SchemaFields(in), ", ")), rng))
			return -1
		}
		if !ok(in.Field(idx[0]).Type) {
			diags = append(diags, diag("Wrong column type", fmt.Sprintf("Column %q is %s; %s must be %s.", name, typeString(in.Field(idx[0]).Type), attr, want), rng))
		}
		return idx[0]
	}
	op.xi = col(op.x, "x", isInteger, "an integer (the turn)")
	op.yi = col(op.y, "y", isNumeric, "a number")
	op.gi = -1
	if op.group != "" {
		op.gi = col(op.group, "group", func(dt arrow.DataType) bool { return dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING }, "a string")
	}
	if op.where != nil {
		prog, d := expr.Compile(op.where.Expr, in, op.vars)
		diags = append(diags, d...)
		op.prog = prog
		if prog != nil && !d.HasErrors() && !arrow.TypeEqual(prog.Type(), arrow.FixedWidthTypes.Boolean) {
			r := op.where.Expr.Range()
			diags = append(diags, diag("Condition is not a boolean", fmt.Sprintf("where must be true or false for each row, but gives %s.", prog.Type()), &r))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return in, nil
}

type moments struct{ n, sum, sq float64 }

func (op *plotOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	acc := map[string]map[int64]*moments{}
	var row int64
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rd.RecordBatch()
		mask, err := whereMask(ctx, rc.Mem, op.prog, rec, row)
		if err != nil {
			return err
		}
		xs, ys := rec.Column(op.xi), rec.Column(op.yi)
		for i := range int(rec.NumRows()) {
			if !kept(mask, i) || xs.IsNull(i) || ys.IsNull(i) {
				continue
			}
			g := ""
			if op.gi >= 0 {
				gc := rec.Column(op.gi)
				if gc.IsNull(i) {
					g = "(null)"
				} else {
					g = gc.(interface{ Value(int) string }).Value(i)
				}
			}
			y := numberAt(ys, i)
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			x := int64(numberAt(xs, i))
			if c, ok := xs.(*array.Int64); ok {
				x = c.Value(i)
			}
			if acc[g] == nil {
				acc[g] = map[int64]*moments{}
			}
			m := acc[g][x]
			if m == nil {
				m = &moments{}
				acc[g][x] = m
			}
			m.n++
			m.sum += y
			m.sq += float64(y * y) // no fused multiply-add: the same bits on every platform
		}
		if mask != nil {
			mask.Release()
		}
		row += rec.NumRows()
	}
	if err := rd.Err(); err != nil {
		return err
	}
	img, err := op.draw(acc)
	if err != nil {
		return err
	}
	_, err = img.WriteTo(rc.File)
	return err
}

// wholeTicks labels turn ticks as whole numbers ("25", not "25.00").
type wholeTicks struct{}

func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	out := ts[:0]
	for _, t := range ts {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
		out = append(out, t)
	}
	return out
}

// palette: colour-blind-safe (Okabe-Ito).
var palette = []color.NRGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{230, 159, 0, 255}, {86, 180, 233, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

func (op *plotOp) draw(acc map[string]map[int64]*moments) (*vgimg.PngCanvas, error) {
	p, _, err := op.figure(acc)
	if err != nil {
		return nil, err
	}
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(8*vg.Inch, 5*vg.Inch), vgimg.UseDPI(96))}
	p.Draw(draw.New(c))
	return &c, nil
}

// figure builds the plot and returns it with the lines drawn, one per
// group that has a point.
func (op *plotOp) figure(acc map[string]map[int64]*moments) (*plot.Plot, []*plotter.Line, error) {
	var lines []*plotter.Line
	p := plot.New()
	p.Title.Text = op.title
	if p.Title.Text == "" {
		p.Title.Text = fmt.Sprintf("mean %s per %s", op.y, op.x)
	}
	p.X.Label.Text = op.x
	p.X.Tick.Marker = wholeTicks{}
	what := "95% CI of the mean"
	if op.band == "sd" {
		what = "±1 sd"
	}
	p.Y.Label.Text = fmt.Sprintf("%s (mean, band: %s)", op.y, what)
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	groups := make([]string, 0, len(acc))
	for g := range acc {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for gi, g := range groups {
		xs := make([]int64, 0, len(acc[g]))
		for x, m := range acc[g] {
			if m.n >= float64(op.minCount) {
				xs = append(xs, x)
			}
		}
		if len(xs) == 0 {
			continue
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
		line := make(plotter.XYs, len(xs))
		band := make(plotter.XYs, 0, 2*len(xs))
		lo := make([]plotter.XY, len(xs))
		for i, x := range xs {
			m := acc[g][x]
			mean := m.sum / m.n
			v := math.Max(0, m.sq/m.n-float64(mean*mean))
			if m.n > 1 {
				v *= m.n / (m.n - 1)
			}
			w := math.Sqrt(v)
			if op.band == "ci95" {
				w = 1.96 * w / math.Sqrt(m.n)
			}
			line[i] = plotter.XY{X: float64(x), Y: mean}
			band = append(band, plotter.XY{X: float64(x), Y: mean + w})
			lo[i] = plotter.XY{X: float64(x), Y: mean - w}
		}
		for i := len(lo) - 1; i >= 0; i-- {
			band = append(band, lo[i])
		}
		c := palette[gi%len(palette)]
		if len(band) >= 3 {
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, nil, err
			}
			fill := c
			fill.A = 60
			poly.Color = fill
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, nil, err
		}
		lines = append(lines, l)
		l.Color = c
		l.Width = vg.Points(2)
		p.Add(l)
		label := g
		if label == "" && op.gi < 0 {
			label = op.y
		}
		p.Legend.Add(label, l)
	}
	return p, lines, nil
}
