package web

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"switchboard/views"
)

// registerCalls adds a client's own call pages. Every page reads the calls
// of the client signed in, and only those: another client's callId is a
// 404, as one that does not exist. Every POST is checked for the session's
// CSRF token by authenticate.
func (acc *account) registerCalls(a fiber.Router) {
	a.Get("/calls", acc.requireSignIn, acc.handleCalls)
	a.Post("/calls", acc.requireSignIn, acc.handlePlaceCall)
	a.Get("/calls/:callId", acc.requireSignIn, acc.handleCall)
	a.Post("/do-not-call", acc.requireSignIn, acc.handleDoNotCall(false))
	a.Post("/do-not-call/remove", acc.requireSignIn, acc.handleDoNotCall(true))
}

const (
	accountCallsPath     = "/account/calls"
	accountDoNotCallPath = "/account/do-not-call"
	// accountPanelLevel is the heading level of the calls page's panels,
	// right under its h1.
	accountPanelLevel = 2
)

// callsPage is the account's calls page with every form empty.
func (acc *account) callsPage(c *fiber.Ctx) (views.AccountCallsView, error) {
	me := currentClient(c)
	v := views.AccountCallsView{Client: me, Place: acc.placeCallForm(me, accountCallsPath)}
	v.Place.Level = accountPanelLevel
	var err error
	if v.List, err = acc.callList(c, views.AccountCalls, me.ID); err != nil {
		return v, err
	}
	v.DoNotCall, err = acc.doNotCallPanel(c.UserContext(), me.ID, accountDoNotCallPath)
	v.DoNotCall.Level = accountPanelLevel
	return v, err
}

// handleCalls handles GET /account/calls?status=&outcome=&number=&after=|before=:
// the client's own calls, newest first, by keyset, with the "Place a call"
// form and the do-not-call list. htmx's live filter gets the results alone.
func (acc *account) handleCalls(c *fiber.Ctx) error {
	v, err := acc.callsPage(c)
	if err != nil {
		return err
	}
	if htmxTarget(c) == "call-results" {
		return callResults(c, v.List)
	}
	return render(c, fiber.StatusOK, views.AccountCallsPage(v))
}

// handleCall handles GET /account/calls/:callId.
func (acc *account) handleCall(c *fiber.Ctx) error {
	call, err := acc.oneCall(c, currentClient(c).ID)
	if err != nil {
		return err
	}
	return callPage(c, views.CallView{Area: views.AccountCalls, Call: call}, func(v views.CallView) templ.Component { return views.AccountCallPage(v) })
}

// handlePlaceCall handles POST /account/calls: the same rules as POST
// /secure/make-call, placed as "client".
func (acc *account) handlePlaceCall(c *fiber.Ctx) error {
	me := currentClient(c)
	p := acc.placeCallForm(me, accountCallsPath)
	p.Level = accountPanelLevel
	status, err := acc.placeCall(c, me, "client", views.AccountCalls, &p)
	if err != nil {
		return err
	}
	page := func() error { return acc.callsPageWith(c, status, func(v *views.AccountCallsView) { v.Place = p }) }
	return acc.formAnswer(c, "place-call", status, views.PlaceCallPanel(p), page, placedFlash(p), p.CallURL)
}

// callsPageWith renders the calls page with change applied: a refused form
// shown in place, for browsers without JavaScript.
func (acc *account) callsPageWith(c *fiber.Ctx, status int, change func(*views.AccountCallsView)) error {
	v, err := acc.callsPage(c)
	if err != nil {
		return err
	}
	change(&v)
	return render(c, status, views.AccountCallsPage(v))
}

// handleDoNotCall handles POST /account/do-not-call (add the posted phone)
// and /account/do-not-call/remove: the client's own list, as
// /secure/do-not-call changes it.
func (acc *account) handleDoNotCall(remove bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, status, err := acc.changeDoNotCall(c, currentClient(c).ID, accountDoNotCallPath, remove)
		if err != nil {
			return err
		}
		d.Level = accountPanelLevel
		page := func() error { return acc.callsPageWith(c, status, func(v *views.AccountCallsView) { v.DoNotCall = d }) }
		return acc.formAnswer(c, "do-not-call", status, views.DoNotCallPanel(d), page, d.Form.Done, accountCallsPath)
	}
}
