package web

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// console serves /console: the administrators' pages.
type console struct {
	*Server
	*area
}

// consoleCookie is the console's session cookie. Its path keeps it away from
// every other part of the site, the JSON API and the account pages included.
var consoleCookie = cookieSpec{Name: "switchboard_console", Path: "/console"}

func newConsole(s *Server, sessions *sessionCodec) *console {
	con := &console{Server: s}
	con.area = &area{sessions: sessions, cookie: consoleCookie, signIn: con.signIn, ended: func(error) string {
		return "Your session has ended. Please sign in again."
	}}
	return con
}

// signIn accepts an admin token (the one the session holds).
func (con *console) signIn(c *fiber.Ctx, token string, page *views.Page) error {
	admin, claims, err := con.Auth.Admin(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(adminKey, admin)
	c.Locals(claimsKey, claims)
	page.Admin = admin.Username
	page.Role = admin.Role
	c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.AdminActor(admin.Username)))
	return nil
}

// errNotAllowed is what an admin sees who asks for what their role may not
// do: a forged form, or a link kept from a former role.
var errNotAllowed = &pageError{
	Status: fiber.StatusForbidden, Title: "Not allowed",
	Message: "Your role does not allow this. Ask an owner of the team if you need it.",
}

// allow lets a signed-in admin's request through only when the admin's
// role (as stored now) may do action, before the handler runs, so a
// refused request changes nothing. It follows requireSignIn; the JSON API
// asks switchboard.Can the same question.
func allow(action switchboard.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if a := currentAdmin(c); a == nil || !switchboard.Can(a.Role, action) {
			return errNotAllowed
		}
		return c.Next()
	}
}

func currentAdmin(c *fiber.Ctx) *switchboard.Admin {
	a, _ := c.Locals(adminKey).(*switchboard.Admin)
	return a
}

// handleLoginPage handles GET /console/login.
func (con *console) handleLoginPage(c *fiber.Ctx) error {
	next := con.nextPath(c.Query("next"))
	if signedIn(c) {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, views.ConsoleLogin(views.LoginForm{Next: next}))
}

// handleLogin handles POST /console/login. It signs in through the same
// service as POST /auth/admin/login, so failed attempts count against the
// same throttle whichever door they come through.
func (con *console) handleLogin(c *fiber.Ctx) error {
	form := views.LoginForm{
		Username: c.FormValue("username"),
		Next:     con.nextPath(c.FormValue("next")),
	}
	admin, token, _, err := con.Auth.LoginAdmin(c.UserContext(), form.Username, c.FormValue("password"), c.FormValue("code"), httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		httpserver.Audit(con.Log, c, httpserver.EventSignIn, err)
		form.Error = "Invalid username or password."
		switch {
		case switchboard.ErrorReason(err) == switchboard.ReasonMFARequired:
			form.Error = "Enter the code from your authenticator app (or a recovery code) with your password."
		case switchboard.ErrorReason(err) == switchboard.ReasonMFAInvalid:
			form.Error = "Invalid two-factor code."
		}
		return render(c, fiber.StatusUnauthorized, views.ConsoleLogin(form))
	case switchboard.ETHROTTLED:
		httpserver.Audit(con.Log, c, httpserver.EventSignIn, err)
		form.Error = tooManyFailures(c, err, "sign-ins")
		return render(c, fiber.StatusTooManyRequests, views.ConsoleLogin(form))
	case switchboard.EUNAVAILABLE:
		form.Error = busy(c, err)
		return render(c, fiber.StatusServiceUnavailable, views.ConsoleLogin(form))
	default:
		return err
	}
	if err := con.start(c, token); err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventSignIn, nil, "admin", admin.Username)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// handleLogout handles POST /console/logout: the session's token is revoked,
// so a copy of the cookie is worthless too.
func (con *console) handleLogout(c *fiber.Ctx) error {
	if err := con.Auth.RevokeToken(c.UserContext(), currentClaims(c)); err != nil {
		return err
	}
	if err := con.end(c, "You are signed out."); err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventSignOut, nil, "admin", currentAdmin(c).Username)
	return redirect(c, con.loginPath())
}
