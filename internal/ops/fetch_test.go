package ops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runFetch(t *testing.T, body, file, content string) (*result, error) {
	t.Helper()
	mem := checked()
	defer mem.AssertSize(t, 0)
	op := mustOp(t, "fetch \"t\" {\n  "+body+"\n}\n", "fetch.t")
	if _, ok := op.(Source); !ok {
		t.Fatalf("fetch op is not a Source")
	}
	out := prepare(t, op, nil)
	if out != nil {
		t.Errorf("Prepare = %s, want nil (the schema comes from the data)", out)
	}
	p := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, context.Background(), mem, op, nil, RunContext{RawPaths: []string{p}, BatchSize: 2})
}

func TestFetchDecode(t *testing.T) {
	want := []string{`{"empathy":5,"name":"a"}`, `{"empathy":null,"name":"b"}`, `{"empathy":2,"name":"c"}`}
	tests := []struct {
		name, body, file, content string
		want                      []string
		types                     string
	}{
		{"jsonl", `url = "https://example.com/d.jsonl"`, "blob", "{\"name\":\"a\",\"empathy\":5}\n{\"name\":\"b\"}\n{\"name\":\"c\",\"empathy\":2}\n",
			want, "name: utf8, empathy: int64"},
		{"json array", `url = "https://example.com/d.json"`, "blob", `[{"name":"a","empathy":5},{"name":"b","empathy":null},{"name":"c","empathy":2}]`,
			want, "name: utf8, empathy: int64"},
		{"json lines named .json", "url = \"d.json\"\n  format = \"jsonl\"", "blob", "{\"name\":\"a\",\"empathy\":5}\n{\"name\":\"b\"}\n{\"name\":\"c\",\"empathy\":2}\n",
			want, "name: utf8, empathy: int64"},
		// CSV cells are strings (empty = "") unless a schema is declared.
		{"csv", `url = "d.csv"`, "blob", "name,empathy\na,5\nb,\nc,2\n",
			[]string{`{"empathy":"5","name":"a"}`, `{"empathy":"","name":"b"}`, `{"empathy":"2","name":"c"}`}, "name: utf8, empathy: utf8"},
		{"declared schema", "url = \"d.csv\"\n  schema = { empathy = \"int64\", name = \"string\" }", "blob", "name,empathy\n007,5\n008,\n009,2\n",
			[]string{`{"empathy":5,"name":"007"}`, `{"empathy":null,"name":"008"}`, `{"empathy":2,"name":"009"}`}, "name: utf8, empathy: int64"},
		{"declared float", "url = \"d.jsonl\"\n  schema = { empathy = \"float64\" }", "blob", "{\"name\":\"a\",\"empathy\":5}\n{\"name\":\"b\"}\n{\"name\":\"c\",\"empathy\":2}\n",
			want, "name: utf8, empathy: float64"},
		{"headerless tsv", "url = \"d.tsv\"\n  header = false\n  schema = { c1 = \"int32\" }", "blob", "a\t5\nb\t\nc\t2\n",
			[]string{`{"c0":"a","c1":5}`, `{"c0":"b","c1":null}`, `{"c0":"c","c1":2}`}, "c0: utf8, c1: int32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runFetch(t, tt.body, tt.file, tt.content)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, res.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if got := SchemaString(res.Schema); !strings.HasPrefix(strings.ReplaceAll(got, " not null", ""), tt.types) {
				t.Errorf("schema = %s, want %s", got, tt.types)
			}
			if res.Batches != 2 {
				t.Errorf("%d batches for 3 rows with BatchSize 2, want 2", res.Batches)
			}
		})
	}
}

func TestFetchDeclaredErrors(t *testing.T) {
	tests := []struct{ schema, want string }{
		{`{ nope = "int64" }`, `"nope" is declared but not in the data`},
		{`{ empathy = "decimal" }`, `unsupported type "decimal"`},
	}
	for _, tt := range tests {
		_, err := runFetch(t, "url = \"d.csv\"\n  schema = "+tt.schema, "blob", "name,empathy\na,5\n")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("schema = %s: Run = %v, want an error containing %q", tt.schema, err, tt.want)
		}
	}
	// A value that does not fit names the upstream file, not the blob path.
	_, err := runFetch(t, "url = \"https://example.com/scores.csv\"\n  schema = { empathy = \"int64\" }", "blob", "name,empathy\na,high\n")
	if err == nil || !strings.Contains(err.Error(), "scores.csv") {
		t.Errorf("bad value: Run = %v, want an error naming scores.csv", err)
	}
}

func TestFetchDiagnostics(t *testing.T) {
	const hex = "d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
	tests := []struct{ body, want string }{
		{`url = "https://example.com/data.xml"`, "Unknown format"},
		{`url = "https://example.com/download"`, "Unknown format"},
		{"url = \"d.json\"\n  format = \"xml\"", `format "xml" is not one of`},
		{"url = \"d.json\"\n  digest = \"sha256:abc\"", "Invalid digest"},
		{"url = \"d.json\"\n  digest = \"md5:" + hex[:32] + "\"", "Invalid digest"},
		{"url = \"d.json\"\n  digest = \"" + hex + "\"", "Invalid digest"},
		{"url = \"d.csv\"\n  delimiter = \";;\"", "single character"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			_, diags := newOp(t, "fetch \"t\" {\n  "+tt.body+"\n}\n", "fetch.t", nil, nil)
			wantDiag(t, diags, tt.want)
		})
	}
	op := mustOp(t, "fetch \"t\" {\n  url = \"https://example.com/d.json\"\n  digest = \"sha256:"+hex+"\"\n}\n", "fetch.t")
	src := op.(Source)
	if got := src.Pin().String(); got != "sha256:"+hex {
		t.Errorf("Pin() = %q, want sha256:%s", got, hex)
	}
	if diff := cmp.Diff([]string{"https://example.com/d.json"}, src.URLs()); diff != "" {
		t.Errorf("URLs() (-want +got):\n%s", diff)
	}
	// The key never holds the URL or the pin: the bytes are the input.
	for _, p := range op.Params() {
		if strings.Contains(p.Value, "example.com") || strings.Contains(p.Value, hex) {
			t.Errorf("Params hold %s = %s", p.Name, p.Value)
		}
	}
}
