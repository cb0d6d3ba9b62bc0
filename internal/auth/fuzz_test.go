package auth_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
)

// Tokens signed once by fuzzSigner with Signer.Sign, at fixed times, and kept
// here: the fuzzing engine runs the target in several processes, and a token
// signed at run time in one (with its random jti) would be a token "this test
// never signed" in another. If the key derivation or the claims change, the
// check at the start of FuzzSignerParse fails: sign new ones the same way.
const (
	fuzzSecret = "fuzz-server-secret-of-at-least-32-bytes"
	// Client "client_unique_id", version 7, issued 2025-03-20T12:00:00Z, no expiry.
	fuzzClientToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiY2xpZW50IiwidmVyIjo3LCJpYXQiOjE3NDI0NzIwMDAsImp0aSI6InJUY0pTTjR5NDVGM1JmYUZYSDRyNVMifQ.i6ez4K67jUzgacPTN7Q3EeXrtSp3jn_MsXOqf28sV8E"
	// The same client, expiring in 2125.
	fuzzClientTTLToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiY2xpZW50IiwidmVyIjo3LCJleHAiOjQ4OTYwNzIwMDAsImlhdCI6MTc0MjQ3MjAwMCwianRpIjoid08xbGR0UmZGM3VrT1UwMk5jRkxwRyJ9.djdjcYtCDNK3cWHotI0tXdwbpbe3-LKgQjbB-ZCBl3Q"
	// Admin "admin", version 3, expiring in 2125.
	fuzzAdminToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhZG1pbklkIjoiYWRtaW4iLCJ0eXBlIjoiYWRtaW4iLCJ2ZXIiOjMsImV4cCI6NDg5NjA3MjAwMCwiaWF0IjoxNzQyNDcyMDAwLCJqdGkiOiJqdmNmWVJMZTBXNTlZMG1xUmNjT0hXIn0.76F6SA9Evd-HHnLVxWYbzu189qkCoGlIn1xDmCosCqo"
)

// Well-formed tokens that must be refused: another server's, one expired in
// 2025, one issued in 2200, and claims a kind does not allow.
var fuzzRefusedTokens = []string{
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiY2xpZW50IiwidmVyIjo3LCJpYXQiOjE3NDI0NzIwMDAsImp0aSI6ImdNTU91NUJ4SThnYlZ3enVuX2pkX0QifQ.2xdE99VQMgs0Hk2ZYQI90foERxVRfYwp7PRGXpuppzA",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiY2xpZW50IiwidmVyIjo3LCJleHAiOjE3NDI0NzU2MDAsImlhdCI6MTc0MjQ3MjAwMCwianRpIjoiM242RWxDUndvZ2NhWUZSTGJOa0tZQyJ9.4qjC4JnBQ9CrJnTmlTJuOqwe9Iy_k5WhAGBp2RSSQCc",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiY2xpZW50IiwidmVyIjo3LCJpYXQiOjcyNTgxMTg0MDAsImp0aSI6ImRmS1k5ODV3YWNXYjVNaXNqTlJua3EifQ.GDc113xXWAYiBXY7wGrOnf24TJvWqmsP4WLUw7ItTVc",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoiY2xpZW50IiwiaWF0IjoxNzQyNDcyMDAwLCJqdGkiOiJfLXZ3UzJkZW5TM3g4WlVSNW05UU1RIn0.mhi-hJucKRygqc0HIn2iP7i9-TtuUTER7XrY02Qxt1I",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhZG1pbklkIjoiYWRtaW4iLCJ0eXBlIjoicm9vdCIsImlhdCI6MTc0MjQ3MjAwMCwianRpIjoiSkxBR0tZd1RZeFRxZDlGc1Y0ckR0diJ9.1OSWl4sh30yL19z4Nx2kHGNzKDJdGp-4PZ3siTIbo0M",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImNsaWVudF91bmlxdWVfaWQiLCJ0eXBlIjoiYWRtaW4iLCJleHAiOjQ4OTYwNzIwMDAsImlhdCI6MTc0MjQ3MjAwMCwianRpIjoiUlhfaGVVT2ZwV1NOREMwb1NEcGUwQiJ9.cFKWeV9ua3zZ1fxUlGTSwM7HU6djPGxNwYTxm8j2cNk",
}

// FuzzSignerParse feeds arbitrary strings to Signer.Parse as client and as
// admin tokens. It must never panic, and it may accept a string only when it
// is one of the tokens above, of the kind asked for, with its claims; the
// other kind gets ErrWrongTokenType, anything else ErrInvalidToken.
func FuzzSignerParse(f *testing.F) {
	signer, err := auth.NewSigner([]byte(fuzzSecret))
	if err != nil {
		f.Fatal(err)
	}
	clientClaims := auth.Claims{ClientID: "client_unique_id", Type: auth.TypeClient, Version: 7}
	adminClaims := auth.Claims{AdminID: "admin", Type: auth.TypeAdmin, Version: 3}
	valid := map[string]map[string]auth.Claims{
		auth.TypeClient: {fuzzClientToken: clientClaims, fuzzClientTTLToken: clientClaims},
		auth.TypeAdmin:  {fuzzAdminToken: adminClaims},
	}
	// The fixtures still parse, and so does a token signed now.
	for kind, byToken := range valid {
		for tok := range byToken {
			if _, err := signer.Parse(tok, kind); err != nil {
				f.Fatalf("fixture %s token refused (%v): sign new fixtures with Signer.Sign", kind, err)
			}
		}
	}
	if tok, err := signer.Sign(clientClaims, time.Now(), time.Hour); err != nil {
		f.Fatal(err)
	} else if _, err := signer.Parse(tok, auth.TypeClient); err != nil {
		f.Fatalf("a fresh token is refused: %v", err)
	}

	for _, byToken := range valid {
		for tok := range byToken {
			f.Add(tok)
			// Ways of spoiling a good token, for the fuzzer to start from.
			head, rest, _ := strings.Cut(tok, ".")
			f.Add(tok + "x")
			f.Add(tok[:len(tok)-1])
			f.Add(strings.ToUpper(head) + "." + rest)
			f.Add(tok + "=")
			f.Add(strings.ReplaceAll(tok, ".", ".."))
			f.Add(" " + tok)
		}
	}
	for _, tok := range fuzzRefusedTokens {
		f.Add(tok)
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"clientId":"client_unique_id","type":"client","jti":"x"}`)) + "."
	f.Add(none)
	f.Add("")
	f.Add("...")

	f.Fuzz(func(t *testing.T, token string) {
		for _, kind := range []string{auth.TypeClient, auth.TypeAdmin} {
			otherKind := auth.TypeAdmin
			if kind == auth.TypeAdmin {
				otherKind = auth.TypeClient
			}
			claims, err := signer.Parse(token, kind)
			signed, isSigned := findSigned(valid[kind], token)
			switch {
			case err == nil && !isSigned:
				t.Fatalf("Parse(%q, %s) accepted a token this test never signed: %+v", token, kind, claims)
			case err == nil:
				if claims.ClientID != signed.ClientID || claims.AdminID != signed.AdminID ||
					claims.Type != signed.Type || claims.Version != signed.Version || claims.ID == "" {
					t.Fatalf("Parse(%q, %s) = %+v, want the signed claims %+v", token, kind, claims, signed)
				}
			case isSigned:
				t.Fatalf("Parse(%q, %s) refused a token it signed: %v", token, kind, err)
			case errors.Is(err, auth.ErrWrongTokenType):
				if _, ok := findSigned(valid[otherKind], token); !ok {
					t.Fatalf("Parse(%q, %s) = ErrWrongTokenType for a token that is no %s token this test signed", token, kind, otherKind)
				}
			case !errors.Is(err, auth.ErrInvalidToken):
				t.Fatalf("Parse(%q, %s) error = %v, want ErrInvalidToken or ErrWrongTokenType", token, kind, err)
			case claims != nil:
				t.Fatalf("Parse(%q, %s) returned claims with an error", token, kind)
			}
		}
	})
}

// findSigned returns the claims of the token the test signed that token is:
// only the exact string counts (the parser decodes base64 strictly).
func findSigned(byToken map[string]auth.Claims, token string) (auth.Claims, bool) {
	c, ok := byToken[token]
	return c, ok
}
