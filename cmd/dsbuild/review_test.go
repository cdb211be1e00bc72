package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const hostile = `</script><img src=x onerror=alert(1)>`

// reviewVerdictsRecipe joins verdicts.csv (pinned to digest) onto the
// table: blank verdicts are not verdicts, so unreviewed rows get null.
func reviewVerdictsRecipe(digest string) string {
	return fmt.Sprintf(`
fetch "verdicts" {
  url    = "../review/verdicts.csv"
  digest = "sha256:%s"
  format = "csv"
  schema = { conversation_id = "string", review_verdict = "string", review_note = "string" }
}

filter "verdicts" {
  input = fetch.verdicts
  where = review_verdict != ""
}

join "reviewed" {
  left  = fetch.conv
  right = filter.verdicts
  on    = ["conversation_id"]
  how   = "left"
}

output "reviewed" {
  input = join.reviewed
  path  = "out/drift/reviewed.jsonl"
}
`, digest)
}

// writeVerdicts puts a verdict CSV where the recipe fetches it and returns
// its sha256.
func writeVerdicts(t *testing.T, p *project, b []byte) string {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(p.dir, "review"), 0o755))
	must(t, os.WriteFile(filepath.Join(p.dir, "review", "verdicts.csv"), b, 0o644))
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sheetIDs are the conversation ids of a review page, in page order.
func sheetIDs(page []byte) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<section class="conv" data-id="([^"]*)">`).FindAllSubmatch(page, -1) {
		ids = append(ids, string(m[1]))
	}
	return ids
}

// checkEqualShares checks an equal allocation: every stratum drawn from,
// the strata that still had units differ by at most one, and an exhausted
// stratum got no more than an open one could (its share, plus one of the
// units left over).
func checkEqualShares(t *testing.T, what string, size, got map[string]int) {
	t.Helper()
	lo, hi := 1<<30, 0
	for s, n := range size {
		if got[s] == 0 {
			t.Errorf("%s: %s (%d units) is not on the sheet: %v", what, s, n, got)
		}
		if got[s] < n {
			lo, hi = min(lo, got[s]), max(hi, got[s])
		}
	}
	if hi > 0 && hi-lo > 1 {
		t.Errorf("%s: open strata got between %d and %d; equal shares differ by at most one: %v", what, lo, hi, got)
	}
	for s, n := range size {
		if got[s] == n && hi > 0 && n > hi+1 {
			t.Errorf("%s: %s got all its %d units, more than an open stratum's %d: %v", what, s, n, hi, got)
		}
	}
}

type fixtureRow struct {
	ID     string  `json:"conversation_id"`
	Part   string  `json:"part"`
	Tactic *string `json:"tactic"`
}

func fixtureRows(t *testing.T) map[string]fixtureRow {
	t.Helper()
	rows := map[string]fixtureRow{}
	for _, l := range bytes.Split(bytes.TrimSpace(readFile(t, "testdata/card/conversations.jsonl")), []byte("\n")) {
		var r fixtureRow
		must(t, json.Unmarshal(l, &r))
		rows[r.ID] = r
	}
	return rows
}

func stratum(r fixtureRow) string {
	if r.Tactic == nil {
		return r.Part + "/-"
	}
	return r.Part + "/" + *r.Tactic
}

// Issue 11, item 5: the review sheet shows 50 conversations drawn evenly
// over every (part, tactic) stratum, escapes whatever the text holds, lists
// the same ids as the CSV template, and is the same at --jobs 1 and 8.
func TestReviewSheet(t *testing.T) {
	var wantPage []byte
	for _, jobs := range []string{"1", "8"} {
		p := cardProject(t, "")
		buildOK(t, p, "--jobs", jobs)
		page := readProjectFile(t, p, "out/drift/review.html")
		if wantPage != nil {
			if !bytes.Equal(page, wantPage) {
				t.Errorf("--jobs %s: review.html differs from --jobs 1", jobs)
			}
			continue
		}
		wantPage = page
		ids := sheetIDs(page)
		if len(ids) != 50 {
			t.Fatalf("review.html shows %d conversations, want 50", len(ids))
		}
		// Every stratum is on the sheet; shares are equal among the parts,
		// then among the tactics within each part, as far as strata hold
		// the units.
		rows := fixtureRows(t)
		partSize, partGot := map[string]int{}, map[string]int{}
		size, got := map[string]map[string]int{}, map[string]map[string]int{}
		for _, r := range rows {
			partSize[r.Part]++
			if size[r.Part] == nil {
				size[r.Part], got[r.Part] = map[string]int{}, map[string]int{}
			}
			size[r.Part][stratum(r)]++
		}
		for _, id := range ids {
			r := rows[id]
			partGot[r.Part]++
			got[r.Part][stratum(r)]++
		}
		checkEqualShares(t, "parts", partSize, partGot)
		for part := range size {
			checkEqualShares(t, "tactics of "+part, size[part], got[part])
		}
		// Hostile text is shown as text, never as markup.
		if bytes.Contains(page, []byte("<img")) || bytes.Contains(page, []byte(hostile)) {
			t.Errorf("review.html carries the hostile string as markup")
		}
		if !bytes.Contains(page, []byte("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;")) {
			t.Errorf("review.html does not show the hostile string escaped")
		}
		if n := bytes.Count(page, []byte("</script>")); n != 1 {
			t.Errorf("review.html has %d </script> tags, want 1 (its own)", n)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "src=\"", "@import", "url("} {
			if bytes.Contains(bytes.ReplaceAll(page, []byte("http-equiv"), nil), []byte(bad)) {
				t.Errorf("review.html refers to something outside itself: %q", bad)
			}
		}
		// The template lists the sheet's conversations, with blank verdicts.
		recs, err := csv.NewReader(bytes.NewReader(readProjectFile(t, p, "out/drift/review_template.csv"))).ReadAll()
		must(t, err)
		if strings.Join(recs[0], ",") != "conversation_id,review_verdict,review_note" || len(recs) != 51 {
			t.Fatalf("review_template.csv: header %v, %d records", recs[0], len(recs))
		}
		for i, r := range recs[1:] {
			if r[0] != ids[i] || r[1] != "" || r[2] != "" {
				t.Errorf("template record %d = %v, want %s with blank verdict", i, r, ids[i])
			}
		}
	}
}

// Verdicts come back as a pinned input joined onto the table; a rebuild with
// new verdicts runs only the verdict fetch, its filter, the join and its
// output — not the sample, the sheet, the cards or the data files.
func TestReviewVerdictsRerunOnlyTheJoin(t *testing.T) {
	p := cardProject(t, "")
	buildOK(t, p)
	template := readProjectFile(t, p, "out/drift/review_template.csv")
	recipe := readFile(t, p.recipe())
	must(t, os.WriteFile(p.recipe(), append(recipe, reviewVerdictsRecipe(writeVerdicts(t, p, template))...), 0o644))
	buildOK(t, p)
	reviewed := readReviewed(t, p)
	for id, r := range reviewed {
		if r.Verdict != nil || r.Note != nil {
			t.Fatalf("%s has verdict %v before any review", id, r)
		}
	}

	ids := sheetIDs(readProjectFile(t, p, "out/drift/review.html"))
	note := "say \"sorry\", then\nreword, " + hostile
	lines := strings.Split(string(template), "\n")
	lines[1] = ids[0] + ",keep,"
	lines[2] = ids[1] + ",fix," + `"` + strings.ReplaceAll(note, `"`, `""`) + `"`
	lines[3] = ids[2] + ",drop,duplicate of another"
	digest := writeVerdicts(t, p, []byte(strings.Join(lines, "\n")))
	must(t, os.WriteFile(p.recipe(), append(recipe, reviewVerdictsRecipe(digest)...), 0o644))
	stderr := buildOK(t, p)
	if got, want := ranNodes(stderr), []string{"fetch.verdicts", "filter.verdicts", "join.reviewed", "output.reviewed"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rebuild with verdicts ran %v, want %v\n%s", got, want, stderr)
	}
	reviewed = readReviewed(t, p)
	want := map[string][2]string{ids[0]: {"keep", ""}, ids[1]: {"fix", note}, ids[2]: {"drop", "duplicate of another"}}
	for id, r := range reviewed {
		w, ok := want[id]
		switch {
		case !ok && (r.Verdict != nil || r.Note != nil):
			t.Errorf("%s: verdict %v, note %v, want null", id, r.Verdict, r.Note)
		case ok && (r.Verdict == nil || *r.Verdict != w[0] || r.Note == nil || *r.Note != w[1]):
			t.Errorf("%s: verdict %v note %v, want %q %q", id, r.Verdict, r.Note, w[0], w[1])
		}
	}
	if len(reviewed) != 129 {
		t.Errorf("left join kept %d rows, want 129", len(reviewed))
	}
}

type reviewedRow struct {
	Verdict *string `json:"review_verdict"`
	Note    *string `json:"review_note"`
}

func readReviewed(t *testing.T, p *project) map[string]reviewedRow {
	t.Helper()
	out := map[string]reviewedRow{}
	for _, l := range bytes.Split(bytes.TrimSpace(readProjectFile(t, p, "out/drift/reviewed.jsonl")), []byte("\n")) {
		var r struct {
			ID string `json:"conversation_id"`
			reviewedRow
		}
		must(t, json.Unmarshal(l, &r))
		out[r.ID] = r.reviewedRow
	}
	return out
}

// ranNodes lists the nodes a build's output says it ran, sorted.
func ranNodes(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "ran" {
			out = append(out, f[1])
		}
	}
	sort.Strings(out)
	return out
}
