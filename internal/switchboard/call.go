package switchboard

import (
	"context"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CallStatus is where a call is on its way to an outcome. It only moves
// forward: queued → initiated → in-progress → completed | failed.
type CallStatus string

// The statuses of a call.
const (
	// CallQueued: the call is recorded and ElevenLabs has not (yet)
	// accepted it. A call is always written queued before it is dialled.
	CallQueued     CallStatus = "queued"
	CallInitiated  CallStatus = "initiated"   // ElevenLabs accepted it and is dialling
	CallInProgress CallStatus = "in-progress" // someone answered
	CallCompleted  CallStatus = "completed"   // the conversation ended
	CallFailed     CallStatus = "failed"      // it never connected, or was interrupted
)

// CallStatuses lists every status, in the order a call moves through them.
var CallStatuses = []CallStatus{CallQueued, CallInitiated, CallInProgress, CallCompleted, CallFailed}

// Valid reports whether s is one of CallStatuses.
func (s CallStatus) Valid() bool { return s.rank() >= 0 }

// Final reports whether the call has reached its outcome.
func (s CallStatus) Final() bool { return s == CallCompleted || s == CallFailed }

// Precedes reports whether a call may move from s to next: only forward,
// and never from one final status to the other.
func (s CallStatus) Precedes(next CallStatus) bool {
	return !s.Final() && next.rank() > s.rank()
}

func (s CallStatus) rank() int {
	switch s {
	case CallQueued:
		return 0
	case CallInitiated:
		return 1
	case CallInProgress:
		return 2
	case CallCompleted, CallFailed:
		return 3
	}
	return -1
}

// Outcomes ElevenLabs's analysis gives a finished conversation.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// TranscriptTurn is one turn of a call's conversation.
type TranscriptTurn struct {
	Role           string // "agent" or "user"
	Message        string
	TimeInCallSecs int
}

// Call is one outbound call placed for a client.
type Call struct {
	ID         string // the callId, "call_…"
	ClientID   string
	ClientName string // the client's full name when the call was placed, kept after a deletion
	Status     CallStatus
	To         string // E.164
	From       string // the client's Twilio number, always
	AgentID    string // the client's agent, always
	// ConversationID and CallSID are ElevenLabs's and Twilio's ids, once
	// ElevenLabs accepted the call.
	ConversationID string
	CallSID        string
	// RequestedBy is "client" or "admin:<username>".
	RequestedBy       string
	FirstMessage      string
	StartTime         *time.Time
	EndTime           *time.Time
	Duration          int // seconds
	Outcome           string
	Summary           string
	TerminationReason string
	// Error says why a call failed before or instead of a conversation.
	Error     string
	Simulated bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Transcript is filled only by the reads of a single call.
	Transcript []TranscriptTurn
}

// CallResult is what ElevenLabs reports about a conversation, from a
// post-call webhook or a read of the conversation. The zero value of a
// field means "not reported".
type CallResult struct {
	ConversationID    string
	Status            CallStatus
	StartTime         *time.Time
	EndTime           *time.Time
	Duration          int
	Outcome           string
	Summary           string
	TerminationReason string
	Error             string
	Transcript        []TranscriptTurn
}

// CallFilter selects a client's calls for the offset listing of
// GET /secure/calls.
type CallFilter struct {
	Status *CallStatus
	Offset int
	Limit  int
}

// Pagination bounds of call listings.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 200
)

// CallStats sums up a client's calls (or every client's, for the admin).
type CallStats struct {
	TotalCalls      int
	CallsByStatus   map[CallStatus]int
	CallsByOutcome  map[string]int
	TotalDuration   int // seconds
	AverageDuration float64
}

// Dialer is the port to the calling provider (ElevenLabs, or the
// simulator). Implementations never retry PlaceCall on their own: a retried
// POST may dial the same person twice.
type Dialer interface {
	// PlaceCall asks the provider to call. ENOTFOUND for an unknown agent or
	// phone number id; any other refusal is an error whose message may be
	// shown (it never holds the API key).
	PlaceCall(ctx context.Context, call OutboundCall) (Dialled, error)
	// Conversation reads a conversation's state. ENOTFOUND if unknown.
	Conversation(ctx context.Context, conversationID string) (*CallResult, error)
	// PhoneNumbers lists the numbers imported into the provider.
	PhoneNumbers(ctx context.Context) ([]PhoneNumber, error)
	// Agent returns the agent. ENOTFOUND if it does not exist.
	Agent(ctx context.Context, agentID string) (*Agent, error)
}

// Reasons a Dialer's EINTERNAL error may carry, so the calling service
// tells failures apart without reading their messages.
const (
	// ReasonProviderKeyRefused: the provider refused our API key.
	ReasonProviderKeyRefused = "provider_key_refused"
	// ReasonProviderRefused: the provider refused the request; the message
	// is its own words and may be shown.
	ReasonProviderRefused = "provider_refused"
	// ReasonProviderUnavailable: the provider could not be reached or did
	// not answer in time; a call may or may not have been placed.
	ReasonProviderUnavailable = "provider_unavailable"
)

// OutboundCall is what the provider is asked to do.
type OutboundCall struct {
	AgentID          string
	PhoneNumberID    string // the provider's id of the caller's number
	To               string
	FirstMessage     string // empty: the agent's own
	DynamicVariables map[string]any
}

// Dialled is the provider's answer to an accepted call.
type Dialled struct {
	ConversationID string
	CallSID        string
}

// PhoneNumber is a number imported into the provider.
type PhoneNumber struct {
	Number           string // E.164
	ID               string // the provider's phone_number_id
	Provider         string // "twilio", ...
	SupportsOutbound bool
	AssignedAgentID  string
}

// Agent is a conversational agent of the provider.
type Agent struct {
	ID   string
	Name string
}

// Audit-trail actions of calls (Event.Action): every change of a call's
// status is recorded, with the callId and the new status in Detail.
const (
	EventCallQueued  = "call.queued"
	EventCallUpdated = "call.status_changed"
)

// Audit-trail actions of a client's do-not-call list. Detail is empty: the
// number is personal data, like the contact fields (see Event.Detail).
const (
	EventDoNotCallAdded   = "do_not_call.added"
	EventDoNotCallRemoved = "do_not_call.removed"
)

// MaxCallsPerHourDefault is a client's hourly call limit when the
// administrator set none.
const MaxCallsPerHourDefault = 60

// CallPageFilter selects one page of calls, newest first, by keyset: every
// client's (the admin's listing), or one client's.
type CallPageFilter struct {
	ClientID string // "" for every client
	// CurrentClient, with ClientID, keeps only the calls of the client
	// account that has ClientID now, as the client itself reads them;
	// without it, ClientID matches the clientId recorded with each call, so
	// the calls of a deleted client of that id are listed too.
	CurrentClient bool
	Status        *CallStatus
	// Outcome is one of OutcomeSuccess, OutcomeFailure, OutcomeUnknown; ""
	// for any.
	Outcome string
	// To is the number called (E.164); "" for any.
	To    string
	Limit int
	After *CallCursor // the page after (older than) this call; nil for the first
	// Before selects the page before (newer than) this call instead.
	Before *CallCursor
}

// CallCursor marks a place in the newest-first listing of calls, ordered by
// CreatedAt, then ID, both descending.
type CallCursor struct {
	CreatedAt time.Time
	ID        string
}

// CallPage is one page of calls, newest first.
type CallPage struct {
	Calls []*Call
	// Next is the After cursor of the page of older calls, nil when none
	// follow.
	Next *CallCursor
	// Newer is the Before cursor of the page of newer calls; nil on the
	// first page and when there are none.
	Newer *CallCursor
}

// Outcomes lists the outcomes ElevenLabs's analysis gives, for filters and
// charts.
var Outcomes = []string{OutcomeSuccess, OutcomeFailure, OutcomeUnknown}

// CallDayCount is how many calls created on one day (UTC) have one outcome;
// Outcome "" counts the calls without one (not ended, or never connected).
type CallDayCount struct {
	Day     time.Time // midnight UTC
	Outcome string
	Calls   int
}

// DoNotCallEntry is a number a client's calls must never reach.
type DoNotCallEntry struct {
	Phone     string // E.164
	CreatedAt time.Time
}

// CallService stores calls and the do-not-call lists. A client's calls are
// tied to the client account itself, not to its clientId: once the client
// is deleted its calls stay (for the record, readable by admins) but no
// client reads them, not even a new one created with the same clientId.
type CallService interface {
	// CreateCall records call, queued, for the client call.ClientID names,
	// and fills its ClientName, Status and timestamps; call.ID is the
	// caller's. In the same transaction it refuses, and stores nothing:
	// ENOTFOUND for no such client; EFORBIDDEN "This number is on the
	// do-not-call list"; ETHROTTLED (with RetryAfter: when the oldest call of
	// the last hour leaves it) when the client has placed maxPerHour calls in
	// the hour before now. Concurrent calls never exceed the limit together.
	CreateCall(ctx context.Context, call *Call, maxPerHour int, now time.Time) error

	// MarkCallDialled moves a queued call to initiated with the provider's
	// ids. ENOTFOUND; a call no longer queued is returned unchanged.
	MarkCallDialled(ctx context.Context, id string, d Dialled, at time.Time) (*Call, error)

	// FailCall moves a call that is not final to failed with reason as its
	// Error. ENOTFOUND; a final call is returned unchanged.
	FailCall(ctx context.Context, id, reason string, at time.Time) (*Call, error)

	// ApplyCallResult applies what the provider reported about the call
	// with r.ConversationID: its status only if that moves it forward, and
	// the outcome, summary, times and transcript with a final status. It
	// reports whether anything changed, so a redelivered or out-of-order
	// report changes nothing. ENOTFOUND for a conversation no call has.
	ApplyCallResult(ctx context.Context, r CallResult, at time.Time) (call *Call, changed bool, err error)

	// HoldCallResult keeps r, a report about a conversation no call has
	// yet: ElevenLabs may report a conversation before its answer to the
	// dial is recorded.
	HoldCallResult(ctx context.Context, r CallResult, at time.Time) error

	// TakeHeldCallResults removes and returns the reports held for the
	// conversation, oldest first.
	TakeHeldCallResults(ctx context.Context, conversationID string) ([]CallResult, error)

	// PurgeHeldCallResults removes the reports held since before before,
	// which no call claimed, and returns how many.
	PurgeHeldCallResults(ctx context.Context, before time.Time) (int, error)

	// FindCall returns the call with its transcript. With a clientID, only
	// that (current) client's call is found; "" finds any. ENOTFOUND.
	FindCall(ctx context.Context, clientID, id string) (*Call, error)

	// FindClientCalls returns the client's calls matching f, newest first,
	// with the count of all its calls and of those matching f.
	FindClientCalls(ctx context.Context, clientID string, f CallFilter) (calls []*Call, total, filtered int, err error)

	// FindCallPage returns one page of calls by keyset. Transcripts are not read.
	FindCallPage(ctx context.Context, f CallPageFilter) (*CallPage, error)

	// CallStats sums up the client's calls in SQL, or every call for "".
	CallStats(ctx context.Context, clientID string) (*CallStats, error)

	// CountCallsSince counts every client's calls created at or after since.
	CountCallsSince(ctx context.Context, since time.Time) (int, error)

	// CountCallsByDay counts every client's calls created at or after since
	// by day (UTC) and outcome, oldest day first; days without calls are
	// left out.
	CountCallsByDay(ctx context.Context, since time.Time) ([]CallDayCount, error)

	// ClaimCallsToReconcile returns up to limit calls that no webhook
	// settled in time (queued and not changed since queuedBefore, or
	// initiated or in-progress and not changed since activeBefore) and
	// leases them until now+lease: no other claim returns them before then,
	// from this instance or another one on the same database.
	ClaimCallsToReconcile(ctx context.Context, queuedBefore, activeBefore, now time.Time, lease time.Duration, limit int) ([]*Call, error)

	// AddDoNotCall puts phone on the client's list (again is no error,
	// and no change), recording EventDoNotCallAdded. ENOTFOUND for no such
	// client.
	AddDoNotCall(ctx context.Context, clientID, phone string, at time.Time) error
	// RemoveDoNotCall takes phone off the list, recording
	// EventDoNotCallRemoved. ENOTFOUND if it is not on it.
	RemoveDoNotCall(ctx context.Context, clientID, phone string) error
	// FindDoNotCall lists the client's numbers, newest first.
	FindDoNotCall(ctx context.Context, clientID string) ([]DoNotCallEntry, error)
}

var callIDPattern = regexp.MustCompile(`^call_[0-9a-f]{24}$`)

// ValidCallID reports whether id has the form of a callId.
func ValidCallID(id string) bool { return callIDPattern.MatchString(id) }

// CallCursorOf returns the cursor at c's place in the listing.
func CallCursorOf(c *Call) *CallCursor { return &CallCursor{CreatedAt: c.CreatedAt, ID: c.ID} }

// String returns the cursor's opaque, URL-safe text form (base64url of the
// creation time in Unix nanoseconds, a dot and the callId).
func (c CallCursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCallCursor reads the text form of String; anything else is
// ErrBadCursor.
func ParseCallCursor(s string) (*CallCursor, error) {
	if s == "" || len(s) > base64.RawURLEncoding.EncodedLen(20+1+29) {
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	nanos, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || !ValidCallID(id) {
		return nil, ErrBadCursor
	}
	c := &CallCursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}
	if c.String() != s {
		return nil, ErrBadCursor
	}
	return c, nil
}
