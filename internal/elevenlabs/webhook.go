package elevenlabs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/switchboard"
)

// SignatureHeader is the header ElevenLabs signs its webhooks with.
const SignatureHeader = "ElevenLabs-Signature"

// How far a signature's time may be from now. ElevenLabs documents the 30
// minutes; a little future allows for clocks that disagree, and no more,
// so a signature cannot be made to last longer than its 30 minutes.
const (
	MaxSignatureAge    = 30 * time.Minute
	MaxSignatureFuture = 5 * time.Minute
)

// Webhook event types.
const (
	EventTranscription     = "post_call_transcription"
	EventInitiationFailure = "call_initiation_failure"
)

// SignWebhook returns the ElevenLabs-Signature value for body sent at t:
// "t=<unix>,v0=<hex of HMAC-SHA256(secret, t.body)>".
func SignWebhook(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v0=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks an ElevenLabs-Signature header against body. It
// accepts any of several v0 entries (a secret being rotated) and refuses a
// signature older than MaxSignatureAge or more than MaxSignatureFuture
// ahead of now, so a captured request cannot be replayed later. The error
// is EUNAUTHORIZED; its message says which check failed, for the log.
func VerifySignature(secret string, header string, body []byte, now time.Time) error {
	if secret == "" {
		return refuse("No webhook secret is configured")
	}
	if header == "" {
		return refuse("Missing signature")
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return refuse("Malformed signature")
		case k == "t":
			if ts != "" {
				return refuse("Malformed signature")
			}
			ts = v
		case k == "v0":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return refuse("Malformed signature")
			}
			sigs = append(sigs, sig)
		}
		// Other keys (a future scheme) are ignored, as the sender intends.
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix <= 0 || len(sigs) == 0 {
		return refuse("Malformed signature")
	}
	want := mac(secret, ts, body)
	valid := false
	for _, sig := range sigs {
		// Every entry is compared, in constant time each.
		valid = hmac.Equal(sig, want) || valid
	}
	if !valid {
		return refuse("Invalid signature")
	}
	at := time.Unix(unix, 0)
	if now.Sub(at) > MaxSignatureAge {
		return refuse("Stale signature")
	}
	if at.Sub(now) > MaxSignatureFuture {
		return refuse("Signature from the future")
	}
	return nil
}

func refuse(msg string) error {
	return &switchboard.Error{Code: switchboard.EUNAUTHORIZED, Message: msg}
}

// Event is a parsed webhook. Result is set for the two types we act on;
// for any other type it is the zero value (Result.Status == "") and the
// handler answers 200 and ignores it, since ElevenLabs disables a webhook
// that keeps failing.
type Event struct {
	Type           string
	EventTimestamp int64
	ConversationID string
	Result         switchboard.CallResult
}

// WebhookBody is a webhook's JSON. Data is a Conversation for
// post_call_transcription and an InitiationFailure for
// call_initiation_failure.
type WebhookBody struct {
	Type           string `json:"type"`
	EventTimestamp int64  `json:"event_timestamp"`
	Data           any    `json:"data"`
}

// InitiationFailure is the data of call_initiation_failure. Its metadata
// (Twilio's own report) is not read.
type InitiationFailure struct {
	AgentID        string `json:"agent_id,omitempty"`
	ConversationID string `json:"conversation_id"`
	FailureReason  string `json:"failure_reason"` // busy | no-answer | unknown
}

// ParseWebhook reads a webhook body (verify its signature first). A
// post_call_transcription is CallCompleted when the conversation is done
// and CallFailed otherwise; a call_initiation_failure is CallFailed with
// the reason in words. An error (EINVALID) means the body is not a webhook
// we understand: not JSON, no type, or no conversation id.
func ParseWebhook(body []byte) (Event, error) {
	var raw struct {
		Type           string          `json:"type"`
		EventTimestamp int64           `json:"event_timestamp"`
		Data           json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Type == "" {
		return Event{}, malformed()
	}
	ev := Event{Type: raw.Type, EventTimestamp: raw.EventTimestamp}
	switch raw.Type {
	case EventTranscription:
		var c Conversation
		if json.Unmarshal(raw.Data, &c) != nil || c.ConversationID == "" {
			return Event{}, malformed()
		}
		ev.Result = c.transcriptionResult()
	case EventInitiationFailure:
		var f InitiationFailure
		if json.Unmarshal(raw.Data, &f) != nil || f.ConversationID == "" {
			return Event{}, malformed()
		}
		ev.Result = f.result()
	default:
		return ev, nil
	}
	ev.ConversationID = ev.Result.ConversationID
	return ev, nil
}

func malformed() error {
	return &switchboard.Error{Code: switchboard.EINVALID, Message: "Malformed webhook"}
}

func (f InitiationFailure) result() switchboard.CallResult {
	msg := "The call could not be connected"
	switch f.FailureReason {
	case "busy":
		msg = "The line was busy"
	case "no-answer":
		msg = "No one answered"
	case "", "unknown":
	default:
		msg += " (" + f.FailureReason + ")"
	}
	return switchboard.CallResult{ConversationID: f.ConversationID, Status: switchboard.CallFailed, Error: msg}
}
