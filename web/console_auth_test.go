package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Every console page sends a signed-out browser to the sign-in page, which
// will bring it back to the page it asked for (query included).
func TestConsole_SignedOutRedirectsToLogin(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	for _, path := range []string{
		"/console",
		"/console/clients",
		"/console/clients?search=ada&status=Active",
		"/console/clients/new",
		"/console/clients/acme_1",
		"/console/clients/no_such_client",
		"/console/clients/acme_1/reset-secret",
		"/console/clients/acme_1/delete",
	} {
		t.Run(path, func(t *testing.T) {
			b := s.browser(t)
			p := b.get(path)
			p.wantSignInRedirect(path)
			if strings.Contains(p.Body, "Ada Lovelace") || strings.Contains(p.Body, "ada@example.com") {
				t.Errorf("redirect body shows client data: %s", p.Body)
			}
			// htmx cannot follow a redirect into a fragment: it is told to
			// load the sign-in page instead.
			h := b.htmx(http.MethodGet, path, "main", nil)
			if h.Status != http.StatusNoContent {
				t.Errorf("htmx: status = %d, want 204", h.Status)
			}
			if got, want := h.Header.Get("HX-Redirect"), "/console/login?next="+url.QueryEscape("/console"); got != want {
				t.Errorf("htmx: HX-Redirect = %q, want %q", got, want)
			}
			if got := h.location(); got != "" {
				t.Errorf("htmx: Location = %q, want none", got)
			}
		})
	}
}

// A signed-out browser with a valid CSRF token (it has loaded the sign-in
// page) that posts to a console form is sent to sign in, and nothing changes.
func TestConsole_SignedOutPostsChangeNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	before := s.mustClient(t, "acme_1")
	tests := []struct {
		path string
		form url.Values
	}{
		{"/console/clients", newClientForm("acme_2", "grace@example.com")},
		{"/console/clients/acme_1", newClientForm("", "changed@example.com")},
		{"/console/clients/acme_1/status", url.Values{"status": {"Suspended"}}},
		{"/console/clients/acme_1/reset-secret", nil},
		{"/console/clients/acme_1/delete", nil},
		{"/console/logout", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b := s.browser(t)
			b.get("/console/login").wantStatus(http.StatusOK)
			b.post(tt.path, tt.form).wantSignInRedirect("/console")
			h := b.htmx(http.MethodPost, tt.path, "main", tt.form)
			if h.Status != http.StatusNoContent || h.Header.Get("HX-Redirect") != "/console/login?next=%2Fconsole" {
				t.Errorf("htmx: %d HX-Redirect %q, want 204 to the sign-in page", h.Status, h.Header.Get("HX-Redirect"))
			}
		})
	}
	after := s.mustClient(t, "acme_1")
	if *after != *before {
		t.Errorf("client changed:\n got %+v\nwant %+v", after, before)
	}
	if n := s.clientCount(t); n != 1 {
		t.Errorf("%d clients stored, want 1", n)
	}
	s.mustClientLogin(t, "acme_1", secret)
}

func TestConsole_LoginReturnsToRequestedPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", "Active")
	b := s.browser(t)

	want := "/console/clients?search=ada"
	b.get(want).wantSignInRedirect(want)
	login := b.get("/console/login?next=" + url.QueryEscape(want)).wantStatus(http.StatusOK)
	if got := login.inputValue("next"); got != want {
		t.Fatalf("next input = %q, want %q", got, want)
	}
	p := b.post("/console/login", url.Values{
		"username": {adminUsername}, "password": {adminPassword}, "next": {login.inputValue("next")},
	}).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != want {
		t.Fatalf("after sign-in Location = %q, want %q", got, want)
	}
	list := b.get(p.location()).wantStatus(http.StatusOK)
	if got := list.inputValue("search"); got != "ada" {
		t.Errorf("search input = %q, want ada", got)
	}
	if got := list.clientIDs(); len(got) != 1 || got[0] != "acme_1" {
		t.Errorf("rows = %v, want [acme_1]", got)
	}
	if got := list.text("signed-in-as"); got != adminUsername {
		t.Errorf("signed-in-as = %q, want %q", got, adminUsername)
	}

	// The login form written without the escaping a redirect adds works too.
	b2 := s.browser(t)
	login = b2.get("/console/login?next=/console/clients?search=ada").wantStatus(http.StatusOK)
	if got := login.inputValue("next"); got != want {
		t.Errorf("unescaped next input = %q, want %q", got, want)
	}
}

// next may only lead to a console page: anything else falls back to
// /console, on the sign-in page, after the sign-in, and when the browser
// is already signed in.
func TestConsole_LoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	for _, next := range []string{
		"//evil.example",
		"//evil.example/console",
		"https://evil.example/",
		"https://evil.example/console",
		"http:evil.example/console",
		"/auth/login",
		"/admin/clients",
		"/",
		"javascript:alert(1)",
		"JavaScript:alert(document.cookie)",
		"/\\evil.example",
		"/console\\..\\evil",
		"\\\\evil.example",
		"/consoleevil",
		"/console.evil.example",
		"console/clients",
		"/console\r\nSet-Cookie: x=1",
		// A browser resolves dot segments, encoded or not, before it follows
		// the redirect.
		"/console/../account",
		"/console/..",
		"/console/%2e%2e/auth/login",
		"/console/clients/../../account/api",
	} {
		t.Run(next, func(t *testing.T) {
			b := s.browser(t)
			login := b.get("/console/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusOK)
			if got := login.inputValue("next"); got != "/console" {
				t.Errorf("next input = %q, want /console", got)
			}
			p := b.post("/console/login", url.Values{
				"username": {adminUsername}, "password": {adminPassword}, "next": {next},
			}).wantStatus(http.StatusSeeOther)
			if got := p.location(); got != "/console" {
				t.Errorf("after sign-in Location = %q, want /console", got)
			}
			// Signed in already: the sign-in page forwards at once.
			again := b.get("/console/login?next=" + url.QueryEscape(next)).wantStatus(http.StatusSeeOther)
			if got := again.location(); got != "/console" {
				t.Errorf("signed in: Location = %q, want /console", got)
			}
		})
	}
}

func TestConsole_LoginRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	tests := []struct {
		name, username, password string
	}{
		{"WrongPassword", adminUsername, "wrong-password"},
		{"UnknownUser", "mallory", adminPassword},
		{"EmptyPassword", adminUsername, ""},
		{"PasswordCase", adminUsername, strings.ToUpper(adminPassword)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browser(t)
			b.get("/console/login?next=%2Fconsole%2Fclients").wantStatus(http.StatusOK)
			p := b.post("/console/login", url.Values{
				"username": {tt.username}, "password": {tt.password}, "next": {"/console/clients"},
			}).wantStatus(http.StatusUnauthorized)
			if got, want := p.text("form-error"), "Invalid username or password."; got != want {
				t.Errorf("form error = %q, want %q", got, want)
			}
			if got := p.inputValue("username"); got != tt.username {
				t.Errorf("username input = %q, want %q (kept)", got, tt.username)
			}
			if got := p.inputValue("password"); got != "" {
				t.Errorf("password input = %q, want it empty", got)
			}
			if tt.password != "" && strings.Contains(p.Body, tt.password) {
				t.Errorf("the page repeats the password")
			}
			if got := p.inputValue("next"); got != "/console/clients" {
				t.Errorf("next input = %q, want /console/clients (kept)", got)
			}
			// The browser keeps the signed-out session the sign-in page
			// started (it holds the form's CSRF token); the refusal signs
			// nobody in with it, nor with any cookie it sets.
			if c := p.cookie("switchboard_console"); c != nil {
				s.wantSessionGrantsNothing(t, c.Value)
			}
			s.wantSessionGrantsNothing(t, b.sessionCookie())
			b.get("/console").wantSignInRedirect("/console")
			if tt.password != "" && strings.Contains(s.log.String(), tt.password) {
				t.Error("the log holds the password tried")
			}
		})
	}
}

func TestConsole_LoginSetsSession(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.browser(t)
	b.get("/console/login").wantStatus(http.StatusOK)
	p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
		wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/console" {
		t.Errorf("Location = %q, want /console", got)
	}
	c := p.cookie("switchboard_console")
	if c == nil || c.Value == "" {
		t.Fatalf("no session cookie set: %v", p.Header.Values("Set-Cookie"))
	}
	if strings.Contains(c.Value, adminPassword) || strings.Contains(c.Value, "eyJ") {
		t.Errorf("session cookie is readable: %q", c.Value)
	}
	d := b.get("/console").wantStatus(http.StatusOK)
	if got := d.text("signed-in-as"); got != adminUsername {
		t.Errorf("signed-in-as = %q", got)
	}
	// A forged or tampered cookie is no session.
	forged := s.browser(t)
	forged.cookies["switchboard_console"] = c.Value[:len(c.Value)-2] + "AA"
	forged.get("/console").wantSignInRedirect("/console")
}

// Failed sign-ins through the console and through POST /auth/admin/login
// count against one throttle.
func TestConsole_LoginThrottleSharedWithJSON(t *testing.T) {
	t.Parallel()
	wantThrottledForm := func(t *testing.T, s *site) {
		t.Helper()
		b := s.browser(t)
		b.get("/console/login").wantStatus(http.StatusOK)
		p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
			wantStatus(http.StatusTooManyRequests)
		wantRetryAfter(t, p.Header)
		if got := p.text("form-error"); !strings.HasPrefix(got, "Too many failed sign-ins. Try again in ") {
			t.Errorf("form error = %q", got)
		}
		if got := p.inputValue("username"); got != adminUsername {
			t.Errorf("username input = %q, want it kept", got)
		}
		// The right password, throttled, signs nobody in: not the session
		// the browser holds, nor any cookie the refusal sets.
		if c := p.cookie("switchboard_console"); c != nil {
			s.wantSessionGrantsNothing(t, c.Value)
		}
		s.wantSessionGrantsNothing(t, b.sessionCookie())
		b.get("/console").wantSignInRedirect("/console")
	}
	wantThrottledJSON := func(t *testing.T, s *site) {
		t.Helper()
		status, header, body := s.jsonDo(t, http.MethodPost, "/auth/admin/login", "",
			map[string]string{"username": adminUsername, "password": adminPassword})
		if status != http.StatusTooManyRequests {
			t.Fatalf("JSON admin login = %d %v, want 429", status, body)
		}
		if body["token"] != nil {
			t.Errorf("a throttled JSON login got a token")
		}
		wantRetryAfter(t, header)
	}

	t.Run("FormFailuresThrottleJSON", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		b := s.browser(t)
		b.get("/console/login").wantStatus(http.StatusOK)
		for i := range 10 {
			p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {"wrong " + strconv.Itoa(i)}})
			p.wantStatus(http.StatusUnauthorized)
		}
		wantThrottledJSON(t, s)
		wantThrottledForm(t, s)
	})
	t.Run("JSONFailuresThrottleForm", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		for i := range 10 {
			status, _ := s.jsonCall(t, http.MethodPost, "/auth/admin/login", "",
				map[string]string{"username": adminUsername, "password": "wrong " + strconv.Itoa(i)})
			if status != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i, status)
			}
		}
		wantThrottledForm(t, s)
		wantThrottledJSON(t, s)
	})
	t.Run("NineFailuresStillSignIn", func(t *testing.T) {
		t.Parallel()
		s := newSite(t, nil)
		b := s.browser(t)
		b.get("/console/login").wantStatus(http.StatusOK)
		for range 5 {
			b.post("/console/login", url.Values{"username": {adminUsername}, "password": {"wrong"}}).
				wantStatus(http.StatusUnauthorized)
		}
		for range 4 {
			s.jsonCall(t, http.MethodPost, "/auth/admin/login", "", map[string]string{"username": adminUsername, "password": "wrong"})
		}
		b.signIn()
		b.get("/console").wantStatus(http.StatusOK)
	})
}

func wantRetryAfter(t *testing.T, h http.Header) {
	t.Helper()
	n, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || n < 1 || n > 15*60 {
		t.Errorf("Retry-After = %q, want whole seconds in 1..900", h.Get("Retry-After"))
	}
}

// Signing out revokes the session's token: a copy of the old cookie no
// longer opens the console.
func TestConsole_LogoutRevokes(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	stolen := b.sessionCookie()
	if stolen == "" {
		t.Fatal("no session cookie after sign-in")
	}

	p := b.post("/console/logout", nil).wantStatus(http.StatusSeeOther)
	if got := p.location(); got != "/console/login" {
		t.Errorf("Location = %q, want /console/login", got)
	}
	login := b.get("/console/login").wantStatus(http.StatusOK)
	if got := login.text("flash"); got != "You are signed out." {
		t.Errorf("flash = %q", got)
	}
	b.get("/console").wantSignInRedirect("/console")

	thief := s.browser(t)
	thief.cookies["switchboard_console"] = stolen
	thief.get("/console").wantSignInRedirect("/console")
	thief.get("/console/clients").wantSignInRedirect("/console/clients")

	// The other sessions of the admin live on.
	other := s.signedIn(t)
	b2 := s.signedIn(t)
	b2.post("/console/logout", nil).wantStatus(http.StatusSeeOther)
	other.get("/console").wantStatus(http.StatusOK)
}

// A session whose token no longer works (signed out elsewhere, expired,
// password changed) sends the browser to the sign-in page, which says why,
// once: whether the browser asked for a page or htmx asked for a fragment.
func TestConsole_SessionEndedMessageShownAtSignIn(t *testing.T) {
	t.Parallel()
	const ended = "Your session has ended. Please sign in again."
	s := newSite(t, nil)
	b := s.signedIn(t)
	stolen := b.sessionCookie()
	b.post("/console/logout", nil).wantStatus(http.StatusSeeOther)

	t.Run("Page", func(t *testing.T) {
		thief := s.browser(t)
		thief.cookies["switchboard_console"] = stolen
		p := thief.get("/console/clients")
		p.wantSignInRedirect("/console/clients")
		login := thief.get(p.location()).wantStatus(http.StatusOK)
		if got := strings.TrimSpace(login.testid("flash").Text()); got != ended {
			t.Errorf("sign-in page flash = %q, want %q", got, ended)
		}
		if got := login.inputValue("next"); got != "/console/clients" {
			t.Errorf("next input = %q, want /console/clients", got)
		}
		if again := thief.get(p.location()).wantStatus(http.StatusOK); again.testid("flash").Length() != 0 {
			t.Errorf("the message is shown twice: %q", again.testid("flash").Text())
		}
		// The sign-in form of that page works.
		thief.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}}).
			wantStatus(http.StatusSeeOther)
		if d := thief.get("/console").wantStatus(http.StatusOK); d.testid("flash").Length() != 0 {
			t.Errorf("flash after signing in again: %q", d.testid("flash").Text())
		}
	})
	t.Run("HTMX", func(t *testing.T) {
		thief := s.browser(t)
		thief.cookies["switchboard_console"] = stolen
		h := thief.htmx(http.MethodGet, "/console/clients?search=a", "client-results", nil)
		if h.Status != http.StatusNoContent || h.Header.Get("HX-Redirect") != "/console/login?next=%2Fconsole" {
			t.Fatalf("htmx: %d HX-Redirect %q, want 204 to the sign-in page", h.Status, h.Header.Get("HX-Redirect"))
		}
		login := thief.get(h.Header.Get("HX-Redirect")).wantStatus(http.StatusOK)
		if got := strings.TrimSpace(login.testid("flash").Text()); got != ended {
			t.Errorf("sign-in page flash = %q, want %q", got, ended)
		}
	})
}
