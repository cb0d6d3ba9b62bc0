package auth

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth/authtest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// countHashes makes s count its comparisons, each slowed as at a real cost.
func countHashes(s testService) *authtest.Hasher {
	h := authtest.Wrap(s.Hasher)
	h.Delay = 5 * time.Millisecond
	s.Hasher = h
	return h
}

// outcomes runs n attempts at once and counts their error codes.
func outcomes(t *testing.T, n int, attempt func(i int) error) map[string]int {
	return authtest.Burst(n, func(i int) string {
		err := attempt(i)
		var e *switchboard.Error
		if errors.As(err, &e) && e.Code == switchboard.ETHROTTLED && (e.RetryAfter <= 0 || e.RetryAfter > 90*time.Second) {
			t.Errorf("throttled with RetryAfter %v, want in (0, 90s]", e.RetryAfter)
		}
		return switchboard.ErrorCode(err)
	})
}

// TestService_BurstEvaluatesAtMostTheAllowance: 100 simultaneous wrong
// attempts at one account's secret from one address are compared at most
// the allowance's 10 times, at every door that checks a secret or a
// password; the rest are throttled before any hashing. (The old throttle
// charged failures after the hash, so every attempt of a burst was hashed.)
func TestService_BurstEvaluatesAtMostTheAllowance(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"
	want := map[string]int{switchboard.EUNAUTHORIZED: 10, switchboard.ETHROTTLED: 90}
	check := func(t *testing.T, got map[string]int, h *authtest.Hasher) {
		t.Helper()
		if got[switchboard.EUNAUTHORIZED] != want[switchboard.EUNAUTHORIZED] || got[switchboard.ETHROTTLED] != want[switchboard.ETHROTTLED] {
			t.Errorf("outcomes = %v, want %v", got, want)
		}
		if n := h.Compares(); n > 10 {
			t.Errorf("%d comparisons, want at most the allowance, 10", n)
		}
	}

	t.Run("LoginClient", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s := newServiceOn(t, st)
			s.createClient(t, "client_a", "john@example.com", secret)
			h := countHashes(s)
			check(t, outcomes(t, 100, func(i int) error {
				_, _, err := s.LoginClient(ctx, "client_a", fmt.Sprintf("wrong-secret-%03d", i), ip)
				return err
			}), h)
		})
	})
	t.Run("LoginAdmin", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s := newServiceOn(t, st)
			if _, err := s.EnsureAdmin(ctx, "root", "correct-horse-battery"); err != nil {
				t.Fatal(err)
			}
			h := countHashes(s)
			check(t, outcomes(t, 100, func(i int) error {
				_, _, _, err := s.LoginAdmin(ctx, "root", fmt.Sprintf("wrong-password-%03d", i), "", ip)
				return err
			}), h)
		})
	})
	t.Run("ChangeClientSecret", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s := newServiceOn(t, st)
			s.createClient(t, "client_a", "john@example.com", secret)
			c, _, err := s.Client(ctx, s.login(t, "client_a", secret))
			if err != nil {
				t.Fatal(err)
			}
			h := countHashes(s)
			check(t, outcomes(t, 100, func(i int) error {
				_, err := s.ChangeClientSecret(ctx, c, fmt.Sprintf("wrong-secret-%03d", i), "a-brand-new-secret-42", ip)
				return err
			}), h)
		})
	})
}

// TestService_NoLockout: failures from addresses that never signed in to an
// account spend its ceiling, which holds every such address, but not one
// that signed in to it within 30 days: the rightful client or admin keeps
// signing in from there however many failures come from elsewhere.
func TestService_NoLockout(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"
	const home, newcomer = "192.0.2.10", "192.0.2.99"
	attacker := func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }

	type door struct {
		name, refused string
		setup         func(t *testing.T, s testService)
		login         func(s testService, secret, from string) error
	}
	for _, d := range []door{
		{"Client", msgLogin, func(t *testing.T, s testService) { s.createClient(t, "client_a", "john@example.com", secret) },
			func(s testService, secret, from string) error {
				_, _, err := s.LoginClient(ctx, "client_a", secret, from)
				return err
			}},
		{"Admin", MsgInvalidAdminLogin, func(t *testing.T, s testService) {
			if _, err := s.EnsureAdmin(ctx, "root", secret); err != nil {
				t.Fatal(err)
			}
		}, func(s testService, secret, from string) error {
			_, _, _, err := s.LoginAdmin(ctx, "root", secret, "", from)
			return err
		}},
	} {
		t.Run(d.name, func(t *testing.T) {
			storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
				s := newServiceOn(t, st)
				clock := &fakeClock{t: time.Now()}
				s.Throttle.now = clock.now
				d.setup(t, s)
				if err := d.login(s, secret, home); err != nil {
					t.Fatalf("sign-in from home: %v", err)
				}
				// Ten failures from ten addresses spend the ceiling...
				for i := range 10 {
					checkErr(t, d.login(s, "wrong-guess-wrong", attacker(i)), switchboard.EUNAUTHORIZED, d.refused)
				}
				// ...which holds every address that has not signed in lately,
				// the right secret too...
				for i := 10; i < 30; i++ {
					checkErr(t, d.login(s, "wrong-guess-wrong", attacker(i)), switchboard.ETHROTTLED, msgThrottled)
				}
				checkErr(t, d.login(s, secret, newcomer), switchboard.ETHROTTLED, msgThrottled)
				// ...but not home, while the attack goes on.
				for i := 30; i < 35; i++ {
					if err := d.login(s, secret, home); err != nil {
						t.Fatalf("sign-in from home during the attack: %v", err)
					}
					checkErr(t, d.login(s, "wrong-guess-wrong", attacker(i)), switchboard.ETHROTTLED, msgThrottled)
				}

				// 31 days on, home is forgotten: the ceiling holds it too.
				clock.advance(31 * 24 * time.Hour)
				for i := 40; i < 50; i++ {
					checkErr(t, d.login(s, "wrong-guess-wrong", attacker(i)), switchboard.EUNAUTHORIZED, d.refused)
				}
				checkErr(t, d.login(s, secret, home), switchboard.ETHROTTLED, msgThrottled)
			})
		})
	}
}

// TestService_ThrottleStoresNoAddress: the throttle's rows hold keyed
// hashes, never an address or an account id.
func TestService_ThrottleStoresNoAddress(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t, store.SQLite)
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := newServiceOn(t, st)
	const secret = "client_secure_secret_key"
	s.createClient(t, "client_a", "john@example.com", secret)
	s.login(t, "client_a", secret)
	for _, from := range []string{ip, otherIP, "2001:db8::1"} {
		s.LoginClient(ctx, "client_a", "wrong-guess-wrong", from)
	}

	db, err := sql.Open("sqlite3", strings.TrimPrefix(url, "file:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := 0
	for _, q := range []string{"SELECT key, full_at FROM throttle_allowances", "SELECT key, forget_at FROM remembered_sign_ins"} {
		r, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var key string
			var at int64
			if err := r.Scan(&key, &at); err != nil {
				t.Fatal(err)
			}
			rows++
			for _, secretive := range []string{ip, otherIP, "2001:db8", "client_a", "192.0", "198.51"} {
				if strings.Contains(key, secretive) {
					t.Errorf("row key %q holds %q", key, secretive)
				}
			}
		}
		r.Close()
	}
	if rows == 0 {
		t.Error("no throttle rows at all")
	}
}

// TestService_HashLimit: with every turn to hash taken, a sign-in is
// refused EUNAVAILABLE after the short wait, without hashing and without
// spending any allowance.
func TestService_HashLimit(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"
	s := newService(t)
	s.createClient(t, "client_a", "john@example.com", secret)
	if _, err := s.EnsureAdmin(ctx, "root", "correct-horse-battery"); err != nil {
		t.Fatal(err)
	}
	const wait = 50 * time.Millisecond
	s.HashLimit = NewHashLimit(1, wait)
	h := authtest.Holding(s.Hasher)
	s.Hasher = h

	first := make(chan error)
	go func() {
		_, _, err := s.LoginClient(ctx, "client_a", "wrong-guess-wrong", ip)
		first <- err
	}()
	<-h.Started // the only turn is taken

	for name, login := range map[string]func() error{
		"LoginClient": func() error { _, _, err := s.LoginClient(ctx, "client_a", secret, otherIP); return err },
		"LoginAdmin": func() error {
			_, _, _, err := s.LoginAdmin(ctx, "root", "correct-horse-battery", "", otherIP)
			return err
		},
	} {
		began := time.Now()
		err := login()
		took := time.Since(began)
		e := checkErr(t, err, switchboard.EUNAVAILABLE, MsgBusy)
		if e.RetryAfter != time.Second {
			t.Errorf("%s: RetryAfter = %v, want 1s", name, e.RetryAfter)
		}
		if took < wait || took > 10*wait {
			t.Errorf("%s: refused after %v, want just after the %v wait", name, took, wait)
		}
	}
	if n := h.Compares(); n != 1 {
		t.Errorf("%d comparisons, want 1", n)
	}
	close(h.Hold)
	checkErr(t, <-first, switchboard.EUNAUTHORIZED, msgLogin)
	h.Hold = nil

	// The refused attempts spent nothing: nine more failures from otherIP
	// are judged (ten in all with the first), and only then is it held.
	for i := range 9 {
		_, _, err := s.LoginClient(ctx, "client_a", "wrong-guess-wrong", otherIP)
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		if t.Failed() {
			t.Fatalf("failure %d", i+1)
		}
	}
	_, _, err := s.LoginClient(ctx, "client_a", secret, otherIP)
	checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
}

// TestService_RefreshRate: a client refreshes its token at most 60 times
// per 15 minutes; each refresh stores a revocation, so this bounds how fast
// it can add rows.
func TestService_RefreshRate(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"
	storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
		s := newServiceOn(t, st)
		s.createClient(t, "client_a", "john@example.com", secret)
		token := s.login(t, "client_a", secret)
		for i := range 60 {
			c, claims, err := s.Client(ctx, token)
			if err != nil {
				t.Fatalf("refresh %d: %v", i+1, err)
			}
			if token, err = s.RefreshClientToken(ctx, c, claims); err != nil {
				t.Fatalf("refresh %d: %v", i+1, err)
			}
		}
		c, claims, err := s.Client(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := s.RefreshClientToken(ctx, c, claims)
		e := checkErr(t, err, switchboard.ETHROTTLED, MsgTooManyRefreshes)
		if e.RetryAfter <= 0 || e.RetryAfter > 15*time.Second {
			t.Errorf("RetryAfter = %v, want in (0, 15s]", e.RetryAfter)
		}
		if fresh != "" {
			t.Error("a refused refresh returned a token")
		}
		s.checkAccepted(t, token, "client_a") // the refused refresh revoked nothing
	})
}

// TestService_RevocationCap: the revocation past MaxRevokedTokens ends every
// token of the client, with a logged reason; a refresh that crossed it
// still returns a working token.
func TestService_RevocationCap(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"
	s := newService(t)
	var logs bytes.Buffer
	s.Log = slog.New(slog.NewTextHandler(&logs, nil))
	s.createClient(t, "client_a", "john@example.com", secret)
	refreshed, other := s.login(t, "client_a", secret), s.login(t, "client_a", secret)
	for i := range switchboard.MaxRevokedTokens {
		if _, err := s.store.RevokeToken(ctx, switchboard.RevokedToken{ID: fmt.Sprintf("jti_%d", i), ClientID: "client_a"}); err != nil {
			t.Fatal(err)
		}
	}
	c, claims, err := s.Client(ctx, refreshed)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := s.RefreshClientToken(ctx, c, claims)
	if err != nil {
		t.Fatal(err)
	}
	s.checkAccepted(t, fresh, "client_a")
	s.checkRefused(t, refreshed, msgToken)
	s.checkRefused(t, other, msgToken)
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "too many revoked tokens") ||
		!strings.Contains(got, "client_id=client_a") {
		t.Errorf("log = %q, want a warning naming the client and the reason", got)
	}
}
