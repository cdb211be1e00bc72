package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeepTemplateIsADiagnostic: a template file nested 100k levels deep
// is refused with a diagnostic instead of overflowing the stack.
func TestDeepTemplateIsADiagnostic(t *testing.T) {
	dir := t.TempDir()
	src := "slot \"x\" {\n  values = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "deep.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := LoadLibrary(dir)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "nested too deeply") {
		t.Fatalf("LoadLibrary = %v, want a nesting diagnostic", diags)
	}
}
