package elevenlabs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"switchboard/internal/switchboard"
)

// SimulatedLine is a number the Simulator pretends is imported into
// ElevenLabs, with the agent it is assigned to.
type SimulatedLine struct {
	Number  string // E.164
	AgentID string
}

// SimulatedNumberID is the phone_number_id the Simulator gives a number.
func SimulatedNumberID(number string) string {
	return "sim_" + strings.TrimPrefix(number, "+")
}

// Simulator is a Dialer with no network, for SIMULATE_CALLS: it knows every
// agent, "answers" each call at once, and after Delay sends itself a signed
// webhook through Deliver with a random outcome. Set the fields before the
// first call; the zero value of each is usable. Safe for concurrent use.
type Simulator struct {
	// Secret signs the webhooks, as ELEVENLABS_WEBHOOK_SECRET would.
	Secret string
	// Deliver receives each webhook (the wiring POSTs it to the server's
	// own /webhooks/elevenlabs). It runs on a timer goroutine.
	Deliver func(body []byte, signature string)
	// Lines lists the numbers to pretend are imported (the clients'
	// Twilio numbers, each with its client's agent). Nil: none.
	Lines func(ctx context.Context) ([]SimulatedLine, error)
	// Delay between a call and its webhook (default 3 s).
	Delay time.Duration
	// Rand picks outcomes and transcripts (default: randomly seeded).
	Rand *rand.Rand
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	results map[string]switchboard.CallResult
	timers  map[string]*time.Timer
	closed  bool
	pending sync.WaitGroup
}

var _ switchboard.Dialer = (*Simulator)(nil)

// PlaceCall accepts any agent and a number id from PhoneNumbers, and
// schedules the call's webhook.
func (s *Simulator) PlaceCall(_ context.Context, call switchboard.OutboundCall) (switchboard.Dialled, error) {
	if call.AgentID == "" {
		return switchboard.Dialled{}, switchboard.Errorf(switchboard.ENOTFOUND, "Agent not found")
	}
	if !strings.HasPrefix(call.PhoneNumberID, "sim_") {
		return switchboard.Dialled{}, switchboard.Errorf(switchboard.ENOTFOUND, "Phone number %q not found", call.PhoneNumberID)
	}
	d := switchboard.Dialled{ConversationID: "conv_sim_" + randomHex(12), CallSID: "CA" + randomHex(16)}
	start := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return switchboard.Dialled{}, &switchboard.Error{Code: switchboard.EINTERNAL, Reason: ReasonUnavailable, Message: "The call simulator is stopped"}
	}
	if s.results == nil {
		s.results = map[string]switchboard.CallResult{}
		s.timers = map[string]*time.Timer{}
	}
	s.results[d.ConversationID] = switchboard.CallResult{ConversationID: d.ConversationID, Status: switchboard.CallInitiated, StartTime: &start}
	delay := s.Delay
	if delay <= 0 {
		delay = 3 * time.Second
	}
	s.pending.Add(1)
	s.timers[d.ConversationID] = time.AfterFunc(delay, func() { s.finish(d.ConversationID, call, start) })
	return d, nil
}

// finish decides the call's outcome, records it and delivers its webhook.
func (s *Simulator) finish(id string, call switchboard.OutboundCall, start time.Time) {
	defer s.pending.Done()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	delete(s.timers, id)
	body, result := s.outcome(id, call, start)
	s.results[id] = result
	s.mu.Unlock()

	data, err := json.Marshal(body)
	if err != nil || s.Deliver == nil {
		return
	}
	s.Deliver(data, SignWebhook(s.Secret, data, s.now()))
}

// outcome makes up the call: a busy line or no answer one time in five,
// otherwise a short conversation that went well or not. Called with mu held
// (for Rand).
func (s *Simulator) outcome(id string, call switchboard.OutboundCall, start time.Time) (WebhookBody, switchboard.CallResult) {
	r := s.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		s.Rand = r
	}
	ev := WebhookBody{EventTimestamp: s.now().Unix()}
	if r.IntN(5) == 0 {
		f := InitiationFailure{AgentID: call.AgentID, ConversationID: id, FailureReason: []string{"busy", "no-answer"}[r.IntN(2)]}
		ev.Type, ev.Data = EventInitiationFailure, f
		return ev, f.result()
	}
	success := r.IntN(4) != 0
	name, business := variable(call, "full_name"), variable(call, "business_name")
	lines := conversationLines(call.FirstMessage, name, business, success)
	c := Conversation{AgentID: call.AgentID, ConversationID: id, Status: StatusDone}
	var at float64
	for _, line := range lines[:4+r.IntN(3)] {
		c.Transcript = append(c.Transcript, TranscriptEntry{Role: line[0], Message: line[1], TimeInCallSecs: at})
		at += float64(3 + r.IntN(6))
	}
	c.Metadata = ConversationMetadata{StartTimeUnixSecs: start.Unix(), CallDurationSecs: at, TerminationReason: "Call ended by remote party"}
	who := name
	if who == "" {
		who = "The contact"
	}
	c.Analysis = &ConversationAnalysis{
		CallSuccessful:    switchboard.OutcomeSuccess,
		TranscriptSummary: "Simulated call: " + who + " agreed to a follow-up call next week.",
	}
	if !success {
		c.Analysis.CallSuccessful = switchboard.OutcomeFailure
		c.Analysis.TranscriptSummary = "Simulated call: " + who + " was not interested."
	}
	ev.Type, ev.Data = EventTranscription, c
	return ev, c.transcriptionResult()
}

// conversationLines is the whole made-up conversation, as (role, message)
// pairs; a call uses its first four to six.
func conversationLines(first, name, business string, success bool) [][2]string {
	from := ""
	if business != "" {
		from = " from " + business
	}
	hello := "Hello"
	if name != "" {
		hello += " " + name
	}
	if first == "" {
		first = hello + ", this is the assistant" + from + ". Do you have a minute?"
	}
	lines := [][2]string{
		{"agent", first},
		{"user", "Yes, what is this about?"},
		{"agent", "I'm calling" + from + " about your recent enquiry. Would a short call next week suit you?"},
	}
	if success {
		return append(lines, [][2]string{
			{"user", "Sure, Tuesday morning works for me."},
			{"agent", "Perfect, Tuesday morning it is. Thank you!"},
			{"user", "Thanks, bye."},
		}...)
	}
	return append(lines, [][2]string{
		{"user", "No thanks, I'm not interested."},
		{"agent", "Understood, I won't take more of your time. Goodbye."},
		{"user", "Bye."},
	}...)
}

func variable(call switchboard.OutboundCall, name string) string {
	if v, ok := call.DynamicVariables[name]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// Conversation returns what the Simulator made up for a call: initiated
// until its webhook is sent, then its outcome.
func (s *Simulator) Conversation(_ context.Context, conversationID string) (*switchboard.CallResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.results[conversationID]
	if !ok {
		return nil, switchboard.Errorf(switchboard.ENOTFOUND, "Conversation not found")
	}
	return &r, nil
}

// PhoneNumbers returns Lines as imported Twilio numbers that can call out,
// each assigned to its line's agent, with SimulatedNumberID as id.
func (s *Simulator) PhoneNumbers(ctx context.Context) ([]switchboard.PhoneNumber, error) {
	if s.Lines == nil {
		return nil, nil
	}
	lines, err := s.Lines(ctx)
	if err != nil {
		return nil, err
	}
	numbers := make([]switchboard.PhoneNumber, 0, len(lines))
	for _, l := range lines {
		numbers = append(numbers, switchboard.PhoneNumber{
			Number: l.Number, ID: SimulatedNumberID(l.Number), Provider: "twilio", SupportsOutbound: true, AssignedAgentID: l.AgentID,
		})
	}
	return numbers, nil
}

// PhoneNumber answers for any number as imported, able to call out and
// assigned to agentID: the simulator pretends every client is set up. The
// calling service asks this instead of listing PhoneNumbers, which would
// need every client's number.
func (s *Simulator) PhoneNumber(_ context.Context, number, agentID string) (*switchboard.PhoneNumber, error) {
	return &switchboard.PhoneNumber{
		Number: number, ID: SimulatedNumberID(number), Provider: "twilio", SupportsOutbound: true, AssignedAgentID: agentID,
	}, nil
}

// Agent knows every agent id.
func (s *Simulator) Agent(_ context.Context, agentID string) (*switchboard.Agent, error) {
	if agentID == "" {
		return nil, switchboard.Errorf(switchboard.ENOTFOUND, "Agent not found")
	}
	return &switchboard.Agent{ID: agentID, Name: "Simulated agent"}, nil
}

// Close cancels the webhooks not yet sent, waits for any being delivered,
// and refuses further calls.
func (s *Simulator) Close() {
	s.mu.Lock()
	s.closed = true
	for id, t := range s.timers {
		if t.Stop() {
			s.pending.Done()
		}
		delete(s.timers, id)
	}
	s.mu.Unlock()
	s.pending.Wait()
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// randomHex makes ids unique across processes, so it does not use Rand
// (which tests seed alike).
func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}
