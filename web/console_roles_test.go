package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// consoleRoute is a console route and what it does.
type consoleRoute struct {
	method, path string
	form         url.Values
	action       switchboard.Action
}

// consoleRoutes are the console's routes past sign-in; the ones that delete
// come last, so every route before them finds the client.
var consoleRoutes = []consoleRoute{
	{"GET", "/console", nil, switchboard.ReadClients},
	{"GET", "/console/activity", nil, switchboard.ReadActivity},
	{"GET", "/console/clients", nil, switchboard.ReadClients},
	{"GET", "/console/clients.csv", nil, switchboard.ReadClients},
	{"GET", "/console/clients/acme", nil, switchboard.ReadClients},
	{"GET", "/console/calls", nil, switchboard.ReadCalls},
	{"GET", "/console/clients/acme/calling-check", nil, switchboard.ReadCalls},
	{"GET", "/console/clients/new", nil, switchboard.ChangeClients},
	{"POST", "/console/clients", newClientForm("newco", "new@example.com"), switchboard.ChangeClients},
	{"GET", "/console/clients/acme/created", nil, switchboard.ChangeClients},
	{"POST", "/console/clients/acme", url.Values{"clientMeta.fullName": {"Mallory"}}, switchboard.ChangeClients},
	{"GET", "/console/clients/acme/status?to=Suspended", nil, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/status", url.Values{"status": {"Suspended"}}, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/status", url.Values{"status": {"Active"}}, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/calling", url.Values{"maxCallsPerHour": {"1"}}, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/calls", url.Values{"phone": {"+14155550102"}}, switchboard.ChangeCalls},
	{"POST", "/console/clients/acme/do-not-call", url.Values{"phone": {"+14155550109"}}, switchboard.ChangeCalls},
	{"POST", "/console/clients/acme/do-not-call/remove", url.Values{"phone": {"+14155550109"}}, switchboard.ChangeCalls},
	{"GET", "/console/team", nil, switchboard.ManageTeam},
	{"POST", "/console/team", url.Values{"username": {"mallory"}, "role": {"owner"}}, switchboard.ManageTeam},
	{"POST", "/console/team/operator/role", url.Values{"role": {"owner"}}, switchboard.ManageTeam},
	{"POST", "/console/team/viewer/disabled", url.Values{"disabled": {"true"}}, switchboard.ManageTeam},
	{"POST", "/console/team/operator/reset-mfa", url.Values{}, switchboard.ManageTeam},
	{"POST", "/console/team/operator/reset-password", url.Values{}, switchboard.ManageTeam},
	{"POST", "/console/team/viewer/delete", url.Values{}, switchboard.ManageTeam},
	{"GET", "/console/clients/acme/reset-secret", nil, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/reset-secret", url.Values{}, switchboard.ChangeClients},
	{"GET", "/console/clients/acme/delete", nil, switchboard.ChangeClients},
	{"POST", "/console/clients/acme/delete", url.Values{}, switchboard.ChangeClients},
	// Last: once it is on, the owner (without two-factor) is sent to set it up.
	{"POST", "/console/security/team", url.Values{"requireAdminMfa": {"true"}}, switchboard.ManageTeam},
}

// Every console route answers each role as switchboard.Can says: a forged
// request of a role that may not answers 403 and changes nothing.
func TestConsole_Roles(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
		s := siteOn(t, st, nil, nil)
		s.seed(t, "acme", "Acme Owner", "owner@example.com", "Acme", switchboard.StatusActive)
		browsers := map[switchboard.Role]*browser{}
		for _, role := range []switchboard.Role{switchboard.RoleViewer, switchboard.RoleOperator} {
			browsers[role] = s.teamMember(t, string(role), role)
		}
		browsers[switchboard.RoleOwner] = s.signedIn(t)
		// The viewer first, so the state it must not change is the seed's.
		for _, role := range []switchboard.Role{switchboard.RoleViewer, switchboard.RoleOperator, switchboard.RoleOwner} {
			b := browsers[role]
			for _, r := range consoleRoutes {
				before := s.snapshot(t)
				var p *page
				if r.method == "GET" {
					p = b.get(r.path)
				} else {
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					p = b.post(r.path, form)
				}
				if switchboard.Can(role, r.action) {
					if p.Status == http.StatusForbidden || p.Status == http.StatusUnauthorized {
						t.Errorf("%s %s %s: %d, want it let through", role, r.method, r.path, p.Status)
					}
					continue
				}
				if p.Status != http.StatusForbidden {
					t.Errorf("%s %s %s: %d, want 403", role, r.method, r.path, p.Status)
				}
				if after := s.snapshot(t); after != before {
					t.Errorf("%s %s %s: refused, but the store changed:\nbefore %s\nafter  %s", role, r.method, r.path, before, after)
				}
			}
		}
	})
}

// A viewer sees no button it cannot use; an operator sees them.
func TestConsole_ViewerSeesNoChangeButtons(t *testing.T) {
	s := newSite(t, nil)
	s.seed(t, "acme", "Acme Owner", "owner@example.com", "Acme", switchboard.StatusActive)
	buttons := []string{`[data-action="toggle-status"]`, `[data-action="reset-secret"]`, `[data-action="delete"]`,
		`[data-action="edit"]`, `[data-testid="place-call"]`, `[data-testid="nav-new-client"]`}
	for role, want := range map[switchboard.Role]int{switchboard.RoleViewer: 0, switchboard.RoleOperator: 1} {
		b := s.teamMember(t, string(role), role)
		p := b.get("/console/clients/acme").wantStatus(http.StatusOK)
		for _, sel := range buttons {
			if got := p.Doc.Find(sel).Length(); (got > 0) != (want > 0) {
				t.Errorf("%s: %d of %s on the client's page, want %v", role, got, sel, want > 0)
			}
		}
		for _, path := range []string{"/console", "/console/clients"} {
			p := b.get(path).wantStatus(http.StatusOK)
			if got := p.Doc.Find(`a[href="/console/clients/new"]`).Length(); (got > 0) != (want > 0) {
				t.Errorf("%s: %d New client links on %s, want %v", role, got, path, want > 0)
			}
		}
	}
}

// teamMember stores an admin of role and returns a browser signed in as it.
func (s *site) teamMember(t testing.TB, username string, role switchboard.Role) *browser {
	t.Helper()
	const password = "team-member-password"
	hash, err := s.svc.Hasher.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateAdmin(context.Background(), &switchboard.Admin{Username: username, PasswordHash: hash, Role: role}); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.get("/console/login").wantStatus(http.StatusOK)
	b.post("/console/login", url.Values{"username": {username}, "password": {password}}).wantStatus(http.StatusSeeOther)
	b.get("/console").wantStatus(http.StatusOK)
	return b
}

// snapshot is what a console route could change: the clients, the calls,
// the do-not-call list, the audit trail, the team and its two-factor
// requirement.
func (s *site) snapshot(t testing.TB) string {
	t.Helper()
	clients, _, err := s.store.FindClients(context.Background(), switchboard.ClientFilter{})
	if err != nil {
		t.Fatal(err)
	}
	admins, err := s.store.ListAdmins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{clients, s.storedCalls(t), s.doNotCall(t, "acme"), s.events(t), admins, s.mfaRequired(t)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
