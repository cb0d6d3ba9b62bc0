package web_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/switchboard"
)

// seedCalls stores Ada (acme_1) and Grace (acme_2) and 30 calls, one a
// minute, alternating between them, to +12125550100 (every third one,
// else +12125550111); Grace's even ones completed with success, the
// multiples of 5 failed. It returns the ids, newest first.
func seedCalls(t *testing.T, s *site) []string {
	t.Helper()
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	base := time.Now().Add(-time.Hour)
	var ids []string
	for i := range 30 {
		id, client, to := callID(i), "acme_1", "+12125550111"
		if i%2 == 1 {
			client = "acme_2"
		}
		if i%3 == 0 {
			to = "+12125550100"
		}
		s.storeCall(t, id, client, to, base.Add(time.Duration(i)*time.Minute))
		switch {
		case i%5 == 0:
			s.endCall(t, id, switchboard.CallResult{Status: switchboard.CallFailed, Error: "busy"})
		case client == "acme_2" && i%4 == 1:
			s.endCall(t, id, completed(switchboard.OutcomeSuccess, 42))
		}
		ids = append([]string{id}, ids...)
	}
	return ids
}

// TestConsoleCalls_List: every call of every client, newest first, 25 to a
// page, each row with its client, number, status, outcome, duration and
// time, the number linking to the call's page; the pager walks older and
// back newer.
func TestConsoleCalls_List(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	p := b.get("/console/calls").wantStatus(http.StatusOK)
	if got := p.text("calls-empty"); !strings.HasPrefix(got, "No calls yet.") {
		t.Errorf("empty list says %q", got)
	}

	ids := seedCalls(t, s)
	p = b.get("/console/calls").wantStatus(http.StatusOK)
	if got := p.callRows(); !slices.Equal(got, ids[:25]) {
		t.Fatalf("first page = %v, want %v", got, ids[:25])
	}
	if p.testid("newer-page").Length() != 0 {
		t.Error("the first page links to newer calls")
	}
	// call 25 of Grace's (25 = 5·5: failed); call 27 Grace's, queued.
	row := p.Doc.Find(`[data-call-id="` + callID(25) + `"]`)
	for testid, want := range map[string]string{
		"call-link": "+12125550111", "call-status": "failed", "call-outcome": "—", "call-duration": "0 s",
	} {
		if got := textIn(row, testid); got != want {
			t.Errorf("row of call 25: %s = %q, want %q", testid, got, want)
		}
	}
	if got := strings.Join(strings.Fields(textIn(row, "call-client")), " "); got != "Grace Hopper acme_2" {
		t.Errorf("row of call 25: client %q", got)
	}
	if href, _ := row.Find(`[data-testid="call-link"]`).Attr("href"); href != "/console/calls/"+callID(25) {
		t.Errorf("row of call 25 links to %q", href)
	}
	row = p.Doc.Find(`[data-call-id="` + callID(27) + `"]`)
	if got, want := textIn(row, "call-status")+"|"+textIn(row, "call-duration"), "queued|—"; got != want {
		t.Errorf("row of call 27: %q, want %q", got, want)
	}
	row = p.Doc.Find(`[data-call-id="` + callID(21) + `"]`)
	if got, want := textIn(row, "call-outcome")+"|"+textIn(row, "call-duration"), "Success|42 s"; got != want {
		t.Errorf("row of call 21: %q, want %q", got, want)
	}

	older, _ := p.testid("older-page").Attr("href")
	p = b.get(older).wantStatus(http.StatusOK)
	if got := p.callRows(); !slices.Equal(got, ids[25:]) {
		t.Fatalf("older page = %v, want %v", got, ids[25:])
	}
	if p.testid("older-page").Length() != 0 {
		t.Error("the last page links to older calls")
	}
	newer, _ := p.testid("newer-page").Attr("href")
	if got := b.get(newer).wantStatus(http.StatusOK).callRows(); !slices.Equal(got, ids[:25]) {
		t.Errorf("back newer = %v, want %v", got, ids[:25])
	}
	p = b.get("/console/calls?after=not-a-cursor").wantStatus(http.StatusOK)
	if got := p.text("form-error"); got != "That page link is broken; showing the first page." {
		t.Errorf("broken cursor: %q", got)
	}
	if got := p.callRows(); !slices.Equal(got, ids[:25]) {
		t.Errorf("broken cursor shows %v", got)
	}
}

// TestConsoleCalls_Filters: by status, outcome, client and the number
// called (typed as people type it), alone and together; a filter that
// cannot be applied is said and dropped. htmx's live filter gets the
// results alone, with the canonical address to push.
func TestConsoleCalls_Filters(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	ids := seedCalls(t, s)
	pick := func(keep func(i int) bool) []string {
		var out []string
		for _, id := range ids {
			n, _ := strconv.ParseInt(strings.TrimPrefix(id, "call_"), 16, 64)
			if keep(int(n)) {
				out = append(out, id)
			}
		}
		return out
	}
	success := func(i int) bool { return i%2 == 1 && i%4 == 1 && i%5 != 0 }
	for _, tt := range []struct {
		query   string
		want    []string
		problem string
		input   map[string]string // the filter's inputs as the page fills them
	}{
		{"status=failed", pick(func(i int) bool { return i%5 == 0 }), "", map[string]string{"status": "failed"}},
		{"outcome=success", pick(success), "", map[string]string{"outcome": "success"}},
		{"clientId=acme_2&status=completed", pick(success), "", map[string]string{"clientId": "acme_2"}},
		{"clientId=acme_1", pick(func(i int) bool { return i%2 == 0 }), "", nil},
		{"number=" + url.QueryEscape("1 (212) 555-0100"), pick(func(i int) bool { return i%3 == 0 }), "", map[string]string{"number": "+12125550100"}},
		{"number=%2B12125550100&outcome=success", pick(func(i int) bool { return i%3 == 0 && success(i) }), "", nil},
		{"number=%2B1212", nil, "", nil},
		{"clientId=nobody", nil, "", nil},
		{"status=ringing", ids[:25], "Status must be one of queued, initiated, in-progress, completed, failed.", map[string]string{"status": ""}},
		{"outcome=great", ids[:25], "Outcome must be one of success, failure, unknown.", nil},
		{"number=call+me", ids[:25], "A number holds digits, with a + in front; spaces, dashes, dots and brackets are left out.", map[string]string{"number": ""}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			p := b.get("/console/calls?" + tt.query).wantStatus(http.StatusOK)
			if got := p.callRows(); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
			if tt.problem != "" {
				if got := p.text("form-error"); got != tt.problem {
					t.Errorf("problem = %q, want %q", got, tt.problem)
				}
			} else if p.testid("form-error").Length() != 0 {
				t.Errorf("a problem: %q", p.text("form-error"))
			}
			if len(tt.want) == 0 {
				if got := p.text("calls-empty"); !strings.HasPrefix(got, "No calls match this filter.") {
					t.Errorf("empty state %q", got)
				}
			}
			for name, want := range tt.input {
				sel := p.testid("call-filter").Find(`[name="` + name + `"]`)
				got, _ := sel.Attr("value")
				if sel.Is("select") {
					got, _ = sel.Find("option[selected]").Attr("value")
				}
				if got != want {
					t.Errorf("filter input %s = %q, want %q", name, got, want)
				}
			}

			h := b.htmx(http.MethodGet, "/console/calls?"+tt.query, "call-results", nil).wantStatus(http.StatusOK)
			h.wantFragment("call-results")
			if got := h.callRows(); !slices.Equal(got, tt.want) {
				t.Errorf("htmx rows = %v, want %v", got, tt.want)
			}
		})
	}
	h := b.htmx(http.MethodGet, "/console/calls?number="+url.QueryEscape("1 212 555 0100")+"&status=ringing&clientId=", "call-results", nil)
	if got, want := h.Header.Get("HX-Push-Url"), "/console/calls?number=%2B12125550100"; got != want {
		t.Errorf("HX-Push-Url = %q, want %q", got, want)
	}
	// The pager keeps the filter.
	p := b.get("/console/calls?clientId=acme_1&number=%2B12125550111")
	if p.testid("older-page").Length() != 0 {
		t.Fatal("one page of Ada's calls to +12125550111 has an older page")
	}
	two := seedMore(t, s, 30)
	p = b.get("/console/calls?clientId=acme_3").wantStatus(http.StatusOK)
	older, _ := p.testid("older-page").Attr("href")
	if u, _ := url.Parse(older); u.Query().Get("clientId") != "acme_3" || u.Query().Get("after") == "" {
		t.Errorf("older page link %q loses the filter", older)
	}
	if got := b.get(older).callRows(); !slices.Equal(got, two[25:]) {
		t.Errorf("older page of acme_3 = %v", got)
	}
}

// seedMore stores acme_3 with n calls and returns them, newest first.
func seedMore(t *testing.T, s *site, n int) []string {
	t.Helper()
	s.seed(t, "acme_3", "Alan Turing", "alan@example.com", "Bombes", switchboard.StatusActive)
	var ids []string
	for i := range n {
		id := callID(1000 + i)
		s.storeCall(t, id, "acme_3", "+12125550199", time.Now().Add(time.Duration(i)*time.Second))
		ids = append([]string{id}, ids...)
	}
	return ids
}

// TestConsoleCalls_CallPage: the call's facts, summary, termination
// reason and transcript as a conversation, its text escaped; a call not
// final asks for itself every 2 seconds, a final one does not; htmx's
// poll gets the detail alone; a deleted client's call is still there; an
// unknown or malformed id is a 404 page.
func TestConsoleCalls_CallPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	id := callID(1)
	s.storeCall(t, id, "acme_1", "+12125550100", time.Now())

	path := "/console/calls/" + id
	p := b.get(path).wantStatus(http.StatusOK)
	detail := p.testid("call-detail")
	if trigger, _ := detail.Attr("hx-trigger"); trigger != "every 2s" {
		t.Errorf("queued call: hx-trigger %q, want every 2s", trigger)
	}
	if get, _ := detail.Attr("hx-get"); get != path {
		t.Errorf("queued call polls %q, want %q", get, path)
	}
	if got := p.text("call-status"); got != "queued" {
		t.Errorf("status %q", got)
	}
	if p.testid("simulated-badge").Length() != 0 {
		t.Error("a real call is marked simulated")
	}
	h := b.htmx(http.MethodGet, path, "call-detail", nil).wantStatus(http.StatusOK)
	if trigger, _ := h.wantFragment("call-detail").Attr("hx-trigger"); trigger != "every 2s" {
		t.Errorf("polled fragment of a queued call: hx-trigger %q", trigger)
	}

	script := "<script>alert('turn')</script>"
	s.endCall(t, id, completed(switchboard.OutcomeFailure, 75,
		switchboard.TranscriptTurn{Role: "agent", Message: "Hello, this is " + script, TimeInCallSecs: 0},
		switchboard.TranscriptTurn{Role: "user", Message: "Who <b>is</b> it?\nSay again.", TimeInCallSecs: 65},
	))
	h = b.htmx(http.MethodGet, path, "call-detail", nil).wantStatus(http.StatusOK)
	if _, ok := h.wantFragment("call-detail").Attr("hx-trigger"); ok {
		t.Error("the final call's fragment still polls")
	}
	if got := h.text("call-status"); got != "completed" {
		t.Errorf("polled status %q", got)
	}
	p = b.get(path).wantStatus(http.StatusOK)
	if _, ok := p.testid("call-detail").Attr("hx-trigger"); ok {
		t.Error("the final call's page still polls")
	}
	for testid, want := range map[string]string{
		"call-to": "+12125550100", "call-summary": "They talked.", "call-termination": "How it ended: Call ended by remote party",
		"fact-outcome": "Failure", "fact-duration": "1 min 15 s", "fact-from": seededNumber, "fact-agent": seededAgent,
		"fact-requested-by": "The client", "fact-call-id": id, "fact-conversation-id": "conv_" + id,
	} {
		if got := p.text(testid); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	if got := strings.Join(strings.Fields(p.text("call-client")), " "); got != "Ada Lovelace acme_1" {
		t.Errorf("client %q", got)
	}
	turns := p.testid("turn")
	if turns.Length() != 2 {
		t.Fatalf("%d turns, want 2", turns.Length())
	}
	for i, want := range []struct{ role, label, time, message string }{
		{"agent", "Agent", "0:00", "Hello, this is " + script},
		{"user", "Caller", "1:05", "Who <b>is</b> it?\nSay again."},
	} {
		turn := turns.Eq(i)
		role, _ := turn.Attr("data-role")
		if got := [4]string{role, textIn(turn, "turn-role"), textIn(turn, "turn-time"), turn.Find(`[data-testid="turn-message"]`).Text()}; got != [4]string{want.role, want.label, want.time, want.message} {
			t.Errorf("turn %d = %q, want %+v", i, got, want)
		}
	}
	if n := p.Doc.Find("body script").Length(); n != 0 || p.Doc.Find("#main b").Length() != 0 {
		t.Errorf("the transcript's markup became elements (%d scripts)", n)
	}
	if !strings.Contains(p.Body, "&lt;script&gt;") {
		t.Error("the transcript's <script> is not escaped in the HTML")
	}

	// A failed call says why, with no transcript.
	failed := callID(2)
	s.storeCall(t, failed, "acme_1", "+12125550100", time.Now())
	s.endCall(t, failed, switchboard.CallResult{Status: switchboard.CallFailed, Error: "no-answer"})
	p = b.get("/console/calls/" + failed).wantStatus(http.StatusOK)
	if got := p.text("call-error"); got != "Why it failed: no-answer" {
		t.Errorf("call-error %q", got)
	}
	if got := p.text("transcript-empty"); !strings.HasPrefix(got, "This call has no transcript") {
		t.Errorf("transcript-empty %q", got)
	}

	// Deleting the client keeps its calls for the console.
	if err := s.store.DeleteClient(context.Background(), "acme_1"); err != nil {
		t.Fatal(err)
	}
	if got := b.get(path).wantStatus(http.StatusOK).text("call-client"); !strings.HasPrefix(got, "Ada Lovelace") {
		t.Errorf("deleted client's call: client %q", got)
	}

	for _, bad := range []string{callID(99), "call_123", "nope", url.PathEscape("call_<b>")} {
		p := b.get("/console/calls/" + bad).wantError(http.StatusNotFound)
		if got := p.testid("error").Find("h1").Text(); got != "Call not found" {
			t.Errorf("%s: error %q", bad, got)
		}
	}
}

// TestConsoleCalls_Simulated: a simulated call says so on its page and the
// lists say calls are simulated.
func TestConsoleCalls_Simulated(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	c := &switchboard.Call{ID: callID(1), ClientID: "acme_1", To: "+12125550100", From: seededNumber, AgentID: seededAgent,
		RequestedBy: "admin:admin", Simulated: true}
	if err := s.store.CreateCall(context.Background(), c, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	p := b.get("/console/calls/" + c.ID).wantStatus(http.StatusOK)
	if got := p.text("simulated-badge"); got != "Simulated" {
		t.Errorf("badge %q", got)
	}
	if got := p.text("fact-requested-by"); got != "admin (administrator)" {
		t.Errorf("requested by %q", got)
	}
	if b.get("/console/calls").testid("simulated-note").Length() != 0 {
		t.Error("the list says calls are simulated while they go to ElevenLabs")
	}
	s.calling.Simulated = true
	if got := b.get("/console/calls").text("simulated-note"); !strings.Contains(got, "SIMULATE_CALLS=1") {
		t.Errorf("simulated note %q", got)
	}
}

// placeForm is the "Place a call" form as a browser fills it.
func placeForm(phone, first string) url.Values {
	return url.Values{"phone": {phone}, "firstMessage": {first}}
}

// TestConsoleCalls_PlaceCall: the client page's "Place a call" places the
// call through ElevenLabs with the client's agent and number, as the
// administrator: htmx gets the confirmation linking to the new call's page,
// a plain form is sent to that page.
func TestConsoleCalls_PlaceCall(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.knowSeeded()
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)

	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	form := p.testid("place-call").Find("form")
	if action, _ := form.Attr("action"); action != "/console/clients/acme_1/calls" {
		t.Errorf("form posts to %q", action)
	}
	if form.Find(`input[name="phone"]`).Length() != 1 || form.Find(`[data-action="place-call"]`).Length() != 1 {
		t.Fatal("no phone input or place-call button")
	}
	if form.Find(`input[name="_csrf"]`).Length() != 1 {
		t.Error("the form carries no CSRF token")
	}
	if _, off := form.Find("fieldset").Attr("disabled"); off {
		t.Error("the form is disabled")
	}

	h := b.htmx(http.MethodPost, "/console/clients/acme_1/calls", "place-call", placeForm(" +12125550100 ", "Hi <b>there</b>")).wantStatus(http.StatusOK)
	h.wantFragment("place-call")
	calls := s.storedCalls(t)
	if len(calls) != 1 {
		t.Fatalf("%d calls stored, want 1", len(calls))
	}
	c := calls[0]
	if c.ClientID != "acme_1" || c.To != "+12125550100" || c.From != seededNumber || c.AgentID != seededAgent ||
		c.RequestedBy != "admin:admin" || c.FirstMessage != "Hi <b>there</b>" || c.Status != switchboard.CallInitiated || c.Simulated {
		t.Errorf("stored call %+v", c)
	}
	if href, _ := h.testid("placed-call-link").Attr("href"); href != "/console/calls/"+c.ID {
		t.Errorf("confirmation links to %q, want the call's page", href)
	}
	if got := h.inputValue("phone"); got != "" {
		t.Errorf("the form keeps %q after the call", got)
	}
	sent := s.fake.Calls()
	if len(sent) != 1 || sent[0].Call.AgentID != seededAgent || sent[0].Call.AgentPhoneNumberID != seededNumberID ||
		sent[0].Call.ToNumber != "+12125550100" || sent[0].APIKey != elevenlabstest.DefaultKey {
		t.Errorf("ElevenLabs was asked %+v", sent)
	}

	p = b.post("/console/clients/acme_1/calls", placeForm("+12125550101", "")).wantStatus(http.StatusSeeOther)
	calls = s.storedCalls(t)
	i := slices.IndexFunc(calls, func(c *switchboard.Call) bool { return c.To == "+12125550101" })
	if len(calls) != 2 || i < 0 || p.location() != "/console/calls/"+calls[i].ID {
		t.Fatalf("plain form: Location %q, calls %d", p.location(), len(calls))
	}
	if got := b.get(p.location()).wantStatus(http.StatusOK).text("flash"); got != "Call to +12125550101 placed." {
		t.Errorf("flash %q", got)
	}
	p = b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	if got := p.testid("client-calls").Find(`[data-testid="call-row"]`).Length(); got != 2 {
		t.Errorf("the client's page lists %d calls, want 2", got)
	}
	if got := textIn(p.testid("call-stats"), "stat-total"); got != "2" {
		t.Errorf("stats: %q calls", got)
	}
}

// TestConsoleCalls_PlaceCallRefused: the same rules as the API, each
// refusal shown next to its field or above the form with what it means;
// nothing is stored or dialled, but for a refusal by ElevenLabs (the call
// is recorded, failed).
func TestConsoleCalls_PlaceCallRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		setup   func(t *testing.T, s *site)
		form    url.Values
		status  int
		field   string // the field the problem is next to; "" for the form's
		problem string
		details string
		stored  int
	}{
		{"NoPhone", nil, placeForm("", ""), http.StatusUnprocessableEntity, "phone", calling.MsgPhoneRequired, "", 0},
		{"BadPhone", nil, placeForm("555-0100", ""), http.StatusUnprocessableEntity, "phone", calling.MsgPhoneFormat, "", 0},
		{"ControlInFirstMessage", nil, placeForm("+12125550100", "hi\x00"), http.StatusUnprocessableEntity, "firstMessage", "", "", 0},
		{"DoNotCall", func(t *testing.T, s *site) {
			s.store.AddDoNotCall(context.Background(), "acme_1", "+12125550100", time.Now())
		}, placeForm("+12125550100", ""), http.StatusForbidden, "phone", "This number is on the do-not-call list", "", 0},
		{"Suspended", func(t *testing.T, s *site) {
			st := switchboard.StatusSuspended
			s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Status: &st})
		}, placeForm("+12125550100", ""), http.StatusForbidden, "", "Client is not active (status: Suspended)", "", 0},
		{"OutsideHours", func(t *testing.T, s *site) {
			s.calling.Now = func() time.Time { return time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC) } // a Saturday
			s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Calling: &switchboard.CallingSettings{
				Hours: &switchboard.CallingHours{Timezone: "UTC", Start: "09:00", End: "17:00", Days: []string{"Mon", "Tue"}}}})
		}, placeForm("+12125550100", ""), http.StatusForbidden, "", calling.MsgOutsideHours, "Calls may be placed Mon, Tue 09:00–17:00 (UTC)", 0},
		{"HourlyLimit", func(t *testing.T, s *site) {
			s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{Calling: &switchboard.CallingSettings{MaxCallsPerHour: 1}})
			s.storeCall(t, callID(7), "acme_1", "+12125550111", time.Now())
		}, placeForm("+12125550100", ""), http.StatusTooManyRequests, "", "Hourly call limit reached", "This client may place at most 1 call per hour. Try again in 60 minutes.", 1},
		{"NumberNotImported", func(t *testing.T, s *site) {
			s.store.UpdateClient(context.Background(), "acme_1", switchboard.ClientUpdate{TwilioPhoneNumber: ptr("+14155550999")})
		}, placeForm("+12125550100", ""), http.StatusConflict, "", calling.MsgNumberNotSetUp, "+14155550999 is not among the phone numbers imported into ElevenLabs", 0},
		{"ElevenLabsRefuses", func(t *testing.T, s *site) {
			s.fake.FailCalls(2, elevenlabstest.Failure{Status: http.StatusOK, Message: "Twilio says the number is unreachable"})
		}, placeForm("+12125550100", ""), http.StatusBadGateway, "", calling.MsgInitiationFailed, "Twilio says the number is unreachable", 2},
		{"CallingOff", func(t *testing.T, s *site) { s.calling.Dialer = nil },
			placeForm("+12125550100", ""), http.StatusServiceUnavailable, "", "Calling is not configured", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, nil)
			s.knowSeeded()
			b := s.signedIn(t)
			s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
			if tt.setup != nil {
				tt.setup(t, s)
			}
			b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
			dialled := len(s.fake.Calls())
			for _, htmx := range []bool{true, false} {
				var p *page
				if htmx {
					p = b.htmx(http.MethodPost, "/console/clients/acme_1/calls", "place-call", tt.form).wantStatus(tt.status)
					p.wantFragment("place-call")
				} else {
					p = b.post("/console/clients/acme_1/calls", tt.form).wantStatus(tt.status)
					if p.text("client-title") != "Ada Lovelace" {
						t.Error("a plain form's refusal is not the client's page")
					}
				}
				if tt.field != "" {
					if got := p.fieldError(tt.field); got == "" || (tt.problem != "" && got != tt.problem) {
						t.Errorf("htmx %v: %s error %q, want %q", htmx, tt.field, got, tt.problem)
					}
				} else {
					if got := p.testid("form-error").Find("p").First().Text(); got != tt.problem {
						t.Errorf("htmx %v: problem %q, want %q", htmx, got, tt.problem)
					}
					if got := strings.TrimSpace(p.testid("form-error-details").Text()); got != tt.details {
						t.Errorf("htmx %v: details %q, want %q", htmx, got, tt.details)
					}
				}
				if got := p.testid("place-call").Find(`[name="phone"]`).AttrOr("value", ""); got != tt.form.Get("phone") {
					t.Errorf("htmx %v: the phone input holds %q, want what was typed", htmx, got)
				}
				if p.testid("call-placed").Length() != 0 {
					t.Errorf("htmx %v: a refusal confirms a call", htmx)
				}
				if got := p.Header.Get("Retry-After"); (got != "") != (tt.status == http.StatusTooManyRequests) {
					t.Errorf("htmx %v: Retry-After %q", htmx, got)
				}
			}
			if n := len(s.storedCalls(t)); n != tt.stored {
				t.Errorf("%d calls stored, want %d", n, tt.stored)
			}
			for _, c := range s.storedCalls(t) {
				if c.To == tt.form.Get("phone") && c.Status != switchboard.CallFailed {
					t.Errorf("a refused call was stored %s", c.Status)
				}
			}
			if tt.status != http.StatusBadGateway {
				if n := len(s.fake.Calls()) - dialled; n != 0 {
					t.Errorf("ElevenLabs was asked to call %d times", n)
				}
			}
		})
	}
}

// TestConsoleCalls_PlaceCallOff: when calling is off, or the client is not
// Active, the form says why and is disabled.
func TestConsoleCalls_PlaceCallOff(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusInactive)
	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	if got := p.text("place-call-off"); got != "Ada Lovelace is Inactive: only an Active client's calls can be placed." {
		t.Errorf("off: %q", got)
	}
	if _, off := p.testid("place-call").Find("fieldset").Attr("disabled"); !off {
		t.Error("the form is not disabled")
	}
	s.calling.Dialer = nil
	p = b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	if got := p.text("place-call-off"); !strings.HasPrefix(got, "Calling is off on this server") {
		t.Errorf("off: %q", got)
	}
	if got := p.text("check-off"); !strings.HasPrefix(got, "Calling is off on this server") {
		t.Errorf("check: %q", got)
	}
}

// settingsForm is the calling settings form as a browser fills it.
func settingsForm(limit string, hours bool, tz, start, end string, days ...string) url.Values {
	f := url.Values{"calling.maxCallsPerHour": {limit}, "calling.hours.timezone": {tz},
		"calling.hours.start": {start}, "calling.hours.end": {end}, "calling.hours.days": days}
	if hours {
		f.Set("calling.hours.limited", "on")
	}
	return f
}

// TestConsoleCalls_CallingSettings: the hourly limit and the calling hours
// are saved whole, as PUT /admin/clients/:id's "calling" saves them, and
// refused with the problem next to the field.
func TestConsoleCalls_CallingSettings(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	p := b.get("/console/clients/acme_1").wantStatus(http.StatusOK)
	panel := p.testid("calling-settings")
	if got := panel.Find(`[name="calling.hours.limited"]`).AttrOr("checked", "none"); got != "none" {
		t.Error("hours are ticked for a client that may call any time")
	}
	const path = "/console/clients/acme_1/calling"

	h := b.htmx(http.MethodPost, path, "calling-settings", settingsForm("5", true, "Europe/Lisbon", "08:30", "18:00", "Mon", "Wed", "Sat")).wantStatus(http.StatusOK)
	h.wantFragment("calling-settings")
	want := switchboard.CallingSettings{MaxCallsPerHour: 5,
		Hours: &switchboard.CallingHours{Timezone: "Europe/Lisbon", Start: "08:30", End: "18:00", Days: []string{"Mon", "Wed", "Sat"}}}
	if got := s.mustClient(t, "acme_1").Calling; !got.Equal(want) {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	if got := h.text("form-done"); got != "Calling settings saved: at most 5 calls an hour, Mon, Wed, Sat 08:30–18:00 (Europe/Lisbon)." {
		t.Errorf("done: %q", got)
	}
	if got := h.inputValue("calling.hours.timezone"); got != "Europe/Lisbon" {
		t.Errorf("the form shows %q", got)
	}
	if got := h.Doc.Find(`[name="calling.hours.days"][checked]`).Length(); got != 3 {
		t.Errorf("%d days ticked, want 3", got)
	}

	p = b.post(path, settingsForm("", false, "Europe/Lisbon", "08:30", "18:00", "Mon")).wantStatus(http.StatusSeeOther)
	if p.location() != "/console/clients/acme_1" {
		t.Errorf("Location %q", p.location())
	}
	if got := s.mustClient(t, "acme_1").Calling; got.MaxCallsPerHour != 0 || got.Hours != nil {
		t.Errorf("any time, default limit: stored %+v", got)
	}
	if got := b.get("/console/clients/acme_1").text("flash"); got != "Calling settings saved: at most 60 calls an hour, any time." {
		t.Errorf("flash %q", got)
	}

	for _, tt := range []struct {
		name   string
		form   url.Values
		errors map[string]string
	}{
		{"NotANumber", settingsForm("lots", false, "", "", ""), map[string]string{"calling.maxCallsPerHour": "Calls per hour must be a whole number"}},
		{"Zero", settingsForm("0", false, "", "", ""), map[string]string{"calling.maxCallsPerHour": "Calls per hour must be from 1 to 1000"}},
		{"TooMany", settingsForm("1001", false, "", "", ""), map[string]string{"calling.maxCallsPerHour": "Calls per hour must be from 1 to 1000"}},
		{"BadHours", settingsForm("10", true, "Mars/Olympus", "9am", "08:00"), map[string]string{
			"calling.hours.timezone": "Time zone must be an IANA time zone such as America/New_York",
			"calling.hours.start":    "From must be a time of day such as 09:00",
			"calling.hours.days":     "Days must list days from Mon to Sun, each once, in week order",
		}},
		{"EndBeforeStart", settingsForm("", true, "UTC", "10:00", "09:00", "Fri"), map[string]string{
			"calling.hours.end": "Until must be after From",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.mustClient(t, "acme_1").Calling
			for _, htmx := range []bool{true, false} {
				var p *page
				if htmx {
					p = b.htmx(http.MethodPost, path, "calling-settings", tt.form).wantStatus(http.StatusUnprocessableEntity)
					p.wantFragment("calling-settings")
				} else {
					p = b.post(path, tt.form).wantStatus(http.StatusUnprocessableEntity)
				}
				for field, want := range tt.errors {
					if got := p.fieldError(field); got != want {
						t.Errorf("htmx %v: %s error %q, want %q", htmx, field, got, want)
					}
				}
				if got := p.testid("field-error").Length(); got != len(tt.errors) {
					t.Errorf("htmx %v: %d field errors, want %d", htmx, got, len(tt.errors))
				}
				if got := p.inputValue("calling.maxCallsPerHour"); got != tt.form.Get("calling.maxCallsPerHour") {
					t.Errorf("htmx %v: the limit input holds %q", htmx, got)
				}
			}
			if after := s.mustClient(t, "acme_1").Calling; !after.Equal(before) {
				t.Errorf("refused settings were stored: %+v", after)
			}
		})
	}
	b.post("/console/clients/nobody/calling", settingsForm("5", false, "", "", "")).wantError(http.StatusNotFound)
}

// TestConsoleCalls_DoNotCall: numbers added to and removed from a
// client's list, refused when not E.164.
func TestConsoleCalls_DoNotCall(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	s.seed(t, "acme_2", "Grace Hopper", "grace@example.com", "Compilers", switchboard.StatusActive)
	if got := b.get("/console/clients/acme_1").text("dnc-empty"); !strings.HasPrefix(got, "No numbers.") {
		t.Errorf("empty list: %q", got)
	}
	const path = "/console/clients/acme_1/do-not-call"
	h := b.htmx(http.MethodPost, path, "do-not-call", url.Values{"phone": {"+12125550100"}}).wantStatus(http.StatusOK)
	h.wantFragment("do-not-call")
	if got := h.text("form-done"); got != "+12125550100 is on the list: calls to it are refused." {
		t.Errorf("done %q", got)
	}
	if got := h.testid("dnc-entry").AttrOr("data-phone", ""); got != "+12125550100" {
		t.Errorf("listed %q", got)
	}
	p := b.post(path, url.Values{"phone": {"+12125550111"}}).wantStatus(http.StatusSeeOther)
	if p.location() != "/console/clients/acme_1" {
		t.Errorf("Location %q", p.location())
	}
	if got := s.doNotCall(t, "acme_1"); len(got) != 2 {
		t.Errorf("stored %v", got)
	}
	if got := s.doNotCall(t, "acme_2"); len(got) != 0 {
		t.Errorf("another client's list changed: %v", got)
	}
	for phone, want := range map[string]string{"": "Enter the number to add.", "212 555": calling.MsgPhoneFormat} {
		h := b.htmx(http.MethodPost, path, "do-not-call", url.Values{"phone": {phone}}).wantStatus(http.StatusUnprocessableEntity)
		if got := h.fieldError("phone"); got != want {
			t.Errorf("%q: error %q, want %q", phone, got, want)
		}
		b.post(path, url.Values{"phone": {phone}}).wantStatus(http.StatusUnprocessableEntity)
	}
	h = b.htmx(http.MethodPost, path+"/remove", "do-not-call", url.Values{"phone": {"+12125550100"}}).wantStatus(http.StatusOK)
	if got := h.text("form-done"); got != "+12125550100 is off the list: calls may reach it again." {
		t.Errorf("removed: %q", got)
	}
	if got := s.doNotCall(t, "acme_1"); !slices.Equal(got, []string{"+12125550111"}) {
		t.Errorf("after removal %v", got)
	}
	p = b.get("/console/clients/acme_1")
	if got := p.testid("dnc-entry").Find(`[data-action="remove-dnc"]`).AttrOr("aria-label", ""); got != "Remove +12125550111" {
		t.Errorf("remove button label %q", got)
	}
	b.post(path+"/remove", url.Values{"phone": {"+12125550111"}}).wantStatus(http.StatusSeeOther)
	b.post(path+"/remove", url.Values{"phone": {"nope"}}).wantError(http.StatusBadRequest)
	b.post("/console/clients/nobody/do-not-call", url.Values{"phone": {"+12125550100"}}).wantError(http.StatusNotFound)
	if got := s.doNotCall(t, "acme_1"); len(got) != 0 {
		t.Errorf("left %v", got)
	}
}

// TestConsoleCalls_CallingCheck: the client page asks for the check once
// loaded; the check says whether ElevenLabs knows the agent (by name) and
// the number, and why not.
func TestConsoleCalls_CallingCheck(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	const path = "/console/clients/acme_1/calling-check"
	panel := b.get("/console/clients/acme_1").testid("calling-check")
	if panel.AttrOr("hx-trigger", "") != "load" || panel.AttrOr("hx-get", "") != path {
		t.Errorf("the page does not load the check: hx-trigger %q, hx-get %q", panel.AttrOr("hx-trigger", ""), panel.AttrOr("hx-get", ""))
	}

	check := func(what string) *page {
		t.Helper()
		h := b.htmx(http.MethodGet, path, "calling-check", nil).wantStatus(http.StatusOK)
		if _, ok := h.wantFragment("calling-check").Attr("hx-trigger"); ok {
			t.Errorf("%s: the checked panel checks again by itself", what)
		}
		return h
	}
	h := check("unknown")
	for testid, want := range map[string]string{"check-agent": "false", "check-number": "false"} {
		if got := h.testid(testid).AttrOr("data-ok", ""); got != want {
			t.Errorf("unknown: %s ok = %q", testid, got)
		}
	}
	if got := strings.Join(strings.Fields(h.text("check-number")), " "); !strings.HasSuffix(got, "Problem: +14155550100 is not imported into ElevenLabs.") {
		t.Errorf("number: %q", got)
	}

	s.knowSeeded()
	h = check("known")
	if got := h.testid("calling-check").AttrOr("data-ready", ""); got != "true" {
		t.Errorf("ready = %q", got)
	}
	if got := strings.Join(strings.Fields(h.text("check-agent")), " "); !strings.HasSuffix(got, "OK: Agent agent_1 found: "+seededAgentName+".") {
		t.Errorf("agent: %q", got)
	}
	if h.testid("check-assigned").AttrOr("data-ok", "") != "true" {
		t.Error("the number is not said to be assigned")
	}
	if h.Doc.Find(`[data-action="check-again"]`).Length() != 1 {
		t.Error("no Check again button")
	}

	s.fake.FailGets(10, elevenlabstest.Failure{Status: http.StatusServiceUnavailable, Message: "down"})
	if got := check("down").text("check-unverified"); !strings.HasPrefix(got, "Not verified: ElevenLabs could not be asked") {
		t.Errorf("down: %q", got)
	}
	// Without JavaScript the check is a page.
	p := b.get(path).wantStatus(http.StatusOK)
	if p.testid("calling-check").Length() != 1 || p.Doc.Find("h1").Text() != "Calling check" {
		t.Errorf("the check as a page:\n%s", p.Body)
	}
	b.get("/console/clients/nobody/calling-check").wantError(http.StatusNotFound)
}

// TestConsoleCalls_Dashboard: calls in the last 24 hours and in total, by
// status, and the chart of the last 30 days by outcome: an SVG with a title
// and a bar for each day and outcome, its numbers in a table.
func TestConsoleCalls_Dashboard(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)
	p := b.get("/console").wantStatus(http.StatusOK)
	if got := p.text("calls-empty"); !strings.HasPrefix(got, "No calls yet.") {
		t.Errorf("no calls: %q", got)
	}
	if n := p.testid("calls-chart-svg").Find("rect").Length(); n != 0 {
		t.Errorf("%d bars with no calls", n)
	}

	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	// Today's calls a few seconds after midnight (UTC), yesterday's a
	// second before: the day they count under does not depend on the time
	// the test runs, and every one but the oldest is in the last 24 hours
	// (but in the day's last second).
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	today := midnight.Format("2006-01-02")
	yesterday := midnight.Add(-time.Second).Format("2006-01-02")
	for i, c := range []struct {
		at      time.Time
		outcome string // "-" for none: failed
	}{
		{midnight.Add(time.Second), switchboard.OutcomeSuccess},
		{midnight.Add(2 * time.Second), switchboard.OutcomeSuccess},
		{midnight.Add(3 * time.Second), "-"},
		{midnight.Add(-time.Second), switchboard.OutcomeFailure},
		{midnight.AddDate(0, 0, -40), switchboard.OutcomeUnknown}, // before the chart
	} {
		id := callID(i)
		s.storeCall(t, id, "acme_1", "+12125550100", c.at)
		if c.outcome == "-" {
			s.endCall(t, id, switchboard.CallResult{Status: switchboard.CallFailed, Error: "busy"})
		} else {
			s.endCall(t, id, completed(c.outcome, 10))
		}
	}
	s.storeCall(t, callID(9), "acme_1", "+12125550100", midnight.Add(4*time.Second)) // queued

	p = b.get("/console").wantStatus(http.StatusOK)
	for testid, want := range map[string]string{"calls-24h": "5", "calls-total": "6"} {
		if got := textIn(p.testid(testid), "count"); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	byStatus := map[string]string{}
	p.testid("status-count").Each(func(_ int, sel *goquery.Selection) {
		byStatus[sel.AttrOr("data-status", "")] = textIn(sel, "count")
	})
	if want := map[string]string{"queued": "1", "initiated": "0", "in-progress": "0", "completed": "4", "failed": "1"}; !maps.Equal(byStatus, want) {
		t.Errorf("by status %v, want %v", byStatus, want)
	}
	svg := p.testid("calls-chart-svg")
	if svg.AttrOr("role", "") != "img" || svg.AttrOr("aria-labelledby", "") != "calls-chart-title calls-chart-desc" {
		t.Errorf("the chart is not labelled: %v", svg.Nodes[0].Attr)
	}
	if got := svg.Find("title#calls-chart-title").Text(); !strings.Contains(got, "30 days") {
		t.Errorf("chart title %q", got)
	}
	// Today: success and no outcome (the queued call and the failed one);
	// yesterday: failure. One bar each.
	bars := svg.Find("rect")
	if bars.Length() != 3 {
		t.Errorf("%d bars, want 3", bars.Length())
	}
	var titles []string
	bars.Each(func(_ int, r *goquery.Selection) { titles = append(titles, r.Find("title").Text()) })
	for _, want := range []string{": 2 success", ": 2 no outcome", ": 1 failure"} {
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.HasSuffix(s, want) }) {
			t.Errorf("no bar %q among %q", want, titles)
		}
	}
	rows := p.testid("chart-day")
	if rows.Length() != 30 {
		t.Fatalf("%d days in the table, want 30", rows.Length())
	}
	if last := rows.Last().AttrOr("data-day", ""); last != today {
		t.Errorf("the last day is %s, want today %s", last, today)
	}
	totals := map[string]string{}
	rows.Each(func(_ int, r *goquery.Selection) { totals[r.AttrOr("data-day", "")] = textIn(r, "chart-day-total") })
	if totals[today] != "4" || totals[yesterday] != "1" {
		t.Errorf("table totals: today %s, yesterday %s", totals[today], totals[yesterday])
	}
	if p.testid("calls-chart-table").Is("details") == false {
		t.Error("the table is not behind a <details>")
	}
	if strings.Contains(p.Body, "style=") {
		t.Error("the dashboard has a style attribute, which the CSP refuses")
	}
}

// TestCalls_Focus: a refused calls form puts the cursor in its first wrong
// field (autofocus, which htmx honours in what it swaps in too), and what
// a form did or why it was refused as a whole is marked to take the focus
// (data-autofocus); the calling check takes it after "Check again" only,
// not when it loads itself with the page; a form that is not refused
// claims nothing.
func TestCalls_Focus(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.knowSeeded()
	b := s.signedIn(t)
	s.seed(t, "acme_1", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	autofocused := func(p *page) []string {
		var names []string
		p.Doc.Find("[autofocus]").Each(func(_ int, sel *goquery.Selection) { names = append(names, sel.AttrOr("name", "?")) })
		return names
	}
	if got := autofocused(b.get("/console/clients/acme_1")); len(got) != 0 {
		t.Errorf("the client's page focuses %v", got)
	}
	h := b.htmx(http.MethodPost, "/console/clients/acme_1/calls", "place-call", placeForm("", "hi\x00")).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(h); !slices.Equal(got, []string{"phone"}) {
		t.Errorf("refused call: focus on %v, want the phone", got)
	}
	p := b.post("/console/clients/acme_1/calling", settingsForm("x", true, "", "", "", "Mon")).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(p); !slices.Equal(got, []string{"calling.maxCallsPerHour"}) {
		t.Errorf("refused settings: focus on %v, want the limit", got)
	}
	h = b.htmx(http.MethodPost, "/console/clients/acme_1/calling", "calling-settings", settingsForm("", true, "UTC", "09:00", "17:00")).wantStatus(http.StatusUnprocessableEntity)
	if got := autofocused(h); !slices.Equal(got, []string{"calling.hours.days"}) {
		t.Errorf("refused days: focus on %v, want the first day", got)
	}
	for _, tt := range []struct {
		path, target, testid string
		form                 url.Values
	}{
		{"/console/clients/acme_1/calls", "place-call", "call-placed", placeForm("+12125550100", "")},
		{"/console/clients/acme_1/calling", "calling-settings", "form-done", settingsForm("5", false, "", "", "")},
		{"/console/clients/acme_1/do-not-call", "do-not-call", "form-done", url.Values{"phone": {"+12125550111"}}},
	} {
		h := b.htmx(http.MethodPost, tt.path, tt.target, tt.form).wantStatus(http.StatusOK)
		if _, ok := h.testid(tt.testid).Attr("data-autofocus"); !ok || h.testid(tt.testid).AttrOr("tabindex", "") != "-1" {
			t.Errorf("%s: %s does not take the focus", tt.path, tt.testid)
		}
		if got := autofocused(h); len(got) != 0 {
			t.Errorf("%s: done, yet focus on %v", tt.path, got)
		}
	}
	s.fake.FailCalls(1, elevenlabstest.Failure{Status: http.StatusOK, Message: "no"})
	h = b.htmx(http.MethodPost, "/console/clients/acme_1/calls", "place-call", placeForm("+12125550100", "")).wantStatus(http.StatusBadGateway)
	if _, ok := h.testid("form-error").Attr("data-autofocus"); !ok {
		t.Error("a refusal of the whole form does not take the focus")
	}

	check := func(trigger string) *page {
		return b.do(http.MethodGet, "/console/clients/acme_1/calling-check", nil, map[string]string{
			"HX-Request": "true", "HX-Target": "calling-check", "HX-Trigger": trigger,
		}).wantStatus(http.StatusOK)
	}
	if _, ok := check("calling-check").testid("calling-check").Attr("data-autofocus"); ok {
		t.Error("the check loading itself takes the focus")
	}
	if _, ok := check("check-again").testid("calling-check").Attr("data-autofocus"); !ok {
		t.Error("Check again's answer does not take the focus")
	}
	if got := b.get("/console/clients/acme_1").Doc.Find(`form#check-again [data-action="check-again"]`).Length(); got != 1 {
		t.Errorf("%d Check forms with the id the handler knows", got)
	}
}
