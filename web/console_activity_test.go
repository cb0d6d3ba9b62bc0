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
