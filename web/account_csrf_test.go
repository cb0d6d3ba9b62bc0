package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// accountCSRFRoute is an unsafe account route, a form that would change
// something if it got through, and a check that it did.
type accountCSRFRoute struct {
	name     string
	path     string
	form     func(secret string) url.Values
	signedIn bool // whether the victim is signed in to the account pages when it posts
	// done checks, after the victim's own post went through, that it did
	// what it does; p is the response, apiToken a token from before.
	done func(t *testing.T, s *site, victim *browser, p *page, secret, apiToken string)
}

func accountCSRFRoutes() []accountCSRFRoute {
	empty := func(string) url.Values { return url.Values{} }
	return []accountCSRFRoute{
		{"Login", "/account/login", func(secret string) url.Values {
			return url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}
		}, false, func(t *testing.T, _ *site, victim *browser, p *page, _, _ string) {
			p.wantStatus(http.StatusSeeOther)
			victim.get("/account").wantStatus(http.StatusOK)
		}},
		{"Logout", "/account/logout", empty, true, func(t *testing.T, _ *site, victim *browser, p *page, _, _ string) {
			p.wantStatus(http.StatusSeeOther)
			victim.get("/account").wantAccountSignIn("/account")
		}},
		{"Profile", "/account/profile", func(string) url.Values {
			f := adaProfile()
			f.Set("clientMeta.fullName", "Changed By Attacker")
			f.Set("clientMeta.email", "attacker@example.com")
			return f
		}, true, func(t *testing.T, s *site, _ *browser, p *page, _, _ string) {
			p.wantStatus(http.StatusSeeOther)
			if got := s.mustClient(t, "acme_1").Meta; got.FullName != "Changed By Attacker" || got.Email != "attacker@example.com" {
				t.Errorf("control: profile %+v", got)
			}
		}},
		{"IssueToken", "/account/api/token", empty, true, func(t *testing.T, s *site, _ *browser, p *page, _, _ string) {
			p.wantStatus(http.StatusOK)
			if status, _ := s.secureClient(t, p.secret()); status != http.StatusOK {
				t.Errorf("control: the issued token: %d", status)
			}
		}},
		{"SignOutEverywhere", "/account/api/sign-out-everywhere", empty, true,
			func(t *testing.T, s *site, _ *browser, p *page, _, apiToken string) {
				p.wantStatus(http.StatusSeeOther)
				if status, _ := s.secureClient(t, apiToken); status != http.StatusUnauthorized {
					t.Errorf("control: the API token still works (%d)", status)
				}
			}},
		{"ChangeSecret", "/account/secret", func(secret string) url.Values {
			return url.Values{"currentSecret": {secret}, "newSecret": {"chosen by the attacker!"}}
		}, true, func(t *testing.T, s *site, _ *browser, p *page, secret, _ string) {
			p.wantStatus(http.StatusSeeOther)
			if status, _ := s.clientLogin(t, "acme_1", secret); status != http.StatusUnauthorized {
				t.Errorf("control: the old secret still signs in (%d)", status)
			}
		}},
	}
}

// Every unsafe account route refuses a request without the session's own
// CSRF token, with a 403 error page that leads back to the account: no
// token, a wrong one, another session's (signed in or not), the token of
// the same browser's console session, the token from before sign-in.
// Nothing changes: no profile saved, no token issued or ended, no secret
// changed, nobody signed in or out.
func TestAccount_CSRFRefused(t *testing.T) {
	t.Parallel()
	for _, r := range accountCSRFRoutes() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			secret := seedAdaAccount(t, s)
			graceSecret := s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", "Active")
			apiToken := s.mustClientLogin(t, "acme_1", secret)
			clientBefore := s.mustClient(t, "acme_1")
			eventsBefore := len(s.events(t))

			// The attacker has a signed-in account session of its own and
			// a signed-out one.
			attacker := s.signInClient(t, "acme_2", graceSecret)
			guest := s.browser(t)
			guest.get("/account/login").wantStatus(http.StatusOK)
			// The victim is signed in to the console, and (for every route
			// but the sign-in) to the account pages.
			victim := s.signedIn(t)
			consoleToken := victim.csrf
			victim.get("/account/login").wantStatus(http.StatusOK)
			stale := victim.csrf
			if r.signedIn {
				victim.signInAccount("acme_1", secret)
				if victim.csrf == stale || victim.csrf == "" {
					t.Fatalf("the CSRF token did not change at sign-in: %q", victim.csrf)
				}
			}
			own := victim.csrf
			for name, tok := range map[string]string{"console": consoleToken, "attacker": attacker.csrf, "guest": guest.csrf} {
				if tok == "" || tok == own {
					t.Fatalf("%s token %q: want one of its own", name, tok)
				}
			}

			attacks := []csrfAttack{
				{"NoToken", nil, "", false},
				{"EmptyField", ptr(""), "", false},
				{"WrongField", ptr("0f4a1d2e-0000-4000-8000-000000000000"), "", false},
				{"WrongHeader", nil, "0f4a1d2e-0000-4000-8000-000000000000", false},
				{"WrongHeaderHTMX", nil, "not-a-token", true},
				{"OtherSessionsTokenField", ptr(attacker.csrf), "", false},
				{"OtherSessionsTokenHeader", nil, attacker.csrf, false},
				{"OtherSessionsTokenHTMX", nil, attacker.csrf, true},
				{"SignedOutSessionsTokenField", ptr(guest.csrf), "", false},
				{"ConsoleTokenField", ptr(consoleToken), "", false},
				{"ConsoleTokenHeader", nil, consoleToken, false},
				{"ConsoleTokenHTMX", nil, consoleToken, true},
			}
			if r.signedIn {
				attacks = append(attacks, csrfAttack{"TokenFromBeforeSignIn", ptr(stale), "", false})
			}
			issuedBefore := s.logCount("account API token issued")
			for _, a := range attacks {
				form := r.form(secret)
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
				if href, _ := p.testid("error-back").Attr("href"); href != "/account" {
					t.Errorf("%s: error-back links to %q, want /account", a.name, href)
				}
				if p.Doc.Find("[data-secret]").Length() != 0 || strings.Contains(p.Body, "eyJ") {
					t.Errorf("%s: the refusal shows a token or secret", a.name)
				}
				if a.htmx {
					if got := p.Header.Get("HX-Retarget"); got != "#main" {
						t.Errorf("%s: HX-Retarget = %q, want #main", a.name, got)
					}
					if strings.Contains(p.Body, "<html") {
						t.Errorf("%s: htmx got a whole page, want the error panel alone", a.name)
					}
				}
				if c := p.cookie(accountCookieName); c != nil && !r.signedIn {
					s.wantAccountSessionGrantsNothing(t, c.Value) // a refused sign-in signs nobody in
				}
			}
			victim.csrf = own

			// Nothing changed.
			if after := s.mustClient(t, "acme_1"); *after != *clientBefore {
				t.Errorf("acme_1 changed:\n got %+v\nwant %+v", after, clientBefore)
			}
			if n := len(s.events(t)); n != eventsBefore {
				t.Errorf("%d events, want %d", n, eventsBefore)
			}
			if n := s.logCount("account API token issued"); n != issuedBefore {
				t.Errorf("%d tokens issued by refused posts", n-issuedBefore)
			}
			if status, _ := s.secureClient(t, apiToken); status != http.StatusOK {
				t.Errorf("the API token was ended: %d", status)
			}
			s.mustClientLogin(t, "acme_1", secret)
			if r.signedIn {
				victim.get("/account").wantStatus(http.StatusOK) // still signed in
			} else {
				victim.get("/account").wantAccountSignIn("/account") // still signed out
			}
			victim.get("/console").wantStatus(http.StatusOK)
			attacker.get("/account").wantStatus(http.StatusOK)
			if r.signedIn {
				victim.get("/account/api").wantStatus(http.StatusOK) // for its own token again
			} else {
				victim.get("/account/login").wantStatus(http.StatusOK)
			}
			if victim.csrf != own {
				t.Fatalf("the victim's token changed: refused posts touched its session")
			}

			// Control: with its own token, the same post goes through.
			p := victim.post(r.path, r.form(secret))
			if p.Status == http.StatusForbidden {
				t.Fatalf("control: refused with the right token:\n%s", p.Body)
			}
			r.done(t, s, victim, p, secret, apiToken)
			s.wantLogHoldsNone(t, secret, graceSecret, apiToken, "chosen by the attacker!")
		})
	}
}

// The token changes at sign-in and at sign-out (and at "sign out
// everywhere"), and stays the same from page to page in between: a token
// from before sign-in is refused after it, and one from a signed-in
// session is refused after sign-out.
func TestAccount_CSRFTokenRenewedAtSignInAndOut(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.browser(t)
	b.get("/account/login").wantStatus(http.StatusOK)
	beforeSignIn, signedOutSession := b.csrf, b.accountCookie()
	if beforeSignIn == "" || signedOutSession == "" {
		t.Fatalf("sign-in page: token %q, session cookie %q", beforeSignIn, signedOutSession)
	}
	if b.get("/account/login").wantStatus(http.StatusOK); b.csrf != beforeSignIn {
		t.Error("the token changed between two loads of the sign-in page")
	}

	b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	b.get("/account").wantStatus(http.StatusOK)
	signedIn := b.csrf
	if signedIn == "" || signedIn == beforeSignIn {
		t.Fatalf("token after sign-in = %q, want a new one (before: %q)", signedIn, beforeSignIn)
	}
	for _, path := range []string{"/account/profile", "/account/api", "/account/secret"} {
		if b.get(path).wantStatus(http.StatusOK); b.csrf != signedIn {
			t.Errorf("%s: the token changed from page to page while signed in", path)
		}
	}

	// The token from before sign-in: refused, as field or header.
	f := adaProfile()
	f.Set("clientMeta.city", "Paris")
	f.Set("_csrf", beforeSignIn)
	for name, p := range map[string]*page{
		"field":  b.post("/account/profile", f),
		"header": b.do(http.MethodPost, "/account/api/token", url.Values{}, map[string]string{"X-CSRF-Token": beforeSignIn}),
		"logout": b.post("/account/logout", url.Values{"_csrf": {beforeSignIn}}),
	} {
		if p.Status != http.StatusForbidden {
			t.Errorf("%s: token from before sign-in: status %d, want 403", name, p.Status)
		}
	}
	if got := s.mustClient(t, "acme_1").Meta.City; got != "" {
		t.Errorf("a token from before sign-in saved the profile (city %q)", got)
	}
	b.get("/account").wantStatus(http.StatusOK) // still signed in
	// The signed-out session's cookie and token, kept from before: still
	// signed out, the sign-in did not turn it into a signed-in one.
	kept := s.browser(t)
	kept.cookies[accountCookieName], kept.csrf = signedOutSession, beforeSignIn
	kept.post("/account/api/token", nil).wantAccountSignIn("/account")
	kept.get("/account").wantAccountSignIn("/account")

	// Sign-out gives a new token again.
	signedInSession := b.accountCookie()
	b.post("/account/logout", nil).wantStatus(http.StatusSeeOther)
	b.get("/account/login").wantStatus(http.StatusOK)
	afterSignOut := b.csrf
	if afterSignOut == "" || afterSignOut == signedIn || afterSignOut == beforeSignIn {
		t.Fatalf("token after sign-out = %q, want a new one", afterSignOut)
	}
	p := b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}, "_csrf": {signedIn}})
	if p.Status != http.StatusForbidden {
		t.Errorf("sign-in with the token from before sign-out: status %d, want 403", p.Status)
	}
	b.get("/account").wantAccountSignIn("/account")
	// A copy of the signed-in session, with its token, is signed out too.
	stolen := s.browser(t)
	stolen.cookies[accountCookieName], stolen.csrf = signedInSession, signedIn
	stolen.post("/account/api/token", nil).wantAccountSignIn("/account")

	// Sign out everywhere starts a signed-out session with a new token too.
	b.signInAccount("acme_1", secret)
	again := b.csrf
	if again == signedIn || again == afterSignOut {
		t.Errorf("token of the second sign-in = %q, want a new one", again)
	}
	b.get("/account/api")
	b.post("/account/api/sign-out-everywhere", nil).wantStatus(http.StatusSeeOther)
	b.get("/account/login").wantStatus(http.StatusOK)
	if b.csrf == again || b.csrf == "" {
		t.Errorf("token after sign-out everywhere = %q, want a new one", b.csrf)
	}
	// Control: the new token signs in.
	b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	b.get("/account").wantStatus(http.StatusOK)
	if n := s.logCount("account API token issued"); n != 0 {
		t.Errorf("%d tokens issued by refused posts", n)
	}
}

// After a secret change the browser goes on: the forms of the page it is
// on post with a token the server takes.
func TestAccount_CSRFAfterSecretChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	b.get("/account/secret")
	changed := b.changeSecret(url.Values{"currentSecret": {secret}})
	if v, _ := changed.Doc.Find(`form[action="/account/logout"] input[name="_csrf"]`).Attr("value"); v == "" {
		t.Fatal("the secret-changed page's sign-out form carries no token")
	}
	f := adaProfile()
	f.Set("clientMeta.city", "Paris")
	b.post("/account/profile", f).wantStatus(http.StatusSeeOther)
	if got := s.mustClient(t, "acme_1").Meta.City; got != "Paris" {
		t.Errorf("city = %q, want Paris", got)
	}
}

// Every form an account page posts carries the session's token, and
// <body> carries it for htmx.
func TestAccount_FormsCarryCSRFToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	pages := map[string]*page{}
	for _, path := range accountPages {
		pages[path] = b.get(path).wantStatus(http.StatusOK)
	}
	pages["token issued"] = b.post("/account/api/token", nil).wantStatus(http.StatusOK)
	for name, p := range pages {
		forms := p.Doc.Find(`form[method="post"]`)
		if forms.Length() == 0 {
			t.Errorf("%s: no post form", name)
		}
		forms.Each(func(_ int, f *goquery.Selection) {
			action, _ := f.Attr("action")
			if v, _ := f.Find(`input[name="_csrf"]`).Attr("value"); v != b.csrf {
				t.Errorf("%s: form %s carries _csrf %q, want %q", name, action, v, b.csrf)
			}
		})
		if hx, _ := p.Doc.Find("body").Attr("hx-headers"); hx != `{"X-CSRF-Token":"`+b.csrf+`"}` {
			t.Errorf("%s: body hx-headers = %q", name, hx)
		}
	}
	login := s.browser(t).get("/account/login").wantStatus(http.StatusOK)
	if v, _ := login.Doc.Find(`form[action="/account/login"] input[name="_csrf"]`).Attr("value"); v == "" {
		t.Error("the sign-in form carries no _csrf")
	}
}
