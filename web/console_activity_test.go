package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// eventTexts is each listed event's words, the time left out.
func eventTexts(sel *goquery.Selection) []string {
	var out []string
	sel.Find(`[data-testid="event"]`).Each(func(_ int, s *goquery.Selection) {
		s = s.Clone()
		s.Find("time").Remove()
		out = append(out, strings.Join(strings.Fields(s.Text()), " "))
	})
	return out
}

// The Activity page holds the whole audit trail in words, newest first, in
// keyset pages, filtered by client and by kind; each client's page shows
// its own latest history.
func TestConsole_Activity(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	adaSecret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "", switchboard.StatusActive)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "", switchboard.StatusActive)
	ctx := context.Background()
	for i := range 30 {
		city := fmt.Sprintf("City %d", i)
		if _, err := s.store.UpdateClient(ctx, "acme_2", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: &city}}); err != nil {
			t.Fatal(err)
		}
	}
	// Ada changes her own secret; the admin resets Grace's.
	token := s.mustClientLogin(t, "acme_1", adaSecret)
	if status, body := s.jsonCall(t, http.MethodPost, "/auth/change-secret", token,
		map[string]string{"currentSecret": adaSecret, "newSecret": "a-brand-new-secret-1234"}); status != http.StatusOK {
		t.Fatalf("change-secret: %d %v", status, body)
	}
	b := s.signedIn(t)
	b.get("/console/clients/acme_2")
	b.post("/console/clients/acme_2/reset-secret", nil).wantStatus(http.StatusOK)

	p := b.get("/console/activity").wantStatus(http.StatusOK)
	if cur := p.testid("nav-activity").AttrOr("aria-current", ""); cur != "page" {
		t.Errorf("nav-activity aria-current = %q", cur)
	}
	got := eventTexts(p.testid("activity-results"))
	if len(got) != 25 {
		t.Fatalf("%d events on the first page, want 25", len(got))
	}
	for i, want := range []string{
		"admin reset the secret of Grace Hopper",
		"Ada Lovelace changed their secret",
		"Switchboard changed the profile of Grace Hopper (City)",
	} {
		if got[i] != want {
			t.Errorf("event %d = %q, want %q", i, got[i], want)
		}
	}
	if p.testid("newest-page").Length() != 0 {
		t.Error("the first page links to the newest")
	}
	older := p.testid("older-page").AttrOr("href", "")
	if !strings.HasPrefix(older, "/console/activity?after=") {
		t.Fatalf("older page link = %q", older)
	}
	p2 := b.get(older).wantStatus(http.StatusOK)
	rest := eventTexts(p2.testid("activity-results"))
	if len(rest) != 9 || rest[len(rest)-1] != "Switchboard created Ada Lovelace (as Active)" {
		t.Errorf("second page = %d events ending %q, want 9 ending with Ada's creation", len(rest), rest[len(rest)-1])
	}
	if p2.testid("older-page").Length() != 0 || p2.testid("newest-page").AttrOr("href", "") != "/console/activity" {
		t.Error("the last page's pager")
	}

	// Filters, with htmx getting the results alone.
	h := b.htmx(http.MethodGet, "/console/activity?client=acme_1", "activity-results", nil).wantStatus(http.StatusOK)
	if strings.Contains(h.Body, "<html") {
		t.Error("htmx got a whole page")
	}
	if got := eventTexts(h.Doc.Selection); strings.Join(got, "; ") != "Ada Lovelace changed their secret; Switchboard created Ada Lovelace (as Active)" {
		t.Errorf("acme_1's events = %q", got)
	}
	k := b.get("/console/activity?kind=" + url.QueryEscape(switchboard.EventClientSecretReset)).wantStatus(http.StatusOK)
	if got := eventTexts(k.testid("activity-results")); len(got) != 2 {
		t.Errorf("secret events = %q", got)
	}
	if v := k.testid("activity-kind").Find("option[selected]").AttrOr("value", ""); v != switchboard.EventClientSecretReset {
		t.Errorf("the kind select shows %q", v)
	}
	both := b.get("/console/activity?client=acme_2&kind=" + url.QueryEscape(switchboard.EventClientCreated)).wantStatus(http.StatusOK)
	if got := eventTexts(both.testid("activity-results")); strings.Join(got, "") != "Switchboard created Grace Hopper (as Active)" {
		t.Errorf("acme_2's creation = %q", got)
	}
	none := b.get("/console/activity?client=nobody").wantStatus(http.StatusOK)
	if none.testid("empty-state").Length() != 1 {
		t.Error("no empty state for a client with no events")
	}
	for q, problem := range map[string]string{
		"?kind=client.nothing": "no such kind", "?client=a%20b": "not a client ID", "?after=garbage": "page link is broken",
	} {
		p := b.get("/console/activity" + q).wantStatus(http.StatusOK)
		if !strings.Contains(p.text("form-error"), problem) || len(eventTexts(p.testid("activity-results"))) != 25 {
			t.Errorf("%s: error %q and %d events, want %q and the newest page", q, p.text("form-error"),
				len(eventTexts(p.testid("activity-results"))), problem)
		}
	}

	// Each client's page has its latest history, and the way to the rest.
	grace := b.get("/console/clients/acme_2").wantStatus(http.StatusOK)
	if got := eventTexts(grace.testid("client-history")); len(got) != 10 || got[0] != "admin reset the secret of Grace Hopper" {
		t.Errorf("Grace's history = %d events, first %q", len(got), got[0])
	}
	if href := grace.testid("client-history-all").AttrOr("href", ""); href != "/console/activity?client=acme_2" {
		t.Errorf("Grace's whole history links to %q", href)
	}
	ada := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	if got := eventTexts(ada.testid("client-history")); len(got) != 2 || ada.testid("client-history-all").Length() != 0 {
		t.Errorf("Ada's history = %q", got)
	}

	// The calling settings, replaced whole, are named in words too.
	if _, err := s.store.UpdateClient(ctx, "acme_1", switchboard.ClientUpdate{
		Calling: &switchboard.CallingSettings{MaxCallsPerHour: 5},
	}); err != nil {
		t.Fatal(err)
	}
	if got := eventTexts(b.get("/console/activity?client=acme_1").testid("activity-results")); got[0] != "Switchboard changed the profile of Ada Lovelace (Calling settings)" {
		t.Errorf("a calling settings change = %q", got[0])
	}
}

// The Activity page's "By" filter keeps what one administrator, or the
// system, did: with the client and kind filters, through htmx's partial
// updates and the pager's links. Each row's actor links to that filter. An
// actor no event has is an empty page; a control character is refused like
// a search's and the filter dropped.
func TestConsole_ActivityByActor(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "", switchboard.StatusActive) // by the system
	b := s.signedIn(t)                                                                   // admin
	dana := s.teamMember(t, "dana", switchboard.RoleOperator)
	for i := range 27 {
		edit := newClientForm("", "ada@example.com")
		edit.Set("clientMeta.city", fmt.Sprintf("City %d", i))
		dana.post("/console/clients/acme_1", edit).wantStatus(http.StatusSeeOther)
	}
	b.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantStatus(http.StatusSeeOther)

	p := b.get("/console/activity").wantStatus(http.StatusOK)
	var options []string
	p.testid("activity-actor").Find("option").Each(func(_ int, o *goquery.Selection) {
		options = append(options, o.AttrOr("value", "")+"="+o.Text())
	})
	if got := strings.Join(options, ", "); got != "=Anyone, admin:admin=admin, admin:dana=dana, system=System" {
		t.Errorf("the By options = %s", got)
	}
	if v := p.testid("activity-actor").Find("option[selected]").AttrOr("value", "x"); v != "" {
		t.Errorf("the By select shows %q, want Anyone", v)
	}
	// The newest row is the admin's; its name links to what the admin did.
	who := p.testid("event-who").First()
	if href := who.AttrOr("href", ""); who.Text() != "admin" || href != "/console/activity?actor=admin%3Aadmin" {
		t.Errorf("the newest row's actor = %q linking to %q", who.Text(), href)
	}

	// Dana's 27 edits, 25 and then 2, the filter kept by the pager.
	d := b.get("/console/activity?actor=" + url.QueryEscape("admin:dana")).wantStatus(http.StatusOK)
	got := eventTexts(d.testid("activity-results"))
	if len(got) != 25 || got[0] != "dana changed the profile of Ada Lovelace (City)" {
		t.Fatalf("dana's first page = %d events, first %q", len(got), got[0])
	}
	if v := d.testid("activity-actor").Find("option[selected]").AttrOr("value", ""); v != "admin:dana" {
		t.Errorf("the By select shows %q", v)
	}
	older := d.testid("older-page").AttrOr("href", "")
	if q, _ := url.ParseQuery(strings.TrimPrefix(older, "/console/activity?")); q.Get("actor") != "admin:dana" || q.Get("after") == "" {
		t.Fatalf("older link = %q, want the actor filter kept", older)
	}
	h := b.htmx(http.MethodGet, older, "activity-results", nil).wantStatus(http.StatusOK)
	if strings.Contains(h.Body, "<html") {
		t.Error("htmx got a whole page")
	}
	if got := eventTexts(h.Doc.Selection); len(got) != 2 || !strings.HasPrefix(got[0], "dana ") || !strings.HasPrefix(got[1], "dana ") {
		t.Errorf("dana's second page = %q", got)
	}
	if newest := h.testid("newest-page").AttrOr("href", ""); newest != "/console/activity?actor=admin%3Adana" {
		t.Errorf("newest link = %q", newest)
	}

	// Combined with the kind and client filters.
	for q, want := range map[string]string{
		"actor=admin%3Aadmin&kind=client.status_changed":        "admin changed the status of Ada Lovelace (Active → Suspended)",
		"actor=admin%3Adana&kind=client.status_changed":         "",
		"actor=system&client=acme_1":                            "Switchboard created Ada Lovelace (as Active)",
		"actor=system&client=acme_1&kind=client.created":        "Switchboard created Ada Lovelace (as Active)",
		"actor=admin%3Aadmin&client=acme_1&kind=client.created": "",
	} {
		p := b.get("/console/activity?" + q).wantStatus(http.StatusOK)
		if got := strings.Join(eventTexts(p.testid("activity-results")), "; "); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
		if want == "" && p.testid("empty-state").Length() != 1 {
			t.Errorf("%s: no empty state", q)
		}
	}

	// An actor nobody is: an empty page, no error, the select showing it.
	for _, actor := range []string{"admin:nobody", "client:acme_1", "anything at all"} {
		p := b.get("/console/activity?actor=" + url.QueryEscape(actor)).wantStatus(http.StatusOK)
		if p.testid("empty-state").Length() != 1 || p.testid("form-error").Length() != 0 {
			t.Errorf("%q: want the empty state and no error", actor)
		}
		if v := p.testid("activity-actor").Find("option[selected]").AttrOr("value", ""); v != actor {
			t.Errorf("%q: the By select shows %q", actor, v)
		}
	}
	// A control character: refused, everyone's events shown.
	for _, actor := range []string{"admin:dana\x00", "admin:\x1bdana", "admin:dana\u200b"} {
		p := b.get("/console/activity?actor=" + url.QueryEscape(actor)).wantStatus(http.StatusOK)
		if !strings.Contains(p.text("form-error"), "cannot contain control") || len(eventTexts(p.testid("activity-results"))) != 25 {
			t.Errorf("%q: error %q, want the refusal and the newest page", actor, p.text("form-error"))
		}
		if v := p.testid("activity-actor").Find("option[selected]").AttrOr("value", ""); v != "" {
			t.Errorf("%q: the By select shows %q, want Anyone", actor, v)
		}
	}
}
