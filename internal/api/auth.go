package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
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
		return &httpError{Status: fiber.StatusUnauthorized,
			Body: errorBody{Error: "Unauthorized", Message: switchboard.ErrorMessage(err)}}
	case switchboard.EFORBIDDEN:
		return &httpError{Status: fiber.StatusForbidden,
			Body: errorBody{Error: "Forbidden", Message: switchboard.ErrorMessage(err)}}
	}
	return failed("Authentication failed", err)
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
	ctx, cancel := requestContext(c)
	defer cancel()
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
	ctx, cancel := requestContext(c)
	defer cancel()
	admin, claims, err := s.Auth.Admin(ctx, token)
	if err != nil {
		return authFailed(err)
	}
	c.Locals(adminKey, admin)
	c.Locals(claimsKey, claims)
	c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.AdminActor(admin.Username)))
	return c.Next()
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
		return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{
			Error: "Missing required fields", RequiredFields: []string{"clientId", "clientSecret"},
		}}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	client, token, err := s.Auth.LoginClient(ctx, req.ClientID, req.ClientSecret, c.IP())
	s.audit(c, "client sign-in", err, "client_id", loggableID(req.ClientID))
	if err != nil {
		return failed("Login failed", err)
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
		return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{Error: "Token is required"}}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	client, claims, err := s.Auth.Client(ctx, req.Token)
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		return c.JSON(fiber.Map{"valid": false, "error": switchboard.ErrorMessage(err)})
	case switchboard.EFORBIDDEN:
		return c.JSON(fiber.Map{"valid": false, "error": auth.MsgInvalidToken})
	default:
		return failed("Token verification failed", err)
	}
	var expiresAt any // null: tokens do not expire unless TOKEN_TTL is set
	if claims.ExpiresAt != nil {
		expiresAt = formatTime(claims.ExpiresAt.Time)
	}
	return c.JSON(fiber.Map{"valid": true, "clientId": client.ID, "expiresAt": expiresAt})
}

// handleRefresh handles POST /auth/refresh: a new token for the one presented,
// which stops working. Its errors are flat, as in the original API.
func (s *Server) handleRefresh(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return &httpError{Status: fiber.StatusUnauthorized, Body: errorBody{Error: "No token provided"}}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	client, claims, err := s.Auth.Client(ctx, token)
	if err != nil {
		return failed("Failed to refresh token", err)
	}
	fresh, err := s.Auth.RefreshClientToken(ctx, client, claims)
	if err != nil {
		return failed("Failed to refresh token", err)
	}
	return c.JSON(fiber.Map{"success": true, "token": fresh, "clientId": client.ID})
}

// handleValidate handles GET /auth/validate.
func (s *Server) handleValidate(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"valid": true, "clientId": currentClient(c).ID})
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
		return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{
			Error: "Both current and new secrets are required", RequiredFields: []string{"currentSecret", "newSecret"},
		}}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	updated, err := s.Auth.ChangeClientSecret(ctx, currentClient(c), req.CurrentSecret, req.NewSecret, c.IP())
	s.audit(c, "client secret change", err, "client_id", currentClient(c).ID)
	if err != nil {
		return failed("Failed to change client secret", err)
	}
	token, err := s.Auth.IssueClientToken(updated)
	if err != nil {
		return failed("Failed to change client secret", err)
	}
	return c.JSON(fiber.Map{"success": true, "message": "Client secret changed successfully", "token": token})
}

// handleLogout handles POST /auth/logout: the presented token stops working;
// the client's other tokens do not.
func (s *Server) handleLogout(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.Auth.RevokeToken(ctx, currentClaims(c)); err != nil {
		return failed("Failed to log out", err)
	}
	return c.JSON(fiber.Map{"success": true, "message": "Logged out successfully"})
}

// handleAdminLogin handles POST /auth/admin/login.
func (s *Server) handleAdminLogin(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{
			Error: "Missing required fields", RequiredFields: []string{"username", "password"},
		}}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	admin, token, expires, err := s.Auth.LoginAdmin(ctx, req.Username, req.Password, c.IP())
	if err != nil {
		// No username: a failed one may be a password typed in the wrong field.
		s.audit(c, "admin sign-in", err)
		return failed("Login failed", err)
	}
	s.audit(c, "admin sign-in", nil, "admin", admin.Username)
	return c.JSON(fiber.Map{
		"success": true, "token": token, "admin": fiber.Map{"username": admin.Username},
		"expiresAt": formatTime(expires),
	})
}

// handleAdminLogout handles POST /auth/admin/logout: the presented admin
// token stops working.
func (s *Server) handleAdminLogout(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.Auth.RevokeToken(ctx, currentClaims(c)); err != nil {
		return failed("Failed to log out", err)
	}
	return c.JSON(fiber.Map{"success": true, "message": "Admin logged out successfully"})
}
