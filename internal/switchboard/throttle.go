package switchboard

import (
	"context"
	"time"
)

// ThrottleLimit is one allowance of a throttle: Limit attempts per Window
// under Key, refilling evenly over the window (a token bucket), so a caller
// that spent it all may try again after Window/Limit.
type ThrottleLimit struct {
	Key    string
	Limit  int
	Window time.Duration
	// CountOnly: the attempt counts against this allowance, as far as it
	// goes, but is never refused by it.
	CountOnly bool
}

// ThrottleService keeps throttle allowances and remembered sign-ins where
// every instance of the service sees the same ones, so N instances give one
// allowance, not N. Keys are opaque; the caller derives them (auth keys
// them with an HMAC, so no address or id is stored as such).
type ThrottleService interface {
	// AllowanceWait reports how long until every limit has room for one
	// more attempt at now, without taking any: 0 when they all have room.
	AllowanceWait(ctx context.Context, now time.Time, limits []ThrottleLimit) (time.Duration, error)

	// TakeAllowance takes one attempt from every limit at now, atomically:
	// from all of them, or, when any is spent, from none, and then returns
	// how long until all have room again. Concurrent callers, in this
	// process or another one on the same database, never take more than the
	// allowance between them.
	TakeAllowance(ctx context.Context, now time.Time, limits []ThrottleLimit) (wait time.Duration, err error)

	// ReturnAllowance gives one attempt back to every limit: an attempt
	// that turned out not to count.
	ReturnAllowance(ctx context.Context, now time.Time, limits []ThrottleLimit) error

	// RememberSignIn remembers key until until.
	RememberSignIn(ctx context.Context, key string, until time.Time) error

	// SignInRemembered returns until when key is remembered; the zero time
	// when it is not.
	SignInRemembered(ctx context.Context, key string) (time.Time, error)

	// PurgeThrottle deletes what no longer matters at now: allowances that
	// have refilled, sign-ins remembered no longer, revocations of tokens
	// that have expired.
	PurgeThrottle(ctx context.Context, now time.Time) error
}
