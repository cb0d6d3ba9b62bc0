package httpserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
)

// An invitation's link starts with PUBLIC_BASE_URL when it is set, and
// with the request's own scheme and host when not.
// X-Forwarded-Host and -Proto count only from a trusted proxy: from anyone
// else they would point a link holding a secret at the sender's host.
func TestInviteURL(t *testing.T) {
	forged := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
	for _, tt := range []struct {
		name, public string
		header       map[string]string
		proxies      []string
		want         string
	}{
		{"PublicBaseURL", "https://switchboard.example.com", forged, nil, "https://switchboard.example.com/console/invite/tok"},
		{"PublicBaseURLSlash", "https://switchboard.example.com/", nil, nil, "https://switchboard.example.com/console/invite/tok"},
		{"RequestBaseURL", "", nil, nil, "http://console.test:8080/console/invite/tok"},
		{"ForwardedFromAnyone", "", forged, nil, "http://console.test:8080/console/invite/tok"},
		{"ForwardedFromOtherProxy", "", forged, []string{"10.9.9.9"}, "http://console.test:8080/console/invite/tok"},
		{"ForwardedFromTrustedProxy", "", forged, []string{"0.0.0.0"}, "https://evil.example/console/invite/tok"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := httpserver.New(httpserver.Config{Log: slog.New(slog.DiscardHandler), TrustedProxies: tt.proxies})
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(httpserver.InviteURL(c, tt.public, "tok")) })
			req := httptest.NewRequest(http.MethodGet, "http://console.test:8080/", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if string(body) != tt.want {
				t.Errorf("InviteURL = %q, want %q", body, tt.want)
			}
		})
	}
}
