// Package web is the HTML transport: the landing page, the administrators'
// console under /console, the clients' own account pages under /account,
// and the embedded static files. Pages are templ components from package
// views; forms post normally and work without JavaScript, and htmx, when
// present, swaps only the part that changed.
//
// A browser signs in with a session cookie (gorilla/sessions' codecs,
// holding a token of the kind the JSON API issues: an admin token in the
// console, a client token on the account pages; see session.go), and every
// unsafe request carries the CSRF token kept in that session (see csrf.go).
package web

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/calling"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/static"
	"switchboard/views"
)

// pageSize is the number of clients on one page of the list.
const pageSize = 25

// Server holds what the pages need.
type Server struct {
	Auth    *auth.Service
	Clients switchboard.ClientService
	Events  switchboard.EventService
	Log     *slog.Logger
	// Calls stores the calls and the do-not-call lists; Calling places
	// calls (with no Dialer when calling is off).
	Calls   switchboard.CallService
	Calling *calling.Service

	// SessionKeys sign and encrypt session cookies. The first makes new
	// cookies; the others are still accepted, so keys can be rotated.
	SessionKeys [][]byte
	// SessionTTL is how long a browser session lasts (the admin token's
	// lifetime), in the console and on the account pages.
	SessionTTL time.Duration
	// PublicBaseURL is where people reach this server (PUBLIC_BASE_URL),
	// the base of invitation and reset links; empty: the request's.
	PublicBaseURL string
}

// htmlPolicy is the Content-Security-Policy of every page: scripts, styles
// and images only from this origin, nothing inline, no framing. htmx is
// configured (in views.Base) not to inject inline styles or evaluate code.
const htmlPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Register adds the pages to app.
func (s *Server) Register(app *httpserver.App) {
	sessions := newSessionCodec(s.SessionKeys, s.SessionTTL)
	con := newConsole(s, sessions)

	app.Get("/static/*", serveStatic)
	app.Get("/favicon.ico", serveFavicon)
	app.Get("/", pageHeaders, func(c *fiber.Ctx) error { return render(c, fiber.StatusOK, views.Landing()) })
	app.Get("/docs", pageHeaders, handleDocs)

	// Errors (and panics) under /console and /account are answered with
	// HTML pages that link back to the area's home; elsewhere a browser
	// gets an HTML 404, and the rest stays JSON.
	app.HandleErrors("/console", s.htmlErrors(consoleHome))
	app.HandleErrors("/account", s.htmlErrors(accountHome))
	app.HandleErrors("/", notFoundPages(app.WriteJSONError))

	g := app.Group("/console", pageHeaders, con.authenticate)
	g.Get("/login", con.handleLoginPage)
	g.Post("/login", con.handleLogin)
	g.Post("/logout", con.requireSignIn, con.handleLogout)
	g.Use(con.requireMFA) // every console route below, but sign-in and sign-out

	g.Get("/", con.requireSignIn, allow(switchboard.ReadClients), con.handleDashboard)
	g.Get("/activity", con.requireSignIn, allow(switchboard.ReadActivity), con.handleActivity)
	g.Get("/clients", con.requireSignIn, allow(switchboard.ReadClients), con.handleClients)
	g.Get("/clients.csv", con.requireSignIn, allow(switchboard.ReadClients), con.handleClientsCSV)
	g.Get("/clients/new", con.requireSignIn, allow(switchboard.ChangeClients), con.handleNewClient)
	g.Post("/clients", con.requireSignIn, allow(switchboard.ChangeClients), con.handleCreateClient)
	g.Get("/clients/:clientId", con.requireSignIn, allow(switchboard.ReadClients), con.handleClient)
	g.Get("/clients/:clientId/created", con.requireSignIn, allow(switchboard.ChangeClients), con.handleCreated)
	g.Post("/clients/:clientId", con.requireSignIn, allow(switchboard.ChangeClients), con.handleUpdateClient)
	g.Get("/clients/:clientId/status", con.requireSignIn, allow(switchboard.ChangeClients), con.handleConfirmStatus)
	g.Post("/clients/:clientId/status", con.requireSignIn, allow(switchboard.ChangeClients), con.handleSetStatus)
	g.Get("/clients/:clientId/reset-secret", con.requireSignIn, allow(switchboard.ChangeClients), con.handleConfirmReset)
	g.Post("/clients/:clientId/reset-secret", con.requireSignIn, allow(switchboard.ChangeClients), con.handleResetSecret)
	g.Get("/clients/:clientId/delete", con.requireSignIn, allow(switchboard.ChangeClients), con.handleConfirmDelete)
	g.Post("/clients/:clientId/delete", con.requireSignIn, allow(switchboard.ChangeClients), con.handleDeleteClient)
	con.registerCalls(g)
	con.registerTeam(g)
	con.registerSecurity(g)
	g.Use(notFound) // an HTML 404 for the rest of /console

	acc := newAccount(s, sessions)
	a := app.Group("/account", pageHeaders, acc.authenticate)
	a.Get("/login", acc.handleLoginPage)
	a.Post("/login", acc.handleLogin)
	a.Post("/logout", acc.requireSignIn, acc.handleLogout)
	a.Get("/", acc.requireSignIn, acc.handleOverview)
	a.Get("/profile", acc.requireSignIn, acc.handleProfile)
	a.Post("/profile", acc.requireSignIn, acc.handleUpdateProfile)
	a.Get("/api", acc.requireSignIn, acc.handleAPIAccess)
	a.Post("/api/token", acc.requireSignIn, acc.handleIssueToken)
	a.Get("/api/sign-out-everywhere", acc.requireSignIn, acc.handleConfirmSignOutEverywhere)
	a.Post("/api/sign-out-everywhere", acc.requireSignIn, acc.handleSignOutEverywhere)
	a.Get("/secret", acc.requireSignIn, acc.handleSecret)
	a.Post("/secret", acc.requireSignIn, acc.handleRotateSecret)
	a.Get("/secret/changed", acc.requireSignIn, acc.handleSecretChanged)
	acc.registerCalls(a)
	a.Use(notFound)
}

func notFound(*fiber.Ctx) error { return fiber.ErrNotFound }

// pageHeaders replace the API's headers with those of an HTML page: its
// own CSP, no caching (pages show client data and, once, secrets), and a
// same-origin Referer so a form can send the browser back where it was.
func pageHeaders(c *fiber.Ctx) error {
	setPageHeaders(c)
	return c.Next()
}

func setPageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, htmlPolicy)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}

// serveStatic serves an embedded file by its fingerprinted URL. The content
// of a URL never changes, so browsers may keep it for a year.
func serveStatic(c *fiber.Ctx) error {
	body, contentType, ok := static.Lookup(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// serveFavicon answers /favicon.ico, which browsers ask for on their own,
// with the pages' SVG icon, which Chromium and Firefox read by its
// Content-Type at this address too. The address has no fingerprint, so it
// is cached for a day only.
func serveFavicon(c *fiber.Ctx) error {
	body, contentType, _ := static.Lookup(static.Path("favicon.svg"))
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}
