package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// editForm is the client page's form as it is filled for Ada: no clientId
// (it never changes), no secret (reset, not edited), no status (the status
// buttons own it).
func editForm() url.Values {
	f := newClientForm("", "ada@example.com")
	f.Del("clientId")
	f.Del("clientSecret")
	f.Del("status")
	return f
}

// seedAda creates Ada (acme_1) through the console, as an admin would, and
// returns her secret.
func seedAda(t *testing.T, b *browser) string {
	t.Helper()
	_, secret := b.create(newClientForm("acme_1", "ada@example.com"))
	return secret
}

func TestConsole_ClientPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	f := newClientForm("acme_1", "ada@example.com")
	f.Set("clientMeta.notes", "Line one\nLine two")
	b.create(f)

	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	for id, want := range map[string]string{
		"client-title": "Ada Lovelace", "detail-client-id": "acme_1", "detail-agent-id": "agent_123",
		"detail-twilio": "+14155550100",
	} {
		if got := p.text(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := strings.TrimSpace(p.testid("status-panel").Find(`[data-testid="status-badge"]`).Text()); got != "Active" {
		t.Errorf("status badge = %q", got)
	}
	// The edit form holds the stored values and posts to the client's page.
	form := p.testid("client-form")
	if action, _ := form.Attr("action"); action != "/console/clients/acme_1" {
		t.Errorf("edit form action = %q", action)
	}
	for name, want := range map[string]string{
		"clientMeta.fullName": "Ada Lovelace", "clientMeta.email": "ada@example.com", "clientMeta.phone": "+14155550123",
		"clientMeta.businessName": "Analytical Engines", "clientMeta.city": "London", "clientMeta.jobTitle": "Founder",
		"clientMeta.notes": "Line one\nLine two", "agentId": "agent_123", "twilioPhoneNumber": "+14155550100",
	} {
		if got := p.inputValue(name); got != want {
			t.Errorf("edit %s = %q, want %q", name, got, want)
		}
	}
	// The status is the status buttons' alone: a select here would go
	// stale once they changed it, and saving would change it back.
	if form.Find(`[name="clientId"], [name="clientSecret"], [name="status"]`).Length() != 0 {
		t.Error("the edit form offers the clientId, the secret or the status")
	}
	// The actions.
	var toggles []string
	p.testid("status-panel").Find(`[data-action="toggle-status"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		toggles = append(toggles, v+":"+strings.TrimSpace(s.Text()))
	})
	if got := strings.Join(toggles, " "); got != "Inactive:Deactivate Suspended:Suspend" {
		t.Errorf("status buttons = %q", got)
	}
	for action, href := range map[string]string{
		"reset-secret": "/console/clients/acme_1/reset-secret", "delete": "/console/clients/acme_1/delete",
	} {
		if got, _ := p.Doc.Find(`[data-action="` + action + `"]`).Attr("href"); got != href {
			t.Errorf("%s links to %q, want %q", action, got, href)
		}
	}
	if p.testid("flash").Length() != 0 {
		t.Error("a flash on a plain visit")
	}
}

func TestConsole_EditClient(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	seedAda(t, b)
	before := s.mustClient(t, "acme_1")

	f := editForm()
	f.Set("clientMeta.fullName", "  Ada King  ")
	f.Set("clientMeta.city", "Paris")
	f.Set("clientMeta.notes", "")
	f.Set("agentId", "agent_999")
	b.get("/console/clients/acme_1")
	p := b.post("/console/clients/acme_1", f).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/console/clients/acme_1" {
		t.Errorf("Location = %q", got)
	}
	after := s.mustClient(t, "acme_1")
	if after.Meta.FullName != "Ada King" || after.Meta.City != "Paris" || after.AgentID != "agent_999" ||
		after.Meta.Email != before.Meta.Email || after.Status != before.Status || after.SecretHash != before.SecretHash {
		t.Errorf("stored %+v", after)
	}
	ev := s.events(t)[0]
	if ev.Action != switchboard.EventClientUpdated || ev.Detail != "clientMeta.fullName, clientMeta.city, agentId" || ev.Actor != "admin:admin" {
		t.Errorf("event = %+v", ev)
	}

	page := b.get(p.location()).wantStatus(http.StatusOK)
	if got := page.text("flash"); got != "Changes saved." {
		t.Errorf("flash = %q", got)
	}
	if got := page.text("client-title"); got != "Ada King" {
		t.Errorf("title = %q", got)
	}
	if got := page.inputValue("clientMeta.city"); got != "Paris" {
		t.Errorf("city input = %q", got)
	}
	again := b.get(p.location()).wantStatus(http.StatusOK)
	if again.testid("flash").Length() != 0 {
		t.Errorf("flash shown twice: %q", again.text("flash"))
	}

	// A status posted with the edit form (a page from before the status
	// field went, a hand-made post) changes nothing: the status buttons
	// own it. Here the buttons suspend Ada after the page was loaded; the
	// form saved after them, with a stale "Active", keeps her suspended.
	b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	b.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantStatus(http.StatusSeeOther)
	events := len(s.events(t))
	f = editForm()
	f.Set("clientMeta.fullName", "Ada King")
	f.Set("clientMeta.city", "Rome")
	f.Set("agentId", "agent_999")
	f.Set("status", "Active")
	b.post("/console/clients/acme_1", f).wantStatus(http.StatusSeeOther)
	after = s.mustClient(t, "acme_1")
	if after.Status != switchboard.StatusSuspended || after.Meta.City != "Rome" {
		t.Errorf("after an edit with a stale status: status %s, city %q; want Suspended kept, Rome saved", after.Status, after.Meta.City)
	}
	all := s.events(t)
	if len(all) != events+1 || all[0].Action != switchboard.EventClientUpdated || all[0].Detail != "clientMeta.city" {
		t.Errorf("events after the edit: %d new, latest %+v; want one client.updated of clientMeta.city", len(all)-events, all[0])
	}
}

func TestConsole_EditClientInvalid(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	seedAda(t, b)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	before := s.mustClient(t, "acme_1")
	events := len(s.events(t))

	tests := []struct {
		name string
		set  map[string]string
		want map[string]string
	}{
		{"RequiredEmptied", map[string]string{"clientMeta.fullName": " ", "clientMeta.phone": "", "agentId": ""},
			map[string]string{
				"clientMeta.fullName": "Full name is required",
				"clientMeta.phone":    "Phone is required",
				"agentId":             "ElevenLabs agent ID is required",
			}},
		{"Formats", map[string]string{"clientMeta.email": "ada-at-example", "twilioPhoneNumber": "4155550100"},
			map[string]string{
				"clientMeta.email":  switchboard.MsgInvalidEmail,
				"twilioPhoneNumber": switchboard.MsgInvalidPhone,
			}},
		{"TooLongAndControl", map[string]string{"clientMeta.jobTitle": strings.Repeat("j", 101), "clientMeta.notes": "a\x01b"},
			map[string]string{
				"clientMeta.jobTitle": "Job title is too long (at most 100 characters)",
				"clientMeta.notes":    "Notes contains a control character",
			}},
		{"EmailOfAnotherClient", map[string]string{"clientMeta.email": "GRACE@example.com", "clientMeta.city": "Paris"},
			map[string]string{"clientMeta.email": "Another client already uses this email."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := editForm()
			for k, v := range tt.set {
				f.Set(k, v)
			}
			b.get("/console/clients/acme_1")
			p := b.post("/console/clients/acme_1", f).wantStatus(http.StatusUnprocessableEntity)
			if got := p.text("form-error"); got != "Please correct the fields marked below." {
				t.Errorf("form error = %q", got)
			}
			for name := range f {
				if name == "_csrf" {
					continue
				}
				if got := p.fieldError(name); got != tt.want[name] {
					t.Errorf("%s: error %q, want %q", name, got, tt.want[name])
				}
				if got := p.inputValue(name); got != f.Get(name) {
					t.Errorf("%s input = %q, want %q as typed", name, got, f.Get(name))
				}
			}
			if n := p.testid("field-error").Length(); n != len(tt.want) {
				t.Errorf("%d field errors, want %d", n, len(tt.want))
			}
			// The page still describes the stored client.
			if got := p.text("client-title"); got != "Ada Lovelace" {
				t.Errorf("title = %q", got)
			}
			if action, _ := p.testid("client-form").Attr("action"); action != "/console/clients/acme_1" {
				t.Errorf("form action = %q", action)
			}
			if after := s.mustClient(t, "acme_1"); *after != *before {
				t.Errorf("stored client changed:\n got %+v\nwant %+v", after, before)
			}
			if n := len(s.events(t)); n != events {
				t.Errorf("%d events, want %d", n, events)
			}
			// No flash follows a refused edit.
			if b.get("/console/clients/acme_1").testid("flash").Length() != 0 {
				t.Error("flash after a refused edit")
			}
		})
	}
}

func TestConsole_UnknownClient(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	seedAda(t, b)
	long := strings.Repeat("x", 300)
	tests := []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, "/console/clients/nobody_here", nil},
		{http.MethodGet, "/console/clients/" + long, nil},
		{http.MethodGet, "/console/clients/%2e%2e", nil},
		{http.MethodGet, "/console/clients/nobody_here/reset-secret", nil},
		{http.MethodGet, "/console/clients/nobody_here/delete", nil},
		{http.MethodPost, "/console/clients/nobody_here", editForm()},
		{http.MethodPost, "/console/clients/nobody_here", url.Values{"clientMeta.email": {"bad"}}},
		{http.MethodPost, "/console/clients/nobody_here/status", url.Values{"status": {"Suspended"}}},
		{http.MethodPost, "/console/clients/nobody_here/reset-secret", nil},
		{http.MethodPost, "/console/clients/nobody_here/delete", nil},
		{http.MethodGet, "/console/no-such-page", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path[:min(len(tt.path), 60)], func(t *testing.T) {
			var p *page
			if tt.method == http.MethodGet {
				p = b.get(tt.path)
			} else {
				p = b.post(tt.path, tt.form)
			}
			p.wantError(http.StatusNotFound)
			if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type = %q", p.Header.Get("Content-Type"))
			}
			if got := p.testid("error").Find("a").AttrOr("href", ""); got != "/console" {
				t.Errorf("error page links to %q", got)
			}
		})
	}
	if got := b.get("/console/clients/nobody_here").testid("error").Find("p").First().Text(); got != "Client not found" {
		t.Errorf("message = %q", got)
	}
	if n := s.clientCount(t); n != 1 {
		t.Errorf("%d clients", n)
	}
}

func TestConsole_SetStatus(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	secret := seedAda(t, b)
	token := s.mustClientLogin(t, "acme_1", secret)

	wantAPI := func(t *testing.T, want int) {
		t.Helper()
		status, body := s.jsonCall(t, http.MethodGet, "/secure/client", token, nil)
		if status != want {
			t.Errorf("GET /secure/client = %d %v, want %d", status, body, want)
		}
		if want == http.StatusUnauthorized && body["message"] != "Client not found or inactive" {
			t.Errorf("GET /secure/client body = %v", body)
		}
	}
	wantAPI(t, http.StatusOK)

	t.Run("PlainFormGoesBack", func(t *testing.T) {
		b.get("/console/clients/acme_1")
		p := b.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/console/clients/acme_1" {
			t.Errorf("Location = %q", got)
		}
		if got := s.mustClient(t, "acme_1").Status; got != switchboard.StatusSuspended {
			t.Errorf("status = %s", got)
		}
		wantAPI(t, http.StatusUnauthorized) // at once, with the token issued before
		if status, _ := s.clientLogin(t, "acme_1", secret); status != http.StatusUnauthorized {
			t.Errorf("a suspended client signs in: %d", status)
		}
		page := b.get(p.location()).wantStatus(http.StatusOK)
		if got := page.text("flash"); got != "Ada Lovelace is now Suspended." {
			t.Errorf("flash = %q", got)
		}
		if got := strings.TrimSpace(page.testid("status-panel").Find(`[data-testid="status-badge"]`).Text()); got != "Suspended" {
			t.Errorf("badge = %q", got)
		}

		b.post("/console/clients/acme_1/status", url.Values{"status": {"Active"}}).wantStatus(http.StatusSeeOther)
		wantAPI(t, http.StatusOK) // the same token works again
	})

	t.Run("Referer", func(t *testing.T) {
		tests := []struct{ referer, want string }{
			{"http://example.com/console/clients?search=ada&status=Active", "/console/clients?search=ada&status=Active"},
			{"http://example.com/console", "/console"},
			{"http://evil.example/console/clients", "/console/clients/acme_1"},
			{"http://example.com/auth/login", "/console/clients/acme_1"},
			{"http://example.com//evil.example/console", "/console/clients/acme_1"},
			{"not a url", "/console/clients/acme_1"},
		}
		for _, tt := range tests {
			p := b.do(http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Active"}, "_csrf": {b.csrf}},
				map[string]string{"Referer": tt.referer}).wantStatus(http.StatusSeeOther)
			if got := p.location(); got != tt.want {
				t.Errorf("Referer %q: Location = %q, want %q", tt.referer, got, tt.want)
			}
		}
	})

	t.Run("HTMXRow", func(t *testing.T) {
		b.get("/console/clients")
		p := b.htmx(http.MethodPost, "/console/clients/acme_1/status", "client-row-acme_1", url.Values{"status": {"Suspended"}}).
			wantStatus(http.StatusOK)
		if !strings.HasPrefix(strings.TrimSpace(p.Body), "<tr") || strings.Contains(p.Body, "<html") || strings.Contains(p.Body, "<table") {
			t.Fatalf("not a row alone:\n%s", p.Body)
		}
		row := p.rowFragment()
		if row.Length() != 1 || goquery.NodeName(row) != "tr" {
			t.Fatalf("%d top elements, want one <tr>", row.Length())
		}
		if id, _ := row.Attr("id"); id != "client-row-acme_1" {
			t.Errorf("row id = %q", id)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="status-badge"]`).Text()); got != "Suspended" {
			t.Errorf("badge = %q", got)
		}
		btn := row.Find(`[data-action="toggle-status"]`)
		if v, _ := btn.Attr("value"); v != "Active" {
			t.Errorf("the row's button now sets %q, want Active", v)
		}
		if v, _ := row.Find(`input[name="_csrf"]`).Attr("value"); v != b.csrf {
			t.Errorf("the new row's form carries _csrf %q, want %q", v, b.csrf)
		}
		if got := s.mustClient(t, "acme_1").Status; got != switchboard.StatusSuspended {
			t.Errorf("stored status %s", got)
		}
		wantAPI(t, http.StatusUnauthorized)
		if b.get("/console/clients/acme_1").testid("flash").Length() != 0 {
			t.Error("an htmx change left a flash for the next page")
		}
	})

	t.Run("HTMXPanel", func(t *testing.T) {
		p := b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Active"}}).
			wantStatus(http.StatusOK)
		if !strings.HasPrefix(strings.TrimSpace(p.Body), `<div id="status-panel"`) || strings.Contains(p.Body, "<html") {
			t.Fatalf("not the panel alone:\n%s", p.Body)
		}
		panel := p.testid("status-panel")
		if got := strings.TrimSpace(panel.Find(`[data-testid="status-badge"]`).Text()); got != "Active" {
			t.Errorf("badge = %q", got)
		}
		var values []string
		panel.Find(`[data-action="toggle-status"]`).Each(func(_ int, s *goquery.Selection) {
			values = append(values, s.AttrOr("value", ""))
		})
		if strings.Join(values, ",") != "Inactive,Suspended" {
			t.Errorf("panel buttons set %v", values)
		}
		wantAPI(t, http.StatusOK)

		b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Inactive"}}).
			wantStatus(http.StatusOK)
		wantAPI(t, http.StatusUnauthorized)
		b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Active"}}).
			wantStatus(http.StatusOK)
		wantAPI(t, http.StatusOK)
	})

	t.Run("Invalid", func(t *testing.T) {
		events := len(s.events(t))
		for _, st := range []string{"Deleted", "", "active", "SUSPENDED", "Active "} {
			p := b.post("/console/clients/acme_1/status", url.Values{"status": {st}})
			p.wantError(http.StatusBadRequest)
			if !strings.Contains(p.Body, switchboard.MsgInvalidStatus) {
				t.Errorf("%q: message not shown", st)
			}
		}
		h := b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Gone"}})
		h.wantError(http.StatusBadRequest)
		if got := h.Header.Get("HX-Retarget"); got != "#main" {
			t.Errorf("htmx error HX-Retarget = %q", got)
		}
		if got := s.mustClient(t, "acme_1").Status; got != switchboard.StatusActive {
			t.Errorf("status = %s", got)
		}
		if n := len(s.events(t)); n != events {
			t.Errorf("%d events, want %d", n, events)
		}
		wantAPI(t, http.StatusOK)
	})
}

func TestConsole_ResetSecret(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	oldSecret := seedAda(t, b)
	oldToken := s.mustClientLogin(t, "acme_1", oldSecret)
	hashBefore := s.mustClient(t, "acme_1").SecretHash

	confirm := b.get("/console/clients/acme_1/reset-secret").wantStatus(http.StatusOK)
	panel := confirm.testid("confirm-reset")
	if panel.Length() != 1 || !strings.Contains(panel.Text(), "Ada Lovelace") {
		t.Fatalf("no confirmation naming the client:\n%s", confirm.Body)
	}
	if action, _ := panel.Find("form").Attr("action"); action != "/console/clients/acme_1/reset-secret" {
		t.Errorf("confirm form action = %q", action)
	}
	if panel.Find(`[data-action="confirm-reset-secret"]`).Length() != 1 {
		t.Error("no confirm button")
	}
	// Asking changed nothing.
	if s.mustClient(t, "acme_1").SecretHash != hashBefore {
		t.Error("the confirmation page reset the secret")
	}
	if status, _ := s.secureClient(t, oldToken); status != http.StatusOK {
		t.Errorf("old token refused before the reset: %d", status)
	}
	hx := b.htmx(http.MethodGet, "/console/clients/acme_1/reset-secret", "client-action-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(hx.Body, "<html") || hx.testid("confirm-reset").Length() != 1 {
		t.Errorf("htmx confirmation is not the panel alone:\n%s", hx.Body)
	}

	p := b.post("/console/clients/acme_1/reset-secret", nil).wantStatus(http.StatusOK)
	newSecret := p.secret()
	if newSecret == oldSecret || len(newSecret) != 43 {
		t.Fatalf("new secret %q", newSecret)
	}
	if got := p.text("revealed-client-id"); got != "acme_1" {
		t.Errorf("revealed id = %q", got)
	}
	if !strings.Contains(p.text("secret-revealed"), "Secret reset.") {
		t.Errorf("revealed text = %q", p.text("secret-revealed"))
	}
	if !strings.Contains(p.text("login-curl"), `"clientSecret":"`+newSecret+`"`) {
		t.Errorf("curl = %q", p.text("login-curl"))
	}
	if status, _ := s.clientLogin(t, "acme_1", oldSecret); status != http.StatusUnauthorized {
		t.Errorf("old secret: %d, want 401", status)
	}
	if status, _ := s.secureClient(t, oldToken); status != http.StatusUnauthorized {
		t.Errorf("old token: %d, want 401", status)
	}
	newToken := s.mustClientLogin(t, "acme_1", newSecret)
	if status, id := s.secureClient(t, newToken); status != http.StatusOK || id != "acme_1" {
		t.Errorf("new token: %d %q", status, id)
	}
	c := s.mustClient(t, "acme_1")
	if c.SecretHash == hashBefore || strings.Contains(c.SecretHash, newSecret) {
		t.Errorf("hash not replaced by a hash")
	}
	if ev := s.events(t)[0]; ev.Action != switchboard.EventClientSecretReset || ev.Actor != "admin:admin" {
		t.Errorf("event = %+v", ev)
	}
	if strings.Contains(b.get("/console/clients/acme_1").Body, newSecret) {
		t.Error("the client page shows the new secret")
	}

	// htmx: the secret panel alone, in place of the confirmation.
	h := b.htmx(http.MethodPost, "/console/clients/acme_1/reset-secret", "client-action-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(h.Body, "<html") || h.testid("secret-revealed").Length() != 1 {
		t.Fatalf("htmx reset is not the panel alone:\n%s", h.Body)
	}
	third := h.secret()
	if third == newSecret {
		t.Error("second reset gave the same secret")
	}
	if status, _ := s.clientLogin(t, "acme_1", newSecret); status != http.StatusUnauthorized {
		t.Errorf("second secret after another reset: %d", status)
	}
	s.mustClientLogin(t, "acme_1", third)
}

func TestConsole_DeleteClient(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	secret := seedAda(t, b)
	token := s.mustClientLogin(t, "acme_1", secret)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)

	confirm := b.get("/console/clients/acme_1/delete").wantStatus(http.StatusOK)
	panel := confirm.testid("confirm-delete")
	if panel.Length() != 1 || !strings.Contains(panel.Text(), "Ada Lovelace") || !strings.Contains(panel.Text(), "acme_1") {
		t.Fatalf("no confirmation naming the client:\n%s", confirm.Body)
	}
	if action, _ := panel.Find("form").Attr("action"); action != "/console/clients/acme_1/delete" {
		t.Errorf("confirm form action = %q", action)
	}
	if panel.Find(`[data-action="confirm-delete"]`).Length() != 1 {
		t.Error("no confirm button")
	}
	s.mustClient(t, "acme_1") // asking deleted nothing
	hx := b.htmx(http.MethodGet, "/console/clients/acme_1/delete", "client-action-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(hx.Body, "<html") || hx.testid("confirm-delete").Length() != 1 {
		t.Errorf("htmx confirmation is not the panel alone:\n%s", hx.Body)
	}

	p := b.post("/console/clients/acme_1/delete", nil).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/console/clients" {
		t.Errorf("Location = %q", got)
	}
	if s.client(t, "acme_1") != nil {
		t.Error("acme_1 still stored")
	}
	s.mustClient(t, "acme_2")
	if status, _ := s.secureClient(t, token); status != http.StatusUnauthorized {
		t.Errorf("token of the deleted client: %d, want 401", status)
	}
	if status, _ := s.clientLogin(t, "acme_1", secret); status != http.StatusUnauthorized {
		t.Errorf("deleted client signs in: %d", status)
	}
	if ev := s.events(t)[0]; ev.Action != switchboard.EventClientDeleted || ev.ClientID != "acme_1" {
		t.Errorf("event = %+v", ev)
	}

	list := b.get(p.location()).wantStatus(http.StatusOK)
	if got := list.text("flash"); got != "Ada Lovelace (acme_1) was deleted." {
		t.Errorf("flash = %q", got)
	}
	if ids := list.clientIDs(); len(ids) != 1 || ids[0] != "acme_2" {
		t.Errorf("rows = %v", ids)
	}
	if b.get("/console/clients").testid("flash").Length() != 0 {
		t.Error("flash shown twice")
	}
	b.get("/console/clients/acme_1").wantError(http.StatusNotFound)

	// htmx: a full navigation to the list.
	h := b.htmx(http.MethodPost, "/console/clients/acme_2/delete", "main", nil)
	if h.Status != http.StatusNoContent || h.Header.Get("HX-Redirect") != "/console/clients" {
		t.Errorf("htmx delete: %d HX-Redirect %q", h.Status, h.Header.Get("HX-Redirect"))
	}
	if s.client(t, "acme_2") != nil {
		t.Error("acme_2 still stored")
	}
}

// "new" is no clientId: /console/clients/new is the create form (and routes
// ignore letter case), so a client of that id, in any case, could never
// have its page. Creation refuses it, in the console next to the clientId
// field and over JSON with a 400, with the same message; ids that merely
// hold the word are fine.
func TestConsole_ClientIDNewReserved(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	token := s.adminToken(t)
	for i, id := range []string{"new", "NEW", "New", "nEw", " new "} {
		t.Run(id, func(t *testing.T) {
			form := newClientForm(id, fmt.Sprintf("new%d@example.com", i))
			b.get("/console/clients/new").wantStatus(http.StatusOK)
			p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
			if got := p.fieldError("clientId"); got != switchboard.MsgReservedClientID {
				t.Errorf("clientId error = %q, want %q", got, switchboard.MsgReservedClientID)
			}
			if n := p.testid("field-error").Length(); n != 1 {
				t.Errorf("%d field errors, want 1", n)
			}
			if got := p.inputValue("clientId"); got != id {
				t.Errorf("clientId input = %q, want %q as typed", got, id)
			}
			if p.Doc.Find("[data-secret]").Length() != 0 {
				t.Error("a refused form shows a secret")
			}

			status, body := s.jsonCall(t, http.MethodPost, "/admin/clients", token, map[string]any{
				"clientId":     id,
				"clientSecret": "a-secret-of-sixteen-or-more",
				"clientMeta": map[string]string{
					"fullName": "Ada Lovelace", "email": fmt.Sprintf("new%d@example.com", i), "phone": "+14155550123",
				},
				"agentId":           "agent_123",
				"twilioPhoneNumber": "+14155550100",
			})
			if status != http.StatusBadRequest {
				t.Fatalf("POST /admin/clients = %d %v, want 400", status, body)
			}
			if got := body["error"]; got != "Failed to create client" {
				t.Errorf("error = %v, want Failed to create client", got)
			}
			if got := body["details"]; got != switchboard.MsgReservedClientID {
				t.Errorf("details = %v, want %q", got, switchboard.MsgReservedClientID)
			}
			fields, _ := body["fields"].(map[string]any)
			if len(fields) != 1 || fields["clientId"] != switchboard.MsgReservedClientID {
				t.Errorf("fields = %v, want clientId: %q", body["fields"], switchboard.MsgReservedClientID)
			}
			if body["client"] != nil {
				t.Errorf("a refused create answered with a client: %v", body["client"])
			}
		})
	}
	if n := s.clientCount(t); n != 0 {
		t.Errorf("%d clients stored, want none", n)
	}
	if n := len(s.events(t)); n != 0 {
		t.Errorf("%d events recorded, want none", n)
	}
	for _, path := range []string{"/console/clients/new", "/console/clients/NEW"} {
		if p := b.get(path).wantStatus(http.StatusOK); p.testid("client-title").Length() != 0 {
			t.Errorf("%s is a client's page", path)
		}
	}

	// Ids with the word in them are clients like any other, with a page.
	for _, id := range []string{"news", "new_client", "renew", "new.1"} {
		created, _ := b.create(newClientForm(id, id+"@example.com"))
		if created != id {
			t.Fatalf("created %q, want %q", created, id)
		}
		p := b.get("/console/clients/" + id).wantStatus(http.StatusOK)
		if got := p.text("detail-client-id"); got != id {
			t.Errorf("%s: the page shows client %q", id, got)
		}
	}
}

// The client's page shows the details read-only, with an Edit button that
// opens the form in place and a Cancel; the status, reset and delete
// controls come first, above the details, so a phone reaches them at once.
func TestConsole_ClientPageReadOnly(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	f := newClientForm("acme_1", "ada@example.com")
	f.Set("clientMeta.notes", "Line one\nLine two")
	f.Set("clientMeta.jobTitle", "")
	b.create(f)

	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	for id, want := range map[string]string{
		"fact-clientMeta.fullName": "Ada Lovelace", "fact-clientMeta.email": "ada@example.com",
		"fact-clientMeta.city": "London", "fact-clientMeta.jobTitle": "Not given", "fact-clientMeta.notes": "Line one\nLine two",
	} {
		if got := p.text(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	edit := p.testid("client-edit")
	if goquery.NodeName(edit) != "details" || edit.AttrOr("open", "closed") != "closed" {
		t.Errorf("the edit form is not a closed <details>: %s", goquery.NodeName(edit))
	}
	if got := strings.TrimSpace(edit.Find(`summary[data-action="edit"]`).Text()); got != "Edit" {
		t.Errorf("Edit button = %q", got)
	}
	if edit.Find(`[data-testid="client-form"]`).Length() != 1 {
		t.Error("the edit form is not inside the Edit disclosure")
	}
	if href, _ := edit.Find(`[data-action="cancel-edit"]`).Attr("href"); href != "/console/clients/acme_1" {
		t.Errorf("Cancel links to %q", href)
	}
	// Reset and delete sit with the status, before the details.
	actions := p.testid("client-actions")
	for _, action := range []string{"reset-secret", "delete"} {
		if actions.Find(`[data-action="`+action+`"]`).Length() != 1 {
			t.Errorf("%s is not among the header's actions", action)
		}
	}
	if actions.Find(`[data-testid="status-panel"]`).Length() != 1 {
		t.Error("the status panel is not among the header's actions")
	}
	html, _ := p.Doc.Html()
	if strings.Index(html, `data-testid="client-actions"`) > strings.Index(html, `data-testid="client-facts"`) {
		t.Error("the actions come after the details")
	}

	// A refused edit comes back with the form open and the facts as stored.
	e := editForm()
	e.Set("clientMeta.city", strings.Repeat("c", 101))
	p = b.post("/console/clients/acme_1", e).wantStatus(http.StatusUnprocessableEntity)
	if _, open := p.testid("client-edit").Attr("open"); !open {
		t.Error("a refused edit comes back with the form closed")
	}
	if got := p.text("fact-clientMeta.city"); got != "London" {
		t.Errorf("after a refused edit the facts say city %q, want the stored London", got)
	}
}

// Suspend and Deactivate ask first, like Reset: the question changes
// nothing, its answer does; Activate acts at once.
func TestConsole_ConfirmStatus(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	secret := seedAda(t, b)
	token := s.mustClientLogin(t, "acme_1", secret)
	events := len(s.events(t))
	unchanged := func(what string) {
		t.Helper()
		if st := s.mustClient(t, "acme_1").Status; st != switchboard.StatusActive {
			t.Errorf("%s: status %s", what, st)
		}
		if n := len(s.events(t)); n != events {
			t.Errorf("%s: %d new events", what, n-events)
		}
	}

	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	panel := p.testid("status-panel")
	ask := panel.Find(`form[method="get"]`)
	if ask.AttrOr("action", "") != "/console/clients/acme_1/status" || ask.AttrOr("hx-get", "") != "/console/clients/acme_1/status" ||
		ask.AttrOr("hx-target", "") != "#client-action-panel" {
		t.Errorf("Suspend and Deactivate do not ask first: %s", goquery.NewDocumentFromNode(ask.Get(0)).Text())
	}
	var asks []string
	ask.Find(`button[data-action="toggle-status"]`).Each(func(_ int, s *goquery.Selection) {
		asks = append(asks, s.AttrOr("name", "")+"="+s.AttrOr("value", ""))
	})
	if strings.Join(asks, " ") != "to=Inactive to=Suspended" {
		t.Errorf("the asking buttons send %q", asks)
	}
	if panel.Find(`form[method="post"]`).Length() != 0 {
		t.Error("an Active client's panel has a form that changes the status at once")
	}

	// htmx: the question, in the action panel.
	q := b.htmx(http.MethodGet, "/console/clients/acme_1/status?to=Suspended", "client-action-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(q.Body, "<html") {
		t.Fatal("htmx got a whole page")
	}
	confirm := q.testid("confirm-status")
	if confirm.AttrOr("data-status", "") != "Suspended" || !strings.Contains(confirm.Text(), "Suspend Ada Lovelace?") {
		t.Errorf("the question: %q", confirm.Text())
	}
	form := confirm.Find("form")
	if form.AttrOr("hx-post", "") != "/console/clients/acme_1/status" || form.AttrOr("hx-target", "") != "#status-panel" {
		t.Errorf("the answer posts %q into %q", form.AttrOr("hx-post", ""), form.AttrOr("hx-target", ""))
	}
	if v := form.Find(`[data-action="confirm-status"]`).AttrOr("value", ""); v != "Suspended" {
		t.Errorf("the confirmation sets %q", v)
	}
	unchanged("the question")
	// The answer swaps the status panel and empties the action panel.
	a := b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Suspended"}}).wantStatus(http.StatusOK)
	if got := strings.TrimSpace(a.testid("status-panel").Find(`[data-testid="status-badge"]`).Text()); got != "Suspended" {
		t.Errorf("badge = %q", got)
	}
	if oob := a.Doc.Find(`#client-action-panel[hx-swap-oob]`); oob.Length() != 1 || strings.TrimSpace(oob.Text()) != "" {
		t.Errorf("the answer does not empty the action panel:\n%s", a.Body)
	}
	if status, _ := s.jsonCall(t, http.MethodGet, "/secure/client", token, nil); status != http.StatusUnauthorized {
		t.Errorf("GET /secure/client after the suspension = %d", status)
	}
	b.post("/console/clients/acme_1/status", url.Values{"status": {"Active"}}).wantStatus(http.StatusSeeOther)
	events = len(s.events(t))

	// Without JavaScript: a page that goes back where it was asked from.
	pg := b.do(http.MethodGet, "/console/clients/acme_1/status?to=Inactive", nil,
		map[string]string{"Referer": "http://example.com/console/clients?search=ada"}).wantStatus(http.StatusOK)
	confirm = pg.testid("confirm-status")
	if confirm.Length() != 1 || pg.testid("nav-clients").Length() != 1 {
		t.Fatalf("not a confirmation page:\n%s", pg.Body)
	}
	if confirm.Find("form").AttrOr("hx-post", "") != "" {
		t.Error("the page's form posts with htmx into a panel the page does not have")
	}
	next := confirm.Find(`input[name="next"]`).AttrOr("value", "")
	if next != "/console/clients?search=ada" {
		t.Errorf("next = %q", next)
	}
	unchanged("the question page")
	r := b.post("/console/clients/acme_1/status", url.Values{"status": {"Inactive"}, "next": {next}}).wantStatus(http.StatusSeeOther)
	if got := r.location(); got != next {
		t.Errorf("Location = %q, want %q", got, next)
	}
	if st := s.mustClient(t, "acme_1").Status; st != switchboard.StatusInactive {
		t.Errorf("status after the answer = %s", st)
	}
	// A next off the console is not followed.
	r = b.post("/console/clients/acme_1/status", url.Values{"status": {"Active"}, "next": {"//evil.example/console"}}).
		wantStatus(http.StatusSeeOther)
	if got := r.location(); got != "/console/clients/acme_1" {
		t.Errorf("Location for a foreign next = %q", got)
	}

	b.get("/console/clients/acme_1/status?to=Gone").wantError(http.StatusBadRequest)
	if got := b.get("/console/clients/acme_1/status").wantStatus(http.StatusSeeOther).location(); got != "/console/clients/acme_1" {
		t.Errorf("the question without a status goes to %q", got)
	}
	b.get("/console/clients/nobody/status?to=Suspended").wantError(http.StatusNotFound)
}

// A change made in place (status, secret reset) sends the Details panel
// again, out of band, so its "Updated" says when the client last changed.
func TestConsole_DetailsRefreshAfterAChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	seedAda(t, b)
	b.get("/console/clients/acme_1")
	updated := func(what string, p *page) {
		t.Helper()
		details := p.Doc.Find(`#client-details[hx-swap-oob="true"]`)
		if details.Length() != 1 {
			t.Fatalf("%s: no Details panel out of band:\n%s", what, p.Body)
		}
		want := s.mustClient(t, "acme_1").UpdatedAt.UTC().Format(time.RFC3339)
		if got := details.Find(`[data-testid="detail-updated"] time`).AttrOr("datetime", ""); got != want {
			t.Errorf("%s: Updated = %q, want the stored %q", what, got, want)
		}
	}
	updated("suspend", b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Suspended"}}).
		wantStatus(http.StatusOK))
	updated("reset", b.htmx(http.MethodPost, "/console/clients/acme_1/reset-secret", "client-action-panel", nil).
		wantStatus(http.StatusOK))
}
