package auth

import (
	"context"
	"runtime"
	"time"

	"switchboard/internal/switchboard"
)

// HashLimit bounds how many hash comparisons run at once. bcrypt is slow on
// purpose, so a storm of sign-ins would otherwise take every core and starve
// every other request; with the limit below the core count, the rest of the
// service keeps a core. A sign-in that cannot start its comparison within
// the wait is answered EUNAVAILABLE at once, before anything was hashed.
// A nil *HashLimit limits nothing.
type HashLimit struct {
	slots chan struct{}
	wait  time.Duration
}

// HashWait is how long a sign-in waits for its turn to hash: four bcrypt
// comparisons at the default cost (about 60 ms each here), so a few
// simultaneous sign-ins queue rather than fail, and still well below what a
// user notices.
const HashWait = 250 * time.Millisecond

// DefaultMaxConcurrentHashes leaves one core for everything else: GOMAXPROCS
// less one, and at least one.
func DefaultMaxConcurrentHashes() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// NewHashLimit allows n comparisons at once (at least one), each waiting at
// most wait for its turn.
func NewHashLimit(n int, wait time.Duration) *HashLimit {
	return &HashLimit{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// MsgBusy is what a sign-in that found no turn to hash is told.
const MsgBusy = "Too many sign-ins at once, try again in a moment"

// acquire takes a turn to hash, waiting for one at most l.wait; the caller
// must release a turn it got. EUNAVAILABLE when none came.
func (l *HashLimit) acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}
	return &switchboard.Error{Code: switchboard.EUNAVAILABLE, Message: MsgBusy, RetryAfter: time.Second}
}

func (l *HashLimit) release() {
	if l != nil {
		<-l.slots
	}
}
