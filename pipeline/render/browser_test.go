package render

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The accessibility check needs Debian's chromium and axe-core from npm
// (`npm ci` at the repository root installs the version package-lock.json
// pins). Locally the test skips without them; under CI=true it fails.
const (
	chromiumPath = "/usr/bin/chromium"
	axePath      = "../../node_modules/axe-core/axe.min.js"
)

// wcagTags are the axe-core rule tags of WCAG 2.2 level A and AA.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// needBrowser returns the chromium binary and axe-core's source, skipping
// (or failing under CI) when either is missing.
func needBrowser(t *testing.T) (string, string) {
	t.Helper()
	missing := func(what string) {
		msg := what + ": statement.html not checked in a browser (apt-get install chromium; npm ci)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := chromiumPath
	if _, err := os.Stat(bin); err != nil {
		p, err := exec.LookPath("chromium")
		if err != nil {
			missing("chromium not installed")
		}
		bin = p
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("axe-core not in node_modules")
	}
	return bin, string(axe)
}

// axeViolation is what the test reports of an axe-core violation.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// pageCheck is what the browser found on one page.
type pageCheck struct {
	violations []axeViolation
	overflow   bool // wider than a 640 px viewport (1280 px at 200% zoom)
	screenshot []byte
	zoomed     []byte // the first screen at 200% zoom
}

// checkInBrowser opens an HTML file in headless Chromium, runs axe-core's
// WCAG 2.2 A and AA rules, looks for horizontal scrolling at 200% zoom
// (a 640 px wide viewport) and takes a full-page screenshot at 1280 px.
func checkInBrowser(t *testing.T, path string) pageCheck {
	t.Helper()
	bin, axe := needBrowser(t)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	if _, err := chromedp.Run(bctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("open %s in chromium: %v", path, err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](axe+"\n;true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	tags, _ := json.Marshal(wcagTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`
	awaitPromise := func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }
	res, err := chromedp.Run(bctx, chromedp.Evaluate[string](script, awaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var pc pageCheck
	if err := json.Unmarshal([]byte(res), &pc.violations); err != nil {
		t.Fatalf("axe.run result %q: %v", res, err)
	}
	if pc.screenshot, err = chromedp.Run(bctx, chromedp.FullScreenshot(90)); err != nil {
		// A page taller than Chromium's limit: the top 12,000 px.
		t.Logf("full-page screenshot: %v; taking the top of the page", err)
		if _, err := chromedp.Run(bctx, chromedp.EmulateViewport(1280, 12000)); err != nil {
			t.Fatalf("viewport: %v", err)
		}
		if pc.screenshot, err = chromedp.Run(bctx, chromedp.CaptureScreenshot()); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}
	if _, err := chromedp.Run(bctx, chromedp.EmulateViewport(640, 900)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	if pc.overflow, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); err != nil {
		t.Fatalf("reflow check: %v", err)
	}
	// What a reader at 200% zoom sees of the summary table.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(document.getElementById("summary")||document.body).scrollIntoView(), true`)); err != nil {
		t.Fatalf("scroll: %v", err)
	}
	if pc.zoomed, err = chromedp.Run(bctx, chromedp.CaptureScreenshot()); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return pc
}

// saveScreenshot writes a screenshot into testdata/screenshots (ignored by
// git), so that a person can look at it after the test.
func saveScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// reportViolations fails the test for each axe-core violation.
func reportViolations(t *testing.T, vs []axeViolation) {
	t.Helper()
	for _, v := range vs {
		t.Errorf("axe %s (%s): %s; at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, " | "))
	}
}

// statement.html meets WCAG 2.2 A and AA as axe-core checks it in Chromium,
// and reads at 200% zoom without scrolling sideways (tables scroll in their
// own region). HIIS_STATEMENT_HTML names another statement.html to check
// too (CI passes the fixture run's).
func TestStatementHTMLAccessible(t *testing.T) {
	needBrowser(t)
	in := withChanges(withWithheld(withPrevious(sampleInput())))
	in.Narrative = []Narrative{{Title: "Actions we have taken", Text: "We have **funded** two outreach teams.\n\n- Evening clinics in *Wisbech*\n- See [our plan](https://example.org/plan)"}}
	files := map[string]string{"sample": filepath.Join(mustWrite(t, in), StatementHTML),
		"comparator":  filepath.Join(mustWrite(t, withComparator(in)), StatementHTML),
		"comparators": filepath.Join(mustWrite(t, withNational(withComparator(in))), StatementHTML)}
	if p := os.Getenv("HIIS_STATEMENT_HTML"); p != "" {
		files["given"] = p
	}
	for _, name := range []string{"sample", "comparator", "comparators", "given"} {
		path, ok := files[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			pc := checkInBrowser(t, path)
			ext := ".jpg"
			if bytes.HasPrefix(pc.screenshot, []byte("\x89PNG")) {
				ext = ".png"
			}
			saveScreenshot(t, "statement-"+name+ext, pc.screenshot)
			saveScreenshot(t, "statement-"+name+"-zoom200.png", pc.zoomed)
			reportViolations(t, pc.violations)
			if pc.overflow {
				t.Error("the page scrolls sideways in a 640 px viewport (200% zoom)")
			}
		})
	}
}

// The check finds problems: a page with none of the statement's care fails.
func TestBrowserCheckFindsViolations(t *testing.T) {
	needBrowser(t)
	p := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><head><title>x</title></head><body><p style="color:#ccc;background:#fff">faint</p>` +
		`<svg width="10" height="10" role="img"><rect width="10" height="10"/></svg><table><tr><td>a</td></tr></table></body></html>`
	if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, v := range checkInBrowser(t, p).violations {
		ids[v.ID] = true
	}
	for _, want := range []string{"html-has-lang", "color-contrast", "svg-img-alt"} {
		if !ids[want] {
			t.Errorf("axe did not report %s on a bad page (got %v)", want, ids)
		}
	}
}
