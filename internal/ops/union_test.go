package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// runMulti prepares op over recs (in the node's dependency order) and runs
// it with each input read in batches of size rows.
func runMulti(t *testing.T, mem memory.Allocator, op Op, recs []arrow.RecordBatch, size int) (*result, error) {
	t.Helper()
	schemas := make([]*arrow.Schema, len(recs))
	var ins []Input
	for i, r := range recs {
		schemas[i] = r.Schema()
		in, release := sliced(r, size)
		defer release()
		ins = append(ins, in)
	}
	out, diags := op.Prepare(schemas)
	if diags.HasErrors() {
		t.Fatalf("Prepare: %s", diags.Error())
	}
	return run(t, context.Background(), mem, op, out, RunContext{Inputs: ins})
}

func TestUnion(t *testing.T) {
	const fetches = `fetch "a" { url = "a.json" }
fetch "b" { url = "b.json" }
`
	sa := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "t", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	sb := arrow.NewSchema([]arrow.Field{{Name: "t", Type: arrow.BinaryTypes.LargeString}, {Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "x", Type: arrow.FixedWidthTypes.Boolean}}, nil)
	tests := []struct {
		name, src string
		schema    string
		rows      []string
	}{
		{"tuple, order kept, no label", `union "u" { inputs = [fetch.b, fetch.a] }`,
			"t: large_utf8, id: int64 not null, x: bool", // fetch.b is dep 1: inputs follow the tuple
			[]string{`{"id":10,"t":"x","x":true}`, `{"id":11,"t":"y","x":false}`, `{"id":1,"t":"p","x":null}`, `{"id":2,"t":null,"x":null}`, `{"id":3,"t":"q","x":null}`}},
		{"object labels", `union "u" {
  inputs = { first = fetch.a, second = fetch.b }
  label_column = "src"
}`,
			"id: int64 not null, t: large_utf8, x: bool, src: utf8 not null",
			[]string{`{"id":1,"src":"first","t":"p","x":null}`, `{"id":2,"src":"first","t":null,"x":null}`, `{"id":3,"src":"first","t":"q","x":null}`, `{"id":10,"src":"second","t":"x","x":true}`, `{"id":11,"src":"second","t":"y","x":false}`}},
		{"tuple labels are node names; one input twice", `union "u" {
  inputs = [fetch.a, fetch.a]
}`,
			"id: int32 not null, t: utf8",
			[]string{`{"id":1,"t":"p"}`, `{"id":2,"t":null}`, `{"id":3,"t":"q"}`, `{"id":1,"t":"p"}`, `{"id":2,"t":null}`, `{"id":3,"t":"q"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 1024} {
				mem := checked()
				n, env := loadNode(t, fetches+tt.src, "union.u", nil)
				op, diags := unionSpec.New(n, env)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				ra := fromJSON(t, mem, sa, `[{"id":1,"t":"p"},{"id":2,"t":null},{"id":3,"t":"q"}]`)
				rb := fromJSON(t, mem, sb, `[{"t":"x","id":10,"x":true},{"t":"y","id":11,"x":false}]`)
				// Dependency order: the order of first reference.
				var recs []arrow.RecordBatch
				for _, d := range n.Deps {
					if d == "fetch.a" {
						recs = append(recs, ra)
					} else {
						recs = append(recs, rb)
					}
				}
				res, err := runMulti(t, mem, op, recs, size)
				if err != nil {
					t.Fatal(err)
				}
				if got := SchemaString(res.Schema); got != tt.schema {
					t.Errorf("schema %s, want %s", got, tt.schema)
				}
				if strings.Join(res.Rows, "\n") != strings.Join(tt.rows, "\n") {
					t.Errorf("size %d: rows\n%s\nwant\n%s", size, strings.Join(res.Rows, "\n"), strings.Join(tt.rows, "\n"))
				}
				ra.Release()
				rb.Release()
				mem.AssertSize(t, 0)
			}
		})
	}
}

func TestUnionLabelsReachParams(t *testing.T) {
	const fetches = "fetch \"a\" { url = \"a.json\" }\nfetch \"b\" { url = \"b.json\" }\n"
	p1 := paramMap(mustOp(t, fetches+`union "u" {
  inputs = { x = fetch.a, y = fetch.b }
  label_column = "src"
}`, "union.u").Params())
	p2 := paramMap(mustOp(t, fetches+`union "u" {
  inputs = { x2 = fetch.a, y = fetch.b }
  label_column = "src"
}`, "union.u").Params())
	if p1["labels"] == p2["labels"] {
		t.Errorf("labels param %q did not change with the labels", p1["labels"])
	}
	// Node names label a tuple; kinds disambiguate names that collide.
	p3 := paramMap(mustOp(t, fetches+`union "u" {
  inputs = [fetch.a, select.a, fetch.b]
  label_column = "src"
}
select "a" { input = fetch.b }`, "union.u").Params())
	if want := `["fetch.a","select.a","b"]`; p3["labels"] != want {
		t.Errorf("labels = %s, want %s", p3["labels"], want)
	}
	_, diags := newOp(t, fetches+`union "u" {
  inputs = [fetch.a, fetch.a]
  label_column = "src"
}`, "union.u", nil, nil)
	wantDiag(t, diags, "Duplicate union label", `"a"`)
}
