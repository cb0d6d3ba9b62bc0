package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/httpserver/httpservertest"
	"switchboard/internal/switchboard"
)

// The account pages' session cookie.
const accountCookieName = "switchboard_account"

// seedAdaAccount stores Ada (acme_1, Active) and returns her secret. Her
// profile is adaProfile's.
func seedAdaAccount(t testing.TB, s *site) string {
	t.Helper()
	return s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
}

// adaProfile is Ada's profile form as the page fills it: every contact
// field, nothing else.
func adaProfile() url.Values {
	return url.Values{
		"clientMeta.fullName":     {"Ada Lovelace"},
		"clientMeta.email":        {"ada@example.com"},
		"clientMeta.phone":        {"+14155550123"},
		"clientMeta.businessName": {"Engines"},
		"clientMeta.city":         {""},
		"clientMeta.jobTitle":     {""},
		"clientMeta.notes":        {""},
	}
}

// signInAccount signs the browser in to the account pages as id and loads
// the overview, so the browser holds the signed-in session's CSRF token.
func (b *browser) signInAccount(id, secret string) {
	b.t.Helper()
	b.get("/account/login").wantStatus(http.StatusOK)
	p := b.post("/account/login", url.Values{"clientId": {id}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/account" {
		b.t.Fatalf("after sign-in Location = %q, want /account", got)
	}
	if got := b.get("/account").wantStatus(http.StatusOK).text("signed-in-as"); got != id {
		b.t.Fatalf("signed-in-as = %q, want %q", got, id)
	}
}

// signInClient is a new browser signed in to the account pages as id, on
// the overview.
func (s *site) signInClient(t testing.TB, id, secret string) *browser {
	t.Helper()
	b := s.browser(t)
	b.signInAccount(id, secret)
	return b
}

// accountCookie is the account session cookie the browser holds.
func (b *browser) accountCookie() string { return b.cookies[accountCookieName] }

// wantAccountSignIn asserts that p sends a signed-out browser to the
// account sign-in page, which will bring it back to next.
func (p *page) wantAccountSignIn(next string) {
	p.t.Helper()
	p.wantStatus(http.StatusSeeOther)
	if got, want := p.location(), "/account/login?next="+url.QueryEscape(next); got != want {
		p.t.Errorf("Location = %q, want %q", got, want)
	}
}

// wantHTMXAccountSignIn asserts that p tells htmx to load the account
// sign-in page (htmx cannot follow a redirect into a fragment).
func (p *page) wantHTMXAccountSignIn() {
	p.t.Helper()
	if p.Status != http.StatusNoContent {
		p.t.Errorf("htmx: status = %d, want 204; body:\n%s", p.Status, p.Body)
	}
	if got, want := p.Header.Get("HX-Redirect"), "/account/login?next=%2Faccount"; got != want {
		p.t.Errorf("htmx: HX-Redirect = %q, want %q", got, want)
	}
	if got := p.location(); got != "" {
		p.t.Errorf("htmx: Location = %q, want none", got)
	}
}

// wantAccountSessionGrantsNothing checks that an account session cookie
// signs no one in: a browser that holds it alone is sent to sign in.
func (s *site) wantAccountSessionGrantsNothing(t testing.TB, value string) {
	t.Helper()
	if value == "" {
		return
	}
	b := s.browser(t)
	b.cookies[accountCookieName] = value
	b.get("/account").wantAccountSignIn("/account")
	b.get("/account/api").wantAccountSignIn("/account/api")
}

// wantLogHoldsNone checks that the log holds none of values (secrets,
// tokens) and no JWT at all: every token the service signs starts "eyJ".
func (s *site) wantLogHoldsNone(t testing.TB, values ...string) {
	t.Helper()
	log := s.log.String()
	for i, v := range values {
		if v != "" && strings.Contains(log, v) {
			t.Errorf("the log holds secret or token #%d (%d characters)", i, len(v))
		}
	}
	if strings.Contains(log, "eyJ") {
		t.Errorf("the log holds something like a JWT:\n%s", log)
	}
}

// logCount is how many lines of the log hold msg.
func (s *site) logCount(msg string) int { return strings.Count(s.log.String(), msg) }

// eventCount is the number of security events in the log that hold every
// attribute of want.
func (s *site) eventCount(want map[string]string) int {
	return httpservertest.Count(httpservertest.SecurityEvents(s.log.String()), want)
}

// tokenClaims decodes a JWT's claims without checking it.
func tokenClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3: %q", len(parts), token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token claims: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("token claims: %v", err)
	}
	return claims
}

// accountPages are the pages of a signed-in client.
var accountPages = []string{
	"/account", "/account/profile", "/account/api", "/account/api/sign-out-everywhere", "/account/secret",
}

// The landing page leads clients to their sign-in page.
func TestAccount_LandingLinksToClientSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.browser(t)
	landing := b.get("/").wantStatus(http.StatusOK)
	link := landing.testid("client-sign-in-link")
	if link.Length() != 1 {
		t.Fatalf("%d client sign-in links, want 1:\n%s", link.Length(), landing.Body)
	}
	href, _ := link.Attr("href")
	if href != "/account/login" {
		t.Fatalf("client sign-in link href = %q, want /account/login", href)
	}
	login := b.get(href).wantStatus(http.StatusOK)
	form := login.testid("login-form")
	if action, _ := form.Attr("action"); action != "/account/login" {
		t.Errorf("sign-in form action = %q, want /account/login", action)
	}
	if method, _ := form.Attr("method"); method != "post" {
		t.Errorf("sign-in form method = %q, want post", method)
	}
	if typ, _ := form.Find(`input[name="clientSecret"]`).Attr("type"); typ != "password" {
		t.Errorf("clientSecret input type = %q, want password", typ)
	}
	if got := login.inputValue("clientId"); got != "" {
		t.Errorf("clientId input = %q, want empty", got)
	}
	if got := login.inputValue("next"); got != "/account" {
		t.Errorf("next input = %q, want /account", got)
	}
	if got := login.inputValue("_csrf"); got == "" {
		t.Error("the sign-in form carries no _csrf")
	}
	if login.testid("signed-in-as").Length() != 0 {
		t.Error("the sign-in page says someone is signed in")
	}
}

func TestAccount_Login(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.browser(t)
	b.get("/account/login").wantStatus(http.StatusOK)
	guest := b.accountCookie()
	p := b.post("/account/login", url.Values{"clientId": {" acme_1 "}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/account" {
		t.Errorf("Location = %q, want /account", got)
	}
	c := setCookie(t, p, accountCookieName)
	if c.Value == guest {
		t.Error("the session cookie did not change at sign-in")
	}
	if c.Path != "/account" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie: Path %q HttpOnly %v SameSite %v, want /account, true, Lax", c.Path, c.HttpOnly, c.SameSite)
	}
	if strings.Contains(c.Value, secret) {
		t.Errorf("the session cookie holds the secret: %q", c.Value)
	}
	if p.cookie("switchboard_console") != nil {
		t.Error("signing in to the account pages set a console cookie")
	}
	o := b.get("/account").wantStatus(http.StatusOK)
	if got := o.text("signed-in-as"); got != "acme_1" {
		t.Errorf("signed-in-as = %q, want acme_1", got)
	}
	if got := o.text("account-title"); got != "Ada Lovelace" {
		t.Errorf("account-title = %q", got)
	}
	// Signed in, the sign-in page forwards at once.
	if got := b.get("/account/login").wantStatus(http.StatusSeeOther).location(); got != "/account" {
		t.Errorf("signed in: sign-in page Location = %q, want /account", got)
	}
	// A forged or tampered cookie is no session.
	forged := s.browser(t)
	forged.cookies[accountCookieName] = c.Value[:len(c.Value)-2] + "AA"
	forged.get("/account").wantAccountSignIn("/account")

	if s.eventCount(map[string]string{"event": "sign-in", "outcome": "ok", "via": "account", "client_id": "acme_1"}) != 1 {
		t.Errorf("no sign-in line naming the client in the log:\n%s", s.log.String())
	}
	s.wantLogHoldsNone(t, secret, c.Value)
}

func TestAccount_LoginReturnsToRequestedPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.browser(t)
	want := "/account/api?tab=tokens"
	b.get(want).wantAccountSignIn(want)
	login := b.get("/account/login?next=" + url.QueryEscape(want)).wantStatus(http.StatusOK)
	if got := login.inputValue("next"); got != want {
		t.Fatalf("next input = %q, want %q", got, want)
	}
	p := b.post("/account/login", url.Values{
		"clientId": {"acme_1"}, "clientSecret": {secret}, "next": {login.inputValue("next")},
	}).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != want {
		t.Fatalf("after sign-in Location = %q, want %q", got, want)
	}
	api := b.get(p.location()).wantStatus(http.StatusOK)
	if cur, _ := api.testid("nav-api").Attr("aria-current"); cur != "page" {
		t.Errorf("landed on a page whose current navigation item is not API access:\n%s", api.Body)
	}
}

// next may only lead to an account page: anything else, the console
// included, falls back to /account.
func TestAccount_LoginNextStaysUnderAccount(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	for _, next := range []string{
		"//evil.example",
		"//evil.example/account",
		"https://evil.example/account",
		"http:evil.example/account",
		"/console",
		"/console/clients",
		"/auth/login",
		"/secure/client",
		"/",
		"javascript:alert(1)",
		"/\\evil.example",
		"/account\\..\\evil",
		"/accountevil",
		"/account.evil.example",
		"account/profile",
		"/account\r\nSet-Cookie: x=1",
	} {
		t.Run(next, func(t *testing.T) {
			b := s.browser(t)
			login := b.get("/account/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusOK)
			if got := login.inputValue("next"); got != "/account" {
				t.Errorf("next input = %q, want /account", got)
			}
			p := b.post("/account/login", url.Values{
				"clientId": {"acme_1"}, "clientSecret": {secret}, "next": {next},
			}).wantStatus(http.StatusSeeOther)
			if got := p.location(); got != "/account" {
				t.Errorf("after sign-in Location = %q, want /account", got)
			}
			again := b.get("/account/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusSeeOther)
			if got := again.location(); got != "/account" {
				t.Errorf("signed in: Location = %q, want /account", got)
			}
		})
	}
}

// landsAt is the path a browser on the sign-in page ends up at when sent
// to location. Browsers remove dot segments when they resolve it, and take
// "%2e" for "." there (the URL Standard's "double-dot path segment"), so the
// decoded path is resolved.
func landsAt(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("Location %q: %v", location, err)
	}
	base, _ := url.Parse("http://example.com/account/login")
	return base.ResolveReference(&url.URL{Path: u.Path}).Path
}

// A next that starts with /account but climbs out of it with dot segments
// ("/account/../console", "/account/%2e%2e/auth/login") must not send the
// browser out of the account pages after sign-in: the browser resolves the
// dots before it follows the redirect.
func TestAccount_LoginNextDotSegmentsStayUnderAccount(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	under := func(p string) bool { return p == "/account" || strings.HasPrefix(p, "/account/") }
	for _, next := range []string{
		"/account/../console",
		"/account/..",
		"/account/%2e%2e/console",
		"/account/%2E%2E/auth/login",
		"/account/.%2e/secure/client",
		"/account/profile/../../console/clients",
		// Dots that stay inside are fine either way.
		"/account/./profile",
		"/account/profile/../api",
	} {
		t.Run(next, func(t *testing.T) {
			b := s.browser(t)
			login := b.get("/account/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusOK)
			if got := login.inputValue("next"); !under(landsAt(t, got)) {
				t.Errorf("next input = %q, which leads to %q, outside /account", got, landsAt(t, got))
			}
			p := b.post("/account/login", url.Values{
				"clientId": {"acme_1"}, "clientSecret": {secret}, "next": {next},
			}).wantStatus(http.StatusSeeOther)
			if got := landsAt(t, p.location()); !under(got) {
				t.Errorf("after sign-in Location = %q: the browser lands on %q, outside /account", p.location(), got)
			}
			again := b.get("/account/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusSeeOther)
			if got := landsAt(t, again.location()); !under(got) {
				t.Errorf("signed in: Location = %q: the browser lands on %q, outside /account", again.location(), got)
			}
		})
	}
}

// A refused sign-in says what README.md's "API" section says, with a hint, the
// same for a wrong secret, an unknown client, and a client that is not
// Active even with its right secret: the page tells nobody which it was.
func TestAccount_LoginRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	adaSecret := seedAdaAccount(t, s)
	graceSecret := s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusSuspended)
	joanSecret := s.seed(t, "acme_3", "Joan Clarke", "joan@example.com", "Bletchley", switchboard.StatusInactive)
	tests := []struct {
		name, id, secret string
	}{
		{"WrongSecret", "acme_1", "wrong-secret-0123456789"},
		{"AnotherClientsSecret", "acme_1", joanSecret},
		{"SecretCase", "acme_1", strings.ToUpper(adaSecret)},
		{"UnknownClient", "nobody_1", adaSecret},
		{"MalformedClientID", "no such client!", adaSecret},
		{"SuspendedRightSecret", "acme_2", graceSecret},
		{"InactiveRightSecret", "acme_3", joanSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browser(t)
			b.get("/account/login?next=%2Faccount%2Fprofile").wantStatus(http.StatusOK)
			p := b.post("/account/login", url.Values{
				"clientId": {tt.id}, "clientSecret": {tt.secret}, "next": {"/account/profile"},
			}).wantStatus(http.StatusUnauthorized)
			msg := p.text("form-error")
			if !strings.Contains(msg, "Invalid credentials or inactive client") {
				t.Errorf("form error = %q, want the document's message", msg)
			}
			if !strings.Contains(msg, "Inactive or Suspended") || !strings.Contains(msg, "administrator") {
				t.Errorf("form error = %q, want a hint about inactive accounts", msg)
			}
			if got := p.inputValue("clientId"); got != tt.id {
				t.Errorf("clientId input = %q, want %q (kept)", got, tt.id)
			}
			if got := p.inputValue("clientSecret"); got != "" {
				t.Errorf("clientSecret input = %q, want it empty", got)
			}
			if strings.Contains(p.Body, tt.secret) {
				t.Error("the page repeats the secret")
			}
			if got := p.inputValue("next"); got != "/account/profile" {
				t.Errorf("next input = %q, want /account/profile (kept)", got)
			}
			if c := p.cookie(accountCookieName); c != nil {
				s.wantAccountSessionGrantsNothing(t, c.Value)
			}
			s.wantAccountSessionGrantsNothing(t, b.accountCookie())
			b.get("/account").wantAccountSignIn("/account")
		})
	}
	// The same words for every refusal, whatever the reason.
	b := s.browser(t)
	b.get("/account/login")
	first := b.post("/account/login", url.Values{"clientId": {"acme_2"}, "clientSecret": {graceSecret}}).text("form-error")
	second := b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {"wrong-secret-0123456789"}}).text("form-error")
	if first != second {
		t.Errorf("a suspended client's refusal %q differs from a wrong secret's %q", first, second)
	}
	if s.eventCount(map[string]string{"event": "sign-in", "outcome": "refused", "via": "account"}) == 0 {
		t.Error("no refused sign-in in the log")
	}
	s.wantLogHoldsNone(t, adaSecret, graceSecret, joanSecret, strings.ToUpper(adaSecret))
}

// A form sent with a field left empty asks for both, and is no failed
// sign-in: however often it happens, the right secret still signs in.
func TestAccount_LoginEmptyFields(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.browser(t)
	b.get("/account/login").wantStatus(http.StatusOK)
	for _, f := range []url.Values{
		{"clientId": {""}, "clientSecret": {secret}},
		{"clientId": {"acme_1"}, "clientSecret": {""}},
		{"clientId": {"   "}, "clientSecret": {secret}},
		{"clientId": {"acme_1"}},
		{},
	} {
		p := b.post("/account/login", f).wantStatus(http.StatusUnprocessableEntity)
		if got := p.text("form-error"); got != "Enter your client ID and secret." {
			t.Errorf("%v: form error = %q", f, got)
		}
		if strings.Contains(p.Body, secret) {
			t.Errorf("%v: the page repeats the secret", f)
		}
	}
	for range 12 {
		b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {""}}).
			wantStatus(http.StatusUnprocessableEntity)
	}
	b.get("/account").wantAccountSignIn("/account")
	b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	b.get("/account").wantStatus(http.StatusOK)
	s.mustClientLogin(t, "acme_1", secret)
}

// Signing out revokes the session's token, so a copy of the cookie opens
// nothing; the client's API tokens and other sessions live on.
func TestAccount_Logout(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	apiToken := s.mustClientLogin(t, "acme_1", secret)
	other := s.signInClient(t, "acme_1", secret)
	b := s.signInClient(t, "acme_1", secret)
	stolen := b.accountCookie()

	o := b.get("/account").wantStatus(http.StatusOK)
	if action, _ := o.testid("sign-out").Closest("form").Attr("action"); action != "/account/logout" {
		t.Errorf("sign-out form action = %q, want /account/logout", action)
	}
	p := b.post("/account/logout", nil).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/account/login" {
		t.Errorf("Location = %q, want /account/login", got)
	}
	login := b.get("/account/login").wantStatus(http.StatusOK)
	if got := login.text("flash"); got != "You are signed out." {
		t.Errorf("flash = %q", got)
	}
	if again := b.get("/account/login").wantStatus(http.StatusOK); again.testid("flash").Length() != 0 {
		t.Errorf("the flash is shown twice: %q", again.text("flash"))
	}
	b.get("/account").wantAccountSignIn("/account")

	thief := s.browser(t)
	thief.cookies[accountCookieName] = stolen
	thief.get("/account").wantAccountSignIn("/account")
	thief.get("/account/api").wantAccountSignIn("/account/api")

	if status, id := s.secureClient(t, apiToken); status != http.StatusOK || id != "acme_1" {
		t.Errorf("API token after sign-out: %d %q, want 200", status, id)
	}
	other.get("/account").wantStatus(http.StatusOK)

	// htmx signs out with a full navigation to the sign-in page.
	h := other.htmx(http.MethodPost, "/account/logout", "main", nil)
	if h.Status != http.StatusNoContent || h.Header.Get("HX-Redirect") != "/account/login" {
		t.Errorf("htmx sign-out: %d HX-Redirect %q, want 204 to /account/login", h.Status, h.Header.Get("HX-Redirect"))
	}
	other.get("/account").wantAccountSignIn("/account")
	if s.eventCount(map[string]string{"event": "sign-out", "outcome": "ok", "via": "account", "client_id": "acme_1"}) == 0 {
		t.Error("no sign-out line in the log")
	}
	s.wantLogHoldsNone(t, secret, apiToken, stolen)
}

func TestAccount_Overview(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	if _, err := s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{
		City: ptr("London"), Notes: ptr("Line one\nLine two"),
	}}); err != nil {
		t.Fatal(err)
	}
	stored := s.mustClient(t, "acme_1")
	b := s.signInClient(t, "acme_1", secret)
	p := b.get("/account").wantStatus(http.StatusOK)

	for id, want := range map[string]string{
		"account-title":        "Ada Lovelace",
		"profile-fullName":     "Ada Lovelace",
		"profile-email":        "ada@example.com",
		"profile-phone":        "+14155550123",
		"profile-businessName": "Engines",
		"profile-city":         "London",
		"profile-jobTitle":     "Not given",
		"detail-client-id":     "acme_1",
		"detail-agent-id":      "agent_1",
		"detail-twilio":        "+14155550100",
		"detail-created":       stored.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
		"signed-in-as":         "acme_1",
	} {
		if got := p.text(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := strings.TrimSpace(p.testid("account-status").Find(`[data-testid="status-badge"]`).Text()); got != "Active" {
		t.Errorf("account-status badge = %q, want Active", got)
	}
	if when, _ := p.testid("detail-created").Find("time").Attr("datetime"); when != stored.CreatedAt.UTC().Format(time.RFC3339) {
		t.Errorf("detail-created datetime = %q", when)
	}
	// The profile and the calling details are in their own sections.
	for section, ids := range map[string][]string{
		"account-profile": {"profile-fullName", "profile-email", "profile-phone", "profile-businessName", "profile-city", "profile-jobTitle"},
		"account-calling": {"detail-client-id", "detail-agent-id", "detail-twilio", "detail-created"},
	} {
		for _, id := range ids {
			if p.testid(section).Find(`[data-testid="`+id+`"]`).Length() != 1 {
				t.Errorf("%s is not inside %s", id, section)
			}
		}
	}
	if href, _ := p.Doc.Find(`[data-action="edit-profile"]`).Attr("href"); href != "/account/profile" {
		t.Errorf("edit-profile links to %q", href)
	}
	if cur, _ := p.testid("nav-overview").Attr("aria-current"); cur != "page" {
		t.Errorf("nav-overview aria-current = %q, want page", cur)
	}
	for id, href := range map[string]string{
		"nav-overview": "/account", "nav-profile": "/account/profile", "nav-api": "/account/api", "nav-secret": "/account/secret",
	} {
		if got, _ := p.testid(id).Attr("href"); got != href {
			t.Errorf("%s links to %q, want %q", id, got, href)
		}
	}
	// Only Ada's account, never the secret's hash, nor the administrator's
	// notes about her.
	for _, leak := range []string{"Grace", "grace@example.com", "acme_2", stored.SecretHash, "Line one", "Notes"} {
		if strings.Contains(p.Body, leak) {
			t.Errorf("the overview shows %q", leak)
		}
	}
	if p.testid("flash").Length() != 0 {
		t.Error("a flash on a plain visit")
	}
}

// The agent, the Twilio number, the status and the id are the
// administrator's: no account page offers an input for them.
func TestAccount_NoInputsForAdministratorsFields(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	pages := map[string]*page{}
	for _, path := range accountPages {
		pages[path] = b.get(path).wantStatus(http.StatusOK)
	}
	bad := adaProfile()
	bad.Set("clientMeta.phone", "x")
	pages["profile refused"] = b.post("/account/profile", bad).wantStatus(http.StatusUnprocessableEntity)
	pages["token issued"] = b.post("/account/api/token", nil).wantStatus(http.StatusOK)
	pages["secret refused"] = b.post("/account/secret", url.Values{"currentSecret": {"wrong-secret-0123456789"}}).
		wantStatus(http.StatusUnprocessableEntity)
	pages["secret changed"] = b.changeSecret(url.Values{"currentSecret": {secret}})
	for name, p := range pages {
		for _, field := range []string{"agentId", "twilioPhoneNumber", "status", "clientId", "clientSecret"} {
			if n := p.Doc.Find(`input[name="` + field + `"], select[name="` + field + `"], textarea[name="` + field + `"]`).Length(); n != 0 {
				t.Errorf("%s: %d inputs named %s", name, n, field)
			}
		}
	}
}

func TestAccount_ProfilePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	if _, err := s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{
		City: ptr("London"), JobTitle: ptr("Countess"), Notes: ptr("Line one\nLine two"),
	}}); err != nil {
		t.Fatal(err)
	}
	b := s.signInClient(t, "acme_1", secret)
	p := b.get("/account/profile").wantStatus(http.StatusOK)
	form := p.testid("profile-form")
	if action, _ := form.Attr("action"); action != "/account/profile" {
		t.Errorf("profile form action = %q", action)
	}
	for name, want := range map[string]string{
		"clientMeta.fullName": "Ada Lovelace", "clientMeta.email": "ada@example.com", "clientMeta.phone": "+14155550123",
		"clientMeta.businessName": "Engines", "clientMeta.city": "London", "clientMeta.jobTitle": "Countess",
	} {
		if got := p.inputValue(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The notes are the administrator's: neither shown nor offered.
	if p.Doc.Find(`[name="clientMeta.notes"]`).Length() != 0 || strings.Contains(p.Body, "Line one") {
		t.Error("the profile form shows the administrator's notes")
	}
	// The browser may fill one's own details in.
	for name, want := range map[string]string{"clientMeta.fullName": "name", "clientMeta.email": "email", "clientMeta.phone": "tel"} {
		if got, _ := form.Find(`[name="` + name + `"]`).Attr("autocomplete"); got != want {
			t.Errorf("%s autocomplete = %q, want %q", name, got, want)
		}
	}
	if p.fieldError("clientMeta.phone") != "" || p.testid("form-error").Length() != 0 {
		t.Error("errors on a fresh form")
	}
}

func TestAccount_EditProfile(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	b := s.signInClient(t, "acme_1", secret)
	b.get("/account/profile").wantStatus(http.StatusOK)

	f := adaProfile()
	f.Set("clientMeta.fullName", "  Ada King  ")
	f.Set("clientMeta.phone", "+442071234567")
	f.Set("clientMeta.city", "Paris")
	f.Set("clientMeta.notes", "Line one\nLine two") // not the client's: ignored
	p := b.post("/account/profile", f).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/account" {
		t.Errorf("Location = %q, want /account", got)
	}
	after := s.mustClient(t, "acme_1")
	if after.Meta.FullName != "Ada King" || after.Meta.Phone != "+442071234567" || after.Meta.City != "Paris" ||
		after.Meta.Notes != before.Meta.Notes || after.Meta.Email != before.Meta.Email ||
		after.Meta.BusinessName != before.Meta.BusinessName {
		t.Errorf("stored meta %+v", after.Meta)
	}
	if after.Status != before.Status || after.AgentID != before.AgentID || after.TwilioPhoneNumber != before.TwilioPhoneNumber ||
		after.SecretHash != before.SecretHash || after.TokenVersion != before.TokenVersion {
		t.Errorf("the profile form changed more than the profile: %+v", after)
	}
	ev := s.events(t)[0]
	if ev.Action != switchboard.EventClientUpdated || ev.Actor != "client:acme_1" || ev.ClientID != "acme_1" ||
		ev.Detail != "clientMeta.fullName, clientMeta.phone, clientMeta.city" {
		t.Errorf("event = %+v, want client.updated by client:acme_1", ev)
	}

	o := b.get("/account").wantStatus(http.StatusOK)
	if got := o.text("flash"); got != "Profile saved." {
		t.Errorf("flash = %q", got)
	}
	if got := o.text("profile-fullName"); got != "Ada King" {
		t.Errorf("profile-fullName = %q", got)
	}
	if got := o.text("profile-city"); got != "Paris" {
		t.Errorf("profile-city = %q", got)
	}
	if again := b.get("/account").wantStatus(http.StatusOK); again.testid("flash").Length() != 0 {
		t.Errorf("the flash is shown twice: %q", again.text("flash"))
	}
	if got := b.get("/account/profile").wantStatus(http.StatusOK).inputValue("clientMeta.city"); got != "Paris" {
		t.Errorf("city input = %q, want Paris", got)
	}
	// The JSON API reads what the page saved.
	_, body := s.jsonCall(t, http.MethodGet, "/secure/client", s.mustClientLogin(t, "acme_1", secret), nil)
	if meta, _ := body["clientMeta"].(map[string]any); meta["fullName"] != "Ada King" || meta["city"] != "Paris" {
		t.Errorf("GET /secure/client clientMeta = %v", body["clientMeta"])
	}

	// Saving the form unchanged records nothing.
	events := len(s.events(t))
	b.get("/account/profile")
	b.post("/account/profile", url.Values{
		"clientMeta.fullName": {"Ada King"}, "clientMeta.email": {"ada@example.com"}, "clientMeta.phone": {"+442071234567"},
		"clientMeta.businessName": {"Engines"}, "clientMeta.city": {"Paris"}, "clientMeta.jobTitle": {""},
		"clientMeta.notes": {"Line one\nLine two"},
	}).wantStatus(http.StatusSeeOther)
	if n := len(s.events(t)); n != events {
		t.Errorf("an unchanged save recorded %d events", n-events)
	}
}

// A refused profile shows each problem next to its field, in the words
// PUT /secure/client uses for the same value (with the field's label for
// its JSON name), keeps what was typed, and changes nothing.
func TestAccount_EditProfileInvalid(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	token := s.mustClientLogin(t, "acme_1", secret)
	b := s.signInClient(t, "acme_1", secret)
	before := s.mustClient(t, "acme_1")
	events := len(s.events(t))

	type bad struct{ field, label, value, want string }
	tests := []struct {
		name string
		bad  []bad
	}{
		{"BadPhone", []bad{{"clientMeta.phone", "Phone", "4155550123", "Invalid phone number format"}}},
		{"PhoneWithLetters", []bad{{"clientMeta.phone", "Phone", "+1 415 CALL ME", "Invalid phone number format"}}},
		{"BadEmail", []bad{{"clientMeta.email", "Email", "ada-at-example", "Invalid email format"}}},
		{"EmailWithName", []bad{{"clientMeta.email", "Email", "Ada <ada@example.com>", "Invalid email format"}}},
		{"EmptyFullName", []bad{{"clientMeta.fullName", "Full name", "   ", "Full name is required"}}},
		{"EmptyEmail", []bad{{"clientMeta.email", "Email", "", "Email is required"}}},
		{"EmptyPhone", []bad{{"clientMeta.phone", "Phone", "", "Phone is required"}}},
		{"TooLongCity", []bad{{"clientMeta.city", "City", strings.Repeat("c", 101), "City is too long (at most 100 characters)"}}},
		{"AllAtOnce", []bad{
			{"clientMeta.fullName", "Full name", "", "Full name is required"},
			{"clientMeta.email", "Email", "nope", "Invalid email format"},
			{"clientMeta.phone", "Phone", "555", "Invalid phone number format"},
			{"clientMeta.jobTitle", "Job title", strings.Repeat("j", 101), "Job title is too long (at most 100 characters)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := adaProfile()
			f.Set("clientMeta.businessName", "Typed But Not Saved")
			meta := map[string]string{}
			for _, x := range tt.bad {
				f.Set(x.field, x.value)
				meta[strings.TrimPrefix(x.field, "clientMeta.")] = x.value
			}
			b.get("/account/profile")
			p := b.post("/account/profile", f).wantStatus(http.StatusUnprocessableEntity)
			if got := p.text("form-error"); got != "Please correct the fields marked below." {
				t.Errorf("form error = %q", got)
			}
			for _, x := range tt.bad {
				if got := p.fieldError(x.field); got != x.want {
					t.Errorf("%s error = %q, want %q", x.field, got, x.want)
				}
				if got := p.inputValue(x.field); got != x.value {
					t.Errorf("%s input = %q, want %q (kept)", x.field, got, x.value)
				}
			}
			if got := p.inputValue("clientMeta.businessName"); got != "Typed But Not Saved" {
				t.Errorf("businessName input = %q, want what was typed", got)
			}
			if got := p.fieldError("clientMeta.businessName"); got != "" {
				t.Errorf("businessName error = %q, want none", got)
			}
			if after := s.mustClient(t, "acme_1"); *after != *before {
				t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
			}
			if n := len(s.events(t)); n != events {
				t.Errorf("%d events, want %d", n, events)
			}

			// PUT /secure/client refuses the same values with the same words.
			status, body := s.jsonCall(t, http.MethodPut, "/secure/client", token, map[string]any{"clientMeta": meta})
			if status != http.StatusBadRequest {
				t.Fatalf("PUT /secure/client = %d %v, want 400", status, body)
			}
			fields, _ := body["fields"].(map[string]any)
			for _, x := range tt.bad {
				apiMsg, _ := fields[x.field].(string)
				if shown := strings.Replace(apiMsg, x.field, x.label, 1); shown != x.want {
					t.Errorf("%s: the API says %q, the page %q", x.field, apiMsg, x.want)
				}
			}
			if after := s.mustClient(t, "acme_1"); *after != *before {
				t.Errorf("client changed by the API:\n got %+v\nwant %+v", after, before)
			}
		})
	}
	// The session goes on.
	b.get("/account").wantStatus(http.StatusOK)
}

// Another client's email, in any letter case, is refused next to the
// email, as the console refuses it.
func TestAccount_EditProfileEmailTaken(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	before := s.mustClient(t, "acme_1")
	events := len(s.events(t))
	b := s.signInClient(t, "acme_1", secret)

	for _, email := range []string{"grace@example.com", "GRACE@Example.com", " grace@example.com "} {
		f := adaProfile()
		f.Set("clientMeta.email", email)
		f.Set("clientMeta.city", "Paris")
		b.get("/account/profile")
		p := b.post("/account/profile", f).wantStatus(http.StatusUnprocessableEntity)
		if got := p.fieldError("clientMeta.email"); got != "Another client already uses this email." {
			t.Errorf("%q: email error = %q", email, got)
		}
		if got := p.inputValue("clientMeta.email"); got != email {
			t.Errorf("%q: email input = %q (kept)", email, got)
		}
		if got := p.inputValue("clientMeta.city"); got != "Paris" {
			t.Errorf("%q: city input = %q (kept)", email, got)
		}
		if strings.Contains(p.Body, "Grace") || strings.Contains(p.Body, "acme_2") {
			t.Errorf("%q: the page tells who has the email", email)
		}
	}
	if after := s.mustClient(t, "acme_1"); *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := len(s.events(t)); n != events {
		t.Errorf("%d events, want %d", n, events)
	}
	if c := s.mustClient(t, "acme_2"); c.Meta.Email != "grace@example.com" {
		t.Errorf("acme_2 email = %q", c.Meta.Email)
	}
}

// A bad phone and a taken email are said at once on the profile form too.
func TestAccount_EditProfileEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	b := s.signInClient(t, "acme_1", secret)
	f := adaProfile()
	f.Set("clientMeta.phone", "12")
	b.get("/account/profile")
	p := b.post("/account/profile", f).wantStatus(http.StatusUnprocessableEntity)
	if got := p.fieldError("clientMeta.email"); got != "" {
		t.Errorf("its own email: email error %q", got)
	}
	f.Set("clientMeta.email", "Grace@example.com")
	p = b.post("/account/profile", f).wantStatus(http.StatusUnprocessableEntity)
	if got := p.fieldError("clientMeta.phone"); got != switchboard.MsgInvalidPhone {
		t.Errorf("phone error = %q", got)
	}
	if got := p.fieldError("clientMeta.email"); got != "Another client already uses this email." {
		t.Errorf("email error = %q", got)
	}
}

// Fields a hand-made post adds to the profile form (the administrator's
// fields, the id, a secret) are ignored; the profile is saved.
func TestAccount_EditProfileIgnoresOtherFields(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	b := s.signInClient(t, "acme_1", secret)
	f := adaProfile()
	f.Set("clientMeta.city", "Paris")
	f.Set("agentId", "agent_evil")
	f.Set("twilioPhoneNumber", "+14155559999")
	f.Set("status", "Inactive")
	f.Set("clientId", "acme_evil")
	f.Set("clientSecret", "attacker-chosen-secret-123")
	f.Set("secretHash", "x")
	f.Set("tokenVersion", "1")
	b.get("/account/profile")
	b.post("/account/profile", f).wantStatus(http.StatusSeeOther)

	after := s.mustClient(t, "acme_1")
	if after.Meta.City != "Paris" {
		t.Errorf("city = %q, want Paris (saved)", after.Meta.City)
	}
	if after.AgentID != before.AgentID || after.TwilioPhoneNumber != before.TwilioPhoneNumber || after.Status != before.Status ||
		after.SecretHash != before.SecretHash || after.TokenVersion != before.TokenVersion {
		t.Errorf("extra fields changed the client: %+v", after)
	}
	if s.client(t, "acme_evil") != nil {
		t.Error("a client acme_evil exists")
	}
	if ev := s.events(t)[0]; ev.Action != switchboard.EventClientUpdated || ev.Detail != "clientMeta.city" {
		t.Errorf("event = %+v, want client.updated of clientMeta.city", ev)
	}
	if status, _ := s.clientLogin(t, "acme_1", "attacker-chosen-secret-123"); status != http.StatusUnauthorized {
		t.Errorf("the posted secret signs in: %d", status)
	}
	s.mustClientLogin(t, "acme_1", secret)
	b.get("/account").wantStatus(http.StatusOK)
}

// wantBearerCurl checks that a curl line, pasted into a shell, calls path
// on this server with the token and nothing else.
func wantBearerCurl(t *testing.T, line, path, token string) {
	t.Helper()
	words, ok := shellWords(line)
	want := []string{"curl", "-s", "http://example.com" + path, "-H", "Authorization: Bearer " + token}
	if !ok || !slices.Equal(words, want) {
		t.Errorf("curl line %q reads as %q, want %q", line, words, want)
		return
	}
	wantShellReads(t, line, want)
}

func TestAccount_IssueToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	loginToken := s.mustClientLogin(t, "acme_1", secret)
	b := s.signInClient(t, "acme_1", secret)

	api := b.get("/account/api").wantStatus(http.StatusOK)
	// By default (no TOKEN_TTL) a token lasts until something ends it.
	if got := api.Doc.Find("#token-heading").Parent().Text(); !strings.Contains(got, "A token works until your secret changes") {
		t.Errorf("API page does not say how long a token lasts:\n%s", got)
	}
	if api.testid("token-revealed").Length() != 0 || api.Doc.Find("[data-secret]").Length() != 0 {
		t.Fatal("the API page shows a token before one was asked for")
	}
	issue := api.Doc.Find(`[data-action="issue-token"]`).Closest("form")
	if action, _ := issue.Attr("action"); action != "/account/api/token" {
		t.Errorf("issue form action = %q", action)
	}
	if target, _ := issue.Attr("hx-target"); target != "#token-panel" || api.Doc.Find("#token-panel").Length() != 1 {
		t.Errorf("issue form hx-target = %q, want #token-panel, which the page has", target)
	}

	p := b.post("/account/api/token", nil).wantStatus(http.StatusOK)
	token := p.secret()
	if token == "" || token != p.text("api-token") {
		t.Fatalf("[data-secret] %q, api-token %q", token, p.text("api-token"))
	}
	if p.testid("token-revealed").Length() != 1 || p.testid("signed-in-as").Length() != 1 {
		t.Errorf("a plain form gets the whole API page with the token:\n%s", p.Body)
	}
	wantBearerCurl(t, p.text("curl-secure-client"), "/secure/client", token)
	wantBearerCurl(t, p.text("curl-validate"), "/auth/validate", token)

	// The token is the JSON API's: it reads the client, validates, and
	// carries the claims POST /auth/login's token carries.
	if status, id := s.secureClient(t, token); status != http.StatusOK || id != "acme_1" {
		t.Errorf("GET /secure/client with the page's token: %d %q", status, id)
	}
	if status, body := s.jsonCall(t, http.MethodGet, "/auth/validate", token, nil); status != http.StatusOK {
		t.Errorf("GET /auth/validate with the page's token: %d %v", status, body)
	}
	if status, _ := s.jsonCall(t, http.MethodGet, "/admin/clients", token, nil); status < 400 {
		t.Errorf("GET /admin/clients with the page's token: %d, want a refusal", status)
	}
	got, want := tokenClaims(t, token), tokenClaims(t, loginToken)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("claims %v, want those of POST /auth/login's token %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for _, k := range []string{"clientId", "type", "ver", "exp"} {
		if got[k] != want[k] {
			t.Errorf("claim %s = %v, want %v as POST /auth/login's", k, got[k], want[k])
		}
	}
	if got["clientId"] != "acme_1" || got["type"] != "client" {
		t.Errorf("claims = %v", got)
	}

	// Shown once.
	again := b.get("/account/api").wantStatus(http.StatusOK)
	if strings.Contains(again.Body, token) || again.testid("token-revealed").Length() != 0 {
		t.Error("the API page shows the token again")
	}
	if strings.Contains(b.get("/account").Body, token) {
		t.Error("the overview shows the token")
	}

	// A second token is another one; both work, and so does the session.
	second := b.post("/account/api/token", nil).wantStatus(http.StatusOK).secret()
	if second == token {
		t.Fatal("two issues gave the same token")
	}
	for _, tok := range []string{token, second, loginToken} {
		if status, id := s.secureClient(t, tok); status != http.StatusOK || id != "acme_1" {
			t.Errorf("token refused after a second issue: %d %q", status, id)
		}
	}
	b.get("/account").wantStatus(http.StatusOK)
	if n := s.eventCount(map[string]string{"event": "token issued", "via": "account", "actor": "client:acme_1"}); n != 2 {
		t.Errorf("%d token issues in the log, want 2", n)
	}
	s.wantLogHoldsNone(t, secret, token, second, loginToken)
}

// With TOKEN_TTL set, the API page says how long a new token lasts, and the
// token it issues expires then.
func TestAccount_IssueTokenWithLifetime(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.svc.TokenTTL = 24 * time.Hour
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)

	api := b.get("/account/api").wantStatus(http.StatusOK)
	if got := api.Doc.Find("#token-heading").Parent().Text(); !strings.Contains(got, "A new token expires after 24 hours") {
		t.Errorf("API page does not say how long a token lasts:\n%s", got)
	}
	issued := time.Now()
	token := b.post("/account/api/token", nil).wantStatus(http.StatusOK).secret()
	exp, ok := tokenClaims(t, token)["exp"].(float64)
	if !ok {
		t.Fatalf("token has no exp claim: %v", tokenClaims(t, token))
	}
	if d := time.Unix(int64(exp), 0).Sub(issued); d < 24*time.Hour-time.Minute || d > 24*time.Hour+time.Minute {
		t.Errorf("token expires %v after it was issued, want 24h", d)
	}
}

// htmx gets the revealed token alone, for the page's token panel.
func TestAccount_IssueTokenHTMX(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	b.get("/account/api").wantStatus(http.StatusOK)

	h := b.htmx(http.MethodPost, "/account/api/token", "token-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(h.Body, "<html") || strings.Contains(h.Body, `data-testid="signed-in-as"`) {
		t.Errorf("htmx got a whole page, want the revealed token alone:\n%s", h.Body)
	}
	top := h.Doc.Find("body").Children()
	if top.Length() != 1 {
		t.Fatalf("fragment has %d top elements, want 1:\n%s", top.Length(), h.Body)
	}
	if id, _ := top.Attr("data-testid"); id != "token-revealed" {
		t.Errorf("fragment is %q, want token-revealed", id)
	}
	token := h.secret()
	if token != h.text("api-token") {
		t.Errorf("[data-secret] %q differs from api-token %q", token, h.text("api-token"))
	}
	wantBearerCurl(t, h.text("curl-secure-client"), "/secure/client", token)
	wantBearerCurl(t, h.text("curl-validate"), "/auth/validate", token)
	if status, id := s.secureClient(t, token); status != http.StatusOK || id != "acme_1" {
		t.Errorf("GET /secure/client with the fragment's token: %d %q", status, id)
	}
	if strings.Contains(b.get("/account/api").Body, token) {
		t.Error("the API page shows the token again")
	}
	s.wantLogHoldsNone(t, secret, token)
}

func TestAccount_SignOutEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	graceSecret := s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	apiToken := s.mustClientLogin(t, "acme_1", secret)
	graceToken := s.mustClientLogin(t, "acme_2", graceSecret)
	grace := s.signInClient(t, "acme_2", graceSecret)
	other := s.signInClient(t, "acme_1", secret)
	b := s.signInClient(t, "acme_1", secret)
	pageToken := b.post("/account/api/token", nil).wantStatus(http.StatusOK).secret()
	before := s.mustClient(t, "acme_1")

	// The API page leads to a confirmation, a page or (htmx) a panel.
	api := b.get("/account/api").wantStatus(http.StatusOK)
	link := api.Doc.Find(`[data-action="sign-out-everywhere"]`)
	if href, _ := link.Attr("href"); href != "/account/api/sign-out-everywhere" {
		t.Errorf("sign-out-everywhere links to %q", href)
	}
	if target, _ := link.Attr("hx-target"); target != "#sign-out-everywhere-panel" || api.Doc.Find("#sign-out-everywhere-panel").Length() != 1 {
		t.Errorf("sign-out-everywhere hx-target = %q, want #sign-out-everywhere-panel, which the page has", target)
	}
	confirm := b.get("/account/api/sign-out-everywhere").wantStatus(http.StatusOK)
	panel := confirm.testid("confirm-sign-out-everywhere")
	if panel.Length() != 1 || confirm.testid("signed-in-as").Length() != 1 {
		t.Fatalf("no confirmation page:\n%s", confirm.Body)
	}
	if action, _ := panel.Find("form").Attr("action"); action != "/account/api/sign-out-everywhere" {
		t.Errorf("confirm form action = %q", action)
	}
	if panel.Find(`[data-action="confirm-sign-out-everywhere"]`).Length() != 1 {
		t.Error("no confirm button")
	}
	hx := b.htmx(http.MethodGet, "/account/api/sign-out-everywhere", "sign-out-everywhere-panel", nil).wantStatus(http.StatusOK)
	if strings.Contains(hx.Body, "<html") || hx.testid("confirm-sign-out-everywhere").Length() != 1 {
		t.Errorf("htmx confirmation is not the panel alone:\n%s", hx.Body)
	}
	// Asking ended nothing.
	if status, _ := s.secureClient(t, apiToken); status != http.StatusOK {
		t.Errorf("API token refused after only asking: %d", status)
	}
	if after := s.mustClient(t, "acme_1"); after.TokenVersion != before.TokenVersion {
		t.Error("the confirmation ended the tokens")
	}

	p := b.post("/account/api/sign-out-everywhere", nil).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/account/login" {
		t.Errorf("Location = %q, want /account/login", got)
	}
	login := b.get("/account/login").wantStatus(http.StatusOK)
	if got := login.text("flash"); !strings.Contains(got, "signed out everywhere") {
		t.Errorf("flash = %q, want it to say every session ended", got)
	}
	b.get("/account").wantAccountSignIn("/account")
	for name, tok := range map[string]string{"POST /auth/login's": apiToken, "the page's": pageToken} {
		if status, _ := s.secureClient(t, tok); status != http.StatusUnauthorized {
			t.Errorf("%s token after sign-out everywhere: %d, want 401", name, status)
		}
	}
	// The other browser is signed out too, and told so.
	op := other.get("/account/profile")
	op.wantAccountSignIn("/account/profile")
	if got := other.get(op.location()).wantStatus(http.StatusOK).text("flash"); !strings.Contains(got, "session has ended") {
		t.Errorf("other browser's flash = %q", got)
	}
	// The secret stays; another client is untouched.
	after := s.mustClient(t, "acme_1")
	if after.SecretHash != before.SecretHash || after.Status != before.Status || after.Meta != before.Meta {
		t.Errorf("sign-out everywhere changed the client: %+v", after)
	}
	if status, id := s.secureClient(t, graceToken); status != http.StatusOK || id != "acme_2" {
		t.Errorf("another client's token: %d %q", status, id)
	}
	grace.get("/account").wantStatus(http.StatusOK)
	ev := s.events(t)[0]
	if ev.Action != switchboard.EventClientTokensRevoked || ev.ClientID != "acme_1" || ev.Actor != "client:acme_1" {
		t.Errorf("event = %+v, want client.tokens_revoked of acme_1 by client:acme_1", ev)
	}
	fresh := s.mustClientLogin(t, "acme_1", secret)
	if status, _ := s.secureClient(t, fresh); status != http.StatusOK {
		t.Errorf("a token issued after: %d", status)
	}
	b.signInAccount("acme_1", secret)

	// htmx posts get a full navigation to the sign-in page.
	b.get("/account/api")
	h := b.htmx(http.MethodPost, "/account/api/sign-out-everywhere", "main", nil)
	if h.Status != http.StatusNoContent || h.Header.Get("HX-Redirect") != "/account/login" {
		t.Errorf("htmx: %d HX-Redirect %q, want 204 to /account/login", h.Status, h.Header.Get("HX-Redirect"))
	}
	b.get("/account").wantAccountSignIn("/account")
	if status, _ := s.secureClient(t, fresh); status != http.StatusUnauthorized {
		t.Errorf("token after the htmx sign-out everywhere: %d, want 401", status)
	}
	s.wantLogHoldsNone(t, secret, graceSecret, apiToken, pageToken, graceToken, fresh)
}

// wantSecretChanged checks what every changed secret brings: the old secret
// and earlier tokens refused, the new one signing in, this browser still
// signed in and the other signed out.
func wantSecretChanged(t *testing.T, s *site, b, other *browser, oldSecret, newSecret, oldToken string) {
	t.Helper()
	if status, _ := s.clientLogin(t, "acme_1", oldSecret); status != http.StatusUnauthorized {
		t.Errorf("old secret at POST /auth/login: %d, want 401", status)
	}
	if status, _ := s.secureClient(t, oldToken); status != http.StatusUnauthorized {
		t.Errorf("earlier API token: %d, want 401", status)
	}
	newToken := s.mustClientLogin(t, "acme_1", newSecret)
	if status, id := s.secureClient(t, newToken); status != http.StatusOK || id != "acme_1" {
		t.Errorf("new token: %d %q", status, id)
	}
	b.get("/account").wantStatus(http.StatusOK)
	b.post("/account/api/token", nil).wantStatus(http.StatusOK)
	op := other.get("/account")
	op.wantAccountSignIn("/account")
	other.get(op.location()).wantStatus(http.StatusOK)
	s.signInClient(t, "acme_1", newSecret)
	if ev := s.events(t)[0]; ev.Action != switchboard.EventClientSecretReset || ev.Actor != "client:acme_1" {
		t.Errorf("event = %+v, want client.secret_reset by client:acme_1", ev)
	}
	if form := b.get("/account/secret").wantStatus(http.StatusOK); strings.Contains(form.Body, newSecret) ||
		form.Doc.Find("[data-secret]").Length() != 0 {
		t.Error("the secret page shows the new secret again")
	}
	s.wantLogHoldsNone(t, oldSecret, newSecret, oldToken, newToken)
}

func TestAccount_ChangeSecret(t *testing.T) {
	t.Parallel()
	t.Run("Generated", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		oldSecret := seedAdaAccount(t, s)
		oldToken := s.mustClientLogin(t, "acme_1", oldSecret)
		other := s.signInClient(t, "acme_1", oldSecret)
		b := s.signInClient(t, "acme_1", oldSecret)

		form := b.get("/account/secret").wantStatus(http.StatusOK)
		f := form.testid("secret-form")
		if action, _ := f.Attr("action"); action != "/account/secret" {
			t.Errorf("secret form action = %q", action)
		}
		for name, auto := range map[string]string{"currentSecret": "current-password", "newSecret": "new-password"} {
			in := f.Find(`input[name="` + name + `"]`)
			if typ, _ := in.Attr("type"); typ != "password" {
				t.Errorf("%s type = %q, want password", name, typ)
			}
			if got, _ := in.Attr("autocomplete"); got != auto {
				t.Errorf("%s autocomplete = %q, want %q", name, got, auto)
			}
		}

		p := b.changeSecret(url.Values{"currentSecret": {oldSecret}, "newSecret": {""}})
		newSecret := p.secret()
		if len(newSecret) < 32 || newSecret == oldSecret {
			t.Fatalf("generated secret %q, want a new one of at least 32 characters", newSecret)
		}
		if got := p.text("revealed-client-id"); got != "acme_1" {
			t.Errorf("revealed-client-id = %q", got)
		}
		if !strings.Contains(p.text("secret-revealed"), "shown only once") {
			t.Errorf("revealed text = %q", p.text("secret-revealed"))
		}
		wantLoginCurl(t, p.text("login-curl"), "acme_1", newSecret)
		if href, _ := p.testid("api-link").Attr("href"); href != "/account/api" {
			t.Errorf("api-link = %q", href)
		}
		if strings.Contains(p.Body, oldSecret) {
			t.Error("the page shows the old secret")
		}
		wantSecretChanged(t, s, b, other, oldSecret, newSecret, oldToken)
	})
	t.Run("Chosen", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		oldSecret := seedAdaAccount(t, s)
		oldToken := s.mustClientLogin(t, "acme_1", oldSecret)
		other := s.signInClient(t, "acme_1", oldSecret)
		b := s.signInClient(t, "acme_1", oldSecret)
		b.get("/account/secret").wantStatus(http.StatusOK)
		const chosen = "my own 16+ secret"
		p := b.changeSecret(url.Values{"currentSecret": {oldSecret}, "newSecret": {chosen}})
		if got := p.secret(); got != chosen {
			t.Errorf("shown secret = %q, want the chosen %q", got, chosen)
		}
		wantLoginCurl(t, p.text("login-curl"), "acme_1", chosen)
		wantSecretChanged(t, s, b, other, oldSecret, chosen, oldToken)
	})
}

// A refused secret change says why next to the field, never sends a typed
// secret back, and changes nothing: the old secret and tokens still work
// and the session goes on.
func TestAccount_ChangeSecretRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	token := s.mustClientLogin(t, "acme_1", secret)
	b := s.signInClient(t, "acme_1", secret)
	before := s.mustClient(t, "acme_1")
	events := len(s.events(t))
	tests := []struct {
		name, current, next string
		field, want         string
	}{
		{"WrongCurrent", "wrong-secret-0123456789", "", "currentSecret", "Current secret is incorrect."},
		{"WrongCurrentChosenNew", "wrong-secret-0123456789", "a brand new secret!", "currentSecret", "Current secret is incorrect."},
		{"ShortNew", secret, "short-secret", "newSecret", "New secret must be at least 16 characters"},
		{"LongNew", secret, strings.Repeat("s", 73), "newSecret", "New secret must be at most 72 bytes"},
		{"ControlCharNew", secret, "sixteen chars ok\x01", "newSecret", "New secret contains a control character"},
		{"SameAsCurrent", secret, secret, "newSecret", "New secret must differ from the current secret"},
		{"EmptyCurrent", "", "a brand new secret!", "currentSecret", "Enter your current secret."},
		{"EmptyBoth", "", "", "currentSecret", "Enter your current secret."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.get("/account/secret")
			p := b.post("/account/secret", url.Values{"currentSecret": {tt.current}, "newSecret": {tt.next}}).
				wantStatus(http.StatusUnprocessableEntity)
			got := p.fieldError(tt.field)
			if tt.want != "" && got != tt.want {
				t.Errorf("%s error = %q, want %q", tt.field, got, tt.want)
			}
			if got == "" {
				t.Errorf("no error next to %s:\n%s", tt.field, p.Body)
			}
			if p.testid("form-error").Length() != 1 {
				t.Error("no form problem heading the form")
			}
			if p.Doc.Find("[data-secret]").Length() != 0 || p.testid("secret-revealed").Length() != 0 {
				t.Error("a refused change shows a secret")
			}
			for _, name := range []string{"currentSecret", "newSecret"} {
				if v := p.inputValue(name); v != "" {
					t.Errorf("%s input = %q, want it empty", name, v)
				}
			}
			for _, typed := range []string{tt.current, tt.next} {
				if typed != "" && strings.Contains(p.Body, typed) {
					t.Errorf("the page repeats a typed secret")
				}
			}
			if after := s.mustClient(t, "acme_1"); *after != *before {
				t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
			}
			if n := len(s.events(t)); n != events {
				t.Errorf("%d events, want %d", n, events)
			}
			if tt.next != "" && tt.next != secret {
				if status, _ := s.clientLogin(t, "acme_1", tt.next); status != http.StatusUnauthorized {
					t.Errorf("the refused new secret signs in: %d", status)
				}
			}
			s.mustClientLogin(t, "acme_1", secret)
			if status, _ := s.secureClient(t, token); status != http.StatusOK {
				t.Errorf("API token after a refused change: %d", status)
			}
			b.get("/account").wantStatus(http.StatusOK)
		})
	}
	s.wantLogHoldsNone(t, secret, token, "a brand new secret!", "wrong-secret-0123456789")
}

// Wrong current secrets count against the client's sign-in throttle, shared
// with both sign-in doors: after ten, the form, POST /auth/login and the
// sign-in page refuse even the right secret, and the session goes on.
func TestAccount_ChangeSecretThrottled(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	before := s.mustClient(t, "acme_1")
	for i := range 10 {
		b.get("/account/secret")
		p := b.post("/account/secret", url.Values{"currentSecret": {"wrong-secret-" + strings.Repeat("x", i+10)}})
		p.wantStatus(http.StatusUnprocessableEntity)
	}
	b.get("/account/secret")
	p := b.post("/account/secret", url.Values{"currentSecret": {secret}}).wantStatus(http.StatusTooManyRequests)
	wantRetryAfter(t, p.Header)
	if got := p.text("form-error"); !strings.HasPrefix(got, "Too many failed attempts. Try again in ") {
		t.Errorf("form error = %q", got)
	}
	if p.Doc.Find("[data-secret]").Length() != 0 {
		t.Error("a throttled change shows a secret")
	}
	if after := s.mustClient(t, "acme_1"); *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	status, header, body := s.jsonDo(t, http.MethodPost, "/auth/login", "", map[string]string{"clientId": "acme_1", "clientSecret": secret})
	if status != http.StatusTooManyRequests || body["token"] != nil {
		t.Errorf("POST /auth/login after ten wrong current secrets: %d %v, want 429", status, body)
	}
	wantRetryAfter(t, header)
	guest := s.browser(t)
	guest.get("/account/login")
	guest.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusTooManyRequests)
	b.get("/account").wantStatus(http.StatusOK)
}

// Every signed-in page sends a signed-out browser to the sign-in page,
// which brings it back (query included); htmx is told to load it.
func TestAccount_SignedOutRedirectsToLogin(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedAdaAccount(t, s)
	for _, path := range append(slices.Clone(accountPages), "/account/profile?from=mail", "/account/") {
		t.Run(path, func(t *testing.T) {
			b := s.browser(t)
			p := b.get(path)
			p.wantAccountSignIn(path)
			for _, leak := range []string{"Ada Lovelace", "ada@example.com", "agent_1"} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("redirect body shows %q", leak)
				}
			}
			b.htmx(http.MethodGet, path, "main", nil).wantHTMXAccountSignIn()
		})
	}
}

// A signed-out browser with a valid CSRF token (it loaded the sign-in page)
// that posts to an account form is sent to sign in; nothing changes and no
// token is issued.
func TestAccount_SignedOutPostsChangeNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	token := s.mustClientLogin(t, "acme_1", secret)
	before := s.mustClient(t, "acme_1")
	events := len(s.events(t))
	for _, r := range []struct {
		path string
		form url.Values
	}{
		{"/account/logout", nil},
		{"/account/profile", url.Values{"clientMeta.fullName": {"Changed"}, "clientMeta.email": {"x@example.com"}, "clientMeta.phone": {"+14155550199"}}},
		{"/account/api/token", nil},
		{"/account/api/sign-out-everywhere", nil},
		{"/account/secret", url.Values{"currentSecret": {secret}, "newSecret": {""}}},
	} {
		t.Run(r.path, func(t *testing.T) {
			b := s.browser(t)
			b.get("/account/login").wantStatus(http.StatusOK)
			p := b.post(r.path, r.form)
			p.wantAccountSignIn("/account")
			if strings.Contains(p.Body, "eyJ") {
				t.Error("the response holds a token")
			}
			b.htmx(http.MethodPost, r.path, "main", r.form).wantHTMXAccountSignIn()
		})
	}
	if after := s.mustClient(t, "acme_1"); *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := len(s.events(t)); n != events {
		t.Errorf("%d events, want %d", n, events)
	}
	if n := s.logCount("account API token issued"); n != 0 {
		t.Errorf("%d tokens issued", n)
	}
	if status, _ := s.secureClient(t, token); status != http.StatusOK {
		t.Errorf("API token: %d", status)
	}
	s.mustClientLogin(t, "acme_1", secret)
}

// An unknown address under /account is an HTML 404 that leads back to the
// account, a panel alone for htmx.
func TestAccount_NotFound(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	for _, path := range []string{"/account/nope", "/account/api/nope", "/account/profile/acme_2"} {
		p := b.get(path).wantError(http.StatusNotFound)
		if got := p.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", path, got)
		}
		back := p.testid("error-back")
		if href, _ := back.Attr("href"); href != "/account" {
			t.Errorf("%s: error-back links to %q, want /account", path, href)
		}
		if got := strings.TrimSpace(p.testid("error").Find("h1").Text()); got != "Page not found" {
			t.Errorf("%s: title = %q", path, got)
		}
		h := b.htmx(http.MethodGet, path, "main", nil).wantError(http.StatusNotFound)
		if strings.Contains(h.Body, "<html") {
			t.Errorf("%s: htmx got a whole page", path)
		}
	}
	b.get("/account").wantStatus(http.StatusOK)
	if strings.Contains(s.log.String(), "page failed") {
		t.Error("a 404 logged as a failure")
	}
}

// The account pages carry the page headers: no caching (they show secrets
// and tokens once), the page policy, no framing.
func TestAccount_PageHeaders(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	guest := s.browser(t)
	b := s.signInClient(t, "acme_1", secret)
	pages := map[string]*page{
		"login":          guest.get("/account/login"),
		"refused login":  guest.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {"wrong-secret-0123456789"}}),
		"overview":       b.get("/account"),
		"token":          b.post("/account/api/token", nil),
		"token fragment": b.htmx(http.MethodPost, "/account/api/token", "token-panel", nil),
		"secret":         b.changeSecret(url.Values{"currentSecret": {secret}}),
		"not found":      b.get("/account/nope"),
	}
	for name, p := range pages {
		if got := p.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", name, got)
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP = %q", name, csp)
		}
		if got := p.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", name, got)
		}
		if p.Doc.Find("script:not([src]), style, [style], [onclick]").Length() != 0 {
			t.Errorf("%s: inline script or style", name)
		}
	}
}

// A changed secret is shown on the page the change redirects to, once:
// reloading that page shows it no more and resubmits nothing (the old
// secret, posted again, would count as a failed attempt), and the secret
// never travels in a URL.
func TestAccount_SecretChangedReload(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	oldSecret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", oldSecret)
	b.get("/account/secret").wantStatus(http.StatusOK)
	post := b.post("/account/secret", url.Values{"currentSecret": {oldSecret}}).wantStatus(http.StatusSeeOther)
	if strings.Contains(post.location(), "secret=") || strings.Contains(post.Body, oldSecret) {
		t.Fatalf("the redirect carries a secret: %q", post.location())
	}
	shown := b.get("/account/secret/changed").wantStatus(http.StatusOK).secret()
	again := b.get("/account/secret/changed").wantStatus(http.StatusSeeOther)
	if again.location() != "/account/secret" {
		t.Errorf("a reload leads to %q, want /account/secret", again.location())
	}
	page := b.get("/account/secret").wantStatus(http.StatusOK)
	if strings.Contains(page.Body, shown) || page.Doc.Find("[data-secret]").Length() != 0 {
		t.Error("the secret is shown again")
	}
	if !strings.Contains(page.Body, "shown once") {
		t.Errorf("no word on why the secret is not shown:\n%s", page.Body)
	}
	if status, _ := s.clientLogin(t, "acme_1", shown); status != http.StatusOK {
		t.Errorf("the new secret does not sign in (%d)", status)
	}
	// The session goes on with its new token.
	b.get("/account").wantStatus(http.StatusOK)
}
