package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// console serves /console: the administrators' pages.
type console struct {
	*Server
	sessions *sessionCodec
}

// consoleCookie is the console's session cookie. Its path keeps it away from
// every other part of the site, the JSON API and the client pages included.
var consoleCookie = cookieSpec{Name: "switchboard_console", Path: "/console"}

// consoleSession is what the console's cookie holds: the admin token the
// JSON API would issue (so expiry, password changes and sign-out end a
// session exactly as they end a token), the session's CSRF token, and a
// one-time message. A visitor who is not signed in has a session too, with
// no admin token, so that the sign-in form is protected.
type consoleSession struct {
	Token string
	CSRF  string
	Flash string
}

type localKey int

const (
	adminKey localKey = iota
	claimsKey
	sessionKey
)

// authenticate reads the session (starting one when there is none), refuses
// an unsafe request without the session's CSRF token, loads the signed-in
// admin, if any, and puts what the layouts need into the context. It never
// refuses a GET: requireAdmin does. A session whose admin token no longer
// works keeps its CSRF token and a message saying why it ended.
func (con *console) authenticate(c *fiber.Ctx) error {
	var sess consoleSession
	changed := false
	if !con.sessions.read(c, consoleCookie, &sess) || sess.CSRF == "" {
		sess = consoleSession{CSRF: newCSRFToken()}
		changed = true
	}
	if err := checkCSRF(c, sess.CSRF); err != nil {
		return err
	}
	page := views.Page{CSRF: sess.CSRF, Path: c.Path()}
	if sess.Token != "" {
		admin, claims, err := con.Auth.Admin(c.UserContext(), sess.Token)
		switch switchboard.ErrorCode(err) {
		case "":
			c.Locals(adminKey, admin)
			c.Locals(claimsKey, claims)
			page.Admin = admin.Username
			c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.AdminActor(admin.Username)))
		case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
			sess.Token, sess.Flash = "", "Your session has ended. Please sign in again."
			changed = true
		default:
			return err
		}
	}
	// A flash is shown once, on the next whole page that can show it: a
	// signed-out visitor is on its way to the sign-in page.
	if sess.Flash != "" && c.Method() == fiber.MethodGet && !isHTMX(c) &&
		(page.Admin != "" || c.Path() == "/console/login") {
		page.Flash, sess.Flash = sess.Flash, ""
		changed = true
	}
	if changed {
		if err := con.sessions.write(c, consoleCookie, sess); err != nil {
			return err
		}
	}
	c.Locals(sessionKey, &sess)
	c.SetUserContext(views.WithPage(c.UserContext(), page))
	return c.Next()
}

func currentAdmin(c *fiber.Ctx) *switchboard.Admin {
	a, _ := c.Locals(adminKey).(*switchboard.Admin)
	return a
}

// requireAdmin sends a browser that is not signed in to the sign-in page,
// which brings it back here afterwards.
func (con *console) requireAdmin(c *fiber.Ctx) error {
	if currentAdmin(c) != nil {
		return c.Next()
	}
	next := "/console"
	if c.Method() == fiber.MethodGet && !isHTMX(c) {
		next = c.OriginalURL()
	}
	return redirect(c, "/console/login?next="+url.QueryEscape(next))
}

// setFlash keeps msg for the next page this browser loads.
func (con *console) setFlash(c *fiber.Ctx, msg string) error {
	sess := *c.Locals(sessionKey).(*consoleSession)
	sess.Flash = msg
	return con.sessions.write(c, consoleCookie, sess)
}

// handleLoginPage handles GET /console/login.
func (con *console) handleLoginPage(c *fiber.Ctx) error {
	next := localPath(c.Query("next"), "/console", "/console")
	if currentAdmin(c) != nil {
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
		Next:     localPath(c.FormValue("next"), "/console", "/console"),
	}
	admin, token, _, err := con.Auth.LoginAdmin(c.UserContext(), form.Username, c.FormValue("password"), c.IP())
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		con.Log.Warn("console sign-in refused", "ip", c.IP())
		form.Error = "Invalid username or password."
		return render(c, fiber.StatusUnauthorized, views.ConsoleLogin(form))
	case switchboard.ETHROTTLED:
		con.Log.Warn("console sign-in throttled", "ip", c.IP())
		wait := retryAfter(err)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		form.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", minutes(wait.Minutes()))
		return render(c, fiber.StatusTooManyRequests, views.ConsoleLogin(form))
	default:
		return err
	}
	// A new session, with a new CSRF token: nothing learnt before sign-in
	// is worth anything after.
	if err := con.sessions.write(c, consoleCookie, consoleSession{Token: token, CSRF: newCSRFToken()}); err != nil {
		return err
	}
	con.Log.Info("console sign-in", "admin", admin.Username, "ip", c.IP())
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// retryAfter is how long a throttled caller must wait.
func retryAfter(err error) time.Duration {
	var e *switchboard.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	return time.Minute
}

func minutes(m float64) string {
	if n := int(math.Ceil(m)); n > 1 {
		return fmt.Sprintf("%d minutes", n)
	}
	return "a minute"
}

// handleLogout handles POST /console/logout: the session's token is revoked,
// so a copy of the cookie is worthless too.
func (con *console) handleLogout(c *fiber.Ctx) error {
	if err := con.Auth.RevokeToken(c.UserContext(), c.Locals(claimsKey).(*auth.Claims)); err != nil {
		return err
	}
	if err := con.sessions.write(c, consoleCookie, consoleSession{CSRF: newCSRFToken(), Flash: "You are signed out."}); err != nil {
		return err
	}
	con.Log.Info("console sign-out", "admin", currentAdmin(c).Username, "ip", c.IP())
	return redirect(c, "/console/login")
}
