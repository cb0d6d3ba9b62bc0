package api_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// oauthSecret has the characters RFC 6749 §2.3.1's form-urlencoding changes
// (":" "+" "/" "%" and a space), so Basic is proven to decode them.
const oauthSecret = "p@ss:w+rd/100% sure"

// basic is an Authorization header as §2.3.1 builds it: each part
// form-urlencoded, then base64.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// tokenRequest posts form to /oauth/token with the Authorization header
// authorization when it is not empty.
func (ts *testServer) tokenRequest(authorization, form string) *response {
	ts.t.Helper()
	req := httptest.NewRequest("POST", api.OAuthTokenPath, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return ts.send(req)
}

func (ts *testServer) createOAuthClient(id string) {
	ts.t.Helper()
	ts.admin("POST", "/admin/clients", `{"clientId":"`+id+`","clientSecret":"`+oauthSecret+`","clientMeta":{"fullName":"OAuth Client",`+
		`"email":"`+id+`@example.com","phone":"+12125551234"},"agentId":"agent_1","twilioPhoneNumber":"+18001234567"}`).wantStatus(201)
}

func postForm(id, secret string) string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
}

func wantNoStore(r *response) {
	r.t.Helper()
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		r.t.Errorf("Cache-Control %q, Pragma %q: want no-store and no-cache", r.Header.Get("Cache-Control"), r.Header.Get("Pragma"))
	}
}

// TestOAuthToken: client_secret_basic and client_secret_post both give a
// Bearer client token that works on the secure API, uncached, with
// expires_in only when client tokens expire.
func TestOAuthToken(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		ts.createOAuthClient("oauth_client")
		for name, send := range map[string]func() *response{
			"Basic": func() *response {
				return ts.tokenRequest(basic("oauth_client", oauthSecret), "grant_type=client_credentials")
			},
			"Form": func() *response { return ts.tokenRequest("", postForm("oauth_client", oauthSecret)) },
		} {
			t.Run(name, func(t *testing.T) {
				ts := ts.with(t)
				res := send().wantStatus(200)
				wantNoStore(res)
				res.wantFields(map[string]any{"token_type": "Bearer"})
				if _, ok := res.json()["expires_in"]; ok {
					t.Errorf("expires_in sent for a token that does not expire: %s", res.Body)
				}
				if keys := len(res.json()); keys != 2 {
					t.Errorf("body has %d keys, want access_token and token_type: %s", keys, res.Body)
				}
				token := res.str("access_token")
				ts.do("GET", "/secure/client", token, "").wantStatus(200).wantFields(map[string]any{"clientId": "oauth_client"})
				ts.do("PUT", "/secure/client", token, `{"clientMeta":{"city":"Boston"}}`).wantStatus(200)
				ts.do("GET", "/auth/validate", token, "").wantStatus(200)
			})
		}
		if !strings.Contains(ts.log.String(), `msg=security event=sign-in outcome=ok actor=none via=api`) ||
			!strings.Contains(ts.log.String(), `client_id=oauth_client`) {
			t.Errorf("the sign-in is not audited:\n%s", ts.log.String())
		}
		if strings.Contains(ts.log.String(), "p@ss") {
			t.Error("the secret is in the log")
		}

		ts.svc.TokenTTL = 90 * time.Minute
		ts.tokenRequest(basic("oauth_client", oauthSecret), "grant_type=client_credentials").
			wantStatus(200).wantFields(map[string]any{"expires_in": 5400.0})
	})
}

// TestOAuthTokenEnds: a token from /oauth/token ends like any other client
// token: reset, secret change, sign-out everywhere, suspension.
func TestOAuthTokenEnds(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secure := func(token string) int { return ts.do("GET", "/secure/client", token, "").Status }
	oauthToken := func(id, secret string) string {
		return ts.tokenRequest(basic(id, secret), "grant_type=client_credentials").wantStatus(200).str("access_token")
	}
	for name, end := range map[string]func(id, token string){
		"ResetSecret": func(id, _ string) { ts.admin("POST", "/admin/clients/"+id+"/reset-secret", "").wantStatus(200) },
		"ChangeSecret": func(_, token string) {
			ts.do("POST", "/auth/change-secret", token, `{"currentSecret":"`+oauthSecret+`","newSecret":"a-secret-the-client-chose"}`).wantStatus(200)
		},
		"SignOutEverywhere": func(id, _ string) {
			if _, err := ts.store.RevokeClientTokens(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		},
		"Suspended": func(id, _ string) { ts.admin("PUT", "/admin/clients/"+id, `{"status":"Inactive"}`).wantStatus(200) },
	} {
		id := "oauth_" + strings.ToLower(name)
		ts.createOAuthClient(id)
		token := oauthToken(id, oauthSecret)
		if secure(token) != 200 {
			t.Fatalf("%s: the token does not work before", name)
		}
		end(id, token)
		if got := secure(token); got != 401 {
			t.Errorf("%s: the token answers %d after, want 401", name, got)
		}
	}
}

// TestOAuthTokenErrors: every refusal in RFC 6749 §5.2's shape, uncached;
// each 401 names Basic in WWW-Authenticate.
func TestOAuthTokenErrors(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.createOAuthClient("oauth_errors")
	good := basic("oauth_errors", oauthSecret)
	const grant = "grant_type=client_credentials"
	for _, tc := range []struct {
		name, contentType, authorization, form string
		status                                 int
		want                                   string
	}{
		{"WrongSecretBasic", "", basic("oauth_errors", "not-the-secret-at-all"), grant, 401,
			`{"error":"invalid_client","error_description":"Invalid credentials or inactive client"}`},
		{"WrongSecretForm", "", "", postForm("oauth_errors", "not-the-secret-at-all"), 401,
			`{"error":"invalid_client","error_description":"Invalid credentials or inactive client"}`},
		{"UnknownClient", "", basic("nobody_here", oauthSecret), grant, 401,
			`{"error":"invalid_client","error_description":"Invalid credentials or inactive client"}`},
		{"NoCredentials", "", "", grant, 401, `{"error":"invalid_client","error_description":"client authentication failed"}`},
		{"BearerScheme", "", "Bearer abc", grant, 401, `{"error":"invalid_client","error_description":"client authentication failed"}`},
		{"BadBase64", "", "Basic !!!", grant, 401, `{"error":"invalid_client","error_description":"client authentication failed"}`},
		{"NoColon", "", "Basic " + base64.StdEncoding.EncodeToString([]byte("oauth_errors")), grant, 401,
			`{"error":"invalid_client","error_description":"client authentication failed"}`},
		{"BothMethods", "", good, postForm("oauth_errors", oauthSecret), 400,
			`{"error":"invalid_request","error_description":"client credentials in both the Authorization header and the body"}`},
		{"BasicAndFormID", "", good, grant + "&client_id=oauth_errors", 400,
			`{"error":"invalid_request","error_description":"client credentials in both the Authorization header and the body"}`},
		{"FormIDOnly", "", "", grant + "&client_id=oauth_errors", 400,
			`{"error":"invalid_request","error_description":"client_id and client_secret are both required"}`},
		{"NoGrant", "", good, "", 400, `{"error":"invalid_request","error_description":"grant_type is required"}`},
		{"PasswordGrant", "", good, "grant_type=password&username=a&password=b", 400,
			`{"error":"unsupported_grant_type","error_description":"only client_credentials is supported"}`},
		{"DuplicateGrant", "", good, grant + "&" + grant, 400,
			`{"error":"invalid_request","error_description":"parameter sent more than once: grant_type"}`},
		{"Scope", "", good, grant + "&scope=admin", 400,
			`{"error":"invalid_scope","error_description":"this server defines no scopes"}`},
		{"JSONBody", "application/json", good, `{"grant_type":"client_credentials"}`, 400,
			`{"error":"invalid_request","error_description":"the body must be application/x-www-form-urlencoded"}`},
		{"BadForm", "", good, "grant_type=%zz", 400,
			`{"error":"invalid_request","error_description":"the body is not a valid form"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", api.OAuthTokenPath, strings.NewReader(tc.form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			res := ts.with(t).send(req).wantStatus(tc.status).wantBody(tc.want)
			wantNoStore(res)
			wantChallenge := ""
			if tc.status == 401 {
				wantChallenge = `Basic realm="switchboard"`
			}
			if got := res.Header.Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, wantChallenge)
			}
		})
	}
	// Refusals are not failures of the server.
	if strings.Contains(ts.log.String(), "level=ERROR") {
		t.Errorf("a refusal is logged as an error:\n%s", ts.log.String())
	}
}

// TestOAuthTokenThrottle: /oauth/token spends the same allowance as
// /auth/login: wrong secrets at either end in 429 with Retry-After at both.
func TestOAuthTokenThrottle(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.createOAuthClient("oauth_throttle")
	for i := range 5 {
		ts.tokenRequest(basic("oauth_throttle", "wrong-guess-"+strconv.Itoa(i)), "grant_type=client_credentials").wantStatus(401)
		ts.do("POST", "/auth/login", "", `{"clientId":"oauth_throttle","clientSecret":"wrong-guess-x`+strconv.Itoa(i)+`"}`).wantStatus(401)
	}
	res := ts.tokenRequest(basic("oauth_throttle", oauthSecret), "grant_type=client_credentials").wantStatus(429).
		wantBody(`{"error":"temporarily_unavailable","error_description":"Too many failed attempts, try again later"}`)
	wantNoStore(res)
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 90 {
		t.Errorf("Retry-After = %q, want 1 to 90 seconds", res.Header.Get("Retry-After"))
	}
	ts.do("POST", "/auth/login", "", `{"clientId":"oauth_throttle","clientSecret":"`+oauthSecret+`"}`).wantStatus(429)
	if !strings.Contains(ts.log.String(), "event=sign-in outcome=throttled") {
		t.Errorf("the throttled sign-in is not audited:\n%s", ts.log.String())
	}
}

// TestOAuthTokenBusy: when every turn to hash is taken, /oauth/token answers
// 503 with Retry-After, as /auth/login does.
func TestOAuthTokenBusy(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.createOAuthClient("oauth_busy")
	h, done := holdTheOnlyHash(ts)
	res := ts.tokenRequest(basic("oauth_busy", oauthSecret), "grant_type=client_credentials").wantStatus(503).
		wantBody(`{"error":"temporarily_unavailable","error_description":"Too many sign-ins at once, try again in a moment"}`)
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	close(h.Hold)
	<-done
	h.Hold = nil
	ts.tokenRequest(basic("oauth_busy", oauthSecret), "grant_type=client_credentials").wantStatus(200)
}

// TestOAuthMetadata: RFC 8414's metadata names PUBLIC_BASE_URL as the
// issuer and the token endpoint under it; without it there is none to give.
func TestOAuthMetadata(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	for base, want := range map[string]string{
		"https://switchboard.example.com": `{"issuer":"https://switchboard.example.com",` +
			`"token_endpoint":"https://switchboard.example.com/oauth/token","grant_types_supported":["client_credentials"],` +
			`"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"]}`,
		"": `{"error":"Not found"}`,
	} {
		app := httpserver.New(httpserver.Config{Log: discardLog()})
		(&api.Server{Ping: s.Ping, Ready: s.Ready, Log: discardLog(), PublicBaseURL: base}).Register(app)
		ts := &testServer{t: t, app: app}
		req := httptest.NewRequest("GET", api.OAuthMetadataPath, nil)
		req.Host = "evil.example.net" // never the issuer
		res := ts.send(req)
		if base == "" {
			res.wantStatus(404)
		} else {
			res.wantStatus(200)
		}
		res.wantBody(want)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
