package synth

import (
	"fmt"
	"strings"
)

// piece is one run of a template: literal text, or a slot reference.
type piece struct {
	lit  string
	slot int // index into Library.slots; -1 for literal text
}

// tmpl is a compiled template string. mask has bit i set when the template
// references slot i; counting and decoding work on these masks.
type tmpl struct {
	src    string
	pieces []piece
	mask   uint64
}

// parseTemplate splits s into literal runs and {slot} references. It reports
// the byte offset of the first problem so a diagnostic can point at it.
func parseTemplate(s string, slotIdx map[string]int) (tmpl, error) {
	t := tmpl{src: s}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return t, fmt.Errorf("byte %d: unclosed '{'", i)
			}
			name := s[i+1 : i+1+end]
			if !validSlotName(name) {
				return t, fmt.Errorf("byte %d: %q is not a slot name (want lower-case letters, digits, _)", i, name)
			}
			idx, ok := slotIdx[name]
			if !ok {
				return t, fmt.Errorf("byte %d: unknown slot %q", i, name)
			}
			if lit.Len() > 0 {
				t.pieces = append(t.pieces, piece{lit: lit.String(), slot: -1})
				lit.Reset()
			}
			t.pieces = append(t.pieces, piece{slot: idx})
			t.mask |= 1 << uint(idx)
			i += end + 1
		case '}':
			return t, fmt.Errorf("byte %d: '}' without '{'", i)
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		t.pieces = append(t.pieces, piece{lit: lit.String(), slot: -1})
	}
	if strings.TrimSpace(s) == "" {
		return t, fmt.Errorf("empty template")
	}
	return t, nil
}

func validSlotName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// binding holds the value index chosen for each slot of one conversation, or
// -1 while unbound, so that a slot names the same thing in every turn.
type binding []int32

// appendFill appends t with its slots filled from vals (the values each
// slot can take in this conversation). Unbound slots are drawn with draw
// (the conversation's own generator), which keeps the result a pure
// function of the draw.
func (t *tmpl) appendFill(dst []byte, vals [][]string, b binding, draw func(n int) int) []byte {
	for _, p := range t.pieces {
		if p.slot < 0 {
			dst = append(dst, p.lit...)
			continue
		}
		v := b[p.slot]
		if v < 0 {
			v = int32(draw(len(vals[p.slot])))
			b[p.slot] = v
		}
		dst = append(dst, vals[p.slot][v]...)
	}
	return dst
}

// methodPhrases are self-harm method phrases that must never appear in
// templates or generated text. LoadLibrary rejects templates containing them
// and the tests scan generated output for them; the list is deliberately
// conservative (a template author can always rephrase).
var methodPhrases = []string{
	"overdose on", "pills to", "how many pills", "cut deeper", "lethal dose",
	"rope", "bridge to jump", "noose", "hang myself", "slit", "razor",
	"jump off", "jump from", "method to", "methods to", "painless way",
	"fatal dose", "toxic dose", "bleach", "carbon monoxide", "gun to",
	"hanging myself", "cut myself with", "wrists", "poison", "firearm",
	"shoot myself", "pills with alcohol", "stockpile", "stockpiling", "how much would kill",
	"mg of", "milligrams",
}

// methodPhrase reports the first method phrase contained in s (case-folded,
// on word boundaries so that "rope" does not match "property").
func methodPhrase(s string) (string, bool) {
	low := strings.ToLower(s)
	for _, p := range methodPhrases {
		for off := 0; ; {
			i := strings.Index(low[off:], p)
			if i < 0 {
				break
			}
			i += off
			j := i + len(p)
			if (i == 0 || !isLetter(low[i-1])) && (j == len(low) || !isLetter(low[j])) {
				return p, true
			}
			off = i + 1
		}
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// ContainsMethodPhrase reports the first self-harm method phrase in s. Code
// that rewrites generated text (an LLM paraphrase) uses it to keep the
// package's content rule.
func ContainsMethodPhrase(s string) (string, bool) { return methodPhrase(s) }
