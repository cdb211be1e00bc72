package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

var deepSchema = arrow.NewSchema([]arrow.Field{
	{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
}, nil)

// deepNot is a chain of n negations, the shape that made type-checking
// quadratic: every level rendered its whole subtree as message text.
func deepNot(n int) string { return strings.Repeat("!", n) + `(a == "1")` }

// deepAnd is a left-deep chain of n conjunctions (no brackets, so the
// nesting limit does not apply to it).
func deepAnd(n int) string {
	var b strings.Builder
	b.WriteString(`a == "0"`)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, ` && a != "%d"`, i)
	}
	return b.String()
}

// BenchmarkCompileDeep measures Compile on expressions whose syntax tree is
// n levels deep; time per level must stay flat as n grows (linear checking).
func BenchmarkCompileDeep(b *testing.B) {
	for _, shape := range []struct {
		name string
		gen  func(int) string
	}{{"not", deepNot}, {"and", deepAnd}} {
		for _, n := range []int{1000, 4000, 16000} {
			b.Run(fmt.Sprintf("%s/%d", shape.name, n), func(b *testing.B) {
				e := parse(b, shape.gen(n))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, diags := Compile(e, deepSchema, nil); diags.HasErrors() {
						b.Fatal(diags.Error())
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/level")
			})
		}
	}
}

// TestCompileDeepIsLinear compares the work of compiling a chain with the
// work for one four times as long, by counting bytes rendered as message
// text (a count, not a clock, so the test is deterministic): linear
// checking renders nothing for an expression without errors.
func TestCompileDeepIsLinear(t *testing.T) {
	for _, gen := range []func(int) string{deepNot, deepAnd} {
		rendered.Store(0)
		if _, diags := Compile(parse(t, gen(2000)), deepSchema, nil); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		if n := rendered.Load(); n != 0 {
			t.Errorf("Compile of a valid %d-level chain rendered %d bytes of message text, want 0", 2000, n)
		}
	}
}

// TestCompileDeepMessages checks that the lazily rendered text of a deep
// expression still reads as written.
func TestCompileDeepMessages(t *testing.T) {
	_, diags := Compile(parse(t, `!!!(s.s[0] == 1)`), deepSchema, nil)
	if !diags.HasErrors() {
		t.Fatal("Compile succeeded, want an error")
	}
	if !strings.Contains(diags[0].Detail, "s.s") {
		t.Errorf("detail = %q, want it to name s.s", diags[0].Detail)
	}
	_, diags = Compile(parse(t, `!!!(a + 1)`), deepSchema, nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "a") {
		t.Fatalf("Compile(!!!(a + 1)) = %v, want an error naming a", diags)
	}
}
