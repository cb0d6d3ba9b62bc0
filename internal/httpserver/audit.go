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
	EventSignIn       = "sign-in"
	EventSignOut      = "sign-out"
	EventSecretChange = "secret change" // a client changed its own secret
	// EventPasswordChange: an admin changed its own password.
	EventPasswordChange = "password change"
	EventSecretReset    = "secret reset" // an administrator reset a client's secret
	EventStatusChange   = "status change"
	EventClientCreated  = "client created"
	EventClientDeleted  = "client deleted"
	EventTokenIssued    = "token issued"
	EventTokensRevoked  = "tokens revoked" // every token and session of a client ended
	EventAdminInvited   = "admin invited"
	EventAdminUpdated   = "admin changed" // role or disabled
	EventAdminDeleted   = "admin deleted"
	EventAdminJoined    = "invitation accepted" // a password set with an invitation's or a reset's link
	// An owner reset another admin's password, or its two-factor sign-in.
	EventAdminPasswordReset = "admin password reset"
	EventAdminMFAReset      = "admin two-factor reset"
	// EventSecuritySettings: an owner changed the team's security
	// settings (the two-factor requirement).
	EventSecuritySettings = "security settings changed"
)

// Audit logs a security event in the one shape every transport shares:
// msg=security, then event, outcome (ok, refused or throttled, from err),
// actor (who was signed in, "none" before sign-in), via (api, console or
// account), ip, request_id, and attrs, which name the subject ("client_id",
// "admin") and never hold a secret or token. An err that is not an
// authentication outcome (a bad new secret, a database failure) is left to
// the request log and the error handler. Throttled attempts are sampled:
// at most one line a minute per event and address, with "repeated"
// counting the lines left out since the last one.
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
	ip := ClientIP(c)
	line := []any{"event", event, "outcome", outcome}
	if outcome == "throttled" {
		// Throttled attempts come in storms (refused ones are bounded by
		// the throttle's allowance): one line a minute per event and
		// address, counting the ones left out (see sampler).
		ok, skipped := samplerOf(c).allow("security\x00" + event + "\x00" + ip)
		if !ok {
			return
		}
		if skipped > 0 {
			line = append(line, "repeated", skipped)
		}
	}
	actor := switchboard.ActorFromContext(c.UserContext())
	if actor == switchboard.SystemActor {
		actor = "none"
	}
	line = append(line, "actor", actor, "via", via(c.Path()), "ip", ip, "request_id", RequestID(c))
	log.Log(c.UserContext(), level, "security", append(line, attrs...)...)
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
