package store_test

import (
	"context"
	"sync"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// The team's two-factor requirement: off until set, each change recorded
// once in the audit trail with its actor, a value set again records
// nothing, and another instance on the database reads the change at once.
func TestAdminMFARequired(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
	required := func(t *testing.T, s *store.Store) bool {
		t.Helper()
		on, err := s.AdminMFARequired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	set := func(t *testing.T, s *store.Store, on bool) {
		t.Helper()
		if err := s.SetAdminMFARequired(ctx, on); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(t *testing.T, s *store.Store) []string {
		t.Helper()
		events, err := s.FindEvents(ctx, switchboard.MaxEventLimit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			if e.Actor != "admin:root" || e.ClientID != "" || e.Detail != "" {
				t.Errorf("event %s by %s, client %q, detail %q; want by admin:root, no client or detail", e.Action, e.Actor, e.ClientID, e.Detail)
			}
			out = append(out, e.Action)
		}
		return out
	}
	wantActions := func(t *testing.T, s *store.Store, want ...string) {
		t.Helper()
		got := actions(t, s)
		if len(got) != len(want) {
			t.Fatalf("events %v, want %v (newest first)", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events %v, want %v (newest first)", got, want)
			}
		}
	}

	each(t, "SetAndRead", func(t *testing.T, s *store.Store) {
		if required(t, s) {
			t.Fatal("required before anyone set it")
		}
		// Off while never set: nothing changes, nothing is recorded.
		set(t, s, false)
		wantActions(t, s)

		set(t, s, true)
		if !required(t, s) {
			t.Fatal("not required after setting it")
		}
		set(t, s, true)
		wantActions(t, s, switchboard.EventTeamMFARequired)

		set(t, s, false)
		if required(t, s) {
			t.Fatal("still required after turning it off")
		}
		set(t, s, false)
		wantActions(t, s, switchboard.EventTeamMFANotRequired, switchboard.EventTeamMFARequired)
	})

	// The server secret in the same table is left alone.
	each(t, "KeepsOtherSettings", func(t *testing.T, s *store.Store) {
		if _, err := s.Setting(ctx, "server_secret", "the-secret"); err != nil {
			t.Fatal(err)
		}
		set(t, s, true)
		set(t, s, false)
		if v, err := s.Setting(ctx, "server_secret", "another"); err != nil || v != "the-secret" {
			t.Errorf("server_secret = %q, %v; want the-secret", v, err)
		}
	})

	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run("TwoInstances/"+dialect, func(t *testing.T) {
			one, two := storetest.OpenTwice(t, dialect)
			if required(t, two) {
				t.Fatal("required before anyone set it")
			}
			set(t, one, true)
			if !required(t, two) {
				t.Error("the other instance does not see the requirement")
			}
			set(t, two, false)
			if required(t, one) {
				t.Error("the first instance still sees the requirement")
			}
			// Owners turning it on at once through both: one change, one event.
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := []*store.Store{one, two}[i%2].SetAdminMFARequired(ctx, true); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			wantActions(t, one, switchboard.EventTeamMFARequired, switchboard.EventTeamMFANotRequired, switchboard.EventTeamMFARequired)
		})
	}
}
