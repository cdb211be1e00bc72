package ops

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var outputSpec = &Spec{
	Kind: "output",
	// 2: .arrow is the IPC file format, Parquet's created_by carries the
	// writer format version, values under nulls are canonical.
	Version: 2,
	Doc:     "Write a node's table to a file inside the project (parquet, arrow, arrows, jsonl, csv).",
	Attrs: []recipe.AttrSpec{
		{Name: "input", Required: true, Mode: recipe.Ref},
		{Name: "path", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "format", Mode: recipe.Static, Type: cty.String},
		{Name: "compression", Mode: recipe.Static, Type: cty.String},
	},
	New: newOutput,
}

var mediaTypes = map[arrowio.Format]string{
	arrowio.Parquet:     "application/vnd.apache.parquet",
	arrowio.Arrow:       "application/vnd.apache.arrow.file",
	arrowio.ArrowStream: "application/vnd.apache.arrow.stream",
	arrowio.JSONL:       "application/jsonl",
	arrowio.CSV:         "text/csv",
}

type outputOp struct {
	path        string
	compression string // Parquet only; "" = the default (zstd)
	format      arrowio.Format
	schema      *arrow.Schema
}

func newOutput(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := attrString(n, "path", "")
	clean, err := ProjectPath(p)
	if err != nil {
		return nil, hcl.Diagnostics{diag("Invalid output path", err.Error(), attrRange(n, "path"))}
	}
	op := &outputOp{path: clean}
	f := arrowio.Format(attrString(n, "format", ""))
	if f == "" {
		var ok bool
		f, ok = arrowio.FormatFromName(clean)
		if !ok {
			diags = append(diags, diag("Unknown output format", fmt.Sprintf("Cannot tell the format of %q from its extension. Set format = \"parquet\", \"arrow\" (IPC file), \"arrows\" (IPC stream), \"jsonl\" or \"csv\".", p), attrRange(n, "path")))
		}
	}
	if f == arrowio.JSON {
		f = arrowio.JSONL // one object per line is the only JSON we write
	}
	if _, ok := mediaTypes[f]; !ok && f != "" {
		diags = append(diags, diag("Unsupported output format", fmt.Sprintf("format %q cannot be written; use parquet, arrow, arrows, jsonl or csv.", f), attrRange(n, "format")))
	}
	op.format = f
	if c := attrString(n, "compression", ""); c != "" {
		switch {
		case f != arrowio.Parquet:
			diags = append(diags, diag("Compression applies to Parquet only", fmt.Sprintf("%s output is written uncompressed; remove compression or write .parquet.", f), attrRange(n, "compression")))
		case !slices.Contains(arrowio.ParquetCompressions, c):
			diags = append(diags, diag("Unknown compression", fmt.Sprintf("compression %q is not one of %s.", c, strings.Join(arrowio.ParquetCompressions, ", ")), attrRange(n, "compression")))
		default:
			op.compression = c
		}
	}
	return op, diags
}

// ProjectPath cleans a recipe-relative output path and refuses anything that
// would escape the project directory.
func ProjectPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("path is empty; give a path inside the project such as \"out/data.parquet\"")
	}
	if filepath.IsAbs(p) {
		return "", fmt.Errorf("path %q is absolute; outputs must stay inside the project, e.g. \"out/%s\"", p, filepath.Base(p))
	}
	c := filepath.Clean(filepath.FromSlash(p))
	if c == "." || c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q escapes the project directory; outputs must stay inside it", p)
	}
	return filepath.ToSlash(c), nil
}

func (op *outputOp) Path() string      { return op.path }
func (op *outputOp) MediaType() string { return mediaTypes[op.format] }

func (op *outputOp) Params() []Param {
	ps := []Param{}
	if op.compression != "" && op.compression != "zstd" {
		// zstd is the default; naming it keeps the key of older recipes.
		ps = append(ps, Param{"compression", op.compression})
	}
	return append(ps, Param{"format", string(op.format)}, Param{"path", quote(op.path)})
}

func (op *outputOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	op.schema = inputs[0]
	return inputs[0], nil
}

func (op *outputOp) Run(ctx context.Context, rc *RunContext) error {
	rd, err := rc.Inputs[0].Open()
	if err != nil {
		return err
	}
	defer rd.Release()
	wopts := arrowio.WriteOptions{Compression: op.compression}
	if op.format == arrowio.Arrow && hasDictionary(rd.Schema()) {
		// The IPC file format holds one dictionary per column: the writer
		// reads the input once first to gather each column's values.
		pre, err := rc.Inputs[0].Open()
		if err != nil {
			return err
		}
		defer pre.Release()
		wopts.Prepass = pre
	}
	w, err := arrowio.NewWriterWithOptions(rc.File, op.format, rd.Schema(), rc.Mem, wopts)
	if err != nil {
		return err
	}
	if err := op.write(ctx, rd, w); err != nil {
		// The writer still holds buffers (a Parquet row group); Close
		// releases them. Its error adds nothing to the first one.
		_ = w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", op.path, err)
	}
	return nil
}

func (op *outputOp) write(ctx context.Context, rd array.RecordReader, w arrowio.Writer) error {
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Write(rd.RecordBatch()); err != nil {
			return fmt.Errorf("writing %s: %w", op.path, err)
		}
	}
	return rd.Err()
}

// hasDictionary reports whether a top-level column is dictionary-encoded.
func hasDictionary(s *arrow.Schema) bool {
	for _, f := range s.Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			return true
		}
	}
	return false
}
