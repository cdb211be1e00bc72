// Package ops implements the node kinds of a recipe (fetch, select, filter,
// flatten, sample, synthesize, output, ...).
//
// An op validates its parameters, states the canonical parameters that enter
// its cache key, declares its output schema from its input schemas, and runs
// synchronously over Arrow record batches. Ops never touch the cache store
// and never schedule work: the graph executor owns both, so an op cannot make
// a result depend on what happens to be cached or on goroutine order.
package ops

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/expr"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// Spec describes one node kind: the attributes a recipe block may set and how
// to build the op from a loaded block.
type Spec struct {
	Kind    string
	Version int // bump when the op's output for the same params changes
	Doc     string
	Attrs   []recipe.AttrSpec
	// Blocks are labelled sub-blocks (mix's part "LABEL" { ... }); their
	// references enter the key as roles TYPE["LABEL"].ATTR, everything
	// else through Params.
	Blocks []recipe.BlockSpec
	// FileRefs are the Refs attributes that name output nodes, whose
	// results are the files they wrote (a card's data_files); every other
	// reference must name a table.
	FileRefs map[string]bool
	// Keys declares the attributes that do not enter the key the default
	// way (KeyValue): files read at plan time, the fetch pin, and the
	// deliberate exceptions, with why.
	Keys map[string]AttrKey
	New  func(n *recipe.Node, env *Env) (Op, hcl.Diagnostics)
}

// Env is what an op may know about its surroundings at plan time.
type Env struct {
	ProjectDir string // outputs and template paths resolve inside it
	RecipeDir  string
	RecipeName string // the lock is lockfiles/RecipeName.lock
	Vars       map[string]cty.Value
	// RecipeFiles and StoreDir (the --cache directory), with the project's
	// lockfiles/ and .git/, are what an output may never overwrite.
	RecipeFiles []string
	StoreDir    string

	// outputs are the files claimed by the output blocks built so far with
	// this Env, by projpath.SameFileKey: two outputs may not write one.
	outputs map[string]outputClaim
	// files memoizes Env.File per node and attribute.
	files map[fileMemoKey]*fileMemo
}

// Param is one canonical key parameter. Values are canonical text: two
// recipes that mean the same thing produce the same Value.
type Param struct {
	Name  string
	Value string
}

// Op is one node's computation.
type Op interface {
	// Params returns everything besides the inputs that determines the
	// output, canonically encoded. Options that cannot change the result
	// (paths of caches, --jobs) are never here.
	Params() []Param
	// Prepare type-checks the op against its input schemas and returns the
	// output schema. Diagnostics point into the recipe.
	Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics)
	// Run streams the output. It is called once, after Prepare.
	Run(ctx context.Context, rc *RunContext) error
}

// Source is implemented by ops whose input is bytes from outside the graph
// (fetch). The executor obtains the bytes (pinned, verified, stored) and hands
// their path to Run through RunContext.RawPaths.
type Source interface {
	Op
	URLs() []string
	Pin() digest.Digest // "" when the recipe does not pin it
}

// TreeSource is a Source whose input is a set of local files: a directory
// or a glob pattern (SMILECHAT stores one dialogue per file). Its pin is the
// digest of the tree's listing: sha256 of the lines `sha256sum` prints for
// every file ("<hex>  <relative path>\n"), sorted by path.
type TreeSource interface {
	Source
	// Tree returns the absolute directory and the pattern of files in it:
	// "" for every regular file below dir, or a filepath.Match pattern
	// applied to paths relative to dir.
	Tree() (dir, pattern string)
}

// Sink is implemented by ops that write a file into the project (output).
// Their Run writes the file's bytes to RunContext.File; the executor commits
// them atomically to Path and to the store.
type Sink interface {
	Op
	Path() string // cleaned, relative to the project directory
	MediaType() string
}

// Nondeterministic is implemented by ops whose output cannot be reproduced
// by re-running them (an LLM backend). verify checks their pinned output from
// the store instead of re-running them.
type Nondeterministic interface {
	Nondeterministic() bool
}

// RunContext carries what a running op reads and writes.
type RunContext struct {
	Mem       memory.Allocator
	Inputs    []Input   // in the node's dependency order
	RawPaths  []string  // Source ops: local paths of the verified raw bytes
	RawNames  []string  // TreeSource ops: each RawPaths file's path relative to the tree
	File      io.Writer // Sink ops: the file's bytes go here
	BatchSize int
	// RowOffset is the input row number of the first row of Inputs[0]:
	// 0, except for a shard of a RowWise op, which reads a row range.
	RowOffset int64
	// DeclareSchema announces the output schema when Prepare could not
	// (fetch learns it from the data); it must precede the first Emit.
	DeclareSchema func(*arrow.Schema) error
	// Emit hands one output batch to the executor. The batch is only
	// borrowed for the call.
	Emit func(arrow.RecordBatch) error
	// EmitRows hands over the rows sel selects of a borrowed batch: the
	// executor copies them straight into its output batches, so an op that
	// only drops rows never copies values itself. Nil where the caller does
	// not offer it; Emit always works.
	EmitRows func(rec arrow.RecordBatch, sel expr.Selection) error
	// Memo is a persistent cache for expensive sub-results keyed by the
	// digest of their request (LLM responses); nil when there is none.
	Memo Memo
	// Logf reports op-level notes (e.g. LLM cache hits); may be nil.
	Logf func(format string, args ...any)
	// Budget is the executor's parallelism budget: batch-level workers
	// beyond the one the node runs on are taken from it (see Budget); nil
	// gives none.
	Budget *Budget
}

// Input is one upstream artifact. Open may be called more than once (ops
// that need two passes, such as sample); the caller releases each reader.
type Input struct {
	Schema *arrow.Schema
	Rows   int64
	Open   func() (array.RecordReader, error)
	// File is set, and Schema and Open are nil, when the input is an
	// output node: what reaches the op is the file it wrote.
	File *FileInput
}

// FileInput describes the file an output node wrote, as the lock records
// it (a card lists the data files with their digests).
type FileInput struct {
	Path      string // relative to the project, slash-separated
	Digest    digest.Digest
	Size      int64
	MediaType string
	Schema    []string // the written table's columns ("name: type")
}

// Memo stores small values by the digest of what produced them.
type Memo interface {
	Get(key digest.Digest) ([]byte, bool)
	Put(key digest.Digest, val []byte) error
}

// Registry maps kinds to specs.
type Registry map[string]*Spec

// Kinds returns the attribute table the recipe loader validates against.
func (r Registry) Kinds() map[string]recipe.KindSpec {
	out := make(map[string]recipe.KindSpec, len(r))
	for k, s := range r {
		out[k] = recipe.KindSpec{Attrs: s.Attrs, Blocks: s.Blocks, Doc: s.Doc}
	}
	return out
}

// Names returns the kinds, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for k := range r {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the registry of every op dsbuild ships.
func Builtin() Registry {
	r := Registry{}
	for _, s := range []*Spec{
		fetchSpec, selectSpec, filterSpec, flattenSpec, sampleSpec,
		synthesizeSpec, outputSpec, cardSpec, reviewSpec,
		unionSpec, sortSpec, mixSpec, aggregateSpec, joinSpec, distinctSpec,
		vectorsSpec, vectorProjectSpec, embedSpec, trajectorySpec, plotSpec,
	} {
		r[s.Kind] = s
	}
	return r
}

// SchemaString renders a schema canonically (names, types, nullability; no
// metadata) for manifests, locks and keys.
func SchemaString(s *arrow.Schema) string {
	var b strings.Builder
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		writeField(&b, f)
	}
	return b.String()
}

// SchemaFields renders each top-level field as "name: type".
func SchemaFields(s *arrow.Schema) []string {
	out := make([]string, 0, s.NumFields())
	for _, f := range s.Fields() {
		var b strings.Builder
		writeField(&b, f)
		out = append(out, b.String())
	}
	return out
}

func writeField(b *strings.Builder, f arrow.Field) {
	fmt.Fprintf(b, "%s: ", f.Name)
	writeType(b, f.Type)
	if !f.Nullable {
		b.WriteString(" not null")
	}
}

func writeType(b *strings.Builder, t arrow.DataType) {
	switch t := t.(type) {
	case *arrow.StructType:
		b.WriteString("struct<")
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeField(b, f)
		}
		b.WriteString(">")
	case *arrow.ListType:
		b.WriteString("list<")
		writeType(b, t.Elem())
		b.WriteString(">")
	case *arrow.LargeListType:
		b.WriteString("large_list<")
		writeType(b, t.Elem())
		b.WriteString(">")
	case *arrow.FixedSizeListType:
		fmt.Fprintf(b, "fixed_size_list<")
		writeType(b, t.Elem())
		fmt.Fprintf(b, ">[%d]", t.Len())
	default:
		b.WriteString(t.String())
	}
}

// diag builds an error diagnostic.
func diag(summary, detail string, rng *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng}
}
