// Package httpserver is the HTTP edge every transport shares: the Fiber app
// with its limits, request ids, the request log, panic recovery, security
// headers, the request timeout, JSON encoding, and one error handler that
// hands each failure to the writer of the part of the site it belongs to
// (HTML under the page prefixes web registers, JSON everywhere else).
// Packages api and web only register routes and error writers on it; neither
// knows the other.
package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/valyala/fasthttp"

	"switchboard/internal/metrics"
)

// BodyLimit is the largest request body accepted; larger ones get a 413.
// The largest valid request, a client with full notes, is under 8 KiB.
const BodyLimit = 64 << 10

// LargeBodyLimit is the largest body of the routes that AllowLargeBody
// names: a post-call webhook carries a whole transcript.
const LargeBodyLimit = 2 << 20

// RequestTimeout bounds the work one request may make the database (or
// anything else its context reaches) do.
const RequestTimeout = 15 * time.Second

// Config tunes the app to where it is deployed.
type Config struct {
	Log *slog.Logger
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies whose
	// X-Forwarded-For names the client. Without them the peer address is the
	// client's, which behind a proxy would make every caller share one
	// throttling bucket.
	TrustedProxies []string
	// Metrics, when set, counts every request by route pattern, method and
	// status, and times it.
	Metrics *metrics.Metrics
}

// ErrorWriter writes err as the response, for one part of the site.
type ErrorWriter func(c *fiber.Ctx, err error) error

// App is the Fiber app of the whole site, with the error writers that the
// transports registered for their prefixes.
type App struct {
	*fiber.App
	log       *slog.Logger
	sampler   *sampler
	largeBody map[string]bool // paths, lower case, without a trailing slash
	writers   []prefixWriter  // longest prefix first
}

type prefixWriter struct {
	prefix string
	write  ErrorWriter
}

// New returns the app with its middleware in place: request id, request
// log, security headers, then the request timeout and panic recovery, with
// every error a handler returns written while the request's context is
// still live.
func New(cfg Config) *App {
	a := &App{log: cfg.Log, sampler: newSampler(), largeBody: map[string]bool{}}
	fc := fiber.Config{
		AppName:               "switchboard",
		BodyLimit:             BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          a.writeError,
		JSONEncoder:           encodeJSON,
		DisableStartupMessage: true,
	}
	if len(cfg.TrustedProxies) > 0 {
		// Fiber believes X-Forwarded-Proto from these peers only. The
		// caller's address is clientAddress's to find, not Fiber's
		// ProxyHeader's (see ClientIP).
		fc.EnableTrustedProxyCheck = true
		fc.TrustedProxies = cfg.TrustedProxies
	}
	a.App = fiber.New(fc)
	// The body limit is chosen per request once its head is read, before
	// any of its body is: Fiber's BodyLimit is one for the whole server.
	a.Server().HeaderReceived = a.bodyLimit
	chain := []any{dropUnsafeRequestID, requestid.New(requestid.Config{Generator: newRequestID, ContextKey: requestIDKey}),
		newClientAddress(cfg.TrustedProxies).middleware}
	if cfg.Metrics != nil {
		chain = append(chain, a.countRequests(cfg.Metrics))
	}
	a.Use(append(chain, a.logRequest, helmet.New(securityHeaders), a.guard)...)
	return a
}

// AllowLargeBody lets requests to path carry bodies up to LargeBodyLimit;
// every other route keeps BodyLimit.
func (a *App) AllowLargeBody(path string) {
	a.largeBody[routeKey(path)] = true
}

// bodyLimit gives the request whose head is header its body limit.
func (a *App) bodyLimit(header *fasthttp.RequestHeader) fasthttp.RequestConfig {
	path, _, _ := strings.Cut(string(header.RequestURI()), "?")
	if a.largeBody[routeKey(path)] {
		return fasthttp.RequestConfig{MaxRequestBodySize: LargeBodyLimit}
	}
	return fasthttp.RequestConfig{}
}

// routeKey is how Fiber matches a path by default: letter case and a
// trailing slash do not matter.
func routeKey(path string) string {
	return strings.TrimSuffix(strings.ToLower(path), "/")
}

// HandleErrors sends the errors of requests under prefix ("/console" covers
// /console and /console/…; "/" covers every path) to w. The longest
// matching prefix wins; requests under no registered prefix get
// WriteJSONError.
func (a *App) HandleErrors(prefix string, w ErrorWriter) {
	a.writers = append(a.writers, prefixWriter{prefix, w})
	sort.SliceStable(a.writers, func(i, j int) bool { return len(a.writers[i].prefix) > len(a.writers[j].prefix) })
}

func (a *App) writerFor(path string) ErrorWriter {
	for _, pw := range a.writers {
		if pw.prefix == "/" || path == pw.prefix || strings.HasPrefix(path, pw.prefix+"/") {
			return pw.write
		}
	}
	return a.WriteJSONError
}

// writeError is the app's one error handler.
func (a *App) writeError(c *fiber.Ctx, err error) error {
	if werr := a.writerFor(c.Path())(c, err); werr != nil {
		a.log.Error("error response failed", "path", LogPath(c), "err", werr, "request_id", RequestID(c))
		return c.SendStatus(fiber.StatusInternalServerError)
	}
	return nil
}

// guard bounds the request with RequestTimeout, turns a panic into a 500
// (and a log line with the stack), and writes any error before the
// request's context ends, so an error page can still be rendered with it.
func (a *App) guard(c *fiber.Ctx) (err error) {
	ctx, cancel := context.WithTimeout(c.UserContext(), RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("request panicked", "method", c.Method(), "path", LogPath(c), "request_id", RequestID(c),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = a.writeError(c, fiber.ErrInternalServerError)
		}
	}()
	if err := c.Next(); err != nil {
		return a.writeError(c, err)
	}
	return nil
}

// encodeJSON encodes every JSON response with JSON v2, the decoder's
// library. Map keys are sorted and HTML characters and JavaScript line
// separators escaped, as encoding/json did, so bodies keep their bytes and
// a body sniffed as HTML holds no markup.
func encodeJSON(v any) ([]byte, error) {
	return jsonv2.Marshal(v, jsonv2.Deterministic(true), jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true))
}

// securityHeaders go on every response. The API serves no HTML, so its
// policy allows nothing to load and no page to frame it; pages set their own.
var securityHeaders = helmet.Config{
	ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
	XFrameOptions:         "DENY",
	ReferrerPolicy:        "no-referrer",
}

type localKey int

const requestIDKey localKey = 0

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// dropUnsafeRequestID removes a caller's X-Request-ID that is not a short
// token, so that requestid makes one instead: the id goes into every log
// line of the request, where a caller must not write what it likes.
func dropUnsafeRequestID(c *fiber.Ctx) error {
	if id := c.Get(fiber.HeaderXRequestID); id != "" && !requestIDPattern.MatchString(id) {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// RequestID is the id of the request: the caller's X-Request-ID when it is
// sane, a new one otherwise. It is sent back in X-Request-ID and logged.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// LogPath is the request's path as logs may hold it: without the query
// string, and without what follows "/invite/", an invitation's token, the
// one credential that travels in a path (see web's /console/invite/).
func LogPath(c *fiber.Ctx) string {
	if before, _, ok := strings.Cut(c.Path(), "/invite/"); ok {
		return before + "/invite/(token)"
	}
	return c.Path()
}

// logRequest logs one line per request once its status is known. It logs
// LogPath, and no header or body: other credentials travel only in those.
// A 429 is sampled like a refusal (see Audit): a throttled storm would
// otherwise write a line per request.
func (a *App) logRequest(c *fiber.Ctx) error {
	start := time.Now()
	c.Locals(samplerKey, a.sampler)
	if err := c.Next(); err != nil {
		// Only errors from the middleware before guard get here.
		_ = a.writeError(c, err)
	}
	status := c.Response().StatusCode()
	line := []any{"method", c.Method(), "path", LogPath(c), "status", status,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "request_id", RequestID(c)}
	if status == fiber.StatusTooManyRequests {
		ok, skipped := a.sampler.allow("request\x00" + c.Method() + "\x00" + LogPath(c) + "\x00" + ClientIP(c))
		if !ok {
			return nil
		}
		if skipped > 0 {
			line = append(line, "repeated", skipped)
		}
	}
	a.log.Info("request", line...)
	return nil
}

const samplerKey localKey = 2

// samplerOf is the app's sampler, or a new one (which samples nothing) for
// a request that did not come through the app's middleware.
func samplerOf(c *fiber.Ctx) *sampler {
	if s, ok := c.Locals(samplerKey).(*sampler); ok {
		return s
	}
	return newSampler()
}
