package ops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/projpath"
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
	clean, d := checkOutputPath(n, env, p)
	if d.HasErrors() {
		return nil, d
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

// ProjectPath cleans a recipe-relative path and refuses, lexically, what
// would escape the project or cannot be a file name (see projpath.Clean).
func ProjectPath(p string) (string, error) { return projpath.Clean(p) }

// outputClaim is an output block that writes a file.
type outputClaim struct {
	id   string
	path string
	rng  hcl.Range
}

// checkOutputPath resolves an output path in the project and refuses what
// an output may not write: a place outside the project (lexically or
// through a link on the way), an existing link or special file at the
// path itself (never followed), the recipe's own files, lockfiles/, .git/
// and the store, and a file another output block already writes. The
// executor confines the write again (os.Root), for links made later.
func checkOutputPath(n *recipe.Node, env *Env, p string) (string, hcl.Diagnostics) {
	rng := attrRange(n, "path")
	bad := func(summary, detail string) (string, hcl.Diagnostics) {
		return "", hcl.Diagnostics{diag(summary, detail, rng)}
	}
	res, err := projpath.Resolve(env.ProjectDir, p)
	if err != nil {
		if errors.Is(err, projpath.ErrOutside) {
			return bad("Invalid output path", fmt.Sprintf("%v. Outputs are written inside the project, e.g. \"out/%s\".", err, path.Base(filepath.ToSlash(p))))
		}
		return bad("Invalid output path", err.Error()+".")
	}
	root, err := projpath.RealDir(env.ProjectDir)
	if err != nil {
		return bad("Invalid output path", err.Error())
	}
	key := projpath.SameFileKey(root, res.Real)
	within := func(dir string) bool {
		d := projpath.SameFileKey(root, projpath.Real(dir))
		return projpath.Within(d, key)
	}
	switch {
	case within(filepath.Join(root, "lockfiles")):
		return bad("Output would overwrite a lockfile", fmt.Sprintf("%s is inside lockfiles/, where dsbuild keeps the locks; write outputs elsewhere, e.g. \"out/%s\".", res.Rel, path.Base(res.Rel)))
	case within(filepath.Join(root, ".git")):
		return bad("Output would write into .git", fmt.Sprintf("%s is inside the repository's .git folder; write outputs elsewhere, e.g. \"out/%s\".", res.Rel, path.Base(res.Rel)))
	case env.StoreDir != "" && within(env.StoreDir):
		return bad("Output would write into the store", fmt.Sprintf("%s is inside the dsbuild store %s (--cache), whose files only dsbuild may write; write outputs elsewhere.", res.Rel, env.StoreDir))
	}
	for _, f := range env.RecipeFiles {
		same := projpath.SameFileKey(root, projpath.Real(f)) == key
		if !same && res.Info != nil {
			if fi, err := os.Stat(f); err == nil {
				same = os.SameFile(fi, res.Info)
			}
		}
		if same {
			return bad("Output would overwrite the recipe", fmt.Sprintf("%s is the recipe file %s; write outputs elsewhere, e.g. \"out/%s\".", res.Rel, f, path.Base(res.Rel)))
		}
	}
	if res.Info != nil && !res.Info.Mode().IsRegular() {
		return bad("Output path is not a regular file", fmt.Sprintf("%s exists and is %s. Outputs replace regular files only and never write through links or into devices or pipes; remove it or choose another path.", res.Rel, projpath.Describe(res.Info)))
	}
	if prev, ok := env.outputs[key]; ok {
		same := ""
		if prev.path != p {
			same = fmt.Sprintf(", the same file as %q", p)
		}
		return bad("Two outputs write one file", fmt.Sprintf("%s (%s:%d) already writes %q%s. Each file is written by one output only, or its bytes would depend on which finished last; give %s another path.",
			prev.id, prev.rng.Filename, prev.rng.Start.Line, prev.path, same, n.ID()))
	}
	if env.outputs == nil {
		env.outputs = map[string]outputClaim{}
	}
	env.outputs[key] = outputClaim{id: n.ID(), path: p, rng: *rng}
	return res.Rel, nil
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
