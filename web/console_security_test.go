package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// An admin turns on two-factor sign-in from the Security page: the secret
// is shown in text and as a QR code drawn by the server, a wrong first code
// enables nothing, a right one enables it and shows ten recovery codes.
func TestConsole_SecuritySetup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, nil)
	s.svc.MFA = s.store
	b := s.signedIn(t)
	enabled := func() bool {
		st, err := s.store.MFAState(ctx, adminUsername)
		if err != nil {
			t.Fatal(err)
		}
		return st.Enabled
	}

	if b.get("/console").wantStatus(http.StatusOK).testid("security-link").Length() != 1 {
		t.Error("the dashboard has no link to Security")
	}
	p := b.get("/console/security").wantStatus(http.StatusOK)
	if on := p.testid("mfa-status").AttrOr("data-enabled", ""); on != "false" {
		t.Errorf("mfa-status data-enabled = %q, want false", on)
	}

	p = b.post("/console/security/setup", nil).wantStatus(http.StatusOK)
	secret := p.text("mfa-secret")
	if len(secret) != 32 {
		t.Fatalf("mfa-secret = %q, want 32 base32 characters", secret)
	}
	img := p.testid("mfa-qr")
	if src := img.AttrOr("src", ""); !strings.HasPrefix(src, "data:image/png;base64,") || len(src) < 200 {
		t.Errorf("QR src = %.60q, want a data:image/png URI", src)
	}
	if img.AttrOr("alt", "") == "" {
		t.Error("the QR code has no alt text")
	}

	if code, _ := totp.GenerateCode(secret, time.Now()); code == "000000" {
		t.Skip("the right code is 000000 this time")
	}
	p = b.post("/console/security/confirm", url.Values{"code": {"000000"}}).wantStatus(http.StatusBadRequest)
	if p.text("form-error") != "Invalid two-factor code." {
		t.Errorf("wrong code: form-error %q", p.text("form-error"))
	}
	if p.testid("recovery-code").Length() != 0 || enabled() {
		t.Fatal("a wrong code enabled two-factor sign-in")
	}

	code, _ := totp.GenerateCode(secret, time.Now())
	p = b.post("/console/security/confirm", url.Values{"code": {code}}).wantStatus(http.StatusOK)
	if n := p.testid("recovery-code").Length(); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	if !enabled() {
		t.Error("a right code did not enable two-factor sign-in")
	}
	p = b.get("/console/security").wantStatus(http.StatusOK)
	if on := p.testid("mfa-status").AttrOr("data-enabled", ""); on != "true" {
		t.Errorf("after confirming, data-enabled = %q, want true", on)
	}
	if p.testid("recovery-code").Length() != 0 || p.testid("mfa-setup-form").Length() != 0 {
		t.Error("the page shows recovery codes or the set-up form again once on")
	}
}

// The Security forms refuse a post without the session's CSRF token, and
// nothing is set up.
func TestConsole_SecurityCSRFRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.svc.MFA = s.store
	b := s.signedIn(t)
	b.get("/console/security").wantStatus(http.StatusOK)
	for _, path := range []string{"/console/security/setup", "/console/security/confirm"} {
		b.post(path, url.Values{"_csrf": {"forged"}, "code": {"123456"}}).wantStatus(http.StatusForbidden)
	}
	st, err := s.store.MFAState(context.Background(), adminUsername)
	if err != nil {
		t.Fatal(err)
	}
	if st.Secret != "" || st.Enabled {
		t.Errorf("a forged post set up two-factor: %+v", st)
	}
}

// With two-factor sign-in required, an admin without it is sent to the
// Security page from every other console page, and nowhere once it is on.
func TestConsole_RequireAdminMFA(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.svc.MFA = s.store
	b := s.signedIn(t)
	s.svc.RequireAdminMFA = true
	for _, path := range []string{"/console", "/console/clients", "/console/team"} {
		if p := b.get(path).wantStatus(http.StatusSeeOther); p.location() != "/console/security" {
			t.Errorf("GET %s leads to %q, want /console/security", path, p.location())
		}
	}
	p := b.get("/console/security").wantStatus(http.StatusOK)
	if p.testid("mfa-required").Length() != 1 {
		t.Error("the Security page does not say two-factor sign-in is required")
	}
	if p := b.post("/console/clients", newClientForm("acme_1", "ada@example.com")).wantStatus(http.StatusSeeOther); p.location() != "/console/security" {
		t.Errorf("a create leads to %q, want /console/security", p.location())
	}
	if s.client(t, "acme_1") != nil {
		t.Error("a client was created before two-factor sign-in was set up")
	}

	b.enableMFA()
	b.get("/console").wantStatus(http.StatusOK)
}
