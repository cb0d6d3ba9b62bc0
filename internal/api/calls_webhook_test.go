package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// wantUnchanged asserts the call and the audit trail are as they were.
func (cs *callServer) wantUnchanged(before *switchboard.Call, events []string) {
	cs.t.Helper()
	if after := cs.storedCall(before.ID); !reflect.DeepEqual(after, before) {
		cs.t.Errorf("call changed:\n%+v\nwas\n%+v", after, before)
	}
	if got := cs.callEvents(); !reflect.DeepEqual(got, events) {
		cs.t.Errorf("call events:\n%s\nwere\n%s", strings.Join(got, "\n"), strings.Join(events, "\n"))
	}
}

// TestWebhook_Signature: a webhook without a good, fresh signature is
// refused with 401 and changes nothing.
func TestWebhook_Signature(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		c := cs.placeCall("acme", cs.client("acme"), "+14155550100")
		cs.clock.Advance(2 * time.Minute)
		before, events := cs.storedCall(c.ID), cs.callEvents()

		body := cs.eventBody(cs.transcription(c.ConversationID, 42, "success"))
		now := cs.clock.Now()
		sign := func(secret string, b []byte, at time.Time) string { return elevenlabs.SignWebhook(secret, b, at) }
		good := sign(testWebhookSecret, body, now)
		ts, mac, _ := strings.Cut(strings.TrimPrefix(good, "t="), ",v0=")
		tampered := bytes.Replace(body, []byte(`"call_duration_secs":42`), []byte(`"call_duration_secs":4200`), 1)
		if bytes.Equal(tampered, body) {
			t.Fatal("the body was not tampered with")
		}
		for _, tt := range []struct {
			name, signature string
			body            []byte
		}{
			{"missing", "", body},
			{"empty", " ", body},
			{"garbage", "garbage", body},
			{"no timestamp", "v0=" + mac, body},
			{"no mac", "t=" + ts, body},
			{"mac not hex", "t=" + ts + ",v0=" + strings.Repeat("z", 64), body},
			{"mac too short", "t=" + ts + ",v0=" + mac[:32], body},
			{"timestamp not a number", "t=soon,v0=" + mac, body},
			{"two timestamps", good + ",t=" + ts, body},
			{"wrong secret", sign("another-secret", body, now), body},
			{"tampered body", good, tampered},
			{"another timestamp", fmt.Sprintf("t=%d,v0=%s", now.Unix()-1, mac), body},
			{"31 minutes old", sign(testWebhookSecret, body, now.Add(-31*time.Minute)), body},
			{"a day old", sign(testWebhookSecret, body, now.Add(-24*time.Hour)), body},
			{"from the future", sign(testWebhookSecret, body, now.Add(6*time.Minute)), body},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cs := cs.with(t)
				cs.postWebhook(tt.body, tt.signature).wantStatus(401).wantBody(`{"error":"Invalid signature"}`)
				cs.wantUnchanged(before, events)
			})
		}
		if !strings.Contains(cs.log.String(), `msg="webhook refused" reason="Stale signature"`) {
			t.Error("the log does not say a signature was stale")
		}

		// 29 minutes old is still good; a second v0 (a secret being
		// rotated) is accepted too.
		sig := sign(testWebhookSecret, body, now.Add(-29*time.Minute))
		sig += ",v0=" + strings.Repeat("0", 64)
		cs.postWebhook(body, sig).wantStatus(200).wantBody(`{"received":true}`)
		if got := cs.storedCall(c.ID); got.Status != switchboard.CallCompleted || got.Duration != 42 {
			t.Errorf("status %s, duration %d after a good webhook", got.Status, got.Duration)
		}
	})
}

// TestWebhook_NotConfigured: with no secret the webhook answers 503,
// whatever it carries.
func TestWebhook_NotConfigured(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServerWith(t, s, func(srv *api.Server) { srv.WebhookSecret = "" })
		c := cs.placeCall("acme", cs.client("acme"), "+14155550100")
		before, events := cs.storedCall(c.ID), cs.callEvents()
		body := cs.eventBody(cs.transcription(c.ConversationID, 42, "success"))
		for _, sig := range []string{"", elevenlabs.SignWebhook("", body, cs.clock.Now()), elevenlabs.SignWebhook(testWebhookSecret, body, cs.clock.Now())} {
			cs.postWebhook(body, sig).wantStatus(503).wantBody(`{"error":"The ElevenLabs webhook is not configured"}`)
		}
		cs.wantUnchanged(before, events)
	})
}

// TestWebhook_Transcription: a post_call_transcription records the outcome:
// status, times, duration, outcome, summary, how it ended, the transcript.
func TestWebhook_Transcription(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		c := cs.placeCall("acme", token, "+14155550100")
		cs.clock.Advance(3 * time.Minute)
		start := cs.clock.Now().Add(-2 * time.Minute)
		cs.webhook(elevenlabstest.TranscriptionEvent(c.ConversationID, func(conv *elevenlabs.Conversation) {
			conv.Metadata.StartTimeUnixSecs = start.Unix()
			conv.Metadata.CallDurationSecs = 61.6 // rounded
			conv.Transcript = append(conv.Transcript,
				elevenlabs.TranscriptEntry{Role: "agent", Message: "", TimeInCallSecs: 9}, // a tool call: left out
				elevenlabs.TranscriptEntry{Role: "agent", Message: "Bye <b>now</b> & \"thanks\" — ✓", TimeInCallSecs: 60.4})
		})).wantStatus(200).wantBody(`{"received":true}`)

		want := c.wire()
		for k, v := range map[string]any{"status": "completed", "startTime": apiTime(start),
			"endTime": apiTime(start.Add(62 * time.Second)), "duration": 62, "outcome": "success",
			"summary": "The user agreed to a follow-up.", "terminationReason": "Call ended by remote party",
			"updatedAt": apiTime(cs.clock.Now()),
			"transcript": []map[string]any{
				{"role": "agent", "message": "Hello, do you have a minute?", "timeInCallSecs": 0},
				{"role": "user", "message": "Yes, go ahead.", "timeInCallSecs": 4},
				{"role": "agent", "message": "Bye <b>now</b> & \"thanks\" — ✓", "timeInCallSecs": 60},
			}} {
			want[k] = v
		}
		cs.do("GET", "/secure/calls/"+c.ID, token, "").wantStatus(200).wantBody(jsonOf(t, want))
		cs.wantCallEvents(
			"client:acme call.queued "+c.ID+": queued",
			"client:acme call.status_changed "+c.ID+": queued → initiated",
			"system call.status_changed "+c.ID+": initiated → completed",
		)

		// A conversation that did not end well is a failed call, with why.
		cs.clock.Advance(time.Minute)
		f := cs.placeCall("acme", token, "+14155550101")
		cs.webhook(elevenlabstest.TranscriptionEvent(f.ConversationID, func(conv *elevenlabs.Conversation) {
			conv.Status = elevenlabs.StatusFailed
			conv.Metadata.StartTimeUnixSecs = cs.clock.Now().Unix()
			conv.Metadata.CallDurationSecs = 3
			conv.Metadata.TerminationReason = "Client disconnected: 1006"
			conv.Analysis = nil
			conv.Transcript = nil
		})).wantStatus(200)
		want = f.wire()
		for k, v := range map[string]any{"status": "failed", "startTime": apiTime(cs.clock.Now()),
			"endTime": apiTime(cs.clock.Now().Add(3 * time.Second)), "duration": 3,
			"terminationReason": "Client disconnected: 1006", "error": "Client disconnected: 1006",
			"transcript": []any{}} {
			want[k] = v
		}
		cs.do("GET", "/secure/calls/"+f.ID, token, "").wantStatus(200).wantBody(jsonOf(t, want))
	})
}

// TestWebhook_InitiationFailure: a call that never connected is failed
// with the reason in words.
func TestWebhook_InitiationFailure(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		for i, tt := range []struct{ reason, want string }{
			{"busy", "The line was busy"},
			{"no-answer", "No one answered"},
			{"unknown", "The call could not be connected"},
			{"", "The call could not be connected"},
			{"carrier-blocked", "The call could not be connected (carrier-blocked)"},
		} {
			c := cs.placeCall("acme", token, fmt.Sprintf("+1415555010%d", i))
			cs.clock.Advance(time.Minute)
			cs.webhook(elevenlabstest.InitiationFailureEvent(c.ConversationID, tt.reason)).wantStatus(200).wantBody(`{"received":true}`)
			want := c.wire()
			for k, v := range map[string]any{"status": "failed", "error": tt.want, "duration": 0,
				"updatedAt": apiTime(cs.clock.Now()), "transcript": []any{}} {
				want[k] = v
			}
			cs.do("GET", "/secure/calls/"+c.ID, token, "").wantStatus(200).wantBody(jsonOf(t, want))
			events := cs.callEvents()
			if got, want := events[len(events)-1], "system call.status_changed "+c.ID+": initiated → failed"; got != want {
				t.Errorf("last event %q, want %q", got, want)
			}
		}
	})
}

// TestWebhook_Redelivery: the same event delivered again, newly signed or
// replayed as it was, changes nothing: not updatedAt, not the audit trail.
func TestWebhook_Redelivery(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		c := cs.placeCall("acme", cs.client("acme"), "+14155550100")
		cs.clock.Advance(2 * time.Minute)
		body := cs.eventBody(cs.transcription(c.ConversationID, 42, "success"))
		sig := elevenlabs.SignWebhook(testWebhookSecret, body, cs.clock.Now())
		cs.postWebhook(body, sig).wantStatus(200)
		done, events := cs.storedCall(c.ID), cs.callEvents()
		if done.Status != switchboard.CallCompleted || len(done.Transcript) != 2 {
			t.Fatalf("status %s with %d turns after the first delivery", done.Status, len(done.Transcript))
		}

		cs.clock.Advance(5 * time.Minute)
		cs.webhook(body).wantStatus(200).wantBody(`{"received":true}`)
		cs.wantUnchanged(done, events)
		cs.postWebhook(body, sig).wantStatus(200).wantBody(`{"received":true}`)
		cs.wantUnchanged(done, events)

		// The same call failing to initiate, after the fact: no change either.
		cs.webhook(elevenlabstest.InitiationFailureEvent(c.ConversationID, "busy")).wantStatus(200)
		cs.wantUnchanged(done, events)
	})
}

// TestWebhook_OutOfOrder: a report older than the call's status never moves
// it back, whether a webhook or the reconciler brings it.
func TestWebhook_OutOfOrder(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		c := cs.placeCall("acme", token, "+14155550100")

		// In progress, as the reconciler reads it back after ten quiet minutes.
		cs.fake.SetConversation(elevenlabs.Conversation{ConversationID: c.ConversationID, Status: elevenlabs.StatusInProgress})
		cs.clock.Advance(11 * time.Minute)
		if n, err := cs.calling.Reconcile(t.Context()); err != nil || n != 1 {
			t.Fatalf("reconciled %d calls: %v", n, err)
		}
		if got := cs.storedCall(c.ID).Status; got != switchboard.CallInProgress {
			t.Fatalf("status %s, want in-progress", got)
		}
		cs.clock.Advance(time.Minute)
		cs.webhook(cs.transcription(c.ConversationID, 42, "success")).wantStatus(200)
		done, events := cs.storedCall(c.ID), cs.callEvents()
		if done.Status != switchboard.CallCompleted {
			t.Fatalf("status %s, want completed", done.Status)
		}

		cs.clock.Advance(time.Minute)
		// An in-progress report arriving late.
		if _, err := cs.calling.Apply(t.Context(), switchboard.CallResult{ConversationID: c.ConversationID, Status: switchboard.CallInProgress}); err != nil {
			t.Fatal(err)
		}
		cs.wantUnchanged(done, events)
		// An initiated one.
		if _, err := cs.calling.Apply(t.Context(), switchboard.CallResult{ConversationID: c.ConversationID, Status: switchboard.CallInitiated}); err != nil {
			t.Fatal(err)
		}
		cs.wantUnchanged(done, events)
		// A failed transcription after the completed one: final stays final.
		cs.webhook(elevenlabstest.TranscriptionEvent(c.ConversationID, func(conv *elevenlabs.Conversation) {
			conv.Status = elevenlabs.StatusFailed
		})).wantStatus(200)
		cs.wantUnchanged(done, events)
		// The reconciler leaves a finished call alone.
		cs.fake.SetConversation(elevenlabs.Conversation{ConversationID: c.ConversationID, Status: elevenlabs.StatusInProgress})
		cs.clock.Advance(time.Hour)
		if n, err := cs.calling.Reconcile(t.Context()); err != nil || n != 0 {
			t.Errorf("reconciled %d calls: %v", n, err)
		}
		cs.wantUnchanged(done, events)
		cs.do("GET", "/secure/calls/"+c.ID, token, "").wantStatus(200).wantFields(map[string]any{"status": "completed", "outcome": "success"})

		// A failure first, then a transcription: the failure stands.
		f := cs.placeCall("acme", token, "+14155550101")
		cs.webhook(elevenlabstest.InitiationFailureEvent(f.ConversationID, "no-answer")).wantStatus(200)
		failed, events := cs.storedCall(f.ID), cs.callEvents()
		cs.clock.Advance(time.Minute)
		cs.webhook(cs.transcription(f.ConversationID, 42, "success")).wantStatus(200)
		cs.wantUnchanged(failed, events)
	})
}

// TestWebhook_Unknown: an event about a conversation no call has, or of a
// type not acted on, answers 200 and changes nothing; a signed body that
// is not a webhook is a 400.
func TestWebhook_Unknown(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		c := cs.placeCall("acme", cs.client("acme"), "+14155550100")
		before, events := cs.storedCall(c.ID), cs.callEvents()
		cs.clock.Advance(time.Minute)

		cs.webhook(cs.transcription("conv_never_started", 42, "success")).wantStatus(200).wantBody(`{"received":true}`)
		cs.webhook(elevenlabstest.InitiationFailureEvent("conv_never_started", "busy")).wantStatus(200).wantBody(`{"received":true}`)
		cs.webhook([]byte(`{"type":"post_call_audio","event_timestamp":1,"data":{"conversation_id":"` + c.ConversationID + `","full_audio":"AAAA"}}`)).
			wantStatus(200).wantBody(`{"received":true}`)
		if !strings.Contains(cs.log.String(), "conversation_id=conv_never_started") {
			t.Error("the unknown conversation is not logged")
		}
		for _, body := range []string{`not json`, `{}`, `{"type":"post_call_transcription","data":{}}`,
			`{"type":"call_initiation_failure","data":{"failure_reason":"busy"}}`, `[]`} {
			cs.webhook([]byte(body)).wantStatus(400).wantBody(`{"error":"Invalid webhook body","details":"Malformed webhook"}`)
		}
		cs.wantUnchanged(before, events)
		cs.wantPlaced(1)
	})
}

// TestWebhook_BodyLimit: the webhook takes a transcript of 1.5 MiB and
// refuses more than 2 MiB; every other route still refuses 64 KiB and a
// byte. It needs a real listener: app.Test does not apply the limits.
func TestWebhook_BodyLimit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		c := cs.placeCall("acme", token, "+14155550100")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go cs.app.Listener(ln)
		t.Cleanup(func() { cs.app.Shutdown() })
		addr := ln.Addr().String()

		line := strings.Repeat("All work and no play. ", 46) // about 1 KiB
		event := cs.transcription(c.ConversationID, 600, "success")
		conv := event.Data.(elevenlabs.Conversation)
		conv.Transcript = nil
		for i := range 1500 {
			conv.Transcript = append(conv.Transcript, elevenlabs.TranscriptEntry{Role: []string{"agent", "user"}[i%2], Message: line, TimeInCallSecs: float64(i)})
		}
		event.Data = conv
		body := cs.eventBody(event)
		if len(body) < 3<<19 || len(body) > httpserver.LargeBodyLimit {
			t.Fatalf("body of %d bytes, want about 1.5 MiB", len(body))
		}
		req, err := http.NewRequest("POST", "http://"+addr+"/webhooks/elevenlabs", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(elevenlabs.SignatureHeader, elevenlabs.SignWebhook(testWebhookSecret, body, cs.clock.Now()))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != `{"received":true}` {
			t.Fatalf("a 1.5 MiB webhook: %d %s", res.StatusCode, got)
		}
		call := cs.storedCall(c.ID)
		if call.Status != switchboard.CallCompleted || len(call.Transcript) != 1500 || call.Transcript[1499].Message != line {
			t.Errorf("status %s with %d turns stored", call.Status, len(call.Transcript))
		}
		detail := cs.do("GET", "/secure/calls/"+c.ID, token, "").wantStatus(200)
		if turns := detail.get("transcript").([]any); len(turns) != 1500 {
			t.Errorf("%d turns read back", len(turns))
		}

		headersOnly(t, addr, "POST", "/webhooks/elevenlabs", "", httpserver.LargeBodyLimit+1).
			wantStatus(413).wantBody(`{"error":"Request body too large"}`)
		headersOnly(t, addr, "POST", "/secure/make-call", token, httpserver.BodyLimit+1).
			wantStatus(413).wantBody(`{"error":"Request body too large"}`)
		headersOnly(t, addr, "POST", "/admin/clients/acme/make-call", cs.adminToken, httpserver.BodyLimit+1).
			wantStatus(413).wantBody(`{"error":"Request body too large"}`)
		headersOnly(t, addr, "POST", "/secure/do-not-call", token, httpserver.BodyLimit+1).
			wantStatus(413).wantBody(`{"error":"Request body too large"}`)
		cs.wantPlaced(1)
	})
}

// TestReconcile: what no webhook settled, the reconciler does, and the API
// shows it: a call left queued by a process stopped between recording and
// dialling is failed as interrupted (and never dialled), a quiet call is
// read back from ElevenLabs.
func TestReconcile(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		token := cs.client("acme")
		// The row a make-call writes before dialling, and nothing after.
		stopped := &switchboard.Call{ID: "call_0123456789abcdef01234567", ClientID: "acme", To: "+14155550100",
			From: testNumber, AgentID: testAgentID, RequestedBy: "client"}
		if err := s.CreateCall(t.Context(), stopped, 60, cs.clock.Now()); err != nil {
			t.Fatal(err)
		}
		done := cs.placeCall("acme", token, "+14155550101")
		ringing := cs.placeCall("acme", token, "+14155550102")
		cs.fake.SetConversation(elevenlabs.Conversation{
			ConversationID: done.ConversationID, Status: elevenlabs.StatusDone,
			Metadata:   elevenlabs.ConversationMetadata{StartTimeUnixSecs: cs.clock.Now().Unix(), CallDurationSecs: 95},
			Analysis:   &elevenlabs.ConversationAnalysis{CallSuccessful: "success", TranscriptSummary: "Booked a demo."},
			Transcript: []elevenlabs.TranscriptEntry{{Role: "agent", Message: "Hi!"}},
		})
		dialled := len(cs.fake.Calls())

		// Under a minute: nothing yet.
		cs.clock.Advance(59 * time.Second)
		if n, err := cs.calling.Reconcile(t.Context()); err != nil || n != 0 {
			t.Fatalf("reconciled %d calls: %v", n, err)
		}
		cs.clock.Advance(2 * time.Second)
		if n, err := cs.calling.Reconcile(t.Context()); err != nil || n != 1 {
			t.Fatalf("reconciled %d calls: %v", n, err)
		}
		cs.do("GET", "/secure/calls/"+stopped.ID, token, "").wantStatus(200).wantFields(map[string]any{
			"status": "failed", "error": "interrupted: the service stopped before ElevenLabs answered", "conversationId": nil})

		// Ten quiet minutes: read back from ElevenLabs.
		cs.clock.Advance(10 * time.Minute)
		if n, err := cs.calling.Reconcile(t.Context()); err != nil || n != 2 {
			t.Fatalf("reconciled %d calls: %v", n, err)
		}
		cs.do("GET", "/secure/calls/"+done.ID, token, "").wantStatus(200).wantFields(map[string]any{
			"status": "completed", "duration": float64(95), "outcome": "success", "summary": "Booked a demo.",
			"transcript": []any{map[string]any{"role": "agent", "message": "Hi!", "timeInCallSecs": float64(0)}}})
		// Still ringing, as ElevenLabs says: unchanged.
		cs.do("GET", "/secure/calls/"+ringing.ID, token, "").wantStatus(200).wantFields(map[string]any{
			"status": "initiated", "updatedAt": apiTime(testStart)})
		if n := len(cs.fake.Calls()); n != dialled {
			t.Errorf("the reconciler dialled %d calls", n-dialled)
		}
		cs.do("GET", "/secure/call-stats", token, "").wantStatus(200).wantFields(map[string]any{
			"stats.callsByStatus.failed": float64(1), "stats.callsByStatus.completed": float64(1), "stats.totalDuration": float64(95)})
	})
}
