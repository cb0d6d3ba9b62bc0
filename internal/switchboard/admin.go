package switchboard

import (
	"context"
	"time"
)

// Admin is an administrator of the service. Admins sign in with a username
// and password; PasswordHash is never serialized.
type Admin struct {
	Username     string
	PasswordHash string
	// TokenVersion is carried by the admin's tokens; a password change raises
	// it, which ends them.
	TokenVersion int64
	CreatedAt    time.Time
}

// AdminService stores administrators.
type AdminService interface {
	// FindAdminByUsername returns the admin, or ENOTFOUND.
	FindAdminByUsername(ctx context.Context, username string) (*Admin, error)
	// CountAdmins returns how many admins exist.
	CountAdmins(ctx context.Context) (int, error)
	// CreateAdmin stores a. ECONFLICT when the username is taken.
	CreateAdmin(ctx context.Context, a *Admin) error
	// SetAdminPasswordHash replaces the admin's password hash and raises its
	// TokenVersion, ending every token issued before. ENOTFOUND.
	SetAdminPasswordHash(ctx context.Context, username, hash string) error
}

// RevokedToken names a token that was ended before its time by a logout or a
// refresh. ExpiresAt is zero for tokens that never expire; ClientID is empty
// for admin tokens.
type RevokedToken struct {
	ID        string // the token's jti
	ClientID  string
	ExpiresAt time.Time
}

// MaxRevokedTokens is the most revocations of unexpired tokens one client
// can have stored. Tokens need not expire, and neither do their
// revocations, so without a cap a client could grow the table without end
// by refreshing or logging out in a loop.
const MaxRevokedTokens = 1000

// TokenService remembers revoked tokens.
type TokenService interface {
	// RevokeToken records t; revoking a token twice is not an error. When t's
	// client already has MaxRevokedTokens revocations of unexpired tokens, it
	// ends every token of the client at once instead, by raising its
	// TokenVersion (and forgetting those revocations, which the new version
	// makes needless), and reports ended.
	RevokeToken(ctx context.Context, t RevokedToken) (ended bool, err error)
	// IsTokenRevoked reports whether the token with this jti was revoked.
	IsTokenRevoked(ctx context.Context, id string) (bool, error)
}
