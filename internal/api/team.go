package api

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// The team API: owners invite, list, change and remove admins, and reset
// an admin's password or two-factor sign-in (/admin/admins, ManageTeam); an
// invitee, or an admin whose password was reset, sets its password with the
// link's token (/auth/admin/accept-invite). The store records each change
// in the audit trail, with the owner as actor.

func (s *Server) registerTeam(a, adm fiber.Router) {
	a.Post("/admin/accept-invite", s.handleAcceptInvite)
	team := requireRole(switchboard.ManageTeam)
	adm.Get("/admins", team, s.handleListAdmins)
	adm.Post("/admins", team, s.handleInviteAdmin)
	adm.Put("/admins/:username", team, s.handleUpdateAdmin)
	adm.Delete("/admins/:username", team, s.handleDeleteAdmin)
	adm.Post("/admins/:username/reset-password", team, s.handleResetAdminPassword)
	adm.Delete("/admins/:username/mfa", team, s.handleResetAdminMFA)
}

// adminJSON is an admin as the team API shows it: never a password hash.
type adminJSON struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	Status    string `json:"status"`
	TwoFactor bool   `json:"twoFactor"`
	CreatedAt string `json:"createdAt"`
}

func newAdminJSON(a *switchboard.Admin) adminJSON {
	return adminJSON{Username: a.Username, Role: string(a.Role), Status: a.Status(), TwoFactor: a.TwoFactor,
		CreatedAt: formatTime(a.CreatedAt)}
}

type adminsResponse struct {
	Admins []adminJSON `json:"admins"`
}

type inviteResponse struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	Status    string `json:"status"`
	InviteURL string `json:"inviteUrl"`
}

type resetResponse struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	ResetURL string `json:"resetUrl"`
}

// handleListAdmins handles GET /admin/admins.
func (s *Server) handleListAdmins(c *fiber.Ctx) error {
	admins, err := s.Auth.Admins.ListAdmins(c.UserContext())
	if err != nil {
		return httpserver.Failed("Failed to list admins", err)
	}
	out := adminsResponse{Admins: make([]adminJSON, len(admins))}
	for i, a := range admins {
		out.Admins[i] = newAdminJSON(a)
	}
	return c.JSON(out)
}

// handleInviteAdmin handles POST /admin/admins: the invitation's URL is
// shown this once.
func (s *Server) handleInviteAdmin(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Role == "" {
		return missingFields("Missing required fields", "username", "role")
	}
	token, err := s.Auth.InviteAdmin(c.UserContext(), req.Username, switchboard.Role(req.Role))
	if err != nil {
		return httpserver.Failed("Failed to invite admin", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminInvited, nil, "admin", req.Username)
	return c.Status(fiber.StatusCreated).JSON(inviteResponse{
		Username: req.Username, Role: req.Role, Status: "invited",
		InviteURL: httpserver.InviteURL(c, s.PublicBaseURL, token),
	})
}

// handleUpdateAdmin handles PUT /admin/admins/:username: {"role"} and/or
// {"disabled"}. A disable ends the admin's sessions at its next request.
func (s *Server) handleUpdateAdmin(c *fiber.Ctx) error {
	var req struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Role == nil && req.Disabled == nil {
		return missingFields("Missing required fields", "role", "disabled")
	}
	ctx, username := c.UserContext(), c.Params("username")
	if req.Role != nil {
		if err := s.Auth.Admins.SetAdminRole(ctx, username, switchboard.Role(*req.Role)); err != nil {
			return httpserver.Failed("Failed to update admin", err)
		}
	}
	if req.Disabled != nil {
		if err := s.Auth.Admins.SetAdminDisabled(ctx, username, *req.Disabled); err != nil {
			return httpserver.Failed("Failed to update admin", err)
		}
	}
	a, err := s.Auth.Admins.FindAdminByUsername(ctx, username)
	if err != nil {
		return httpserver.Failed("Failed to update admin", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminUpdated, nil, "admin", username)
	return c.JSON(newAdminJSON(a))
}

// handleDeleteAdmin handles DELETE /admin/admins/:username.
func (s *Server) handleDeleteAdmin(c *fiber.Ctx) error {
	username := c.Params("username")
	if err := s.Auth.Admins.DeleteAdmin(c.UserContext(), username); err != nil {
		return httpserver.Failed("Failed to delete admin", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminDeleted, nil, "admin", username)
	return c.JSON(successResponse{Success: true, Message: "Admin deleted successfully"})
}

// handleResetAdminPassword handles POST /admin/admins/:username/reset-password:
// the admin's password and tokens stop working now; the link to set a new
// one is shown this once.
//
// The admin is read before the reset, not after: once the reset is made,
// its link must reach the owner whatever happens to the admin meanwhile.
func (s *Server) handleResetAdminPassword(c *fiber.Ctx) error {
	ctx, username := c.UserContext(), c.Params("username")
	a, err := s.Auth.Admins.FindAdminByUsername(ctx, username)
	if err != nil {
		return httpserver.Failed("Failed to reset password", err)
	}
	token, err := s.Auth.ResetAdminPassword(ctx, username)
	if err != nil {
		return httpserver.Failed("Failed to reset password", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminPasswordReset, nil, "admin", username)
	a.PasswordHash, a.PasswordReset = "", !a.Invited
	return c.JSON(resetResponse{Username: a.Username, Role: string(a.Role), Status: a.Status(),
		ResetURL: httpserver.InviteURL(c, s.PublicBaseURL, token)})
}

// handleResetAdminMFA handles DELETE /admin/admins/:username/mfa: the admin
// signs in with its password alone from now, and sets two-factor up again.
func (s *Server) handleResetAdminMFA(c *fiber.Ctx) error {
	ctx, username := c.UserContext(), c.Params("username")
	a, err := s.Auth.Admins.FindAdminByUsername(ctx, username) // before, as for a password reset
	if err != nil {
		return httpserver.Failed("Failed to reset two-factor sign-in", err)
	}
	if err := s.Auth.MFA.ResetMFA(ctx, username); err != nil {
		return httpserver.Failed("Failed to reset two-factor sign-in", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminMFAReset, nil, "admin", username)
	a.TwoFactor = false
	return c.JSON(newAdminJSON(a))
}

// handleAcceptInvite handles POST /auth/admin/accept-invite: the invitee
// sets its password; it signs in as usual afterwards.
func (s *Server) handleAcceptInvite(c *fiber.Ctx) error {
	var req struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Token == "" || req.Password == "" {
		return missingFields("Missing required fields", "token", "password")
	}
	a, err := s.Auth.AcceptAdminInvite(c.UserContext(), req.Token, req.Password, httpserver.ClientIP(c))
	if err != nil {
		httpserver.Audit(s.Log, c, httpserver.EventAdminJoined, err)
		return httpserver.Failed("Failed to accept invitation", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventAdminJoined, nil, "admin", a.Username)
	out := struct {
		Success  bool   `json:"success"`
		Message  string `json:"message"`
		Username string `json:"username"`
	}{true, "Invitation accepted; sign in with your password", a.Username}
	return c.JSON(out)
}
