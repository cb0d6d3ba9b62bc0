package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// The calls tests run the whole app as cmd wires it, the calling service
// dialling the fake ElevenLabs every test shares, on a clock only the test
// moves.

const (
	testWebhookSecret = "whsec-test-0123456789abcdef"
	testAgentID       = "agent_1" // clientJSON's agentId
	testAgentName     = "Outbound Sales"
	testNumber        = "+18001234567" // clientJSON's twilioPhoneNumber
	testNumberID      = "phnum_1"
)

// testStart is the fixed clock's first reading: a Monday, 11:00 in New York.
var testStart = time.Date(2025, 3, 17, 15, 0, 0, 0, time.UTC)

// testClock is a clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *testClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// callServer is the app with calling configured: the fake knows agent_1
// and testNumber (outbound, assigned to agent_1), so clientJSON's clients
// can call.
type callServer struct {
	*testServer
	db      *store.Store
	fake    *elevenlabstest.Fake
	clock   *testClock
	calling *calling.Service
}

func newCallServer(t testing.TB, s *store.Store) *callServer {
	t.Helper()
	return newCallServerWith(t, s, nil)
}

// newCallServerWith lets configure change the server before its routes are
// registered: take the Dialer away, or the webhook secret.
func newCallServerWith(t testing.TB, s *store.Store, configure func(*api.Server)) *callServer {
	t.Helper()
	ts := newTestServer(t, s)
	fake := elevenlabstest.New(t,
		elevenlabstest.WithAgent(testAgentID, testAgentName),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{
			Number: testNumber, ID: testNumberID, SupportsOutbound: true, AssignedAgentID: testAgentID,
		}))
	clock := &testClock{now: testStart}
	log := slog.New(slog.NewTextHandler(ts.log, nil))
	svc := &calling.Service{Calls: s, Dialer: fake.Client(), Log: log, Now: clock.Now}
	srv := &api.Server{
		Auth: ts.svc, Clients: s, Ping: s.Ping, Ready: s.Ready, Log: log,
		Calls: s, Events: s, Calling: svc, WebhookSecret: testWebhookSecret, Now: clock.Now,
	}
	if configure != nil {
		configure(srv)
	}
	// The admin's token stays good: the app changes, the auth service not.
	ts.app = httpserver.New(httpserver.Config{Log: log})
	srv.Register(ts.app)
	return &callServer{testServer: ts, db: s, fake: fake, clock: clock, calling: svc}
}

func (cs *callServer) with(t testing.TB) *callServer {
	c := *cs
	c.testServer = cs.testServer.with(t)
	return &c
}

// client creates a client with clientJSON's agent and number and returns
// its token.
func (cs *callServer) client(id string) string {
	cs.t.Helper()
	return cs.login(id, cs.createClient(id, id+"@example.com"))
}

// callClientJSON is clientJSON with another agent and number.
func callClientJSON(id, agentID, number string) string {
	body := strings.Replace(clientJSON(id, id+"@example.com"), `"agentId":"`+testAgentID+`"`, `"agentId":"`+agentID+`"`, 1)
	return strings.Replace(body, `"twilioPhoneNumber":"`+testNumber+`"`, `"twilioPhoneNumber":"`+number+`"`, 1)
}

func (cs *callServer) makeCall(token, body string) *response {
	cs.t.Helper()
	return cs.do("POST", "/secure/make-call", token, body)
}

// placedCall is a call placed through the API, as its answer told it.
type placedCall struct {
	ID, ConversationID, CallSID string
	ClientID, To                string
	At                          time.Time
}

// placeCall places a call to phone for the client whose token this is.
func (cs *callServer) placeCall(clientID, token, phone string) placedCall {
	cs.t.Helper()
	res := cs.makeCall(token, `{"phone":"`+phone+`"}`).wantStatus(200)
	return placedCall{
		ID: res.str("callId"), ConversationID: res.str("conversationId"), CallSID: res.str("callSid"),
		ClientID: clientID, To: phone, At: cs.clock.Now(),
	}
}

// wire is the call as the API shows it while it is initiated; tests change
// the members that moved.
func (p placedCall) wire() map[string]any {
	at := apiTime(p.At)
	return map[string]any{
		"callId": p.ID, "clientId": p.ClientID, "status": "initiated", "direction": "outbound",
		"to": p.To, "from": testNumber, "agentId": testAgentID,
		"conversationId": p.ConversationID, "callSid": p.CallSID, "requestedBy": "client",
		"firstMessage": nil, "startTime": nil, "endTime": nil, "duration": nil, "outcome": nil,
		"summary": nil, "terminationReason": nil, "error": nil, "simulated": false,
		"createdAt": at, "updatedAt": at,
	}
}

// apiTime is how the API writes a time.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// jsonOf encodes v, for wantBody.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantBodyWithRequestID asserts a make-call answer: its status, and its body is want
// with the request's id, the one the X-Request-ID header carries.
func (r *response) wantBodyWithRequestID(status int, want string) *response {
	r.t.Helper()
	r.wantStatus(status)
	id := r.Header.Get("X-Request-ID")
	if id == "" {
		r.t.Fatal("no X-Request-ID header")
	}
	quoted, _ := json.Marshal(id)
	return r.wantBody(strings.TrimSuffix(want, "}") + `,"requestId":` + string(quoted) + "}")
}

// transcription is a post_call_transcription for a call that began a minute
// before the clock's time and lasted seconds, judged outcome.
func (cs *callServer) transcription(conversationID string, seconds int, outcome string) elevenlabs.WebhookBody {
	return elevenlabstest.TranscriptionEvent(conversationID, func(c *elevenlabs.Conversation) {
		c.Metadata.StartTimeUnixSecs = cs.clock.Now().Add(-time.Minute).Unix()
		c.Metadata.CallDurationSecs = float64(seconds)
		c.Analysis.CallSuccessful = outcome
	})
}

// webhook posts event ([]byte as is, anything else as JSON) signed with the
// webhook secret at the clock's time.
func (cs *callServer) webhook(event any) *response {
	cs.t.Helper()
	body := cs.eventBody(event)
	return cs.postWebhook(body, elevenlabs.SignWebhook(testWebhookSecret, body, cs.clock.Now()))
}

func (cs *callServer) eventBody(event any) []byte {
	cs.t.Helper()
	if b, ok := event.([]byte); ok {
		return b
	}
	b, err := json.Marshal(event)
	if err != nil {
		cs.t.Fatal(err)
	}
	return b
}

// postWebhook posts body with signature ("" sends no signature header).
func (cs *callServer) postWebhook(body []byte, signature string) *response {
	cs.t.Helper()
	req := httptest.NewRequest("POST", "/webhooks/elevenlabs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(elevenlabs.SignatureHeader, signature)
	}
	return cs.send(req)
}

// storedCall reads a call from the store, whoever's it is.
func (cs *callServer) storedCall(id string) *switchboard.Call {
	cs.t.Helper()
	call, err := cs.db.FindCall(context.Background(), "", id)
	if err != nil {
		cs.t.Fatalf("find call %s: %v", id, err)
	}
	return call
}

// storedCalls returns every stored call, newest first.
func (cs *callServer) storedCalls() []*switchboard.Call {
	cs.t.Helper()
	page, err := cs.db.FindCallPage(context.Background(), switchboard.CallPageFilter{Limit: switchboard.MaxCallLimit})
	if err != nil {
		cs.t.Fatal(err)
	}
	return page.Calls
}

// callEvents is the audit trail's call events, oldest first, each as
// "actor action detail".
func (cs *callServer) callEvents() []string {
	cs.t.Helper()
	events, err := cs.db.FindEvents(context.Background(), switchboard.MaxEventLimit)
	if err != nil {
		cs.t.Fatal(err)
	}
	var out []string
	for _, e := range slices.Backward(events) {
		if strings.HasPrefix(e.Action, "call.") {
			out = append(out, e.Actor+" "+e.Action+" "+e.Detail)
		}
	}
	return out
}

// wantCallEvents asserts the audit trail's call events, oldest first.
func (cs *callServer) wantCallEvents(want ...string) {
	cs.t.Helper()
	if got := cs.callEvents(); !slices.Equal(got, want) {
		cs.t.Errorf("call events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// wantPlaced asserts n calls are stored and ElevenLabs was asked for n.
func (cs *callServer) wantPlaced(n int) {
	cs.t.Helper()
	if calls := cs.storedCalls(); len(calls) != n {
		cs.t.Errorf("%d calls stored, want %d", len(calls), n)
	}
	if calls := cs.fake.Calls(); len(calls) != n {
		cs.t.Errorf("ElevenLabs was asked for %d calls, want %d", len(calls), n)
	}
}

// wantNothingPlaced asserts no call is stored, dialled or in the audit trail.
func (cs *callServer) wantNothingPlaced() {
	cs.t.Helper()
	cs.wantPlaced(0)
	cs.wantCallEvents()
}
