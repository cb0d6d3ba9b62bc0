package elevenlabs_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/elevenlabs"
	"switchboard/internal/switchboard"
)

type delivery struct {
	body      []byte
	signature string
}

func newSimulator(delay time.Duration) (*elevenlabs.Simulator, chan delivery) {
	got := make(chan delivery, 100)
	s := &elevenlabs.Simulator{
		Secret:  "wsec_sim",
		Deliver: func(body []byte, sig string) { got <- delivery{body, sig} },
		Delay:   delay,
		Rand:    rand.New(rand.NewPCG(1, 2)),
	}
	return s, got
}

// TestSimulatorDelivers: each call gets exactly one webhook that verifies
// and parses, and Conversation then answers what the webhook said.
func TestSimulatorDelivers(t *testing.T) {
	s, got := newSimulator(5 * time.Millisecond)
	defer s.Close()
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return clock }
	call := switchboard.OutboundCall{
		AgentID: "agent_1", PhoneNumberID: elevenlabs.SimulatedNumberID("+12125550100"), To: "+12125551234",
		DynamicVariables: map[string]any{"full_name": "Ada Lovelace", "business_name": "Analytical Engines"},
	}
	const calls = 40
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range calls / 4 {
				d, err := s.PlaceCall(t.Context(), call)
				mu.Lock()
				if err != nil || !strings.HasPrefix(d.ConversationID, "conv_") || !strings.HasPrefix(d.CallSID, "CA") || ids[d.ConversationID] {
					t.Errorf("dialled %+v, %v", d, err)
				}
				ids[d.ConversationID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	kinds := map[string]int{}
	for range calls {
		var dl delivery
		select {
		case dl = <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("no webhook")
		}
		if err := elevenlabs.VerifySignature("wsec_sim", dl.signature, dl.body, clock); err != nil {
			t.Fatal(err)
		}
		ev, err := elevenlabs.ParseWebhook(dl.body)
		if err != nil {
			t.Fatal(err)
		}
		if !ids[ev.ConversationID] {
			t.Fatalf("webhook for %q: unknown or repeated", ev.ConversationID)
		}
		delete(ids, ev.ConversationID)
		r := ev.Result
		kinds[ev.Type+" "+r.Outcome]++
		if ev.Type == elevenlabs.EventTranscription {
			text := ""
			for _, turn := range r.Transcript {
				text += turn.Message + " "
			}
			if n := len(r.Transcript); n < 3 || n > 6 || r.Transcript[0].Role != "agent" || r.Transcript[1].Role != "user" ||
				!strings.Contains(text, "Ada Lovelace") || !strings.Contains(text, "Analytical Engines") ||
				r.Status != switchboard.CallCompleted || r.Summary == "" || !r.StartTime.Equal(clock) || r.EndTime == nil || r.Duration <= 0 {
				t.Errorf("result %+v", r)
			}
		} else if r.Status != switchboard.CallFailed || (r.Error != "The line was busy" && r.Error != "No one answered") {
			t.Errorf("failure %+v", r)
		}
		conv, err := s.Conversation(t.Context(), ev.ConversationID)
		if err != nil || !reflect.DeepEqual(*conv, r) {
			t.Errorf("conversation %+v, %v\nwant %+v", conv, err, r)
		}
	}
	// Every kind of outcome shows up in forty calls.
	for _, k := range []string{"post_call_transcription success", "post_call_transcription failure", "call_initiation_failure "} {
		if kinds[k] == 0 {
			t.Errorf("no %q in %v", k, kinds)
		}
	}
	select {
	case dl := <-got:
		t.Errorf("an extra webhook: %s", dl.body)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestSimulatorFirstMessage(t *testing.T) {
	s, got := newSimulator(time.Millisecond)
	defer s.Close()
	for range 10 {
		if _, err := s.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "sim_1", To: "+12125551234", FirstMessage: "Bonjour !"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		ev, _ := elevenlabs.ParseWebhook((<-got).body)
		if tr := ev.Result.Transcript; ev.Type == elevenlabs.EventTranscription && tr[0].Message != "Bonjour !" {
			t.Errorf("first turn %+v", tr[0])
		}
	}
}

func TestSimulatorClose(t *testing.T) {
	s, got := newSimulator(time.Hour)
	d, err := s.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "sim_1", To: "+12125551234"})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := s.Conversation(t.Context(), d.ConversationID)
	if err != nil || conv.Status != switchboard.CallInitiated || conv.StartTime == nil {
		t.Errorf("before the webhook: %+v, %v", conv, err)
	}
	s.Close()
	if _, err := s.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "sim_1", To: "+1"}); err == nil {
		t.Error("a closed simulator placed a call")
	}
	select {
	case dl := <-got:
		t.Errorf("delivered after Close: %s", dl.body)
	case <-time.After(20 * time.Millisecond):
	}

	// Close also stops calls whose delay is about to end.
	s, got = newSimulator(time.Millisecond)
	for range 20 {
		s.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "sim_1", To: "+12125551234"})
	}
	s.Close()
	n := len(got)
	time.Sleep(20 * time.Millisecond)
	if len(got) != n {
		t.Errorf("%d webhooks after Close", len(got)-n)
	}
}

func TestSimulatorDirectory(t *testing.T) {
	s := &elevenlabs.Simulator{Lines: func(context.Context) ([]elevenlabs.SimulatedLine, error) {
		return []elevenlabs.SimulatedLine{{Number: "+12125550100", AgentID: "agent_1"}}, nil
	}}
	defer s.Close()
	numbers, err := s.PhoneNumbers(t.Context())
	want := []switchboard.PhoneNumber{{Number: "+12125550100", ID: "sim_12125550100", Provider: "twilio", SupportsOutbound: true, AssignedAgentID: "agent_1"}}
	if err != nil || !reflect.DeepEqual(numbers, want) {
		t.Errorf("numbers %+v, %v", numbers, err)
	}
	if a, err := s.Agent(t.Context(), "agent_anything"); err != nil || a.ID != "agent_anything" {
		t.Errorf("agent %+v, %v", a, err)
	}
	if _, err := s.PlaceCall(t.Context(), switchboard.OutboundCall{AgentID: "a", PhoneNumberID: "phnum_real", To: "+1"}); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
		t.Errorf("unknown number id: %v", err)
	}
	if _, err := s.Conversation(t.Context(), "conv_x"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
		t.Errorf("unknown conversation: %v", err)
	}
}
