package ops

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	"github.com/zclconf/go-cty/cty"

	"github.com/dsbuild/dsbuild/internal/recipe"
	"github.com/dsbuild/dsbuild/internal/synth"
	"github.com/dsbuild/dsbuild/internal/synth/llm"
)

var synthesizeSpec = &Spec{
	Kind:    "synthesize",
	Version: 1,
	Doc:     "Generate seeded scenario conversations from a template library.",
	Attrs: []recipe.AttrSpec{
		{Name: "category", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "n", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "seed", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "turns", Mode: recipe.Static, Type: cty.List(cty.Number)},
		{Name: "templates", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "generator", Mode: recipe.Static, Type: cty.String},
		{Name: "endpoint", Mode: recipe.Static, Type: cty.String},
		{Name: "model", Mode: recipe.Static, Type: cty.String},
		{Name: "temperature", Mode: recipe.Static, Type: cty.Number},
	},
	Keys: map[string]AttrKey{
		"templates": templatesKey,
		"endpoint":  {Use: KeyNone, Why: "like a mirror, the server is where answers come from, not what they are; model and temperature are"},
	},
	New: newSynthesize,
}

// templatesKey: the template library is read at plan time; its content
// (the *.hcl files of the folder, or the one file named) enters the key.
var templatesKey = AttrKey{Use: KeyFile, Pattern: "*.hcl",
	Hint: `Templates are read from a file or folder inside the project, such as "recipes/templates".`}

type synthesizeOp struct {
	lib *synth.Library
	p   synth.Params
	rel string
	// libPath and libDigest name the template library; lib is loaded by
	// Prepare. The ranges are where Prepare's diagnostics point.
	libPath          string
	libDigest        digest.Digest
	nRange, catRange *hcl.Range

	// The optional LLM backend paraphrases the user turns.
	generator   string // "templates" or "openai"
	endpoint    string
	model       string
	temperature float64
}

func newSynthesize(n *recipe.Node, env *Env) (Op, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	op := &synthesizeOp{}
	op.p.Category = attrString(n, "category", "")
	cnt, _, d := attrInt(n, "n", 1, math.MaxInt32)
	diags = append(diags, d...)
	op.p.N = int(cnt)
	seed, _, d := attrInt(n, "seed", 0, math.MaxInt64)
	diags = append(diags, d...)
	op.p.Seed = uint64(seed)
	op.p.MinTurns, op.p.MaxTurns = 4, 12
	if a, ok := n.Attrs["turns"]; ok && !a.Value.IsNull() {
		vals := a.Value.AsValueSlice()
		if len(vals) != 2 {
			diags = append(diags, diag("Invalid turns", "turns is a range [min, max] of total turns per conversation, e.g. [4, 12].", attrRange(n, "turns")))
		} else {
			lo, loAcc := vals[0].AsBigFloat().Int64()
			hi, hiAcc := vals[1].AsBigFloat().Int64()
			if loAcc != big.Exact || hiAcc != big.Exact {
				diags = append(diags, diag("Invalid turns", fmt.Sprintf("turns = [%s, %s] must be whole numbers, e.g. [4, 12].", vals[0].AsBigFloat().Text('g', -1), vals[1].AsBigFloat().Text('g', -1)), attrRange(n, "turns")))
			} else if lo < 2 || hi < lo || hi > 200 {
				diags = append(diags, diag("Invalid turns", fmt.Sprintf("turns = [%d, %d] is not a range with 2 <= min <= max <= 200.", lo, hi), attrRange(n, "turns")))
			}
			op.p.MinTurns, op.p.MaxTurns = int(lo), int(hi)
		}
	}
	op.generator = attrString(n, "generator", "templates")
	switch op.generator {
	case "templates":
	case "openai":
		op.endpoint, op.model = attrString(n, "endpoint", ""), attrString(n, "model", "")
		if op.endpoint == "" || op.model == "" {
			diags = append(diags, diag("Missing LLM settings", "generator = \"openai\" needs endpoint (e.g. \"http://localhost:8000/v1\") and model. The API key is read from $OPENAI_API_KEY.", attrRange(n, "generator")))
		}
		if t, ok := attrNumber(n, "temperature"); ok {
			op.temperature, _ = t.Float64()
		}
	default:
		diags = append(diags, diag("Unknown generator", fmt.Sprintf("generator %q is not \"templates\" or \"openai\".", op.generator), attrRange(n, "generator")))
	}
	// The key needs only the templates' bytes (Env.File, which the graph
	// keys too); parsing and counting them waits for Prepare, so a no-op
	// rebuild never pays for it. The path is the resolved one, checked to
	// lie inside the project.
	fc, d := env.File(n, "templates", templatesKey)
	if fc == nil {
		return nil, append(diags, d...)
	}
	op.rel = fc.Rel
	op.libPath = fc.Real
	op.libDigest = fc.Digest
	op.nRange = attrRange(n, "n")
	op.catRange = attrRange(n, "category")
	if !slices.Contains(synth.Categories, op.p.Category) {
		diags = append(diags, diag("Unknown category", fmt.Sprintf("category %q is not one of %s.", op.p.Category, strings.Join(synth.Categories, ", ")), op.catRange))
	}
	return op, diags
}

// Params leave out the template library: its content digest enters the
// key as a file attribute (templatesKey), so editing a template rebuilds
// exactly the nodes that use it; its path does not enter.
//
// The LLM endpoint is not in the key: like a mirror, it is where answers
// come from, not what they are; the model and temperature are.
func (op *synthesizeOp) Params() []Param {
	ps := []Param{
		{"category", quote(op.p.Category)},
		{"generator", op.generator},
		{"n", fmt.Sprint(op.p.N)},
		{"seed", fmt.Sprint(op.p.Seed)},
		{"turns", fmt.Sprintf("[%d,%d]", op.p.MinTurns, op.p.MaxTurns)},
	}
	if op.generator == "openai" {
		ps = append(ps, Param{"model", quote(op.model)}, Param{"temperature", strconv.FormatFloat(op.temperature, 'g', -1, 64)})
		sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	}
	return ps
}

// Nondeterministic: an LLM's answers cannot be reproduced by asking again,
// so verify checks the pinned output instead of re-running the node.
func (op *synthesizeOp) Nondeterministic() bool { return op.generator == "openai" }

// Prepare checks n against what the templates can produce. Counting the
// scenario space is the expensive part of a library, so it happens only for
// a node that is about to run, never on a no-op rebuild. Capacity depends on
// the turn range (a narrow range admits fewer plans).
func (op *synthesizeOp) Prepare(inputs []*arrow.Schema) (*arrow.Schema, hcl.Diagnostics) {
	lib, diags := synth.LoadLibrary(op.libPath)
	if diags.HasErrors() {
		return nil, diags
	}
	if lib.Digest() != op.libDigest {
		return nil, hcl.Diagnostics{diag("Templates changed during the build", fmt.Sprintf("The files in %s changed after the build started; run it again.", op.rel), op.catRange)}
	}
	op.lib = lib
	if lib.Skeletons(op.p.Category) == 0 {
		return nil, hcl.Diagnostics{diag("Unknown category", fmt.Sprintf("The templates in %s have no scenarios for category %q.", op.rel, op.p.Category), op.catRange)}
	}
	if diags := op.lib.Check(); diags.HasErrors() {
		return nil, diags
	}
	if c := op.lib.CapacityFor(op.p.Category, op.p.MinTurns, op.p.MaxTurns); op.p.N > c {
		return nil, hcl.Diagnostics{diag("Not enough distinct scenarios", fmt.Sprintf("n = %d but the templates in %s can produce only %d distinct %q conversations of %d to %d turns; add templates, widen turns or lower n.", op.p.N, op.rel, c, op.p.Category, op.p.MinTurns, op.p.MaxTurns), op.nRange)}
	}
	return synth.Schema(), nil
}

func (op *synthesizeOp) Run(ctx context.Context, rc *RunContext) error {
	var rec arrow.RecordBatch
	var err error
	if op.generator == "openai" {
		client := &llm.Client{
			Endpoint: op.endpoint, Model: op.model, Temperature: op.temperature,
			Seed: int64(op.p.Seed), APIKey: os.Getenv("OPENAI_API_KEY"), Cache: rc.Memo,
		}
		rec, err = llm.GenerateWithLLM(ctx, rc.Mem, op.lib, op.p, client)
		if rc.Logf != nil {
			rc.Logf("%d LLM calls to %s", client.Calls(), client.URL())
		}
	} else {
		rec, err = synth.Generate(ctx, rc.Mem, op.lib, op.p)
	}
	if err != nil {
		return err
	}
	defer rec.Release()
	return rc.Emit(rec)
}
