package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// roleRoute is an /admin route and what it does.
type roleRoute struct {
	method, path, body string
	action             switchboard.Action
}

// roleRoutes are every /admin route, as the table test sends them; "{callId}"
// stands for a call the setup placed.
var roleRoutes = []roleRoute{
	{"GET", "/admin/clients", "", switchboard.ReadClients},
	{"POST", "/admin/clients", clientJSON("newco", "new@example.com"), switchboard.ChangeClients},
	{"GET", "/admin/clients/acme", "", switchboard.ReadClients},
	{"PUT", "/admin/clients/acme", `{"status":"Suspended"}`, switchboard.ChangeClients},
	{"DELETE", "/admin/clients/acme", "", switchboard.ChangeClients},
	{"POST", "/admin/clients/acme/reset-secret", "", switchboard.ChangeClients},
	{"GET", "/admin/dashboard", "", switchboard.ReadCalls},
	{"GET", "/admin/calls", "", switchboard.ReadCalls},
	{"GET", "/admin/calls/{callId}", "", switchboard.ReadCalls},
	{"POST", "/admin/clients/acme/make-call", `{"phone":"+14155550101"}`, switchboard.ChangeCalls},
	{"GET", "/admin/clients/acme/calls", "", switchboard.ReadCalls},
	{"GET", "/admin/clients/acme/calling-check", "", switchboard.ReadCalls},
	{"GET", "/admin/clients/acme/do-not-call", "", switchboard.ReadCalls},
	{"POST", "/admin/clients/acme/do-not-call", `{"phone":"+14155550109"}`, switchboard.ChangeCalls},
	{"DELETE", "/admin/clients/acme/do-not-call/+14155550100", "", switchboard.ChangeCalls},
	{"GET", "/admin/admins", "", switchboard.ManageTeam},
	{"POST", "/admin/admins", `{"username":"mallory","role":"owner"}`, switchboard.ManageTeam},
	{"PUT", "/admin/admins/operator", `{"role":"owner"}`, switchboard.ManageTeam},
	{"PUT", "/admin/admins/viewer", `{"disabled":true}`, switchboard.ManageTeam},
	{"POST", "/admin/admins/operator/reset-password", "", switchboard.ManageTeam},
	{"DELETE", "/admin/admins/operator/mfa", "", switchboard.ManageTeam},
	{"DELETE", "/admin/admins/operator", "", switchboard.ManageTeam},
	{"GET", "/admin/events", "", switchboard.ReadActivity},
	{"GET", "/admin/settings/security", "", switchboard.ManageTeam},
	{"PUT", "/admin/settings/security", `{"requireAdminMfa":true}`, switchboard.ManageTeam},
}

// Every /admin route answers each role as switchboard.Can says: a role
// that may not gets 403 and the store is as it was; one that may gets
// past the check.
func TestAdminRoutesByRole(t *testing.T) {
	for _, r := range roleRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			t.Parallel() // each row has a server and databases of its own
			storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
				cs := newCallServer(t, s)
				token := cs.client("acme")
				call := cs.placeCall("acme", token, "+14155550102")
				cs.do("POST", "/secure/do-not-call", token, `{"phone":"+14155550100"}`).wantStatus(201)
				path := strings.Replace(r.path, "{callId}", call.ID, 1)
				tokens := map[switchboard.Role]string{switchboard.RoleOwner: cs.adminToken}
				for _, role := range []switchboard.Role{switchboard.RoleOperator, switchboard.RoleViewer} {
					tokens[role] = cs.signInMember(cs.db, string(role), role)
				}
				// The refused roles first, so the state they must not change
				// is the setup's.
				for _, role := range []switchboard.Role{switchboard.RoleViewer, switchboard.RoleOperator, switchboard.RoleOwner} {
					before := cs.snapshot()
					res := cs.do(r.method, path, tokens[role], r.body)
					if switchboard.Can(role, r.action) {
						if res.Status == 403 || res.Status == 401 {
							t.Errorf("%s: %d %s, want it let through", role, res.Status, res.Body)
						}
						continue
					}
					res.wantBody(`{"error":"Forbidden","message":"Insufficient permissions"}`)
					if after := cs.snapshot(); after != before {
						t.Errorf("%s: refused, but the store changed:\nbefore %s\nafter  %s", role, before, after)
					}
				}
			})
		})
	}
}

// The table names every /admin route the app registers.
func TestAdminRoutesByRoleNamesEveryRoute(t *testing.T) {
	cs := newCallServer(t, storetest.Open(t, "sqlite"))
	var table []string
	for _, r := range roleRoutes {
		p := strings.Replace(r.path, "/acme", "/{clientId}", 1)
		p = strings.Replace(p, "+14155550100", "{phone}", 1)
		p = strings.Replace(strings.Replace(p, "/admins/operator", "/admins/{username}", 1), "/admins/viewer", "/admins/{username}", 1)
		table = append(table, r.method+" "+p)
	}
	for _, r := range appRoutes(cs) {
		if strings.Contains(r, " /admin/") && !slices.Contains(table, r) {
			t.Errorf("%s is not in roleRoutes", r)
		}
	}
}

// snapshot is what an admin route could change: the clients, the calls,
// the do-not-call list, the team, the audit trail and the team's
// two-factor requirement.
func (cs *callServer) snapshot() string {
	cs.t.Helper()
	ctx := context.Background()
	clients, _, err := cs.db.FindClients(ctx, switchboard.ClientFilter{})
	if err != nil {
		cs.t.Fatal(err)
	}
	events, err := cs.db.FindEvents(ctx, switchboard.MaxEventLimit)
	if err != nil {
		cs.t.Fatal(err)
	}
	admins, err := cs.db.ListAdmins(ctx)
	if err != nil {
		cs.t.Fatal(err)
	}
	mfaRequired, err := cs.db.AdminMFARequired(ctx)
	if err != nil {
		cs.t.Fatal(err)
	}
	dnc := cs.admin("GET", "/admin/clients/acme/do-not-call", "")
	b, err := json.Marshal([]any{clients, cs.storedCalls(), events, admins, string(dnc.Body), mfaRequired})
	if err != nil {
		cs.t.Fatal(err)
	}
	return string(b)
}
