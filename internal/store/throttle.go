package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

var _ switchboard.ThrottleService = (*Store)(nil)

// The throttle keeps one row per allowance, a token bucket stored as the
// moment it is full again (full_at, in milliseconds): each attempt moves
// full_at one refill interval later, from now if it has passed, and the
// attempt fits while full_at stays within one window of now. One number per
// key and one atomic upsert per attempt, the same SQL on both dialects.

// refill is the time one attempt of l takes to come back, in milliseconds.
func refill(l switchboard.ThrottleLimit) int64 {
	return l.Window.Milliseconds() / int64(max(l.Limit, 1))
}

// overBy is how far an allowance whose full_at is fullAt after an attempt
// is past l's window at now: the wait before that attempt would fit, or 0
// or less when it fits. It is never more than one refill: more comes only
// from callers whose clocks read a few milliseconds apart.
func overBy(l switchboard.ThrottleLimit, fullAt, now int64) time.Duration {
	return time.Duration(min(fullAt-now-l.Window.Milliseconds(), refill(l))) * time.Millisecond
}

// byKey returns limits sorted by key. Every statement touches the rows in
// this order, so two transactions never wait for each other's rows in a
// cycle (a deadlock, on PostgreSQL).
func byKey(limits []switchboard.ThrottleLimit) []switchboard.ThrottleLimit {
	limits = slices.Clone(limits)
	slices.SortFunc(limits, func(a, b switchboard.ThrottleLimit) int { return strings.Compare(a.Key, b.Key) })
	return limits
}

// AllowanceWait implements switchboard.ThrottleService.
func (s *Store) AllowanceWait(ctx context.Context, now time.Time, limits []switchboard.ThrottleLimit) (time.Duration, error) {
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = l.Key
	}
	// database/sql's Scan rather than GORM's: this runs before every
	// sign-in, and GORM's reflects on the destination.
	rows, err := s.db.WithContext(ctx).Raw("SELECT key, full_at FROM throttle_allowances WHERE key IN ?", keys).Rows()
	if err != nil {
		return 0, fmt.Errorf("read throttle: %w", err)
	}
	defer rows.Close()
	t := now.UnixMilli()
	var wait time.Duration
	for rows.Next() {
		var key string
		var fullAt int64
		if err := rows.Scan(&key, &fullAt); err != nil {
			return 0, fmt.Errorf("read throttle: %w", err)
		}
		for _, l := range limits {
			if l.Key == key && !l.CountOnly {
				wait = max(wait, overBy(l, max(fullAt, t)+refill(l), t))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read throttle: %w", err)
	}
	return wait, nil
}

// errSpent rolls back a TakeAllowance that found a limit spent.
var errSpent = errors.New("allowance spent")

// TakeAllowance implements switchboard.ThrottleService: one upsert moves
// every row on and returns where each one got to; if any went past its
// window, the transaction rolls back and nothing was taken. A CountOnly row
// that went past its window is set back to the end of it: spent, and no more.
func (s *Store) TakeAllowance(ctx context.Context, now time.Time, limits []switchboard.ThrottleLimit) (time.Duration, error) {
	if len(limits) == 0 {
		return 0, nil
	}
	limits = byKey(limits)
	t := now.UnixMilli()
	var q strings.Builder
	args := make([]any, 0, 2*len(limits)+2)
	q.WriteString("INSERT INTO throttle_allowances (key, full_at) VALUES ")
	for i, l := range limits {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, l.Key, t+refill(l))
	}
	// excluded.full_at is now plus the refill; a row still ahead of now
	// moves on from where it is instead.
	q.WriteString(` ON CONFLICT (key) DO UPDATE SET full_at = excluded.full_at +
		CASE WHEN throttle_allowances.full_at > ? THEN throttle_allowances.full_at - ? ELSE 0 END
		RETURNING key, full_at`)
	args = append(args, t, t)

	var wait time.Duration
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := tx.Raw(q.String(), args...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		fullAt := make(map[string]int64, len(limits))
		for rows.Next() {
			var key string
			var at int64
			if err := rows.Scan(&key, &at); err != nil {
				return err
			}
			fullAt[key] = at
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range limits {
			if !l.CountOnly {
				wait = max(wait, overBy(l, fullAt[l.Key], t))
			}
		}
		if wait > 0 {
			return errSpent
		}
		for _, l := range limits {
			if l.CountOnly && overBy(l, fullAt[l.Key], t) > 0 {
				// The statement above locked the row already: no new lock.
				err := tx.Exec("UPDATE throttle_allowances SET full_at = ? WHERE key = ?",
					t+l.Window.Milliseconds(), l.Key).Error
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errSpent):
		return wait, nil
	case err != nil:
		return 0, fmt.Errorf("take throttle allowance: %w", err)
	}
	return 0, nil
}

// ReturnAllowance implements switchboard.ThrottleService. A row purged in
// the meantime was full already and stays missing.
func (s *Store) ReturnAllowance(ctx context.Context, now time.Time, limits []switchboard.ThrottleLimit) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, l := range byKey(limits) {
			err := tx.Exec("UPDATE throttle_allowances SET full_at = full_at - ? WHERE key = ?", refill(l), l.Key).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("return throttle allowance: %w", err)
	}
	return nil
}

// RememberSignIn implements switchboard.ThrottleService.
func (s *Store) RememberSignIn(ctx context.Context, key string, until time.Time) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO remembered_sign_ins (key, forget_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET forget_at = excluded.forget_at`, key, until.UnixMilli()).Error
	if err != nil {
		return fmt.Errorf("remember sign-in: %w", err)
	}
	return nil
}

// SignInRemembered implements switchboard.ThrottleService. The time it
// returns may have passed already, until the next purge.
func (s *Store) SignInRemembered(ctx context.Context, key string) (time.Time, error) {
	var until sql.NullInt64
	err := s.db.WithContext(ctx).Raw("SELECT forget_at FROM remembered_sign_ins WHERE key = ?", key).Row().Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("read remembered sign-in: %w", err)
	} else if !until.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(until.Int64).UTC(), nil
}

// PurgeThrottle implements switchboard.ThrottleService. On PostgreSQL the
// allowance rows that attempts hold locked right now are skipped, not waited
// for: deleting rows in another order than the attempts lock them could
// deadlock, and they are deleted next time.
func (s *Store) PurgeThrottle(ctx context.Context, now time.Time) error {
	skipLocked := ""
	if s.dialect == Postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	t := now.UnixMilli()
	db := s.db.WithContext(ctx)
	for _, purge := range []struct {
		what, sql string
		arg       any
	}{
		{"throttle allowances", "DELETE FROM throttle_allowances WHERE key IN " +
			"(SELECT key FROM throttle_allowances WHERE full_at < ?" + skipLocked + ")", t},
		{"remembered sign-ins", "DELETE FROM remembered_sign_ins WHERE forget_at < ?", t},
		{"revoked tokens", "DELETE FROM revoked_tokens WHERE expires_at < ?", now.UTC()},
	} {
		if err := db.Exec(purge.sql, purge.arg).Error; err != nil {
			return fmt.Errorf("purge %s: %w", purge.what, err)
		}
	}
	return nil
}
