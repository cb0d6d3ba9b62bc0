package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// focusOrder is the data-testid of every link and button of the page's
// header, in document order: the order the Tab key visits them.
func focusOrder(p *page) []string {
	var ids []string
	p.Doc.Find("header a, header button").Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-testid", strings.TrimSpace(s.Text())))
	})
	return ids
}

// In both areas the keyboard reaches the navigation before "Sign out".
func TestFocusOrder_NavigationBeforeSignOut(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	admin := s.signedIn(t)
	secret := seedAdaAccount(t, s)
	client := s.signInClient(t, "acme_1", secret)
	for _, tt := range []struct {
		b    *browser
		path string
	}{
		{admin, "/console"},
		{client, "/account"},
	} {
		order := focusOrder(tt.b.get(tt.path).wantStatus(http.StatusOK))
		want := []string{"brand"}
		if tt.path == "/console" {
			want = append(want, "nav-dashboard", "nav-clients", "nav-new-client", "nav-calls", "nav-activity", "nav-team", "nav-docs", "signed-in-as", "sign-out")
		} else {
			want = append(want, "nav-overview", "nav-calls", "nav-profile", "nav-api", "nav-secret", "sign-out")
		}
		if strings.Join(order, " ") != strings.Join(want, " ") {
			t.Errorf("%s: header focus order %q, want %q", tt.path, order, want)
		}
	}
}

// autofocused is the name of every input of the page that takes the focus
// when it loads.
func autofocused(p *page) []string {
	var names []string
	p.Doc.Find("[autofocus]").Each(func(_ int, s *goquery.Selection) {
		names = append(names, s.AttrOr("name", "?"))
	})
	return names
}

// A refused form puts the cursor in its first wrong field, in the order the
// form shows them, and nowhere on a form that is not refused.
func TestFocus_FirstWrongField(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	if got := autofocused(b.get("/console/clients/new").wantStatus(http.StatusOK)); len(got) != 0 {
		t.Errorf("the new-client form focuses %q before anything is wrong", got)
	}
	f := newClientForm("acme_1", "not-an-email")
	f.Set("clientMeta.phone", "555")
	f.Set("twilioPhoneNumber", "nope")
	p := b.post("/console/clients", f).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(p); strings.Join(got, " ") != "clientMeta.email" {
		t.Errorf("refused create: autofocus on %q, want the email alone", got)
	}

	// The edit form on the client's page.
	b.create(newClientForm("acme_1", "ada@example.com"))
	if got := autofocused(b.get("/console/clients/acme_1").wantStatus(http.StatusOK)); len(got) != 0 {
		t.Errorf("the client's page focuses %q", got)
	}
	e := editForm()
	e.Set("twilioPhoneNumber", "nope")
	e.Set("clientMeta.city", strings.Repeat("c", 101))
	p = b.post("/console/clients/acme_1", e).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(p); strings.Join(got, " ") != "clientMeta.city" {
		t.Errorf("refused edit: autofocus on %q, want the city alone", got)
	}

	// A client's profile and secret forms.
	secret := b.create2(t)
	client := s.signInClient(t, "acme_2", secret)
	prof := adaProfile()
	prof.Set("clientMeta.email", "grace@example.com")
	prof.Set("clientMeta.phone", "12")
	prof.Set("clientMeta.jobTitle", strings.Repeat("j", 101))
	client.get("/account/profile")
	p = client.post("/account/profile", prof).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(p); strings.Join(got, " ") != "clientMeta.phone" {
		t.Errorf("refused profile: autofocus on %q, want the phone alone", got)
	}
	client.get("/account/secret")
	p = client.post("/account/secret", url.Values{"currentSecret": {secret}, "newSecret": {"short"}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(p); strings.Join(got, " ") != "newSecret" {
		t.Errorf("refused secret change: autofocus on %q, want the new secret alone", got)
	}
}

// create2 creates Grace (acme_2) and returns her secret.
func (b *browser) create2(t *testing.T) string {
	t.Helper()
	f := newClientForm("acme_2", "grace@example.com")
	f.Set("clientMeta.fullName", "Grace Hopper")
	_, secret := b.create(f)
	return secret
}

// Every panel htmx swaps in to confirm or to show a result carries
// data-autofocus (and tabindex -1), which app.js focuses once it is in
// place; the live search's results carry none, so typing goes on.
func TestFocus_SwappedPanelsTakeTheFocus(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	seedAda(t, b)
	b.get("/console/clients/acme_1")
	panels := map[string]*page{
		"confirm reset":  b.htmx(http.MethodGet, "/console/clients/acme_1/reset-secret", "client-action-panel", nil),
		"confirm delete": b.htmx(http.MethodGet, "/console/clients/acme_1/delete", "client-action-panel", nil),
		"confirm status": b.htmx(http.MethodGet, "/console/clients/acme_1/status?to=Inactive", "client-action-panel", nil),
		"confirm in row": b.htmx(http.MethodGet, "/console/clients/acme_1/status?to=Suspended", "client-row-acme_1", nil),
		"status changed": b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Active"}}),
		"row changed":    b.htmx(http.MethodPost, "/console/clients/acme_1/status", "client-row-acme_1", url.Values{"status": {"Active"}}),
		"not found":      b.htmx(http.MethodGet, "/console/clients/nobody", "main", nil),
	}
	panels["secret reset"] = b.htmx(http.MethodPost, "/console/clients/acme_1/reset-secret", "client-action-panel", nil)
	client := s.signInClient(t, "acme_1", panels["secret reset"].secret())
	client.get("/account/api")
	panels["token issued"] = client.htmx(http.MethodPost, "/account/api/token", "token-panel", nil)
	panels["confirm sign-out everywhere"] = client.htmx(http.MethodGet, "/account/api/sign-out-everywhere", "sign-out-everywhere-panel", nil)
	for name, p := range panels {
		// A row alone parses without its <tr>, its button kept.
		focus := p.Doc.Find("[data-autofocus]")
		if focus.Length() != 1 {
			t.Errorf("%s: %d elements marked data-autofocus, want 1:\n%s", name, focus.Length(), p.Body)
			continue
		}
		if goquery.NodeName(focus) != "button" && focus.AttrOr("tabindex", "") != "-1" {
			t.Errorf("%s: the element to focus cannot take the focus: %s", name, goquery.NodeName(focus))
		}
	}
	for _, q := range []string{"/console/clients?search=ada", "/console/clients"} {
		if n := b.htmx(http.MethodGet, q, "client-results", nil).Doc.Find("[data-autofocus]").Length(); n != 0 {
			t.Errorf("%s: the live search's results would take the focus from the search box", q)
		}
	}
}
