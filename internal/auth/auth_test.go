package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

var serverSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, the minimum

func newSigner(t *testing.T, secret []byte) *Signer {
	t.Helper()
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func newHasher(t *testing.T) *Hasher {
	t.Helper()
	h, err := NewHasher(bcrypt.MinCost)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

// signRaw signs claims with any method and key, bypassing Signer.Sign.
func signRaw(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return token
}

// editPayload decodes the token's payload, lets edit change it, and puts the
// token back together with the original header and signature.
func editPayload(t *testing.T, token string, edit func(m map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", token, len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestNewSigner(t *testing.T) {
	tests := []struct {
		name    string
		secret  []byte
		wantErr bool
	}{
		{"OK32", serverSecret, false},
		{"OK43", []byte(GenerateSecret()), false},
		{"ErrShort31", serverSecret[:31], true},
		{"ErrEmpty", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.secret)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("NewSigner(%d bytes) error = %v, want error %v", len(tt.secret), err, want)
			}
			if tt.wantErr && s != nil {
				t.Errorf("NewSigner returned a signer with an error")
			}
		})
	}
	t.Run("KeysDiffer", func(t *testing.T) {
		s := newSigner(t, serverSecret)
		if string(s.clientKey) == string(s.adminKey) {
			t.Error("client and admin keys are equal")
		}
		if string(s.clientKey) == string(serverSecret) || string(s.adminKey) == string(serverSecret) {
			t.Error("a signing key is the server secret itself")
		}
		if got, want := string(newSigner(t, serverSecret).clientKey), string(s.clientKey); got != want {
			t.Error("the same secret derived different keys")
		}
	})
}

func TestSigner_SignParse(t *testing.T) {
	s := newSigner(t, serverSecret)
	issued := time.Now().Add(-time.Minute).Truncate(time.Second)

	t.Run("OKClient", func(t *testing.T) {
		token, err := s.Sign(Claims{ClientID: "client_a", Type: TypeClient, Version: 42}, issued, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Parse(token, TypeClient)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got, want := c.ClientID, "client_a"; got != want {
			t.Errorf("ClientID = %q, want %q", got, want)
		}
		if got, want := c.Version, int64(42); got != want {
			t.Errorf("Version = %d, want %d", got, want)
		}
		if got, want := c.Type, TypeClient; got != want {
			t.Errorf("Type = %q, want %q", got, want)
		}
		if c.IssuedAt == nil || !c.IssuedAt.Time.Equal(issued) {
			t.Errorf("IssuedAt = %v, want %v", c.IssuedAt, issued)
		}
		if c.ExpiresAt != nil {
			t.Errorf("ExpiresAt = %v, want none for a zero ttl", c.ExpiresAt)
		}
		if got, want := len(c.ID), 22; got != want {
			t.Errorf("jti %q has %d characters, want %d", c.ID, got, want)
		}
		if c.AdminID != "" {
			t.Errorf("AdminID = %q, want empty", c.AdminID)
		}
	})

	t.Run("OKAdminWithTTL", func(t *testing.T) {
		token, err := s.Sign(Claims{AdminID: "root", Type: TypeAdmin}, issued, 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Parse(token, TypeAdmin)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got, want := c.AdminID, "root"; got != want {
			t.Errorf("AdminID = %q, want %q", got, want)
		}
		if c.ExpiresAt == nil || !c.ExpiresAt.Time.Equal(issued.Add(12*time.Hour)) {
			t.Errorf("ExpiresAt = %v, want %v", c.ExpiresAt, issued.Add(12*time.Hour))
		}
	})

	t.Run("OKFreshJTI", func(t *testing.T) {
		seen := map[string]bool{}
		for range 100 {
			token, err := s.Sign(Claims{ClientID: "client_a", Type: TypeClient}, issued, 0)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Parse(token, TypeClient)
			if err != nil {
				t.Fatal(err)
			}
			if seen[c.ID] {
				t.Fatalf("jti %q issued twice", c.ID)
			}
			seen[c.ID] = true
		}
	})

	t.Run("OKNotYetExpired", func(t *testing.T) {
		token, err := s.Sign(Claims{ClientID: "client_a", Type: TypeClient}, time.Now().Add(-30*time.Minute), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Parse(token, TypeClient); err != nil {
			t.Errorf("Parse: %v, want nil", err)
		}
	})
}

func TestSigner_Parse(t *testing.T) {
	s := newSigner(t, serverSecret)
	other := newSigner(t, []byte(strings.Repeat("x", 32)))
	now := time.Now()
	sign := func(s *Signer, c Claims, issued time.Time, ttl time.Duration) string {
		token, err := s.Sign(c, issued, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	client := Claims{ClientID: "client_a", Type: TypeClient, Version: 7}
	admin := Claims{AdminID: "root", Type: TypeAdmin}
	clientToken := sign(s, client, now, 0)
	adminToken := sign(s, admin, now, time.Hour)

	// registered returns claims as Sign would make them, for hand-signed tokens.
	registered := func(c Claims) Claims {
		c.IssuedAt = jwt.NewNumericDate(now)
		c.ID = "abcdefghijklmnopqrstuv"
		return c
	}

	tests := []struct {
		name    string
		token   string
		typ     string
		wantErr error
	}{
		{"OKClient", clientToken, TypeClient, nil},
		{"OKAdmin", adminToken, TypeAdmin, nil},
		{"OKHandSignedHS256", signRaw(t, jwt.SigningMethodHS256, s.clientKey, registered(client)), TypeClient, nil},
		{"ErrWrongTypeClientAsAdmin", clientToken, TypeAdmin, ErrWrongTokenType},
		{"ErrWrongTypeAdminAsClient", adminToken, TypeClient, ErrWrongTokenType},
		{"ErrInvalidTamperedPayload", editPayload(t, clientToken, func(m map[string]any) { m["clientId"] = "client_b" }), TypeClient, ErrInvalidToken},
		{"ErrInvalidTamperedVersion", editPayload(t, clientToken, func(m map[string]any) { m["ver"] = 8 }), TypeClient, ErrInvalidToken},
		{"ErrInvalidTamperedType", editPayload(t, clientToken, func(m map[string]any) { m["type"] = TypeAdmin; m["adminId"] = "root" }), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidTamperedSignature", func() string {
			i := strings.LastIndexByte(clientToken, '.') + 1
			b := []byte(clientToken)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}(), TypeClient, ErrInvalidToken},
		{"ErrInvalidNoSignature", clientToken[:strings.LastIndexByte(clientToken, '.')+1], TypeClient, ErrInvalidToken},
		{"ErrInvalidAlgNone", signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, registered(client)), TypeClient, ErrInvalidToken},
		{"ErrInvalidAlgNoneAdmin", signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, registered(admin)), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidHS384", signRaw(t, jwt.SigningMethodHS384, s.clientKey, registered(client)), TypeClient, ErrInvalidToken},
		{"ErrInvalidHS512", signRaw(t, jwt.SigningMethodHS512, s.clientKey, registered(client)), TypeClient, ErrInvalidToken},
		{"ErrInvalidHS512Admin", signRaw(t, jwt.SigningMethodHS512, s.adminKey, registered(admin)), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidServerSecretItself", signRaw(t, jwt.SigningMethodHS256, serverSecret, registered(client)), TypeClient, ErrInvalidToken},
		{"ErrInvalidOtherServerSecret", sign(other, client, now, 0), TypeClient, ErrInvalidToken},
		{"ErrInvalidOtherServerSecretAdmin", sign(other, admin, now, time.Hour), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidExpired", sign(s, client, now.Add(-2*time.Hour), time.Hour), TypeClient, ErrInvalidToken},
		{"ErrInvalidExpiredAdmin", sign(s, admin, now.Add(-13*time.Hour), 12*time.Hour), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidIssuedInFuture", sign(s, client, now.Add(time.Hour), 0), TypeClient, ErrInvalidToken},
		{"ErrInvalidTypeClaimMismatch", signRaw(t, jwt.SigningMethodHS256, s.clientKey, registered(Claims{ClientID: "client_a", Type: TypeAdmin})), TypeClient, ErrInvalidToken},
		{"ErrInvalidTypeClaimEmpty", signRaw(t, jwt.SigningMethodHS256, s.clientKey, registered(Claims{ClientID: "client_a"})), TypeClient, ErrInvalidToken},
		{"ErrInvalidNoClientID", signRaw(t, jwt.SigningMethodHS256, s.clientKey, registered(Claims{Type: TypeClient})), TypeClient, ErrInvalidToken},
		{"ErrInvalidNoAdminID", signRaw(t, jwt.SigningMethodHS256, s.adminKey, registered(Claims{Type: TypeAdmin})), TypeAdmin, ErrInvalidToken},
		{"ErrInvalidNoJTI", signRaw(t, jwt.SigningMethodHS256, s.clientKey, Claims{ClientID: "client_a", Type: TypeClient}), TypeClient, ErrInvalidToken},
		{"ErrInvalidEmpty", "", TypeClient, ErrInvalidToken},
		{"ErrInvalidGarbage", "not-a-token", TypeClient, ErrInvalidToken},
		{"ErrInvalidThreeDots", "a.b.c", TypeAdmin, ErrInvalidToken},
		{"ErrInvalidBearerPrefix", "Bearer " + clientToken, TypeClient, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Parse(tt.token, tt.typ)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Parse(%s) error = %v, want %v", tt.typ, err, tt.wantErr)
			}
			if got, want := c == nil, tt.wantErr != nil; got != want {
				t.Errorf("Parse claims = %+v with error %v", c, err)
			}
		})
	}
}

func TestHasher(t *testing.T) {
	h := newHasher(t)
	const secret = "client_secure_secret_key"
	hash, err := h.Hash(secret)
	if err != nil {
		t.Fatal(err)
	}
	if hash == secret || strings.Contains(hash, secret) {
		t.Fatalf("hash %q holds the secret", hash)
	}
	if !strings.HasPrefix(hash, "$2a$04$") {
		t.Errorf("hash %q, want bcrypt at cost 4", hash)
	}
	hash72, err := h.Hash(strings.Repeat("s", 72))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := h.Hash(secret); err != nil || again == hash {
		t.Errorf("second Hash = %q, %v; want a different salt", again, err)
	}

	tests := []struct {
		name    string
		hash    string
		secret  string
		want    bool
		wantErr bool
	}{
		{"OK", hash, secret, true, false},
		{"Wrong", hash, "client_secure_secret_kez", false, false},
		{"WrongCase", hash, strings.ToUpper(secret), false, false},
		{"Prefix", hash, secret[:16], false, false},
		{"Empty", hash, "", false, false},
		{"UnknownAccount", "", secret, false, false},
		{"UnknownAccountEmptySecret", "", "", false, false},
		// bcrypt reads 72 bytes; a longer secret must not match by its prefix.
		{"LongerThanAnyStoredSecret", hash72, strings.Repeat("s", 72) + "extra", false, false},
		{"Exactly72", hash72, strings.Repeat("s", 72), true, false},
		{"ErrMalformedHash", "not-a-bcrypt-hash", secret, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Matches(tt.hash, tt.secret)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Matches error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("ErrTooLong", func(t *testing.T) {
		if _, err := h.Hash(strings.Repeat("a", 73)); err == nil {
			t.Error("Hash of 73 bytes succeeded, want an error (bcrypt ignores bytes past 72)")
		}
		if _, err := h.Hash(strings.Repeat("a", 72)); err != nil {
			t.Errorf("Hash of 72 bytes: %v", err)
		}
	})
}

func TestNewHasher(t *testing.T) {
	tests := []struct {
		cost    int
		wantErr bool
	}{
		{bcrypt.MinCost, false},
		{5, false},
		{bcrypt.MinCost - 1, true},
		{-1, true},
		{bcrypt.MaxCost + 1, true},
	}
	for _, tt := range tests {
		h, err := NewHasher(tt.cost)
		if (err != nil) != tt.wantErr {
			t.Errorf("NewHasher(%d) error = %v, want error %v", tt.cost, err, tt.wantErr)
		}
		if err == nil {
			hash, err := h.Hash("x")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := bcrypt.Cost([]byte(hash)); err != nil || got != tt.cost {
				t.Errorf("NewHasher(%d) hashes at cost %d, %v", tt.cost, got, err)
			}
		}
	}
}

func TestGenerateSecret(t *testing.T) {
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	seen := make(map[string]bool, 1000)
	for range 1000 {
		s := GenerateSecret()
		if !urlSafe.MatchString(s) {
			t.Fatalf("GenerateSecret() = %q, want 43 URL-safe characters", s)
		}
		if seen[s] {
			t.Fatalf("GenerateSecret() = %q twice", s)
		}
		seen[s] = true
	}
	if err := switchboard.ValidateSecret("clientSecret", GenerateSecret()); err != nil {
		t.Errorf("a generated secret fails ValidateSecret: %v", err)
	}
}

// fakeClock is a settable clock for Throttle.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// oldPolicy is the policy the old in-memory throttle had, 10 failures per
// account and 50 per ip in 15 minutes, which TestThrottle was written for:
// per (account, address) and per account the same 10, so an account's
// allowance is spent from any address that has not signed in to it.
var oldPolicy = ThrottlePolicy{
	AccountAddress: ThrottleRule{10, 15 * time.Minute},
	Address:        ThrottleRule{50, 15 * time.Minute},
	Account:        ThrottleRule{10, 15 * time.Minute},
	Remember:       30 * 24 * time.Hour,
	Refresh:        ThrottleRule{60, 15 * time.Minute},
}

// throttleTester drives a Throttle through the two calls of the old
// in-memory throttle, Wait and Fail, which TestThrottle was written against.
type throttleTester struct {
	*Throttle
	t *testing.T
}

// newThrottle returns a throttle over s at a fixed time, with a key of its
// own: its rows are apart from every other throttle's on s.
func newThrottle(t *testing.T, s *store.Store) (throttleTester, *fakeClock) {
	clock := &fakeClock{t: time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)}
	th := NewThrottle(s, []byte(GenerateSecret()), oldPolicy)
	th.now = clock.now
	return throttleTester{th, t}, clock
}

// Wait is what the old Throttle.Wait was: how long before an attempt for
// account from ip may be made, or 0.
func (th throttleTester) Wait(account, ip string) time.Duration {
	_, err := th.begin(context.Background(), account, ip)
	var e *switchboard.Error
	if errors.As(err, &e) && e.Code == switchboard.ETHROTTLED {
		return e.RetryAfter
	} else if err != nil {
		th.t.Errorf("begin(%q, %q): %v", account, ip, err)
	}
	return 0
}

// Fail is what the old Throttle.Fail was: a failed attempt, which keeps the
// allowance it took (none, when there was none left).
func (th throttleTester) Fail(account, ip string) {
	id := th.hashKey("account", account, "")
	a := &attempt{t: th.Throttle, limits: []switchboard.ThrottleLimit{
		th.policy.AccountAddress.limit(th.hashKey("account address", id, addressOf(ip))),
		th.policy.Address.limit(th.hashKey("address", "", addressOf(ip))),
		th.policy.Account.limit(id),
	}}
	if err := a.take(context.Background()); err != nil && switchboard.ErrorCode(err) != switchboard.ETHROTTLED {
		th.t.Errorf("take(%q, %q): %v", account, ip, err)
	}
}

// countingPurges counts the purges a Throttle asks for.
type countingPurges struct {
	switchboard.ThrottleService
	n int
}

func (c *countingPurges) PurgeThrottle(ctx context.Context, now time.Time) error {
	c.n++
	return c.ThrottleService.PurgeThrottle(ctx, now)
}

func TestThrottle(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, st *store.Store) { testThrottle(t, st) })
}

func testThrottle(t *testing.T, st *store.Store) {
	const ip1, ip2 = "192.0.2.1", "198.51.100.7"
	const accountRefill = 15 * time.Minute / 10 // 90s per attempt
	const ipRefill = 15 * time.Minute / 50      // 18s per attempt
	newThrottle := func() (throttleTester, *fakeClock) { return newThrottle(t, st) }

	t.Run("OKNoFailures", func(t *testing.T) {
		th, clock := newThrottle()
		for range 100 {
			if got := th.Wait("alice", ip1); got != 0 {
				t.Fatalf("Wait without failures = %v, want 0", got)
			}
			clock.advance(time.Millisecond)
		}
	})

	t.Run("OKNineFailures", func(t *testing.T) {
		th, _ := newThrottle()
		for range 9 {
			th.Fail("alice", ip1)
		}
		if got := th.Wait("alice", ip1); got != 0 {
			t.Errorf("Wait after 9 failures = %v, want 0", got)
		}
	})

	t.Run("ErrThrottledAccount", func(t *testing.T) {
		th, clock := newThrottle()
		for range 10 {
			th.Fail("alice", ip1)
		}
		got := th.Wait("alice", ip1)
		if got <= 0 || got > accountRefill {
			t.Errorf("Wait after 10 failures = %v, want in (0, %v]", got, accountRefill)
		}
		if got := th.Wait("alice", ip2); got <= 0 || got > accountRefill {
			t.Errorf("Wait for the account from another ip = %v, want in (0, %v]", got, accountRefill)
		}
		if got := th.Wait("bob", ip2); got != 0 {
			t.Errorf("Wait for another account from another ip = %v, want 0", got)
		}
		if got := th.Wait("bob", ip1); got != 0 {
			t.Errorf("Wait for another account from the same ip = %v, want 0 (10 of 50)", got)
		}

		// Half the refill later, about half the wait is left.
		clock.advance(accountRefill / 2)
		if got := th.Wait("alice", ip1); got <= 0 || got > accountRefill/2 {
			t.Errorf("Wait after %v = %v, want in (0, %v]", accountRefill/2, got, accountRefill/2)
		}
		// One refill later, one attempt is allowed, and a failure spends it.
		clock.advance(accountRefill / 2)
		if got := th.Wait("alice", ip1); got != 0 {
			t.Errorf("Wait after %v = %v, want 0", accountRefill, got)
		}
		th.Fail("alice", ip1)
		if got := th.Wait("alice", ip1); got <= 0 {
			t.Errorf("Wait after one more failure = %v, want > 0", got)
		}

		// A whole window later, the allowance is full again.
		clock.advance(15 * time.Minute)
		if got := th.Wait("alice", ip1); got != 0 {
			t.Errorf("Wait after the window = %v, want 0", got)
		}
		for range 9 {
			th.Fail("alice", ip1)
		}
		if got := th.Wait("alice", ip1); got != 0 {
			t.Errorf("Wait after the window and 9 failures = %v, want 0", got)
		}
		th.Fail("alice", ip1)
		if got := th.Wait("alice", ip1); got <= 0 {
			t.Errorf("Wait after the window and 10 failures = %v, want > 0", got)
		}
	})

	t.Run("ErrThrottledIP", func(t *testing.T) {
		th, clock := newThrottle()
		for i := range 49 {
			th.Fail("user"+string(rune('A'+i%26))+string(rune('a'+i/26)), ip1)
		}
		if got := th.Wait("fresh", ip1); got != 0 {
			t.Fatalf("Wait after 49 failures from the ip = %v, want 0", got)
		}
		th.Fail("last", ip1)
		if got := th.Wait("fresh", ip1); got <= 0 || got > ipRefill {
			t.Errorf("Wait for a fresh account from the ip = %v, want in (0, %v]", got, ipRefill)
		}
		if got := th.Wait("fresh", ip2); got != 0 {
			t.Errorf("Wait for a fresh account from another ip = %v, want 0", got)
		}
		if got := th.Wait("last", ip2); got != 0 {
			t.Errorf("Wait for an account with one failure from another ip = %v, want 0", got)
		}
		clock.advance(15 * time.Minute)
		if got := th.Wait("fresh", ip1); got != 0 {
			t.Errorf("Wait after the window = %v, want 0", got)
		}
	})

	t.Run("OKForgetsRefilledBuckets", func(t *testing.T) {
		// The rows live in the database now: refilled ones are purged, at
		// most once a minute per instance (the store's tests count the rows).
		th, clock := newThrottle()
		purges := &countingPurges{ThrottleService: th.store}
		th.store = purges
		for i := range 40 {
			th.Fail("filler"+strconv.Itoa(i), ip1)
		}
		clock.advance(16 * time.Minute) // every filler has refilled
		for range 10 {
			th.Fail("victim", ip2)
		}
		th.Wait("newcomer", ip2)
		th.Wait("newcomer", ip2)
		if got, want := purges.n, 1; got != want {
			t.Errorf("purges = %d, want %d", got, want)
		}
		if got := th.Wait("victim", "203.0.113.9"); got <= 0 {
			t.Errorf("Wait for the spent account after the purge = %v, want > 0", got)
		}
		if got := th.Wait("filler1", ip1); got != 0 {
			t.Errorf("Wait for a purged filler = %v, want 0", got)
		}
		if got := th.Wait("newcomer", "203.0.113.9"); got != 0 {
			t.Errorf("Wait for the newcomer = %v, want 0", got)
		}
		clock.advance(purgeEvery)
		th.Wait("newcomer", ip2)
		if got, want := purges.n, 2; got != want {
			t.Errorf("purges a minute later = %d, want %d", got, want)
		}
	})

	t.Run("OKAccountAndIPKeysApart", func(t *testing.T) {
		// An account named like an ip does not share the ip's allowance.
		th, _ := newThrottle()
		for range 10 {
			th.Fail(ip1, ip2)
		}
		if got := th.Wait("alice", ip1); got != 0 {
			t.Errorf("Wait from ip %s after failures of account %q = %v, want 0", ip1, ip1, got)
		}
	})
}

// testService is an auth.Service over a fresh SQLite store.
type testService struct {
	*Service
	store *store.Store
}

const (
	ip      = "192.0.2.10"
	otherIP = "198.51.100.20"
)

func newService(t *testing.T) testService {
	t.Helper()
	return newServiceOn(t, storetest.Open(t, store.SQLite))
}

// newServiceOn is newService over the given store.
func newServiceOn(t *testing.T, s *store.Store) testService {
	t.Helper()
	return testService{
		Service: &Service{
			Clients: s, Admins: s, Tokens: s,
			Hasher:        newHasher(t),
			Signer:        newSigner(t, serverSecret),
			Throttle:      NewThrottle(s, serverSecret, DefaultThrottlePolicy),
			AdminTokenTTL: 12 * time.Hour,
		},
		store: s,
	}
}

func newClient(id, email string) *switchboard.Client {
	return &switchboard.Client{
		ID: id, AgentID: "agent_id_here", TwilioPhoneNumber: "+18001234567",
		Meta: switchboard.ClientMeta{FullName: "John Doe", Email: email, Phone: "+12125551234"},
	}
}

// createClient stores a client through the service and returns its secret.
func (s testService) createClient(t *testing.T, id, email, secret string) string {
	t.Helper()
	secret, err := s.CreateClient(context.Background(), newClient(id, email), secret)
	if err != nil {
		t.Fatalf("CreateClient(%q): %v", id, err)
	}
	return secret
}

// login signs a client in or fails the test.
func (s testService) login(t *testing.T, id, secret string) string {
	t.Helper()
	_, token, err := s.LoginClient(context.Background(), id, secret, ip)
	if err != nil {
		t.Fatalf("LoginClient(%q): %v", id, err)
	}
	return token
}

// checkErr asserts err's code and message.
func checkErr(t *testing.T, err error, wantCode, wantMsg string) *switchboard.Error {
	t.Helper()
	var e *switchboard.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *switchboard.Error %s %q", err, err, wantCode, wantMsg)
	}
	if got, want := e.Code, wantCode; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	if got, want := e.Message, wantMsg; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	return e
}

// checkAccepted asserts that Service.Client accepts token for client id.
func (s testService) checkAccepted(t *testing.T, token, id string) *Claims {
	t.Helper()
	c, claims, err := s.Client(context.Background(), token)
	if err != nil {
		t.Fatalf("Client(token) error = %v, want it accepted", err)
	}
	if c.ID != id || claims.ClientID != id {
		t.Errorf("Client(token) = client %q, claims %q; want %q", c.ID, claims.ClientID, id)
	}
	return claims
}

// checkRefused asserts that Service.Client refuses token with EUNAUTHORIZED msg.
func (s testService) checkRefused(t *testing.T, token, msg string) {
	t.Helper()
	c, claims, err := s.Client(context.Background(), token)
	e := checkErr(t, err, switchboard.EUNAUTHORIZED, msg)
	// The pages tell an ended account from a bad token by the reason alone.
	if inactive := msg == msgInactive; (e.Reason == switchboard.ReasonClientInactive) != inactive {
		t.Errorf("Reason = %q for %q", e.Reason, msg)
	}
	if c != nil || claims != nil {
		t.Errorf("Client(token) = %+v, %+v with an error", c, claims)
	}
}

const (
	msgLogin         = "Invalid credentials or inactive client"
	msgToken         = "Invalid token"
	msgInactive      = "Client not found or inactive"
	msgForbidden     = "Insufficient permissions"
	msgThrottled     = "Too many failed attempts, try again later"
	msgCurrentSecret = "Current secret is incorrect"
)

func TestService_CreateClient(t *testing.T) {
	ctx := context.Background()
	generatedID := regexp.MustCompile(`^client_[0-9a-f]{16}$`)
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

	t.Run("OKGenerated", func(t *testing.T) {
		s := newService(t)
		c := newClient("", "john@example.com")
		secret, err := s.CreateClient(ctx, c, "")
		if err != nil {
			t.Fatal(err)
		}
		if !generatedID.MatchString(c.ID) {
			t.Errorf("generated clientId = %q, want client_ and 16 hex digits", c.ID)
		}
		if !urlSafe.MatchString(secret) {
			t.Errorf("generated secret = %q, want 43 URL-safe characters", secret)
		}
		stored, err := s.store.FindClientByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.SecretHash == "" || strings.Contains(stored.SecretHash, secret) {
			t.Errorf("stored SecretHash = %q, want a hash of the secret", stored.SecretHash)
		}
		if ok, err := s.Hasher.Matches(stored.SecretHash, secret); err != nil || !ok {
			t.Errorf("stored hash does not match the secret: %v, %v", ok, err)
		}
		if got, want := stored.Status, switchboard.StatusActive; got != want {
			t.Errorf("Status = %q, want %q", got, want)
		}

		d := newClient("", "jane@example.com")
		secret2, err := s.CreateClient(ctx, d, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == c.ID || secret2 == secret {
			t.Errorf("two generated clients share an id (%q) or a secret", d.ID)
		}
	})

	t.Run("OKChosen", func(t *testing.T) {
		s := newService(t)
		const chosen = "client_secure_secret_key"
		c := newClient("client_unique_id", "john@example.com")
		secret, err := s.CreateClient(ctx, c, chosen)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := secret, chosen; got != want {
			t.Errorf("returned secret = %q, want the chosen %q", got, want)
		}
		if got, want := c.ID, "client_unique_id"; got != want {
			t.Errorf("clientId = %q, want %q", got, want)
		}
		stored, err := s.store.FindClientByID(ctx, "client_unique_id")
		if err != nil {
			t.Fatal(err)
		}
		if stored.SecretHash == chosen {
			t.Error("the secret is stored in clear")
		}
		if ok, err := s.Hasher.Matches(stored.SecretHash, chosen); err != nil || !ok {
			t.Errorf("stored hash does not match the secret: %v, %v", ok, err)
		}
		s.checkAccepted(t, s.login(t, "client_unique_id", chosen), "client_unique_id")
	})

	invalid := []struct {
		name       string
		client     *switchboard.Client
		secret     string
		wantMsg    string
		wantFields map[string]string
	}{
		{"ErrInvalidShortSecret", newClient("client_a", "john@example.com"), "fifteen-chars!!",
			"clientSecret must be at least 16 characters",
			map[string]string{"clientSecret": "clientSecret must be at least 16 characters"}},
		{"ErrInvalidLongSecret", newClient("client_a", "john@example.com"), strings.Repeat("s", 73),
			"clientSecret must be at most 72 bytes",
			map[string]string{"clientSecret": "clientSecret must be at most 72 bytes"}},
		{"ErrInvalidClientFirst", newClient("client_a", ""), "short",
			"Missing required client information", nil},
		{"ErrInvalidPhone", func() *switchboard.Client {
			c := newClient("", "john@example.com")
			c.TwilioPhoneNumber = "+0800"
			return c
		}(), "", switchboard.MsgInvalidPhone, map[string]string{"twilioPhoneNumber": switchboard.MsgInvalidPhone}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			secret, err := s.CreateClient(ctx, tt.client, tt.secret)
			e := checkErr(t, err, switchboard.EINVALID, tt.wantMsg)
			if tt.wantFields != nil {
				for k, v := range tt.wantFields {
					if got := e.Fields[k]; got != v {
						t.Errorf("Fields[%q] = %q, want %q", k, got, v)
					}
				}
			}
			if secret != "" {
				t.Errorf("secret = %q returned with an error", secret)
			}
			if _, n, err := s.store.FindClients(ctx, switchboard.ClientFilter{}); err != nil || n != 0 {
				t.Errorf("clients stored = %d, %v; want 0", n, err)
			}
		})
	}

	t.Run("ErrConflict", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", "")
		secret, err := s.CreateClient(ctx, newClient("client_b", "John@Example.com"), "")
		checkErr(t, err, switchboard.ECONFLICT, "Client already exists with this ID or email")
		if secret != "" {
			t.Errorf("secret = %q returned with an error", secret)
		}
	})
}

func TestService_LoginClient(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"

	t.Run("OK", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		c, token, err := s.LoginClient(ctx, "client_a", secret, ip)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.ID, "client_a"; got != want {
			t.Errorf("client = %q, want %q", got, want)
		}
		claims := s.checkAccepted(t, token, "client_a")
		if got, want := claims.Version, c.TokenVersion; got != want {
			t.Errorf("token version = %d, want the client's %d", got, want)
		}
		if claims.ExpiresAt != nil {
			t.Errorf("ExpiresAt = %v, want none (TokenTTL 0)", claims.ExpiresAt)
		}
	})

	refused := []struct {
		name   string
		status switchboard.Status
		id     string
		secret string
	}{
		{"ErrUnauthorizedWrongSecret", switchboard.StatusActive, "client_a", "client_secure_secret_kez"},
		{"ErrUnauthorizedEmptySecret", switchboard.StatusActive, "client_a", ""},
		{"ErrUnauthorizedUnknownID", switchboard.StatusActive, "client_b", secret},
		{"ErrUnauthorizedIDOtherCase", switchboard.StatusActive, "CLIENT_A", secret},
		{"ErrUnauthorizedMalformedID", switchboard.StatusActive, "client a", secret},
		{"ErrUnauthorizedLongID", switchboard.StatusActive, strings.Repeat("a", 200), secret},
		{"ErrUnauthorizedEmptyID", switchboard.StatusActive, "", secret},
		{"ErrUnauthorizedSuspended", switchboard.StatusSuspended, "client_a", secret},
		{"ErrUnauthorizedInactive", switchboard.StatusInactive, "client_a", secret},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			c := newClient("client_a", "john@example.com")
			c.Status = tt.status
			if _, err := s.CreateClient(ctx, c, secret); err != nil {
				t.Fatal(err)
			}
			got, token, err := s.LoginClient(ctx, tt.id, tt.secret, ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
			if got != nil || token != "" {
				t.Errorf("LoginClient = %+v, %q with an error", got, token)
			}
		})
	}

	t.Run("ErrUnauthorizedLongSecret", func(t *testing.T) {
		// bcrypt reads 72 bytes at most; a longer guess is a wrong secret, not an error.
		s := newService(t)
		long := strings.Repeat("s", 72)
		s.createClient(t, "client_a", "john@example.com", long)
		for _, guess := range []string{strings.Repeat("x", 100), long[:71] + "x" + "yyyy"} {
			_, _, err := s.LoginClient(ctx, "client_a", guess, ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		}
		s.login(t, "client_a", long)
	})

	t.Run("ErrThrottledAccount", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		s.createClient(t, "client_b", "jane@example.com", secret)
		for i := range 10 {
			_, _, err := s.LoginClient(ctx, "client_a", "wrong-secret-wrong", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
			if t.Failed() {
				t.Fatalf("failure %d", i+1)
			}
		}
		for _, from := range []string{ip, otherIP} {
			_, token, err := s.LoginClient(ctx, "client_a", secret, from)
			e := checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
			if e.RetryAfter <= 0 || e.RetryAfter > 90*time.Second {
				t.Errorf("RetryAfter = %v, want in (0, 90s]", e.RetryAfter)
			}
			if token != "" {
				t.Errorf("token %q issued while throttled", token)
			}
		}
		// Another client from the same ip is not held back.
		s.checkAccepted(t, s.login(t, "client_b", secret), "client_b")
	})

	t.Run("ErrThrottledUnknownID", func(t *testing.T) {
		s := newService(t)
		for range 10 {
			_, _, err := s.LoginClient(ctx, "client_nobody", "whatever-secret-1", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		}
		_, _, err := s.LoginClient(ctx, "client_nobody", "whatever-secret-1", ip)
		checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
	})

	t.Run("ErrThrottledIP", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		for i := range 50 {
			_, _, err := s.LoginClient(ctx, "client_guess_"+string(rune('a'+i%26))+string(rune('a'+i/26)), "guess-guess-guess", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		}
		_, _, err := s.LoginClient(ctx, "client_a", secret, ip)
		e := checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
		if e.RetryAfter <= 0 || e.RetryAfter > 18*time.Second {
			t.Errorf("RetryAfter = %v, want in (0, 18s]", e.RetryAfter)
		}
		if _, _, err := s.LoginClient(ctx, "client_a", secret, otherIP); err != nil {
			t.Errorf("LoginClient from another ip: %v, want nil", err)
		}
	})

	t.Run("OKSuccessesNotCounted", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		for range 30 {
			s.login(t, "client_a", secret)
		}
	})
}

func TestService_Client(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"

	// setup creates client_a and returns a service and a fresh token of it.
	setup := func(t *testing.T) (testService, string) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		return s, s.login(t, "client_a", secret)
	}

	t.Run("OK", func(t *testing.T) {
		s, token := setup(t)
		c, claims, err := s.Client(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.Meta.Email, "john@example.com"; got != want {
			t.Errorf("Email = %q, want %q", got, want)
		}
		if got, want := claims.Type, TypeClient; got != want {
			t.Errorf("Type = %q, want %q", got, want)
		}
	})

	t.Run("ErrUnauthorizedAfterResetSecret", func(t *testing.T) {
		s, token := setup(t)
		second := s.login(t, "client_a", secret)
		_, newSecret, err := s.ResetClientSecret(ctx, "client_a")
		if err != nil {
			t.Fatal(err)
		}
		if len(newSecret) != 43 || newSecret == secret {
			t.Errorf("new secret = %q, want a fresh 43-character one", newSecret)
		}
		s.checkRefused(t, token, msgToken)
		s.checkRefused(t, second, msgToken)
		_, _, err = s.LoginClient(ctx, "client_a", secret, ip)
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		s.checkAccepted(t, s.login(t, "client_a", newSecret), "client_a")
	})

	t.Run("ErrNotFoundResetUnknown", func(t *testing.T) {
		s, _ := setup(t)
		_, secret, err := s.ResetClientSecret(ctx, "client_x")
		checkErr(t, err, switchboard.ENOTFOUND, "Client not found")
		if secret != "" {
			t.Errorf("secret %q returned with an error", secret)
		}
	})

	t.Run("ErrUnauthorizedAfterChangeSecret", func(t *testing.T) {
		s, token := setup(t)
		second := s.login(t, "client_a", secret)
		c, _, err := s.Client(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		const next = "a-brand-new-secret-42"
		updated, err := s.ChangeClientSecret(ctx, c, secret, next, ip)
		if err != nil {
			t.Fatal(err)
		}
		if updated.TokenVersion == c.TokenVersion {
			t.Errorf("TokenVersion still %d after the change", updated.TokenVersion)
		}
		newToken, err := s.IssueClientToken(updated)
		if err != nil {
			t.Fatal(err)
		}
		s.checkRefused(t, token, msgToken)
		s.checkRefused(t, second, msgToken)
		s.checkAccepted(t, newToken, "client_a")
		_, _, err = s.LoginClient(ctx, "client_a", secret, ip)
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgLogin)
		s.checkAccepted(t, s.login(t, "client_a", next), "client_a")
	})

	t.Run("ErrUnauthorizedAfterDelete", func(t *testing.T) {
		s, token := setup(t)
		if err := s.store.DeleteClient(ctx, "client_a"); err != nil {
			t.Fatal(err)
		}
		s.checkRefused(t, token, msgInactive)
	})

	t.Run("ErrUnauthorizedAfterDeleteAndRecreate", func(t *testing.T) {
		s, token := setup(t)
		if err := s.store.DeleteClient(ctx, "client_a"); err != nil {
			t.Fatal(err)
		}
		s.createClient(t, "client_a", "someone@else.com", secret)
		s.checkRefused(t, token, msgToken)
		s.checkAccepted(t, s.login(t, "client_a", secret), "client_a")
	})

	for _, status := range []switchboard.Status{switchboard.StatusSuspended, switchboard.StatusInactive} {
		t.Run("ErrUnauthorized"+string(status), func(t *testing.T) {
			s, token := setup(t)
			if _, err := s.store.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{Status: &status}); err != nil {
				t.Fatal(err)
			}
			s.checkRefused(t, token, msgInactive)
			active := switchboard.StatusActive
			if _, err := s.store.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{Status: &active}); err != nil {
				t.Fatal(err)
			}
			s.checkAccepted(t, token, "client_a")
		})
	}

	t.Run("OKOtherUpdateKeepsToken", func(t *testing.T) {
		s, token := setup(t)
		email := "johnny@example.com"
		if _, err := s.store.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{
			Meta: switchboard.ClientMetaUpdate{Email: &email},
		}); err != nil {
			t.Fatal(err)
		}
		s.checkAccepted(t, token, "client_a")
	})

	t.Run("ErrUnauthorizedRevoked", func(t *testing.T) {
		s, token := setup(t)
		second := s.login(t, "client_a", secret)
		claims := s.checkAccepted(t, token, "client_a")
		if err := s.RevokeToken(ctx, claims); err != nil {
			t.Fatal(err)
		}
		s.checkRefused(t, token, msgToken)
		s.checkAccepted(t, second, "client_a")
		if err := s.RevokeToken(ctx, claims); err != nil {
			t.Errorf("revoking twice: %v, want nil", err)
		}
	})

	t.Run("OKRefresh", func(t *testing.T) {
		s, token := setup(t)
		c, claims, err := s.Client(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := s.RefreshClientToken(ctx, c, claims)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == token {
			t.Fatal("refresh returned the same token")
		}
		s.checkAccepted(t, fresh, "client_a")
		s.checkRefused(t, token, msgToken)
	})

	t.Run("ErrForbiddenAdminToken", func(t *testing.T) {
		s, _ := setup(t)
		if _, err := s.EnsureAdmin(ctx, "root", "correct-horse-battery"); err != nil {
			t.Fatal(err)
		}
		_, adminToken, _, err := s.LoginAdmin(ctx, "root", "correct-horse-battery", "", ip)
		if err != nil {
			t.Fatal(err)
		}
		c, claims, err := s.Client(ctx, adminToken)
		checkErr(t, err, switchboard.EFORBIDDEN, msgForbidden)
		if c != nil || claims != nil {
			t.Errorf("Client(admin token) = %+v, %+v with an error", c, claims)
		}
	})

	t.Run("ErrUnauthorizedExpired", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		s.TokenTTL = time.Hour
		s.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
		expired := s.login(t, "client_a", secret)
		s.Now = func() time.Time { return time.Now().Add(-30 * time.Minute) }
		live := s.login(t, "client_a", secret)
		s.Now = nil
		s.checkRefused(t, expired, msgToken)
		claims := s.checkAccepted(t, live, "client_a")
		if claims.ExpiresAt == nil || time.Until(claims.ExpiresAt.Time) > 31*time.Minute || time.Until(claims.ExpiresAt.Time) < 29*time.Minute {
			t.Errorf("ExpiresAt = %v, want about 30 minutes from now", claims.ExpiresAt)
		}
	})

	// A browser session's token ends with the session, even when API tokens
	// never expire (TokenTTL 0).
	t.Run("ErrUnauthorizedSessionTokenExpired", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		c, err := s.AuthenticateClient(ctx, "client_a", secret, ip)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
		expired, err := s.IssueClientSessionToken(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = nil
		live, err := s.IssueClientSessionToken(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.checkRefused(t, expired, msgToken)
		claims := s.checkAccepted(t, live, "client_a")
		if claims.ExpiresAt == nil || time.Until(claims.ExpiresAt.Time) > time.Hour || time.Until(claims.ExpiresAt.Time) < 59*time.Minute {
			t.Errorf("ExpiresAt = %v, want an hour from now", claims.ExpiresAt)
		}
	})

	t.Run("ErrUnauthorizedOtherServer", func(t *testing.T) {
		s, token := setup(t)
		s.Signer = newSigner(t, []byte(strings.Repeat("z", 32)))
		s.checkRefused(t, token, msgToken)
	})

	for name, token := range map[string]string{"Empty": "", "Garbage": "not-a-token", "Dots": "a.b.c"} {
		t.Run("ErrUnauthorized"+name, func(t *testing.T) {
			s, _ := setup(t)
			s.checkRefused(t, token, msgToken)
		})
	}
}

func TestService_ChangeClientSecret(t *testing.T) {
	ctx := context.Background()
	const secret = "client_secure_secret_key"

	tests := []struct {
		name      string
		current   string
		next      string
		wantCode  string
		wantMsg   string
		wantField string // Fields["newSecret"], when set
	}{
		{"ErrUnauthorizedWrongCurrent", "client_secure_secret_kez", "a-brand-new-secret-42",
			switchboard.EUNAUTHORIZED, msgCurrentSecret, ""},
		{"ErrUnauthorizedEmptyCurrent", "", "a-brand-new-secret-42",
			switchboard.EUNAUTHORIZED, msgCurrentSecret, ""},
		{"ErrInvalidSameSecret", secret, secret,
			switchboard.EINVALID, "newSecret must differ from the current secret", "newSecret must differ from the current secret"},
		{"ErrInvalidShortNew", secret, "too-short",
			switchboard.EINVALID, "newSecret must be at least 16 characters", "newSecret must be at least 16 characters"},
		{"ErrInvalidLongNew", secret, strings.Repeat("n", 73),
			switchboard.EINVALID, "newSecret must be at most 72 bytes", "newSecret must be at most 72 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			s.createClient(t, "client_a", "john@example.com", secret)
			token := s.login(t, "client_a", secret)
			c, _, err := s.Client(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			updated, err := s.ChangeClientSecret(ctx, c, tt.current, tt.next, ip)
			e := checkErr(t, err, tt.wantCode, tt.wantMsg)
			if tt.wantField != "" {
				if got := e.Fields["newSecret"]; got != tt.wantField {
					t.Errorf(`Fields["newSecret"] = %q, want %q`, got, tt.wantField)
				}
			}
			if updated != nil {
				t.Errorf("client %+v returned with an error", updated)
			}
			// Nothing changed: the old token and the old secret still work.
			s.checkAccepted(t, token, "client_a")
			s.login(t, "client_a", secret)
		})
	}

	t.Run("ErrThrottled", func(t *testing.T) {
		s := newService(t)
		s.createClient(t, "client_a", "john@example.com", secret)
		token := s.login(t, "client_a", secret)
		c, _, err := s.Client(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			_, err := s.ChangeClientSecret(ctx, c, "guess-guess-guess", "a-brand-new-secret-42", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgCurrentSecret)
		}
		_, err = s.ChangeClientSecret(ctx, c, secret, "a-brand-new-secret-42", ip)
		e := checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
		if e.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v, want > 0", e.RetryAfter)
		}
		// The guesses count against sign-in too.
		_, _, err = s.LoginClient(ctx, "client_a", secret, otherIP)
		checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
		s.checkAccepted(t, token, "client_a")
	})
}

func TestService_Admin(t *testing.T) {
	ctx := context.Background()
	const password = "correct-horse-battery"

	setup := func(t *testing.T) testService {
		s := newService(t)
		if _, err := s.EnsureAdmin(ctx, "root", password); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		before := time.Now()
		a, token, expires, err := s.LoginAdmin(ctx, "root", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := a.Username, "root"; got != want {
			t.Errorf("Username = %q, want %q", got, want)
		}
		if expires.Before(before.Add(12*time.Hour)) || expires.After(time.Now().Add(12*time.Hour)) {
			t.Errorf("expires = %v, want 12h from now", expires)
		}
		got, claims, err := s.Admin(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "root" || claims.AdminID != "root" {
			t.Errorf("Admin(token) = %q, claims %q; want root", got.Username, claims.AdminID)
		}
		if claims.ExpiresAt == nil || !claims.ExpiresAt.Time.Equal(expires.Truncate(time.Second)) {
			t.Errorf("token ExpiresAt = %v, want %v", claims.ExpiresAt, expires)
		}
	})

	for name, creds := range map[string][2]string{
		"ErrUnauthorizedWrongPassword": {"root", "correct-horse-batterz"},
		"ErrUnauthorizedEmptyPassword": {"root", ""},
		"ErrUnauthorizedUnknownUser":   {"admin", password},
		"ErrUnauthorizedUserOtherCase": {"Root", password},
	} {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			a, token, _, err := s.LoginAdmin(ctx, creds[0], creds[1], "", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
			if a != nil || token != "" {
				t.Errorf("LoginAdmin = %+v, %q with an error", a, token)
			}
		})
	}

	t.Run("ErrUnauthorizedRevoked", func(t *testing.T) {
		s := setup(t)
		_, token, _, err := s.LoginAdmin(ctx, "root", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		_, second, _, err := s.LoginAdmin(ctx, "root", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		_, claims, err := s.Admin(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, claims); err != nil {
			t.Fatal(err)
		}
		a, _, err := s.Admin(ctx, token)
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgToken)
		if a != nil {
			t.Errorf("Admin(revoked) = %+v", a)
		}
		if _, _, err := s.Admin(ctx, second); err != nil {
			t.Errorf("Admin(second token) = %v, want nil", err)
		}
	})

	// The environment's admin is an owner; a role change or a disable counts
	// from the next request of a token issued before it.
	t.Run("RoleAndDisableOnNextRequest", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s := newServiceOn(t, st)
			if _, err := s.EnsureAdmin(ctx, "root", password); err != nil {
				t.Fatal(err)
			}
			hash, err := s.Hasher.Hash("another-long-password")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateAdmin(ctx, &switchboard.Admin{Username: "ops", PasswordHash: hash, Role: switchboard.RoleOperator}); err != nil {
				t.Fatal(err)
			}
			_, rootToken, _, err := s.LoginAdmin(ctx, "root", password, "", ip)
			if err != nil {
				t.Fatal(err)
			}
			if a, _, err := s.Admin(ctx, rootToken); err != nil || a.Role != switchboard.RoleOwner {
				t.Fatalf("Admin(root) = %+v, %v; want an owner", a, err)
			}
			_, token, _, err := s.LoginAdmin(ctx, "ops", "another-long-password", "", ip)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetAdminRole(ctx, "ops", switchboard.RoleViewer); err != nil {
				t.Fatal(err)
			}
			if a, _, err := s.Admin(ctx, token); err != nil || a.Role != switchboard.RoleViewer {
				t.Fatalf("Admin(ops) after the role change = %+v, %v; want a viewer", a, err)
			}
			if err := st.SetAdminDisabled(ctx, "ops", true); err != nil {
				t.Fatal(err)
			}
			a, _, err := s.Admin(ctx, token)
			checkErr(t, err, switchboard.EUNAUTHORIZED, msgToken)
			if a != nil {
				t.Errorf("Admin(disabled) = %+v", a)
			}
			_, again, _, err := s.LoginAdmin(ctx, "ops", "another-long-password", "", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
			if again != "" {
				t.Errorf("LoginAdmin(disabled) gave a token")
			}
			if err := st.SetAdminDisabled(ctx, "ops", false); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Admin(ctx, token); err != nil {
				t.Errorf("Admin(enabled again) = %v, want nil", err)
			}
		})
	})

	t.Run("ErrForbiddenClientToken", func(t *testing.T) {
		s := setup(t)
		s.createClient(t, "client_a", "john@example.com", "client_secure_secret_key")
		token := s.login(t, "client_a", "client_secure_secret_key")
		a, claims, err := s.Admin(ctx, token)
		checkErr(t, err, switchboard.EFORBIDDEN, msgForbidden)
		if a != nil || claims != nil {
			t.Errorf("Admin(client token) = %+v, %+v with an error", a, claims)
		}
	})

	t.Run("ErrUnauthorizedExpired", func(t *testing.T) {
		s := setup(t)
		s.Now = func() time.Time { return time.Now().Add(-13 * time.Hour) }
		_, token, _, err := s.LoginAdmin(ctx, "root", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = nil
		_, _, err = s.Admin(ctx, token)
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgToken)
	})

	t.Run("ErrUnauthorizedGarbage", func(t *testing.T) {
		s := setup(t)
		_, _, err := s.Admin(ctx, "not-a-token")
		checkErr(t, err, switchboard.EUNAUTHORIZED, msgToken)
	})

	// A username PostgreSQL cannot hold as text is an unknown admin, not an
	// internal error, on every database.
	t.Run("ErrUnauthorizedUnstorableUsername", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s := newServiceOn(t, st)
			if _, err := s.EnsureAdmin(ctx, "root", password); err != nil {
				t.Fatal(err)
			}
			for _, username := range []string{"root\x00", "\x00", "ro\xffot"} {
				_, _, _, err := s.LoginAdmin(ctx, username, password, "", ip)
				checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
			}
		})
	})

	t.Run("ErrThrottled", func(t *testing.T) {
		s := setup(t)
		for range 10 {
			_, _, _, err := s.LoginAdmin(ctx, "root", "guess-guess-guess", "", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
		}
		_, _, _, err := s.LoginAdmin(ctx, "root", password, "", otherIP)
		e := checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
		if e.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v, want > 0", e.RetryAfter)
		}
		// A client with the admin's name is another account.
		s.createClient(t, "root", "root@example.com", "client_secure_secret_key")
		s.login(t, "root", "client_secure_secret_key")
	})
}

func TestService_EnsureAdmin(t *testing.T) {
	ctx := context.Background()

	countAdmins := func(t *testing.T, s testService) int {
		t.Helper()
		n, err := s.store.CountAdmins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	loginOK := func(t *testing.T, s testService, user, password string) {
		t.Helper()
		_, token, _, err := s.LoginAdmin(ctx, user, password, "", ip)
		if err != nil {
			t.Fatalf("LoginAdmin(%q): %v", user, err)
		}
		if _, _, err := s.Admin(ctx, token); err != nil {
			t.Fatalf("Admin(token of %q): %v", user, err)
		}
	}
	loginRefused := func(t *testing.T, s testService, user, password string) {
		t.Helper()
		_, _, _, err := s.LoginAdmin(ctx, user, password, "", otherIP)
		checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
	}

	t.Run("OKGenerated", func(t *testing.T) {
		s := newService(t)
		password, err := s.EnsureAdmin(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(password) {
			t.Errorf("generated password = %q, want 43 URL-safe characters", password)
		}
		a, err := s.store.FindAdminByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if a.PasswordHash == password {
			t.Error("the password is stored in clear")
		}
		loginOK(t, s, "admin", password)

		again, err := s.EnsureAdmin(ctx, "", "")
		if err != nil || again != "" {
			t.Errorf("second EnsureAdmin = %q, %v; want \"\", nil", again, err)
		}
		if got, want := countAdmins(t, s), 1; got != want {
			t.Errorf("admins = %d, want %d", got, want)
		}
		loginOK(t, s, "admin", password)
	})

	t.Run("OKGeneratedWithUsername", func(t *testing.T) {
		s := newService(t)
		password, err := s.EnsureAdmin(ctx, "boss", "")
		if err != nil {
			t.Fatal(err)
		}
		if password == "" {
			t.Fatal("no password generated")
		}
		loginOK(t, s, "boss", password)
		loginRefused(t, s, "admin", password)
	})

	t.Run("OKFromEnv", func(t *testing.T) {
		s := newService(t)
		const first, second = "first-password-1", "second-password-2"
		if got, err := s.EnsureAdmin(ctx, "root", first); err != nil || got != "" {
			t.Fatalf("EnsureAdmin = %q, %v; want \"\", nil", got, err)
		}
		loginOK(t, s, "root", first)

		// Same password again: nothing to do, the hash stays.
		before, err := s.store.FindAdminByUsername(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.EnsureAdmin(ctx, "root", first); err != nil || got != "" {
			t.Fatalf("EnsureAdmin again = %q, %v; want \"\", nil", got, err)
		}
		after, err := s.store.FindAdminByUsername(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		if before.PasswordHash != after.PasswordHash {
			t.Error("EnsureAdmin with the same password rewrote the hash")
		}

		// Another password: the environment wins, and the tokens issued under
		// the old password end.
		_, oldToken, _, err := s.LoginAdmin(ctx, "root", first, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.EnsureAdmin(ctx, "root", second); err != nil || got != "" {
			t.Fatalf("EnsureAdmin with a new password = %q, %v; want \"\", nil", got, err)
		}
		loginRefused(t, s, "root", first)
		loginOK(t, s, "root", second)
		_, _, err = s.Admin(ctx, oldToken)
		checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid token")

		// No environment with an admin present: nothing is created.
		if got, err := s.EnsureAdmin(ctx, "", ""); err != nil || got != "" {
			t.Errorf("EnsureAdmin without env = %q, %v; want \"\", nil", got, err)
		}
		if got, want := countAdmins(t, s), 1; got != want {
			t.Errorf("admins = %d, want %d", got, want)
		}
	})

	// With the settings stored, ADMIN_PASSWORD is applied when it changes,
	// not at every start: a password the admin chose since survives a
	// restart with the same environment, and so do its sessions.
	t.Run("OKOwnChangeSurvivesRestart", func(t *testing.T) {
		s := newService(t)
		s.Settings = s.store
		const first, mine, second = "first-password-1", "my-own-password-2", "second-password-3"
		if _, err := s.EnsureAdmin(ctx, "root", first); err != nil {
			t.Fatal(err)
		}
		_, token, _, err := s.LoginAdmin(ctx, "root", first, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := s.Admin(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		updated, err := s.ChangeAdminPassword(ctx, a, first, mine, ip)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err = s.IssueAdminToken(updated)
		if err != nil {
			t.Fatal(err)
		}

		if _, err := s.EnsureAdmin(ctx, "root", first); err != nil { // a restart
			t.Fatal(err)
		}
		loginOK(t, s, "root", mine)
		loginRefused(t, s, "root", first)
		if _, _, err := s.Admin(ctx, token); err != nil {
			t.Errorf("the session after a restart: %v", err)
		}

		if _, err := s.EnsureAdmin(ctx, "root", second); err != nil { // the operator changed it
			t.Fatal(err)
		}
		loginOK(t, s, "root", second)
		loginRefused(t, s, "root", mine)
		_, _, err = s.Admin(ctx, token)
		checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid token")
	})

	t.Run("OKSecondAdminFromEnv", func(t *testing.T) {
		s := newService(t)
		generated, err := s.EnsureAdmin(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnsureAdmin(ctx, "ops", "ops-password-123"); err != nil {
			t.Fatal(err)
		}
		if got, want := countAdmins(t, s), 2; got != want {
			t.Errorf("admins = %d, want %d", got, want)
		}
		loginOK(t, s, "admin", generated)
		loginOK(t, s, "ops", "ops-password-123")
	})
}

// TestSigner_ParseOneSpelling: a token has exactly one spelling. The last
// base64url character of the signature carries 2 unused bits; lenient
// decoding accepted all four characters that differ only there.
func TestSigner_ParseOneSpelling(t *testing.T) {
	s := newSigner(t, serverSecret)
	token, err := s.Sign(Claims{ClientID: "client_a", Type: TypeClient, Version: 1}, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Parse(token, TypeClient); err != nil {
		t.Fatalf("Parse(token) = %v", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	for i := last &^ 3; i < last&^3+4; i++ { // the characters sharing its 4 high bits
		if i == last {
			continue
		}
		respelled := token[:len(token)-1] + alphabet[i:i+1]
		if _, err := s.Parse(respelled, TypeClient); err == nil {
			t.Errorf("Parse accepted %q, another spelling of the same signature", respelled[len(respelled)-4:])
		}
	}
}
