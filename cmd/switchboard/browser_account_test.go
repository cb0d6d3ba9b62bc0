package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The account test drives the client's own pages (/account) in Chromium,
// with two people in two browsers that share nothing (each its own
// process, profile and cookies): an administrator who creates the client
// and later suspends it from the console, and the client who signs in,
// edits its profile, issues an API token and changes its secret. What the
// pages do is checked against the JSON API from Go.
//
// Its screenshots are account-NN-<what>.png in the folder of the console
// test's (see screenshotDir); a failure's screenshot goes to
// account-failures/admin or account-failures/client beside them.

// accountShots numbers the screenshots of both browsers in the order the
// flow takes them.
type accountShots struct {
	t   *testing.T
	dir string
	n   int
}

// accountScreenshots returns the screenshot numbering, with an earlier
// run's account screenshots and failure folders removed, and the failure
// folder of each of the two browsers (removed again at the end when empty).
func accountScreenshots(t *testing.T) (shots *accountShots, adminFailures, clientFailures string) {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "switchboard-screenshots")
	}
	old, _ := filepath.Glob(filepath.Join(dir, "account-[0-9][0-9]-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	failures := filepath.Join(dir, "account-failures")
	if err := os.RemoveAll(failures); err != nil {
		t.Fatal(err)
	}
	adminFailures, clientFailures = filepath.Join(failures, "admin"), filepath.Join(failures, "client")
	for _, d := range []string{adminFailures, clientFailures} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// Only empty folders go; a failure's screenshot stays.
		os.Remove(adminFailures)
		os.Remove(clientFailures)
		os.Remove(failures)
	})
	return &accountShots{t: t, dir: dir}, adminFailures, clientFailures
}

// take saves the whole page of the browser it runs in as the next numbered
// PNG, and checks it with axe-core at both widths (see checkAccessibility).
func (s *accountShots) take(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		s.n++
		if err := os.WriteFile(filepath.Join(s.dir, fmt.Sprintf("account-%02d-%s.png", s.n, name)), png, 0o644); err != nil {
			return err
		}
		return checkAccessibility(s.t, "account "+name).Do(ctx)
	})
}

// byTestID is the CSS selector of the element with that data-testid.
func byTestID(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// textOf is a JavaScript expression for the trimmed text of the first
// element sel matches, "" when there is none.
func textOf(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent.trim() ?? '')`, jsString(sel))
}

// valueOf is a JavaScript expression for the value of the input named name.
func valueOf(name string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.value ?? null)`, jsString(inputNamed(name)))
}

// textIs checks the trimmed text of the element sel matches.
func textIs(sel, want string) chromedp.Action {
	return assertJS(sel+" says "+want, fmt.Sprintf(`%s === %s`, textOf(sel), jsString(want)))
}

// textHas checks that the element sel matches contains want.
func textHas(sel, want string) chromedp.Action {
	return assertJS(sel+" contains "+want, fmt.Sprintf(`%s.includes(%s)`, textOf(sel), jsString(want)))
}

// pathIs checks the page's path.
func pathIs(path string) chromedp.Action {
	return assertJS("on "+path, fmt.Sprintf(`location.pathname === %s`, jsString(path)))
}

// TestBrowserAccount walks a client's account pages in Chromium: an
// administrator creates the client in the console; the client signs in from
// the landing page (after a refused attempt), fixes a refused profile edit,
// issues an API token without a page load and uses it from Go, changes its
// secret (which ends the old token and secret but not its own session);
// then the administrator suspends it from another browser, and the client's
// next click signs it out with a message saying why. The pages may not
// throw, log errors, open dialogs or break their CSP.
func TestBrowserAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test runs the binary and Chromium; skipped with -short")
	}
	ctx, srv, browserPath, began := startBrowserTest(t)
	base := srv.base
	adminToken := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login over the API", 200).str(t, "token")

	shots, adminFailures, clientFailures := accountScreenshots(t)
	t.Logf("screenshots: %s/account-*.png", shots.dir)
	bctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	// Two browsers, so two people: nothing, cookies included, is shared.
	admin := newBrowserTab(bctx, t, browserPath, adminFailures)
	client := newBrowserTab(bctx, t, browserPath, clientFailures)

	// 1. The administrator signs in and creates the client; the page shows
	// its generated clientId and secret once.
	const (
		fullName     = "Dora Dialer"
		email        = "dora@example.com"
		phone        = "+14155550123"
		business     = "Dialer & Daughters"
		agentID      = "agent_dora_01"
		twilioNumber = "+18005550142"
		badPhone     = "12345"
		newPhone     = "+14155550199"
		city         = "Oakland"
	)
	admin.step("admin: open the console's sign-in page",
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
	)
	admin.selfCheck()
	admin.step("admin: sign in",
		chromedp.Reload(),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, adminPass, chromedp.ByQuery),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("count-total"), chromedp.ByQuery),
		pathIs("/console"),
	)
	fill := chromedp.Tasks{}
	for _, v := range [][2]string{
		{"clientMeta.fullName", fullName},
		{"clientMeta.email", email},
		{"clientMeta.phone", phone},
		{"clientMeta.businessName", business},
		{"agentId", agentID},
		{"twilioPhoneNumber", twilioNumber},
	} {
		fill = append(fill, chromedp.SendKeys(inputNamed(v[0]), v[1], chromedp.ByQuery))
	}
	var secret, id string
	admin.step("admin: create the client",
		chromedp.Click(byTestID("nav-new-client"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("client-form"), chromedp.ByQuery),
		pathIs("/console/clients/new"),
		assertJS("clientId is left empty, to be generated", valueOf("clientId")+` === ""`),
		assertJS("clientSecret is left empty, to be generated", valueOf("clientSecret")+` === ""`),
		fill,
		chromedp.SetValue(`select[name="status"]`, "Active", chromedp.ByQuery),
		chromedp.Click(byTestID("submit"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-secret]`, &secret, chromedp.ByQuery),
		chromedp.Text(byTestID("revealed-client-id"), &id, chromedp.ByQuery),
		shots.take("admin-client-created"),
	)
	secret, id = strings.TrimSpace(secret), strings.TrimSpace(id)
	if len(secret) < 16 || id == "" {
		t.Fatalf("after create: secret %q, client id %q", secret, id)
	}

	login := func(what, secret string, status int) string {
		t.Helper()
		r := srv.do("POST", "/auth/login", "", map[string]string{"clientId": id, "clientSecret": secret}).expect(t, what, status)
		if status != 200 {
			r.fields(t, what, map[string]any{"error": invalidCredentials})
			return ""
		}
		return r.str(t, "token")
	}
	secure := func(what, token string, status int) response {
		t.Helper()
		return srv.do("GET", "/secure/client", token, nil).expect(t, what, status)
	}

	// 2. The client comes in through the landing page; a wrong secret is
	// refused with the document's message, the right one opens the account.
	client.step("client: open the landing page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(byTestID("client-sign-in-link"), chromedp.ByQuery),
	)
	client.selfCheck()
	client.step("client: the landing page",
		chromedp.Reload(),
		chromedp.WaitVisible(byTestID("client-sign-in-link"), chromedp.ByQuery),
		shots.take("landing"),
	)
	client.step("client: follow Client sign-in",
		chromedp.Click(byTestID("client-sign-in-link"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		pathIs("/account/login"),
	)
	// The refused sign-in comes back as 401, which the browser logs.
	client.expect("status of 401 (Unauthorized) (" + base + "/account/login)")
	client.step("client: sign in with a wrong secret",
		chromedp.SendKeys(`#clientId`, id, chromedp.ByQuery),
		chromedp.SendKeys(`#clientSecret`, "not-the-secret-at-all", chromedp.ByQuery),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("form-error"), chromedp.ByQuery),
		pathIs("/account/login"),
		textHas(byTestID("form-error"), invalidCredentials),
		assertJS("the client ID is kept", fmt.Sprintf(`document.querySelector('#clientId').value === %s`, jsString(id))),
		assertJS("the secret typed is not sent back", `document.querySelector('#clientSecret').value === ""`),
		shots.take("login-refused"),
	)
	client.step("client: sign in",
		retype(`#clientId`, id),
		retype(`#clientSecret`, secret),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("account-title"), chromedp.ByQuery),
		pathIs("/account"),
		textIs(byTestID("account-title"), fullName),
		textIs(byTestID("signed-in-as"), id),
		textIs(byTestID("account-status"), "Active"),
		textIs(byTestID("detail-client-id"), id),
		textIs(byTestID("detail-agent-id"), agentID),
		textIs(byTestID("detail-twilio"), twilioNumber),
		textIs(byTestID("profile-businessName"), business),
		textIs(byTestID("profile-phone"), phone),
		assertJS("Overview is the current page", `document.querySelector('[data-testid="nav-overview"]').getAttribute('aria-current') === 'page'`),
		shots.take("overview"),
	)

	// 3. Profile: a bad phone is refused next to its field, keeping what
	// was typed; a good one is saved.
	kept := chromedp.Tasks{}
	for name, want := range map[string]string{
		"clientMeta.fullName": fullName, "clientMeta.email": email, "clientMeta.businessName": business,
		"clientMeta.city": city, "clientMeta.phone": badPhone,
	} {
		kept = append(kept, assertJS(name+" kept", fmt.Sprintf(`%s === %s`, valueOf(name), jsString(want))))
	}
	client.step("client: open the profile",
		chromedp.Click(byTestID("nav-profile"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("profile-form"), chromedp.ByQuery),
		pathIs("/account/profile"),
		assertJS("the form holds the phone", valueOf("clientMeta.phone")+` === `+jsString(phone)),
		assertJS("no agent or Twilio inputs", `document.querySelector('[name="agentId"], [name="twilioPhoneNumber"]') === null`),
	)
	client.expect("status of 422 (Unprocessable Entity) (" + base + "/account/profile)")
	client.step("client: save a bad phone",
		retype(inputNamed("clientMeta.city"), city),
		retype(inputNamed("clientMeta.phone"), badPhone),
		chromedp.Click(byTestID("submit"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="field-error"][data-field="clientMeta.phone"]`, chromedp.ByQuery),
		pathIs("/account/profile"),
		kept,
		assertJS("only the phone is marked", `document.querySelectorAll('[data-testid="field-error"]').length === 1`),
		assertJS("the phone input is aria-invalid",
			`document.querySelector('[name="clientMeta.phone"]').getAttribute('aria-invalid') === 'true'`),
		chromedp.WaitVisible(byTestID("form-error"), chromedp.ByQuery),
		shots.take("profile-error"),
	)
	client.step("client: save a good phone",
		retype(inputNamed("clientMeta.phone"), newPhone),
		chromedp.Click(byTestID("submit"), chromedp.ByQuery),
		waitJS(`location.pathname === "/account" && document.querySelector('[data-testid="flash"]') !== null`),
		textIs(byTestID("flash"), "Profile saved."),
		textIs(byTestID("profile-phone"), newPhone),
		textIs(byTestID("profile-city"), city),
		textIs(byTestID("profile-email"), email),
		shots.take("profile-saved"),
	)
	client.step("client: the overview on a phone",
		phoneViewport,
		waitJS(`window.innerWidth === 390`),
		assertJS("no sideways scrolling on a phone", `document.documentElement.scrollWidth <= window.innerWidth`),
		shots.take("overview-phone"),
		desktopViewport,
		waitJS(`window.innerWidth === 1280`),
	)
	srv.do("GET", "/admin/clients/"+id, adminToken, nil).expect(t, "GET /admin/clients/<id> after the profile edit", 200).
		fields(t, "GET /admin/clients/<id> after the profile edit", map[string]any{
			"clientMeta.phone": newPhone, "clientMeta.city": city, "clientMeta.fullName": fullName,
			"agentId": agentID, "status": "Active",
		})

	// 4. API access: a token issued in place by htmx, which works from Go.
	client.step("client: open API access",
		chromedp.Click(byTestID("nav-api"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-action="issue-token"]`, chromedp.ByQuery),
		pathIs("/account/api"),
		assertJS("no token yet", `document.querySelector('[data-testid="api-token"]') === null`),
		assertJS("Sign out everywhere, which asks first, is a light button",
			`getComputedStyle(document.querySelector('[data-action="sign-out-everywhere"]')).backgroundColor === 'rgb(255, 255, 255)'`),
	)
	var token string
	client.step("client: issue an API token",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Click(`[data-action="issue-token"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#token-panel [data-testid="api-token"]`, chromedp.ByQuery),
		waitJS(focusedIn(byTestID("token-revealed"))), // the token shown takes the focus
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		assertJS("the URL did not change", fmt.Sprintf(`location.href === %s`, jsString(base+"/account/api"))),
		chromedp.Text(byTestID("api-token"), &token, chromedp.ByQuery),
		shots.take("api-token"),
	)
	token = strings.TrimSpace(token)
	if token == "" {
		t.Fatal("the API access page showed an empty token")
	}
	client.step("client: the token's curl line",
		assertJS("the curl line has the token", fmt.Sprintf(`%s.includes(%s)`, textOf(byTestID("curl-secure-client")), jsString(token))),
	)
	secure("GET /secure/client with the token from the page", token, 200).
		fields(t, "GET /secure/client with the token from the page", map[string]any{
			"clientId": id, "clientMeta.phone": newPhone, "status": "Active",
		})

	// 5. Change the secret: the new one is shown once; the old secret and
	// token stop working; this browser stays signed in.
	var newSecret string
	client.step("client: open Secret",
		chromedp.Click(byTestID("nav-secret"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("secret-form"), chromedp.ByQuery),
		pathIs("/account/secret"),
	)
	client.step("client: change the secret to a generated one",
		chromedp.SendKeys(inputNamed("currentSecret"), secret, chromedp.ByQuery),
		assertJS("newSecret is left empty", valueOf("newSecret")+` === ""`),
		chromedp.Click(byTestID("submit"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-secret]`, chromedp.ByQuery),
		chromedp.Text(`[data-secret]`, &newSecret, chromedp.ByQuery),
		textIs(byTestID("revealed-client-id"), id),
		shots.take("secret-changed"),
	)
	newSecret = strings.TrimSpace(newSecret)
	if len(newSecret) < 16 || newSecret == secret {
		t.Fatalf("after the change: secret %q (the old one was %q)", newSecret, secret)
	}
	client.step("client: the secret's curl line",
		assertJS("the curl line has the new secret", fmt.Sprintf(`%s.includes(%s)`, textOf(byTestID("login-curl")), jsString(newSecret))),
	)
	secure("GET /secure/client with the token from before the change", token, 401)
	login("login with the old secret", secret, 401)
	newToken := login("login with the new secret", newSecret, 200)
	secure("GET /secure/client with the new secret's token", newToken, 200)
	client.step("client: still signed in",
		chromedp.Click(byTestID("nav-overview"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("account-title"), chromedp.ByQuery),
		pathIs("/account"),
		textIs(byTestID("account-title"), fullName),
	)

	// 6. The administrator suspends the client from its page, in place.
	badge := textOf(`#status-panel [data-testid="status-badge"]`)
	admin.step("admin: open the client's page",
		chromedp.Click(byTestID("client-link"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("status-panel"), chromedp.ByQuery),
		pathIs("/console/clients/"+id),
		assertJS("the panel says Active", badge+` === "Active"`),
		assertJS("the form shows the client's new phone", valueOf("clientMeta.phone")+` === `+jsString(newPhone)),
	)
	admin.step("admin: suspend the client",
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Click(`#status-panel button[data-action="toggle-status"][value="Suspended"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-action="confirm-status"]`, chromedp.ByQuery),
		htmxSettled,
		assertJS("asking changed nothing yet", badge+` === "Active"`),
		shots.take("admin-confirm-suspend"),
		chromedp.Click(`[data-action="confirm-status"]`, chromedp.ByQuery),
		waitJS(badge+` === "Suspended"`),
		assertJS("the question is gone", `document.querySelector('[data-testid="confirm-status"]') === null`),
		assertJS("the page was not reloaded", `window.__notReloaded === true`),
		shots.take("admin-suspended"),
	)
	srv.do("GET", "/admin/clients/"+id, adminToken, nil).expect(t, "GET /admin/clients/<id> after the suspension", 200).
		fields(t, "GET /admin/clients/<id> after the suspension", map[string]any{"status": "Suspended"})
	secure("GET /secure/client while suspended", newToken, 401)

	// 7. The client's next click signs it out, saying why; signing in again
	// is refused.
	client.step("client: follow a link while suspended",
		chromedp.Click(byTestID("nav-profile"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		pathIs("/account/login"),
		chromedp.WaitVisible(byTestID("flash"), chromedp.ByQuery),
		textHas(byTestID("flash"), "inactive or suspended"),
		assertJS("no account navigation", `document.querySelector('[data-testid="nav-overview"]') === null`),
		shots.take("signed-out-inactive"),
	)
	client.try("client: the sign-in page brings it back to the page it asked for",
		assertJS("next is the profile", `document.querySelector('input[name="next"]').value === "/account/profile"`),
	)
	client.expect("status of 401 (Unauthorized) (" + base + "/account/login)")
	client.step("client: sign in while suspended",
		retype(`#clientId`, id),
		retype(`#clientSecret`, newSecret),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("form-error"), chromedp.ByQuery),
		pathIs("/account/login"),
		textHas(byTestID("form-error"), invalidCredentials),
		shots.take("login-suspended"),
	)
	client.step("client: the account stays closed",
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		pathIs("/account/login"),
	)

	// Events still in flight for the last pages.
	for who, tab := range map[string]*browserTab{"admin": admin, "client": client} {
		_ = chromedp.Run(tab.ctx, waitJS(`true`))
		for _, p := range tab.takeProblems() {
			t.Errorf("%s, at the end: %s", who, p)
		}
	}
	logs := srv.stderr.String()
	for what, s := range map[string]string{
		"client secret": secret, "new client secret": newSecret, "API token": token, "admin password": adminPass,
	} {
		if strings.Contains(logs+srv.stdout.String(), s) {
			t.Errorf("the %s appears in the server's output", what)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
	t.Logf("account flow took %v; %d screenshots in %s", time.Since(began).Round(time.Millisecond), shots.n, shots.dir)
}
