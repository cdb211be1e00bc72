package vec

import "math"

// Trajectory is the drift summary of one conversation along one direction:
// values ordered by turn.
type Trajectory struct {
	N            int     // turns with a value
	First, Last  float64 // values at the first and last such turn
	Delta        float64 // Last - First
	Slope        float64 // OLS slope of value on turn number
	SlopeOK      bool    // false with fewer than two distinct turns
	MaxExcursion float64 // the signed value - First of largest magnitude (earliest on ties)
	TurnOfMax    int64   // the turn it occurs at
	Mean, Std    float64 // Std is the population standard deviation (ddof = 0)
}

// Summarize computes a Trajectory from turns (ascending) and their values;
// the sums run in turn order, so the result is the same bits everywhere.
// n must be at least 1.
func Summarize(turns []int64, vals []float64) Trajectory {
	n := len(vals)
	t := Trajectory{N: n, First: vals[0], Last: vals[n-1], TurnOfMax: turns[0]}
	t.Delta = t.Last - t.First
	var sx, sy float64
	for i, y := range vals {
		sx += float64(turns[i])
		sy += y
		if e := y - t.First; math.Abs(e) > math.Abs(t.MaxExcursion) {
			t.MaxExcursion, t.TurnOfMax = e, turns[i]
		}
	}
	mx, my := sx/float64(n), sy/float64(n)
	t.Mean = my
	var sxx, sxy, syy float64
	for i, y := range vals {
		dx, dy := float64(turns[i])-mx, y-my
		// The conversions forbid fusing into a multiply-add (which the Go
		// spec allows, and arm64 does), so every platform rounds alike.
		sxx += float64(dx * dx)
		sxy += float64(dx * dy)
		syy += float64(dy * dy)
	}
	t.Std = math.Sqrt(syy / float64(n))
	if n >= 2 && sxx > 0 {
		t.Slope, t.SlopeOK = sxy/sxx, true
	}
	return t
}
