package elevenlabstest_test

import (
	"context"
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

// TestHoldCalls: a held outbound call is recorded and waits, other requests
// are answered meanwhile, and release lets it through; a caller that gives
// up gets no answer, and its call stays recorded, once.
func TestHoldCalls(t *testing.T) {
	f := elevenlabstest.New(t,
		elevenlabstest.WithAgent("agent_1", "Sales"),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: "+18001234567", ID: "pn_1", SupportsOutbound: true}))
	c := f.Client()
	held, release := f.HoldCalls()
	call := switchboard.OutboundCall{AgentID: "agent_1", PhoneNumberID: "pn_1", To: "+12125550100"}
	type answer struct {
		d   switchboard.Dialled
		err error
	}
	answers := make(chan answer, 1)
	go func() {
		d, err := c.PlaceCall(context.Background(), call)
		answers <- answer{d, err}
	}()
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the outbound call was not held")
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("%d calls recorded while held, want 1", n)
	}
	if _, err := c.Agent(context.Background(), "agent_1"); err != nil {
		t.Errorf("a GET while a call is held: %v", err)
	}
	select {
	case a := <-answers:
		t.Fatalf("the held call answered before release: %+v", a)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if a := <-answers; a.err != nil || a.d.ConversationID == "" {
		t.Errorf("after release: %+v, %v", a.d, a.err)
	}
	release() // a second release is harmless

	// Held again, and the caller gives up: no answer, one recorded call.
	held, _ = f.HoldCalls()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.PlaceCall(ctx, call)
	if switchboard.ErrorReason(err) != switchboard.ReasonProviderUnavailable {
		t.Errorf("a held call past its deadline: %v, want ReasonProviderUnavailable", err)
	}
	<-held
	if n := len(f.Calls()); n != 2 {
		t.Errorf("%d calls recorded, want 2", n)
	}
	// The test's end releases the hold: nothing waits for it.
}
