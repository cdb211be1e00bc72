package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium returns the browser the page test drives: $DSBUILD_CHROMIUM
// (.ci/run installs Debian's chromium and sets it). Without it the test
// skips locally and fails under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DSBUILD_CHROMIUM")
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DSBUILD_CHROMIUM is not set; .ci/run installs chromium and sets it to /usr/bin/chromium")
		}
		t.Skip("DSBUILD_CHROMIUM is not set (e.g. DSBUILD_CHROMIUM=/usr/bin/chromium)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("DSBUILD_CHROMIUM=%s: %v", p, err)
	}
	return p
}

// Issue 11, item 5, in a real browser: the review page renders offline with
// 50 conversations, a reviewer fills verdicts (a note with quotes, a comma,
// a line break and markup), clicks Export, and the downloaded CSV goes back
// through the recipe's verdict join. The page makes no request besides its
// own file and the export's blob, and no script runs from the data.
func TestReviewPageInChromium(t *testing.T) {
	exe := chromium(t)
	p := cardProject(t, "")
	buildOK(t, p)
	pagePath := filepath.Join(p.dir, "out", "drift", "review.html")
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(pagePath)}).String()

	// A bound for a hung browser, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("window-size", "1200,1600"),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var mu sync.Mutex
	var requests, dialogs []string
	must(t, chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			dialogs = append(dialogs, e.Message)
		}
	}))
	downloads := t.TempDir()
	progress := chromedp.Events(bctx, browser.DownloadProgress)
	must(t, chromedp.Do(bctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes,
			})
			return err
		}),
		chromedp.Navigate(pageURL),
	))

	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("section.conv").length`))
	must(t, err)
	if n != 50 {
		t.Fatalf("the page shows %d conversations, want 50", n)
	}
	ids, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("section.conv")).map(s => s.dataset.id)`))
	must(t, err)
	// The hostile situation is on the page as text.
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.body.innerText.includes(`+"`"+hostile+"`"+`) && document.querySelectorAll("img, iframe, object, embed").length === 0`))
	must(t, err)
	if !shown {
		t.Errorf("the hostile string is not shown as text, or made an element")
	}

	note := "say \"sorry\", then\nreword, " + hostile
	conv := func(i int) string { return fmt.Sprintf("section.conv:nth-of-type(%d)", i+1) }
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(conv(0)+` input[value="keep"]`)),
		chromedp.Click(chromedp.CSS(conv(1)+` input[value="fix"]`)),
		chromedp.SendKeys(chromedp.CSS(conv(1)+" textarea"), note),
		chromedp.Click(chromedp.CSS(conv(2)+` input[value="drop"]`)),
		chromedp.SendKeys(chromedp.CSS(conv(2)+" textarea"), "duplicate of another"),
	))
	prog, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("progress")))
	must(t, err)
	if prog != "3 of 50 reviewed" {
		t.Errorf("progress reads %q, want 3 of 50 reviewed", prog)
	}
	if shot := os.Getenv("DSBUILD_REVIEW_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		must(t, err)
		must(t, os.WriteFile(shot, png, 0o644))
	}
	must(t, chromedp.Do(bctx, chromedp.Click(chromedp.ID("export"))))
	var exported []byte
	for ev, err := range progress {
		must(t, err)
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("the export download was canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			exported = readFile(t, filepath.Join(downloads, ev.GUID))
			break
		}
	}
	shownCSV, err := chromedp.Run(bctx, chromedp.Value(chromedp.ID("csv")))
	must(t, err)
	if shownCSV != string(exported) {
		t.Errorf("the page shows another CSV than it downloaded:\n%s\n---\n%s", shownCSV, exported)
	}

	// The export is the template with the three verdicts filled in.
	lines := strings.Split(string(readProjectFile(t, p, "out/drift/review_template.csv")), "\n")
	lines[1] = ids[0] + ",keep,"
	lines[2] = ids[1] + ",fix," + `"` + strings.ReplaceAll(note, `"`, `""`) + `"`
	lines[3] = ids[2] + ",drop,duplicate of another"
	if want := strings.Join(lines, "\n"); string(exported) != want {
		t.Errorf("exported CSV:\n%s\nwant:\n%s", exported, want)
	}

	mu.Lock()
	if !slices.Contains(requests, pageURL) {
		// The listener saw nothing: the check below would prove nothing.
		t.Errorf("no request for the page itself was seen: %q", requests)
	}
	for _, u := range requests {
		if u != pageURL && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the page requested %s", u)
		}
	}
	if len(dialogs) > 0 {
		t.Errorf("the page opened dialogs: %q", dialogs)
	}
	mu.Unlock()

	// Round trip: the downloaded file, pinned, joined onto the table.
	recipe := readFile(t, p.recipe())
	must(t, os.WriteFile(p.recipe(), append(recipe, reviewVerdictsRecipe(writeVerdicts(t, p, exported))...), 0o644))
	buildOK(t, p)
	want := map[string][2]string{ids[0]: {"keep", ""}, ids[1]: {"fix", note}, ids[2]: {"drop", "duplicate of another"}}
	reviewed := readReviewed(t, p)
	for id, w := range want {
		r := reviewed[id]
		if r.Verdict == nil || *r.Verdict != w[0] || r.Note == nil || *r.Note != w[1] {
			t.Errorf("%s after the round trip: verdict %v note %v, want %q %q", id, r.Verdict, r.Note, w[0], w[1])
		}
	}
	var withVerdict int
	for _, r := range reviewed {
		if r.Verdict != nil {
			withVerdict++
		}
	}
	if withVerdict != 3 {
		t.Errorf("%d rows have a verdict after the round trip, want 3", withVerdict)
	}
}
