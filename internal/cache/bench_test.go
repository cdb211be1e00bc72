package cache

import (
	"bytes"
	"crypto/sha256"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// benchSize is the payload of BenchmarkPut and BenchmarkSHA256Raw, from
// $DSBUILD_BENCH_SIZE (bytes, or with a KiB/MiB/GiB suffix), default 256 MiB.
func benchSize(b *testing.B) int {
	s := os.Getenv("DSBUILD_BENCH_SIZE")
	if s == "" {
		return 256 << 20
	}
	mult := 1
	for i, suffix := range []string{"KiB", "MiB", "GiB"} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), 1<<(10*(i+1))
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("DSBUILD_BENCH_SIZE=%q: want a positive size like 268435456 or 1GiB", os.Getenv("DSBUILD_BENCH_SIZE"))
	}
	return n * mult
}

var (
	benchOnce sync.Once
	benchBuf  []byte
)

// benchData is shared by both benchmarks so their MB/s compare like for like.
func benchData(b *testing.B) []byte {
	n := benchSize(b)
	benchOnce.Do(func() { benchBuf = pseudoRandom(42, n) })
	return benchBuf
}

// BenchmarkPut measures Store.Put end to end (hash, write, fsync, rename);
// compare its MB/s with BenchmarkSHA256Raw from the same run.
func BenchmarkPut(b *testing.B) {
	data := benchData(b)
	s := newTestStore(b)
	want := digest.FromBytes(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Put(bytes.NewReader(data), want); err != nil {
			b.Fatal(err)
		}
		// Without this every iteration after the first would take the
		// already-present shortcut and skip the write entirely.
		b.StopTimer()
		if err := s.Delete(want); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkSHA256Raw is the ceiling for BenchmarkPut: crypto/sha256 alone.
func BenchmarkSHA256Raw(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		h := sha256.New()
		h.Write(data)
		h.Sum(nil)
	}
}

// BenchmarkPutSmall shows the fixed cost of a commit (two fsyncs, a rename).
func BenchmarkPutSmall(b *testing.B) {
	s := newTestStore(b)
	data := pseudoRandom(43, 4<<10)
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		i++
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, err := s.Put(bytes.NewReader(data), ""); err != nil {
			b.Fatal(err)
		}
	}
}
