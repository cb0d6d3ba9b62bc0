package api

import (
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/httpserver"
)

// fieldError is a refusal that names one field: the operation's title, the
// problem as details, and the field in fields (the shape validation errors
// take, see httpserver.Failed).
func fieldError(status int, title, field, msg string) error {
	return &httpserver.JSONError{Status: status, Body: httpserver.ErrorBody{Error: title, Details: msg, Fields: map[string]string{field: msg}}}
}

// badRequest is a 400 with a message and details.
func badRequest(msg, details string) error {
	return &httpserver.JSONError{Status: fiber.StatusBadRequest, Body: httpserver.ErrorBody{Error: msg, Details: details}}
}

// missingFields is a 400 naming the fields a request must have: msg and
// requiredFields, the document's shape.
func missingFields(msg string, fields ...string) error {
	return &httpserver.JSONError{Status: fiber.StatusBadRequest, Body: httpserver.ErrorBody{Error: msg, RequiredFields: fields}}
}

// errorOnly is an error whose body is {"error": msg} alone.
func errorOnly(status int, msg string) error {
	return &httpserver.JSONError{Status: status, Body: httpserver.ErrorBody{Error: msg}}
}
