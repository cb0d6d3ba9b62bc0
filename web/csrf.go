package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
)

// CSRF protection is the synchronizer-token pattern: each browser session
// (signed in or not) holds a random token inside its encrypted session
// cookie; every page carries it, and every unsafe request must send it back,
// as the _csrf form field (plain forms) or the X-CSRF-Token header (htmx,
// from hx-headers on <body>). A token is only ever valid with the session
// cookie it was minted for, which no other site can read or forge, so a
// cookie planted by a sibling subdomain or a plain-HTTP hop buys nothing.
// The token changes at sign-in and sign-out.
//
// Fiber's csrf middleware (and gorilla/csrf) keep the token in a cookie of
// their own, not bound to the signed-in session: a planted token cookie and
// its token pass them (TestConsole_CSRFTokenBoundToSession). securecookie
// does the cryptography here; what is left is crypto/rand and a
// constant-time compare.
const (
	csrfHeader    = "X-CSRF-Token"
	csrfFormField = "_csrf"
)

// errCSRF is what a refused unsafe request sees.
var errCSRF = &pageError{
	Status: fiber.StatusForbidden, Title: "This form has expired",
	Message: "The page was open too long or came from another site. Go back, reload the page and try again.",
}

// newCSRFToken returns 256 random bits, URL-safe.
func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeMethod reports whether a request may not change anything, and so
// needs no token.
func safeMethod(method string) bool {
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return true
	}
	return false
}

// checkCSRF refuses an unsafe request that does not carry want.
func checkCSRF(c *fiber.Ctx, want string) error {
	if safeMethod(c.Method()) {
		return nil
	}
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfFormField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}
