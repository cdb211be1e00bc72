package ops

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/fetch"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

var fetchSpec = &Spec{
	Kind:    "fetch",
	Version: 1,
	Doc:     "Download a pinned file (http(s), hf://, file) and decode it to Arrow.",
	Attrs: []recipe.AttrSpec{
		{Name: "url", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "digest", Mode: recipe.Static, Type: cty.String},
		{Name: "format", Mode: recipe.Static, Type: cty.String},
		{Name: "header", Mode: recipe.Static, Type: cty.Bool},
		{Name: "delimiter", Mode: recipe.Static, Type: cty.String},
		{Name: "schema", Mode: recipe.Static, Type: cty.Map(cty.String)},
		{Name: "file_column", Mode: recipe.Static, Type: cty.String},
	},
	Keys: map[string]AttrKey{
		"url":    {Use: KeyNone, Why: "where the bytes come from, not what they are: the pinned digest of the bytes is the key's input, so a move to a mirror or another host rebuilds nothing"},
		"digest": {Use: KeyPin},
	},
	New: newFetch,
}

type fetchOp struct {
	url       string
	pin       digest.Digest
	opts      arrowio.ReadOptions
	declared  map[string]string
	name      string // base name of the URL, for messages
	schema    *arrow.Schema
	formatSet bool
}

func newFetch(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &fetchOp{url: relativeToRecipe(attrString(n, "url", ""), n.DeclRange.Filename, env.RecipeDir)}
	u, err := url.Parse(op.url)
	if err != nil || op.url == "" {
		diags = append(diags, diag("Invalid URL", fmt.Sprintf("%q is not a URL: %v. Use https://..., hf://datasets/ORG/NAME@REV/PATH, or a path relative to the recipe.", op.url, err), attrRange(n, "url")))
		return nil, diags
	}
	op.name = path.Base(u.Path)
	if op.name == "." || op.name == "/" || op.name == "" {
		op.name = op.url
	}
	if d := attrString(n, "digest", ""); d != "" {
		pd, err := digest.Parse(d)
		if err != nil || pd.Algorithm() != digest.SHA256 {
			diags = append(diags, diag("Invalid digest", fmt.Sprintf("%q is not a sha256 digest. Write it as \"sha256:<64 hex digits>\" (sha256sum FILE prints the hex).", d), attrRange(n, "digest")))
		} else {
			op.pin = pd
		}
	}
	format := attrString(n, "format", "")
	if format == "" {
		f, ok := arrowio.FormatFromName(strings.TrimSuffix(op.name, "?"))
		if !ok {
			diags = append(diags, diag("Unknown format", fmt.Sprintf("Cannot tell the format of %q from its name. Set format = \"json\", \"jsonl\", \"csv\", \"tsv\", \"parquet\" or \"arrow\".", op.name), attrRange(n, "url")))
		}
		if f == arrowio.ArrowStream {
			f = arrowio.Arrow // IPC file or stream, told apart by the magic
		}
		op.opts.Format = f
	} else {
		switch arrowio.Format(format) {
		case arrowio.JSON, arrowio.JSONL, arrowio.CSV, arrowio.TSV, arrowio.Parquet, arrowio.Arrow:
			op.opts.Format = arrowio.Format(format)
			op.formatSet = true
		case arrowio.ArrowStream:
			op.opts.Format = arrowio.Arrow // read by magic either way
			op.formatSet = true
		default:
			diags = append(diags, diag("Unknown format", fmt.Sprintf("format %q is not one of json, jsonl, csv, tsv, parquet, arrow.", format), attrRange(n, "format")))
		}
	}
	if hasAttr(n, "header") {
		h := attrBool(n, "header", true)
		op.opts.CSVHeader = &h
	}
	if d := attrString(n, "delimiter", ""); d != "" {
		r := []rune(d)
		if len(r) != 1 {
			diags = append(diags, diag("Invalid delimiter", "delimiter must be a single character, e.g. \"\\t\".", attrRange(n, "delimiter")))
		} else {
			op.opts.Delimiter = r[0]
		}
	}
	if m := attrStringMap(n, "schema"); m != nil {
		op.declared = m
		// Declared schemas are a map; the field order follows the data, so the
		// reader applies types by name to the inferred schema.
	}
	op.opts.FileColumn = attrString(n, "file_column", "")
	if p, ok := fetch.LocalPath(op.url, env.RecipeDir); ok {
		// A device, FIFO, /proc file … known now is a recipe error; the
		// fetcher refuses one that appears later.
		checked := p
		if dir, _, ok := localTree(op.url, env.RecipeDir); ok {
			checked = dir
		}
		if err := fetch.CheckLocalPath(checked); err != nil {
			diags = append(diags, diag("Not a regular file", fmt.Sprintf("%v. Point url at a regular file, or at a directory or glob of them.", err), attrRange(n, "url")))
			return nil, diags
		}
	}
	if dir, pattern, ok := localTree(op.url, env.RecipeDir); ok {
		return &treeFetchOp{fetchOp: op, dir: dir, pattern: pattern}, diags
	}
	if op.opts.FileColumn != "" {
		diags = append(diags, diag("file_column needs several files", "file_column names the column holding each row's file; it applies to a directory or a glob such as \"data/*.json\".", attrRange(n, "file_column")))
	}
	return op, diags
}

// localTree recognizes a fetch of many local files: a glob pattern or a
// directory, relative to the recipe or as a file:// URL.
func localTree(raw, base string) (dir, pattern string, ok bool) {
	p, ok := fetch.LocalPath(raw, base)
	if !ok {
		return "", "", false
	}
	if strings.ContainsAny(p, "*?[") {
		// The directory is everything before the first path element with a
		// glob character; the rest is matched against relative paths.
		parts := strings.Split(filepath.ToSlash(p), "/")
		i := 0
		for i < len(parts) && !strings.ContainsAny(parts[i], "*?[") {
			i++
		}
		return filepath.FromSlash(strings.Join(parts[:i], "/")), strings.Join(parts[i:], "/"), true
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return p, "", true
	}
	return "", "", false
}

// treeFetchOp reads a set of local files as one table.
type treeFetchOp struct {
	*fetchOp
	dir, pattern string
}

func (op *treeFetchOp) Tree() (string, string) { return op.dir, op.pattern }

func (op *fetchOp) URLs() []string     { return []string{op.url} }
func (op *fetchOp) Pin() digest.Digest { return op.pin }

// Params deliberately omit the URL and the pin: the raw bytes enter the key
// as the node's input digest (a fixed-output node), so moving a file to a
// mirror or another host does not rebuild anything.
func (op *fetchOp) Params() []Param {
	ps := []Param{{"format", string(op.opts.Format)}}
	if op.opts.CSVHeader != nil {
		ps = append(ps, Param{"header", fmt.Sprint(*op.opts.CSVHeader)})
	}
	if op.opts.Delimiter != 0 {
		ps = append(ps, Param{"delimiter", quote(string(op.opts.Delimiter))})
	}
	if op.declared != nil {
		ps = append(ps, Param{"schema", canonicalMap(op.declared)})
	}
	if op.opts.FileColumn != "" {
		ps = append(ps, Param{"file_column", quote(op.opts.FileColumn)})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// Prepare cannot know the schema before the bytes are decoded; the executor
// asks the decoder for it at run time.
func (op *fetchOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	return nil, nil
}

func (op *fetchOp) Run(ctx context.Context, rc *RunContext) error {
	opts := op.opts
	opts.BatchSize = rc.BatchSize
	opts.Names = rc.RawNames
	if op.declared != nil {
		// The declared types apply to the files' columns; the file
		// column is added by the reader after them.
		dataOpts := opts
		dataOpts.FileColumn = ""
		inferred, err := arrowio.InferSchema(ctx, rc.RawPaths, dataOpts)
		if err != nil {
			renameFiles(err, rc, op.url)
			return op.wrap(err)
		}
		s, err := applyDeclared(inferred, op.declared)
		if err != nil {
			return err
		}
		opts.Schema = s
	}
	rd, err := arrowio.Open(ctx, rc.Mem, rc.RawPaths, opts)
	if err != nil {
		renameFiles(err, rc, op.url)
		return op.wrap(err)
	}
	defer rd.Release()
	if err := rc.DeclareSchema(rd.Schema()); err != nil {
		return err
	}
	for rd.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := rc.Emit(rd.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		renameFiles(err, rc, op.url)
		return op.wrap(err)
	}
	op.logRenamed(rc, arrowio.RenamedColumns(rd))
	return nil
}

// logRenamed tells which columns were read under a new name because their
// file has two of that name (at most 10 lines; then a count).
func (op *fetchOp) logRenamed(rc *RunContext, rns []arrowio.Rename) {
	const most = 10
	for i, rn := range rns {
		if rc.Logf == nil {
			return
		}
		if i == most {
			rc.Logf("and %d more columns renamed", len(rns)-most)
			return
		}
		name := op.url
		for j, p := range rc.RawPaths {
			if p == rn.File && j < len(rc.RawNames) {
				name = rc.RawNames[j]
			}
		}
		rc.Logf("%s", rn.Describe(name))
	}
}

// wrap names the upstream file instead of the store path the bytes sit at.
func (op *fetchOp) wrap(err error) error {
	return fmt.Errorf("decoding %s: %w", op.name, err)
}

// renameFiles makes a data error name the file as the recipe knows it
// (its URL, or its path in the tree) rather than its blob in the store.
func renameFiles(err error, rc *RunContext, fallback string) {
	var de *arrowio.DataError
	if !errors.As(err, &de) {
		return
	}
	for i, p := range rc.RawPaths {
		if de.File == p {
			if i < len(rc.RawNames) {
				de.File = rc.RawNames[i]
			} else {
				de.File = fallback
			}
		}
	}
}

var declaredTypes = map[string]arrow.DataType{
	"string":  arrow.BinaryTypes.String,
	"utf8":    arrow.BinaryTypes.String,
	"int64":   arrow.PrimitiveTypes.Int64,
	"int32":   arrow.PrimitiveTypes.Int32,
	"float64": arrow.PrimitiveTypes.Float64,
	"float32": arrow.PrimitiveTypes.Float32,
	"bool":    arrow.FixedWidthTypes.Boolean,
	"number":  arrow.PrimitiveTypes.Float64,
}

func applyDeclared(inferred *arrow.Schema, declared map[string]string) (*arrow.Schema, error) {
	fields := append([]arrow.Field(nil), inferred.Fields()...)
	seen := map[string]bool{}
	for i, f := range fields {
		t, ok := declared[f.Name]
		if !ok {
			continue
		}
		dt, ok := declaredTypes[t]
		if !ok {
			return nil, fmt.Errorf("schema: column %q: unsupported type %q (use string, int64, int32, float64, float32, bool)", f.Name, t)
		}
		fields[i].Type = dt
		fields[i].Nullable = true
		seen[f.Name] = true
	}
	for _, name := range sortedKeys(declared) {
		if !seen[name] {
			return nil, fmt.Errorf("schema: column %q is declared but not in the data (columns: %s)", name, SchemaString(inferred))
		}
	}
	return arrow.NewSchema(fields, nil), nil
}

// relativeToRecipe rewrites a relative local path written in file (an
// included lib, say recipes/lib/x.hcl) into the same place relative to the
// recipe's directory, which the fetcher and the planner resolve against:
// a path in a file means what it says there, wherever the file is
// included from. URLs, file:// URLs and absolute paths are left as they
// are; so is everything in the recipe's own directory. The url never
// enters a key (the pinned digest does), so where a lib is included from
// changes no key.
func relativeToRecipe(raw, file, recipeDir string) string {
	if raw == "" || file == "" || recipeDir == "" || filepath.IsAbs(raw) || strings.HasPrefix(raw, "/") {
		return raw
	}
	if u, err := url.Parse(raw); err != nil || u.Scheme != "" {
		return raw
	}
	fileDir, err1 := filepath.Abs(filepath.Dir(file))
	base, err2 := filepath.Abs(recipeDir)
	if err1 != nil || err2 != nil || fileDir == base {
		return raw
	}
	rel, err := filepath.Rel(base, filepath.Join(fileDir, filepath.FromSlash(raw)))
	if err != nil {
		return raw
	}
	return filepath.ToSlash(rel)
}
