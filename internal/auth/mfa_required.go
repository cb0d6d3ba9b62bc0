package auth

import (
	"context"

	"switchboard/internal/switchboard"
)

// MsgMFASetupRequired refuses an admin who must set up two-factor sign-in
// before anything else; the JSON API adds "mfaSetupRequired": true.
const MsgMFASetupRequired = "Two-factor sign-in required: set it up with POST /auth/admin/mfa/setup, then /auth/admin/mfa/confirm"

// errRequiredByEnvironment refuses turning the requirement off while
// REQUIRE_ADMIN_MFA=1 keeps it on.
var errRequiredByEnvironment = &switchboard.Error{Code: switchboard.ECONFLICT,
	Message: "Two-factor sign-in is required by the server's configuration (REQUIRE_ADMIN_MFA=1) and cannot be turned off here"}

// MFARequirement is whether the team requires two-factor sign-in of every
// admin, and why.
type MFARequirement struct {
	// Stored is the owners' setting, kept in the database.
	Stored bool
	// ByEnvironment is REQUIRE_ADMIN_MFA=1.
	ByEnvironment bool
}

// Required is the rule in force: either one requires it.
func (r MFARequirement) Required() bool { return r.Stored || r.ByEnvironment }

// AdminMFARequirement reads the requirement as it is now, from the
// database: no instance keeps a copy that another's change would leave
// stale.
func (s *Service) AdminMFARequirement(ctx context.Context) (MFARequirement, error) {
	r := MFARequirement{ByEnvironment: s.RequireAdminMFA}
	if s.Settings == nil {
		return r, nil
	}
	var err error
	r.Stored, err = s.Settings.AdminMFARequired(ctx)
	return r, err
}

// SetAdminMFARequired stores the team's requirement (the store records the
// change in the audit trail with ctx's actor). ECONFLICT for turning it
// off while the environment requires it, which changes nothing.
func (s *Service) SetAdminMFARequired(ctx context.Context, required bool) error {
	if !required && s.RequireAdminMFA {
		return errRequiredByEnvironment
	}
	return s.Settings.SetAdminMFARequired(ctx, required)
}

// MFASetupRequired reports whether admin a, as read for this request,
// must set up two-factor sign-in before anything else: the team requires
// it and a has none enabled (a.TwoFactor). The JSON API and the console
// both ask here, on every request, so they enforce one rule. It costs one
// read of the stored setting, and none with REQUIRE_ADMIN_MFA=1 or for an
// admin with two-factor on.
func (s *Service) MFASetupRequired(ctx context.Context, a *switchboard.Admin) (bool, error) {
	if a.TwoFactor || s.RequireAdminMFA {
		return !a.TwoFactor, nil
	}
	r, err := s.AdminMFARequirement(ctx)
	return err == nil && r.Required(), err
}
