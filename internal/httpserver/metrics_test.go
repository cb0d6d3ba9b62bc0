package httpserver_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"switchboard/internal/httpserver"
	"switchboard/internal/metrics"
)

// TestRequestMetrics: with Metrics configured, every request is counted
// and timed under the pattern of its route (also when a group's middleware
// answered before the route's handler ran), its method and its final
// status; requests no route matches share one "unmatched" series.
func TestRequestMetrics(t *testing.T) {
	m := metrics.New()
	app := httpserver.New(httpserver.Config{Log: slog.New(slog.DiscardHandler), Metrics: m})
	g := app.Group("/things", func(c *fiber.Ctx) error {
		if c.Get("Authorization") == "" {
			return &httpserver.JSONError{Status: 401, Body: httpserver.ErrorBody{Error: "Unauthorized"}}
		}
		return c.Next()
	})
	g.Get("/:id", func(c *fiber.Ctx) error { return c.SendString(c.Params("id")) })
	g.Delete("/:id", func(c *fiber.Ctx) error { return fiber.ErrConflict })
	app.Get("/static/*", func(c *fiber.Ctx) error { return c.SendString("file") })

	send := func(method, path string, auth bool) {
		req := httptest.NewRequest(method, path, nil)
		if auth {
			req.Header.Set("Authorization", "yes")
		}
		do(t, app, req)
	}
	send("GET", "/things/a1", true)
	send("GET", "/things/b2", true)
	send("DELETE", "/Things/c3/", true)
	send("GET", "/things/d4", false) // refused by the group's middleware
	send("GET", "/static/css/app.css", false)
	send("GET", "/nothing", false)
	send("POST", "/things/a1", true)
	send("HEAD", "/things/a1", true)

	want := `
# HELP switchboard_http_requests_total HTTP requests answered, by route pattern, method and status.
# TYPE switchboard_http_requests_total counter
switchboard_http_requests_total{method="DELETE",route="/things/:id",status="409"} 1
switchboard_http_requests_total{method="GET",route="/static/*",status="200"} 1
switchboard_http_requests_total{method="GET",route="/things/:id",status="200"} 2
switchboard_http_requests_total{method="GET",route="/things/:id",status="401"} 1
switchboard_http_requests_total{method="GET",route="unmatched",status="404"} 1
switchboard_http_requests_total{method="HEAD",route="/things/:id",status="200"} 1
switchboard_http_requests_total{method="POST",route="unmatched",status="405"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "switchboard_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "switchboard_http_request_duration_seconds"); n != 7 {
		t.Errorf("%d latency series, want one per request series (7)", n)
	}
}
