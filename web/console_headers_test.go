package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/mock"
	"switchboard/internal/switchboard"
	"switchboard/static"
)

// Every HTML response, pages, fragments and error pages alike, carries the
// page policy: scripts from this origin only, nothing inline, no framing,
// and no caching (pages show client data and, once, secrets).
func TestConsole_SecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	b := s.signedIn(t)
	created := b.createPage(newClientForm("acme_2", "grace@example.com"))
	guest := s.browser(t)
	guest.get("/console/login")

	pages := map[string]*page{
		"landing":        guest.get("/"),
		"api reference":  guest.get("/docs"),
		"login":          guest.get("/console/login"),
		"refused login":  guest.post("/console/login", url.Values{"username": {"x"}, "password": {"y"}}),
		"csrf refusal":   guest.post("/console/login", url.Values{"_csrf": {"bad"}}),
		"dashboard":      b.get("/console"),
		"clients":        b.get("/console/clients"),
		"results":        b.htmx(http.MethodGet, "/console/clients?search=a", "client-results", nil),
		"client":         b.get("/console/clients/acme_1"),
		"secret page":    created,
		"status panel":   b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Active"}}),
		"not found":      b.get("/console/clients/nobody"),
		"unknown page":   b.get("/console/nothing/here"),
		"new client 422": b.post("/console/clients", url.Values{}),
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			if got := p.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			csp := p.Header.Values("Content-Security-Policy")
			if len(csp) != 1 {
				t.Fatalf("%d CSP headers: %q", len(csp), csp)
			}
			directives := map[string]string{}
			for _, d := range strings.Split(csp[0], ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			for name, want := range map[string]string{
				"default-src": "'none'", "script-src": "'self'", "style-src": "'self'",
				"frame-ancestors": "'none'", "form-action": "'self'", "base-uri": "'none'",
			} {
				if got := directives[name]; got != want {
					t.Errorf("CSP %s = %q, want %q (policy %q)", name, got, want, csp[0])
				}
			}
			if strings.Contains(csp[0], "unsafe-inline") || strings.Contains(csp[0], "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp[0])
			}
			if got := p.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q", got)
			}
			if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := p.Header.Get("Referrer-Policy"); got != "same-origin" {
				t.Errorf("Referrer-Policy = %q, want same-origin", got)
			}
			// The policy holds: no inline script or style, no inline handlers.
			if p.Doc.Find("script:not([src]), style, [style], [onclick], [onload], [onerror], [onsubmit]").Length() != 0 {
				t.Error("the page has inline script or style the policy would block")
			}
		})
	}
}

// setCookie is the named cookie of the response, failing when absent.
func setCookie(t *testing.T, p *page, name string) *http.Cookie {
	t.Helper()
	c := p.cookie(name)
	if c == nil {
		t.Fatalf("no %s cookie set; Set-Cookie: %q", name, p.Header.Values("Set-Cookie"))
	}
	return c
}

// wantSessionCookieAttrs checks the console session cookie's attributes:
// HttpOnly, SameSite=Lax, sent to /console only, host-only, for the
// session's hour, and Secure exactly when the request came over HTTPS.
func wantSessionCookieAttrs(t *testing.T, what string, c *http.Cookie, secure bool) {
	t.Helper()
	if c.Value == "" {
		t.Errorf("%s: session cookie is empty", what)
	}
	if !c.HttpOnly {
		t.Errorf("%s: session cookie is not HttpOnly", what)
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("%s: SameSite = %v, want Lax", what, c.SameSite)
	}
	if c.Path != "/console" {
		t.Errorf("%s: Path = %q, want /console", what, c.Path)
	}
	if c.MaxAge != 3600 {
		t.Errorf("%s: MaxAge = %d, want the session's hour", what, c.MaxAge)
	}
	if c.Domain != "" {
		t.Errorf("%s: Domain = %q, want host-only", what, c.Domain)
	}
	if c.Secure != secure {
		t.Errorf("%s: Secure = %v, want %v", what, c.Secure, secure)
	}
}

// wantOnlySessionCookie checks that the response sets no cookie but the
// console session: the CSRF token lives inside it, not in a cookie of its
// own (the switchboard_csrf of Fiber's middleware).
func wantOnlySessionCookie(t *testing.T, what string, p *page) {
	t.Helper()
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name != "switchboard_console" {
			t.Errorf("%s: sets cookie %s, want only switchboard_console", what, c)
		}
	}
}

// A visitor gets the console session cookie with the sign-in page, signed
// out (it holds the CSRF token of the sign-in form), and a new one at
// sign-in and at sign-out; no other cookie. Over plain HTTP it is not
// Secure: the browser would never send it back.
func TestConsole_SessionCookie(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.browser(t)
	login := b.get("/console/login").wantStatus(http.StatusOK)
	guest := setCookie(t, login, "switchboard_console")
	wantSessionCookieAttrs(t, "sign-in page", guest, false)
	wantOnlySessionCookie(t, "sign-in page", login)
	s.wantSessionGrantsNothing(t, guest.Value)
	if again := b.get("/console/login"); again.cookie("switchboard_console") != nil {
		t.Error("the sign-in page loaded again rewrote an unchanged session cookie")
	}

	p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
		wantStatus(http.StatusSeeOther)
	c := setCookie(t, p, "switchboard_console")
	wantSessionCookieAttrs(t, "sign-in", c, false)
	wantOnlySessionCookie(t, "sign-in", p)
	if c.Value == guest.Value {
		t.Error("sign-in kept the signed-out session's cookie")
	}
	if d := b.get("/console").wantStatus(http.StatusOK); d.cookie("switchboard_console") != nil {
		t.Error("a page of a signed-in session rewrote an unchanged session cookie")
	}

	// The JSON API never sees the session: the cookie is not sent there
	// (Path), and a request that carries it anyway is not signed in.
	status, _ := s.jsonCall(t, http.MethodGet, "/admin/clients", "", nil)
	if status != http.StatusUnauthorized {
		t.Errorf("GET /admin/clients without a token = %d", status)
	}
	req := b.do(http.MethodGet, "/admin/clients", nil, nil)
	if req.Status != http.StatusUnauthorized {
		t.Errorf("GET /admin/clients with the session cookie = %d, want 401", req.Status)
	}

	out := b.post("/console/logout", nil).wantStatus(http.StatusSeeOther)
	signedOut := setCookie(t, out, "switchboard_console")
	wantSessionCookieAttrs(t, "sign-out", signedOut, false)
	wantOnlySessionCookie(t, "sign-out", out)
	s.wantSessionGrantsNothing(t, signedOut.Value)
}

// Fiber's c.Protocol() is "https" when the connection is TLS, or, when the
// peer is a trusted proxy, when X-Forwarded-Proto (or X-Forwarded-Protocol,
// X-Forwarded-Ssl: on, X-Url-Scheme) says so. app.Test cannot make a TLS
// connection, so HTTPS is simulated with X-Forwarded-Proto. Without
// TrustedProxies (EnableTrustedProxyCheck off) Fiber trusts every peer; with
// them, only the listed ones. app.Test's peer is 0.0.0.0.
func TestConsole_SecureCookiesOverHTTPS(t *testing.T) {
	t.Parallel()
	https := map[string]string{"X-Forwarded-Proto": "https"}
	// visit loads the sign-in page, signs in and signs out, over HTTPS as
	// far as the headers go, and returns the three responses.
	visit := func(t *testing.T, s *site) (login, signedIn, signedOut *page) {
		t.Helper()
		b := s.browser(t)
		login = b.do(http.MethodGet, "/console/login", nil, https).wantStatus(http.StatusOK)
		signedIn = b.do(http.MethodPost, "/console/login",
			url.Values{"username": {adminUsername}, "password": {adminPassword}, "_csrf": {b.csrf}}, https).
			wantStatus(http.StatusSeeOther)
		b.do(http.MethodGet, "/console", nil, https).wantStatus(http.StatusOK)
		signedOut = b.do(http.MethodPost, "/console/logout", url.Values{"_csrf": {b.csrf}}, https).
			wantStatus(http.StatusSeeOther)
		return login, signedIn, signedOut
	}
	wantAll := func(t *testing.T, s *site, secure bool) {
		t.Helper()
		login, in, out := visit(t, s)
		for what, p := range map[string]*page{"sign-in page": login, "sign-in": in, "sign-out": out} {
			wantSessionCookieAttrs(t, what, setCookie(t, p, "switchboard_console"), secure)
			wantOnlySessionCookie(t, what, p)
		}
	}

	t.Run("NoProxyCheck", func(t *testing.T) {
		t.Parallel()
		wantAll(t, newSite(t, nil), true)
	})
	t.Run("TrustedProxy", func(t *testing.T) {
		t.Parallel()
		wantAll(t, newSiteWith(t, nil, []string{"0.0.0.0"}), true)
	})
	t.Run("UntrustedPeerHeaderIgnored", func(t *testing.T) {
		t.Parallel()
		wantAll(t, newSiteWith(t, nil, []string{"10.0.0.1"}), false)
	})
	// No Referer check: over HTTPS as over HTTP, the session's token is
	// what lets an unsafe request through. A cross-site post without it (or
	// with another session's) is refused whatever its Referer and Origin;
	// the right token signs in with no Referer at all (one a browser or a
	// proxy stripped).
	t.Run("CrossSitePostNeedsToken", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		other := s.browser(t)
		other.do(http.MethodGet, "/console/login", nil, https).wantStatus(http.StatusOK)
		b := s.browser(t)
		b.do(http.MethodGet, "/console/login", nil, https).wantStatus(http.StatusOK)
		creds := func(token *string) url.Values {
			v := url.Values{"username": {adminUsername}, "password": {adminPassword}}
			if token != nil {
				v.Set("_csrf", *token)
			}
			return v
		}
		for _, referer := range []string{"", "https://evil.example/console/login", "http://example.com/console/login"} {
			for name, token := range map[string]*string{"NoToken": nil, "EmptyToken": ptr(""), "OtherSessionsToken": ptr(other.csrf)} {
				h := map[string]string{"X-Forwarded-Proto": "https"}
				if referer != "" {
					h["Referer"], h["Origin"] = referer, strings.TrimSuffix(referer, "/console/login")
				}
				p := b.do(http.MethodPost, "/console/login", creds(token), h)
				if p.Status != http.StatusForbidden {
					t.Errorf("Referer %q, %s: status %d, want 403", referer, name, p.Status)
					continue
				}
				p.wantError(http.StatusForbidden)
				if c := p.cookie("switchboard_console"); c != nil {
					s.wantSessionGrantsNothing(t, c.Value)
				}
			}
		}
		b.do(http.MethodGet, "/console", nil, https).wantSignInRedirect("/console")
		p := b.do(http.MethodPost, "/console/login", creds(&b.csrf), https).wantStatus(http.StatusSeeOther)
		if c := setCookie(t, p, "switchboard_console"); !c.Secure {
			t.Errorf("session cookie over HTTPS is not Secure: %s", c)
		}
		b.do(http.MethodGet, "/console", nil, https).wantStatus(http.StatusOK)
	})
}

func TestStatic(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.browser(t)
	for _, tt := range []struct{ name, contentType string }{
		{"css/app.css", "text/css; charset=utf-8"},
		{"js/htmx.min.js", "text/javascript; charset=utf-8"},
		{"js/app.js", "text/javascript; charset=utf-8"},
		{"favicon.svg", "image/svg+xml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get(static.Path(tt.name)).wantStatus(http.StatusOK)
			if got := p.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := p.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			want, _, _ := static.Lookup(static.Path(tt.name))
			if p.Body != string(want) || len(want) == 0 {
				t.Errorf("body: %d bytes, want the embedded %d", len(p.Body), len(want))
			}
			if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
		})
	}
	// Every page links to the fingerprinted files, and they are served.
	landing := b.get("/").wantStatus(http.StatusOK)
	links := landing.Doc.Find(`script[src], link[href^="/static/"]`)
	if links.Length() != 4 {
		t.Errorf("%d static links on the landing page, want 4", links.Length())
	}
	links.Each(func(_ int, sel *goquery.Selection) {
		u := sel.AttrOr("src", sel.AttrOr("href", ""))
		if b.get(u).Status != http.StatusOK {
			t.Errorf("%s not served", u)
		}
	})

	css := static.Path("css/app.css")
	hash := css[len("/static/css/app.") : len(css)-len(".css")]
	for _, path := range []string{
		"/static/css/app.0000000000.css",
		"/static/css/app.css",
		"/static/css/input.css",
		"/static/css/app." + hash + ".js",
		"/static/js/app." + hash + ".css",
		"/static/static.go",
		"/static/",
	} {
		p := b.get(path)
		if p.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, p.Status)
		}
		if strings.Contains(p.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: a 404 cached for a year", path)
		}
	}
}

// Browsers ask for /favicon.ico on their own (on a JSON answer, a page
// opened from a bookmark): it answers the icon the pages link to.
func TestFavicon(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	p := s.browser(t).get("/favicon.ico").wantStatus(http.StatusOK)
	want, _, _ := static.Lookup(static.Path("favicon.svg"))
	if p.Body != string(want) || len(want) == 0 {
		t.Errorf("body: %d bytes, want the icon's %d", len(p.Body), len(want))
	}
	if got := p.Header.Get("Content-Type"); got != "image/svg+xml" {
		t.Errorf("Content-Type = %q", got)
	}
	// Its address is not fingerprinted, so a new icon must reach browsers.
	if got := p.Header.Get("Cache-Control"); got != "public, max-age=86400" {
		t.Errorf("Cache-Control = %q", got)
	}
}

// A panic in a console handler is recovered inside the console, so the
// browser gets the console's 500 page (htmx, the error panel), not the JSON
// API's error, and the panic's value is logged, never shown.
func TestConsole_PanicRendersErrorPage(t *testing.T) {
	t.Parallel()
	clients := &mock.ClientService{
		FindClientByIDFn: func(context.Context, string) (*switchboard.Client, error) { panic("boom: secret detail") },
	}
	s := newSite(t, clients)
	b := s.browser(t)
	b.signIn()
	p := b.get("/console/clients/acme_1")
	if p.Status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", p.Status)
	}
	if got := p.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type = %q, want the HTML error page; body %q", got, p.Body)
	}
	p.wantError(http.StatusInternalServerError)
	if !strings.Contains(p.Body, "<html") {
		t.Error("a page load got the error panel alone, want the whole page")
	}
	if got := p.Header.Get("Content-Security-Policy"); got == "" || p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the 500 page lacks the page headers: CSP %q, Cache-Control %q", got, p.Header.Get("Cache-Control"))
	}
	if strings.Contains(p.Body, "boom") || strings.Contains(p.Body, "secret detail") {
		t.Errorf("the page shows the panic: %s", p.Body)
	}
	if !strings.Contains(s.log.String(), "boom: secret detail") {
		t.Errorf("the panic is not logged; log:\n%s", s.log.String())
	}

	h := b.htmx(http.MethodGet, "/console/clients/acme_1", "main", nil)
	h.wantError(http.StatusInternalServerError)
	if got := h.Header.Get("HX-Retarget"); got != "#main" {
		t.Errorf("htmx: HX-Retarget = %q, want #main", got)
	}
	if strings.Contains(h.Body, "<html") {
		t.Error("htmx got a whole page, want the error panel alone")
	}

	// The server lives on.
	b.get("/console/clients/new").wantStatus(http.StatusOK)
}
