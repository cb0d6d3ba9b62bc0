package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/mock"
	"switchboard/internal/switchboard"
)

// errInternal is what a broken database might say: nothing of it may reach
// a page.
var errInternal = fmt.Errorf("find client page: %w",
	errors.New(`pq: password authentication failed for user "switchboard" (db.internal:5432)`))

// An internal failure shows a generic page (or panel, to htmx) with no
// detail of the error, and the log has the error and the request id.
func TestConsole_InternalErrorPage(t *testing.T) {
	t.Parallel()
	ada := &switchboard.Client{ID: "acme_1", Status: switchboard.StatusActive, Meta: switchboard.ClientMeta{FullName: "Ada"}}
	clients := &mock.ClientService{
		FindClientPageFn: func(context.Context, switchboard.ClientPageFilter) (*switchboard.ClientPage, error) {
			return nil, errInternal
		},
		CountClientsByStatusFn: func(context.Context) (map[switchboard.Status]int, error) { return nil, errInternal },
		FindClientByIDFn: func(_ context.Context, id string) (*switchboard.Client, error) {
			if id == "acme_1" {
				return ada, nil
			}
			return nil, errInternal
		},
		UpdateClientFn: func(context.Context, string, switchboard.ClientUpdate) (*switchboard.Client, error) {
			return nil, errInternal
		},
		DeleteClientFn: func(context.Context, string) error { return errInternal },
		SetClientSecretHashFn: func(context.Context, string, string) (*switchboard.Client, error) {
			return nil, errInternal
		},
		CreateClientFn: func(context.Context, *switchboard.Client) error { return errInternal },
	}
	s := newSite(t, clients)
	b := s.browser(t)
	b.signIn()
	b.get("/console/clients/acme_1").wantStatus(http.StatusOK) // for a CSRF token

	tests := []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, "/console/clients", nil},
		{http.MethodGet, "/console/clients?search=ada", nil},
		{http.MethodGet, "/console", nil},
		{http.MethodGet, "/console/clients/broken", nil},
		{http.MethodPost, "/console/clients", newClientForm("acme_2", "grace@example.com")},
		{http.MethodPost, "/console/clients/acme_1", editForm()},
		{http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}},
		{http.MethodPost, "/console/clients/acme_1/reset-secret", nil},
		{http.MethodPost, "/console/clients/acme_1/delete", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			before := len(s.log.String())
			var p *page
			if tt.method == http.MethodGet {
				p = b.get(tt.path)
			} else {
				p = b.post(tt.path, tt.form)
			}
			p.wantError(http.StatusInternalServerError)
			panel := p.testid("error")
			if got := panel.Find("h1").Text(); got != "Something went wrong" {
				t.Errorf("title = %q", got)
			}
			for _, leak := range []string{"password authentication", "db.internal", "pq:", "find client page", "switchboard\""} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("the page shows %q", leak)
				}
			}
			logged := s.log.String()[before:]
			id := p.Header.Get("X-Request-ID")
			if id == "" {
				t.Fatal("no X-Request-ID")
			}
			found := false
			for _, line := range strings.Split(logged, "\n") {
				if strings.Contains(line, "page failed") && strings.Contains(line, "password authentication failed") &&
					strings.Contains(line, "request_id="+id) && strings.Contains(line, "level=ERROR") {
					found = true
				}
			}
			if !found {
				t.Errorf("the log has no error line with the cause and request id %s:\n%s", id, logged)
			}

			// htmx gets the panel alone, aimed at the main area.
			var h *page
			if tt.method == http.MethodGet {
				h = b.htmx(http.MethodGet, tt.path, "client-results", nil)
			} else {
				h = b.htmx(tt.method, tt.path, "status-panel", tt.form)
			}
			h.wantError(http.StatusInternalServerError)
			if strings.Contains(h.Body, "<html") || strings.Contains(h.Body, "password authentication") {
				t.Errorf("htmx: whole page or details:\n%s", h.Body)
			}
			if got := h.Header.Get("HX-Retarget"); got != "#main" {
				t.Errorf("htmx: HX-Retarget = %q", got)
			}
			if got := h.Header.Get("HX-Reswap"); got != "innerHTML" {
				t.Errorf("htmx: HX-Reswap = %q", got)
			}
		})
	}
}

// The user's own mistakes are not logged as server errors.
func TestConsole_UserErrorsNotLoggedAsFailures(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	b.get("/console/clients/nobody").wantError(http.StatusNotFound)
	b.post("/console/clients/nobody/status", url.Values{"status": {"x"}}).wantError(http.StatusBadRequest)
	b.post("/console/clients", url.Values{}).wantStatus(http.StatusUnprocessableEntity)
	if strings.Contains(s.log.String(), "page failed") {
		t.Errorf("a user's mistake logged as a failure:\n%s", s.log.String())
	}
}

// browserAccept is the Accept header Chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// An address that matches nothing outside /console and /account answers a
// browser with the HTML 404 page (a title, lang, a way back) and a program
// with the JSON API's error, as before.
func TestNotFound_HTMLForBrowsers(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.browser(t)
	for _, path := range []string{"/no/such/page", "/consoles", "/static/nothing.css"} {
		p := b.do(http.MethodGet, path, nil, map[string]string{"Accept": browserAccept}).wantError(http.StatusNotFound)
		if got := p.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", path, got)
		}
		if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" {
			t.Errorf("%s: lang = %q", path, lang)
		}
		if got := p.Doc.Find("title").Text(); !strings.Contains(got, "Page not found") {
			t.Errorf("%s: title = %q", path, got)
		}
		if href, _ := p.testid("error-back").Attr("href"); href != "/" {
			t.Errorf("%s: error-back links to %q, want /", path, href)
		}
		if got := p.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
			t.Errorf("%s: CSP = %q, want the pages' policy", path, got)
		}
		if !strings.Contains(p.Header.Get("Vary"), "Accept") {
			t.Errorf("%s: Vary = %q, want Accept", path, p.Header.Get("Vary"))
		}
	}
	for _, accept := range []string{"", "*/*", "application/json", "application/json, text/html;q=0.5"} {
		p := b.do(http.MethodGet, "/no/such/page", nil, map[string]string{"Accept": accept})
		if p.Status != http.StatusNotFound || p.Body != `{"error":"Not found"}` {
			t.Errorf("Accept %q: %d %s, want 404 and the JSON error", accept, p.Status, p.Body)
		}
	}
	// The API's own answers stay JSON whoever asks.
	p := b.do(http.MethodGet, "/admin/clients", nil, map[string]string{"Accept": browserAccept})
	if p.Status != http.StatusUnauthorized || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /admin/clients from a browser: %d %s %s, want the JSON 401", p.Status, p.Header.Get("Content-Type"), p.Body)
	}
	if strings.Contains(s.log.String(), "page failed") {
		t.Error("a 404 logged as a failure")
	}
}

// The console's and the account's 404 pages keep the area's navigation for
// whoever is signed in there.
func TestNotFound_KeepsNavigation(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	admin := s.signedIn(t)
	p := admin.get("/console/nope").wantError(http.StatusNotFound)
	if p.testid("nav-clients").Length() != 1 || p.testid("sign-out").Length() != 1 {
		t.Errorf("the console's 404 has no navigation:\n%s", p.Body)
	}
	secret := seedAdaAccount(t, s)
	client := s.signInClient(t, "acme_1", secret)
	p = client.get("/account/nope").wantError(http.StatusNotFound)
	if p.testid("nav-profile").Length() != 1 || p.testid("sign-out").Length() != 1 {
		t.Errorf("the account's 404 has no navigation:\n%s", p.Body)
	}
	// Signed out, there is nothing to navigate.
	p = s.browser(t).get("/console/nope").wantError(http.StatusNotFound)
	if p.testid("nav-clients").Length() != 0 {
		t.Error("a signed-out 404 shows the console's navigation")
	}
}
