package arrowio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format names a file format understood by Open and NewWriter.
type Format string

// The formats dsbuild reads; all but JSON and TSV can also be written.
const (
	JSON    Format = "json"
	JSONL   Format = "jsonl"
	CSV     Format = "csv"
	TSV     Format = "tsv"
	Parquet Format = "parquet"
	// Arrow is the Arrow IPC file format (feather v2: "ARROW1" magic and a
	// footer), the convention of .arrow, .feather and .ipc names; ArrowStream
	// is the IPC stream format (.arrows). Readers accept either under both
	// names, told apart by the magic at the start of a file.
	Arrow       Format = "arrow"
	ArrowStream Format = "arrows"
)

// FormatFromName guesses the format from a file name's extension.
func FormatFromName(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return JSON, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	case ".csv":
		return CSV, true
	case ".tsv":
		return TSV, true
	case ".parquet":
		return Parquet, true
	case ".arrow", ".feather", ".ipc":
		return Arrow, true
	case ".arrows":
		return ArrowStream, true
	}
	return "", false
}

var arrowMagic = []byte("ARROW1")

// resolvedFormat is the format of one concrete file after sniffing: JSON
// splits into an array document or JSON Lines, Arrow into file or stream.
type resolvedFormat int

const (
	fmtJSONArray resolvedFormat = iota
	fmtJSONLines
	fmtCSV
	fmtParquet
	fmtArrowFile
	fmtArrowStream
)

func (f resolvedFormat) isJSON() bool { return f == fmtJSONArray || f == fmtJSONLines }

// resolveFormat decides how to read path. It reads at most a few bytes
// (ESConv's hf_splits are JSON Lines named .json, so the name is not enough).
func resolveFormat(path string, declared Format) (resolvedFormat, error) {
	f := declared
	if f == "" {
		var ok bool
		if f, ok = FormatFromName(path); !ok {
			return 0, fmt.Errorf("%s: cannot tell the format from the file name; set format (json, jsonl, csv, tsv, parquet, arrow, arrows)", path)
		}
	}
	switch f {
	case JSONL:
		return fmtJSONLines, nil
	case CSV, TSV:
		return fmtCSV, nil
	case Parquet:
		return fmtParquet, nil
	case JSON:
		c, err := firstNonSpace(path)
		if err != nil {
			return 0, err
		}
		if c == '[' {
			return fmtJSONArray, nil
		}
		return fmtJSONLines, nil
	case Arrow, ArrowStream:
		fh, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer fh.Close()
		head := make([]byte, len(arrowMagic))
		n, err := io.ReadFull(fh, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		if bytes.Equal(head[:n], arrowMagic) {
			return fmtArrowFile, nil
		}
		return fmtArrowStream, nil
	}
	return 0, fmt.Errorf("%s: unknown format %q (want json, jsonl, csv, tsv, parquet, arrow or arrows)", path, f)
}

// firstNonSpace returns the first byte that is not JSON whitespace or a
// UTF-8 byte order mark, or 0 for an empty file.
func firstNonSpace(path string) (byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 4096)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, nil
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}
