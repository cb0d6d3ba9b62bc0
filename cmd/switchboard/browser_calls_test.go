package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The calls test drives the call pages in Chromium against the binary with
// SIMULATE_CALLS=1 (each call's made-up outcome arrives, as a signed
// webhook, SIMULATE_CALLS_DELAY after it is placed): the administrator
// reads the dashboard's chart, places a call from a client's page, watches
// it reach its outcome on the call's page without reloading it (htmx
// polling), reads its transcript and filters the calls list; then the
// client signs in, places a call from its own pages and sees its own calls
// only. Every new page is saved at 1280 and at 390 pixels wide.
//
// Its screenshots are NN-<what>.png in the calls folder of the console
// test's (see screenshotDir); a failure's goes there too.

// bothWidths saves the page at the desktop's width and at a phone's, where
// it must not scroll sideways, and comes back to the desktop.
func (c *browserTab) bothWidths(name string) chromedp.Action {
	return chromedp.Tasks{
		c.screenshot(name),
		phoneViewport,
		waitJS(`window.innerWidth === 390`),
		assertJS("no sideways scrolling on a phone", `document.documentElement.scrollWidth <= window.innerWidth`),
		c.screenshot(name + "-phone"),
		desktopViewport,
		waitJS(`window.innerWidth === 1280`),
	}
}

// finalStatus is a JavaScript expression for the status of the call on the
// page once it is final, "" before.
const finalStatus = `(['completed', 'failed'].includes(document.querySelector('[data-testid="call-detail"]')?.dataset.status) ? document.querySelector('[data-testid="call-detail"]').dataset.status : '')`

func TestBrowserCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test runs the binary and Chromium; skipped with -short")
	}
	ctx, srv, browserPath, began := startBrowserTest(t, "SIMULATE_CALLS=1", "SIMULATE_CALLS_DELAY=300ms")
	base := srv.base
	adminToken := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login", 200).str(t, "token")
	const annSecret, benSecret = "ann-secret-0123456789", "ben-secret-0123456789"
	for _, c := range []struct{ id, name, secret string }{{"ann", "Ann Archer", annSecret}, {"ben", "Ben Baker", benSecret}} {
		srv.do("POST", "/admin/clients", adminToken, map[string]any{
			"clientId": c.id, "clientSecret": c.secret,
			"clientMeta": map[string]string{"fullName": c.name, "email": c.id + "@example.com", "phone": "+14155550123", "businessName": c.name + " Ltd"},
			"agentId":    "agent_" + c.id, "twilioPhoneNumber": "+18005550100", "status": "Active",
		}).expect(t, "create "+c.id, 201)
	}
	// A call of Ben's, which Ann must never see.
	benCall := srv.do("POST", "/admin/clients/ben/make-call", adminToken, map[string]string{"phone": "+12125550777"}).
		expect(t, "a call for ben", 200).str(t, "callId")

	dir := screenshotDir(t, "calls")
	t.Logf("screenshots: %s", dir)
	bctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	b := newBrowserTab(bctx, t, browserPath, dir)

	b.step("sign in to the console",
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, adminPass, chromedp.ByQuery),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("dashboard-calls"), chromedp.ByQuery),
		pathIs("/console"),
	)
	b.selfCheck()

	// 1. The dashboard's chart: an SVG of bars drawn on the server.
	b.step("the dashboard's calls",
		assertJS("the chart is an SVG with bars", `document.querySelectorAll('[data-testid="calls-chart-svg"] rect').length > 0`),
		assertJS("the chart has a title", `document.querySelector('[data-testid="calls-chart-svg"]').getAttribute('role') === 'img' &&
			document.getElementById('calls-chart-title').textContent.includes('30 days')`),
		textIs(byTestID("calls-total")+" "+byTestID("count"), "1"),
		b.bothWidths("dashboard"),
	)

	// 2. Ann's page: the calling check, then place a call until one is
	// answered (the simulator fails one call in five, busy or unanswered),
	// each followed to its outcome on its page without a reload.
	b.step("open Ann's page",
		chromedp.Navigate(base+"/console/clients/ann"),
		chromedp.WaitVisible(byTestID("place-call"), chromedp.ByQuery),
		waitJS(`document.querySelector('[data-testid="calling-check"]').dataset.ready === 'true'`),
		textHas(byTestID("check-agent"), "Simulated agent"),
		b.bothWidths("client-calls"),
	)
	var status string
	for attempt := 1; status != "completed"; attempt++ {
		if attempt > 8 {
			t.Fatalf("8 simulated calls, none answered")
		}
		what := fmt.Sprintf("call %d", attempt)
		b.step(what+": place it from Ann's page",
			chromedp.Navigate(base+"/console/clients/ann"),
			chromedp.WaitVisible(`#place-call [name="phone"]`, chromedp.ByQuery),
			chromedp.SendKeys(`#place-call [name="phone"]`, "+12125550199", chromedp.ByQuery),
			chromedp.SendKeys(`#place-call [name="firstMessage"]`, "Hello <b>Ann</b>'s customer", chromedp.ByQuery),
			chromedp.Click(`[data-action="place-call"]`, chromedp.ByQuery),
			chromedp.WaitVisible(byTestID("call-placed"), chromedp.ByQuery),
		)
		if attempt == 1 {
			b.step("the confirmation", b.screenshot("call-placed"))
		}
		b.step(what+": follow it to its outcome",
			chromedp.Click(byTestID("placed-call-link"), chromedp.ByQuery),
			chromedp.WaitVisible(byTestID("call-detail"), chromedp.ByQuery),
			chromedp.Evaluate(`window.__notReloaded = true`, nil),
			waitJS(finalStatus+` !== ''`),
			assertJS("the page was not reloaded", `window.__notReloaded === true`),
			assertJS("the polling stopped", `!document.querySelector('[data-testid="call-detail"]').hasAttribute('hx-trigger')`),
			chromedp.Evaluate(finalStatus, &status),
		)
	}
	b.step("the answered call's transcript",
		assertJS("a conversation of four turns or more", `document.querySelectorAll('[data-testid="turn"]').length >= 4`),
		assertJS("agent and caller turns", `document.querySelector('[data-role="agent"]') !== null && document.querySelector('[data-role="user"]') !== null`),
		assertJS("the first message is text", `document.querySelector('[data-testid="turn-message"]').textContent === "Hello <b>Ann</b>'s customer" &&
			document.querySelector('[data-testid="transcript"] b') === null`),
		textIs(byTestID("turn-time"), "0:00"),
		assertJS("marked simulated", `document.querySelector('[data-testid="simulated-badge"]') !== null`),
		textHas(byTestID("call-summary"), "Simulated call"),
		b.bothWidths("call"),
	)

	// 3. The calls list: every call, then only the completed ones, then
	// the ones to a number typed as people type it; the address follows.
	rows := `document.querySelectorAll('[data-testid="call-row"]')`
	b.step("the calls list",
		chromedp.Click(byTestID("nav-calls"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("calls-table"), chromedp.ByQuery),
		pathIs("/console/calls"),
		assertJS("Ben's call is listed", fmt.Sprintf(`document.querySelector('[data-call-id=%s]') !== null`, jsString(benCall))),
		b.bothWidths("calls"),
	)
	b.step("filter by status, live",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.SetValue(byTestID("call-status-filter"), "completed", chromedp.ByQuery),
		waitJS(`location.search.includes('status=completed') && `+rows+`.length > 0 && [...`+rows+`].every(r => r.dataset.status === 'completed')`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
	)
	b.step("search by the number called",
		chromedp.SetValue(byTestID("call-status-filter"), "", chromedp.ByQuery),
		chromedp.SendKeys(byTestID("number-filter"), "1 (212) 555-0777", chromedp.ByQuery),
		waitJS(`location.search.includes('number=%2B12125550777') && !location.search.includes('status=completed') && `+rows+`.length === 1 && `+
			rows+`[0].dataset.callId === `+jsString(benCall)),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		b.bothWidths("calls-filtered"),
	)
	b.step("reload the filtered list",
		chromedp.Reload(),
		chromedp.WaitVisible(byTestID("calls-table"), chromedp.ByQuery),
		assertJS("the same single call", rows+`.length === 1 && `+rows+`[0].dataset.callId === `+jsString(benCall)),
		assertJS("the filter keeps the number", `document.querySelector('[data-testid="number-filter"]').value === "+12125550777"`),
	)

	// 4. Ann signs in to her account pages (their own cookie: the console's
	// session is not theirs), places a call and sees her own calls only.
	b.step("Ann signs in",
		chromedp.Navigate(base+"/account/login"),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#clientId`, "ann", chromedp.ByQuery),
		chromedp.SendKeys(`#clientSecret`, annSecret, chromedp.ByQuery),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("account-calls"), chromedp.ByQuery),
		pathIs("/account"),
		assertJS("the overview counts her calls", `Number(document.querySelector('[data-testid="account-calls"] [data-testid="stat-total"]').textContent) >= 1`),
		b.bothWidths("account-overview"),
	)
	b.step("Ann's calls",
		chromedp.Click(byTestID("nav-calls"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("place-call"), chromedp.ByQuery),
		pathIs("/account/calls"),
		assertJS("her calls only", rows+`.length >= 1 && [...`+rows+`].every(r => r.querySelector('a').getAttribute('href').startsWith('/account/calls/call_'))`),
		assertJS("not Ben's", fmt.Sprintf(`document.querySelector('[data-call-id=%s]') === null`, jsString(benCall))),
		b.bothWidths("account-calls"),
	)
	b.step("Ann places a call",
		chromedp.SendKeys(`#place-call [name="phone"]`, "+12125550123", chromedp.ByQuery),
		chromedp.Click(`[data-action="place-call"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("call-placed"), chromedp.ByQuery),
		chromedp.Click(byTestID("placed-call-link"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("call-detail"), chromedp.ByQuery),
		waitJS(`location.pathname.startsWith('/account/calls/call_')`),
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		waitJS(finalStatus+` !== ''`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		b.bothWidths("account-call"),
	)
	var calls int
	b.step("the new call is in Ann's list",
		chromedp.Click(byTestID("nav-calls"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("calls-table"), chromedp.ByQuery),
		chromedp.Evaluate(rows+`.length`, &calls),
		assertJS("not Ben's", fmt.Sprintf(`document.querySelector('[data-call-id=%s]') === null`, jsString(benCall))),
	)
	if want := srv.do("GET", "/admin/clients/ann/calls", adminToken, nil).expect(t, "ann's calls", 200).get("total"); float64(calls) != want {
		t.Errorf("Ann's list shows %d calls; the API counts %v", calls, want)
	}
	b.expect("404 (Not Found)")
	b.step("Ben's call from Ann's account is not found",
		chromedp.Navigate(base+"/account/calls/"+benCall),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		textHas(`h1`, "not found"),
		assertJS("nothing of Ben's call", `!document.body.textContent.includes('+12125550777')`),
	)

	for _, p := range b.takeProblems() {
		t.Errorf("at the end: %s", p)
	}
	if logs := srv.stderr.String(); strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
	t.Logf("browser flow took %v; %d screenshots in %s", time.Since(began).Round(time.Millisecond), b.shot, dir)
}
