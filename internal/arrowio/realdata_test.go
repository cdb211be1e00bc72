package arrowio

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestESConvSplits(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	dir := filepath.Join(sharedDir(t, "data"), "esconv", "hf_splits")
	want := map[string]int64{"train.json": 910, "valid.json": 195, "test.json": 195}
	var nullEmpathy, utterances int
	for _, name := range []string{"train.json", "valid.json", "test.json"} {
		sc, recs := readAll(t, mem, []string{filepath.Join(dir, name)}, ReadOptions{BatchSize: 100})
		if got := countRows(recs); got != want[name] {
			t.Errorf("%s: %d rows, want %d", name, got, want[name])
		}
		survey := sc.Field(sc.FieldIndices("survey_score")[0]).Type.(*arrow.StructType)
		seekerF, _ := survey.FieldByName("seeker")
		empF, ok := seekerF.Type.(*arrow.StructType).FieldByName("empathy")
		if !ok || empF.Type.ID() != arrow.STRING || !empF.Nullable {
			t.Errorf("%s: survey_score.seeker.empathy = %v, want nullable utf8", name, empF)
		}
		dialog := sc.Field(sc.FieldIndices("dialog")[0]).Type
		str := arrow.BinaryTypes.String
		wantDialog := arrow.ListOf(arrow.StructOf(
			arrow.Field{Name: "text", Type: str, Nullable: true},
			arrow.Field{Name: "speaker", Type: str, Nullable: true},
			arrow.Field{Name: "strategy", Type: str, Nullable: true}))
		if !arrow.TypeEqual(dialog, wantDialog) {
			t.Errorf("%s: dialog type %s, want %s", name, dialog, wantDialog)
		}
		for _, rec := range recs {
			ss := rec.Column(rec.Schema().FieldIndices("survey_score")[0]).(*array.Struct)
			seeker := ss.Field(0).(*array.Struct)
			nullEmpathy += seeker.Field(seeker.DataType().(*arrow.StructType).FieldIndices("empathy")[0]).NullN()
			dl := rec.Column(rec.Schema().FieldIndices("dialog")[0]).(*array.List)
			s, _ := dl.ValueOffsets(0)
			_, e := dl.ValueOffsets(dl.Len() - 1)
			utterances += int(e - s)
		}
		releaseAll(recs)
	}
	if nullEmpathy != 150 {
		t.Errorf("null survey_score.seeker.empathy = %d, want 150", nullEmpathy)
	}
	if utterances != 38365 {
		t.Errorf("utterances = %d, want 38365", utterances)
	}
}

func TestFailedESConv(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	path := filepath.Join(sharedDir(t, "data"), "esconv", "FailedESConv.json")
	sc, recs := readAll(t, mem, []string{path}, ReadOptions{})
	defer releaseAll(recs)
	if got := countRows(recs); got != 196 {
		t.Errorf("rows = %d, want 196", got)
	}
	dialogs, _ := sc.FieldsByName("dialog")
	dialog := dialogs[0]
	elem := dialog.Type.(*arrow.ListType).Elem().(*arrow.StructType)
	var names []string
	for _, f := range elem.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "speaker,annotation,content" {
		t.Errorf("dialog element fields = %s, want speaker,annotation,content", got)
	}
	ann, _ := elem.FieldByName("annotation")
	if st, ok := ann.Type.(*arrow.StructType); !ok || st.NumFields() != 2 {
		t.Errorf("annotation = %s, want struct<strategy, feedback>", ann.Type)
	} else {
		for _, n := range []string{"feedback", "strategy"} {
			if f, ok := st.FieldByName(n); !ok || f.Type.ID() != arrow.STRING {
				t.Errorf("annotation.%s = %v, want utf8", n, f)
			}
		}
	}
	col := column(t, mem, recs, "dialog")
	defer col.Release()
	l := col.(*array.List)
	if n := l.ListValues().Len(); n != 5230 {
		t.Errorf("utterances = %d, want 5230", n)
	}
}

func TestCounselChat(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	dir := filepath.Join(sharedDir(t, "data"), "counsel_chat")

	sc, recs := readAll(t, mem, []string{filepath.Join(dir, "20200325_counsel_chat.csv")}, ReadOptions{})
	if got := countRows(recs); got != 2129 {
		t.Errorf("2020 csv: rows = %d, want 2129", got)
	}
	if sc.NumFields() != 12 || sc.Field(0).Name != "c0" || sc.Field(1).Name != "questionID" {
		t.Errorf("2020 csv: schema %s, want c0, questionID, ... (12 columns)", sc)
	}
	views := column(t, mem, recs, "views")
	if views.DataType().ID() != arrow.STRING || views.(*array.String).Value(0) == "" {
		t.Errorf("views should be non-empty utf8, got %s", views.DataType())
	}
	views.Release()
	releaseAll(recs)

	// SOURCE.md: the 223,973-character field is answerText of the older file.
	_, recs = readAll(t, mem, []string{filepath.Join(dir, "counselchat-data.csv")}, ReadOptions{})
	defer releaseAll(recs)
	if got := countRows(recs); got != 1482 {
		t.Errorf("counselchat-data.csv: rows = %d, want 1482", got)
	}
	ans := column(t, mem, recs, "answerText").(*array.String)
	defer ans.Release()
	longest := 0
	for i := 0; i < ans.Len(); i++ {
		longest = max(longest, utf8.RuneCountInString(ans.Value(i)))
	}
	if longest != 223973 {
		t.Errorf("longest answerText = %d characters, want 223973", longest)
	}
}

func TestSmileChatFiles(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	paths, err := filepath.Glob(filepath.Join(sharedDir(t, "data"), "smilechat", "data", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) != 492 {
		t.Fatalf("%d files, want 492", len(paths))
	}
	sc, recs := readAll(t, mem, paths, ReadOptions{FileColumn: "file"})
	defer releaseAll(recs)
	if got := countRows(recs); got != 5700 {
		t.Errorf("rows = %d, want 5700 utterances", got)
	}
	if got, want := sc.Field(sc.NumFields()-1).Name, "file"; got != want {
		t.Errorf("last column %q, want %q", got, want)
	}
	files := map[string]bool{}
	roles := map[string]int{}
	fc := column(t, mem, recs, "file").(*array.String)
	rc := column(t, mem, recs, "role").(*array.String)
	defer fc.Release()
	defer rc.Release()
	for i := 0; i < fc.Len(); i++ {
		files[fc.Value(i)] = true
		roles[rc.Value(i)]++
	}
	if len(files) != 492 || !files["74.json"] {
		t.Errorf("%d distinct files (74.json present: %v), want 492", len(files), files["74.json"])
	}
	if roles["client"] != 2891 || roles["counselor"] != 2809 {
		t.Errorf("roles = %v, want client 2891, counselor 2809", roles)
	}
}

type referenceFacts struct {
	ESConvTest struct {
		Rows       int64 `json:"rows"`
		Utterances int   `json:"utterances"`
	} `json:"esconv_test"`
	Zoo struct {
		Rows    int64    `json:"rows"`
		Nulls   int      `json:"nulls_per_column"`
		Columns []string `json:"columns"`
		SumI32  int64    `json:"sum_i32"`
		SumF64  float64  `json:"sum_f64"`
	} `json:"zoo"`
}

func loadFacts(t *testing.T, dir string) referenceFacts {
	b, err := os.ReadFile(filepath.Join(dir, "FACTS.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f referenceFacts
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReferenceZoo(t *testing.T) {
	dir := sharedDir(t, "fixtures/reference")
	facts := loadFacts(t, dir)
	files := []string{"zoo.snappy.parquet", "zoo.zstd.parquet", "zoo.gzip.parquet", "zoo.none.parquet",
		"zoo.arrow", "zoo.arrows", "zoo.lz4.feather", "zoo.zstd.feather"}
	digests := map[string]string{}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			mem := newMem(t)
			defer mem.AssertSize(t, 0)
			sc, recs := readAll(t, mem, []string{filepath.Join(dir, name)}, ReadOptions{BatchSize: 256})
			defer releaseAll(recs)
			if got := countRows(recs); got != facts.Zoo.Rows {
				t.Errorf("rows = %d, want %d", got, facts.Zoo.Rows)
			}
			var names []string
			for _, f := range sc.Fields() {
				names = append(names, f.Name)
			}
			if got, want := strings.Join(names, ","), strings.Join(facts.Zoo.Columns, ","); got != want {
				t.Errorf("columns = %s, want %s", got, want)
			}
			for _, n := range facts.Zoo.Columns {
				c := column(t, mem, recs, n)
				if c.NullN() != facts.Zoo.Nulls {
					t.Errorf("column %s: %d nulls, want %d", n, c.NullN(), facts.Zoo.Nulls)
				}
				switch a := c.(type) {
				case *array.Int32:
					var s int64
					for i := 0; i < a.Len(); i++ {
						if a.IsValid(i) {
							s += int64(a.Value(i))
						}
					}
					if n == "i32" && s != facts.Zoo.SumI32 {
						t.Errorf("sum(i32) = %d, want %d", s, facts.Zoo.SumI32)
					}
				case *array.Float64:
					var s float64
					for i := 0; i < a.Len(); i++ {
						if a.IsValid(i) {
							s += a.Value(i)
						}
					}
					if n == "f64" && math.Abs(s-facts.Zoo.SumF64) > 1e-6 {
						t.Errorf("sum(f64) = %v, want %v", s, facts.Zoo.SumF64)
					}
				}
				c.Release()
			}
			d := digestOf(t, mem, recs)
			digests[name] = d
		})
	}
	for _, name := range files[1:] {
		if digests[name] != digests[files[0]] {
			t.Errorf("logical digest of %s = %s, of %s = %s; want equal", name, digests[name], files[0], digests[files[0]])
		}
	}
}

func digestOf(t *testing.T, mem memory.Allocator, recs []arrow.RecordBatch) string {
	t.Helper()
	h, err := NewLogicalHasher(recs[0].Schema())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := h.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	return h.Sum().String()
}

func TestReferenceESConv(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	dir := sharedDir(t, "fixtures/reference")
	facts := loadFacts(t, dir)
	testJSON := filepath.Join(dir, "..", "..", "data", "esconv", "hf_splits", "test.json")
	if _, err := os.Stat(testJSON); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	for _, name := range []string{"esconv_test.pyarrow.arrow", "esconv_test.pyarrow.zstd.parquet"} {
		t.Run(name, func(t *testing.T) {
			_, recs := readAll(t, mem, []string{filepath.Join(dir, name)}, ReadOptions{})
			if got := countRows(recs); got != facts.ESConvTest.Rows {
				t.Errorf("rows = %d, want %d", got, facts.ESConvTest.Rows)
			}
			dl := column(t, mem, recs, "dialog").(*array.List)
			if n := dl.ListValues().Len(); n != facts.ESConvTest.Utterances {
				t.Errorf("utterances = %d, want %d", n, facts.ESConvTest.Utterances)
			}
			dl.Release()
			releaseAll(recs)

			// pyarrow's reading of test.json and ours must agree value for value.
			ref, err := Open(ctx, mem, []string{filepath.Join(dir, name)}, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Release()
			ours, err := Open(ctx, mem, []string{testJSON}, ReadOptions{BatchSize: 50})
			if err != nil {
				t.Fatal(err)
			}
			defer ours.Release()
			if diff, err := FirstDifference(ref, ours); err != nil || diff != "" {
				t.Errorf("FirstDifference(pyarrow, ours) = %q, %v; want no difference", diff, err)
			}
		})
	}
}
