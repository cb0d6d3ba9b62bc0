package store

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

// TestCallCounts: the call statistics, a client's call counts and the
// dashboard's counts come from call_counts, which triggers keep in each
// write's transaction. After concurrent creates and status changes (each
// moving a call between rows shared with the other writers), rows written
// by other SQL and a delete, every row equals a GROUP BY of the calls, and
// the counts since any moment equal a COUNT(*), on both databases.
func TestCallCounts(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	pageStores(t, func(t *testing.T, s *Store) {
		check := func(when string) {
			t.Helper()
			var calls []callRow
			if err := s.db.Select("client_pk", "client_id", "status", "outcome", "duration_secs", "created_at").Find(&calls).Error; err != nil {
				t.Fatal(err)
			}
			type key struct {
				pk             uint64
				day, st, outcm string
			}
			want := map[key][2]int{}
			add := func(k key, d int) { v := want[k]; want[k] = [2]int{v[0] + 1, v[1] + d} }
			for _, c := range calls {
				add(key{c.ClientPK, "", c.Status, c.Outcome}, c.DurationSecs)
				add(key{0, "", c.Status, c.Outcome}, c.DurationSecs)
				add(key{0, c.CreatedAt.UTC().Format("2006-01-02 15"), "", c.Outcome}, 0)
			}
			var rows []struct {
				ClientPK              uint64
				Hour, Status, Outcome string
				N, Duration           int
			}
			if err := s.db.Raw("SELECT * FROM call_counts WHERE n <> 0 OR duration <> 0").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			got := map[key][2]int{}
			for _, r := range rows {
				got[key{r.ClientPK, r.Hour, r.Status, r.Outcome}] = [2]int{r.N, r.Duration}
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s: call_counts =\n%v\nwant\n%v", when, got, want)
			}
			for h := -30; h <= 5*24; h += 7 {
				// Into the first half of an hour, or the second.
				since := base.Add(time.Duration(h)*time.Hour + time.Duration(13+h%2*34)*time.Minute)
				var n int64
				if err := s.db.Model(&callRow{}).Where("created_at >= ?", since).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				if got, err := s.CountCallsSince(ctx, since); err != nil || got != int(n) {
					t.Errorf("%s: CountCallsSince(%v) = %d, %v; want %d", when, since, got, err, n)
				}
				byDay := map[string]int{}
				for _, c := range calls {
					if !c.CreatedAt.Before(since) {
						byDay[c.CreatedAt.UTC().Format(time.DateOnly)+" "+c.Outcome]++
					}
				}
				days, err := s.CountCallsByDay(ctx, since)
				if err != nil {
					t.Fatal(err)
				}
				gotDays := map[string]int{}
				for _, d := range days {
					gotDays[d.Day.Format(time.DateOnly)+" "+d.Outcome] = d.Calls
				}
				if !maps.Equal(gotDays, byDay) {
					t.Errorf("%s: CountCallsByDay(%v) = %v, want %v", when, since, gotDays, byDay)
				}
			}
		}
		check("no calls")
		clients := []string{"count_a", "count_b", "count_c"}
		for i, id := range clients {
			if err := s.CreateClient(ctx, countClient(id, fmt.Sprintf("c%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}

		// 60 calls at once over three clients and five days (a call every
		// 2 hours and 7 minutes), each dialled
		// and most ended (or failed) at once with the others.
		var wg sync.WaitGroup
		errs := make(chan error, 60)
		outcomes := []string{switchboard.OutcomeSuccess, switchboard.OutcomeFailure, switchboard.OutcomeUnknown, "", "other"}
		for i := range 60 {
			wg.Go(func() {
				id := fmt.Sprintf("call_%02d", i)
				when := base.Add(time.Duration(i) * (2*time.Hour + 7*time.Minute))
				call := &switchboard.Call{ID: id, ClientID: clients[i%3], To: "+12125550100", From: "+18001234567", AgentID: "agent_1", RequestedBy: "test"}
				if err := s.CreateCall(ctx, call, 1000, when); err != nil {
					errs <- err
					return
				}
				if i%6 == 5 {
					return // stays queued
				}
				if i%6 == 4 {
					_, err := s.FailCall(ctx, id, "busy", when.Add(time.Second))
					errs <- err
					return
				}
				if _, err := s.MarkCallDialled(ctx, id, switchboard.Dialled{ConversationID: "conv_" + id}, when.Add(time.Second)); err != nil {
					errs <- err
					return
				}
				if i%6 == 3 {
					return // stays initiated
				}
				_, _, err := s.ApplyCallResult(ctx, switchboard.CallResult{
					ConversationID: "conv_" + id, Status: switchboard.CallCompleted, Duration: 10 + i, Outcome: outcomes[i%5],
				}, when.Add(time.Minute))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent call write: %v", err)
			}
		}
		check("after concurrent writes")

		// Rows written by other SQL (a hand fix, an import) count too.
		for _, q := range []string{
			"UPDATE calls SET outcome = 'failure', duration_secs = duration_secs + 5 WHERE call_id = 'call_00'",
			"UPDATE calls SET status = 'failed' WHERE call_id = 'call_05'",
			"DELETE FROM calls WHERE call_id IN ('call_01', 'call_04')",
		} {
			if err := s.db.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
			check(q)
		}
	})
}
