package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
	"switchboard/internal/switchboard"
)

// handleListClients handles GET /admin/clients?status=&search=&limit=&offset=.
func (s *Server) handleListClients(c *fiber.Ctx) error {
	const title = "Failed to fetch clients"
	f := switchboard.ClientFilter{Limit: switchboard.DefaultClientLimit, Search: strings.TrimSpace(c.Query("search"))}
	invalid := func(field, msg string) error { return fieldError(fiber.StatusBadRequest, title, field, msg) }
	if v := c.Query("status"); v != "" {
		st := switchboard.Status(v)
		if !st.Valid() {
			return invalid("status", switchboard.MsgInvalidStatus)
		}
		f.Status = &st
	}
	if p := switchboard.SearchProblem(f.Search); p != "" {
		return invalid("search", "search "+p)
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > switchboard.MaxClientLimit {
			return invalid("limit", fmt.Sprintf("limit must be a whole number from 1 to %d", switchboard.MaxClientLimit))
		}
		f.Limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("offset", "offset must be a whole number, 0 or more")
		}
		f.Offset = n
	}
	ctx := c.UserContext()
	clients, total, err := s.Clients.FindClients(ctx, f)
	if err != nil {
		return httpserver.Failed(title, err)
	}
	out := make([]clientJSON, len(clients))
	for i, cl := range clients {
		out[i] = newClientJSON(cl)
	}
	return c.JSON(listResponse{Total: total, Count: len(out), Limit: f.Limit, Offset: f.Offset, Clients: out})
}

// handleGetClient handles GET /admin/clients/:clientId.
func (s *Server) handleGetClient(c *fiber.Ctx) error {
	ctx := c.UserContext()
	client, err := s.Clients.FindClientByID(ctx, c.Params("clientId"))
	if err != nil {
		return httpserver.Failed("Failed to fetch client", err)
	}
	return c.JSON(newClientJSON(client))
}

// handleCreateClient handles POST /admin/clients. The response echoes the
// secret, as README.md's "API" section says: with the reset response, the only
// two places a secret is ever shown.
func (s *Server) handleCreateClient(c *fiber.Ctx) error {
	var req clientCreateRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	client := req.client()
	ctx := c.UserContext()
	if err := s.verifyCalling(ctx, client); err != nil {
		return httpserver.Failed("Failed to create client", err)
	}
	secret, err := s.Auth.CreateClient(ctx, client, req.ClientSecret)
	if err != nil {
		return httpserver.Failed("Failed to create client", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventClientCreated, nil, "client_id", client.ID)
	out := newClientJSON(client)
	out.ClientSecret = secret
	return c.Status(fiber.StatusCreated).JSON(messageClientResponse{Message: "Client created successfully", Client: out})
}

// verifyCalling refuses a client whose agent or number ElevenLabs says it
// does not know, when calling is configured (calling.Service.VerifySetup).
// A client that is invalid anyway is left to the store's validation, whose
// messages come first.
func (s *Server) verifyCalling(ctx context.Context, c *switchboard.Client) error {
	if s.Calling == nil {
		return nil
	}
	check := *c
	check.Normalize()
	if check.Validate() != nil {
		return nil
	}
	return s.Calling.VerifySetup(ctx, check.AgentID, check.TwilioPhoneNumber)
}

// clientUpdateRequest is the body of both update endpoints. Fields that no
// update may set are decoded only to refuse them with a clear message.
type clientUpdateRequest struct {
	ClientID     *string        `json:"clientId"`
	ClientSecret jsontext.Value `json:"clientSecret"`
	clientFieldsJSON
}

// setsSecret reports whether the body carries a clientSecret (null counts as absent).
func (r *clientUpdateRequest) setsSecret() bool {
	return len(r.ClientSecret) > 0 && string(r.ClientSecret) != "null"
}

const updateTitle = "Failed to update client"

var errNothingToUpdate = &httpserver.JSONError{Status: fiber.StatusBadRequest, Body: httpserver.ErrorBody{
	Error: updateTitle, Details: "The body sets no field that can be updated",
}}

// handleUpdateClient handles PUT /admin/clients/:clientId. Only the fields
// present change: clientMeta's fields, agentId, twilioPhoneNumber, status.
// Setting status to Inactive or Suspended stops the client's tokens at once;
// Active again lets them work.
func (s *Server) handleUpdateClient(c *fiber.Ctx) error {
	var req clientUpdateRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	id := c.Params("clientId")
	if req.ClientID != nil && *req.ClientID != id {
		return errorOnly(fiber.StatusBadRequest, "Cannot change client ID")
	}
	if req.setsSecret() {
		return fieldError(fiber.StatusBadRequest, updateTitle, "clientSecret",
			"clientSecret cannot be set by an update; use POST /admin/clients/:clientId/reset-secret")
	}
	upd := req.domain()
	if upd.Empty() {
		return errNothingToUpdate
	}
	ctx := c.UserContext()
	if upd.AgentID != nil || upd.TwilioPhoneNumber != nil {
		current, err := s.Clients.FindClientByID(ctx, id)
		if err != nil {
			return httpserver.Failed(updateTitle, err)
		}
		next := *current
		next.Apply(upd)
		if next.AgentID != current.AgentID || next.TwilioPhoneNumber != current.TwilioPhoneNumber {
			if err := s.verifyCalling(ctx, &next); err != nil {
				return httpserver.Failed(updateTitle, err)
			}
		}
	}
	client, err := s.Clients.UpdateClient(ctx, id, upd)
	if err != nil {
		return httpserver.Failed(updateTitle, err)
	}
	if upd.Status != nil {
		httpserver.Audit(s.Log, c, httpserver.EventStatusChange, nil, "client_id", id, "status", string(client.Status))
	}
	return c.JSON(messageClientResponse{Message: "Client updated successfully", Client: newClientJSON(client)})
}

// handleDeleteClient handles DELETE /admin/clients/:clientId. Its tokens die with it.
func (s *Server) handleDeleteClient(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := s.Clients.DeleteClient(ctx, c.Params("clientId")); err != nil {
		return httpserver.Failed("Failed to delete client", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventClientDeleted, nil, "client_id", c.Params("clientId"))
	return c.JSON(messageResponse{Message: "Client deleted successfully"})
}

// handleResetSecret handles POST /admin/clients/:clientId/reset-secret: a new
// generated secret, shown once; every token of the client stops working.
func (s *Server) handleResetSecret(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("clientId")
	_, secret, err := s.Auth.ResetClientSecret(ctx, id)
	if err != nil {
		return httpserver.Failed("Failed to reset client secret", err)
	}
	httpserver.Audit(s.Log, c, httpserver.EventSecretReset, nil, "client_id", id)
	return c.JSON(messageClientResponse{
		Message: "Client secret reset successfully",
		Client:  secretJSON{ClientID: id, ClientSecret: secret},
	})
}

// handleGetSecureClient handles GET /secure/client: the client's own record,
// already loaded by requireClient, so the request costs one read.
func (s *Server) handleGetSecureClient(c *fiber.Ctx) error {
	return c.JSON(newOwnClientJSON(currentClient(c)))
}

// handleUpdateSecureClient handles PUT /secure/client: a client changes its
// own contact fields. It may send back the record it read; but status, agent,
// number and id are the administrator's, and a change to them is refused.
func (s *Server) handleUpdateSecureClient(c *fiber.Ctx) error {
	var req clientUpdateRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	me := currentClient(c)
	for _, f := range []struct {
		name       string
		sent, have *string
	}{
		{"clientId", req.ClientID, &me.ID},
		{"status", req.Status, (*string)(&me.Status)},
		{"agentId", req.AgentID, &me.AgentID},
		{"twilioPhoneNumber", req.TwilioPhoneNumber, &me.TwilioPhoneNumber},
	} {
		if f.sent != nil && *f.sent != *f.have {
			return fieldError(fiber.StatusForbidden, updateTitle, f.name, f.name+" can only be changed by an administrator")
		}
	}
	if sent := req.Calling.domain(); sent != nil && !sent.Equal(me.Calling) {
		return fieldError(fiber.StatusForbidden, updateTitle, "calling", "calling can only be changed by an administrator")
	}
	if req.setsSecret() {
		return fieldError(fiber.StatusBadRequest, updateTitle, "clientSecret",
			"clientSecret cannot be set by an update; use POST /auth/change-secret")
	}
	upd := switchboard.ClientUpdate{Meta: req.ClientMeta.domain()}
	// The administrator's fields (notes) are checked like the rest, so a
	// body is refused whole for any bad member, and then ignored.
	upd.Normalize()
	if err := upd.Validate(); err != nil {
		return httpserver.Failed(updateTitle, err)
	}
	for _, f := range switchboard.ContactFields {
		if f.AdminOnly {
			*f.OfUpdate(&upd) = nil
		}
	}
	if upd.Empty() {
		return errNothingToUpdate
	}
	ctx := c.UserContext()
	client, err := s.Clients.UpdateClient(ctx, me.ID, upd)
	if err != nil {
		return httpserver.Failed(updateTitle, err)
	}
	return c.JSON(messageClientResponse{Message: "Client updated successfully", Client: newOwnClientJSON(client)})
}
