package api_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/elevenlabs/elevenlabstest"
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
		if n := len(cs.storedCalls()); n != 1 {
			t.Errorf("%d calls stored", n)
		}
	})
}
