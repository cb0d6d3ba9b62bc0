package views

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/switchboard"
)

// Field describes one input of the client form. Name is the JSON field name,
// so a form post and an API request carry the same keys.
type Field struct {
	Name     string
	Label    string
	Type     string // text, email, tel, textarea, select, secret
	Required bool
	Hint     string
	// Autocomplete is the input's autocomplete token; "off" where the
	// browser has nothing useful to offer.
	Autocomplete string
	// MaxLength caps a textarea, in characters (the domain's cap).
	MaxLength int
}

// Fieldset is a titled group of fields.
type Fieldset struct {
	Legend string
	Fields []Field
}

var (
	contactFields    = Fieldset{"Contact", formFields(switchboard.ContactFields)}
	callingFields    = Fieldset{"Calling", formFields(switchboard.CallingFields)}
	statusField      = Field{Name: "status", Label: "Status", Type: "select", Hint: "Only Active clients can sign in or use their tokens."}
	newAccountFields = Fieldset{"Account", []Field{
		{Name: "clientId", Label: "Client ID", Type: "text", Hint: "3 to 64 letters, digits, '_', '.' or '-'. Leave empty to generate one.", Autocomplete: "off"},
		{Name: "clientSecret", Label: "Client secret", Type: "secret", Hint: "Leave empty to generate a strong one (recommended), or choose at least 16 characters.", Autocomplete: "new-password"},
		statusField,
	}}
)

// ProfileFieldsets are the inputs of a client's own profile form: the
// contact fields PUT /secure/client lets a client change (not the
// administrator's notes), with the autocomplete tokens of one's own details
// (the console's say "off": an administrator types somebody else's).
var ProfileFieldsets = []Fieldset{{"Profile", ownDetails(formFields(switchboard.OwnFields), map[string]string{
	"clientMeta.fullName": "name", "clientMeta.email": "email", "clientMeta.phone": "tel",
	"clientMeta.businessName": "organization", "clientMeta.city": "address-level2",
	"clientMeta.jobTitle": "organization-title",
})}}

// formFields are the inputs of the domain's client fields, with the
// console's autocomplete: "off", as an administrator types somebody else's.
func formFields(fields []switchboard.ClientField) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = Field{Name: f.Name, Label: f.Label, Type: fieldType(f.Kind), Required: f.Required, Hint: f.Hint,
			Autocomplete: "off", MaxLength: f.MaxLength}
	}
	return out
}

// fieldType is the input type of a kind of field.
func fieldType(k switchboard.FieldKind) string {
	switch k {
	case switchboard.MultilineField:
		return "textarea"
	case switchboard.EmailField:
		return "email"
	case switchboard.PhoneField:
		return "tel"
	}
	return "text"
}

func ownDetails(fields []Field, autocomplete map[string]string) []Field {
	own := make([]Field, len(fields))
	for i, fd := range fields {
		fd.Autocomplete = autocomplete[fd.Name]
		if fd.Autocomplete == "" {
			fd.Autocomplete = "off"
		}
		own[i] = fd
	}
	return own
}

// SecretFieldsets are the inputs of a client's change-secret form, named as
// POST /auth/change-secret names them.
var SecretFieldsets = []Fieldset{{"Change your secret", []Field{
	{Name: "currentSecret", Label: "Current secret", Type: "password", Required: true, Autocomplete: "current-password"},
	{Name: "newSecret", Label: "New secret", Type: "password", Autocomplete: "new-password",
		Hint: "Leave empty to get a strong generated one (recommended), or choose at least 16 characters."},
}}}

// PasswordFieldsets are the inputs of an admin's change-password form on
// its Security page, named as POST /auth/admin/change-password names them.
var PasswordFieldsets = []Fieldset{{"Change your password", []Field{
	{Name: "currentPassword", Label: "Current password", Type: "password", Required: true, Autocomplete: "current-password"},
	{Name: "newPassword", Label: "New password", Type: "password", Required: true, Autocomplete: "new-password",
		Hint: "At least 12 characters."},
}}}

// NewClientFieldsets are the inputs of the create form.
var NewClientFieldsets = []Fieldset{newAccountFields, contactFields, callingFields}

// EditClientFieldsets are the inputs of the edit form: the ID never changes,
// the secret is reset, not edited, and the status has its own buttons
// (StatusPanel). A status input here would go stale once those buttons
// changed the status, and saving the form would quietly change it back.
var EditClientFieldsets = []Fieldset{contactFields, callingFields}

// ClientForm is the create or edit form: what the user typed and what is
// wrong with it, by field name.
type ClientForm struct {
	Values map[string]string
	Errors map[string]string
	// Phrases holds, for the errors that the domain says after the field's
	// JSON name, the words after it (switchboard.FieldPhrases), which
	// FieldError says after the field's label instead.
	Phrases map[string]string
	// Error is a problem that belongs to no single field.
	Error string
	// ClientID is the client being edited; empty on the create form.
	ClientID string
}

// Value returns what the form holds for the field.
func (f ClientForm) Value(name string) string { return f.Values[name] }

// FieldError returns the field's problem in words for a person: the
// domain's phrase after the field's label ("City is too long (at most 100
// characters)") where it has one, else the error as it is ("Invalid email
// format").
func (f ClientForm) FieldError(fd Field) string {
	if phrase, ok := f.Phrases[fd.Name]; ok {
		return fd.Label + " " + phrase
	}
	return f.Errors[fd.Name]
}

// Refused reports whether the form came back with a problem.
func (f ClientForm) Refused() bool { return f.Error != "" || len(f.Errors) > 0 }

// FirstInvalid is the name of the first field of sets, in the order the
// form shows them, that has an error: where the cursor goes when a refused
// form comes back. "" when none has.
func (f ClientForm) FirstInvalid(sets []Fieldset) string {
	for _, set := range sets {
		for _, fd := range set.Fields {
			if f.Errors[fd.Name] != "" {
				return fd.Name
			}
		}
	}
	return ""
}

// ClientFormValues fills the edit form's values from a stored client.
func ClientFormValues(c *switchboard.Client) map[string]string {
	values := map[string]string{}
	for _, f := range switchboard.ClientFields {
		values[f.Name] = *f.Of(c)
	}
	return values
}

// ClientList is one page of the clients table with the filter that chose it.
type ClientList struct {
	Search string
	Status string
	// Sort is the order (a switchboard.ClientSort); "" for the default,
	// newest first.
	Sort    string
	Clients []*switchboard.Client
	// Count is how many clients the filter matches; CountMore means more
	// than Count (a search is counted only so far).
	Count     int
	CountMore bool
	// NewerURL and OlderURL link the neighbouring pages; empty at either end.
	NewerURL, OlderURL string
	// Error explains a filter that could not be applied.
	Error string
	// Paged is true past the first page (the list was reached by a cursor).
	Paged bool
}

// Filtered reports whether a search or status filter is applied.
func (l ClientList) Filtered() bool { return l.Search != "" || l.Status != "" }

// URL is the address of the list with its filter and order, and the page
// parameters given.
func (l ClientList) URL(page url.Values) string {
	q := url.Values{}
	if l.Sort != "" {
		q.Set("sort", l.Sort)
	}
	for k, v := range page {
		q[k] = v
	}
	return ClientsURL(l.Search, l.Status, q)
}

// CSVURL is the address of the CSV export of the list's filter and order.
func (l ClientList) CSVURL() string {
	return strings.Replace(l.URL(nil), "/console/clients", "/console/clients.csv", 1)
}

// SortURL is where a column's header leads: the first page in that
// column's order, or in its reverse when the list is in it already.
func (l ClientList) SortURL(column string) string {
	next := ""
	switch {
	case column == "name" && l.Sort == string(switchboard.SortName):
		next = string(switchboard.SortNameDesc)
	case column == "name":
		next = string(switchboard.SortName)
	case l.Sort == "":
		next = string(switchboard.SortOldest)
	}
	return ClientList{Search: l.Search, Status: l.Status, Sort: next}.URL(nil)
}

// AriaSort is a column header's aria-sort: how the list is sorted by it.
func (l ClientList) AriaSort(column string) string {
	switch {
	case column == "name" && l.Sort == string(switchboard.SortName), column == "created" && l.Sort == string(switchboard.SortOldest):
		return "ascending"
	case column == "name" && l.Sort == string(switchboard.SortNameDesc), column == "created" && l.Sort == "":
		return "descending"
	}
	return "none"
}

// CountText says how many clients the filter matches: "1,234 clients",
// "1 client matches", "More than 1,000 clients match".
func (l ClientList) CountText() string {
	one := l.Count == 1 && !l.CountMore
	text := thousands(l.Count) + " clients"
	if one {
		text = "1 client"
	}
	if l.CountMore {
		text = "More than " + text
	}
	switch {
	case !l.Filtered():
		return text
	case one:
		return text + " matches"
	}
	return text + " match"
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ClientsURL is the address of the clients list with the given filter and
// page parameters, so any state of the list can be bookmarked.
func ClientsURL(search, status string, page url.Values) string {
	return pageURL("/console/clients", page, "search", search, "status", status)
}

// pageURL is path with the page parameters and the name, value pairs that
// are not empty as its query.
func pageURL(path string, page url.Values, pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	for k, v := range page {
		q[k] = v
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// SecretEvent is what gave a client the secret a page shows.
type SecretEvent int

// Events that show a secret.
const (
	SecretReset   SecretEvent = iota // an administrator reset it
	SecretCreated                    // an administrator created the client
	SecretChanged                    // the client changed its own secret
)

// SecretView shows a secret just created, reset or changed: the only time
// it is seen.
type SecretView struct {
	Client *switchboard.Client
	Secret string
	// BaseURL is where this server is reached, for the ready-to-paste curl line.
	BaseURL string
	Event   SecretEvent
}

// LoginCurl is the command that signs the client in with its new secret,
// safe to paste into a POSIX shell whatever the secret holds.
func (v SecretView) LoginCurl() string {
	body, _ := json.Marshal(struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}{v.Client.ID, v.Secret})
	return fmt.Sprintf("curl -s -X POST %s -H 'Content-Type: application/json' -d %s",
		shellQuote(v.BaseURL+"/auth/login"), shellQuote(string(body)))
}

// SignInURL is the client's sign-in page in a browser, to hand over with
// the clientId and the secret.
func (v SecretView) SignInURL() string { return v.BaseURL + "/account/login" }

// APIAccess is a client's API access page; Token is set once, right after
// it was issued, the only time it is shown.
type APIAccess struct {
	Client *switchboard.Client
	Token  string
	// BaseURL is where this server is reached, for the curl lines.
	BaseURL string
	// TokenTTL is how long a new token lasts; zero: until it is revoked.
	TokenTTL time.Duration
}

// ClientCurl is the command that reads the client's record with the token.
func (v APIAccess) ClientCurl() string { return v.bearerCurl("/secure/client") }

// ValidateCurl is the command that checks the token is still good.
func (v APIAccess) ValidateCurl() string { return v.bearerCurl("/auth/validate") }

func (v APIAccess) bearerCurl(path string) string {
	return fmt.Sprintf("curl -s %s -H %s", shellQuote(v.BaseURL+path), shellQuote("Authorization: Bearer "+v.Token))
}

// shellQuote single-quotes s for a POSIX shell: inside single quotes nothing
// is special but the quote itself, which is closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Dashboard is the console's front page.
type Dashboard struct {
	Counts map[switchboard.Status]int
	Newest []*switchboard.Client
	Events []*switchboard.Event
	Calls  DashboardCalls
}

// Total is the number of clients of every status.
func (d Dashboard) Total() int {
	n := 0
	for _, c := range d.Counts {
		n += c
	}
	return n
}

// LoginForm is a sign-in form: an administrator's username, or a client's
// clientId.
type LoginForm struct {
	Username string
	// Next is the page to go back to after signing in.
	Next  string
	Error string
	// Hint says what Error may mean and what to do.
	Hint string
}

// Link is an address with the words that lead to it.
type Link struct {
	Href, Label string
}

// ClientRowID is the element id of a client's row in the clients table, the
// target of the row's htmx swaps.
func ClientRowID(id string) string { return "client-row-" + id }

// statusClass styles a status badge.
func statusClass(s switchboard.Status) string {
	switch s {
	case switchboard.StatusActive:
		return "badge badge-active"
	case switchboard.StatusSuspended:
		return "badge badge-suspended"
	default:
		return "badge badge-inactive"
	}
}
