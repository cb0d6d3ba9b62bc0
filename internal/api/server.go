// Package api is the JSON transport: the auth API (/auth), the admin API
// (/admin) and the client's secure API (/secure), with the request and
// response shapes of README.md's "API" section. Handlers decode, call the
// auth service or the client store, and encode; they return failures as
// *httpserver.JSONError (or domain errors), which the app's error handler
// writes. Register adds the routes to the app package httpserver builds.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/auth"
	"switchboard/internal/calling"
	"switchboard/internal/httpserver"
	"switchboard/internal/openapi"
	"switchboard/internal/switchboard"
)

// Server holds what the handlers need.
type Server struct {
	Auth    *auth.Service
	Clients switchboard.ClientService
	// Calls and Calling serve the calls API; when Calls is nil it is not
	// registered (tests of the accounts alone).
	Calls   switchboard.CallService
	Calling *calling.Service
	// Events serves GET /admin/events; when nil it is not registered.
	Events switchboard.EventService
	// WebhookSecret checks ElevenLabs's post-call webhooks; empty: the
	// webhook answers 503.
	WebhookSecret string
	// Now is the clock of webhook signatures and call limits; nil: time.Now.
	Now func() time.Time
	// Ping reports whether the database answers, for /healthz.
	Ping func(context.Context) error
	// Ready reports why the service cannot serve yet (database unreachable,
	// migrations pending), for /readyz.
	Ready func(context.Context) error
	// PublicBaseURL is where callers reach this server (PUBLIC_BASE_URL),
	// the issuer of the OAuth2 metadata; empty: no metadata is published.
	PublicBaseURL string
	Log           *slog.Logger
}

// Register adds the JSON routes to app.
func (s *Server) Register(app *httpserver.App) {
	// /healthz: the database answers. /readyz: and every migration is
	// applied, so a load balancer sends traffic only then.
	app.Get("/healthz", s.probe("ok", s.Ping))
	app.Get("/readyz", s.probe("ready", s.Ready))
	app.Get("/openapi.json", serveDocument())

	a := app.Group("/auth", noStore)
	a.Post("/login", s.handleLogin)
	a.Post("/verify", s.handleVerify)
	a.Post("/refresh", s.handleRefresh)
	a.Get("/validate", s.requireClient, s.handleValidate)
	a.Post("/change-secret", s.requireClient, s.handleChangeSecret)
	a.Post("/logout", s.requireClient, s.handleLogout)
	a.Post("/admin/login", s.handleAdminLogin)
	a.Post("/admin/logout", s.requireAdmin, s.handleAdminLogout)
	// Under /auth, like the two-factor set-up: open to an admin the team's
	// two-factor requirement holds, and to every role.
	a.Post("/admin/change-password", s.requireAdmin, s.handleAdminChangePassword)
	s.registerMFA(a)

	app.Post(OAuthTokenPath, oauthHeaders, s.handleOAuthToken)
	app.Get(OAuthMetadataPath, s.handleOAuthMetadata)

	// An admin the team requires two-factor sign-in of, without it, is
	// refused every /admin route until it is set up (requireMFA).
	adm := app.Group("/admin", noStore, s.requireAdmin, s.requireMFA)
	// Every /admin route names what it does, for requireRole.
	read, change := requireRole(switchboard.ReadClients), requireRole(switchboard.ChangeClients)
	adm.Get("/clients", read, s.handleListClients)
	adm.Post("/clients", change, s.handleCreateClient)
	adm.Get("/clients/:clientId", read, s.handleGetClient)
	adm.Put("/clients/:clientId", change, s.handleUpdateClient)
	adm.Delete("/clients/:clientId", change, s.handleDeleteClient)
	adm.Post("/clients/:clientId/reset-secret", change, s.handleResetSecret)

	sec := app.Group("/secure", noStore, s.requireClient)
	sec.Get("/client", s.handleGetSecureClient)
	sec.Put("/client", s.handleUpdateSecureClient)

	s.registerTeam(a, adm)
	if s.Events != nil {
		adm.Get("/events", requireRole(switchboard.ReadActivity), s.handleEvents)
	}
	s.registerSecuritySettings(adm)

	if s.Calls != nil {
		s.registerCalls(app, sec, adm)
	}
}

// serveDocument answers GET /openapi.json with the API's OpenAPI document,
// converted to JSON once. The document is embedded and its tests load it,
// so a failure here is a broken build: it stops start-up.
func serveDocument() fiber.Handler {
	doc, err := openapi.JSON()
	if err != nil {
		panic("openapi.yaml: " + err.Error())
	}
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(doc)
	}
}

// noStore keeps tokens, secrets and client records out of caches.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// probe answers a health check: 200 {"status": up} when check passes, 503
// {"status": "unavailable"} (and the reason in the log) when it does not.
func (s *Server) probe(up string, check func(context.Context) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := check(ctx); err != nil {
			s.Log.Warn("probe failed", "path", c.Path(), "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(probeResponse{Status: "unavailable"})
		}
		return c.JSON(probeResponse{Status: up})
	}
}

// loggableID is id if it has the form of a clientId, so that whatever a
// caller typed into the id field (a secret pasted in the wrong box, say) is
// never logged.
func loggableID(id string) string {
	if switchboard.ValidClientID(id) {
		return id
	}
	return "(malformed)"
}

type localKey int

const (
	clientKey localKey = iota
	adminKey
	claimsKey
)
