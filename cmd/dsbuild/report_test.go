package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Two conversations per part; x moves 0 → 1 → 3 in "failed" (delta 3,
// slope 1.5) and stays at 1 in "support" (delta 0, slope 0).
const reportCSV = `conversation_id,source,part,turn,role,x
f1,esconv_failed,failed,0,assistant,0
f1,esconv_failed,failed,1,assistant,1
f1,esconv_failed,failed,2,assistant,3
f2,esconv_failed,failed,0,assistant,0
f2,esconv_failed,failed,1,assistant,1
f2,esconv_failed,failed,2,assistant,3
s1,esconv,support,0,assistant,1
s1,esconv,support,1,assistant,1
s1,esconv,support,2,assistant,1
s2,esconv,support,0,assistant,1
s2,esconv,support,1,assistant,1
s2,esconv,support,2,assistant,1
`

const reportRecipe = `fetch "turns" {
  url    = "../turns.csv"
  schema = { turn = "int64", x = "float64" }
}

trajectory "drift" {
  input   = fetch.turns
  columns = ["x"]
  keep    = ["source", "part"]
}

plot "x" {
  input = fetch.turns
  y     = "x"
  group = "part"
  path  = "out/x.png"
}

output "turns" {
  input = fetch.turns
  path  = "out/turns.parquet"
}
`

func reportProject(t *testing.T) *storeProject {
	t.Helper()
	p := &storeProject{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir(), name: "r"}
	for _, d := range []string{"recipes", "lockfiles"} {
		must(t, os.MkdirAll(filepath.Join(p.dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(p.dir, "turns.csv"), []byte(reportCSV), 0o644))
	must(t, os.WriteFile(p.recipe(), []byte(reportRecipe), 0o644))
	return p
}

// TestBuildReport: a build writes one self-contained page: every node with
// its status, the trajectory statistics averaged per part (failed drifts by
// 3 with slope 1.5, support by 0), the output's rows per source and part,
// and the plot inline; nothing on it loads from anywhere. --report none
// writes none.
func TestBuildReport(t *testing.T) {
	p := reportProject(t)
	code, _, stderr := p.run(t, "build", p.recipe())
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	path := filepath.Join(p.dir, ".dsbuild", "report", "r.html")
	b, err := os.ReadFile(path)
	must(t, err)
	page := string(b)
	if !strings.Contains(stderr, "report: ") {
		t.Errorf("the build does not say where the report is:\n%s", stderr)
	}
	for _, id := range []string{"fetch.turns", "trajectory.drift", "plot.x", "output.turns"} {
		if !regexp.MustCompile(`<tr class="node"><td>` + regexp.QuoteMeta(id) + `</td><td>[a-z]+</td><td class="ran">ran</td>`).MatchString(page) {
			t.Errorf("the nodes table has no ran row for %s", id)
		}
	}
	rows := regexp.MustCompile(`<tr><td>(failed|support)</td><td class="n">(\d+)</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td>`).FindAllStringSubmatch(page, -1)
	got := map[string]string{}
	for _, r := range rows {
		got[r[1]] = r[2] + " " + r[3] + " " + r[4]
	}
	if got["failed"] != "2 3 1.5" || got["support"] != "2 0 0" {
		t.Errorf("drift per part (conversations, mean delta, mean slope) = %v, want failed 2 3 1.5, support 2 0 0", got)
	}
	if !strings.Contains(page, `<tr><td>esconv_failed</td><td class="n">6</td></tr>`) || !strings.Contains(page, `<tr><td>support</td><td class="n">6</td></tr>`) {
		t.Errorf("the output's rows per source and part are missing")
	}
	if !strings.Contains(page, `<img src="data:image/png;base64,iVBORw0KGgo`) {
		t.Errorf("the plot is not inline as a PNG")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)`).FindString(page); m != "" || !strings.Contains(page, "Content-Security-Policy") {
		t.Errorf("the page loads from the network (%q) or has no CSP", m)
	}

	// Nothing to do still reports (what is cached); --report none does not.
	must(t, os.Remove(path))
	if code, _, stderr := p.run(t, "build", p.recipe()); code != 0 || !strings.Contains(stderr, "nothing to do") {
		t.Fatalf("second build: exit %d\n%s", code, stderr)
	}
	b, err = os.ReadFile(path)
	must(t, err)
	if !strings.Contains(string(b), `<td class="cached">cached</td>`) {
		t.Errorf("the no-op build's report does not show cached nodes")
	}
	must(t, os.Remove(path))
	if code, _, stderr := p.run(t, "build", p.recipe(), "--report", "none"); code != 0 {
		t.Fatalf("build --report none: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("--report none wrote %s", path)
	}
	// The report is not part of what a build pins.
	lock, err := os.ReadFile(p.lock())
	must(t, err)
	if strings.Contains(string(lock), ".dsbuild") {
		t.Errorf("the lock names the report")
	}
}

// TestBuildReportInChromium: the page renders offline in headless Chromium
// with one row per node and the plot decoded, and requests nothing but
// itself.
func TestBuildReportInChromium(t *testing.T) {
	exe := chromium(t)
	p := reportProject(t)
	p.build(t)
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(p.dir, ".dsbuild", "report", "r.html"))}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound for a hung browser
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	var mu sync.Mutex
	var requests []string
	must(t, chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}))
	must(t, chromedp.Do(bctx, chromedp.Navigate(pageURL)))
	nodes, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#nodes tr.node").length`))
	must(t, err)
	if nodes != 4 {
		t.Errorf("the page shows %d node rows, want 4", nodes)
	}
	width, err := chromedp.Run(bctx, chromedp.Evaluate[int](`(() => { const i = document.querySelector("figure img"); return i && i.complete ? i.naturalWidth : 0 })()`))
	must(t, err)
	if width == 0 {
		t.Errorf("the plot did not decode in the browser")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if u != pageURL && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s", u)
		}
	}
}
