package api

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
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
