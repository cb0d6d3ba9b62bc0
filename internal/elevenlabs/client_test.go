package elevenlabs_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/switchboard"
)

const key = "sk_live_0123456789abcdef"

func newFake(t *testing.T) (*elevenlabstest.Fake, *elevenlabs.Client) {
	f := elevenlabstest.New(t, elevenlabstest.WithKey(key),
		elevenlabstest.WithAgent("agent_1", "Sales"),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: "+12125550100", ID: "phnum_1", SupportsOutbound: true, AssignedAgentID: "agent_1"}),
	)
	return f, f.Client()
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

// wantError checks err's code, reason and message, and that the key shows
// nowhere in it.
func wantError(t *testing.T, err error, code, reason, message string) {
	t.Helper()
	var e *switchboard.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a *switchboard.Error", err)
	}
	if e.Code != code || e.Reason != reason || e.Message != message {
		t.Errorf("err = code %q reason %q message %q, want %q %q %q", e.Code, e.Reason, e.Message, code, reason, message)
	}
	if strings.Contains(err.Error(), key) || strings.Contains(e.Details, key) {
		t.Errorf("the key shows in %q (details %q)", err, e.Details)
	}
}

func TestPlaceCall(t *testing.T) {
	tests := []struct {
		name string
		call switchboard.OutboundCall
		want string
	}{
		{"Full", switchboard.OutboundCall{
			AgentID: "agent_1", PhoneNumberID: "phnum_1", To: "+12125551234", FirstMessage: "Hi Ada!",
			DynamicVariables: map[string]any{"full_name": "Ada", "switchboard_call_id": "call_1", "vip": true, "visits": 3},
		}, `{"agent_id":"agent_1","agent_phone_number_id":"phnum_1","to_number":"+12125551234",
			"conversation_initiation_client_data":{
				"dynamic_variables":{"full_name":"Ada","switchboard_call_id":"call_1","vip":true,"visits":3},
				"conversation_config_override":{"agent":{"first_message":"Hi Ada!"}}}}`},
		{"NoFirstMessage", switchboard.OutboundCall{
			AgentID: "agent_1", PhoneNumberID: "phnum_1", To: "+12125551234", DynamicVariables: map[string]any{"city": "Paris"},
		}, `{"agent_id":"agent_1","agent_phone_number_id":"phnum_1","to_number":"+12125551234",
			"conversation_initiation_client_data":{"dynamic_variables":{"city":"Paris"}}}`},
		{"Bare", switchboard.OutboundCall{AgentID: "agent_1", PhoneNumberID: "phnum_1", To: "+12125551234"},
			`{"agent_id":"agent_1","agent_phone_number_id":"phnum_1","to_number":"+12125551234"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			d, err := c.PlaceCall(t.Context(), tt.call)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(d.ConversationID, "conv_") || !strings.HasPrefix(d.CallSID, "CA") {
				t.Errorf("dialled %+v", d)
			}
			calls := f.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls, want 1", len(calls))
			}
			r := calls[0]
			if r.Method != http.MethodPost || r.Path != "/v1/convai/twilio/outbound-call" || r.APIKey != key {
				t.Errorf("request %s %s key %q", r.Method, r.Path, r.APIKey)
			}
			jsonEqual(t, r.Body, tt.want)
			// The fake reads back what it placed.
			res, err := c.Conversation(t.Context(), d.ConversationID)
			if err != nil || res.Status != switchboard.CallInitiated {
				t.Errorf("conversation %+v, %v", res, err)
			}
		})
	}
}

func TestPlaceCallUniqueIDs(t *testing.T) {
	_, c := newFake(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			d, err := c.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "agent_1", PhoneNumberID: "phnum_1", To: "+12125551234"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[d.ConversationID] || seen[d.CallSID] {
				t.Errorf("repeated id in %+v", d)
			}
			seen[d.ConversationID], seen[d.CallSID] = true, true
		})
	}
	wg.Wait()
}

func TestPlaceCallRefused(t *testing.T) {
	call := switchboard.OutboundCall{AgentID: "agent_1", PhoneNumberID: "phnum_1", To: "+12125551234"}
	tests := []struct {
		name                  string
		failure               *elevenlabstest.Failure
		call                  func(*switchboard.OutboundCall)
		code, reason, message string
	}{
		{"SuccessFalse", &elevenlabstest.Failure{Status: 200, Message: "Twilio could not reach +12125551234"}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonRefused, "Twilio could not reach +12125551234"},
		{"SuccessFalseNoMessage", &elevenlabstest.Failure{Status: 200}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonRefused, "ElevenLabs refused the call"},
		{"UnknownAgent", nil, func(c *switchboard.OutboundCall) { c.AgentID = "agent_x" },
			switchboard.ENOTFOUND, "", "Agent agent_x not found"},
		{"UnknownNumber", nil, func(c *switchboard.OutboundCall) { c.PhoneNumberID = "phnum_x" },
			switchboard.ENOTFOUND, "", "Phone number phnum_x not found"},
		{"422", &elevenlabstest.Failure{Status: 422, Message: "Invalid agent_phone_number_id"}, nil,
			switchboard.ENOTFOUND, "", "Invalid agent_phone_number_id"},
		{"400", &elevenlabstest.Failure{Status: 400, Message: "to_number is not callable"}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonRefused, "to_number is not callable"},
		{"403", &elevenlabstest.Failure{Status: 403, Message: "missing convai_write"}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonKeyRefused, "ElevenLabs refused the API key"},
		// Never retried: a second POST could dial the person twice.
		{"500", &elevenlabstest.Failure{Status: 500, Message: "boom"}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs is unavailable (HTTP 500)"},
		{"429", &elevenlabstest.Failure{Status: 429, Message: "slow down", RetryAfter: "0"}, nil,
			switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs is unavailable (HTTP 429)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			if tt.failure != nil {
				f.FailCalls(3, *tt.failure)
			}
			call := call
			if tt.call != nil {
				tt.call(&call)
			}
			_, err := c.PlaceCall(t.Context(), call)
			wantError(t, err, tt.code, tt.reason, tt.message)
			if n := len(f.Calls()); n != 1 {
				t.Errorf("the fake saw %d POSTs, want exactly 1", n)
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	f := elevenlabstest.New(t, elevenlabstest.WithKey("sk_other"), elevenlabstest.WithAgent("agent_1", "Sales"))
	c := elevenlabs.New(f.URL, key, nil)
	_, err := c.Agent(t.Context(), "agent_1")
	wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonKeyRefused, "ElevenLabs refused the API key")
	_, err = c.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "agent_1", PhoneNumberID: "p", To: "+12125551234"})
	wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonKeyRefused, "ElevenLabs refused the API key")
	if n := len(f.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (a 401 is not retried)", n)
	}
}

func TestPhoneNumbers(t *testing.T) {
	f, c := newFake(t)
	f.AddPhoneNumber(switchboard.PhoneNumber{Number: "+33123456789", ID: "phnum_2", Provider: "sip_trunk"})
	got, err := c.PhoneNumbers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []switchboard.PhoneNumber{
		{Number: "+12125550100", ID: "phnum_1", Provider: "twilio", SupportsOutbound: true, AssignedAgentID: "agent_1"},
		{Number: "+33123456789", ID: "phnum_2", Provider: "sip_trunk"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("numbers\n%+v\nwant\n%+v", got, want)
	}
	r := f.Requests()[0]
	if r.Method != http.MethodGet || r.Path != "/v1/convai/phone-numbers" || r.APIKey != key {
		t.Errorf("request %s %s key %q", r.Method, r.Path, r.APIKey)
	}
}

// TestPhoneNumbersShapes reads assigned_agent as null, absent and an object.
func TestPhoneNumbersShapes(t *testing.T) {
	srv := serve(t, http.StatusOK, `[
		{"phone_number":"+1","phone_number_id":"a","provider":"twilio","supports_outbound":true,"assigned_agent":null},
		{"phone_number":"+2","phone_number_id":"b","provider":"twilio","supports_outbound":false},
		{"phone_number":"+3","phone_number_id":"c","provider":"twilio","supports_outbound":true,"label":"x",
		 "assigned_agent":{"agent_id":"agent_9","agent_name":"Nine"}}]`)
	got, err := elevenlabs.New(srv.URL, key, nil).PhoneNumbers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []switchboard.PhoneNumber{
		{Number: "+1", ID: "a", Provider: "twilio", SupportsOutbound: true},
		{Number: "+2", ID: "b", Provider: "twilio"},
		{Number: "+3", ID: "c", Provider: "twilio", SupportsOutbound: true, AssignedAgentID: "agent_9"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("numbers\n%+v\nwant\n%+v", got, want)
	}
}

func TestAgent(t *testing.T) {
	f, c := newFake(t)
	a, err := c.Agent(t.Context(), "agent_1")
	if err != nil || *a != (switchboard.Agent{ID: "agent_1", Name: "Sales"}) {
		t.Errorf("agent %+v, %v", a, err)
	}
	if r := f.Requests()[0]; r.Method != http.MethodGet || r.Path != "/v1/convai/agents/agent_1" || r.APIKey != key {
		t.Errorf("request %s %s key %q", r.Method, r.Path, r.APIKey)
	}
	_, err = c.Agent(t.Context(), "agent_x")
	wantError(t, err, switchboard.ENOTFOUND, "", "Agent agent_x not found")
	// An id is one path segment, whatever it holds.
	_, err = c.Agent(t.Context(), "../phone-numbers")
	wantError(t, err, switchboard.ENOTFOUND, "", "Agent ../phone-numbers not found")
}

func TestConversation(t *testing.T) {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(95 * time.Second)
	full := elevenlabs.Conversation{
		ConversationID: "conv_1", Status: "done",
		Transcript: []elevenlabs.TranscriptEntry{
			{Role: "agent", Message: "Hello", TimeInCallSecs: 0},
			{Role: "agent", Message: "", TimeInCallSecs: 2}, // a tool call
			{Role: "user", Message: "Hi", TimeInCallSecs: 3},
		},
		Metadata: elevenlabs.ConversationMetadata{StartTimeUnixSecs: start.Unix(), CallDurationSecs: 95, TerminationReason: "Call ended by remote party"},
		Analysis: &elevenlabs.ConversationAnalysis{CallSuccessful: "success", TranscriptSummary: "Agreed."},
	}
	tests := []struct {
		status string
		want   switchboard.CallResult
	}{
		{"done", switchboard.CallResult{
			ConversationID: "conv_1", Status: switchboard.CallCompleted, StartTime: &start, EndTime: &end, Duration: 95,
			Outcome: "success", Summary: "Agreed.", TerminationReason: "Call ended by remote party",
			Transcript: []switchboard.TranscriptTurn{{Role: "agent", Message: "Hello"}, {Role: "user", Message: "Hi", TimeInCallSecs: 3}},
		}},
		{"failed", switchboard.CallResult{
			ConversationID: "conv_1", Status: switchboard.CallFailed, StartTime: &start, EndTime: &end, Duration: 95,
			Outcome: "success", Summary: "Agreed.", TerminationReason: "Call ended by remote party", Error: "Call ended by remote party",
			Transcript: []switchboard.TranscriptTurn{{Role: "agent", Message: "Hello"}, {Role: "user", Message: "Hi", TimeInCallSecs: 3}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			f, c := newFake(t)
			conv := full
			conv.Status = tt.status
			f.SetConversation(conv)
			got, err := c.Conversation(t.Context(), "conv_1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("result\n%+v\nwant\n%+v", *got, tt.want)
			}
			if r := f.Requests()[0]; r.Path != "/v1/convai/conversations/conv_1" || r.APIKey != key {
				t.Errorf("request %s key %q", r.Path, r.APIKey)
			}
		})
	}
	// Before the end: no end time, whatever the running duration.
	for status, want := range map[string]switchboard.CallStatus{
		"initiated": switchboard.CallInitiated, "in-progress": switchboard.CallInProgress,
		"processing": switchboard.CallInProgress, "what": "",
	} {
		f, c := newFake(t)
		f.SetConversation(elevenlabs.Conversation{ConversationID: "conv_2", Status: status,
			Metadata: elevenlabs.ConversationMetadata{StartTimeUnixSecs: start.Unix(), CallDurationSecs: 12}})
		got, err := c.Conversation(t.Context(), "conv_2")
		if err != nil || got.Status != want || got.EndTime != nil || !got.StartTime.Equal(start) || got.Error != "" {
			t.Errorf("%s: %+v, %v", status, got, err)
		}
	}
	_, c := newFake(t)
	_, err := c.Conversation(t.Context(), "conv_x")
	wantError(t, err, switchboard.ENOTFOUND, "", "Conversation not found")
}

func TestGetRetries(t *testing.T) {
	tests := []struct {
		name     string
		failures []elevenlabstest.Failure
		requests int
		waits    []time.Duration // the Retry-After given to Backoff each time
		err      string
	}{
		{"429ThenOK", []elevenlabstest.Failure{{Status: 429, Message: "busy", RetryAfter: "2"}}, 2, []time.Duration{2 * time.Second}, ""},
		{"500ThenOK", []elevenlabstest.Failure{{Status: 500}, {Status: 503}}, 3, []time.Duration{0, 0}, ""},
		{"500ThreeTimes", []elevenlabstest.Failure{{Status: 500}, {Status: 502}, {Status: 503}}, 3, []time.Duration{0, 0},
			"ElevenLabs is unavailable (HTTP 503)"},
		{"404NotRetried", []elevenlabstest.Failure{{Status: 404, Message: "gone"}}, 1, nil, "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			var waits []time.Duration
			c.Backoff = func(n int, retryAfter time.Duration) time.Duration {
				if n != len(waits)+1 {
					t.Errorf("retry %d after %d", n, len(waits))
				}
				waits = append(waits, retryAfter)
				return time.Millisecond
			}
			for _, fl := range tt.failures {
				f.FailGets(1, fl)
			}
			a, err := c.Agent(t.Context(), "agent_1")
			if tt.err == "" && (err != nil || a.Name != "Sales") {
				t.Errorf("agent %+v, %v", a, err)
			}
			if tt.err != "" && switchboard.ErrorMessage(err) != tt.err {
				t.Errorf("err %v, want %q", err, tt.err)
			}
			if n := len(f.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if !reflect.DeepEqual(waits, tt.waits) {
				t.Errorf("waits %v, want %v", waits, tt.waits)
			}
		})
	}
}

// TestRetryAfterTooLong: a 429 asking for minutes is returned at once,
// with its Retry-After, instead of holding the request.
func TestRetryAfterTooLong(t *testing.T) {
	f, c := newFake(t)
	c.Backoff = nil
	f.FailGets(1, elevenlabstest.Failure{Status: 429, RetryAfter: "120"})
	_, err := c.PhoneNumbers(t.Context())
	var e *switchboard.Error
	if !errors.As(err, &e) || e.RetryAfter != 2*time.Minute || e.Reason != elevenlabs.ReasonUnavailable {
		t.Fatalf("err %v", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestDefaultBackoff retries a 500 with the default backoff, whose first
// wait is short enough for a test (at most 250 ms).
func TestDefaultBackoff(t *testing.T) {
	f, c := newFake(t)
	c.Backoff = nil
	f.FailGets(1, elevenlabstest.Failure{Status: 500})
	if _, err := c.PhoneNumbers(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestDeadlines(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	t.Run("Context", func(t *testing.T) {
		c := elevenlabs.New(srv.URL, key, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := c.PlaceCall(ctx, switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "p", To: "+12125551234"})
		wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs did not answer in time")
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 2*time.Second {
			t.Errorf("err %v after %v", err, time.Since(began))
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		c := elevenlabs.New(srv.URL, key, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := c.Agent(ctx, "a")
		if !errors.Is(err, context.Canceled) || switchboard.ErrorCode(err) != switchboard.EINTERNAL {
			t.Errorf("err %v", err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		// Tries are counted as the client sends them: under load a try can
		// time out before the server's handler sees it.
		var tries atomic.Int32
		transport := roundTripper(func(r *http.Request) (*http.Response, error) {
			tries.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})
		c := elevenlabs.New(srv.URL, key, &http.Client{Transport: transport})
		c.Timeout = 30 * time.Millisecond
		c.Backoff = func(int, time.Duration) time.Duration { return time.Millisecond }
		_, err := c.Conversation(context.Background(), "conv_1")
		wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs did not answer in time")
		if n := tries.Load(); n != 3 {
			t.Errorf("%d tries, want 3 (a GET that timed out is retried)", n)
		}
	})
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := elevenlabs.New(srv.URL, key, nil)
	c.Backoff = func(int, time.Duration) time.Duration { return time.Millisecond }
	_, err := c.PhoneNumbers(t.Context())
	wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs could not be reached")
}

// TestErrorBodies reads each shape of ElevenLabs's error body, and never
// repeats the key even if the body does.
func TestErrorBodies(t *testing.T) {
	tests := []struct {
		status      int
		body        string
		code        string
		reason      string
		message     string
		wantDetails string
	}{
		{404, `{"detail":"Conversation gone"}`, switchboard.ENOTFOUND, "", "Conversation gone", ""},
		{404, `not json`, switchboard.ENOTFOUND, "", "ElevenLabs does not know this conversation", ""},
		{422, `{"detail":[{"loc":["path","conversation_id"],"msg":"bad id","type":"value_error"}]}`, switchboard.ENOTFOUND, "", "bad id", ""},
		{400, `{"detail":{"status":"bad","message":"key ` + key + ` is odd"}}`, switchboard.EINTERNAL, elevenlabs.ReasonRefused, "key [redacted] is odd", ""},
		{401, `{"detail":{"status":"invalid_api_key","message":"Invalid API key: ` + key + `"}}`, switchboard.EINTERNAL, elevenlabs.ReasonKeyRefused,
			"ElevenLabs refused the API key", "Invalid API key: [redacted]"},
		{200, `{"status":`, switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs sent an answer we cannot read", ""},
	}
	for _, tt := range tests {
		srv := serve(t, tt.status, tt.body)
		_, err := elevenlabs.New(srv.URL, key, nil).Conversation(t.Context(), "conv_1")
		wantError(t, err, tt.code, tt.reason, tt.message)
		var e *switchboard.Error
		if errors.As(err, &e) && e.Details != tt.wantDetails {
			t.Errorf("details %q, want %q", e.Details, tt.wantDetails)
		}
	}
}

func TestBodyCap(t *testing.T) {
	srv := serve(t, http.StatusOK, `[`+strings.Repeat(" ", 4<<20)+`]`)
	_, err := elevenlabs.New(srv.URL, key, nil).PlaceCall(t.Context(), switchboard.OutboundCall{})
	wantError(t, err, switchboard.EINTERNAL, elevenlabs.ReasonUnavailable, "ElevenLabs's answer (HTTP 200) could not be read")
}

// serve answers every request with status and body.
func serve(t *testing.T, status int, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
