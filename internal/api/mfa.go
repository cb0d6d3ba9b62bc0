package api

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// registerMFA adds an admin's two-factor set-up to the /auth group a. The
// second factor at sign-in is POST /auth/admin/login's "code".
func (s *Server) registerMFA(a fiber.Router) {
	a.Post("/admin/mfa/setup", s.requireAdmin, s.handleMFASetup)
	a.Post("/admin/mfa/confirm", s.requireAdmin, s.handleMFAConfirm)
}

// Security events of two-factor set-up, for the audit log.
const (
	eventMFASetup   = "two-factor set-up"
	eventMFAEnabled = "two-factor enabled"
)

// errMFASetupRequired is requireMFA's refusal: the client can tell it from
// a role's 403 by mfaSetupRequired, and the message says what to do.
var errMFASetupRequired = &httpserver.JSONError{Status: fiber.StatusForbidden,
	Body: httpserver.ErrorBody{Error: auth.MsgMFASetupRequired, MFASetupRequired: true}}

// requireMFA refuses an admin who must set up two-factor sign-in first
// (auth.Service.MFASetupRequired) before the handler runs, so nothing
// changes. It follows requireAdmin on every /admin route; the set-up
// routes and the sign-out are under /auth, so the admin can comply.
func (s *Server) requireMFA(c *fiber.Ctx) error {
	required, err := s.Auth.MFASetupRequired(c.UserContext(), currentAdmin(c))
	if err != nil {
		return httpserver.Failed("Failed to check two-factor sign-in", err)
	} else if required {
		return errMFASetupRequired
	}
	return c.Next()
}

// registerSecuritySettings adds the team's security settings, for owners.
func (s *Server) registerSecuritySettings(adm fiber.Router) {
	team := requireRole(switchboard.ManageTeam)
	adm.Get("/settings/security", team, s.handleGetSecuritySettings)
	adm.Put("/settings/security", team, s.handlePutSecuritySettings)
}

type securitySettingsJSON struct {
	RequireAdminMFA       bool `json:"requireAdminMfa"`
	RequiredByEnvironment bool `json:"requiredByEnvironment"`
}

// securitySettings answers with the settings as stored now.
func (s *Server) securitySettings(c *fiber.Ctx) error {
	r, err := s.Auth.AdminMFARequirement(c.UserContext())
	if err != nil {
		return httpserver.Failed("Failed to read security settings", err)
	}
	return c.JSON(securitySettingsJSON{RequireAdminMFA: r.Required(), RequiredByEnvironment: r.ByEnvironment})
}

// handleGetSecuritySettings handles GET /admin/settings/security.
func (s *Server) handleGetSecuritySettings(c *fiber.Ctx) error { return s.securitySettings(c) }

// handlePutSecuritySettings handles PUT /admin/settings/security
// {"requireAdminMfa"}.
func (s *Server) handlePutSecuritySettings(c *fiber.Ctx) error {
	var req struct {
		RequireAdminMFA *bool `json:"requireAdminMfa"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.RequireAdminMFA == nil {
		return missingFields("Missing required fields", "requireAdminMfa")
	}
	if err := s.Auth.SetAdminMFARequired(c.UserContext(), *req.RequireAdminMFA); err != nil {
		return httpserver.Failed("Failed to update security settings", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventSecuritySettings, nil, "require_admin_mfa", *req.RequireAdminMFA)
	return s.securitySettings(c)
}

type mfaSetupResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauthUrl"`
}

// handleMFASetup handles POST /auth/admin/mfa/setup: a new TOTP secret for
// the admin's authenticator app, not in force until confirmed.
func (s *Server) handleMFASetup(c *fiber.Ctx) error {
	admin := currentAdmin(c)
	setup, err := s.Auth.SetupMFA(c.UserContext(), admin)
	if err != nil {
		return httpserver.Failed("Failed to set up two-factor sign-in", err)
	}
	httpserver.Audit(s.Log, c, eventMFASetup, nil, "admin", admin.Username)
	return c.JSON(mfaSetupResponse{Secret: setup.Secret, OTPAuthURL: setup.URL})
}

// handleMFAConfirm handles POST /auth/admin/mfa/confirm {"code"}: a first
// code from the app turns two-factor sign-in on, and the recovery codes
// are shown, this once.
func (s *Server) handleMFAConfirm(c *fiber.Ctx) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	admin := currentAdmin(c)
	codes, err := s.Auth.ConfirmMFA(c.UserContext(), admin, req.Code, httpserver.ClientIP(c))
	httpserver.Audit(s.Log, c, eventMFAEnabled, err, "admin", admin.Username)
	if err != nil {
		return httpserver.Failed("Failed to confirm two-factor sign-in", err)
	}
	return c.JSON(fiber.Map{"recoveryCodes": codes})
}
