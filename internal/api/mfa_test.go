package api_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// newMFAServer is newTestServer with admins' two-factor stored in s.
func newMFAServer(t *testing.T, s *store.Store) *testServer {
	ts := newTestServer(t, s)
	ts.svc.MFA = s
	return ts
}

// nowCode is the TOTP code of secret now, or fails the test.
func nowCode(t testing.TB, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// notNowCode is a 6-digit code that is none of secret's around now.
func notNowCode(t *testing.T, secret string) string {
	t.Helper()
	for n := 0; ; n++ {
		code := fmt.Sprintf("%06d", n)
		if !totp.Validate(code, secret) {
			return code
		}
	}
}

func TestAdminMFASetupAndConfirm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newMFAServer(t, s)
		state := func() switchboard.MFAState {
			st, err := s.MFAState(context.Background(), adminUsername)
			if err != nil {
				t.Fatal(err)
			}
			return *st
		}

		// Before a set-up there is nothing to confirm.
		ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"123456"}`).wantStatus(409).
			wantBody(`{"error":"Two-factor sign-in is not being set up"}`)

		res := ts.admin("POST", "/auth/admin/mfa/setup", "").wantStatus(200)
		secret := res.str("secret")
		u, err := url.Parse(res.str("otpauthUrl"))
		if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Switchboard" {
			t.Fatalf("otpauthUrl = %s", res.str("otpauthUrl"))
		}
		if st := state(); st.Enabled {
			t.Fatalf("two-factor enabled before confirming: %+v", st)
		}

		ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":""}`).wantStatus(400)
		ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+notNowCode(t, secret)+`"}`).wantStatus(400).
			wantBody(`{"error":"Invalid two-factor code"}`)
		if st := state(); st.Enabled {
			t.Fatalf("a wrong code enabled two-factor: %+v", st)
		}

		res = ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+nowCode(t, secret)+`"}`).wantStatus(200)
		codes, _ := res.get("recoveryCodes").([]any)
		if len(codes) != 10 {
			t.Fatalf("recoveryCodes = %s, want 10", res.Body)
		}
		if st := state(); !st.Enabled || st.RecoveryCodes != 10 {
			t.Fatalf("state after confirming = %+v, want enabled with 10 recovery codes", st)
		}
		// A recovery code shown works once as a second factor.
		admin := &switchboard.Admin{Username: adminUsername}
		if err := ts.svc.CheckSecondFactor(context.Background(), admin, codes[0].(string), "192.0.2.1"); err != nil {
			t.Fatalf("recovery code from the response: %v", err)
		}

		// On: no second set-up or confirmation replaces it.
		ts.admin("POST", "/auth/admin/mfa/setup", "").wantStatus(409).
			wantBody(`{"error":"Two-factor sign-in is already enabled"}`)
		ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+nowCode(t, secret)+`"}`).wantStatus(409)
		if st := state(); !st.Enabled || st.RecoveryCodes != 9 {
			t.Fatalf("state after refused changes = %+v", st)
		}
	})
}

func TestAdminMFANeedsAdminToken(t *testing.T) {
	ts := newMFAServer(t, storetest.Open(t, store.SQLite))
	clientToken := ts.login("acme", ts.createClient("acme", "acme@example.com"))
	for _, path := range []string{"/auth/admin/mfa/setup", "/auth/admin/mfa/confirm"} {
		ts.do("POST", path, "", `{"code":"123456"}`).wantStatus(401).
			wantBody(`{"error":"Unauthorized","message":"No token provided"}`)
		ts.do("POST", path, clientToken, `{"code":"123456"}`).wantStatus(403).
			wantBody(`{"error":"Forbidden","message":"Insufficient permissions"}`)
	}
	if st, err := ts.svc.MFA.MFAState(context.Background(), adminUsername); err != nil || *st != (switchboard.MFAState{}) {
		t.Fatalf("state = %+v, %v; want nothing set up", st, err)
	}
}

func TestAdminMFAConfirmThrottled(t *testing.T) {
	ts := newMFAServer(t, storetest.Open(t, store.SQLite))
	secret := ts.admin("POST", "/auth/admin/mfa/setup", "").wantStatus(200).str("secret")
	for range 10 {
		ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+notNowCode(t, secret)+`"}`).wantStatus(400)
	}
	res := ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+nowCode(t, secret)+`"}`).wantStatus(429)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if st, _ := ts.svc.MFA.MFAState(context.Background(), adminUsername); st.Enabled {
		t.Error("a throttled confirmation enabled two-factor")
	}
}

// TestAdminLoginSecondFactor: once an admin has two-factor sign-in on, the
// JSON sign-in needs a code with the password: without one it answers 401
// with mfaRequired, a wrong one is refused, a recovery code signs in once.
// Other admins sign in as before.
func TestAdminLoginSecondFactor(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newMFAServer(t, s)
		login := func(code string) *response {
			return ts.do("POST", "/auth/admin/login", "",
				fmt.Sprintf(`{"username":%q,"password":%q,"code":%q}`, adminUsername, adminPassword, code))
		}
		// Off: the code is not asked for.
		login("").wantStatus(200)

		secret := ts.admin("POST", "/auth/admin/mfa/setup", "").wantStatus(200).str("secret")
		codes, _ := ts.admin("POST", "/auth/admin/mfa/confirm", `{"code":"`+nowCode(t, secret)+`"}`).
			wantStatus(200).get("recoveryCodes").([]any)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}

		login("").wantStatus(401).wantBody(`{"error":"Two-factor code required","mfaRequired":true}`)
		login(notNowCode(t, secret)).wantStatus(401).wantBody(`{"error":"Invalid two-factor code"}`)
		ts.do("POST", "/auth/admin/login", "", fmt.Sprintf(`{"username":%q,"password":"not-the-password","code":%q}`,
			adminUsername, codes[1])).wantStatus(401).wantBody(`{"error":"Invalid credentials"}`)
		token := login(codes[1].(string)).wantStatus(200).str("token")
		ts.do("GET", "/admin/clients", token, "").wantStatus(200)
		login(codes[1].(string)).wantStatus(401).wantBody(`{"error":"Invalid two-factor code"}`)
		// The code sent without the password's being right uses nothing up.
		login(codes[2].(string)).wantStatus(200)
	})
}
