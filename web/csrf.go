package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
)

const (
	csrfHeader    = "X-CSRF-Token" // sent by htmx, from hx-headers on <body>
	csrfFormField = "_csrf"        // sent by plain forms
	csrfTokenKey  = "csrf.token"   // Locals: the token to put in the page
	csrfHandler   = "csrf.handler" // Locals: for deleting the token at sign-in and sign-out
)

// errCSRF is what a refused unsafe request sees.
var errCSRF = &pageError{
	Status: fiber.StatusForbidden, Title: "This form has expired",
	Message: "The page was open too long or came from another site. Go back, reload the page and try again.",
}

// newCSRF returns Fiber's CSRF middleware, configured for forms that work
// with and without JavaScript: the token is read from the X-CSRF-Token header
// or the _csrf form field, and must match the token cookie and be one the
// storage issued (shared by every instance). The cookie is Secure when the
// request came over TLS: Fiber fixes that flag per middleware, so there is
// one middleware per scheme over the same storage.
func newCSRF(storage fiber.Storage, ttl time.Duration) fiber.Handler {
	config := func(secure bool) csrf.Config {
		return csrf.Config{
			CookieName:        "switchboard_csrf",
			CookiePath:        "/",
			CookieSameSite:    fiber.CookieSameSiteLaxMode,
			CookieHTTPOnly:    true,
			CookieSecure:      secure,
			Expiration:        ttl,
			Storage:           storage,
			Extractor:         csrfFromHeaderOrForm,
			ContextKey:        csrfTokenKey,
			HandlerContextKey: csrfHandler,
			ErrorHandler:      func(*fiber.Ctx, error) error { return errCSRF },
		}
	}
	plain, secure := csrf.New(config(false)), csrf.New(config(true))
	return func(c *fiber.Ctx) error {
		if c.Protocol() == "https" {
			return secure(c)
		}
		return plain(c)
	}
}

func csrfFromHeaderOrForm(c *fiber.Ctx) (string, error) {
	if token := c.Get(csrfHeader); token != "" {
		return token, nil
	}
	if token := c.FormValue(csrfFormField); token != "" {
		return token, nil
	}
	return "", csrf.ErrTokenNotFound
}

// renewCSRF ends the current CSRF token, so that the next page gets a fresh
// one: at sign-in (a token planted before it is worthless after) and at
// sign-out.
func renewCSRF(c *fiber.Ctx) {
	if h, ok := c.Locals(csrfHandler).(*csrf.CSRFHandler); ok {
		_ = h.DeleteToken(c) // no token cookie: nothing to end
	}
}

func csrfToken(c *fiber.Ctx) string {
	token, _ := c.Locals(csrfTokenKey).(string)
	return token
}
