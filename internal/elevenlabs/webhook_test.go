package elevenlabs_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/switchboard"
)

func TestVerifySignature(t *testing.T) {
	const secret = "wsec_test"
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"post_call_transcription","data":{"conversation_id":"conv_1"}}`)
	valid := elevenlabs.SignWebhook(secret, body, now)
	other := elevenlabs.SignWebhook("wsec_old", body, now)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name    string
		secret  string
		header  string
		body    []byte
		message string // "" for valid
	}{
		{"Valid", secret, valid, body, ""},
		{"Spaces", secret, "t=" + ts + ", v0=" + valid[len("t="+ts+",v0="):], body, ""},
		{"RecentPast", secret, elevenlabs.SignWebhook(secret, body, now.Add(-29*time.Minute)), body, ""},
		{"TwoV0", secret, other + "," + valid[len("t="+ts+","):], body, ""},
		{"TwoV0Rotated", "wsec_old", other + "," + valid[len("t="+ts+","):], body, ""},
		{"UnknownScheme", secret, valid + ",v1=zzz", body, ""},
		{"Missing", secret, "", body, "Missing signature"},
		{"NoSecret", "", valid, body, "No webhook secret is configured"},
		{"NoV0", secret, "t=" + ts, body, "Malformed signature"},
		{"NoT", secret, valid[len("t="+ts+","):], body, "Malformed signature"},
		{"BadT", secret, "t=soon," + valid[len("t="+ts+","):], body, "Malformed signature"},
		{"TwoT", secret, "t=" + ts + "," + valid, body, "Malformed signature"},
		{"NotHex", secret, "t=" + ts + ",v0=xyz", body, "Malformed signature"},
		{"ShortHex", secret, "t=" + ts + ",v0=abcd", body, "Malformed signature"},
		{"Garbage", secret, "sha256=abc", body, "Malformed signature"},
		{"WrongSecret", "wsec_wrong", valid, body, "Invalid signature"},
		{"Tampered", secret, valid, []byte(strings.Replace(string(body), "conv_1", "conv_2", 1)), "Invalid signature"},
		{"OtherTime", secret, "t=" + strconv.FormatInt(now.Unix()-1, 10) + "," + valid[len("t="+ts+","):], body, "Invalid signature"},
		{"Stale", secret, elevenlabs.SignWebhook(secret, body, now.Add(-31*time.Minute)), body, "Stale signature"},
		{"Future", secret, elevenlabs.SignWebhook(secret, body, now.Add(6*time.Minute)), body, "Signature from the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := elevenlabs.VerifySignature(tt.secret, tt.header, tt.body, now)
			if tt.message == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED || switchboard.ErrorMessage(err) != tt.message {
				t.Errorf("err %v, want %q", err, tt.message)
			}
		})
	}
}

func TestParseWebhook(t *testing.T) {
	start := time.Unix(1740823200, 0).UTC()
	end := start.Add(42 * time.Second)
	transcription := func(status string) elevenlabs.WebhookBody {
		ev := elevenlabstest.TranscriptionEvent("conv_1", func(c *elevenlabs.Conversation) {
			c.Status = status
			c.Metadata.StartTimeUnixSecs = start.Unix()
		})
		ev.EventTimestamp = 1740823300
		return ev
	}
	turns := []switchboard.TranscriptTurn{{Role: "agent", Message: "Hello, do you have a minute?"}, {Role: "user", Message: "Yes, go ahead.", TimeInCallSecs: 4}}
	tests := []struct {
		name string
		body any
		want elevenlabs.Event
	}{
		{"Done", transcription("done"), elevenlabs.Event{
			Type: "post_call_transcription", EventTimestamp: 1740823300, ConversationID: "conv_1",
			Result: switchboard.CallResult{
				ConversationID: "conv_1", Status: switchboard.CallCompleted, StartTime: &start, EndTime: &end, Duration: 42,
				Outcome: "success", Summary: "The user agreed to a follow-up.", TerminationReason: "Call ended by remote party", Transcript: turns,
			},
		}},
		// A post-call webhook ends the call, whatever status it names.
		{"NotDone", transcription("processing"), elevenlabs.Event{
			Type: "post_call_transcription", EventTimestamp: 1740823300, ConversationID: "conv_1",
			Result: switchboard.CallResult{
				ConversationID: "conv_1", Status: switchboard.CallFailed, StartTime: &start, EndTime: &end, Duration: 42,
				Outcome: "success", Summary: "The user agreed to a follow-up.", TerminationReason: "Call ended by remote party",
				Error: "Call ended by remote party", Transcript: turns,
			},
		}},
		{"Busy", `{"type":"call_initiation_failure","event_timestamp":1740823300,"data":{"agent_id":"agent_1",
			"conversation_id":"conv_2","failure_reason":"busy","metadata":{"type":"twilio","body":{"CallStatus":"busy"}}}}`,
			elevenlabs.Event{Type: "call_initiation_failure", EventTimestamp: 1740823300, ConversationID: "conv_2",
				Result: switchboard.CallResult{ConversationID: "conv_2", Status: switchboard.CallFailed, Error: "The line was busy"}}},
		{"NoAnswer", func() elevenlabs.WebhookBody {
			ev := elevenlabstest.InitiationFailureEvent("conv_3", "no-answer")
			ev.EventTimestamp = 9
			return ev
		}(), elevenlabs.Event{Type: "call_initiation_failure", EventTimestamp: 9, ConversationID: "conv_3",
			Result: switchboard.CallResult{ConversationID: "conv_3", Status: switchboard.CallFailed, Error: "No one answered"}}},
		{"OtherReason", `{"type":"call_initiation_failure","event_timestamp":5,"data":{"conversation_id":"conv_4","failure_reason":"rejected"}}`,
			elevenlabs.Event{Type: "call_initiation_failure", EventTimestamp: 5, ConversationID: "conv_4",
				Result: switchboard.CallResult{ConversationID: "conv_4", Status: switchboard.CallFailed, Error: "The call could not be connected (rejected)"}}},
		{"UnknownType", `{"type":"post_call_audio","event_timestamp":7,"data":{"conversation_id":"conv_5","full_audio":"AAAA"}}`,
			elevenlabs.Event{Type: "post_call_audio", EventTimestamp: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ok := tt.body.(string)
			raw := []byte(body)
			if !ok {
				raw, _ = json.Marshal(tt.body)
			}
			got, err := elevenlabs.ParseWebhook(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("event\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{
		``, `nope`, `[]`, `{}`, `{"type":""}`,
		`{"type":"post_call_transcription","data":{"status":"done"}}`,
		`{"type":"post_call_transcription","data":"x"}`,
		`{"type":"call_initiation_failure","data":{"failure_reason":"busy"}}`,
	} {
		if _, err := elevenlabs.ParseWebhook([]byte(bad)); switchboard.ErrorCode(err) != switchboard.EINVALID {
			t.Errorf("%s: err %v, want EINVALID", bad, err)
		}
	}
}
