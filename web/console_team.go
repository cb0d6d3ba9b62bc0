package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// The Team page (owners: ManageTeam) and the page where an invited admin,
// or one whose password an owner reset, chooses a password (no sign-in: the
// link's token is the key). They go through the same auth service and
// store as /admin/admins and /auth/admin/accept-invite.

func (con *console) registerTeam(g fiber.Router) {
	team := allow(switchboard.ManageTeam)
	g.Get("/team", con.requireSignIn, team, con.handleTeam)
	g.Post("/team", con.requireSignIn, team, con.handleInvite)
	g.Post("/team/:username/role", con.requireSignIn, team, con.handleTeamChange)
	g.Post("/team/:username/disabled", con.requireSignIn, team, con.handleTeamChange)
	g.Post("/team/:username/delete", con.requireSignIn, team, con.handleTeamChange)
	g.Post("/team/:username/reset-mfa", con.requireSignIn, team, con.handleTeamChange)
	g.Post("/team/:username/reset-password", con.requireSignIn, team, con.handleResetPassword)
	g.Get("/invite/:token", con.handleInvitePage)
	g.Post("/invite/:token", con.handleAcceptInvite)
}

func (con *console) teamPage(c *fiber.Ctx, status int, v views.TeamView) error {
	admins, err := con.Auth.Admins.ListAdmins(c.UserContext())
	if err != nil {
		return err
	}
	v.Admins, v.Me = admins, currentAdmin(c).Username
	return render(c, status, views.TeamPage(v))
}

// handleTeam handles GET /console/team.
func (con *console) handleTeam(c *fiber.Ctx) error {
	return con.teamPage(c, fiber.StatusOK, views.TeamView{})
}

// handleInvite handles POST /console/team: the invitation's link is shown
// on the answer, this once.
func (con *console) handleInvite(c *fiber.Ctx) error {
	username, role := c.FormValue("username"), switchboard.Role(c.FormValue("role"))
	token, err := con.Auth.InviteAdmin(c.UserContext(), username, role)
	if err != nil {
		return con.teamRefused(c, err)
	}
	httpserver.Audit(con.Log, c, httpserver.EventAdminInvited, nil, "admin", username)
	return con.teamPage(c, fiber.StatusOK, views.TeamView{
		Invited: &views.Invitation{Username: username, Role: role, URL: httpserver.InviteURL(c, con.PublicBaseURL, token)},
	})
}

// handleResetPassword handles POST /console/team/:username/reset-password:
// the admin's password and sessions stop working now, and the link to set
// a new one is shown on the answer, this once.
func (con *console) handleResetPassword(c *fiber.Ctx) error {
	username := c.Params("username")
	token, err := con.Auth.ResetAdminPassword(c.UserContext(), username)
	if err != nil {
		return con.teamRefused(c, err)
	}
	httpserver.Audit(con.Log, c, httpserver.EventAdminPasswordReset, nil, "admin", username)
	return con.teamPage(c, fiber.StatusOK, views.TeamView{
		Reset: &views.Invitation{Username: username, URL: httpserver.InviteURL(c, con.PublicBaseURL, token)},
	})
}

// handleTeamChange handles the Team page's role, disable/enable, remove
// and two-factor reset forms, which go back to the page.
func (con *console) handleTeamChange(c *fiber.Ctx) error {
	ctx, username := c.UserContext(), c.Params("username")
	var err error
	event, flash := httpserver.EventAdminUpdated, username+" changed."
	switch c.Route().Path {
	case "/console/team/:username/role":
		err = con.Auth.Admins.SetAdminRole(ctx, username, switchboard.Role(c.FormValue("role")))
	case "/console/team/:username/disabled":
		err = con.Auth.Admins.SetAdminDisabled(ctx, username, c.FormValue("disabled") == "true")
	case "/console/team/:username/reset-mfa":
		event, flash = httpserver.EventAdminMFAReset, username+"'s two-factor sign-in is off; they sign in with their password and set it up again."
		err = con.Auth.MFA.ResetMFA(ctx, username)
	default:
		event, flash = httpserver.EventAdminDeleted, username+" removed."
		err = con.Auth.Admins.DeleteAdmin(ctx, username)
	}
	if err != nil {
		return con.teamRefused(c, err)
	}
	httpserver.Audit(con.Log, c, event, nil, "admin", username)
	if err := con.setFlash(c, flash); err != nil {
		return err
	}
	return redirect(c, "/console/team")
}

// teamRefused answers a team change that failed: a refusal the owner can
// act on (a bad value 400, the last owner 409) on the Team page, anything
// else as the error page.
func (con *console) teamRefused(c *fiber.Ctx, err error) error {
	status := fiber.StatusBadRequest
	switch switchboard.ErrorCode(err) {
	case switchboard.ECONFLICT:
		status = fiber.StatusConflict
	case switchboard.EINVALID:
	default:
		return err
	}
	return con.teamPage(c, status, views.TeamView{Error: teamError(err)})
}

// teamError is a refusal as a sentence: "Username must be …".
func teamError(err error) string {
	msg := switchboard.ErrorMessage(err)
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// handleInvitePage handles GET /console/invite/:token.
func (con *console) handleInvitePage(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.InvitePage(views.InviteForm{Token: c.Params("token")}))
}

// handleAcceptInvite handles POST /console/invite/:token: the password is
// set, and the sign-in page says so.
func (con *console) handleAcceptInvite(c *fiber.Ctx) error {
	form := views.InviteForm{Token: c.Params("token")}
	a, err := con.Auth.AcceptAdminInvite(c.UserContext(), form.Token, c.FormValue("password"), httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EINVALID:
		form.Error = teamError(err)
		return render(c, fiber.StatusBadRequest, views.InvitePage(form))
	case switchboard.EUNAUTHORIZED:
		httpserver.Audit(con.Log, c, httpserver.EventAdminJoined, err)
		form.Error = "This invitation is unknown, used or expired. Ask an owner for a new one."
		return render(c, fiber.StatusUnauthorized, views.InvitePage(form))
	case switchboard.ETHROTTLED:
		httpserver.Audit(con.Log, c, httpserver.EventAdminJoined, err)
		form.Error = tooManyFailures(c, err, "attempts")
		return render(c, fiber.StatusTooManyRequests, views.InvitePage(form))
	default:
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventAdminJoined, nil, "admin", a.Username)
	if err := con.setFlash(c, "Your password is set. Sign in as "+a.Username+"."); err != nil {
		return err
	}
	return redirect(c, con.loginPath())
}
