package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

// When an administrator suspends, deactivates or deletes a client, the
// client's browser session ends at its next request, whatever it asks for,
// and the sign-in page says why, once. Reactivating the client does not
// bring back the sessions that were told they ended.
func TestAccount_SessionEndsWhenClientDisabled(t *testing.T) {
	t.Parallel()
	const why = "inactive or suspended"
	tests := []struct {
		name    string
		disable func(t *testing.T, s *site)
		deleted bool
	}{
		{"SuspendedByJSONAPI", func(t *testing.T, s *site) {
			status, body := s.jsonCall(t, http.MethodPut, "/admin/clients/acme_1", s.adminToken(t), map[string]string{"status": "Suspended"})
			if status != http.StatusOK {
				t.Fatalf("suspend: %d %v", status, body)
			}
		}, false},
		{"DeactivatedInConsole", func(t *testing.T, s *site) {
			admin := s.signedIn(t)
			admin.get("/console/clients/acme_1").wantStatus(http.StatusOK)
			admin.post("/console/clients/acme_1/status", url.Values{"status": {"Inactive"}}).wantStatus(http.StatusSeeOther)
		}, false},
		{"SuspendedInStore", func(t *testing.T, s *site) {
			st := switchboard.StatusSuspended
			if _, err := s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Status: &st}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"DeletedByJSONAPI", func(t *testing.T, s *site) {
			if status, body := s.jsonCall(t, http.MethodDelete, "/admin/clients/acme_1", s.adminToken(t), nil); status != http.StatusOK {
				t.Fatalf("delete: %d %v", status, body)
			}
		}, true},
		{"DeletedInStore", func(t *testing.T, s *site) {
			if err := s.store.DeleteClient(context.Background(), "acme_1"); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			secret := seedAdaAccount(t, s)
			b := s.signInClient(t, "acme_1", secret)
			hx := s.signInClient(t, "acme_1", secret)
			poster := s.signInClient(t, "acme_1", secret)
			stolen := b.accountCookie()
			tt.disable(t, s)
			stored := s.client(t, "acme_1")

			// A page: to the sign-in page, which says why, once.
			p := b.get("/account")
			p.wantAccountSignIn("/account")
			if strings.Contains(p.Body, "Ada Lovelace") {
				t.Error("the redirect shows the client's data")
			}
			login := b.get(p.location()).wantStatus(http.StatusOK)
			if got := login.text("flash"); !strings.Contains(got, why) {
				t.Errorf("sign-in page flash = %q, want it to say the account is %s", got, why)
			}
			if got := login.inputValue("next"); got != "/account" {
				t.Errorf("next input = %q, want /account", got)
			}
			if again := b.get(p.location()).wantStatus(http.StatusOK); again.testid("flash").Length() != 0 {
				t.Errorf("the message is shown twice: %q", again.text("flash"))
			}

			// htmx: told to load the sign-in page, which says why.
			h := hx.htmx(http.MethodGet, "/account/profile", "main", nil)
			h.wantHTMXAccountSignIn()
			if got := hx.get(h.Header.Get("HX-Redirect")).wantStatus(http.StatusOK).text("flash"); !strings.Contains(got, why) {
				t.Errorf("htmx: sign-in page flash = %q", got)
			}

			// A form posted from a page loaded before changes nothing.
			f := adaProfile()
			f.Set("clientMeta.city", "Paris")
			poster.post("/account/profile", f).wantAccountSignIn("/account")
			poster.post("/account/api/token", nil).wantAccountSignIn("/account")
			if n := s.logCount("account API token issued"); n != 0 {
				t.Errorf("%d tokens issued after the account was disabled", n)
			}
			if after := s.client(t, "acme_1"); (after == nil) != (stored == nil) || (after != nil && *after != *stored) {
				t.Errorf("client changed after it was disabled:\n got %+v\nwant %+v", after, stored)
			}

			// The secret no longer signs in, with the same words as any refusal.
			g := s.browser(t)
			g.get("/account/login")
			refused := g.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).
				wantStatus(http.StatusUnauthorized)
			if got := refused.text("form-error"); !strings.Contains(got, "Invalid credentials or inactive client") {
				t.Errorf("sign-in form error = %q", got)
			}

			// A copy of the session cookie taken before opens nothing either.
			s.wantAccountSessionGrantsNothing(t, stolen)

			// Back to Active: the sessions that were told they ended stay
			// ended (a copy of a cookie taken before would work again, as
			// the client's API tokens do: that is the design).
			if !tt.deleted {
				st := switchboard.StatusActive
				if _, err := s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Status: &st}); err != nil {
					t.Fatal(err)
				}
				b.get("/account").wantAccountSignIn("/account")
				hx.get("/account").wantAccountSignIn("/account")
				b.signInAccount("acme_1", secret)
			}
		})
	}
}

// The token a browser session holds ends with the session (the API's
// tokens never expire): a session whose token has expired is signed out,
// with the message that says so, though its cookie is still good.
func TestAccount_SessionTokenExpiresWithSession(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	// Sign in as if it were two hours ago: the session's token, issued
	// then for the session's hour, has expired; the cookie was made now.
	s.svc.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	b := s.browser(t)
	b.get("/account/login").wantStatus(http.StatusOK)
	b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	apiToken := s.mustClientLogin(t, "acme_1", secret) // issued "then" too, but without expiry
	s.svc.Now = nil

	p := b.get("/account")
	p.wantAccountSignIn("/account")
	if got := b.get(p.location()).wantStatus(http.StatusOK).text("flash"); got != "Your session has ended. Please sign in again." {
		t.Errorf("sign-in page flash = %q", got)
	}
	if status, _ := s.secureClient(t, apiToken); status != http.StatusOK {
		t.Errorf("an API token from then: %d, want 200 (API tokens do not expire)", status)
	}
	b.signInAccount("acme_1", secret)
}

// An administrator's reset of the secret ends the client's browser
// sessions too, at their next request, and the sign-in page says so; the
// new secret signs in.
func TestAccount_SessionEndsWhenAdminResetsSecret(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.signInClient(t, "acme_1", secret)
	hx := s.signInClient(t, "acme_1", secret)
	admin := s.signedIn(t)
	admin.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	newSecret := admin.post("/console/clients/acme_1/reset-secret", nil).wantStatus(http.StatusOK).secret()

	p := b.get("/account/api")
	p.wantAccountSignIn("/account/api")
	if got := b.get(p.location()).wantStatus(http.StatusOK).text("flash"); got != "Your session has ended. Please sign in again." {
		t.Errorf("sign-in page flash = %q", got)
	}
	hx.htmx(http.MethodPost, "/account/api/token", "token-panel", nil).wantHTMXAccountSignIn()
	if n := s.logCount("account API token issued"); n != 0 {
		t.Errorf("%d tokens issued after the reset", n)
	}
	b.signInAccount("acme_1", newSecret)
	s.wantLogHoldsNone(t, secret, newSecret)
}

// A browser signed in to the console is signed out on the account pages:
// its console cookie, which the test browser sends everywhere, opens none
// of them, and the account forms refuse its posts.
func TestAccount_ConsoleSessionOpensNoAccountPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	admin := s.signedIn(t)
	consoleToken := admin.csrf
	if admin.sessionCookie() == "" || consoleToken == "" {
		t.Fatal("the admin has no console session")
	}
	for _, path := range accountPages {
		p := admin.get(path)
		p.wantAccountSignIn(path)
		if strings.Contains(p.Body, "Ada Lovelace") {
			t.Errorf("%s: the redirect shows client data", path)
		}
		admin.htmx(http.MethodGet, path, "main", nil).wantHTMXAccountSignIn()
	}
	login := admin.get("/account/login").wantStatus(http.StatusOK)
	if login.testid("signed-in-as").Length() != 0 || login.testid("login-form").Length() != 1 {
		t.Errorf("the account sign-in page treats the admin as signed in:\n%s", login.Body)
	}
	accountToken := admin.csrf
	for _, path := range []string{"/account/profile", "/account/api/token", "/account/api/sign-out-everywhere", "/account/secret", "/account/logout"} {
		f := adaProfile()
		f.Set("clientMeta.city", "Paris")
		f.Set("currentSecret", secret)
		// With the console's token: refused; with the account's signed-out
		// session's token: sent to sign in.
		f.Set("_csrf", consoleToken)
		admin.post(path, f).wantError(http.StatusForbidden)
		f.Set("_csrf", accountToken)
		admin.post(path, f).wantAccountSignIn("/account")
	}
	if after := s.mustClient(t, "acme_1"); *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := s.logCount("account API token issued"); n != 0 {
		t.Errorf("%d tokens issued", n)
	}
	// The console session is untouched.
	if got := admin.get("/console").wantStatus(http.StatusOK).text("signed-in-as"); got != adminUsername {
		t.Errorf("console signed-in-as = %q", got)
	}
}

// A browser signed in to the account pages is signed out in the console.
func TestAccount_AccountSessionOpensNoConsolePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	b := s.signInClient(t, "acme_1", secret)
	accountToken := b.csrf
	for _, path := range []string{
		"/console", "/console/clients", "/console/clients/new", "/console/clients/acme_1",
		"/console/clients/acme_1/reset-secret", "/console/clients/acme_1/delete",
	} {
		p := b.get(path)
		p.wantSignInRedirect(path)
		if strings.Contains(p.Body, "Ada Lovelace") {
			t.Errorf("%s: the redirect shows client data", path)
		}
	}
	if login := b.get("/console/login").wantStatus(http.StatusOK); login.testid("signed-in-as").Length() != 0 {
		t.Error("the console sign-in page treats the client as signed in")
	}
	consoleGuestToken := b.csrf
	for _, r := range []struct {
		path string
		form url.Values
	}{
		{"/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}},
		{"/console/clients/acme_1/reset-secret", nil},
		{"/console/clients/acme_1/delete", nil},
		{"/console/clients", newClientForm("acme_2", "grace@example.com")},
	} {
		f := url.Values{}
		for k, v := range r.form {
			f[k] = v
		}
		f.Set("_csrf", accountToken)
		b.post(r.path, f).wantError(http.StatusForbidden)
		f.Set("_csrf", consoleGuestToken)
		b.post(r.path, f).wantSignInRedirect("/console")
	}
	if after := s.client(t, "acme_1"); after == nil || *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := s.clientCount(t); n != 1 {
		t.Errorf("%d clients, want 1", n)
	}
	s.mustClientLogin(t, "acme_1", secret)
	b.get("/account").wantStatus(http.StatusOK)
}

// A session cookie's value under the other area's cookie name is no
// session: a signed-in console cookie renamed switchboard_account signs
// nobody in to the account pages, and the other way round.
func TestAccount_SessionCookiesNotInterchangeable(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	admin := s.signedIn(t)
	client := s.signInClient(t, "acme_1", secret)
	consoleValue, consoleToken := admin.sessionCookie(), admin.csrf
	accountValue, accountToken := client.accountCookie(), client.csrf
	if consoleValue == "" || accountValue == "" {
		t.Fatalf("cookies: console %q, account %q", consoleValue, accountValue)
	}

	t.Run("ConsoleValueAsAccountCookie", func(t *testing.T) {
		b := s.browser(t)
		b.cookies[accountCookieName] = consoleValue
		for _, path := range accountPages {
			b.get(path).wantAccountSignIn(path)
		}
		f := adaProfile()
		f.Set("clientMeta.city", "Paris")
		f.Set("_csrf", consoleToken)
		b.do(http.MethodPost, "/account/profile", f, nil).wantError(http.StatusForbidden)
		b.do(http.MethodPost, "/account/api/token", url.Values{"_csrf": {consoleToken}}, nil).wantError(http.StatusForbidden)
	})
	t.Run("AccountValueAsConsoleCookie", func(t *testing.T) {
		b := s.browser(t)
		b.cookies["switchboard_console"] = accountValue
		for _, path := range []string{"/console", "/console/clients", "/console/clients/acme_1"} {
			b.get(path).wantSignInRedirect(path)
		}
		b.do(http.MethodPost, "/console/clients/acme_1/status", url.Values{"status": {"Suspended"}, "_csrf": {accountToken}}, nil).
			wantError(http.StatusForbidden)
		b.do(http.MethodPost, "/console/clients/acme_1/delete", url.Values{"_csrf": {accountToken}}, nil).
			wantError(http.StatusForbidden)
	})
	if after := s.client(t, "acme_1"); after == nil || *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	// Control: each value works under its own name.
	admin.get("/console").wantStatus(http.StatusOK)
	client.get("/account").wantStatus(http.StatusOK)
}

// The account pages take no bearer token: an admin's JWT or a client's API
// token in Authorization opens no page and makes no post go through.
func TestAccount_BearerTokensGrantNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	before := s.mustClient(t, "acme_1")
	tokens := map[string]string{
		"AdminJWT":       s.adminToken(t),
		"ClientAPIToken": s.mustClientLogin(t, "acme_1", secret),
	}
	for name, token := range tokens {
		t.Run(name, func(t *testing.T) {
			bearer := map[string]string{"Authorization": "Bearer " + token}
			b := s.browser(t)
			for _, path := range accountPages {
				b.do(http.MethodGet, path, nil, bearer).wantAccountSignIn(path)
			}
			if p := b.do(http.MethodGet, "/account/login", nil, bearer).wantStatus(http.StatusOK); p.testid("login-form").Length() != 1 {
				t.Error("the sign-in page with a bearer token is not the sign-in form")
			}
			// With the signed-out session's valid CSRF token too.
			for _, path := range []string{"/account/profile", "/account/api/token", "/account/api/sign-out-everywhere", "/account/secret", "/account/logout"} {
				f := adaProfile()
				f.Set("clientMeta.city", "Paris")
				f.Set("currentSecret", secret)
				f.Set("_csrf", b.csrf)
				b.do(http.MethodPost, path, f, bearer).wantAccountSignIn("/account")
			}
			// Without any session cookie at all.
			for _, path := range accountPages {
				s.browser(t).do(http.MethodGet, path, nil, bearer).wantAccountSignIn(path)
			}
		})
	}
	if after := s.mustClient(t, "acme_1"); *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := s.logCount("account API token issued"); n != 0 {
		t.Errorf("%d tokens issued", n)
	}
	if status, _ := s.secureClient(t, tokens["ClientAPIToken"]); status != http.StatusOK {
		t.Errorf("the API token was ended: %d", status)
	}
}

// Failed sign-ins through the account pages and through POST /auth/login
// count against one throttle per client: after ten, the right secret is
// refused at both doors, with Retry-After. Other clients sign in as usual.
func TestAccount_LoginThrottleSharedWithJSON(t *testing.T) {
	t.Parallel()
	wantThrottledForm := func(t *testing.T, s *site, secret string) {
		t.Helper()
		b := s.browser(t)
		b.get("/account/login?next=%2Faccount%2Fapi").wantStatus(http.StatusOK)
		p := b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}, "next": {"/account/api"}}).
			wantStatus(http.StatusTooManyRequests)
		wantRetryAfter(t, p.Header)
		if got := p.text("form-error"); !strings.HasPrefix(got, "Too many failed sign-ins. Try again in ") {
			t.Errorf("form error = %q", got)
		}
		if got := p.inputValue("clientId"); got != "acme_1" {
			t.Errorf("clientId input = %q, want it kept", got)
		}
		if got := p.inputValue("next"); got != "/account/api" {
			t.Errorf("next input = %q, want it kept", got)
		}
		if strings.Contains(p.Body, secret) {
			t.Error("the page repeats the secret")
		}
		if c := p.cookie(accountCookieName); c != nil {
			s.wantAccountSessionGrantsNothing(t, c.Value)
		}
		s.wantAccountSessionGrantsNothing(t, b.accountCookie())
		b.get("/account").wantAccountSignIn("/account")
	}
	wantThrottledJSON := func(t *testing.T, s *site, secret string) {
		t.Helper()
		status, header, body := s.jsonDo(t, http.MethodPost, "/auth/login", "",
			map[string]string{"clientId": "acme_1", "clientSecret": secret})
		if status != http.StatusTooManyRequests {
			t.Fatalf("POST /auth/login = %d %v, want 429", status, body)
		}
		if body["token"] != nil {
			t.Error("a throttled JSON sign-in got a token")
		}
		wantRetryAfter(t, header)
	}
	// Another client is not throttled by acme_1's failures.
	wantOthersSignIn := func(t *testing.T, s *site, graceSecret string) {
		t.Helper()
		s.signInClient(t, "acme_2", graceSecret)
		s.mustClientLogin(t, "acme_2", graceSecret)
	}
	setup := func(t *testing.T) (*site, string, string) {
		s := newSite(t, nil)
		return s, seedAdaAccount(t, s), s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	}

	t.Run("FormFailuresThrottleJSON", func(t *testing.T) {
		t.Parallel()
		s, secret, graceSecret := setup(t)
		b := s.browser(t)
		b.get("/account/login").wantStatus(http.StatusOK)
		for i := range 10 {
			b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {"wrong " + strconv.Itoa(i)}}).
				wantStatus(http.StatusUnauthorized)
		}
		wantThrottledForm(t, s, secret)
		wantThrottledJSON(t, s, secret)
		wantOthersSignIn(t, s, graceSecret)
		s.wantLogHoldsNone(t, secret, graceSecret)
	})
	t.Run("JSONFailuresThrottleForm", func(t *testing.T) {
		t.Parallel()
		s, secret, graceSecret := setup(t)
		for i := range 10 {
			if status, _ := s.clientLogin(t, "acme_1", "wrong "+strconv.Itoa(i)); status != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i, status)
			}
		}
		wantThrottledForm(t, s, secret)
		wantThrottledJSON(t, s, secret)
		wantOthersSignIn(t, s, graceSecret)
	})
	t.Run("SuspendedClientFailuresCount", func(t *testing.T) {
		t.Parallel()
		// The right secret of a suspended client is a failed sign-in too.
		s, secret, _ := setup(t)
		st := switchboard.StatusSuspended
		if _, err := s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Status: &st}); err != nil {
			t.Fatal(err)
		}
		b := s.browser(t)
		b.get("/account/login")
		for range 10 {
			b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusUnauthorized)
		}
		b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusTooManyRequests)
	})
	t.Run("NineFailuresStillSignIn", func(t *testing.T) {
		t.Parallel()
		s, secret, _ := setup(t)
		b := s.browser(t)
		b.get("/account/login").wantStatus(http.StatusOK)
		for range 5 {
			b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {"wrong"}}).
				wantStatus(http.StatusUnauthorized)
		}
		for range 4 {
			s.clientLogin(t, "acme_1", "wrong")
		}
		b.signInAccount("acme_1", secret)
	})
}

// A whole visit, with the secret, the session and every token the pages
// show, leaves none of them in the log, which does record what happened.
func TestAccount_LogHoldsNoSecretOrToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := seedAdaAccount(t, s)
	b := s.browser(t)
	b.get("/account/login")
	b.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {"wrong-" + secret}}).wantStatus(http.StatusUnauthorized)
	b.post("/account/login", url.Values{"clientId": {secret}, "clientSecret": {secret}}).wantStatus(http.StatusUnauthorized)
	b.signInAccount("acme_1", secret)
	session := b.accountCookie()
	tok1 := b.post("/account/api/token", nil).wantStatus(http.StatusOK).secret()
	tok2 := b.htmx(http.MethodPost, "/account/api/token", "token-panel", nil).wantStatus(http.StatusOK).secret()
	b.get("/account/secret")
	b.post("/account/secret", url.Values{"currentSecret": {"not-" + secret}, "newSecret": {"a chosen secret of mine"}}).
		wantStatus(http.StatusUnprocessableEntity)
	newSecret := b.changeSecret(url.Values{"currentSecret": {secret}}).secret()
	b.get("/account/api")
	b.post("/account/api/sign-out-everywhere", nil).wantStatus(http.StatusSeeOther)
	b.signInAccount("acme_1", newSecret)
	b.post("/account/logout", nil).wantStatus(http.StatusSeeOther)

	for _, want := range []map[string]string{
		{"event": "sign-in", "outcome": "refused"},
		{"event": "sign-in", "outcome": "ok", "client_id": "acme_1"},
		{"event": "token issued", "outcome": "ok", "client_id": "acme_1"},
		{"event": "secret change", "outcome": "refused", "client_id": "acme_1"},
		{"event": "secret change", "outcome": "ok", "client_id": "acme_1"},
		{"event": "tokens revoked", "outcome": "ok", "client_id": "acme_1"},
		{"event": "sign-out", "outcome": "ok", "client_id": "acme_1"},
	} {
		want["via"] = "account"
		if s.eventCount(want) == 0 {
			t.Errorf("the log has no security event with %v", want)
		}
	}
	s.wantLogHoldsNone(t, secret, "wrong-"+secret, "not-"+secret, "a chosen secret of mine", newSecret, tok1, tok2, session, b.accountCookie())
}
