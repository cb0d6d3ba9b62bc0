package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseFastAgrees: every token parseFast decides, it decides as the
// library does (same claims, same refusal), and the tokens Sign issues are
// decided by it. The others (other headers, escapes, unknown or repeated
// keys, fractions) go to the library.
func TestParseFastAgrees(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var tokens []string
	for _, c := range []struct {
		claims  Claims
		at      time.Time
		ttl     time.Duration
		decided bool
	}{
		{Claims{ClientID: "client_1", Type: TypeClient, Version: 7}, now, time.Hour, true},
		{Claims{ClientID: "client_1", Type: TypeClient}, now, 0, true},
		{Claims{AdminID: "admin", Type: TypeAdmin, Version: 3}, now, time.Hour, true},
		{Claims{ClientID: "client_1", Type: TypeClient}, now.Add(-2 * time.Hour), time.Hour, true}, // expired
		{Claims{ClientID: "client_1", Type: TypeClient}, now.Add(time.Hour), time.Hour, true},      // issued later
		{Claims{ClientID: "clïent", Type: TypeClient}, now, time.Hour, false},                      // not ASCII
		{Claims{ClientID: `a"b`, Type: TypeClient}, now, time.Hour, false},                         // an escape
	} {
		tok, err := s.Sign(c.claims, c.at, c.ttl)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, handled := s.parseFast(tok, c.claims.Type, time.Now()); handled != c.decided {
			t.Errorf("%+v: parseFast decided %v, want %v", c.claims, handled, c.decided)
		}
		tokens = append(tokens, tok)
	}
	// Hand-made payloads signed with the client key.
	sign := func(payload string) string {
		head := issuedHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		h := hmac.New(sha256.New, s.clientKey)
		h.Write([]byte(head))
		return head + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	for _, p := range []string{
		`{"clientId":"c","type":"client","jti":"j"}`,
		`{"clientId":"c","type":"client","jti":"j","exp":1}`,
		`{"clientId":"c","type":"client","jti":"j","iat":99999999999}`,
		`{"clientId":"c","type":"client","jti":"j","ver":1.5}`,
		`{"clientId":"c","type":"client","jti":"j","ver":01}`,
		`{"clientId":"c","type":"client","jti":"j","exp":1e12}`,
		`{"clientId":"c","type":"client","jti":"j",}`,
		`{"clientId":"c","clientId":"d","type":"client","jti":"j"}`,
		`{"ClientID":"c","type":"client","jti":"j"}`,
		`{"clientId":"c","type":"client","jti":"j","nbf":99999999999}`,
		`{"clientId":"c", "type":"client","jti":"j"}`,
		`{"clientId":"c","type":"client","jti":"j","exp":null}`,
		`{}`, `[]`, `{"clientId"}`, `{"clientId":"c"`,
	} {
		tokens = append(tokens, sign(p))
	}
	for _, tok := range append(tokens, tokens[0]+"x", tokens[0][:len(tokens[0])-1]+"A", "x."+tokens[0], "a.b.c") {
		for _, typ := range []string{TypeClient, TypeAdmin} {
			fast, ok, handled := s.parseFast(tok, typ, time.Now())
			if !handled {
				continue
			}
			slow, slowOK := s.parseLibrary(tok, typ)
			if ok != slowOK || ok && !reflect.DeepEqual(fast, slow) {
				t.Errorf("%s as %s: fast %+v %v, library %+v %v", tok, typ, fast, ok, slow, slowOK)
			}
		}
	}
}

// FuzzParseFast: for any claims payload, correctly signed, parseFast
// either leaves it to the library or decides it as the library does.
func FuzzParseFast(f *testing.F) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{
		`{"clientId":"c","type":"client","ver":7,"iat":1700000000,"exp":1700003600,"jti":"j"}`,
		`{"adminId":"a","type":"admin","jti":"j","exp":99999999999}`,
		`{"clientId":"c","type":"client","jti":"j","exp":1}`,
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		head := issuedHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		h := hmac.New(sha256.New, s.clientKey)
		h.Write([]byte(head))
		tok := head + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
		now := time.Now()
		fast, ok, handled := s.parseFast(tok, TypeClient, now)
		if !handled {
			return
		}
		slow, slowOK := s.parseLibrary(tok, TypeClient)
		if time.Since(now) > time.Second {
			return // a second passed between the two: an exp or iat may lie between
		}
		if ok != slowOK || ok && !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast %+v %v, library %+v %v", payload, fast, ok, slow, slowOK)
		}
	})
}
