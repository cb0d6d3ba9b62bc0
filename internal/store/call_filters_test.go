package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// endCall dials a call and applies a final report with the outcome
// ("" for an initiation failure: failed, no outcome).
func endCall(t *testing.T, s *store.Store, id, clientID, to, outcome string, when time.Time) {
	t.Helper()
	c := newCall(id, clientID, to)
	if err := s.CreateCall(context.Background(), c, 1000, when); err != nil {
		t.Fatalf("CreateCall(%s): %v", id, err)
	}
	conv := "conv_" + id
	if _, err := s.MarkCallDialled(context.Background(), id, switchboard.Dialled{ConversationID: conv}, when); err != nil {
		t.Fatal(err)
	}
	r := switchboard.CallResult{ConversationID: conv, Status: switchboard.CallCompleted, Outcome: outcome, Duration: 30}
	if outcome == "" {
		r = switchboard.CallResult{ConversationID: conv, Status: switchboard.CallFailed, Error: "busy"}
	}
	if _, _, err := s.ApplyCallResult(context.Background(), r, when); err != nil {
		t.Fatal(err)
	}
}

// TestCallService_FindCallPageFilters: the console's filters (outcome, the
// number called, the client that has the clientId now) and its pages both
// ways: walking back with Before from the last page gives every call again,
// and each page says whether a newer and an older one exist.
func TestCallService_FindCallPageFilters(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		outcomes := []string{switchboard.OutcomeSuccess, switchboard.OutcomeFailure, "", switchboard.OutcomeUnknown}
		var all, success, toX, ofA, successOfB []string // newest first
		for i := range 16 {
			id, client, to := fmt.Sprintf("call_%02d", i), "client_a", "+12125550100"
			if i%2 == 1 {
				client = "client_b"
			}
			if i%3 == 0 {
				to = "+4420790000"
			}
			outcome := outcomes[i%4]
			endCall(t, s, id, client, to, outcome, at(time.Duration(i/3)*time.Millisecond))
			all = append([]string{id}, all...)
			if outcome == switchboard.OutcomeSuccess {
				success = append([]string{id}, success...)
				if client == "client_b" {
					successOfB = append([]string{id}, successOfB...)
				}
			}
			if to == "+4420790000" {
				toX = append([]string{id}, toX...)
			}
			if client == "client_a" {
				ofA = append([]string{id}, ofA...)
			}
		}
		// A call of client_a's, which is then deleted and created again:
		// the new client_a reads none of the old one's calls.
		if err := s.DeleteClient(ctx, "client_a"); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, newClient("client_a", "a2@example.com"))
		endCall(t, s, "call_new", "client_a", "+12125550100", switchboard.OutcomeSuccess, at(time.Second))
		all, success = append([]string{"call_new"}, all...), append([]string{"call_new"}, success...)

		// walk reads every page forwards, then back from the last one with
		// its Newer cursor, and checks both ways give the same pages.
		walk := func(t *testing.T, f switchboard.CallPageFilter) []string {
			t.Helper()
			var pages [][]string
			var last *switchboard.CallPage
			for {
				page, err := s.FindCallPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if (len(pages) == 0) != (page.Newer == nil) {
					t.Fatalf("page %d: Newer = %v", len(pages), page.Newer)
				}
				pages, last = append(pages, callIDs(page.Calls)), page
				if page.Next == nil || len(pages) > 20 {
					break
				}
				f.After = page.Next
			}
			f.After = nil
			for i := len(pages) - 2; i >= 0; i-- {
				f.Before = last.Newer
				page, err := s.FindCallPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if got := callIDs(page.Calls); !slices.Equal(got, pages[i]) {
					t.Fatalf("back to page %d: %v, want %v", i, got, pages[i])
				}
				if page.Next == nil || (i == 0) != (page.Newer == nil) {
					t.Fatalf("back to page %d: Next %v, Newer %v", i, page.Next, page.Newer)
				}
				last = page
			}
			var got []string
			for _, p := range pages {
				got = append(got, p...)
			}
			return got
		}
		for _, tt := range []struct {
			name string
			f    switchboard.CallPageFilter
			want []string
		}{
			{"All", switchboard.CallPageFilter{Limit: 3}, all},
			{"Outcome", switchboard.CallPageFilter{Outcome: switchboard.OutcomeSuccess, Limit: 2}, success},
			{"To", switchboard.CallPageFilter{To: "+4420790000", Limit: 2}, toX},
			{"ToUnknown", switchboard.CallPageFilter{To: "+19999999999"}, nil},
			{"ClientOutcome", switchboard.CallPageFilter{ClientID: "client_b", Outcome: switchboard.OutcomeSuccess, Limit: 1}, successOfB},
			{"RecordedClientID", switchboard.CallPageFilter{ClientID: "client_a", Limit: 3}, append([]string{"call_new"}, ofA...)},
			{"CurrentClient", switchboard.CallPageFilter{ClientID: "client_a", CurrentClient: true, Limit: 3}, []string{"call_new"}},
			{"CurrentClientGone", switchboard.CallPageFilter{ClientID: "client_z", CurrentClient: true}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := walk(t, tt.f); !slices.Equal(got, tt.want) {
					t.Errorf("walk = %v, want %v", got, tt.want)
				}
			})
		}
		both := &switchboard.CallCursor{CreatedAt: callBase, ID: "call_01"}
		_, err := s.FindCallPage(ctx, switchboard.CallPageFilter{After: both, Before: both})
		checkErr(t, err, switchboard.EINVALID, "Invalid page cursor", "")
	})
}

// TestCallService_CountCallsByDay: every client's calls since a time, by
// UTC day and outcome ("" for none), oldest day first; calls from before
// are left out, deleted clients' calls are counted.
func TestCallService_CountCallsByDay(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		if got, err := s.CountCallsByDay(ctx, callBase); err != nil || len(got) != 0 {
			t.Fatalf("no calls: %v, %v", got, err)
		}
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		day := 24 * time.Hour
		// callBase is noon: 11h59 later is the same day, 12h later the next.
		endCall(t, s, "call_old", "client_a", "+12125550100", switchboard.OutcomeSuccess, at(-2*day))
		endCall(t, s, "call_1", "client_a", "+12125550100", switchboard.OutcomeSuccess, at(-day))
		endCall(t, s, "call_2", "client_b", "+12125550100", switchboard.OutcomeSuccess, at(-day+time.Hour))
		endCall(t, s, "call_3", "client_b", "+12125550100", "", at(-day+2*time.Hour))
		endCall(t, s, "call_4", "client_a", "+12125550100", switchboard.OutcomeFailure, at(11*time.Hour+59*time.Minute))
		endCall(t, s, "call_5", "client_a", "+12125550100", switchboard.OutcomeUnknown, at(12*time.Hour))
		placeCall(t, s, "call_6", "client_b", at(12*time.Hour+time.Second))
		if err := s.DeleteClient(ctx, "client_b"); err != nil {
			t.Fatal(err)
		}
		got, err := s.CountCallsByDay(ctx, at(-day-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		d := func(n int) time.Time { return time.Date(2025, 3, n, 0, 0, 0, 0, time.UTC) }
		want := []switchboard.CallDayCount{
			{Day: time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), Outcome: "", Calls: 1},
			{Day: time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), Outcome: switchboard.OutcomeSuccess, Calls: 2},
			{Day: d(1), Outcome: switchboard.OutcomeFailure, Calls: 1},
			{Day: d(2), Outcome: "", Calls: 1},
			{Day: d(2), Outcome: switchboard.OutcomeUnknown, Calls: 1},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("CountCallsByDay =\n%v\nwant\n%v", got, want)
		}
	})
}
