package api_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/api"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// TestRevocation: a client token stops working the moment its secret is
// reset or changed, the client is deleted, suspended or deactivated, and
// works again on reactivation.
func TestRevocation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		secure := func(token string) int { return ts.do("GET", "/secure/client", token, "").Status }

		t.Run("ResetSecret", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_reset", "rev_reset@example.com")
			token, other := ts.login("rev_reset", secret), ts.login("rev_reset", secret)
			ts.admin("POST", "/admin/clients/rev_reset/reset-secret", "").wantStatus(200)
			if secure(token) != 401 || secure(other) != 401 {
				t.Error("a token issued before the reset still works")
			}
		})
		t.Run("ChangeSecret", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_change", "rev_change@example.com")
			token, other := ts.login("rev_change", secret), ts.login("rev_change", secret)
			res := ts.do("POST", "/auth/change-secret", token,
				`{"currentSecret":"`+secret+`","newSecret":"a-secret-the-client-chose"}`).wantStatus(200)
			res.wantFields(map[string]any{"success": true, "message": "Client secret changed successfully"})
			if secure(token) != 401 || secure(other) != 401 {
				t.Error("a token issued before the change still works")
			}
			if secure(res.str("token")) != 200 {
				t.Error("the token returned by change-secret does not work")
			}
			ts.do("POST", "/auth/login", "", `{"clientId":"rev_change","clientSecret":"`+secret+`"}`).wantStatus(401)
			ts.login("rev_change", "a-secret-the-client-chose")
		})
		t.Run("ChangeSecretWrongCurrent", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_wrong", "rev_wrong@example.com")
			token := ts.login("rev_wrong", secret)
			ts.do("POST", "/auth/change-secret", token, `{"currentSecret":"not-the-secret-at-all","newSecret":"a-secret-the-client-chose"}`).
				wantStatus(401).wantBody(`{"error":"Current secret is incorrect"}`)
			ts.do("POST", "/auth/change-secret", token, `{"currentSecret":"`+secret+`","newSecret":"short"}`).
				wantStatus(400).wantFields(map[string]any{"error": "Failed to change client secret",
				"details": "newSecret must be at least 16 characters"})
			if secure(token) != 200 {
				t.Error("a refused change-secret ended the token")
			}
			ts.login("rev_wrong", secret)
		})
		t.Run("Delete", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_delete", "rev_delete@example.com")
			token := ts.login("rev_delete", secret)
			ts.admin("DELETE", "/admin/clients/rev_delete", "").wantStatus(200).
				wantBody(`{"message":"Client deleted successfully"}`)
			ts.do("GET", "/secure/client", token, "").wantStatus(401).
				wantBody(`{"error":"Unauthorized","message":"Client not found or inactive"}`)
			// A new client with the same id does not inherit the old tokens.
			ts.createClient("rev_delete", "rev_delete2@example.com")
			if secure(token) != 401 {
				t.Error("a deleted client's token works for the client that took its id")
			}
		})
		t.Run("StatusChanges", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_status", "rev_status@example.com")
			token := ts.login("rev_status", secret)
			for _, step := range []struct {
				status string
				want   int
			}{{"Suspended", 401}, {"Active", 200}, {"Inactive", 401}, {"Active", 200}} {
				ts.admin("PUT", "/admin/clients/rev_status", `{"status":"`+step.status+`"}`).wantStatus(200)
				if got := secure(token); got != step.want {
					t.Errorf("after status %s: GET /secure/client = %d, want %d", step.status, got, step.want)
				}
			}
		})
		t.Run("LogoutEndsOnlyThatToken", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_logout", "rev_logout@example.com")
			token, other := ts.login("rev_logout", secret), ts.login("rev_logout", secret)
			ts.do("POST", "/auth/logout", token, "").wantStatus(200).
				wantBody(`{"success":true,"message":"Logged out successfully"}`)
			if secure(token) != 401 {
				t.Error("the token still works after logout")
			}
			if secure(other) != 200 {
				t.Error("logout ended the client's other token")
			}
		})
		t.Run("RefreshEndsThePresentedToken", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.createClient("rev_refresh", "rev_refresh@example.com")
			token := ts.login("rev_refresh", secret)
			res := ts.do("POST", "/auth/refresh", token, "").wantStatus(200)
			res.wantFields(map[string]any{"success": true, "clientId": "rev_refresh"})
			if secure(token) != 401 {
				t.Error("the refreshed token still works")
			}
			if secure(res.str("token")) != 200 {
				t.Error("the new token does not work")
			}
			ts.do("POST", "/auth/refresh", token, "").wantStatus(401).wantBody(`{"error":"Invalid token"}`)
			ts.do("POST", "/auth/refresh", "", "").wantStatus(401).wantBody(`{"error":"No token provided"}`)
		})
		t.Run("AdminLogout", func(t *testing.T) {
			ts := ts.with(t)
			token := ts.do("POST", "/auth/admin/login", "", `{"username":"`+adminUsername+`","password":"`+adminPassword+`"}`).
				wantStatus(200).str("token")
			ts.do("POST", "/auth/admin/logout", token, "").wantStatus(200).
				wantBody(`{"success":true,"message":"Admin logged out successfully"}`)
			ts.do("GET", "/admin/clients", token, "").wantStatus(401).
				wantBody(`{"error":"Unauthorized","message":"Invalid token"}`)
			ts.admin("GET", "/admin/clients", "").wantStatus(200) // the other admin token lives on
		})
	})
}

// TestVerifyAndValidate: /auth/verify answers 200 with "valid", as the
// original API did; /auth/validate is 200 or 401.
func TestVerifyAndValidate(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secret := ts.createClient("verify_me", "verify@example.com")
	token := ts.login("verify_me", secret)

	ts.do("POST", "/auth/verify", "", `{"token":"`+token+`"}`).wantStatus(200).
		wantBody(`{"valid":true,"clientId":"verify_me","expiresAt":null}`)
	ts.do("GET", "/auth/validate", token, "").wantStatus(200).wantBody(`{"valid":true,"clientId":"verify_me"}`)
	ts.do("POST", "/auth/verify", "", `{"token":"not.a.token"}`).wantStatus(200).
		wantBody(`{"valid":false,"error":"Invalid token"}`)
	ts.do("POST", "/auth/verify", "", `{"token":"`+ts.adminToken+`"}`).wantStatus(200).
		wantBody(`{"valid":false,"error":"Invalid token"}`)

	ts.admin("PUT", "/admin/clients/verify_me", `{"status":"Suspended"}`).wantStatus(200)
	ts.do("POST", "/auth/verify", "", `{"token":"`+token+`"}`).wantStatus(200).
		wantBody(`{"valid":false,"error":"Client not found or inactive"}`)
	ts.do("GET", "/auth/validate", token, "").wantStatus(401).
		wantBody(`{"error":"Unauthorized","message":"Client not found or inactive"}`)
}

// TestTokenKinds: no token, a bad token, and the wrong kind of token are all
// refused, with 401 for the first two and 403 for the last.
func TestTokenKinds(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	clientToken := ts.login("kind_client", ts.createClient("kind_client", "kind@example.com"))
	tamper := clientToken[:len(clientToken)-2] + "xx"
	if strings.HasSuffix(clientToken, "xx") {
		tamper = clientToken[:len(clientToken)-2] + "yy"
	}
	for _, path := range []string{"GET /secure/client", "GET /auth/validate", "POST /auth/logout", "POST /auth/change-secret"} {
		method, url, _ := strings.Cut(path, " ")
		ts.do(method, url, "", "").wantStatus(401).wantBody(`{"error":"Unauthorized","message":"No token provided"}`)
		ts.do(method, url, "garbage", "").wantStatus(401).wantBody(`{"error":"Unauthorized","message":"Invalid token"}`)
		ts.do(method, url, tamper, "").wantStatus(401).wantBody(`{"error":"Unauthorized","message":"Invalid token"}`)
		ts.do(method, url, ts.adminToken, "").wantStatus(403).
			wantBody(`{"error":"Forbidden","message":"Insufficient permissions"}`)
	}
	for _, path := range []string{"GET /admin/clients", "POST /admin/clients", "GET /admin/clients/kind_client",
		"PUT /admin/clients/kind_client", "DELETE /admin/clients/kind_client", "POST /admin/clients/kind_client/reset-secret",
		"POST /auth/admin/logout", "POST /auth/admin/change-password"} {
		method, url, _ := strings.Cut(path, " ")
		ts.do(method, url, "", "").wantStatus(401).wantBody(`{"error":"Unauthorized","message":"No token provided"}`)
		ts.do(method, url, clientToken, "").wantStatus(403).
			wantBody(`{"error":"Forbidden","message":"Insufficient permissions"}`)
	}
	ts.do("GET", "/secure/client", clientToken, "").wantStatus(200) // nothing above touched the client
}

// TestLoginThrottle: after 10 failed logins for one clientId even the right
// secret is refused with 429 and a Retry-After; other clients are unaffected.
func TestLoginThrottle(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secret := ts.createClient("throttled", "throttled@example.com")
	otherSecret := ts.createClient("bystander", "bystander@example.com")
	for i := range 10 {
		ts.do("POST", "/auth/login", "", `{"clientId":"throttled","clientSecret":"wrong-guess-`+strconv.Itoa(i)+`"}`).wantStatus(401)
	}
	res := ts.do("POST", "/auth/login", "", `{"clientId":"throttled","clientSecret":"`+secret+`"}`).wantStatus(429)
	res.wantBody(`{"error":"Too many failed attempts, try again later"}`)
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 15*60 {
		t.Errorf("Retry-After = %q, want seconds until one more attempt", res.Header.Get("Retry-After"))
	}
	ts.login("bystander", otherSecret)

	for i := range 10 {
		ts.do("POST", "/auth/admin/login", "", `{"username":"admin","password":"wrong-`+strconv.Itoa(i)+`"}`).wantStatus(401).
			wantBody(`{"error":"Invalid credentials"}`)
	}
	ts.do("POST", "/auth/admin/login", "", `{"username":"admin","password":"`+adminPassword+`"}`).wantStatus(429)
}

// TestConcurrentCreateSameEmail: of 50 simultaneous creates with one email
// (in varying letter case) exactly one wins; the rest get the document's 409.
func TestConcurrentCreateSameEmail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		statuses := make([]int, 50)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() {
				email := "race@example.com"
				if i%2 == 1 {
					email = "RACE@Example.com"
				}
				statuses[i] = ts.admin("POST", "/admin/clients", clientJSON(fmt.Sprintf("race_%02d", i), email)).Status
			})
		}
		wg.Wait()
		count := map[int]int{}
		for _, st := range statuses {
			count[st]++
		}
		if count[201] != 1 || count[409] != 49 {
			t.Errorf("statuses = %v, want exactly one 201 and 49 409s", count)
		}
		if n := ts.countClients(); n != 1 {
			t.Errorf("%d clients stored, want 1", n)
		}
	})
}

// TestThrottleBehindProxy: the per-IP allowance follows X-Forwarded-For only
// when the peer is a trusted proxy; otherwise the header is ignored, so a
// client cannot dodge the limit by inventing addresses.
func TestThrottleBehindProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies []string
		// wantOther is the status of a login from a second forwarded address
		// once the first has spent the per-IP allowance.
		wantOther int
	}{
		{"Trusted", []string{"0.0.0.0"}, 401}, // app.Test's peer address
		{"Untrusted", nil, 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, storetest.Open(t, "sqlite"))
			app := httpserver.New(httpserver.Config{Log: slog.New(slog.DiscardHandler), TrustedProxies: tc.proxies})
			(&api.Server{Auth: ts.svc, Clients: ts.store, Log: slog.New(slog.DiscardHandler)}).Register(app)
			login := func(i int, from string) int {
				req := httptest.NewRequest("POST", "/auth/login",
					strings.NewReader(`{"clientId":"guess_`+strconv.Itoa(i)+`","clientSecret":"some-wrong-secret"}`))
				req.Header.Set("X-Forwarded-For", from)
				res, err := app.Test(req, -1)
				if err != nil {
					t.Fatal(err)
				}
				wantDocumented(t, req, res)
				return res.StatusCode
			}
			for i := range 50 { // the per-IP allowance, spread over many ids
				if got := login(i, "203.0.113.1"); got != 401 {
					t.Fatalf("attempt %d = %d, want 401", i, got)
				}
			}
			if got := login(50, "203.0.113.1"); got != 429 {
				t.Errorf("51st attempt from one address = %d, want 429", got)
			}
			if got := login(51, "203.0.113.2"); got != tc.wantOther {
				t.Errorf("attempt from another forwarded address = %d, want %d", got, tc.wantOther)
			}
		})
	}
}

// TestThrottleForgedForwardedPrefix: behind a trusted proxy, a caller that
// has spent its per-address allowance cannot get a fresh one by writing
// addresses of its own in front of the one the proxy appended, and the
// audit log records its real address.
func TestThrottleForgedForwardedPrefix(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	app := httpserver.New(httpserver.Config{Log: log, TrustedProxies: []string{"0.0.0.0"}})
	(&api.Server{Auth: ts.svc, Clients: ts.store, Log: log}).Register(app)
	login := func(i int, forwarded string) int {
		req := httptest.NewRequest("POST", "/auth/login",
			strings.NewReader(`{"clientId":"guess_`+strconv.Itoa(i)+`","clientSecret":"some-wrong-secret"}`))
		req.Header.Set("X-Forwarded-For", forwarded)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		wantDocumented(t, req, res)
		return res.StatusCode
	}
	const caller = "198.51.100.7"
	spent := false
	for i := range 500 {
		if login(i, caller) == 429 {
			spent = true
			break
		}
	}
	if !spent {
		t.Fatal("500 failed logins from one address were never throttled")
	}
	for i := range 60 {
		if got := login(1000+i, "203.0.113."+strconv.Itoa(i)+", "+caller); got != 429 {
			t.Fatalf("forged prefix 203.0.113.%d: status %d, want 429", i, got)
		}
	}
	if strings.Contains(logs.String(), "203.0.113.") || !strings.Contains(logs.String(), "ip="+caller) {
		t.Errorf("the audit log does not name the real address:\n%s", logs.String())
	}
}
