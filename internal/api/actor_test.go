package api_test

import (
	"context"
	"slices"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// adminChange is an /admin request that changes something, and the event
// it records.
type adminChange struct {
	method, path, body string
	status             int
	action             string
}

// adminChanges are every /admin route that changes something, as
// TestEveryAdminChangeNamesTheAdmin sends them.
var adminChanges = []adminChange{
	{"POST", "/admin/clients", clientJSON("newco", "new@example.com"), 201, switchboard.EventClientCreated},
	{"PUT", "/admin/clients/acme", `{"clientMeta":{"city":"Boston"}}`, 200, switchboard.EventClientUpdated},
	{"PUT", "/admin/clients/acme", `{"status":"Suspended"}`, 200, switchboard.EventClientStatusChanged},
	{"POST", "/admin/clients/acme/reset-secret", "", 200, switchboard.EventClientSecretReset},
	{"DELETE", "/admin/clients/acme", "", 200, switchboard.EventClientDeleted},
	{"POST", "/admin/clients/acme/make-call", `{"phone":"+14155550101"}`, 200, switchboard.EventCallQueued},
	{"POST", "/admin/clients/acme/do-not-call", `{"phone":"+14155550109"}`, 201, switchboard.EventDoNotCallAdded},
	{"DELETE", "/admin/clients/acme/do-not-call/+14155550100", "", 200, switchboard.EventDoNotCallRemoved},
	{"POST", "/admin/admins", `{"username":"mallory","role":"viewer"}`, 201, switchboard.EventAdminInvited},
	{"PUT", "/admin/admins/operator", `{"role":"viewer"}`, 200, switchboard.EventAdminRoleChanged},
	{"PUT", "/admin/admins/viewer", `{"disabled":true}`, 200, switchboard.EventAdminDisabled},
	{"PUT", "/admin/admins/disabled", `{"disabled":false}`, 200, switchboard.EventAdminEnabled},
	{"DELETE", "/admin/admins/operator", "", 200, switchboard.EventAdminDeleted},
	{"POST", "/admin/admins/operator/reset-password", "", 200, switchboard.EventAdminPasswordReset},
	{"DELETE", "/admin/admins/operator/mfa", "", 200, switchboard.EventAdminMFAReset},
	{"PUT", "/admin/settings/security", `{"requireAdminMfa":true}`, 200, switchboard.EventTeamMFARequired},
}

// TestEveryAdminChangeNamesTheAdmin: whichever admin makes a change over
// the JSON API, every event the change records names that admin, not the
// first one nor the system.
func TestEveryAdminChangeNamesTheAdmin(t *testing.T) {
	ctx := context.Background()
	for _, ch := range adminChanges {
		t.Run(ch.method+" "+ch.path+" "+ch.action, func(t *testing.T) {
			t.Parallel() // each row has a server and databases of its own
			storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
				cs := newCallServer(t, s)
				cs.client("acme")
				cs.admin("POST", "/admin/clients/acme/do-not-call", `{"phone":"+14155550100"}`).wantStatus(201)
				cs.signInMember(cs.db, "operator", switchboard.RoleOperator)
				if err := s.SetMFASecret(ctx, "operator", "sealed"); err != nil {
					t.Fatal(err)
				} else if err := s.EnableMFA(ctx, "operator", 0, nil); err != nil {
					t.Fatal(err)
				}
				cs.signInMember(cs.db, "viewer", switchboard.RoleViewer)
				cs.signInMember(cs.db, "disabled", switchboard.RoleViewer)
				cs.admin("PUT", "/admin/admins/disabled", `{"disabled":true}`).wantStatus(200)
				dana := cs.signInMember(cs.db, "dana", switchboard.RoleOwner)
				change := storetest.StartChange(t, s)

				cs.do(ch.method, ch.path, dana, ch.body).wantStatus(ch.status)
				change.WantActor(t, "admin:dana", ch.action)
			})
		})
	}
}

// The table names every /admin route that changes something.
func TestEveryAdminChangeIsTested(t *testing.T) {
	for _, r := range roleRoutes {
		if r.method == "GET" {
			continue
		}
		if !slices.ContainsFunc(adminChanges, func(ch adminChange) bool {
			return ch.method == r.method && ch.path == r.path
		}) {
			t.Errorf("%s %s is not in adminChanges", r.method, r.path)
		}
	}
}
