package web

import (
	"crypto/hkdf"
	"crypto/sha256"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// sessionCodec turns session values into cookie values and back with
// gorilla/sessions' securecookie codecs: signed (HMAC-SHA256) and encrypted
// (AES-256), so the token a session holds can be neither read nor forged,
// and timestamped, so a cookie older than the session's lifetime is refused.
type sessionCodec struct {
	codecs []securecookie.Codec
	ttl    time.Duration
}

// newSessionCodec derives a hash key and a block key from each of keys; a
// cookie made with any of them is accepted, a new one made with the first.
func newSessionCodec(keys [][]byte, ttl time.Duration) *sessionCodec {
	var pairs [][]byte
	for _, k := range keys {
		pairs = append(pairs, deriveKey(k, "switchboard session hash", 64), deriveKey(k, "switchboard session block", 32))
	}
	store := sessions.NewCookieStore(pairs...)
	store.MaxAge(int(ttl.Seconds()))
	return &sessionCodec{codecs: store.Codecs, ttl: ttl}
}

func deriveKey(secret []byte, purpose string, n int) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, purpose, n)
	if err != nil {
		panic(err) // only for n beyond HKDF's limit, which the callers never ask
	}
	return key
}

// cookieSpec names a session cookie and the paths it is sent to.
type cookieSpec struct {
	Name string
	Path string
}

// read decodes the session cookie into v; false when it is absent, forged,
// expired or made with a key no longer accepted.
func (s *sessionCodec) read(c *fiber.Ctx, spec cookieSpec, v any) bool {
	raw := c.Cookies(spec.Name)
	if raw == "" {
		return false
	}
	return securecookie.DecodeMulti(spec.Name, raw, v, s.codecs...) == nil
}

// write sets the session cookie to v: HttpOnly, SameSite=Lax, and Secure
// when the request came over TLS (directly or through a trusted proxy).
func (s *sessionCodec) write(c *fiber.Ctx, spec cookieSpec, v any) error {
	value, err := securecookie.EncodeMulti(spec.Name, v, s.codecs...)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: spec.Name, Value: value, Path: spec.Path, MaxAge: int(s.ttl.Seconds()),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https",
	})
	return nil
}
