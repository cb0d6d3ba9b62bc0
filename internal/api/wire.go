package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/switchboard"
)

// decode reads the request body into v, a struct whose fields have the types
// the API accepts. An empty body decodes as {}, so missing fields get the
// document's "missing" errors; a value of the wrong type (such as
// {"clientSecret": {"$ne": null}}) or anything that is not one JSON object
// is a 400 that names the problem. Unknown fields are ignored. The body is
// read whatever the Content-Type, because `curl -d` sends form encoding by
// default; the API has no cookies, so that opens no cross-site door.
func decode(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{
			Error:   "Invalid request body",
			Details: fmt.Sprintf("%s must be %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String())),
			Fields:  map[string]string{typeErr.Field: "must be " + jsonKind(typeErr.Type.Kind().String())},
		}}
	case errors.As(err, &typeErr):
		return badRequest("Invalid request body", "the body must be a JSON object")
	default:
		return badRequest("Invalid JSON body", err.Error())
	}
}

// jsonKind names a Go kind the way a JSON user would.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	default:
		return "a number"
	}
}

// timeFormat is how the API writes times: UTC with milliseconds, as the
// user's document shows ("2025-03-20T12:00:00.000Z").
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// clientMetaJSON is clientMeta on the wire.
type clientMetaJSON struct {
	FullName     string `json:"fullName"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	BusinessName string `json:"businessName"`
	City         string `json:"city"`
	JobTitle     string `json:"jobTitle"`
	Notes        string `json:"notes"`
}

// clientJSON is a client on the wire. ClientSecret is set only in the create
// response; nothing else ever carries a secret or its hash.
type clientJSON struct {
	ClientID          string         `json:"clientId"`
	ClientSecret      string         `json:"clientSecret,omitempty"`
	Status            string         `json:"status"`
	AgentID           string         `json:"agentId"`
	TwilioPhoneNumber string         `json:"twilioPhoneNumber"`
	ClientMeta        clientMetaJSON `json:"clientMeta"`
	CreatedAt         string         `json:"createdAt"`
	UpdatedAt         string         `json:"updatedAt"`
}

func newClientJSON(c *switchboard.Client) clientJSON {
	m := c.Meta
	return clientJSON{
		ClientID:          c.ID,
		Status:            string(c.Status),
		AgentID:           c.AgentID,
		TwilioPhoneNumber: c.TwilioPhoneNumber,
		ClientMeta: clientMetaJSON{
			FullName: m.FullName, Email: m.Email, Phone: m.Phone,
			BusinessName: m.BusinessName, City: m.City, JobTitle: m.JobTitle, Notes: m.Notes,
		},
		CreatedAt: formatTime(c.CreatedAt),
		UpdatedAt: formatTime(c.UpdatedAt),
	}
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

// clientMetaUpdateJSON is clientMeta in an update: absent (or null) fields
// stay as they are.
type clientMetaUpdateJSON struct {
	FullName     *string `json:"fullName"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	BusinessName *string `json:"businessName"`
	City         *string `json:"city"`
	JobTitle     *string `json:"jobTitle"`
	Notes        *string `json:"notes"`
}

func (m *clientMetaUpdateJSON) domain() switchboard.ClientMetaUpdate {
	if m == nil {
		return switchboard.ClientMetaUpdate{}
	}
	return switchboard.ClientMetaUpdate{
		FullName: m.FullName, Email: m.Email, Phone: m.Phone,
		BusinessName: m.BusinessName, City: m.City, JobTitle: m.JobTitle, Notes: m.Notes,
	}
}
