package arrowio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/pierrec/lz4/v4"
)

// hadoopLZ4 decodes Parquet's deprecated LZ4 codec, which arrow-go leaves
// unimplemented ("compression for LZ4 unimplemented"): writers used it in
// two incompatible ways, and readers tell them apart as Arrow C++ does.
// parquet-mr (Hadoop's Lz4Codec) frames the data as blocks of
// [uncompressed length, compressed length] (4-byte big-endian each) and an
// LZ4 block; other writers (older Arrow C++) wrote one bare LZ4 block. The
// Hadoop framing is tried first, and must account for every input byte and
// fill exactly the expected output; otherwise the input is decoded as one
// bare block. dsbuild never writes this codec (it writes LZ4_RAW when asked
// for LZ4), so the encoding side refuses.
type hadoopLZ4 struct{}

var errLZ4Write = errors.New("the deprecated Parquet LZ4 codec is read-only here (write LZ4_RAW)")

func (hadoopLZ4) DecodeWithError(dst, src []byte) ([]byte, error) {
	if out, ok := decodeHadoopLZ4(dst, src); ok {
		return out, nil
	}
	n, err := lz4.UncompressBlock(src, dst[:cap(dst)])
	if err != nil {
		return nil, fmt.Errorf("LZ4 page is neither Hadoop-framed nor a bare LZ4 block: %w", err)
	}
	return dst[:n], nil
}

func decodeHadoopLZ4(dst, src []byte) ([]byte, bool) {
	out := dst[:cap(dst)]
	total := 0
	for len(src) > 0 {
		if len(src) < 8 {
			return nil, false
		}
		ulen := int64(binary.BigEndian.Uint32(src[:4]))
		clen := int64(binary.BigEndian.Uint32(src[4:8]))
		src = src[8:]
		if clen > int64(len(src)) || ulen > int64(len(out)-total) {
			return nil, false
		}
		n, err := lz4.UncompressBlock(src[:clen], out[total:total+int(ulen)])
		if err != nil || int64(n) != ulen {
			return nil, false
		}
		total += n
		src = src[clen:]
	}
	// The caller sizes dst to the page's uncompressed length.
	return out[:total], total == len(dst)
}

func (c hadoopLZ4) Decode(dst, src []byte) []byte {
	out, err := c.DecodeWithError(dst, src)
	if err != nil {
		panic(err) // the interface has no error; DecodeWithError is what readers use
	}
	return out
}

func (hadoopLZ4) Encode(dst, src []byte) []byte             { panic(errLZ4Write) }
func (hadoopLZ4) EncodeLevel(dst, src []byte, _ int) []byte { panic(errLZ4Write) }
func (hadoopLZ4) CompressBound(n int64) int64               { return int64(lz4.CompressBlockBound(int(n))) + 8 }
func (hadoopLZ4) NewReader(r io.Reader) io.ReadCloser       { return errReadCloser{} }
func (hadoopLZ4) NewWriter(w io.Writer) io.WriteCloser      { return errWriteCloser{} }
func (hadoopLZ4) NewWriterLevel(w io.Writer, _ int) (io.WriteCloser, error) {
	return nil, errLZ4Write
}

type errReadCloser struct{}

func (errReadCloser) Read([]byte) (int, error) {
	return 0, errors.New("the deprecated Parquet LZ4 codec has no stream form")
}
func (errReadCloser) Close() error { return nil }

type errWriteCloser struct{}

func (errWriteCloser) Write([]byte) (int, error) { return 0, errLZ4Write }
func (errWriteCloser) Close() error              { return nil }

func init() {
	compress.RegisterCodec(compress.Codecs.Lz4, hadoopLZ4{})
}
