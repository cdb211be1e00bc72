package arrowio

import (
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
)

// fastSnappy is arrow-go's Snappy codec with the standard encoder instead
// of the "better" one: klauspost's snappy.Encode is s2.EncodeSnappyBetter,
// which took 1.3 of the 2.6 s of writing a 0.5 GB filter result to Parquet
// (bench/filter). s2.EncodeSnappy writes plain Snappy blocks that every
// reader decodes, deterministically, about twice as fast; files are a
// little larger. Decoding is unchanged.
type fastSnappy struct{}

func (fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func (fastSnappy) Decode(dst, src []byte) []byte {
	dst, err := snappy.Decode(dst, src)
	if err != nil {
		panic(err) // the interface has no error; DecodeWithError is what readers use
	}
	return dst
}

// DecodeWithError decodes a Snappy block. Zero input bytes are zero output
// bytes, not a corrupt block: a data page v2 whose values section is empty
// (all nulls) has nothing compressed, and writers leave it so
// (parquet-testing datapage_v2_empty_datapage.snappy.parquet).
func (fastSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst[:0], nil
	}
	return snappy.Decode(dst, src)
}

func (fastSnappy) NewReader(r io.Reader) io.ReadCloser { return io.NopCloser(snappy.NewReader(r)) }

func (fastSnappy) CompressBound(n int64) int64 { return int64(snappy.MaxEncodedLen(int(n))) }

func (fastSnappy) NewWriter(w io.Writer) io.WriteCloser { return snappy.NewBufferedWriter(w) }

func (s fastSnappy) NewWriterLevel(w io.Writer, _ int) (io.WriteCloser, error) {
	return s.NewWriter(w), nil
}

func init() {
	compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{})
}
