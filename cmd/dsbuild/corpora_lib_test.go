package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusRow is a row of a normalized corpus as `dsbuild show` prints it.
type corpusRow struct {
	ConversationID string          `json:"conversation_id"`
	Source         string          `json:"source"`
	SourceID       string          `json:"source_id"`
	Split          *string         `json:"split"`
	License        string          `json:"license"`
	Upstream       string          `json:"upstream"`
	Category       string          `json:"category"`
	Emotion        *string         `json:"emotion"`
	ProblemType    *string         `json:"problem_type"`
	Quality        map[string]*any `json:"quality"`
	Turns          []struct {
		Turn     int64   `json:"turn"`
		Role     string  `json:"role"`
		Text     string  `json:"text"`
		Strategy *string `json:"strategy"`
	} `json:"turns"`
}

// libProject builds one lib file on its own, as a user does:
// dsbuild build recipes/lib/NAME.hcl --mirror ../shared/data.
func libProject(t *testing.T, name string) *storeProject {
	t.Helper()
	p := &storeProject{dir: t.TempDir(), mirror: sharedData(t), cache: fastTempDir(t)}
	copyTree(t, "../../recipes/lib", filepath.Join(p.dir, "recipes", "lib"))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	recipe := filepath.Join(p.dir, "recipes", "lib", name+".hcl")
	if code, _, stderr := p.run(t, "build", recipe); code != 0 {
		t.Fatalf("build %s: exit %d\n%s", name, code, stderr)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "out", "corpora", name+".parquet")); err != nil && name != "esconv" {
		t.Errorf("output of %s: %v", name, err)
	}
	return p
}

// showAll returns every row of a built node as JSON lines decoded into T.
func showAll[T any](t *testing.T, p *storeProject, lib, node string) []T {
	t.Helper()
	recipe := filepath.Join(p.dir, "recipes", "lib", lib+".hcl")
	code, stdout, stderr := p.run(t, "show", recipe, node, "-n", "-1")
	if code != 0 {
		t.Fatalf("show %s: exit %d\n%s", node, code, stderr)
	}
	var rows []T
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r T
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("show %s: %v in %.200s", node, err, line)
		}
		rows = append(rows, r)
	}
	return rows
}

// checkSchemaRows: the rules every corpus row follows.
func checkSchemaRows(t *testing.T, rows []corpusRow, source, license string) {
	t.Helper()
	ids := map[string]bool{}
	for i, r := range rows {
		where := fmt.Sprintf("%s row %d (%s)", source, i, r.SourceID)
		if r.Source != source || r.License != license || r.Upstream == "" || r.SourceID == "" {
			t.Fatalf("%s: source %q license %q upstream %q", where, r.Source, r.License, r.Upstream)
		}
		if ids[r.ConversationID] || len(r.ConversationID) != 64 {
			t.Fatalf("%s: conversation_id %q repeats or is not a sha256", where, r.ConversationID)
		}
		ids[r.ConversationID] = true
		if len(r.Turns) == 0 {
			t.Fatalf("%s: no turns", where)
		}
		for j, tu := range r.Turns {
			if tu.Turn != int64(j) || (tu.Role != "user" && tu.Role != "assistant") || tu.Text != strings.TrimSpace(tu.Text) {
				t.Fatalf("%s turn %d: turn %d role %q text %q", where, j, tu.Turn, tu.Role, tu.Text)
			}
		}
	}
}

func counts[T any](rows []T, key func(T) []string) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		for _, k := range key(r) {
			m[k]++
		}
	}
	return m
}

func wantCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s %q: %d, want %d", what, k, got[k], want[k])
		}
	}
}

func score(r corpusRow, name string) (float64, bool) {
	v := r.Quality[name]
	if v == nil {
		return 0, false
	}
	f, ok := (*v).(float64)
	return f, ok
}

// TestCorpusESConv checks recipes/lib/esconv.hcl against the truth numbers
// of ../shared/data/esconv/SOURCE.md, quirk by quirk.
func TestCorpusESConv(t *testing.T) {
	p := libProject(t, "esconv")
	rows := showAll[corpusRow](t, p, "esconv", "select.esconv")
	checkSchemaRows(t, rows, "esconv", "CC-BY-NC-4.0")
	wantCounts(t, "split", counts(rows, func(r corpusRow) []string { return []string{*r.Split} }),
		map[string]int{"train": 910, "valid": 195, "test": 195})
	roles := counts(rows, func(r corpusRow) []string {
		var k []string
		for _, tu := range r.Turns {
			k = append(k, tu.Role)
		}
		return k
	})
	wantCounts(t, "role", roles, map[string]int{"user": 19989, "assistant": 18376})
	strategies := counts(rows, func(r corpusRow) []string {
		var k []string
		for _, tu := range r.Turns {
			if (tu.Strategy != nil) != (tu.Role == "assistant") {
				t.Fatalf("%s: %s turn with strategy %v", r.SourceID, tu.Role, tu.Strategy)
			}
			if tu.Strategy != nil {
				k = append(k, *tu.Strategy)
			}
		}
		return k
	})
	mainSpellings := map[string]int{"Question": 3801, "Others": 3341, "Providing Suggestions": 2954, "Affirmation and Reassurance": 2827,
		"Self-disclosure": 1713, "Reflection of feelings": 1436, "Information": 1215, "Restatement or Paraphrasing": 1089}
	wantCounts(t, "strategy", strategies, mainSpellings)
	// Survey scores are strings upstream: numbers here, null when the
	// survey was not finished (150).
	quality := counts(rows, func(r corpusRow) []string {
		e, ok := score(r, "empathy")
		switch {
		case !ok:
			return []string{"no survey"}
		case e < 3:
			return []string{"empathy<3"}
		}
		return []string{"empathy>=3"}
	})
	wantCounts(t, "empathy", quality, map[string]int{"no survey": 150, "empathy<3": 11, "empathy>=3": 1139})
	if r := rows[0]; r.SourceID != "train:0" || r.Emotion == nil || r.ProblemType == nil {
		t.Errorf("first row: source_id %q emotion %v problem_type %v", r.SourceID, r.Emotion, r.ProblemType)
	}

	failed := showAll[corpusRow](t, p, "esconv", "select.esconv_failed")
	checkSchemaRows(t, failed, "esconv_failed", "CC-BY-NC-4.0")
	if len(failed) != 196 {
		t.Errorf("failed: %d conversations, want 196", len(failed))
	}
	wantCounts(t, "failed role", counts(failed, func(r corpusRow) []string {
		var k []string
		for _, tu := range r.Turns {
			k = append(k, tu.Role)
		}
		return k
	}), map[string]int{"user": 2853, "assistant": 2377})
	// speaker/listener mapped; strategy spellings aligned to the splits';
	// Direct Guidance has no counterpart and stays.
	wantCounts(t, "failed strategy", counts(failed, func(r corpusRow) []string {
		var k []string
		for _, tu := range r.Turns {
			if tu.Strategy != nil {
				k = append(k, *tu.Strategy)
			}
		}
		return k
	}), map[string]int{"Question": 520 + 8, "Others": 400, "Providing Suggestions": 392, "Affirmation and Reassurance": 334 + 7,
		"Reflection of feelings": 200, "Self-disclosure": 195, "Restatement or Paraphrasing": 176 + 3, "Information": 131, "Direct Guidance": 11})
	wantCounts(t, "failed empathy", counts(failed, func(r corpusRow) []string {
		e, ok := score(r, "empathy")
		switch {
		case !ok:
			return []string{"no survey"}
		case e < 3:
			return []string{"empathy<3"}
		}
		return []string{"empathy>=3"}
	}), map[string]int{"no survey": 54, "empathy<3": 78, "empathy>=3": 64})
}

// TestCorpusEmpatheticDialogues: distinct conversations (the longest
// version per first utterance), tokenization undone, speaker alternation.
func TestCorpusEmpatheticDialogues(t *testing.T) {
	p := libProject(t, "empathetic_dialogues")
	rows := showAll[corpusRow](t, p, "empathetic_dialogues", "select.empathetic_dialogues")
	checkSchemaRows(t, rows, "empathetic_dialogues", "CC-BY-NC-4.0")
	wantCounts(t, "split", counts(rows, func(r corpusRow) []string { return []string{*r.Split} }),
		map[string]int{"valid": 2748, "test": 2534})
	wantCounts(t, "utterances", counts(rows, func(r corpusRow) []string {
		k := make([]string, len(r.Turns))
		for i := range k {
			k[i] = *r.Split
		}
		return k
	}), map[string]int{"valid": 11412, "test": 10476})
	emotions := counts(rows, func(r corpusRow) []string { return []string{*r.Emotion} })
	if len(emotions) != 32 || emotions["surprisedacknowledging"] != 0 {
		t.Errorf("%d emotions (want the 32 ED labels): %v", len(emotions), emotions)
	}
	for _, r := range rows {
		if len(r.Turns)%2 != 0 {
			t.Fatalf("%s: %d turns, want even", r.SourceID, len(r.Turns))
		}
		for i, tu := range r.Turns {
			if want := []string{"user", "assistant"}[i%2]; tu.Role != want {
				t.Fatalf("%s turn %d: %s, want %s", r.SourceID, i, tu.Role, want)
			}
			for _, tok := range []string{" .", " ,", " ?", " !", " n't", " 's ", " 're ", "_comma_", "$ 1", "$ 2"} {
				if strings.Contains(tu.Text, tok) {
					t.Fatalf("%s turn %d: %q still holds %q", r.SourceID, i, tu.Text, tok)
				}
			}
		}
	}
	if r := rows[0]; r.SourceID != "45505" || r.Turns[2].Text != "we're actually having it this coming weekend." {
		t.Errorf("first conversation %s: %q", r.SourceID, r.Turns[2].Text)
	}
}

// TestCorpusEmpathyMentalHealth: the three mechanism files joined on ids
// and position (all 3,084 rows match, with the levels of SOURCE.md), one
// row per pair, seeker post + response as two turns.
func TestCorpusEmpathyMentalHealth(t *testing.T) {
	p := libProject(t, "empathy_mental_health")
	type levels struct {
		ER int `json:"emotional_reactions"`
		IP int `json:"interpretations"`
		EX int `json:"explorations"`
	}
	joined := showAll[levels](t, p, "empathy_mental_health", "join.empathy_mental_health_levels")
	wantCounts(t, "levels", counts(joined, func(r levels) []string {
		return []string{fmt.Sprint("ER", r.ER), fmt.Sprint("IP", r.IP), fmt.Sprint("EX", r.EX)}
	}), map[string]int{"ER0": 2037, "ER1": 895, "ER2": 152, "IP0": 1626, "IP1": 114, "IP2": 1344, "EX0": 2604, "EX1": 104, "EX2": 376})

	rows := showAll[corpusRow](t, p, "empathy_mental_health", "select.empathy_mental_health")
	checkSchemaRows(t, rows, "empathy_mental_health", "LicenseRef-Althoff-academic")
	if len(rows) != 3023 {
		t.Errorf("%d pairs, want 3,023 (3,084 rows less 61 repeats)", len(rows))
	}
	for _, r := range rows {
		if len(r.Turns) != 2 || r.Turns[0].Role != "user" || r.Turns[1].Role != "assistant" {
			t.Fatalf("%s: turns %+v", r.SourceID, r.Turns)
		}
		for _, tu := range r.Turns {
			if strings.Contains(tu.Text, "  ") || strings.ContainsAny(tu.Text, "\r\n\t") {
				t.Fatalf("%s: whitespace not collapsed: %q", r.SourceID, tu.Text)
			}
		}
		for _, k := range []string{"emotional_reactions", "interpretations", "explorations"} {
			if r.Quality[k] == nil {
				t.Fatalf("%s: quality.%s is null", r.SourceID, k)
			}
		}
	}
	if r := rows[0]; r.SourceID != "65m92s/dgbdk7z" || r.Turns[0].Text != "Help. Help me. I dunno what I'm doing anymore" {
		t.Errorf("first row %s: %q", r.SourceID, r.Turns[0].Text)
	}
}
