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
func TestInviteURL(t *testing.T) {
	for _, tt := range []struct{ name, public, want string }{
		{"PublicBaseURL", "https://switchboard.example.com", "https://switchboard.example.com/console/invite/tok"},
		{"PublicBaseURLSlash", "https://switchboard.example.com/", "https://switchboard.example.com/console/invite/tok"},
		{"RequestBaseURL", "", "http://console.test:8080/console/invite/tok"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := httpserver.New(httpserver.Config{Log: slog.New(slog.DiscardHandler)})
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(httpserver.InviteURL(c, tt.public, "tok")) })
			req := httptest.NewRequest(http.MethodGet, "http://console.test:8080/", nil)
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
