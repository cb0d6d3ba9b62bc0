package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/calling"
	"switchboard/internal/switchboard"
)

// TestAccountCalls_OwnOnly: a client's calls pages list and show its own
// calls, never another client's (a 404, as for a call that does not exist),
// nor those of a deleted client whose clientId it now has.
func TestAccountCalls_OwnOnly(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ids := seedCalls(t, s) // Ada's are the even ones, Grace's the odd ones
	var ada, grace []string
	for i, id := range ids {
		if (29-i)%2 == 0 {
			ada = append(ada, id)
		} else {
			grace = append(grace, id)
		}
	}
	secret := s.seed(t, "acme_9", "Nobody Yet", "nobody@example.com", "", switchboard.StatusActive)
	adaSecret := s.svcReset(t, "acme_1")
	b := s.signInClient(t, "acme_1", adaSecret)

	p := b.get("/account/calls").wantStatus(http.StatusOK)
	if got := p.callRows(); !slices.Equal(got, ada) {
		t.Fatalf("Ada's calls page lists %v, want %v", got, ada)
	}
	if p.testid("client-filter").Length() != 0 || p.Doc.Find(`[data-testid="call-client"]`).Length() != 0 {
		t.Error("a client's list filters or shows by client")
	}
	if href, _ := p.testid("call-link").First().Attr("href"); href != "/account/calls/"+ada[0] {
		t.Errorf("a row links to %q", href)
	}
	for _, query := range []string{"clientId=acme_2", "number=%2B12125550100", "status=failed", "outcome=success"} {
		for _, id := range b.get("/account/calls?" + query).wantStatus(http.StatusOK).callRows() {
			if !slices.Contains(ada, id) {
				t.Errorf("?%s lists %s, not Ada's", query, id)
			}
		}
		h := b.htmx(http.MethodGet, "/account/calls?"+query, "call-results", nil).wantStatus(http.StatusOK)
		h.wantFragment("call-results")
		for _, id := range h.callRows() {
			if !slices.Contains(ada, id) {
				t.Errorf("htmx ?%s lists %s, not Ada's", query, id)
			}
		}
	}
	if got := b.get("/account/calls?number=%2B12125550100").callRows(); len(got) != 5 {
		t.Errorf("Ada's calls to +12125550100: %v, want 5", got)
	}

	p = b.get("/account/calls/" + ada[0]).wantStatus(http.StatusOK)
	if got := p.text("call-to"); got == "" || p.testid("call-detail").Length() != 1 {
		t.Error("Ada's own call has no page")
	}
	if p.Doc.Find(`[data-testid="call-facts"] [data-testid="call-client"]`).Length() != 0 {
		t.Error("a client's call page names the client")
	}
	if href, _ := p.Doc.Find(`nav[aria-label="Breadcrumb"] a`).Attr("href"); href != "/account/calls" {
		t.Errorf("breadcrumb to %q", href)
	}
	for _, id := range []string{grace[0], grace[len(grace)-1], callID(999), "call_x", "../console/calls/" + grace[0]} {
		p := b.get("/account/calls/" + id).wantError(http.StatusNotFound)
		if strings.Contains(p.Body, "Grace") || strings.Contains(p.Body, grace[0]) && !strings.Contains(id, grace[0]) {
			t.Errorf("%s: the 404 tells of Grace's call", id)
		}
		b.htmx(http.MethodGet, "/account/calls/"+id, "call-detail", nil).wantError(http.StatusNotFound)
	}
	// A poll of a call not final goes on; Ada's call 28 is queued.
	h := b.htmx(http.MethodGet, "/account/calls/"+callID(28), "call-detail", nil).wantStatus(http.StatusOK)
	if got := h.wantFragment("call-detail").AttrOr("hx-get", ""); got != "/account/calls/"+callID(28) {
		t.Errorf("polls %q", got)
	}

	// Ada's account is deleted and another Ada made with her clientId: it
	// starts with no calls.
	if err := s.store.DeleteClient(context.Background(), "acme_1"); err != nil {
		t.Fatal(err)
	}
	newSecret := s.seed(t, "acme_1", "Ada Again", "ada2@example.com", "", switchboard.StatusActive)
	b = s.signInClient(t, "acme_1", newSecret)
	if got := b.get("/account/calls").wantStatus(http.StatusOK).callRows(); len(got) != 0 {
		t.Errorf("the new acme_1 sees %v", got)
	}
	b.get("/account/calls/" + ada[0]).wantError(http.StatusNotFound)
	if got := textIn(b.get("/account").testid("account-calls"), "stat-total"); got != "0" {
		t.Errorf("the new acme_1's overview counts %s calls", got)
	}

	// Another client with no calls.
	b = s.signInClient(t, "acme_9", secret)
	if got := b.get("/account/calls").text("calls-empty"); !strings.HasPrefix(got, "No calls yet.") {
		t.Errorf("empty: %q", got)
	}
}

// svcReset gives the client a new secret and returns it.
func (s *site) svcReset(t testing.TB, id string) string {
	t.Helper()
	_, secret, err := s.svc.ResetClientSecret(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestAccountCalls_Place: a client places a call from its pages with the
// rules of POST /secure/make-call; it is stored as the client's own.
func TestAccountCalls_Place(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.knowSeeded()
	secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	b := s.signInClient(t, "acme_1", secret)
	p := b.get("/account/calls").wantStatus(http.StatusOK)
	form := p.testid("place-call").Find("form")
	if action, _ := form.Attr("action"); action != "/account/calls" || form.Find(`input[name="phone"]`).Length() != 1 ||
		form.Find(`[data-action="place-call"]`).Length() != 1 {
		t.Fatalf("the form: action %q", action)
	}
	if got := p.text("account-limits"); got != "At most 60 calls an hour, any time." {
		t.Errorf("limits %q", got)
	}

	h := b.htmx(http.MethodPost, "/account/calls", "place-call", placeForm("+12125550100", "")).wantStatus(http.StatusOK)
	h.wantFragment("place-call")
	calls := s.storedCalls(t)
	if len(calls) != 1 || calls[0].ClientID != "acme_1" || calls[0].RequestedBy != "client" || calls[0].To != "+12125550100" {
		t.Fatalf("stored %+v", calls)
	}
	if href, _ := h.testid("placed-call-link").Attr("href"); href != "/account/calls/"+calls[0].ID {
		t.Errorf("confirmation links to %q", href)
	}
	if got := h.Doc.Find("h2#place-call-heading").Length(); got != 1 {
		t.Error("the panel's heading is not an h2 on the account's page")
	}

	p = b.post("/account/calls", placeForm("+12125550101", "")).wantStatus(http.StatusSeeOther)
	if !strings.HasPrefix(p.location(), "/account/calls/call_") {
		t.Errorf("Location %q", p.location())
	}
	if got := b.get(p.location()).wantStatus(http.StatusOK).text("call-to"); got != "+12125550101" {
		t.Errorf("the new call's page: %q", got)
	}

	for _, tt := range []struct {
		form   url.Values
		status int
		field  string
		msg    string
	}{
		{placeForm("", ""), http.StatusUnprocessableEntity, "phone", calling.MsgPhoneRequired},
		{placeForm("12125550100", ""), http.StatusUnprocessableEntity, "phone", calling.MsgPhoneFormat},
	} {
		h := b.htmx(http.MethodPost, "/account/calls", "place-call", tt.form).wantStatus(tt.status)
		if got := h.fieldError(tt.field); got != tt.msg {
			t.Errorf("%v: %q, want %q", tt.form, got, tt.msg)
		}
		p := b.post("/account/calls", tt.form).wantStatus(tt.status)
		if got := p.fieldError(tt.field); got != tt.msg || p.testid("calls-table").Length() != 1 {
			t.Errorf("plain %v: %q, want %q on the calls page", tt.form, got, tt.msg)
		}
	}
	if n := len(s.storedCalls(t)); n != 2 {
		t.Errorf("%d calls stored, want 2", n)
	}
	if got := textIn(b.get("/account").testid("account-calls"), "stat-total"); got != "2" {
		t.Errorf("the overview counts %s calls", got)
	}
}

// TestAccountCalls_DoNotCall: a client's own list, added to and taken from
// on its calls page; another client's list is untouched.
func TestAccountCalls_DoNotCall(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.knowSeeded()
	secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	if err := s.store.AddDoNotCall(context.Background(), "acme_2", "+12125550999", time.Now()); err != nil {
		t.Fatal(err)
	}
	b := s.signInClient(t, "acme_1", secret)
	p := b.get("/account/calls").wantStatus(http.StatusOK)
	if p.testid("dnc-entry").Length() != 0 {
		t.Error("Ada sees another client's do-not-call list")
	}
	h := b.htmx(http.MethodPost, "/account/do-not-call", "do-not-call", url.Values{"phone": {"+12125550100"}}).wantStatus(http.StatusOK)
	if got := h.wantFragment("do-not-call").Find(`[data-testid="dnc-entry"]`).AttrOr("data-phone", ""); got != "+12125550100" {
		t.Errorf("listed %q", got)
	}
	b.post("/account/do-not-call", url.Values{"phone": {"+12125550101"}}).wantStatus(http.StatusSeeOther)
	if got := s.doNotCall(t, "acme_1"); len(got) != 2 {
		t.Errorf("stored %v", got)
	}
	h = b.htmx(http.MethodPost, "/account/do-not-call", "do-not-call", url.Values{"phone": {"nope"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := h.fieldError("phone"); got != calling.MsgPhoneFormat {
		t.Errorf("refused: %q", got)
	}
	// A listed number cannot be called.
	h = b.htmx(http.MethodPost, "/account/calls", "place-call", placeForm("+12125550100", "")).wantStatus(http.StatusForbidden)
	if got := h.fieldError("phone"); got != "This number is on the do-not-call list" {
		t.Errorf("call to a listed number: %q", got)
	}
	// Taking another client's number off one's own list changes nothing of theirs.
	b.post("/account/do-not-call/remove", url.Values{"phone": {"+12125550999"}}).wantStatus(http.StatusSeeOther)
	b.post("/account/do-not-call/remove", url.Values{"phone": {"+12125550100"}}).wantStatus(http.StatusSeeOther)
	if got := s.doNotCall(t, "acme_1"); !slices.Equal(got, []string{"+12125550101"}) {
		t.Errorf("Ada's list %v", got)
	}
	if got := s.doNotCall(t, "acme_2"); !slices.Equal(got, []string{"+12125550999"}) {
		t.Errorf("Grace's list %v", got)
	}
}

// TestAccountCalls_Overview: the overview counts the client's calls.
func TestAccountCalls_Overview(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedCalls(t, s)
	b := s.signInClient(t, "acme_2", s.svcReset(t, "acme_2"))
	card := b.get("/account").wantStatus(http.StatusOK).testid("account-calls")
	// Grace's 15 calls: 5 failed (the odd multiples of 5... 5, 15, 25),
	// the ones ≡ 1 mod 4 completed with success and 42 s.
	for testid, want := range map[string]string{"stat-total": "15", "stat-completed": "6", "stat-success": "6", "stat-average": "17 s"} {
		if got := textIn(card, testid); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	if href := card.Find(`a[href="/account/calls"]`).Length(); href != 1 {
		t.Error("no link to the calls page")
	}
}

// callsCSRFRoute is one of the calls' unsafe routes, with what must not
// change when it is refused and must when it goes through.
type callsCSRFRoute struct {
	name, path string
	form       url.Values
	account    bool // an account route (else the console's)
	changed    func(t *testing.T, s *site) bool
}

func callsCSRFRoutes() []callsCSRFRoute {
	calls := func(t *testing.T, s *site) bool { return len(s.storedCalls(t)) > 0 }
	listed := func(phone string) func(t *testing.T, s *site) bool {
		return func(t *testing.T, s *site) bool { return slices.Contains(s.doNotCall(t, "acme_1"), phone) }
	}
	return []callsCSRFRoute{
		{"ConsolePlaceCall", "/console/clients/acme_1/calls", placeForm("+12125550100", ""), false, calls},
		{"ConsoleSettings", "/console/clients/acme_1/calling", settingsForm("7", false, "", "", ""), false,
			func(t *testing.T, s *site) bool { return s.mustClient(t, "acme_1").Calling.MaxCallsPerHour == 7 }},
		{"ConsoleAddDoNotCall", "/console/clients/acme_1/do-not-call", url.Values{"phone": {"+12125550100"}}, false, listed("+12125550100")},
		{"ConsoleRemoveDoNotCall", "/console/clients/acme_1/do-not-call/remove", url.Values{"phone": {"+12125550199"}}, false,
			func(t *testing.T, s *site) bool { return !listed("+12125550199")(t, s) }},
		{"AccountPlaceCall", "/account/calls", placeForm("+12125550100", ""), true, calls},
		{"AccountAddDoNotCall", "/account/do-not-call", url.Values{"phone": {"+12125550100"}}, true, listed("+12125550100")},
		{"AccountRemoveDoNotCall", "/account/do-not-call/remove", url.Values{"phone": {"+12125550199"}}, true,
			func(t *testing.T, s *site) bool { return !listed("+12125550199")(t, s) }},
	}
}

// TestCalls_CSRFRefused: every unsafe route of the calls pages refuses a
// post without the session's own CSRF token (none, a wrong one, another
// session's, the other area's), with a 403 error page, and nothing
// changes: no call placed or dialled, no setting or list changed. With its
// own token, the same post goes through.
func TestCalls_CSRFRefused(t *testing.T) {
	t.Parallel()
	for _, r := range callsCSRFRoutes() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			s.knowSeeded()
			secret := s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
			graceSecret := s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
			if err := s.store.AddDoNotCall(context.Background(), "acme_1", "+12125550199", time.Now()); err != nil {
				t.Fatal(err)
			}
			// The victim is signed in to both areas; the attacker has
			// sessions of its own in both.
			victim := s.signedIn(t)
			consoleToken := victim.csrf
			victim.signInAccount("acme_1", secret)
			accountToken := victim.csrf
			attacker := s.signedIn(t)
			attackerConsole := attacker.csrf
			attacker.signInAccount("acme_2", graceSecret)
			own, other, otherArea := consoleToken, attackerConsole, accountToken
			if r.account {
				own, other, otherArea = accountToken, attacker.csrf, consoleToken
			}
			for _, a := range []csrfAttack{
				{"NoToken", nil, "", false},
				{"EmptyField", ptr(""), "", false},
				{"WrongField", ptr("0f4a1d2e-0000-4000-8000-000000000000"), "", false},
				{"WrongHeaderHTMX", nil, "not-a-token", true},
				{"OtherSessionsField", ptr(other), "", false},
				{"OtherSessionsHTMX", nil, other, true},
				{"OtherAreasField", ptr(otherArea), "", false},
				{"OtherAreasHTMX", nil, otherArea, true},
			} {
				form := url.Values{}
				for k, v := range r.form {
					form[k] = v
				}
				if a.field != nil {
					form.Set("_csrf", *a.field)
				}
				header := map[string]string{}
				if a.header != "" {
					header["X-CSRF-Token"] = a.header
				}
				if a.htmx {
					header["HX-Request"], header["HX-Target"] = "true", "place-call"
				}
				p := victim.do(http.MethodPost, r.path, form, header)
				if p.Status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403; body:\n%s", a.name, p.Status, p.Body)
					continue
				}
				if got := p.wantError(http.StatusForbidden).testid("error").Find("h1").Text(); got != "This form has expired" {
					t.Errorf("%s: error title %q", a.name, got)
				}
				if r.changed(t, s) {
					t.Fatalf("%s: the refused post changed something", a.name)
				}
			}
			if n := len(s.fake.Calls()); n != 0 {
				t.Errorf("ElevenLabs was asked to call %d times", n)
			}
			// Control: with its own token the post goes through.
			form := url.Values{}
			for k, v := range r.form {
				form[k] = v
			}
			form.Set("_csrf", own)
			if p := victim.do(http.MethodPost, r.path, form, nil); p.Status != http.StatusSeeOther {
				t.Fatalf("control: status %d:\n%s", p.Status, p.Body)
			}
			if !r.changed(t, s) {
				t.Error("control: the post changed nothing")
			}
		})
	}
}
