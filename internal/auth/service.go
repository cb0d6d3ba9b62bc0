package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"switchboard/internal/metrics"
	"switchboard/internal/switchboard"
)

// Messages the API shows (README.md, section "API"), the client-account
// document's where it has one.
const (
	MsgInvalidClientLogin   = "Invalid credentials or inactive client"
	MsgInvalidAdminLogin    = "Invalid credentials"
	MsgInvalidToken         = "Invalid token"
	MsgClientInactive       = "Client not found or inactive"
	MsgWrongTokenType       = "Insufficient permissions"
	MsgCurrentSecretWrong   = "Current secret is incorrect"
	MsgCurrentPasswordWrong = "Current password is incorrect"
	MsgTooManyAttempts      = "Too many failed attempts, try again later"
	MsgTooManyRefreshes     = "Too many token refreshes, try again later"
)

const (
	// Throttle accounts are named by kind, so a client and an admin of the
	// same name are two accounts.
	clientThrottlePrefix    = "client "
	adminThrottlePrefix     = "admin "
	generatedClientIDPrefix = "client_"
)

// SecretHasher hashes and checks secrets; *Hasher is the service's.
type SecretHasher interface {
	Hash(secret string) (string, error)
	Matches(hash, secret string) (bool, error)
}

// Service implements sign-in, tokens and secrets on top of the stores.
type Service struct {
	Clients switchboard.ClientService
	Admins  switchboard.AdminService
	Tokens  switchboard.TokenService
	MFA     switchboard.MFAService // admins' two-factor sign-in (mfa.go)
	// Settings holds the team's stored two-factor requirement; nil: only
	// RequireAdminMFA counts.
	Settings switchboard.TeamSettingsService
	Hasher   SecretHasher
	Signer   *Signer
	Throttle *Throttle
	// HashLimit bounds the sign-ins' hash comparisons that run at once; nil
	// bounds nothing.
	HashLimit *HashLimit
	// Metrics counts sign-ins by kind and outcome; nil counts nothing.
	Metrics *metrics.Metrics
	// Log receives what the service does on its own account, such as ending
	// every token of a client past MaxRevokedTokens; nil logs nothing.
	Log *slog.Logger

	// TokenTTL is the lifetime of client tokens; zero means they do not
	// expire, as the client-account document says (README.md, section
	// "Configuration", TOKEN_TTL).
	TokenTTL time.Duration
	// AdminTokenTTL is the lifetime of admin tokens.
	AdminTokenTTL time.Duration
	// RequireAdminMFA (REQUIRE_ADMIN_MFA=1) requires two-factor sign-in of
	// every admin, whatever the stored setting says (see MFARequirement).
	RequireAdminMFA bool
	// Now is the clock; tests may set it.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errClientInactive ends a client's token or session: the client is not
// Active, or no longer exists.
var errClientInactive = &switchboard.Error{
	Code: switchboard.EUNAUTHORIZED, Message: MsgClientInactive, Reason: switchboard.ReasonClientInactive,
}

func unauthorized(msg string) error {
	return &switchboard.Error{Code: switchboard.EUNAUTHORIZED, Message: msg}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// compare is the one way a sign-in's secret or password meets its hash: it
// waits for a turn to hash (EUNAVAILABLE if none comes soon), takes the
// attempt's allowance (ETHROTTLED if it is spent by now: a burst gets no
// further than the allowance), and only then hashes. The allowance comes
// back if the comparison could not run; on a match the caller ends the
// attempt with succeeded, and on a mismatch it stays spent.
func (s *Service) compare(ctx context.Context, a *attempt, hash, secret string) (bool, error) {
	if s.HashLimit != nil {
		start := time.Now()
		err := s.HashLimit.acquire(ctx)
		s.Metrics.HashWait(time.Since(start))
		if err != nil {
			return false, err
		}
	}
	defer s.HashLimit.release()
	if err := a.take(ctx); err != nil {
		return false, err
	}
	ok, err := s.Hasher.Matches(hash, secret)
	if err != nil {
		return false, errors.Join(err, a.giveBack(ctx))
	}
	return ok, nil
}

// CreateClient validates c, generates its clientId when empty and its secret
// when secret is empty (else checks the chosen one), stores it with the
// secret's hash, and returns the secret: the only time it is seen in clear
// besides a reset.
func (s *Service) CreateClient(ctx context.Context, c *switchboard.Client, secret string) (string, error) {
	if c.ID == "" {
		c.ID = generatedClientIDPrefix + randomHex(8)
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return "", err
	}
	if secret == "" {
		secret = GenerateSecret()
	} else if err := switchboard.ValidateSecret("clientSecret", secret); err != nil {
		return "", err
	}
	hash, err := s.Hasher.Hash(secret)
	if err != nil {
		return "", err
	}
	c.SecretHash = hash
	if err := s.Clients.CreateClient(ctx, c); err != nil {
		return "", err
	}
	return secret, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ResetClientSecret gives the client a new generated secret, ends every token
// issued to it, and returns the updated client with the secret. ENOTFOUND.
func (s *Service) ResetClientSecret(ctx context.Context, id string) (*switchboard.Client, string, error) {
	secret := GenerateSecret()
	hash, err := s.Hasher.Hash(secret)
	if err != nil {
		return nil, "", err
	}
	c, err := s.Clients.SetClientSecretHash(ctx, id, hash)
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// LoginClient checks a clientId and secret (see AuthenticateClient) and
// returns the client with a new token.
func (s *Service) LoginClient(ctx context.Context, id, secret, ip string) (*switchboard.Client, string, error) {
	c, err := s.AuthenticateClient(ctx, id, secret, ip)
	if err != nil {
		return nil, "", err
	}
	token, err := s.IssueClientToken(c)
	if err != nil {
		return nil, "", err
	}
	return c, token, nil
}

// AuthenticateClient checks a clientId and secret and returns the client.
// Unknown ids, wrong secrets and clients that are not Active all get the
// same EUNAUTHORIZED after the same hashing time; ETHROTTLED once too many
// attempts failed for the id or the ip (see ThrottlePolicy); EUNAVAILABLE
// when too many sign-ins are hashing at once (see HashLimit). Every door a
// client signs in by (the JSON API, the account pages) comes through here,
// so they share one throttle.
func (s *Service) AuthenticateClient(ctx context.Context, id, secret, ip string) (*switchboard.Client, error) {
	c, err := s.authenticateClient(ctx, id, secret, ip)
	s.Metrics.SignIn(metrics.KindClient, err)
	return c, err
}

func (s *Service) authenticateClient(ctx context.Context, id, secret, ip string) (*switchboard.Client, error) {
	a, err := s.Throttle.begin(ctx, clientThrottlePrefix+id, ip)
	if err != nil {
		return nil, err
	}
	var c *switchboard.Client
	hash := "" // unknown id: compare against the hasher's dummy
	if switchboard.ValidClientID(id) {
		found, err := s.Clients.FindClientByID(ctx, id)
		if err == nil {
			c, hash = found, found.SecretHash
		} else if switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			return nil, err
		}
	}
	ok, err := s.compare(ctx, a, hash, secret)
	if err != nil {
		return nil, err
	}
	if !ok || c.Status != switchboard.StatusActive {
		return nil, a.refuse(ctx, unauthorized(MsgInvalidClientLogin))
	}
	if err := a.succeeded(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// IssueClientToken signs a new API token for c at its current TokenVersion;
// it expires after TokenTTL, or never.
func (s *Service) IssueClientToken(c *switchboard.Client) (string, error) {
	return s.IssueClientSessionToken(c, s.TokenTTL)
}

// IssueClientSessionToken signs a token for c that expires after ttl (zero:
// never). A browser session holds one that ends with the session, so the
// revocation its sign-out writes can be forgotten once it has expired.
func (s *Service) IssueClientSessionToken(c *switchboard.Client, ttl time.Duration) (string, error) {
	claims := Claims{ClientID: c.ID, Type: TypeClient, Version: c.TokenVersion}
	return s.Signer.Sign(claims, s.now(), ttl)
}

// Client returns the client a token belongs to and the token's claims. The
// token must be a valid client token, not revoked, of the client's current
// TokenVersion, and the client must exist and be Active: this is what makes
// a reset, a secret change, a deletion or a suspension end tokens at once.
// EUNAUTHORIZED, or EFORBIDDEN for an admin token.
func (s *Service) Client(ctx context.Context, token string) (*switchboard.Client, *Claims, error) {
	claims, err := s.Signer.Parse(token, TypeClient)
	if errors.Is(err, ErrWrongTokenType) {
		return nil, nil, &switchboard.Error{Code: switchboard.EFORBIDDEN, Message: MsgWrongTokenType}
	} else if err != nil {
		return nil, nil, unauthorized(MsgInvalidToken)
	}
	c, revoked, err := s.Clients.FindTokenClient(ctx, claims.ClientID, claims.ID)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil, nil, errClientInactive
	} else if err != nil {
		return nil, nil, err
	}
	if revoked || claims.Version != c.TokenVersion {
		return nil, nil, unauthorized(MsgInvalidToken)
	}
	if c.Status != switchboard.StatusActive {
		return nil, nil, errClientInactive
	}
	return c, claims, nil
}

// RefreshClientToken revokes the token presented and issues a new one for
// c, so a refresh never leaves two live tokens behind. ETHROTTLED past the
// policy's Refresh rule. When the revocation ended every token of c (see
// RevokeToken), the new token is issued at c's new TokenVersion.
func (s *Service) RefreshClientToken(ctx context.Context, c *switchboard.Client, old *Claims) (string, error) {
	if err := s.Throttle.refresh(ctx, c.ID); err != nil {
		return "", err
	}
	ended, err := s.revoke(ctx, old)
	if err != nil {
		return "", err
	}
	if ended {
		if c, err = s.Clients.FindClientByID(ctx, c.ID); err != nil {
			return "", err
		}
	}
	return s.IssueClientToken(c)
}

// RevokeToken ends one token before its time; the owner's other tokens live
// on, unless the client has switchboard.MaxRevokedTokens revoked already:
// then every token of the client ends at once, which is logged (and
// recorded in the audit trail by the store).
func (s *Service) RevokeToken(ctx context.Context, claims *Claims) error {
	_, err := s.revoke(ctx, claims)
	return err
}

func (s *Service) revoke(ctx context.Context, claims *Claims) (ended bool, err error) {
	t := switchboard.RevokedToken{ID: claims.ID, ClientID: claims.ClientID}
	if claims.ExpiresAt != nil {
		t.ExpiresAt = claims.ExpiresAt.Time
	}
	ended, err = s.Tokens.RevokeToken(ctx, t)
	if ended {
		s.log().Warn("every token of a client ended: too many revoked tokens",
			"client_id", claims.ClientID, "max_revoked_tokens", switchboard.MaxRevokedTokens)
	}
	return ended, err
}

// ChangeClientSecret replaces c's secret after checking the current one,
// ends every earlier token, and returns the updated client, whose new
// TokenVersion the caller's next token needs. A wrong current secret counts
// as a failed sign-in, under the same throttle and hash limit.
func (s *Service) ChangeClientSecret(ctx context.Context, c *switchboard.Client, current, next, ip string) (*switchboard.Client, error) {
	if err := s.checkCurrent(ctx, clientThrottlePrefix+c.ID, ip, c.SecretHash, current, MsgCurrentSecretWrong); err != nil {
		return nil, err
	}
	if err := switchboard.ValidateSecret("newSecret", next); err != nil {
		return nil, err
	}
	if next == current {
		return nil, switchboard.InvalidField("newSecret", "must differ from the current secret")
	}
	hash, err := s.Hasher.Hash(next)
	if err != nil {
		return nil, err
	}
	return s.Clients.SetClientSecretHash(ctx, c.ID, hash)
}

// checkCurrent checks the current secret or password a change is asked
// with against hash, as a sign-in of the throttle's account: a wrong one is
// refused with msg (EUNAUTHORIZED) and counts as a failed sign-in.
func (s *Service) checkCurrent(ctx context.Context, account, ip, hash, current, msg string) error {
	a, err := s.Throttle.begin(ctx, account, ip)
	if err != nil {
		return err
	}
	ok, err := s.compare(ctx, a, hash, current)
	if err != nil {
		return err
	} else if !ok {
		return a.refuse(ctx, unauthorized(msg))
	}
	return a.succeeded(ctx)
}

// LoginAdmin checks an admin's username and password and returns the admin
// with a token that expires after AdminTokenTTL. Same rules as LoginClient.
func (s *Service) LoginAdmin(ctx context.Context, username, password, code, ip string) (*switchboard.Admin, string, time.Time, error) {
	a, token, expires, err := s.loginAdmin(ctx, username, password, code, ip)
	s.Metrics.SignIn(metrics.KindAdmin, err)
	return a, token, expires, err
}

func (s *Service) loginAdmin(ctx context.Context, username, password, code, ip string) (*switchboard.Admin, string, time.Time, error) {
	at, err := s.Throttle.begin(ctx, adminThrottlePrefix+username, ip)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	a, err := s.Admins.FindAdminByUsername(ctx, username)
	hash := ""
	if err == nil {
		hash = a.PasswordHash
	} else if switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
		return nil, "", time.Time{}, err
	}
	ok, err := s.compare(ctx, at, hash, password)
	if err != nil {
		return nil, "", time.Time{}, err
	} else if !ok || a.Disabled {
		// A disabled admin hears what a wrong password hears, after the
		// same hashing time.
		return nil, "", time.Time{}, at.refuse(ctx, unauthorized(MsgInvalidAdminLogin))
	}
	// The second factor, when the admin has one. The password was right, so
	// its unit goes back; but the address is remembered for the account only
	// once the code is right too.
	if err := s.CheckSecondFactor(ctx, a, code, ip); err != nil {
		return nil, "", time.Time{}, errors.Join(err, at.giveBack(ctx))
	}
	if err := at.succeeded(ctx); err != nil {
		return nil, "", time.Time{}, err
	}
	token, expires, err := s.IssueAdminToken(a)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return a, token, expires, nil
}

// IssueAdminToken signs a new token for a at its current TokenVersion, and
// returns when it expires: after AdminTokenTTL.
func (s *Service) IssueAdminToken(a *switchboard.Admin) (string, time.Time, error) {
	issued := s.now()
	token, err := s.Signer.Sign(Claims{AdminID: a.Username, Type: TypeAdmin, Version: a.TokenVersion}, issued, s.AdminTokenTTL)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, issued.Add(s.AdminTokenTTL), nil
}

// ChangeAdminPassword replaces a's password after checking the current
// one, ends every earlier token and session of a, and returns a as stored
// now, whose new TokenVersion the caller's next token needs (IssueAdminToken).
// A wrong current password counts as a failed sign-in of a, under the same
// throttle and hash limit (EUNAUTHORIZED, ETHROTTLED, EUNAVAILABLE); the new
// one must be a valid admin password (see validAdminPassword) unlike the
// current one (EINVALID, field "newPassword"). The store records
// EventAdminPasswordChanged, by the actor ctx names.
func (s *Service) ChangeAdminPassword(ctx context.Context, a *switchboard.Admin, current, next, ip string) (*switchboard.Admin, error) {
	if err := s.checkCurrent(ctx, adminThrottlePrefix+a.Username, ip, a.PasswordHash, current, MsgCurrentPasswordWrong); err != nil {
		return nil, err
	}
	if err := validAdminPassword("newPassword", next); err != nil {
		return nil, err
	}
	if next == current {
		return nil, switchboard.InvalidField("newPassword", "must differ from the current password")
	}
	hash, err := s.Hasher.Hash(next)
	if err != nil {
		return nil, err
	}
	if err := s.Admins.ChangeAdminPasswordHash(ctx, a.Username, a.TokenVersion, hash); err != nil {
		return nil, err
	}
	return s.Admins.FindAdminByUsername(ctx, a.Username)
}

// Admin returns the admin a token belongs to, as stored now (its current
// Role: the token carries none, so a role change counts from the next
// request), and the token's claims. EUNAUTHORIZED for a bad, expired or
// revoked token, a removed or disabled admin, or a token from before the
// admin's last password change; EFORBIDDEN for a client token.
func (s *Service) Admin(ctx context.Context, token string) (*switchboard.Admin, *Claims, error) {
	claims, err := s.Signer.Parse(token, TypeAdmin)
	if errors.Is(err, ErrWrongTokenType) {
		return nil, nil, &switchboard.Error{Code: switchboard.EFORBIDDEN, Message: MsgWrongTokenType}
	} else if err != nil {
		return nil, nil, unauthorized(MsgInvalidToken)
	}
	revoked, err := s.Tokens.IsTokenRevoked(ctx, claims.ID)
	if err != nil {
		return nil, nil, err
	} else if revoked {
		return nil, nil, unauthorized(MsgInvalidToken)
	}
	a, err := s.Admins.FindAdminByUsername(ctx, claims.AdminID)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil, nil, unauthorized(MsgInvalidToken)
	} else if err != nil {
		return nil, nil, err
	}
	if claims.Version != a.TokenVersion || a.Disabled {
		return nil, nil, unauthorized(MsgInvalidToken) // the password changed since, or the admin was disabled
	}
	return a, claims, nil
}

// EnsureAdmin makes sure an admin can sign in when the service starts.
// With a username and password (ADMIN_USERNAME, ADMIN_PASSWORD) it creates
// that admin, or gives it the environment's password when that changed
// since it was last applied: an operator who sets or changes the variable
// can sign in with it, and a password the admin chose since (its own
// change, or an owner's reset) survives restarts with the same
// environment. Without Settings, which remember what was applied, the
// environment's password is set whenever the stored one differs. Without a
// password it creates "admin" with a generated one, returned to be shown
// once, but only when no admin exists at all. The admin it creates is an
// owner.
func (s *Service) EnsureAdmin(ctx context.Context, username, password string) (generated string, err error) {
	fromEnvironment := password != ""
	if !fromEnvironment {
		n, err := s.Admins.CountAdmins(ctx)
		if err != nil || n > 0 {
			return "", err
		}
		if username == "" {
			username = "admin"
		}
		password = GenerateSecret()
		generated = password
	}
	a, err := s.Admins.FindAdminByUsername(ctx, username)
	switch {
	case switchboard.ErrorCode(err) == switchboard.ENOTFOUND:
		hash, err := s.Hasher.Hash(password)
		if err != nil {
			return "", err
		}
		if err := s.Admins.CreateAdmin(ctx, &switchboard.Admin{Username: username, PasswordHash: hash, Role: switchboard.RoleOwner}); err != nil {
			return "", err
		}
		if fromEnvironment {
			return "", s.appliedEnvironmentPassword(ctx, username, hash)
		}
		return generated, nil
	case err != nil:
		return "", err
	}
	if s.Settings != nil {
		applied, err := s.Settings.EnvironmentPassword(ctx, username)
		if err != nil {
			return "", err
		} else if applied != "" {
			if same, err := s.Hasher.Matches(applied, password); err != nil || same {
				return "", err // applied before: what the admin did since stands
			}
		}
	}
	hash := a.PasswordHash
	if ok, err := s.Hasher.Matches(a.PasswordHash, password); err != nil {
		return "", err
	} else if !ok {
		if hash, err = s.Hasher.Hash(password); err != nil {
			return "", err
		}
		if err := s.Admins.SetAdminPasswordHash(ctx, username, hash); err != nil {
			return "", err
		}
	}
	return "", s.appliedEnvironmentPassword(ctx, username, hash)
}

// appliedEnvironmentPassword remembers hash as the password the
// environment gave the admin, when Settings can.
func (s *Service) appliedEnvironmentPassword(ctx context.Context, username, hash string) error {
	if s.Settings == nil {
		return nil
	}
	return s.Settings.SetEnvironmentPassword(ctx, username, hash)
}
