package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/auth/authtest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// signInDoor is one JSON endpoint that checks a secret or a password.
type signInDoor struct {
	name, path string
	// prepare returns the bearer token the door needs, if any.
	prepare func(ts *testServer) string
	body    func(secret string) string
}

func signInDoors() []signInDoor {
	const secret = "burst-client-secret-42"
	create := func(ts *testServer) {
		ts.admin("POST", "/admin/clients", `{"clientId":"burst","clientSecret":"`+secret+`","clientMeta":{"fullName":"Burst",`+
			`"email":"burst@example.com","phone":"+12125551234"},"agentId":"agent_1","twilioPhoneNumber":"+18001234567"}`).wantStatus(201)
	}
	return []signInDoor{
		{"ClientLogin", "/auth/login", func(ts *testServer) string { create(ts); return "" },
			func(s string) string { return `{"clientId":"burst","clientSecret":"` + s + `"}` }},
		{"AdminLogin", "/auth/admin/login", func(*testServer) string { return "" },
			func(s string) string { return `{"username":"` + adminUsername + `","password":"` + s + `"}` }},
		{"ChangeSecret", "/auth/change-secret", func(ts *testServer) string { create(ts); return ts.login("burst", secret) },
			func(s string) string { return `{"currentSecret":"` + s + `","newSecret":"a-brand-new-secret-42"}` }},
	}
}

// TestSignInBurst: 100 simultaneous wrong attempts at one account's secret
// are hashed at most the allowance's 10 times at every JSON door; the other
// 90 answer 429 with Retry-After. (The old throttle was checked before the
// hash and charged after it: a burst was hashed in full.)
func TestSignInBurst(t *testing.T) {
	for _, door := range signInDoors() {
		t.Run(door.name, func(t *testing.T) {
			storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
				ts := newTestServer(t, s)
				token := door.prepare(ts)
				h := authtest.Wrap(ts.svc.Hasher)
				h.Delay = 5 * time.Millisecond
				ts.svc.Hasher = h
				statuses := authtest.Burst(100, func(i int) int {
					res := ts.do("POST", door.path, token, door.body(fmt.Sprintf("wrong-guess-%03d", i)))
					if res.Status == 429 {
						res.wantBody(`{"error":"Too many failed attempts, try again later"}`)
						if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 90 {
							t.Errorf("Retry-After = %q, want 1 to 90 seconds", res.Header.Get("Retry-After"))
						}
					}
					return res.Status
				})
				if statuses[401] != 10 || statuses[429] != 90 {
					t.Errorf("statuses = %v, want 10 401s and 90 429s", statuses)
				}
				if n := h.Compares(); n > 10 {
					t.Errorf("%d hash comparisons, want at most 10", n)
				}
			})
		})
	}
}

// TestSignInBusy: when every turn to hash is taken, a sign-in at any JSON
// door answers 503 with Retry-After at once, after the short wait.
func TestSignInBusy(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	doors := signInDoors()
	tokens := map[string]string{}
	tokens["ChangeSecret"] = doors[2].prepare(ts) // creates the client too
	ts.svc.HashLimit = auth.NewHashLimit(1, 20*time.Millisecond)
	h := authtest.Holding(ts.svc.Hasher)
	ts.svc.Hasher = h
	done := make(chan int)
	go func() {
		done <- ts.do("POST", "/auth/login", "", `{"clientId":"nobody","clientSecret":"whatever-it-is"}`).Status
	}()
	<-h.Started

	for _, door := range doors {
		res := ts.do("POST", door.path, tokens[door.name], door.body("burst-client-secret-42"))
		if res.Status != 503 {
			t.Errorf("%s: status %d, want 503; body %s", door.name, res.Status, res.Body)
			continue
		}
		res.wantBody(`{"error":"Too many sign-ins at once, try again in a moment"}`)
		if got := res.Header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", door.name, got)
		}
	}
	close(h.Hold)
	if got := <-done; got != 401 {
		t.Errorf("the held sign-in = %d, want 401", got)
	}
	h.Hold = nil
	ts.login("burst", "burst-client-secret-42") // nothing was spent or changed
	if strings.Contains(ts.log.String(), "level=ERROR") {
		t.Errorf("a 503 of a busy hasher is logged as an error:\n%s", ts.log.String())
	}
}

// TestRefreshBounded: /auth/refresh stores a revocation each time, so a
// client refreshes at most 60 times per 15 minutes; then 429 with
// Retry-After, and its last token still works. (Before, one client stored
// 16,409 revocations in 10 s.)
func TestRefreshBounded(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		token := ts.login("refresher", ts.createClient("refresher", "refresher@example.com"))
		ok := 0
		for range 100 {
			res := ts.do("POST", "/auth/refresh", token, "")
			if res.Status != 200 {
				res.wantStatus(429).wantBody(`{"error":"Too many token refreshes, try again later"}`)
				if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 15 {
					t.Errorf("Retry-After = %q, want 1 to 15 seconds", res.Header.Get("Retry-After"))
				}
				break
			}
			ok++
			token = res.str("token")
		}
		if ok != 60 {
			t.Errorf("%d refreshes, want 60", ok)
		}
		ts.do("GET", "/secure/client", token, "").wantStatus(200)
	})
}
