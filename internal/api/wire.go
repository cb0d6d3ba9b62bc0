package api

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// decode reads the request body into v, a struct whose fields have the types
// the API accepts. It uses the JSON v2 decoder (go-json-experiment/json, the
// future encoding/json/v2) because it is strict where the standard one is
// lax: member names must match exactly ({"Status":...} is not "status"),
// a name may not appear twice, and invalid UTF-8 is refused.
//
// An empty body decodes as {}, so missing fields get the document's
// "missing" errors; a value of the wrong type (such as {"clientSecret":
// {"$ne": null}}) or anything that is not one JSON object is a 400 that names
// the problem. Unknown members are ignored. The body is read whatever the
// Content-Type, because `curl -d` sends form encoding by default; the API
// takes no cookies, so that opens no cross-site door.
func decode(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		body = []byte("{}")
	}
	if tooDeep(body) {
		return badRequest("Invalid JSON body", fmt.Sprintf("nested deeper than %d levels", maxJSONDepth))
	}
	err := jsonv2.Unmarshal(body, v)
	var semErr *jsonv2.SemanticError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &semErr) && semErr.JSONPointer != "" && semErr.GoType != nil:
		field := strings.ReplaceAll(strings.TrimPrefix(string(semErr.JSONPointer), "/"), "/", ".")
		want := "must be " + jsonKind(semErr.GoType)
		return &httpserver.JSONError{Status: fiber.StatusBadRequest, Body: httpserver.ErrorBody{
			Error: "Invalid request body", Details: field + " " + want, Fields: map[string]string{field: want},
		}}
	case errors.As(err, &semErr) && semErr.JSONPointer == "":
		return badRequest("Invalid request body", "the body must be a JSON object")
	default:
		return badRequest("Invalid JSON body", err.Error())
	}
}

// maxJSONDepth bounds nesting. No request nests more than 2 levels; the
// decoder's own limit, 10,000, let 60 KiB of `{"a":` cost ~4 MiB and 5 ms of
// an unauthenticated request (TestHostileNesting).
const maxJSONDepth = 32

// tooDeep reports whether body nests deeper than maxJSONDepth, reading
// tokens only as far as that depth. Syntax errors are left to the decoder.
func tooDeep(body []byte) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	for {
		if _, err := dec.ReadToken(); err != nil {
			return false
		}
		if dec.StackDepth() > maxJSONDepth {
			return true
		}
	}
}

// jsonKind names what a Go type accepts the way a JSON user would.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

// timeFormat is how the API writes times: UTC with milliseconds, as
// README.md's "API" section shows ("2025-03-20T12:00:00.000Z").
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// clientFieldsJSON are the members that carry a client's fields, in the
// order responses show them; requests and responses share it, so a field is
// one member here and one line in each mapping (domain, newClientJSON).
// Members are pointers so that a request may leave one out (absent or null:
// as it is, or empty in a new client); a response sets every one.
type clientFieldsJSON struct {
	Status            *string         `json:"status"`
	AgentID           *string         `json:"agentId"`
	TwilioPhoneNumber *string         `json:"twilioPhoneNumber"`
	ClientMeta        *clientMetaJSON `json:"clientMeta"`
	Calling           *callingJSON    `json:"calling"`
}

// callingJSON is a client's calling settings on the wire. In a request it
// replaces the settings whole: a missing maxCallsPerHour is the default, a
// missing hours is "any time". A response gives the limit in force.
type callingJSON struct {
	MaxCallsPerHour *int              `json:"maxCallsPerHour"`
	Hours           *callingHoursJSON `json:"hours"`
}

type callingHoursJSON struct {
	Timezone string   `json:"timezone"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Days     []string `json:"days"`
}

func (c *callingJSON) domain() *switchboard.CallingSettings {
	if c == nil {
		return nil
	}
	s := &switchboard.CallingSettings{}
	if c.MaxCallsPerHour != nil {
		s.MaxCallsPerHour = *c.MaxCallsPerHour
		if s.MaxCallsPerHour == 0 {
			s.MaxCallsPerHour = -1 // an explicit 0 is refused, not taken for "the default"
		}
	}
	if h := c.Hours; h != nil {
		s.Hours = &switchboard.CallingHours{Timezone: h.Timezone, Start: h.Start, End: h.End, Days: h.Days}
	}
	return s
}

func newCallingJSON(s switchboard.CallingSettings) *callingJSON {
	limit := s.HourLimit()
	out := &callingJSON{MaxCallsPerHour: &limit}
	if h := s.Hours; h != nil {
		out.Hours = &callingHoursJSON{Timezone: h.Timezone, Start: h.Start, End: h.End, Days: h.Days}
	}
	return out
}

// clientMetaJSON is clientMeta on the wire.
type clientMetaJSON struct {
	FullName     *string `json:"fullName"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	BusinessName *string `json:"businessName"`
	City         *string `json:"city"`
	JobTitle     *string `json:"jobTitle"`
	// Notes is left out of a client's own answers (see newOwnClientJSON).
	Notes *string `json:"notes,omitzero"`
}

// domain is the change the members sent ask for: the one mapping from the
// wire to the domain, for creates (see clientCreateRequest) and updates.
func (f *clientFieldsJSON) domain() switchboard.ClientUpdate {
	upd := switchboard.ClientUpdate{
		Meta: f.ClientMeta.domain(), AgentID: f.AgentID, TwilioPhoneNumber: f.TwilioPhoneNumber,
		Calling: f.Calling.domain(),
	}
	if f.Status != nil {
		st := switchboard.Status(*f.Status)
		upd.Status = &st
	}
	return upd
}

func (m *clientMetaJSON) domain() switchboard.ClientMetaUpdate {
	if m == nil {
		return switchboard.ClientMetaUpdate{}
	}
	return switchboard.ClientMetaUpdate{
		FullName: m.FullName, Email: m.Email, Phone: m.Phone,
		BusinessName: m.BusinessName, City: m.City, JobTitle: m.JobTitle, Notes: m.Notes,
	}
}

// clientCreateRequest is the body of POST /admin/clients.
type clientCreateRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	clientFieldsJSON
}

// client is the new client the request describes: the fields it sets, on
// an empty client.
func (r *clientCreateRequest) client() *switchboard.Client {
	c := &switchboard.Client{ID: r.ClientID}
	c.Apply(r.domain())
	return c
}

// clientJSON is a client on the wire. ClientSecret is set only in the create
// response; nothing else ever carries a secret or its hash.
type clientJSON struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	clientFieldsJSON
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// newClientJSON is the one mapping from the domain to the wire.
func newClientJSON(c *switchboard.Client) clientJSON {
	cl := *c // the members point into this copy, not into the caller's client
	status, m := string(cl.Status), &cl.Meta
	return clientJSON{
		ClientID: cl.ID,
		clientFieldsJSON: clientFieldsJSON{
			Status: &status, AgentID: &cl.AgentID, TwilioPhoneNumber: &cl.TwilioPhoneNumber,
			ClientMeta: &clientMetaJSON{
				FullName: &m.FullName, Email: &m.Email, Phone: &m.Phone,
				BusinessName: &m.BusinessName, City: &m.City, JobTitle: &m.JobTitle, Notes: &m.Notes,
			},
			Calling: newCallingJSON(cl.Calling),
		},
		CreatedAt: formatTime(cl.CreatedAt),
		UpdatedAt: formatTime(cl.UpdatedAt),
	}
}

// newOwnClientJSON is a client as it reads itself: without the
// administrator's notes (switchboard.ClientField.AdminOnly), which it
// neither reads nor changes.
func newOwnClientJSON(c *switchboard.Client) clientJSON {
	out := newClientJSON(c)
	out.ClientMeta.Notes = nil
	return out
}

// loginClientJSON is the short client summary of the login response.
type loginClientJSON struct {
	ClientID          string `json:"clientId"`
	Status            string `json:"status"`
	TwilioPhoneNumber string `json:"twilioPhoneNumber"`
	AgentID           string `json:"agentId"`
	ClientMeta        struct {
		FullName     string `json:"fullName"`
		BusinessName string `json:"businessName"`
		Email        string `json:"email"`
	} `json:"clientMeta"`
}

func newLoginClientJSON(c *switchboard.Client) loginClientJSON {
	out := loginClientJSON{
		ClientID: c.ID, Status: string(c.Status), TwilioPhoneNumber: c.TwilioPhoneNumber, AgentID: c.AgentID,
	}
	out.ClientMeta.FullName, out.ClientMeta.BusinessName, out.ClientMeta.Email =
		c.Meta.FullName, c.Meta.BusinessName, c.Meta.Email
	return out
}

// The responses of README.md's "API" section, as structs so their members
// come out in the order shown there (a map's would be sorted).

type messageClientResponse struct {
	Message string `json:"message"`
	Client  any    `json:"client"`
}

type secretJSON struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

type loginResponse struct {
	Success bool            `json:"success"`
	Token   string          `json:"token"`
	Client  loginClientJSON `json:"client"`
}

type listResponse struct {
	Total   int          `json:"total"`
	Count   int          `json:"count"`
	Limit   int          `json:"limit"`
	Offset  int          `json:"offset"`
	Clients []clientJSON `json:"clients"`
}
