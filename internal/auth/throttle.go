package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ThrottleRule allows Failures failed attempts per Window for one key; the
// allowance refills evenly over the window (a token bucket).
type ThrottleRule struct {
	Failures int
	Window   time.Duration
}

// Throttle counts failed sign-ins per account and per client IP and refuses
// further attempts once either allowance is spent. Only failures count, so a
// client that signs in correctly is never slowed down. The counts live in
// memory: each instance of the service throttles on its own.
type Throttle struct {
	account, ip ThrottleRule
	now         func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewThrottle returns a Throttle with the given per-account and per-IP rules.
func NewThrottle(account, ip ThrottleRule) *Throttle {
	return &Throttle{account: account, ip: ip, now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// maxBuckets bounds the memory an attacker can make the throttle hold by
// failing with many distinct ids; past it, full buckets are forgotten first.
const maxBuckets = 100_000

func (t *Throttle) bucket(key string, rule ThrottleRule) *rate.Limiter {
	l, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxBuckets {
			t.sweep()
		}
		l = rate.NewLimiter(rate.Every(rule.Window/time.Duration(rule.Failures)), rule.Failures)
		t.buckets[key] = l
	}
	return l
}

// sweep forgets buckets that have refilled: they hold nothing a new one would not.
func (t *Throttle) sweep() {
	now := t.now()
	for key, l := range t.buckets {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(t.buckets, key)
		}
	}
}

// Wait returns how long the caller must wait before an attempt for account
// from ip may be made, or 0 if it may be made now.
func (t *Throttle) Wait(account, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for key, rule := range map[string]ThrottleRule{"account " + account: t.account, "ip " + ip: t.ip} {
		l, ok := t.buckets[key]
		if !ok {
			continue
		}
		if tokens := l.TokensAt(now); tokens < 1 {
			d := time.Duration(math.Ceil((1 - tokens) * float64(rule.Window) / float64(rule.Failures)))
			wait = max(wait, d)
		}
	}
	return wait
}

// Fail records a failed attempt for account from ip.
func (t *Throttle) Fail(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.bucket("account "+account, t.account).AllowN(now, 1)
	t.bucket("ip "+ip, t.ip).AllowN(now, 1)
}
