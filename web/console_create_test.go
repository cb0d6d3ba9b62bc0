package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// clientFields are the inputs of the create form that take free text.
var clientFields = []string{
	"clientId", "clientSecret", "clientMeta.fullName", "clientMeta.email", "clientMeta.phone",
	"clientMeta.businessName", "clientMeta.city", "clientMeta.jobTitle", "clientMeta.notes",
	"agentId", "twilioPhoneNumber",
}

func TestConsole_NewClientPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	p := s.signedIn(t).get("/console/clients/new").wantStatus(http.StatusOK)
	form := p.testid("client-form")
	if action, _ := form.Attr("action"); action != "/console/clients" {
		t.Errorf("form action = %q", action)
	}
	for _, name := range append(clientFields, "status") {
		if form.Find(`[name="`+name+`"]`).Length() != 1 {
			t.Errorf("no input named %s", name)
		}
		if name != "status" && p.inputValue(name) != "" {
			t.Errorf("%s is not empty: %q", name, p.inputValue(name))
		}
	}
	if got, _ := form.Find(`select[name="status"] option[selected]`).Attr("value"); got != "Active" {
		t.Errorf("status preselects %q, want Active", got)
	}
	if p.Doc.Find("[data-testid=field-error], [data-secret]").Length() != 0 {
		t.Error("a fresh form shows errors or a secret")
	}
}

func TestConsole_CreateClient(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	b.get("/console/clients/new").wantStatus(http.StatusOK)

	form := newClientForm("acme_1", "ada@example.com")
	form.Set("clientMeta.notes", "Prefers mornings.\nCall after 9.")
	form.Set("status", "Active")
	p := b.createPage(form)

	if got := p.text("revealed-client-id"); got != "acme_1" {
		t.Errorf("revealed client id = %q", got)
	}
	secret := p.secret()
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("generated secret = %q, want 43 URL-safe base64 characters", secret)
	}
	wantCurl := `curl -s -X POST 'http://example.com/auth/login' -H 'Content-Type: application/json' -d '{"clientId":"acme_1","clientSecret":"` + secret + `"}'`
	if got := p.text("login-curl"); got != wantCurl {
		t.Errorf("curl line:\n got %s\nwant %s", got, wantCurl)
	}
	if p.testid("copy-secret").Length() != 1 {
		t.Error("no copy button")
	}
	if href, _ := p.testid("client-link").Attr("href"); href != "/console/clients/acme_1" {
		t.Errorf("client link = %q", href)
	}

	// The secret signs the client in.
	token := s.mustClientLogin(t, "acme_1", secret)
	if status, id := s.secureClient(t, token); status != http.StatusOK || id != "acme_1" {
		t.Errorf("GET /secure/client = %d %q", status, id)
	}

	// Stored as typed (trimmed), the secret only as its hash.
	c := s.mustClient(t, "acme_1")
	want := switchboard.Client{
		ID: "acme_1", Status: switchboard.StatusActive, AgentID: "agent_123", TwilioPhoneNumber: "+14155550100",
		Meta: switchboard.ClientMeta{
			FullName: "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550123", BusinessName: "Analytical Engines",
			City: "London", JobTitle: "Founder", Notes: "Prefers mornings.\nCall after 9.",
		},
	}
	if c.ID != want.ID || c.Status != want.Status || c.AgentID != want.AgentID ||
		c.TwilioPhoneNumber != want.TwilioPhoneNumber || c.Meta != want.Meta {
		t.Errorf("stored %+v,\nwant %+v", c, want)
	}
	if c.SecretHash == "" || c.SecretHash == secret || strings.Contains(c.SecretHash, secret) {
		t.Errorf("secret hash %q: not a hash of the secret", c.SecretHash)
	}
	if ok, err := s.svc.Hasher.Matches(c.SecretHash, secret); err != nil || !ok {
		t.Errorf("the stored hash does not match the secret shown (%v)", err)
	}

	// The secret is never shown again.
	for _, path := range []string{"/console/clients/acme_1", "/console/clients", "/console", "/console/clients/acme_1/reset-secret"} {
		again := b.get(path).wantStatus(http.StatusOK)
		if strings.Contains(again.Body, secret) || again.Doc.Find("[data-secret]").Length() != 0 {
			t.Errorf("%s shows the secret", path)
		}
	}
	if strings.Contains(s.log.String(), secret) {
		t.Error("the log holds the secret")
	}
	if ev := s.events(t); len(ev) != 1 || ev[0].Action != switchboard.EventClientCreated || ev[0].Actor != "admin:admin" || ev[0].ClientID != "acme_1" {
		t.Errorf("events = %+v, want one client.created by admin:admin", ev)
	}
}

func TestConsole_CreateClientGenerated(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)

	form := newClientForm("", "ada@example.com")
	form.Set("clientId", "   ") // blank is empty
	id, secret := b.create(form)
	if !regexp.MustCompile(`^client_[0-9a-f]{16}$`).MatchString(id) {
		t.Errorf("generated id = %q", id)
	}
	if len(secret) != 43 {
		t.Errorf("generated secret %q", secret)
	}
	s.mustClient(t, id)
	s.mustClientLogin(t, id, secret)

	// Two generated ids differ, and so do the secrets.
	id2, secret2 := b.create(newClientForm("", "grace@example.com"))
	if id2 == id || secret2 == secret {
		t.Errorf("generated twice the same: %s/%s", id2, secret2)
	}
}

func TestConsole_CreateClientChosenSecret(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	tests := []struct {
		name      string
		secret    string
		wantError string // next to clientSecret; "" for success
	}{
		{"Exactly16", "sixteen-chars-ok", ""},
		{"Long", "a chosen secret with spaces", ""},
		{"Unicode16", strings.Repeat("é", 16), ""},
		{"Short", "short-secret", "Client secret must be at least 16 characters"},
		{"Fifteen", strings.Repeat("x", 15), "Client secret must be at least 16 characters"},
		{"TooLong", strings.Repeat("x", 73), "Client secret must be at most 72 bytes"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "chosen_" + string(rune('a'+i))
			form := newClientForm(id, id+"@example.com")
			form.Set("clientSecret", tt.secret)
			b.get("/console/clients/new")
			if tt.wantError == "" {
				p := b.createPage(form)
				if got := p.secret(); got != tt.secret {
					t.Errorf("secret shown = %q, want the chosen one", got)
				}
				s.mustClientLogin(t, id, tt.secret)
				return
			}
			p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
			if got := p.fieldError("clientSecret"); got != tt.wantError {
				t.Errorf("clientSecret error = %q, want %q", got, tt.wantError)
			}
			if got := p.inputValue("clientSecret"); got != tt.secret {
				t.Errorf("clientSecret input = %q, want what was typed", got)
			}
			if p.Doc.Find("[data-field]").Length() != 1 {
				t.Errorf("other fields have errors too")
			}
			if s.client(t, id) != nil {
				t.Error("the client was stored")
			}
		})
	}
}

func TestConsole_CreateClientInvalid(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	const (
		badClientID = "Invalid client ID: use 3 to 64 letters, digits, '_', '.' or '-'"
		badAgentID  = "Invalid agent ID: use up to 128 letters, digits, '_', '.', ':' or '-'"
	)
	tests := []struct {
		name string
		set  map[string]string
		want map[string]string // field → error shown next to it; every other field has none
	}{
		{"AllRequiredMissing", map[string]string{
			"clientMeta.fullName": "", "clientMeta.email": "", "clientMeta.phone": "", "agentId": "", "twilioPhoneNumber": "",
		}, map[string]string{
			"clientMeta.fullName": "Full name is required",
			"clientMeta.email":    "Email is required",
			"clientMeta.phone":    "Phone is required",
			"agentId":             "ElevenLabs agent ID is required",
			"twilioPhoneNumber":   "Twilio phone number is required",
		}},
		{"BlankIsMissing", map[string]string{"clientMeta.fullName": "   "},
			map[string]string{"clientMeta.fullName": "Full name is required"}},
		{"Formats", map[string]string{
			"clientId": "a b", "clientMeta.email": "not-an-email", "clientMeta.phone": "555-1234",
			"agentId": "agent 1", "twilioPhoneNumber": "+0123",
		}, map[string]string{
			"clientId":          badClientID,
			"clientMeta.email":  switchboard.MsgInvalidEmail,
			"clientMeta.phone":  switchboard.MsgInvalidPhone,
			"agentId":           badAgentID,
			"twilioPhoneNumber": switchboard.MsgInvalidPhone,
		}},
		{"ShortClientID", map[string]string{"clientId": "ab"}, map[string]string{"clientId": badClientID}},
		{"ControlCharacter", map[string]string{"clientMeta.city": "Lon\x01don", "clientMeta.jobTitle": "C\x1bEO"},
			map[string]string{
				"clientMeta.city":     "City contains a control character",
				"clientMeta.jobTitle": "Job title contains a control character",
			}},
		{"TooLong", map[string]string{
			"clientMeta.notes": strings.Repeat("n", 2001), "clientMeta.businessName": strings.Repeat("b", 201),
		}, map[string]string{
			"clientMeta.notes":        "Notes is too long (at most 2000 characters)",
			"clientMeta.businessName": "Business name is too long (at most 200 characters)",
		}},
		{"SecretAndFields", map[string]string{"clientSecret": "short", "clientMeta.email": "x@"},
			map[string]string{
				"clientSecret":     "Client secret must be at least 16 characters",
				"clientMeta.email": switchboard.MsgInvalidEmail,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := newClientForm("acme_1", "ada@example.com")
			for k, v := range tt.set {
				form.Set(k, v)
			}
			b.get("/console/clients/new")
			p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
			if got := p.text("form-error"); got != "Please correct the fields marked below." {
				t.Errorf("form error = %q", got)
			}
			for _, name := range append(clientFields, "status") {
				if got := p.fieldError(name); got != tt.want[name] {
					t.Errorf("%s: error %q, want %q", name, got, tt.want[name])
				}
			}
			if n := p.testid("field-error").Length(); n != len(tt.want) {
				t.Errorf("%d field errors shown, want %d", n, len(tt.want))
			}
			// What was typed is kept, errors or not.
			for _, name := range clientFields {
				if got := p.inputValue(name); got != form.Get(name) {
					t.Errorf("%s input = %q, want %q as typed", name, got, form.Get(name))
				}
			}
			for name := range tt.want {
				in := p.Doc.Find(`[name="` + name + `"]`)
				if v, _ := in.Attr("aria-invalid"); v != "true" && name != "status" {
					t.Errorf("%s: aria-invalid = %q", name, v)
				}
			}
			if p.Doc.Find("[data-secret]").Length() != 0 {
				t.Error("a refused form shows a secret")
			}
			if n := s.clientCount(t); n != 0 {
				t.Errorf("%d clients stored", n)
			}
			if n := len(s.events(t)); n != 0 {
				t.Errorf("%d events recorded", n)
			}
		})
	}

	// An invalid status is refused next to the status (the wording is
	// TestConsole_StatusErrorShownAsIs's).
	t.Run("InvalidStatus", func(t *testing.T) {
		form := newClientForm("acme_1", "ada@example.com")
		form.Set("status", "Deleted")
		b.get("/console/clients/new")
		p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
		if got := p.fieldError("status"); got != switchboard.MsgInvalidStatus {
			t.Errorf("status error = %q", got)
		}
		if n := p.testid("field-error").Length(); n != 1 {
			t.Errorf("%d field errors, want 1", n)
		}
		if n := s.clientCount(t); n != 0 {
			t.Errorf("%d clients stored", n)
		}
	})

	// A valid status stays selected on a refused form.
	form := newClientForm("acme_1", "bad")
	form.Set("status", "Suspended")
	p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
	if got, _ := p.Doc.Find(`select[name="status"] option[selected]`).Attr("value"); got != "Suspended" {
		t.Errorf("status select = %q, want Suspended kept", got)
	}
}

func TestConsole_CreateClientConflict(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	b := s.signedIn(t)
	tests := []struct {
		name, id, email string
		field, want     string
	}{
		{"Email", "acme_2", "ada@example.com", "clientMeta.email", "Another client already uses this email."},
		{"EmailOtherCase", "acme_2", "ADA@Example.COM", "clientMeta.email", "Another client already uses this email."},
		{"ClientID", "acme_1", "grace@example.com", "clientId", "This client ID is taken."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.get("/console/clients/new")
			p := b.post("/console/clients", newClientForm(tt.id, tt.email)).wantStatus(http.StatusUnprocessableEntity)
			if got := p.fieldError(tt.field); got != tt.want {
				t.Errorf("%s error = %q, want %q", tt.field, got, tt.want)
			}
			if n := p.testid("field-error").Length(); n != 1 {
				t.Errorf("%d field errors, want 1", n)
			}
			if got := p.inputValue("clientMeta.email"); got != tt.email {
				t.Errorf("email input = %q, want kept", got)
			}
			if got := p.inputValue("clientId"); got != tt.id {
				t.Errorf("clientId input = %q, want kept", got)
			}
			if n := s.clientCount(t); n != 1 {
				t.Errorf("%d clients stored, want 1", n)
			}
			if got := s.mustClient(t, "acme_1").Meta.FullName; got != "Ada Lovelace" {
				t.Errorf("acme_1 changed: %q", got)
			}
		})
	}
}

// A form refused for its fields also says which of its values another
// client has: every problem at once, not the phone first and the taken
// email after the phone is fixed.
func TestConsole_EveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	b := s.signedIn(t)

	f := newClientForm("acme_1", "ADA@example.com")
	f.Set("clientMeta.phone", "555-not-a-phone")
	b.get("/console/clients/new")
	p := b.post("/console/clients", f).wantStatus(http.StatusUnprocessableEntity)
	for field, want := range map[string]string{
		"clientMeta.phone": switchboard.MsgInvalidPhone,
		"clientMeta.email": "Another client already uses this email.",
		"clientId":         "This client ID is taken.",
	} {
		if got := p.fieldError(field); got != want {
			t.Errorf("create: %s error = %q, want %q", field, got, want)
		}
	}
	if n := s.clientCount(t); n != 2 {
		t.Errorf("%d clients stored, want 2", n)
	}

	// The edit form: the client's own email is no conflict, another's is.
	e := editForm()
	e.Set("clientMeta.phone", "12")
	b.get("/console/clients/acme_1")
	p = b.post("/console/clients/acme_1", e).wantStatus(http.StatusUnprocessableEntity)
	if got := p.fieldError("clientMeta.email"); got != "" {
		t.Errorf("edit with its own email: email error %q", got)
	}
	e.Set("clientMeta.email", "grace@example.com")
	p = b.post("/console/clients/acme_1", e).wantStatus(http.StatusUnprocessableEntity)
	if got := p.fieldError("clientMeta.phone"); got != switchboard.MsgInvalidPhone {
		t.Errorf("edit: phone error = %q", got)
	}
	if got := p.fieldError("clientMeta.email"); got != "Another client already uses this email." {
		t.Errorf("edit: email error = %q", got)
	}
	if c := s.mustClient(t, "acme_1"); c.Meta.Email != "ada@example.com" || c.Meta.Phone != "+14155550123" {
		t.Errorf("acme_1 changed: %+v", c.Meta)
	}
}

// wantNoInjection checks that the page has no script but the site's own,
// no element a payload could have injected, and shows payload as text.
func wantNoInjection(t *testing.T, p *page, where string) {
	t.Helper()
	p.Doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src, ok := s.Attr("src")
		if !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("%s: injected script element: %s", where, goquery.NewDocumentFromNode(s.Nodes[0]).Text())
		}
	})
	if n := p.Doc.Find("img, [onerror], [onload]").Length(); n != 0 {
		t.Errorf("%s: %d injected elements or handlers", where, n)
	}
	if strings.Contains(p.Body, "<script>alert(1)</script>") || strings.Contains(p.Body, "<img src=x") {
		t.Errorf("%s: the raw payload is in the page", where)
	}
	if !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("%s: the payload is not shown escaped", where)
	}
}

func TestConsole_CreateClientEscapesText(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	const script = "<script>alert(1)</script>"
	form := newClientForm("xss_1", "xss@example.com")
	form.Set("clientMeta.fullName", script)
	form.Set("clientMeta.notes", script)
	form.Set("clientMeta.businessName", `"><img src=x onerror=alert(1)>`)

	// Refused first (bad phone): the typed values come back escaped.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("clientMeta.phone", "nope")
	b.get("/console/clients/new")
	refused := b.post("/console/clients", bad).wantStatus(http.StatusUnprocessableEntity)
	wantNoInjection(t, refused, "refused form")
	if got := refused.inputValue("clientMeta.fullName"); got != script {
		t.Errorf("full name input = %q", got)
	}

	created := b.createPage(form)
	wantNoInjection(t, created, "secret page")
	if got := s.mustClient(t, "xss_1").Meta.Notes; got != script {
		t.Errorf("stored notes = %q, want it as typed", got)
	}
	client := b.get("/console/clients/xss_1").wantStatus(http.StatusOK)
	wantNoInjection(t, client, "client page")
	if got := client.text("client-title"); got != script {
		t.Errorf("title shows %q, want the text %q", got, script)
	}
	if got := client.inputValue("clientMeta.notes"); got != script {
		t.Errorf("notes textarea = %q", got)
	}
	if got := client.Doc.Find("title").Text(); !strings.HasPrefix(got, script) {
		t.Errorf("<title> = %q", got)
	}
	list := b.get("/console/clients").wantStatus(http.StatusOK)
	wantNoInjection(t, list, "clients list")
	if got := list.text("client-name"); got != script {
		t.Errorf("list shows %q", got)
	}
	wantNoInjection(t, b.get("/console").wantStatus(http.StatusOK), "dashboard")
	wantNoInjection(t, b.get("/console/clients/xss_1/delete").wantStatus(http.StatusOK), "delete confirmation")
	wantNoInjection(t, b.htmx(http.MethodGet, "/console/clients?search=script", "client-results", nil), "search results")
}

// views.ClientForm.FieldError puts the field's label in place of its JSON
// name only where a message starts with it ("clientMeta.city contains ..."
// is shown as "City contains ..."); a message with the name inside, as the
// status's "Invalid status: use ..." has, is shown as it is.
func TestConsole_StatusErrorShownAsIs(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	form := newClientForm("acme_1", "ada@example.com")
	form.Set("status", "Deleted")
	b.get("/console/clients/new")
	p := b.post("/console/clients", form).wantStatus(http.StatusUnprocessableEntity)
	if got, want := p.fieldError("status"), switchboard.MsgInvalidStatus; got != want {
		t.Errorf("status error = %q, want %q", got, want)
	}
	if n := s.clientCount(t); n != 0 {
		t.Errorf("%d clients stored", n)
	}
}

// The curl line on the secret page is ready to paste: one command that
// signs the client in, whatever characters the chosen secret has.
func TestConsole_LoginCurlPastes(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	for i, secret := range []string{
		"", // generated
		"a chosen secret with spaces",
		`with "double" quotes!`,
		`back\slash\secret-123`,
		"$HOME-and-$(id)-`id`-long",
		"日本語のひみつのことばです-16+",
		"semi;colon&amp|pipe>out",
	} {
		id := fmt.Sprintf("curl_%d", i)
		form := newClientForm(id, id+"@example.com")
		form.Set("clientSecret", secret)
		b.get("/console/clients/new")
		p := b.createPage(form)
		shown := p.secret()
		if secret != "" && shown != secret {
			t.Errorf("%s: secret shown %q, want %q", id, shown, secret)
		}
		wantLoginCurl(t, p.text("login-curl"), id, shown)
		s.mustClientLogin(t, id, shown)
	}
}

// views.SecretView.LoginCurl single-quotes the JSON body with every ' of a
// chosen secret closed, escaped and reopened ('\”): the secret
// it's-a-long-secret reaches the server whole, and a secret like
// x'$(touch pwned)'xxxxxxxxxx is sent as it is, not run in the admin's shell.
func TestConsole_LoginCurlQuotesSingleQuotes(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	for i, secret := range []string{
		"it's-a-long-secret",
		"x'$(touch pwned)'xxxxxxxxxx",
		"''''''''''''''''",
		`'\''"'"\'quoted!`,
	} {
		id := fmt.Sprintf("quote_%d", i)
		form := newClientForm(id, id+"@example.com")
		form.Set("clientSecret", secret)
		b.get("/console/clients/new")
		p := b.createPage(form)
		if got := p.secret(); got != secret {
			t.Errorf("%s: secret shown %q, want %q", id, got, secret)
		}
		wantLoginCurl(t, p.text("login-curl"), id, secret)
		s.mustClientLogin(t, id, secret)
	}
	// The whole line for the first: the body's quote closed, escaped and
	// reopened around the secret's.
	form := newClientForm("quote_exact", "quote_exact@example.com")
	form.Set("clientSecret", "it's-a-long-secret")
	b.get("/console/clients/new")
	want := `curl -s -X POST 'http://example.com/auth/login' -H 'Content-Type: application/json' -d '{"clientId":"quote_exact","clientSecret":"it'\''s-a-long-secret"}'`
	if got := b.createPage(form).text("login-curl"); got != want {
		t.Errorf("curl line:\n got %s\nwant %s", got, want)
	}
}

// The create form's post redirects (post, redirect, get): the secret rides
// in the encrypted session to the next page, never in a URL, and is shown
// there once; a reload goes to the client's page without it and creates
// nothing. The page offers the clientId and the client's sign-in page to
// copy beside the curl line.
func TestConsole_CreateRedirectsAndShowsTheSecretOnce(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	b.get("/console/clients/new")
	form := newClientForm("acme_1", "ada@example.com")
	form.Set("clientSecret", "a chosen secret of ours")
	post := b.post("/console/clients", form).wantStatus(http.StatusSeeOther)
	if got := post.location(); got != "/console/clients/acme_1/created" {
		t.Errorf("Location = %q", got)
	}
	if strings.Contains(post.Body, "chosen secret") || strings.Contains(post.location(), "secret") {
		t.Error("the redirect carries the secret")
	}
	for _, c := range post.Header.Values("Set-Cookie") {
		if strings.Contains(c, "chosen") {
			t.Error("the cookie holds the secret in the clear")
		}
	}

	p := b.get("/console/clients/acme_1/created").wantStatus(http.StatusOK)
	if got := p.secret(); got != "a chosen secret of ours" {
		t.Fatalf("secret shown = %q", got)
	}
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	for copy, target := range map[string]string{
		"copy-secret": "revealed-secret", "copy-client-id": "revealed-client-id", "copy-sign-in-url": "revealed-sign-in",
	} {
		if got := p.testid(copy).AttrOr("data-copy", ""); got != target {
			t.Errorf("%s copies #%q, want #%s", copy, got, target)
		}
	}
	if got := p.text("revealed-client-id"); got != "acme_1" {
		t.Errorf("client id = %q", got)
	}
	if got := p.text("client-sign-in-url"); got != "http://example.com/account/login" {
		t.Errorf("client sign-in link = %q", got)
	}

	// A reload shows it no more, and creates nothing.
	again := b.get("/console/clients/acme_1/created").wantStatus(http.StatusSeeOther)
	if got := again.location(); got != "/console/clients/acme_1" {
		t.Errorf("reload goes to %q", got)
	}
	client := b.get(again.location()).wantStatus(http.StatusOK)
	if strings.Contains(client.Body, "chosen secret") || !strings.Contains(client.text("flash"), "shown once") {
		t.Errorf("after the reload: flash %q", client.text("flash"))
	}
	if n := s.clientCount(t); n != 1 {
		t.Errorf("%d clients", n)
	}

	// Another page loaded first takes the secret with it.
	b.get("/console/clients/new")
	f2 := newClientForm("acme_2", "grace@example.com")
	b.post("/console/clients", f2).wantStatus(http.StatusSeeOther)
	b.get("/console").wantStatus(http.StatusOK)
	b.get("/console/clients/acme_2/created").wantStatus(http.StatusSeeOther)
	// Nor does another client's page show it.
	b.get("/console/clients/new")
	f3 := newClientForm("acme_3", "alan@example.com")
	b.post("/console/clients", f3).wantStatus(http.StatusSeeOther)
	b.get("/console/clients/acme_1/created").wantStatus(http.StatusSeeOther)
	b.get("/console/clients/acme_3/created").wantStatus(http.StatusSeeOther)
}
