package artifact

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/cache"
	"github.com/dsbuild/dsbuild/internal/store"
)

// bare hides every optional capability of a store.
type bare struct{ store.Store }

// writeArtifact stores rows 0..n-1 of genBatch as an artifact of
// chunk-row batches.
func storeRows(t *testing.T, s store.Store, mem memory.Allocator, n, chunk int64) store.Descriptor {
	t.Helper()
	w, err := NewWriter(context.Background(), s, mem, genSchema, chunk, nil)
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(0); off < n; off += 7 {
		rec := genBatch(mem, off, min(7, n-off))
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if w.Size() <= 0 || !w.Schema().Equal(genSchema) {
		t.Errorf("writer: size %d, schema %v", w.Size(), w.Schema())
	}
	desc, _, rows, err := w.Commit()
	if err != nil || rows != n {
		t.Fatalf("Commit = %d rows, %v", rows, err)
	}
	return desc
}

// readAll reads every id of an artifact reader and releases it.
func readAll(t *testing.T, rd array.RecordReader) ([]int64, error) {
	t.Helper()
	defer rd.Release()
	var ids []int64
	for rd.Next() {
		ids = append(ids, rd.RecordBatch().Column(0).(*array.Int64).Int64Values()...)
	}
	return ids, rd.Err()
}

func newStore(t *testing.T) *cache.Store {
	t.Helper()
	s, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The mapped reader and the streaming reader give the same rows; without a
// store that maps, OpenMapped says to stream instead.
func TestMappedAndStreamedReadsAgree(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newStore(t)
	desc := storeRows(t, s, mem, 100, 16)

	sc, err := VerifiedSchema(ctx, s, mem, desc.Digest)
	if err != nil || !sc.Equal(genSchema) {
		t.Fatalf("VerifiedSchema = %v, %v", sc, err)
	}
	rd, err := OpenVerified(ctx, s, mem, desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := readAll(t, rd)
	if err != nil || len(streamed) != 100 {
		t.Fatalf("streamed read: %d rows, %v", len(streamed), err)
	}
	var maps Mappings
	var ended []error
	rd, err = OpenMapped(s, mem, desc.Digest, &maps, func(err error) { ended = append(ended, err) })
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := readAll(t, rd)
	maps.ReleaseAll()
	if err != nil || !equalInts(mapped, streamed) {
		t.Errorf("mapped read = %d rows, %v; want the streamed rows", len(mapped), err)
	}
	if len(ended) != 1 || ended[0] != nil {
		t.Errorf("end notifications = %v, want one nil", ended)
	}

	if _, _, err := mapBlob(bare{s}, desc.Digest); !errors.Is(err, store.ErrUnverified) {
		t.Errorf("mapping through a store that cannot map = %v, want ErrUnverified", err)
	}
	// A bare store is verified by reading it in full.
	if sc, err := VerifiedSchema(ctx, bare{s}, mem, desc.Digest); err != nil || !sc.Equal(genSchema) {
		t.Errorf("VerifiedSchema through a bare store = %v, %v", sc, err)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A damaged artifact is ErrCorrupt on every read path: the caller treats
// it as a miss, never as the op's failure, and never decodes its lengths.
func TestDamagedArtifactIsCorrupt(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		name  string
		spoil func(b []byte) []byte
	}{
		{"flipped byte in the body", func(b []byte) []byte { b[len(b)-40] ^= 0xff; return b }},
		{"flipped byte in the schema", func(b []byte) []byte { b[12] ^= 0xff; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, how := range []string{"open", "verified", "schema"} {
				s := newStore(t)
				desc := storeRows(t, s, mem, 50, 8)
				path, _ := s.Path(desc.Digest)
				b, _ := os.ReadFile(path)
				os.Chmod(path, 0o644)
				if err := os.WriteFile(path, tc.spoil(b), 0o644); err != nil {
					t.Fatal(err)
				}
				// Another Store (another process): no memory of the blob.
				s, _ = cache.Open(s.Root())
				var err error
				switch how {
				case "open":
					var rd array.RecordReader
					if rd, err = Open(ctx, s, mem, desc.Digest); err == nil {
						_, err = readAll(t, rd)
					}
				case "verified":
					_, err = OpenVerified(ctx, s, mem, desc.Digest)
				case "schema":
					_, err = VerifiedSchema(ctx, s, mem, desc.Digest)
				}
				if !errors.Is(err, store.ErrCorrupt) {
					t.Errorf("%s: err = %v, want ErrCorrupt", how, err)
				}
			}
		})
	}
}

// Bytes that match their digest but are no artifact: the streaming reader
// reports the decoding error (not a corrupt blob: it is what was stored);
// the mapped reader, given verified bytes, calls it corrupt (rotted since).
func TestNotAnArtifact(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newStore(t)
	desc, err := s.Push(ctx, store.Descriptor{Size: -1}, bytes.NewReader([]byte("this is not an Arrow IPC stream at all")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, s, mem, desc.Digest); err == nil || errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Open of a non-artifact = %v, want a decoding error", err)
	}
	if _, err := ReadSchema(ctx, s, mem, desc.Digest); err == nil {
		t.Error("ReadSchema of a non-artifact succeeded")
	}
	var maps Mappings
	defer maps.ReleaseAll()
	if _, err := OpenMapped(s, mem, desc.Digest, &maps, nil); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("OpenMapped of a non-artifact = %v, want ErrCorrupt", err)
	}
	if _, err := Open(ctx, s, mem, digest.FromString("absent")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open of a missing blob = %v, want ErrNotFound", err)
	}
}

// The hand-parsed message reader refuses lengths that run past its buffer
// and garbage metadata, rather than slicing out of range or panicking.
func TestSliceMessageReaderBounds(t *testing.T) {
	le := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		buf  []byte
		eof  bool
	}{
		{"empty", nil, true},
		{"end marker", le(0), true},
		{"continuation then end", le(ipcContinuation, 0), true},
		{"continuation cut short", le(ipcContinuation)[:4], false},
		{"metadata past the end", le(ipcContinuation, 64), false},
		{"metadata too short", le(ipcContinuation, 2, 0), false},
		{"garbage metadata", append(le(ipcContinuation, 8), 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &sliceMessageReader{buf: tc.buf}
			r.live.buf = tc.buf
			r.refs.Store(1)
			msg, err := r.Message()
			if tc.eof {
				if err != io.EOF {
					t.Errorf("Message() = %v, %v; want io.EOF", msg, err)
				}
				return
			}
			if err == nil || err == io.EOF {
				t.Errorf("Message() = %v, %v; want an error", msg, err)
			}
			r.Release()
		})
	}
}
