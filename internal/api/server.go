// Package api is the JSON transport: the auth API (/auth), the admin API
// (/admin) and the client's secure API (/secure), with the request and
// response shapes of README.md's "API" section. Handlers decode, call the auth
// service or the client store, and encode; ErrorHandler writes every failure.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"switchboard/internal/auth"
	"switchboard/internal/switchboard"
)

// BodyLimit is the largest request body accepted; larger ones get a 413.
// The largest valid request, a client with full notes, is under 8 KiB.
const BodyLimit = 64 << 10

// requestTimeout bounds the work one request may make the database do.
const requestTimeout = 15 * time.Second

// Server holds what the handlers need.
type Server struct {
	Auth    *auth.Service
	Clients switchboard.ClientService
	// Ping reports whether the database answers, for /healthz.
	Ping func(context.Context) error
	// Ready reports why the service cannot serve yet (database unreachable,
	// migrations pending), for /readyz.
	Ready func(context.Context) error
	Log   *slog.Logger
}

// Options tune the app to where it is deployed.
type Options struct {
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies whose
	// X-Forwarded-For names the client. Without them the peer address is the
	// client's, which behind a proxy would make every caller share one
	// throttling bucket.
	TrustedProxies []string
}

// NewApp returns a Fiber app configured for the service: body limit, timeouts,
// the JSON error handler, panic recovery and request logging. Register adds
// the routes.
func NewApp(log *slog.Logger, opts Options) *fiber.App {
	cfg := fiber.Config{
		AppName:               "switchboard",
		BodyLimit:             BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          ErrorHandler(log),
		DisableStartupMessage: true,
	}
	if len(opts.TrustedProxies) > 0 {
		cfg.EnableTrustedProxyCheck = true
		cfg.TrustedProxies = opts.TrustedProxies
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
		cfg.EnableIPValidation = true // take the first valid address of the header
	}
	app := fiber.New(cfg)
	app.Use(requestLog(log), recover.New(), helmet.New(securityHeaders))
	return app
}

// securityHeaders go on every response. The API serves no HTML, so its
// policy allows nothing to load and no page to frame it; pages added later
// set their own policy.
var securityHeaders = helmet.Config{
	ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
	XFrameOptions:         "DENY",
	ReferrerPolicy:        "no-referrer",
}

// Register adds the JSON routes to app.
func (s *Server) Register(app *fiber.App) {
	// /healthz: the database answers. /readyz: and every migration is
	// applied, so a load balancer sends traffic only then.
	app.Get("/healthz", s.probe("ok", s.Ping))
	app.Get("/readyz", s.probe("ready", s.Ready))

	a := app.Group("/auth", noStore)
	a.Post("/login", s.handleLogin)
	a.Post("/verify", s.handleVerify)
	a.Post("/refresh", s.handleRefresh)
	a.Get("/validate", s.requireClient, s.handleValidate)
	a.Post("/change-secret", s.requireClient, s.handleChangeSecret)
	a.Post("/logout", s.requireClient, s.handleLogout)
	a.Post("/admin/login", s.handleAdminLogin)
	a.Post("/admin/logout", s.requireAdmin, s.handleAdminLogout)

	adm := app.Group("/admin", noStore, s.requireAdmin)
	adm.Get("/clients", s.handleListClients)
	adm.Post("/clients", s.handleCreateClient)
	adm.Get("/clients/:clientId", s.handleGetClient)
	adm.Put("/clients/:clientId", s.handleUpdateClient)
	adm.Delete("/clients/:clientId", s.handleDeleteClient)
	adm.Post("/clients/:clientId/reset-secret", s.handleResetSecret)

	sec := app.Group("/secure", noStore, s.requireClient)
	sec.Get("/client", s.handleGetSecureClient)
	sec.Put("/client", s.handleUpdateSecureClient)
}

// noStore keeps tokens, secrets and client records out of caches.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// requestContext returns the request's context, bounded by requestTimeout.
func requestContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), requestTimeout)
}

// probe answers a health check: 200 {"status": up} when check passes, 503
// {"status": "unavailable"} (and the reason in the log) when it does not.
func (s *Server) probe(up string, check func(context.Context) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := check(ctx); err != nil {
			s.Log.Warn("probe failed", "path", c.Path(), "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
		}
		return c.JSON(fiber.Map{"status": up})
	}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestLog gives each request an id (the caller's X-Request-ID when it is
// sane) and logs one line per request once its status is known. It logs the
// path without the query string, and no header or body: credentials travel
// only in those.
func requestLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		id := c.Get(fiber.HeaderXRequestID)
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Locals(requestIDKey, id)
		c.Set(fiber.HeaderXRequestID, id)
		if err := c.Next(); err != nil {
			if err := c.App().ErrorHandler(c, err); err != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		log.Info("request", "method", c.Method(), "path", c.Path(), "status", c.Response().StatusCode(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id)
		return nil
	}
}

// audit logs a security event (ASVS V7.2): what happened, to which client,
// from which address, by which admin, and whether it was allowed. Callers
// pass identifiers only, never a secret or a token. Events whose error is not
// an authentication outcome are left to the request log and the error handler.
func (s *Server) audit(c *fiber.Ctx, event string, err error, attrs ...any) {
	level, outcome := slog.LevelInfo, "ok"
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
		level, outcome = slog.LevelWarn, "refused"
	case switchboard.ETHROTTLED:
		level, outcome = slog.LevelWarn, "throttled"
	default:
		return
	}
	attrs = append(attrs, "outcome", outcome, "ip", c.IP(), "request_id", requestID(c))
	if a, ok := c.Locals(adminKey).(*switchboard.Admin); ok {
		attrs = append(attrs, "admin", a.Username)
	}
	s.Log.Log(c.UserContext(), level, event, attrs...)
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
	requestIDKey localKey = iota
	clientKey
	adminKey
	claimsKey
)

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}
