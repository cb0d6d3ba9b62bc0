package views

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"switchboard/internal/switchboard"
)

// CallArea is where a call page lives: the console, where every client's
// calls are seen, or a client's own account pages.
type CallArea struct {
	// Base is the calls list, "/console/calls" or "/account/calls"; a call's
	// page is Base + "/" + its id.
	Base string
	// Console shows the client of each call and filters by client.
	Console bool
}

// The two areas with call pages.
var (
	ConsoleCalls = CallArea{Base: "/console/calls", Console: true}
	AccountCalls = CallArea{Base: "/account/calls"}
)

// CallURL is the page of the call in the area.
func (a CallArea) CallURL(id string) string { return a.Base + "/" + url.PathEscape(id) }

// Calling modes, as the calling service is set up (CallingMode).
const (
	CallingOff       = "off"
	CallingSimulated = "simulated"
	CallingLive      = "elevenlabs"
)

// CallFilter is what the calls list is filtered by, as typed.
type CallFilter struct {
	Status, Outcome string
	ClientID        string // the console only
	Number          string // the number called, E.164
}

// Query is the filter as URL parameters, without the empty ones.
func (f CallFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "outcome": f.Outcome, "clientId": f.ClientID, "number": f.Number} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// CallList is one page of calls with the filter that chose it.
type CallList struct {
	Area   CallArea
	Filter CallFilter
	Calls  []*switchboard.Call
	// NewerURL and OlderURL link the neighbouring pages; empty at either end.
	NewerURL, OlderURL string
	// Error explains a filter that could not be applied.
	Error string
	// Paged is true past the first page (the list was reached by a cursor).
	Paged bool
	// Mode is the calling mode, for a note when calls are simulated.
	Mode string
	// Self is the list's own address as the server reads it: the filters
	// applied, written whole (a number as +12125551234), and its page.
	Self string
}

// Filtered reports whether any filter is applied.
func (l CallList) Filtered() bool { return len(l.Filter.Query()) > 0 }

// URL is the address of the list with its filter and the page parameters,
// so any state of the list can be bookmarked.
func (l CallList) URL(page url.Values) string {
	q := l.Filter.Query()
	for k, v := range page {
		q[k] = v
	}
	if len(q) == 0 {
		return l.Area.Base
	}
	return l.Area.Base + "?" + q.Encode()
}

// CallView is a call's page.
type CallView struct {
	Area CallArea
	Call *switchboard.Call
}

// CallForm is a small form about calls (place a call, a do-not-call
// number, the calling settings): what was typed, what is wrong with it by
// field name, and the result to confirm.
type CallForm struct {
	ClientForm
	// Details says more about Error (the calling window, why ElevenLabs
	// refused).
	Details string
	// Done confirms what the form did.
	Done string
}

// PlaceCall is the "Place a call" form.
type PlaceCall struct {
	Form CallForm
	// Action is where the form posts.
	Action string
	// Off says why no call can be placed now (calling is off, the client
	// is not Active); the form is then shown disabled.
	Off string
	// Placed is the call just placed, with its page's URL.
	Placed  *switchboard.Call
	CallURL string
	Mode    string
	// Level is its heading's: 2 on a page of its own, else 3.
	Level int
}

// DoNotCall is a client's do-not-call list with the form that adds to it.
type DoNotCall struct {
	Form CallForm
	// Action is where a number is added; it is removed at Action + "/remove".
	Action  string
	Entries []switchboard.DoNotCallEntry
	// Level is its heading's: 2 on a page of its own, else 3.
	Level int
}

// CallingSettings is the form of a client's hourly limit and calling hours.
type CallingSettings struct {
	Form     CallForm
	ClientID string
}

// Days is the calling days the form holds.
func (s CallingSettings) Days() []string { return strings.Fields(s.Form.Value("calling.hours.days")) }

// CallingSettingsValues fills the settings form from a client's settings.
// Hours not set show a working day's, ready to be turned on.
func CallingSettingsValues(cs switchboard.CallingSettings) map[string]string {
	v := map[string]string{"calling.hours.start": "09:00", "calling.hours.end": "20:00", "calling.hours.days": "Mon Tue Wed Thu Fri"}
	if cs.MaxCallsPerHour != 0 {
		v["calling.maxCallsPerHour"] = itoa(cs.MaxCallsPerHour)
	}
	if h := cs.Hours; h != nil {
		v["calling.hours.limited"] = "on"
		v["calling.hours.timezone"], v["calling.hours.start"], v["calling.hours.end"] = h.Timezone, h.Start, h.End
		v["calling.hours.days"] = strings.Join(h.Days, " ")
	}
	return v
}

// CallingSettingsFields are the inputs of the settings form, named as the
// API names the settings.
var CallingSettingsFields = struct {
	Limit, Limited, Timezone, Start, End, Days Field
}{
	Limit: Field{Name: "calling.maxCallsPerHour", Label: "Calls per hour", Type: "number",
		Hint: fmt.Sprintf("At most %d. Leave empty for the default, %d.", switchboard.MaxCallsPerHourLimit, switchboard.MaxCallsPerHourDefault)},
	Limited:  Field{Name: "calling.hours.limited", Label: "Only during calling hours"},
	Timezone: Field{Name: "calling.hours.timezone", Label: "Time zone", Type: "text", Hint: "An IANA time zone, like America/New_York", Autocomplete: "off"},
	Start:    Field{Name: "calling.hours.start", Label: "From", Type: "time"},
	End:      Field{Name: "calling.hours.end", Label: "Until", Type: "time"},
	Days:     Field{Name: "calling.hours.days", Label: "Days"},
}

// Fields of the call forms.
var (
	PhoneField        = Field{Name: "phone", Label: "Number to call", Type: "tel", Required: true, Hint: "International format, like +12125551234", Autocomplete: "off"}
	FirstMessageField = Field{Name: "firstMessage", Label: "First message", Type: "textarea", MaxLength: 1000,
		Hint: "Optional: what the agent says first. Leave empty for the agent's own greeting."}
	DoNotCallField = Field{Name: "phone", Label: "Number", Type: "tel", Required: true, Hint: "International format, like +12125551234", Autocomplete: "off"}
)

// CallingCheck is what ElevenLabs says of a client's set-up, for the
// calling-check panel.
type CallingCheck struct {
	ClientID string
	Mode     string
	// Checked is false until the check has run: the panel then loads it.
	Checked  bool
	Verified bool
	Problem  string

	AgentID, Number                  string
	AgentFound                       bool
	AgentName                        string
	NumberImported, SupportsOutbound bool
	AssignedAgentID                  string
	AssignedToAgent                  bool
	// Level is its heading's: 2 on a page of its own, else 3.
	Level int
	// Focus makes the panel take the focus when swapped in: after "Check
	// again", not when it loads itself with the page.
	Focus bool
}

// focusAttrs mark the panel for the focus (app.js: data-autofocus).
func (c CallingCheck) focusAttrs() templ.Attributes {
	if !c.Focus {
		return templ.Attributes{}
	}
	return templ.Attributes{"tabindex": "-1", "data-autofocus": true}
}

// AtLevel returns the panel with its heading at level.
func (c CallingCheck) AtLevel(level int) CallingCheck {
	c.Level = level
	return c
}

// Ready reports whether calls can be placed with this set-up.
func (c CallingCheck) Ready() bool {
	return c.Verified && c.AgentFound && c.NumberImported && c.SupportsOutbound
}

// ClientCalls is the calls part of a client's console page.
type ClientCalls struct {
	Client    *switchboard.Client
	Recent    []*switchboard.Call
	Stats     *switchboard.CallStats
	Settings  CallingSettings
	DoNotCall DoNotCall
	Check     CallingCheck
	Place     PlaceCall
}

// AccountCallsView is a client's own calls page.
type AccountCallsView struct {
	Client    *switchboard.Client
	List      CallList
	Place     PlaceCall
	DoNotCall DoNotCall
}

// AccountSummary is what a client's overview says of its calls.
type AccountSummary struct {
	Stats *switchboard.CallStats
}

// DashboardCalls is the calls part of the console's dashboard.
type DashboardCalls struct {
	Last24h, Total int
	ByStatus       map[switchboard.CallStatus]int
	// Days are the last 30 days, oldest first, each with its calls by outcome.
	Days []CallDay
}

// CallDay is one day's calls by outcome ("" for none).
type CallDay struct {
	Day       time.Time
	ByOutcome map[string]int
}

// Total is the day's calls.
func (d CallDay) Total() int {
	n := 0
	for _, v := range d.ByOutcome {
		n += v
	}
	return n
}

// CallDays spreads counts over the days from first to last (midnight UTC),
// every day present.
func CallDays(counts []switchboard.CallDayCount, first, last time.Time) []CallDay {
	var days []CallDay
	index := map[time.Time]int{}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		index[d] = len(days)
		days = append(days, CallDay{Day: d, ByOutcome: map[string]int{}})
	}
	for _, c := range counts {
		if i, ok := index[c.Day]; ok {
			days[i].ByOutcome[c.Outcome] += c.Calls
		}
	}
	return days
}

// callStatusClass styles a call's status badge.
func callStatusClass(s switchboard.CallStatus) string {
	switch s {
	case switchboard.CallCompleted:
		return "badge badge-active"
	case switchboard.CallFailed:
		return "badge badge-suspended"
	case switchboard.CallQueued:
		return "badge badge-inactive"
	}
	return "badge bg-sky-50 text-sky-800 ring-sky-600/20"
}

// outcomeLabel says an outcome in words; "" is a call without one.
func outcomeLabel(o string) string {
	switch o {
	case switchboard.OutcomeSuccess:
		return "Success"
	case switchboard.OutcomeFailure:
		return "Failure"
	case switchboard.OutcomeUnknown:
		return "Unknown"
	case "":
		return "No outcome"
	}
	return o
}

// durationWords is a call's length: "42 s", "3 min 05 s".
func durationWords(secs int) string {
	if secs < 60 {
		return fmt.Sprintf("%d s", secs)
	}
	return fmt.Sprintf("%d min %02d s", secs/60, secs%60)
}

// callDuration is the duration column: the length of a final call, a dash
// before.
func callDuration(c *switchboard.Call) string {
	if !c.Status.Final() {
		return "—"
	}
	return durationWords(c.Duration)
}

// clockInCall is a turn's time in the call, m:ss.
func clockInCall(secs int) string { return fmt.Sprintf("%d:%02d", secs/60, secs%60) }

// roleLabel names a transcript turn's speaker.
func roleLabel(role string) string {
	switch role {
	case "agent":
		return "Agent"
	case "user":
		return "Caller"
	}
	return role
}

// requestedByWords says who placed a call.
func requestedByWords(by string) string {
	if by == "client" {
		return "The client"
	}
	if name, ok := strings.CutPrefix(by, "admin:"); ok {
		return name + " (administrator)"
	}
	return by
}

// averageDuration is the mean length of the stats' calls.
func averageDuration(st *switchboard.CallStats) string {
	return durationWords(int(st.AverageDuration + 0.5))
}

func optionalTime(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return formatTime(*t)
}

func safe(s string) templ.SafeURL { return templ.SafeURL(s) }

// callingOffText says why calls cannot be placed in this mode, "" when they can.
func callingOffText(mode string) string {
	if mode == CallingOff {
		return "Calling is off on this server: set ELEVENLABS_API_KEY, or SIMULATE_CALLS=1 to try it."
	}
	return ""
}

// isSelected reports whether the space-separated list holds item.
func isSelected(list, item string) bool {
	for _, v := range strings.Fields(list) {
		if v == item {
			return true
		}
	}
	return false
}

// pollPeriod is how often a call's page asks for the call while it is not final.
const pollPeriod = "every 2s"

// pollAttrs make a call's detail ask for itself again while the call is
// not final; a final call's detail has none, so the polling stops.
func pollAttrs(v CallView) templ.Attributes {
	if v.Call.Status.Final() {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-get": v.Area.CallURL(v.Call.ID), "hx-trigger": pollPeriod, "hx-swap": "outerHTML"}
}

// prefixed prefixes each of the space-separated ids.
func prefixed(prefix, ids string) string {
	f := strings.Fields(ids)
	for i := range f {
		f[i] = prefix + "-" + f[i]
	}
	return strings.Join(f, " ")
}

func daysErrorID(s CallingSettings) string {
	if s.Form.FieldError(CallingSettingsFields.Days) != "" {
		return "settings-days-error"
	}
	return ""
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// firstInvalid is the name of the first of fields, in the order the form
// shows them, that has a problem: where the cursor goes when a refused form
// comes back. "" when none has.
func firstInvalid(f ClientForm, fields ...Field) string {
	for _, fd := range fields {
		if f.Errors[fd.Name] != "" {
			return fd.Name
		}
	}
	return ""
}
