package httpserver

import (
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/metrics"
)

// unmatchedRoute labels the requests no route matched, so that a scan of
// random paths adds one series, not one per path.
const unmatchedRoute = "unmatched"

// routeNames finds the route pattern of a request for the metrics' labels.
type routeNames struct {
	app  *fiber.App
	once sync.Once
	// Built at the first request, when every route is registered, from
	// the app's handler routes (middleware left out): the pattern of each
	// by its first handler (a route's identity: Fiber hands out the route
	// itself, which tells no handler from middleware), and the patterns by
	// method, in the order Fiber tries them.
	byHandler map[*fiber.Handler]string
	byMethod  map[string][]string
}

// countRequests is the middleware that counts every request once its
// status is final: it runs around logRequest, which writes the errors of
// the middleware after it.
func (a *App) countRequests(m *metrics.Metrics) fiber.Handler {
	names := &routeNames{app: a.App}
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		m.Request(names.of(c), methodLabel(c.Method()), c.Response().StatusCode(), time.Since(start))
		return err
	}
}

// methods are the label values of request methods.
var methods = []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
	fiber.MethodDelete, fiber.MethodConnect, fiber.MethodOptions, fiber.MethodTrace}

// methodLabel is method as a label value of its own: c.Method() is a view
// of the request's buffer, which the next request on the connection
// overwrites, and the registry keeps the label strings it is given.
func methodLabel(method string) string {
	for _, m := range methods {
		if m == method {
			return m
		}
	}
	return "other"
}

// of is the pattern of the route c reached ("/admin/clients/:clientId").
// c.Route() is the last route that ran: the handler's, or a middleware's
// when that answered first (a group's token check refusing, a 404 page),
// and then the pattern is that of the handler route the path would have
// reached.
func (n *routeNames) of(c *fiber.Ctx) string {
	n.once.Do(func() {
		n.byHandler, n.byMethod = map[*fiber.Handler]string{}, map[string][]string{}
		for _, r := range n.app.GetRoutes(true) {
			if len(r.Handlers) > 0 {
				n.byHandler[&r.Handlers[0]] = r.Path
			}
			n.byMethod[r.Method] = append(n.byMethod[r.Method], r.Path)
		}
	})
	if r := c.Route(); len(r.Handlers) > 0 {
		if p, ok := n.byHandler[&r.Handlers[0]]; ok {
			return p
		}
	}
	path := routeKey(c.Path())
	for _, p := range n.byMethod[c.Method()] {
		if patternMatches(routeKey(p), path) {
			return p
		}
	}
	return unmatchedRoute
}

// patternMatches reports whether path fits pattern, whose segments are
// literal, ":param", or a final "*" (the app's only kinds). Both are
// lower case without a trailing slash, as Fiber compares them.
func patternMatches(pattern, path string) bool {
	for {
		pSeg, pRest, pMore := strings.Cut(pattern, "/")
		if pSeg == "*" && !pMore {
			return true
		}
		seg, rest, more := strings.Cut(path, "/")
		if pMore != more || (pSeg != seg && (!strings.HasPrefix(pSeg, ":") || seg == "")) {
			return false
		}
		if !more {
			return true
		}
		pattern, path = pRest, rest
	}
}
