package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// driftRow is the part of a drift_eval.jsonl row the tests read.
type driftRow struct {
	ConversationID *string `json:"conversation_id"`
	Source         *string `json:"source"`
	SourceID       *string `json:"source_id"`
	Split          *string `json:"split"`
	License        *string `json:"license"`
	Upstream       *string `json:"upstream"`
	Language       *string `json:"language"`
	Category       *string `json:"category"`
	Part           string  `json:"part"`
	Turns          []struct {
		Turn *int64  `json:"turn"`
		Role *string `json:"role"`
		Text *string `json:"text"`
	} `json:"turns"`
}

// driftProject is a throwaway copy of the repository's recipes (drift.hcl,
// its lib files and templates) with the real data as its mirror.
func driftProject(t *testing.T) *storeProject {
	t.Helper()
	p := &storeProject{dir: t.TempDir(), mirror: sharedData(t), cache: fastTempDir(t), name: "drift"}
	copyRepoRecipes(t, p.dir)
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	return p
}

func readDriftRows(t *testing.T, path string) []driftRow {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	var rows []driftRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r driftRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", path, len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	must(t, sc.Err())
	return rows
}

// The research plan's combination, part by part.
var driftParts = map[string]struct {
	n                int
	category, source string
}{
	"support":          {200, "support", "esconv"},
	"failed":           {196, "failed", "esconv_failed"},
	"crisis_synthetic": {50, "crisis", "synthetic"},
	"crisis_reddit":    {50, "crisis", "empathy_mental_health"},
	"adversarial":      {50, "adversarial", "synthetic"},
	"boundary":         {50, "boundary", "synthetic"},
	"emotional":        {100, "emotional", "empathetic_dialogues"},
	"validation":       {50, "validation", "synthetic"},
	"meta":             {50, "meta", "synthetic"},
}

// splitGroup is the group drift.hcl assigns splits by: the template family
// (the scenario_id up to "@") for synthetic rows, the seeker post for
// Reddit rows, the source conversation otherwise.
func splitGroup(r driftRow) string {
	id := *r.SourceID
	switch *r.Source {
	case "synthetic":
		id, _, _ = strings.Cut(id, "@")
	case "empathy_mental_health":
		id, _, _ = strings.Cut(id, "/")
	}
	return *r.Source + "\x00" + id
}

// TestDriftEval builds recipes/drift.hcl as a user does, twice on fresh
// caches (--jobs 1 and --jobs 8: every output and the lock byte for byte
// the same), checks the table the issue asks for, then changes one part's
// n and checks that only the mix and what follows run again. One test, so
// the (race-instrumented) suite builds the recipe cold twice, not four times.
func TestDriftEval(t *testing.T) {
	p1 := driftProject(t)
	p1.build(t, "--jobs", "1")
	p8 := driftProject(t)
	p8.build(t, "--jobs", "8")
	t.Run("jobs 1 and 8 byte identical", func(t *testing.T) { checkSameSnapshots(t, p1.snapshot(t), p8.snapshot(t)) })
	t.Run("table", func(t *testing.T) { checkDriftTable(t, p1) })
	t.Run("one part's n re-runs only the mix", func(t *testing.T) { checkPartNReRunsOnlyMix(t, p8) })
}

// checkDriftTable: exact counts per part (crisis 100 = synthetic + Reddit),
// >= 500 conversations, unique ids, non-empty turns, roles only
// user/assistant, license and upstream on every row, no split group in two
// splits.
func checkDriftTable(t *testing.T, p *storeProject) {
	rows := readDriftRows(t, filepath.Join(p.dir, "out/drift/drift_eval.jsonl"))
	if len(rows) < 500 {
		t.Errorf("%d conversations, want >= 500", len(rows))
	}
	perPart := map[string]int{}
	perCategory := map[string]int{}
	ids := map[string]bool{}
	splitOf := map[string]string{}
	for i, r := range rows {
		where := fmt.Sprintf("row %d (part %s)", i, r.Part)
		perPart[r.Part]++
		for name, v := range map[string]*string{"conversation_id": r.ConversationID, "source": r.Source, "source_id": r.SourceID,
			"split": r.Split, "license": r.License, "upstream": r.Upstream, "language": r.Language, "category": r.Category} {
			if v == nil || *v == "" {
				t.Fatalf("%s: %s is null or empty", where, name)
			}
		}
		perCategory[*r.Category]++
		want, ok := driftParts[r.Part]
		if !ok {
			t.Fatalf("%s: unknown part", where)
		}
		if *r.Category != want.category || *r.Source != want.source {
			t.Errorf("%s: category %s, source %s; want %s, %s", where, *r.Category, *r.Source, want.category, want.source)
		}
		if ids[*r.ConversationID] {
			t.Errorf("%s: conversation_id %s repeats", where, *r.ConversationID)
		}
		ids[*r.ConversationID] = true
		if *r.Split != "dev" && *r.Split != "test" {
			t.Errorf("%s: split %q, want dev or test", where, *r.Split)
		}
		g := splitGroup(r)
		if s, ok := splitOf[g]; ok && s != *r.Split {
			t.Errorf("%s: group %q is in %s and %s", where, g, s, *r.Split)
		}
		splitOf[g] = *r.Split
		if len(r.Turns) == 0 {
			t.Errorf("%s: no turns", where)
		}
		for j, tu := range r.Turns {
			if tu.Role == nil || (*tu.Role != "user" && *tu.Role != "assistant") {
				t.Errorf("%s turn %d: role %v", where, j, tu.Role)
			}
			if tu.Text == nil || tu.Turn == nil || *tu.Turn != int64(j) {
				t.Errorf("%s turn %d: text %v, turn %v", where, j, tu.Text, tu.Turn)
			}
		}
	}
	for part, want := range driftParts {
		if perPart[part] != want.n {
			t.Errorf("part %s: %d rows, want %d", part, perPart[part], want.n)
		}
	}
	if perCategory["crisis"] != 100 {
		t.Errorf("crisis: %d rows, want 100", perCategory["crisis"])
	}
	pq, err := os.ReadFile(filepath.Join(p.dir, "out/drift/drift_eval.parquet"))
	must(t, err)
	if !bytes.HasPrefix(pq, []byte("PAR1")) {
		t.Errorf("drift_eval.parquet is not Parquet")
	}
	for _, c := range []string{"esconv", "esconv_failed", "empathetic_dialogues", "empathy_mental_health"} {
		if _, err := os.Stat(filepath.Join(p.dir, "out/corpora", c+".parquet")); err != nil {
			t.Errorf("corpus %s: %v", c, err)
		}
	}
}

func checkSameSnapshots(t *testing.T, a, b map[string]string) {
	snaps := []map[string]string{a, b}
	if len(snaps[0]) < 5 {
		t.Fatalf("snapshot holds %d files", len(snaps[0]))
	}
	var names []string
	for k := range snaps[0] {
		names = append(names, k)
	}
	for k := range snaps[1] {
		if _, ok := snaps[0][k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		if snaps[0][k] != snaps[1][k] {
			t.Errorf("%s differs between --jobs 1 and --jobs 8 (%d vs %d bytes)", k, len(snaps[0][k]), len(snaps[1][k]))
		}
	}
}

var ranLine = regexp.MustCompile(`(?m)^ran\s+(\S+)`)

// checkPartNReRunsOnlyMix: changing one part's n re-runs the mix and what
// follows, nothing else, and every other part keeps its rows.
func checkPartNReRunsOnlyMix(t *testing.T, p *storeProject) {
	before := readDriftRows(t, filepath.Join(p.dir, "out/drift/drift_eval.jsonl"))

	src, err := os.ReadFile(p.recipe())
	must(t, err)
	re := regexp.MustCompile(`(part "meta" \{\s*input = filter\.synthetic_meta\s*n\s*=\s*)50`)
	if !re.Match(src) {
		t.Fatalf("recipes/drift.hcl has no part \"meta\" with n = 50")
	}
	must(t, os.WriteFile(p.recipe(), re.ReplaceAll(src, []byte("${1}30")), 0o644))
	code, _, stderr := p.run(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	var ran []string
	for _, m := range ranLine.FindAllStringSubmatch(stderr, -1) {
		ran = append(ran, m[1])
	}
	sort.Strings(ran)
	// What follows the mix, from the recipe's own graph: the table and
	// everything made from it (outputs, card, review sheet, verdict join).
	want := downstream(t, p, "mix.drift_parts")
	if len(want) < 4 {
		t.Fatalf("the graph has %v below the mix; want at least the table and its outputs", want)
	}
	if strings.Join(ran, " ") != strings.Join(want, " ") {
		t.Errorf("ran %v, want %v\n%s", ran, want, stderr)
	}
	after := readDriftRows(t, filepath.Join(p.dir, "out/drift/drift_eval.jsonl"))
	idsOf := func(rows []driftRow) map[string][]string {
		m := map[string][]string{}
		for _, r := range rows {
			m[r.Part] = append(m[r.Part], *r.ConversationID)
		}
		return m
	}
	b, a := idsOf(before), idsOf(after)
	if len(a["meta"]) != 30 {
		t.Errorf("meta: %d rows after n = 30", len(a["meta"]))
	}
	for part := range driftParts {
		if part != "meta" && strings.Join(a[part], ",") != strings.Join(b[part], ",") {
			t.Errorf("part %s changed when only meta's n did", part)
		}
	}
}

var dotEdge = regexp.MustCompile(`(?m)^\s*"([^"]+)" -> "([^"]+)"`)

// downstream is node and every node reachable from it in `dsbuild graph`,
// sorted.
func downstream(t *testing.T, p *storeProject, node string) []string {
	t.Helper()
	code, dot, stderr := p.run(t, "graph", p.recipe())
	if code != 0 {
		t.Fatalf("graph: exit %d\n%s", code, stderr)
	}
	next := map[string][]string{}
	for _, m := range dotEdge.FindAllStringSubmatch(dot, -1) {
		next[m[1]] = append(next[m[1]], m[2])
	}
	seen := map[string]bool{node: true}
	stack := []string{node}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range next[n] {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
