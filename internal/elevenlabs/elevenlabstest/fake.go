// Package elevenlabstest is a fake ElevenLabs for tests: an httptest.Server
// answering the endpoints the elevenlabs.Client uses, recording what it
// was sent, plus helpers that build and send signed webhooks. Tests never
// call the real ElevenLabs.
package elevenlabstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"switchboard/internal/elevenlabs"
	"switchboard/internal/switchboard"
)

// DefaultKey is the API key a Fake expects unless told otherwise.
const DefaultKey = "xi-test-key"

// Fake is a fake ElevenLabs. It starts with no agents and no numbers; a
// call to an agent or number id it does not know gets a 404, as from the
// real one. Safe for concurrent use.
type Fake struct {
	Server *httptest.Server
	URL    string // the base URL, for elevenlabs.New or ELEVENLABS_API_URL
	Key    string // the xi-api-key it accepts; any other gets a 401

	mu            sync.Mutex
	mux           *http.ServeMux
	agents        map[string]string // id → name
	numbers       []switchboard.PhoneNumber
	conversations map[string]elevenlabs.Conversation
	callFailures  []Failure
	getFailures   []Failure
	requests      []Request
	// hold, when set, is closed by HoldCalls's release; held signals each
	// outbound-call POST that waits on it.
	hold chan struct{}
	held chan struct{}
}

// Request is one request the Fake received.
type Request struct {
	Method string
	Path   string
	APIKey string // the xi-api-key header
	Body   []byte
	// Call is the decoded body of an outbound-call POST, nil otherwise.
	Call *elevenlabs.OutboundCallRequest
}

// Failure is an answer to inject.
type Failure struct {
	// Status of the answer. For an outbound call, 200 means a refusal:
	// {"success": false, "message": Message}.
	Status     int
	Message    string
	RetryAfter string // the Retry-After header, if set
}

// Option configures a Fake.
type Option func(*Fake)

// WithKey makes the Fake expect key instead of DefaultKey.
func WithKey(key string) Option { return func(f *Fake) { f.Key = key } }

// WithAgent adds an agent.
func WithAgent(id, name string) Option { return func(f *Fake) { f.agents[id] = name } }

// WithPhoneNumber adds an imported number (see AddPhoneNumber).
func WithPhoneNumber(n switchboard.PhoneNumber) Option {
	return func(f *Fake) { f.numbers = append(f.numbers, n) }
}

// New starts a Fake, closed when the test ends.
func New(t testing.TB, opts ...Option) *Fake {
	t.Helper()
	f := &Fake{
		Key:           DefaultKey,
		agents:        map[string]string{},
		conversations: map[string]elevenlabs.Conversation{},
		mux:           http.NewServeMux(),
	}
	for _, o := range opts {
		o(f)
	}
	f.mux.HandleFunc("POST /v1/convai/twilio/outbound-call", f.outboundCall)
	f.mux.HandleFunc("GET /v1/convai/phone-numbers", f.phoneNumbers)
	f.mux.HandleFunc("GET /v1/convai/agents/{id}", f.agent)
	f.mux.HandleFunc("GET /v1/convai/conversations/{id}", f.conversation)
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.Server.URL
	t.Cleanup(func() {
		// Close waits for every request to end: a held one first.
		f.release()
		f.Server.Close()
	})
	return f
}

// Client returns an elevenlabs.Client for the Fake whose retries wait only
// a millisecond.
func (f *Fake) Client() *elevenlabs.Client {
	c := elevenlabs.New(f.URL, f.Key, f.Server.Client())
	c.Backoff = func(int, time.Duration) time.Duration { return time.Millisecond }
	return c
}

// AddAgent adds (or renames) an agent.
func (f *Fake) AddAgent(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[id] = name
}

// AddPhoneNumber adds an imported number. Its Provider defaults to
// "twilio"; an empty AssignedAgentID is sent as a null assigned_agent.
func (f *Fake) AddPhoneNumber(n switchboard.PhoneNumber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.numbers = append(f.numbers, n)
}

// SetConversation sets what GET /v1/convai/conversations/{id} answers for
// c.ConversationID. Calls the Fake placed start as "initiated".
func (f *Fake) SetConversation(c elevenlabs.Conversation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conversations[c.ConversationID] = c
}

// FailCalls makes the next n outbound calls answer with failure.
func (f *Fake) FailCalls(n int, failure Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.callFailures = append(f.callFailures, failure)
	}
}

// FailGets makes the next n GETs (of any path) answer with failure.
func (f *Fake) FailGets(n int, failure Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.getFailures = append(f.getFailures, failure)
	}
}

// HoldCalls makes every outbound-call POST from now on wait, once received,
// recorded and its key checked, until release is called or its caller goes
// away (then it answers nothing): the moment between a call's row and
// ElevenLabs's answer, for tests that time out or kill the caller there.
// held receives one value per POST as it starts waiting (up to 16 unread).
// Other requests are not held. The test's end releases them too.
func (f *Fake) HoldCalls() (held <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold == nil {
		f.hold, f.held = make(chan struct{}), make(chan struct{}, 16)
	}
	return f.held, f.release
}

// release ends the hold of HoldCalls, if any.
func (f *Fake) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold != nil {
		close(f.hold)
		f.hold = nil
	}
}

// Requests returns every request received so far, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Calls returns the outbound-call requests received so far, in order.
func (f *Fake) Calls() []Request {
	var calls []Request
	for _, r := range f.Requests() {
		if r.Call != nil {
			calls = append(calls, r)
		}
	}
	return calls
}

// serve records the request, checks the key, injects failures, and routes;
// the handlers run with mu held.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, APIKey: r.Header.Get("xi-api-key"), Body: body}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/convai/twilio/outbound-call" {
		rec.Call = new(elevenlabs.OutboundCallRequest)
		if json.Unmarshal(body, rec.Call) != nil {
			rec.Call = nil
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	if rec.APIKey != f.Key {
		f.mu.Unlock()
		detail(w, http.StatusUnauthorized, "invalid_api_key", "Invalid API key")
		return
	}
	if hold, held := f.hold, f.held; rec.Call != nil && hold != nil {
		f.mu.Unlock() // other requests go on meanwhile
		select {
		case held <- struct{}{}:
		default:
		}
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if r.Method == http.MethodGet && len(f.getFailures) > 0 {
		fail := f.getFailures[0]
		f.getFailures = f.getFailures[1:]
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		detail(w, fail.Status, "injected", fail.Message)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mux.ServeHTTP(w, r)
}

func (f *Fake) outboundCall(w http.ResponseWriter, r *http.Request) {
	var in elevenlabs.OutboundCallRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ToNumber == "" {
		detail(w, http.StatusUnprocessableEntity, "invalid_request", "agent_id, agent_phone_number_id and to_number are required")
		return
	}
	if len(f.callFailures) > 0 {
		fail := f.callFailures[0]
		f.callFailures = f.callFailures[1:]
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		if fail.Status == http.StatusOK {
			writeJSON(w, http.StatusOK, elevenlabs.OutboundCallResponse{Message: fail.Message})
		} else {
			detail(w, fail.Status, "injected", fail.Message)
		}
		return
	}
	if _, ok := f.agents[in.AgentID]; !ok {
		detail(w, http.StatusNotFound, "agent_not_found", "Agent "+in.AgentID+" not found")
		return
	}
	if !f.hasNumberID(in.AgentPhoneNumberID) {
		detail(w, http.StatusNotFound, "phone_number_not_found", "Phone number "+in.AgentPhoneNumberID+" not found")
		return
	}
	out := elevenlabs.OutboundCallResponse{
		Success: true, Message: "Success", ConversationID: "conv_" + randomHex(12), CallSID: "CA" + randomHex(16),
	}
	f.conversations[out.ConversationID] = elevenlabs.Conversation{
		AgentID: in.AgentID, ConversationID: out.ConversationID, Status: elevenlabs.StatusInitiated,
		Metadata: elevenlabs.ConversationMetadata{StartTimeUnixSecs: time.Now().Unix()},
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) hasNumberID(id string) bool {
	for _, n := range f.numbers {
		if n.ID == id {
			return true
		}
	}
	return false
}

func (f *Fake) phoneNumbers(w http.ResponseWriter, _ *http.Request) {
	items := make([]elevenlabs.PhoneNumberItem, 0, len(f.numbers))
	for _, n := range f.numbers {
		it := elevenlabs.PhoneNumberItem{
			PhoneNumber: n.Number, PhoneNumberID: n.ID, Provider: n.Provider, SupportsOutbound: n.SupportsOutbound,
		}
		if it.Provider == "" {
			it.Provider = "twilio"
		}
		if n.AssignedAgentID != "" {
			it.AssignedAgent = &elevenlabs.AssignedAgent{AgentID: n.AssignedAgentID, AgentName: f.agents[n.AssignedAgentID]}
		}
		items = append(items, it)
	}
	writeJSON(w, http.StatusOK, items)
}

func (f *Fake) agent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	name, ok := f.agents[id]
	if !ok {
		detail(w, http.StatusNotFound, "agent_not_found", "Agent "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, elevenlabs.AgentResponse{AgentID: id, Name: name})
}

func (f *Fake) conversation(w http.ResponseWriter, r *http.Request) {
	c, ok := f.conversations[r.PathValue("id")]
	if !ok {
		detail(w, http.StatusNotFound, "conversation_not_found", "Conversation not found")
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// detail writes ElevenLabs's error shape, {"detail": {"status", "message"}}.
func detail(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"detail": map[string]string{"status": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TranscriptionEvent is a post_call_transcription for conversationID: by
// default a done call of 42 seconds that started a minute ago, judged a
// success, with a summary and a two-turn transcript. opts change the
// conversation before it is wrapped.
func TranscriptionEvent(conversationID string, opts ...func(*elevenlabs.Conversation)) elevenlabs.WebhookBody {
	now := time.Now()
	c := elevenlabs.Conversation{
		ConversationID: conversationID,
		Status:         elevenlabs.StatusDone,
		Transcript: []elevenlabs.TranscriptEntry{
			{Role: "agent", Message: "Hello, do you have a minute?", TimeInCallSecs: 0},
			{Role: "user", Message: "Yes, go ahead.", TimeInCallSecs: 4},
		},
		Metadata: elevenlabs.ConversationMetadata{
			StartTimeUnixSecs: now.Add(-time.Minute).Unix(), CallDurationSecs: 42, TerminationReason: "Call ended by remote party",
		},
		Analysis: &elevenlabs.ConversationAnalysis{CallSuccessful: switchboard.OutcomeSuccess, TranscriptSummary: "The user agreed to a follow-up."},
	}
	for _, o := range opts {
		o(&c)
	}
	return elevenlabs.WebhookBody{Type: elevenlabs.EventTranscription, EventTimestamp: now.Unix(), Data: c}
}

// InitiationFailureEvent is a call_initiation_failure for conversationID
// with reason ("busy", "no-answer", "unknown").
func InitiationFailureEvent(conversationID, reason string) elevenlabs.WebhookBody {
	return elevenlabs.WebhookBody{
		Type:           elevenlabs.EventInitiationFailure,
		EventTimestamp: time.Now().Unix(),
		Data:           elevenlabs.InitiationFailure{ConversationID: conversationID, FailureReason: reason},
	}
}

// Webhook returns event's body ([]byte as is, anything else as JSON) and
// its ElevenLabs-Signature value signed with secret now, for tests that
// post through app.Test rather than a URL.
func Webhook(secret string, event any) (body []byte, signature string, err error) {
	body, ok := event.([]byte)
	if !ok {
		if body, err = json.Marshal(event); err != nil {
			return nil, "", err
		}
	}
	return body, elevenlabs.SignWebhook(secret, body, time.Now()), nil
}

// SendWebhook posts event (see Webhook), signed with secret, to url as
// ElevenLabs would. The caller closes the response body.
func (f *Fake) SendWebhook(url, secret string, event any) (*http.Response, error) {
	body, sig, err := Webhook(secret, event)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(elevenlabs.SignatureHeader, sig)
	return (&http.Client{Timeout: 10 * time.Second}).Do(req)
}
