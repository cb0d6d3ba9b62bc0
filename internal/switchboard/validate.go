package switchboard

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	// The domain's one import beyond the standard library: the Go team's
	// IDNA, which net/http itself vendors, for email domains.
	"golang.org/x/net/idna"
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

// EmailKey is the form of an email that uniqueness is checked on: two emails
// that differ only in letter case belong to the same person.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// fieldErrors collects per-field problems in the order they were found, so the
// first one can headline the error.
type fieldErrors struct {
	order  []string
	fields map[string]string
	// phrases holds, for the problems said after the field's name, the words
	// after it (see FieldPhrases).
	phrases map[string]string
}

// add records a problem that is a sentence of its own ("Invalid email
// format"), unless the field has one already.
func (fe *fieldErrors) add(field, msg string) {
	if fe.fields == nil {
		fe.fields = map[string]string{}
	}
	if _, ok := fe.fields[field]; !ok {
		fe.order = append(fe.order, field)
		fe.fields[field] = msg
	}
}

// addPhrase records a problem said after the field's name: the message is
// "clientMeta.city is too long (at most 100 characters)", the phrase the
// words after the name.
func (fe *fieldErrors) addPhrase(field, phrase string) {
	if _, ok := fe.fields[field]; ok {
		return
	}
	fe.add(field, field+" "+phrase)
	if fe.phrases == nil {
		fe.phrases = map[string]string{}
	}
	fe.phrases[field] = phrase
}

// err returns nil when nothing was added, else an EINVALID *Error whose
// message is the first problem found, with the phrases beside it.
func (fe *fieldErrors) err() error {
	if len(fe.order) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: fe.fields[fe.order[0]], Fields: fe.fields, Phrases: fe.phrases}
}

// FieldPhrases returns, for each field of err's problems that is said after
// the field's name ("clientMeta.city is too long (at most 100 characters)"),
// the words after the name ("is too long (at most 100 characters)"), so that
// a form can say them after its own label. Problems that are sentences of
// their own ("Invalid email format") have no phrase; nor has an error that
// no validation made.
func FieldPhrases(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Phrases
	}
	return nil
}

// InvalidField returns the EINVALID error of one field whose problem is
// said after its name: InvalidField("newSecret", "must differ from the
// current secret").
func InvalidField(field, phrase string) error {
	var fe fieldErrors
	fe.addPhrase(field, phrase)
	return fe.err()
}

// CheckText is the rule of every free-text field, for text that is not a
// client's (a call's first message, say): EINVALID naming field when value
// is not valid UTF-8, holds a control character (line breaks and tabs are
// allowed when multiline), an invisible formatting character, or more than
// max characters.
func CheckText(field, value string, multiline bool, max int) error {
	var fe fieldErrors
	fe.checkText(field, value, multiline, max)
	return fe.err()
}

// checkText refuses control characters (a NUL cannot even be stored by
// PostgreSQL), except line breaks and tabs in multiline text, and text longer
// than max characters (when max > 0).
func (fe *fieldErrors) checkText(field, value string, multiline bool, max int) {
	if !utf8.ValidString(value) { // the JSON decoder refuses it; other callers might not
		fe.addPhrase(field, "is not valid UTF-8")
		return
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			fe.addPhrase(field, "contains a control character")
			return
		}
		if invisible(r) {
			fe.addPhrase(field, fmt.Sprintf("contains an invisible formatting character (U+%04X)", r))
			return
		}
	}
	if max > 0 && utf8.RuneCountInString(value) > max {
		fe.addPhrase(field, fmt.Sprintf("is too long (at most %d characters)", max))
	}
}

// check adds the problem with value, by f's rule, if any.
func (fe *fieldErrors) check(f ClientField, value string) {
	switch f.Kind {
	case EmailField:
		if !validEmail(value) {
			fe.add(f.Name, MsgInvalidEmail)
		}
	case PhoneField:
		if !e164Pattern.MatchString(value) {
			fe.add(f.Name, MsgInvalidPhone)
		}
	case AgentIDField:
		if !agentIDPattern.MatchString(value) {
			fe.add(f.Name, MsgInvalidAgentID)
		}
	default:
		fe.checkText(f.Name, value, f.Kind == MultilineField, f.MaxLength)
	}
}

func (fe *fieldErrors) checkRequired(f ClientField, value string) {
	if f.Required && value == "" {
		fe.addPhrase(f.Name, "is required")
	}
}

// invisible reports whether r is a Unicode format character (category Cf:
// zero-width spaces and joiners, the soft hyphen, bidirectional controls
// such as U+202E): text holding one does not render as what it is, so
// "Admin\u202egnp.exe" shows as "Adminexe.png" and "vic\u200b@example.com"
// looks like another client's email.
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

// NormalizeEmail trims the email and writes an internationalised domain in
// its ASCII form (IDNA: "bücher.example" → "xn--bcher-kva.example"), so a
// look-alike letter in the domain shows as what it is. A domain that is not
// a valid IDNA name is left as typed, for validEmail to refuse.
func NormalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 || isASCII(email[at+1:]) {
		return email // an ASCII domain stays as typed, letter case too
	}
	domain, err := idna.Lookup.ToASCII(email[at+1:])
	if err != nil {
		return email
	}
	return email[:at+1] + domain
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// validEmail accepts a bare RFC 5322 address (no display name) of at most 254
// characters, all ASCII (the domain in its IDNA form, see NormalizeEmail),
// whose domain has a dot. net/mail accepts UTF-8 in the local part (RFC
// 6532), where a Cyrillic "і" passes for a Latin "i"; it is refused here.
func validEmail(s string) bool {
	if len(s) > 254 || strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsControl(r) }) >= 0 {
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
	c.ID = strings.TrimSpace(c.ID)
	for _, f := range ClientFields {
		p := f.Of(c)
		*p = strings.TrimSpace(*p)
		if f.Kind == EmailField {
			*p = NormalizeEmail(*p)
		}
	}
	if c.Status == "" {
		c.Status = StatusActive
	}
}

// Validate checks a new client in the order the API reports problems: missing
// contact fields, then the agent, then the Twilio number, then every format.
// Call Normalize first.
func (c *Client) Validate() error {
	for _, f := range ContactFields {
		if f.Required && *f.Of(c) == "" {
			return &Error{Code: EINVALID, Message: "Missing required client information", RequiredFields: MetaRequiredFields}
		}
	}
	for _, f := range CallingFields {
		if f.Required && *f.Of(c) == "" {
			return &Error{Code: EINVALID, Message: f.Missing}
		}
	}

	var fe fieldErrors
	fe.checkClientID(c.ID)
	c.checkFormats(&fe)
	return fe.err()
}

// checkFormats adds the format problems of every field but the ID to fe.
func (c *Client) checkFormats(fe *fieldErrors) {
	for _, f := range ClientFields {
		fe.check(f, *f.Of(c))
	}
	if !c.Status.Valid() {
		fe.add("status", MsgInvalidStatus)
	}
	c.Calling.check(fe)
}

// FieldErrors returns every problem with c as one EINVALID error (nil when
// there is none), for a form that shows each one next to its input. It
// applies the rules of Validate (which reports them one at a time, in the
// API's order), except that an empty ID is allowed: one is generated. Call
// Normalize first.
func (c *Client) FieldErrors() error {
	var fe fieldErrors
	for _, f := range ClientFields {
		fe.checkRequired(f, *f.Of(c))
	}
	if c.ID != "" {
		fe.checkClientID(c.ID)
	}
	c.checkFormats(&fe)
	return fe.err()
}

// Normalize trims every text field that upd sets. It points upd at trimmed
// copies rather than writing through the pointers, so the caller's strings
// (which other updates may share) stay as they were.
func (upd *ClientUpdate) Normalize() {
	for _, f := range ClientFields {
		if p := f.OfUpdate(upd); *p != nil {
			trimmed := strings.TrimSpace(**p)
			if f.Kind == EmailField {
				trimmed = NormalizeEmail(trimmed)
			}
			*p = &trimmed
		}
	}
}

// Validate checks every field upd sets with the rules of Client.Validate; a
// required field may not be set to empty. Call Normalize first.
func (upd *ClientUpdate) Validate() error {
	var fe fieldErrors
	for _, f := range ClientFields {
		if v := *f.OfUpdate(upd); v != nil {
			fe.checkRequired(f, *v)
			fe.check(f, *v)
		}
	}
	if upd.Status != nil && !upd.Status.Valid() {
		fe.add("status", MsgInvalidStatus)
	}
	if upd.Calling != nil {
		upd.Calling.check(&fe)
	}
	return fe.err()
}

// ValidateSecret checks a secret chosen by a person rather than generated.
func ValidateSecret(field, secret string) error {
	var fe fieldErrors
	switch n := len(secret); {
	case utf8.RuneCountInString(secret) < MinSecretLength:
		fe.addPhrase(field, fmt.Sprintf("must be at least %d characters", MinSecretLength))
	case n > MaxSecretLength:
		fe.addPhrase(field, fmt.Sprintf("must be at most %d bytes", MaxSecretLength))
	default:
		fe.checkText(field, secret, false, 0)
	}
	return fe.err()
}

// SearchProblem says what is wrong with a listing's search text, as words
// to put after "search" ("is too long (at most 200 characters)"), or "" when
// nothing is. A NUL matched every client on SQLite and failed the query on
// PostgreSQL; other control and format characters can match nothing anyone
// typed on purpose.
func SearchProblem(search string) string {
	switch {
	case !utf8.ValidString(search):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(search) > MaxSearchLength:
		return fmt.Sprintf("is too long (at most %d characters)", MaxSearchLength)
	case strings.IndexFunc(search, func(r rune) bool { return unicode.IsControl(r) || invisible(r) }) >= 0:
		return "cannot contain control or invisible formatting characters"
	}
	return ""
}
