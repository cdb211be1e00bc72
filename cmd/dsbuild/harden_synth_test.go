package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// synthProject is a throwaway project with the real template library and a
// recipe of synthesize nodes writing JSON Lines.
func synthProject(t *testing.T, recipe string) *project {
	t.Helper()
	root, err := filepath.Abs("../..")
	must(t, err)
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	tdir := filepath.Join(p.dir, "recipes", "templates")
	must(t, os.MkdirAll(tdir, 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	ents, err := os.ReadDir(filepath.Join(root, "recipes", "templates"))
	must(t, err)
	for _, e := range ents {
		copyFile(t, filepath.Join(root, "recipes", "templates", e.Name()), filepath.Join(tdir, e.Name()))
	}
	must(t, os.WriteFile(filepath.Join(p.dir, "recipes", "esconv.hcl"), []byte(recipe), 0o644))
	return p
}

const synthRecipe = `
synthesize "crisis" {
  category   = "crisis"
  n          = 40
  seed       = 5
  turns      = [6, 40]
  controls   = true
  references = true
  casual     = 1
  split      = { train = 3, test = 1 }
  templates  = "recipes/templates"
}
synthesize "adversarial" {
  category  = "adversarial"
  n         = 40
  seed      = 5
  turns     = [6, 20]
  templates = "recipes/templates"
}
output "crisis" {
  input = synthesize.crisis
  path  = "out/crisis.jsonl"
}
output "adversarial" {
  input = synthesize.adversarial
  path  = "out/adversarial.jsonl"
}
`

// Issue 12: a synthesize build gives the same lock and output bytes for any
// --jobs; the scripts hold user turns only, labelled per turn, with the
// references (when asked) in their own column and controls after their
// scenarios.
func TestSynthesizeScriptsFromTheCLI(t *testing.T) {
	var want map[string][]byte
	for _, jobs := range []string{"1", "4"} {
		p := synthProject(t, synthRecipe)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--jobs", jobs)
		if code != 0 {
			t.Fatalf("build --jobs %s: exit %d\n%s", jobs, code, stderr)
		}
		got := map[string][]byte{}
		for _, f := range []string{p.lock(), filepath.Join(p.dir, "out", "crisis.jsonl"), filepath.Join(p.dir, "out", "adversarial.jsonl")} {
			b, err := os.ReadFile(f)
			must(t, err)
			got[filepath.Base(f)] = b
		}
		if want == nil {
			want = got
			checkScripts(t, got["crisis.jsonl"], true)
			checkScripts(t, got["adversarial.jsonl"], false)
			continue
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("--jobs %s: %s differs from --jobs 1", jobs, name)
			}
		}
	}
}

func checkScripts(t *testing.T, jsonl []byte, controls bool) {
	t.Helper()
	type turn struct {
		Turn     int      `json:"turn"`
		Role     string   `json:"role"`
		Text     string   `json:"text"`
		Pressure int      `json:"pressure"`
		Expect   []string `json:"expected_behavior"`
	}
	var rows []struct {
		EscalationTurn *int    `json:"escalation_turn"`
		ReachedCore    bool    `json:"reached_core"`
		ControlOf      *string `json:"control_of"`
		ScenarioID     string  `json:"scenario_id"`
		Turns          []turn  `json:"turns"`
		References     []turn  `json:"references"`
	}
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			EscalationTurn *int    `json:"escalation_turn"`
			ReachedCore    bool    `json:"reached_core"`
			ControlOf      *string `json:"control_of"`
			ScenarioID     string  `json:"scenario_id"`
			Turns          []turn  `json:"turns"`
			References     []turn  `json:"references"`
		}
		must(t, json.Unmarshal(sc.Bytes(), &r))
		rows = append(rows, r)
	}
	if controls && len(rows) != 80 || !controls && len(rows) != 40 {
		t.Fatalf("%d rows (controls %v)", len(rows), controls)
	}
	for i, r := range rows {
		for _, tu := range r.Turns {
			if tu.Role != "user" || len(tu.Expect) == 0 {
				t.Fatalf("row %d: turn %+v is not a labelled user turn", i, tu)
			}
		}
		if r.ControlOf != nil {
			if !controls || *r.ControlOf != rows[i-1].ScenarioID || r.EscalationTurn != nil {
				t.Errorf("row %d: control_of %q after %q", i, *r.ControlOf, rows[i-1].ScenarioID)
			}
			continue
		}
		if !r.ReachedCore || r.EscalationTurn == nil || r.Turns[*r.EscalationTurn].Pressure == 0 {
			t.Errorf("row %d: reached_core %v, escalation_turn %v", i, r.ReachedCore, r.EscalationTurn)
		}
		if controls != (r.References != nil) || controls && len(r.References) != len(r.Turns) {
			t.Errorf("row %d: %d references for %d turns (asked: %v)", i, len(r.References), len(r.Turns), controls)
		}
	}
}
