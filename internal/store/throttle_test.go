package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

var t0 = time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)

// limit is 10 attempts per 15 minutes, one back every 90 s.
func limit(key string) switchboard.ThrottleLimit {
	return switchboard.ThrottleLimit{Key: key, Limit: 10, Window: 15 * time.Minute}
}

const refill = 90 * time.Second

// take takes from limits at now and returns the wait, failing the test on an error.
func take(t *testing.T, s switchboard.ThrottleService, now time.Time, limits ...switchboard.ThrottleLimit) time.Duration {
	t.Helper()
	wait, err := s.TakeAllowance(context.Background(), now, limits)
	if err != nil {
		t.Fatalf("TakeAllowance: %v", err)
	}
	return wait
}

// burst takes from limit l n times at once, through the stores in turn, and
// returns how many were granted; every refusal must say to wait at most a refill.
func burst(t *testing.T, stores []*store.Store, n int, l switchboard.ThrottleLimit) int {
	t.Helper()
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			wait, err := stores[i%len(stores)].TakeAllowance(context.Background(), t0, []switchboard.ThrottleLimit{l})
			if err != nil {
				t.Errorf("TakeAllowance: %v", err)
				return
			}
			if wait < 0 || wait > refill {
				t.Errorf("wait = %v, want 0 or up to %v", wait, refill)
			}
			mu.Lock()
			defer mu.Unlock()
			if wait == 0 {
				granted++
			}
		})
	}
	wg.Wait()
	return granted
}

func TestThrottleService_TakeAllowance(t *testing.T) {
	ctx := context.Background()

	each(t, "OKBurstTakesAtMostTheAllowance", func(t *testing.T, s *store.Store) {
		if got := burst(t, []*store.Store{s}, 100, limit("k")); got != 10 {
			t.Errorf("granted %d of 100 simultaneous attempts, want the allowance, 10", got)
		}
	})

	each(t, "OKRefillsEvenly", func(t *testing.T, s *store.Store) {
		for i := range 10 {
			if wait := take(t, s, t0, limit("k")); wait != 0 {
				t.Fatalf("attempt %d: wait %v, want 0", i+1, wait)
			}
		}
		if wait := take(t, s, t0, limit("k")); wait != refill {
			t.Errorf("11th attempt: wait %v, want %v", wait, refill)
		}
		half := t0.Add(refill / 2)
		if wait, err := s.AllowanceWait(ctx, half, []switchboard.ThrottleLimit{limit("k")}); err != nil || wait != refill/2 {
			t.Errorf("AllowanceWait half a refill later = %v, %v; want %v", wait, err, refill/2)
		}
		if wait := take(t, s, t0.Add(refill), limit("k")); wait != 0 {
			t.Errorf("a refill later: wait %v, want 0", wait)
		}
		if wait := take(t, s, t0.Add(refill), limit("k")); wait != refill {
			t.Errorf("and again: wait %v, want %v", wait, refill)
		}
		later := t0.Add(refill + 15*time.Minute)
		for i := range 10 {
			if wait := take(t, s, later, limit("k")); wait != 0 {
				t.Fatalf("a window later, attempt %d: wait %v, want 0", i+1, wait)
			}
		}
	})

	each(t, "OKAllOrNothing", func(t *testing.T, s *store.Store) {
		one := switchboard.ThrottleLimit{Key: "one", Limit: 1, Window: time.Minute}
		if wait := take(t, s, t0, limit("ten"), one); wait != 0 {
			t.Fatalf("first attempt: wait %v", wait)
		}
		if wait := take(t, s, t0, limit("ten"), one); wait != time.Minute {
			t.Fatalf("second attempt: wait %v, want %v (one is spent)", wait, time.Minute)
		}
		// The refused attempt took nothing from ten: nine are left.
		for i := range 9 {
			if wait := take(t, s, t0, limit("ten")); wait != 0 {
				t.Fatalf("attempt %d on ten alone: wait %v, want 0", i+2, wait)
			}
		}
		if wait := take(t, s, t0, limit("ten")); wait == 0 {
			t.Error("an 11th attempt on ten was granted")
		}
	})

	each(t, "OKReturnAllowance", func(t *testing.T, s *store.Store) {
		for range 10 {
			take(t, s, t0, limit("k"))
		}
		if err := s.ReturnAllowance(ctx, t0, []switchboard.ThrottleLimit{limit("k"), limit("never-taken")}); err != nil {
			t.Fatal(err)
		}
		if wait := take(t, s, t0, limit("k")); wait != 0 {
			t.Errorf("after one was given back: wait %v, want 0", wait)
		}
		if wait := take(t, s, t0, limit("k")); wait == 0 {
			t.Error("a second attempt was granted after one was given back")
		}
		if wait := take(t, s, t0, limit("never-taken")); wait != 0 {
			t.Errorf("a limit given back without being taken: wait %v, want 0", wait)
		}
	})

	each(t, "OKCountOnly", func(t *testing.T, s *store.Store) {
		counted := limit("k")
		counted.CountOnly = true
		roomy := switchboard.ThrottleLimit{Key: "roomy", Limit: 100, Window: 15 * time.Minute}
		for i := range 25 {
			if wait := take(t, s, t0, counted, roomy); wait != 0 {
				t.Fatalf("attempt %d: wait %v; CountOnly must never refuse", i+1, wait)
			}
		}
		// 25 counted, but the allowance is spent by no more than its window:
		// one refill later it has room again.
		if wait, err := s.AllowanceWait(ctx, t0, []switchboard.ThrottleLimit{limit("k")}); err != nil || wait != refill {
			t.Errorf("AllowanceWait after 25 counted = %v, %v; want %v", wait, err, refill)
		}
		if wait, err := s.AllowanceWait(ctx, t0, []switchboard.ThrottleLimit{counted}); err != nil || wait != 0 {
			t.Errorf("AllowanceWait of the CountOnly limit = %v, %v; want 0", wait, err)
		}
	})
}

// TestThrottleService_SharedByTwoStores: two stores opened separately on one
// database, as two instances of the service would, give one allowance.
func TestThrottleService_SharedByTwoStores(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			url := storetest.URL(t, dialect)
			var stores []*store.Store
			for range 2 {
				s, err := store.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				stores = append(stores, s)
			}
			if got := burst(t, stores, 100, limit("k")); got != 10 {
				t.Errorf("granted %d of 100 simultaneous attempts through two stores, want 10", got)
			}
		})
	}
}

func TestThrottleService_SignInRemembered(t *testing.T) {
	ctx := context.Background()
	each(t, "OK", func(t *testing.T, s *store.Store) {
		if got, err := s.SignInRemembered(ctx, "k"); err != nil || !got.IsZero() {
			t.Errorf("SignInRemembered before = %v, %v; want the zero time", got, err)
		}
		for _, until := range []time.Time{t0.Add(30 * 24 * time.Hour), t0.Add(31 * 24 * time.Hour)} {
			if err := s.RememberSignIn(ctx, "k", until); err != nil {
				t.Fatal(err)
			}
			if got, err := s.SignInRemembered(ctx, "k"); err != nil || !got.Equal(until) {
				t.Errorf("SignInRemembered = %v, %v; want %v", got, err, until)
			}
		}
	})
}

func TestThrottleService_PurgeThrottle(t *testing.T) {
	ctx := context.Background()
	each(t, "OK", func(t *testing.T, s *store.Store) {
		// Real time: the store purges expired revocations by its own clock too.
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		take(t, s, t0, limit("refilled"))
		take(t, s, t0.Add(time.Minute), limit("refilling")) // full again at t0+2.5m
		for key, until := range map[string]time.Time{"forgotten": t0.Add(time.Minute), "remembered": t0.Add(time.Hour)} {
			if err := s.RememberSignIn(ctx, key, until); err != nil {
				t.Fatal(err)
			}
		}
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		for _, tok := range []switchboard.RevokedToken{
			{ID: "jti_expired", ClientID: "client_a", ExpiresAt: t0.Add(time.Minute)},
			{ID: "jti_live", ClientID: "client_a", ExpiresAt: t0.Add(time.Hour)},
			{ID: "jti_never", ClientID: "client_a"},
		} {
			if _, err := s.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}

		if got, err := s.IsTokenRevoked(ctx, "jti_expired"); err != nil || !got {
			t.Fatalf("IsTokenRevoked(jti_expired) before the purge = %v, %v; want true", got, err)
		}
		if err := s.PurgeThrottle(ctx, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"throttle_allowances": 1, "remembered_sign_ins": 1, "revoked_tokens": 2} {
			if got := s.CountRows(t, table); got != want {
				t.Errorf("%s rows after the purge = %d, want %d", table, got, want)
			}
		}
		if wait, err := s.AllowanceWait(ctx, t0.Add(2*time.Minute), []switchboard.ThrottleLimit{limit("refilling")}); err != nil || wait != 0 {
			t.Errorf("refilling after the purge: %v, %v", wait, err)
		}
		if got, err := s.SignInRemembered(ctx, "remembered"); err != nil || got.IsZero() {
			t.Errorf("remembered after the purge: %v, %v", got, err)
		}
		for jti, want := range map[string]bool{"jti_expired": false, "jti_live": true, "jti_never": true} {
			if got, err := s.IsTokenRevoked(ctx, jti); err != nil || got != want {
				t.Errorf("IsTokenRevoked(%q) after the purge = %v, %v; want %v", jti, got, err, want)
			}
		}
	})
}
