package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// account serves /account: a client's own pages. The session holds a
// client token, checked on every request as the JSON API checks one, so a
// client that an administrator suspends, deactivates or deletes, or whose
// secret changes, is signed out at its next request.
type account struct {
	*Server
	*area
}

// accountCookie is the account pages' session cookie, apart from the
// console's by name and path.
var accountCookie = cookieSpec{Name: "switchboard_account", Path: "/account"}

// Messages of the account pages.
const (
	msgAccountInactive = "Your account is inactive or suspended, so you have been signed out. " +
		"Contact your administrator to reactivate it."
	msgSessionEnded  = "Your session has ended. Please sign in again."
	msgLoginHint     = "Check your client ID and secret. An account that is Inactive or Suspended cannot sign in until your administrator reactivates it."
	msgLoginRequired = "Enter your client ID and secret."
)

func newAccount(s *Server, sessions *sessionCodec) *account {
	acc := &account{Server: s}
	acc.area = &area{sessions: sessions, cookie: accountCookie, signIn: acc.signIn, ended: func(err error) string {
		if switchboard.ErrorReason(err) == switchboard.ReasonClientInactive {
			return msgAccountInactive
		}
		return msgSessionEnded
	}}
	return acc
}

// signIn accepts a client token (the one the session holds) of an Active
// client.
func (acc *account) signIn(c *fiber.Ctx, token string, page *views.Page) error {
	client, claims, err := acc.Auth.Client(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(clientKey, client)
	c.Locals(claimsKey, claims)
	page.Client = client.ID
	c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.ClientActor(client.ID)))
	return nil
}

func currentClient(c *fiber.Ctx) *switchboard.Client {
	client, _ := c.Locals(clientKey).(*switchboard.Client)
	return client
}

// handleLoginPage handles GET /account/login.
func (acc *account) handleLoginPage(c *fiber.Ctx) error {
	next := acc.nextPath(c.Query("next"))
	if signedIn(c) {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, views.AccountLogin(views.LoginForm{Next: next}))
}

// handleLogin handles POST /account/login. It checks the secret through the
// same service as POST /auth/login, so failed attempts count against the
// same throttle whichever door they come through. The session gets a token
// of its own that expires with the session.
func (acc *account) handleLogin(c *fiber.Ctx) error {
	form := views.LoginForm{
		Username: strings.TrimSpace(c.FormValue("clientId")),
		Next:     acc.nextPath(c.FormValue("next")),
	}
	secret := c.FormValue("clientSecret")
	if form.Username == "" || secret == "" {
		form.Error = msgLoginRequired
		return render(c, fiber.StatusUnprocessableEntity, views.AccountLogin(form))
	}
	client, err := acc.Auth.AuthenticateClient(c.UserContext(), form.Username, secret, httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		httpserver.Audit(acc.Log, c, httpserver.EventSignIn, err)
		form.Error, form.Hint = auth.MsgInvalidClientLogin, msgLoginHint
		return render(c, fiber.StatusUnauthorized, views.AccountLogin(form))
	case switchboard.ETHROTTLED:
		httpserver.Audit(acc.Log, c, httpserver.EventSignIn, err)
		form.Error = tooManyFailures(c, err, "sign-ins")
		return render(c, fiber.StatusTooManyRequests, views.AccountLogin(form))
	case switchboard.EUNAVAILABLE:
		form.Error = busy(c, err)
		return render(c, fiber.StatusServiceUnavailable, views.AccountLogin(form))
	default:
		return err
	}
	token, err := acc.Auth.IssueClientSessionToken(client, acc.SessionTTL)
	if err != nil {
		return err
	}
	if err := acc.start(c, token); err != nil {
		return err
	}
	httpserver.Audit(acc.Log, c, httpserver.EventSignIn, nil, "client_id", client.ID)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// handleLogout handles POST /account/logout: the session's token is revoked,
// so a copy of the cookie is worthless too. The client's API tokens live on.
func (acc *account) handleLogout(c *fiber.Ctx) error {
	if err := acc.Auth.RevokeToken(c.UserContext(), currentClaims(c)); err != nil {
		return err
	}
	if err := acc.end(c, "You are signed out."); err != nil {
		return err
	}
	httpserver.Audit(acc.Log, c, httpserver.EventSignOut, nil, "client_id", currentClient(c).ID)
	return redirect(c, acc.loginPath())
}

// handleOverview handles GET /account.
func (acc *account) handleOverview(c *fiber.Ctx) error {
	stats, err := acc.Calls.CallStats(c.UserContext(), currentClient(c).ID)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.AccountOverview(currentClient(c), views.AccountSummary{Stats: stats}))
}

// handleProfile handles GET /account/profile.
func (acc *account) handleProfile(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.ProfilePage(views.ClientForm{Values: views.ClientFormValues(currentClient(c))}))
}

// handleUpdateProfile handles POST /account/profile: the contact fields, and
// only those, through the store's validation, as PUT /secure/client does.
func (acc *account) handleUpdateProfile(c *fiber.Ctx) error {
	values := formValues(c, views.ProfileFieldsets)
	_, err := acc.Clients.UpdateClient(c.UserContext(), currentClient(c).ID, formUpdate(values))
	if err == nil {
		if err := acc.setFlash(c, "Profile saved."); err != nil {
			return err
		}
		return redirect(c, "/account")
	}
	form := views.ClientForm{Values: values}
	if !formError(&form, err) {
		return err
	}
	if err := acc.addTaken(c.UserContext(), &form, "", values["clientMeta.email"], currentClient(c).ID); err != nil {
		return err
	}
	return render(c, fiber.StatusUnprocessableEntity, views.ProfilePage(form))
}

// apiAccess is the API access page's model, without a token.
func (acc *account) apiAccess(c *fiber.Ctx) views.APIAccess {
	return views.APIAccess{Client: currentClient(c), BaseURL: c.BaseURL(), TokenTTL: acc.Auth.TokenTTL}
}

// handleAPIAccess handles GET /account/api.
func (acc *account) handleAPIAccess(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.APIAccessPage(acc.apiAccess(c)))
}

// handleIssueToken handles POST /account/api/token: a new API token, the
// same as POST /auth/login gives, shown once.
func (acc *account) handleIssueToken(c *fiber.Ctx) error {
	v := acc.apiAccess(c)
	token, err := acc.Auth.IssueClientToken(v.Client)
	if err != nil {
		return err
	}
	v.Token = token
	httpserver.Audit(acc.Log, c, httpserver.EventTokenIssued, nil, "client_id", v.Client.ID)
	if htmxTarget(c) == "token-panel" {
		return render(c, fiber.StatusOK, views.TokenRevealed(v))
	}
	return render(c, fiber.StatusOK, views.APIAccessPage(v))
}

// handleConfirmSignOutEverywhere handles GET /account/api/sign-out-everywhere.
func (acc *account) handleConfirmSignOutEverywhere(c *fiber.Ctx) error {
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.ConfirmSignOutEverywhere())
	}
	return render(c, fiber.StatusOK, views.ConfirmSignOutEverywherePage())
}

// handleSignOutEverywhere handles POST /account/api/sign-out-everywhere:
// every token of the client ends, this session's included.
func (acc *account) handleSignOutEverywhere(c *fiber.Ctx) error {
	client, err := acc.Clients.RevokeClientTokens(c.UserContext(), currentClient(c).ID)
	if err != nil {
		return err
	}
	if err := acc.end(c, "You are signed out everywhere: every API token and browser session of this account has ended."); err != nil {
		return err
	}
	httpserver.Audit(acc.Log, c, httpserver.EventTokensRevoked, nil, "client_id", client.ID)
	return redirect(c, acc.loginPath())
}

// handleSecret handles GET /account/secret.
func (acc *account) handleSecret(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.SecretFormPage(views.ClientForm{}))
}

// handleRotateSecret handles POST /account/secret: the current secret is
// checked (a wrong one counts as a failed sign-in), the new one is the
// client's choice or generated, and it is shown once. Every earlier token
// ends; this session goes on with a new one.
func (acc *account) handleRotateSecret(c *fiber.Ctx) error {
	current, next := c.FormValue("currentSecret"), c.FormValue("newSecret")
	form := views.ClientForm{}
	if current == "" {
		form.Errors = map[string]string{"currentSecret": "Enter your current secret."}
		return render(c, fiber.StatusUnprocessableEntity, views.SecretFormPage(form))
	}
	if next == "" {
		next = auth.GenerateSecret()
	}
	me := currentClient(c)
	updated, err := acc.Auth.ChangeClientSecret(c.UserContext(), me, current, next, httpserver.ClientIP(c))
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED:
		httpserver.Audit(acc.Log, c, httpserver.EventSecretChange, err, "client_id", me.ID)
		form.Errors = map[string]string{"currentSecret": switchboard.ErrorMessage(err) + "."}
		return render(c, fiber.StatusUnprocessableEntity, views.SecretFormPage(form))
	case switchboard.ETHROTTLED:
		httpserver.Audit(acc.Log, c, httpserver.EventSecretChange, err, "client_id", me.ID)
		form.Error = tooManyFailures(c, err, "attempts")
		return render(c, fiber.StatusTooManyRequests, views.SecretFormPage(form))
	case switchboard.EUNAVAILABLE:
		form.Error = busy(c, err)
		return render(c, fiber.StatusServiceUnavailable, views.SecretFormPage(form))
	case switchboard.EINVALID:
		if mergeFields(&form, err); len(form.Errors) == 0 {
			form.Error = switchboard.ErrorMessage(err)
		}
		return render(c, fiber.StatusUnprocessableEntity, views.SecretFormPage(form))
	default:
		return err
	}
	token, err := acc.Auth.IssueClientSessionToken(updated, acc.SessionTTL)
	if err != nil {
		return err
	}
	httpserver.Audit(acc.Log, c, httpserver.EventSecretChange, nil, "client_id", me.ID)
	// Post, redirect, get: the new secret rides once in the session (with
	// the session's new token), so a reload shows the page again without
	// resubmitting the old secret, which would now count as a failure.
	if err := acc.update(c, func(s *session) {
		s.Token, s.Reveal = token, &reveal{ClientID: updated.ID, Secret: next}
	}); err != nil {
		return err
	}
	return redirect(c, "/account/secret/changed")
}

// handleSecretChanged handles GET /account/secret/changed, where a secret
// change leads: the new secret, once. Loaded again it has none to show and
// goes back to the secret page, saying so.
func (acc *account) handleSecretChanged(c *fiber.Ctx) error {
	me := currentClient(c)
	r := takeReveal(c)
	if r == nil || r.ClientID != me.ID {
		if err := acc.setFlash(c, "Your new secret was shown once, when you changed it. Change it again to get a new one."); err != nil {
			return err
		}
		return redirect(c, "/account/secret")
	}
	return render(c, fiber.StatusOK, views.SecretChangedPage(views.SecretView{
		Client: me, Secret: r.Secret, BaseURL: c.BaseURL(), Event: views.SecretChanged,
	}))
}
