package synth

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func generate(t *testing.T, mem memory.Allocator, lib *Library, p Params) arrow.RecordBatch {
	t.Helper()
	rec, err := Generate(context.Background(), mem, lib, p)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", p, err)
	}
	return rec
}

func TestGenerateDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	p := Params{Category: "adversarial", N: 500, Seed: 42}

	a := generate(t, mem, lib, p)
	defer a.Release()
	prev := runtime.GOMAXPROCS(1)
	b := generate(t, mem, lib, p)
	runtime.GOMAXPROCS(prev)
	defer b.Release()
	if !array.RecordEqual(a, b) {
		t.Fatalf("Generate(%+v) twice gave different batches", p)
	}
	// A freshly loaded library must draw the same rows.
	c := generate(t, mem, realLibrary(t), p)
	defer c.Release()
	if !array.RecordEqual(a, c) {
		t.Fatalf("Generate(%+v) with a reloaded library gave a different batch", p)
	}

	p2 := p
	p2.Seed = 43
	d := generate(t, mem, lib, p2)
	defer d.Release()
	ids := map[string]bool{}
	for _, r := range rowsOf(t, a) {
		ids[r.ConversationID] = true
	}
	shared := 0
	for _, r := range rowsOf(t, d) {
		if ids[r.ConversationID] {
			shared++
		}
	}
	// Two independent draws of 500 out of ~10^11 combinations share
	// essentially nothing; a seed that is ignored would share all 500.
	if shared > 5 {
		t.Errorf("seeds 42 and 43 share %d of 500 conversations, want (almost) none", shared)
	}
}

// TestReaderBatchSizes checks that batching does not change the rows.
func TestReaderBatchSizes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	p := Params{Category: "boundary", N: 257, Seed: 9}
	whole := generate(t, mem, lib, p)
	defer whole.Release()
	want := rowsOf(t, whole)
	for _, bs := range []int{1, 7, 256, 1000} {
		r, err := NewReader(context.Background(), mem, lib, p, bs)
		if err != nil {
			t.Fatal(err)
		}
		var got []convRow
		batches := 0
		for r.Next() {
			rec := r.RecordBatch()
			if !rec.Schema().Equal(Schema()) {
				t.Fatalf("batch schema = %s, want %s", rec.Schema(), Schema())
			}
			if rec.NumRows() > int64(bs) {
				t.Errorf("batch size %d: batch of %d rows", bs, rec.NumRows())
			}
			got = append(got, rowsOf(t, rec)...)
			batches++
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Release()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("NewReader(batch %d) rows differ from Generate (-want +got):\n%s", bs, diff)
		}
		if wantB := (p.N + bs - 1) / bs; batches != wantB {
			t.Errorf("NewReader(batch %d) gave %d batches, want %d", bs, batches, wantB)
		}
	}
	if _, err := NewReader(context.Background(), mem, lib, p, 0); err == nil {
		t.Errorf("NewReader(batch 0) succeeded, want error")
	}
}

func TestGenerateInvariants(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	strategies := map[string]bool{"Question": true, "Restatement or Paraphrasing": true, "Reflection of feelings": true,
		"Self-disclosure": true, "Affirmation and Reassurance": true, "Providing Suggestions": true, "Information": true, "Others": true}
	for _, cat := range Categories {
		for _, tr := range [][2]int{{0, 0}, {6, 8}, {3, 5}} {
			p := Params{Category: cat, N: 400, Seed: 7, MinTurns: tr[0], MaxTurns: tr[1]}
			minT, maxT := p.withDefaults().MinTurns, p.withDefaults().MaxTurns
			rec := generate(t, mem, lib, p)
			if !rec.Schema().Equal(Schema()) {
				t.Errorf("schema = %s, want %s", rec.Schema(), Schema())
			}
			rows := rowsOf(t, rec)
			rec.Release()
			if len(rows) != p.N {
				t.Fatalf("Generate(%+v) gave %d rows, want %d", p, len(rows), p.N)
			}
			seenText := map[string]string{}
			seenID := map[string]bool{}
			lengths := map[int]int{}
			for _, r := range rows {
				if r.Source != "synthetic" || r.Category != cat {
					t.Errorf("%s: source/category = %q/%q", r.ConversationID, r.Source, r.Category)
				}
				if !strings.HasPrefix(r.ConversationID, "synth-"+cat+"-") || seenID[r.ConversationID] {
					t.Errorf("conversation_id %q: wrong prefix or duplicate", r.ConversationID)
				}
				seenID[r.ConversationID] = true
				if r.ScenarioID == "" || r.Tactic == "" || r.Expected == "" || r.ProblemType == "" || r.Situation == nil || *r.Situation == "" {
					t.Errorf("%s: empty label in %+v", r.ConversationID, r)
				}
				if r.Risk != "low" && r.Risk != "medium" && r.Risk != "high" {
					t.Errorf("%s: risk_level %q", r.ConversationID, r.Risk)
				}
				n := len(r.Turns)
				lengths[n]++
				if n < minT || n > maxT || n%2 != 0 {
					t.Errorf("%s: %d turns, want an even count in [%d, %d]", r.ConversationID, n, minT, maxT)
				}
				if e := int(r.EscalationTurn); e <= 0 || e >= n || e%2 != 0 {
					t.Errorf("%s: escalation_turn %d not a user turn after the opener in %d turns", r.ConversationID, e, n)
				}
				for j, tu := range r.Turns {
					wantRole := "user"
					if j%2 == 1 {
						wantRole = "assistant"
					}
					if int(tu.Turn) != j || tu.Role != wantRole || strings.TrimSpace(tu.Text) == "" || strings.ContainsAny(tu.Text, "{}") {
						t.Errorf("%s turn %d: %+v", r.ConversationID, j, tu)
					}
					if (tu.Strategy != nil) != (wantRole == "assistant") || tu.Strategy != nil && !strategies[*tu.Strategy] {
						t.Errorf("%s turn %d: strategy %v for role %s", r.ConversationID, j, tu.Strategy, tu.Role)
					}
				}
				ut := userText(r)
				if prev, dup := seenText[ut]; dup {
					t.Errorf("%s and %s share their user text", prev, r.ConversationID)
				}
				seenText[ut] = r.ConversationID
			}
			evens := 0
			for n := minT; n <= maxT; n++ {
				if n%2 == 0 {
					evens++
				}
			}
			if len(lengths) != evens {
				t.Errorf("Generate(%+v): lengths %v, want every one of the %d even counts in range", p, lengths, evens)
			}
		}
	}
}

// TestGenerateExhaustsCapacity draws every combination of the hand-counted
// library: all must come out distinct, and one more must fail.
func TestGenerateExhaustsCapacity(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib, diags := LoadLibrary("testdata/small")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := Params{Category: "crisis", N: lib.Capacity("crisis"), Seed: 5}
	rec := generate(t, mem, lib, p)
	rows := rowsOf(t, rec)
	rec.Release()
	texts := map[string]bool{}
	for _, r := range rows {
		texts[userText(r)] = true
		if r.Tactic != "hopelessness+isolation" {
			t.Errorf("tactic = %q, want hopelessness+isolation", r.Tactic)
		}
	}
	if len(texts) != p.N {
		t.Errorf("N = Capacity = %d gave %d distinct user texts", p.N, len(texts))
	}

	p.N++
	if _, err := Generate(context.Background(), mem, lib, p); !errors.Is(err, ErrCapacity) || !strings.Contains(err.Error(), "68") {
		t.Errorf("Generate(N = Capacity+1) error = %v, want ErrCapacity naming the capacity 68", err)
	}
	if _, err := Generate(context.Background(), mem, realLibrary(t), Params{Category: "meta", N: 10, Seed: 1, MinTurns: 30, MaxTurns: 40}); !errors.Is(err, ErrCapacity) {
		t.Errorf("Generate(turns beyond the templates) error = %v, want ErrCapacity", err)
	}
}

// TestGenerateCollisions: templates that fill to the same text are skipped,
// never emitted twice, and the shortfall is an error.
func TestGenerateCollisions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib, diags := LoadLibrary("testdata/collide")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := lib.CapacityFor("meta", 4, 4); got != 3 {
		t.Fatalf("CapacityFor(meta, 4, 4) = %d, want 3", got)
	}
	for seed := uint64(0); seed < 20; seed++ {
		p := Params{Category: "meta", N: 2, Seed: seed, MinTurns: 4, MaxTurns: 4}
		rec := generate(t, mem, lib, p)
		rows := rowsOf(t, rec)
		rec.Release()
		if rows[0].Situation != nil {
			t.Errorf("situation = %q, want null for a problem without situations", *rows[0].Situation)
		}
		if userText(rows[0]) == userText(rows[1]) {
			t.Fatalf("seed %d: duplicate user text %q", seed, userText(rows[0]))
		}
		p.N = 3
		if _, err := Generate(context.Background(), mem, lib, p); !errors.Is(err, ErrCapacity) || !strings.Contains(err.Error(), "collided") {
			t.Fatalf("seed %d: Generate(N=3) error = %v, want ErrCapacity about collisions", seed, err)
		}
	}
}

func TestGenerateBadParams(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	for _, p := range []Params{
		{Category: "romance", N: 1},
		{Category: "meta", N: -1},
		{Category: "meta", N: 1, MinTurns: 8, MaxTurns: 6},
		{Category: "meta", N: 1, MinTurns: 1, MaxTurns: 6},
	} {
		if rec, err := Generate(context.Background(), mem, lib, p); err == nil {
			rec.Release()
			t.Errorf("Generate(%+v) succeeded, want error", p)
		}
	}
	rec := generate(t, mem, lib, Params{Category: "meta", N: 0})
	if rec.NumRows() != 0 {
		t.Errorf("N=0 gave %d rows", rec.NumRows())
	}
	rec.Release()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, mem, lib, Params{Category: "meta", N: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate(cancelled) error = %v, want context.Canceled", err)
	}
}

// TestContentSafety scans every text cell of a large draw in every category
// for method phrases, and checks medications are named only by class.
func TestContentSafety(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	denylist := []string{"overdose on", "pills to", "how many pills", "cut deeper", "lethal dose", "rope", "bridge to jump"}
	for _, cat := range Categories {
		rec := generate(t, mem, lib, Params{Category: cat, N: 3000, Seed: 11, MinTurns: 2, MaxTurns: 14})
		rows := rowsOf(t, rec)
		rec.Release()
		for _, r := range rows {
			texts := []string{*r.Situation}
			for _, tu := range r.Turns {
				texts = append(texts, tu.Text)
			}
			for _, s := range texts {
				low := strings.ToLower(s)
				for _, w := range denylist {
					if containsWord(low, w) {
						t.Errorf("%s contains %q: %q", r.ConversationID, w, s)
					}
				}
				if p, bad := methodPhrase(s); bad {
					t.Errorf("%s contains method phrase %q: %q", r.ConversationID, p, s)
				}
				for _, brand := range []string{"prozac", "zoloft", "lithium", "xanax", "seroquel", "ambien", "adderall", "mg"} {
					if containsWord(low, brand) {
						t.Errorf("%s names a medication or dose (%q): %q", r.ConversationID, brand, s)
					}
				}
			}
		}
	}
}

// containsWord reports whether w occurs in s delimited by non-letters.
func containsWord(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(w)
		if (i == 0 || !isLetter(s[i-1])) && (j == len(s) || !isLetter(s[j])) {
			return true
		}
		off = i + 1
	}
}

// TestGolden pins the exact rows of a small draw, so a change in the
// permutation, the allocation or the PCG stream (anything that would make
// two machines or two versions disagree) shows up as a diff.
func TestGolden(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib, diags := LoadLibrary("testdata/small")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rec := generate(t, mem, lib, Params{Category: "crisis", N: 6, Seed: 2026})
	rows := rowsOf(t, rec)
	rec.Release()
	got, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/golden/small_crisis_seed2026.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("golden mismatch (-want +got):\n%s", diff)
	}
}

func TestGenerateRewritten(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lib := realLibrary(t)
	p := Params{Category: "crisis", N: 50, Seed: 3}
	plain := generate(t, mem, lib, p)
	defer plain.Release()
	calls := 0
	up := func(_ context.Context, s string) (string, error) { calls++; return strings.ToUpper(s), nil }
	rw, err := GenerateRewritten(context.Background(), mem, lib, p, up)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Release()
	a, b := rowsOf(t, plain), rowsOf(t, rw)
	userTurns := 0
	for i := range a {
		if a[i].ConversationID != b[i].ConversationID {
			t.Fatalf("row %d: rewriting changed the draw: %s vs %s", i, a[i].ConversationID, b[i].ConversationID)
		}
		for j := range a[i].Turns {
			want := a[i].Turns[j].Text
			if a[i].Turns[j].Role == "user" {
				want = strings.ToUpper(want)
				userTurns++
			}
			if b[i].Turns[j].Text != want {
				t.Errorf("row %d turn %d = %q, want %q", i, j, b[i].Turns[j].Text, want)
			}
		}
	}
	if calls != userTurns {
		t.Errorf("rewriter called %d times, want once per user turn (%d)", calls, userTurns)
	}

	same := func(context.Context, string) (string, error) { return "same", nil }
	if _, err := GenerateRewritten(context.Background(), mem, lib, p, same); err == nil || !strings.Contains(err.Error(), "repeats the user text") {
		t.Errorf("GenerateRewritten(constant rewriter) error = %v, want duplicate-text error", err)
	}
	boom := errors.New("boom")
	fail := func(context.Context, string) (string, error) { return "", boom }
	if _, err := GenerateRewritten(context.Background(), mem, lib, p, fail); !errors.Is(err, boom) {
		t.Errorf("GenerateRewritten(failing rewriter) error = %v, want it wrapped", err)
	}
}
