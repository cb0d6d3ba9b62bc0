package api

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

const eventsTitle = "Failed to fetch events"

// eventJSON is an entry of the audit trail. clientId is null for a change
// to the team; clientName is the client's name now, null once it is gone.
type eventJSON struct {
	ID         int64   `json:"id"`
	Actor      string  `json:"actor"`
	Action     string  `json:"action"`
	ClientID   *string `json:"clientId"`
	ClientName *string `json:"clientName"`
	Detail     string  `json:"detail"`
	CreatedAt  string  `json:"createdAt"`
}

type eventPageResponse struct {
	Events []eventJSON `json:"events"`
	Older  *string     `json:"older"`
}

// handleEvents handles GET /admin/events?client=&kind=&actor=&limit=&after=:
// the audit trail, newest first, by keyset, filtered by client, action and
// actor (each exact; one no event has gives an empty page).
func (s *Server) handleEvents(c *fiber.Ctx) error {
	f := switchboard.EventPageFilter{ClientID: c.Query("client"), Action: c.Query("kind"), Actor: c.Query("actor")}
	for _, q := range []struct{ name, value string }{{"client", f.ClientID}, {"kind", f.Action}, {"actor", f.Actor}} {
		// What no event can hold is a mistake to say, not an empty page.
		if p := switchboard.SearchProblem(q.value); p != "" {
			return fieldError(fiber.StatusBadRequest, eventsTitle, q.name, q.name+" "+p)
		}
	}
	var err error
	if f.Limit, err = intQuery(c, eventsTitle, "limit", switchboard.DefaultEventLimit, 1, switchboard.MaxEventLimit); err != nil {
		return err
	}
	if v := c.Query("after"); v != "" {
		if f.After, err = switchboard.ParseEventCursor(v); err != nil {
			return cursorError(eventsTitle, "after")
		}
	}
	page, err := s.Events.FindEventPage(c.UserContext(), f)
	if err != nil {
		return httpserver.Failed(eventsTitle, err)
	}
	out := eventPageResponse{Events: make([]eventJSON, len(page.Events))}
	for i, e := range page.Events {
		out.Events[i] = eventJSON{
			ID: e.ID, Actor: e.Actor, Action: e.Action, ClientID: optional(e.ClientID), ClientName: optional(e.ClientName),
			Detail: e.Detail, CreatedAt: formatTime(e.CreatedAt),
		}
	}
	if page.Older != nil {
		out.Older = optional(page.Older.String())
	}
	return c.JSON(out)
}
