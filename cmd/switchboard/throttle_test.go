package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/auth/authtest"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// from returns s as seen from the loopback address ip: every address of
// 127.0.0.0/8 reaches the server, which sees the one the connection came
// from, so a test can sign in from many addresses without a proxy.
func (s *server) from(ip string) *server {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c := *s
	c.http = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	return &c
}

// TestTwoInstancesShareTheThrottle: two server processes on one database
// give one allowance, not two. Failures through one count at the other; a
// burst split between them is judged at most the allowance's 10 times; and
// an address that signed in through one is remembered by the other, which
// lets it in while failures from elsewhere hold every other address.
func TestTwoInstancesShareTheThrottle(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			binary(t)
			url := storetest.URL(t, dialect)
			ctx := testContext(t)
			env := map[string]string{
				"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": url, "SECRET_HASH_COST": "4",
				"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass, "MAX_CONCURRENT_HASHES": "4",
			}
			one, two := startServer(ctx, t, env), startServer(ctx, t, env)
			admin := one.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
				expect(t, "admin login", 200).str(t, "token")
			create := func(id string) {
				one.do("POST", "/admin/clients", admin, map[string]any{
					"clientId": id, "clientSecret": clientSecret, "agentId": "agent_1", "twilioPhoneNumber": "+18001234567",
					"clientMeta": map[string]string{"fullName": "Shared", "email": id + "@example.com", "phone": "+12125551234"},
				}).expect(t, "create "+id, 201)
			}
			login := func(s *server, id, secret string) response {
				return s.do("POST", "/auth/login", "", map[string]string{"clientId": id, "clientSecret": secret})
			}
			wantThrottled := func(what string, r response) {
				t.Helper()
				r.expect(t, what, 429)
				if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 90 {
					t.Errorf("%s: Retry-After = %q, want 1 to 90 seconds", what, r.header.Get("Retry-After"))
				}
			}

			// Five failures through each instance spend the one allowance.
			create("shared")
			for i := range 10 {
				s := []*server{one, two}[i%2].from("127.0.0.2")
				login(s, "shared", fmt.Sprintf("wrong-guess-%d", i)).expect(t, fmt.Sprintf("failure %d", i+1), 401)
			}
			wantThrottled("the right secret after ten failures, through one", login(one.from("127.0.0.2"), "shared", clientSecret))
			wantThrottled("the right secret after ten failures, through two", login(two.from("127.0.0.2"), "shared", clientSecret))

			// A burst split between the instances.
			create("burst")
			statuses := authtest.Burst(40, func(i int) int {
				return login([]*server{one, two}[i%2].from("127.0.0.3"), "burst", fmt.Sprintf("wrong-guess-%d", i)).status
			})
			if statuses[401] != 10 || statuses[429] != 30 {
				t.Errorf("burst through both instances: statuses %v, want 10 401s and 30 429s", statuses)
			}

			// The rightful client signs in from home through one; failures
			// from ten other addresses through two spend the account's
			// ceiling, which holds a new address at either instance, but not
			// home.
			create("home")
			login(one.from("127.0.0.4"), "home", clientSecret).expect(t, "sign-in from home", 200)
			for i := 1; i <= 10; i++ {
				login(two.from(fmt.Sprintf("127.0.1.%d", i)), "home", "wrong-guess-wrong").
					expect(t, fmt.Sprintf("attacker failure %d", i), 401)
			}
			wantThrottled("the attacker from another address", login(one.from("127.0.1.11"), "home", "wrong-guess-wrong"))
			wantThrottled("the right secret from a new address", login(two.from("127.0.0.5"), "home", clientSecret))
			login(two.from("127.0.0.4"), "home", clientSecret).expect(t, "sign-in from home during the attack, through two", 200)
			login(one.from("127.0.0.4"), "home", clientSecret).expect(t, "sign-in from home during the attack, through one", 200)
		})
	}
}
