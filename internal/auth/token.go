package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types, carried in the "type" claim as the original API did.
const (
	TypeClient = "client"
	TypeAdmin  = "admin"
)

// Claims are the claims of both kinds of token. ClientID is set on client
// tokens, AdminID on admin tokens; Version is the client's TokenVersion when
// the token was issued.
type Claims struct {
	ClientID string `json:"clientId,omitempty"`
	AdminID  string `json:"adminId,omitempty"`
	Type     string `json:"type"`
	Version  int64  `json:"ver,omitempty"`
	jwt.RegisteredClaims
}

// Signer issues and parses HS256 tokens. Client and admin tokens are signed
// with different keys derived from the server secret, so one kind can never
// pass for the other even if a type check were missed.
type Signer struct {
	clientKey, adminKey []byte
}

// NewSigner derives the signing keys from secret, which must have at least 32 bytes.
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("server secret must have at least 32 bytes")
	}
	derive := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, "switchboard "+purpose+" tokens v1", 32)
	}
	clientKey, err := derive(TypeClient)
	if err != nil {
		return nil, err
	}
	adminKey, err := derive(TypeAdmin)
	if err != nil {
		return nil, err
	}
	return &Signer{clientKey: clientKey, adminKey: adminKey}, nil
}

func (s *Signer) key(typ string) []byte {
	if typ == TypeAdmin {
		return s.adminKey
	}
	return s.clientKey
}

// Sign returns the signed token for c, with a fresh random jti. A zero ttl
// means no expiry.
func (s *Signer) Sign(c Claims, issuedAt time.Time, ttl time.Duration) (string, error) {
	c.IssuedAt = jwt.NewNumericDate(issuedAt)
	c.ID = GenerateSecret()[:22] // 128 random bits
	if ttl > 0 {
		c.ExpiresAt = jwt.NewNumericDate(issuedAt.Add(ttl))
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key(c.Type))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return token, nil
}

// Errors of Parse.
var (
	ErrInvalidToken = errors.New("invalid token")
	// ErrWrongTokenType is a valid token of the other kind.
	ErrWrongTokenType = errors.New("wrong kind of token")
)

// parser pins HS256: a token that names another algorithm ("none", RS256
// with the HMAC key as a public key, ...) is refused before any key is used.
// Strict decoding refuses base64 with stray padding bits, so each token has
// exactly one spelling (lenient decoding accepted four spellings of every
// signature, found by FuzzSignerParse).
var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuedAt(), jwt.WithStrictDecoding())

// Parse checks the signature, expiry and type of a token of kind typ and
// returns its claims. ErrWrongTokenType if it is a valid token of the other kind.
func (s *Signer) Parse(token, typ string) (*Claims, error) {
	claims, err := s.parse(token, typ)
	if err == nil {
		return claims, nil
	}
	other := TypeAdmin
	if typ == TypeAdmin {
		other = TypeClient
	}
	if _, otherErr := s.parse(token, other); otherErr == nil {
		return nil, ErrWrongTokenType
	}
	return nil, err
}

func (s *Signer) parse(token, typ string) (*Claims, error) {
	c, ok, handled := s.parseFast(token, typ, time.Now())
	if !handled {
		c, ok = s.parseLibrary(token, typ)
	}
	if !ok || c.Type != typ || c.ID == "" {
		return nil, ErrInvalidToken
	}
	if typ == TypeClient && c.ClientID == "" || typ == TypeAdmin && c.AdminID == "" {
		return nil, ErrInvalidToken
	}
	return c, nil
}

// parseLibrary is the library's parse, for the tokens parseFast leaves.
func (s *Signer) parseLibrary(token, typ string) (*Claims, bool) {
	var c Claims
	_, err := parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key(typ), nil })
	return &c, err == nil
}
