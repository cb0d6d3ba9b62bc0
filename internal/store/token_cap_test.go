package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// TestTokenService_RevocationCap: a client never has more than
// MaxRevokedTokens revocations stored; the one past it ends every token of
// the client instead, recorded in the audit trail, and leaves none.
func TestTokenService_RevocationCap(t *testing.T) {
	ctx := context.Background()
	const max = switchboard.MaxRevokedTokens

	each(t, "OKCapEndsEveryToken", func(t *testing.T, s *store.Store) {
		before := mustCreate(t, s, newClient("client_a", "john@example.com")).TokenVersion
		mustCreate(t, s, newClient("client_b", "jane@example.com"))
		s.SeedRevokedTokens(t, "client_a", max-1)
		s.SeedRevokedTokens(t, "client_b", 5)
		if ended, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_last", ClientID: "client_a"}); err != nil || ended {
			t.Fatalf("revocation %d = %v, %v; want stored", max, ended, err)
		}
		if got := s.CountRows(t, "revoked_tokens"); got != max+5 {
			t.Fatalf("rows = %d, want %d", got, max+5)
		}
		ended, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_over", ClientID: "client_a"})
		if err != nil || !ended {
			t.Fatalf("revocation %d = %v, %v; want every token ended", max+1, ended, err)
		}
		if got := s.CountRows(t, "revoked_tokens"); got != 5 {
			t.Errorf("rows = %d, want client_b's 5", got)
		}
		if got := mustFind(t, s, "client_a").TokenVersion; got != before+1 {
			t.Errorf("TokenVersion = %d, want %d", got, before+1)
		}
		events, err := s.FindEvents(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Action != switchboard.EventClientTokensRevoked || events[0].ClientID != "client_a" ||
			events[0].Detail != fmt.Sprintf("more than %d revoked tokens", max) {
			t.Errorf("last event = %+v, want client_a's tokens_revoked saying why", events[0])
		}
		// The count starts again.
		if ended, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: "jti_next", ClientID: "client_a"}); err != nil || ended {
			t.Errorf("the next revocation = %v, %v; want stored", ended, err)
		}
	})

	each(t, "OKConcurrentNeverPastTheCap", func(t *testing.T, s *store.Store) {
		before := mustCreate(t, s, newClient("client_a", "john@example.com")).TokenVersion
		s.SeedRevokedTokens(t, "client_a", max-20)
		var ends atomic.Int64
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				ended, err := s.RevokeToken(ctx, switchboard.RevokedToken{ID: fmt.Sprintf("jti_%d", i), ClientID: "client_a"})
				if err != nil {
					t.Error(err)
				} else if ended {
					ends.Add(1)
				}
			})
		}
		wg.Wait()
		// 20 fill the table up to the cap, one ends everything, 39 start over.
		if got := ends.Load(); got != 1 {
			t.Errorf("revocations that ended every token = %d, want 1", got)
		}
		if got := s.CountRows(t, "revoked_tokens"); got != 39 {
			t.Errorf("rows = %d, want 39", got)
		}
		if got := mustFind(t, s, "client_a").TokenVersion; got != before+1 {
			t.Errorf("TokenVersion = %d, want %d", got, before+1)
		}
	})
}
