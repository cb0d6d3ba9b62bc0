package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// The calls of the pages go to the site's fake ElevenLabs (s.fake), which
// knows no agent and no number until told: knowSeeded tells it those of
// the clients seed stores.

// seededAgent and seededNumber are the agent and Twilio number of every
// client seed stores.
const (
	seededAgent     = "agent_1"
	seededAgentName = "Ada's assistant"
	seededNumber    = "+14155550100"
	seededNumberID  = "pn_seeded"
)

// knowSeeded makes the fake know the seeded clients' agent and number,
// imported, able to call out and assigned to that agent.
func (s *site) knowSeeded() {
	s.fake.AddAgent(seededAgent, seededAgentName)
	s.fake.AddPhoneNumber(switchboard.PhoneNumber{Number: seededNumber, ID: seededNumberID, SupportsOutbound: true, AssignedAgentID: seededAgent})
}

// callID is a valid callId made from n.
func callID(n int) string { return fmt.Sprintf("call_%024x", n) }

// storeCall records a call of the client to the number at the time given,
// as the calling service would before dialling (queued).
func (s *site) storeCall(t testing.TB, id, clientID, to string, at time.Time) {
	t.Helper()
	c := &switchboard.Call{ID: id, ClientID: clientID, To: to, From: seededNumber, AgentID: seededAgent, RequestedBy: "client"}
	if err := s.store.CreateCall(context.Background(), c, 1000, at); err != nil {
		t.Fatalf("CreateCall(%s): %v", id, err)
	}
}

// endCall dials a stored call and applies r as its provider's report; r's
// ConversationID is set to the call's.
func (s *site) endCall(t testing.TB, id string, r switchboard.CallResult) {
	t.Helper()
	ctx := context.Background()
	conv := "conv_" + id
	if _, err := s.store.MarkCallDialled(ctx, id, switchboard.Dialled{ConversationID: conv, CallSID: "CA" + id}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.ConversationID = conv
	if _, _, err := s.store.ApplyCallResult(ctx, r, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// completed is the report of an answered call.
func completed(outcome string, secs int, turns ...switchboard.TranscriptTurn) switchboard.CallResult {
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	end := start.Add(time.Duration(secs) * time.Second)
	return switchboard.CallResult{Status: switchboard.CallCompleted, Outcome: outcome, Duration: secs,
		StartTime: &start, EndTime: &end, Summary: "They talked.", TerminationReason: "Call ended by remote party", Transcript: turns}
}

// storedCalls are the calls stored for every client, newest first.
func (s *site) storedCalls(t testing.TB) []*switchboard.Call {
	t.Helper()
	page, err := s.store.FindCallPage(context.Background(), switchboard.CallPageFilter{Limit: switchboard.MaxCallLimit})
	if err != nil {
		t.Fatal(err)
	}
	return page.Calls
}

// doNotCall is the client's do-not-call list.
func (s *site) doNotCall(t testing.TB, clientID string) []string {
	t.Helper()
	entries, err := s.store.FindDoNotCall(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	var phones []string
	for _, e := range entries {
		phones = append(phones, e.Phone)
	}
	return phones
}

// callRows are the calls listed on the page, by id, in order.
func (p *page) callRows() []string {
	var ids []string
	p.testid("call-row").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-call-id")
		ids = append(ids, id)
	})
	return ids
}

// textIn is the trimmed text of the element with the data-testid inside sel.
func textIn(sel *goquery.Selection, testid string) string {
	return strings.TrimSpace(sel.Find(`[data-testid="` + testid + `"]`).First().Text())
}

// wantFragment checks that an htmx answer is the element with the id
// alone, not a whole page.
func (p *page) wantFragment(id string) *goquery.Selection {
	p.t.Helper()
	if strings.Contains(p.Body, "<html") || strings.Contains(p.Body, "<main") {
		p.t.Fatalf("htmx got a whole page, want #%s alone:\n%s", id, p.Body)
	}
	sel := p.Doc.Find("#" + id)
	if sel.Length() != 1 {
		p.t.Fatalf("%d #%s in the answer, want 1:\n%s", sel.Length(), id, p.Body)
	}
	return sel
}
