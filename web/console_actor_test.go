package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// consoleChange is a console form that changes something, and the event
// it records.
type consoleChange struct {
	path   string
	form   url.Values
	action string
}

// consoleChanges are every console form that changes something, as
// TestConsole_EveryChangeNamesTheAdmin posts them.
var consoleChanges = []consoleChange{
	{"/console/clients", newClientForm("newco", "new@example.com"), switchboard.EventClientCreated},
	{"/console/clients/acme", editForm(), switchboard.EventClientUpdated}, // Ada's fields over acme's
	{"/console/clients/acme/status", url.Values{"status": {"Suspended"}}, switchboard.EventClientStatusChanged},
	{"/console/clients/acme/calling", url.Values{"calling.maxCallsPerHour": {"5"}}, switchboard.EventClientUpdated},
	{"/console/clients/acme/calls", placeForm("+14155550102", ""), switchboard.EventCallQueued},
	{"/console/clients/acme/do-not-call", url.Values{"phone": {"+14155550109"}}, switchboard.EventDoNotCallAdded},
	{"/console/clients/acme/do-not-call/remove", url.Values{"phone": {"+14155550108"}}, switchboard.EventDoNotCallRemoved},
	{"/console/team", url.Values{"username": {"mallory"}, "role": {"viewer"}}, switchboard.EventAdminInvited},
	{"/console/team/operator/role", url.Values{"role": {"viewer"}}, switchboard.EventAdminRoleChanged},
	{"/console/team/viewer/disabled", url.Values{"disabled": {"true"}}, switchboard.EventAdminDisabled},
	{"/console/team/viewer/delete", url.Values{}, switchboard.EventAdminDeleted},
	{"/console/team/operator/reset-password", url.Values{}, switchboard.EventAdminPasswordReset},
	{"/console/team/operator/reset-mfa", url.Values{}, switchboard.EventAdminMFAReset},
	{"/console/security/team", url.Values{"requireAdminMfa": {"true"}}, switchboard.EventTeamMFARequired},
	{"/console/security/password", passwordForm("team-member-password", newAdminPassword), switchboard.EventAdminPasswordChanged},
	{"/console/clients/acme/reset-secret", url.Values{}, switchboard.EventClientSecretReset},
	{"/console/clients/acme/delete", url.Values{}, switchboard.EventClientDeleted},
}

// Whichever admin makes a change in the console, every event the change
// records names that admin.
func TestConsole_EveryChangeNamesTheAdmin(t *testing.T) {
	ctx := context.Background()
	for _, ch := range consoleChanges {
		t.Run(ch.path+" "+ch.action, func(t *testing.T) {
			storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
				s := siteOn(t, st, nil, nil)
				s.knowSeeded()
				s.seed(t, "acme", "Acme Owner", "owner@example.com", "Acme", switchboard.StatusActive)
				if err := st.AddDoNotCall(ctx, "acme", "+14155550108", time.Now()); err != nil {
					t.Fatal(err)
				}
				s.teamMember(t, "operator", switchboard.RoleOperator)
				if err := st.SetMFASecret(ctx, "operator", "sealed"); err != nil {
					t.Fatal(err)
				} else if err := st.EnableMFA(ctx, "operator", 0, nil); err != nil {
					t.Fatal(err)
				}
				s.teamMember(t, "viewer", switchboard.RoleViewer)
				dana := s.teamMember(t, "dana", switchboard.RoleOwner)
				change := storetest.StartChange(t, st)

				form := url.Values{} // post adds the token: the table's stays as it is
				for k, v := range ch.form {
					form[k] = v
				}
				if p := dana.post(ch.path, form); p.Status != http.StatusOK && p.Status != http.StatusSeeOther {
					t.Fatalf("%d, want it done:\n%s", p.Status, p.Body)
				}
				change.WantActor(t, "admin:dana", ch.action)
			})
		})
	}
}

// The table names every console form that changes something.
func TestConsole_EveryChangeIsTested(t *testing.T) {
	for _, r := range consoleRoutes {
		if r.method == "GET" {
			continue
		}
		if !slices.ContainsFunc(consoleChanges, func(ch consoleChange) bool { return ch.path == r.path }) {
			t.Errorf("POST %s is not in consoleChanges", r.path)
		}
	}
}
