package switchboard

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Transports map each to a status code; anything that is not an
// *Error is treated as EINTERNAL and never shown to a user.
const (
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ETHROTTLED    = "throttled"
	EUNAUTHORIZED = "unauthorized"
	// EUPSTREAM: a provider this service relies on (ElevenLabs) refused or
	// could not be reached; the message may be shown.
	EUPSTREAM = "upstream"
)

// Reasons an Error may carry.
const (
	// ReasonClientInactive: the client is not Active (or no longer exists),
	// so its token or session ended.
	ReasonClientInactive = "client_inactive"
)

// Error is an error a user may see. Message is safe to show as is.
type Error struct {
	Code    string
	Message string

	// Details adds a second, longer sentence (the API's "details" field).
	Details string
	// Field is the JSON name of the one field the error is about, when there
	// is one: for ECONFLICT, the field whose value is taken ("clientId",
	// "clientMeta.email"). Transports decide with it, never with the text.
	Field string
	// Reason tells apart errors of one code that a transport treats
	// differently (ReasonClientInactive), so none has to read the message.
	Reason string
	// Fields maps the JSON name of each invalid field to what is wrong with it.
	Fields map[string]string
	// Phrases holds, for the Fields whose problem is said after the field's
	// name, the words after it, so a form can put them after its own label
	// (see FieldPhrases).
	Phrases map[string]string
	// RequiredFields lists the fields a request must carry, for "missing" errors.
	RequiredFields []string
	// RetryAfter tells a throttled caller when to try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("switchboard: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error,
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err's *Error, or "Internal error." for
// any other error, so that internal details never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorReason returns the Reason of err's *Error, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
