package httpserver_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
)

// TestClientIP: behind trusted proxies the caller is the right-most
// X-Forwarded-For entry that is not one of them; what the caller wrote to
// the left of it is ignored. app.Test's peer address is 0.0.0.0.
func TestClientIP(t *testing.T) {
	for _, tt := range []struct {
		name      string
		trusted   []string
		forwarded []string // one X-Forwarded-For header each
		want      string
	}{
		{"NoProxies", nil, []string{"203.0.113.9"}, "0.0.0.0"},
		{"UntrustedPeer", []string{"10.0.0.1"}, []string{"203.0.113.9"}, "0.0.0.0"},
		{"OneProxy", []string{"0.0.0.0"}, []string{"198.51.100.7"}, "198.51.100.7"},
		{"OneProxyForgedPrefix", []string{"0.0.0.0"}, []string{"203.0.113.1, 203.0.113.2, 198.51.100.7"}, "198.51.100.7"},
		{"TwoProxies", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"TwoProxiesForgedPrefix", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"203.0.113.66, 198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"ForgedProxyAddressLeftOfCaller", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"10.9.9.9, 198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"TwoHeaders", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"203.0.113.66", "198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"GarbageFromAProxy", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"198.51.100.7, not-an-ip, 10.1.2.3"}, "10.1.2.3"},
		{"AllTrusted", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"10.1.2.3, 10.4.5.6"}, "10.1.2.3"},
		{"NoHeader", []string{"0.0.0.0"}, nil, "0.0.0.0"},
		{"IPv6", []string{"0.0.0.0"}, []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := httpserver.New(httpserver.Config{Log: slog.New(slog.DiscardHandler), TrustedProxies: tt.trusted})
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(httpserver.ClientIP(c)) })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tt.forwarded {
				req.Header.Add("X-Forwarded-For", v)
			}
			if _, got := do(t, app, req); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
