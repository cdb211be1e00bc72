package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	tests := []struct {
		name       string
		given      string
		candidates []string
		want       string
	}{
		{"transposition", "fitler", []string{"fetch", "filter", "flatten"}, "filter"},
		{"missing letter", "lowr", []string{"lower", "upper", "length"}, "lower"},
		{"two edits", "empahty", []string{"empathy", "relevance"}, "empathy"},
		{"extra letter", "nn", []string{"survey_score", "n", "text"}, "n"},
		{"dotted ref", "fech.a", []string{"fetch.a", "filter.b"}, "fetch.a"},
		{"case only", "Text", []string{"id", "text"}, "text"},
		{"case counts as no edit", "LIMIT", []string{"limt", "limit"}, "limit"},
		{"unicode counts runes", "größe", []string{"grösse", "größen"}, "größen"},
		{"three edits is no typo", "fetch.nope", []string{"fetch.a"}, ""},
		{"short names tolerate one edit", "ab", []string{"xy", "a"}, "a"},
		{"short names not two", "ab", []string{"xy"}, ""},
		{"exact match is not suggested", "seed", []string{"seed"}, ""},
		{"exact match skipped for the next", "seed", []string{"seed", "seeds"}, "seeds"},
		{"no candidates", "x", nil, ""},
		{"empty given", "", []string{"a", "bc"}, "a"},
		{"tie goes to the exact-case candidate", "Nme", []string{"name", "Name"}, "Name"},
		{"tie goes to the first sorted", "cat", []string{"cab", "caa", "cac"}, "caa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Closest(tt.given, tt.candidates); got != tt.want {
				t.Errorf("Closest(%q, %q) = %q, want %q", tt.given, tt.candidates, got, tt.want)
			}
			// The answer must not depend on the candidates' order.
			rev := slices.Clone(tt.candidates)
			slices.Reverse(rev)
			if got := Closest(tt.given, rev); got != tt.want {
				t.Errorf("Closest(%q, %q) = %q, want %q", tt.given, rev, got, tt.want)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	if got, want := DidYouMean("fech.a", []string{"fetch.a"}), ` Did you mean "fetch.a"?`; got != want {
		t.Errorf("DidYouMean = %q, want %q", got, want)
	}
	if got := DidYouMean("zzz", []string{"fetch.a"}); got != "" {
		t.Errorf("DidYouMean with nothing close = %q, want \"\"", got)
	}
}
