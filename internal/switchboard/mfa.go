package switchboard

import "context"

// ReasonMFARequired: an admin's sign-in lacks the two-factor code its admin
// has enabled; the JSON login adds "mfaRequired": true to its 401.
const ReasonMFARequired = "mfa_required"

// MFAState is an admin's two-factor sign-in as stored.
type MFAState struct {
	// Secret is the TOTP key as auth sealed it; empty when none was set up.
	Secret string
	// Enabled is true once the admin confirmed set-up with a first code.
	Enabled bool
	// LastStep is the last TOTP time step accepted (0: none).
	LastStep int64
	// RecoveryCodes is how many unused recovery codes are left.
	RecoveryCodes int
}

// MFAService stores admins' two-factor sign-in. SetMFASecret, EnableMFA
// and MFAState answer ENOTFOUND for a username that names no admin; the
// others do nothing and report false.
type MFAService interface {
	// SetMFASecret stores a new, not yet enabled, sealed secret for the
	// admin, replacing one that was never confirmed. ECONFLICT when
	// two-factor is enabled already: a new secret must not replace a
	// working one behind the admin's back.
	SetMFASecret(ctx context.Context, username, sealed string) error
	// EnableMFA turns on the pending secret, with step, the step of the
	// code that confirmed it, as the last one accepted, and replaces the
	// admin's recovery codes with these hashes, atomically. ECONFLICT when
	// there is no pending secret (none set up, or enabled already).
	EnableMFA(ctx context.Context, username string, step int64, recoveryHashes []string) error
	// DisableMFA forgets the admin's secret and recovery codes.
	DisableMFA(ctx context.Context, username string) error
	// ResetMFA is an owner's DisableMFA of another admin: it also ends the
	// admin's tokens and records the change in the audit trail. ENOTFOUND;
	// ECONFLICT when the admin's two-factor sign-in is not enabled.
	ResetMFA(ctx context.Context, username string) error
	// MFAState returns the admin's state; the zero state when nothing was
	// set up.
	MFAState(ctx context.Context, username string) (*MFAState, error)
	// AcceptTOTPStep records step as the last accepted one and reports true,
	// atomically, only when two-factor is enabled and step is later than
	// the last one accepted: of two sign-ins with one code, one wins.
	AcceptTOTPStep(ctx context.Context, username string, step int64) (bool, error)
	// UseRecoveryCode deletes the admin's recovery code with this hash and
	// reports whether there was one, atomically: each code works once.
	UseRecoveryCode(ctx context.Context, username, hash string) (bool, error)
}

// ReasonMFAInvalid: an admin's two-factor code was wrong or already used.
const ReasonMFAInvalid = "mfa_invalid"

// TeamSettingsService stores what applies to the whole team, in the
// database, so that every instance of the service agrees at once.
type TeamSettingsService interface {
	// AdminMFARequired reports whether the team requires two-factor
	// sign-in of every admin; false until an owner sets it.
	AdminMFARequired(ctx context.Context) (bool, error)
	// SetAdminMFARequired stores whether it does, and records
	// EventTeamMFARequired or EventTeamMFANotRequired, with the actor of
	// ctx, in the same transaction. Storing the value it has records
	// nothing.
	SetAdminMFARequired(ctx context.Context, required bool) error
	// EnvironmentPassword returns the hash of the password the environment
	// (ADMIN_PASSWORD) last gave the admin username, "" when none was
	// recorded; SetEnvironmentPassword records it.
	EnvironmentPassword(ctx context.Context, username string) (string, error)
	SetEnvironmentPassword(ctx context.Context, username, hash string) error
}
