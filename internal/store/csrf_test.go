package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
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

// csrfStore is a migrated store of the dialect, as storetest.Open makes, and
// a connection of the test's own to the same database, to see what Set
// leaves behind beneath the store.
func csrfStore(t *testing.T, dialect string) (*store.Store, *sql.DB) {
	t.Helper()
	rawURL := storetest.URL(t, dialect)
	s, err := store.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, dsn, err := store.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	driver := map[string]string{store.SQLite: "sqlite3", store.Postgres: "pgx"}[dialect]
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// One connection: SQLite's data_version is per connection.
	db.SetMaxOpenConns(1)
	return s, db
}

// csrfWrites tells whether anything was written to the database since the
// last call. On SQLite: the WAL file's bytes (a commit appends frames, or
// rewrites the header when it restarts the log) and PRAGMA data_version,
// which changes for a connection when another one commits a change. On
// PostgreSQL: the row's xmin (a new version) and xmax (a lock, which ON
// CONFLICT DO UPDATE takes even when its WHERE skips the update).
type csrfWrites struct {
	t       *testing.T
	dialect string
	db      *sql.DB
	wal     string // the SQLite WAL file
	key     string
	last    string
}

func (w *csrfWrites) state() string {
	w.t.Helper()
	var state string
	if w.dialect == store.SQLite {
		var version int64
		if err := w.db.QueryRow("PRAGMA data_version").Scan(&version); err != nil {
			w.t.Fatal(err)
		}
		wal, err := os.ReadFile(w.wal)
		if err != nil {
			w.t.Fatal(err)
		}
		state = fmt.Sprintf("data_version %d, WAL %d bytes sha256 %x", version, len(wal), sha256.Sum256(wal))
	} else {
		var xmin, xmax string
		err := w.db.QueryRow("SELECT xmin::text, xmax::text FROM csrf_tokens WHERE key_hash = $1", sha256Hex(w.key)).Scan(&xmin, &xmax)
		if err != nil {
			w.t.Fatal(err)
		}
		state = "xmin " + xmin + ", xmax " + xmax
	}
	return state
}

// changed reports whether the state moved since the last call.
func (w *csrfWrites) changed() bool {
	w.t.Helper()
	now := w.state()
	moved := now != w.last
	w.t.Logf("%s", now)
	w.last = now
	return moved
}

// storedExpiry is the key's expires_at as stored.
func storedExpiry(t *testing.T, db *sql.DB, dialect, key string) time.Time {
	t.Helper()
	q := "SELECT expires_at FROM csrf_tokens WHERE key_hash = ?"
	if dialect == store.Postgres {
		q = "SELECT expires_at FROM csrf_tokens WHERE key_hash = $1"
	}
	var exp time.Time
	if err := db.QueryRow(q, sha256Hex(key)).Scan(&exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

// TestCSRFTokens_SetWritesOnlyNearExpiry: the csrf middleware Sets the
// token again on every request. A Set that would move the stored expiry by
// no more than a tenth of the lifetime writes nothing at all, on SQLite (no
// WAL frame, no commit) as on PostgreSQL (no new row version, no row lock);
// one beyond that extends the expiry, and a new value is always written.
func TestCSRFTokens_SetWritesOnlyNearExpiry(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			s, db := csrfStore(t, dialect)
			tokens, clk := newCSRFTokens(s)
			const ttl = time.Hour
			t0 := clk.now()
			mustSet(t, tokens, "tok", []byte("+"), ttl) // also the first purge
			w := &csrfWrites{t: t, dialect: dialect, db: db, key: "tok"}
			if dialect == store.SQLite {
				var file string
				if err := db.QueryRow("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
					t.Fatal(err)
				}
				w.wal = file + "-wal"
			}
			w.changed()
			if got, want := storedExpiry(t, db, dialect, "tok"), t0.Add(ttl); !got.Equal(want) {
				t.Fatalf("stored expiry %v, want %v", got, want)
			}

			// Within a tenth of the lifetime (6 minutes), boundary included:
			// nothing is written, the stored expiry stays, the token works.
			// The purge that falls due at 1 minute deletes nothing and writes
			// nothing either.
			for _, step := range []time.Duration{0, time.Second, time.Minute, 4*time.Minute + 59*time.Second} {
				clk.advance(step)
				mustSet(t, tokens, "tok", []byte("+"), ttl)
				if w.changed() {
					t.Errorf("Set %v after the first wrote to the database", clk.now().Sub(t0))
				}
				if got, want := storedExpiry(t, db, dialect, "tok"), t0.Add(ttl); !got.Equal(want) {
					t.Errorf("Set %v after the first: stored expiry %v, want it unchanged at %v", clk.now().Sub(t0), got, want)
				}
				wantGet(t, tokens, "tok", []byte("+"))
			}
			if got := clk.now().Sub(t0); got != ttl/10 {
				t.Fatalf("test steps reach %v, want the edge of the window, %v", got, ttl/10)
			}

			// A millisecond beyond it: the expiry moves to a full lifetime on.
			clk.advance(time.Millisecond)
			mustSet(t, tokens, "tok", []byte("+"), ttl)
			if !w.changed() {
				t.Error("a Set past the window wrote nothing") // and the probe above would prove nothing
			}
			t1 := clk.now()
			if got, want := storedExpiry(t, db, dialect, "tok"), t1.Add(ttl); !got.Equal(want) {
				t.Errorf("stored expiry %v, want it extended to %v", got, want)
			}

			// A new value is written at once, window or not.
			mustSet(t, tokens, "tok", []byte("other"), ttl)
			if !w.changed() {
				t.Error("a Set of a new value wrote nothing")
			}
			wantGet(t, tokens, "tok", []byte("other"))

			// A token Set every 3 minutes, so that some Sets write and some
			// do not, always outlives 90% of the lifetime past its last Set
			// (it expires at exactly that time at worst).
			for range 30 {
				clk.advance(ttl / 20)
				mustSet(t, tokens, "tok", []byte("other"), ttl)
				clk.advance(ttl*9/10 - time.Millisecond)
				wantGet(t, tokens, "tok", []byte("other"))
				clk.advance(-(ttl*9/10 - time.Millisecond))
			}

			// A shorter lifetime than the stored one is written: Set never
			// leaves an expiry later than it was asked for.
			mustSet(t, tokens, "tok", []byte("other"), time.Second)
			if got, want := storedExpiry(t, db, dialect, "tok"), clk.now().Add(time.Second); !got.Equal(want) {
				t.Errorf("stored expiry %v, want it cut to %v", got, want)
			}
			clk.advance(time.Second)
			wantGet(t, tokens, "tok", nil)
		})
	}
}

// BenchmarkCSRFTokensSet measures Set on SQLite with the server's
// synchronous=FULL, where a commit costs an fsync: Again re-sets one token
// as the csrf middleware does on every page view (a read, no write, within
// a tenth of the lifetime), New stores a token not seen before (a write).
func BenchmarkCSRFTokensSet(b *testing.B) {
	path, _, _ := strings.Cut(storetest.URL(b, store.SQLite), "?")
	s, err := store.Open(context.Background(), path) // the defaults: synchronous=FULL
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	tokens := s.CSRFTokens()
	val := []byte("+")
	b.Run("Again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := tokens.Set("the-token", val, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	i := 0 // across -count runs too: every key is new
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i++
			if err := tokens.Set(fmt.Sprint("token-", i), val, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
}
