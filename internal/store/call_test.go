package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

const (
	msgCallNotFound   = "Call not found"
	msgDoNotCall      = "This number is on the do-not-call list"
	msgNotOnDoNotCall = "This number is not on the do-not-call list"
	msgCallLimit      = "Hourly call limit reached"
)

// callBase is the clock of the call tests: every time they pass is relative
// to it, so the hourly limit and the reconciler's ages are exact.
var callBase = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return callBase.Add(d) }

// newCall returns a call to place for the client, as the calling service
// would build it.
func newCall(id, clientID, to string) *switchboard.Call {
	return &switchboard.Call{
		ID: id, ClientID: clientID, To: to, From: "+18001234567", AgentID: "agent_" + clientID,
		RequestedBy: "client", FirstMessage: "Hello from " + clientID,
	}
}

// placeCall creates a call at the time given, with room for 1000 an hour.
func placeCall(t *testing.T, s *store.Store, id, clientID string, when time.Time) *switchboard.Call {
	t.Helper()
	c := newCall(id, clientID, "+12125550100")
	if err := s.CreateCall(context.Background(), c, 1000, when); err != nil {
		t.Fatalf("CreateCall(%s): %v", id, err)
	}
	return c
}

// dialCall places a call and marks it dialled with conversation "conv_"+id.
func dialCall(t *testing.T, s *store.Store, id, clientID string, when time.Time) *switchboard.Call {
	t.Helper()
	placeCall(t, s, id, clientID, when)
	c, err := s.MarkCallDialled(context.Background(), id, switchboard.Dialled{ConversationID: "conv_" + id, CallSID: "CA" + id}, when)
	if err != nil {
		t.Fatalf("MarkCallDialled(%s): %v", id, err)
	}
	return c
}

func findCall(t *testing.T, s *store.Store, clientID, id string) *switchboard.Call {
	t.Helper()
	c, err := s.FindCall(context.Background(), clientID, id)
	if err != nil {
		t.Fatalf("FindCall(%q, %q): %v", clientID, id, err)
	}
	return c
}

func callIDs(cs []*switchboard.Call) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// sameCall asserts got equals want, times compared as instants and
// required to be UTC.
func sameCall(t *testing.T, got, want *switchboard.Call) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("call = %v, want %v", got, want)
	}
	g, w := *got, *want
	for _, tm := range []struct {
		name      string
		got, want *time.Time
	}{
		{"CreatedAt", &g.CreatedAt, &w.CreatedAt}, {"UpdatedAt", &g.UpdatedAt, &w.UpdatedAt},
		{"StartTime", g.StartTime, w.StartTime}, {"EndTime", g.EndTime, w.EndTime},
	} {
		switch {
		case tm.got == nil && tm.want == nil:
			continue
		case tm.got == nil || tm.want == nil || !tm.got.Equal(*tm.want):
			t.Errorf("%s = %v, want %v", tm.name, tm.got, tm.want)
		case tm.got.Location() != time.UTC:
			t.Errorf("%s location = %v, want UTC", tm.name, tm.got.Location())
		}
	}
	g.CreatedAt, g.UpdatedAt, g.StartTime, g.EndTime = time.Time{}, time.Time{}, nil, nil
	w.CreatedAt, w.UpdatedAt, w.StartTime, w.EndTime = time.Time{}, time.Time{}, nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("call =\n%+v, want\n%+v", g, w)
	}
}

// wantCallEvents asserts the stored events of calls, oldest first, are
// exactly want. (The client events carry the store's clock, the call
// events the time the calling service passed, so only the latter are
// compared in order.)
func wantCallEvents(t *testing.T, s *store.Store, want ...ev) {
	t.Helper()
	var got []ev
	for _, e := range allEvents(t, s) {
		if strings.HasPrefix(e.Action, "call.") {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("call events =\n%v\nwant\n%v", got, want)
	}
}

// checkCallNotFound asserts err is the store's "Call not found".
func checkCallNotFound(t *testing.T, err error) {
	t.Helper()
	checkErr(t, err, switchboard.ENOTFOUND, msgCallNotFound, "")
}

func TestCallService_CreateCall(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), "client:client_a")

	each(t, "OK", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		c := newCall("call_1", "client_a", "+12125550100")
		c.Simulated = true
		// Fields known only after dialling are not taken from the caller.
		c.ConversationID, c.Outcome, c.Status = "conv_forged", "success", switchboard.CallCompleted
		if err := s.CreateCall(ctx, c, 10, callBase.Add(123456789*time.Nanosecond).In(time.FixedZone("X", 3600))); err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		want := &switchboard.Call{
			ID: "call_1", ClientID: "client_a", ClientName: "Name of client_a", Status: switchboard.CallQueued,
			To: "+12125550100", From: "+18001234567", AgentID: "agent_client_a", RequestedBy: "client",
			FirstMessage: "Hello from client_a", Simulated: true,
			CreatedAt: at(123 * time.Millisecond), UpdatedAt: at(123 * time.Millisecond),
			Transcript: []switchboard.TranscriptTurn{},
		}
		if c.Status != switchboard.CallQueued || c.ClientName != want.ClientName || !c.CreatedAt.Equal(want.CreatedAt) || !c.UpdatedAt.Equal(want.CreatedAt) {
			t.Errorf("CreateCall filled Status %q, ClientName %q, CreatedAt %v, UpdatedAt %v; want %q, %q, %v",
				c.Status, c.ClientName, c.CreatedAt, c.UpdatedAt, want.Status, want.ClientName, want.CreatedAt)
		}
		sameCall(t, findCall(t, s, "client_a", "call_1"), want)
		// The event names the call, never the number called.
		wantCallEvents(t, s, ev{"client:client_a", switchboard.EventCallQueued, "client_a", "call_1: queued"})
	})

	each(t, "ErrNoClient", func(t *testing.T, s *store.Store) {
		for _, id := range []string{"client_x", "", "bad\x00id", "\xff"} {
			err := s.CreateCall(ctx, newCall("call_1", id, "+12125550100"), 10, callBase)
			checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")
		}
		_, err := s.FindCall(ctx, "", "call_1")
		checkCallNotFound(t, err)
		wantCallEvents(t, s)
	})

	each(t, "ErrDoNotCall", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		if err := s.AddDoNotCall(ctx, "client_a", "+12125550100", callBase); err != nil {
			t.Fatal(err)
		}
		err := s.CreateCall(ctx, newCall("call_1", "client_a", "+12125550100"), 10, callBase)
		checkErr(t, err, switchboard.EFORBIDDEN, msgDoNotCall, "")
		if _, err := s.FindCall(ctx, "", "call_1"); err == nil {
			t.Error("a refused call was stored")
		}
		// Another number, and another client's list, are no bar.
		if err := s.CreateCall(ctx, newCall("call_2", "client_a", "+12125550199"), 10, callBase); err != nil {
			t.Errorf("CreateCall to another number: %v", err)
		}
		if err := s.CreateCall(ctx, newCall("call_3", "client_b", "+12125550100"), 10, callBase); err != nil {
			t.Errorf("CreateCall by another client: %v", err)
		}
	})

	each(t, "ErrHourlyLimit", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		for i, d := range []time.Duration{0, 10 * time.Minute, 20 * time.Minute} {
			if err := s.CreateCall(ctx, newCall(fmt.Sprintf("call_%d", i), "client_a", "+12125550100"), 3, at(d)); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		for _, tt := range []struct {
			now       time.Duration
			wantRetry time.Duration
		}{
			{30 * time.Minute, 30 * time.Minute},
			{time.Hour - time.Millisecond, time.Millisecond},
		} {
			err := s.CreateCall(ctx, newCall("call_x", "client_a", "+12125550100"), 3, at(tt.now))
			checkErr(t, err, switchboard.ETHROTTLED, msgCallLimit, "This client may place at most 3 calls per hour")
			var e *switchboard.Error
			if errors.As(err, &e) && e.RetryAfter != tt.wantRetry {
				t.Errorf("at +%v: RetryAfter = %v, want %v", tt.now, e.RetryAfter, tt.wantRetry)
			}
		}
		// Another client has its own limit.
		if err := s.CreateCall(ctx, newCall("call_b", "client_b", "+12125550100"), 3, at(30*time.Minute)); err != nil {
			t.Errorf("another client: %v", err)
		}
		// An hour after the first call, it no longer counts.
		if err := s.CreateCall(ctx, newCall("call_3", "client_a", "+12125550100"), 3, at(time.Hour)); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
		// A lower limit waits for enough calls to leave the hour: of the
		// four calls at +0, +10m, +20m, +60m, three are in the hour before
		// +61m, and a limit of 1 frees when the newest is an hour old.
		err := s.CreateCall(ctx, newCall("call_y", "client_a", "+12125550100"), 1, at(61*time.Minute))
		checkErr(t, err, switchboard.ETHROTTLED, msgCallLimit, "This client may place at most 1 call per hour")
		var e *switchboard.Error
		if errors.As(err, &e) && e.RetryAfter != 59*time.Minute {
			t.Errorf("RetryAfter = %v, want 59m", e.RetryAfter)
		}
		if _, total, _, _ := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{}); total != 4 {
			t.Errorf("client_a has %d calls, want 4", total)
		}
	})

	each(t, "ConcurrentLimit", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		const n, limit = 50, 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.CreateCall(ctx, newCall(fmt.Sprintf("call_%02d", i), "client_a", "+12125550100"), limit, callBase)
			})
		}
		close(start)
		wg.Wait()
		var ok, throttled int
		for i, err := range errs {
			switch switchboard.ErrorCode(err) {
			case "":
				ok++
			case switchboard.ETHROTTLED:
				throttled++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		}
		if ok != limit || throttled != n-limit {
			t.Errorf("%d placed, %d throttled; want %d and %d", ok, throttled, limit, n-limit)
		}
		if _, total, _, _ := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{}); total != limit {
			t.Errorf("%d calls stored, want %d", total, limit)
		}
		events := 0
		for _, e := range allEvents(t, s) {
			if e.Action == switchboard.EventCallQueued {
				events++
			}
		}
		if events != limit {
			t.Errorf("%d call.queued events, want %d", events, limit)
		}
	})
}

func TestCallService_StatusChanges(t *testing.T) {
	ctx := context.Background()
	sys := switchboard.SystemActor
	queued := ev{sys, switchboard.EventCallQueued, "client_a", "call_1: queued"}
	changed := func(detail string) ev { return ev{sys, switchboard.EventCallUpdated, "client_a", "call_1: " + detail} }

	each(t, "MarkCallDialled", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		placeCall(t, s, "call_1", "client_a", callBase)
		c, err := s.MarkCallDialled(ctx, "call_1", switchboard.Dialled{ConversationID: "conv_1", CallSID: "CA1"}, at(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != switchboard.CallInitiated || c.ConversationID != "conv_1" || c.CallSID != "CA1" || !c.UpdatedAt.Equal(at(time.Second)) {
			t.Errorf("dialled call = %+v", c)
		}
		sameCall(t, findCall(t, s, "", "call_1"), &switchboard.Call{
			ID: "call_1", ClientID: "client_a", ClientName: "Name of client_a", Status: switchboard.CallInitiated,
			To: "+12125550100", From: "+18001234567", AgentID: "agent_client_a", ConversationID: "conv_1", CallSID: "CA1",
			RequestedBy: "client", FirstMessage: "Hello from client_a", CreatedAt: callBase, UpdatedAt: at(time.Second),
			Transcript: []switchboard.TranscriptTurn{},
		})
		// No longer queued: unchanged, and nothing recorded.
		again, err := s.MarkCallDialled(ctx, "call_1", switchboard.Dialled{ConversationID: "conv_2", CallSID: "CA2"}, at(2*time.Second))
		if err != nil || again.ConversationID != "conv_1" || !again.UpdatedAt.Equal(at(time.Second)) {
			t.Errorf("MarkCallDialled again = %+v, %v; want the call unchanged", again, err)
		}
		for _, id := range []string{"call_x", "", "\xff"} {
			_, err = s.MarkCallDialled(ctx, id, switchboard.Dialled{ConversationID: "conv_x"}, at(time.Second))
			checkCallNotFound(t, err)
		}
		wantCallEvents(t, s, queued, changed("queued → initiated"))
	})

	each(t, "FailCall", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		placeCall(t, s, "call_1", "client_a", callBase)
		c, err := s.FailCall(ctx, "call_1", "interrupted", at(time.Minute))
		if err != nil || c.Status != switchboard.CallFailed || c.Error != "interrupted" || !c.UpdatedAt.Equal(at(time.Minute)) {
			t.Fatalf("FailCall = %+v, %v", c, err)
		}
		// Final: unchanged; a late dial report does not revive it.
		if c, err := s.FailCall(ctx, "call_1", "other", at(2*time.Minute)); err != nil || c.Error != "interrupted" {
			t.Errorf("FailCall again = %+v, %v; want unchanged", c, err)
		}
		if c, err := s.MarkCallDialled(ctx, "call_1", switchboard.Dialled{ConversationID: "conv_1"}, at(2*time.Minute)); err != nil || c.Status != switchboard.CallFailed {
			t.Errorf("MarkCallDialled after failure = %+v, %v; want unchanged", c, err)
		}
		_, err = s.FailCall(ctx, "call_x", "x", callBase)
		checkCallNotFound(t, err)
		wantCallEvents(t, s, queued, changed("queued → failed"))

		// From initiated and in-progress too.
		for i, st := range []switchboard.CallStatus{switchboard.CallInitiated, switchboard.CallInProgress} {
			id := fmt.Sprintf("call_%d", i+2)
			dialCall(t, s, id, "client_a", callBase)
			if st == switchboard.CallInProgress {
				s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_" + id, Status: st}, callBase)
			}
			if c, err := s.FailCall(ctx, id, "gone", at(time.Minute)); err != nil || c.Status != switchboard.CallFailed {
				t.Errorf("FailCall from %s = %+v, %v", st, c, err)
			}
		}
	})

	each(t, "ApplyCallResult", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		dialCall(t, s, "call_1", "client_a", callBase)
		apply := func(r switchboard.CallResult, when time.Duration) (*switchboard.Call, bool) {
			t.Helper()
			r.ConversationID = "conv_call_1"
			c, changed, err := s.ApplyCallResult(ctx, r, at(when))
			if err != nil {
				t.Fatalf("ApplyCallResult(%s): %v", r.Status, err)
			}
			return c, changed
		}
		if c, ok := apply(switchboard.CallResult{Status: switchboard.CallInProgress}, time.Minute); !ok || c.Status != switchboard.CallInProgress {
			t.Errorf("in-progress: %+v, changed %v", c, ok)
		}
		if _, ok := apply(switchboard.CallResult{Status: switchboard.CallInProgress}, 2*time.Minute); ok {
			t.Error("in-progress twice: changed")
		}
		start, end := at(time.Minute), at(3*time.Minute+500*time.Millisecond)
		done := switchboard.CallResult{
			Status: switchboard.CallCompleted, StartTime: &start, EndTime: &end, Duration: 150, Outcome: switchboard.OutcomeSuccess,
			Summary: "Booked a visit", TerminationReason: "end_call tool",
			Transcript: []switchboard.TranscriptTurn{{Role: "agent", Message: "Hello", TimeInCallSecs: 0}, {Role: "user", Message: "Hi ✓", TimeInCallSecs: 2}},
		}
		c, ok := apply(done, 5*time.Minute)
		if !ok || c.Status != switchboard.CallCompleted || c.Transcript != nil {
			t.Errorf("completed: %+v, changed %v; want completed, no transcript in the answer", c, ok)
		}
		want := &switchboard.Call{
			ID: "call_1", ClientID: "client_a", ClientName: "Name of client_a", Status: switchboard.CallCompleted,
			To: "+12125550100", From: "+18001234567", AgentID: "agent_client_a", ConversationID: "conv_call_1", CallSID: "CAcall_1",
			RequestedBy: "client", FirstMessage: "Hello from client_a", StartTime: &start, EndTime: &end, Duration: 150,
			Outcome: "success", Summary: "Booked a visit", TerminationReason: "end_call tool",
			CreatedAt: callBase, UpdatedAt: at(5 * time.Minute), Transcript: done.Transcript,
		}
		sameCall(t, findCall(t, s, "client_a", "call_1"), want)

		// The same report again, a late in-progress, a failure after the
		// completion: nothing changes, nothing is recorded.
		for _, r := range []switchboard.CallResult{
			done, {Status: switchboard.CallInProgress}, {Status: switchboard.CallFailed, Error: "busy"}, {},
		} {
			if c, ok := apply(r, 9*time.Minute); ok || c.Status != switchboard.CallCompleted || !c.UpdatedAt.Equal(at(5*time.Minute)) {
				t.Errorf("report %q after completion: %+v, changed %v; want unchanged", r.Status, c, ok)
			}
		}
		sameCall(t, findCall(t, s, "client_a", "call_1"), want)
		wantCallEvents(t, s, queued, changed("queued → initiated"), changed("initiated → in-progress"), changed("in-progress → completed"))

		for _, conv := range []string{"conv_x", "", "\x00"} {
			_, _, err := s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: conv, Status: switchboard.CallCompleted}, callBase)
			checkCallNotFound(t, err)
		}
	})

	each(t, "ApplyCallResult_Failure", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		dialCall(t, s, "call_1", "client_a", callBase)
		// A final report straight from initiated, with only a reason.
		c, ok, err := s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_call_1", Status: switchboard.CallFailed, Error: "no answer"}, at(time.Minute))
		if err != nil || !ok || c.Status != switchboard.CallFailed || c.Error != "no answer" || c.StartTime != nil || c.Duration != 0 {
			t.Errorf("failure = %+v, %v, %v", c, ok, err)
		}
		if got := findCall(t, s, "client_a", "call_1").Transcript; got == nil || len(got) != 0 {
			t.Errorf("transcript = %#v, want empty", got)
		}
	})

	// Reports of one call applied at once, from two goroutines (two
	// webhook deliveries, or a webhook and the reconciler): the call ends
	// completed whatever the order, and its events only move forward.
	each(t, "Concurrent", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		for i := range 10 {
			id := fmt.Sprintf("call_%d", i)
			dialCall(t, s, id, "client_a", callBase)
			var wg sync.WaitGroup
			for _, st := range []switchboard.CallStatus{switchboard.CallInProgress, switchboard.CallCompleted, switchboard.CallInProgress} {
				wg.Go(func() {
					if _, _, err := s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_" + id, Status: st}, at(time.Minute)); err != nil {
						t.Errorf("%s %s: %v", id, st, err)
					}
				})
			}
			wg.Wait()
			if got := findCall(t, s, "", id).Status; got != switchboard.CallCompleted {
				t.Errorf("%s ended %s, want completed", id, got)
			}
		}
		for _, e := range allEvents(t, s) {
			if e.Action == switchboard.EventCallUpdated && !slices.Contains([]string{"queued → initiated", "initiated → in-progress", "initiated → completed", "in-progress → completed"}, e.Detail[len("call_0: "):]) {
				t.Errorf("event %v moves backwards", e)
			}
		}
	})
}

// TestCallService_ClientScope: a client's calls are tied to the account:
// another client never reads them, and after a deletion no client does, not
// even a new one with the same clientId; admins still read them.
func TestCallService_ClientScope(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		placeCall(t, s, "call_a1", "client_a", callBase)
		placeCall(t, s, "call_b1", "client_b", at(time.Second))
		if err := s.AddDoNotCall(ctx, "client_a", "+12125550111", callBase); err != nil {
			t.Fatal(err)
		}

		_, err := s.FindCall(ctx, "client_a", "call_b1")
		checkCallNotFound(t, err)
		findCall(t, s, "client_b", "call_b1")
		findCall(t, s, "", "call_b1")

		if err := s.DeleteClient(ctx, "client_a"); err != nil {
			t.Fatal(err)
		}
		checkGone := func() {
			t.Helper()
			_, err := s.FindCall(ctx, "client_a", "call_a1")
			checkCallNotFound(t, err)
			if calls, total, filtered, err := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{}); err != nil || len(calls) != 0 || total != 0 || filtered != 0 {
				t.Errorf("FindClientCalls = %v, %d, %d, %v; want none", callIDs(calls), total, filtered, err)
			}
		}
		checkGone()
		if c := findCall(t, s, "", "call_a1"); c.ClientID != "client_a" || c.ClientName != "Name of client_a" {
			t.Errorf("admin reads %+v, want the deleted client's id and name", c)
		}
		if st, err := s.CallStats(ctx, "client_a"); err != nil || st.TotalCalls != 0 {
			t.Errorf("stats of a deleted client = %+v, %v; want none", st, err)
		}
		if st, err := s.CallStats(ctx, ""); err != nil || st.TotalCalls != 2 {
			t.Errorf("stats of all = %+v, %v; want 2 calls", st, err)
		}
		err = s.AddDoNotCall(ctx, "client_a", "+12125550111", callBase)
		checkErr(t, err, switchboard.ENOTFOUND, msgNotFound, "")

		// A new client with the deleted one's clientId starts afresh.
		c := newClient("client_a", "new-a@example.com")
		c.Meta.FullName = "New A"
		mustCreate(t, s, c)
		checkGone()
		if list, err := s.FindDoNotCall(ctx, "client_a"); err != nil || len(list) != 0 {
			t.Errorf("new client's do-not-call list = %v, %v; want empty (the old one went with its client)", list, err)
		}
		if err := s.CreateCall(ctx, newCall("call_a2", "client_a", "+12125550111"), 1, at(2*time.Second)); err != nil {
			t.Fatalf("new client's first call (the old limit and list do not apply): %v", err)
		}
		calls, total, _, err := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{})
		if err != nil || total != 1 || !slices.Equal(callIDs(calls), []string{"call_a2"}) || calls[0].ClientName != "New A" {
			t.Errorf("new client's calls = %v, %d, %v", callIDs(calls), total, err)
		}
		// The admin's listing by clientId shows every call recorded under it.
		page, err := s.FindCallPage(ctx, switchboard.CallPageFilter{ClientID: "client_a"})
		if err != nil || !slices.Equal(callIDs(page.Calls), []string{"call_a2", "call_a1"}) {
			t.Errorf("admin page by clientId = %v, %v", callIDs(page.Calls), err)
		}
	})
}

func TestCallService_FindClientCalls(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		// 205 calls, two at each second, so the tie-break by callId shows;
		// every third one failed.
		var want []string // newest first
		for i := range 205 {
			id := fmt.Sprintf("call_%03d", i)
			placeCall(t, s, id, "client_a", at(time.Duration(i/2)*time.Second))
			if i%3 == 0 {
				if _, err := s.FailCall(ctx, id, "x", callBase); err != nil {
					t.Fatal(err)
				}
			}
			want = append([]string{id}, want...)
		}
		placeCall(t, s, "call_other", "client_b", callBase)
		failed := switchboard.CallFailed
		var wantFailed []string
		for _, id := range want {
			var n int
			fmt.Sscanf(id, "call_%d", &n)
			if n%3 == 0 {
				wantFailed = append(wantFailed, id)
			}
		}
		for _, tt := range []struct {
			name string
			f    switchboard.CallFilter
			want []string
			n    int
		}{
			{"Default", switchboard.CallFilter{}, want[:50], 205},
			{"Page", switchboard.CallFilter{Offset: 10, Limit: 5}, want[10:15], 205},
			{"Max", switchboard.CallFilter{Limit: 1000}, want[:200], 205},
			{"NegativeOffset", switchboard.CallFilter{Offset: -5, Limit: 3}, want[:3], 205},
			{"PastEnd", switchboard.CallFilter{Offset: 300}, nil, 205},
			{"Status", switchboard.CallFilter{Status: &failed, Offset: 2, Limit: 4}, wantFailed[2:6], len(wantFailed)},
			{"StatusNone", switchboard.CallFilter{Status: ptr(switchboard.CallCompleted)}, nil, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				calls, total, filtered, err := s.FindClientCalls(ctx, "client_a", tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := callIDs(calls); !slices.Equal(got, tt.want) {
					t.Errorf("calls = %v, want %v", got, tt.want)
				}
				if total != 205 || filtered != tt.n {
					t.Errorf("total, filtered = %d, %d; want 205, %d", total, filtered, tt.n)
				}
				for _, c := range calls {
					if c.Transcript != nil || c.ClientID != "client_a" || c.CreatedAt.Location() != time.UTC {
						t.Fatalf("listed call %+v: want no transcript, client_a, UTC", c)
					}
				}
			})
		}
		if calls, total, _, err := s.FindClientCalls(ctx, "client_x", switchboard.CallFilter{}); err != nil || len(calls) != 0 || total != 0 {
			t.Errorf("unknown client: %v, %d, %v", callIDs(calls), total, err)
		}
	})
}

func TestCallService_FindCallPage(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		// 20 calls, alternating clients, three to a millisecond.
		var all, ofB, failedOfA []string // newest first
		for i := range 20 {
			id, client := fmt.Sprintf("call_%02d", i), "client_a"
			if i%2 == 1 {
				client = "client_b"
			}
			placeCall(t, s, id, client, at(time.Duration(i/3)*time.Millisecond))
			all = append([]string{id}, all...)
			if client == "client_b" {
				ofB = append([]string{id}, ofB...)
			} else if i%4 == 0 {
				if _, err := s.FailCall(ctx, id, "x", callBase); err != nil {
					t.Fatal(err)
				}
				failedOfA = append([]string{id}, failedOfA...)
			}
		}
		walk := func(t *testing.T, f switchboard.CallPageFilter) []string {
			t.Helper()
			limit := f.Limit
			if limit == 0 {
				limit = switchboard.DefaultCallLimit
			}
			var got []string
			for pages := 0; ; pages++ {
				page, err := s.FindCallPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Calls) > limit || pages > 30 {
					t.Fatalf("page of %d calls, limit %d", len(page.Calls), f.Limit)
				}
				for _, c := range page.Calls {
					if c.Transcript != nil {
						t.Fatalf("call %s read with its transcript", c.ID)
					}
				}
				got = append(got, callIDs(page.Calls)...)
				if page.Next == nil {
					return got
				}
				last := page.Calls[len(page.Calls)-1]
				if page.Next.ID != last.ID || !page.Next.CreatedAt.Equal(last.CreatedAt) {
					t.Fatalf("Next = %+v, want the last call's place", page.Next)
				}
				f.After = page.Next
			}
		}
		failed := switchboard.CallFailed
		for _, tt := range []struct {
			name string
			f    switchboard.CallPageFilter
			want []string
		}{
			{"All", switchboard.CallPageFilter{Limit: 3}, all},
			{"AllOnePage", switchboard.CallPageFilter{Limit: 20}, all},
			{"Default", switchboard.CallPageFilter{}, all},
			{"Client", switchboard.CallPageFilter{ClientID: "client_b", Limit: 4}, ofB},
			{"ClientStatus", switchboard.CallPageFilter{ClientID: "client_a", Status: &failed, Limit: 2}, failedOfA},
			{"Status", switchboard.CallPageFilter{Status: &failed, Limit: 1}, failedOfA},
			{"UnknownClient", switchboard.CallPageFilter{ClientID: "client_x"}, nil},
			{"After", switchboard.CallPageFilter{After: &switchboard.CallCursor{CreatedAt: at(3 * time.Millisecond), ID: "call_10"}, Limit: 5}, all[10:]},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := walk(t, tt.f); !slices.Equal(got, tt.want) {
					t.Errorf("walk = %v, want %v", got, tt.want)
				}
			})
		}
		page, err := s.FindCallPage(ctx, switchboard.CallPageFilter{Limit: 10_000})
		if err != nil || len(page.Calls) != 20 || page.Next != nil {
			t.Errorf("limit above the maximum: %d calls, next %v, %v", len(page.Calls), page.Next, err)
		}
		_, err = s.FindCallPage(ctx, switchboard.CallPageFilter{After: &switchboard.CallCursor{CreatedAt: callBase, ID: "call\x00"}})
		checkErr(t, err, switchboard.EINVALID, "Invalid page cursor", "")
	})
}

func TestCallService_CallStats(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		zero := &switchboard.CallStats{
			CallsByStatus:  map[switchboard.CallStatus]int{"queued": 0, "initiated": 0, "in-progress": 0, "completed": 0, "failed": 0},
			CallsByOutcome: map[string]int{"success": 0, "failure": 0, "unknown": 0},
		}
		if st, err := s.CallStats(ctx, ""); err != nil || !reflect.DeepEqual(st, zero) {
			t.Errorf("no calls: %+v, %v", st, err)
		}
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		placeCall(t, s, "call_q", "client_a", callBase)
		dialCall(t, s, "call_i", "client_a", callBase)
		for i, r := range []switchboard.CallResult{
			{Status: switchboard.CallCompleted, Duration: 100, Outcome: "success"},
			{Status: switchboard.CallCompleted, Duration: 30, Outcome: "failure"},
			{Status: switchboard.CallCompleted, Duration: 11, Outcome: "unknown"},
			{Status: switchboard.CallFailed, Error: "busy"},
		} {
			id := fmt.Sprintf("call_%d", i)
			dialCall(t, s, id, "client_a", at(time.Duration(i)*time.Hour))
			r.ConversationID = "conv_" + id
			if _, _, err := s.ApplyCallResult(ctx, r, at(time.Duration(i)*time.Hour+time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		dialCall(t, s, "call_b", "client_b", at(5*time.Hour))
		s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_call_b", Status: switchboard.CallCompleted, Duration: 60, Outcome: "success"}, at(5*time.Hour))

		st, err := s.CallStats(ctx, "client_a")
		if err != nil {
			t.Fatal(err)
		}
		want := &switchboard.CallStats{
			TotalCalls:      6,
			CallsByStatus:   map[switchboard.CallStatus]int{"queued": 1, "initiated": 1, "in-progress": 0, "completed": 3, "failed": 1},
			CallsByOutcome:  map[string]int{"success": 1, "failure": 1, "unknown": 1},
			TotalDuration:   141,
			AverageDuration: 141.0 / 6,
		}
		if !reflect.DeepEqual(st, want) {
			t.Errorf("client_a stats = %+v, want %+v", st, want)
		}
		st, err = s.CallStats(ctx, "")
		if err != nil || st.TotalCalls != 7 || st.TotalDuration != 201 || st.CallsByOutcome["success"] != 2 || st.CallsByStatus["completed"] != 4 {
			t.Errorf("every client's stats = %+v, %v", st, err)
		}
		if st, err := s.CallStats(ctx, "client_x"); err != nil || !reflect.DeepEqual(st, zero) {
			t.Errorf("unknown client: %+v, %v", st, err)
		}

		for _, tt := range []struct {
			since time.Time
			want  int
		}{{callBase, 7}, {at(time.Hour), 4}, {at(5 * time.Hour), 1}, {at(5*time.Hour + time.Millisecond), 0}} {
			if n, err := s.CountCallsSince(ctx, tt.since); err != nil || n != tt.want {
				t.Errorf("CountCallsSince(%v) = %d, %v; want %d", tt.since, n, err, tt.want)
			}
		}
	})
}

func TestCallService_ClaimCallsToReconcile(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		now := at(time.Hour)
		queuedBefore, activeBefore := now.Add(-time.Minute), now.Add(-10*time.Minute)
		// Stale: queued for 2 minutes, initiated for 20, in progress for 15.
		placeCall(t, s, "call_queued_old", "client_a", now.Add(-2*time.Minute))
		dialCall(t, s, "call_init_old", "client_a", now.Add(-20*time.Minute))
		dialCall(t, s, "call_prog_old", "client_a", now.Add(-30*time.Minute))
		s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_call_prog_old", Status: switchboard.CallInProgress}, now.Add(-15*time.Minute))
		// Not stale: recent, or final.
		placeCall(t, s, "call_queued_new", "client_a", now.Add(-30*time.Second))
		dialCall(t, s, "call_init_new", "client_a", now.Add(-5*time.Minute))
		placeCall(t, s, "call_failed", "client_a", now.Add(-50*time.Minute))
		s.FailCall(ctx, "call_failed", "x", now.Add(-50*time.Minute))
		dialCall(t, s, "call_done", "client_a", now.Add(-50*time.Minute))
		s.ApplyCallResult(ctx, switchboard.CallResult{ConversationID: "conv_call_done", Status: switchboard.CallCompleted}, now.Add(-50*time.Minute))

		claim := func(now time.Time, limit int) []string {
			t.Helper()
			calls, err := s.ClaimCallsToReconcile(ctx, queuedBefore, activeBefore, now, 5*time.Minute, limit)
			if err != nil {
				t.Fatal(err)
			}
			return callIDs(calls)
		}
		stale := []string{"call_init_old", "call_prog_old", "call_queued_old"} // oldest change first
		if got := claim(now, 10); !slices.Equal(got, stale) {
			t.Fatalf("claim = %v, want %v", got, stale)
		}
		if got := claim(now.Add(time.Minute), 10); len(got) != 0 {
			t.Errorf("claim within the lease = %v, want none", got)
		}
		// The lease ends: claimed again, limit first.
		if got := claim(now.Add(5*time.Minute), 2); !slices.Equal(got, stale[:2]) {
			t.Errorf("claim after the lease, limit 2 = %v, want %v", got, stale[:2])
		}
		if got := claim(now.Add(5*time.Minute), 10); !slices.Equal(got, stale[2:]) {
			t.Errorf("claim the rest = %v, want %v", got, stale[2:])
		}
		// A call settled meanwhile is no longer stale.
		s.FailCall(ctx, "call_queued_old", "interrupted", now.Add(6*time.Minute))
		if got := claim(now.Add(20*time.Minute), 10); !slices.Equal(got, stale[:2]) {
			t.Errorf("claim after a settlement = %v, want %v", got, stale[:2])
		}
		if got := claim(now.Add(time.Hour), 0); len(got) != 0 {
			t.Errorf("claim of 0 = %v", got)
		}
		c := findCall(t, s, "", "call_init_old")
		if c.Status != switchboard.CallInitiated || !c.UpdatedAt.Equal(now.Add(-20*time.Minute)) {
			t.Errorf("a claim changed the call: %+v", c)
		}
	})
}

// TestCallService_ClaimCallsToReconcile_Concurrent: two instances on one
// database claim at once, several claims each: no call is claimed twice,
// and every stale call is claimed.
func TestCallService_ClaimCallsToReconcile_Concurrent(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			s1, s2 := storetest.OpenTwice(t, dialect)
			mustCreate(t, s1, newClient("client_a", "a@example.com"))
			const n = 120
			for i := range n {
				placeCall(t, s1, fmt.Sprintf("call_%03d", i), "client_a", at(time.Duration(i)*time.Millisecond))
			}
			now := at(time.Hour)
			var mu sync.Mutex
			claimed := map[string]int{}
			var wg sync.WaitGroup
			for w := range 6 {
				s := []*store.Store{s1, s2}[w%2]
				wg.Go(func() {
					for {
						calls, err := s.ClaimCallsToReconcile(ctx, now, now, now, time.Hour, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(calls) == 0 {
							return
						}
						mu.Lock()
						for _, c := range calls {
							claimed[c.ID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(claimed) != n {
				t.Errorf("%d calls claimed, want %d", len(claimed), n)
			}
			for id, k := range claimed {
				if k != 1 {
					t.Errorf("%s claimed %d times", id, k)
				}
			}
		})
	}
}

func TestCallService_DoNotCall(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		list := func(client string) []switchboard.DoNotCallEntry {
			t.Helper()
			l, err := s.FindDoNotCall(ctx, client)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if l := list("client_a"); l == nil || len(l) != 0 {
			t.Errorf("empty list = %#v, want empty, not nil", l)
		}
		for i, p := range []string{"+12125550101", "+12125550102", "+12125550101"} {
			if err := s.AddDoNotCall(ctx, "client_a", p, at(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("AddDoNotCall(%s) #%d: %v", p, i, err)
			}
		}
		s.AddDoNotCall(ctx, "client_b", "+12125550199", callBase)
		want := []switchboard.DoNotCallEntry{{Phone: "+12125550102", CreatedAt: at(time.Minute)}, {Phone: "+12125550101", CreatedAt: callBase}}
		if got := list("client_a"); !reflect.DeepEqual(got, want) {
			t.Errorf("list = %v, want %v (added again keeps its first date)", got, want)
		}
		if err := s.RemoveDoNotCall(ctx, "client_a", "+12125550101"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ client, phone string }{
			{"client_a", "+12125550101"}, {"client_a", "+12125550199"}, {"client_x", "+12125550101"}, {"client_a", "\xff"},
		} {
			checkErr(t, s.RemoveDoNotCall(ctx, tt.client, tt.phone), switchboard.ENOTFOUND, msgNotOnDoNotCall, "")
		}
		if got := list("client_a"); !reflect.DeepEqual(got, want[:1]) {
			t.Errorf("after removal = %v, want %v", got, want[:1])
		}
		if got := list("client_b"); len(got) != 1 || got[0].Phone != "+12125550199" {
			t.Errorf("client_b's list = %v", got)
		}
		checkErr(t, s.AddDoNotCall(ctx, "client_x", "+12125550101", callBase), switchboard.ENOTFOUND, msgNotFound, "")
		if got := list("client_x"); len(got) != 0 {
			t.Errorf("unknown client's list = %v", got)
		}
		if err := s.DeleteClient(ctx, "client_b"); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, newClient("client_b", "b2@example.com"))
		if got := list("client_b"); len(got) != 0 {
			t.Errorf("a deleted client's list passed on: %v", got)
		}
	})
}
