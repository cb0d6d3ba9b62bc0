package web

import (
	"bytes"
	"encoding/base64"
	"image/png"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// The admin's own Security page: two-factor sign-in set up with the same
// auth service as /auth/admin/mfa/setup and /confirm. The secret and the
// recovery codes are shown on the answer to the form's post, this once,
// and never travel in a URL or a cookie.

func (con *console) registerSecurity(g fiber.Router) {
	g.Get("/security", con.requireSignIn, con.handleSecurity)
	g.Post("/security/setup", con.requireSignIn, con.handleSetupMFA)
	g.Post("/security/confirm", con.requireSignIn, con.handleConfirmMFA)
	// Every role changes its own password, as over the JSON API.
	g.Post("/security/password", con.requireSignIn, con.handleChangePassword)
	g.Post("/security/team", con.requireSignIn, allow(switchboard.ManageTeam), con.handleRequireMFA)
}

// mfaSetUpPaths are the pages an admin who must set up two-factor sign-in
// may still use: the Security page, its set-up forms and its own password
// (as POST /auth/admin/change-password is open to it), by their exact
// paths, so the team's own form (which could lift the requirement) is not
// among them.
var mfaSetUpPaths = map[string]bool{
	"/console/security": true, "/console/security/setup": true, "/console/security/confirm": true,
	"/console/security/password": true,
}

// requireMFA sends a signed-in admin who must set up two-factor sign-in
// (auth.Service.MFASetupRequired: the JSON API asks the same) to the
// Security page; the pages of mfaSetUpPaths, and those without a sign-in,
// go on.
func (con *console) requireMFA(c *fiber.Ctx) error {
	a := currentAdmin(c)
	if a == nil || mfaSetUpPaths[c.Path()] {
		return c.Next()
	}
	required, err := con.Auth.MFASetupRequired(c.UserContext(), a)
	if err != nil {
		return err
	} else if !required {
		return c.Next()
	}
	return redirect(c, "/console/security")
}

// securityPage renders the page with whether two-factor is on now, and
// whether the team requires it.
func (con *console) securityPage(c *fiber.Ctx, status int, v views.SecurityView) error {
	ctx := c.UserContext()
	st, err := con.Auth.MFA.MFAState(ctx, currentAdmin(c).Username)
	if err != nil {
		return err
	}
	r, err := con.Auth.AdminMFARequirement(ctx)
	if err != nil {
		return err
	}
	v.Enabled, v.Pending = st.Enabled, !st.Enabled && st.Secret != ""
	v.Required, v.RequiredByEnvironment = r.Required(), r.ByEnvironment
	return render(c, status, views.SecurityPage(v))
}

// handleRequireMFA handles POST /console/security/team (owners): the
// team's requirement on ("true") or off ("false"), and back to the page,
// whose flash says what changed.
func (con *console) handleRequireMFA(c *fiber.Ctx) error {
	var required bool
	switch c.FormValue("requireAdminMfa") {
	case "true":
		required = true
	case "false":
	default:
		return con.securityPage(c, fiber.StatusBadRequest, views.SecurityView{Error: "Choose whether to require two-factor sign-in."})
	}
	err := con.Auth.SetAdminMFARequired(c.UserContext(), required)
	if switchboard.ErrorCode(err) == switchboard.ECONFLICT {
		return con.securityPage(c, fiber.StatusConflict, views.SecurityView{Error: teamError(err)})
	} else if err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventSecuritySettings, nil, "require_admin_mfa", required)
	flash := "Two-factor sign-in is now required of every administrator: one without it is sent here to set it up."
	if !required {
		flash = "Two-factor sign-in is no longer required: each administrator chooses."
	}
	if err := con.setFlash(c, flash); err != nil {
		return err
	}
	return redirect(c, "/console/security")
}

// handleSecurity handles GET /console/security.
func (con *console) handleSecurity(c *fiber.Ctx) error {
	return con.securityPage(c, fiber.StatusOK, views.SecurityView{})
}

// handleSetupMFA handles POST /console/security/setup: a new secret, in
// text and as a QR code drawn here (no outside service sees it).
func (con *console) handleSetupMFA(c *fiber.Ctx) error {
	setup, err := con.Auth.SetupMFA(c.UserContext(), currentAdmin(c))
	if switchboard.ErrorCode(err) == switchboard.ECONFLICT {
		return con.securityPage(c, fiber.StatusConflict, views.SecurityView{Error: teamError(err)})
	} else if err != nil {
		return err
	}
	qr, err := qrDataURI(setup.URL)
	if err != nil {
		return err
	}
	return con.securityPage(c, fiber.StatusOK, views.SecurityView{Secret: setup.Secret, QR: qr})
}

// handleConfirmMFA handles POST /console/security/confirm: a right first
// code turns two-factor on and the recovery codes are shown this once.
func (con *console) handleConfirmMFA(c *fiber.Ctx) error {
	a := currentAdmin(c)
	codes, err := con.Auth.ConfirmMFA(c.UserContext(), a, c.FormValue("code"), httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EINVALID:
		return con.securityPage(c, fiber.StatusBadRequest, views.SecurityView{Error: teamError(err)})
	case switchboard.ECONFLICT:
		return con.securityPage(c, fiber.StatusConflict, views.SecurityView{Error: teamError(err)})
	case switchboard.ETHROTTLED:
		return con.securityPage(c, fiber.StatusTooManyRequests, views.SecurityView{Error: tooManyFailures(c, err, "attempts")})
	default:
		return err
	}
	return con.securityPage(c, fiber.StatusOK, views.SecurityView{RecoveryCodes: codes})
}

// msgPasswordChanged is the flash of a password change.
const msgPasswordChanged = "Your password is changed; your other sessions have ended."

// handleChangePassword handles POST /console/security/password: the
// current password is checked (a wrong one counts as a failed sign-in of
// the admin), the new one replaces it, and every earlier token and session
// of the admin ends; this browser goes on with a new token, as at sign-in.
// A refusal comes back on the page, without the passwords typed.
func (con *console) handleChangePassword(c *fiber.Ctx) error {
	a := currentAdmin(c)
	current, next := c.FormValue("currentPassword"), c.FormValue("newPassword")
	refused := func(status int, form views.ClientForm) error {
		return con.securityPage(c, status, views.SecurityView{Password: form})
	}
	form := views.ClientForm{Errors: map[string]string{}}
	if current == "" {
		form.Errors["currentPassword"] = "Enter your current password."
	}
	if next == "" {
		form.Errors["newPassword"] = "Enter a new password."
	}
	if len(form.Errors) > 0 {
		return refused(fiber.StatusBadRequest, form)
	}
	updated, err := con.Auth.ChangeAdminPassword(c.UserContext(), a, current, next, httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		httpserver.Audit(con.Log, c, httpserver.EventPasswordChange, err, "admin", a.Username)
		form.Errors["currentPassword"] = "Your current password is incorrect."
		return refused(fiber.StatusUnauthorized, form)
	case switchboard.ETHROTTLED:
		httpserver.Audit(con.Log, c, httpserver.EventPasswordChange, err, "admin", a.Username)
		form.Error = tooManyFailures(c, err, "attempts")
		return refused(fiber.StatusTooManyRequests, form)
	case switchboard.EUNAVAILABLE:
		httpserver.Audit(con.Log, c, httpserver.EventPasswordChange, err, "admin", a.Username)
		form.Error = busy(c, err)
		return refused(fiber.StatusServiceUnavailable, form)
	case switchboard.ECONFLICT:
		// An owner's reset came first: it stands, and this session ended.
		httpserver.Audit(con.Log, c, httpserver.EventPasswordChange, err, "admin", a.Username)
		form.Error = switchboard.ErrorMessage(err) + "."
		return refused(fiber.StatusConflict, form)
	case switchboard.EINVALID:
		mergeFields(&form, err)
		return refused(fiber.StatusBadRequest, form)
	default:
		return err
	}
	token, _, err := con.Auth.IssueAdminToken(updated)
	if err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventPasswordChange, nil, "admin", a.Username)
	// Post, redirect, get: a reload does not post the old password again,
	// which would now count as a failure.
	if err := con.update(c, func(s *session) { s.Token, s.Flash = token, msgPasswordChanged }); err != nil {
		return err
	}
	return redirect(c, "/console/security")
}

// qrDataURI is the otpauth:// URL as a PNG QR code in a data: URI, which
// the pages' CSP allows for images.
func qrDataURI(otpauthURL string) (string, error) {
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return "", err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
