package vec

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// HashEmbedder is the built-in offline text embedder ("hash-<d>"): signed
// feature hashing of the lower-cased word unigrams and bigrams of a text
// (words are maximal runs of letters and digits), square-root (sublinear)
// weights of each bucket's signed count, L2-normalized. It uses only
// integer hashing, IEEE square roots and a sequential float64 sum, so its
// output is the same bits on every machine. Version 1; any change to the
// tokenization, hashing or weighting is a new version (it enters the key).
type HashEmbedder struct {
	D int
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix64 is a 64-bit finalizer (splitmix64's), so bucket and sign bits of
// similar words are independent.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Embed writes the embedding of text into out (len(out) == D), using acc
// (len D) as scratch. It reports false for a text without words (out is
// then all zeros).
func (h HashEmbedder) Embed(text string, out []float32, acc []float64) bool {
	d := uint64(h.D)
	clear(acc[:h.D])
	var prev uint64
	havePrev := false
	words := 0
	add := func(f uint64) {
		f = mix64(f)
		i := (f >> 1) % d
		if f&1 == 0 {
			acc[i]++
		} else {
			acc[i]--
		}
	}
	i := 0
	for i < len(text) {
		// Skip to the start of a word.
		c := text[i]
		if c < utf8.RuneSelf {
			if !asciiWord[c] {
				i++
				continue
			}
		} else {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				i += n
				continue
			}
		}
		// Hash the word, lower-cased, rune by rune.
		w := uint64(fnvOffset)
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				w = (w ^ uint64(c)) * fnvPrime
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			r = unicode.ToLower(r)
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
				w = (w ^ uint64(b)) * fnvPrime
			}
			i += n
		}
		words++
		add(w)
		if havePrev {
			add(prev*0x9e3779b97f4a7c15 ^ w ^ 0x2545f4914f6cdd1d)
		}
		prev, havePrev = w, true
	}
	var ss float64
	for j, x := range acc[:h.D] {
		if x == 0 {
			continue
		}
		y := math.Sqrt(math.Abs(x))
		if x < 0 {
			y = -y
		}
		acc[j] = y
		ss += float64(y * y)
	}
	if words == 0 || ss == 0 {
		clear(out[:h.D])
		return words > 0
	}
	inv := 1 / math.Sqrt(ss)
	for j, x := range acc[:h.D] {
		out[j] = float32(x * inv)
	}
	return true
}

var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()
