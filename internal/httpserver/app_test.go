package httpserver_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

func newApp(t *testing.T) (*httpserver.App, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	app := httpserver.New(httpserver.Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	return app, &logs
}

func do(t *testing.T, app *httpserver.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestErrorsGoToTheirPrefixWriter: an error is written by the writer of the
// longest registered prefix its path falls under, and by the JSON writer
// everywhere else, for handler errors, panics and unknown routes alike.
func TestErrorsGoToTheirPrefixWriter(t *testing.T) {
	app, logs := newApp(t)
	page := func(name string) httpserver.ErrorWriter {
		return func(c *fiber.Ctx, err error) error {
			return c.Status(fiber.StatusTeapot).SendString(name + ": " + err.Error())
		}
	}
	app.HandleErrors("/console", page("console"))
	app.HandleErrors("/console/deep", page("deep"))
	app.Get("/console/fail", func(*fiber.Ctx) error { return errors.New("boom") })
	app.Get("/console/deep/panic", func(*fiber.Ctx) error { panic("kaboom") })
	app.Get("/consoles", func(*fiber.Ctx) error {
		return switchboard.Errorf(switchboard.ENOTFOUND, "Client not found")
	})

	for _, tt := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/console/fail", fiber.StatusTeapot, "console: boom"},
		{"/console/nothing-here", fiber.StatusTeapot, "console: Cannot GET /console/nothing-here"},
		{"/console/deep/panic", fiber.StatusTeapot, "deep: Internal Server Error"},
		{"/consoles", fiber.StatusNotFound, `{"error":"Client not found"}`},
		{"/elsewhere", fiber.StatusNotFound, `{"error":"Not found"}`},
	} {
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if res.StatusCode != tt.wantStatus || body != tt.wantBody {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, res.StatusCode, body, tt.wantStatus, tt.wantBody)
		}
	}
	if !strings.Contains(logs.String(), `msg="request panicked"`) || !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("the panic is not logged with its value:\n%s", logs)
	}
}

// TestRootErrorWriter: a writer for "/" takes the errors of every path that
// no longer prefix claims, and may pass them on to WriteJSONError.
func TestRootErrorWriter(t *testing.T) {
	app, _ := newApp(t)
	app.HandleErrors("/console", func(c *fiber.Ctx, err error) error {
		return c.Status(fiber.StatusTeapot).SendString("console")
	})
	app.HandleErrors("/", func(c *fiber.Ctx, err error) error {
		if c.Path() == "/mine" {
			return c.Status(fiber.StatusTeapot).SendString("root")
		}
		return app.WriteJSONError(c, err)
	})
	for _, tt := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/console/nothing-here", fiber.StatusTeapot, "console"},
		{"/mine", fiber.StatusTeapot, "root"},
		{"/", fiber.StatusNotFound, `{"error":"Not found"}`},
		{"/elsewhere", fiber.StatusNotFound, `{"error":"Not found"}`},
	} {
		res, body := do(t, app, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if res.StatusCode != tt.wantStatus || body != tt.wantBody {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, res.StatusCode, body, tt.wantStatus, tt.wantBody)
		}
	}
}

// TestRequestTimeout: every handler's context ends after RequestTimeout.
func TestRequestTimeout(t *testing.T) {
	app, _ := newApp(t)
	var left time.Duration
	app.Get("/", func(c *fiber.Ctx) error {
		deadline, ok := c.UserContext().Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		left = time.Until(deadline)
		return c.SendStatus(fiber.StatusNoContent)
	})
	if res, body := do(t, app, httptest.NewRequest(http.MethodGet, "/", nil)); res.StatusCode != fiber.StatusNoContent {
		t.Fatalf("status %d %s", res.StatusCode, body)
	}
	if left <= httpserver.RequestTimeout-time.Second || left > httpserver.RequestTimeout {
		t.Errorf("the request's context ends in %v, want about %v", left, httpserver.RequestTimeout)
	}
}

// TestRequestID: a sane X-Request-ID is kept and sent back; anything else
// is replaced by a new id, so a caller cannot write into the log.
func TestRequestID(t *testing.T) {
	app, logs := newApp(t)
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(httpserver.RequestID(c)) })
	for _, tt := range []struct{ sent, want string }{
		{"abc-123.DEF_4", "abc-123.DEF_4"},
		{"", ""},
		{"two words", ""},
		{"evil\" level=ERROR msg=forged", ""},
		{strings.Repeat("a", 65), ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.sent != "" {
			req.Header.Set("X-Request-ID", tt.sent)
		}
		res, body := do(t, app, req)
		got := res.Header.Get("X-Request-ID")
		if got != body {
			t.Errorf("sent %q: header %q, handler saw %q", tt.sent, got, body)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("sent %q: id %q, want it kept", tt.sent, got)
		}
		if tt.want == "" && (got == tt.sent || len(got) != 16) {
			t.Errorf("sent %q: id %q, want a new 16-character one", tt.sent, got)
		}
	}
	if strings.Contains(logs.String(), "forged") {
		t.Errorf("a caller's id reached the log:\n%s", logs)
	}
}

// TestJSONEncodingMatchesEncodingJSON: responses are encoded with JSON v2
// in the bytes encoding/json gave: struct members in their order, map keys
// sorted, HTML characters and line separators escaped.
func TestJSONEncodingMatchesEncodingJSON(t *testing.T) {
	type body struct {
		Zeta   string            `json:"zeta"`
		Alpha  string            `json:"alpha"`
		Fields map[string]string `json:"fields,omitempty"`
		List   []string          `json:"list"`
		Empty  string            `json:"empty,omitempty"`
	}
	v := body{
		Zeta: `<script>alert("x")</script> & ' ` + "\u2028\u2029 é 😀", Alpha: "a",
		Fields: map[string]string{"z": "1", "a": "2", "m": "<3>"}, List: []string{"x", "y"},
	}
	app, _ := newApp(t)
	app.Get("/", func(c *fiber.Ctx) error { return c.JSON(v) })
	_, got := do(t, app, httptest.NewRequest(http.MethodGet, "/", nil))
	want, _ := json.Marshal(v)
	if got != string(want) {
		t.Errorf("body\n%s\nwant (encoding/json)\n%s", got, want)
	}
}

// TestAudit: a security event has one shape whichever door it came
// through, and only authentication outcomes are logged.
func TestAudit(t *testing.T) {
	app, logs := newApp(t)
	log := slog.New(slog.NewTextHandler(logs, nil))
	handler := func(err error) fiber.Handler {
		return func(c *fiber.Ctx) error {
			c.SetUserContext(switchboard.NewContextWithActor(c.UserContext(), switchboard.AdminActor("alice")))
			httpserver.Audit(log, c, httpserver.EventStatusChange, err, "client_id", "acme_1")
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	app.Get("/console/ok", handler(nil))
	app.Get("/account/refused", handler(switchboard.Errorf(switchboard.EUNAUTHORIZED, "no")))
	app.Get("/admin/throttled", handler(switchboard.Errorf(switchboard.ETHROTTLED, "wait")))
	app.Get("/admin/invalid", handler(switchboard.Errorf(switchboard.EINVALID, "bad")))
	for _, p := range []string{"/console/ok", "/account/refused", "/admin/throttled", "/admin/invalid"} {
		req := httptest.NewRequest(http.MethodGet, p, nil)
		req.Header.Set("X-Request-ID", "req-"+strings.TrimPrefix(strings.ReplaceAll(p, "/", "-"), "-"))
		do(t, app, req)
	}
	lines := []string{}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "msg=security") {
			lines = append(lines, l[strings.Index(l, "level="):])
		}
	}
	want := []string{
		`level=INFO msg=security event="status change" outcome=ok actor=admin:alice via=console ip=0.0.0.0 request_id=req-console-ok client_id=acme_1`,
		`level=WARN msg=security event="status change" outcome=refused actor=admin:alice via=account ip=0.0.0.0 request_id=req-account-refused client_id=acme_1`,
		`level=WARN msg=security event="status change" outcome=throttled actor=admin:alice via=api ip=0.0.0.0 request_id=req-admin-throttled client_id=acme_1`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("security lines\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestBodyLimits: the routes AllowLargeBody names take bodies up to
// LargeBodyLimit; every other route refuses more than BodyLimit with 413.
func TestBodyLimits(t *testing.T) {
	app, _ := newApp(t)
	app.AllowLargeBody("/webhooks/large")
	echo := func(c *fiber.Ctx) error { return c.SendString(strconv.Itoa(len(c.Body()))) }
	app.Post("/webhooks/large", echo)
	app.Post("/small", echo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	base := "http://" + ln.Addr().String()
	for _, tt := range []struct {
		path       string
		size       int
		wantStatus int
	}{
		{"/small", httpserver.BodyLimit, 200},
		{"/small", httpserver.BodyLimit + 1, 413},
		{"/webhooks/large", httpserver.LargeBodyLimit, 200},
		{"/Webhooks/Large/", httpserver.LargeBodyLimit, 200},
		{"/webhooks/large?x=1", httpserver.LargeBodyLimit, 200},
		{"/webhooks/large", httpserver.LargeBodyLimit + 1, 413},
		{"/webhooks/larger", httpserver.BodyLimit + 1, 413},
	} {
		if tt.wantStatus == 413 {
			// Announce the body and send none of it: the server refuses it
			// by its declared size, and a client still writing would race
			// the server's close (connection reset).
			if got := statusOfDeclaredBody(t, base, tt.path, tt.size); got != 413 {
				t.Errorf("POST %s declaring %d bytes = %d, want 413", tt.path, tt.size, got)
			}
			continue
		}
		res, err := http.Post(base+tt.path, "application/octet-stream", bytes.NewReader(make([]byte, tt.size)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if body := string(b); res.StatusCode != tt.wantStatus || body != strconv.Itoa(tt.size) {
			t.Errorf("POST %s with %d bytes = %d %.40q, want %d", tt.path, tt.size, res.StatusCode, body, tt.wantStatus)
		}
	}
}

// statusOfDeclaredBody sends a request head announcing a body of size
// bytes, sends none of it, and returns the status of the answer.
func statusOfDeclaredBody(t *testing.T, base, path string, size int) int {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", path, addr, size)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s declaring %d bytes: %v", path, size, err)
	}
	res.Body.Close()
	return res.StatusCode
}
