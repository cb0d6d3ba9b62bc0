package httpserver

import (
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/switchboard"
)

// Security events (ASVS V7.2): what happened, as the event attribute of
// Audit's line. The same event has the same name whichever door it came
// through (the JSON API, the console or the account pages).
const (
	EventSignIn        = "sign-in"
	EventSignOut       = "sign-out"
	EventSecretChange  = "secret change" // a client changed its own secret
	EventSecretReset   = "secret reset"  // an administrator reset a client's secret
	EventStatusChange  = "status change"
	EventClientCreated = "client created"
	EventClientDeleted = "client deleted"
	EventTokenIssued   = "token issued"
	EventTokensRevoked = "tokens revoked" // every token and session of a client ended
)

// Audit logs a security event in the one shape every transport shares:
// msg=security, then event, outcome (ok, refused or throttled, from err),
// actor (who was signed in, "none" before sign-in), via (api, console or
// account), ip, request_id, and attrs, which name the subject ("client_id",
// "admin") and never hold a secret or token. An err that is not an
// authentication outcome (a bad new secret, a database failure) is left to
// the request log and the error handler.
func Audit(log *slog.Logger, c *fiber.Ctx, event string, err error, attrs ...any) {
	level, outcome := slog.LevelInfo, "ok"
	switch switchboard.ErrorCode(err) {
	case "":
	case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
		level, outcome = slog.LevelWarn, "refused"
	case switchboard.ETHROTTLED:
		level, outcome = slog.LevelWarn, "throttled"
	default:
		return
	}
	actor := switchboard.ActorFromContext(c.UserContext())
	if actor == switchboard.SystemActor {
		actor = "none"
	}
	line := append([]any{"event", event, "outcome", outcome, "actor", actor, "via", via(c.Path()),
		"ip", ClientIP(c), "request_id", RequestID(c)}, attrs...)
	log.Log(c.UserContext(), level, "security", line...)
}

// via names the door a request came through.
func via(path string) string {
	for _, area := range []string{"console", "account"} {
		if p := "/" + area; path == p || strings.HasPrefix(path, p+"/") {
			return area
		}
	}
	return "api"
}
