package switchboard

import (
	"context"
	"strings"
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
	// Role is what the admin may do (see Can); read from the store on every
	// request, so a change takes effect at once.
	Role Role
	// Disabled admins can neither sign in nor use a token issued before.
	Disabled bool
	// Invited admins have not accepted their invitation: no password yet.
	Invited bool
	// PasswordReset admins joined, but an owner reset their password: they
	// have none until they set a new one with the reset's link.
	PasswordReset bool
	// TwoFactor is whether the admin's two-factor sign-in is enabled.
	TwoFactor bool
	CreatedAt time.Time
}

// Status is how the team list shows a: "invited", "disabled", "reset" or
// "active", the first that applies.
func (a *Admin) Status() string {
	switch {
	case a.Invited:
		return "invited"
	case a.Disabled:
		return "disabled"
	case a.PasswordReset:
		return "reset"
	}
	return "active"
}

// ValidUsername reports whether s may name an admin: 1 to 64 letters,
// digits, '.', '_', '-' or '@'.
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

// MinAdminPasswordLength is the shortest password an invited admin may set.
const MinAdminPasswordLength = 12

// Role is an admin's level of access.
type Role string

// The roles, from most to least access.
const (
	// RoleOwner may do everything, including managing the team.
	RoleOwner Role = "owner"
	// RoleOperator may read and change clients and calls.
	RoleOperator Role = "operator"
	// RoleViewer may only read clients, calls and activity.
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleOperator || r == RoleViewer
}

// AdminService stores administrators.
type AdminService interface {
	// FindAdminByUsername returns the admin, or ENOTFOUND.
	FindAdminByUsername(ctx context.Context, username string) (*Admin, error)
	// CountAdmins returns how many admins exist.
	CountAdmins(ctx context.Context) (int, error)
	// CreateAdmin stores a; an empty Role stores RoleOwner, what every
	// admin was before roles. ECONFLICT when the username is taken.
	CreateAdmin(ctx context.Context, a *Admin) error
	// SetAdminRole changes the admin's role. ENOTFOUND; ECONFLICT when it
	// would leave no enabled owner.
	SetAdminRole(ctx context.Context, username string, role Role) error
	// SetAdminDisabled disables or enables the admin. ENOTFOUND; ECONFLICT
	// when it would leave no enabled owner.
	SetAdminDisabled(ctx context.Context, username string, disabled bool) error
	// ListAdmins returns every admin, by username.
	ListAdmins(ctx context.Context) ([]*Admin, error)
	// InviteAdmin stores a, without a password, with an invitation: the
	// hash of its token, valid until expires. ECONFLICT when the username
	// is taken.
	InviteAdmin(ctx context.Context, a *Admin, inviteHash string, expires time.Time) error
	// AcceptAdminInvite gives the admin invited with inviteHash (or whose
	// password was reset with it) its password hash and ends the
	// invitation. ENOTFOUND when no invitation has that hash or it expired
	// before now.
	AcceptAdminInvite(ctx context.Context, inviteHash, passwordHash string, now time.Time) (*Admin, error)
	// DeleteAdmin removes the admin. ENOTFOUND; ECONFLICT when it is the
	// last enabled owner.
	DeleteAdmin(ctx context.Context, username string) error
	// SetAdminPasswordHash replaces the admin's password hash, ends a
	// pending invitation or reset, and raises its TokenVersion, ending every
	// token issued before; it records EventAdminPasswordChanged. ENOTFOUND.
	SetAdminPasswordHash(ctx context.Context, username, hash string) error
	// ChangeAdminPasswordHash is SetAdminPasswordHash for the admin's own
	// change, made only while its TokenVersion is still version, the one
	// its current password was checked at: ECONFLICT when an owner's reset,
	// or any other change that ended its tokens, came first.
	ChangeAdminPasswordHash(ctx context.Context, username string, version int64, hash string) error
	// ResetAdminPassword takes another admin's password away and gives it an
	// invitation instead (inviteHash, valid until expires), with which it
	// sets a new one (AcceptAdminInvite), and ends its tokens; its two-factor
	// sign-in stays; it records EventAdminPasswordReset, or EventAdminInvited
	// for an admin still invited, whose invitation it replaces. ENOTFOUND;
	// ECONFLICT when the actor is the admin itself, or it is the last enabled
	// owner.
	ResetAdminPassword(ctx context.Context, username, inviteHash string, expires time.Time) error
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

// Action is something an admin may be allowed to do; Can says who may.
type Action string

// The actions, by what they touch.
const (
	ReadClients   Action = "read clients"
	ReadCalls     Action = "read calls"
	ReadActivity  Action = "read activity"
	ChangeClients Action = "change clients"
	ChangeCalls   Action = "change calls" // place calls, do-not-call lists
	ManageTeam    Action = "manage team"
)

// Can reports whether an admin of role r may do a: viewers read, operators
// also change clients and calls, owners also manage the team. The JSON API
// and the console both ask here, so they cannot disagree; an unknown role
// or action may do nothing.
func Can(r Role, a Action) bool {
	switch a {
	case ReadClients, ReadCalls, ReadActivity:
		return r.Valid()
	case ChangeClients, ChangeCalls:
		return r == RoleOwner || r == RoleOperator
	case ManageTeam:
		return r == RoleOwner
	}
	return false
}
