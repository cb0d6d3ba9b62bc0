package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// csrfTimeout bounds each CSRFTokens call: fiber.Storage's methods take no
// context, and a page must not hang on a stuck database.
const csrfTimeout = 5 * time.Second

// csrfPurgeEvery is how often, at most, Set deletes expired entries.
const csrfPurgeEvery = time.Minute

// CSRFTokens keeps CSRF tokens in the database, so that a form served by one
// instance can be posted to another. It has the method set of fiber.Storage
// (this package does not import fiber): pass it as csrf.Config.Storage.
//
// Keys are stored as their SHA-256 (hex) only: a copy of the table gives no
// token that would pass the check. Values are stored as given.
type CSRFTokens struct {
	s   *Store
	now func() time.Time

	mu        sync.Mutex
	lastPurge time.Time
}

// CSRFTokens returns the CSRF token storage over s. Take it once and share
// it: each value deletes expired entries at most once a minute, so one value
// per process keeps the purges that rare.
func (s *Store) CSRFTokens() *CSRFTokens {
	return &CSRFTokens{s: s, now: now}
}

func csrfKeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func csrfContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), csrfTimeout)
}

// Get returns the value stored under key, or nil and no error when there is
// none or it has expired (the csrf middleware takes nil for "no such token").
func (t *CSRFTokens) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := csrfContext()
	defer cancel()
	var row struct{ Value []byte }
	res := t.s.db.WithContext(ctx).Raw(
		"SELECT value FROM csrf_tokens WHERE key_hash = ? AND (expires_at IS NULL OR expires_at > ?)",
		csrfKeyHash(key), t.now()).Scan(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("get csrf token: %w", res.Error)
	} else if res.RowsAffected == 0 {
		return nil, nil
	}
	if row.Value == nil {
		row.Value = []byte{} // found: never nil
	}
	return row.Value, nil
}

// csrfSlack is the share of a token's lifetime by which Set may leave its
// stored expiry short of the one asked for: a tenth (see Set).
const csrfSlack = 10

// Set stores val under key, replacing what was there, for exp (no expiry
// when exp <= 0). An empty key or value is ignored without an error, as
// fiber.Storage says. At most once a minute it first deletes expired entries.
//
// Fiber's csrf middleware calls Set on every request, GETs included, to push
// the token's expiry on. Writing each time would make every page view a
// write transaction (on SQLite with synchronous=FULL, an fsync of about
// 3 ms; on PostgreSQL, a WAL flush at commit). So Set first reads the entry
// and writes nothing when it already holds val and an expiry between
// exp/csrfSlack before the one asked for and that one: a token in use is
// written at most once per tenth of its lifetime, and still never expires
// sooner than 90% of exp after its last Set, nor later than asked. A tenth,
// rather than a fixed time, keeps that true whatever the lifetime (a fixed
// 10 minutes would let a 5-minute token expire while in use); an hour's
// token is written every 6 minutes at most.
//
// The check is a plain SELECT, not a WHERE on the upsert's DO UPDATE: on
// PostgreSQL, ON CONFLICT DO UPDATE locks the conflicting row even when its
// WHERE then skips the update, and that lock is a WAL record and a
// transaction to commit. Two Sets of one stale key at the same moment both
// write, with the same outcome.
func (t *CSRFTokens) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := csrfContext()
	defer cancel()
	t0 := t.now()
	if err := t.purge(ctx, t0); err != nil {
		return err
	}
	hash := csrfKeyHash(key)
	var expiresAt any // NULL: no expiry
	current := "expires_at IS NULL"
	args := []any{hash, val}
	if exp > 0 {
		until := t0.Add(exp).UTC().Truncate(time.Millisecond)
		expiresAt = until
		current = "expires_at BETWEEN ? AND ?"
		args = append(args, t0.Add(exp-exp/csrfSlack).UTC().Truncate(time.Millisecond), until)
	}
	var found []int
	err := t.s.db.WithContext(ctx).Raw("SELECT 1 FROM csrf_tokens WHERE key_hash = ? AND value = ? AND "+current, args...).
		Scan(&found).Error
	if err != nil {
		return fmt.Errorf("set csrf token: %w", err)
	} else if len(found) > 0 {
		return nil // already stored, and fresh enough
	}
	err = t.s.db.WithContext(ctx).Exec(`INSERT INTO csrf_tokens (key_hash, value, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key_hash) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		hash, val, expiresAt).Error
	if err != nil {
		return fmt.Errorf("set csrf token: %w", err)
	}
	return nil
}

// purge deletes the entries expired by t0, unless this value did so less
// than csrfPurgeEvery ago. A failed purge is tried again by the next Set.
func (t *CSRFTokens) purge(ctx context.Context, t0 time.Time) error {
	t.mu.Lock()
	due := t.lastPurge.IsZero() || t0.Sub(t.lastPurge) >= csrfPurgeEvery
	if due {
		t.lastPurge = t0
	}
	t.mu.Unlock()
	if !due {
		return nil
	}
	if err := t.s.db.WithContext(ctx).Exec("DELETE FROM csrf_tokens WHERE expires_at <= ?", t0).Error; err != nil {
		t.mu.Lock()
		t.lastPurge = time.Time{}
		t.mu.Unlock()
		return fmt.Errorf("purge csrf tokens: %w", err)
	}
	return nil
}

// Delete removes the entry under key; a missing key is not an error.
func (t *CSRFTokens) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := csrfContext()
	defer cancel()
	if err := t.s.db.WithContext(ctx).Exec("DELETE FROM csrf_tokens WHERE key_hash = ?", csrfKeyHash(key)).Error; err != nil {
		return fmt.Errorf("delete csrf token: %w", err)
	}
	return nil
}

// Reset deletes every entry.
func (t *CSRFTokens) Reset() error {
	ctx, cancel := csrfContext()
	defer cancel()
	if err := t.s.db.WithContext(ctx).Exec("DELETE FROM csrf_tokens").Error; err != nil {
		return fmt.Errorf("reset csrf tokens: %w", err)
	}
	return nil
}

// Close does nothing: the Store owns the connections (Store.Close closes them).
func (t *CSRFTokens) Close() error { return nil }
