package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"switchboard/internal/api"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// An owner resets an operator's password, then its two-factor sign-in.
func TestTeamReset(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		token := ts.invite("carol", "operator")
		ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).wantStatus(200)
		login := func(password, code string) *response {
			return ts.do("POST", "/auth/admin/login", "", fmt.Sprintf(`{"username":"carol","password":%q,"code":%q}`, password, code))
		}
		carol := login(teamPassword, "").wantStatus(200).str("token")
		secret := ts.do("POST", "/auth/admin/mfa/setup", carol, "").wantStatus(200).str("secret")
		codes, _ := ts.do("POST", "/auth/admin/mfa/confirm", carol, `{"code":"`+nowCode(t, secret)+`"}`).
			wantStatus(200).get("recoveryCodes").([]any)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		carol = login(teamPassword, codes[0].(string)).wantStatus(200).str("token")
		wantListed := func(status string, twoFactor bool) {
			t.Helper()
			for _, a := range ts.admin("GET", "/admin/admins", "").wantStatus(200).json()["admins"].([]any) {
				if a := a.(map[string]any); a["username"] == "carol" && (a["status"] != status || a["twoFactor"] != twoFactor) {
					t.Errorf("carol listed as %v, want status %s, twoFactor %v", a, status, twoFactor)
				}
			}
		}
		wantListed("active", true)

		// The password reset: the old password and token end at once.
		res := ts.admin("POST", "/admin/admins/carol/reset-password", "").wantStatus(200)
		res.wantFields(map[string]any{"username": "carol", "role": "operator", "status": "reset"})
		reset := linkToken(t, res.str("resetUrl"), requestBase)
		wantListed("reset", true)
		ts.do("GET", "/admin/clients", carol, "").wantStatus(401)
		login(teamPassword, codes[1].(string)).wantStatus(401).wantBody(`{"error":"Invalid credentials"}`)

		// The link sets a new password, once; two-factor is still asked for.
		const newPassword = "carol-new-long-password"
		ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+reset+`","password":"`+newPassword+`"}`).
			wantStatus(200).wantFields(map[string]any{"success": true, "username": "carol"})
		ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+reset+`","password":"another-long-password"}`).
			wantStatus(401).wantBody(`{"error":"Invalid or expired invitation"}`)
		login(newPassword, "").wantStatus(401).wantBody(`{"error":"Two-factor code required","mfaRequired":true}`)
		carol = login(newPassword, codes[2].(string)).wantStatus(200).str("token")
		wantListed("active", true)

		// The two-factor reset: the token ends; the password alone signs in.
		ts.admin("DELETE", "/admin/admins/carol/mfa", "").wantStatus(200).
			wantFields(map[string]any{"username": "carol", "role": "operator", "status": "active", "twoFactor": false})
		ts.do("GET", "/admin/clients", carol, "").wantStatus(401)
		if st, err := s.MFAState(ctx, "carol"); err != nil || *st != (switchboard.MFAState{}) {
			t.Errorf("carol's two-factor after the reset = %+v, %v; want nothing", st, err)
		}
		login(newPassword, "").wantStatus(200)
		ts.admin("DELETE", "/admin/admins/carol/mfa", "").wantStatus(409).wantBody(`{"error":"Two-factor sign-in is not enabled"}`)

		evs, err := s.FindEvents(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ action, actor string }{
			{switchboard.EventAdminMFAReset, "admin:admin"},
			{switchboard.EventAdminPasswordSet, "admin:carol"},
			{switchboard.EventAdminPasswordReset, "admin:admin"},
		}
		for i, w := range want {
			if e := evs[i]; e.Action != w.action || e.Actor != w.actor || e.Detail != "carol" {
				t.Errorf("event %d = %s by %s %q, want %s by %s \"carol\"", i, e.Action, e.Actor, e.Detail, w.action, w.actor)
			}
		}
		// The links are passwords until used: never logged.
		for _, secret := range []string{token, reset} {
			if strings.Contains(ts.log.String(), secret) {
				t.Error("the log holds a link's token")
			}
		}
	})
}

func TestTeamResetRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ts.admin("POST", "/admin/admins/nobody/reset-password", "").wantStatus(404).wantBody(`{"error":"Admin not found"}`)
		ts.admin("DELETE", "/admin/admins/nobody/mfa", "").wantStatus(404).wantBody(`{"error":"Admin not found"}`)
		ts.admin("POST", "/admin/admins/admin/reset-password", "").wantStatus(409).
			wantBody(`{"error":"You cannot reset your own password: change it on your Security page"}`)
		ts.admin("DELETE", "/admin/admins/admin/mfa", "").wantStatus(409).
			wantBody(`{"error":"You cannot reset your own two-factor sign-in: ask another owner"}`)
		// Nor may a second owner reset itself: an owner's token alone, without
		// its password or code, must not be enough to take the account over.
		bob := ts.signInMember(s, "bob", switchboard.RoleOwner)
		ts.do("POST", "/admin/admins/bob/reset-password", bob, "").wantStatus(409).
			wantBody(`{"error":"You cannot reset your own password: change it on your Security page"}`)
		ts.do("DELETE", "/admin/admins/bob/mfa", bob, "").wantStatus(409).
			wantBody(`{"error":"You cannot reset your own two-factor sign-in: ask another owner"}`)
		ts.do("GET", "/admin/admins", bob, "").wantStatus(200)
		ts.adminLogin("bob", "team-member-password").wantStatus(200)
		// The refused reset changed nothing: the owner's token and password work.
		ts.admin("GET", "/admin/admins", "").wantStatus(200)
		ts.adminLogin(adminUsername, adminPassword).wantStatus(200)
		if evs, err := s.FindEvents(context.Background(), 10); err != nil || len(evs) != 0 {
			t.Errorf("events after the refusals = %d, %v; want none", len(evs), err)
		}
	})
}

// With PUBLIC_BASE_URL set, invitation and reset links start with it, not
// with the request's host.
func TestTeamLinksUsePublicBaseURL(t *testing.T) {
	const base = "https://switchboard.example.net"
	cs := newCallServerWith(t, storetest.Open(t, store.SQLite), func(srv *api.Server) { srv.PublicBaseURL = base + "/" })
	res := cs.admin("POST", "/admin/admins", `{"username":"dora","role":"viewer"}`).wantStatus(201)
	token := linkToken(t, res.str("inviteUrl"), base)
	cs.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).wantStatus(200)
	res = cs.admin("POST", "/admin/admins/dora/reset-password", "").wantStatus(200)
	linkToken(t, res.str("resetUrl"), base)
}
