package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"switchboard/internal/switchboard"
)

// An owner resets an operator's password on the Team page: its session
// ends, the link is shown once, and the operator sets a new password with
// it and signs in with it and a recovery code. Then the owner resets the
// operator's two-factor sign-in, and the password alone signs in.
func TestConsole_TeamReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, nil)
	owner := s.signedIn(t)
	ops := s.teamMember(t, "ops", switchboard.RoleOperator)
	s.teamMember(t, "vic", switchboard.RoleViewer)
	setup, err := s.svc.SetupMFA(ctx, &switchboard.Admin{Username: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	recovery, err := s.svc.ConfirmMFA(ctx, &switchboard.Admin{Username: "ops"}, code, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	// Each row but the owner's own has Reset password; only where
	// two-factor is on, Reset two-factor.
	p := owner.get("/console/team").wantStatus(http.StatusOK)
	for _, tc := range []struct {
		username, twoFactor     string
		resetPassword, resetMFA int
	}{{"admin", "off", 0, 0}, {"ops", "on", 1, 1}, {"vic", "off", 1, 0}} {
		row := p.Doc.Find(`[data-testid="team-row"][data-username="` + tc.username + `"]`)
		if got := strings.TrimSpace(row.Find(`[data-testid="team-two-factor"]`).Text()); got != tc.twoFactor {
			t.Errorf("%s: two-factor %q, want %q", tc.username, got, tc.twoFactor)
		}
		if got := row.Find(`form[action="/console/team/` + tc.username + `/reset-password"] [data-action="reset-password"]`).Length(); got != tc.resetPassword {
			t.Errorf("%s: %d Reset password buttons, want %d", tc.username, got, tc.resetPassword)
		}
		if got := row.Find(`form[action="/console/team/` + tc.username + `/reset-mfa"] [data-action="reset-mfa"]`).Length(); got != tc.resetMFA {
			t.Errorf("%s: %d Reset two-factor buttons, want %d", tc.username, got, tc.resetMFA)
		}
	}
	p.Doc.Find(`form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
		if v, _ := f.Find(`input[name="_csrf"]`).Attr("value"); v != owner.csrf {
			action, _ := f.Attr("action")
			t.Errorf("form %s carries _csrf %q, want the session's", action, v)
		}
	})

	// Without the CSRF token: refused, and nothing changes.
	before := s.snapshot(t)
	for _, path := range []string{"/console/team/ops/reset-password", "/console/team/ops/reset-mfa"} {
		owner.post(path, url.Values{"_csrf": {"0f4a1d2e-0000-4000-8000-000000000000"}}).wantError(http.StatusForbidden)
	}
	if after := s.snapshot(t); after != before {
		t.Errorf("a refused reset changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// The reset: the link is shown once, from the request's base URL.
	p = owner.post("/console/team/ops/reset-password", url.Values{}).wantStatus(http.StatusOK)
	link, _ := p.testid("reset-url").Attr("value")
	token, ok := strings.CutPrefix(link, "http://example.com/console/invite/")
	if !ok || len(token) != 64 {
		t.Fatalf("reset-url = %q, want http://example.com/console/invite/<token>", link)
	}
	if got := strings.TrimSpace(p.Doc.Find(`[data-username="ops"] [data-testid="team-status"]`).Text()); got != "reset" {
		t.Errorf("ops's status = %q, want reset", got)
	}
	if owner.get("/console/team").wantStatus(http.StatusOK).testid("reset-url").Length() != 0 {
		t.Error("the reset link is shown again")
	}
	ops.get("/console").wantSignInRedirect("/console")
	if _, _, _, err := s.svc.LoginAdmin(ctx, "ops", "team-member-password", recovery[0], "192.0.2.1"); switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED {
		t.Errorf("the old password after the reset: %v, want EUNAUTHORIZED", err)
	}

	// The link sets the new password; the recovery code is still asked for.
	ops.get("/console/invite/" + token).wantStatus(http.StatusOK)
	ops.post("/console/invite/"+token, url.Values{"password": {"ops-new-long-password"}}).wantStatus(http.StatusSeeOther)
	ops.get("/console/login").wantStatus(http.StatusOK)
	ops.post("/console/login", url.Values{"username": {"ops"}, "password": {"ops-new-long-password"}}).wantStatus(http.StatusUnauthorized)
	ops.post("/console/login", url.Values{"username": {"ops"}, "password": {"ops-new-long-password"}, "code": {recovery[1]}}).
		wantStatus(http.StatusSeeOther)
	ops.get("/console").wantStatus(http.StatusOK)
	if e := s.events(t)[0]; e.Action != switchboard.EventAdminPasswordSet || e.Actor != switchboard.AdminActor("ops") {
		t.Errorf("latest event = %s by %s, want %s by ops", e.Action, e.Actor, switchboard.EventAdminPasswordSet)
	}

	// The two-factor reset ends ops's session; the password alone signs in.
	owner.get("/console/team").wantStatus(http.StatusOK)
	owner.post("/console/team/ops/reset-mfa", url.Values{}).wantStatus(http.StatusSeeOther)
	p = owner.get("/console/team").wantStatus(http.StatusOK)
	if got := strings.TrimSpace(p.Doc.Find(`[data-username="ops"] [data-testid="team-two-factor"]`).Text()); got != "off" {
		t.Errorf("ops's two-factor after the reset = %q, want off", got)
	}
	if st, err := s.store.MFAState(ctx, "ops"); err != nil || *st != (switchboard.MFAState{}) {
		t.Errorf("ops's two-factor state = %+v, %v; want nothing", st, err)
	}
	ops.get("/console").wantSignInRedirect("/console")
	ops.get("/console/login").wantStatus(http.StatusOK)
	ops.post("/console/login", url.Values{"username": {"ops"}, "password": {"ops-new-long-password"}}).wantStatus(http.StatusSeeOther)
	if e := s.events(t)[0]; e.Action != switchboard.EventAdminMFAReset || e.Actor != switchboard.AdminActor(adminUsername) || e.Detail != "ops" {
		t.Errorf("latest event = %s by %s %q, want %s by the owner", e.Action, e.Actor, e.Detail, switchboard.EventAdminMFAReset)
	}

	// Refusals the owner can act on are shown on the page, and change nothing.
	before = s.snapshot(t)
	p = owner.post("/console/team/admin/reset-password", url.Values{}).wantStatus(http.StatusConflict)
	if got := p.text("form-error"); got != "You cannot reset your own password: change it on your Security page." {
		t.Errorf("form-error = %q", got)
	}
	p = owner.post("/console/team/vic/reset-mfa", url.Values{}).wantStatus(http.StatusConflict)
	if got := p.text("form-error"); got != "Two-factor sign-in is not enabled." {
		t.Errorf("form-error = %q", got)
	}
	if after := s.snapshot(t); after != before {
		t.Errorf("a refused reset changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// The links are passwords until used: never logged.
	s.wantLogHoldsNone(t, token)

	// The Activity page names who did what to whom.
	owner.wantActivity(
		"admin reset the two-factor sign-in of ops",
		"ops set a new password",
		"admin reset the password of ops",
	)

	// With PUBLIC_BASE_URL set, the links start with it.
	s.pages.PublicBaseURL = "https://switchboard.example.net"
	p = owner.post("/console/team/vic/reset-password", url.Values{}).wantStatus(http.StatusOK)
	if link, _ := p.testid("reset-url").Attr("value"); !strings.HasPrefix(link, "https://switchboard.example.net/console/invite/") {
		t.Errorf("reset-url = %q, want it under PUBLIC_BASE_URL", link)
	}
	p = owner.post("/console/team", url.Values{"username": {"wes"}, "role": {"viewer"}}).wantStatus(http.StatusOK)
	if link, _ := p.testid("invite-url").Attr("value"); !strings.HasPrefix(link, "https://switchboard.example.net/console/invite/") {
		t.Errorf("invite-url = %q, want it under PUBLIC_BASE_URL", link)
	}
}
