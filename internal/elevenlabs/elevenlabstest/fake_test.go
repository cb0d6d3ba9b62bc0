package elevenlabstest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/internal/elevenlabs"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/switchboard"
)

// TestSendWebhook: what the fake sends verifies and parses as the event
// it was given.
func TestSendWebhook(t *testing.T) {
	const secret = "wsec_test"
	events := make(chan elevenlabs.Event, 2)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := elevenlabs.VerifySignature(secret, r.Header.Get(elevenlabs.SignatureHeader), body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := elevenlabs.ParseWebhook(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		events <- ev
	}))
	defer receiver.Close()
	f := elevenlabstest.New(t)

	for _, event := range []any{
		elevenlabstest.TranscriptionEvent("conv_1", func(c *elevenlabs.Conversation) { c.Analysis.CallSuccessful = "failure" }),
		elevenlabstest.InitiationFailureEvent("conv_2", "busy"),
	} {
		resp, err := f.SendWebhook(receiver.URL, secret, event)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if ev := <-events; ev.ConversationID != "conv_1" || ev.Result.Status != switchboard.CallCompleted || ev.Result.Outcome != "failure" || ev.Result.Duration != 42 {
		t.Errorf("transcription %+v", ev)
	}
	if ev := <-events; ev.ConversationID != "conv_2" || ev.Result.Status != switchboard.CallFailed || ev.Result.Error != "The line was busy" {
		t.Errorf("initiation failure %+v", ev)
	}
	resp, err := f.SendWebhook(receiver.URL, "wsec_wrong", []byte(`{"type":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d", resp.StatusCode)
	}
}

// TestFailGets: injected GET failures come in order, with Retry-After,
// and only then the real answer.
func TestFailGets(t *testing.T) {
	f := elevenlabstest.New(t)
	f.FailGets(1, elevenlabstest.Failure{Status: 429, RetryAfter: "3"})
	get := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/v1/convai/phone-numbers", nil)
		req.Header.Set("xi-api-key", elevenlabstest.DefaultKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("first: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := get(); resp.StatusCode != 200 {
		t.Errorf("second: %d", resp.StatusCode)
	}
	if r := f.Requests(); len(r) != 2 || r[0].APIKey != elevenlabstest.DefaultKey || r[1].Path != "/v1/convai/phone-numbers" {
		t.Errorf("requests %+v", r)
	}
}
