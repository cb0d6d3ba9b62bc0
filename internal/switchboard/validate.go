package switchboard

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,64}$`)
	agentIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
	// e164Pattern is the document's E.164 rule: a plus, no leading zero, at most 15 digits.
	e164Pattern = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
)

// Secret length bounds. The upper bound is bcrypt's: it ignores bytes past 72.
const (
	MinSecretLength = 16
	MaxSecretLength = 72
)

// Messages of the validation errors, shared by every transport.
const (
	MsgInvalidPhone     = "Invalid phone number format"
	MsgInvalidEmail     = "Invalid email format"
	MsgInvalidStatus    = "Invalid status: use Active, Inactive or Suspended"
	MsgInvalidClientID  = "Invalid client ID: use 3 to 64 letters, digits, '_', '.' or '-'"
	MsgReservedClientID = "Invalid client ID: \"new\" is reserved (the console's address for creating a client)"
	MsgInvalidAgentID   = "Invalid agent ID: use up to 128 letters, digits, '_', '.', ':' or '-'"
)

// The lengths, in characters, that the free-text fields may not exceed.
var maxLengths = map[string]int{
	"clientMeta.fullName":     200,
	"clientMeta.businessName": 200,
	"clientMeta.city":         100,
	"clientMeta.jobTitle":     100,
	"clientMeta.notes":        2000,
}

// MetaRequiredFields are the contact fields a new client must have, in the
// order the API reports them.
var MetaRequiredFields = []string{"clientMeta.fullName", "clientMeta.email", "clientMeta.phone"}

// EmailKey is the form of an email that uniqueness is checked on: two emails
// that differ only in letter case belong to the same person.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// fieldErrors collects per-field problems in the order they were found, so the
// first one can headline the error.
type fieldErrors struct {
	order  []string
	fields map[string]string
}

func (fe *fieldErrors) add(field, msg string) {
	if fe.fields == nil {
		fe.fields = map[string]string{}
	}
	if _, ok := fe.fields[field]; !ok {
		fe.order = append(fe.order, field)
		fe.fields[field] = msg
	}
}

// err returns nil when nothing was added, else an EINVALID *Error whose
// message is the first problem found.
func (fe *fieldErrors) err() error {
	if len(fe.order) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: fe.fields[fe.order[0]], Fields: fe.fields}
}

// checkText refuses control characters (a NUL cannot even be stored by
// PostgreSQL) and text longer than the field's cap. Notes may span lines.
func (fe *fieldErrors) checkText(field, value string) {
	if !utf8.ValidString(value) { // the JSON decoder refuses it; other callers might not
		fe.add(field, field+" is not valid UTF-8")
		return
	}
	multiline := field == "clientMeta.notes"
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			fe.add(field, fmt.Sprintf("%s contains a control character", field))
			return
		}
	}
	if max, ok := maxLengths[field]; ok && utf8.RuneCountInString(value) > max {
		fe.add(field, fmt.Sprintf("%s is too long (at most %d characters)", field, max))
	}
}

func (fe *fieldErrors) checkEmail(field, value string) {
	if !validEmail(value) {
		fe.add(field, MsgInvalidEmail)
	}
}

func (fe *fieldErrors) checkPhone(field, value string) {
	if !e164Pattern.MatchString(value) {
		fe.add(field, MsgInvalidPhone)
	}
}

func (fe *fieldErrors) checkRequired(field, value string) {
	if value == "" {
		fe.add(field, field+" is required")
	}
}

// validEmail accepts a bare RFC 5322 address (no display name) of at most 254
// characters whose domain has a dot. net/mail accepts UTF-8 in the local part
// (RFC 6532), C1 controls such as U+0085 included, so those are refused here.
func validEmail(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// ValidClientID reports whether id has the form of a clientId.
func ValidClientID(id string) bool { return clientIDPattern.MatchString(id) }

// checkClientID adds the problem with a new client's id, if any. "new" (in
// any letter case: routes ignore it) is refused because the console's
// /console/clients/new would hide that client's page.
func (fe *fieldErrors) checkClientID(id string) {
	if !ValidClientID(id) {
		fe.add("clientId", MsgInvalidClientID)
	} else if strings.EqualFold(id, "new") {
		fe.add("clientId", MsgReservedClientID)
	}
}

// Normalize trims every text field and fills the default status.
func (c *Client) Normalize() {
	trim := strings.TrimSpace
	c.ID, c.AgentID, c.TwilioPhoneNumber = trim(c.ID), trim(c.AgentID), trim(c.TwilioPhoneNumber)
	m := &c.Meta
	m.FullName, m.Email, m.Phone = trim(m.FullName), trim(m.Email), trim(m.Phone)
	m.BusinessName, m.City, m.JobTitle, m.Notes = trim(m.BusinessName), trim(m.City), trim(m.JobTitle), trim(m.Notes)
	if c.Status == "" {
		c.Status = StatusActive
	}
}

// Validate checks a new client in the order the API reports problems: missing
// contact fields, then the agent, then the Twilio number, then every format.
// Call Normalize first.
func (c *Client) Validate() error {
	if c.Meta.FullName == "" || c.Meta.Email == "" || c.Meta.Phone == "" {
		return &Error{Code: EINVALID, Message: "Missing required client information", RequiredFields: MetaRequiredFields}
	}
	if c.AgentID == "" {
		return Errorf(EINVALID, "Missing required eleven labs outbound agent ID")
	}
	if c.TwilioPhoneNumber == "" {
		return Errorf(EINVALID, "Missing required Twilio phone number")
	}

	var fe fieldErrors
	fe.checkClientID(c.ID)
	c.checkFormats(&fe)
	return fe.err()
}

// checkFormats adds the format problems of every field but the ID to fe.
func (c *Client) checkFormats(fe *fieldErrors) {
	fe.checkText("clientMeta.fullName", c.Meta.FullName)
	fe.checkEmail("clientMeta.email", c.Meta.Email)
	fe.checkPhone("clientMeta.phone", c.Meta.Phone)
	fe.checkText("clientMeta.businessName", c.Meta.BusinessName)
	fe.checkText("clientMeta.city", c.Meta.City)
	fe.checkText("clientMeta.jobTitle", c.Meta.JobTitle)
	fe.checkText("clientMeta.notes", c.Meta.Notes)
	if !agentIDPattern.MatchString(c.AgentID) {
		fe.add("agentId", MsgInvalidAgentID)
	}
	fe.checkPhone("twilioPhoneNumber", c.TwilioPhoneNumber)
	if !c.Status.Valid() {
		fe.add("status", MsgInvalidStatus)
	}
}

// FieldErrors returns every problem with c, keyed by JSON field name, for a
// form that shows each one next to its input. It applies the rules of
// Validate (which reports them one at a time, in the API's order), except
// that an empty ID is allowed: one is generated. Call Normalize first.
func (c *Client) FieldErrors() map[string]string {
	var fe fieldErrors
	for _, f := range []struct{ name, value string }{
		{"clientMeta.fullName", c.Meta.FullName}, {"clientMeta.email", c.Meta.Email},
		{"clientMeta.phone", c.Meta.Phone}, {"agentId", c.AgentID}, {"twilioPhoneNumber", c.TwilioPhoneNumber},
	} {
		fe.checkRequired(f.name, f.value)
	}
	if c.ID != "" {
		fe.checkClientID(c.ID)
	}
	c.checkFormats(&fe)
	return fe.fields
}

// Normalize trims every text field that upd sets. It points upd at trimmed
// copies rather than writing through the pointers, so the caller's strings
// (which other updates may share) stay as they were.
func (upd *ClientUpdate) Normalize() {
	for _, p := range []**string{
		&upd.AgentID, &upd.TwilioPhoneNumber, &upd.Meta.FullName, &upd.Meta.Email, &upd.Meta.Phone,
		&upd.Meta.BusinessName, &upd.Meta.City, &upd.Meta.JobTitle, &upd.Meta.Notes,
	} {
		if *p != nil {
			trimmed := strings.TrimSpace(**p)
			*p = &trimmed
		}
	}
}

// Validate checks every field upd sets with the rules of Client.Validate; a
// required field may not be set to empty. Call Normalize first.
func (upd *ClientUpdate) Validate() error {
	var fe fieldErrors
	m := upd.Meta
	if m.FullName != nil {
		fe.checkRequired("clientMeta.fullName", *m.FullName)
		fe.checkText("clientMeta.fullName", *m.FullName)
	}
	if m.Email != nil {
		fe.checkRequired("clientMeta.email", *m.Email)
		fe.checkEmail("clientMeta.email", *m.Email)
	}
	if m.Phone != nil {
		fe.checkRequired("clientMeta.phone", *m.Phone)
		fe.checkPhone("clientMeta.phone", *m.Phone)
	}
	for _, f := range []struct {
		name  string
		value *string
	}{
		{"clientMeta.businessName", m.BusinessName}, {"clientMeta.city", m.City},
		{"clientMeta.jobTitle", m.JobTitle}, {"clientMeta.notes", m.Notes},
	} {
		if f.value != nil {
			fe.checkText(f.name, *f.value)
		}
	}
	if upd.AgentID != nil {
		fe.checkRequired("agentId", *upd.AgentID)
		if *upd.AgentID != "" && !agentIDPattern.MatchString(*upd.AgentID) {
			fe.add("agentId", MsgInvalidAgentID)
		}
	}
	if upd.TwilioPhoneNumber != nil {
		fe.checkRequired("twilioPhoneNumber", *upd.TwilioPhoneNumber)
		fe.checkPhone("twilioPhoneNumber", *upd.TwilioPhoneNumber)
	}
	if upd.Status != nil && !upd.Status.Valid() {
		fe.add("status", MsgInvalidStatus)
	}
	return fe.err()
}

// ValidateSecret checks a secret chosen by a person rather than generated.
func ValidateSecret(field, secret string) error {
	var fe fieldErrors
	switch n := len(secret); {
	case utf8.RuneCountInString(secret) < MinSecretLength:
		fe.add(field, fmt.Sprintf("%s must be at least %d characters", field, MinSecretLength))
	case n > MaxSecretLength:
		fe.add(field, fmt.Sprintf("%s must be at most %d bytes", field, MaxSecretLength))
	default:
		fe.checkText(field, secret)
	}
	return fe.err()
}
