package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// msgBusy is what a sign-in form says when the service had no turn to check
// the secret in time (EUNAVAILABLE, a 503): nothing was checked or counted.
const msgBusy = "Too many sign-ins at once. Try again in a moment."

// busy sets Retry-After on an EUNAVAILABLE answer, as tooManyFailures does
// on a throttled one, and returns the form's message.
func busy(c *fiber.Ctx, err error) string {
	setRetryAfter(c, err, time.Second)
	return msgBusy
}
