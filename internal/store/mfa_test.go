package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

func mfaAdmin(t *testing.T, s *store.Store, username string) {
	t.Helper()
	if err := s.CreateAdmin(context.Background(), &switchboard.Admin{Username: username, PasswordHash: "h"}); err != nil {
		t.Fatalf("CreateAdmin: %v", err)
	}
}

func mfaState(t *testing.T, s *store.Store, username string) switchboard.MFAState {
	t.Helper()
	st, err := s.MFAState(context.Background(), username)
	if err != nil {
		t.Fatalf("MFAState: %v", err)
	}
	return *st
}

func TestMFASetUpAndEnable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mfaAdmin(t, s, "ada")
		if got := mfaState(t, s, "ada"); got != (switchboard.MFAState{}) {
			t.Fatalf("state before set-up = %+v, want zero", got)
		}
		if _, err := s.MFAState(ctx, "nobody"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Fatalf("MFAState(unknown) = %v, want ENOTFOUND", err)
		}
		if err := s.SetMFASecret(ctx, "nobody", "x"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Fatalf("SetMFASecret(unknown) = %v, want ENOTFOUND", err)
		}
		if err := s.EnableMFA(ctx, "ada", 5, nil); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
			t.Fatalf("EnableMFA before set-up = %v, want ECONFLICT", err)
		}
		// A set-up never confirmed is replaced by the next one.
		for _, secret := range []string{"first", "second"} {
			if err := s.SetMFASecret(ctx, "ada", secret); err != nil {
				t.Fatalf("SetMFASecret(%s): %v", secret, err)
			}
		}
		if got := mfaState(t, s, "ada"); got != (switchboard.MFAState{Secret: "second"}) {
			t.Fatalf("state after set-up = %+v", got)
		}
		// Not enabled yet: no step is accepted.
		if ok, err := s.AcceptTOTPStep(ctx, "ada", 9); err != nil || ok {
			t.Fatalf("AcceptTOTPStep before enabling = %v, %v; want false", ok, err)
		}
		if err := s.EnableMFA(ctx, "ada", 7, []string{"h1", "h2", "h3"}); err != nil {
			t.Fatalf("EnableMFA: %v", err)
		}
		want := switchboard.MFAState{Secret: "second", Enabled: true, LastStep: 7, RecoveryCodes: 3}
		if got := mfaState(t, s, "ada"); got != want {
			t.Fatalf("state after enabling = %+v, want %+v", got, want)
		}
		if err := s.EnableMFA(ctx, "ada", 8, []string{"h4"}); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
			t.Fatalf("EnableMFA twice = %v, want ECONFLICT", err)
		}
		// An enabled secret is never replaced by a new set-up.
		if err := s.SetMFASecret(ctx, "ada", "third"); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
			t.Fatalf("SetMFASecret while enabled = %v, want ECONFLICT", err)
		}
		if got := mfaState(t, s, "ada"); got != want {
			t.Fatalf("state after refused changes = %+v, want %+v", got, want)
		}
		if err := s.DisableMFA(ctx, "ada"); err != nil {
			t.Fatalf("DisableMFA: %v", err)
		}
		if got := mfaState(t, s, "ada"); got != (switchboard.MFAState{}) {
			t.Fatalf("state after disabling = %+v, want zero", got)
		}
	})
}

func TestMFASteps(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mfaAdmin(t, s, "ada")
		mfaAdmin(t, s, "bob")
		for _, u := range []string{"ada", "bob"} {
			if err := s.SetMFASecret(ctx, u, "k"); err != nil {
				t.Fatal(err)
			}
			if err := s.EnableMFA(ctx, u, 10, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			step int64
			want bool
		}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}, {12, false}} {
			if ok, err := s.AcceptTOTPStep(ctx, "ada", c.step); err != nil || ok != c.want {
				t.Fatalf("AcceptTOTPStep(%d) = %v, %v; want %v", c.step, ok, err, c.want)
			}
		}
		if got := mfaState(t, s, "ada").LastStep; got != 13 {
			t.Fatalf("ada's last step = %d, want 13", got)
		}
		if got := mfaState(t, s, "bob").LastStep; got != 10 {
			t.Fatalf("bob's last step = %d, want 10: steps are per admin", got)
		}
		if ok, err := s.AcceptTOTPStep(ctx, "nobody", 99); err != nil || ok {
			t.Fatalf("AcceptTOTPStep(unknown) = %v, %v; want false", ok, err)
		}
	})
}

func TestMFAStepConcurrentOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mfaAdmin(t, s, "ada")
		if err := s.SetMFASecret(ctx, "ada", "k"); err != nil {
			t.Fatal(err)
		}
		if err := s.EnableMFA(ctx, "ada", 1, []string{"h"}); err != nil {
			t.Fatal(err)
		}
		var steps, codes atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if ok, err := s.AcceptTOTPStep(ctx, "ada", 2); err != nil {
					t.Error(err)
				} else if ok {
					steps.Add(1)
				}
				if ok, err := s.UseRecoveryCode(ctx, "ada", "h"); err != nil {
					t.Error(err)
				} else if ok {
					codes.Add(1)
				}
			})
		}
		wg.Wait()
		if steps.Load() != 1 || codes.Load() != 1 {
			t.Fatalf("one step accepted %d times, one recovery code used %d times; want once each", steps.Load(), codes.Load())
		}
	})
}

func TestMFARecoveryCodes(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mfaAdmin(t, s, "ada")
		mfaAdmin(t, s, "bob")
		if err := s.SetMFASecret(ctx, "ada", "k"); err != nil {
			t.Fatal(err)
		}
		if err := s.EnableMFA(ctx, "ada", 1, []string{"h1", "h2"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user, hash string
			want       bool
		}{{"bob", "h1", false}, {"ada", "nope", false}, {"ada", "h1", true}, {"ada", "h1", false}, {"nobody", "h2", false}} {
			if ok, err := s.UseRecoveryCode(ctx, c.user, c.hash); err != nil || ok != c.want {
				t.Fatalf("UseRecoveryCode(%s, %s) = %v, %v; want %v", c.user, c.hash, ok, err, c.want)
			}
		}
		if got := mfaState(t, s, "ada").RecoveryCodes; got != 1 {
			t.Fatalf("recovery codes left = %d, want 1", got)
		}
		// Enabling again (after a disable) replaces the codes.
		if err := s.DisableMFA(ctx, "ada"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.UseRecoveryCode(ctx, "ada", "h2"); ok {
			t.Fatal("a recovery code works after two-factor was disabled")
		}
	})
}
