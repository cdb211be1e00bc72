package expr

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func canonOf(t *testing.T, src string) string {
	t.Helper()
	s, diags := Canonical(parse(t, src))
	if diags.HasErrors() {
		t.Fatalf("Canonical(%q): %s", src, diags.Error())
	}
	return s
}

func TestCanonical(t *testing.T) {
	if got, want := canonOf(t, `tonumber(survey_score.seeker.empathy) < 3`), `(lt (call tonumber (col survey_score seeker empathy)) (num 3))`; got != want {
		t.Errorf("Canonical = %s, want %s", got, want)
	}
	same := [][]string{
		{`tonumber(survey_score.seeker.empathy) < 3`, "(  tonumber( survey_score.seeker.empathy ) )<3.0", "tonumber(survey_score[\"seeker\"].empathy) < 3 # why\n", `tonumber(col["survey_score"].seeker.empathy) < 3e0`},
		{`a && b || c`, `((a && b)) || (c)`, "a &&\n b || /* c */ c"},
		{`s == "x"`, `s == "${"x"}"`, `(s) == ("x")`},
		{`"${s}"`, `s`},
		{`-3`, `-3.0`, `(-(3))`},
		{`[for t in dialog : t.text if t.speaker == "usr"]`, `[for u in dialog: u["text"] if (u.speaker == "usr")]`},
		{`[for i, t in dialog : {role = t.speaker, turn = i}]`, `[for k, v in dialog : { role = v.speaker, "turn" = k }]`},
		{`var.x + 1`, `var.x+1`},
	}
	for _, group := range same {
		want := canonOf(t, group[0])
		for _, src := range group[1:] {
			if got := canonOf(t, src); got != want {
				t.Errorf("Canonical(%q) = %s, want %s (as for %q)", src, got, want, group[0])
			}
		}
	}
	different := []string{
		`a < 3`, `a <= 3`, `a < 3.5`, `a < "3"`, `3 < a`, `b < 3`, `a.b < 3`, `col["a.b"] < 3`,
		`a - b - c`, `a - (b - c)`, `a && b || c`, `a && (b || c)`, `-a`, `!a`,
		`lower(a)`, `upper(a)`, `f(a, b)`, `f(b, a)`, `"a"`, `"A"`, `true`, `null`, `[a, b]`, `{a = b}`, `{b = a}`,
		`[for t in d : t]`, `[for t in d : t if t]`, `[for t in e : t]`, `[for t in d : x]`, `a ? b : c`, `a ? c : b`,
		`var.a`, `a`, `dialog[0]`, `dialog[1]`, `"${a}b"`, `"${a}${b}"`,
	}
	seen := map[string]string{}
	for _, src := range different {
		c := canonOf(t, src)
		if prev, dup := seen[c]; dup {
			t.Errorf("Canonical(%q) = Canonical(%q) = %s, want different", src, prev, c)
		}
		seen[c] = src
	}
}

func TestDiagnostics(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "survey_score", Type: arrow.StructOf(
			arrow.Field{Name: "seeker", Type: arrow.StructOf(
				arrow.Field{Name: "empathy", Type: arrow.BinaryTypes.String, Nullable: true},
				arrow.Field{Name: "relevance", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true}), Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tests := []struct {
		src       string
		summary   string
		line, col int
		detail    []string
	}{
		{"n > 1 &&\n  survey_score.seeker.empathy < 3", "Mismatched types", 2, 3,
			[]string{"survey_score.seeker.empathy is a string column and 3 is a number; convert with tonumber(survey_score.seeker.empathy) < 3"}},
		{"n > 1 &&\n    survey_score.seeker.empahty == \"x\"", "Unknown column", 2, 24,
			[]string{`no field "empahty"`, `Did you mean "empathy"?`, "empathy, relevance"}},
		{"nn + 1", "Unknown column", 1, 1, []string{`Did you mean "n"?`, "survey_score, n, text"}},
		{"text && n > 1", "Invalid operand", 1, 1, []string{"&& needs bools", "text is a string column"}},
		{"lowr(text)", "Unknown function", 1, 1, []string{`Did you mean "lower"?`, "regex_match"}},
		{"regex_match(text, \"(\")", "Invalid regular expression", 1, 19, nil},
		{"regex_match(text, text)", "Non-constant pattern", 1, 19, nil},
		{"text + 1", "Invalid operand", 1, 1, []string{"tonumber(text)"}},
		{"var.nope", "Unknown variable", 1, 1, []string{`Did you mean "nop"?`}},
		{"n ? 1 : 2", "Invalid condition", 1, 1, nil},
		{"n > 1 ? \"a\" : 2", "Mismatched result types", 1, 1, nil},
		{"lower(n)", "Invalid function argument", 1, 7, []string{"tostring(n)"}},
		{"in(text, [1, 2])", "Mismatched types", 1, 10, nil},
		{"{for k, v in text : k => v}", "Unsupported expression", 1, 1, nil},
		{"[for t in text : t]", "Invalid for collection", 1, 11, nil},
	}
	vars := map[string]cty.Value{"nop": cty.True}
	for _, tc := range tests {
		p, diags := Compile(parse(t, tc.src), schema, vars)
		if !diags.HasErrors() || p != nil {
			t.Errorf("Compile(%q) = %v, no error", tc.src, p)
			continue
		}
		d := diags[0]
		if tc.src == "{for k, v in text : k => v}" {
			tc.summary = "Unsupported for expression"
		}
		if d.Summary != tc.summary {
			t.Errorf("Compile(%q) summary = %q, want %q (%s)", tc.src, d.Summary, tc.summary, d.Detail)
		}
		if d.Subject == nil || d.Subject.Start.Line != tc.line || d.Subject.Start.Column != tc.col {
			t.Errorf("Compile(%q) subject = %v, want line %d col %d", tc.src, d.Subject, tc.line, tc.col)
		}
		for _, want := range tc.detail {
			if !strings.Contains(d.Detail, want) {
				t.Errorf("Compile(%q) detail = %q, want it to contain %q", tc.src, d.Detail, want)
			}
		}
	}
	// All problems at once.
	_, diags := Compile(parse(t, `{a = nn, b = text < 1, c = lowr(n)}`), schema, nil)
	if len(diags) != 3 {
		t.Errorf("want 3 diagnostics, got %d: %s", len(diags), diags.Error())
	}
	// == null warns but compiles (to all-null, per SQL).
	p, diags := Compile(parse(t, `n == null`), schema, nil)
	if diags.HasErrors() || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || p == nil {
		t.Errorf("n == null: %v", diags)
	}
}
