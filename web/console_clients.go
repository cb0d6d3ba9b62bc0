package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// handleDashboard handles GET /console.
func (con *console) handleDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	counts, err := con.Clients.CountClientsByStatus(ctx)
	if err != nil {
		return err
	}
	newest, err := con.Clients.FindClientPage(ctx, switchboard.ClientPageFilter{Limit: 5})
	if err != nil {
		return err
	}
	events, err := con.Events.FindEvents(ctx, 10)
	if err != nil {
		return err
	}
	calls, err := con.dashboardCalls(ctx)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.DashboardPage(views.Dashboard{Counts: counts, Newest: newest.Clients, Events: events, Calls: calls}))
}

// handleClients handles GET /console/clients?search=&status=&sort=&after=|before=.
// Pages are read by keyset (after or before a client), so a page deep in a
// long list costs what the first one does. htmx's live search gets the
// results alone.
func (con *console) handleClients(c *fiber.Ctx) error {
	l, f := clientListFilter(c)
	l.Paged = f.After != nil || f.Before != nil

	ctx := c.UserContext()
	page, err := con.Clients.FindClientPage(ctx, f)
	if err != nil {
		return err
	}
	l.Clients = page.Clients
	if page.Newer != nil {
		l.NewerURL = l.URL(url.Values{"before": {page.Newer.String()}})
	}
	if page.Older != nil {
		l.OlderURL = l.URL(url.Values{"after": {page.Older.String()}})
	}
	if l.Count, l.CountMore, err = con.countClients(ctx, f); err != nil {
		return err
	}
	if htmxTarget(c) == "client-results" {
		return render(c, fiber.StatusOK, views.ClientResults(l))
	}
	return render(c, fiber.StatusOK, views.ClientsPage(l))
}

// clientListFilter reads the clients list's filter, order and page from
// the query: what it could not apply is dropped and said in l.Error.
func clientListFilter(c *fiber.Ctx) (views.ClientList, switchboard.ClientPageFilter) {
	l := views.ClientList{Search: strings.TrimSpace(c.Query("search")), Status: c.Query("status"), Sort: c.Query("sort")}
	f := switchboard.ClientPageFilter{Limit: pageSize}
	var problems []string
	if p := switchboard.SearchProblem(l.Search); p != "" {
		problems = append(problems, "The search "+p+".")
		l.Search = ""
	}
	f.Search = l.Search
	if l.Status != "" {
		st := switchboard.Status(l.Status)
		if !st.Valid() {
			problems = append(problems, switchboard.MsgInvalidStatus+".")
			l.Status = ""
		} else {
			f.Status = &st
		}
	}
	if l.Sort != "" {
		if !slices.Contains(switchboard.ClientSorts, switchboard.ClientSort(l.Sort)) {
			problems = append(problems, "There is no such order; showing the newest first.")
			l.Sort = ""
		}
		if l.Sort == string(switchboard.SortNewest) {
			l.Sort = "" // the default: its links do not say it
		}
	}
	f.Sort = switchboard.ClientSort(l.Sort)
	for _, p := range []struct {
		name string
		dst  **switchboard.ClientCursor
	}{{"after", &f.After}, {"before", &f.Before}} {
		if v := c.Query(p.name); v != "" {
			cur, err := switchboard.ParseClientCursor(v)
			if err != nil || (cur.Name != "") != f.Sort.ByName() {
				problems = append(problems, "That page link is broken; showing the first page.")
				continue
			}
			*p.dst = cur
		}
	}
	if f.After != nil && f.Before != nil {
		f.After, f.Before = nil, nil
	}
	l.Error = strings.Join(problems, " ")
	return l, f
}

// countCap is how far a search's matches are counted: exactly up to it,
// "more than" beyond, so a common term costs what reading that many index
// entries does, never a scan per keystroke of a search box.
const countCap = 1000

// countClients counts the clients f's status and search match: from the
// dashboard's one GROUP BY over the status index when there is no search,
// else by a count that stops past countCap (more is true then).
func (con *console) countClients(ctx context.Context, f switchboard.ClientPageFilter) (n int, more bool, err error) {
	if f.Search == "" {
		counts, err := con.Clients.CountClientsByStatus(ctx)
		if err != nil {
			return 0, false, err
		}
		for st, c := range counts {
			if f.Status == nil || *f.Status == st {
				n += c
			}
		}
		return n, false, nil
	}
	n, err = con.Clients.CountClientsUpTo(ctx, f.Status, f.Search, countCap)
	if err != nil {
		return 0, false, err
	}
	return min(n, countCap), n > countCap, nil
}

// handleNewClient handles GET /console/clients/new.
func (con *console) handleNewClient(c *fiber.Ctx) error {
	form := views.ClientForm{Values: map[string]string{"status": string(switchboard.StatusActive)}}
	return render(c, fiber.StatusOK, views.NewClientPage(form))
}

// formValues reads the fields of the form sets from the posted form, as typed.
func formValues(c *fiber.Ctx, sets []views.Fieldset) map[string]string {
	values := map[string]string{}
	for _, set := range sets {
		for _, fd := range set.Fields {
			values[fd.Name] = c.FormValue(fd.Name)
		}
	}
	return values
}

// formUpdate sets each of the domain's client fields that the form has to
// what it holds: the one mapping from a form to the domain, for the
// console's create and edit forms and a client's own profile form alike.
// values holds only the fields of the form that posted (formValues), so a
// field the form does not show cannot be set by posting it.
func formUpdate(values map[string]string) switchboard.ClientUpdate {
	var upd switchboard.ClientUpdate
	for _, f := range switchboard.ClientFields {
		if v, ok := values[f.Name]; ok {
			*f.OfUpdate(&upd) = &v
		}
	}
	return upd
}

// handleCreateClient handles POST /console/clients. It checks the form with
// the domain's rules (every problem at once, next to its field), creates
// the client through the same service as POST /admin/clients, and sends
// the browser to the page that shows the secret: the one time it is ever
// seen.
func (con *console) handleCreateClient(c *fiber.Ctx) error {
	values := formValues(c, views.NewClientFieldsets)
	client := &switchboard.Client{
		ID:     strings.TrimSpace(values["clientId"]),
		Status: switchboard.Status(values["status"]),
	}
	client.Apply(formUpdate(values))
	secret := values["clientSecret"]
	client.Normalize()
	form := views.ClientForm{Values: values}
	mergeFields(&form, client.FieldErrors())
	if secret != "" {
		mergeFields(&form, switchboard.ValidateSecret("clientSecret", secret))
	}
	if len(form.Errors) == 0 {
		var err error
		secret, err = con.Auth.CreateClient(c.UserContext(), client, secret)
		if err != nil {
			if !formError(&form, err) {
				return err
			}
		}
	} else if err := con.addTaken(c.UserContext(), &form, client.ID, client.Meta.Email, ""); err != nil {
		return err
	}
	if len(form.Errors) > 0 || form.Error != "" {
		return render(c, fiber.StatusUnprocessableEntity, views.NewClientPage(form))
	}
	httpserver.Audit(con.Log, c, httpserver.EventClientCreated, nil, "client_id", client.ID)
	// Post, redirect, get: the secret rides in the session to the next
	// page, so a reload shows that page again, not the form resubmitted.
	if err := con.setReveal(c, &reveal{ClientID: client.ID, Secret: secret}); err != nil {
		return err
	}
	return redirect(c, "/console/clients/"+url.PathEscape(client.ID)+"/created")
}

// handleCreated handles GET /console/clients/:clientId/created, where the
// create form leads: the new client's secret, once. Loaded again (a
// reload, a bookmark) it has no secret to show and goes to the client's
// page, saying so.
func (con *console) handleCreated(c *fiber.Ctx) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	r := takeReveal(c)
	if r == nil || r.ClientID != client.ID {
		if err := con.setFlash(c, "The secret of "+client.Meta.FullName+" was shown once, when it was created. Reset it to get a new one."); err != nil {
			return err
		}
		return redirect(c, "/console/clients/"+url.PathEscape(client.ID))
	}
	return render(c, fiber.StatusOK, views.SecretPage(views.SecretView{
		Client: client, Secret: r.Secret, BaseURL: c.BaseURL(), Event: views.SecretCreated,
	}))
}

// mergeFields adds the per-field problems of a domain error to the form,
// with their phrases, leaving the problems the form has already.
func mergeFields(form *views.ClientForm, err error) {
	var e *switchboard.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return
	}
	if form.Errors == nil {
		form.Errors = map[string]string{}
	}
	phrases := switchboard.FieldPhrases(err)
	for k, v := range e.Fields {
		if _, ok := form.Errors[k]; ok {
			continue
		}
		form.Errors[k] = v
		if phrase, ok := phrases[k]; ok {
			if form.Phrases == nil {
				form.Phrases = map[string]string{}
			}
			form.Phrases[k] = phrase
		}
	}
}

// Messages for a clientId or an email that another client has.
const (
	msgEmailTaken    = "Another client already uses this email."
	msgClientIDTaken = "This client ID is taken."
)

// addTaken adds to a form refused for its fields the conflicts the store
// would report only once every field is right: the clientId id (when not
// "") or the email taken by another client than self (the client being
// edited, "" for a new one). So a bad phone and a taken email are said at
// once. A form with no field error is left to the store, which finds
// conflicts atomically.
func (s *Server) addTaken(ctx context.Context, form *views.ClientForm, id, email, self string) error {
	if len(form.Errors) == 0 {
		return nil
	}
	if id != "" && form.Errors["clientId"] == "" {
		_, err := s.Clients.FindClientByID(ctx, id)
		switch switchboard.ErrorCode(err) {
		case "":
			form.Errors["clientId"] = msgClientIDTaken
		case switchboard.ENOTFOUND:
		default:
			return err
		}
	}
	if email != "" && form.Errors["clientMeta.email"] == "" {
		other, err := s.Clients.FindClientByEmail(ctx, email)
		switch switchboard.ErrorCode(err) {
		case "":
			if other.ID != self {
				form.Errors["clientMeta.email"] = msgEmailTaken
			}
		case switchboard.ENOTFOUND:
		default:
			return err
		}
	}
	return nil
}

// formError puts a service's refusal into the form: invalid fields next to
// their inputs, a taken clientId or email next to that input. It returns
// false for errors that are not the user's to fix.
func formError(form *views.ClientForm, err error) bool {
	var e *switchboard.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case switchboard.EINVALID:
		mergeFields(form, err)
		if len(form.Errors) == 0 {
			form.Error = e.Message
		}
	case switchboard.ECONFLICT:
		field, msg := "clientMeta.email", msgEmailTaken
		if e.Field == "clientId" {
			field, msg = "clientId", msgClientIDTaken
		}
		if form.Errors == nil {
			form.Errors = map[string]string{}
		}
		form.Errors[field] = msg
	default:
		return false
	}
	return true
}

// handleClient handles GET /console/clients/:clientId.
func (con *console) handleClient(c *fiber.Ctx) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	form := views.ClientForm{Values: views.ClientFormValues(client), ClientID: client.ID}
	return con.renderClientPage(c, fiber.StatusOK, client, form, nil)
}

// historySize is how many of a client's latest events its page shows.
const historySize = 10

// renderClientPage renders the client's page with the form given, its
// latest history and its calls, with change (when not nil) applied to the
// calls part.
func (con *console) renderClientPage(c *fiber.Ctx, status int, client *switchboard.Client, form views.ClientForm,
	change func(*views.ClientCalls)) error {
	page, err := con.Events.FindEventPage(c.UserContext(), switchboard.EventPageFilter{ClientID: client.ID, Limit: historySize})
	if err != nil {
		return err
	}
	history := views.ClientHistory{Events: page.Events, More: page.Older != nil}
	calls, err := con.clientCalls(c, client)
	if err != nil {
		return err
	}
	if change != nil {
		change(&calls)
	}
	return render(c, status, views.ClientPage(client, form, history, calls))
}

// handleActivity handles GET /console/activity?client=&kind=&actor=&after=:
// the audit trail, newest first, by keyset pages. htmx's filter gets the
// results alone. An actor no event has is an empty page, as a client is.
func (con *console) handleActivity(c *fiber.Ctx) error {
	a := views.Activity{ClientID: strings.TrimSpace(c.Query("client")), Kind: c.Query("kind"), Actor: c.Query("actor")}
	f := switchboard.EventPageFilter{Limit: pageSize}
	var problems []string
	if a.ClientID != "" && !switchboard.ValidClientID(a.ClientID) {
		problems = append(problems, "That is not a client ID: 3 to 64 letters, digits, '_', '.' or '-'.")
		a.ClientID = ""
	}
	if a.Kind != "" && !views.ValidEventKind(a.Kind) {
		problems = append(problems, "There is no such kind of event; showing every kind.")
		a.Kind = ""
	}
	if p := switchboard.SearchProblem(a.Actor); p != "" {
		problems = append(problems, "The “By” filter "+p+"; showing everyone's events.")
		a.Actor = ""
	}
	f.ClientID, f.Action, f.Actor = a.ClientID, a.Kind, a.Actor
	if v := c.Query("after"); v != "" {
		cur, err := switchboard.ParseEventCursor(v)
		if err != nil {
			problems = append(problems, "That page link is broken; showing the newest events.")
		} else {
			f.After = cur
			a.NewestURL = views.ActivityURL(a.ClientID, a.Kind, a.Actor, nil)
		}
	}
	a.Error = strings.Join(problems, " ")
	page, err := con.Events.FindEventPage(c.UserContext(), f)
	if err != nil {
		return err
	}
	a.Events = page.Events
	if page.Older != nil {
		a.OlderURL = views.ActivityURL(a.ClientID, a.Kind, a.Actor, url.Values{"after": {page.Older.String()}})
	}
	if htmxTarget(c) == "activity-results" {
		return render(c, fiber.StatusOK, views.ActivityResults(a))
	}
	admins, err := con.Auth.Admins.ListAdmins(c.UserContext())
	if err != nil {
		return err
	}
	a.Actors = views.ActorChoices(admins, a.Actor)
	return render(c, fiber.StatusOK, views.ActivityPage(a))
}

// handleUpdateClient handles POST /console/clients/:clientId, the edit form:
// contact and calling fields (status has its own route). The update goes
// through the store's validation, the same as PUT /admin/clients/:clientId.
func (con *console) handleUpdateClient(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("clientId")
	values := formValues(c, views.EditClientFieldsets)
	updated, err := con.Clients.UpdateClient(ctx, id, formUpdate(values))
	if err == nil {
		if err := con.setFlash(c, "Changes saved."); err != nil {
			return err
		}
		return redirect(c, "/console/clients/"+url.PathEscape(updated.ID))
	}
	form := views.ClientForm{Values: values, ClientID: id}
	if !formError(&form, err) {
		return err
	}
	if err := con.addTaken(ctx, &form, "", values["clientMeta.email"], id); err != nil {
		return err
	}
	client, err := con.Clients.FindClientByID(ctx, id)
	if err != nil {
		return err
	}
	form.ClientID = client.ID
	return con.renderClientPage(c, fiber.StatusUnprocessableEntity, client, form, nil)
}

// handleSetStatus handles POST /console/clients/:clientId/status. The new
// status holds for the client's tokens from this moment (every request
// checks it). htmx gets the swapped row or status panel back; a plain form
// goes back to the page it came from.
func (con *console) handleSetStatus(c *fiber.Ctx) error {
	status := switchboard.Status(c.FormValue("status"))
	if !status.Valid() {
		return &pageError{Status: fiber.StatusBadRequest, Title: "Request refused", Message: switchboard.MsgInvalidStatus}
	}
	client, err := con.Clients.UpdateClient(c.UserContext(), c.Params("clientId"), switchboard.ClientUpdate{Status: &status})
	if err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventStatusChange, nil, "client_id", client.ID, "status", string(status))
	switch htmxTarget(c) {
	case views.ClientRowID(client.ID):
		return render(c, fiber.StatusOK, views.SwappedClientRow(client))
	case "status-panel":
		// The confirmation that led here goes with the change.
		return render(c, fiber.StatusOK, templ.Join(views.StatusPanel(client), views.ClientActionPanel(true),
			views.ClientDetails(client, true)))
	}
	if err := con.setFlash(c, fmt.Sprintf("%s is now %s.", client.Meta.FullName, client.Status)); err != nil {
		return err
	}
	// Back where the change was asked for: the confirmation page says
	// where it came from (next), a button on a page is its Referer.
	back := c.FormValue("next")
	if back == "" {
		back = refererPath(c)
	}
	return redirect(c, localPath(back, "/console", "/console/clients/"+url.PathEscape(client.ID)))
}

// handleConfirmStatus handles GET /console/clients/:clientId/status?to=,
// the question before a status change: a panel for the client's page, a
// row for the clients table (whose Cancel asks again without "to" and gets
// the row back), or a page of its own without JavaScript.
func (con *console) handleConfirmStatus(c *fiber.Ctx) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	row := htmxTarget(c) == views.ClientRowID(client.ID)
	to := switchboard.Status(c.Query("to"))
	if to == "" {
		if row {
			return render(c, fiber.StatusOK, views.SwappedClientRow(client))
		}
		return c.Redirect("/console/clients/"+url.PathEscape(client.ID), fiber.StatusSeeOther)
	}
	if !to.Valid() {
		return &pageError{Status: fiber.StatusBadRequest, Title: "Request refused", Message: switchboard.MsgInvalidStatus}
	}
	switch {
	case row:
		return render(c, fiber.StatusOK, views.ConfirmStatusRow(client, to))
	case isHTMX(c):
		return render(c, fiber.StatusOK, views.ConfirmStatus(client, to, ""))
	}
	next := localPath(refererPath(c), "/console", "/console/clients/"+url.PathEscape(client.ID))
	return render(c, fiber.StatusOK, views.ConfirmPage(client, views.ConfirmStatus(client, to, next)))
}

// refererPath is the path and query of the Referer, if it is this site.
func refererPath(c *fiber.Ctx) string {
	u, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || u.Host != c.Hostname() {
		return ""
	}
	return u.RequestURI()
}

// handleConfirmReset handles GET /console/clients/:clientId/reset-secret.
func (con *console) handleConfirmReset(c *fiber.Ctx) error {
	return con.confirm(c, views.ConfirmReset)
}

// handleConfirmDelete handles GET /console/clients/:clientId/delete.
func (con *console) handleConfirmDelete(c *fiber.Ctx) error {
	return con.confirm(c, views.ConfirmDelete)
}

// confirm shows a confirmation panel: alone for htmx, as a page otherwise.
func (con *console) confirm(c *fiber.Ctx, panel func(*switchboard.Client) templ.Component) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, panel(client))
	}
	return render(c, fiber.StatusOK, views.ConfirmPage(client, panel(client)))
}

// handleResetSecret handles POST /console/clients/:clientId/reset-secret:
// a new generated secret, shown once; every earlier token stops working.
func (con *console) handleResetSecret(c *fiber.Ctx) error {
	client, secret, err := con.Auth.ResetClientSecret(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventSecretReset, nil, "client_id", client.ID)
	v := views.SecretView{Client: client, Secret: secret, BaseURL: c.BaseURL(), Event: views.SecretReset}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, templ.Join(views.SecretRevealed(v), views.ClientDetails(client, true)))
	}
	return render(c, fiber.StatusOK, views.SecretPage(v))
}

// handleDeleteClient handles POST /console/clients/:clientId/delete.
func (con *console) handleDeleteClient(c *fiber.Ctx) error {
	ctx := c.UserContext()
	client, err := con.Clients.FindClientByID(ctx, c.Params("clientId"))
	if err != nil {
		return err
	}
	if err := con.Clients.DeleteClient(ctx, client.ID); err != nil {
		return err
	}
	httpserver.Audit(con.Log, c, httpserver.EventClientDeleted, nil, "client_id", client.ID)
	if err := con.setFlash(c, fmt.Sprintf("%s (%s) was deleted.", client.Meta.FullName, client.ID)); err != nil {
		return err
	}
	return redirect(c, "/console/clients")
}
