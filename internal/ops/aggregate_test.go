package ops

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

var aggSchema = arrow.NewSchema([]arrow.Field{
	{Name: "conv", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "turn", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// Rows arrive out of turn order; conversation b has a null score and a
// null ok; a null conv is a group of its own.
const aggRows = `[
 {"conv": "b", "turn": 2, "text": "b2", "score": 1.5, "ok": true},
 {"conv": "a", "turn": 3, "text": "a3", "score": 2, "ok": false},
 {"conv": "a", "turn": 1, "text": "a1", "score": 4, "ok": true},
 {"conv": "b", "turn": 1, "text": "b1", "score": null, "ok": null},
 {"conv": null, "turn": 9, "text": "n9", "score": 0.5, "ok": false},
 {"conv": "a", "turn": 2, "text": "a2", "score": 4, "ok": true},
 {"conv": "b", "turn": 3, "text": "b1", "score": -1, "ok": true}
]`

func aggOf(t *testing.T, body string, size int) ([]string, error) {
	return aggOfSlack(t, body, size, 1<<16)
}

// aggOfSlack runs with a picker slack: 0 compacts the held values at every
// batch.
func aggOfSlack(t *testing.T, body string, size int, slack int64) ([]string, error) {
	t.Helper()
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := fromJSON(t, mem, aggSchema, aggRows)
	defer rec.Release()
	op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n"+body+"\n}\n", "aggregate.t")
	op.(*aggregateOp).slack = slack
	res, err := runRec(t, mem, op, rec, size)
	if err != nil {
		return nil, err
	}
	return res.Rows, nil
}

func TestAggregate(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"counts in first-appearance order", `by = [conv]
  agg = { n = count(), scores = count(score), texts = count_distinct(text) }`, []string{
			`{"conv":"b","n":3,"scores":2,"texts":2}`,
			`{"conv":"a","n":3,"scores":3,"texts":3}`,
			`{"conv":null,"n":1,"scores":1,"texts":1}`,
		}},
		{"sum min max mean any all", `by = [conv]
  agg = { s = sum(turn), fs = sum(score), lo = min(score), hi = max(text), m = mean(score), some = any(ok), every = all(ok) }`, []string{
			`{"conv":"b","every":true,"fs":0.5,"hi":"b2","lo":-1,"m":0.25,"s":6,"some":true}`,
			`{"conv":"a","every":false,"fs":10,"hi":"a3","lo":2,"m":3.3333333333333335,"s":6,"some":true}`,
			`{"conv":null,"every":false,"fs":0.5,"hi":"n9","lo":0.5,"m":0.5,"s":9,"some":false}`,
		}},
		{"list first last in order_by order", `by = [conv]
  order_by = [turn]
  agg = { turns = list({t = turn, x = text}), first_text = first(text), last_text = last(text) }`, []string{
			`{"conv":"b","first_text":"b1","last_text":"b1","turns":[{"t":1,"x":"b1"},{"t":2,"x":"b2"},{"t":3,"x":"b1"}]}`,
			`{"conv":"a","first_text":"a1","last_text":"a3","turns":[{"t":1,"x":"a1"},{"t":2,"x":"a2"},{"t":3,"x":"a3"}]}`,
			`{"conv":null,"first_text":"n9","last_text":"n9","turns":[{"t":9,"x":"n9"}]}`,
		}},
		{"descending order, ties in input order", `by = [conv]
  order_by = [desc(score)]
  agg = { texts = list(text), first_text = first(text), last_text = last(text) }`, []string{
			`{"conv":"b","first_text":"b2","last_text":"b1","texts":["b2","b1","b1"]}`,
			`{"conv":"a","first_text":"a1","last_text":"a3","texts":["a1","a2","a3"]}`,
			`{"conv":null,"first_text":"n9","last_text":"n9","texts":["n9"]}`,
		}},
		{"no order_by: input order", `by = [conv]
  agg = { texts = list(text), f = first(turn), l = last(turn) }`, []string{
			`{"conv":"b","f":2,"l":3,"texts":["b2","b1","b1"]}`,
			`{"conv":"a","f":3,"l":2,"texts":["a3","a1","a2"]}`,
			`{"conv":null,"f":9,"l":9,"texts":["n9"]}`,
		}},
		{"sorted groups, named expression key", `by = { c = upper(conv) }
  sort = true
  agg = { n = count() }`, []string{
			`{"c":null,"n":1}`, `{"c":"A","n":3}`, `{"c":"B","n":3}`,
		}},
		{"key expressions and two keys", `by = [conv, ok]
  sort = true
  agg = { label = "${conv}!", n = count() }`, []string{
			`{"conv":null,"label":null,"n":1,"ok":false}`,
			`{"conv":"a","label":"a!","n":1,"ok":false}`,
			`{"conv":"a","label":"a!","n":2,"ok":true}`,
			`{"conv":"b","label":"b!","n":1,"ok":null}`,
			`{"conv":"b","label":"b!","n":2,"ok":true}`,
		}},
		{"one integer key with nulls", `by = { t = turn > 2 ? null : turn }
  agg = { texts = list(text) }`, []string{
			`{"t":2,"texts":["b2","a2"]}`,
			`{"t":null,"texts":["a3","n9","b1"]}`,
			`{"t":1,"texts":["a1","b1"]}`,
		}},
		{"int32 key, sorted", `by = [turn]
  sort = true
  agg = { n = count() }`, []string{
			`{"n":2,"turn":1}`, `{"n":2,"turn":2}`, `{"n":2,"turn":3}`, `{"n":1,"turn":9}`,
		}},
		{"no by: one group", `agg = { n = count(), texts = count_distinct(text), hi = max(turn) }`, []string{
			`{"hi":9,"n":7,"texts":6}`,
		}},
		{"no rows pass: sums null", `by = [conv]
  agg = { s = sum(is_null(score) ? 1 : null), m = mean(turn > 100 ? turn : null), lo = min(turn > 100 ? turn : null), a = any(turn > 100 ? ok : null) }`, []string{
			`{"a":null,"conv":"b","lo":null,"m":null,"s":1}`,
			`{"a":null,"conv":"a","lo":null,"m":null,"s":null}`,
			`{"a":null,"conv":null,"lo":null,"m":null,"s":null}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []string
			for _, size := range []int{1, 2, 3, 7, 4096} {
				got, err := aggOfSlack(t, tt.body, size, int64(size%2)) // compact at every batch
				if err != nil {
					t.Fatalf("batch size %d: %v", size, err)
				}
				if size == 1 {
					first = got
					if d := cmp.Diff(tt.want, got); d != "" {
						t.Errorf("rows (-want +got):\n%s", d)
					}
				} else if d := cmp.Diff(first, got); d != "" {
					t.Errorf("batch size %d differs from 1:\n%s", size, d)
				}
			}
		})
	}
}

func TestAggregateDiagnostics(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"by = [conv]\n  agg = { n = cnt() }", []string{"Unknown aggregation", "cnt"}},
		{"by = [conv]\n  agg = { n = sum(text) }", []string{"sum needs numbers", "utf8"}},
		{"by = [conv]\n  agg = { n = any(turn) }", []string{"any needs a bool"}},
		{"by = [conv]\n  agg = { n = text }", []string{"Column outside the group key", "first(text)"}},
		{"by = [lower(conv)]\n  agg = { n = count() }", []string{"Unnamed group key", "by = {name"}},
		{"by = [conv]\n  order_by = [{a = turn}]\n  agg = { n = count() }", []string{"Invalid order_by key"}},
		{"by = [conv]\n  agg = { conv = count() }", []string{"Duplicate output column", "conv"}},
		{"by = [conv]\n  agg = { n = list(text, turn) }", []string{"Wrong number of arguments"}},
		{"by = [nosuch]\n  agg = { n = count() }", []string{"nosuch"}},
		{"by = { s = {a = conv} }\n  sort = true\n  agg = { n = count() }", []string{"Unsortable group key"}},
	}
	for _, tt := range tests {
		op, diags := newOp(t, "aggregate \"t\" {\n  input = fetch.in\n  "+tt.body+"\n}\n", "aggregate.t", nil, nil)
		if !diags.HasErrors() {
			_, diags = op.Prepare([]*arrow.Schema{aggSchema})
		}
		wantDiag(t, diags, tt.want...)
	}
}

func TestAggregateSumOverflow(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := fromJSON(t, mem, schema, `[{"v": 9223372036854775807}, {"v": 1}]`)
	defer rec.Release()
	op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  agg = { s = sum(v) }\n}\n", "aggregate.t")
	_, err := runRec(t, mem, op, rec, 1)
	if err == nil || !strings.Contains(err.Error(), "overflows") || !strings.Contains(err.Error(), "row 1") {
		t.Fatalf("err = %v, want an overflow naming input row 1", err)
	}
}

// TestAggregateParams: every attribute changes the params.
func TestAggregateParams(t *testing.T) {
	base := "by = [conv]\n  order_by = [turn]\n  agg = { n = count() }"
	ps := func(body string) string {
		op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  "+body+"\n}\n", "aggregate.t")
		return fmt.Sprint(op.Params())
	}
	b := ps(base)
	for _, alt := range []string{
		"by = [text]\n  order_by = [turn]\n  agg = { n = count() }",
		"by = {c = conv}\n  order_by = [turn]\n  agg = { n = count() }",
		"by = [conv]\n  order_by = [desc(turn)]\n  agg = { n = count() }",
		"by = [conv]\n  agg = { n = count() }",
		"by = [conv]\n  order_by = [turn]\n  agg = { m = count() }",
		"by = [conv]\n  order_by = [turn]\n  agg = { n = count(turn) }",
		base + "\n  sort = true",
	} {
		if ps(alt) == b {
			t.Errorf("params of %q equal the base's", alt)
		}
	}
}

// TestAggregateEDConversations: ED valid.csv has 17,922 utterance rows
// under 5,734 dialogue_ids; aggregating by dialogue_id gives 5,734
// conversations holding every utterance once, in turn order.
func TestAggregateEDConversations(t *testing.T) {
	dir := sharedtest.Dir(t, "data/empathetic_dialogues")
	path := filepath.Join(dir, "valid.csv")
	mem := checked()
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	opts := arrowio.ReadOptions{Format: arrowio.CSV, BatchSize: 1000}
	schema, err := arrowio.InferSchema(ctx, []string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Schema = schema
	in := Input{Schema: schema, Open: func() (array.RecordReader, error) { return arrowio.Open(ctx, mem, []string{path}, opts) }}
	op := mustOp(t, `aggregate "t" {
  input = fetch.in
  by = [dialogue_id]
  order_by = [tonumber(turns)]
  agg = {
    n = count()
    emotion = first(dialogue_emotion)
    utterances = list({turn = tonumber(turns), text = text})
  }
}
`, "aggregate.t")
	out := prepare(t, op, schema)
	var rows, utts int64
	var bad []string
	rc := RunContext{Mem: mem, Inputs: []Input{in}, BatchSize: 4096, Emit: func(rec arrow.RecordBatch) error {
		rows += rec.NumRows()
		n := rec.Column(1).(*array.Int64)
		l := rec.Column(3).(*array.List)
		turns := l.ListValues().(*array.Struct).Field(0).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			s, e := l.ValueOffsets(i)
			utts += e - s
			if e-s != n.Value(i) {
				bad = append(bad, fmt.Sprintf("row %d: %d utterances, count %d", i, e-s, n.Value(i)))
			}
			for j := s; j < e; j++ {
				if turns.Value(int(j)) != float64(j-s+1) {
					bad = append(bad, fmt.Sprintf("row %d: utterance %d has turn %v", i, j-s, turns.Value(int(j))))
					break
				}
			}
		}
		return nil
	}}
	if err := op.Run(ctx, &rc); err != nil {
		t.Fatal(err)
	}
	_ = out
	if rows != 5734 || utts != 17922 {
		t.Errorf("%d conversations with %d utterances, want 5734 with 17922", rows, utts)
	}
	if len(bad) > 0 {
		t.Errorf("%d problems, first: %s", len(bad), bad[0])
	}
}

// An empty input gives no groups with by, and one group without.
func TestAggregateEmptyInput(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := fromJSON(t, mem, aggSchema, `[]`)
	defer rec.Release()
	for _, tc := range []struct{ body, want string }{
		{"by = [conv]\n  agg = { n = count(), l = list(text) }", ""},
		{"agg = { n = count(), s = sum(turn), l = list(text), f = first(text), hi = max(score), d = count_distinct(text), a = all(ok) }",
			`{"a":null,"d":0,"f":null,"hi":null,"l":[],"n":0,"s":null}`},
	} {
		op := mustOp(t, "aggregate \"t\" {\n  input = fetch.in\n  "+tc.body+"\n}\n", "aggregate.t")
		res, err := runRec(t, mem, op, rec, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(res.Rows, "\n"); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.body, got, tc.want)
		}
	}
}
