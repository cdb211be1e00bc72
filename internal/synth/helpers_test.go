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
	ConversationID, ScenarioID, Source, Category, Family, Tactic, Problem string
	AgeBand, Setting, Risk, Expected                                      string
	Situation, ControlOf, Split                                           *string
	EscalationTurn, CoreTurn                                              *int32
	ReachedCore                                                           bool
	Turns                                                                 []turnRow
	Refs                                                                  []refRow // nil when the column is null
}

type turnRow struct {
	Turn     int32
	Role     string
	Text     string
	Pressure int32
	Phase    string
	Expect   []string
}

type refRow struct {
	Turn     int32
	Role     string
	Text     string
	Strategy string
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
	opt := func(a *array.String, i int) *string {
		if a.IsNull(i) {
			return nil
		}
		s := a.Value(i)
		return &s
	}
	optI := func(a *array.Int32, i int) *int32 {
		if a.IsNull(i) {
			return nil
		}
		v := a.Value(i)
		return &v
	}
	convID, scenID, source, cat := str("conversation_id"), str("scenario_id"), str("source"), str("category")
	fam, tactic, prob, age, setting := str("family"), str("tactic"), str("problem_type"), str("age_band"), str("setting")
	risk, expected, sit, ctl, split := str("risk_level"), str("expected_behavior"), str("situation"), str("control_of"), str("split")
	esc, core := col("escalation_turn").(*array.Int32), col("core_turn").(*array.Int32)
	reached := col("reached_core").(*array.Boolean)
	turns := col("turns").(*array.List)
	st := turns.ListValues().(*array.Struct)
	tNum, tRole, tText := st.Field(0).(*array.Int32), st.Field(1).(*array.String), st.Field(2).(*array.String)
	tPress, tPhase, tExp := st.Field(3).(*array.Int32), st.Field(4).(*array.String), st.Field(5).(*array.List)
	tExpV := tExp.ListValues().(*array.String)
	refs := col("references").(*array.List)
	rs := refs.ListValues().(*array.Struct)
	rNum, rRole, rText, rStrat := rs.Field(0).(*array.Int32), rs.Field(1).(*array.String), rs.Field(2).(*array.String), rs.Field(3).(*array.String)
	out := make([]convRow, rec.NumRows())
	for i := range out {
		r := convRow{
			ConversationID: convID.Value(i), ScenarioID: scenID.Value(i), Source: source.Value(i),
			Category: cat.Value(i), Family: fam.Value(i), Tactic: tactic.Value(i), Problem: prob.Value(i),
			AgeBand: age.Value(i), Setting: setting.Value(i), Risk: risk.Value(i), Expected: expected.Value(i),
			Situation: opt(sit, i), ControlOf: opt(ctl, i), Split: opt(split, i),
			EscalationTurn: optI(esc, i), CoreTurn: optI(core, i), ReachedCore: reached.Value(i),
		}
		start, end := turns.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			t := turnRow{Turn: tNum.Value(j), Role: tRole.Value(j), Text: tText.Value(j), Pressure: tPress.Value(j), Phase: tPhase.Value(j)}
			es, ee := tExp.ValueOffsets(j)
			for k := int(es); k < int(ee); k++ {
				t.Expect = append(t.Expect, tExpV.Value(k))
			}
			r.Turns = append(r.Turns, t)
		}
		if refs.IsValid(i) {
			r.Refs = []refRow{}
			rs0, re0 := refs.ValueOffsets(i)
			for j := int(rs0); j < int(re0); j++ {
				r.Refs = append(r.Refs, refRow{Turn: rNum.Value(j), Role: rRole.Value(j), Text: rText.Value(j), Strategy: rStrat.Value(j)})
			}
		}
		out[i] = r
	}
	return out
}

// userText joins a row's user turns the way distinctness is defined.
func userText(r convRow) string {
	var parts []string
	for _, t := range r.Turns {
		parts = append(parts, t.Text)
	}
	return strings.Join(parts, "\x1e")
}
