package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestBrowserTeam walks a team in Chromium, in two browsers that share
// nothing: the owner (the admin from the environment) invites an operator
// on the Team page; the operator opens the link, chooses a password, signs
// in, turns on two-factor sign-in by reading the secret from the Security
// page and computing a code, signs out, and signs in again with password
// and a fresh code. The owner's Team page is saved at both widths (on a
// phone, without sideways scrolling). The owner resets the operator's
// password: the operator's session ends, the old password is refused, and
// the operator sets a new one from the link and signs in with it and a
// code. The owner then makes it a viewer, and the viewer's client page
// shows no Suspend or Delete button; the viewer changes its own password
// on the Security page and stays signed in. Last, the owner requires two-factor
// sign-in of the team from the Security page: the owner, without it, is
// sent back there from any other page, and refused by the JSON API; the
// viewer, with it, goes on.
func TestBrowserTeam(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test runs the binary and Chromium; skipped with -short")
	}
	ctx, srv, browserPath, began := startBrowserTest(t)
	base := srv.base
	adminToken := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login over the API", 200).str(t, "token")
	const clientID = "team_1"
	srv.do("POST", "/admin/clients", adminToken, map[string]any{
		"clientId": clientID,
		"clientMeta": map[string]string{
			"fullName": "Tess Team", "email": "tess@example.com", "phone": "+14155550123", "businessName": "Team Co",
		},
		"agentId": "agent_team", "twilioPhoneNumber": "+18005550100", "status": "Active",
	}).expect(t, "create a client", 201)

	// Up to one TOTP step more: the sign-in after the reset waits for the
	// server to accept the code of the step after the last one used.
	bctx, cancel := context.WithTimeout(ctx, browserTimeout+30*time.Second)
	defer cancel()
	owner := newBrowserTab(bctx, t, browserPath, screenshotDir(t, "team", "owner"))
	op := newBrowserTab(bctx, t, browserPath, screenshotDir(t, "team", "operator"))
	const username, password = "olga", "olga-long-password"

	var inviteURL string
	owner.step("owner: sign in and invite an operator",
		chromedp.Navigate(base+"/console/login"),
		consoleSignIn("admin", adminPass, ""),
		chromedp.Click(byTestID("team-link"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("invite-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#invite-username`, username, chromedp.ByQuery),
		chromedp.SetValue(`#invite-role`, "operator", chromedp.ByQuery),
		chromedp.Click(`[data-action="invite"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("invite-url"), chromedp.ByQuery),
		chromedp.Value(byTestID("invite-url"), &inviteURL, chromedp.ByQuery),
	)

	op.step("operator: accept the invitation and sign in",
		chromedp.Navigate(inviteURL),
		chromedp.WaitVisible(byTestID("accept-invite-form"), chromedp.ByQuery),
		op.screenshot("accept-invite"),
		chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
		chromedp.Click(`[data-action="accept-invite"]`, chromedp.ByQuery),
		consoleSignIn(username, password, ""),
	)
	var secret string
	op.step("operator: set up two-factor sign-in from the Security page",
		chromedp.Click(byTestID("security-link"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("mfa-status"), chromedp.ByQuery),
		assertJS("two-factor is off", `document.querySelector('[data-testid="mfa-status"]').dataset.enabled === "false"`),
		op.screenshot("security-off"),
		chromedp.Click(`[data-action="setup-mfa"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("mfa-secret"), chromedp.ByQuery),
		assertJS("the QR code is a PNG that loaded", `(function () {
			var img = document.querySelector('[data-testid="mfa-qr"]');
			return img.src.startsWith('data:image/png;base64,') && img.complete && img.naturalWidth > 0;
		})()`),
		chromedp.Text(byTestID("mfa-secret"), &secret, chromedp.ByQuery),
		op.screenshot("security-setup"),
	)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("code for the secret %q the page showed: %v", secret, err)
	}
	op.step("operator: confirm with a first code",
		chromedp.SendKeys(`#mfa-code`, code, chromedp.ByQuery),
		chromedp.Click(`[data-action="confirm-mfa"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("recovery-codes"), chromedp.ByQuery),
		assertJS("ten recovery codes", `document.querySelectorAll('[data-testid="recovery-code"]').length === 10`),
		assertJS("two-factor is on", `document.querySelector('[data-testid="mfa-status"]').dataset.enabled === "true"`),
		op.screenshot("recovery-codes"),
		chromedp.Click(byTestID("sign-out"), chromedp.ByQuery),
	)
	// The first code's step is used up (a replay is refused): the code of
	// the next 30 s step, which the server accepts a step early.
	fresh := time.Now().Add(30 * time.Second)
	op.step("operator: sign in with password and a fresh code",
		consoleSignIn(username, password, codeAt(t, secret, fresh)),
		textIs(byTestID("signed-in-as"), username),
	)

	row := `[data-testid="team-row"][data-username="` + username + `"] `
	own := `[data-testid="team-row"][data-username="admin"] `
	owner.step("owner: the Team page, at both widths",
		chromedp.Navigate(base+"/console/team"),
		chromedp.WaitVisible(row+`[data-action="reset-password"]`, chromedp.ByQuery),
		textIs(row+byTestID("team-two-factor"), "on"),
		textIs(own+byTestID("team-two-factor"), "off"),
		assertJS("no reset buttons on the owner's own row", `document.querySelector('`+own+`[data-action^="reset-"]') === null`),
		owner.bothWidths("team"),
	)

	var resetURL string
	owner.step("owner: reset the operator's password",
		chromedp.Click(row+`[data-action="reset-password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("reset-url"), chromedp.ByQuery),
		chromedp.Value(byTestID("reset-url"), &resetURL, chromedp.ByQuery),
		textIs(row+byTestID("team-status"), "reset"),
		owner.bothWidths("team-reset"),
	)
	op.expect("status of 401 (Unauthorized) (" + base + "/console/login)")
	op.step("operator: signed out, and the old password is refused",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		pathIs("/console/login"),
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("form-error"), chromedp.ByQuery),
		pathIs("/console/login"),
	)
	const newPassword = "olga-new-long-password"
	op.step("operator: set a new password from the link",
		chromedp.Navigate(resetURL),
		chromedp.WaitVisible(byTestID("accept-invite-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#password`, newPassword, chromedp.ByQuery),
		chromedp.Click(`[data-action="accept-invite"]`, chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
	)
	op.step("operator: sign in with the new password and a code",
		consoleSignIn(username, newPassword, codeAfter(t, secret, fresh)),
		textIs(byTestID("signed-in-as"), username),
	)

	owner.step("owner: make the operator a viewer",
		chromedp.Navigate(base+"/console/team"),
		chromedp.WaitVisible(row+`select[name="role"]`, chromedp.ByQuery),
		chromedp.SetValue(row+`select[name="role"]`, "viewer", chromedp.ByQuery),
		chromedp.Click(row+`[data-action="set-role"]`, chromedp.ByQuery),
		// The redirect's page says so, with the role as now stored.
		waitJS(`document.body.innerText.includes('`+username+` changed.')`),
		assertJS("the role is viewer", `document.querySelector('`+row+`option[value="viewer"]').selected`),
	)
	op.step("viewer: the client's page has no Suspend or Delete button",
		chromedp.Navigate(base+"/console/clients/"+clientID),
		chromedp.WaitVisible(byTestID("client-title"), chromedp.ByQuery),
		assertJS("no Suspend or Delete", `![...document.querySelectorAll('a, button')].some(
			e => ['Suspend', 'Delete'].includes(e.textContent.trim()))`),
		op.screenshot("viewer-client"),
	)
	op.step("viewer: change its own password on the Security page, and stay signed in",
		chromedp.Navigate(base+"/console/security"),
		chromedp.WaitVisible(byTestID("password-form"), chromedp.ByQuery),
		chromedp.SendKeys(`#f-currentPassword`, newPassword, chromedp.ByQuery),
		chromedp.SendKeys(`#f-newPassword`, "olga-third-long-password", chromedp.ByQuery),
		chromedp.Click(`[data-action="change-password"]`, chromedp.ByQuery),
		waitJS(`document.body.innerText.includes('Your password is changed; your other sessions have ended.')`),
		pathIs("/console/security"),
		op.screenshot("password-changed"),
	)
	owner.step("owner: require two-factor sign-in of every administrator",
		chromedp.Navigate(base+"/console/security"),
		chromedp.WaitVisible(byTestID("team-mfa-form"), chromedp.ByQuery),
		chromedp.Click(`[data-action="require-mfa"]`, chromedp.ByQuery),
		waitJS(`document.body.innerText.includes('Two-factor sign-in is now required of every administrator')`),
		owner.screenshot("team-mfa-required"),
		chromedp.Navigate(base+"/console/clients"),
		chromedp.WaitVisible(byTestID("mfa-required"), chromedp.ByQuery),
		pathIs("/console/security"),
	)
	srv.do("GET", "/admin/clients", adminToken, nil).expect(t, "the owner without two-factor over the API", 403).
		fields(t, "the owner without two-factor over the API", map[string]any{"mfaSetupRequired": true})
	op.step("viewer: with two-factor on, not held",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(byTestID("count-total"), chromedp.ByQuery),
		pathIs("/console"),
	)
	t.Logf("team flow: %v", time.Since(began).Round(time.Millisecond))
}

// consoleSignIn fills the console's sign-in form on the page (the code
// only when given) and waits for the dashboard.
func consoleSignIn(username, password, code string) chromedp.Tasks {
	tasks := chromedp.Tasks{
		chromedp.WaitVisible(byTestID("login-form"), chromedp.ByQuery),
		pathIs("/console/login"),
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
	}
	if code != "" {
		tasks = append(tasks, chromedp.SendKeys(`#code`, code, chromedp.ByQuery))
	}
	return append(tasks,
		chromedp.Click(byTestID("sign-in"), chromedp.ByQuery),
		chromedp.WaitVisible(byTestID("count-total"), chromedp.ByQuery),
		pathIs("/console"),
	)
}

// codeAt is secret's TOTP code for the time step of at.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// codeAfter is a code of secret the server will accept after it accepted
// the one of used's step: a replay is refused, so it is the code of the
// step after used's, and it waits, up to a step, until the server's
// clock (a step of skew allowed) accepts that one.
func codeAfter(t *testing.T, secret string, used time.Time) string {
	t.Helper()
	next := used.Truncate(30 * time.Second).Add(30 * time.Second)
	if wait := time.Until(next.Add(-30*time.Second + time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	return codeAt(t, secret, next)
}
