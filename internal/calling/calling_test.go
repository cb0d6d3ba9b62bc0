package calling_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// base is the tests' clock: a Monday afternoon, UTC.
var base = time.Date(2025, 3, 3, 15, 0, 0, 0, time.UTC)

// clock is a settable Service.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// The client's set-up in the fake ElevenLabs.
const (
	agentID  = "agent_sales"
	number   = "+18005550100" // imported, outbound, assigned to agentID
	numberID = "pn_sales"
	callee   = "+12125550199"
)

// harness is a calling service over a real store and the fake ElevenLabs,
// with one client whose agent and number the fake knows.
type harness struct {
	t     *testing.T
	store *store.Store
	fake  *elevenlabstest.Fake
	clock *clock
	// log is what every service of the harness logged: they share one
	// handler, which serialises the writes.
	log    *bytes.Buffer
	logger *slog.Logger
	svc    *calling.Service
	client *switchboard.Client
}

func newHarness(t *testing.T, s *store.Store) *harness {
	t.Helper()
	fake := elevenlabstest.New(t,
		elevenlabstest.WithAgent(agentID, "Sales agent"),
		elevenlabstest.WithAgent("agent_other", "Other agent"),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: number, ID: numberID, SupportsOutbound: true, AssignedAgentID: agentID}),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: "+18005550101", ID: "pn_inbound", AssignedAgentID: "agent_other"}),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: "+18005550102", ID: "pn_free", SupportsOutbound: true}))
	h := &harness{t: t, store: s, fake: fake, clock: &clock{t: base}, log: &bytes.Buffer{}}
	h.logger = slog.New(slog.NewTextHandler(h.log, nil))
	h.svc = h.service(s, fake.Client())
	h.client = &switchboard.Client{
		ID: "client_a", AgentID: agentID, TwilioPhoneNumber: number,
		Meta: switchboard.ClientMeta{
			FullName: "Ada Lovelace", Email: "ada@example.com", Phone: "+12125551234",
			BusinessName: "Analytical Ltd", City: "London", JobTitle: "Engineer",
		},
		SecretHash: "hash",
	}
	if err := s.CreateClient(context.Background(), h.client); err != nil {
		t.Fatal(err)
	}
	return h
}

// service is a calling service on s with the harness's clock and log.
func (h *harness) service(s *store.Store, d switchboard.Dialer) *calling.Service {
	return &calling.Service{Calls: s, Dialer: d, Log: h.logger, Now: h.clock.Now}
}

func (h *harness) place(req calling.Request) *switchboard.Call {
	h.t.Helper()
	if req.Phone == "" {
		req.Phone = callee
	}
	if req.RequestedBy == "" {
		req.RequestedBy = "client"
	}
	call, err := h.svc.Place(context.Background(), h.client, req)
	if err != nil {
		h.t.Fatalf("Place: %v", err)
	}
	return call
}

func (h *harness) find(id string) *switchboard.Call {
	h.t.Helper()
	c, err := h.store.FindCall(context.Background(), "", id)
	if err != nil {
		h.t.Fatalf("FindCall(%s): %v", id, err)
	}
	return c
}

// queue records a call as Place does before dialling, at the time given,
// and nothing else: what a process killed before the dial leaves.
func (h *harness) queue(at time.Time) *switchboard.Call {
	h.t.Helper()
	c := &switchboard.Call{ID: calling.NewCallID(), ClientID: h.client.ID, To: callee, From: number, AgentID: agentID, RequestedBy: "client"}
	if err := h.store.CreateCall(context.Background(), c, 1000, at); err != nil {
		h.t.Fatalf("CreateCall: %v", err)
	}
	return c
}

// dialled records a call queued and then dialled with conversationID, at
// the time given, without asking the fake.
func (h *harness) dialled(conversationID string, at time.Time) *switchboard.Call {
	h.t.Helper()
	c := h.queue(at)
	c, err := h.store.MarkCallDialled(context.Background(), c.ID, switchboard.Dialled{ConversationID: conversationID, CallSID: "CA" + conversationID}, at)
	if err != nil {
		h.t.Fatalf("MarkCallDialled: %v", err)
	}
	return c
}

// conversationReads counts the fake's GETs of each conversation.
func (h *harness) conversationReads() map[string]int {
	reads := map[string]int{}
	for _, r := range h.fake.Requests() {
		if id, ok := strings.CutPrefix(r.Path, "/v1/convai/conversations/"); ok && r.Method == "GET" {
			reads[id]++
		}
	}
	return reads
}

// callEvents are the audit trail's call events, oldest first, as "action detail".
func callEvents(t *testing.T, s *store.Store) []string {
	t.Helper()
	events, err := s.FindEvents(context.Background(), switchboard.MaxEventLimit)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; strings.HasPrefix(e.Action, "call.") {
			out = append(out, e.Action+" "+e.Detail)
		}
	}
	return out
}

// hookDialer passes every call to Dialer, running beforePlace first and
// afterPlace with the provider's answer before it is returned.
type hookDialer struct {
	switchboard.Dialer
	beforePlace func(ctx context.Context, call switchboard.OutboundCall)
	afterPlace  func(d switchboard.Dialled)
}

func (d *hookDialer) PlaceCall(ctx context.Context, call switchboard.OutboundCall) (switchboard.Dialled, error) {
	if d.beforePlace != nil {
		d.beforePlace(ctx, call)
	}
	dialled, err := d.Dialer.PlaceCall(ctx, call)
	if err == nil && d.afterPlace != nil {
		d.afterPlace(dialled)
	}
	return dialled, err
}

// TestPlace_RecordsBeforeDialling: when ElevenLabs is asked, the call is
// already stored, queued, under the id sent along as switchboard_call_id;
// its answer is recorded after (initiated, with its ids), and what was
// asked is the client's agent and number.
func TestPlace_RecordsBeforeDialling(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	var seen *switchboard.Call
	h.svc.Dialer = &hookDialer{Dialer: h.fake.Client(), beforePlace: func(_ context.Context, call switchboard.OutboundCall) {
		calls, total, _, err := h.store.FindClientCalls(ctx, h.client.ID, switchboard.CallFilter{})
		if err != nil || total != 1 {
			t.Errorf("when dialling: %d calls stored (%v), want 1", total, err)
			return
		}
		seen = calls[0]
		if id := call.DynamicVariables["switchboard_call_id"]; id != seen.ID {
			t.Errorf("switchboard_call_id = %v, want the stored call's id %s", id, seen.ID)
		}
		if n := len(h.fake.Calls()); n != 0 {
			t.Errorf("ElevenLabs had %d calls before the dial", n)
		}
	}}
	h.clock.Set(base.Add(time.Second))
	call := h.place(calling.Request{FirstMessage: "Hello Ada", DynamicVariables: map[string]any{"order": "A-17", "full_name": "Mallory"}})

	if seen == nil {
		t.Fatal("the dialer was not asked")
	}
	if seen.Status != switchboard.CallQueued || seen.ConversationID != "" || seen.To != callee || seen.From != number ||
		seen.AgentID != agentID || !seen.CreatedAt.Equal(base.Add(time.Second)) {
		t.Errorf("stored when dialling: %+v, want queued, to %s from %s, no conversation yet", seen, callee, number)
	}
	reqs := h.fake.Calls()
	if len(reqs) != 1 {
		t.Fatalf("ElevenLabs got %d calls, want 1", len(reqs))
	}
	got := reqs[0]
	if got.APIKey != h.fake.Key || got.Call.AgentID != agentID || got.Call.AgentPhoneNumberID != numberID || got.Call.ToNumber != callee {
		t.Errorf("ElevenLabs was asked %+v (key %q), want agent %s, number %s, to %s", got.Call, got.APIKey, agentID, numberID, callee)
	}
	wantVars := map[string]any{
		"order": "A-17", "full_name": "Ada Lovelace", "business_name": "Analytical Ltd", "city": "London",
		"job_title": "Engineer", "email": "ada@example.com", "switchboard_call_id": call.ID,
	}
	if got.Call.ClientData == nil || !reflect.DeepEqual(got.Call.ClientData.DynamicVariables, wantVars) {
		t.Errorf("dynamic variables %+v, want %v", got.Call.ClientData, wantVars)
	} else if o := got.Call.ClientData.ConfigOverride; o == nil || o.Agent.FirstMessage != "Hello Ada" {
		t.Errorf("first message override %+v, want Hello Ada", o)
	}

	stored := h.find(call.ID)
	if call.ID != seen.ID || stored.Status != switchboard.CallInitiated || stored.ConversationID == "" ||
		stored.CallSID == "" || stored.ConversationID != call.ConversationID || stored.CallSID != call.CallSID {
		t.Errorf("after the dial: returned %+v, stored %+v; want one call, initiated with ElevenLabs's ids", call, stored)
	}
	want := []string{"call.queued " + call.ID + ": queued", "call.status_changed " + call.ID + ": queued → initiated"}
	if got := callEvents(t, h.store); !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestPlace_CallerLeavesDuringDial: a request cancelled while ElevenLabs is
// being asked still gets its answer recorded: the dial runs under a
// context of its own.
func TestPlace_CallerLeavesDuringDial(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx, cancel := context.WithCancel(context.Background())
	h.svc.Dialer = &hookDialer{Dialer: h.fake.Client(), beforePlace: func(dialCtx context.Context, _ switchboard.OutboundCall) {
		cancel() // the client hangs up on us
		if dialCtx.Err() != nil {
			t.Errorf("the dial's context ended with the request's: %v", dialCtx.Err())
		}
	}}
	call, err := h.svc.Place(ctx, h.client, calling.Request{Phone: callee, RequestedBy: "client"})
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the request's context was not cancelled")
	}
	if got := h.find(call.ID); got.Status != switchboard.CallInitiated || got.ConversationID == "" {
		t.Errorf("stored %+v, want initiated with a conversation", got)
	}
	if n := len(h.fake.Calls()); n != 1 {
		t.Errorf("ElevenLabs got %d calls, want 1", n)
	}
}

// TestPlace_DialerFails: each way ElevenLabs can fail a call fails the
// stored call with a reason a user can read, which the caller gets as an
// EUPSTREAM "Failed to initiate call"; the POST is never retried.
func TestPlace_DialerFails(t *testing.T) {
	for _, tt := range []struct {
		name    string
		failure elevenlabstest.Failure
		reason  string
		log     string // in the log, "" for none at error level
	}{
		{"refused", elevenlabstest.Failure{Status: 200, Message: "Twilio could not place the call"}, "Twilio could not place the call", ""},
		{"unknown agent", elevenlabstest.Failure{Status: 404, Message: "Agent agent_sales not found"}, "Agent agent_sales not found", ""},
		{"invalid", elevenlabstest.Failure{Status: 400, Message: "to_number is not valid"}, "to_number is not valid", ""},
		{"key refused", elevenlabstest.Failure{Status: 401, Message: "Invalid API key"}, "ElevenLabs refused the API key", "check ELEVENLABS_API_KEY"},
		{"unavailable", elevenlabstest.Failure{Status: 503, Message: "overloaded"},
			"ElevenLabs could not be reached or did not answer in time: the call may not have been placed", `level=ERROR msg="place call"`},
		{"throttled", elevenlabstest.Failure{Status: 429, Message: "too many", RetryAfter: "1"},
			"ElevenLabs could not be reached or did not answer in time: the call may not have been placed", `level=ERROR msg="place call"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, storetest.Open(t, store.SQLite))
			h.fake.FailCalls(1, tt.failure)
			call, err := h.svc.Place(context.Background(), h.client, calling.Request{Phone: callee, RequestedBy: "client"})
			var e *switchboard.Error
			if call != nil || !errors.As(err, &e) || e.Code != switchboard.EUPSTREAM || e.Message != calling.MsgInitiationFailed || e.Details != tt.reason {
				t.Fatalf("Place = %+v, %#v; want EUPSTREAM %q with details %q", call, err, calling.MsgInitiationFailed, tt.reason)
			}
			if strings.Contains(e.Details, h.fake.Key) || strings.Contains(h.log.String(), h.fake.Key) {
				t.Error("the API key leaked into the error or the log")
			}
			calls, _, _, err := h.store.FindClientCalls(context.Background(), h.client.ID, switchboard.CallFilter{})
			if err != nil || len(calls) != 1 {
				t.Fatalf("%d calls stored (%v), want 1", len(calls), err)
			}
			if c := calls[0]; c.Status != switchboard.CallFailed || c.Error != tt.reason || c.ConversationID != "" {
				t.Errorf("stored %+v, want failed with %q", c, tt.reason)
			}
			if n := len(h.fake.Calls()); n != 1 {
				t.Errorf("ElevenLabs got %d POSTs, want exactly 1 (never retried)", n)
			}
			if tt.log != "" && !strings.Contains(h.log.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, h.log)
			}
		})
	}
}

// TestPlace_DialTimesOut: ElevenLabs that does not answer in time fails
// the call, recorded, with "may not have been placed", although the dial's
// own deadline is over by then.
func TestPlace_DialTimesOut(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	h.svc.DialTimeout = 200 * time.Millisecond
	h.fake.HoldCalls()
	call, err := h.svc.Place(context.Background(), h.client, calling.Request{Phone: callee, RequestedBy: "client"})
	const reason = "ElevenLabs could not be reached or did not answer in time: the call may not have been placed"
	if call != nil || switchboard.ErrorCode(err) != switchboard.EUPSTREAM {
		t.Fatalf("Place = %+v, %v; want EUPSTREAM", call, err)
	}
	calls, _, _, err := h.store.FindClientCalls(context.Background(), h.client.ID, switchboard.CallFilter{})
	if err != nil || len(calls) != 1 {
		t.Fatalf("%d calls stored (%v), want 1", len(calls), err)
	}
	if c := calls[0]; c.Status != switchboard.CallFailed || c.Error != reason {
		t.Errorf("stored %+v, want failed with %q", c, reason)
	}
}

// TestPlace_NotPlaced: refusals before the dial store nothing and ask
// ElevenLabs nothing.
func TestPlace_NotPlaced(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	off := h.service(h.store, nil)
	if _, err := off.Place(ctx, h.client, calling.Request{Phone: callee}); !errors.Is(err, calling.ErrNotConfigured) {
		t.Errorf("no dialer: %v, want ErrNotConfigured", err)
	}
	other := *h.client
	other.TwilioPhoneNumber = "+18005550199" // not imported
	_, err := h.svc.Place(ctx, &other, calling.Request{Phone: callee})
	var e *switchboard.Error
	if !errors.As(err, &e) || e.Code != switchboard.ECONFLICT || e.Message != calling.MsgNumberNotSetUp ||
		e.Details != "+18005550199 is not among the phone numbers imported into ElevenLabs" {
		t.Errorf("a number not imported: %#v", err)
	}
	inbound := *h.client
	inbound.TwilioPhoneNumber = "+18005550101"
	if _, err := h.svc.Place(ctx, &inbound, calling.Request{Phone: callee}); !errors.As(err, &e) || e.Code != switchboard.ECONFLICT ||
		e.Details != "+18005550101 is imported into ElevenLabs but does not support outbound calls" {
		t.Errorf("an inbound-only number: %#v", err)
	}
	if _, err := h.svc.Place(ctx, h.client, calling.Request{Phone: "2125550199"}); !errors.As(err, &e) || e.Code != switchboard.EINVALID || e.Message != calling.MsgPhoneFormat {
		t.Errorf("a number not in E.164: %#v", err)
	}
	if _, total, _, _ := h.store.FindClientCalls(ctx, h.client.ID, switchboard.CallFilter{}); total != 0 {
		t.Errorf("%d calls stored, want none", total)
	}
	if n := len(h.fake.Calls()); n != 0 {
		t.Errorf("ElevenLabs got %d calls, want none", n)
	}

	// A number imported since is found at once: an absent number is looked
	// up afresh, not from the list read a moment ago.
	h.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: "+18005550199", ID: "pn_new", SupportsOutbound: true, AssignedAgentID: agentID})
	h.clock.Set(base.Add(time.Second))
	if _, err := h.svc.Place(ctx, &other, calling.Request{Phone: callee, RequestedBy: "client"}); err != nil {
		t.Errorf("a number imported since: %v", err)
	} else if c := h.fake.Calls(); len(c) != 1 || c[0].Call.AgentPhoneNumberID != "pn_new" {
		t.Errorf("ElevenLabs got %+v, want one call from pn_new", c)
	}
}

// TestApply: reports move a call only forward; the same report twice, or
// an older one, changes nothing; a report about a conversation no call
// has is logged and is no error.
func TestApply(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	call := h.place(calling.Request{})
	conv := call.ConversationID

	apply := func(when time.Duration, r switchboard.CallResult) *switchboard.Call {
		t.Helper()
		h.clock.Set(base.Add(when))
		r.ConversationID = conv
		got, err := h.svc.Apply(ctx, r)
		if err != nil {
			t.Fatalf("Apply(%+v): %v", r, err)
		}
		return got
	}
	if got := apply(time.Minute, switchboard.CallResult{Status: switchboard.CallInProgress}); got.Status != switchboard.CallInProgress ||
		!got.UpdatedAt.Equal(base.Add(time.Minute)) {
		t.Errorf("in-progress: %+v", got)
	}
	start := base.Add(50 * time.Second)
	end := start.Add(42 * time.Second)
	done := switchboard.CallResult{
		Status: switchboard.CallCompleted, StartTime: &start, EndTime: &end, Duration: 42,
		Outcome: switchboard.OutcomeSuccess, Summary: "Agreed to a demo.", TerminationReason: "Call ended by remote party",
		Transcript: []switchboard.TranscriptTurn{{Role: "agent", Message: "Hello Ada", TimeInCallSecs: 0}, {Role: "user", Message: "Hi", TimeInCallSecs: 2}},
	}
	apply(2*time.Minute, done)
	want := h.find(call.ID)
	if want.Status != switchboard.CallCompleted || want.Outcome != switchboard.OutcomeSuccess || want.Duration != 42 ||
		want.Summary != done.Summary || want.TerminationReason != done.TerminationReason || !reflect.DeepEqual(want.Transcript, done.Transcript) ||
		want.EndTime == nil || !want.EndTime.Equal(end) || !want.UpdatedAt.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("completed: %+v", want)
	}
	events := callEvents(t, h.store)

	// Redelivered, then out of order, then the other final status: nothing moves.
	apply(3*time.Minute, done)
	apply(4*time.Minute, switchboard.CallResult{Status: switchboard.CallInProgress})
	apply(5*time.Minute, switchboard.CallResult{Status: switchboard.CallInitiated})
	apply(6*time.Minute, switchboard.CallResult{Status: switchboard.CallFailed, Error: "busy"})
	if got := h.find(call.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("after stale reports:\n%+v, want unchanged\n%+v", got, want)
	}
	if got := callEvents(t, h.store); !reflect.DeepEqual(got, events) {
		t.Errorf("stale reports added events: %q, want %q", got, events)
	}
	wantEvents := []string{
		"call.queued " + call.ID + ": queued",
		"call.status_changed " + call.ID + ": queued → initiated",
		"call.status_changed " + call.ID + ": initiated → in-progress",
		"call.status_changed " + call.ID + ": in-progress → completed",
	}
	if !reflect.DeepEqual(events, wantEvents) {
		t.Errorf("events %q, want %q", events, wantEvents)
	}

	// A conversation this service never started.
	got, err := h.svc.Apply(ctx, switchboard.CallResult{ConversationID: "conv_nobody", Status: switchboard.CallCompleted})
	if got != nil || err != nil {
		t.Errorf("unknown conversation: %+v, %v; want nil, nil", got, err)
	}
	if log := h.log.String(); !strings.Contains(log, "call report for an unknown conversation") || !strings.Contains(log, "conversation_id=conv_nobody") {
		t.Errorf("the unknown conversation is not logged:\n%s", log)
	}
}

// TestApply_ReportBeforeDialAnswer: ElevenLabs may report a conversation
// (a call_initiation_failure when the line is busy) before its answer to
// the dial is recorded, when no call has the conversation yet. The report
// is held, not dropped, and settles the call as soon as the answer is
// recorded; a held report no call ever claims is purged after a day.
func TestApply_ReportBeforeDialAnswer(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		h.svc.Dialer = &hookDialer{Dialer: h.fake.Client(), afterPlace: func(d switchboard.Dialled) {
			busy := switchboard.CallResult{ConversationID: d.ConversationID, Status: switchboard.CallFailed, Error: "The line was busy"}
			if got, err := h.svc.ApplyWebhook(ctx, busy); got != nil || err != nil {
				t.Errorf("early report: %+v, %v; want nil, nil (held)", got, err)
			}
		}}
		call, err := h.svc.Place(ctx, h.client, calling.Request{Phone: callee, RequestedBy: "client"})
		if err != nil {
			t.Fatal(err)
		}
		if call.Status != switchboard.CallFailed || call.Error != "The line was busy" {
			t.Errorf("Place returned %+v; want failed: The line was busy", call)
		}
		if got := h.find(call.ID); got.Status != switchboard.CallFailed || got.Error != "The line was busy" {
			t.Errorf("stored call %+v; want failed: The line was busy", got)
		}
		if held, err := s.TakeHeldCallResults(ctx, call.ConversationID); err != nil || len(held) != 0 {
			t.Errorf("held reports after the call took them: %v, %v; want none", held, err)
		}

		// A report about a conversation that took place (a transcript, a
		// summary) cannot come before the dial's answer: one no call has is
		// about a call placed elsewhere, and what was said is not kept.
		said := switchboard.CallResult{ConversationID: "conv_elsewhere", Status: switchboard.CallCompleted, Summary: "They talked",
			Transcript: []switchboard.TranscriptTurn{{Role: "user", Message: "My card number is…"}}}
		if got, err := h.svc.ApplyWebhook(ctx, said); got != nil || err != nil {
			t.Errorf("report of a conversation placed elsewhere: %+v, %v; want nil, nil", got, err)
		}
		if held, err := s.TakeHeldCallResults(ctx, "conv_elsewhere"); err != nil || len(held) != 0 {
			t.Errorf("held reports of a conversation placed elsewhere: %v, %v; want none", held, err)
		}

		// A failure for a conversation that never becomes a call's is kept
		// for a day, then purged by the reconciler.
		if _, err := h.svc.ApplyWebhook(ctx, switchboard.CallResult{ConversationID: "conv_stray", Status: switchboard.CallFailed, Error: "No one answered"}); err != nil {
			t.Fatal(err)
		}
		held, err := s.TakeHeldCallResults(ctx, "conv_stray")
		if err != nil || len(held) != 1 || held[0].Error != "No one answered" {
			t.Fatalf("held for conv_stray: %+v, %v; want the failure", held, err)
		}
		if err := s.HoldCallResult(ctx, held[0], base); err != nil { // back, as it was
			t.Fatal(err)
		}
		h.clock.Set(base.Add(24*time.Hour + time.Second))
		if _, err := h.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if held, err := s.TakeHeldCallResults(ctx, "conv_stray"); err != nil || len(held) != 0 {
			t.Errorf("stray report after a day: %v, %v; want purged", held, err)
		}
	})
}

// TestReconcile_Queued: a call left queued for over a minute (the process
// stopped between the row and the dial) is failed as interrupted and never
// dialled; a younger one is left alone, as it may be being dialled now.
func TestReconcile_Queued(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		old := h.queue(base.Add(-61 * time.Second))
		young := h.queue(base.Add(-59 * time.Second))
		n, err := h.svc.Reconcile(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Reconcile = %d, %v; want 1", n, err)
		}
		got := h.find(old.ID)
		if got.Status != switchboard.CallFailed || !strings.HasPrefix(got.Error, "interrupted") || !got.UpdatedAt.Equal(base) {
			t.Errorf("old queued call: %+v, want failed, interrupted, at the clock's time", got)
		}
		if got := h.find(young.ID); got.Status != switchboard.CallQueued {
			t.Errorf("young queued call: %+v, want still queued", got)
		}
		if r := h.fake.Requests(); len(r) != 0 {
			t.Errorf("ElevenLabs was asked %+v, want nothing", r)
		}
		// Once the young call is old enough, it goes the same way.
		h.clock.Set(base.Add(2 * time.Second))
		if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
			t.Fatalf("second Reconcile = %d, %v; want 1", n, err)
		}
		if got := h.find(young.ID); got.Status != switchboard.CallFailed || !strings.HasPrefix(got.Error, "interrupted") {
			t.Errorf("the other queued call: %+v", got)
		}
		if n, err := h.svc.Reconcile(ctx); err != nil || n != 0 {
			t.Errorf("third Reconcile = %d, %v; want nothing left", n, err)
		}
	})
}

// TestReconcile_Active: calls with no news for ten minutes are read back
// from ElevenLabs, each once per lease: a finished conversation completes
// its call with the outcome and transcript, an unknown one fails it, one
// still going is left and read again only after its lease.
func TestReconcile_Active(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		done := h.place(calling.Request{})
		going := h.place(calling.Request{})
		lost := h.dialled("conv_lost", base)
		h.clock.Set(base.Add(2 * time.Minute))
		young := h.place(calling.Request{})
		finished := elevenlabstest.TranscriptionEvent(done.ConversationID).Data.(elevenlabs.Conversation)
		h.fake.SetConversation(finished)
		// going: the fake has it as initiated since it was placed.

		h.clock.Set(base.Add(10*time.Minute + time.Second))
		n, err := h.svc.Reconcile(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Reconcile = %d, %v; want 3", n, err)
		}
		got := h.find(done.ID)
		wantResult := finished.Result()
		if got.Status != switchboard.CallCompleted || got.Outcome != switchboard.OutcomeSuccess || got.Duration != 42 ||
			got.Summary != wantResult.Summary || got.TerminationReason != wantResult.TerminationReason ||
			!reflect.DeepEqual(got.Transcript, wantResult.Transcript) || got.EndTime == nil {
			t.Errorf("finished conversation: %+v, want completed with %+v", got, wantResult)
		}
		if got := h.find(lost.ID); got.Status != switchboard.CallFailed || got.Error != "ElevenLabs has no record of the conversation" {
			t.Errorf("unknown conversation: %+v, want failed", got)
		}
		if got := h.find(going.ID); got.Status != switchboard.CallInitiated {
			t.Errorf("conversation still going: %+v, want initiated", got)
		}
		if got := h.find(young.ID); got.Status != switchboard.CallInitiated {
			t.Errorf("young call: %+v, want initiated", got)
		}
		wantReads := map[string]int{done.ConversationID: 1, going.ConversationID: 1, "conv_lost": 1}
		if got := h.conversationReads(); !reflect.DeepEqual(got, wantReads) {
			t.Errorf("conversations read %v, want %v", got, wantReads)
		}

		// Five minutes on: the young call is due, the one still going is
		// within its lease and is not read again.
		h.clock.Set(base.Add(15*time.Minute + time.Second))
		if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
			t.Fatalf("Reconcile within the lease = %d, %v; want 1 (the young call)", n, err)
		}
		wantReads[young.ConversationID] = 1
		if got := h.conversationReads(); !reflect.DeepEqual(got, wantReads) {
			t.Errorf("conversations read %v, want %v", got, wantReads)
		}
		// The lease ends and the conversation has ended meanwhile.
		h.fake.SetConversation(elevenlabstest.TranscriptionEvent(going.ConversationID, func(c *elevenlabs.Conversation) {
			c.Analysis.CallSuccessful = switchboard.OutcomeFailure
		}).Data.(elevenlabs.Conversation))
		h.clock.Set(base.Add(20*time.Minute + time.Second))
		if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
			t.Fatalf("Reconcile after the lease = %d, %v; want 1", n, err)
		}
		if got := h.find(going.ID); got.Status != switchboard.CallCompleted || got.Outcome != switchboard.OutcomeFailure {
			t.Errorf("after its lease: %+v, want completed, outcome failure", got)
		}
		wantReads[going.ConversationID] = 2
		if got := h.conversationReads(); !reflect.DeepEqual(got, wantReads) {
			t.Errorf("conversations read %v, want %v", got, wantReads)
		}
	})
}

// TestReconcile_Unavailable: ElevenLabs failing a read is logged, the call
// stays as it is, and it is read again once its lease ends.
func TestReconcile_Unavailable(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	call := h.place(calling.Request{})
	h.fake.FailGets(3, elevenlabstest.Failure{Status: 503, Message: "overloaded"})
	h.clock.Set(base.Add(11 * time.Minute))
	if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
	if got := h.find(call.ID); got.Status != switchboard.CallInitiated {
		t.Errorf("after a failed read: %+v, want initiated", got)
	}
	if !strings.Contains(h.log.String(), `msg="reconcile call"`) {
		t.Errorf("the failed read is not logged:\n%s", h.log)
	}
	h.fake.SetConversation(elevenlabstest.TranscriptionEvent(call.ConversationID).Data.(elevenlabs.Conversation))
	h.clock.Set(base.Add(21 * time.Minute))
	if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile after the lease = %d, %v", n, err)
	}
	if got := h.find(call.ID); got.Status != switchboard.CallCompleted {
		t.Errorf("after the lease: %+v, want completed", got)
	}
}

// TestReconcile_TwoInstances: two services, each on its own store opened
// on one database, reconcile at once, again and again: every stale call is
// reconciled, and no conversation is read twice.
func TestReconcile_TwoInstances(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			s1, s2 := storetest.OpenTwice(t, dialect)
			h := newHarness(t, s1)
			const n = 240 // more than two claims' worth (100 each)
			ids := make([]string, n)
			for i := range ids {
				conv := fmt.Sprintf("conv_%03d", i)
				ids[i] = h.dialled(conv, base.Add(time.Duration(i)*time.Millisecond)).ID
				h.fake.SetConversation(elevenlabstest.TranscriptionEvent(conv).Data.(elevenlabs.Conversation))
			}
			h.clock.Set(base.Add(11 * time.Minute))
			services := []*calling.Service{h.service(s1, h.fake.Client()), h.service(s2, h.fake.Client())}
			counts := make([]int, 2)
			var wg sync.WaitGroup
			for i, svc := range services {
				wg.Go(func() {
					for {
						k, err := svc.Reconcile(context.Background())
						if err != nil {
							t.Error(err)
							return
						}
						if k == 0 {
							return
						}
						counts[i] += k
					}
				})
			}
			wg.Wait()
			t.Logf("reconciled %d and %d", counts[0], counts[1])
			if counts[0]+counts[1] != n {
				t.Errorf("reconciled %d + %d calls, want %d in all", counts[0], counts[1], n)
			}
			reads := h.conversationReads()
			if len(reads) != n {
				t.Errorf("%d conversations read, want %d", len(reads), n)
			}
			for conv, k := range reads {
				if k != 1 {
					t.Errorf("%s read %d times, want once", conv, k)
				}
			}
			for _, id := range ids {
				if got := h.find(id); got.Status != switchboard.CallCompleted {
					t.Errorf("%s: %s, want completed", id, got.Status)
				}
			}
		})
	}
}

// TestCheck: what ElevenLabs says of an agent and a number, and "not
// verified" when it cannot be asked.
func TestCheck(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	for _, tt := range []struct {
		name          string
		agent, number string
		want          calling.Check
		ready         bool
	}{
		{"ready", agentID, number, calling.Check{Verified: true, AgentFound: true, AgentName: "Sales agent",
			NumberImported: true, SupportsOutbound: true, AssignedAgentID: agentID, AssignedToAgent: true}, true},
		{"unknown agent", "agent_ghost", number, calling.Check{Verified: true,
			NumberImported: true, SupportsOutbound: true, AssignedAgentID: agentID}, false},
		{"number not imported", agentID, "+18005550199", calling.Check{Verified: true, AgentFound: true, AgentName: "Sales agent"}, false},
		{"inbound only, another agent's", agentID, "+18005550101", calling.Check{Verified: true, AgentFound: true, AgentName: "Sales agent",
			NumberImported: true, AssignedAgentID: "agent_other"}, false},
		{"unassigned", agentID, "+18005550102", calling.Check{Verified: true, AgentFound: true, AgentName: "Sales agent",
			NumberImported: true, SupportsOutbound: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.svc.Check(ctx, tt.agent, tt.number)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) || got.Ready() != tt.ready {
				t.Errorf("Check = %+v (ready %v), want %+v (ready %v)", *got, got.Ready(), tt.want, tt.ready)
			}
		})
	}

	// Not verified: ElevenLabs down, a refused key, nothing listening, the
	// numbers unreadable.
	gone := elevenlabstest.New(t)
	gone.Server.Close()
	for _, tt := range []struct {
		name  string
		svc   *calling.Service
		setup func()
	}{
		// Three tries of the agent's GET for Check, three for VerifySetup.
		{"unavailable", h.svc, func() { h.fake.FailGets(6, elevenlabstest.Failure{Status: 503, Message: "overloaded"}) }},
		{"key refused", h.service(h.store, elevenlabs.New(h.fake.URL, "xi-wrong-key", nil)), func() {}},
		{"unreachable", h.service(h.store, gone.Client()), func() {}},
		{"numbers unreadable", h.service(h.store, &failingNumbers{h.fake.Client()}), func() {}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			got, err := tt.svc.Check(ctx, agentID, number)
			if err != nil || got.Verified || got.Problem == "" || got.Ready() || got.AgentFound || got.NumberImported {
				t.Errorf("Check = %+v, %v; want not verified, with the problem", got, err)
			}
			if err := tt.svc.VerifySetup(ctx, "agent_ghost", "+18005550199"); err != nil {
				t.Errorf("VerifySetup = %v, want nil (saved unverified)", err)
			}
		})
	}
	if _, err := h.service(h.store, nil).Check(ctx, agentID, number); !errors.Is(err, calling.ErrNotConfigured) {
		t.Errorf("no dialer: Check = %v, want ErrNotConfigured", err)
	}
}

// failingNumbers is a Dialer whose list of numbers cannot be read.
type failingNumbers struct{ switchboard.Dialer }

func (failingNumbers) PhoneNumbers(context.Context) ([]switchboard.PhoneNumber, error) {
	return nil, &switchboard.Error{Code: switchboard.EINTERNAL, Reason: switchboard.ReasonProviderUnavailable, Message: "ElevenLabs could not be reached"}
}

// TestVerifySetup: an agent ElevenLabs says does not exist and a number it
// does not know are refused, naming the field; anything else is accepted.
func TestVerifySetup(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	const noAgent = `agentId "agent_ghost" does not exist in ElevenLabs`
	const noNumber = "twilioPhoneNumber +18005550199 is not imported into ElevenLabs"
	for _, tt := range []struct {
		name          string
		agent, number string
		message       string
		fields        map[string]string
	}{
		{"set up", agentID, number, "", nil},
		{"inbound only, another agent's", agentID, "+18005550101", "", nil},
		{"unknown agent", "agent_ghost", number, noAgent, map[string]string{"agentId": noAgent}},
		{"unknown number", agentID, "+18005550199", noNumber, map[string]string{"twilioPhoneNumber": noNumber}},
		{"both", "agent_ghost", "+18005550199", noAgent, map[string]string{"agentId": noAgent, "twilioPhoneNumber": noNumber}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := h.svc.VerifySetup(ctx, tt.agent, tt.number)
			if tt.message == "" {
				if err != nil {
					t.Errorf("VerifySetup = %v, want nil", err)
				}
				return
			}
			var e *switchboard.Error
			if !errors.As(err, &e) || e.Code != switchboard.EINVALID || e.Message != tt.message || !reflect.DeepEqual(e.Fields, tt.fields) {
				t.Errorf("VerifySetup = %#v, want EINVALID %q with fields %v", err, tt.message, tt.fields)
			}
		})
	}
	if err := h.service(h.store, nil).VerifySetup(ctx, "agent_ghost", "+18005550199"); err != nil {
		t.Errorf("calling off: VerifySetup = %v, want nil", err)
	}
}
