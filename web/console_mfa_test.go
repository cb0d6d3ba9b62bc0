package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"switchboard/internal/switchboard"
)

// The console's sign-in asks an admin with two-factor sign-in on for its
// code: the password alone signs nobody in, a wrong code is refused, and a
// recovery code signs in once.
func TestConsole_LoginSecondFactor(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.svc.MFA = s.store
	ctx := context.Background()
	admin := &switchboard.Admin{Username: adminUsername}
	setup, err := s.svc.SetupMFA(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	recovery, err := s.svc.ConfirmMFA(ctx, admin, code, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	b := s.browser(t)
	signIn := func(code string) *page {
		b.get("/console/login").wantStatus(http.StatusOK)
		return b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}, "code": {code}})
	}
	if p := signIn("").wantStatus(http.StatusUnauthorized); !strings.Contains(p.text("form-error"), "authenticator app") {
		t.Errorf("no code: message %q", p.text("form-error"))
	}
	if p := signIn("000000x").wantStatus(http.StatusUnauthorized); p.text("form-error") != "Invalid two-factor code." {
		t.Errorf("wrong code: message %q", p.text("form-error"))
	}
	b.get("/console").wantSignInRedirect("/console")
	signIn(recovery[0]).wantStatus(http.StatusSeeOther)
	b.get("/console").wantStatus(http.StatusOK)

	other := s.browser(t)
	other.get("/console/login").wantStatus(http.StatusOK)
	other.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}, "code": {recovery[0]}}).
		wantStatus(http.StatusUnauthorized)
}
