package httpserver

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/switchboard"
)

// ErrorBody is every JSON error the site sends. Error is always set; the
// rest appear where the API reference (README, "JSON API") shows them.
type ErrorBody struct {
	Error          string            `json:"error"`
	Message        string            `json:"message,omitempty"`
	Details        string            `json:"details,omitempty"`
	Fields         map[string]string `json:"fields,omitempty"`
	RequiredFields []string          `json:"requiredFields,omitempty"`
	// RequestID is set on the answers that quote the request's id (make-call).
	RequestID string `json:"requestId,omitempty"`
	// MFARequired tells an admin's sign-in that the password was right and
	// a two-factor code is needed.
	MFARequired bool `json:"mfaRequired,omitzero"`
	// MFASetupRequired tells an admin that the team requires two-factor
	// sign-in and it must set it up before anything else.
	MFASetupRequired bool `json:"mfaSetupRequired,omitzero"`
}

// JSONError is an error with the status and body it is answered with.
// Err, when set, is the cause, logged for 500s and never sent.
type JSONError struct {
	Status     int
	Body       ErrorBody
	RetryAfter time.Duration // sent as Retry-After when set
	Err        error
}

func (e *JSONError) Error() string {
	if e.Err != nil {
		return e.Body.Error + ": " + e.Err.Error()
	}
	return e.Body.Error
}

func (e *JSONError) Unwrap() error { return e.Err }

// StatusOf maps a domain error code to its HTTP status code.
func StatusOf(code string) int {
	switch code {
	case switchboard.ECONFLICT:
		return fiber.StatusConflict
	case switchboard.EFORBIDDEN:
		return fiber.StatusForbidden
	case switchboard.EINVALID:
		return fiber.StatusBadRequest
	case switchboard.ENOTFOUND:
		return fiber.StatusNotFound
	case switchboard.ETHROTTLED:
		return fiber.StatusTooManyRequests
	case switchboard.EUNAUTHORIZED:
		return fiber.StatusUnauthorized
	case switchboard.EUPSTREAM:
		return fiber.StatusBadGateway
	case switchboard.EUNAVAILABLE:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// Failed turns err into the answer for an operation whose failures are
// titled title ("Failed to create client"). Field validation errors put the
// title in "error" and the problem in "details", as the document's "Invalid
// phone number format" example does; other domain errors speak for
// themselves; internal errors show only the title.
func Failed(title string, err error) *JSONError {
	var je *JSONError
	if errors.As(err, &je) {
		return je
	}
	var e *switchboard.Error
	if !errors.As(err, &e) || e.Code == switchboard.EINTERNAL {
		return &JSONError{Status: fiber.StatusInternalServerError, Body: ErrorBody{Error: title}, Err: err}
	}
	out := &JSONError{Status: StatusOf(e.Code), RetryAfter: e.RetryAfter, Body: ErrorBody{
		Error: e.Message, Details: e.Details, RequiredFields: e.RequiredFields,
	}}
	if e.Fields != nil {
		out.Body = ErrorBody{Error: title, Details: e.Message, Fields: e.Fields}
	}
	return out
}

// SetRetryAfter sends a throttled caller's wait, in whole seconds rounded up.
func SetRetryAfter(c *fiber.Ctx, wait time.Duration) {
	if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
}

// WriteJSONError writes err as JSON: its body and status, a Retry-After for
// throttled requests, and a log line for server errors only (with the cause,
// never the request's body or headers). It is the writer of every path no
// registered prefix covers, and a writer registered for "/" may hand it the
// errors it does not answer itself.
func (a *App) WriteJSONError(c *fiber.Ctx, err error) error {
	var je *JSONError
	var fe *fiber.Error
	switch {
	case errors.As(err, &je):
	case errors.As(err, &fe):
		// Fiber's own: unknown route, body too large, bad method...
		je = &JSONError{Status: fe.Code, Body: ErrorBody{Error: fe.Message}}
		switch fe.Code {
		case fiber.StatusNotFound:
			je.Body.Error = "Not found"
		case fiber.StatusRequestEntityTooLarge:
			je.Body.Error = "Request body too large"
		case fiber.StatusInternalServerError:
			je.Body.Error = "Internal server error"
			je.Err = err
		}
	default:
		je = Failed("Internal server error", err)
	}
	SetRetryAfter(c, je.RetryAfter)
	// A 503 is load shed (the hasher is busy) or a service that is off, not
	// a failure: a storm of them must not flood the log with errors.
	if je.Status >= fiber.StatusInternalServerError && je.Status != fiber.StatusServiceUnavailable {
		a.log.Error("request failed", "method", c.Method(), "path", LogPath(c),
			"status", je.Status, "request_id", RequestID(c), "err", je.Err)
	}
	return c.Status(je.Status).JSON(je.Body)
}
