package ops

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/go-cmp/cmp"
)

func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

func TestSelect(t *testing.T) {
	const data = `[{"id": 1, "score": 2, "s": "a"}, {"id": 2, "score": null, "s": "b"}]`
	tests := []struct {
		name  string
		body  string
		cols  []string
		rows  []string
		types map[string]arrow.DataType
	}{
		{"keep orders columns", `keep = ["s", "id"]`, []string{"s", "id"},
			[]string{`{"id":1,"s":"a"}`, `{"id":2,"s":"b"}`}, nil},
		{"drop", `drop = ["s"]`, []string{"id", "score"},
			[]string{`{"id":1,"score":2}`, `{"id":2,"score":null}`}, nil},
		{"rename applies after keep", "keep = [\"id\", \"s\"]\n  rename = { id = \"key\" }", []string{"key", "s"},
			[]string{`{"key":1,"s":"a"}`, `{"key":2,"s":"b"}`}, nil},
		{"derive appends", `derive = { d = score * 10 }`, []string{"id", "score", "s", "d"},
			[]string{`{"d":20,"id":1,"s":"a","score":2}`, `{"d":null,"id":2,"s":"b","score":null}`}, nil},
		{"derive replaces in place", `derive = { score = s }`, []string{"id", "score", "s"},
			[]string{`{"id":1,"s":"a","score":"a"}`, `{"id":2,"s":"b","score":"b"}`},
			map[string]arrow.DataType{"score": arrow.BinaryTypes.String}},
		{"derive reads input columns, not other derived ones", "derive = {\n    score = id * 100\n    t = score\n  }", []string{"id", "score", "s", "t"},
			[]string{`{"id":1,"s":"a","score":100,"t":2}`, `{"id":2,"s":"b","score":200,"t":null}`}, nil},
		{"keep a derived column", "keep = [\"d\", \"id\"]\n  derive = { d = \"k\" }", []string{"d", "id"},
			[]string{`{"d":"k","id":1}`, `{"d":"k","id":2}`}, nil},
		{"drop then rename a derived column", "drop = [\"score\", \"s\"]\n  derive = { d = id + 1 }\n  rename = { d = \"e\" }", []string{"id", "e"},
			[]string{`{"e":2,"id":1}`, `{"e":3,"id":2}`}, nil},
		{"swap names by rename", `rename = { id = "s", s = "id" }`, []string{"s", "score", "id"},
			[]string{`{"id":"a","s":1,"score":2}`, `{"id":"b","s":2,"score":null}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			op := mustOp(t, fmt.Sprintf("select \"t\" {\n  input = fetch.in\n  %s\n}\n", tt.body), "select.t")
			rec := fromJSON(t, mem, rowSchema, data)
			defer rec.Release()
			res, err := runRec(t, mem, op, rec, 1)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.cols, fieldNames(res.Schema)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.rows, res.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for name, dt := range tt.types {
				f, _ := res.Schema.FieldsByName(name)
				if len(f) != 1 || !arrow.TypeEqual(f[0].Type, dt) {
					t.Errorf("column %s = %v, want type %s", name, f, dt)
				}
			}
		})
	}
}

func TestSelectDiagnostics(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		atNew      bool // reported by New rather than Prepare
	}{
		{"unknown keep", `keep = ["id", "nope"]`, []string{"Unknown column", `"nope"`, "id, score, s"}, false},
		{"unknown drop", `drop = ["nope"]`, []string{"Unknown column", `"nope"`}, false},
		{"unknown rename", `rename = { nope = "x" }`, []string{"Unknown column", `"nope"`}, false},
		{"keep and drop", "keep = [\"id\"]\n  drop = [\"s\"]", []string{"Conflicting", "keep or drop"}, true},
		{"duplicate after rename", `rename = { id = "s" }`, []string{"Duplicate output column", `"s"`}, false},
		{"derive of an unknown column", `derive = { d = nope + 1 }`, []string{"nope"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, diags := newOp(t, fmt.Sprintf("select \"t\" {\n  input = fetch.in\n  %s\n}\n", tt.body), "select.t", nil, nil)
			if tt.atNew {
				wantDiag(t, diags, tt.want...)
				return
			}
			if diags.HasErrors() {
				t.Fatalf("New: %s", diags.Error())
			}
			_, diags = op.Prepare([]*arrow.Schema{rowSchema})
			wantDiag(t, diags, tt.want...)
		})
	}
}

// Prepare may be called more than once (check, then build); the second call
// must not double the plan.
func TestSelectPrepareTwice(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, "select \"t\" {\n  input = fetch.in\n  keep = [\"d\", \"id\"]\n  derive = { d = id * 2 }\n}\n", "select.t")
	prepare(t, op, rowSchema)
	rec := fromJSON(t, mem, rowSchema, `[{"id": 1, "score": 2, "s": "a"}]`)
	defer rec.Release()
	res, err := runRec(t, mem, op, rec, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"d":2,"id":1}`}, res.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

var dialogSchema = arrow.NewSchema([]arrow.Field{
	{Name: "situation", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dialog", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "speaker", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "strategy", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	)), Nullable: true},
}, nil)

const dialogData = `[
	{"situation": "exams", "dialog": [
		{"speaker": "usr", "text": "hi"},
		{"speaker": "sys", "strategy": "Question", "text": "what happened?"},
		{"speaker": "usr", "text": "I failed"}]},
	{"situation": null, "dialog": []},
	{"situation": "job", "dialog": null},
	{"situation": "move", "dialog": [{"speaker": "sys", "strategy": "Others", "text": "hello"}]}
]`

func TestSelectDeriveFor(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, `select "t" {
  input = fetch.in
  keep  = ["source", "situation", "turns"]
  derive = {
    source = "esconv"
    turns = [for i, t in dialog : {
      turn     = i
      role     = t.speaker == "usr" ? "user" : "assistant"
      text     = t.text
      strategy = t.strategy
    }]
  }
}
`, "select.t")
	rec := fromJSON(t, mem, dialogSchema, dialogData)
	defer rec.Release()
	for _, size := range []int{1, 3, 4096} {
		res, err := runRec(t, mem, op, rec, size)
		if err != nil {
			t.Fatalf("batch size %d: Run: %v", size, err)
		}
		want := []string{
			`{"situation":"exams","source":"esconv","turns":[{"role":"user","strategy":null,"text":"hi","turn":0},{"role":"assistant","strategy":"Question","text":"what happened?","turn":1},{"role":"user","strategy":null,"text":"I failed","turn":2}]}`,
			`{"situation":null,"source":"esconv","turns":[]}`,
			`{"situation":"job","source":"esconv","turns":null}`,
			`{"situation":"move","source":"esconv","turns":[{"role":"assistant","strategy":"Others","text":"hello","turn":0}]}`,
		}
		if diff := cmp.Diff(want, res.Rows); diff != "" {
			t.Errorf("batch size %d: rows (-want +got):\n%s", size, diff)
		}
		if diff := cmp.Diff([]string{"source", "situation", "turns"}, fieldNames(res.Schema)); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		op = mustOp(t, `select "t" {
  input = fetch.in
  keep  = ["source", "situation", "turns"]
  derive = {
    source = "esconv"
    turns = [for i, t in dialog : {
      turn     = i
      role     = t.speaker == "usr" ? "user" : "assistant"
      text     = t.text
      strategy = t.strategy
    }]
  }
}
`, "select.t")
	}
}

// A variable read inside a for expression still enters the key.
func TestSelectVarParams(t *testing.T) {
	const src = "variable \"who\" { default = \"usr\" }\nselect \"t\" {\n  input = fetch.in\n  derive = { n = length([for t in dialog : t if t.speaker == var.who]) }\n}\n"
	params := func(vars map[string]string) map[string]string {
		op, diags := newOp(t, src, "select.t", vars, nil)
		if diags.HasErrors() {
			t.Fatalf("New: %s", diags.Error())
		}
		return paramMap(op.Params())
	}
	a, b := params(nil), params(map[string]string{"who": "sys"})
	if a["var.who"] == "" || a["var.who"] == b["var.who"] {
		t.Errorf("Params = %v and %v, want var.who to differ", a, b)
	}
}
