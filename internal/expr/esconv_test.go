package expr

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var surveySchema = arrow.NewSchema([]arrow.Field{{Name: "survey_score", Nullable: true, Type: arrow.StructOf(
	arrow.Field{Name: "seeker", Nullable: true, Type: arrow.StructOf(
		arrow.Field{Name: "initial_emotion_intensity", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "empathy", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "relevance", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "final_emotion_intensity", Type: arrow.BinaryTypes.String, Nullable: true})},
	arrow.Field{Name: "supporter", Nullable: true, Type: arrow.StructOf(
		arrow.Field{Name: "relevance", Type: arrow.BinaryTypes.String, Nullable: true})},
)}}, nil)

// loadSurveys reads the survey_score of every conversation in the files
// (JSON Lines, or one JSON array) into a batch.
func loadSurveys(t *testing.T, mem memory.Allocator, files ...string) arrow.RecordBatch {
	t.Helper()
	type conv struct {
		SurveyScore json.RawMessage `json:"survey_score"`
	}
	var convs []conv
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
			var all []conv
			if err := json.Unmarshal(data, &all); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			convs = append(convs, all...)
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<24)
		for line := 1; sc.Scan(); line++ {
			var c conv
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s:%d: %v", f, line, err)
			}
			convs = append(convs, c)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	js, err := json.Marshal(convs)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := array.RecordFromJSON(mem, surveySchema, bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// count evaluates a predicate and returns how many rows are true and null.
func count(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, src string) (trues, nulls int) {
	t.Helper()
	p, diags := Compile(parse(t, src), rec.Schema(), nil)
	if diags.HasErrors() {
		t.Fatalf("Compile(%s): %s", src, diags.Error())
	}
	out, err := p.Eval(context.Background(), mem, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	b := out.(*array.Boolean)
	for i := 0; i < b.Len(); i++ {
		if b.IsNull(i) {
			nulls++
		} else if b.Value(i) {
			trues++
		}
	}
	return trues, nulls
}

func TestESConvTruths(t *testing.T) {
	dir := sharedDir(t, "data/esconv")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	all := loadSurveys(t, mem, filepath.Join(dir, "hf_splits/train.json"), filepath.Join(dir, "hf_splits/valid.json"), filepath.Join(dir, "hf_splits/test.json"))
	defer all.Release()
	if all.NumRows() != 1300 {
		t.Fatalf("ESConv rows = %d, want 1300", all.NumRows())
	}
	failed := loadSurveys(t, mem, filepath.Join(dir, "FailedESConv.json"))
	defer failed.Release()
	if failed.NumRows() != 196 {
		t.Fatalf("FailedESConv rows = %d, want 196", failed.NumRows())
	}
	for _, tc := range []struct {
		name         string
		rec          arrow.RecordBatch
		src          string
		trues, nulls int
	}{
		{"esconv empathy<3", all, `tonumber(survey_score.seeker.empathy) < 3`, 11, 150},
		{"esconv missing empathy", all, `is_null(survey_score.seeker.empathy)`, 150, 0},
		{"esconv relevance<3", all, `tonumber(survey_score.seeker.relevance) < 3`, 9, 150},
		{"esconv either", all, `tonumber(survey_score.seeker.empathy) < 3 || tonumber(survey_score.seeker.relevance) < 3`, 20, 150},
		{"esconv final>=initial", all, `tonumber(survey_score.seeker.final_emotion_intensity) >= tonumber(survey_score.seeker.initial_emotion_intensity)`, 0, 150},
		{"esconv supporter missing", all, `is_null(survey_score.supporter.relevance)`, 185, 0},
		{"esconv supporter 0", all, `survey_score.supporter.relevance == "0"`, 4, 185},
		{"failed empathy<3", failed, `tonumber(survey_score.seeker.empathy) < 3`, 78, 54},
		{"failed relevance<3", failed, `tonumber(survey_score.seeker.relevance) < 3`, 45, 54},
		{"failed either", failed, `coalesce(tonumber(survey_score.seeker.empathy) < 3 || tonumber(survey_score.seeker.relevance) < 3, false)`, 82, 0},
		{"failed final>=initial", failed, `tonumber(survey_score.seeker.final_emotion_intensity) >= tonumber(survey_score.seeker.initial_emotion_intensity)`, 111, 54},
	} {
		trues, nulls := count(t, mem, tc.rec, tc.src)
		if trues != tc.trues || nulls != tc.nulls {
			t.Errorf("%s: %s true %d null %d, want %d and %d", tc.name, tc.src, trues, nulls, tc.trues, tc.nulls)
		}
	}
	// Filtering by the predicate keeps exactly the true rows.
	p, _ := Compile(parse(t, `tonumber(survey_score.seeker.empathy) < 3`), all.Schema(), nil)
	m, err := p.Eval(context.Background(), mem, all)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	kept, err := Filter(context.Background(), mem, all, m.(*array.Boolean))
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Release()
	if kept.NumRows() != 11 {
		t.Errorf("Filter kept %d rows, want 11", kept.NumRows())
	}
}
