package api_test

import (
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// TestTextRendersAsWhatItIs: invisible and look-alike characters that made
// one client's details pass for another's, or render reversed in the
// console, are refused with a 400 naming the field, and nothing is stored;
// an internationalised email domain is stored in its visible xn-- form.
func TestTextRendersAsWhatItIs(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ts.createClient("vic", "vic@example.com")
		body := func(fullName, email, notes string) string {
			return `{"clientId":"twin","clientMeta":{"fullName":"` + fullName + `","email":"` + email +
				`","phone":"+12125551234","notes":"` + notes + `"},"agentId":"agent_1","twilioPhoneNumber":"+18001234567"}`
		}
		for _, tt := range []struct {
			name, body, field string
		}{
			{"ZeroWidthSpaceInEmail", body("Vic", `vic\u200b@example.com`, ""), "clientMeta.email"},
			{"SoftHyphenInEmail", body("Vic", `v\u00adic@example.com`, ""), "clientMeta.email"},
			{"CyrillicIInEmail", body("Vic", `v\u0456c@example.com`, ""), "clientMeta.email"},
			{"RightToLeftOverrideInName", body(`Admin\u202egnp.exe`, "twin@example.com", ""), "clientMeta.fullName"},
			{"ZeroWidthJoinerInNotes", body("Twin", "twin@example.com", `call\u200dme`), "clientMeta.notes"},
			{"ByteOrderMarkInName", body(`\ufeffVic`, "twin@example.com", ""), "clientMeta.fullName"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ts := ts.with(t)
				res := ts.admin("POST", "/admin/clients", tt.body).wantStatus(400)
				if got := res.get("fields." + tt.field); got == nil || got == "" {
					t.Errorf("the refusal does not name %s: %s", tt.field, res.Body)
				}
				if n := ts.countClients(); n != 1 {
					t.Errorf("%d clients stored after a refusal, want 1", n)
				}
				// The same text is refused in an update too.
				upd := strings.Replace(tt.body, `"clientId":"twin",`, "", 1)
				ts.admin("PUT", "/admin/clients/vic", upd).wantStatus(400)
			})
		}
		res := ts.admin("POST", "/admin/clients", body("Twin", "twin@b\u00fccher.example", "")).wantStatus(201)
		if got := res.str("client.clientMeta.email"); got != "twin@xn--bcher-kva.example" {
			t.Errorf("stored email = %q, want the domain's ASCII form", got)
		}
		if got := ts.admin("GET", "/admin/clients/vic", "").wantStatus(200).str("clientMeta.email"); got != "vic@example.com" {
			t.Errorf("vic's email changed to %q", got)
		}
	})
}

// TestSearchControlCharacters: a NUL (which failed the query on PostgreSQL
// and matched every client on SQLite) or any other control or format
// character in search is a 400 on both databases.
func TestSearchControlCharacters(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ts.createClient("acme_1", "ann@example.com")
		for _, search := range []string{"\x00", "ann\x00", "\x1b[31m", "ann\u200b", "\u202e"} {
			res := ts.admin("GET", "/admin/clients?search="+url.QueryEscape(search), "").wantStatus(400)
			if res.str("fields.search") == "" {
				t.Errorf("search %q: the refusal does not name search: %s", search, res.Body)
			}
		}
		if n := ts.admin("GET", "/admin/clients?search=ann", "").wantStatus(200).get("total"); n != float64(1) {
			t.Errorf("a plain search found %v clients, want 1", n)
		}
	})
}
