package synth

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var errorComment = regexp.MustCompile(`# ERROR: (.+)$`)

// TestLoadLibraryInvalid checks that every problem in testdata/invalid is
// reported, at once, on the line annotated with `# ERROR: summary`.
func TestLoadLibraryInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := expectedErrors(t, f)
			lib, diags := LoadLibrary(f)
			if lib != nil {
				t.Errorf("LoadLibrary(%s) returned a library despite errors", f)
			}
			var got []string
			for _, d := range diags {
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
					if !strings.HasSuffix(d.Subject.Filename, filepath.Base(f)) {
						t.Errorf("diagnostic %q names file %q, want %s", d.Summary, d.Subject.Filename, f)
					}
				}
				got = append(got, lineSummary(line, d.Summary))
			}
			sort.Strings(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("LoadLibrary(%s) diagnostics mismatch (-want +got):\n%s\nall: %v", f, diff, diags)
			}
		})
	}
}

func lineSummary(line int, summary string) string { return fmt.Sprintf("%04d: %s", line, summary) }

func expectedErrors(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := errorComment.FindStringSubmatch(sc.Text()); m != nil {
			want = append(want, lineSummary(line, m[1]))
		}
	}
	sort.Strings(want)
	return want
}
