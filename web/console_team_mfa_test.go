package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"switchboard/internal/switchboard"
)

// enableMFA turns two-factor sign-in on from the browser's Security page.
func (b *browser) enableMFA() {
	b.t.Helper()
	secret := b.post("/console/security/setup", nil).wantStatus(http.StatusOK).text("mfa-secret")
	code, _ := totp.GenerateCode(secret, time.Now())
	b.post("/console/security/confirm", url.Values{"code": {code}}).wantStatus(http.StatusOK)
}

// wantSentToSecurity asserts a GET of path is sent to the Security page.
func (b *browser) wantSentToSecurity(path string) {
	b.t.Helper()
	if p := b.get(path).wantStatus(http.StatusSeeOther); p.location() != "/console/security" {
		b.t.Errorf("GET %s leads to %q, want /console/security", path, p.location())
	}
}

func (s *site) mfaRequired(t testing.TB) bool {
	t.Helper()
	on, err := s.store.AdminMFARequired(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return on
}

// An owner requires two-factor sign-in from the Security page's Team
// section: the flash says so, the change is in the audit trail, an admin
// without it is sent to set it up; the owner lifts it and they are free.
func TestConsole_OwnerRequiresMFA(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	owner := s.signedIn(t)
	ops := s.teamMember(t, "ops", switchboard.RoleOperator)
	owner.get("/console/security").wantStatus(http.StatusOK)
	owner.enableMFA()

	p := owner.get("/console/security").wantStatus(http.StatusOK)
	if got := p.testid("team-mfa-status").AttrOr("data-required", ""); got != "false" {
		t.Errorf("team-mfa-status data-required = %q, want false", got)
	}
	if p.Doc.Find(`[data-testid="team-mfa-form"] input[name="_csrf"]`).Length() != 1 ||
		p.Doc.Find(`[data-testid="team-mfa-form"] input[name="requireAdminMfa"][value="true"]`).Length() != 1 {
		t.Error("the Team form lacks its CSRF token or its requireAdminMfa=true")
	}
	if _, off := p.Doc.Find(`[data-action="require-mfa"]`).Attr("disabled"); off {
		t.Error("the Team button is disabled")
	}

	if p := owner.post("/console/security/team", url.Values{"requireAdminMfa": {"true"}}).wantStatus(http.StatusSeeOther); p.location() != "/console/security" {
		t.Errorf("the form leads to %q, want /console/security", p.location())
	}
	p = owner.get("/console/security").wantStatus(http.StatusOK)
	if !strings.HasPrefix(p.text("flash"), "Two-factor sign-in is now required of every administrator") {
		t.Errorf("flash = %q", p.text("flash"))
	}
	if got := p.testid("team-mfa-status").AttrOr("data-required", ""); got != "true" {
		t.Errorf("after requiring, data-required = %q, want true", got)
	}
	if !s.mfaRequired(t) {
		t.Fatal("the requirement is not stored")
	}
	if e := s.events(t)[0]; e.Action != switchboard.EventTeamMFARequired || e.Actor != switchboard.AdminActor(adminUsername) {
		t.Errorf("latest event = %s by %s, want %s by the owner", e.Action, e.Actor, switchboard.EventTeamMFARequired)
	}
	ev := owner.get("/console/activity").wantStatus(http.StatusOK).Doc.Find(`[data-event-action="team.mfa_required"]`)
	if !strings.Contains(ev.Text(), "required two-factor sign-in of every administrator") || ev.Find(`[data-testid="event-client"]`).Length() != 0 {
		t.Errorf("Activity shows the change as %q", strings.Join(strings.Fields(ev.Text()), " "))
	}

	// The operator is sent to set it up, sees why, and no Team section.
	ops.wantSentToSecurity("/console")
	p = ops.get("/console/security").wantStatus(http.StatusOK)
	if p.testid("mfa-required").Length() != 1 || p.testid("team-mfa").Length() != 0 {
		t.Error("the operator's Security page lacks the requirement's alert, or shows the Team section")
	}
	owner.get("/console").wantStatus(http.StatusOK) // the owner has it on

	owner.get("/console/security").wantStatus(http.StatusOK)
	owner.post("/console/security/team", url.Values{"requireAdminMfa": {"false"}}).wantStatus(http.StatusSeeOther)
	if p := owner.get("/console/security").wantStatus(http.StatusOK); p.text("flash") != "Two-factor sign-in is no longer required: each administrator chooses." {
		t.Errorf("flash = %q", p.text("flash"))
	}
	if s.mfaRequired(t) {
		t.Error("still required after lifting it")
	}
	ops.get("/console").wantStatus(http.StatusOK)

	// A value that is neither: 400, nothing changes.
	owner.get("/console/security").wantStatus(http.StatusOK)
	if p := owner.post("/console/security/team", url.Values{"requireAdminMfa": {"yes"}}).wantStatus(http.StatusBadRequest); p.text("form-error") == "" {
		t.Error("a bad value shows no error")
	}
	// A forged post: 403, nothing changes.
	owner.post("/console/security/team", url.Values{"_csrf": {"forged"}, "requireAdminMfa": {"true"}}).wantStatus(http.StatusForbidden)
	if s.mfaRequired(t) {
		t.Error("a refused post changed the requirement")
	}
}

// The console's redirect reads the stored setting on every request: set
// through another app over the same database (another instance), it
// holds the next page; an owner without two-factor cannot lift it
// before setting its own up.
func TestConsole_StoredMFARequirement(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	owner := s.signedIn(t)
	owner.get("/console").wantStatus(http.StatusOK)

	other := newSiteOn(t, s, nil)
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor(adminUsername))
	if err := other.svc.SetAdminMFARequired(ctx, true); err != nil {
		t.Fatal(err)
	}
	owner.wantSentToSecurity("/console")
	owner.wantSentToSecurity("/console/team")
	p := owner.get("/console/security").wantStatus(http.StatusOK)
	if _, off := p.Doc.Find(`[data-action="require-mfa"]`).Attr("disabled"); !off || p.testid("team-mfa-own-first").Length() != 1 {
		t.Error("an owner without two-factor can lift the requirement from the page")
	}
	if p := owner.post("/console/security/team", url.Values{"requireAdminMfa": {"false"}}).wantStatus(http.StatusSeeOther); p.location() != "/console/security" {
		t.Errorf("the post leads to %q, want /console/security", p.location())
	}
	if !s.mfaRequired(t) {
		t.Error("an owner without two-factor lifted the requirement")
	}

	if err := other.svc.SetAdminMFARequired(ctx, false); err != nil {
		t.Fatal(err)
	}
	owner.get("/console").wantStatus(http.StatusOK)
}

// REQUIRE_ADMIN_MFA=1: the Team button is disabled with the reason, and
// a post to lift it anyway is refused with 409.
func TestConsole_MFARequiredByEnvironment(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	owner := s.signedIn(t)
	owner.get("/console/security").wantStatus(http.StatusOK)
	owner.enableMFA()
	s.svc.RequireAdminMFA = true

	p := owner.get("/console/security").wantStatus(http.StatusOK)
	if _, off := p.Doc.Find(`[data-action="require-mfa"]`).Attr("disabled"); !off || p.testid("team-mfa-environment").Length() != 1 {
		t.Error("the Team button is not disabled with the environment's reason")
	}
	p = owner.post("/console/security/team", url.Values{"requireAdminMfa": {"false"}}).wantStatus(http.StatusConflict)
	if !strings.Contains(p.text("form-error"), "REQUIRE_ADMIN_MFA=1") {
		t.Errorf("form-error = %q", p.text("form-error"))
	}
	if len(s.events(t)) != 0 {
		t.Error("a refused change recorded an event")
	}
}
