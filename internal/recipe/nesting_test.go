package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckNesting(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "x" + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		src  string
		// line and col of the reported position; 0 = no diagnostic
		line, col int
	}{
		{"parens at the limit", "a = " + deep("(", ")", MaxNesting-1) + "\n", 0, 0},
		{"parens over the limit", "a = " + deep("(", ")", MaxNesting+10) + "\n", 1, 5 + MaxNesting},
		{"brackets", "a = " + deep("[", "]", 100000) + "\n", 1, 5 + MaxNesting},
		{"objects", "a = " + deep("{b = ", "}", 100000) + "\n", 1, 5 + 5*MaxNesting},
		{"blocks", strings.Repeat("b {\n", MaxNesting+1) + strings.Repeat("}\n", MaxNesting+1), MaxNesting + 1, 3},
		{"bang chain", "a = " + strings.Repeat("!", 100000) + "x\n", 1, 5 + MaxNesting},
		{"minus chain", "a = " + strings.Repeat("- ", 100000) + "x\n", 1, 5 + 2*MaxNesting},
		{"bang and parens", "a = " + deep("!(", ")", 100000) + "\n", 1, 5 + MaxNesting},
		{"chained conditionals", "a = " + strings.Repeat("x ? y : ", 100000) + "z\n", 1, 7 + 8*MaxNesting},
		{"interpolations", "a = " + deep(`"${`, `}"`, 100000) + "\n", 1, 5 + 3*(MaxNesting/2)},
		{"directives", "a = <<EOT\n" + strings.Repeat("%{ if x }", MaxNesting+1) + "\nEOT\n", 2, 1 + 9*(MaxNesting-1)},
		// Brackets in strings, heredocs and comments do not nest.
		{"string", `a = "` + strings.Repeat("((((", 100000) + `"` + "\n", 0, 0},
		{"escaped quote", `a = "\"` + strings.Repeat("(", 100000) + `"` + "\n", 0, 0},
		{"literal interpolation", `a = "$${` + strings.Repeat("(", 100000) + `"` + "\n", 0, 0},
		{"heredoc", "a = <<-EOT\n" + strings.Repeat("(", 100000) + "\n  EOT\nb = 1\n", 0, 0},
		{"line comment", "# " + strings.Repeat("(", 100000) + "\na = 1\n", 0, 0},
		{"block comment", "/* " + strings.Repeat("[", 100000) + " */\na = 1\n", 0, 0},
		// Long flat expressions are not deep.
		{"many siblings", "a = [" + strings.Repeat("(x), ", 100000) + "]\n", 0, 0},
		{"binary minus", "a = " + strings.Repeat("x - ", MaxChain) + "x\n", 0, 0},
		{"not equal", "a = " + strings.Repeat("x != ", MaxChain) + "x\n", 0, 0},
		{"negations of operands", "a = " + strings.Repeat("!x && ", MaxChain) + "x\n", 0, 0},
		{"chains in brackets", "a = " + strings.Repeat("(x || "+strings.Repeat("x && ", MaxChain-10)+"x) && ", 5) + "x\n", 0, 0},
		{"chains on lines", "b {\n" + strings.Repeat("a = x + x\n", 2*MaxChain) + "}\n", 0, 0},
		{"for expressions", "a = [" + strings.Repeat("[for k, v in x : k => v], ", 2*MaxChain) + "]\n", 0, 0},
		{"index chain", "a = x" + strings.Repeat("[k]", 100000) + "\n", 1, 6 + 3*MaxChain},
		{"tuple of tuples", "a = [" + strings.Repeat("[1], ", 100000) + "]\n", 0, 0},
		// A chain of operators builds a tree as deep as it is long.
		{"long && chain", "a = " + strings.Repeat("x && ", 100000) + "x\n", 1, 7 + 5*MaxChain},
		{"long chain of mixed operators", "a = " + strings.Repeat("x <= 1 || ", 100000) + "x\n", 1, 7 + 10*(MaxChain/2)},
		{"conditionals in a list", "a = [" + strings.Repeat("x ? 1 : 2, ", 100000) + "]\n", 0, 0},
		{"conditionals on lines", "b {\n" + strings.Repeat("a = x ? 1 : 2\n", 100000) + "}\n", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diags := CheckNesting([]byte(tc.src), "t.hcl")
			if tc.line == 0 {
				if len(diags) > 0 {
					t.Fatalf("CheckNesting = %s, want none", FormatDiagnostics(diags))
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("CheckNesting = %d diagnostics, want 1", len(diags))
			}
			got := diags[0].Subject.Start
			if got.Line != tc.line || got.Column != tc.col {
				t.Errorf("CheckNesting at %d:%d, want %d:%d", got.Line, got.Column, tc.line, tc.col)
			}
		})
	}
}

// TestLoadDeepRecipe loads recipes nested far too deep: a diagnostic at
// the place, not a stack overflow.
func TestLoadDeepRecipe(t *testing.T) {
	for name, where := range map[string]string{
		"parens": strings.Repeat("(", 100000) + "ok" + strings.Repeat(")", 100000),
		"bangs":  strings.Repeat("!", 100000) + "ok",
		"tuple":  strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "deep.hcl")
			src := fmt.Sprintf("fetch \"a\" {\n  url = \"a.csv\"\n}\n\nfilter \"f\" {\n  input = fetch.a\n  where = %s\n}\n", where)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, diags := Load(path, testKinds, nil)
			want := fmt.Sprintf("%s:7:%d: error: Expression nested too deeply", path, 10+MaxNesting) // the block is one level
			if got := FormatDiagnostics(diags); !strings.HasPrefix(got, want) {
				t.Errorf("Load = %s, want %s", got, want)
			}
		})
	}
}

// TestDeepVarValue: a -var value is parsed as HCL too; 100k brackets are
// an error about the value, not a stack overflow.
func TestDeepVarValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.hcl")
	src := "variable \"xs\" {\n  type = list(number)\n  default = []\n}\n\nfetch \"a\" {\n  url = \"a.csv\"\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(path, testKinds, map[string]string{"xs": strings.Repeat("[", 100000) + strings.Repeat("]", 100000)})
	if got := FormatDiagnostics(diags); !strings.Contains(got, "Invalid value for variable") || !strings.Contains(got, "nested too deeply at column 501") {
		t.Errorf("Load = %s, want an invalid -var value nested too deeply", got)
	}
}
