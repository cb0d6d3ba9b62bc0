package api_test

import (
	"strconv"
	"strings"
	"testing"

	"switchboard/internal/httpserver/httpservertest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

const newAdminPassword = "a-new-long-admin-password"

// changePassword posts to POST /auth/admin/change-password with token.
func (ts *testServer) changePassword(token, current, next string) *response {
	ts.t.Helper()
	return ts.do("POST", "/auth/admin/change-password", token, `{"currentPassword":"`+current+`","newPassword":"`+next+`"}`)
}

// An admin changes its own password: the answer's token works, every
// earlier one (this request's included) does not, the old password no
// longer signs in and the new one does, and the trail says who.
func TestAdminChangePassword(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		other := ts.adminLogin(adminUsername, adminPassword).wantStatus(200).str("token")
		change := storetest.StartChange(t, s)

		res := ts.changePassword(ts.adminToken, adminPassword, newAdminPassword).wantStatus(200)
		res.wantFields(map[string]any{"success": true, "message": "Password changed successfully"})
		fresh := res.str("token")
		if fresh == "" || res.str("expiresAt") == "" {
			t.Fatalf("answer = %s, want a token and its expiry", res.Body)
		}
		change.WantActor(t, "admin:admin", switchboard.EventAdminPasswordChanged)

		ts.do("GET", "/admin/clients", fresh, "").wantStatus(200)
		for _, old := range []string{ts.adminToken, other} {
			ts.do("GET", "/admin/clients", old, "").wantStatus(401).wantBody(`{"error":"Unauthorized","message":"Invalid token"}`)
		}
		ts.adminLogin(adminUsername, adminPassword).wantStatus(401).wantBody(`{"error":"Invalid credentials"}`)
		ts.adminLogin(adminUsername, newAdminPassword).wantStatus(200)

		// Every role may change its own.
		viewer := ts.signInMember(s, "viewer", switchboard.RoleViewer)
		ts.changePassword(viewer, "team-member-password", newAdminPassword).wantStatus(200)
		ts.adminLogin("viewer", newAdminPassword).wantStatus(200)

		// An admin the two-factor requirement holds may still change it,
		// as it may set two-factor up: both are under /auth.
		ts.svc.RequireAdminMFA = true
		ops := ts.signInMember(s, "ops", switchboard.RoleOperator)
		ts.do("GET", "/admin/clients", ops, "").wantStatus(403).wantBody(mfaSetupRequiredBody)
		ts.changePassword(ops, "team-member-password", newAdminPassword).wantStatus(200)
	})
}

// Refusals change nothing: the password and every token stay.
func TestAdminChangePasswordRefused(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	ts := newTestServer(t, st)
	before := storetest.StartChange(t, st)
	long := strings.Repeat("p", 73)
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"Empty", `{}`, 400, `{"error":"Missing required fields","requiredFields":["currentPassword","newPassword"]}`},
		{"NoNew", `{"currentPassword":"` + adminPassword + `"}`, 400,
			`{"error":"Missing required fields","requiredFields":["currentPassword","newPassword"]}`},
		{"WrongCurrent", `{"currentPassword":"not-the-password","newPassword":"` + newAdminPassword + `"}`, 401,
			`{"error":"Current password is incorrect"}`},
		{"Short", `{"currentPassword":"` + adminPassword + `","newPassword":"short-pass1"}`, 400,
			`{"error":"Failed to change password","details":"newPassword must be at least 12 characters","fields":{"newPassword":"newPassword must be at least 12 characters"}}`},
		{"Long", `{"currentPassword":"` + adminPassword + `","newPassword":"` + long + `"}`, 400,
			`{"error":"Failed to change password","details":"newPassword must be at most 72 bytes","fields":{"newPassword":"newPassword must be at most 72 bytes"}}`},
		{"Same", `{"currentPassword":"` + adminPassword + `","newPassword":"` + adminPassword + `"}`, 400,
			`{"error":"Failed to change password","details":"newPassword must differ from the current password","fields":{"newPassword":"newPassword must differ from the current password"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := ts.with(t)
			ts.admin("POST", "/auth/admin/change-password", tt.body).wantStatus(tt.status).wantBody(tt.want)
			ts.admin("GET", "/admin/clients", "").wantStatus(200)
			ts.adminLogin(adminUsername, adminPassword).wantStatus(200)
		})
	}
	before.WantNone(t)
}

// Wrong current passwords count as failed sign-ins of the admin: after 10,
// even the right one is 429, at sign-in too; the log has the refusals and
// never a password.
func TestAdminChangePasswordThrottled(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	for i := range 10 {
		ts.changePassword(ts.adminToken, "wrong-guess-"+strconv.Itoa(i), newAdminPassword).wantStatus(401)
	}
	res := ts.changePassword(ts.adminToken, adminPassword, newAdminPassword).wantStatus(429)
	res.wantBody(`{"error":"Too many failed attempts, try again later"}`)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	ts.adminLogin(adminUsername, adminPassword).wantStatus(429)
	ts.admin("GET", "/admin/clients", "").wantStatus(200) // the token lives on

	logs := ts.log.String()
	events := httpservertest.SecurityEvents(logs)
	for _, want := range []map[string]string{
		{"level": "WARN", "event": "password change", "outcome": "refused", "actor": "admin:admin", "admin": "admin"},
		{"level": "WARN", "event": "password change", "outcome": "throttled", "admin": "admin"},
	} {
		if httpservertest.Count(events, want) == 0 {
			t.Errorf("no security event with %v", want)
		}
	}
	for _, leaked := range []string{adminPassword, newAdminPassword, "wrong-guess-"} {
		if strings.Contains(logs, leaked) {
			t.Errorf("log holds %q", leaked)
		}
	}
}

// A successful change is logged, without either password or a token.
func TestAdminChangePasswordLogged(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	fresh := ts.changePassword(ts.adminToken, adminPassword, newAdminPassword).wantStatus(200).str("token")
	logs := ts.log.String()
	want := map[string]string{"level": "INFO", "event": "password change", "outcome": "ok", "actor": "admin:admin", "via": "api", "admin": "admin"}
	if httpservertest.Count(httpservertest.SecurityEvents(logs), want) != 1 {
		t.Errorf("no security event with %v:\n%s", want, logs)
	}
	for name, value := range map[string]string{"old password": adminPassword, "new password": newAdminPassword, "new token": fresh} {
		if strings.Contains(logs, value) {
			t.Errorf("the log holds the %s", name)
		}
	}
}
