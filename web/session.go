package web

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// sessionCodec turns session values into cookie values and back with
// gorilla/sessions' securecookie codecs: signed (HMAC-SHA256) and encrypted
// (AES-256), so the token a session holds can be neither read nor forged,
// and timestamped, so a cookie older than the session's lifetime is refused.
type sessionCodec struct {
	codecs []securecookie.Codec
	ttl    time.Duration
}

// newSessionCodec derives a hash key and a block key from each of keys; a
// cookie made with any of them is accepted, a new one made with the first.
func newSessionCodec(keys [][]byte, ttl time.Duration) *sessionCodec {
	var pairs [][]byte
	for _, k := range keys {
		pairs = append(pairs, deriveKey(k, "switchboard session hash", 64), deriveKey(k, "switchboard session block", 32))
	}
	store := sessions.NewCookieStore(pairs...)
	store.MaxAge(int(ttl.Seconds()))
	return &sessionCodec{codecs: store.Codecs, ttl: ttl}
}

func deriveKey(secret []byte, purpose string, n int) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, purpose, n)
	if err != nil {
		panic(err) // only for n beyond HKDF's limit, which the callers never ask
	}
	return key
}

// cookieSpec names a session cookie and the paths it is sent to.
type cookieSpec struct {
	Name string
	Path string
}

// read decodes the session cookie into v; false when it is absent, forged,
// expired or made with a key no longer accepted.
func (s *sessionCodec) read(c *fiber.Ctx, spec cookieSpec, v any) bool {
	raw := c.Cookies(spec.Name)
	if raw == "" {
		return false
	}
	return securecookie.DecodeMulti(spec.Name, raw, v, s.codecs...) == nil
}

// write sets the session cookie to v: HttpOnly, SameSite=Lax, and Secure
// when the request came over TLS (directly or through a trusted proxy).
func (s *sessionCodec) write(c *fiber.Ctx, spec cookieSpec, v any) error {
	value, err := securecookie.EncodeMulti(spec.Name, v, s.codecs...)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: spec.Name, Value: value, Path: spec.Path, MaxAge: int(s.ttl.Seconds()),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https",
	})
	return nil
}

// session is what a session cookie holds, in the console and on the account
// pages alike: the token the JSON API would issue to whoever signed in (so
// expiry, revocation and every other rule of tokens end a session exactly as
// they end a token), the session's CSRF token, and a one-time message. A
// visitor who is not signed in has a session too, with no token, so that
// the sign-in form is protected.
type session struct {
	Token string
	CSRF  string
	Flash string
	// FlashWarning marks a Flash that is bad news (the session ended), not
	// the confirmation of something the user did.
	FlashWarning bool
	// Reveal is a new secret (a new client's, or a client's own after a
	// change) on its way from the form's post to the page after the
	// redirect, which shows it once: taken out
	// at the next whole page, whichever it is. The cookie is encrypted, so
	// the secret never travels in the clear, nor ever in a URL.
	Reveal *reveal
}

// reveal is a secret to show once, and whose it is.
type reveal struct {
	ClientID, Secret string
}

// area is a part of the site that people sign in to: /console for
// administrators, /account for clients. Each has its own cookie, scoped to
// its path, and its own kind of token, so a session of one never opens the
// other.
type area struct {
	sessions *sessionCodec
	cookie   cookieSpec // its Path is the area's home page
	// signIn checks the session's token; when it holds, it records who is
	// signed in (in c's locals, the actor of c's context and page). An
	// EUNAUTHORIZED or EFORBIDDEN error ends the session, with ended(err) as
	// the message the sign-in page shows.
	signIn func(c *fiber.Ctx, token string, page *views.Page) error
	ended  func(err error) string
}

type localKey int

const (
	claimsKey  localKey = iota // *auth.Claims of the signed-in session's token
	adminKey                   // *switchboard.Admin, in the console
	clientKey                  // *switchboard.Client, on the account pages
	sessionKey                 // *session
	revealKey                  // *reveal taken out of the session for this page
)

func (a *area) loginPath() string { return a.cookie.Path + "/login" }

// authenticate reads the session (starting one when there is none), refuses
// an unsafe request without the session's CSRF token, signs in whoever the
// session's token belongs to, and puts what the layouts need into the
// context. It never refuses a GET: requireSignIn does. A session whose token
// no longer works keeps its CSRF token and gets a message saying why it ended.
func (a *area) authenticate(c *fiber.Ctx) error {
	var sess session
	changed := false
	if !a.sessions.read(c, a.cookie, &sess) || sess.CSRF == "" {
		sess = session{CSRF: newCSRFToken()}
		changed = true
	}
	if err := checkCSRF(c, sess.CSRF); err != nil {
		return err
	}
	page := views.Page{CSRF: sess.CSRF, Path: c.Path()}
	if sess.Token != "" {
		err := a.signIn(c, sess.Token, &page)
		switch switchboard.ErrorCode(err) {
		case "":
		case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
			sess.Token, sess.Flash, sess.FlashWarning = "", a.ended(err), true
			changed = true
		default:
			return err
		}
	}
	// A flash is shown once, on the next whole page that can show it: a
	// signed-out visitor is on its way to the sign-in page.
	if sess.Flash != "" && c.Method() == fiber.MethodGet && !isHTMX(c) &&
		(signedIn(c) || c.Path() == a.loginPath()) {
		page.Flash, page.FlashWarning = sess.Flash, sess.FlashWarning
		sess.Flash, sess.FlashWarning = "", false
		changed = true
	}
	// A secret to reveal goes with the next whole page, shown there or not.
	if sess.Reveal != nil && c.Method() == fiber.MethodGet && !isHTMX(c) {
		if signedIn(c) {
			c.Locals(revealKey, sess.Reveal)
		}
		sess.Reveal = nil
		changed = true
	}
	if changed {
		if err := a.sessions.write(c, a.cookie, sess); err != nil {
			return err
		}
	}
	c.Locals(sessionKey, &sess)
	c.SetUserContext(views.WithPage(c.UserContext(), page))
	return c.Next()
}

// signedIn reports whether the request's session belongs to someone.
func signedIn(c *fiber.Ctx) bool { return currentClaims(c) != nil }

func currentClaims(c *fiber.Ctx) *auth.Claims {
	claims, _ := c.Locals(claimsKey).(*auth.Claims)
	return claims
}

// requireSignIn sends a browser that is not signed in to the sign-in page,
// which brings it back here afterwards.
func (a *area) requireSignIn(c *fiber.Ctx) error {
	if signedIn(c) {
		return c.Next()
	}
	next := a.cookie.Path
	if c.Method() == fiber.MethodGet && !isHTMX(c) {
		next = c.OriginalURL()
	}
	return redirect(c, a.loginPath()+"?next="+url.QueryEscape(next))
}

// nextPath is where to go after signing in: the page asked for, if it is in
// this area, else the area's home.
func (a *area) nextPath(next string) string {
	return localPath(next, a.cookie.Path, a.cookie.Path)
}

// start begins a signed-in session holding token, with a new CSRF token:
// nothing learnt before sign-in is worth anything after.
func (a *area) start(c *fiber.Ctx, token string) error {
	return a.sessions.write(c, a.cookie, session{Token: token, CSRF: newCSRFToken()})
}

// end replaces the session with a signed-out one, with a new CSRF token and
// flash for the sign-in page.
func (a *area) end(c *fiber.Ctx, flash string) error {
	return a.sessions.write(c, a.cookie, session{CSRF: newCSRFToken(), Flash: flash})
}

// setFlash keeps msg for the next page this browser loads.
func (a *area) setFlash(c *fiber.Ctx, msg string) error {
	sess := *c.Locals(sessionKey).(*session)
	sess.Flash = msg
	return a.sessions.write(c, a.cookie, sess)
}

// setReveal keeps a secret for the next page this browser loads, which
// may show it (takeReveal).
func (a *area) setReveal(c *fiber.Ctx, r *reveal) error {
	return a.update(c, func(s *session) { s.Reveal = r })
}

// update changes the session with change and writes it, keeping the
// request's copy current so that later changes build on this one.
func (a *area) update(c *fiber.Ctx, change func(*session)) error {
	sess := *c.Locals(sessionKey).(*session)
	change(&sess)
	c.Locals(sessionKey, &sess)
	return a.sessions.write(c, a.cookie, sess)
}

// takeReveal is the secret the session carried to this page, if any.
func takeReveal(c *fiber.Ctx) *reveal {
	r, _ := c.Locals(revealKey).(*reveal)
	return r
}

// tooManyFailures sets Retry-After on a throttled request's response and
// says how long to wait, for the form: "Too many failed sign-ins. ...".
func tooManyFailures(c *fiber.Ctx, err error, what string) string {
	wait := setRetryAfter(c, err, time.Minute)
	return fmt.Sprintf("Too many failed %s. Try again in %s.", what, minutes(wait.Minutes()))
}

// setRetryAfter sends the wait err carries, or def, as Retry-After, and
// returns it.
func setRetryAfter(c *fiber.Ctx, err error, def time.Duration) time.Duration {
	wait := def
	var e *switchboard.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		wait = e.RetryAfter
	}
	httpserver.SetRetryAfter(c, wait)
	return wait
}

func minutes(m float64) string {
	if n := int(math.Ceil(m)); n > 1 {
		return fmt.Sprintf("%d minutes", n)
	}
	return "a minute"
}
