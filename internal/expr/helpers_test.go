package expr

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

func sharedDir(tb testing.TB, sub string) string { return sharedtest.Dir(tb, sub) }

func parse(t testing.TB, src string) hclsyntax.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %s", src, diags.Error())
	}
	return e
}

func recFromJSON(t testing.TB, mem memory.Allocator, schema *arrow.Schema, js string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(js))
	if err != nil {
		t.Fatalf("RecordFromJSON: %v", err)
	}
	return rec
}

// evalJSON compiles src against rec's schema, evaluates it, and returns
// the result as JSON.
func evalJSON(t testing.TB, mem memory.Allocator, rec arrow.RecordBatch, src string, vars map[string]cty.Value) (string, arrow.DataType) {
	t.Helper()
	p, diags := Compile(parse(t, src), rec.Schema(), vars)
	if diags.HasErrors() {
		t.Fatalf("Compile(%q): %s", src, diags.Error())
	}
	out, err := p.Eval(context.Background(), mem, rec)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	defer out.Release()
	if !arrow.TypeEqual(out.DataType(), p.Type()) {
		t.Errorf("Eval(%q) type %s, Program.Type() %s", src, out.DataType(), p.Type())
	}
	if err := validateFull(out); err != nil {
		t.Errorf("Eval(%q) result invalid: %v", src, err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), out.DataType()
}

func validateFull(a arrow.Array) error {
	if v, ok := a.(interface{ ValidateFull() error }); ok {
		return v.ValidateFull()
	}
	return nil
}
