package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"switchboard/internal/switchboard"
)

// InviteTTL is how long an invitation to the team is valid.
const InviteTTL = 48 * time.Hour

// MsgInvalidInvite refuses an unknown, used or expired invitation token.
const MsgInvalidInvite = "Invalid or expired invitation"

// inviteThrottlePrefix names the throttle account of an invitation token:
// each token is its own account, so a guesser is held by its address.
const inviteThrottlePrefix = "invite "

// InviteAdmin adds username to the team with role and no password, and
// returns the invitation's token, shown once (only its SHA-256 is stored:
// the token is 256 random bits, so a fast hash is enough), valid for
// InviteTTL. EINVALID, ECONFLICT.
func (s *Service) InviteAdmin(ctx context.Context, username string, role switchboard.Role) (token string, err error) {
	if !switchboard.ValidUsername(username) {
		return "", switchboard.InvalidField("username", "must be 1 to 64 letters, digits, '.', '_', '-' or '@'")
	}
	if !role.Valid() {
		return "", switchboard.InvalidField("role", "must be owner, operator or viewer")
	}
	token = randomHex(32)
	a := &switchboard.Admin{Username: username, Role: role}
	if err := s.Admins.InviteAdmin(ctx, a, inviteHash(token), s.now().Add(InviteTTL)); err != nil {
		return "", err
	}
	return token, nil
}

// ResetAdminPassword takes the admin's password away and returns the token
// of a link, shown once and valid for InviteTTL, with which the admin sets
// a new one (AcceptAdminInvite, as an invitation). From now the old
// password and every token of the admin are refused; its two-factor
// sign-in stays, so the link alone does not sign anyone in. ENOTFOUND;
// ECONFLICT for the last enabled owner.
func (s *Service) ResetAdminPassword(ctx context.Context, username string) (token string, err error) {
	token = randomHex(32)
	if err := s.Admins.ResetAdminPassword(ctx, username, inviteHash(token), s.now().Add(InviteTTL)); err != nil {
		return "", err
	}
	return token, nil
}

func inviteHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AcceptAdminInvite sets the password of the admin invited with token (or
// whose password was reset with it) and returns the admin, who may sign in from now. EINVALID for a password
// shorter than switchboard.MinAdminPasswordLength; EUNAUTHORIZED for an
// unknown, used or expired token, under the sign-ins' throttle by address
// (ETHROTTLED).
func (s *Service) AcceptAdminInvite(ctx context.Context, token, password, ip string) (*switchboard.Admin, error) {
	if err := validAdminPassword("password", password); err != nil {
		return nil, err
	}
	at, err := s.Throttle.begin(ctx, inviteThrottlePrefix+token, ip)
	if err != nil {
		return nil, err
	}
	if err := at.take(ctx); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	a, err := s.Admins.AcceptAdminInvite(ctx, inviteHash(token), hash, s.now())
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil, at.refuse(ctx, unauthorized(MsgInvalidInvite))
	} else if err != nil {
		return nil, err
	}
	return a, at.succeeded(ctx)
}

// validAdminPassword checks a password an admin chooses, as the form's
// field: at least switchboard.MinAdminPasswordLength characters, at most
// switchboard.MaxSecretLength bytes. EINVALID.
func validAdminPassword(field, password string) error {
	if utf8.RuneCountInString(password) < switchboard.MinAdminPasswordLength {
		return switchboard.InvalidField(field, fmt.Sprintf("must be at least %d characters", switchboard.MinAdminPasswordLength))
	} else if len(password) > switchboard.MaxSecretLength {
		// bcrypt reads no further (see Hasher.Matches).
		return switchboard.InvalidField(field, fmt.Sprintf("must be at most %d bytes", switchboard.MaxSecretLength))
	}
	return nil
}
