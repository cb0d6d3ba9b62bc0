package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuedHeader is the header of every token Sign issues, {"alg":"HS256","typ":"JWT"}.
const issuedHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

var strictB64 = base64.RawURLEncoding.Strict()

// parseFast checks a token in the exact form Sign writes it without the
// library's reflection: the fixed header, an HS256 signature, and claims
// that are a flat JSON object of the keys Sign writes, with plain ASCII
// strings and integers, no whitespace. It returns handled false for any
// other token, which parse then gives to the library, so a token is
// accepted or refused as the library would (TestParseFastAgrees, the fuzz
// target). The checks after decoding are the library's: exp after now, iat
// and nbf not after now.
func (s *Signer) parseFast(token, typ string, now time.Time) (c *Claims, ok, handled bool) {
	head, rest, found := strings.Cut(token, ".")
	if !found || head != issuedHeader {
		return nil, false, false
	}
	payload, sig, found := strings.Cut(rest, ".")
	if !found || strings.Contains(sig, ".") {
		return nil, false, false
	}
	var mac [sha256.Size]byte
	if strictB64.DecodedLen(len(sig)) != len(mac) {
		return nil, false, false
	}
	if n, err := strictB64.Decode(mac[:], []byte(sig)); err != nil || n != len(mac) {
		return nil, false, false
	}
	h := hmac.New(sha256.New, s.key(typ))
	h.Write([]byte(token[:len(head)+1+len(payload)]))
	if !hmac.Equal(h.Sum(nil), mac[:]) {
		return nil, false, true // the library refuses a bad signature too
	}
	raw := make([]byte, strictB64.DecodedLen(len(payload)))
	n, err := strictB64.Decode(raw, []byte(payload))
	if err != nil {
		return nil, false, false
	}
	c, handled = decodeClaims(raw[:n])
	if !handled {
		return nil, false, false
	}
	if c.ExpiresAt != nil && !now.Before(c.ExpiresAt.Time) || c.IssuedAt != nil && now.Before(c.IssuedAt.Time) {
		return nil, false, true
	}
	return c, true, true
}

// claimKeys are the keys decodeClaims reads (at most 8: a bit each).
var claimKeys = []string{"clientId", "adminId", "type", "jti", "ver", "iat", "exp"}

// decodeClaims reads {"key":value,...} with the keys Sign writes, each at
// most once; false for anything else (the library then decides).
func decodeClaims(b []byte) (*Claims, bool) {
	c := &Claims{}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	b = b[1 : len(b)-1]
	var seen uint8 // a bit per key of claimKeys
	for len(b) > 0 {
		key, r, ok := jsonString(b)
		i := slices.Index(claimKeys, key)
		if !ok || i < 0 || len(r) == 0 || r[0] != ':' || seen&(1<<i) != 0 {
			return nil, false
		}
		seen |= 1 << i
		r = r[1:]
		switch key {
		case "clientId":
			c.ClientID, r, ok = jsonString(r)
		case "adminId":
			c.AdminID, r, ok = jsonString(r)
		case "type":
			c.Type, r, ok = jsonString(r)
		case "jti":
			c.ID, r, ok = jsonString(r)
		case "ver":
			c.Version, r, ok = jsonInt(r)
		case "iat":
			c.IssuedAt, r, ok = jsonDate(r)
		case "exp":
			c.ExpiresAt, r, ok = jsonDate(r)
		}
		if !ok {
			return nil, false
		}
		if len(r) > 0 {
			if r[0] != ',' || len(r) == 1 {
				return nil, false
			}
			r = r[1:]
		}
		b = r
	}
	return c, true
}

// jsonString reads a string of printable ASCII without escapes.
func jsonString(b []byte) (string, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", nil, false
	}
	for i := 1; i < len(b); i++ {
		switch ch := b[i]; {
		case ch == '"':
			return string(b[1:i]), b[i+1:], true
		case ch < 0x20 || ch > 0x7e || ch == '\\':
			return "", nil, false
		}
	}
	return "", nil, false
}

// jsonInt reads a non-negative integer of at most 15 digits, no leading
// zero: exact as the float64 the library decodes NumericDate through.
func jsonInt(b []byte) (int64, []byte, bool) {
	i := 0
	var v int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 || i > 15 || i > 1 && b[0] == '0' || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, nil, false
	}
	return v, b[i:], true
}

// jsonDate reads a NumericDate of whole seconds.
func jsonDate(b []byte) (*jwt.NumericDate, []byte, bool) {
	v, r, ok := jsonInt(b)
	return jwt.NewNumericDate(time.Unix(v, 0)), r, ok
}
