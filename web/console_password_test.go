package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"switchboard/internal/switchboard"
)

const newAdminPassword = "a-new-long-admin-password"

// passwordForm is the Security page's change-password form.
func passwordForm(current, next string) url.Values {
	return url.Values{"currentPassword": {current}, "newPassword": {next}}
}

// The Security page's Password form: labelled fields that browsers and
// password managers fill rightly, and nothing typed sent back.
func TestConsole_PasswordForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	p := b.get("/console/security").wantStatus(http.StatusOK)
	form := p.testid("password-form")
	if form.AttrOr("action", "") != "/console/security/password" || form.AttrOr("method", "") != "post" {
		t.Fatalf("password form = action %q method %q", form.AttrOr("action", ""), form.AttrOr("method", ""))
	}
	if form.Find(`input[name="_csrf"]`).Length() != 1 {
		t.Error("the password form has no CSRF token")
	}
	for name, autocomplete := range map[string]string{"currentPassword": "current-password", "newPassword": "new-password"} {
		in := form.Find(`input[name="` + name + `"]`)
		if in.AttrOr("type", "") != "password" || in.AttrOr("autocomplete", "") != autocomplete {
			t.Errorf("%s: type %q autocomplete %q, want password, %s", name, in.AttrOr("type", ""), in.AttrOr("autocomplete", ""), autocomplete)
		}
		if id := in.AttrOr("id", ""); id == "" || form.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s has no label", name)
		}
	}

	// A refusal comes back on the page, the wrong field focused, and
	// neither password in it.
	for _, tt := range []struct {
		name, current, next string
		status              int
		field, want         string
	}{
		{"Missing", "", "", http.StatusBadRequest, "currentPassword", "Enter your current password."},
		{"WrongCurrent", "not-the-password", newAdminPassword, http.StatusUnauthorized, "currentPassword", "Your current password is incorrect."},
		{"Short", adminPassword, "short-pass1", http.StatusBadRequest, "newPassword", "New password must be at least 12 characters"},
		{"Same", adminPassword, adminPassword, http.StatusBadRequest, "newPassword", "New password must differ from the current password"},
	} {
		p := b.post("/console/security/password", passwordForm(tt.current, tt.next)).wantStatus(tt.status)
		if got := autofocused(p); strings.Join(got, " ") != tt.field {
			t.Errorf("%s: autofocus on %q, want %s", tt.name, got, tt.field)
		}
		if got := p.Doc.Find(`[data-testid="field-error"][data-field="` + tt.field + `"]`).Text(); got != tt.want {
			t.Errorf("%s: field error %q, want %q", tt.name, got, tt.want)
		}
		for _, typed := range []string{tt.current, tt.next} {
			if typed != "" && strings.Contains(string(p.Body), typed) {
				t.Errorf("%s: the page holds a password typed", tt.name)
			}
		}
	}
	// Nothing changed: this session and the password work.
	b.get("/console").wantStatus(http.StatusOK)
	s.browser(t).signIn()
}

// A change keeps this browser signed in, with the flash, and ends the
// admin's other sessions; the old password no longer signs in, the new one
// does; the trail and the log say who, and the log holds no password.
func TestConsole_PasswordChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	other := s.signedIn(t)
	before := b.sessionCookie()
	b.get("/console/security").wantStatus(http.StatusOK)

	p := b.post("/console/security/password", passwordForm(adminPassword, newAdminPassword)).wantStatus(http.StatusSeeOther)
	if p.location() != "/console/security" {
		t.Errorf("a change leads to %q, want /console/security", p.location())
	}
	if b.sessionCookie() == before {
		t.Error("the session cookie was not re-issued")
	}
	p = b.get("/console/security").wantStatus(http.StatusOK)
	if got := p.text("flash"); got != "Your password is changed; your other sessions have ended." {
		t.Errorf("flash = %q", got)
	}
	b.get("/console").wantStatus(http.StatusOK)
	other.get("/console").wantSignInRedirect("/console")

	login := s.browser(t)
	login.get("/console/login").wantStatus(http.StatusOK)
	login.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).wantStatus(http.StatusUnauthorized)
	login.post("/console/login", url.Values{"username": {adminUsername}, "password": {newAdminPassword}}).wantStatus(http.StatusSeeOther)

	if e := s.events(t)[0]; e.Action != switchboard.EventAdminPasswordChanged || e.Actor != switchboard.AdminActor(adminUsername) || e.Detail != adminUsername {
		t.Errorf("latest event = %s by %s %q, want %s by the admin", e.Action, e.Actor, e.Detail, switchboard.EventAdminPasswordChanged)
	}
	b.wantActivity(adminUsername + " changed their password")
	if n := s.eventCount(map[string]string{"event": "password change", "outcome": "ok", "via": "console", "actor": "admin:" + adminUsername, "admin": adminUsername}); n != 1 {
		t.Errorf("%d password change lines in the log, want 1:\n%s", n, s.log.String())
	}
	s.wantLogHoldsNone(t, adminPassword, newAdminPassword)
}

// A post without the session's CSRF token is refused and changes nothing.
func TestConsole_PasswordCSRFRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	form := passwordForm(adminPassword, newAdminPassword)
	form.Set("_csrf", "forged")
	b.post("/console/security/password", form).wantStatus(http.StatusForbidden)
	form["_csrf"] = nil // none at all
	b.post("/console/security/password", form).wantStatus(http.StatusForbidden)
	b.get("/console").wantStatus(http.StatusOK)
	s.browser(t).signIn() // the password is the same
	for _, e := range s.events(t) {
		if e.Action == switchboard.EventAdminPasswordChanged {
			t.Errorf("a forged post changed the password: %+v", e)
		}
	}
}

// Wrong current passwords count as failed sign-ins: after 10, the page says
// to wait (429, Retry-After), and the log has the refusals.
func TestConsole_PasswordThrottled(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	for i := range 10 {
		b.post("/console/security/password", passwordForm("wrong-guess-"+strconv.Itoa(i), newAdminPassword)).wantStatus(http.StatusUnauthorized)
	}
	p := b.post("/console/security/password", passwordForm(adminPassword, newAdminPassword)).wantStatus(http.StatusTooManyRequests)
	if got := p.text("form-error"); !strings.HasPrefix(got, "Too many failed attempts.") {
		t.Errorf("form-error = %q", got)
	}
	if p.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if n := s.eventCount(map[string]string{"event": "password change", "outcome": "refused", "via": "console"}); n != 10 {
		t.Errorf("%d refused password change lines, want 10", n)
	}
	b.get("/console").wantStatus(http.StatusOK)
	s.wantLogHoldsNone(t, adminPassword, newAdminPassword, "wrong-guess-")
}

// An admin the two-factor requirement holds may still change its password,
// as over the JSON API.
func TestConsole_PasswordChangeWhileMFARequired(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.svc.MFA = s.store
	b := s.signedIn(t)
	s.svc.RequireAdminMFA = true
	b.get("/console").wantStatus(http.StatusSeeOther)
	b.get("/console/security").wantStatus(http.StatusOK)
	b.post("/console/security/password", passwordForm(adminPassword, newAdminPassword)).wantStatus(http.StatusSeeOther)
	if e := s.events(t)[0]; e.Action != switchboard.EventAdminPasswordChanged {
		t.Errorf("latest event = %s, want %s", e.Action, switchboard.EventAdminPasswordChanged)
	}
	b.get("/console/security").wantStatus(http.StatusOK)
}
