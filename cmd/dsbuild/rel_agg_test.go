package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relAggRecipe makes ids with hash() and row_number() over the
// EmpatheticDialogues validation split and aggregates its utterance rows
// into conversations.
const relAggRecipe = `fetch "ed" {
  url = "../data/valid.csv"
}

select "ids" {
  input  = fetch.ed
  keep   = ["dialogue_id", "turns", "row", "utterance_id"]
  derive = {
    row          = row_number()
    utterance_id = hash(dialogue_id, turns, text)
  }
}

aggregate "conv" {
  input    = fetch.ed
  by       = [dialogue_id]
  order_by = [tonumber(turns)]
  agg = {
    conversation_id = hash(dialogue_id)
    n               = count()
    first_row       = min(row_number())
    utterances      = list({ turn = turns, text = text, emotion = emotion })
  }
}

output "ids" {
  input = select.ids
  path  = "out/ids.jsonl"
}

output "conv" {
  input = aggregate.conv
  path  = "out/conv.jsonl"
}
`

// Issue 10, item 7 and "Must show": hash() ids and row_number() are the
// same at every --batch-size and --jobs (golden values below), a second
// build runs nothing, and aggregating ED valid.csv by dialogue_id gives
// 5,734 conversations.
func TestRelAggregateAndIDsAcrossBatchSizesAndJobs(t *testing.T) {
	data := sharedData(t)
	csv, err := os.ReadFile(filepath.Join(data, "empathetic_dialogues", "valid.csv"))
	must(t, err)
	var want map[string][]byte
	for _, run := range [][]string{{"--batch-size", "4096", "--jobs", "8"}, {"--batch-size", "5", "--jobs", "1"}, {"--batch-size", "7", "--jobs", "8"}, {"--batch-size", "4096", "--jobs", "1"}} {
		p := arrowProject(t, relAggRecipe, map[string][]byte{"valid.csv": csv})
		args := append([]string{"build", p.recipe()}, run...)
		code, _, stderr := p.dsbuild(t, args...)
		if code != 0 {
			t.Fatalf("build %v: exit %d\n%s", run, code, stderr)
		}
		got := map[string][]byte{}
		for _, f := range []string{"lockfiles/esconv.lock", "out/ids.jsonl", "out/conv.jsonl"} {
			b, err := os.ReadFile(filepath.Join(p.dir, f))
			must(t, err)
			got[f] = b
		}
		if want == nil {
			want = got
			checkRelAggOutputs(t, got)
			// A second build finds everything cached.
			code, _, stderr = p.dsbuild(t, args...)
			if code != 0 || strings.Contains(stderr, "ran ") || !strings.Contains(stderr, "nothing to do") {
				t.Fatalf("second build: exit %d, executed nodes:\n%s", code, stderr)
			}
			continue
		}
		for f, b := range want {
			if !bytes.Equal(got[f], b) {
				t.Errorf("build %v: %s differs from the first build's", run, f)
			}
		}
	}
}

func checkRelAggOutputs(t *testing.T, got map[string][]byte) {
	t.Helper()
	type idRow struct {
		DialogueID  json.RawMessage `json:"dialogue_id"`
		Row         int64           `json:"row"`
		UtteranceID string          `json:"utterance_id"`
	}
	var ids []idRow
	sc := bufio.NewScanner(bytes.NewReader(got["out/ids.jsonl"]))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r idRow
		must(t, json.Unmarshal(sc.Bytes(), &r))
		ids = append(ids, r)
	}
	if len(ids) != 17922 {
		t.Fatalf("ids has %d rows, want 17922", len(ids))
	}
	seen := map[string]bool{}
	for i, r := range ids {
		if r.Row != int64(i) {
			t.Fatalf("row %d has row_number() %d", i, r.Row)
		}
		if seen[r.UtteranceID] {
			t.Fatalf("row %d: utterance_id %s repeats", i, r.UtteranceID)
		}
		seen[r.UtteranceID] = true
	}
	// Golden: sha256 of the group-key encoding of the first row's
	// (dialogue_id, turns, text).
	if ids[0].UtteranceID != relAggGoldenUtterance {
		t.Errorf("first utterance_id = %s, want the golden %s", ids[0].UtteranceID, relAggGoldenUtterance)
	}
	type convRow struct {
		ConversationID string            `json:"conversation_id"`
		N              int64             `json:"n"`
		FirstRow       int64             `json:"first_row"`
		Utterances     []json.RawMessage `json:"utterances"`
	}
	var convs []convRow
	sc = bufio.NewScanner(bytes.NewReader(got["out/conv.jsonl"]))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r convRow
		must(t, json.Unmarshal(sc.Bytes(), &r))
		convs = append(convs, r)
	}
	if len(convs) != 5734 {
		t.Fatalf("aggregate by dialogue_id gave %d conversations, want 5734", len(convs))
	}
	utts := 0
	for i, c := range convs {
		utts += len(c.Utterances)
		if int64(len(c.Utterances)) != c.N {
			t.Fatalf("conversation %d: %d utterances, count %d", i, len(c.Utterances), c.N)
		}
		if i > 0 && c.FirstRow <= convs[i-1].FirstRow {
			t.Fatalf("conversation %d starts at row %d, before its predecessor (%d): not in first-appearance order", i, c.FirstRow, convs[i-1].FirstRow)
		}
	}
	if utts != 17922 {
		t.Errorf("conversations hold %d utterances, want 17922", utts)
	}
	if convs[0].ConversationID != relAggGoldenConversation {
		t.Errorf("first conversation_id = %s, want the golden %s", convs[0].ConversationID, relAggGoldenConversation)
	}
}

const (
	// sha256(05 05 "45505" 05 01 "1" 05 33 "my step-daughter just turned 16 in the past week .")
	relAggGoldenUtterance = "bf8c4e398047b5cc80d66764e273d40f118eee3ea59501c2a262ecd2e2f803b2"
	// sha256(05 05 "45505"): dialogue_id is read as a string
	relAggGoldenConversation = "6f6cfd05c665d8df132c2d622edc0f273559c541168ac35953555cce45a78ff8"
)

// row_number() is the position in the op's input also past the first
// stored chunk of an input (artifacts are read back in chunks of 64Ki
// rows), in select, filter and aggregate alike.
func TestRelRowNumberPastOneChunk(t *testing.T) {
	const rows = 150000
	var data bytes.Buffer
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&data, "{\"g\": %d}\n", i%3)
	}
	recipe := `fetch "n" {
  url = "../data/n.jsonl"
}

select "s" {
  input  = fetch.n
  derive = { r = row_number() }
}

filter "f" {
  input = fetch.n
  where = row_number() % 50000 == 49999
}

aggregate "a" {
  input = fetch.n
  by    = [g]
  agg   = { lo = min(row_number()), hi = max(row_number()), n = count() }
}

output "s" {
  input = select.s
  path  = "out/s.jsonl"
}

output "f" {
  input = filter.f
  path  = "out/f.jsonl"
}

output "a" {
  input = aggregate.a
  path  = "out/a.jsonl"
}
`
	p := arrowProject(t, recipe, map[string][]byte{"n.jsonl": data.Bytes()})
	if code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--batch-size", "4096"); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join(p.dir, "out", name))
		must(t, err)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	for i, line := range read("s.jsonl") {
		if want := fmt.Sprintf(`{"g":%d,"r":%d}`, i%3, i); line != want {
			t.Fatalf("select row %d = %s, want %s", i, line, want)
		}
	}
	if got, want := strings.Join(read("f.jsonl"), " "), `{"g":1} {"g":0} {"g":2}`; got != want {
		t.Errorf("filter kept %s, want %s (rows 49999, 99999, 149999)", got, want)
	}
	if got, want := strings.Join(read("a.jsonl"), " "), `{"g":0,"lo":0,"hi":149997,"n":50000} {"g":1,"lo":1,"hi":149998,"n":50000} {"g":2,"lo":2,"hi":149999,"n":50000}`; got != want {
		t.Errorf("aggregate gave %s, want %s", got, want)
	}
}
