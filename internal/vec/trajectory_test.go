package vec

import (
	"math"
	"testing"
)

// Hand-computed: turns 0, 2, 4, 6 with values 1, 3, 0, 5.
// mean 2.25; x̄ = 3; Σdx·dy = (-3)(-1.25) + (-1)(0.75) + (1)(-2.25) + (3)(2.75) = 3.75 - 0.75 - 2.25 + 8.25 = 9
// Σdx² = 9+1+1+9 = 20 → slope 0.45; excursions from 1: 0, 2, -1, 4 → 4 at turn 6;
// variance = (1.5625 + 0.5625 + 5.0625 + 7.5625)/4 = 3.6875.
func TestSummarizeHandComputed(t *testing.T) {
	got := Summarize([]int64{0, 2, 4, 6}, []float64{1, 3, 0, 5})
	want := Trajectory{N: 4, First: 1, Last: 5, Delta: 4, Slope: 0.45, SlopeOK: true, MaxExcursion: 4, TurnOfMax: 6, Mean: 2.25, Std: math.Sqrt(3.6875)}
	if math.Abs(got.Slope-want.Slope) > 1e-15 || math.Abs(got.Std-want.Std) > 1e-15 {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
	got.Slope, got.Std = want.Slope, want.Std
	if got != want {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
	one := Summarize([]int64{3}, []float64{-2})
	if one.SlopeOK || one.Std != 0 || one.Delta != 0 || one.TurnOfMax != 3 || one.MaxExcursion != 0 {
		t.Fatalf("one turn: %+v, want no slope, zero std/delta/excursion at turn 3", one)
	}
	// Negative excursion wins by magnitude; ties keep the earliest.
	neg := Summarize([]int64{1, 2, 3}, []float64{0, -3, 3})
	if neg.MaxExcursion != -3 || neg.TurnOfMax != 2 {
		t.Fatalf("excursion %v at %d, want -3 at 2", neg.MaxExcursion, neg.TurnOfMax)
	}
}
