// Package suggest is the one did-you-mean of dsbuild: recipe loading (block
// kinds, node references, variables) and expression compilation (columns,
// fields, functions, variables) use it to hint at the name a typo meant.
package suggest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/agext/levenshtein"
)

// Closest returns the candidate nearest to given by edit distance, or ""
// when none is close enough to be a plausible typo: the distance, counted
// in runes and ignoring case, must be at most 2, and at most 1 for names of
// one or two runes (any two-letter name is two edits from any other). The
// bound does not grow with length: fetch.nope is not a typo of fetch.a.
// given itself is never suggested. Ties go to the smaller case-sensitive distance, then to the
// candidate that sorts first, so the answer does not depend on the order of
// candidates (often a map's).
func Closest(given string, candidates []string) string {
	lower := strings.ToLower(given)
	best, bestFold, bestExact := "", min(3, utf8.RuneCountInString(given)/3+2), 0
	for _, c := range candidates {
		if c == given {
			continue
		}
		fold := levenshtein.Distance(lower, strings.ToLower(c), nil)
		if fold > bestFold {
			continue
		}
		exact := levenshtein.Distance(given, c, nil)
		if fold == bestFold && (best == "" || exact > bestExact || (exact == bestExact && c >= best)) {
			continue
		}
		best, bestFold, bestExact = c, fold, exact
	}
	return best
}

// DidYouMean formats Closest's answer as a sentence to append to a
// diagnostic's detail (` Did you mean "x"?`, with a leading space), or "".
// The name is quoted as HCL quotes its own suggestions.
func DidYouMean(given string, candidates []string) string {
	if s := Closest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}
