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
	Version: 2,
	Doc:     "Generate seeded user-side test scripts (user turns with per-turn labels) from a template library.",
	Attrs: []recipe.AttrSpec{
		{Name: "category", Required: true, Mode: recipe.Static, Type: cty.String},
		{Name: "n", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "seed", Required: true, Mode: recipe.Static, Type: cty.Number},
		{Name: "turns", Mode: recipe.Static, Type: cty.List(cty.Number)},
		{Name: "references", Mode: recipe.Static, Type: cty.Bool},
		{Name: "controls", Mode: recipe.Static, Type: cty.Bool},
		{Name: "partial", Mode: recipe.Static, Type: cty.Bool},
		{Name: "casual", Mode: recipe.Static, Type: cty.Number},
		{Name: "split", Mode: recipe.Static, Type: cty.Map(cty.Number)},
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
	op.p.MinTurns, op.p.MaxTurns = synth.DefaultMinTurns, synth.DefaultMaxTurns
	if a, ok := n.Attrs["turns"]; ok && !a.Value.IsNull() {
		vals := a.Value.AsValueSlice()
		if len(vals) != 2 {
			diags = append(diags, diag("Invalid turns", "turns is a range [min, max] of user turns per conversation, e.g. [6, 16].", attrRange(n, "turns")))
		} else {
			lo, loAcc := vals[0].AsBigFloat().Int64()
			hi, hiAcc := vals[1].AsBigFloat().Int64()
			if loAcc != big.Exact || hiAcc != big.Exact {
				diags = append(diags, diag("Invalid turns", fmt.Sprintf("turns = [%s, %s] must be whole numbers, e.g. [6, 16].", vals[0].AsBigFloat().Text('g', -1), vals[1].AsBigFloat().Text('g', -1)), attrRange(n, "turns")))
			} else if lo < 1 || hi < lo || hi > synth.MaxTurnsLimit {
				diags = append(diags, diag("Invalid turns", fmt.Sprintf("turns = [%d, %d] is not a range of user turns with 1 <= min <= max <= %d.", lo, hi, synth.MaxTurnsLimit), attrRange(n, "turns")))
			}
			op.p.MinTurns, op.p.MaxTurns = int(lo), int(hi)
		}
	}
	op.p.References = attrBool(n, "references", false)
	op.p.Controls = attrBool(n, "controls", false)
	op.p.Partial = attrBool(n, "partial", false)
	op.p.Casual = 1
	if c, ok := attrNumber(n, "casual"); ok {
		op.p.Casual, _ = c.Float64()
		if op.p.Casual < 0 || op.p.Casual > 2 {
			diags = append(diags, diag("Invalid casual", fmt.Sprintf("casual = %g is outside [0, 2]: 0 is polished text, 1 ESConv-like casual typing.", op.p.Casual), attrRange(n, "casual")))
		}
	}
	if a, ok := n.Attrs["split"]; ok && !a.Value.IsNull() {
		m := a.Value.AsValueMap()
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			w, acc := m[k].AsBigFloat().Int64()
			if acc != big.Exact || w < 0 || w > 1000 {
				diags = append(diags, diag("Invalid split", fmt.Sprintf("split.%s = %s must be a whole-number weight from 0 to 1000, e.g. split = { train = 8, test = 2 }.", k, m[k].AsBigFloat().Text('g', -1)), attrRange(n, "split")))
				continue
			}
			op.p.Split = append(op.p.Split, synth.Split{Name: k, Weight: int(w)})
		}
		if len(op.p.Split) == 0 && !diags.HasErrors() {
			diags = append(diags, diag("Invalid split", "split needs at least one named weight, e.g. split = { train = 8, test = 2 }.", attrRange(n, "split")))
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
		{"casual", strconv.FormatFloat(op.p.Casual, 'g', -1, 64)},
		{"category", quote(op.p.Category)},
		{"controls", strconv.FormatBool(op.p.Controls)},
		{"generator", op.generator},
		{"n", fmt.Sprint(op.p.N)},
		{"partial", strconv.FormatBool(op.p.Partial)},
		{"references", strconv.FormatBool(op.p.References)},
		{"seed", fmt.Sprint(op.p.Seed)},
		{"split", splitParam(op.p.Split)},
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
	if need := op.lib.MinTurnsFor(op.p.Category); !op.p.Partial && need > op.p.MaxTurns {
		return nil, hcl.Diagnostics{diag("Turn range too short", fmt.Sprintf("turns allows at most %d user turns, but every %q family in %s needs at least %d to reach its core request; widen turns or set partial = true (reached_core = false).", op.p.MaxTurns, op.p.Category, op.rel, need), op.nRange)}
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

// splitParam renders split weights in name order ("-" when unset).
func splitParam(sp []synth.Split) string {
	if len(sp) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, x := range sp {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%d", quote(x.Name), x.Weight)
	}
	return b.String()
}
