package api_test

import (
	"context"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// mfaSetupRequiredBody is every /admin route's answer to an admin who must
// set up two-factor sign-in first.
const mfaSetupRequiredBody = `{"error":"Two-factor sign-in required: set it up with POST /auth/admin/mfa/setup, then /auth/admin/mfa/confirm","mfaSetupRequired":true}`

// enableMFA turns two-factor sign-in on for the admin of token through
// the JSON set-up, as an admin the team requires it of would.
func (ts *testServer) enableMFA(token string) {
	ts.t.Helper()
	secret := ts.do("POST", "/auth/admin/mfa/setup", token, "").wantStatus(200).str("secret")
	ts.do("POST", "/auth/admin/mfa/confirm", token, `{"code":"`+nowCode(ts.t, secret)+`"}`).wantStatus(200)
}

// An owner requires two-factor sign-in: an admin without it is refused
// every /admin route, reads and writes, and nothing changes; it can still
// set two-factor up, confirm it and sign out, and then passes. The owner,
// without two-factor itself, is refused too, also the setting, so it
// cannot lift the requirement without complying first.
func TestAdminMFARequiredByOwner(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ts.createClient("acme", "acme@example.com")
		ops := ts.signInMember(s, "ops", switchboard.RoleOperator)
		ts.admin("GET", "/admin/settings/security", "").wantStatus(200).
			wantBody(`{"requireAdminMfa":false,"requiredByEnvironment":false}`)
		ts.do("GET", "/admin/clients", ops, "").wantStatus(200)

		ts.admin("PUT", "/admin/settings/security", `{"requireAdminMfa":true}`).wantStatus(200).
			wantBody(`{"requireAdminMfa":true,"requiredByEnvironment":false}`)
		events, err := s.FindEvents(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Action != switchboard.EventTeamMFARequired || events[0].Actor != switchboard.AdminActor(adminUsername) {
			t.Fatalf("latest event = %+v, want %s by the owner", events, switchboard.EventTeamMFARequired)
		}

		ts.do("GET", "/admin/clients", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.do("GET", "/admin/clients/acme", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.do("POST", "/admin/clients", ops, clientJSON("newco", "new@example.com")).wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.do("PUT", "/admin/clients/acme", ops, `{"status":"Suspended"}`).wantStatus(403).wantBody(mfaSetupRequiredBody)
		if n := ts.countClients(); n != 1 {
			t.Errorf("%d clients after refused writes, want 1", n)
		}
		if c, err := s.FindClientByID(context.Background(), "acme"); err != nil || c.Status != switchboard.StatusActive {
			t.Errorf("acme = %+v, %v; want it Active, unchanged", c, err)
		}
		// The owner without two-factor is held as well, the setting included.
		ts.admin("GET", "/admin/settings/security", "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.admin("PUT", "/admin/settings/security", `{"requireAdminMfa":false}`).wantStatus(403).wantBody(mfaSetupRequiredBody)
		if on, err := s.AdminMFARequired(context.Background()); err != nil || !on {
			t.Errorf("stored requirement = %v, %v; want it still on", on, err)
		}

		// The way out stays open: set up, confirm, and then it passes.
		ts.enableMFA(ops)
		ts.do("GET", "/admin/clients", ops, "").wantStatus(200)
		ts.do("POST", "/admin/clients", ops, clientJSON("newco", "new@example.com")).wantStatus(201)
		ts.do("POST", "/auth/admin/logout", ts.adminToken, "").wantStatus(200)

		// The owner complies too, and may lift it; then no one is held.
		owner := ts.signInMember(s, "root", switchboard.RoleOwner)
		ts.do("GET", "/admin/admins", owner, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.enableMFA(owner)
		ts.do("PUT", "/admin/settings/security", owner, `{"requireAdminMfa":false}`).wantStatus(200).
			wantBody(`{"requireAdminMfa":false,"requiredByEnvironment":false}`)
		viewer := ts.signInMember(s, "viewer", switchboard.RoleViewer)
		ts.do("GET", "/admin/clients", viewer, "").wantStatus(200)
	})
}

// REQUIRE_ADMIN_MFA=1 holds every admin without two-factor sign-in, and
// the owners cannot turn it off: 409, nothing recorded.
func TestAdminMFARequiredByEnvironment(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ops := ts.signInMember(s, "ops", switchboard.RoleOperator)
		ts.svc.RequireAdminMFA = true
		ts.admin("GET", "/admin/settings/security", "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.do("DELETE", "/admin/clients/acme", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)

		ts.enableMFA(ts.adminToken)
		ts.admin("GET", "/admin/settings/security", "").wantStatus(200).
			wantBody(`{"requireAdminMfa":true,"requiredByEnvironment":true}`)
		ts.admin("PUT", "/admin/settings/security", `{"requireAdminMfa":false}`).wantStatus(409).
			wantBody(`{"error":"Two-factor sign-in is required by the server's configuration (REQUIRE_ADMIN_MFA=1) and cannot be turned off here"}`)
		ts.admin("PUT", "/admin/settings/security", `{}`).wantStatus(400).
			wantBody(`{"error":"Missing required fields","requiredFields":["requireAdminMfa"]}`)
		if events, err := s.FindEvents(context.Background(), 10); err != nil || len(events) != 0 {
			t.Errorf("events = %+v, %v; want none", events, err)
		}
		ts.do("GET", "/admin/clients", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
	})
}

// The requirement lives in the database, read on every request: turned on
// through one instance, the other holds its next request; turned off
// through the other, the first lets the next one through. Nothing is kept
// in memory to go stale.
func TestAdminMFARequiredAcrossInstances(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			one, two := storetest.OpenTwice(t, dialect)
			first, second := newTestServer(t, one), newTestServer(t, two)
			first.enableMFA(first.adminToken)
			ops := second.signInMember(two, "ops", switchboard.RoleOperator)
			second.do("GET", "/admin/clients", ops, "").wantStatus(200)

			first.admin("PUT", "/admin/settings/security", `{"requireAdminMfa":true}`).wantStatus(200)
			second.do("GET", "/admin/clients", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
			second.admin("PUT", "/admin/settings/security", `{"requireAdminMfa":false}`).wantStatus(200)
			first.do("GET", "/admin/clients", ops, "").wantStatus(200)
		})
	}
}
