package auth

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/netip"
	"sync/atomic"
	"time"

	"switchboard/internal/switchboard"
)

// ThrottleRule allows Limit attempts per Window for one key; the allowance
// refills evenly over the window (a token bucket).
type ThrottleRule struct {
	Limit  int
	Window time.Duration
}

func (r ThrottleRule) limit(key string) switchboard.ThrottleLimit {
	return switchboard.ThrottleLimit{Key: key, Limit: r.Limit, Window: r.Window}
}

// ThrottlePolicy is how many sign-in failures the service takes, and from
// where. Every attempt at a secret or password counts against the first
// three rules until it turns out right; see docs/SECURITY.md.
type ThrottlePolicy struct {
	// AccountAddress limits the failures for one account from one address.
	AccountAddress ThrottleRule
	// Address limits the failures from one address, whatever the account.
	Address ThrottleRule
	// Account is the ceiling of failures for one account from every address
	// together, against guessing spread over many addresses. An address that
	// signed in to the account within Remember is not held by it, so failures
	// from elsewhere cannot keep the rightful owner out.
	Account  ThrottleRule
	Remember time.Duration
	// Refresh limits one client's token refreshes, each of which stores a
	// revocation (see switchboard.MaxRevokedTokens).
	Refresh ThrottleRule
}

// DefaultThrottlePolicy is the service's policy: at 10 failures per 15
// minutes for an account, guessing a 16-character secret stays hopeless.
var DefaultThrottlePolicy = ThrottlePolicy{
	AccountAddress: ThrottleRule{Limit: 10, Window: 15 * time.Minute},
	Address:        ThrottleRule{Limit: 50, Window: 15 * time.Minute},
	Account:        ThrottleRule{Limit: 10, Window: 15 * time.Minute},
	Remember:       30 * 24 * time.Hour,
	Refresh:        ThrottleRule{Limit: 60, Window: 15 * time.Minute},
}

// Throttle limits sign-in failures by the rules of a ThrottlePolicy. Its
// state lives in the database (switchboard.ThrottleService), so every
// instance of the service shares one allowance. Keys are HMACs, keyed by a
// key derived from the server secret, of the account and the address: the
// database never holds an address, and nobody without the key can tell
// which account or address a row is about.
type Throttle struct {
	store  switchboard.ThrottleService
	key    []byte
	policy ThrottlePolicy
	now    func() time.Time

	lastPurge atomic.Int64 // unix milliseconds
}

// purgeEvery is how often one instance purges the rows that no longer matter.
const purgeEvery = time.Minute

// NewThrottle returns a Throttle over store with keys derived from secret.
func NewThrottle(store switchboard.ThrottleService, secret []byte, p ThrottlePolicy) *Throttle {
	key, err := hkdf.Key(sha256.New, secret, nil, "switchboard throttle keys v1", 32)
	if err != nil {
		panic(err) // only for a length hkdf cannot give; 32 it always can
	}
	return &Throttle{store: store, key: key, policy: p, now: time.Now}
}

// hashKey returns the HMAC of a key's parts: short, fixed-length, and not
// reversible to the account or the address without the server secret.
func (t *Throttle) hashKey(kind, account, address string) string {
	mac := hmac.New(sha256.New, t.key)
	// The account's length first: no account and address can run together
	// into another pair's.
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(account)))
	io.WriteString(mac, kind+"\x00")
	mac.Write(n[:])
	io.WriteString(mac, account)
	io.WriteString(mac, address)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// addressOf is what the throttle counts as one address: the IPv4 address,
// or the /64 network of an IPv6 one, since a single host may be given a
// whole /64 and pick any address in it.
func addressOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func throttled(wait time.Duration) error {
	return &switchboard.Error{Code: switchboard.ETHROTTLED, Message: MsgTooManyAttempts, RetryAfter: wait}
}

// attempt is one sign-in attempt: the limits it counts against, which it
// takes before the secret is compared and gives back if the secret is right.
type attempt struct {
	t      *Throttle
	limits []switchboard.ThrottleLimit
	// ceiling is the account's ceiling when the address is remembered: it
	// does not hold the attempt, so it is only charged once it failed.
	ceiling    *switchboard.ThrottleLimit
	remember   string    // key of the (account, address) sign-in memory
	remembered time.Time // until when it is remembered already
}

// begin starts an attempt at account's secret from ip: ETHROTTLED when an
// allowance is spent already, which costs two reads and no hashing.
func (t *Throttle) begin(ctx context.Context, account, ip string) (*attempt, error) {
	now := t.now()
	t.purge(ctx, now)
	addr := addressOf(ip)
	// The account's key stands for the account in the other keys: a made-up
	// id of any length is read once.
	id := t.hashKey("account", account, "")
	a := &attempt{t: t, remember: t.hashKey("remember", id, addr), limits: []switchboard.ThrottleLimit{
		t.policy.AccountAddress.limit(t.hashKey("account address", id, addr)),
		t.policy.Address.limit(t.hashKey("address", "", addr)),
	}}
	var err error
	if a.remembered, err = t.store.SignInRemembered(ctx, a.remember); err != nil {
		return nil, err
	}
	// Failures from a remembered address count against the account's
	// ceiling too, but the ceiling does not hold it.
	ceiling := t.policy.Account.limit(id)
	if a.remembered.After(now) {
		ceiling.CountOnly = true
		a.ceiling = &ceiling
	} else {
		a.limits = append(a.limits, ceiling)
	}
	if wait, err := t.store.AllowanceWait(ctx, now, a.limits); err != nil {
		return nil, err
	} else if wait > 0 {
		return nil, throttled(wait)
	}
	return a, nil
}

// take takes the attempt's allowance, atomically with every other instance:
// however many attempts arrive at once, no more than the allowance get past
// here to a hash comparison. ETHROTTLED for the rest.
func (a *attempt) take(ctx context.Context) error {
	wait, err := a.t.store.TakeAllowance(ctx, a.t.now(), a.limits)
	if err != nil {
		return err
	} else if wait > 0 {
		return throttled(wait)
	}
	return nil
}

// refuse ends an attempt whose secret was wrong and returns err, the
// refusal: its allowance stays taken, and a remembered address's failure
// counts against the account's ceiling now.
func (a *attempt) refuse(ctx context.Context, err error) error {
	if a.ceiling == nil {
		return err
	}
	if _, cerr := a.t.store.TakeAllowance(context.WithoutCancel(ctx), a.t.now(), []switchboard.ThrottleLimit{*a.ceiling}); cerr != nil {
		return cerr
	}
	return err
}

// giveBack returns a taken allowance: for an attempt that was never judged
// (the comparison failed to run), which guessed nothing. It is done even
// when the request's context has ended.
func (a *attempt) giveBack(ctx context.Context) error {
	return a.t.store.ReturnAllowance(context.WithoutCancel(ctx), a.t.now(), a.limits)
}

// succeeded ends an attempt whose secret was right: its allowance comes
// back, and the address is remembered for the account. The memory is
// written again only once a day, not at every sign-in.
func (a *attempt) succeeded(ctx context.Context) error {
	if err := a.giveBack(ctx); err != nil {
		return err
	}
	now := a.t.now()
	if until := now.Add(a.t.policy.Remember); until.Sub(a.remembered) > 24*time.Hour {
		return a.t.store.RememberSignIn(context.WithoutCancel(ctx), a.remember, until)
	}
	return nil
}

// refresh takes one of client's token refreshes; ETHROTTLED when it has
// used them all.
func (t *Throttle) refresh(ctx context.Context, clientID string) error {
	wait, err := t.store.TakeAllowance(ctx, t.now(),
		[]switchboard.ThrottleLimit{t.policy.Refresh.limit(t.hashKey("refresh", clientID, ""))})
	if err != nil {
		return err
	} else if wait > 0 {
		return &switchboard.Error{Code: switchboard.ETHROTTLED, Message: MsgTooManyRefreshes, RetryAfter: wait}
	}
	return nil
}

// purge deletes the rows that no longer matter, at most once per purgeEvery
// in this instance. A failure is left for the next time: the rows only take
// room.
func (t *Throttle) purge(ctx context.Context, now time.Time) {
	last := t.lastPurge.Load()
	if now.UnixMilli()-last < purgeEvery.Milliseconds() || !t.lastPurge.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	t.store.PurgeThrottle(ctx, now)
}
