package expr

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// FuzzCompile feeds arbitrary source text through parse, Compile,
// Canonical and Eval: none of them may panic or leak.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`i < 3 && s == "x"`, `tonumber(st.x) < 3`, `[for k, t in dialog : {role = t.speaker, turn = k} if k > 0]`,
		`coalesce(i, j, 1) / 0`, `in(s, ["a", null])`, `regex_match(s, "^a+$")`, `b ? st : null`,
		`"${i}-${s}"`, `dialog[2].text`, `col["odd name"] % -i`, `length(dialog) + length(s)`, `-(-f)`,
		`[i, j, f]`, `!(b || c) == true`, `upper(lower(trimspace(ls)))`, `var.lim`, `st["in ner"].y`,
	} {
		f.Add(s)
	}
	mem := memory.NewGoAllocator()
	rec := recFromJSON(f, mem, testSchema, testRows)
	vars := map[string]cty.Value{"lim": cty.NumberIntVal(2)}
	f.Fuzz(func(t *testing.T, src string) {
		e, diags := hclsyntax.ParseExpression([]byte(src), "fuzz.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			return
		}
		_, _ = Canonical(e)
		p, diags := CompileWithOptions(e, testSchema, vars, CompileOptions{Strict: len(src)%2 == 0})
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a range: %s", d.Error())
				}
			}
			return
		}
		cm := memory.NewCheckedAllocator(mem)
		out, err := p.Eval(context.Background(), cm, rec)
		if err == nil {
			if out.Len() != int(rec.NumRows()) {
				t.Errorf("Eval(%q) has %d rows, want %d", src, out.Len(), rec.NumRows())
			}
			out.Release()
		}
		cm.AssertSize(t, 0)
	})
}
