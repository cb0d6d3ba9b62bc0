package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestEndToEnd_OAuth2: the real golang.org/x/oauth2 client-credentials
// library, with either way to present the secret, gets a token from the
// binary and calls the secure API with it; after an administrator resets
// the secret the token is refused and the old secret gets no new one.
func TestEndToEnd_OAuth2(t *testing.T) {
	binary(t)
	ctx := testContext(t)
	const public = "https://switchboard.example.com"
	srv := startServer(ctx, t, map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": filepath.Join(t.TempDir(), "sb.db"), "SECRET_HASH_COST": "4",
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass, "TOKEN_TTL": "1h", "PUBLIC_BASE_URL": public,
	})
	adminToken, _ := signInBoth(t, srv)

	meta := srv.do("GET", "/.well-known/oauth-authorization-server", "", nil).expect(t, "metadata", 200)
	meta.fields(t, "metadata", map[string]any{
		"issuer": public, "token_endpoint": public + "/oauth/token",
		"grant_types_supported":                 []any{"client_credentials"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post"},
	})

	secureClient := func(c *http.Client) (int, map[string]any, error) {
		resp, err := c.Get(srv.base + "/secure/client")
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		return resp.StatusCode, body, nil
	}
	for name, style := range map[string]oauth2.AuthStyle{"Basic": oauth2.AuthStyleInHeader, "Form": oauth2.AuthStyleInParams} {
		t.Run(name, func(t *testing.T) {
			cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret,
				TokenURL: srv.base + "/oauth/token", AuthStyle: style}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute || time.Until(tok.Expiry) > time.Hour {
				t.Errorf("token type %q expiring in %s, want Bearer in 1h", tok.TokenType, time.Until(tok.Expiry))
			}
			status, body, err := secureClient(cfg.Client(ctx))
			if err != nil || status != 200 || body["clientId"] != clientID {
				t.Fatalf("GET /secure/client with the library's client: %d %v %v", status, body, err)
			}
		})
	}

	cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: srv.base + "/oauth/token"}
	client := cfg.Client(ctx) // keeps its token until it expires
	if status, _, err := secureClient(client); err != nil || status != 200 {
		t.Fatalf("before the reset: %d %v", status, err)
	}
	srv.do("POST", "/admin/clients/"+clientID+"/reset-secret", adminToken, nil).expect(t, "reset-secret", 200)
	if status, body, err := secureClient(client); err != nil || status != 401 || body["message"] != "Invalid token" {
		t.Errorf("after the reset the token answers %d %v %v, want 401 Invalid token", status, body, err)
	}
	_, err := cfg.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 401 || re.ErrorCode != "invalid_client" {
		t.Errorf("a token for the old secret: %v, want a 401 invalid_client", err)
	}
}
