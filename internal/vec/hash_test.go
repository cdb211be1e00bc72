package vec

import (
	"math"
	"testing"
)

func TestHashEmbedder(t *testing.T) {
	h := HashEmbedder{D: 64}
	acc := make([]float64, 64)
	emb := func(s string) []float32 {
		out := make([]float32, 64)
		h.Embed(s, out, acc)
		return out
	}
	a, b := emb("I feel so alone, nobody listens."), emb("i FEEL so alone nobody listens")
	var ss float64
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("case and punctuation changed the embedding at %d: %v vs %v", j, a[j], b[j])
		}
		ss += float64(a[j]) * float64(a[j])
	}
	if math.Abs(ss-1) > 1e-6 {
		t.Errorf("|e|² = %v, want 1", ss)
	}
	// Word order matters through bigrams.
	c := emb("alone so feel I nobody listens")
	same := true
	for j := range a {
		same = same && a[j] == c[j]
	}
	if same {
		t.Error("reordered words gave the same embedding: bigrams are missing")
	}
	// Unicode letters are words, lower-cased.
	if d1, d2 := emb("ÉTÉ Über"), emb("été über"); d1[0] != d2[0] || !equal(d1, d2) {
		t.Error("non-ASCII case folding differs")
	}
	out := make([]float32, 64)
	if h.Embed(" ... !! ", out, acc) {
		t.Error("a text without words reported words")
	}
	for _, x := range out {
		if x != 0 {
			t.Fatal("a text without words is not the zero vector")
		}
	}
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Golden bits: the embedding is the same on every machine and release (a
// change here is a new embedder version).
func TestHashEmbedderGolden(t *testing.T) {
	h := HashEmbedder{D: 8}
	out := make([]float32, 8)
	h.Embed("Hello there, how are you feeling today?", out, make([]float64, 8))
	var bits [8]uint32
	for i, x := range out {
		bits[i] = math.Float32bits(x)
	}
	want := [8]uint32{0x0, 0xbeaaaaab, 0x3ef15bef, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0xbef15bef, 0xbeaaaaab}
	if bits != want {
		t.Errorf("bits %#x, want %#x", bits, want)
	}
}

func BenchmarkHashEmbed256(b *testing.B) {
	texts := []string{
		"I've been feeling really down lately and I don't know who to talk to about it.",
		"That sounds really hard. It is understandable to feel that way when things pile up.",
		"My boss keeps giving me more work and I can't sleep.",
		"Have you tried talking to a friend or family member about how you feel?",
	}
	h := HashEmbedder{D: 256}
	out, acc := make([]float32, 256), make([]float64, 256)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Embed(texts[i%len(texts)], out, acc)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "utterances/s")
}
