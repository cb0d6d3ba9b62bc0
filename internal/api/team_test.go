package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

const teamPassword = "a-long-team-password"

// invite invites username with role and returns the invitation's token.
func (ts *testServer) invite(username, role string) string {
	ts.t.Helper()
	res := ts.admin("POST", "/admin/admins", `{"username":"`+username+`","role":"`+role+`"}`).wantStatus(201)
	return linkToken(ts.t, res.str("inviteUrl"), requestBase)
}

// requestBase is the scheme and host of the test's requests (httptest's),
// the base of links when PUBLIC_BASE_URL is not set.
const requestBase = "http://example.com"

// linkToken returns the token of an invitation's or a reset's link, which
// must be base + /console/invite/ + 64 hex digits.
func linkToken(t testing.TB, url, base string) string {
	t.Helper()
	token, ok := strings.CutPrefix(url, base+"/console/invite/")
	if !ok || len(token) != 64 {
		t.Fatalf("link = %q, want %s/console/invite/<64 hex digits>", url, base)
	}
	return token
}

func (ts *testServer) adminLogin(username, password string) *response {
	ts.t.Helper()
	return ts.do("POST", "/auth/admin/login", "", `{"username":"`+username+`","password":"`+password+`"}`)
}

func TestTeam(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		t.Run("InviteAcceptSignIn", func(t *testing.T) {
			st := storetest.Open(t, s.Dialect())
			ts := newTestServer(t, st)
			res := ts.admin("POST", "/admin/admins", `{"username":"alice","role":"operator"}`).wantStatus(201)
			res.wantFields(map[string]any{"username": "alice", "role": "operator", "status": "invited"})
			token := linkToken(t, res.str("inviteUrl"), requestBase)

			list := ts.admin("GET", "/admin/admins", "").wantStatus(200).json()["admins"].([]any)
			if len(list) != 2 {
				t.Fatalf("%d admins, want 2", len(list))
			}
			if a := list[1].(map[string]any); a["username"] != "alice" || a["status"] != "invited" || a["role"] != "operator" {
				t.Errorf("alice listed as %v", a)
			}
			// No password yet: nothing signs in.
			ts.adminLogin("alice", "").wantStatus(400)
			ts.adminLogin("alice", teamPassword).wantStatus(401)

			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"short-pass"}`).wantStatus(400)
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+strings.Repeat("0", 64)+`","password":"`+teamPassword+`"}`).
				wantBody(`{"error":"Invalid or expired invitation"}`)
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).
				wantStatus(200).wantFields(map[string]any{"success": true, "username": "alice"})
			// Used once.
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"another-long-password"}`).wantStatus(401)

			aliceToken := ts.adminLogin("alice", teamPassword).wantStatus(200).str("token")
			ts.do("GET", "/admin/clients", aliceToken, "").wantStatus(200)
			ts.do("GET", "/admin/admins", aliceToken, "").wantStatus(403)

			evs, err := st.FindEvents(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := []struct{ action, actor, detail string }{
				{switchboard.EventAdminJoined, "admin:alice", "alice"},
				{switchboard.EventAdminInvited, "admin:admin", "alice (operator)"},
			}
			if len(evs) < len(want) {
				t.Fatalf("%d events, want %d", len(evs), len(want))
			}
			for i, w := range want {
				if e := evs[i]; e.Action != w.action || e.Actor != w.actor || e.Detail != w.detail {
					t.Errorf("event %d = %s by %s %q, want %s by %s %q", i, e.Action, e.Actor, e.Detail, w.action, w.actor, w.detail)
				}
			}
		})

		t.Run("InviteExpires", func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, s.Dialect()))
			token := ts.invite("bob", "viewer")
			ts.svc.Now = func() time.Time { return time.Now().Add(48*time.Hour + time.Minute) }
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).
				wantBody(`{"error":"Invalid or expired invitation"}`)
		})

		t.Run("AcceptThrottled", func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, s.Dialect()))
			guess := `{"token":"` + strings.Repeat("1", 64) + `","password":"` + teamPassword + `"}`
			for range 10 {
				ts.do("POST", "/auth/admin/accept-invite", "", guess).wantStatus(401)
			}
			ts.do("POST", "/auth/admin/accept-invite", "", guess).wantStatus(429)
		})

		t.Run("ChangeRoleDisableDelete", func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, s.Dialect()))
			token := ts.invite("carol", "viewer")
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).wantStatus(200)
			carol := ts.adminLogin("carol", teamPassword).wantStatus(200).str("token")
			ts.do("POST", "/admin/clients", carol, clientJSON("acme", "a@example.com")).wantStatus(403)

			ts.admin("PUT", "/admin/admins/carol", `{"role":"operator"}`).wantStatus(200).
				wantFields(map[string]any{"username": "carol", "role": "operator", "status": "active"})
			// The same token, the new role.
			ts.do("POST", "/admin/clients", carol, clientJSON("acme", "a@example.com")).wantStatus(201)

			ts.admin("PUT", "/admin/admins/carol", `{"disabled":true}`).wantStatus(200).wantFields(map[string]any{"status": "disabled"})
			ts.do("GET", "/admin/clients", carol, "").wantStatus(401)
			ts.adminLogin("carol", teamPassword).wantStatus(401)
			ts.admin("PUT", "/admin/admins/carol", `{"disabled":false}`).wantStatus(200).wantFields(map[string]any{"status": "active"})
			ts.do("GET", "/admin/clients", carol, "").wantStatus(200)

			ts.admin("DELETE", "/admin/admins/carol", "").wantBody(`{"success":true,"message":"Admin deleted successfully"}`)
			ts.do("GET", "/admin/clients", carol, "").wantStatus(401)
			ts.admin("DELETE", "/admin/admins/carol", "").wantBody(`{"error":"Admin not found"}`)
		})

		t.Run("LastOwner", func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, s.Dialect()))
			const refused = `{"error":"The last owner cannot be disabled, demoted or deleted"}`
			ts.admin("PUT", "/admin/admins/admin", `{"role":"viewer"}`).wantStatus(409).wantBody(refused)
			ts.admin("PUT", "/admin/admins/admin", `{"disabled":true}`).wantStatus(409).wantBody(refused)
			ts.admin("DELETE", "/admin/admins/admin", "").wantStatus(409).wantBody(refused)
			ts.admin("GET", "/admin/admins", "").wantStatus(200)
			a, err := ts.svc.Admins.FindAdminByUsername(ctx, "admin")
			if err != nil || a.Role != switchboard.RoleOwner || a.Disabled {
				t.Errorf("admin = %+v, %v; want an enabled owner still", a, err)
			}
			// With a second owner, the first may be demoted.
			token := ts.invite("dave", "owner")
			ts.do("POST", "/auth/admin/accept-invite", "", `{"token":"`+token+`","password":"`+teamPassword+`"}`).wantStatus(200)
			ts.admin("PUT", "/admin/admins/dave", `{"role":"viewer"}`).wantStatus(200)
		})

		t.Run("Refused", func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, s.Dialect()))
			ts.invite("erin", "viewer")
			for _, tc := range []struct {
				method, path, body string
				status             int
			}{
				{"POST", "/admin/admins", `{"username":"erin","role":"viewer"}`, 409},
				{"POST", "/admin/admins", `{"username":"bad name","role":"viewer"}`, 400},
				{"POST", "/admin/admins", `{"username":"frank","role":"god"}`, 400},
				{"POST", "/admin/admins", `{"username":"frank"}`, 400},
				{"PUT", "/admin/admins/erin", `{}`, 400},
				{"PUT", "/admin/admins/erin", `{"role":"god"}`, 400},
				{"PUT", "/admin/admins/nobody", `{"role":"viewer"}`, 404},
				{"POST", "/auth/admin/accept-invite", `{"token":"x"}`, 400},
			} {
				ts.do(tc.method, tc.path, ts.adminToken, tc.body).wantStatus(tc.status)
			}
			if n := len(ts.admin("GET", "/admin/admins", "").json()["admins"].([]any)); n != 2 {
				t.Errorf("%d admins after the refusals, want 2", n)
			}
		})
	})
}
