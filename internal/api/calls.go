package api

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/httpserver"
	"switchboard/internal/metrics"
	"switchboard/internal/switchboard"
)

// registerCalls adds the calls API: the client's under /secure, the
// admin's under /admin, and ElevenLabs's post-call webhook.
func (s *Server) registerCalls(app *httpserver.App, sec, adm fiber.Router) {
	sec.Post("/make-call", s.handleSecureMakeCall)
	sec.Get("/calls", s.handleSecureCalls)
	sec.Get("/calls/:callId", s.handleSecureCall)
	sec.Get("/call-stats", s.handleSecureCallStats)
	sec.Get("/do-not-call", s.handleSecureDoNotCall)
	sec.Post("/do-not-call", s.handleSecureAddDoNotCall)
	sec.Delete("/do-not-call/:phone", s.handleSecureRemoveDoNotCall)

	read, change := requireRole(switchboard.ReadCalls), requireRole(switchboard.ChangeCalls)
	adm.Get("/dashboard", read, s.handleDashboard)
	adm.Get("/calls", read, s.handleAdminCalls)
	adm.Get("/calls/:callId", read, s.handleAdminCall)
	adm.Post("/clients/:clientId/make-call", change, s.handleAdminMakeCall)
	adm.Get("/clients/:clientId/calls", read, s.handleAdminClientCalls)
	adm.Get("/clients/:clientId/calling-check", read, s.handleCallingCheck)
	adm.Get("/clients/:clientId/do-not-call", read, s.handleAdminDoNotCall)
	adm.Post("/clients/:clientId/do-not-call", change, s.handleAdminAddDoNotCall)
	adm.Delete("/clients/:clientId/do-not-call/:phone", change, s.handleAdminRemoveDoNotCall)

	app.AllowLargeBody(WebhookPath)
	app.Post(WebhookPath, noStore, s.handleWebhook)
}

// WebhookPath is where ElevenLabs posts the outcome of each call; cmd
// prints it at start-up as the URL to register.
const WebhookPath = "/webhooks/elevenlabs"

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// makeCallRequest is the body of both make-call endpoints. Nothing in it
// names the agent or the caller id: those are always the client's.
type makeCallRequest struct {
	Phone            string         `json:"phone"`
	FirstMessage     string         `json:"firstMessage"`
	DynamicVariables map[string]any `json:"dynamicVariables"`
}

type makeCallResponse struct {
	Success        bool   `json:"success"`
	Message        string `json:"message"`
	CallID         string `json:"callId"`
	ConversationID string `json:"conversationId"`
	CallSID        string `json:"callSid"`
	RequestID      string `json:"requestId"`
}

// makeCall places a call for client; every answer, refusals included,
// carries the request's id, so a caller can quote it.
func (s *Server) makeCall(c *fiber.Ctx, client *switchboard.Client, requestedBy string) error {
	var req makeCallRequest
	err := decode(c, &req)
	var call *switchboard.Call
	if err == nil {
		call, err = s.Calling.Place(c.UserContext(), client, calling.Request{
			Phone: req.Phone, FirstMessage: req.FirstMessage, DynamicVariables: req.DynamicVariables,
			RequestedBy: requestedBy,
		})
	}
	if err != nil {
		return makeCallRefused(c, httpserver.Failed(calling.MsgInitiationFailed, err))
	}
	return c.JSON(makeCallResponse{
		Success: true, Message: "Call initiated successfully", CallID: call.ID,
		ConversationID: call.ConversationID, CallSID: call.CallSID, RequestID: httpserver.RequestID(c),
	})
}

// makeCallRefused is a make-call refusal, which quotes the request's id.
func makeCallRefused(c *fiber.Ctx, je *httpserver.JSONError) error {
	je.Body.RequestID = httpserver.RequestID(c)
	return je
}

// handleSecureMakeCall handles POST /secure/make-call.
func (s *Server) handleSecureMakeCall(c *fiber.Ctx) error {
	return s.makeCall(c, currentClient(c), "client")
}

// handleAdminMakeCall handles POST /admin/clients/:clientId/make-call.
func (s *Server) handleAdminMakeCall(c *fiber.Ctx) error {
	client, err := s.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return makeCallRefused(c, httpserver.Failed(calling.MsgInitiationFailed, err))
	}
	if client.Status != switchboard.StatusActive {
		return makeCallRefused(c, &httpserver.JSONError{Status: fiber.StatusForbidden,
			Body: httpserver.ErrorBody{Error: fmt.Sprintf("Client is not active (status: %s)", client.Status)}})
	}
	return s.makeCall(c, client, "admin:"+currentAdmin(c).Username)
}

// callJSON is a call on the wire. What is not known yet is null.
type callJSON struct {
	CallID            string  `json:"callId"`
	ClientID          string  `json:"clientId"`
	Status            string  `json:"status"`
	Direction         string  `json:"direction"`
	To                string  `json:"to"`
	From              string  `json:"from"`
	AgentID           string  `json:"agentId"`
	ConversationID    *string `json:"conversationId"`
	CallSID           *string `json:"callSid"`
	RequestedBy       string  `json:"requestedBy"`
	FirstMessage      *string `json:"firstMessage"`
	StartTime         *string `json:"startTime"`
	EndTime           *string `json:"endTime"`
	Duration          *int    `json:"duration"`
	Outcome           *string `json:"outcome"`
	Summary           *string `json:"summary"`
	TerminationReason *string `json:"terminationReason"`
	Error             *string `json:"error"`
	Simulated         bool    `json:"simulated"`
	CreatedAt         string  `json:"createdAt"`
	UpdatedAt         string  `json:"updatedAt"`
}

// callDetailJSON is a call with its transcript, for the single-call reads.
type callDetailJSON struct {
	callJSON   `json:",inline"`
	Transcript []turnJSON `json:"transcript"`
}

type turnJSON struct {
	Role           string `json:"role"`
	Message        string `json:"message"`
	TimeInCallSecs int    `json:"timeInCallSecs"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

func newCallJSON(call *switchboard.Call) callJSON {
	out := callJSON{
		CallID: call.ID, ClientID: call.ClientID, Status: string(call.Status), Direction: "outbound",
		To: call.To, From: call.From, AgentID: call.AgentID,
		ConversationID: optional(call.ConversationID), CallSID: optional(call.CallSID),
		RequestedBy: call.RequestedBy, FirstMessage: optional(call.FirstMessage),
		StartTime: optionalTime(call.StartTime), EndTime: optionalTime(call.EndTime),
		Outcome: optional(call.Outcome), Summary: optional(call.Summary),
		TerminationReason: optional(call.TerminationReason), Error: optional(call.Error),
		Simulated: call.Simulated, CreatedAt: formatTime(call.CreatedAt), UpdatedAt: formatTime(call.UpdatedAt),
	}
	if call.Status.Final() {
		d := call.Duration
		out.Duration = &d
	}
	return out
}

func newCallDetailJSON(call *switchboard.Call) callDetailJSON {
	out := callDetailJSON{callJSON: newCallJSON(call), Transcript: make([]turnJSON, len(call.Transcript))}
	for i, t := range call.Transcript {
		out.Transcript[i] = turnJSON{Role: t.Role, Message: t.Message, TimeInCallSecs: t.TimeInCallSecs}
	}
	return out
}

const callsTitle = "Failed to fetch calls"

// callStatusQuery reads ?status=, which must be a call status when given.
func callStatusQuery(c *fiber.Ctx) (*switchboard.CallStatus, error) {
	v := c.Query("status")
	if v == "" {
		return nil, nil
	}
	st := switchboard.CallStatus(v)
	if !st.Valid() {
		return nil, fieldError(fiber.StatusBadRequest, callsTitle, "status",
			"status must be one of queued, initiated, in-progress, completed, failed")
	}
	return &st, nil
}

// intQuery reads a whole-number query parameter from lo to hi, or def; a
// listing's failure is titled title.
func intQuery(c *fiber.Ctx, title, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fieldError(fiber.StatusBadRequest, title, name,
			fmt.Sprintf("%s must be a whole number from %d to %d", name, lo, hi))
	}
	return n, nil
}

type callHistoryResponse struct {
	ClientID    string     `json:"clientId"`
	Total       int        `json:"total"`
	Filtered    int        `json:"filtered"`
	Limit       int        `json:"limit"`
	Offset      int        `json:"offset"`
	CallHistory []callJSON `json:"callHistory"`
}

// callHistory answers a client's call listing, newest first.
func (s *Server) callHistory(c *fiber.Ctx, clientID string) error {
	var f switchboard.CallFilter
	var err error
	if f.Status, err = callStatusQuery(c); err != nil {
		return err
	}
	if f.Limit, err = intQuery(c, callsTitle, "limit", switchboard.DefaultCallLimit, 1, switchboard.MaxCallLimit); err != nil {
		return err
	}
	if f.Offset, err = intQuery(c, callsTitle, "offset", 0, 0, 1<<30); err != nil {
		return err
	}
	calls, total, filtered, err := s.Calls.FindClientCalls(c.UserContext(), clientID, f)
	if err != nil {
		return httpserver.Failed(callsTitle, err)
	}
	out := callHistoryResponse{ClientID: clientID, Total: total, Filtered: filtered, Limit: f.Limit, Offset: f.Offset,
		CallHistory: make([]callJSON, len(calls))}
	for i, call := range calls {
		out.CallHistory[i] = newCallJSON(call)
	}
	return c.JSON(out)
}

// handleSecureCalls handles GET /secure/calls?status=&limit=&offset=.
func (s *Server) handleSecureCalls(c *fiber.Ctx) error {
	return s.callHistory(c, currentClient(c).ID)
}

// handleAdminClientCalls handles GET /admin/clients/:clientId/calls.
func (s *Server) handleAdminClientCalls(c *fiber.Ctx) error {
	client, err := s.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return httpserver.Failed(callsTitle, err)
	}
	return s.callHistory(c, client.ID)
}

var errCallNotFound = errorOnly(fiber.StatusNotFound, "Call not found")

// oneCall answers a single call, with its transcript. clientID "" finds any.
func (s *Server) oneCall(c *fiber.Ctx, clientID string) error {
	id := c.Params("callId")
	if !switchboard.ValidCallID(id) {
		return errCallNotFound
	}
	call, err := s.Calls.FindCall(c.UserContext(), clientID, id)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return errCallNotFound
	} else if err != nil {
		return httpserver.Failed("Failed to fetch call", err)
	}
	return c.JSON(newCallDetailJSON(call))
}

// handleSecureCall handles GET /secure/calls/:callId: the client's own
// calls only; another client's is "not found", like one that does not exist.
func (s *Server) handleSecureCall(c *fiber.Ctx) error { return s.oneCall(c, currentClient(c).ID) }

// handleAdminCall handles GET /admin/calls/:callId.
func (s *Server) handleAdminCall(c *fiber.Ctx) error { return s.oneCall(c, "") }

type callPageResponse struct {
	Calls      []callJSON `json:"calls"`
	NextCursor *string    `json:"nextCursor"`
}

// handleAdminCalls handles GET /admin/calls?clientId=&status=&limit=&cursor=:
// every client's calls, newest first, by keyset.
func (s *Server) handleAdminCalls(c *fiber.Ctx) error {
	f := switchboard.CallPageFilter{ClientID: c.Query("clientId")}
	var err error
	if f.Status, err = callStatusQuery(c); err != nil {
		return err
	}
	if f.Limit, err = intQuery(c, callsTitle, "limit", switchboard.DefaultCallLimit, 1, switchboard.MaxCallLimit); err != nil {
		return err
	}
	if v := c.Query("cursor"); v != "" {
		if f.After, err = switchboard.ParseCallCursor(v); err != nil {
			return cursorError(callsTitle, "cursor")
		}
	}
	page, err := s.Calls.FindCallPage(c.UserContext(), f)
	if err != nil {
		return httpserver.Failed(callsTitle, err)
	}
	out := callPageResponse{Calls: make([]callJSON, len(page.Calls))}
	for i, call := range page.Calls {
		out.Calls[i] = newCallJSON(call)
	}
	if page.Next != nil {
		out.NextCursor = optional(page.Next.String())
	}
	return c.JSON(out)
}

// cursorError refuses a listing's cursor parameter name that no page of
// this API gave.
func cursorError(title, name string) error {
	return fieldError(fiber.StatusBadRequest, title, name, name+" is not one this API gave")
}

type statsJSON struct {
	TotalCalls      int            `json:"totalCalls"`
	CallsByStatus   map[string]int `json:"callsByStatus"`
	CallsByOutcome  map[string]int `json:"callsByOutcome"`
	TotalDuration   int            `json:"totalDuration"`
	AverageDuration float64        `json:"averageDuration"`
}

// newStatsJSON names every status and outcome, zero when no call has it.
func newStatsJSON(st *switchboard.CallStats) statsJSON {
	out := statsJSON{TotalCalls: st.TotalCalls, CallsByStatus: map[string]int{}, CallsByOutcome: map[string]int{},
		TotalDuration: st.TotalDuration, AverageDuration: st.AverageDuration}
	for _, s := range switchboard.CallStatuses {
		out.CallsByStatus[string(s)] = st.CallsByStatus[s]
	}
	for _, o := range []string{switchboard.OutcomeSuccess, switchboard.OutcomeFailure, switchboard.OutcomeUnknown} {
		out.CallsByOutcome[o] = st.CallsByOutcome[o]
	}
	return out
}

type callStatsResponse struct {
	ClientID string    `json:"clientId"`
	Stats    statsJSON `json:"stats"`
}

// handleSecureCallStats handles GET /secure/call-stats.
func (s *Server) handleSecureCallStats(c *fiber.Ctx) error {
	id := currentClient(c).ID
	st, err := s.Calls.CallStats(c.UserContext(), id)
	if err != nil {
		return httpserver.Failed("Failed to fetch call statistics", err)
	}
	return c.JSON(callStatsResponse{ClientID: id, Stats: newStatsJSON(st)})
}

type dashboardResponse struct {
	Clients struct {
		Active    int `json:"active"`
		Inactive  int `json:"inactive"`
		Suspended int `json:"suspended"`
		Total     int `json:"total"`
	} `json:"clients"`
	Calls struct {
		Last24h   int            `json:"last24h"`
		Total     int            `json:"total"`
		ByStatus  map[string]int `json:"byStatus"`
		ByOutcome map[string]int `json:"byOutcome"`
	} `json:"calls"`
}

// handleDashboard handles GET /admin/dashboard.
func (s *Server) handleDashboard(c *fiber.Ctx) error {
	const title = "Failed to fetch the dashboard"
	ctx := c.UserContext()
	counts, err := s.Clients.CountClientsByStatus(ctx)
	if err != nil {
		return httpserver.Failed(title, err)
	}
	st, err := s.Calls.CallStats(ctx, "")
	if err != nil {
		return httpserver.Failed(title, err)
	}
	last24h, err := s.Calls.CountCallsSince(ctx, s.now().Add(-24*time.Hour))
	if err != nil {
		return httpserver.Failed(title, err)
	}
	var out dashboardResponse
	out.Clients.Active = counts[switchboard.StatusActive]
	out.Clients.Inactive = counts[switchboard.StatusInactive]
	out.Clients.Suspended = counts[switchboard.StatusSuspended]
	out.Clients.Total = out.Clients.Active + out.Clients.Inactive + out.Clients.Suspended
	stats := newStatsJSON(st)
	out.Calls.Last24h, out.Calls.Total = last24h, st.TotalCalls
	out.Calls.ByStatus, out.Calls.ByOutcome = stats.CallsByStatus, stats.CallsByOutcome
	return c.JSON(out)
}

type callingCheckResponse struct {
	ClientID          string  `json:"clientId"`
	AgentID           string  `json:"agentId"`
	TwilioPhoneNumber string  `json:"twilioPhoneNumber"`
	Ready             bool    `json:"ready"`
	Verified          bool    `json:"verified"`
	Problem           *string `json:"problem"`
	Agent             struct {
		Found bool    `json:"found"`
		Name  *string `json:"name"`
	} `json:"agent"`
	Number struct {
		Imported         bool    `json:"imported"`
		SupportsOutbound bool    `json:"supportsOutbound"`
		AssignedAgentID  *string `json:"assignedAgentId"`
		AssignedToAgent  bool    `json:"assignedToAgent"`
	} `json:"number"`
}

// handleCallingCheck handles GET /admin/clients/:clientId/calling-check.
func (s *Server) handleCallingCheck(c *fiber.Ctx) error {
	client, err := s.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return httpserver.Failed("Failed to check calling", err)
	}
	check, err := s.Calling.Check(c.UserContext(), client.AgentID, client.TwilioPhoneNumber)
	if err != nil {
		return httpserver.Failed("Failed to check calling", err)
	}
	out := callingCheckResponse{ClientID: client.ID, AgentID: client.AgentID, TwilioPhoneNumber: client.TwilioPhoneNumber,
		Ready: check.Ready(), Verified: check.Verified, Problem: optional(check.Problem)}
	out.Agent.Found, out.Agent.Name = check.AgentFound, optional(check.AgentName)
	out.Number.Imported, out.Number.SupportsOutbound = check.NumberImported, check.SupportsOutbound
	out.Number.AssignedAgentID, out.Number.AssignedToAgent = optional(check.AssignedAgentID), check.AssignedToAgent
	return c.JSON(out)
}

type doNotCallJSON struct {
	Phone     string `json:"phone"`
	CreatedAt string `json:"createdAt"`
}

type doNotCallResponse struct {
	ClientID  string          `json:"clientId"`
	DoNotCall []doNotCallJSON `json:"doNotCall"`
}

type doNotCallChangeResponse struct {
	Message string `json:"message"`
	Phone   string `json:"phone"`
}

const dncTitle = "Failed to change the do-not-call list"

func (s *Server) doNotCallList(c *fiber.Ctx, clientID string) error {
	entries, err := s.Calls.FindDoNotCall(c.UserContext(), clientID)
	if err != nil {
		return httpserver.Failed("Failed to fetch the do-not-call list", err)
	}
	out := doNotCallResponse{ClientID: clientID, DoNotCall: make([]doNotCallJSON, len(entries))}
	for i, e := range entries {
		out.DoNotCall[i] = doNotCallJSON{Phone: e.Phone, CreatedAt: formatTime(e.CreatedAt)}
	}
	return c.JSON(out)
}

func (s *Server) addDoNotCall(c *fiber.Ctx, clientID string) error {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	switch {
	case req.Phone == "":
		return fieldError(fiber.StatusBadRequest, dncTitle, "phone", "phone is required")
	case !calling.ValidPhone(req.Phone):
		return fieldError(fiber.StatusBadRequest, dncTitle, "phone", calling.MsgPhoneFormat)
	}
	if err := s.Calls.AddDoNotCall(c.UserContext(), clientID, req.Phone, s.now()); err != nil {
		return httpserver.Failed(dncTitle, err)
	}
	return c.Status(fiber.StatusCreated).JSON(doNotCallChangeResponse{Message: "Number added to the do-not-call list", Phone: req.Phone})
}

func (s *Server) removeDoNotCall(c *fiber.Ctx, clientID string) error {
	phone, err := url.PathUnescape(c.Params("phone"))
	if err != nil || !calling.ValidPhone(phone) {
		return fieldError(fiber.StatusBadRequest, dncTitle, "phone", calling.MsgPhoneFormat)
	}
	err = s.Calls.RemoveDoNotCall(c.UserContext(), clientID, phone)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return errorOnly(fiber.StatusNotFound, "Number not on the do-not-call list")
	} else if err != nil {
		return httpserver.Failed(dncTitle, err)
	}
	return c.JSON(doNotCallChangeResponse{Message: "Number removed from the do-not-call list", Phone: phone})
}

// The client's own do-not-call list: GET, POST and DELETE /secure/do-not-call.
func (s *Server) handleSecureDoNotCall(c *fiber.Ctx) error {
	return s.doNotCallList(c, currentClient(c).ID)
}
func (s *Server) handleSecureAddDoNotCall(c *fiber.Ctx) error {
	return s.addDoNotCall(c, currentClient(c).ID)
}
func (s *Server) handleSecureRemoveDoNotCall(c *fiber.Ctx) error {
	return s.removeDoNotCall(c, currentClient(c).ID)
}

// adminClientID is the clientId of the path, once the client is found.
func (s *Server) adminClientID(c *fiber.Ctx) (string, error) {
	client, err := s.Clients.FindClientByID(c.UserContext(), c.Params("clientId"))
	if err != nil {
		return "", httpserver.Failed(dncTitle, err)
	}
	return client.ID, nil
}

// A client's do-not-call list for the admin: /admin/clients/:clientId/do-not-call.
func (s *Server) handleAdminDoNotCall(c *fiber.Ctx) error {
	id, err := s.adminClientID(c)
	if err != nil {
		return err
	}
	return s.doNotCallList(c, id)
}
func (s *Server) handleAdminAddDoNotCall(c *fiber.Ctx) error {
	id, err := s.adminClientID(c)
	if err != nil {
		return err
	}
	return s.addDoNotCall(c, id)
}
func (s *Server) handleAdminRemoveDoNotCall(c *fiber.Ctx) error {
	id, err := s.adminClientID(c)
	if err != nil {
		return err
	}
	return s.removeDoNotCall(c, id)
}

type webhookResponse struct {
	Received bool `json:"received"`
}

// handleWebhook handles POST /webhooks/elevenlabs: no token, the signature
// alone. A bad or stale signature changes nothing. A report is applied only
// if it moves its call forward, so a redelivery (or a replay within the
// signature's 30 minutes) changes nothing, and a report about a
// conversation this service never started answers 200 (ElevenLabs turns
// off a webhook that keeps failing).
func (s *Server) handleWebhook(c *fiber.Ctx) error {
	if s.WebhookSecret == "" {
		return errorOnly(fiber.StatusServiceUnavailable, "The ElevenLabs webhook is not configured")
	}
	body := c.Body()
	// The calling service counts the deliveries it applies; the rest are
	// counted here, in the same family.
	count := s.Calling.Metrics.Webhook
	if err := elevenlabs.VerifySignature(s.WebhookSecret, c.Get("ElevenLabs-Signature"), body, s.now()); err != nil {
		count(metrics.WebhookBadSignature)
		s.Log.Warn("webhook refused", "reason", switchboard.ErrorMessage(err), "ip", httpserver.ClientIP(c), "request_id", httpserver.RequestID(c))
		return errorOnly(fiber.StatusUnauthorized, "Invalid signature")
	}
	ev, err := elevenlabs.ParseWebhook(body)
	if err != nil {
		count(metrics.WebhookInvalid)
		return badRequest("Invalid webhook body", switchboard.ErrorMessage(err))
	}
	if ev.ConversationID == "" {
		count(metrics.WebhookIgnored)
		s.Log.Info("webhook ignored", "type", ev.Type, "request_id", httpserver.RequestID(c))
		return c.JSON(webhookResponse{Received: true})
	}
	if _, err := s.Calling.ApplyWebhook(c.UserContext(), ev.Result); err != nil {
		return httpserver.Failed("Failed to apply the webhook", err)
	}
	return c.JSON(webhookResponse{Received: true})
}
