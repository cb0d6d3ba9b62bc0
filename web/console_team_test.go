package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// An owner invites an operator on the Team page; the operator chooses a
// password from the link and signs in; the owner changes, disables and
// removes it, but cannot disable the last owner.
func TestConsole_Team(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, nil)
	owner := s.signedIn(t)
	if owner.get("/console").wantStatus(http.StatusOK).testid("team-link").Length() != 1 {
		t.Error("the owner's dashboard has no link to Team")
	}
	owner.get("/console/team").wantStatus(http.StatusOK)
	p := owner.post("/console/team", url.Values{"username": {"alice"}, "role": {"operator"}}).wantStatus(http.StatusOK)
	link, _ := p.testid("invite-url").Attr("value")
	_, token, ok := strings.Cut(link, "/console/invite/")
	if !ok || len(token) != 64 {
		t.Fatalf("invite-url = %q, want …/console/invite/<token>", link)
	}
	owner.post("/console/team", url.Values{"username": {"alice"}, "role": {"viewer"}}).wantStatus(http.StatusConflict)

	alice := s.browser(t)
	alice.get("/console/invite/" + token).wantStatus(http.StatusOK)
	p = alice.post("/console/invite/"+token, url.Values{"password": {"too-short"}}).wantStatus(http.StatusBadRequest)
	if got := p.text("form-error"); got != "Password must be at least 12 characters." {
		t.Errorf("form-error = %q", got)
	}
	p = alice.post("/console/invite/"+token, url.Values{"password": {"alice-long-password"}}).wantStatus(http.StatusSeeOther)
	if p.location() != "/console/login" {
		t.Errorf("accepting leads to %q, want /console/login", p.location())
	}
	alice.post("/console/invite/"+token, url.Values{"password": {"alice-long-password"}}).wantStatus(http.StatusUnauthorized)
	alice.get("/console/login").wantStatus(http.StatusOK)
	alice.post("/console/login", url.Values{"username": {"alice"}, "password": {"alice-long-password"}}).wantStatus(http.StatusSeeOther)
	p = alice.get("/console").wantStatus(http.StatusOK)
	if p.testid("team-link").Length() != 0 {
		t.Error("an operator's dashboard links to Team")
	}
	alice.get("/console/team").wantStatus(http.StatusForbidden)

	owner.get("/console/team").wantStatus(http.StatusOK)
	owner.post("/console/team/alice/role", url.Values{"role": {"viewer"}}).wantStatus(http.StatusSeeOther)
	if a, err := s.store.FindAdminByUsername(ctx, "alice"); err != nil || a.Role != switchboard.RoleViewer {
		t.Fatalf("alice = %+v, %v; want a viewer", a, err)
	}
	alice.get("/console/clients/new").wantStatus(http.StatusForbidden)

	owner.post("/console/team/alice/disabled", url.Values{"disabled": {"true"}}).wantStatus(http.StatusSeeOther)
	alice.get("/console").wantSignInRedirect("/console")

	owner.post("/console/team/admin/disabled", url.Values{"disabled": {"true"}}).wantStatus(http.StatusConflict)
	owner.post("/console/team/admin/role", url.Values{"role": {"viewer"}}).wantStatus(http.StatusConflict)
	owner.post("/console/team/admin/delete", url.Values{}).wantStatus(http.StatusConflict)
	if a, err := s.store.FindAdminByUsername(ctx, "admin"); err != nil || a.Role != switchboard.RoleOwner || a.Disabled {
		t.Errorf("admin = %+v, %v; want an enabled owner still", a, err)
	}

	owner.post("/console/team/alice/delete", url.Values{}).wantStatus(http.StatusSeeOther)
	if _, err := s.store.FindAdminByUsername(ctx, "alice"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
		t.Errorf("alice after removal: %v, want not found", err)
	}
	if e := s.events(t)[0]; e.Action != switchboard.EventAdminDeleted || e.Actor != switchboard.AdminActor(adminUsername) {
		t.Errorf("latest event = %s by %s, want %s by the owner", e.Action, e.Actor, switchboard.EventAdminDeleted)
	}

	// The invitation's token is a password until used: never logged.
	if strings.Contains(s.log.String(), token) {
		t.Error("the log holds the invitation's token")
	}

	// The Activity page names who did what to whom.
	owner.wantActivity(
		"admin removed from the team alice",
		"admin changed the role of alice (operator → viewer)",
		"alice joined the team",
		"admin invited to the team alice (as operator)",
	)
}

// wantActivity checks that the Activity page has each of the sentences
// ("who verb whom (detail)") among its events.
func (b *browser) wantActivity(want ...string) {
	b.t.Helper()
	var lines []string
	b.get("/console/activity").wantStatus(http.StatusOK).Doc.Find(`[data-testid="event"]`).Each(func(_ int, e *goquery.Selection) {
		var words []string
		e.Find("span, a").Each(func(_ int, w *goquery.Selection) { words = append(words, strings.TrimSpace(w.Text())) })
		lines = append(lines, strings.Join(words, " "))
	})
	for _, w := range want {
		if !slices.Contains(lines, w) {
			b.t.Errorf("activity has no %q; it has %q", w, lines)
		}
	}
}
