package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// csrfRoute is an unsafe console route, a form that would change something
// if it got through, and a check that it did.
type csrfRoute struct {
	name     string
	path     string
	form     func() url.Values
	signedIn bool // whether the victim is signed in when it posts
	done     func(t *testing.T, s *site, victim *browser, secret string)
}

func csrfRoutes() []csrfRoute {
	empty := func() url.Values { return url.Values{} }
	return []csrfRoute{
		{"Login", "/console/login", func() url.Values {
			return url.Values{"username": {adminUsername}, "password": {adminPassword}}
		}, false, func(t *testing.T, s *site, victim *browser, _ string) {
			victim.get("/console").wantStatus(http.StatusOK)
		}},
		{"Logout", "/console/logout", empty, true, func(t *testing.T, s *site, victim *browser, _ string) {
			victim.get("/console").wantSignInRedirect("/console")
		}},
		{"Create", "/console/clients", func() url.Values { return newClientForm("acme_2", "grace@example.com") }, true,
			func(t *testing.T, s *site, _ *browser, _ string) { s.mustClient(t, "acme_2") }},
		{"Edit", "/console/clients/acme_1", func() url.Values {
			f := newClientForm("", "ada@example.com")
			f.Set("clientMeta.fullName", "Changed By Attacker")
			return f
		}, true, func(t *testing.T, s *site, _ *browser, _ string) {
			if got := s.mustClient(t, "acme_1").Meta.FullName; got != "Changed By Attacker" {
				t.Errorf("control: full name %q", got)
			}
		}},
		{"Status", "/console/clients/acme_1/status", func() url.Values { return url.Values{"status": {"Suspended"}} }, true,
			func(t *testing.T, s *site, _ *browser, _ string) {
				if got := s.mustClient(t, "acme_1").Status; got != "Suspended" {
					t.Errorf("control: status %q", got)
				}
			}},
		{"ResetSecret", "/console/clients/acme_1/reset-secret", empty, true,
			func(t *testing.T, s *site, _ *browser, secret string) {
				if status, _ := s.clientLogin(t, "acme_1", secret); status != http.StatusUnauthorized {
					t.Errorf("control: old secret still signs in (%d)", status)
				}
			}},
		{"Delete", "/console/clients/acme_1/delete", empty, true,
			func(t *testing.T, s *site, _ *browser, _ string) {
				if s.client(t, "acme_1") != nil {
					t.Error("control: acme_1 not deleted")
				}
			}},
	}
}

// csrfAttack is how a request gets its token wrong.
type csrfAttack struct {
	name   string
	field  *string // the _csrf form field; nil: none
	header string  // X-CSRF-Token; "": none
	htmx   bool
}

// Every unsafe console route refuses a request without a valid CSRF token
// with a 403 error page, and nothing changes: no client created, edited,
// suspended, reset or deleted, nobody signed in or out.
func TestConsole_CSRFRefused(t *testing.T) {
	t.Parallel()
	for _, r := range csrfRoutes() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
			clientBefore := s.mustClient(t, "acme_1")
			eventsBefore := len(s.events(t))

			// The attacker has a session and a token of its own; the victim
			// had a token before it signed in, and another one after.
			attacker := s.signedIn(t)
			victim := s.browser(t)
			victim.get("/console/login").wantStatus(http.StatusOK)
			stale := victim.csrf
			if r.signedIn {
				victim.signIn()
				victim.get("/console/clients").wantStatus(http.StatusOK)
				if victim.csrf == stale || victim.csrf == "" {
					t.Fatalf("the CSRF token did not change at sign-in: %q", victim.csrf)
				}
			}

			attacks := []csrfAttack{
				{"NoToken", nil, "", false},
				{"EmptyField", ptr(""), "", false},
				{"WrongField", ptr("0f4a1d2e-0000-4000-8000-000000000000"), "", false},
				{"WrongHeader", nil, "0f4a1d2e-0000-4000-8000-000000000000", false},
				{"WrongHeaderHTMX", nil, "not-a-token", true},
				{"OtherBrowsersTokenField", ptr(attacker.csrf), "", false},
				{"OtherBrowsersTokenHeader", nil, attacker.csrf, false},
				{"OtherBrowsersTokenHTMX", nil, attacker.csrf, true},
			}
			if r.signedIn {
				attacks = append(attacks, csrfAttack{"TokenFromBeforeSignIn", ptr(stale), "", false})
			}
			for _, a := range attacks {
				form := r.form()
				if a.field != nil {
					form.Set("_csrf", *a.field)
				}
				header := map[string]string{}
				if a.header != "" {
					header["X-CSRF-Token"] = a.header
				}
				if a.htmx {
					header["HX-Request"] = "true"
					header["HX-Target"] = "main"
				}
				p := victim.do(http.MethodPost, r.path, form, header)
				if p.Status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403; body:\n%s", a.name, p.Status, p.Body)
					continue
				}
				p.wantError(http.StatusForbidden)
				if got := p.testid("error").Find("h1").Text(); got != "This form has expired" {
					t.Errorf("%s: error title = %q", a.name, got)
				}
				if a.htmx {
					if got := p.Header.Get("HX-Retarget"); got != "#main" {
						t.Errorf("%s: HX-Retarget = %q, want #main", a.name, got)
					}
					if strings.Contains(p.Body, "<html") {
						t.Errorf("%s: htmx got a whole page, want the error panel alone", a.name)
					}
				}
				if c := p.cookie("switchboard_console"); c != nil && !r.signedIn {
					s.wantSessionGrantsNothing(t, c.Value) // a refused sign-in signs nobody in
				}
			}

			// Nothing changed.
			if after := s.client(t, "acme_1"); after == nil {
				t.Fatal("acme_1 was deleted")
			} else if *after != *clientBefore {
				t.Errorf("acme_1 changed:\n got %+v\nwant %+v", after, clientBefore)
			}
			if n := s.clientCount(t); n != 1 {
				t.Errorf("%d clients stored, want 1", n)
			}
			if n := len(s.events(t)); n != eventsBefore {
				t.Errorf("%d events, want %d", n, eventsBefore)
			}
			s.mustClientLogin(t, "acme_1", secret)
			if r.signedIn {
				victim.get("/console").wantStatus(http.StatusOK) // still signed in
			} else {
				victim.get("/console").wantSignInRedirect("/console") // still signed out
			}
			attacker.get("/console").wantStatus(http.StatusOK)

			// Control: with its own token, the same post goes through.
			p := victim.post(r.path, r.form())
			if p.Status == http.StatusForbidden {
				t.Fatalf("control: refused with the right token:\n%s", p.Body)
			}
			r.done(t, s, victim, secret)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The token works as the _csrf form field (forms without JavaScript) and as
// the X-CSRF-Token header (htmx, from hx-headers), each on its own.
func TestConsole_CSRFTokenFieldOrHeader(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	b := s.signedIn(t)
	token := b.csrf
	if token == "" {
		t.Fatal("no CSRF token on the page")
	}
	page := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	hx, _ := page.Doc.Find("body").Attr("hx-headers")
	if want := `{"X-CSRF-Token":"` + b.csrf + `"}`; hx != want {
		t.Errorf("body hx-headers = %q, want %q", hx, want)
	}
	// Header only, plain form post.
	b.do(http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Suspended"}},
		map[string]string{"X-CSRF-Token": b.csrf}).wantStatus(http.StatusSeeOther)
	if got := s.mustClient(t, "acme_1").Status; got != "Suspended" {
		t.Errorf("after header-only post: status %s, want Suspended", got)
	}
	// Form field only.
	b.do(http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Inactive"}, "_csrf": {b.csrf}}, nil).
		wantStatus(http.StatusSeeOther)
	if got := s.mustClient(t, "acme_1").Status; got != "Inactive" {
		t.Errorf("after field-only post: status %s, want Inactive", got)
	}
	// htmx, header only.
	b.htmx(http.MethodPost, "/console/clients/acme_1/status", "status-panel", url.Values{"status": {"Active"}}).
		wantStatus(http.StatusOK)
	if got := s.mustClient(t, "acme_1").Status; got != "Active" {
		t.Errorf("after htmx post: status %s, want Active", got)
	}
}

// Every form a console page posts carries the token.
func TestConsole_FormsCarryCSRFToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	b := s.signedIn(t)
	for _, path := range []string{
		"/console", "/console/clients", "/console/clients/new", "/console/clients/acme_1",
		"/console/clients/acme_1/reset-secret", "/console/clients/acme_1/delete",
	} {
		p := b.get(path).wantStatus(http.StatusOK)
		forms := p.Doc.Find(`form[method="post"]`)
		if forms.Length() == 0 {
			t.Errorf("%s: no post form", path)
		}
		forms.Each(func(_ int, f *goquery.Selection) {
			action, _ := f.Attr("action")
			if v, _ := f.Find(`input[name="_csrf"]`).Attr("value"); v != b.csrf {
				t.Errorf("%s: form %s carries _csrf %q, want %q", path, action, v, b.csrf)
			}
		})
	}
	login := s.browser(t).get("/console/login").wantStatus(http.StatusOK)
	if v, _ := login.Doc.Find(`form[action="/console/login"] input[name="_csrf"]`).Attr("value"); v == "" {
		t.Error("the sign-in form carries no _csrf")
	}
}

// The CSRF token is bound to the console session it was minted for (it
// lives inside the encrypted session cookie), so a token is worth nothing
// with another browser's session, and a cookie planted in the victim's
// browser (a sibling subdomain can set one for the host, and so can anyone
// on the path of a plain-HTTP request) buys the attacker nothing: the only
// session cookie it can plant is one of its own, which makes the victim's
// browser the attacker's signed-out session. The token changes at sign-in
// and at sign-out.
func TestConsole_CSRFTokenBoundToSession(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	clientBefore := s.mustClient(t, "acme_1")
	eventsBefore := len(s.events(t))
	victim := s.signedIn(t)
	victim.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	if victim.csrf == "" || victim.sessionCookie() == "" {
		t.Fatalf("victim: token %q, session cookie %q", victim.csrf, victim.sessionCookie())
	}

	// The attacker loads the sign-in page in its own browser and takes its
	// session cookie and the page's token.
	attacker := s.browser(t)
	attacker.get("/console/login").wantStatus(http.StatusOK)
	planted, token := attacker.sessionCookie(), attacker.csrf
	if planted == "" || token == "" {
		t.Fatalf("attacker: session cookie %q, token %q", planted, token)
	}
	if strings.Contains(planted, token) {
		t.Errorf("the session cookie shows its CSRF token in the clear: %q", planted)
	}
	if token == victim.csrf {
		t.Fatal("two sessions share a CSRF token")
	}

	// The unsafe requests a forged page would send, and a check that the
	// request was not signed in.
	routes := []struct {
		path string
		form func() url.Values
	}{
		{"/console/clients/acme_1/status", func() url.Values { return url.Values{"status": {"Suspended"}} }},
		{"/console/clients/acme_1", func() url.Values {
			f := newClientForm("", "ada@example.com")
			f.Set("clientMeta.fullName", "Changed By Attacker")
			return f
		}},
		{"/console/clients", func() url.Values { return newClientForm("acme_2", "grace@example.com") }},
		{"/console/clients/acme_1/reset-secret", func() url.Values { return url.Values{} }},
		{"/console/clients/acme_1/delete", func() url.Values { return url.Values{} }},
		{"/console/logout", func() url.Values { return url.Values{} }},
	}
	// notSignedIn fails unless p refused the request (403) or sent a
	// signed-out browser to sign in.
	notSignedIn := func(t *testing.T, what string, p *page, htmx bool) {
		t.Helper()
		switch {
		case p.Status == http.StatusForbidden:
			p.wantError(http.StatusForbidden)
		case htmx && p.Status == http.StatusNoContent && strings.HasPrefix(p.Header.Get("HX-Redirect"), "/console/login?"):
		case !htmx && p.Status == http.StatusSeeOther && strings.HasPrefix(p.location(), "/console/login?"):
		default:
			t.Errorf("%s: status %d (Location %q, HX-Redirect %q), want 403 or the sign-in page; body:\n%s",
				what, p.Status, p.location(), p.Header.Get("HX-Redirect"), p.Body)
		}
	}
	// forge posts every route from b with token as the _csrf field, as the
	// X-CSRF-Token header, and as htmx sends it.
	forge := func(t *testing.T, b *browser, token string, want func(t *testing.T, what string, p *page, htmx bool)) {
		t.Helper()
		for _, r := range routes {
			field := r.form()
			field.Set("_csrf", token)
			want(t, r.path+" field", b.do(http.MethodPost, r.path, field, nil), false)
			want(t, r.path+" header", b.do(http.MethodPost, r.path, r.form(), map[string]string{"X-CSRF-Token": token}), false)
			want(t, r.path+" htmx", b.do(http.MethodPost, r.path, r.form(),
				map[string]string{"X-CSRF-Token": token, "HX-Request": "true", "HX-Target": "main"}), true)
		}
	}
	refused := func(t *testing.T, what string, p *page, _ bool) {
		t.Helper()
		if p.Status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403 for a token of another session; body:\n%s", what, p.Status, p.Body)
			return
		}
		p.wantError(http.StatusForbidden)
	}

	t.Run("PlantedSession", func(t *testing.T) {
		// The victim's browser, with the attacker's session cookie tossed
		// in, posts the attacker's token: it is the attacker's signed-out
		// session now, not the victim's.
		forged := victim.clone(t)
		forged.cookies["switchboard_console"] = planted
		forge(t, forged, token, notSignedIn)
		forged.get("/console").wantSignInRedirect("/console")
	})
	t.Run("OtherSessionsToken", func(t *testing.T) {
		// The victim's own session with the attacker's token.
		forge(t, victim.clone(t), token, refused)
	})
	t.Run("TokenWithoutItsSession", func(t *testing.T) {
		// The victim's token, with the attacker's session or with none.
		withAttackers := attacker.clone(t)
		forge(t, withAttackers, victim.csrf, refused)
		withAttackers.post("/console/login", url.Values{
			"username": {adminUsername}, "password": {adminPassword}, "_csrf": {victim.csrf},
		}).wantError(http.StatusForbidden)
		withAttackers.get("/console").wantSignInRedirect("/console")
		forge(t, s.browser(t), victim.csrf, refused)
	})

	// Nothing changed, and the victim is still signed in with its token.
	if after := s.client(t, "acme_1"); after == nil {
		t.Fatal("acme_1 was deleted")
	} else if *after != *clientBefore {
		t.Errorf("acme_1 changed:\n got %+v\nwant %+v", after, clientBefore)
	}
	if n := s.clientCount(t); n != 1 {
		t.Errorf("%d clients stored, want 1", n)
	}
	if n := len(s.events(t)); n != eventsBefore {
		t.Errorf("%d events, want %d", n, eventsBefore)
	}
	s.mustClientLogin(t, "acme_1", secret)
	victim.get("/console").wantStatus(http.StatusOK)
	victim.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantStatus(http.StatusSeeOther)
	if got := s.mustClient(t, "acme_1").Status; got != "Suspended" {
		t.Errorf("control: the victim's own token did not suspend acme_1 (status %s)", got)
	}
}

// The token changes at sign-in and at sign-out, and stays the same from
// page to page in between: a token captured before sign-in is refused
// after it, and one captured while signed in is refused after sign-out.
func TestConsole_CSRFTokenRenewedAtSignInAndOut(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	b := s.browser(t)
	b.get("/console/login").wantStatus(http.StatusOK)
	beforeSignIn, signedOutSession := b.csrf, b.sessionCookie()
	if beforeSignIn == "" || signedOutSession == "" {
		t.Fatalf("sign-in page: token %q, session cookie %q", beforeSignIn, signedOutSession)
	}
	if b.get("/console/login").wantStatus(http.StatusOK); b.csrf != beforeSignIn {
		t.Errorf("the token changed between two loads of the sign-in page")
	}

	b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
		wantStatus(http.StatusSeeOther)
	b.get("/console").wantStatus(http.StatusOK)
	signedIn := b.csrf
	if signedIn == "" || signedIn == beforeSignIn {
		t.Fatalf("token after sign-in = %q, want a new one (before: %q)", signedIn, beforeSignIn)
	}
	if b.get("/console/clients/acme_1").wantStatus(http.StatusOK); b.csrf != signedIn {
		t.Errorf("the token changed from page to page while signed in")
	}

	// The token from before sign-in: refused, with any header or field.
	for name, p := range map[string]*page{
		"field":  b.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}, "_csrf": {beforeSignIn}}),
		"header": b.do(http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}, map[string]string{"X-CSRF-Token": beforeSignIn}),
		"logout": b.post("/console/logout", url.Values{"_csrf": {beforeSignIn}}),
	} {
		if p.Status != http.StatusForbidden {
			t.Errorf("%s: token from before sign-in: status %d, want 403", name, p.Status)
		}
	}
	if got := s.mustClient(t, "acme_1").Status; got != "Active" {
		t.Errorf("a token from before sign-in suspended acme_1 (status %s)", got)
	}
	b.get("/console").wantStatus(http.StatusOK) // still signed in
	// The signed-out session's cookie and token, kept from before: still a
	// signed-out session, which the sign-in did not turn into a signed-in one.
	kept := s.browser(t)
	kept.cookies["switchboard_console"], kept.csrf = signedOutSession, beforeSignIn
	kept.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantSignInRedirect("/console")
	kept.get("/console").wantSignInRedirect("/console")

	// Sign-out gives a new token again.
	signedInSession := b.sessionCookie()
	b.post("/console/logout", nil).wantStatus(http.StatusSeeOther)
	b.get("/console/login").wantStatus(http.StatusOK)
	afterSignOut := b.csrf
	if afterSignOut == "" || afterSignOut == signedIn || afterSignOut == beforeSignIn {
		t.Fatalf("token after sign-out = %q, want a new one (signed in: %q, before: %q)", afterSignOut, signedIn, beforeSignIn)
	}
	p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}, "_csrf": {signedIn}})
	if p.Status != http.StatusForbidden {
		t.Errorf("sign-in with the token from before sign-out: status %d, want 403", p.Status)
	}
	b.get("/console").wantSignInRedirect("/console")
	// A copy of the signed-in session, with its own token, is signed out
	// too (its admin token is revoked): it changes nothing.
	stolen := s.browser(t)
	stolen.cookies["switchboard_console"], stolen.csrf = signedInSession, signedIn
	stolen.post("/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}).wantSignInRedirect("/console")
	if got := s.mustClient(t, "acme_1").Status; got != "Active" {
		t.Errorf("acme_1 status %s, want Active", got)
	}
	// Control: the new token signs in.
	b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
		wantStatus(http.StatusSeeOther)
	b.get("/console").wantStatus(http.StatusOK)
}
