package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// repoRoot walks up from the package directory to the directory holding
// go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

func realLibrary(tb testing.TB) *Library {
	tb.Helper()
	lib, diags := LoadLibrary(filepath.Join(repoRoot(tb), "recipes", "templates"))
	if diags.HasErrors() {
		tb.Fatalf("LoadLibrary(recipes/templates): %v", diags)
	}
	return lib
}

// convRow is one output row read back from a batch, for assertions.
type convRow struct {
	ConversationID, ScenarioID, Source, Category, Tactic, Risk, Expected string
	EscalationTurn                                                       int32
	Situation                                                            *string
	ProblemType                                                          string
	Turns                                                                []turnRow
}

type turnRow struct {
	Turn     int32
	Role     string
	Text     string
	Strategy *string
}

// rowsOf reads every row of rec by column name, so it also checks the
// schema's column types.
func rowsOf(tb testing.TB, rec arrow.RecordBatch) []convRow {
	tb.Helper()
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			tb.Fatalf("column %q: found %d times", name, len(idx))
		}
		return rec.Column(idx[0])
	}
	str := func(name string) *array.String { return col(name).(*array.String) }
	convID, scenID, source, cat := str("conversation_id"), str("scenario_id"), str("source"), str("category")
	tactic, risk, expected := str("tactic"), str("risk_level"), str("expected_behavior")
	esc := col("escalation_turn").(*array.Int32)
	sit, prob := str("situation"), str("problem_type")
	turns := col("turns").(*array.List)
	st := turns.ListValues().(*array.Struct)
	tNum := st.Field(0).(*array.Int32)
	tRole, tText, tStrat := st.Field(1).(*array.String), st.Field(2).(*array.String), st.Field(3).(*array.String)
	out := make([]convRow, rec.NumRows())
	for i := range out {
		r := convRow{
			ConversationID: convID.Value(i), ScenarioID: scenID.Value(i), Source: source.Value(i),
			Category: cat.Value(i), Tactic: tactic.Value(i), Risk: risk.Value(i), Expected: expected.Value(i),
			EscalationTurn: esc.Value(i), ProblemType: prob.Value(i),
		}
		if sit.IsValid(i) {
			s := sit.Value(i)
			r.Situation = &s
		}
		start, end := turns.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			t := turnRow{Turn: tNum.Value(j), Role: tRole.Value(j), Text: tText.Value(j)}
			if tStrat.IsValid(j) {
				s := tStrat.Value(j)
				t.Strategy = &s
			}
			r.Turns = append(r.Turns, t)
		}
		out[i] = r
	}
	return out
}

// userText joins a row's user turns the way distinctness is defined.
func userText(r convRow) string {
	var parts []string
	for _, t := range r.Turns {
		if t.Role == "user" {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\x1e")
}
