package views

import (
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"switchboard/internal/switchboard"
)

// Activity is the console's Activity page: one page of the audit trail
// with the filter that chose it.
type Activity struct {
	// ClientID, Kind (an event action) and Actor (an Event's Actor,
	// exactly) filter the trail; "" for all.
	ClientID, Kind, Actor string
	// Actors are the "By" filter's options (ActorChoices); the page sets
	// them, the results alone do not need them.
	Actors []ActorChoice
	Events []*switchboard.Event
	// OlderURL links the next page, NewestURL the first; empty when there
	// is none or this is the first.
	OlderURL, NewestURL string
	// Error explains a filter that could not be applied.
	Error string
}

// Filtered reports whether a client, kind or actor filter is applied.
func (a Activity) Filtered() bool { return a.ClientID != "" || a.Kind != "" || a.Actor != "" }

// ActivityURL is the address of the Activity page with the given filter
// and page parameters, so any state of it can be bookmarked.
func ActivityURL(clientID, kind, actor string, page url.Values) string {
	return pageURL("/console/activity", page, "client", clientID, "kind", kind, "actor", actor)
}

// ActorChoice is an option of the Activity page's "By" filter.
type ActorChoice struct{ Actor, Label string }

// ActorChoices are the "By" filter's options: anyone, each administrator
// of the team, the system; and actor itself when it is none of these (a
// client, an administrator since removed, a value typed into the address),
// so that the select shows the filter the page applies.
func ActorChoices(admins []*switchboard.Admin, actor string) []ActorChoice {
	out := []ActorChoice{{"", "Anyone"}}
	for _, a := range admins {
		out = append(out, ActorChoice{switchboard.AdminActor(a.Username), a.Username})
	}
	out = append(out, ActorChoice{switchboard.SystemActor, "System"})
	if !slices.ContainsFunc(out, func(c ActorChoice) bool { return c.Actor == actor }) {
		out = append(out, ActorChoice{actor, actor})
	}
	return out
}

// actorURL is the Activity page of what the event's actor did.
func actorURL(e *switchboard.Event) templ.SafeURL {
	return templ.SafeURL(ActivityURL("", "", e.Actor, nil))
}

// ClientHistory is the latest events of one client, for its page.
type ClientHistory struct {
	Events []*switchboard.Event
	// More is set when older events exist: the Activity page has them.
	More bool
}

// EventKind is a kind of event the Activity page filters by.
type EventKind struct{ Action, Label string }

// EventKinds are the kinds of event, in the order the filter offers them.
var EventKinds = []EventKind{
	{switchboard.EventClientCreated, "Created"},
	{switchboard.EventClientUpdated, "Profile changed"},
	{switchboard.EventClientStatusChanged, "Status changed"},
	{switchboard.EventClientSecretReset, "Secret reset or changed"},
	{switchboard.EventClientTokensRevoked, "Signed out everywhere"},
	{switchboard.EventClientDeleted, "Deleted"},
	{switchboard.EventCallQueued, "Call placed"},
	{switchboard.EventCallUpdated, "Call status changed"},
	{switchboard.EventDoNotCallAdded, "Do-not-call number added"},
	{switchboard.EventDoNotCallRemoved, "Do-not-call number removed"},
}

// ValidEventKind reports whether kind is one of EventKinds.
func ValidEventKind(kind string) bool {
	for _, k := range EventKinds {
		if k.Action == kind {
			return true
		}
	}
	return false
}

// bySelf reports whether the client the event is about made it.
func bySelf(e *switchboard.Event) bool { return e.Actor == switchboard.ClientActor(e.ClientID) }

// eventWho names who made the change: an administrator by username, a
// client by its name when it changed its own account, the service itself
// for what no person did (a call's report, a start-up task).
func eventWho(e *switchboard.Event) string {
	switch {
	case bySelf(e) && e.ClientName != "":
		return e.ClientName
	case e.Actor == switchboard.SystemActor:
		return "Switchboard"
	}
	if _, name, ok := strings.Cut(e.Actor, ":"); ok {
		return name
	}
	return e.Actor
}

// eventVerb says what was done; the client it was done to follows, unless
// the client did it itself (bySelf).
func eventVerb(e *switchboard.Event) string {
	self := bySelf(e)
	switch e.Action {
	case switchboard.EventClientCreated:
		return "created"
	case switchboard.EventClientUpdated:
		if self {
			return "changed their profile"
		}
		return "changed the profile of"
	case switchboard.EventClientStatusChanged:
		return "changed the status of"
	case switchboard.EventClientSecretReset:
		if self {
			return "changed their secret"
		}
		return "reset the secret of"
	case switchboard.EventClientTokensRevoked:
		if self {
			return "signed out everywhere"
		}
		return "ended every token and session of"
	case switchboard.EventClientDeleted:
		return "deleted"
	case switchboard.EventCallQueued:
		if self {
			return "placed a call"
		}
		return "placed a call for"
	case switchboard.EventCallUpdated:
		return "recorded a call's progress for"
	case switchboard.EventDoNotCallAdded:
		if self {
			return "added a number to their do-not-call list"
		}
		return "added a number to the do-not-call list of"
	case switchboard.EventDoNotCallRemoved:
		if self {
			return "took a number off their do-not-call list"
		}
		return "took a number off the do-not-call list of"
	case switchboard.EventAdminInvited:
		return "invited to the team"
	case switchboard.EventAdminRoleChanged:
		return "changed the role of"
	case switchboard.EventAdminDisabled:
		return "disabled"
	case switchboard.EventAdminEnabled:
		return "enabled"
	case switchboard.EventAdminDeleted:
		return "removed from the team"
	case switchboard.EventAdminJoined:
		return "joined the team"
	case switchboard.EventAdminPasswordReset:
		return "reset the password of"
	case switchboard.EventAdminPasswordSet:
		return "set a new password"
	case switchboard.EventAdminPasswordChanged:
		if ownPassword(e) {
			return "changed their password"
		}
		return "changed the password of" // the environment's ADMIN_PASSWORD, at start-up
	case switchboard.EventAdminMFAReset:
		return "reset the two-factor sign-in of"
	case switchboard.EventTeamMFARequired:
		return "required two-factor sign-in of every administrator"
	case switchboard.EventTeamMFANotRequired:
		return "stopped requiring two-factor sign-in"
	}
	return e.Action
}

// adminEvent reports whether e is about an administrator, not a client:
// its Detail starts with the username ("alice", "alice (operator)",
// "alice: operator → viewer").
func adminEvent(e *switchboard.Event) bool { return strings.HasPrefix(e.Action, "admin.") }

// adminSubject splits an administrator event's Detail into the username and
// the rest.
func adminSubject(e *switchboard.Event) (username, rest string) {
	if name, rest, ok := strings.Cut(e.Detail, ": "); ok {
		return name, rest
	}
	if name, rest, ok := strings.Cut(e.Detail, " ("); ok {
		return name, "as " + strings.TrimSuffix(rest, ")")
	}
	return e.Detail, ""
}

// eventHasSubject reports whether the event names whom it was done to
// after the verb: not when one did it to oneself, nor for a change of the
// whole team's settings ("team.").
func eventHasSubject(e *switchboard.Event) bool {
	return !bySelf(e) && e.Action != switchboard.EventAdminJoined && e.Action != switchboard.EventAdminPasswordSet &&
		!ownPassword(e) && !strings.HasPrefix(e.Action, "team.")
}

// ownPassword reports whether e is an administrator changing its own
// password.
func ownPassword(e *switchboard.Event) bool {
	return e.Action == switchboard.EventAdminPasswordChanged && e.Actor == switchboard.AdminActor(e.Detail)
}

// eventClientName is how an event names its client: its name now, or its
// clientId once no client has it (deleted).
func eventClientName(e *switchboard.Event) string {
	if adminEvent(e) {
		name, _ := adminSubject(e)
		return name
	}
	if e.ClientName != "" {
		return e.ClientName
	}
	return e.ClientID
}

// eventLinksClient reports whether the client's page exists to link to.
func eventLinksClient(e *switchboard.Event) bool {
	return e.ClientName != "" && e.Action != switchboard.EventClientDeleted
}

// eventDetail says the event's detail in words: fields by their labels
// ("Email, Phone", not "clientMeta.email, clientMeta.phone").
func eventDetail(e *switchboard.Event) string {
	if adminEvent(e) {
		_, rest := adminSubject(e)
		return rest
	}
	switch e.Action {
	case switchboard.EventClientUpdated:
		return fieldLabels(e.Detail)
	case switchboard.EventClientStatusChanged:
		change, also, ok := strings.Cut(e.Detail, "; also: ")
		if ok {
			return change + "; also " + fieldLabels(also)
		}
		return change
	case switchboard.EventClientCreated:
		if e.Detail != "" {
			return "as " + e.Detail
		}
	}
	return e.Detail
}

// fieldLabels turns a list of JSON field names into their labels.
func fieldLabels(names string) string {
	if names == "" {
		return ""
	}
	parts := strings.Split(names, ", ")
	for i, name := range parts {
		if name == "calling" { // the calling settings, replaced whole
			parts[i] = "Calling settings"
		}
		for _, f := range switchboard.ClientFields {
			if f.Name == name {
				parts[i] = f.Label
			}
		}
	}
	return strings.Join(parts, ", ")
}
