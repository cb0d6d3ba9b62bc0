// Package views holds every HTML page and fragment of the console and the
// account pages, as templ components. Pages take view models (values plus
// field errors) or read-only domain types; what every page needs (who is
// signed in, the CSRF token, a flash message) travels in the context.
//
// Every element a test or a script looks for carries a data-testid (or
// data-secret, data-action), never a class name: styling may change freely.
package views

import (
	"context"
	"time"

	"switchboard/internal/switchboard"
)

// Page is what the layouts read from the request context.
type Page struct {
	// Admin is the signed-in administrator's username, empty when signed out.
	Admin string
	// Role is the signed-in administrator's role: the console shows no
	// button the role may not use (see can).
	Role switchboard.Role
	// Client is the signed-in client's clientId, on the account pages.
	Client string
	// CSRF is the token every unsafe request must send back, as the _csrf
	// form field or the X-CSRF-Token header (set on <body> for htmx).
	CSRF string
	// Flash is a one-time message from the previous request, such as
	// "Client deleted." after a redirect.
	Flash string
	// FlashWarning shows Flash as a warning (the session ended) rather than
	// a confirmation.
	FlashWarning bool
	// Path is the request path, to mark the current navigation item.
	Path string
}

type pageKey struct{}

// WithPage returns ctx carrying p, for the layouts.
func WithPage(ctx context.Context, p Page) context.Context {
	return context.WithValue(ctx, pageKey{}, p)
}

func page(ctx context.Context) Page {
	p, _ := ctx.Value(pageKey{}).(Page)
	return p
}

// timeFormat shows times to administrators: UTC, to the minute, unambiguous.
const timeFormat = "2006-01-02 15:04 UTC"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// isoTime is the machine-readable form of a time, for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// area describes a part of the site behind a sign-in, for signedInLayout.
type area struct {
	Home     string // the home page; sign-out is Home + "/logout"
	Who      string // who is signed in
	WhoHref  string // where Who links: the signed-in one's own settings; empty: nowhere
	WhoClass string // how Who is set (a clientId in monospace)
	Width    string // the page's maximum width
	NavLabel string
	Nav      []navItem
}

type navItem struct {
	Href, Label, TestID string
	// Need is what the page lets one do; empty: anyone signed in.
	Need switchboard.Action
}

var (
	consoleNav = []navItem{
		{"/console", "Dashboard", "nav-dashboard", ""},
		{"/console/clients", "Clients", "nav-clients", ""},
		{"/console/clients/new", "New client", "nav-new-client", switchboard.ChangeClients},
		{"/console/calls", "Calls", "nav-calls", ""},
		{"/console/activity", "Activity", "nav-activity", ""},
		{"/console/team", "Team", "nav-team", switchboard.ManageTeam},
		{"/docs", "API reference", "nav-docs", ""},
	}
	accountNav = []navItem{
		{"/account", "Overview", "nav-overview", ""},
		{"/account/calls", "Calls", "nav-calls", ""},
		{"/account/profile", "Profile", "nav-profile", ""},
		{"/account/api", "API access", "nav-api", ""},
		{"/account/secret", "Secret", "nav-secret", ""},
	}
)

// can reports whether the signed-in administrator's role may do a: a
// button for what it may not is not drawn. The server checks again.
func can(ctx context.Context, a switchboard.Action) bool {
	return switchboard.Can(page(ctx).Role, a)
}

// navFor is the items of nav the signed-in user may use.
func navFor(ctx context.Context, nav []navItem) []navItem {
	var out []navItem
	for _, item := range nav {
		if item.Need == "" || can(ctx, item.Need) {
			out = append(out, item)
		}
	}
	return out
}
