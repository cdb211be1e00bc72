package synth

import (
	"math/rand/v2"
	"strings"
)

// ESConv user-turn rates of casual typing, measured over its 19,989 user
// turns (hf_splits train+valid+test): 25.2% start with a lower-case letter,
// 46.9% have no final . ! or ?, 10.6% write "i" for "I", 2.8% drop an
// apostrophe ("dont"). Casual = 1 aims at these rates; the typo rate has no
// ESConv measurement and is kept low.
const (
	esconvLowerStart = 0.252
	esconvNoFinal    = 0.469
	esconvLowerI     = 0.106
	esconvNoApos     = 0.028
	typoRate         = 0.04
)

// typos are common misspellings; none of them touch "a"/"an" or a
// repeated word, so a casual line still passes Lint.
var typos = [][2]string{
	{"really", "realy"}, {"because", "becuase"}, {"definitely", "definately"}, {"their", "thier"},
	{"just", "jsut"}, {"about", "abt"}, {"anymore", "anymroe"}, {"through", "thru"},
	{"tomorrow", "tommorow"}, {"probably", "prob"}, {"know", "kno"}, {"something", "somthing"},
	{"though", "tho"}, {"people", "ppl"}, {"you", "u"}, {"going to", "gonna"},
}

var apostrophes = [][2]string{{"don't", "dont"}, {"can't", "cant"}, {"I'm", "Im"}, {"I've", "Ive"},
	{"didn't", "didnt"}, {"doesn't", "doesnt"}, {"won't", "wont"}, {"isn't", "isnt"}, {"it's", "its"}}

// casualize returns text as a person might type it: with probability
// scaled by k, a lower-case start, no final punctuation, lower-case "i",
// a dropped apostrophe or a common typo. k = 0 leaves text unchanged.
func casualize(text []byte, k float64, rng *rand.Rand) []byte {
	if k <= 0 || len(text) == 0 {
		return text
	}
	// Draw every decision first: most turns need no change at all.
	apos, lowI, typo := rng.Float64() < esconvNoApos*k*3, rng.Float64() < esconvLowerI*k, rng.Float64() < typoRate*k
	lowStart, noFinal := rng.Float64() < esconvLowerStart*k, rng.Float64() < esconvNoFinal*k
	if !apos && !lowI && !typo {
		if lowStart {
			if c := text[0]; c >= 'A' && c <= 'Z' && !(len(text) > 1 && text[1] >= 'A' && text[1] <= 'Z') {
				text[0] = c + 'a' - 'A'
			}
		}
		if noFinal {
			for len(text) > 0 && (text[len(text)-1] == '.' || text[len(text)-1] == '!' || text[len(text)-1] == '?') {
				text = text[:len(text)-1]
			}
		}
		return text
	}
	s := string(text)
	if apos {
		for _, a := range apostrophes {
			if strings.Contains(s, a[0]) {
				s = strings.Replace(s, a[0], a[1], 1)
				break
			}
		}
	}
	if lowI {
		s = strings.ReplaceAll(s, " I ", " i ")
		s = strings.ReplaceAll(s, " I'", " i'")
		if strings.HasPrefix(s, "I ") || strings.HasPrefix(s, "I'") {
			s = "i" + s[1:]
		}
	}
	if typo {
		off := rng.IntN(len(typos))
		for j := range typos {
			t := typos[(off+j)%len(typos)]
			if i := wordIndex(s, t[0]); i >= 0 {
				s = s[:i] + t[1] + s[i+len(t[0]):]
				break
			}
		}
	}
	if lowStart {
		if c := s[0]; c >= 'A' && c <= 'Z' && !(len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z') {
			s = string(c+'a'-'A') + s[1:]
		}
	}
	if noFinal {
		s = strings.TrimRight(s, ".!?")
	}
	return append(text[:0], s...)
}

// wordIndex finds w in s on word boundaries, or -1.
func wordIndex(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(w)
		if (i == 0 || !isAlpha(s[i-1])) && (j == len(s) || !isAlpha(s[j])) {
			return i
		}
		off = i + 1
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' }
