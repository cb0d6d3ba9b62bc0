package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// dashboardCounts reads the count cards: testid → number shown.
func dashboardCounts(t *testing.T, p *page) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range []string{"count-total", "count-Active", "count-Inactive", "count-Suspended"} {
		card := p.testid(id)
		if card.Length() != 1 {
			t.Fatalf("%d %s cards, want 1", card.Length(), id)
		}
		out[id] = strings.TrimSpace(card.Find(`[data-testid="count"]`).Text())
	}
	return out
}

// activity is one item of the dashboard's activity list.
type activity struct {
	action, text string
	who, link    string // where who did it and whom it was done to link
	when         string // the datetime of its <time>
}

func dashboardActivity(p *page) []activity {
	var out []activity
	p.testid("event").Each(func(_ int, s *goquery.Selection) {
		a := activity{text: strings.Join(strings.Fields(s.Text()), " ")}
		a.action, _ = s.Attr("data-event-action")
		a.who, _ = s.Find(`[data-testid="event-who"]`).Attr("href")
		a.link, _ = s.Find(`a[data-testid="event-client"]`).Attr("href")
		a.when, _ = s.Find("time").Attr("datetime")
		out = append(out, a)
	})
	return out
}

func TestConsole_DashboardEmpty(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	p := s.signedIn(t).get("/console").wantStatus(http.StatusOK)
	want := map[string]string{"count-total": "0", "count-Active": "0", "count-Inactive": "0", "count-Suspended": "0"}
	if got := dashboardCounts(t, p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if got := p.text("newest-empty"); !strings.HasPrefix(got, "No clients yet.") {
		t.Errorf("newest-empty = %q", got)
	}
	if got := p.text("activity-empty"); !strings.HasPrefix(got, "Nothing has happened yet.") {
		t.Errorf("activity-empty = %q", got)
	}
	if p.testid("event").Length() != 0 || p.testid("newest-clients").Length() != 0 {
		t.Error("an empty dashboard lists clients or events")
	}
}

func TestConsole_Dashboard(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)

	// Created in this order; ids sort the same way, so clients created in
	// the same millisecond keep their order in the newest-first listing.
	statuses := []string{"Active", "Inactive", "Active", "Suspended", "Inactive", "Active"}
	for i, st := range statuses {
		f := newClientForm(fmt.Sprintf("cl%d", i+1), fmt.Sprintf("cl%d@example.com", i+1))
		f.Set("clientMeta.fullName", fmt.Sprintf("Client Number %d", i+1))
		f.Set("status", st)
		b.create(f)
	}

	p := b.get("/console").wantStatus(http.StatusOK)
	want := map[string]string{"count-total": "6", "count-Active": "3", "count-Inactive": "2", "count-Suspended": "1"}
	if got := dashboardCounts(t, p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	for id, href := range map[string]string{
		"count-total": "/console/clients", "count-Active": "/console/clients?status=Active",
		"count-Inactive": "/console/clients?status=Inactive", "count-Suspended": "/console/clients?status=Suspended",
	} {
		if got, _ := p.testid(id).Attr("href"); got != href {
			t.Errorf("%s links to %q, want %q", id, got, href)
		}
	}

	// The five newest, newest first, with their status.
	var newest []string
	p.testid("newest-clients").Find("li").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Find("a").Attr("href")
		newest = append(newest, fmt.Sprintf("%s %s %s", href, strings.TrimSpace(s.Find("a").Text()),
			strings.TrimSpace(s.Find(`[data-testid="status-badge"]`).Text())))
	})
	wantNewest := []string{
		"/console/clients/cl6 Client Number 6 Active",
		"/console/clients/cl5 Client Number 5 Inactive",
		"/console/clients/cl4 Client Number 4 Suspended",
		"/console/clients/cl3 Client Number 3 Active",
		"/console/clients/cl2 Client Number 2 Inactive",
	}
	if strings.Join(newest, "\n") != strings.Join(wantNewest, "\n") {
		t.Errorf("newest clients:\n%s\nwant:\n%s", strings.Join(newest, "\n"), strings.Join(wantNewest, "\n"))
	}

	// Activity: who did what to which client, newest first, whatever door
	// the change came through.
	token := s.adminToken(t)
	if status, body := s.jsonCall(t, http.MethodPut, "/admin/clients/cl1", token, map[string]string{"status": "Suspended"}); status != http.StatusOK {
		t.Fatalf("JSON suspend: %d %v", status, body)
	}
	if status, body := s.jsonCall(t, http.MethodDelete, "/admin/clients/cl2", token, nil); status != http.StatusOK {
		t.Fatalf("JSON delete: %d %v", status, body)
	}
	edit := newClientForm("", "cl3@example.com")
	edit.Set("clientMeta.fullName", "Client Number 3")
	edit.Set("clientMeta.city", "Paris")
	b.post("/console/clients/cl3", edit).wantStatus(http.StatusSeeOther)
	// A client changing its own record is named too.
	secret := resetByJSON(t, s, token, "cl6")
	clientToken := s.mustClientLogin(t, "cl6", secret)
	if status, body := s.jsonCall(t, http.MethodPut, "/secure/client", clientToken,
		map[string]any{"clientMeta": map[string]string{"jobTitle": "CTO"}}); status != http.StatusOK {
		t.Fatalf("client self-update: %d %v", status, body)
	}

	p = b.get("/console").wantStatus(http.StatusOK)
	want = map[string]string{"count-total": "5", "count-Active": "2", "count-Inactive": "1", "count-Suspended": "2"}
	if got := dashboardCounts(t, p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts after the changes = %v, want %v", got, want)
	}
	got := dashboardActivity(p)
	// People and clients by name, fields by label; a client acting on
	// itself says so; the deleted client cl2 is named by its id, unlinked.
	admin := "/console/activity?actor=admin%3Aadmin"
	wantActivity := []activity{
		{"client.updated", "Client Number 6 changed their profile (Job title)", "/console/clients/cl6", "", ""},
		{"client.secret_reset", "admin reset the secret of Client Number 6", admin, "/console/clients/cl6", ""},
		{"client.updated", "admin changed the profile of Client Number 3 (City)", admin, "/console/clients/cl3", ""},
		{"client.deleted", "admin deleted cl2", admin, "", ""},
		{"client.status_changed", "admin changed the status of Client Number 1 (Active → Suspended)", admin, "/console/clients/cl1", ""},
		{"client.created", "admin created Client Number 6 (as Active)", admin, "/console/clients/cl6", ""},
		{"client.created", "admin created Client Number 5 (as Inactive)", admin, "/console/clients/cl5", ""},
		{"client.created", "admin created Client Number 4 (as Suspended)", admin, "/console/clients/cl4", ""},
		{"client.created", "admin created Client Number 3 (as Active)", admin, "/console/clients/cl3", ""},
		{"client.created", "admin created cl2 (as Inactive)", admin, "", ""},
	}
	if len(got) != len(wantActivity) {
		t.Fatalf("%d events shown, want %d: %+v", len(got), len(wantActivity), got)
	}
	for i := range got {
		w := wantActivity[i]
		// The time comes last; compare what precedes it.
		if got[i].action != w.action || !strings.HasPrefix(got[i].text, w.text+" ") || got[i].who != w.who || got[i].link != w.link {
			t.Errorf("event %d = %+v, want %+v followed by the time", i, got[i], w)
		}
		if at, err := time.Parse(time.RFC3339, got[i].when); err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
			t.Errorf("event %d: time %q, want about now", i, got[i].when)
		}
	}
}

// resetByJSON resets a client's secret through the JSON admin API.
func resetByJSON(t *testing.T, s *site, token, id string) string {
	t.Helper()
	status, body := s.jsonCall(t, http.MethodPost, "/admin/clients/"+url.PathEscape(id)+"/reset-secret", token, nil)
	client, _ := body["client"].(map[string]any)
	secret, _ := client["clientSecret"].(string)
	if status != http.StatusOK || secret == "" {
		t.Fatalf("JSON reset-secret: %d %v", status, body)
	}
	return secret
}
