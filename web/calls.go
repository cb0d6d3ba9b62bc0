package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/calling"
	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
	"switchboard/views"
)

// What the console's and the account's call pages share: the calls list,
// placing a call, the do-not-call list.

// callingMode says how calls are placed: views.CallingOff, CallingSimulated
// or CallingLive.
func (s *Server) callingMode() string {
	switch {
	case s.Calling == nil || s.Calling.Dialer == nil:
		return views.CallingOff
	case s.Calling.Simulated:
		return views.CallingSimulated
	}
	return views.CallingLive
}

// callList reads one page of calls for the list at area, filtered as the
// query says: status, outcome, the number called and, in the console, the
// clientId; on the account pages only the calls of the client owner, the
// one signed in. A filter that cannot be applied is said and dropped.
func (s *Server) callList(c *fiber.Ctx, area views.CallArea, owner string) (views.CallList, error) {
	l := views.CallList{Area: area, Mode: s.callingMode()}
	f := switchboard.CallPageFilter{Limit: pageSize}
	var problems []string
	if area.Console {
		l.Filter.ClientID = strings.TrimSpace(c.Query("clientId"))
		if p := switchboard.SearchProblem(l.Filter.ClientID); p != "" {
			problems = append(problems, "The client ID "+p+".")
			l.Filter.ClientID = ""
		}
		f.ClientID = l.Filter.ClientID
	} else {
		f.ClientID, f.CurrentClient = owner, true
	}
	if v := c.Query("status"); v != "" {
		if st := switchboard.CallStatus(v); st.Valid() {
			l.Filter.Status, f.Status = v, &st
		} else {
			problems = append(problems, "Status must be one of queued, initiated, in-progress, completed, failed.")
		}
	}
	if v := c.Query("outcome"); v != "" {
		if slices.Contains(switchboard.Outcomes, v) {
			l.Filter.Outcome, f.Outcome = v, v
		} else {
			problems = append(problems, "Outcome must be one of success, failure, unknown.")
		}
	}
	if v := strings.TrimSpace(c.Query("number")); v != "" {
		if n, ok := typedNumber(v); ok {
			l.Filter.Number, f.To = n, n
		} else {
			problems = append(problems, "A number holds digits, with a + in front; spaces, dashes, dots and brackets are left out.")
		}
	}
	for _, p := range []struct {
		name string
		dst  **switchboard.CallCursor
	}{{"after", &f.After}, {"before", &f.Before}} {
		if v := c.Query(p.name); v != "" {
			cur, err := switchboard.ParseCallCursor(v)
			if err != nil {
				problems = append(problems, "That page link is broken; showing the first page.")
				continue
			}
			*p.dst = cur
		}
	}
	if f.After != nil && f.Before != nil {
		f.After, f.Before = nil, nil
	}
	switch {
	case f.After != nil:
		l.Self = l.URL(url.Values{"after": {f.After.String()}})
	case f.Before != nil:
		l.Self = l.URL(url.Values{"before": {f.Before.String()}})
	default:
		l.Self = l.URL(nil)
	}
	l.Error = strings.Join(problems, " ")
	l.Paged = f.After != nil || f.Before != nil

	page, err := s.Calls.FindCallPage(c.UserContext(), f)
	if err != nil {
		return l, err
	}
	l.Calls = page.Calls
	if page.Newer != nil {
		l.NewerURL = l.URL(url.Values{"before": {page.Newer.String()}})
	}
	if page.Next != nil {
		l.OlderURL = l.URL(url.Values{"after": {page.Next.String()}})
	}
	return l, nil
}

// formAnswer answers a post of one of the calls' panels: to htmx, the
// panel itself (target), with the status of a refusal or 200; to a plain
// form, the whole page again (page) when refused, else a redirect to
// location with flash for the next page. status is 0 when the post did
// what it asked.
func (a *area) formAnswer(c *fiber.Ctx, target string, status int, panel templ.Component, page func() error, flash, location string) error {
	switch {
	case htmxTarget(c) == target:
		return render(c, max(status, fiber.StatusOK), panel)
	case status != 0:
		return page()
	}
	if err := a.setFlash(c, flash); err != nil {
		return err
	}
	return redirect(c, location)
}

// callResults answers htmx's live filter with the results alone, and the
// list's own address for the browser's: a number typed "1 (212) 555-1234"
// is bookmarked as +12125551234, a filter refused is left out.
func callResults(c *fiber.Ctx, l views.CallList) error {
	c.Set("HX-Push-Url", l.Self)
	return render(c, fiber.StatusOK, views.CallResults(l))
}

// typedNumber reads a phone number as people type it, "+1 (212) 555-1234",
// into the E.164 form calls store, "+12125551234"; a number typed without
// its + gets one. ok is false when it holds anything else. The number may
// be partial: it then matches no call.
func typedNumber(s string) (string, bool) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	if b.Len() == 0 || b.Len() > 15 {
		return "", false
	}
	return "+" + b.String(), true
}

// oneCall finds the call of the path's callId: any client's in the console
// (owner ""), only the owner's on the account pages. Another client's call
// is as unknown as one that does not exist.
func (s *Server) oneCall(c *fiber.Ctx, owner string) (*switchboard.Call, error) {
	id := c.Params("callId")
	if !switchboard.ValidCallID(id) {
		return nil, errNoCall
	}
	call, err := s.Calls.FindCall(c.UserContext(), owner, id)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil, errNoCall
	}
	return call, err
}

var errNoCall = &pageError{Status: fiber.StatusNotFound, Title: "Call not found", Message: "There is no call at this address."}

// callPage answers a call's page: the whole page, or for htmx's polling
// the call's detail alone.
func callPage(c *fiber.Ctx, v views.CallView, page func(views.CallView) templ.Component) error {
	if htmxTarget(c) == "call-detail" {
		return render(c, fiber.StatusOK, views.CallDetail(v))
	}
	return render(c, fiber.StatusOK, page(v))
}

// placeCallForm is the empty "Place a call" form of client, posting to
// action; off when the client cannot place calls now.
func (s *Server) placeCallForm(client *switchboard.Client, action string) views.PlaceCall {
	p := views.PlaceCall{Action: action, Mode: s.callingMode(), Form: views.CallForm{ClientForm: views.ClientForm{Values: map[string]string{}}}}
	switch {
	case p.Mode == views.CallingOff:
		p.Off = "Calling is off on this server: set ELEVENLABS_API_KEY, or SIMULATE_CALLS=1 to try it."
	case client.Status != switchboard.StatusActive:
		p.Off = fmt.Sprintf("%s is %s: only an Active client's calls can be placed.", client.Meta.FullName, client.Status)
	}
	return p
}

// placeCall places the call the posted form asks for, with the same rules
// as the API's make-call (calling.Service.Place), and fills p with the
// call or with why it was refused. It returns the status of a refusal (0
// when the call was placed) and an error only for failures that are not
// the user's to fix.
func (s *Server) placeCall(c *fiber.Ctx, client *switchboard.Client, requestedBy string, area views.CallArea, p *views.PlaceCall) (int, error) {
	p.Form.Values = map[string]string{"phone": c.FormValue("phone"), "firstMessage": c.FormValue("firstMessage")}
	if s.callingMode() == views.CallingOff {
		p.Form.Error = "Calling is not configured"
		return fiber.StatusServiceUnavailable, nil
	}
	if client.Status != switchboard.StatusActive {
		p.Form.Error = fmt.Sprintf("Client is not active (status: %s)", client.Status)
		return fiber.StatusForbidden, nil
	}
	call, err := s.Calling.Place(c.UserContext(), client, calling.Request{
		Phone: p.Form.Values["phone"], FirstMessage: p.Form.Values["firstMessage"], RequestedBy: requestedBy,
	})
	if err == nil {
		p.Placed, p.CallURL = call, area.CallURL(call.ID)
		p.Form.Values = map[string]string{}
		return 0, nil
	}
	var e *switchboard.Error
	if !errors.As(err, &e) {
		return 0, err
	}
	status := httpserver.StatusOf(e.Code)
	switch e.Code {
	case switchboard.EINVALID, switchboard.EFORBIDDEN:
		if e.Code == switchboard.EINVALID {
			status = fiber.StatusUnprocessableEntity
		}
		if e.Field == "phone" || e.Field == "firstMessage" {
			p.Form.Errors = map[string]string{e.Field: e.Message}
			return status, nil
		}
		if mergeFields(&p.Form.ClientForm, err); len(p.Form.Errors) > 0 {
			return status, nil
		}
	case switchboard.ETHROTTLED:
		httpserver.SetRetryAfter(c, e.RetryAfter)
		e.Details = strings.TrimSuffix(e.Details, ".") + ". Try again in " + minutes(e.RetryAfter.Minutes()) + "."
	case switchboard.ECONFLICT, switchboard.EUPSTREAM:
	default:
		return 0, err
	}
	p.Form.Error, p.Form.Details = e.Message, e.Details
	return status, nil
}

// doNotCallPanel is the client's do-not-call list with an empty form.
func (s *Server) doNotCallPanel(ctx context.Context, clientID, action string) (views.DoNotCall, error) {
	entries, err := s.Calls.FindDoNotCall(ctx, clientID)
	return views.DoNotCall{Action: action, Entries: entries, Form: views.CallForm{ClientForm: views.ClientForm{Values: map[string]string{}}}}, err
}

// changeDoNotCall adds the posted number to the client's list, or takes it
// off with remove, and returns the list with what was done, or why not, and
// the status of a refusal (0 when done).
func (s *Server) changeDoNotCall(c *fiber.Ctx, clientID, action string, remove bool) (views.DoNotCall, int, error) {
	ctx := c.UserContext()
	phone := strings.TrimSpace(c.FormValue("phone"))
	if remove && !calling.ValidPhone(phone) {
		return views.DoNotCall{}, 0, &pageError{Status: fiber.StatusBadRequest, Title: "Request refused", Message: calling.MsgPhoneFormat}
	}
	status := 0
	var done string
	switch {
	case phone == "":
		status = fiber.StatusUnprocessableEntity
		done = "Enter the number to add."
	case !calling.ValidPhone(phone):
		status = fiber.StatusUnprocessableEntity
		done = calling.MsgPhoneFormat
	case remove:
		err := s.Calls.RemoveDoNotCall(ctx, clientID, phone)
		switch switchboard.ErrorCode(err) {
		case "":
			done = phone + " is off the list: calls may reach it again."
		case switchboard.ENOTFOUND:
			done = phone + " is not on the list."
		default:
			return views.DoNotCall{}, 0, err
		}
	default:
		if err := s.Calls.AddDoNotCall(ctx, clientID, phone, time.Now()); err != nil {
			return views.DoNotCall{}, 0, err
		}
		done = phone + " is on the list: calls to it are refused."
	}
	d, err := s.doNotCallPanel(ctx, clientID, action)
	if err != nil {
		return d, 0, err
	}
	if status != 0 {
		// A refused number stays in the field, with its problem beside it.
		d.Form.Values["phone"] = phone
		d.Form.Errors = map[string]string{"phone": done}
		return d, status, nil
	}
	d.Form.Done = done
	return d, 0, nil
}
