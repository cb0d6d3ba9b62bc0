package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(c *fiber.Ctx) (string, bool) {
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// authFailed is the original API's answer to a request whose token is
// missing or refused: {"error":"Unauthorized","message":...}, or 403
// {"error":"Forbidden",...} for the wrong kind of token.
func authFailed(err error) error {
	switch switchboard.ErrorCode(err) {
	case switchboard.EUNAUTHORIZED:
		return &httpserver.JSONError{Status: fiber.StatusUnauthorized,
			Body: httpserver.ErrorBody{Error: "Unauthorized", Message: switchboard.ErrorMessage(err)}}
	case switchboard.EFORBIDDEN:
		return &httpserver.JSONError{Status: fiber.StatusForbidden,
			Body: httpserver.ErrorBody{Error: "Forbidden", Message: switchboard.ErrorMessage(err)}}
	}
	return httpserver.Failed("Authentication failed", err)
}

var errNoToken = &switchboard.Error{Code: switchboard.EUNAUTHORIZED, Message: "No token provided"}

// requireClient lets a request through only with a live client token: valid,
// not revoked, of the client's current secret, and the client Active. The
// request's user context names the client as the actor of what it changes,
// for the audit trail the store writes.
func (s *Server) requireClient(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return authFailed(errNoToken)
	}
	ctx := c.UserContext()
	client, claims, err := s.Auth.Client(ctx, token)
	if err != nil {
		return authFailed(err)
	}
	c.Locals(clientKey, client)
	c.Locals(claimsKey, claims)
	c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.ClientActor(client.ID)))
	return c.Next()
}

// requireAdmin lets a request through only with a live admin token. The
// request's user context names the admin as the actor of what it changes,
// for the audit trail the store writes.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return authFailed(errNoToken)
	}
	ctx := c.UserContext()
	admin, claims, err := s.Auth.Admin(ctx, token)
	if err != nil {
		return authFailed(err)
	}
	c.Locals(adminKey, admin)
	c.Locals(claimsKey, claims)
	c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.AdminActor(admin.Username)))
	return c.Next()
}

// errNotAllowed refuses an admin whose role does not allow the request.
var errNotAllowed = &switchboard.Error{Code: switchboard.EFORBIDDEN, Message: auth.MsgWrongTokenType}

// requireRole lets an admin's request through only when the admin's role
// (as stored now: see auth.Service.Admin) may do action; else 403 before
// the handler runs, so nothing changes. It follows requireAdmin.
func requireRole(action switchboard.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !switchboard.Can(currentAdmin(c).Role, action) {
			return authFailed(errNotAllowed)
		}
		return c.Next()
	}
}

func currentClient(c *fiber.Ctx) *switchboard.Client {
	return c.Locals(clientKey).(*switchboard.Client)
}

func currentClaims(c *fiber.Ctx) *auth.Claims { return c.Locals(claimsKey).(*auth.Claims) }

// handleLogin handles POST /auth/login: a clientId and secret for a token.
func (s *Server) handleLogin(c *fiber.Ctx) error {
	var req struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return missingFields("Missing required fields", "clientId", "clientSecret")
	}
	ctx := c.UserContext()
	client, token, err := s.Auth.LoginClient(ctx, req.ClientID, req.ClientSecret, httpserver.ClientIP(c))
	httpserver.Audit(s.Log, c, httpserver.EventSignIn, err, "client_id", loggableID(req.ClientID))
	if err != nil {
		return httpserver.Failed("Login failed", err)
	}
	return c.JSON(loginResponse{Success: true, Token: token, Client: newLoginClientJSON(client)})
}

// handleVerify handles POST /auth/verify: is the token in the body live?
// Verification outcomes are 200s with "valid", as in the original API.
func (s *Server) handleVerify(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Token == "" {
		return errorOnly(fiber.StatusBadRequest, "Token is required")
	}
	ctx := c.UserContext()
	client, claims, err := s.Auth.Client(ctx, req.Token)
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		return c.JSON(verifyRefusedResponse{Valid: false, Error: switchboard.ErrorMessage(err)})
	case switchboard.EFORBIDDEN:
		return c.JSON(verifyRefusedResponse{Valid: false, Error: auth.MsgInvalidToken})
	default:
		return httpserver.Failed("Token verification failed", err)
	}
	out := verifyResponse{Valid: true, ClientID: client.ID}
	if claims.ExpiresAt != nil {
		at := formatTime(claims.ExpiresAt.Time)
		out.ExpiresAt = &at
	}
	return c.JSON(out)
}

// handleRefresh handles POST /auth/refresh: a new token for the one presented,
// which stops working. Its errors are flat, as in the original API.
func (s *Server) handleRefresh(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return errorOnly(fiber.StatusUnauthorized, "No token provided")
	}
	ctx := c.UserContext()
	client, claims, err := s.Auth.Client(ctx, token)
	if err != nil {
		return httpserver.Failed("Failed to refresh token", err)
	}
	fresh, err := s.Auth.RefreshClientToken(ctx, client, claims)
	if err != nil {
		return httpserver.Failed("Failed to refresh token", err)
	}
	return c.JSON(refreshResponse{Success: true, Token: fresh, ClientID: client.ID})
}

// handleValidate handles GET /auth/validate.
func (s *Server) handleValidate(c *fiber.Ctx) error {
	return c.JSON(validResponse{Valid: true, ClientID: currentClient(c).ID})
}

// handleChangeSecret handles POST /auth/change-secret: the client replaces
// its secret, every earlier token ends, and it gets a fresh one.
func (s *Server) handleChangeSecret(c *fiber.Ctx) error {
	var req struct {
		CurrentSecret string `json:"currentSecret"`
		NewSecret     string `json:"newSecret"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.CurrentSecret == "" || req.NewSecret == "" {
		return missingFields("Both current and new secrets are required", "currentSecret", "newSecret")
	}
	ctx := c.UserContext()
	updated, err := s.Auth.ChangeClientSecret(ctx, currentClient(c), req.CurrentSecret, req.NewSecret, httpserver.ClientIP(c))
	httpserver.Audit(s.Log, c, httpserver.EventSecretChange, err, "client_id", currentClient(c).ID)
	if err != nil {
		return httpserver.Failed("Failed to change client secret", err)
	}
	token, err := s.Auth.IssueClientToken(updated)
	if err != nil {
		return httpserver.Failed("Failed to change client secret", err)
	}
	return c.JSON(changeSecretResponse{Success: true, Message: "Client secret changed successfully", Token: token})
}

// handleLogout handles POST /auth/logout: the presented token stops working;
// the client's other tokens do not.
func (s *Server) handleLogout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := s.Auth.RevokeToken(ctx, currentClaims(c)); err != nil {
		return httpserver.Failed("Failed to log out", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventSignOut, nil, "client_id", currentClient(c).ID)
	return c.JSON(successResponse{Success: true, Message: "Logged out successfully"})
}

// handleAdminLogin handles POST /auth/admin/login.
func (s *Server) handleAdminLogin(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		// Code is the second factor, a TOTP or recovery code, for an admin
		// who has two-factor sign-in enabled.
		Code string `json:"code"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return missingFields("Missing required fields", "username", "password")
	}
	ctx := c.UserContext()
	admin, token, expires, err := s.Auth.LoginAdmin(ctx, req.Username, req.Password, req.Code, httpserver.ClientIP(c))
	if err != nil {
		// No username: a failed one may be a password typed in the wrong field.
		httpserver.Audit(s.Log, c, httpserver.EventSignIn, err)
		je := httpserver.Failed("Login failed", err)
		je.Body.MFARequired = switchboard.ErrorReason(err) == switchboard.ReasonMFARequired
		return je
	}
	httpserver.Audit(s.Log, c, httpserver.EventSignIn, nil, "admin", admin.Username)
	out := adminLoginResponse{Success: true, Token: token, ExpiresAt: formatTime(expires)}
	out.Admin.Username = admin.Username
	return c.JSON(out)
}

// handleAdminLogout handles POST /auth/admin/logout: the presented admin
// token stops working.
func (s *Server) handleAdminLogout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := s.Auth.RevokeToken(ctx, currentClaims(c)); err != nil {
		return httpserver.Failed("Failed to log out", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventSignOut, nil, "admin", currentAdmin(c).Username)
	return c.JSON(successResponse{Success: true, Message: "Admin logged out successfully"})
}

// handleAdminChangePassword handles POST /auth/admin/change-password: the
// admin replaces its password, every earlier token of it ends, and it gets
// a fresh one.
func (s *Server) handleAdminChangePassword(c *fiber.Ctx) error {
	var req struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" || req.NewPassword == "" {
		return missingFields("Missing required fields", "currentPassword", "newPassword")
	}
	admin := currentAdmin(c)
	updated, err := s.Auth.ChangeAdminPassword(c.UserContext(), admin, req.CurrentPassword, req.NewPassword, httpserver.ClientIP(c))
	httpserver.Audit(s.Log, c, httpserver.EventPasswordChange, err, "admin", admin.Username)
	if err != nil {
		return httpserver.Failed("Failed to change password", err)
	}
	token, expires, err := s.Auth.IssueAdminToken(updated)
	if err != nil {
		return httpserver.Failed("Failed to change password", err)
	}
	return c.JSON(adminChangePasswordResponse{Success: true, Message: "Password changed successfully", Token: token, ExpiresAt: formatTime(expires)})
}

func currentAdmin(c *fiber.Ctx) *switchboard.Admin {
	return c.Locals(adminKey).(*switchboard.Admin)
}
