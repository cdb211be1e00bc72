package synth

import (
	"fmt"
	"strings"
)

// Lint reports grammar and agreement problems in one line of generated
// text: "a"/"an" before a word that does not fit, a word repeated
// ("my my"), "for"/"since" with "ago" ("for the past weeks ago"), "since"
// with a present-tense verb and no perfect ("I am sad since May"), and
// two place prepositions in a row ("at in my room": a slot value that
// brings its own preposition), and spacing faults (double spaces, a space before punctuation, an empty slot
// leaving ", ,"). It returns nil for a clean line.
func Lint(s string) []string {
	var out []string
	if strings.Contains(s, "  ") {
		out = append(out, "double space")
	}
	for _, p := range []string{" .", " ,", " ?", " !", ",,", "..", ", ,"} {
		if strings.Contains(s, p) && !(p == ".." && strings.Contains(s, "...")) {
			out = append(out, fmt.Sprintf("spacing %q", p))
		}
	}
	words := lintWords(s)
	for i := 0; i+1 < len(words); i++ {
		w, next := words[i], words[i+1]
		lw := strings.ToLower(w.text)
		if (lw == "a" || lw == "an") && !w.endsClause {
			vowel, known := vowelSound(next.text)
			if known && vowel && lw == "a" {
				out = append(out, fmt.Sprintf("%q before %q (want \"an\")", w.text, next.text))
			}
			if known && !vowel && lw == "an" {
				out = append(out, fmt.Sprintf("%q before %q (want \"a\")", w.text, next.text))
			}
		}
		if !w.endsClause && lw == strings.ToLower(next.text) && lw != "had" && lw != "that" && isWord(lw) {
			out = append(out, fmt.Sprintf("repeated word %q", w.text))
		}
		// A slot whose values carry their own preposition ("in my room")
		// after a template's preposition: "at in my room", "to on the bus".
		if !w.endsClause && placePreps[lw] && placePreps[strings.ToLower(next.text)] {
			out = append(out, fmt.Sprintf("stacked prepositions %q", w.text+" "+next.text))
		}
	}
	// Clause-level tense checks.
	for _, clause := range splitClauses(s) {
		cw := strings.Fields(strings.ToLower(clause))
		for i, w := range cw {
			w = strings.Trim(w, "\"'()")
			if w != "since" && w != "for" {
				continue
			}
			for _, later := range cw[i+1:] {
				if strings.Trim(later, "\"'()") == "ago" {
					out = append(out, fmt.Sprintf("%q with \"ago\" in %q", w, clause))
					break
				}
			}
			if w == "for" && i > 0 && durationAhead(cw[i+1:]) || w == "since" && i > 0 {
				perfect, present := false, false
				for _, before := range cw[:i] {
					before = strings.Trim(before, "\"'()")
					switch before {
					case "been", "have", "has", "i've", "we've", "you've", "they've", "it's", "haven't", "hasn't", "had", "ever", "going", "will", "i'll", "gonna", "want", "need":
						perfect = true
					case "am", "i'm", "is", "are", "feel", "feels":
						present = true
					}
				}
				if present && !perfect {
					out = append(out, fmt.Sprintf("%q with a present verb and no perfect in %q (want \"I've been\")", w, clause))
				}
			}
		}
	}
	return out
}

// placePreps are the prepositions a place phrase starts with.
var placePreps = map[string]bool{"at": true, "in": true, "on": true, "into": true, "onto": true, "inside": true}

type lintWord struct {
	text       string
	endsClause bool // followed by punctuation that ends the phrase
}

func lintWords(s string) []lintWord {
	var out []lintWord
	for _, f := range strings.Fields(s) {
		t := strings.TrimLeft(f, "\"'(")
		core := strings.TrimRight(t, ".,;:!?\"')")
		if core == "" {
			continue
		}
		out = append(out, lintWord{text: core, endsClause: len(core) < len(t)})
	}
	return out
}

func splitClauses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(".,;:!?", r) })
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// vowelSound reports whether w starts with a vowel sound; known is false
// when the heuristics cannot tell.
func vowelSound(w string) (vowel, known bool) {
	if w == "" {
		return false, false
	}
	// Acronyms are read letter by letter: "an SSRI", "an ADHD", "a GP".
	if len(w) >= 2 && strings.ToUpper(w) == w && w[0] >= 'A' && w[0] <= 'Z' && w[1] >= 'A' && w[1] <= 'Z' {
		return strings.ContainsRune("AEFHILMNORSX", rune(w[0])), true
	}
	low := strings.ToLower(w)
	if low[0] >= '0' && low[0] <= '9' {
		return strings.HasPrefix(low, "8") || strings.HasPrefix(low, "11") || strings.HasPrefix(low, "18"), true
	}
	for _, p := range []string{"hour", "honest", "honor", "honour", "heir"} {
		if strings.HasPrefix(low, p) {
			return true, true
		}
	}
	for _, p := range []string{"uni", "use", "usu", "usa", "uti", "ure", "eu", "ewe", "one", "once", "ubiq", "uk"} {
		if strings.HasPrefix(low, p) {
			return false, true
		}
	}
	return strings.ContainsRune("aeiou", rune(low[0])), true
}

// durationAhead reports whether a duration ("two weeks", "a year") follows
// within a few words: "for" then means a span of time.
func durationAhead(ws []string) bool {
	for i, w := range ws {
		if i >= 5 {
			break
		}
		switch strings.Trim(w, "\"'()") {
		case "week", "weeks", "month", "months", "year", "years", "day", "days", "ages", "hours", "while":
			return true
		}
	}
	return false
}
