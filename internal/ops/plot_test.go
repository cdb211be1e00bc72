package ops

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// The figure has labelled axes and one line per group (groups without a
// point that reaches min_count are left out), and the PNG decodes.
func TestPlotLinesAndLabels(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "source", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
		{Name: "proj_a", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	}, nil)
	rec := fromJSON(t, mem, sc, `[
	 {"source": "a", "turn": 0, "proj_a": 1}, {"source": "a", "turn": 0, "proj_a": 3}, {"source": "a", "turn": 1, "proj_a": 2},
	 {"source": "a", "turn": 1, "proj_a": 4}, {"source": "b", "turn": 0, "proj_a": -1}, {"source": "b", "turn": 0, "proj_a": 0},
	 {"source": "c", "turn": 0, "proj_a": 5}, {"source": null, "turn": 2, "proj_a": 1}, {"source": null, "turn": 2, "proj_a": null}
	]`)
	defer rec.Release()
	op := mustOp(t, `plot "p" {
  input     = fetch.in
  path      = "out/p.png"
  y         = "proj_a"
  group     = "source"
  min_count = 2
}
`, "plot.p").(*plotOp)
	prepare(t, op, sc)
	in, release := sliced(rec, 4)
	defer release()
	var buf bytes.Buffer
	rc := RunContext{Mem: mem, Inputs: []Input{in}, File: &buf}
	if err := op.Run(context.Background(), &rc); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	acc := map[string]map[int64]*moments{
		"a": {0: {2, 4, 10}, 1: {2, 6, 20}}, "b": {0: {2, -1, 1}}, "c": {0: {1, 5, 25}},
	}
	p, lines, err := op.figure(acc)
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Label.Text != "turn" || p.Y.Label.Text != "proj_a (mean, band: 95% CI of the mean)" {
		t.Errorf("axes labelled %q and %q", p.X.Label.Text, p.Y.Label.Text)
	}
	if len(lines) != 2 || lines[0].XYs.Len() != 2 || lines[1].XYs.Len() != 1 {
		t.Fatalf("%d lines, want a (2 points) and b (1 point); c has too few values", len(lines))
	}
	if x, y := lines[0].XYs.XY(1); x != 1 || y != 3 {
		t.Errorf("a at turn 1: (%v, %v), want mean 3", x, y)
	}
	// Same input, same bytes.
	var again bytes.Buffer
	in2, release2 := sliced(rec, 9)
	defer release2()
	rc = RunContext{Mem: mem, Inputs: []Input{in2}, File: &again}
	if err := op.Run(context.Background(), &rc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the PNG differs between runs")
	}
}
