package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/expr"
)

// conversation is one row of the conversation schema as the tests read it.
type conversation struct {
	ConversationID string         `json:"conversation_id"`
	Source         string         `json:"source"`
	SourceID       string         `json:"source_id"`
	Split          *string        `json:"split"`
	License        string         `json:"license"`
	Upstream       string         `json:"upstream"`
	Language       string         `json:"language"`
	Category       string         `json:"category"`
	ProblemType    *string        `json:"problem_type"`
	Quality        map[string]any `json:"quality"`
	Turns          []struct {
		Turn     int     `json:"turn"`
		Role     string  `json:"role"`
		Text     string  `json:"text"`
		Strategy *string `json:"strategy"`
	} `json:"turns"`
}

// libProject lays out a throwaway project holding recipes/lib/NAME.hcl,
// copied from the repository, beside a "shared" folder linking to the real
// ../shared/data (the layout of a checkout, for libs that read a local
// tree), with the real data as the mirror. It builds the lib standalone and
// returns the rows of out/corpora/NAME.parquet.
func buildLib(t *testing.T, name string) (*project, []conversation) {
	t.Helper()
	data := sharedData(t)
	root := t.TempDir()
	p := &project{dir: filepath.Join(root, "proj"), mirror: data, cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "shared"), 0o755))
	must(t, os.Symlink(data, filepath.Join(root, "shared", "data")))
	lib := filepath.Join(p.dir, "recipes", "lib", name+".hcl")
	copyFile(t, filepath.Join("..", "..", "recipes", "lib", name+".hcl"), lib)
	if code, _, stderr := p.dsbuild(t, "build", lib); code != 0 {
		t.Fatalf("build %s: exit %d\n%s", name, code, stderr)
	}
	out := filepath.Join(p.dir, "out", "corpora", name+".parquet")
	lock := filepath.Join(p.dir, "lockfiles", name+".lock")
	firstLock, err := os.ReadFile(lock)
	must(t, err)
	firstOut, err := os.ReadFile(out)
	must(t, err)
	// Rebuilt on a fresh cache, one job, batches of 100 rows: the same bytes.
	must(t, os.Remove(out))
	must(t, os.Remove(lock))
	p.cache = t.TempDir()
	if code, _, stderr := p.dsbuild(t, "build", lib, "--jobs", "1", "--batch-size", "100"); code != 0 {
		t.Fatalf("rebuild %s: exit %d\n%s", name, code, stderr)
	}
	againLock, err := os.ReadFile(lock)
	must(t, err)
	againOut, err := os.ReadFile(out)
	must(t, err)
	if !bytes.Equal(firstLock, againLock) || !bytes.Equal(firstOut, againOut) {
		t.Errorf("%s: lock or output differs between --jobs 1 --batch-size 100 and the defaults", name)
	}
	return p, readConversations(t, out)
}

// hashID is what the row function hash(source, source_id) gives.
func hashID(t *testing.T, source, sourceID string) string {
	t.Helper()
	var key []byte
	for _, v := range []string{source, sourceID} {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		b.Append(v)
		a := b.NewArray()
		var err error
		key, err = expr.AppendGroupKey(key, a, 0)
		a.Release()
		b.Release()
		must(t, err)
	}
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])
}

// readConversations decodes a Parquet file of the conversation schema.
func readConversations(t *testing.T, path string) []conversation {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rd, err := arrowio.Open(context.Background(), mem, []string{path}, arrowio.ReadOptions{Format: arrowio.Parquet})
	must(t, err)
	defer rd.Release()
	var buf bytes.Buffer
	for rd.Next() {
		must(t, array.RecordToJSON(rd.RecordBatch(), &buf))
	}
	must(t, rd.Err())
	var rows []conversation
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var c conversation
		must(t, dec.Decode(&c))
		rows = append(rows, c)
	}
	return rows
}

// checkSchemaInvariants holds for every corpus: unique ids, non-empty
// turns numbered from 0, roles user/assistant only, trimmed non-empty text,
// license, upstream and language on every row.
func checkSchemaInvariants(t *testing.T, rows []conversation, source, license, language string) {
	t.Helper()
	ids := map[string]bool{}
	sids := map[string]bool{}
	for _, r := range rows {
		if ids[r.ConversationID] || r.ConversationID != hashID(t, r.Source, r.SourceID) {
			t.Fatalf("%s: conversation_id %q repeated or not hash(source, source_id)", r.SourceID, r.ConversationID)
		}
		ids[r.ConversationID] = true
		if sids[r.SourceID] || r.SourceID == "" {
			t.Fatalf("source_id %q repeated or empty", r.SourceID)
		}
		sids[r.SourceID] = true
		if r.Source != source || r.License != license || r.Language != language || r.Upstream == "" || r.Category == "" {
			t.Fatalf("%s: source %q license %q language %q upstream %q category %q", r.SourceID, r.Source, r.License, r.Language, r.Upstream, r.Category)
		}
		if len(r.Turns) == 0 {
			t.Fatalf("%s: no turns", r.SourceID)
		}
		for i, tu := range r.Turns {
			if tu.Turn != i || (tu.Role != "user" && tu.Role != "assistant") || tu.Text == "" || tu.Text != strings.TrimSpace(tu.Text) {
				t.Fatalf("%s turn %d: %+v", r.SourceID, i, tu)
			}
		}
	}
}

func countBy[T any](rows []T, f func(T) string) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[f(r)]++
	}
	return m
}

func wantSomeCounts(t *testing.T, what string, got map[string]int, want map[string]int) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s %q: %d, want %d", what, k, got[k], n)
		}
	}
}

// Counsel Chat, the 2020 file SOURCE.md calls the main one: one
// conversation per therapist answer, the question (title + text) as the
// user turn. Numbers from SOURCE.md: 2,129 answers to 815 question IDs,
// splits 1,839/173/117, 31 topics, the upvote distribution, 360 question
// texts and 47 answers with embedded newlines (multi-line CSV fields).
func TestCorpusCounselChat(t *testing.T) {
	_, rows := buildLib(t, "counsel_chat")
	if len(rows) != 2129 {
		t.Fatalf("%d conversations, want 2129 (one per answer)", len(rows))
	}
	checkSchemaInvariants(t, rows, "counsel_chat", "MIT", "en")
	questions := countBy(rows, func(r conversation) string { q, _, _ := strings.Cut(r.SourceID, "/"); return q })
	if len(questions) != 815 {
		t.Errorf("%d question IDs, want 815", len(questions))
	}
	wantSomeCounts(t, "split", countBy(rows, func(r conversation) string { return *r.Split }), map[string]int{"train": 1839, "valid": 173, "test": 117})
	topics := countBy(rows, func(r conversation) string { return *r.ProblemType })
	if len(topics) != 31 {
		t.Errorf("%d topics, want 31", len(topics))
	}
	wantSomeCounts(t, "topic", topics, map[string]int{"depression": 330, "anxiety": 249, "counseling-fundamentals": 240, "military-issues": 3, "human-sexuality": 4})
	wantSomeCounts(t, "upvotes", countBy(rows, func(r conversation) string { return jsonText(r.Quality["upvotes"]) }),
		map[string]int{"0": 1468, "1": 429, "2": 153, "3": 40, "4": 26, "5": 7, "6": 1, "7": 1, "9": 4})
	multiQ, multiA := 0, 0
	for _, r := range rows {
		if len(r.Turns) != 2 || r.Turns[0].Role != "user" || r.Turns[1].Role != "assistant" || r.Category != "counseling" {
			t.Fatalf("%s: %+v", r.SourceID, r)
		}
		if _, text, _ := strings.Cut(r.Turns[0].Text, "\n\n"); strings.Contains(text, "\n") {
			multiQ++
		}
		if strings.Contains(r.Turns[1].Text, "\n") {
			multiA++
		}
	}
	if multiQ != 360 || multiA != 47 {
		t.Errorf("multi-line question texts %d, answers %d; want 360 and 47", multiQ, multiA)
	}
	r := rows[0]
	if r.SourceID != "0/0" || *r.ProblemType != "depression" || !strings.HasPrefix(r.Turns[0].Text, "Can I change my feeling of being worthless to everyone?\n\nI'm going through some things") ||
		!strings.HasPrefix(r.Turns[1].Text, "If everyone thinks you're worthless") || jsonText(r.Quality["upvotes"]) != "1" {
		t.Errorf("first row: %+v", r)
	}
	if r.Upstream != "nbertagnolli/counsel-chat@e202e19c5002482f4f6631af754c276dd9adf7f2:data/20200325_counsel_chat.csv" {
		t.Errorf("upstream %q", r.Upstream)
	}
	// questionID 0 has several answers: one conversation each, same question.
	if rows[1].SourceID != "0/1" || rows[1].Turns[0].Text != r.Turns[0].Text || rows[1].ConversationID == r.ConversationID {
		t.Errorf("second answer to question 0: %+v", rows[1])
	}
}

// MentalChat16K, the two generation files we hold: 1,580 rows without a
// topic and 779 with one (trailing spaces trimmed, spelled as Counsel Chat
// slugs); the one instruction present in both files, with different
// responses, stays two conversations.
func TestCorpusMentalChat16K(t *testing.T) {
	_, rows := buildLib(t, "mentalchat16k")
	if len(rows) != 2359 {
		t.Fatalf("%d conversations, want 1580 + 779", len(rows))
	}
	checkSchemaInvariants(t, rows, "mentalchat16k", "unknown", "en")
	wantSomeCounts(t, "file", countBy(rows, func(r conversation) string { f, _, _ := strings.Cut(r.SourceID, ":"); return f }),
		map[string]int{"instructions.jsonl": 1580, "instructions_with_topics.jsonl": 779})
	topics := countBy(rows, func(r conversation) string {
		if r.ProblemType == nil {
			return "<null>"
		}
		return *r.ProblemType
	})
	if len(topics) != 32 {
		t.Errorf("%d topic values, want 31 and null: %v", len(topics), topics)
	}
	wantSomeCounts(t, "topic", topics, map[string]int{"<null>": 1580, "relationships": 101, "intimacy": 88,
		"counseling-fundamentals": 84, "relationship-dissolution": 10, "military-issues": 2,
		"children-adolescents": 9, "legal-regulatory": 5, "grief-and-loss": 2, "self-esteem": 12, "lgbtq": 12})
	byText := map[string][]conversation{}
	for _, r := range rows {
		if len(r.Turns) != 2 || r.Turns[0].Role != "user" || r.Turns[1].Role != "assistant" {
			t.Fatalf("%s: %+v", r.SourceID, r.Turns)
		}
		byText[r.Turns[0].Text] = append(byText[r.Turns[0].Text], r)
	}
	shared := byText["I've been having a lot of conflicts with my family lately, especially with my parents. It feels like we're constantly arguing and never on the same page. I don't know how to improve our relationship or find common ground."]
	if len(byText) != 2358 || len(shared) != 2 || shared[0].SourceID != "instructions.jsonl:433" || shared[1].SourceID != "instructions_with_topics.jsonl:719" ||
		shared[0].Turns[1].Text == shared[1].Turns[1].Text {
		t.Errorf("%d distinct instructions; the shared one: %+v", len(byText), shared)
	}
	r := rows[1580]
	if r.SourceID != "instructions_with_topics.jsonl:1" || *r.ProblemType != "substance-abuse" ||
		!strings.HasPrefix(r.Turns[0].Text, "I think I might be developing a substance abuse problem.") ||
		!strings.HasPrefix(r.Turns[1].Text, "I'm really glad that you reached out") {
		t.Errorf("first topic row: %+v", r)
	}
}

// SMILECHAT, the 492-file sample: one conversation per file in numeric id
// order (the directory lists 0, 1, 10, 100, …), client → user, counselor →
// assistant, consecutive same-role utterances kept as separate turns.
// Numbers from SOURCE.md.
func TestCorpusSMILECHAT(t *testing.T) {
	_, rows := buildLib(t, "smilechat")
	if len(rows) != 492 {
		t.Fatalf("%d dialogues, want 492", len(rows))
	}
	checkSchemaInvariants(t, rows, "smilechat", "CC0-1.0", "zh")
	missing := map[string]bool{"13": true, "27": true, "182": true, "243": true, "259": true, "306": true, "363": true, "439": true}
	id := 0
	utter, endAssistant := 0, 0
	roles := map[string]int{}
	lengths := map[int]int{}
	for _, r := range rows {
		for missing[jsonText(id)] {
			id++
		}
		if r.SourceID != jsonText(id) {
			t.Fatalf("dialogue %s where %d was expected: not in numeric order", r.SourceID, id)
		}
		id++
		if r.Upstream != "qiuhuachuan/smile@9f8afc0b126049e0e8797d3719991e316dccd705:data/"+r.SourceID+".json" {
			t.Errorf("upstream %q", r.Upstream)
		}
		if r.Turns[0].Role != "user" {
			t.Errorf("dialogue %s starts with %s", r.SourceID, r.Turns[0].Role)
		}
		if r.Turns[len(r.Turns)-1].Role == "assistant" {
			endAssistant++
		}
		lengths[len(r.Turns)]++
		utter += len(r.Turns)
		for _, tu := range r.Turns {
			roles[tu.Role]++
		}
	}
	if id != 500 || utter != 5700 || roles["user"] != 2891 || roles["assistant"] != 2809 || endAssistant != 408 {
		t.Errorf("last id %d, utterances %d, roles %v, ending with the counselor %d; want 500, 5700, 2891/2809, 408", id-1, utter, roles, endAssistant)
	}
	if lengths[12] != 126 || lengths[10] != 95 || lengths[14] != 53 || lengths[8] != 41 {
		t.Errorf("turns per dialogue %v", lengths)
	}
	keys := make([]int, 0, len(lengths))
	for k := range lengths {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	if keys[0] != 1 || keys[len(keys)-1] != 29 {
		t.Errorf("turns per dialogue from %d to %d, want 1 to 29", keys[0], keys[len(keys)-1])
	}
	by := map[string]conversation{}
	for _, r := range rows {
		by[r.SourceID] = r
	}
	if r := by["74"]; len(r.Turns) != 1 || r.Turns[0].Role != "user" {
		t.Errorf("74.json: %+v, want one client utterance", r.Turns)
	}
	for _, id := range []string{"82", "157", "305", "456", "457"} {
		same := false
		for i := 1; i < len(by[id].Turns); i++ {
			same = same || by[id].Turns[i].Role == by[id].Turns[i-1].Role
		}
		if !same {
			t.Errorf("%s.json: no consecutive same-role turns kept", id)
		}
	}
	if got := by["0"].Turns[0].Text; got != "高三后的迷茫，高考前的恐惧，能给我一些建议么？" {
		t.Errorf("0.json first turn %q", got)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// daicProject lays out a project with recipes/restricted/daic_woz.hcl and a
// copy of the fabricated DAIC-WOZ-format sample (testdata/daic_woz: written
// by hand, no real session) standing in for a licensed copy outside it.
func daicProject(t *testing.T) (p *project, vars []string) {
	t.Helper()
	p = &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	copyFile(t, filepath.Join("..", "..", "recipes", "restricted", "daic_woz.hcl"), filepath.Join(p.dir, "recipes", "restricted", "daic_woz.hcl"))
	copy := t.TempDir()
	for _, f := range []string{"9001_P/9001_TRANSCRIPT.csv", "9002_P/9002_TRANSCRIPT.csv", "9003_P/9003_TRANSCRIPT.csv", "labels.csv"} {
		copyFile(t, filepath.Join("testdata", "daic_woz", f), filepath.Join(copy, f))
	}
	return p, []string{
		"-var", "daic_transcripts=" + filepath.Join(copy, "*_P", "*_TRANSCRIPT.csv"),
		"-var", "daic_labels=" + filepath.Join(copy, "labels.csv"),
	}
}

// DAIC-WOZ from a licensed local copy given by variables: one conversation
// per transcript, Ellie → assistant, Participant → user, consecutive rows of
// one speaker merged into one turn, <sync> and blank rows dropped, PHQ-8
// joined from the labels file (null for a session without a label). The
// copy is pinned on the first build: changing it breaks --locked.
func TestRestrictedDAICWOZ(t *testing.T) {
	p, vars := daicProject(t)
	recipe := filepath.Join(p.dir, "recipes", "restricted", "daic_woz.hcl")
	// Without the variables it is a usage error naming them.
	if code, _, stderr := p.dsbuild(t, "build", recipe); code != exitUsage || !strings.Contains(stderr, "daic_transcripts") {
		t.Fatalf("build without -var: exit %d, want %d naming daic_transcripts\n%s", code, exitUsage, stderr)
	}
	if code, _, stderr := p.dsbuild(t, append([]string{"build", recipe}, vars...)...); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	rows := readConversations(t, filepath.Join(p.dir, "out", "restricted", "daic_woz.parquet"))
	checkSchemaInvariants(t, rows, "daic_woz", "LicenseRef-DAIC-WOZ-EULA", "en")
	type turn struct{ role, text string }
	want := map[string][]turn{
		"9001": {
			{"assistant", "hi this is a fabricated test transcript not a real session"},
			{"user", "okay"},
			{"assistant", "how are you doing today"},
			{"user", "i am fine i guess mostly tired lately <laughter>"},
			{"assistant", "i see when was the last time you felt really happy"},
			{"user", "maybe last summer"},
			{"assistant", "thanks for sharing your thoughts with me"},
		},
		"9002": {
			{"assistant", "hi this is another fabricated test transcript"},
			{"user", "hello"},
			{"assistant", "where are you from originally"},
			{"user", "2 somewhere made up"},
			{"assistant", "goodbye"},
		},
		"9003": {
			{"assistant", "this fabricated session has no label like the test split"},
			{"user", "understood"},
		},
	}
	if len(rows) != 3 {
		t.Fatalf("%d sessions, want 3", len(rows))
	}
	for i, r := range rows {
		if id := []string{"9001", "9002", "9003"}[i]; r.SourceID != id || r.Upstream != "DAIC-WOZ licensed copy:"+id+"_P/"+id+"_TRANSCRIPT.csv" {
			t.Errorf("row %d: source_id %q upstream %q", i, r.SourceID, r.Upstream)
		}
		var got []turn
		for _, tu := range r.Turns {
			got = append(got, turn{tu.Role, tu.Text})
		}
		if jsonText(got) != jsonText(want[r.SourceID]) || len(got) != len(want[r.SourceID]) {
			t.Errorf("%s turns:\n got %q\nwant %q", r.SourceID, got, want[r.SourceID])
		}
	}
	if q := jsonText(rows[0].Quality); q != `{"phq8_binary":1,"phq8_score":14}` {
		t.Errorf("9001 quality %s", q)
	}
	if q := jsonText(rows[1].Quality); q != `{"phq8_binary":0,"phq8_score":3}` {
		t.Errorf("9002 quality %s", q)
	}
	if rows[2].Quality != nil {
		t.Errorf("9003 has no label, quality %v", rows[2].Quality)
	}
	// The copy is pinned: an edited transcript does not pass --locked.
	if code, _, stderr := p.dsbuild(t, append([]string{"build", "--locked", recipe}, vars...)...); code != 0 {
		t.Fatalf("build --locked on the same copy: exit %d\n%s", code, stderr)
	}
	f := strings.TrimPrefix(vars[1], "daic_transcripts=")
	f = filepath.Join(filepath.Dir(filepath.Dir(f)), "9003_P", "9003_TRANSCRIPT.csv")
	b, err := os.ReadFile(f)
	must(t, err)
	must(t, os.WriteFile(f, append(b, "7.0\t8.0\tParticipant\tchanged\n"...), 0o644))
	if code, _, stderr := p.dsbuild(t, append([]string{"build", "--locked", recipe}, vars...)...); code != exitPin {
		t.Fatalf("build --locked on a changed copy: exit %d, want %d\n%s", code, exitPin, stderr)
	}
}

// A gated Hub dataset through hf:// with HF_TOKEN, as a user meets it: the
// build without a token fails naming HF_TOKEN; with it the token is sent as
// a bearer token and appears nowhere — not on stdout or stderr (plain or
// --json), not in the lock, not in any file of the store.
func TestGatedHubDatasetWithHFToken(t *testing.T) {
	const token = "hf_corp2GatedSecretToken"
	const commit = "0123456789abcdef0123456789abcdef01234567"
	body := `{"text":"gated row one"}` + "\n" + `{"text":"gated row two"}` + "\n"
	var authorized int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/datasets/lab/gated/resolve/"+commit+"/data/train.jsonl" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"Access to dataset lab/gated is restricted. You must have access to it and be authenticated to access it. Please log in."}`)
			return
		}
		authorized++
		w.Header().Set("X-Repo-Commit", commit)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_TOKEN", "")

	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	recipe := filepath.Join(p.dir, "recipes", "gated.hcl")
	must(t, os.MkdirAll(filepath.Dir(recipe), 0o755))
	must(t, os.WriteFile(recipe, []byte(`fetch "gated" {
  url = "hf://datasets/lab/gated@`+commit+`/data/train.jsonl"
}

output "gated" {
  input = fetch.gated
  path  = "out/gated.jsonl"
}
`), 0o644))
	code, _, stderr := p.dsbuild(t, "build", recipe)
	if code != exitFailed || !strings.Contains(stderr, "HF_TOKEN") {
		t.Fatalf("build without a token: exit %d, want %d with a hint naming HF_TOKEN\n%s", code, exitFailed, stderr)
	}
	t.Setenv("HF_TOKEN", token)
	code, out, stderr := p.dsbuild(t, "build", recipe)
	if code != 0 || authorized != 1 {
		t.Fatalf("build with HF_TOKEN: exit %d, %d authorized requests\n%s", code, authorized, stderr)
	}
	code, jsonOut, jsonErr := p.dsbuild(t, "build", "--json", recipe)
	if code != 0 {
		t.Fatalf("cached build --json: exit %d\n%s", code, jsonErr)
	}
	got, err := os.ReadFile(filepath.Join(p.dir, "out", "gated.jsonl"))
	must(t, err)
	if string(got) != body {
		t.Errorf("out/gated.jsonl = %q, want %q", got, body)
	}
	lock, err := os.ReadFile(filepath.Join(p.dir, "lockfiles", "gated.lock"))
	must(t, err)
	if !strings.Contains(string(lock), "hf://datasets/lab/gated@"+commit+"/data/train.jsonl") {
		t.Errorf("the lock does not record the hf:// URL:\n%s", lock)
	}
	for what, s := range map[string]string{"stdout": out, "stderr": stderr, "--json stdout": jsonOut, "--json stderr": jsonErr, "lock": string(lock)} {
		if strings.Contains(s, token) {
			t.Errorf("%s contains HF_TOKEN:\n%s", what, s)
		}
	}
	for _, dir := range []string{p.cache, p.dir} {
		must(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err == nil && bytes.Contains(b, []byte(token)) {
				t.Errorf("%s contains HF_TOKEN", path)
			}
			return nil
		}))
	}
}
