package ops

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// Trajectory statistics equal hand-computed values; a one-turn
// conversation has a null slope; where keeps assistant turns only; turns
// are ordered whatever the input order; batch size changes nothing.
func TestTrajectoryHandComputed(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "conversation_id", Type: arrow.BinaryTypes.String},
		{Name: "source", Type: arrow.BinaryTypes.String},
		{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
		{Name: "role", Type: arrow.BinaryTypes.String},
		{Name: "proj_a", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	}, nil)
	// Conversation x: assistant turns 0, 2, 4, 6 with 1, 3, 0, 5 (given out
	// of order, with a user turn and a null between); y: one assistant turn.
	rec := fromJSON(t, mem, sc, `[
	 {"conversation_id": "x", "source": "esconv", "turn": 4, "role": "assistant", "proj_a": 0},
	 {"conversation_id": "x", "source": "esconv", "turn": 1, "role": "user", "proj_a": 100},
	 {"conversation_id": "y", "source": "failed", "turn": 3, "role": "assistant", "proj_a": -2},
	 {"conversation_id": "x", "source": "esconv", "turn": 0, "role": "assistant", "proj_a": 1},
	 {"conversation_id": "x", "source": "esconv", "turn": 2, "role": "assistant", "proj_a": 3},
	 {"conversation_id": "x", "source": "esconv", "turn": 5, "role": "assistant", "proj_a": null},
	 {"conversation_id": "x", "source": "esconv", "turn": 6, "role": "assistant", "proj_a": 5},
	 {"conversation_id": "y", "source": "failed", "turn": 4, "role": "user", "proj_a": 7}
	]`)
	defer rec.Release()
	op := mustOp(t, `trajectory "t" {
  input = fetch.in
  keep  = ["source"]
  where = role == "assistant"
}
`, "trajectory.t")
	for _, size := range []int{1, 3, 8} {
		res, err := runRec(t, mem, op, rec, size)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(res.Rows, "\n")
		// Hand-computed (see vec.TestSummarizeHandComputed): mean 2.25,
		// slope 9/20, std sqrt(3.6875), excursion +4 at turn 6.
		want := `{"conversation_id":"x","proj_a_delta":4,"proj_a_first":1,"proj_a_last":5,"proj_a_max_excursion":4,"proj_a_mean":2.25,"proj_a_slope":0.45,"proj_a_std":1.920286436967152,"proj_a_turn_of_max":6,"source":"esconv","turns":5}
{"conversation_id":"y","proj_a_delta":0,"proj_a_first":-2,"proj_a_last":-2,"proj_a_max_excursion":0,"proj_a_mean":-2,"proj_a_slope":null,"proj_a_std":0,"proj_a_turn_of_max":3,"source":"failed","turns":1}`
		if got != want {
			t.Errorf("batch size %d:\n%s\nwant\n%s", size, got, want)
		}
	}
}

func TestTrajectoryDiagnostics(t *testing.T) {
	op := mustOp(t, `trajectory "t" {
  input = fetch.in
  order = "text"
}
`, "trajectory.t")
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "conversation_id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "proj_a", Type: arrow.PrimitiveTypes.Float32},
	}, nil)
	_, diags := op.Prepare([]*arrow.Schema{sc})
	wantDiag(t, diags, "not an integer", "text")
}
