// Package calling places outbound calls and follows them to their outcome:
// a call is recorded (queued) before the provider is asked, updated with its
// answer after, moved forward by the provider's webhooks, and settled by a
// reconciler when no webhook came. It speaks to ElevenLabs (or the
// simulator) only through switchboard.Dialer and to storage only through
// switchboard.CallService.
package calling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"switchboard/internal/metrics"
	"switchboard/internal/switchboard"
)

// ErrNotConfigured is the answer of Place and Check when no provider is
// configured: a 503 that every transport writes like any other error.
var ErrNotConfigured = &switchboard.Error{Code: switchboard.EUNAVAILABLE, Message: "Calling is not configured"}

// Messages of refusals, as the API sends them.
const (
	MsgPhoneRequired    = "Destination phone number is required"
	MsgPhoneFormat      = "Phone number must be in E.164 format (e.g., +12125551234)"
	MsgOutsideHours     = "Outside calling hours"
	MsgNumberNotSetUp   = "The client's Twilio number is not set up in ElevenLabs"
	MsgInitiationFailed = "Failed to initiate call"
)

// Limits of a call request.
const (
	MaxDynamicVariables   = 20
	MaxFirstMessageLength = 1000 // characters
	MaxVariableLength     = 1000 // characters of a string value
)

// dialTimeout bounds one request to the provider to place a call. It is
// well under the reconciler's queuedAge, so a call still being dialled is
// never taken for an interrupted one.
const dialTimeout = 20 * time.Second

// recordTimeout bounds recording the provider's answer to a call; with
// dialTimeout it stays under queuedAge, for the same reason.
const recordTimeout = 10 * time.Second

// Reconciler timing.
const (
	queuedAge = time.Minute      // a queued call older than this was interrupted
	activeAge = 10 * time.Minute // an active call with no news for this long is read back
	lease     = 10 * time.Minute // how long a claimed call is left to its claimer
)

// Service places calls and applies what the provider reports.
type Service struct {
	Calls switchboard.CallService
	// Dialer is the provider; nil when calling is off.
	Dialer switchboard.Dialer
	// Simulated marks every call as made by the simulator.
	Simulated bool
	Log       *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DialTimeout bounds the request that places a call; zero means
	// dialTimeout. Keep it well under a minute (see dialTimeout).
	DialTimeout time.Duration
	// Metrics counts calls placed, webhook deliveries and reconciler runs;
	// nil counts nothing.
	Metrics *metrics.Metrics

	numbers numberCache
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Request is what a caller asks for.
type Request struct {
	Phone            string
	FirstMessage     string
	DynamicVariables map[string]any // string, float64 or bool values
	// RequestedBy is "client" or "admin:<username>".
	RequestedBy string
}

var (
	e164Pattern     = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	variablePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// ValidPhone reports whether s is an E.164 number.
func ValidPhone(s string) bool { return e164Pattern.MatchString(s) }

// invalid is an EINVALID error naming a field of the request.
func invalid(field, msg string) error {
	return &switchboard.Error{Code: switchboard.EINVALID, Message: msg, Field: field}
}

// validate checks the request's own fields.
func (r *Request) validate() error {
	r.Phone = strings.TrimSpace(r.Phone)
	switch {
	case r.Phone == "":
		return invalid("phone", MsgPhoneRequired)
	case !ValidPhone(r.Phone):
		return invalid("phone", MsgPhoneFormat)
	}
	r.FirstMessage = strings.TrimSpace(r.FirstMessage)
	if err := switchboard.CheckText("firstMessage", r.FirstMessage, true, MaxFirstMessageLength); err != nil {
		return err
	}
	if len(r.DynamicVariables) > MaxDynamicVariables {
		return invalid("dynamicVariables", fmt.Sprintf("dynamicVariables may hold at most %d variables", MaxDynamicVariables))
	}
	for name, v := range r.DynamicVariables {
		if !variablePattern.MatchString(name) || strings.HasPrefix(name, "system__") {
			return invalid("dynamicVariables", fmt.Sprintf(
				"dynamicVariables: %q is not a valid name (1 to 64 letters, digits or _, not starting with system__)", name))
		}
		switch v := v.(type) {
		case bool, float64, int:
		case string:
			if err := switchboard.CheckText("dynamicVariables."+name, v, true, MaxVariableLength); err != nil {
				return err
			}
		default:
			return invalid("dynamicVariables", fmt.Sprintf("dynamicVariables.%s must be a string, a number or true/false", name))
		}
	}
	return nil
}

// NewCallID returns a new random call id.
func NewCallID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "call_" + hex.EncodeToString(b)
}

// Place places a call for client: it checks the request, the calling hours
// and the client's number, records the call (queued; the store refuses a
// number on the do-not-call list and a spent hourly limit), asks the
// provider, and records its answer. The agent is always the client's and
// the caller id always the client's number. A refusal by the provider is
// returned as an error and recorded on the call, which is failed.
func (s *Service) Place(ctx context.Context, client *switchboard.Client, req Request) (*switchboard.Call, error) {
	call, err := s.place(ctx, client, req)
	s.Metrics.CallPlaced(placeOutcome(err))
	return call, err
}

// placeOutcome is the label a request to place a call is counted under.
func placeOutcome(err error) string {
	if errors.Is(err, ErrNotConfigured) {
		return metrics.CallOff
	}
	switch switchboard.ErrorCode(err) {
	case "":
		return metrics.CallPlaced
	case switchboard.EINVALID, switchboard.EFORBIDDEN, switchboard.ECONFLICT, switchboard.ETHROTTLED, switchboard.ENOTFOUND:
		return metrics.CallRefused
	case switchboard.EUPSTREAM:
		return metrics.CallUpstream
	}
	return metrics.CallError
}

func (s *Service) place(ctx context.Context, client *switchboard.Client, req Request) (*switchboard.Call, error) {
	if s.Dialer == nil {
		return nil, ErrNotConfigured
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	if h := client.Calling.Hours; !h.Allows(now) {
		return nil, &switchboard.Error{Code: switchboard.EFORBIDDEN, Message: MsgOutsideHours,
			Details: "Calls may be placed " + h.String()}
	}
	number, err := s.outboundNumber(ctx, client.TwilioPhoneNumber, client.AgentID)
	if err != nil {
		return nil, err
	}
	call := &switchboard.Call{
		ID: NewCallID(), ClientID: client.ID, To: req.Phone, From: client.TwilioPhoneNumber,
		AgentID: client.AgentID, RequestedBy: req.RequestedBy, FirstMessage: req.FirstMessage,
		Simulated: s.Simulated,
	}
	if err := s.Calls.CreateCall(ctx, call, client.Calling.HourLimit(), now); err != nil {
		return nil, err
	}
	// The call is recorded: from here on its answer must be recorded too,
	// even if the caller goes away, so the provider is asked under a
	// context of its own, and the answer recorded under another: a dial
	// that timed out has spent the first.
	timeout := s.DialTimeout
	if timeout <= 0 {
		timeout = dialTimeout
	}
	dialCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	dialled, err := s.Dialer.PlaceCall(dialCtx, switchboard.OutboundCall{
		AgentID: client.AgentID, PhoneNumberID: number.ID, To: req.Phone, FirstMessage: req.FirstMessage,
		DynamicVariables: dynamicVariables(client, call.ID, req.DynamicVariables),
	})
	cancel()
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err != nil {
		reason := switchboard.ErrorMessage(err)
		switch switchboard.ErrorReason(err) {
		case switchboard.ReasonProviderUnavailable:
			reason = "ElevenLabs could not be reached or did not answer in time: the call may not have been placed"
			s.Log.Error("place call", "call_id", call.ID, "client_id", client.ID, "err", err)
		case switchboard.ReasonProviderKeyRefused:
			s.Log.Error("place call: check ELEVENLABS_API_KEY", "call_id", call.ID, "err", err)
		}
		if _, ferr := s.Calls.FailCall(recordCtx, call.ID, reason, s.now()); ferr != nil {
			s.Log.Error("record failed call", "call_id", call.ID, "err", ferr)
		}
		return nil, &switchboard.Error{Code: switchboard.EUPSTREAM, Message: MsgInitiationFailed, Details: reason}
	}
	done, err := s.Calls.MarkCallDialled(recordCtx, call.ID, dialled, s.now())
	if err != nil {
		// The provider is calling; the reconciler will find the call queued
		// and fail it as interrupted, which is what the caller is told too.
		return nil, fmt.Errorf("record dialled call %s: %w", call.ID, err)
	}
	if settled, err := s.applyHeld(recordCtx, done.ConversationID); err != nil {
		// The call is placed and recorded; the reconciler takes the reports
		// applyHeld held again.
		s.Log.Error("apply held call reports", "call_id", call.ID, "err", err)
	} else if settled != nil {
		done = settled
	}
	return done, nil
}

// heldAge is how long a report about a conversation no call has is kept
// for a call to claim it: a dial's answer is recorded within seconds.
const heldAge = 24 * time.Hour

// holdable reports whether r may be about a call whose dial's answer is
// still being recorded: a failure to connect, with nothing said. A report
// with a transcript or a summary is about a conversation that took place,
// which cannot come before the dial's answer: one no call has is about a
// call this service did not place, and what was said in it is not kept.
func holdable(r switchboard.CallResult) bool {
	return r.Status == switchboard.CallFailed && len(r.Transcript) == 0 && r.Summary == ""
}

// applyHeld takes the reports held for the conversation, which arrived
// before the call had it, applies them, and returns the call as they left
// it (nil when none was held). Reports it could not apply are held again,
// for the next look (the reconciler's).
func (s *Service) applyHeld(ctx context.Context, conversationID string) (*switchboard.Call, error) {
	held, err := s.Calls.TakeHeldCallResults(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	var call *switchboard.Call
	for i, r := range held {
		if call, _, err = s.Calls.ApplyCallResult(ctx, r, s.now()); err != nil {
			for _, rest := range held[i:] {
				err = errors.Join(err, s.Calls.HoldCallResult(ctx, rest, s.now()))
			}
			return nil, err
		}
	}
	return call, nil
}

// dynamicVariables are the caller's variables with the client's profile and
// the call's id, which the caller cannot override.
func dynamicVariables(c *switchboard.Client, callID string, extra map[string]any) map[string]any {
	vars := make(map[string]any, len(extra)+6)
	for k, v := range extra {
		vars[k] = v
	}
	vars["full_name"] = c.Meta.FullName
	vars["business_name"] = c.Meta.BusinessName
	vars["city"] = c.Meta.City
	vars["job_title"] = c.Meta.JobTitle
	vars["email"] = c.Meta.Email
	vars["switchboard_call_id"] = callID
	return vars
}

// numbersTTL is how long the provider's list of numbers is reused. A number
// not in the cached list makes one fresh read.
const numbersTTL = 5 * time.Minute

type numberCache struct {
	mu      sync.Mutex
	numbers []switchboard.PhoneNumber
	read    time.Time
}

// outboundNumber returns the provider's record of number, or ECONFLICT when
// it is not imported there or cannot call out.
func (s *Service) outboundNumber(ctx context.Context, number, agentID string) (*switchboard.PhoneNumber, error) {
	n, err := s.findNumber(ctx, number, agentID, false)
	if err != nil {
		return nil, err
	}
	switch {
	case n == nil:
		return nil, &switchboard.Error{Code: switchboard.ECONFLICT, Message: MsgNumberNotSetUp,
			Details: number + " is not among the phone numbers imported into ElevenLabs"}
	case !n.SupportsOutbound:
		return nil, &switchboard.Error{Code: switchboard.ECONFLICT, Message: MsgNumberNotSetUp,
			Details: number + " is imported into ElevenLabs but does not support outbound calls"}
	}
	return n, nil
}

// numberLookup is a Dialer that answers for one number itself: the
// simulator, which pretends every number is imported for its client's agent.
type numberLookup interface {
	PhoneNumber(ctx context.Context, number, agentID string) (*switchboard.PhoneNumber, error)
}

// findNumber looks number up among the provider's numbers: nil when absent.
// The list read last is reused for a while unless fresh is asked for.
func (s *Service) findNumber(ctx context.Context, number, agentID string, fresh bool) (*switchboard.PhoneNumber, error) {
	if d, ok := s.Dialer.(numberLookup); ok {
		return d.PhoneNumber(ctx, number, agentID)
	}
	if n := s.numbers.find(number, numbersTTL, s.now()); n != nil && !fresh {
		return n, nil
	}
	// Read without holding the cache's lock: a slow ElevenLabs must not make
	// every other client's call wait for this one's read.
	numbers, err := s.Dialer.PhoneNumbers(ctx)
	if err != nil {
		return nil, &switchboard.Error{Code: switchboard.EUPSTREAM, Message: MsgInitiationFailed,
			Details: "ElevenLabs's phone numbers could not be read: " + switchboard.ErrorMessage(err)}
	}
	s.numbers.store(numbers, s.now())
	return s.numbers.find(number, -1, time.Time{}), nil
}

// find returns the cached record of number, if the list was read less than
// ttl before now (ttl < 0: however old).
func (c *numberCache) find(number string, ttl time.Duration, now time.Time) *switchboard.PhoneNumber {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl >= 0 && now.Sub(c.read) >= ttl {
		return nil
	}
	for _, n := range c.numbers {
		if n.Number == number {
			return &n
		}
	}
	return nil
}

func (c *numberCache) store(numbers []switchboard.PhoneNumber, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.numbers, c.read = numbers, at
}

// Apply applies what the provider reported about a conversation. A report
// about a conversation no call has is logged and ignored: ElevenLabs turns
// off a webhook that keeps failing.
func (s *Service) Apply(ctx context.Context, r switchboard.CallResult) (*switchboard.Call, error) {
	call, _, err := s.apply(ctx, r)
	return call, err
}

// ApplyWebhook is Apply for a report the webhook delivered, which it counts
// by result: ok, unknown (no call has the conversation), duplicate (it
// changed nothing) or error.
func (s *Service) ApplyWebhook(ctx context.Context, r switchboard.CallResult) (*switchboard.Call, error) {
	call, result, err := s.apply(ctx, r)
	s.Metrics.Webhook(result)
	return call, err
}

func (s *Service) apply(ctx context.Context, r switchboard.CallResult) (*switchboard.Call, string, error) {
	call, changed, err := s.Calls.ApplyCallResult(ctx, r, s.now())
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		call, changed, err = nil, false, nil
		if holdable(r) {
			call, changed, err = s.hold(ctx, r)
		}
	}
	switch {
	case call == nil && err == nil:
		s.Log.Warn("call report for an unknown conversation", "conversation_id", r.ConversationID,
			"status", string(r.Status), "held", holdable(r))
		return nil, metrics.WebhookUnknown, nil
	case err != nil:
		return nil, metrics.WebhookError, err
	case !changed:
		return call, metrics.WebhookDuplicate, nil
	}
	s.Log.Info("call updated", "call_id", call.ID, "status", string(call.Status), "outcome", call.Outcome)
	return call, metrics.WebhookOK, nil
}

// hold keeps r, about a conversation no call has, for the call that will
// have it: the dial's answer may be on its way. The dialling side records
// the conversation and then takes what is held; this side holds and then
// looks again. Each step sees what the other committed before it, so
// whichever comes second applies the report (both may: applying is
// idempotent). When the second look finds the call, it applies whatever is
// held for the conversation, a report another webhook held meanwhile
// included, and returns the call.
func (s *Service) hold(ctx context.Context, r switchboard.CallResult) (*switchboard.Call, bool, error) {
	if err := s.Calls.HoldCallResult(ctx, r, s.now()); err != nil {
		return nil, false, err
	}
	call, changed, err := s.Calls.ApplyCallResult(ctx, r, s.now())
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil, false, nil // the call will take it
	} else if err != nil {
		return nil, false, err // r stays held, for the call or the reconciler
	}
	if settled, err := s.applyHeld(ctx, r.ConversationID); err != nil {
		return nil, false, err
	} else if settled != nil {
		call = settled
	}
	return call, changed, nil
}

// Reconcile settles the calls no webhook settled, once: a call left queued
// by a process that stopped between recording and dialling is failed as
// interrupted, and an active call with no news is read back from the
// provider. Claims are leased in the database, so instances sharing it
// never reconcile the same call at once.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	n, err := s.reconcileAll(ctx)
	s.Metrics.ReconcilerRun(err)
	return n, err
}

func (s *Service) reconcileAll(ctx context.Context) (int, error) {
	now := s.now()
	if _, err := s.Calls.PurgeHeldCallResults(ctx, now.Add(-heldAge)); err != nil {
		s.Log.Error("purge held call reports", "err", err) // the calls come first
	}
	calls, err := s.Calls.ClaimCallsToReconcile(ctx, now.Add(-queuedAge), now.Add(-activeAge), now, lease, 100)
	if err != nil {
		return 0, err
	}
	for _, call := range calls {
		if err := s.reconcile(ctx, call); err != nil {
			s.Log.Error("reconcile call", "call_id", call.ID, "err", err)
		}
	}
	return len(calls), nil
}

func (s *Service) reconcile(ctx context.Context, call *switchboard.Call) error {
	if call.Status == switchboard.CallQueued {
		_, err := s.Calls.FailCall(ctx, call.ID, "interrupted: the service stopped before ElevenLabs answered", s.now())
		return err
	}
	if s.Dialer == nil || call.ConversationID == "" {
		return nil
	}
	if settled, err := s.applyHeld(ctx, call.ConversationID); err != nil || settled != nil && settled.Status.Final() {
		return err // a report held while the dialling process stopped
	}
	r, err := s.Dialer.Conversation(ctx, call.ConversationID)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		_, err = s.Calls.FailCall(ctx, call.ID, "ElevenLabs has no record of the conversation", s.now())
		return err
	} else if err != nil {
		return err // tried again once the lease ends
	}
	r.ConversationID = call.ConversationID
	_, err = s.Apply(ctx, *r)
	return err
}

// Run reconciles every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("reconcile calls", "err", err)
		} else if n > 0 {
			s.Log.Info("calls reconciled", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
