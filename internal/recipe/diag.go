package recipe

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// FormatDiagnostics renders diags one per line as
// "file:line:col: error: Summary; Detail", ordered by position (diagnostics
// without a source range first), so the text is stable for golden tests
// and greppable in CI logs. Newlines inside a detail are folded to spaces.
func FormatDiagnostics(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range sortDiagnostics(diags) {
		if d.Subject != nil {
			b.WriteString(pos(*d.Subject))
			b.WriteString(": ")
		}
		switch d.Severity {
		case hcl.DiagWarning:
			b.WriteString("warning: ")
		default:
			b.WriteString("error: ")
		}
		b.WriteString(oneLine(d.Summary))
		if d.Detail != "" {
			b.WriteString("; ")
			b.WriteString(oneLine(d.Detail))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// pos formats the start of rng as file:line:col.
func pos(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", rng.Filename, rng.Start.Line, rng.Start.Column)
}

// sortDiagnostics returns a copy of diags ordered by file and byte offset;
// diagnostics at the same place keep the order they were found in.
func sortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	return out
}
