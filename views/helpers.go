package views

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"switchboard/internal/switchboard"
)

// csrfHeaders is the hx-headers value that makes htmx send the CSRF token
// with every request it makes.
func csrfHeaders(ctx context.Context) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": page(ctx).CSRF})
	return string(b)
}

// isCurrent reports whether href is the navigation item of the current page:
// a home page only on itself, a section on itself and below.
func isCurrent(ctx context.Context, href string) bool {
	p := page(ctx).Path
	if href == "/console" || href == "/account" || href == "/console/clients/new" {
		return p == href
	}
	return p == href || (strings.HasPrefix(p, href+"/") && p != "/console/clients/new")
}

func itoa(n int) string { return strconv.Itoa(n) }

// durationText says a lifetime in words: "24 hours", "90 minutes".
func durationText(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	switch {
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return d.String()
}

// clientURL is a client's console page. Client IDs are URL-safe by their rule.
func clientURL(id string) templ.SafeURL {
	return templ.SafeURL("/console/clients/" + url.PathEscape(id))
}

// statusURL is where a client's status is changed.
func statusURL(id string) templ.SafeURL { return clientURL(id) + "/status" }

// formAction is where the client form posts: create or the client's page.
func formAction(f ClientForm) templ.SafeURL {
	if f.ClientID == "" {
		return "/console/clients"
	}
	return clientURL(f.ClientID)
}

func inputID(fd Field) string { return "f-" + strings.ReplaceAll(fd.Name, ".", "-") }

func inputType(fd Field) string {
	if fd.Type == "secret" {
		return "text" // the admin must see what it chooses; the page is no-store
	}
	return fd.Type
}

func ariaInvalid(f ClientForm, fd Field) string {
	if f.Errors[fd.Name] != "" {
		return "true"
	}
	return "false"
}

func describedBy(f ClientForm, fd Field) string {
	var ids []string
	if f.Errors[fd.Name] != "" {
		ids = append(ids, inputID(fd)+"-error")
	}
	if fd.Hint != "" {
		ids = append(ids, inputID(fd)+"-hint")
	}
	return strings.Join(ids, " ")
}

// statusVerb labels the button that sets a status.
func statusVerb(s switchboard.Status) string {
	switch s {
	case switchboard.StatusActive:
		return "Activate"
	case switchboard.StatusSuspended:
		return "Suspend"
	}
	return "Deactivate"
}

// statusButtonClass styles the button that offers a status: as light as
// the others, Suspend only tinted, since it asks before acting.
func statusButtonClass(s switchboard.Status) string {
	if s == switchboard.StatusSuspended {
		return "btn btn-danger-secondary"
	}
	return "btn btn-secondary"
}

// confirmButtonClass styles the button that confirms a status change.
func confirmButtonClass(s switchboard.Status) string {
	if s == switchboard.StatusActive {
		return "btn btn-primary"
	}
	return "btn btn-danger"
}

// statusConsequence says what a status change does to the client.
func statusConsequence(s switchboard.Status) string {
	if s == switchboard.StatusActive {
		return "Its tokens work again and it can sign in."
	}
	return "Every token and session of the client stops working at once, and it cannot sign in until it is activated again."
}

// htmxConfig is htmx's configuration, in a meta tag because the CSP allows
// no inline script.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}`

// oobSwap marks an element of an htmx answer that replaces the element of
// the same id elsewhere on the page, besides the answer's target.
func oobSwap(oob bool) templ.Attributes {
	if !oob {
		return nil
	}
	return templ.Attributes{"hx-swap-oob": "true"}
}
