package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/store"
)

// The store does not import fiber; this proves CSRFTokens fits csrf.Config.Storage.
var _ fiber.Storage = (*store.CSRFTokens)(nil)

// clock is a settable time for CSRFTokens.SetClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newCSRFTokens(s *store.Store) (*store.CSRFTokens, *clock) {
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	tokens := s.CSRFTokens()
	tokens.SetClock(clk.now)
	return tokens, clk
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// wantGet asserts Get(key) returns want (nil: no entry) and no error.
func wantGet(t *testing.T, tokens *store.CSRFTokens, key string, want []byte) {
	t.Helper()
	got, err := tokens.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if want == nil && got != nil {
		t.Errorf("Get(%q) = %q, want nil", key, got)
	} else if want != nil && string(got) != string(want) {
		t.Errorf("Get(%q) = %q, want %q", key, got, want)
	}
}

func mustSet(t *testing.T, tokens *store.CSRFTokens, key string, val []byte, exp time.Duration) {
	t.Helper()
	if err := tokens.Set(key, val, exp); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func TestCSRFTokens(t *testing.T) {
	each(t, "SetGetOverwrite", func(t *testing.T, s *store.Store) {
		tokens, _ := newCSRFTokens(s)
		wantGet(t, tokens, "missing", nil)
		mustSet(t, tokens, "token-a", []byte("+"), time.Hour)
		mustSet(t, tokens, "token-b", []byte{0, 1, 2, 255}, 0)
		wantGet(t, tokens, "token-a", []byte("+"))
		wantGet(t, tokens, "token-b", []byte{0, 1, 2, 255})
		wantGet(t, tokens, "token-A", nil)
		mustSet(t, tokens, "token-a", []byte("second"), time.Hour)
		wantGet(t, tokens, "token-a", []byte("second"))
		if got := len(s.CSRFRows(t)); got != 2 {
			t.Errorf("%d rows, want 2", got)
		}
		// A second value over the same store (another instance, say) sees them.
		wantGet(t, s.CSRFTokens(), "token-a", []byte("second"))
	})

	each(t, "EmptyIgnored", func(t *testing.T, s *store.Store) {
		tokens, _ := newCSRFTokens(s)
		mustSet(t, tokens, "", []byte("+"), time.Hour)
		mustSet(t, tokens, "token-a", nil, time.Hour)
		mustSet(t, tokens, "token-b", []byte{}, time.Hour)
		if rows := s.CSRFRows(t); len(rows) != 0 {
			t.Errorf("rows = %v, want none", rows)
		}
		wantGet(t, tokens, "", nil)
		if err := tokens.Delete(""); err != nil {
			t.Errorf("Delete(\"\"): %v", err)
		}
	})

	each(t, "Expiry", func(t *testing.T, s *store.Store) {
		tokens, clk := newCSRFTokens(s)
		mustSet(t, tokens, "short", []byte("+"), time.Second)
		mustSet(t, tokens, "long", []byte("+"), time.Hour)
		mustSet(t, tokens, "forever", []byte("+"), 0)
		mustSet(t, tokens, "negative", []byte("+"), -time.Second)
		clk.advance(999 * time.Millisecond)
		wantGet(t, tokens, "short", []byte("+"))
		clk.advance(time.Millisecond)
		wantGet(t, tokens, "short", nil) // expired at exactly its time
		wantGet(t, tokens, "long", []byte("+"))
		clk.advance(100 * 365 * 24 * time.Hour)
		wantGet(t, tokens, "long", nil)
		wantGet(t, tokens, "forever", []byte("+"))
		wantGet(t, tokens, "negative", []byte("+"))
		// Setting an expired key again brings it back, with the new expiry.
		mustSet(t, tokens, "short", []byte("again"), time.Minute)
		wantGet(t, tokens, "short", []byte("again"))
		// And an expiring key can be made permanent.
		mustSet(t, tokens, "short", []byte("again"), 0)
		clk.advance(time.Hour)
		wantGet(t, tokens, "short", []byte("again"))
	})

	each(t, "PurgeAtMostOnceAMinute", func(t *testing.T, s *store.Store) {
		tokens, clk := newCSRFTokens(s)
		mustSet(t, tokens, "a", []byte("+"), time.Second) // first Set: purges (nothing yet)
		mustSet(t, tokens, "keep", []byte("+"), time.Hour)
		clk.advance(2 * time.Second)
		wantGet(t, tokens, "a", nil)
		mustSet(t, tokens, "b", []byte("+"), time.Second) // 2s after the last purge: none
		if rows := s.CSRFRows(t); len(rows) != 3 {
			t.Fatalf("%d rows before a minute has passed, want 3 (a, keep, b): %v", len(rows), rows)
		}
		clk.advance(time.Minute - 2*time.Second) // a minute after the first purge
		mustSet(t, tokens, "c", []byte("+"), 0)
		rows := s.CSRFRows(t)
		for _, key := range []string{"keep", "c"} {
			if _, ok := rows[sha256Hex(key)]; !ok {
				t.Errorf("%q was purged", key)
			}
		}
		for _, key := range []string{"a", "b"} {
			if _, ok := rows[sha256Hex(key)]; ok {
				t.Errorf("expired %q was not purged", key)
			}
		}
		if len(rows) != 2 {
			t.Errorf("%d rows after the purge, want 2: %v", len(rows), rows)
		}
	})

	each(t, "DeleteReset", func(t *testing.T, s *store.Store) {
		tokens, _ := newCSRFTokens(s)
		for _, k := range []string{"a", "b", "c"} {
			mustSet(t, tokens, k, []byte("+"), time.Hour)
		}
		if err := tokens.Delete("a"); err != nil {
			t.Fatal(err)
		}
		if err := tokens.Delete("a"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
		wantGet(t, tokens, "a", nil)
		wantGet(t, tokens, "b", []byte("+"))
		if err := tokens.Reset(); err != nil {
			t.Fatal(err)
		}
		wantGet(t, tokens, "b", nil)
		wantGet(t, tokens, "c", nil)
		if rows := s.CSRFRows(t); len(rows) != 0 {
			t.Errorf("rows after Reset = %v, want none", rows)
		}
		if err := tokens.Close(); err != nil {
			t.Fatal(err)
		}
		// Close leaves the store open.
		mustSet(t, tokens, "d", []byte("+"), time.Hour)
		wantGet(t, tokens, "d", []byte("+"))
	})

	each(t, "OnlyHashesStored", func(t *testing.T, s *store.Store) {
		tokens, _ := newCSRFTokens(s)
		keys := []string{
			"6f1c2a4e-3b7d-4e5f-9a8b-0c1d2e3f4a5b", // what csrf's default KeyGenerator makes
			"ünïcödé token",
			"nul\x00inside",
			"bad\xffutf8",
		}
		for _, k := range keys {
			mustSet(t, tokens, k, []byte("+"), time.Hour)
		}
		rows := s.CSRFRows(t)
		if len(rows) != len(keys) {
			t.Fatalf("%d rows, want %d", len(rows), len(keys))
		}
		for _, k := range keys {
			wantGet(t, tokens, k, []byte("+"))
			if _, ok := rows[sha256Hex(k)]; !ok {
				t.Errorf("no row under the SHA-256 of %q", k)
			}
			for stored := range rows {
				if strings.Contains(stored, k) || len(stored) != 64 {
					t.Errorf("stored key %q is not a SHA-256 hex of a token", stored)
				}
			}
		}
	})
}

// TestCSRFTokens_Concurrent: one value serves every request of an instance.
func TestCSRFTokens_Concurrent(t *testing.T) {
	each(t, "SameAndDifferentKeys", func(t *testing.T, s *store.Store) {
		tokens := s.CSRFTokens()
		var wg sync.WaitGroup
		errs := make(chan error, 8*20*2)
		for g := range 8 {
			wg.Go(func() {
				for i := range 20 {
					key := "shared"
					if i%2 == 1 {
						key = strings.Repeat("k", g+1)
					}
					if err := tokens.Set(key, []byte("+"), time.Hour); err != nil {
						errs <- err
					}
					if got, err := tokens.Get(key); err != nil || string(got) != "+" {
						errs <- fmt.Errorf("Get(%q) = %q, %v", key, got, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := len(s.CSRFRows(t)); got != 9 {
			t.Errorf("%d rows, want 9", got)
		}
	})
}
