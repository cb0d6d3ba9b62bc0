package auth

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/hotp"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// mfaT0 is the start of a TOTP step, so tests can name steps plainly.
var mfaT0 = time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)

type mfaTester struct {
	testService
	clock *fakeClock
	admin *switchboard.Admin
}

// newMFATester returns a service over a fresh SQLite store whose clock (the
// service's and its throttle's) stands at mfaT0, with one admin "ada".
func newMFATester(t *testing.T) mfaTester {
	t.Helper()
	ts := newService(t)
	ts.MFA = ts.store
	clock := &fakeClock{t: mfaT0}
	ts.Now, ts.Throttle.now = clock.now, clock.now
	hash, err := ts.Hasher.Hash("the password")
	if err != nil {
		t.Fatal(err)
	}
	a := &switchboard.Admin{Username: "ada", PasswordHash: hash}
	if err := ts.store.CreateAdmin(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return mfaTester{ts, clock, a}
}

// codeAt is the TOTP code of secret for the step at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := hotp.GenerateCode(secret, uint64(at.Unix()/30))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enable sets two-factor up for the admin at the clock's time and returns
// the secret and the recovery codes.
func (m mfaTester) enable(t *testing.T) (string, []string) {
	t.Helper()
	ctx := context.Background()
	setup, err := m.SetupMFA(ctx, m.admin)
	if err != nil {
		t.Fatalf("SetupMFA: %v", err)
	}
	codes, err := m.ConfirmMFA(ctx, m.admin, codeAt(t, setup.Secret, m.clock.t), ip)
	if err != nil {
		t.Fatalf("ConfirmMFA: %v", err)
	}
	return setup.Secret, codes
}

func (m mfaTester) check(code string) error {
	return m.CheckSecondFactor(context.Background(), m.admin, code, ip)
}

func (m mfaTester) state(t *testing.T) switchboard.MFAState {
	t.Helper()
	st, err := m.store.MFAState(context.Background(), m.admin.Username)
	if err != nil {
		t.Fatal(err)
	}
	return *st
}

func TestSetupMFA(t *testing.T) {
	m := newMFATester(t)
	ctx := context.Background()
	// No two-factor set up: the password is enough.
	if err := m.check(""); err != nil {
		t.Fatalf("CheckSecondFactor without two-factor = %v, want nil", err)
	}
	setup, err := m.SetupMFA(ctx, m.admin)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(setup.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Switchboard:ada" || q.Get("issuer") != "Switchboard" ||
		q.Get("secret") != setup.Secret || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("otpauth URL = %s", setup.URL)
	}
	if len(setup.Secret) != 32 { // 160 bits in base32, RFC 4226's recommendation
		t.Errorf("secret %q has %d characters, want 32", setup.Secret, len(setup.Secret))
	}
	// Stored sealed, and not enabled until confirmed.
	st := m.state(t)
	if st.Enabled || st.Secret == "" || strings.Contains(st.Secret, setup.Secret) {
		t.Fatalf("stored state = %+v: want a sealed secret, not enabled", st)
	}
	if err := m.check(""); err != nil {
		t.Fatalf("CheckSecondFactor before confirming = %v, want nil", err)
	}
	// The sealed secret is bound to its admin.
	if _, err := m.openMFASecret("bob", st.Secret); err == nil {
		t.Error("a sealed secret opens for another admin")
	}
	if got, err := m.openMFASecret("ada", st.Secret); err != nil || got != setup.Secret {
		t.Errorf("openMFASecret = %q, %v; want the secret", got, err)
	}

	// A wrong code does not confirm.
	wrong := wrongCode(t, setup.Secret, m.clock.t)
	if _, err := m.ConfirmMFA(ctx, m.admin, wrong, ip); err == nil {
		t.Fatal("ConfirmMFA accepted a wrong code")
	} else {
		checkErr(t, err, switchboard.EINVALID, MsgMFAInvalid)
	}
	code := codeAt(t, setup.Secret, m.clock.t)
	codes, err := m.ConfirmMFA(ctx, m.admin, code, ip)
	if err != nil {
		t.Fatalf("ConfirmMFA: %v", err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 35 || seen[c] {
			t.Errorf("recovery code %q: want 35 characters, each code once", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Errorf("%d recovery codes, want 10", len(codes))
	}
	if st := m.state(t); !st.Enabled || st.RecoveryCodes != 10 || st.LastStep != mfaT0.Unix()/30 {
		t.Errorf("state after confirming = %+v", st)
	}
	// The confirming code cannot sign in: it was used.
	checkErr(t, m.check(code), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
	// Enabled: no new set-up, no second confirmation.
	if _, err := m.SetupMFA(ctx, m.admin); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
		t.Errorf("SetupMFA while enabled = %v, want ECONFLICT", err)
	}
	if _, err := m.ConfirmMFA(ctx, m.admin, code, ip); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
		t.Errorf("ConfirmMFA while enabled = %v, want ECONFLICT", err)
	}
}

// wrongCode returns a code that is none of secret's around at.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if _, ok := matchTOTP(secret, c, at); !ok {
			return c
		}
	}
}

func TestCheckSecondFactorTOTP(t *testing.T) {
	m := newMFATester(t)
	secret, _ := m.enable(t) // step S accepted, at mfaT0
	const step = 30 * time.Second
	refused := func(what, code string) {
		t.Helper()
		e := checkErr(t, m.check(code), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
		if e != nil && e.Reason != switchboard.ReasonMFAInvalid {
			t.Errorf("%s: Reason = %q, want %q", what, e.Reason, switchboard.ReasonMFAInvalid)
		}
	}
	accepted := func(what, code string) {
		t.Helper()
		if err := m.check(code); err != nil {
			t.Fatalf("%s: CheckSecondFactor = %v, want nil", what, err)
		}
	}

	e := checkErr(t, m.check(""), switchboard.EUNAUTHORIZED, MsgMFARequired)
	if e.Reason != switchboard.ReasonMFARequired {
		t.Errorf("empty code: Reason = %q, want %q", e.Reason, switchboard.ReasonMFARequired)
	}

	m.clock.advance(2 * step) // now at S+2
	accepted("the step before now (skew)", codeAt(t, secret, mfaT0.Add(step)))
	refused("reused", codeAt(t, secret, mfaT0.Add(step)))
	accepted("valid", codeAt(t, secret, m.clock.t))
	refused("reused in its own step", codeAt(t, secret, m.clock.t))
	refused("wrong", wrongCode(t, secret, m.clock.t))
	refused("wrong length", "12345")
	m.clock.advance(step) // now at S+3
	c := codeAt(t, secret, m.clock.t)
	accepted("typed in two groups, as apps show it", " "+c[:3]+" "+c[3:]+" ")

	m.clock.advance(7 * step) // now at S+10
	refused("expired (two steps old)", codeAt(t, secret, m.clock.t.Add(-2*step)))
	accepted("the step after now (skew)", codeAt(t, secret, m.clock.t.Add(step)))
	refused("now, older than the last accepted", codeAt(t, secret, m.clock.t))
	refused("expired (two steps ahead)", codeAt(t, secret, m.clock.t.Add(3*step)))
}

func TestCheckSecondFactorRecoveryCode(t *testing.T) {
	m := newMFATester(t)
	_, codes := m.enable(t)
	if err := m.check(codes[0]); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	checkErr(t, m.check(codes[0]), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
	// Typed without dashes, in capitals, with spaces: the same code.
	typed := " " + strings.ToUpper(strings.ReplaceAll(codes[1], "-", " ")) + " "
	if err := m.check(typed); err != nil {
		t.Fatalf("recovery code typed %q: %v", typed, err)
	}
	checkErr(t, m.check(codes[1]), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
	checkErr(t, m.check("00000000-0000-0000-0000-000000000000"), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
	if got := m.state(t).RecoveryCodes; got != 8 {
		t.Errorf("recovery codes left = %d, want 8", got)
	}
}

func TestCheckSecondFactorThrottled(t *testing.T) {
	m := newMFATester(t)
	secret, codes := m.enable(t)
	m.clock.advance(time.Minute)
	limit := DefaultThrottlePolicy.AccountAddress.Limit
	for i := range limit {
		if err := m.check(wrongCode(t, secret, m.clock.t)); switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED {
			t.Fatalf("wrong code %d: %v, want EUNAUTHORIZED", i+1, err)
		}
	}
	// Spent: even a right code or recovery code is refused now, and the
	// recovery code is not used up by the refusal.
	for _, code := range []string{codeAt(t, secret, m.clock.t), codes[0]} {
		e := checkErr(t, m.check(code), switchboard.ETHROTTLED, msgThrottled)
		if e != nil && e.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v, want > 0", e.RetryAfter)
		}
	}
	if got := m.state(t).RecoveryCodes; got != 10 {
		t.Errorf("recovery codes left = %d, want 10", got)
	}
	// Throttled as its own account: the admin's password sign-in is not.
	if _, _, _, err := m.LoginAdmin(context.Background(), "ada", "wrong", "", ip); switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED {
		t.Errorf("password sign-in after spent codes = %v, want EUNAUTHORIZED", err)
	}
	// The allowance refills: one attempt per window/limit.
	m.clock.advance(DefaultThrottlePolicy.AccountAddress.Window / time.Duration(limit))
	if err := m.check(codeAt(t, secret, m.clock.t)); err != nil {
		t.Errorf("right code after the wait: %v", err)
	}
}

// TestMFAStoreDialects runs set-up, confirmation and a sign-in's second
// factor over each database.
func TestMFAStoreDialects(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newServiceOn(t, s)
		ts.MFA = s
		a := &switchboard.Admin{Username: "ada", PasswordHash: "unused"}
		if err := s.CreateAdmin(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		setup, err := ts.SetupMFA(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if _, err := ts.ConfirmMFA(ctx, a, codeAt(t, setup.Secret, now), ip); err != nil {
			t.Fatal(err)
		}
		next := codeAt(t, setup.Secret, now.Add(30*time.Second))
		if err := ts.CheckSecondFactor(ctx, a, next, ip); err != nil {
			t.Fatalf("next step's code: %v", err)
		}
		checkErr(t, ts.CheckSecondFactor(ctx, a, next, ip), switchboard.EUNAUTHORIZED, MsgMFAInvalid)
	})
}
