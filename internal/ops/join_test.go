package ops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// joinRight is the second upstream node of the join tests.
const joinRight = `fetch "r" { url = "y.json" }` + "\n"

var (
	joinLeftSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	joinRightSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	joinLeftRows = `[
		{"id": 1, "name": "a"},
		{"id": 2, "name": "b"},
		{"id": null, "name": "n"},
		{"id": 3, "name": "c"},
		{"id": 1, "name": "a2"}
	]`
	joinRightRows = `[
		{"id": 3, "name": "x", "tags": ["t"]},
		{"id": 1, "name": "y", "tags": []},
		{"id": null, "name": "z", "tags": null},
		{"id": 1, "name": "w", "tags": ["u", "v"]}
	]`
)

// block turns a one-line block `kind "x" { a = 1; b = 2 }` into HCL, which
// wants one attribute per line.
func block(src string) string {
	head, body, _ := strings.Cut(src, "{ ")
	body = strings.TrimSuffix(body, " }")
	return head + "{\n" + strings.ReplaceAll(body, "; ", "\n") + "\n}\n"
}

// runJoin builds node join.j of src, prepares it over the two schemas and
// runs it with the left and right rows in batches of size.
func runJoin(t *testing.T, src string, left, right string, size int) (*result, error) {
	t.Helper()
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, joinRight+block(src), "join.j")
	lrec := fromJSON(t, mem, joinLeftSchema, left)
	defer lrec.Release()
	rrec := fromJSON(t, mem, joinRightSchema, right)
	defer rrec.Release()
	lin, lrel := sliced(lrec, size)
	defer lrel()
	rin, rrel := sliced(rrec, size)
	defer rrel()
	// fetch.in holds the left rows, fetch.r the right rows, whichever
	// role each plays; inputs come in the node's dependency order.
	jo := op.(*joinOp)
	var schemas []*arrow.Schema
	var inputs []Input
	for _, d := range jo.n.Deps {
		if d == "fetch.in" {
			schemas, inputs = append(schemas, joinLeftSchema), append(inputs, lin)
		} else {
			schemas, inputs = append(schemas, joinRightSchema), append(inputs, rin)
		}
	}
	out, diags := op.Prepare(schemas)
	if diags.HasErrors() {
		t.Fatalf("Prepare: %s", diags.Error())
	}
	// Workers beyond the node's own: the output must not depend on them.
	return run(t, context.Background(), mem, op, out, RunContext{Inputs: inputs, BatchSize: size, Budget: NewBudget(3)})
}

func TestJoin(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		schema string
		rows   []string
	}{{
		name:   "inner many: left order, matches in right order, nulls never match",
		src:    `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; many = true }`,
		schema: "id: int64, name: utf8, name_right: utf8, tags: list<utf8>",
		rows: []string{
			`{"id":1,"name":"a","name_right":"y","tags":[]}`,
			`{"id":1,"name":"a","name_right":"w","tags":["u","v"]}`,
			`{"id":3,"name":"c","name_right":"x","tags":["t"]}`,
			`{"id":1,"name":"a2","name_right":"y","tags":[]}`,
			`{"id":1,"name":"a2","name_right":"w","tags":["u","v"]}`,
		},
	}, {
		name:   "left many with suffix: unmatched and null-key rows keep null right columns",
		src:    `join "j" { left = fetch.r; right = fetch.in; on = ["id"]; how = "left"; many = true; suffix = "_l" }`,
		schema: "id: int32, name: utf8, tags: list<utf8>, name_l: utf8",
		rows: []string{
			`{"id":3,"name":"x","name_l":"c","tags":["t"]}`,
			`{"id":1,"name":"y","name_l":"a","tags":[]}`,
			`{"id":1,"name":"y","name_l":"a2","tags":[]}`,
			`{"id":null,"name":"z","name_l":null,"tags":null}`,
			`{"id":1,"name":"w","name_l":"a","tags":["u","v"]}`,
			`{"id":1,"name":"w","name_l":"a2","tags":["u","v"]}`,
		},
	}, {
		name:   "semi keeps left rows with a match once",
		src:    `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "semi"; many = true }`,
		schema: "id: int64, name: utf8",
		rows:   []string{`{"id":1,"name":"a"}`, `{"id":3,"name":"c"}`, `{"id":1,"name":"a2"}`},
	}, {
		name:   "anti keeps left rows without a match, null keys included",
		src:    `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "anti"; many = true }`,
		schema: "id: int64, name: utf8",
		rows:   []string{`{"id":2,"name":"b"}`, `{"id":null,"name":"n"}`},
	}, {
		name:   "map keys on two columns",
		src:    `join "j" { left = fetch.in; right = fetch.r; on = { id = "id", name = "name" }; many = true }`,
		schema: "id: int64, name: utf8, tags: list<utf8>",
		rows:   nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []string
			for _, size := range []int{1, 2, 3, 100} {
				res, err := runJoin(t, tt.src, joinLeftRows, joinRightRows, size)
				if err != nil {
					t.Fatalf("size %d: %v", size, err)
				}
				if got := SchemaString(res.Schema); got != tt.schema {
					t.Errorf("schema = %s, want %s", got, tt.schema)
				}
				if d := cmp.Diff(tt.rows, res.Rows); d != "" {
					t.Errorf("size %d: rows (-want +got):\n%s", size, d)
				}
				if size == 1 {
					first = res.Rows
				} else if d := cmp.Diff(first, res.Rows); d != "" {
					t.Errorf("size %d differs from size 1:\n%s", size, d)
				}
			}
		})
	}
}

func TestJoinMapKeysMatch(t *testing.T) {
	left := `[{"id": 1, "name": "y"}, {"id": 1, "name": "q"}, {"id": 3, "name": "x"}]`
	res, err := runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = { id = "id", name = "name" } }`, left,
		`[{"id": 3, "name": "x", "tags": ["t"]}, {"id": 1, "name": "y", "tags": []}, {"id": 1, "name": "w", "tags": null}]`, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"id":1,"name":"y","tags":[]}`, `{"id":3,"name":"x","tags":["t"]}`}
	if d := cmp.Diff(want, res.Rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestJoinDuplicateRightKeys(t *testing.T) {
	for _, how := range []string{"inner", "left", "semi", "anti"} {
		_, err := runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "`+how+`" }`, joinLeftRows, joinRightRows, 2)
		if err == nil {
			t.Fatalf("how = %s: duplicate right keys joined without many = true", how)
		}
		for _, want := range []string{"fetch.r", "duplicate keys", "3 rows with non-null keys but only 2 distinct", "id = 1", "occurs 2 times", "many = true"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("how = %s: error %q does not contain %q", how, err, want)
			}
		}
	}
}

func TestJoinPlanDiagnostics(t *testing.T) {
	tests := []struct {
		src  string
		subs []string
	}{
		{`join "j" { left = fetch.in; right = fetch.r; on = ["name", "id"]; how = "outer" }`, []string{"Invalid join type", "outer"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = { name = "id" } }`, []string{"Join key types differ", `"name"`, `"id"`, "string", "int32", "fetch.in", "fetch.r"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = ["nope"] }`, []string{"Unknown join key", "nope", "left"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = { id = "tags" } }`, []string{"Join key types differ", "tags"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = [] }`, []string{"Invalid join keys", "no key column"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = "id" }`, []string{"Invalid join keys"}},
		{`join "j" { left = fetch.in; right = fetch.r; on = ["id"]; suffix = "" }`, []string{"Invalid suffix"}},
	}
	for _, tt := range tests {
		op, diags := newOp(t, joinRight+block(tt.src), "join.j", nil, nil)
		if !diags.HasErrors() {
			jo := op.(*joinOp)
			schemas := make([]*arrow.Schema, 2)
			schemas[jo.leftIn], schemas[jo.rightIn] = joinLeftSchema, joinRightSchema
			_, diags = op.Prepare(schemas)
		}
		wantDiag(t, diags, tt.subs...)
	}
}

func TestJoinSelf(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, block(`join "j" { left = fetch.in; right = fetch.in; on = ["id"]; how = "inner"; many = true }`), "join.j")
	rec := fromJSON(t, mem, joinLeftSchema, `[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 1, "name": "c"}]`)
	defer rec.Release()
	res, err := runRec(t, mem, op, rec, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"id":1,"name":"a","name_right":"a"}`, `{"id":1,"name":"a","name_right":"c"}`,
		`{"id":2,"name":"b","name_right":"b"}`,
		`{"id":1,"name":"c","name_right":"a"}`, `{"id":1,"name":"c","name_right":"c"}`,
	}
	if d := cmp.Diff(want, res.Rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestJoinParams(t *testing.T) {
	p := func(src string) map[string]string {
		return paramMap(mustOp(t, joinRight+block(src), "join.j").Params())
	}
	list := p(`join "j" { left = fetch.in; right = fetch.r; on = ["id"] }`)
	m := p(`join "j" { left = fetch.in; right = fetch.r; on = { id = "id" } }`)
	if d := cmp.Diff(list, m); d != "" {
		t.Errorf("on as a list and as the same map differ in params:\n%s", d)
	}
	other := p(`join "j" { left = fetch.in; right = fetch.r; on = { id = "name" } }`)
	if other["on"] == list["on"] {
		t.Errorf("on = {id = \"name\"} has the params of on = [\"id\"]")
	}
}

func TestJoinEmptySides(t *testing.T) {
	res, err := runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "left" }`, joinLeftRows, `[]`, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 5 || res.Rows[0] != `{"id":1,"name":"a","name_right":null,"tags":null}` {
		t.Errorf("left join with an empty right side: %v", res.Rows)
	}
	for _, how := range []string{"inner", "semi"} {
		res, err = runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "`+how+`" }`, joinLeftRows, `[]`, 2)
		if err != nil || len(res.Rows) != 0 {
			t.Errorf("%s join with an empty right side: %v, %v", how, res.Rows, err)
		}
	}
	res, err = runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; how = "anti" }`, joinLeftRows, `[]`, 2)
	if err != nil || len(res.Rows) != 5 {
		t.Errorf("anti join with an empty right side: %v, %v", res.Rows, err)
	}
	res, err = runJoin(t, `join "j" { left = fetch.in; right = fetch.r; on = ["id"]; many = true }`, `[]`, joinRightRows, 2)
	if err != nil || len(res.Rows) != 0 {
		t.Errorf("inner join with an empty left side: %v, %v", res.Rows, err)
	}
}

// A context cancelled mid-run stops the join with the context's error.
func TestJoinHonoursContext(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, joinRight+block(`join "j" { left = fetch.in; right = fetch.r; on = ["id"]; many = true }`), "join.j")
	lrec := fromJSON(t, mem, joinLeftSchema, joinLeftRows)
	defer lrec.Release()
	rrec := fromJSON(t, mem, joinRightSchema, joinRightRows)
	defer rrec.Release()
	lin, lrel := sliced(lrec, 1)
	defer lrel()
	rin, rrel := sliced(rrec, 1)
	defer rrel()
	out, diags := op.Prepare([]*arrow.Schema{joinLeftSchema, joinRightSchema})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emitted := 0
	err := op.Run(ctx, &RunContext{Mem: mem, Inputs: []Input{lin, rin}, BatchSize: 1, Emit: func(rec arrow.RecordBatch) error {
		emitted++
		cancel()
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), "context canceled") || emitted != 1 {
		t.Errorf("cancelled join: err %v after %d batches", err, emitted)
	}
	_ = out
}

// BenchmarkJoinInt64 joins 2M × 200k rows on a unique int64 key (about
// 80% of the left rows match), in batches of 64Ki rows: dense keys
// (0..200k-1: the rank index) and sparse ones (the same times a large
// odd number: the hash index); the output goes to Emit (the op gathers
// the matched rows) or to EmitRows (as in the executor, whose artifact
// writer gathers them; here nothing does).
func BenchmarkJoinInt64(b *testing.B) {
	const nl, nr, batch = 2_000_000, 200_000, 1 << 16
	mem := memory.NewGoAllocator()
	mk := func(n int, key func(i int) int64, name string) []arrow.RecordBatch {
		schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: name, Type: arrow.PrimitiveTypes.Int64}}, nil)
		var recs []arrow.RecordBatch
		for s := 0; s < n; s += batch {
			rb := array.NewRecordBuilder(mem, schema)
			for i := s; i < min(s+batch, n); i++ {
				rb.Field(0).(*array.Int64Builder).Append(key(i))
				rb.Field(1).(*array.Int64Builder).Append(int64(i))
			}
			recs = append(recs, rb.NewRecordBatch())
			rb.Release()
		}
		return recs
	}
	in := func(recs []arrow.RecordBatch) Input {
		return Input{Schema: recs[0].Schema(), Open: func() (array.RecordReader, error) { return array.NewRecordReader(recs[0].Schema(), recs) }}
	}
	p := filepath.Join(b.TempDir(), "r.hcl")
	if err := os.WriteFile(p, []byte(stubInput+joinRight+block(`join "j" { left = fetch.in; right = fetch.r; on = ["id"] }`)), 0o644); err != nil {
		b.Fatal(err)
	}
	r, diags := recipe.Load(p, Builtin().Kinds(), nil)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	for _, keys := range []string{"dense", "sparse"} {
		spread := func(k int64) int64 { return k }
		if keys == "sparse" {
			spread = func(k int64) int64 { return k * 0x5851f42d4c957f2d }
		}
		left := mk(nl, func(i int) int64 { return spread(int64(uint64(i)*0x9e3779b97f4a7c15>>40) % (nr + nr/4)) }, "a")
		right := mk(nr, func(i int) int64 { return spread(int64(i)) }, "b")
		op, diags := joinSpec.New(r.Node("join.j"), &Env{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if _, diags := op.Prepare([]*arrow.Schema{left[0].Schema(), right[0].Schema()}); diags.HasErrors() {
			b.Fatal(diags)
		}
		for _, emit := range []string{"batch", "rows"} {
			b.Run(keys+"/"+emit, func(b *testing.B) {
				for b.Loop() {
					rows := int64(0)
					rc := &RunContext{Mem: mem, Inputs: []Input{in(left), in(right)}, BatchSize: batch, Emit: func(rec arrow.RecordBatch) error {
						rows += rec.NumRows()
						return nil
					}}
					if emit == "rows" {
						rc.EmitRows = func(rec arrow.RecordBatch, sel expr.Selection) error {
							rows += int64(sel.Kept())
							return nil
						}
					}
					if err := op.Run(context.Background(), rc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		for _, recs := range [][]arrow.RecordBatch{left, right} {
			for _, rec := range recs {
				rec.Release()
			}
		}
	}
}
