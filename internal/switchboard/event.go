package switchboard

import (
	"context"
	"regexp"
	"strconv"
	"time"
)

// Event is one entry of the audit trail of client-account changes: who did
// what to which client, and when. The store writes it in the same transaction
// as the change, so every committed change has its event, whatever transport
// made it, and a change that rolls back leaves none.
type Event struct {
	ID int64
	// Actor names who made the change: AdminActor ("admin:alice"),
	// ClientActor ("client:acme_1"), or SystemActor when the context named
	// nobody (see NewContextWithActor).
	Actor string
	// Action is one of the Event* constants.
	Action string
	// ClientID is the clientId of the account changed. Events outlive the
	// client: a deleted client's events stay.
	ClientID string
	// Detail says more, depending on Action (see the Event* constants). It
	// names fields and statuses, never a value a client typed (contact fields
	// and notes may be personal data) and never a secret or its hash.
	Detail    string
	CreatedAt time.Time
	// ClientName is the full name of the client with ClientID as it is
	// now, read with the event; empty when there is none any more (the
	// client was deleted). Not stored with the event.
	ClientName string
}

// Event actions.
//
// An update records exactly one event. When it changes the status, the event
// is EventClientStatusChanged, whose Detail is "Old → New", followed by
// "; also: " and the other fields changed, if any
// ("Active → Suspended; also: clientMeta.phone, agentId"). Otherwise it is
// EventClientUpdated, whose Detail lists the JSON names of the changed fields
// ("clientMeta.phone, agentId"). An update that changes no value records
// nothing.
const (
	// EventClientCreated: a client was created. Detail is its first status.
	EventClientCreated = "client.created"
	// EventClientUpdated: fields other than the status changed. Detail lists
	// their JSON names, comma-separated, in the order of the API's documents.
	EventClientUpdated = "client.updated"
	// EventClientStatusChanged: the status changed (see above for Detail).
	EventClientStatusChanged = "client.status_changed"
	// EventClientSecretReset: the secret was replaced, by an admin's reset or
	// by the client's own change-secret; the Actor tells which. Detail is empty.
	EventClientSecretReset = "client.secret_reset"
	// EventClientTokensRevoked: every token and browser session of the
	// client was ended ("sign out everywhere") without changing its secret.
	// Detail is empty.
	EventClientTokensRevoked = "client.tokens_revoked"
	// EventClientDeleted: the client was deleted. Detail is empty.
	EventClientDeleted = "client.deleted"
	// EventAdminRoleChanged: an admin's role changed. Detail is
	// "username: old → new".
	EventAdminRoleChanged = "admin.role_changed"
	// EventAdminDisabled and EventAdminEnabled: an admin was disabled or
	// enabled again. Detail is the username.
	EventAdminDisabled = "admin.disabled"
	EventAdminEnabled  = "admin.enabled"
	// EventAdminInvited: an admin was invited. Detail is "username (role)".
	EventAdminInvited = "admin.invited"
	// EventAdminJoined: an invited admin set its password. Detail is the
	// username.
	EventAdminJoined = "admin.joined"
	// EventAdminDeleted: an admin was removed. Detail is the username.
	EventAdminDeleted = "admin.deleted"
	// EventAdminPasswordReset: an owner took an admin's password away and
	// made a link to set a new one. Detail is the username.
	EventAdminPasswordReset = "admin.password_reset"
	// EventAdminPasswordSet: an admin whose password was reset set a new one
	// with the link (joining records EventAdminJoined instead). Detail is
	// the username.
	EventAdminPasswordSet = "admin.password_set"
	// EventAdminPasswordChanged: an admin's password was replaced while it
	// had one: by the admin itself, knowing the current one, or by the
	// environment's ADMIN_PASSWORD at start-up (the system actor). Detail
	// is the username.
	EventAdminPasswordChanged = "admin.password_changed"
	// EventAdminMFAReset: an owner turned off an admin's two-factor sign-in
	// (a lost phone). Detail is the username.
	EventAdminMFAReset = "admin.mfa_reset"
	// EventTeamMFARequired and EventTeamMFANotRequired: an owner made
	// two-factor sign-in required of every admin, or stopped requiring it.
	// ClientID and Detail are empty.
	EventTeamMFARequired    = "team.mfa_required"
	EventTeamMFANotRequired = "team.mfa_not_required"
)

// Pagination bounds of the audit trail: MaxEventLimit is the most events
// FindEvents returns at once, DefaultEventLimit the JSON API's page size
// when it is not given.
const (
	DefaultEventLimit = 50
	MaxEventLimit     = 100
)

// EventService reads the audit trail. Events are written by the
// ClientService methods themselves, never separately.
type EventService interface {
	// FindEvents returns the latest events, newest first. limit is clamped
	// to 1..MaxEventLimit.
	FindEvents(ctx context.Context, limit int) ([]*Event, error)

	// FindEventPage returns one page of the events matching f, newest
	// first, by keyset: a page deep in the trail costs what the first does.
	FindEventPage(ctx context.Context, f EventPageFilter) (*EventPage, error)
}

// EventPageFilter selects one page of the newest-first audit trail.
type EventPageFilter struct {
	// ClientID keeps the events of that client alone; "" keeps all.
	ClientID string
	// Action keeps the events of that action alone (an Event* constant);
	// "" keeps all.
	Action string
	// Actor keeps the events that actor made (an Event's Actor, exactly:
	// "admin:alice", "client:acme_1", SystemActor); "" keeps all.
	Actor string
	// After selects the events older than the cursor (the next page); nil
	// for the newest page.
	After *EventCursor
	// Limit is the page size, clamped to 1..MaxEventLimit.
	Limit int
}

// EventPage is one page of the audit trail, newest first.
type EventPage struct {
	Events []*Event
	// Older is the After cursor of the page of older events; nil when
	// there is none.
	Older *EventCursor
}

// EventCursor marks a place in the newest-first audit trail, ordered by
// CreatedAt, then by ID, both descending.
type EventCursor struct {
	CreatedAt time.Time
	ID        int64
}

// EventCursorOf returns the cursor at e's place in the trail.
func EventCursorOf(e *Event) *EventCursor { return &EventCursor{CreatedAt: e.CreatedAt, ID: e.ID} }

// String returns the cursor's text form for links, opaque and URL-safe as
// ClientCursor's is.
func (c EventCursor) String() string { return encodeCursor(c.CreatedAt, strconv.FormatInt(c.ID, 10)) }

// ParseEventCursor reads the text form of String; anything else is
// ErrBadCursor.
func ParseEventCursor(s string) (*EventCursor, error) {
	at, key, ok := decodeCursor(s, 19, eventIDPattern.MatchString)
	if !ok {
		return nil, ErrBadCursor
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil, ErrBadCursor
	}
	return &EventCursor{CreatedAt: at, ID: id}, nil
}

// eventIDPattern is an event id as String writes it: a positive decimal.
var eventIDPattern = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// SystemActor is the actor of a change whose context names nobody: start-up
// tasks, command-line tools, tests.
const SystemActor = "system"

// AdminActor is the actor of a change made by the admin username.
func AdminActor(username string) string { return "admin:" + username }

// ClientActor is the actor of a change a client made to its own account.
func ClientActor(id string) string { return "client:" + id }

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that names actor as the one who
// makes the changes done with it. Transports call it once they know who the
// caller is; an empty actor leaves the changes to SystemActor.
func NewContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor that ctx names, or SystemActor.
func ActorFromContext(ctx context.Context) string {
	if actor, _ := ctx.Value(actorKey{}).(string); actor != "" {
		return actor
	}
	return SystemActor
}
