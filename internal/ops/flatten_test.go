package ops

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

const flattenDialog = "flatten \"t\" {\n  input = fetch.in\n  column = \"dialog\"\n}\n"

func TestFlattenStructList(t *testing.T) {
	const data = `[
		{"situation": "exams", "dialog": [
			{"speaker": "usr", "text": "hi"},
			{"speaker": "sys", "strategy": "Question", "text": "what?"}]},
		{"situation": "none", "dialog": []},
		{"situation": "null", "dialog": null},
		{"situation": "nullelem", "dialog": [null, {"speaker": "usr", "text": "x"}]},
		{"situation": null, "dialog": [{"speaker": null, "text": "y"}]}
	]`
	want := []string{
		`{"situation":"exams","speaker":"usr","strategy":null,"text":"hi","turn":0}`,
		`{"situation":"exams","speaker":"sys","strategy":"Question","text":"what?","turn":1}`,
		`{"situation":"nullelem","speaker":null,"strategy":null,"text":null,"turn":0}`,
		`{"situation":"nullelem","speaker":"usr","strategy":null,"text":"x","turn":1}`,
		`{"situation":null,"speaker":null,"strategy":null,"text":"y","turn":2}`,
	}
	want[4] = `{"situation":null,"speaker":null,"strategy":null,"text":"y","turn":0}`
	for _, size := range []int{1, 2, 3, 4096} {
		t.Run(fmt.Sprint("batch", size), func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			op := mustOp(t, flattenDialog, "flatten.t")
			rec := fromJSON(t, mem, dialogSchema, data)
			defer rec.Release()
			res, err := runRec(t, mem, op, rec, size)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(want, res.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"situation", "turn", "speaker", "strategy", "text"}, fieldNames(res.Schema)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlattenPrimitiveList(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	rec := fromJSON(t, mem, schema, `[{"id": 1, "tags": ["a", null]}, {"id": 2, "tags": null}, {"id": 3, "tags": ["c"]}]`)
	defer rec.Release()
	op := mustOp(t, "flatten \"t\" {\n  input = fetch.in\n  column = \"tags\"\n  index = \"i\"\n  prefix = \"p_\"\n}\n", "flatten.t")
	res, err := runRec(t, mem, op, rec, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"i":0,"id":1,"p_tags":"a"}`, `{"i":1,"id":1,"p_tags":null}`, `{"i":0,"id":3,"p_tags":"c"}`}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// listWithHiddenElements builds a dialog column whose null list still owns
// elements (offsets 0,2,3,5 with list 1 null), the case where element
// offsets are not contiguous.
func listWithHiddenElements(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	lt := dialogSchema.Field(1).Type.(*arrow.ListType)
	elems := fromJSON(t, mem, arrow.NewSchema([]arrow.Field{{Name: "e", Type: lt.Elem(), Nullable: true}}, nil), `[
		{"e": {"speaker": "usr", "text": "a0"}}, {"e": {"speaker": "sys", "text": "a1"}},
		{"e": {"speaker": "usr", "text": "hidden"}},
		{"e": {"speaker": "usr", "text": "c0"}}, {"e": null}]`)
	defer elems.Release()
	offsets := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 2, 3, 5}))
	valid := memory.NewBufferBytes([]byte{0b101})
	data := array.NewData(lt, 3, []*memory.Buffer{valid, offsets}, []arrow.ArrayData{elems.Column(0).Data()}, 1, 0)
	defer data.Release()
	list := array.NewListData(data)
	defer list.Release()
	sit := fromJSON(t, mem, arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil),
		`[{"s": "a"}, {"s": "b"}, {"s": "c"}]`)
	defer sit.Release()
	return array.NewRecordBatch(dialogSchema, []arrow.Array{sit.Column(0), list}, 3)
}

func TestFlattenNonContiguous(t *testing.T) {
	want := []string{
		`{"situation":"a","speaker":"usr","strategy":null,"text":"a0","turn":0}`,
		`{"situation":"a","speaker":"sys","strategy":null,"text":"a1","turn":1}`,
		`{"situation":"c","speaker":"usr","strategy":null,"text":"c0","turn":0}`,
		`{"situation":"c","speaker":null,"strategy":null,"text":null,"turn":1}`,
	}
	tests := []struct {
		name   string
		lo, hi int64
		want   []string
	}{
		{"whole", 0, 3, want},
		{"sliced from the null list", 1, 3, want[2:]},
		{"sliced to the null list", 0, 2, want[:2]},
		{"sliced to the last list", 2, 3, want[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			full := listWithHiddenElements(t, mem)
			defer full.Release()
			rec := full.NewSlice(tt.lo, tt.hi)
			defer rec.Release()
			op := mustOp(t, flattenDialog, "flatten.t")
			res, err := runRec(t, mem, op, rec, 4096)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, res.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlattenDiagnostics(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"index collides with a parent column", "column = \"dialog\"\n  index = \"situation\"", []string{"Duplicate output column", `"situation"`, "prefix"}},
		{"element field collides with the index", "column = \"dialog\"\n  index = \"text\"", []string{"Duplicate output column", `"text"`}},
		{"prefix avoids a collision", "column = \"dialog\"\n  index = \"text\"\n  prefix = \"d_\"", nil},
		{"not a list", `column = "situation"`, []string{"Not a list column", `"situation"`, "utf8"}},
		{"unknown column", `column = "turns"`, []string{"Unknown column", `"turns"`, "dialog"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := mustOp(t, fmt.Sprintf("flatten \"t\" {\n  input = fetch.in\n  %s\n}\n", tt.body), "flatten.t")
			_, diags := op.Prepare([]*arrow.Schema{dialogSchema})
			if tt.want == nil {
				if diags.HasErrors() {
					t.Fatalf("Prepare: %s", diags.Error())
				}
				return
			}
			wantDiag(t, diags, tt.want...)
		})
	}
}

func TestFlattenESConv(t *testing.T) {
	dir := sharedtest.Dir(t, "data/esconv/hf_splits")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(paths) != 3 {
		t.Skipf("ESConv splits not found in %s", dir)
	}
	tests := []struct {
		name       string
		paths      []string
		convs, out int64
	}{
		{"all splits", paths, 1300, 38365},
		{"test split", []string{filepath.Join(dir, "test.json")}, -1, 6039},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked()
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			opts := arrowio.ReadOptions{Format: arrowio.JSONL, BatchSize: 500}
			schema, err := arrowio.InferSchema(ctx, tt.paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Schema = schema
			in := Input{Schema: schema, Open: func() (array.RecordReader, error) { return arrowio.Open(ctx, mem, tt.paths, opts) }}
			op := mustOp(t, flattenDialog, "flatten.t")
			out := prepare(t, op, schema)
			var convs, rows int64
			counting := Input{Schema: schema, Open: func() (array.RecordReader, error) {
				rd, err := in.Open()
				if err != nil {
					return nil, err
				}
				return &countingReader{RecordReader: rd, n: &convs}, nil
			}}
			rc := RunContext{Mem: mem, Inputs: []Input{counting}, Emit: func(rec arrow.RecordBatch) error {
				if !rec.Schema().Equal(out) {
					t.Errorf("batch schema %s, want %s", rec.Schema(), out)
				}
				rows += rec.NumRows()
				return nil
			}}
			if err := op.Run(ctx, &rc); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if tt.convs >= 0 && convs != tt.convs {
				t.Errorf("read %d conversations, want %d", convs, tt.convs)
			}
			if rows != tt.out {
				t.Errorf("flatten gave %d rows, want %d", rows, tt.out)
			}
		})
	}
}

type countingReader struct {
	array.RecordReader
	n *int64
}

func (r *countingReader) Next() bool {
	if !r.RecordReader.Next() {
		return false
	}
	*r.n += r.RecordBatch().NumRows()
	return true
}
