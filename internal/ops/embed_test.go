package ops

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestEmbedHashBatchSizeAndNulls(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := fromJSON(t, mem, sc, `[{"text": "I feel alone"}, {"text": null}, {"text": "..."}, {"text": "Thank you, that helps"}, {"text": "I feel alone"}]`)
	defer rec.Release()
	op := mustOp(t, `embed "e" {
  input = fetch.in
  model = "hash-8"
}
`, "embed.e")
	var first []string
	for _, size := range []int{1, 2, 5} {
		res, err := runRec(t, mem, op, rec, size)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Schema.Field(1).Type.String(); got != "fixed_size_list<item: float32, nullable>[8]" {
			t.Fatalf("embedding type %s", got)
		}
		if first == nil {
			first = res.Rows
			if !strings.Contains(res.Rows[1], `"embedding":null`) || !strings.Contains(res.Rows[2], `"embedding":[0,0,0,0,0,0,0,0]`) || res.Rows[0][len(`{"embedding":`):] != res.Rows[4][len(`{"embedding":`):] {
				t.Fatalf("rows:\n%s", strings.Join(res.Rows, "\n"))
			}
			continue
		}
		if strings.Join(res.Rows, "\n") != strings.Join(first, "\n") {
			t.Fatalf("batch size %d changed the embeddings", size)
		}
	}
}

func TestEmbedDiagnostics(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`model = "hash-1"`, "dimension d from 2 to 65536"},
		{`model = "bert"`, `is not "hash-<d>"`},
		{`model = "openai:m"` + "\n" + `endpoint = "http://x/v1"`, "Missing dimensions"},
		{`model = "openai:m"` + "\n" + `dimensions = 8`, "Missing endpoint"},
		{`model = "hash-8"` + "\n" + `dimensions = 8`, "does not apply"},
	} {
		_, diags := newOp(t, "embed \"e\" {\n  input = fetch.in\n  "+c.src+"\n}\n", "embed.e", nil, nil)
		wantDiag(t, diags, c.want)
	}
	op := mustOp(t, "embed \"e\" {\n  input = fetch.in\n}\n", "embed.e")
	_, diags := op.Prepare([]*arrow.Schema{arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.PrimitiveTypes.Int64}}, nil)})
	wantDiag(t, diags, "Not a text column")
}
