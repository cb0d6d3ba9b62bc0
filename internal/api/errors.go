package api

import (
	"errors"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/switchboard"
)

// errorBody is every JSON error the API sends. Error is always set; the rest
// appear where the user's document (or the original API) shows them.
type errorBody struct {
	Error          string            `json:"error"`
	Message        string            `json:"message,omitempty"`
	Details        string            `json:"details,omitempty"`
	Fields         map[string]string `json:"fields,omitempty"`
	RequiredFields []string          `json:"requiredFields,omitempty"`
}

// httpError is an error with the status and body the API answers it with.
// Err, when set, is the cause, logged for 500s and never sent.
type httpError struct {
	Status     int
	Body       errorBody
	RetryAfter time.Duration // sent as Retry-After when set
	Err        error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return e.Body.Error + ": " + e.Err.Error()
	}
	return e.Body.Error
}

func (e *httpError) Unwrap() error { return e.Err }

// statusOf maps domain error codes to HTTP status codes.
var statusOf = map[string]int{
	switchboard.ECONFLICT:     fiber.StatusConflict,
	switchboard.EFORBIDDEN:    fiber.StatusForbidden,
	switchboard.EINTERNAL:     fiber.StatusInternalServerError,
	switchboard.EINVALID:      fiber.StatusBadRequest,
	switchboard.ENOTFOUND:     fiber.StatusNotFound,
	switchboard.ETHROTTLED:    fiber.StatusTooManyRequests,
	switchboard.EUNAUTHORIZED: fiber.StatusUnauthorized,
	switchboard.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
}

// failed turns err into the API's answer for an operation whose failures the
// original API titled title ("Failed to create client"). Field validation
// errors put the title in "error" and the problem in "details", as the
// document's "Invalid phone number format" example does; other domain errors
// speak for themselves; internal errors show only the title.
func failed(title string, err error) error {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var e *switchboard.Error
	if !errors.As(err, &e) || e.Code == switchboard.EINTERNAL {
		return &httpError{Status: fiber.StatusInternalServerError, Body: errorBody{Error: title}, Err: err}
	}
	out := &httpError{Status: statusOf[e.Code], RetryAfter: e.RetryAfter, Body: errorBody{
		Error: e.Message, Details: e.Details, RequiredFields: e.RequiredFields,
	}}
	if e.Fields != nil {
		out.Body = errorBody{Error: title, Details: e.Message, Fields: e.Fields}
	}
	return out
}

// fieldError is a refusal that names one field: the operation's title, the
// problem as details, and the field in fields (the shape validation errors
// take, see failed).
func fieldError(status int, title, field, msg string) error {
	return &httpError{Status: status, Body: errorBody{Error: title, Details: msg, Fields: map[string]string{field: msg}}}
}

// badRequest is a 400 with a message and details.
func badRequest(msg, details string) error {
	return &httpError{Status: fiber.StatusBadRequest, Body: errorBody{Error: msg, Details: details}}
}

// ErrorHandler writes every error a handler returns: its JSON body and status,
// a Retry-After for throttled requests, and a log line for internal errors
// only (with the cause, never the request's body or headers).
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var he *httpError
		var fe *fiber.Error
		switch {
		case errors.As(err, &he):
		case errors.As(err, &fe):
			// Fiber's own: unknown route, body too large, bad method...
			he = &httpError{Status: fe.Code, Body: errorBody{Error: fe.Message}}
			switch fe.Code {
			case fiber.StatusNotFound:
				he.Body.Error = "Not found"
			case fiber.StatusRequestEntityTooLarge:
				he.Body.Error = "Request body too large"
			case fiber.StatusInternalServerError:
				he.Body.Error = "Internal server error"
				he.Err = err
			}
		default:
			he = failed("Internal server error", err).(*httpError)
		}
		if he.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(he.RetryAfter.Seconds()))))
		}
		if he.Status >= fiber.StatusInternalServerError && he.Status != fiber.StatusServiceUnavailable { // a 503 is load shed, not a fault
			log.Error("request failed", "method", c.Method(), "path", c.Path(),
				"status", he.Status, "request_id", requestID(c), "err", he.Err)
		}
		return c.Status(he.Status).JSON(he.Body)
	}
}
