package web

import (
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// render writes a templ component as the response, with the request's
// context (which carries views.Page) so layouts know who is signed in.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// isHTMX reports whether htmx sent the request to swap part of a page. A
// history restore asks for the whole page.
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true"
}

// htmxTarget is the id of the element htmx will swap, "" for a whole page.
func htmxTarget(c *fiber.Ctx) string {
	if !isHTMX(c) {
		return ""
	}
	return c.Get("HX-Target")
}

// redirect sends the browser to location after a form post: a 303 for a
// plain form, an HX-Redirect (a full navigation) for htmx.
func redirect(c *fiber.Ctx, location string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", location)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(location, fiber.StatusSeeOther)
}

// localPath returns next when it is a path on this site under prefix, else
// fallback. It keeps redirects after sign-in from leaving the site, or the
// area they were asked for. The prefix is checked on the path with its dot
// segments resolved (encoded ones too: url.Parse decodes them), because a
// browser resolves them before it follows the redirect: /account/../console
// is /console.
func localPath(next, prefix, fallback string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "//") {
		return fallback
	}
	if p := path.Clean(u.Path); p != prefix && !strings.HasPrefix(p, prefix+"/") {
		return fallback
	}
	return next
}

// pageError is a failure shown as a page (or, to htmx, as a panel).
type pageError struct {
	Status         int
	Title, Message string
}

func (e *pageError) Error() string { return e.Title }

// Where an error page offers to go back to.
var (
	consoleHome = views.Link{Href: "/console", Label: "Back to the console"}
	accountHome = views.Link{Href: "/account", Label: "Back to your account"}
	siteHome    = views.Link{Href: "/", Label: "Go to the front page"}
)

// notFoundPages answers, outside the console and the account pages, a
// browser that asks for an address no route serves with the HTML 404 page.
// A program (no Accept header, */*, or JSON preferred) keeps the JSON
// API's {"error":"Not found"}, and every other error there is next's.
func notFoundPages(next httpserver.ErrorWriter) httpserver.ErrorWriter {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if !errors.As(err, &fe) || fe.Code != fiber.StatusNotFound {
			return next(c, err)
		}
		c.Vary(fiber.HeaderAccept)
		if c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) != fiber.MIMETextHTML {
			return next(c, err)
		}
		c.Response().ResetBody()
		setPageHeaders(c)
		return render(c, fiber.StatusNotFound, views.ErrorPage(fiber.StatusNotFound, "Page not found",
			"There is nothing at this address.", siteHome))
	}
}

// htmlErrors writes a handler's error as an error page, with a link back
// to home: a domain error's message for the user's mistakes, a generic page
// (and a log line) for internal ones. htmx is configured (views.Base) to swap
// error responses, so an htmx request gets the panel alone, in place of the
// page's main area.
func (s *Server) htmlErrors(home views.Link) httpserver.ErrorWriter {
	return func(c *fiber.Ctx, err error) error {
		pe := s.pageErrorOf(c, err)
		c.Response().ResetBody()
		setPageHeaders(c)
		if isHTMX(c) {
			c.Set("HX-Retarget", "#main")
			c.Set("HX-Reswap", "innerHTML")
			return render(c, pe.Status, views.ErrorPanel(pe.Status, pe.Title, pe.Message, home))
		}
		return render(c, pe.Status, views.ErrorPage(pe.Status, pe.Title, pe.Message, home))
	}
}

func (s *Server) pageErrorOf(c *fiber.Ctx, err error) *pageError {
	var pe *pageError
	var fe *fiber.Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &fe):
		if fe.Code == fiber.StatusNotFound {
			return &pageError{Status: fe.Code, Title: "Page not found", Message: "There is nothing at this address."}
		}
		if fe.Code < 500 {
			return &pageError{Status: fe.Code, Title: "Request refused", Message: fe.Message}
		}
	}
	switch switchboard.ErrorCode(err) {
	case switchboard.ENOTFOUND:
		return &pageError{Status: fiber.StatusNotFound, Title: "Not found", Message: switchboard.ErrorMessage(err)}
	case switchboard.EINVALID:
		return &pageError{Status: fiber.StatusBadRequest, Title: "Request refused", Message: switchboard.ErrorMessage(err)}
	}
	s.Log.Error("page failed", "method", c.Method(), "path", httpserver.LogPath(c), "err", err,
		"request_id", httpserver.RequestID(c))
	return &pageError{
		Status: fiber.StatusInternalServerError, Title: "Something went wrong",
		Message: "The server could not complete this request. Try again; if it keeps failing, the log has the details.",
	}
}
