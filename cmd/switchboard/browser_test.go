package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser test drives the admin console in real headless Chromium
// against the built binary, the way an administrator would: every click,
// form and htmx swap goes through the browser, while the effects on the
// JSON API (a client's login and tokens) are checked from Go.
//
// Which browser: $SWITCHBOARD_BROWSER, else chromium, chromium-browser or
// google-chrome from PATH. Without one the test skips, unless $CI is set:
// CI installs Chromium and these tests are mandatory there.
//
// Screenshots of every page go to $SWITCHBOARD_SCREENSHOTS, else to
// switchboard-screenshots in the system's temporary folder.

// browserTimeout bounds the whole browser session; stepTimeout one step
// the rest of the flow needs, tryTimeout one it does not.
const (
	browserTimeout = 60 * time.Second
	stepTimeout    = 15 * time.Second
	tryTimeout     = 5 * time.Second
)

// findBrowser returns the Chromium to drive, skipping the test (failing it
// under CI) when there is none.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SWITCHBOARD_BROWSER"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("SWITCHBOARD_BROWSER=%q is not an executable: %v", p, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no Chromium found: the browser tests need one. Install it (Debian: " +
		"`sudo apt-get install chromium`) or point SWITCHBOARD_BROWSER at a Chromium or Chrome binary"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so the browser tests are mandatory)")
	}
	t.Skip("SKIPPED " + msg)
	return ""
}

// screenshotDir returns the folder for the screenshots (or its subfolder
// sub, for a test of its own), emptied of an earlier run's numbered files.
func screenshotDir(t *testing.T, sub ...string) string {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "switchboard-screenshots")
	}
	dir = filepath.Join(append([]string{dir}, sub...)...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"[0-9][0-9]-*.png", "failure-*.png"} {
		old, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range old {
			os.Remove(f)
		}
	}
	return dir
}

// cspBinding is the function the page calls (through Runtime.addBinding)
// for each securitypolicyviolation event; the script below is installed in
// every document before the page's own scripts run. The CSP does not apply
// to scripts the DevTools protocol adds.
const (
	cspBinding = "__switchboardCSPViolation"
	cspScript  = `document.addEventListener('securitypolicyviolation', function (e) {
  window.` + cspBinding + `(JSON.stringify({directive: e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
});`
)

// browserTab is one tab of the headless browser, with what the test saw go
// wrong in it.
type browserTab struct {
	t        *testing.T
	ctx      context.Context // the tab
	dir      string          // screenshots
	shot     int             // numbered screenshots taken
	failures int             // failure screenshots taken

	mu       sync.Mutex
	problems []string // JS exceptions, console errors, CSP violations, dialogs
	expected []string // browser log lines the current step expects
}

// expect lets the next step's browser log have an error line containing
// text: the network line for a response whose status the step expects.
func (c *browserTab) expect(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expected = append(c.expected, text)
}

func (c *browserTab) isExpected(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.expected {
		if strings.Contains(text, e) {
			return true
		}
	}
	return false
}

// newBrowserTab starts the browser with a fresh profile and opens a tab.
func newBrowserTab(ctx context.Context, t *testing.T, path, dir string) *browserTab {
	t.Helper()
	// The profile is not a t.TempDir: Chromium's helper processes may still
	// write to it for a moment after the browser has exited, and TempDir's
	// cleanup fails the test when it cannot remove a folder. This one is
	// removed once they are done (this cleanup runs after the browser's).
	profile, err := os.MkdirTemp("", "switchboard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := os.RemoveAll(profile)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Logf("could not remove the browser profile: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopWidth, 800),
	)
	// chromedp's own errors go to the test's log, but not once the test is
	// over: its goroutines may outlive the browser by a moment.
	var logMu sync.Mutex
	closed := false
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !closed {
			t.Logf("chromedp: "+format, args...)
		}
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		logMu.Lock()
		closed = true
		logMu.Unlock()
	})
	c := &browserTab{t: t, ctx: tabCtx, dir: dir}
	chromedp.ListenTarget(tabCtx, c.listen)
	// The first Run starts the browser; it must use the tab's own context,
	// or the browser would end with the first step's.
	err = chromedp.Run(tabCtx,
		desktopViewport,
		chromedp.ActionFunc(func(ctx context.Context) error {
			if err := runtime.AddBinding(cspBinding).Do(ctx); err != nil {
				return err
			}
			_, err := page.AddScriptToEvaluateOnNewDocument(cspScript).Do(ctx)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	var version string
	if err := chromedp.Run(tabCtx, chromedp.Evaluate(`navigator.userAgent`, &version)); err == nil {
		t.Logf("browser: %s (%s)", path, version)
	}
	return c
}

func (c *browserTab) problem(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// selfCheck proves that the listeners work, or their silence later would
// prove nothing: an inline style added to the page must be reported as a
// CSP violation, and an alert as a dialog (which is dismissed).
func (c *browserTab) selfCheck() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, tryTimeout)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
		var s = document.createElement('style');
		s.textContent = 'body {}';
		document.head.appendChild(s);
		setTimeout(function () { alert('harness check'); }, 0);
		return true;
	})()`, nil))
	if err != nil {
		c.t.Fatalf("harness self-check: %v", err)
	}
	want := []string{"CSP violation", "dialog opened"}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		seen := strings.Join(c.problems, "\n")
		c.mu.Unlock()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(seen, w) })
		if len(missing) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("harness self-check: the listeners did not report %q; saw:\n%s", missing, seen)
		case <-tick.C:
		}
	}
	c.takeProblems()
}

// takeProblems returns what went wrong since the last call.
func (c *browserTab) takeProblems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.problems
	c.problems = nil
	return p
}

// listen records every sign of a broken page. It runs on chromedp's event
// loop, so it must not block: a dialog is dismissed from a goroutine.
func (c *browserTab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		c.problem("JavaScript exception at %s:%d: %s", d.URL, d.LineNumber+1, msg)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				parts = append(parts, string(a.Value))
			default:
				parts = append(parts, string(a.Type))
			}
		}
		c.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		text := e.Text
		if e.URL != "" {
			text += " (" + e.URL + ")"
		}
		switch {
		case strings.Contains(e.Text, "Content Security Policy"):
			c.problem("CSP violation (%s log): %s", e.Source, text)
		case e.Level == cdplog.LevelError && !c.isExpected(text):
			c.problem("browser log error (%s): %s", e.Source, text)
		}
	case *runtime.EventBindingCalled:
		if ev.Name == cspBinding {
			c.problem("CSP violation: %s", ev.Payload)
		}
	case *page.EventJavascriptDialogOpening:
		c.problem("a JavaScript %s dialog opened: %q", ev.Type, ev.Message)
		go chromedp.Run(c.ctx, page.HandleJavaScriptDialog(false))
	}
}

// The two widths every page is checked at: a laptop's, where the flows
// run, and a phone's.
var (
	desktopViewport = chromedp.EmulateViewport(desktopWidth, 800)
	phoneViewport   = chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))
)

const (
	desktopWidth = 1280
	phoneWidth   = 390
)

// step runs actions with a step's time limit. On failure it saves a
// screenshot of the page as it was and stops the test; problems the page
// reported during the step fail the test too.
func (c *browserTab) step(what string, actions ...chromedp.Action) {
	c.t.Helper()
	if err := c.run(what, stepTimeout, actions...); err != nil {
		c.failed(what, err, true)
	}
}

// try is step for a check the rest of the flow does not depend on: a
// failure is reported, and the test goes on.
func (c *browserTab) try(what string, actions ...chromedp.Action) {
	c.t.Helper()
	if err := c.run(what, tryTimeout, actions...); err != nil {
		c.failed(what, err, false)
	}
}

func (c *browserTab) run(what string, timeout time.Duration, actions ...chromedp.Action) error {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	err := chromedp.Run(ctx, actions...)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (waited %v)", err, timeout)
	}
	c.mu.Lock()
	c.expected = nil
	c.mu.Unlock()
	for _, p := range c.takeProblems() {
		c.t.Errorf("%s: %s", what, p)
	}
	return err
}

// failed reports a step's failure with what the page showed, and stops
// the test if fatal.
func (c *browserTab) failed(what string, err error, fatal bool) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	var url, body string
	var png []byte
	_ = chromedp.Run(ctx,
		chromedp.Location(&url),
		chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 2000) : ''`, &body),
		chromedp.FullScreenshot(&png, 100),
	)
	shot := ""
	if len(png) > 0 {
		c.failures++
		shot = filepath.Join(c.dir, fmt.Sprintf("failure-%d.png", c.failures))
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			shot = ""
		}
	}
	report := c.t.Errorf
	if fatal {
		report = c.t.Fatalf
	}
	report("%s: %v\npage %s (screenshot %s) shows:\n%s", what, err, url, shot, body)
}

// screenshot saves the whole page as the next numbered PNG, and checks it
// with axe-core at both widths (see checkAccessibility).
func (c *browserTab) screenshot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		c.shot++
		if err := os.WriteFile(filepath.Join(c.dir, fmt.Sprintf("%02d-%s.png", c.shot, name)), png, 0o644); err != nil {
			return err
		}
		return checkAccessibility(c.t, name).Do(ctx)
	})
}

// axeScript is axe-core's browser build, from the npm package that
// package.json pins (installed by npm ci, as `make css` does).
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

// needAxe skips the test (fails it under CI) when axe-core is not installed.
func needAxe(t *testing.T) {
	t.Helper()
	if _, err := axeScript(); err != nil {
		const msg = "axe-core is not installed (run `npm ci`): the browser tests check every page with it"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", msg, err)
		}
		t.Skip("SKIPPED " + msg)
	}
}

// axeRun runs every axe-core rule on the document and returns its
// violations as JSON text, one entry per rule with the elements it found.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  return JSON.stringify(r.violations.map(function (v) {
    return {rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
      return {target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 300)};
    })};
  }));
})`

// checkAccessibility runs axe-core (every rule, color-contrast included)
// on the page as it is, at the width it is shown at and at the other one
// (desktop and phone), and fails the test for each violation. The script
// is added through the DevTools protocol, which the page's CSP does not
// govern.
func checkAccessibility(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		script, err := axeScript()
		if err != nil {
			return err
		}
		var width int
		if err := chromedp.Evaluate(`window.innerWidth`, &width).Do(ctx); err != nil {
			return err
		}
		widths := []int{desktopWidth, phoneWidth}
		if width == phoneWidth {
			slices.Reverse(widths)
		}
		for i, w := range append(widths, widths[0]) {
			if i > 0 { // the other width, then back
				vp := desktopViewport
				if w == phoneWidth {
					vp = phoneViewport
				}
				if err := chromedp.Run(ctx, vp, waitJS(fmt.Sprintf(`window.innerWidth === %d`, w))); err != nil {
					return err
				}
			}
			if i == 2 {
				break
			}
			var loaded bool
			if err := chromedp.Evaluate(`typeof window.axe === 'object'`, &loaded).Do(ctx); err != nil {
				return err
			}
			if !loaded {
				if err := chromedp.Evaluate(script, nil).Do(ctx); err != nil {
					return fmt.Errorf("loading axe-core: %w", err)
				}
			}
			var out string
			if err := chromedp.Evaluate(axeRun, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
				return p.WithAwaitPromise(true)
			}).Do(ctx); err != nil {
				return fmt.Errorf("running axe-core: %w", err)
			}
			var violations []struct {
				Rule, Impact, Help string
				Nodes              []struct{ Target, Summary, HTML string }
			}
			if err := json.Unmarshal([]byte(out), &violations); err != nil {
				return fmt.Errorf("axe-core's answer: %w", err)
			}
			for _, v := range violations {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, fmt.Sprintf("  %s: %s\n    %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n    ")))
				}
				t.Errorf("axe-core, %s at %d px: %s (%s, %s) on %d element(s):\n%s",
					name, w, v.Rule, v.Impact, v.Help, len(v.Nodes), strings.Join(where, "\n"))
			}
		}
		return nil
	})
}

// waitJS waits for a JavaScript expression to become true, evaluating it
// every 25 ms, within the step's time limit. (chromedp.Poll cannot be used
// here: it builds its predicate with new Function, which the pages' CSP
// forbids.)
func waitJS(expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			var ok bool
			err := chromedp.Evaluate(expr, &ok).Do(ctx)
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				if err != nil {
					return fmt.Errorf("waiting for %s: %w (last: %v)", expr, ctx.Err(), err)
				}
				return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-tick.C:
			}
		}
	})
}

// check fails the step unless the JavaScript expression is true now.
func assertJS(what, expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var ok bool
		if err := chromedp.Evaluate(expr, &ok).Do(ctx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !ok {
			return fmt.Errorf("%s: false: %s", what, expr)
		}
		return nil
	})
}

// htmxSettled waits until htmx has finished its swaps: it wires the
// content it swapped in (hx-get, hx-post) only when the swap settles, and a
// click before that would follow the plain link or form.
var htmxSettled = waitJS(`document.querySelector('.htmx-request, .htmx-swapping, .htmx-added, .htmx-settling') === null`)

// focusedIn is a JavaScript expression: the focus is on the element sel
// matches or inside it.
func focusedIn(sel string) string {
	return fmt.Sprintf(`(function (el) { return !!el && el.contains(document.activeElement); })(document.querySelector(%s))`, jsString(sel))
}

// inView is a JavaScript expression: the top of the element sel matches is
// in the viewport, without scrolling.
func inView(sel string) string {
	return fmt.Sprintf(`(function (r) { return r.top >= 0 && r.top < window.innerHeight; })(document.querySelector(%s).getBoundingClientRect())`, jsString(sel))
}

// hover moves the mouse over the middle of the element sel matches and
// waits out the colour transition, so that a check sees it as a pointer
// over it does.
func hover(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var box struct{ X, Y float64 }
		err := chromedp.Evaluate(fmt.Sprintf(`(function () {
			var r = document.querySelector(%s).getBoundingClientRect();
			return {x: r.left + r.width / 2, y: r.top + r.height / 2};
		})()`, jsString(sel)), &box).Do(ctx)
		if err != nil {
			return err
		}
		if err := input.DispatchMouseEvent(input.MouseMoved, box.X, box.Y).Do(ctx); err != nil {
			return err
		}
		if err := waitJS(fmt.Sprintf(`document.querySelector(%s).matches(':hover')`, jsString(sel))).Do(ctx); err != nil {
			return err
		}
		return chromedp.Sleep(300 * time.Millisecond).Do(ctx)
	})
}

// tabThrough presses Tab n times and, when ids is not nil, records what
// has the focus after each press: its data-testid, "skip" for the skip
// link, or its tag name.
func tabThrough(n int, ids *[]string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for range n {
			if err := chromedp.KeyEvent(kb.Tab).Do(ctx); err != nil {
				return err
			}
			if ids == nil {
				continue
			}
			var id string
			err := chromedp.Evaluate(`(function (el) {
				return el.dataset.testid || (el.getAttribute('href') === '#main' ? 'skip' : el.tagName.toLowerCase());
			})(document.activeElement)`, &id).Do(ctx)
			if err != nil {
				return err
			}
			*ids = append(*ids, id)
		}
		return nil
	})
}

// typeInto replaces an input's value by typing text, key by key.
func retype(sel, text string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Clear(sel, chromedp.ByQuery),
		chromedp.SendKeys(sel, text, chromedp.ByQuery),
	}
}

func inputNamed(name string) string { return fmt.Sprintf(`[name=%q]`, name) }

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startBrowserTest finds the browser, builds and starts the server (on a
// fresh SQLite file, with the admin "admin", and the extra environment
// given as KEY=VALUE), and returns the test's context, the server, the
// browser's path and when the flow began (after the build, so the flow's
// own time can be logged).
func startBrowserTest(t *testing.T, extraEnv ...string) (ctx context.Context, srv *server, browserPath string, began time.Time) {
	t.Helper()
	browserPath = findBrowser(t)
	needAxe(t)
	binary(t) // build before the clock starts
	ctx = testContext(t)
	began = time.Now()
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": filepath.Join(t.TempDir(), "sb.db"), "SECRET_HASH_COST": "4",
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
	}
	for _, kv := range extraEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	srv = startServer(ctx, t, env)
	return ctx, srv, browserPath, began
}

// TestBrowserConsole walks the admin console in Chromium: sign in, create a
// client (after a refused attempt), log it in through the JSON API with the
// secret the page showed, find it by live search, suspend and reactivate it
// without a page reload, reset its secret, delete it, sign out; and checks
// after each change what the JSON API now lets the client do. The pages may
// not throw, log errors, open dialogs or break their CSP.
func TestBrowserConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test runs the binary and Chromium; skipped with -short")
	}
	ctx, srv, browserPath, began := startBrowserTest(t)
	base := srv.base

	// Other clients, so that the search has something to leave out. The
	// first one's clientId has a dot, which the clientId rule allows.
	adminToken := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login", 200).str(t, "token")
	const dottedID = "alice.archer"
	for i, name := range []string{"Alice Archer", "Bruno Baker", "Chloe Carter"} {
		cid := fmt.Sprintf("other_%d", i+1)
		if i == 0 {
			cid = dottedID
		}
		srv.do("POST", "/admin/clients", adminToken, map[string]any{
			"clientId": cid,
			"clientMeta": map[string]string{
				"fullName": name, "email": fmt.Sprintf("other%d@example.com", i+1), "phone": fmt.Sprintf("+1212555010%d", i),
				"businessName": "Other Co",
			},
			"agentId": "agent_other", "twilioPhoneNumber": "+18005550100", "status": "Active",
		}).expect(t, "create "+name, 201)
	}

	dir := screenshotDir(t)
	t.Logf("screenshots: %s", dir)
	bctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	b := newBrowserTab(bctx, t, browserPath, dir)

	b.step("open the landing page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="admin-console-link"]`, chromedp.ByQuery),
	)
	b.selfCheck()
	b.step("reload the landing page",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="admin-console-link"]`, chromedp.ByQuery),
		b.screenshot("landing"),
	)
	b.step("follow the API reference link and open an operation, under the CSP",
		chromedp.Click(`[data-testid="api-docs-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="docs"]`, chromedp.ByQuery),
		assertJS("on /docs", `location.pathname === "/docs"`),
		chromedp.Click(`#op-createClient summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#op-createClient [data-testid="docs-curl"]`, chromedp.ByQuery),
		b.screenshot("docs"),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="admin-console-link"]`, chromedp.ByQuery),
	)

	// 1. Sign in, through the landing page's link.
	b.step("follow the admin console link to the sign-in page",
		chromedp.Click(`[data-testid="admin-console-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="login-form"]`, chromedp.ByQuery),
		assertJS("on /console/login", `location.pathname === "/console/login"`),
		b.screenshot("login"),
	)
	b.step("sign in",
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, adminPass, chromedp.ByQuery),
		chromedp.Click(`[data-testid="sign-in"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="count-total"]`, chromedp.ByQuery),
		assertJS("back on the dashboard", `location.pathname === "/console"`),
		assertJS("signed in as admin", `document.querySelector('[data-testid="signed-in-as"]').textContent.trim() === "admin"`),
		b.screenshot("dashboard"),
	)
	// The keyboard: the skip link, the brand, the navigation, the admin's
	// own Security page (its name), then Sign out;
	// a navigation link shows the ring the buttons show, not the outline.
	var order []string
	b.step("tab through the header",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="count-total"]`, chromedp.ByQuery),
		tabThrough(11, &order),
	)
	if got, want := strings.Join(order, " "), "skip brand nav-dashboard nav-clients nav-new-client nav-calls nav-activity nav-team nav-docs signed-in-as sign-out"; got != want {
		t.Errorf("the Tab key visits %q, want %q", got, want)
	}
	ring := func(sel string) string {
		return fmt.Sprintf(`(function (el) {
			var st = getComputedStyle(el);
			var noOutline = st.outlineStyle === 'none' || st.outlineColor === 'rgba(0, 0, 0, 0)';
			return noOutline && st.boxShadow.includes('rgb(79, 70, 229)');
		})(document.querySelector(%s))`, jsString(sel))
	}
	b.step("the focus ring of a navigation link",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="count-total"]`, chromedp.ByQuery),
		tabThrough(4, nil),
		assertJS("nav-clients has the focus", `document.activeElement.dataset.testid === "nav-clients"`),
		assertJS("nav-clients shows the ring, no outline", ring(`[data-testid="nav-clients"]`)),
		b.screenshot("nav-focus"),
	)

	// 2. Create a client: first with a bad phone, then fixed.
	const (
		fullName = "Beatrice Browserton"
		email    = "beatrice@example.com"
		notes    = "<script>alert(1)</script>"
	)
	values := [][2]string{
		{"clientMeta.fullName", fullName},
		{"clientMeta.email", email},
		{"clientMeta.phone", "555-not-a-phone"},
		{"clientMeta.businessName", "Browserton & Sons"},
		{"clientMeta.city", "Lisbon"},
		{"clientMeta.jobTitle", "Owner"},
		{"clientMeta.notes", notes},
		{"agentId", "agent_browser"},
		{"twilioPhoneNumber", "+18005550199"},
		{"clientId", ""}, // generated
		{"clientSecret", ""},
	}
	fill := chromedp.Tasks{}
	for _, v := range values {
		if v[1] != "" {
			fill = append(fill, chromedp.SendKeys(inputNamed(v[0]), v[1], chromedp.ByQuery))
		}
	}
	fill = append(fill, chromedp.SetValue(`select[name="status"]`, "Active", chromedp.ByQuery))
	b.step("open the new-client form",
		chromedp.Click(`[data-testid="nav-new-client"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="client-form"]`, chromedp.ByQuery),
		b.screenshot("new-client"),
	)
	// The refused form comes back as 422, which the browser logs.
	b.expect("status of 422 (Unprocessable Entity) (" + base + "/console/clients)")
	b.step("submit the form with a bad phone",
		fill,
		chromedp.Click(`[data-testid="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="field-error"][data-field="clientMeta.phone"]`, chromedp.ByQuery),
		b.screenshot("new-client-error"),
	)
	kept := chromedp.Tasks{}
	for _, v := range values {
		kept = append(kept, assertJS(v[0]+" kept what was typed",
			fmt.Sprintf(`document.querySelector(%s).value === %s`, jsString(inputNamed(v[0])), jsString(v[1]))))
	}
	b.step("the refused form",
		kept,
		assertJS("only the phone is marked", `document.querySelectorAll('[data-testid="field-error"]').length === 1`),
		assertJS("the cursor is in the phone input", `document.activeElement === document.querySelector('[name="clientMeta.phone"]')`),
		assertJS("the phone input is aria-invalid",
			`document.querySelector('[name="clientMeta.phone"]').getAttribute('aria-invalid') === 'true'`),
		assertJS("no script element in the body", `document.querySelectorAll('body script').length === 0`),
	)
	var secret, id string
	b.step("fix the phone and submit",
		retype(inputNamed("clientMeta.phone"), "+351912345678"),
		chromedp.Click(`[data-testid="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-secret]`, &secret, chromedp.ByQuery),
		chromedp.Text(`[data-testid="revealed-client-id"]`, &id, chromedp.ByQuery),
		b.screenshot("client-created"),
	)
	secret, id = strings.TrimSpace(secret), strings.TrimSpace(id)
	if len(secret) < 16 || id == "" {
		t.Fatalf("after create: secret %q, client id %q", secret, id)
	}
	b.step("the created page",
		assertJS("the curl line has the secret", fmt.Sprintf(
			`document.querySelector('[data-testid="login-curl"]').textContent.includes(%s)`, jsString(secret))),
		assertJS("the address has no secret", fmt.Sprintf(`location.pathname === %s && location.search === ""`,
			jsString("/console/clients/"+id+"/created"))),
		assertJS("the client sign-in page is offered", fmt.Sprintf(`%s === %s`, textOf(`[data-testid="client-sign-in-url"]`),
			jsString(base+"/account/login"))),
	)
	// A reload is harmless: no second client, no "email taken", no secret.
	b.step("reload the created page",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="client-title"]`, chromedp.ByQuery),
		assertJS("on the client's page", fmt.Sprintf(`location.pathname === %s`, jsString("/console/clients/"+id))),
		assertJS("the secret is not shown again", `document.querySelector('[data-secret]') === null`),
		assertJS("the flash says why", `document.querySelector('[data-testid="flash"]').textContent.includes("shown once")`),
	)

	// 3. The client signs in through the JSON API with the secret the page showed.
	login := func(what, secret string, status int) string {
		t.Helper()
		r := srv.do("POST", "/auth/login", "", map[string]string{"clientId": id, "clientSecret": secret}).expect(t, what, status)
		if status != 200 {
			return ""
		}
		r.fields(t, what, map[string]any{"client.clientId": id, "client.clientMeta.fullName": fullName})
		return r.str(t, "token")
	}
	secure := func(what, token string, status int) {
		t.Helper()
		srv.do("GET", "/secure/client", token, nil).expect(t, what, status)
	}
	token := login("login with the secret from the page", secret, 200)
	secure("GET /secure/client", token, 200)

	// 4. Live search, bookmarkable and reloadable.
	rows := `document.querySelectorAll('[data-testid="client-row"]')`
	onlyOurs := fmt.Sprintf(`%s.length === 1 && %s[0].dataset.clientId === %s`, rows, rows, jsString(id))
	b.step("open the clients list",
		chromedp.Click(`[data-testid="nav-clients"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="clients-table"]`, chromedp.ByQuery),
		assertJS("all four clients listed", rows+`.length === 4`),
		b.screenshot("clients"),
	)
	b.step("the list's count and name order",
		assertJS("the count", textOf(`[data-testid="client-count"]`)+` === "4 clients"`),
		chromedp.Click(`[data-testid="sort-name"]`, chromedp.ByQuery),
		waitJS(`location.search === "?sort=name"`),
		chromedp.WaitVisible(`[data-testid="clients-table"]`, chromedp.ByQuery),
		assertJS("A to Z", fmt.Sprintf(`Array.from(%s).map(function (r) { return r.dataset.clientId; }).join(" ") === %s`,
			rows, jsString(dottedID+" "+id+" other_2 other_3"))),
		assertJS("the header says so", `document.querySelector('[data-testid="sort-name"]').parentElement.getAttribute('aria-sort') === "ascending"`),
		assertJS("the export follows", `document.querySelector('[data-testid="export-csv"]').getAttribute('href') === "/console/clients.csv?sort=name"`),
		b.screenshot("clients-by-name"),
		chromedp.Click(`[data-testid="nav-clients"]`, chromedp.ByQuery),
		waitJS(`location.search === ""`),
		chromedp.WaitVisible(`[data-testid="clients-table"]`, chromedp.ByQuery),
	)
	// The primary button's colour under the pointer is checked too.
	b.step("the pointer over the primary button",
		hover(`[data-testid="new-client"]`),
		b.screenshot("clients-hover-primary"),
	)
	b.step("the clients list on a phone",
		phoneViewport,
		waitJS(`window.innerWidth === 390`),
		assertJS("no sideways scrolling on a phone", `document.documentElement.scrollWidth <= window.innerWidth`),
		b.screenshot("clients-phone"),
		desktopViewport,
		waitJS(`window.innerWidth === 1280`),
	)
	b.step("live search",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.SendKeys(`[data-testid="search"]`, "rowsert", chromedp.ByQuery),
		waitJS(onlyOurs+` && location.search.includes("search=rowsert")`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		b.screenshot("clients-search"),
	)
	b.step("reload the search",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="clients-table"]`, chromedp.ByQuery),
		assertJS("the same single result", onlyOurs),
		assertJS("the search box keeps the text", `document.querySelector('[data-testid="search"]').value === "rowsert"`),
		assertJS("a new page", `window.__notReloaded === undefined`),
		b.screenshot("clients-search-reloaded"),
	)

	// 5. Suspend from the row, without a page reload; the JSON API refuses
	// the client at once. Then activate again from the client's page.
	row := fmt.Sprintf(`tr[data-client-id=%s]`, jsString(id))
	badge := func(in string) string {
		return fmt.Sprintf(`(document.querySelector(%s)?.querySelector('[data-testid="status-badge"]')?.textContent.trim() ?? '')`, jsString(in))
	}
	b.step("suspend from the row",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		assertJS("the row says Active", badge(row)+` === "Active"`),
		chromedp.Click(row+` [data-action="toggle-status"]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` [data-action="confirm-status"]`, chromedp.ByQuery),
		htmxSettled,
		assertJS("asking changed nothing yet", `document.querySelector(`+jsString(row)+`).textContent.includes("Suspend Beatrice Browserton?")`),
		b.screenshot("clients-confirm-suspend"),
		chromedp.Click(row+` [data-action="confirm-status"]`, chromedp.ByQuery),
		waitJS(badge(row)+` === "Suspended"`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		assertJS("the row now offers Activate",
			fmt.Sprintf(`document.querySelector(%s).textContent.trim() === "Activate"`, jsString(row+` [data-action="toggle-status"]`))),
		assertJS("still only our row", onlyOurs),
		b.screenshot("clients-suspended"),
	)
	login("login while suspended", secret, 401)
	secure("GET /secure/client while suspended", token, 401)

	b.step("open the client's page",
		chromedp.Click(row+` [data-testid="client-name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="status-panel"]`, chromedp.ByQuery),
		assertJS("on the client's page", fmt.Sprintf(`location.pathname === %s`, jsString("/console/clients/"+id))),
		assertJS("the panel says Suspended", badge(`#status-panel`)+` === "Suspended"`),
	)
	b.step("activate from the client's page",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Click(`#status-panel button[data-action="toggle-status"][value="Active"]`, chromedp.ByQuery),
		waitJS(badge(`#status-panel`)+` === "Active"`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
	)
	secure("GET /secure/client after reactivation", token, 200)

	// 6. Reset the secret; notes show as text.
	var newSecret string
	b.step("the client's page",
		assertJS("the notes are text", fmt.Sprintf(`document.querySelector('[name="clientMeta.notes"]').value === %s`, jsString(notes))),
		assertJS("no script element in the body", `document.querySelectorAll('body script').length === 0`),
		assertJS("the title is the name", fmt.Sprintf(
			`document.querySelector('[data-testid="client-title"]').textContent.trim() === %s`, jsString(fullName))),
		b.screenshot("client"),
	)
	// The details are read-only until Edit; Cancel closes the form again.
	// The dangerous buttons are light; they ask before acting.
	b.step("the client's dangerous buttons are secondary",
		assertJS("Suspend and Delete are white", `['#status-panel [value="Suspended"]', '[data-action="delete"]'].every(function (sel) {
			return getComputedStyle(document.querySelector(sel)).backgroundColor === 'rgb(255, 255, 255)';
		})`),
	)
	b.step("open and cancel the edit form",
		assertJS("the facts show the notes as text", fmt.Sprintf(
			`document.querySelector('[data-testid="fact-clientMeta.notes"]').textContent === %s`, jsString(notes))),
		assertJS("the form is closed", `!document.querySelector('[data-testid="client-edit"]').open`),
		chromedp.Click(`[data-action="edit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="client-form"]`, chromedp.ByQuery),
		waitJS(`document.activeElement === document.querySelector('[name="clientMeta.fullName"]')`), // the cursor is in the first input
		assertJS("the facts are hidden", `document.querySelector('[data-testid="client-facts-list"]').offsetParent === null`),
		b.screenshot("client-edit"),
		// Typed over a selection: chromedp.Clear would change the input's
		// default value, which is what Cancel restores.
		chromedp.Evaluate(`document.querySelector('[name="clientMeta.city"]').select()`, nil),
		chromedp.SendKeys(inputNamed("clientMeta.city"), "Typed, then cancelled", chromedp.ByQuery),
		assertJS("typed", `document.querySelector('[name="clientMeta.city"]').value === "Typed, then cancelled"`),
		chromedp.Click(`[data-action="cancel-edit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="client-facts-list"]`, chromedp.ByQuery),
		assertJS("the form is closed", `!document.querySelector('[data-testid="client-edit"]').open`),
		assertJS("what was typed is dropped", `document.querySelector('[name="clientMeta.city"]').value === "Lisbon"`),
		waitJS(`document.activeElement === document.querySelector('[data-action="edit"]')`), // the focus is back on Edit
	)
	// On a phone, the reset and delete buttons are in the first screenful.
	b.step("the client's page on a phone",
		phoneViewport,
		waitJS(`window.innerWidth === 390`),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		assertJS("Reset and Delete are in view without scrolling", `['reset-secret', 'delete'].every(function (a) {
			var r = document.querySelector('[data-action="' + a + '"]').getBoundingClientRect();
			return r.top >= 0 && r.bottom <= window.innerHeight;
		})`),
		assertJS("no sideways scrolling on a phone", `document.documentElement.scrollWidth <= window.innerWidth`),
		b.screenshot("client-phone"),
		desktopViewport,
		waitJS(`window.innerWidth === 1280`),
	)
	// On a phone, a confirmation takes the focus and is in view: the
	// button that asked for it must not look dead.
	for _, action := range []struct{ button, panel string }{
		{"reset-secret", "confirm-reset"}, {"delete", "confirm-delete"},
	} {
		b.step("a phone asks to "+action.button,
			phoneViewport,
			waitJS(`window.innerWidth === 390`),
			chromedp.Click(`[data-action="`+action.button+`"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="`+action.panel+`"]`, chromedp.ByQuery),
			waitJS(focusedIn(`[data-testid="`+action.panel+`"]`)),
			assertJS("the question is in view", inView(`[data-testid="`+action.panel+`"]`)),
			b.screenshot(action.panel+"-phone"),
			chromedp.Click(`[data-testid="`+action.panel+`"] a.btn-secondary`, chromedp.ByQuery), // Cancel
			chromedp.WaitNotPresent(`[data-testid="`+action.panel+`"]`, chromedp.ByQuery),
			desktopViewport,
			waitJS(`window.innerWidth === 1280`),
		)
	}
	b.step("reset the secret",
		chromedp.WaitVisible(`[data-action="reset-secret"]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Click(`[data-action="reset-secret"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-action="confirm-reset-secret"]`, chromedp.ByQuery),
		htmxSettled,
		waitJS(focusedIn(`[data-testid="confirm-reset"]`)),
		b.screenshot("confirm-reset"),
		chromedp.Click(`[data-action="confirm-reset-secret"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-secret]`, chromedp.ByQuery),
		waitJS(focusedIn(`[data-testid="secret-revealed"]`)),
		assertJS("the new secret is in view", inView(`[data-testid="secret-revealed"]`)),
		chromedp.Text(`[data-secret]`, &newSecret, chromedp.ByQuery),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		b.screenshot("secret-reset"),
	)
	newSecret = strings.TrimSpace(newSecret)
	if len(newSecret) < 16 || newSecret == secret {
		t.Fatalf("after reset: secret %q (the old one was %q)", newSecret, secret)
	}
	secure("GET /secure/client with the token from before the reset", token, 401)
	login("login with the old secret", secret, 401)
	token = login("login with the new secret", newSecret, 200)
	secure("GET /secure/client with the new token", token, 200)

	// An edit saved after those htmx changes keeps the status the page now
	// shows (Active): the edit form must not send back the status it was
	// loaded with (Suspended). Status has its own buttons; the form has none.
	b.try("the edit form carries no status to send back",
		assertJS("no status input in the edit form", `document.querySelector('[data-testid="client-form"] [name="status"]') === null`),
	)
	b.step("save an edit",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Click(`[data-action="edit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="client-form"]`, chromedp.ByQuery),
		// Opening the form moves the cursor to its first input: wait for it.
		waitJS(`document.activeElement === document.querySelector('[name="clientMeta.fullName"]')`),
		retype(inputNamed("clientMeta.city"), "Porto"),
		chromedp.Click(`[data-testid="submit"]`, chromedp.ByQuery),
		waitJS(`window.__notReloaded === undefined && document.querySelector('[data-testid="flash"]') !== null`),
		assertJS("the flash says saved", `document.querySelector('[data-testid="flash"]').textContent.includes("saved")`),
		assertJS("the city is saved", `document.querySelector('[name="clientMeta.city"]').value === "Porto"`),
		b.screenshot("client-saved"),
	)
	// "Changes saved." was about the edit: the next action takes it away.
	b.step("the next action clears the flash",
		chromedp.Click(`#status-panel [value="Inactive"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="confirm-status"]`, chromedp.ByQuery),
		assertJS("the flash is gone", `document.querySelector('[data-testid="flash"]') === null`),
		htmxSettled,
		chromedp.Click(`[data-action="cancel-status"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid="confirm-status"]`, chromedp.ByQuery),
	)
	r := srv.do("GET", "/admin/clients/"+id, adminToken, nil).expect(t, "GET /admin/clients/<id> after the edit", 200)
	r.fields(t, "GET /admin/clients/<id> after the edit", map[string]any{"clientMeta.city": "Porto", "status": "Active"})
	if got := srv.do("GET", "/secure/client", token, nil).status; got != 200 {
		t.Errorf("GET /secure/client after an edit that changed only the city: %d, want 200", got)
	}

	// 7. Delete.
	b.step("delete the client",
		chromedp.Click(`[data-action="delete"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-action="confirm-delete"]`, chromedp.ByQuery),
		hover(`[data-action="confirm-delete"]`),
		b.screenshot("confirm-delete"),
		chromedp.Click(`[data-action="confirm-delete"]`, chromedp.ByQuery),
		waitJS(`location.pathname === "/console/clients"`),
		chromedp.WaitVisible(`[data-testid="flash"]`, chromedp.ByQuery),
		assertJS("the flash names the client", fmt.Sprintf(
			`document.querySelector('[data-testid="flash"]').textContent.includes(%s)`, jsString(id))),
		assertJS("the client is gone from the list", fmt.Sprintf(`document.querySelector(%s) === null`, jsString(row))),
		assertJS("the others remain", rows+`.length === 3`),
		b.screenshot("deleted"),
	)
	login("login after delete", newSecret, 401)
	secure("GET /secure/client after delete", token, 401)
	srv.do("GET", "/admin/clients/"+id, adminToken, nil).expect(t, "GET /admin/clients/<id> after delete", 404)

	// The row's status button works for every valid clientId, one with a
	// dot included (its row's id is no plain CSS #selector).
	dotted := fmt.Sprintf(`tr[data-client-id=%s]`, jsString(dottedID))
	b.try("suspend, from its row, a client whose clientId has a dot",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		assertJS("the row says Active", badge(dotted)+` === "Active"`),
		chromedp.Click(dotted+` [data-action="toggle-status"]`, chromedp.ByQuery),
		chromedp.WaitVisible(dotted+` [data-action="cancel-status"]`, chromedp.ByQuery),
		htmxSettled,
		chromedp.Click(dotted+` [data-action="cancel-status"]`, chromedp.ByQuery),
		waitJS(`document.querySelector(`+jsString(dotted+` [data-action="cancel-status"]`)+`) === null`),
		assertJS("Cancel changed nothing", badge(dotted)+` === "Active"`),
		htmxSettled,
		chromedp.Click(dotted+` [data-action="toggle-status"]`, chromedp.ByQuery),
		chromedp.WaitVisible(dotted+` [data-action="confirm-status"]`, chromedp.ByQuery),
		htmxSettled,
		chromedp.Click(dotted+` [data-action="confirm-status"]`, chromedp.ByQuery),
		waitJS(badge(dotted)+` === "Suspended"`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
	)
	srv.do("GET", "/admin/clients/"+dottedID, adminToken, nil).expect(t, "GET /admin/clients/"+dottedID, 200).
		fields(t, "GET /admin/clients/"+dottedID, map[string]any{"status": "Suspended"})

	// The dashboard's activity list tells what was done.
	b.step("the dashboard",
		chromedp.Click(`[data-testid="nav-dashboard"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="activity"]`, chromedp.ByQuery),
		assertJS("on the dashboard", `location.pathname === "/console"`),
		b.screenshot("dashboard-after"),
	)
	for _, action := range []string{"client.created", "client.status_changed", "client.secret_reset", "client.updated", "client.deleted"} {
		b.try("the activity list shows "+action, assertJS(action+" listed", fmt.Sprintf(
			`document.querySelector('[data-testid="activity"] [data-event-action=%s]') !== null`, jsString(action))))
	}

	// The whole trail, filtered in place.
	b.step("the activity page",
		chromedp.Click(`[data-testid="all-activity"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="activity-filter"]`, chromedp.ByQuery),
		assertJS("on /console/activity", `location.pathname === "/console/activity"`),
		assertJS("the deleted client is not linked", fmt.Sprintf(
			`document.querySelector('[data-event-action="client.deleted"] a[data-testid="event-client"]') === null && %s.includes(%s)`,
			textOf(`[data-event-action="client.deleted"]`), jsString(id))),
		b.screenshot("activity"),
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.SetValue(`[data-testid="activity-kind"]`, "client.secret_reset", chromedp.ByQuery), // and its change event
		waitJS(`location.search.includes("kind=client.secret_reset")`),
		waitJS(`Array.from(document.querySelectorAll('[data-testid="event"]')).every(function (e) {
			return e.dataset.eventAction === "client.secret_reset";
		}) && document.querySelectorAll('[data-testid="event"]').length === 1`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		b.screenshot("activity-filtered"),
	)
	// By whom, with every kind again: what the admin did, and only that.
	b.step("the activity page by admin",
		chromedp.SetValue(`[data-testid="activity-kind"]`, "", chromedp.ByQuery),
		waitJS(`!location.search.includes("kind=")`),
		chromedp.SetValue(`[data-testid="activity-actor"]`, "admin:admin", chromedp.ByQuery),
		waitJS(`location.search.includes("actor=admin%3Aadmin")`),
		waitJS(`document.querySelectorAll('[data-testid="event"]').length > 1 &&
			Array.from(document.querySelectorAll('[data-testid="event-who"]')).every(function (w) {
				return w.textContent.trim() === "admin" && w.getAttribute("href") === "/console/activity?actor=admin%3Aadmin";
			})`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		phoneViewport,
		waitJS(`window.innerWidth === 390`),
		assertJS("no sideways scrolling on a phone", `document.documentElement.scrollWidth <= window.innerWidth`),
		b.screenshot("activity-by-admin-phone"),
		desktopViewport,
		waitJS(`window.innerWidth === 1280`),
	)

	// An address that matches nothing is a page with a way back, not JSON;
	// in the console it keeps the navigation.
	b.expect("status of 404 (Not Found) (" + base + "/no-such-page)")
	b.step("an unknown address",
		chromedp.Navigate(base+"/no-such-page"),
		chromedp.WaitVisible(`[data-testid="error-back"]`, chromedp.ByQuery),
		assertJS("the page says so", `document.title.includes("Page not found") && document.documentElement.lang === "en"`),
		b.screenshot("not-found"),
		chromedp.Click(`[data-testid="error-back"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="landing"]`, chromedp.ByQuery),
	)
	b.expect("status of 404 (Not Found) (" + base + "/console/no-such-page)")
	b.step("an unknown address in the console",
		chromedp.Navigate(base+"/console/no-such-page"),
		chromedp.WaitVisible(`[data-testid="error-back"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="nav-clients"]`, chromedp.ByQuery),
		b.screenshot("console-not-found"),
	)

	// 8. Sign out: the console is closed again.
	b.step("sign out",
		chromedp.Click(`[data-testid="sign-out"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="login-form"]`, chromedp.ByQuery),
		assertJS("on the sign-in page", `location.pathname === "/console/login"`),
		chromedp.WaitVisible(`[data-testid="flash"]`, chromedp.ByQuery),
		b.screenshot("signed-out"),
		chromedp.Navigate(base+"/console/clients"),
		chromedp.WaitVisible(`[data-testid="login-form"]`, chromedp.ByQuery),
		assertJS("the console asks to sign in again", `location.pathname === "/console/login"`),
	)

	// Events still in flight for the last page.
	_ = chromedp.Run(b.ctx, waitJS(`true`))
	for _, p := range b.takeProblems() {
		t.Errorf("at the end: %s", p)
	}
	logs := srv.stderr.String()
	for what, s := range map[string]string{"client secret": secret, "new client secret": newSecret, "admin password": adminPass} {
		if strings.Contains(logs+srv.stdout.String(), s) {
			t.Errorf("the %s appears in the server's output", what)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
	t.Logf("browser flow took %v; %d screenshots in %s", time.Since(began).Round(time.Millisecond), b.shot, dir)
}
