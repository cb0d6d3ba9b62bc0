package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/calling"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// Field is a form input's description.
type Field = views.Field

// registerCalls adds the console's call pages and the calls part of a
// client's page. Every POST is checked for the session's CSRF token by
// authenticate, like every other form of the console.
func (con *console) registerCalls(g fiber.Router) {
	g.Get("/calls", con.requireSignIn, allow(switchboard.ReadCalls), con.handleCalls)
	g.Get("/calls/:callId", con.requireSignIn, allow(switchboard.ReadCalls), con.handleCall)
	g.Post("/clients/:clientId/calls", con.requireSignIn, allow(switchboard.ChangeCalls), con.handlePlaceCall)
	g.Post("/clients/:clientId/calling", con.requireSignIn, allow(switchboard.ChangeClients), con.handleCallingSettings)
	g.Get("/clients/:clientId/calling-check", con.requireSignIn, allow(switchboard.ReadCalls), con.handleCallingCheck)
	g.Post("/clients/:clientId/do-not-call", con.requireSignIn, allow(switchboard.ChangeCalls), con.handleDoNotCall(false))
	g.Post("/clients/:clientId/do-not-call/remove", con.requireSignIn, allow(switchboard.ChangeCalls), con.handleDoNotCall(true))
}

// handleCalls handles GET /console/calls?status=&outcome=&clientId=&number=&after=|before=:
// every client's calls, newest first, by keyset. htmx's live filter gets
// the results alone.
func (con *console) handleCalls(c *fiber.Ctx) error {
	l, err := con.callList(c, views.ConsoleCalls, "")
	if err != nil {
		return err
	}
	if htmxTarget(c) == "call-results" {
		return callResults(c, l)
	}
	return render(c, fiber.StatusOK, views.CallsPage(l))
}

// handleCall handles GET /console/calls/:callId: any client's call, a
// deleted client's included.
func (con *console) handleCall(c *fiber.Ctx) error {
	call, err := con.oneCall(c, "")
	if err != nil {
		return err
	}
	return callPage(c, views.CallView{Area: views.ConsoleCalls, Call: call}, func(v views.CallView) templ.Component { return views.CallPage(v) })
}

// clientCalls is the calls part of client's page, every form empty.
func (con *console) clientCalls(c *fiber.Ctx, client *switchboard.Client) (views.ClientCalls, error) {
	ctx := c.UserContext()
	v := views.ClientCalls{
		Client:   client,
		Settings: views.CallingSettings{ClientID: client.ID, Form: callForm(views.CallingSettingsValues(client.Calling))},
		Check: views.CallingCheck{ClientID: client.ID, Mode: con.callingMode(),
			AgentID: client.AgentID, Number: client.TwilioPhoneNumber},
		Place: con.placeCallForm(client, clientPath(client.ID, "calls")),
	}
	recent, err := con.Calls.FindCallPage(ctx, switchboard.CallPageFilter{ClientID: client.ID, CurrentClient: true, Limit: 5})
	if err != nil {
		return v, err
	}
	v.Recent = recent.Calls
	if v.Stats, err = con.Calls.CallStats(ctx, client.ID); err != nil {
		return v, err
	}
	v.DoNotCall, err = con.doNotCallPanel(ctx, client.ID, clientPath(client.ID, "do-not-call"))
	return v, err
}

// clientPath is a path under a client's console page.
func clientPath(id, sub string) string { return "/console/clients/" + url.PathEscape(id) + "/" + sub }

func callForm(values map[string]string) views.CallForm {
	return views.CallForm{ClientForm: views.ClientForm{Values: values}}
}

// clientPageWith renders the client's whole page with change applied to
// its calls part: a refused form shown in place, for browsers without
// JavaScript.
func (con *console) clientPageWith(c *fiber.Ctx, client *switchboard.Client, status int, change func(*views.ClientCalls)) error {
	form := views.ClientForm{Values: views.ClientFormValues(client), ClientID: client.ID}
	return con.renderClientPage(c, status, client, form, change)
}

// handlePlaceCall handles POST /console/clients/:clientId/calls: the same
// rules as POST /admin/clients/:clientId/make-call, placed as
// "admin:<username>". htmx gets the panel back, with the new call's link or
// the problems; a plain form goes to the new call's page.
func (con *console) handlePlaceCall(c *fiber.Ctx) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	p := con.placeCallForm(client, clientPath(client.ID, "calls"))
	status, err := con.placeCall(c, client, "admin:"+currentAdmin(c).Username, views.ConsoleCalls, &p)
	if err != nil {
		return err
	}
	page := func() error { return con.clientPageWith(c, client, status, func(v *views.ClientCalls) { v.Place = p }) }
	return con.formAnswer(c, "place-call", status, views.PlaceCallPanel(p), page, placedFlash(p), p.CallURL)
}

// placedFlash confirms a call just placed, on its page.
func placedFlash(p views.PlaceCall) string {
	if p.Placed == nil {
		return ""
	}
	return "Call to " + p.Placed.To + " placed."
}

// handleCallingSettings handles POST /console/clients/:clientId/calling: the
// hourly limit and the calling hours, replaced whole and validated as in
// PUT /admin/clients/:clientId's "calling".
func (con *console) handleCallingSettings(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("clientId")
	form, settings := readCallingSettings(c)
	// Every problem at once: the form's own, then the domain's.
	mergeFields(&form.ClientForm, settings.Validate())
	var client *switchboard.Client
	var err error
	if len(form.Errors) == 0 {
		client, err = con.Clients.UpdateClient(ctx, id, switchboard.ClientUpdate{Calling: &settings})
		if switchboard.ErrorCode(err) == switchboard.EINVALID {
			mergeFields(&form.ClientForm, err)
			if len(form.Errors) == 0 {
				form.Error = switchboard.ErrorMessage(err)
			}
		} else if err != nil {
			return err
		}
	}
	status := 0
	if form.Error != "" || len(form.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	} else {
		form = callForm(views.CallingSettingsValues(client.Calling))
		form.Done = "Calling settings saved: " + limitWords(client.Calling) + "."
	}
	panel := views.CallingSettings{ClientID: id, Form: form}
	page := func() error {
		client, err := con.Clients.FindClientByID(ctx, id)
		if err != nil {
			return err
		}
		return con.clientPageWith(c, client, status, func(v *views.ClientCalls) { v.Settings = panel })
	}
	return con.formAnswer(c, "calling-settings", status, views.CallingSettingsPanel(panel), page, form.Done, "/console/clients/"+url.PathEscape(id))
}

// limitWords says the settings in force: "60 calls an hour, any time".
func limitWords(s switchboard.CallingSettings) string {
	return fmt.Sprintf("at most %d calls an hour, %s", s.HourLimit(), s.Hours.String())
}

// readCallingSettings reads the settings form: an empty limit is the
// default, and hours apply only when "calling.hours.limited" is ticked.
// The form keeps what was typed, and a limit that is no number is refused
// here; the rest is the domain's to check.
func readCallingSettings(c *fiber.Ctx) (views.CallForm, switchboard.CallingSettings) {
	f := views.CallingSettingsFields
	days := []string{}
	for _, d := range c.Request().PostArgs().PeekMulti(f.Days.Name) {
		days = append(days, string(d))
	}
	form := callForm(map[string]string{
		f.Limit.Name: strings.TrimSpace(c.FormValue(f.Limit.Name)), f.Limited.Name: c.FormValue(f.Limited.Name),
		f.Timezone.Name: strings.TrimSpace(c.FormValue(f.Timezone.Name)), f.Start.Name: c.FormValue(f.Start.Name),
		f.End.Name: c.FormValue(f.End.Name), f.Days.Name: strings.Join(days, " "),
	})
	var s switchboard.CallingSettings
	problem := func(field Field, phrase string) {
		if form.Errors == nil {
			form.Errors, form.Phrases = map[string]string{}, map[string]string{}
		}
		form.Errors[field.Name], form.Phrases[field.Name] = field.Name+" "+phrase, phrase
	}
	if v := form.Values[f.Limit.Name]; v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			problem(f.Limit, "must be a whole number")
		case n == 0:
			s.MaxCallsPerHour = -1 // refused, as the API refuses an explicit 0
		default:
			s.MaxCallsPerHour = n
		}
	}
	if form.Values[f.Limited.Name] == "on" {
		s.Hours = &switchboard.CallingHours{Timezone: form.Values[f.Timezone.Name],
			Start: form.Values[f.Start.Name], End: form.Values[f.End.Name], Days: days}
		// The domain says "after calling.hours.start"; the form's words for
		// the two times are its labels. Times as the inputs send them
		// ("09:00") compare as text.
		if len(s.Hours.Start) == 5 && len(s.Hours.End) == 5 && s.Hours.End <= s.Hours.Start {
			problem(f.End, "must be after "+f.Start.Label)
		}
	}
	return form, s
}

// checkTimeout bounds the calling check: ElevenLabs is asked twice.
const checkTimeout = 10 * time.Second

// handleCallingCheck handles GET /console/clients/:clientId/calling-check:
// what ElevenLabs says of the client's agent and number, asked now. htmx
// gets the panel; without JavaScript it is a page.
func (con *console) handleCallingCheck(c *fiber.Ctx) error {
	client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return err
	}
	// "Check again" (the form with that id) asked: the answer takes the
	// focus; the panel loading itself with the page leaves it where it is.
	v := views.CallingCheck{ClientID: client.ID, Mode: con.callingMode(), Checked: true,
		AgentID: client.AgentID, Number: client.TwilioPhoneNumber, Focus: c.Get("HX-Trigger") == "check-again"}
	if v.Mode != views.CallingOff {
		ctx, cancel := context.WithTimeout(c.UserContext(), checkTimeout)
		defer cancel()
		check, err := con.Calling.Check(ctx, client.AgentID, client.TwilioPhoneNumber)
		if errors.Is(err, calling.ErrNotConfigured) {
			v.Mode = views.CallingOff
		} else if err != nil {
			return err
		} else {
			v.Verified, v.Problem = check.Verified, check.Problem
			v.AgentFound, v.AgentName = check.AgentFound, check.AgentName
			v.NumberImported, v.SupportsOutbound = check.NumberImported, check.SupportsOutbound
			v.AssignedAgentID, v.AssignedToAgent = check.AssignedAgentID, check.AssignedToAgent
		}
	}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.CallingCheckPanel(v))
	}
	return render(c, fiber.StatusOK, views.CallingCheckPage(client, v))
}

// handleDoNotCall handles POST /console/clients/:clientId/do-not-call (add
// the posted phone) and …/do-not-call/remove. htmx gets the list back; a
// plain form goes back to the client's page.
func (con *console) handleDoNotCall(remove bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		client, err := con.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
		if err != nil {
			return err
		}
		d, status, err := con.changeDoNotCall(c, client.ID, clientPath(client.ID, "do-not-call"), remove)
		if err != nil {
			return err
		}
		page := func() error {
			return con.clientPageWith(c, client, status, func(v *views.ClientCalls) { v.DoNotCall = d })
		}
		return con.formAnswer(c, "do-not-call", status, views.DoNotCallPanel(d), page, d.Form.Done, "/console/clients/"+url.PathEscape(client.ID))
	}
}

// chartDays is how many days the dashboard's chart of calls covers.
const chartDays = 30

// dashboardCalls is the dashboard's calls: the last 24 hours, the total and
// by status, and each of the last 30 days (today's included, in UTC) by
// outcome.
func (con *console) dashboardCalls(ctx context.Context) (views.DashboardCalls, error) {
	now := time.Now().UTC()
	var d views.DashboardCalls
	stats, err := con.Calls.CallStats(ctx, "")
	if err != nil {
		return d, err
	}
	d.Total, d.ByStatus = stats.TotalCalls, stats.CallsByStatus
	if d.Last24h, err = con.Calls.CountCallsSince(ctx, now.Add(-24*time.Hour)); err != nil {
		return d, err
	}
	today := now.Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, 1-chartDays)
	counts, err := con.Calls.CountCallsByDay(ctx, first)
	if err != nil {
		return d, err
	}
	d.Days = views.CallDays(counts, first, today)
	return d, nil
}
