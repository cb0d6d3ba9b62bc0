package httpserver

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// InvitePath is where the console lets an invited admin, or one whose
// password an owner reset, choose a password; the link is it plus the
// token.
const InvitePath = "/console/invite/"

// PublicBaseURL is the base of the links the service hands out to be
// opened elsewhere: publicBase (PUBLIC_BASE_URL) when set, else the scheme
// and host the request came in by. The JSON API and the console both ask
// here, so an invitation's link is the same whichever made it.
//
// Fiber's BaseURL believes X-Forwarded-Host and -Proto from any peer
// unless TRUSTED_PROXIES is set (then from those alone); without it the
// connection's own scheme and Host header are read, so a forged header
// cannot point a link that holds a secret at the sender's host.
func PublicBaseURL(c *fiber.Ctx, publicBase string) string {
	if publicBase != "" {
		return strings.TrimSuffix(publicBase, "/")
	} else if c.App().Config().EnableTrustedProxyCheck {
		return c.BaseURL()
	}
	scheme := "http"
	if c.Context().IsTLS() {
		scheme = "https"
	}
	return scheme + "://" + string(c.Request().Host())
}

// InviteURL is the link of an invitation or a password reset with token.
func InviteURL(c *fiber.Ctx, publicBase, token string) string {
	return PublicBaseURL(c, publicBase) + InvitePath + token
}
