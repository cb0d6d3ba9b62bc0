package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkAccountPages measures whole requests for a signed-in client's
// pages (app.Test: routing, the session cookie, the client token check,
// templ) over a SQLite test store (synchronous=NORMAL):
//
//	Overview  GET /account
//	Profile   GET /account/profile
//	Token     POST /account/api/token as htmx sends it: a new API token, the
//	          fragment alone
//	Save      POST /account/profile changing the phone: a write with its
//	          audit event
//
// The store holds only this client: the pages read one client by its key,
// so their cost does not grow with the number of clients. It asserts no
// timing; see docs/PERFORMANCE.md for the figures and the command.
func BenchmarkAccountPages(b *testing.B) {
	s := newSite(b, nil)
	secret := s.seed(b, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", "Active")
	br := s.browser(b)
	br.get("/account/login").wantStatus(http.StatusOK)
	br.post("/account/login", url.Values{"clientId": {"acme_1"}, "clientSecret": {secret}}).wantStatus(http.StatusSeeOther)
	br.get("/account").wantStatus(http.StatusOK)

	b.Run("Overview", func(b *testing.B) {
		for b.Loop() {
			br.get("/account").wantStatus(http.StatusOK)
		}
	})
	b.Run("Profile", func(b *testing.B) {
		for b.Loop() {
			br.get("/account/profile").wantStatus(http.StatusOK)
		}
	})
	b.Run("Token", func(b *testing.B) {
		for b.Loop() {
			br.htmx(http.MethodPost, "/account/api/token", "token-panel", url.Values{}).wantStatus(http.StatusOK)
		}
	})
	b.Run("Save", func(b *testing.B) {
		form := url.Values{
			"clientMeta.fullName": {"Ada Lovelace"}, "clientMeta.email": {"ada@example.com"},
			"clientMeta.businessName": {"Engines"},
		}
		phones := []string{"+14155550123", "+14155550124"}
		i := 0
		for b.Loop() {
			form.Set("clientMeta.phone", phones[i%2])
			i++
			br.post("/account/profile", form).wantStatus(http.StatusSeeOther)
		}
	})
}
