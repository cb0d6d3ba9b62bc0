package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// clientHistory is what the concurrent run learned about one client.
type clientHistory struct {
	mu      sync.Mutex
	secrets []string    // every secret it was given: at creation and by each acknowledged reset
	tokens  []issued    // every token a login returned
	resets  []time.Time // when each acknowledged reset was sent
}

type issued struct {
	token string
	at    time.Time // when the login answered
}

// TestConcurrentOperations runs creates, updates, resets, status changes,
// logins and reads from many goroutines against the same clients, then
// checks what must hold whatever the interleaving: no 500, no duplicate
// email, every acknowledged create present, exactly one working secret per
// client, and no token issued before a reset still working.
func TestConcurrentOperations(t *testing.T) {
	const (
		baseClients = 12
		workers     = 12
		opsEach     = 50
		emailPool   = 24 // creates and email changes draw from a small pool, so many collide
	)
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		// Concurrent resets make logins with a just-replaced secret fail; the
		// throttle is not what this test is about, so give it room.
		loose := auth.ThrottleRule{Limit: 1_000_000, Window: time.Minute}
		ts.svc.Throttle = auth.NewThrottle(s, []byte("test-server-secret-of-at-least-32-bytes"),
			auth.ThrottlePolicy{AccountAddress: loose, Address: loose, Account: loose, Refresh: loose})

		history := map[string]*clientHistory{}
		var ids []string
		for i := range baseClients {
			id := fmt.Sprintf("conc_%02d", i)
			ids = append(ids, id)
			history[id] = &clientHistory{secrets: []string{ts.createClient(id, id+"@example.com")}}
		}

		var (
			ops, serverErrors atomic.Int64
			createdMu         sync.Mutex
			created           = map[string]bool{} // acknowledged creates
			attempted         = map[string]bool{} // every create sent
		)
		record := func(r *response) {
			ops.Add(1)
			if r.Status >= 500 {
				serverErrors.Add(1)
				t.Errorf("status %d: %s", r.Status, r.Body)
			}
		}
		poolEmail := func(rng *rand.Rand) string {
			// Letter case varies: uniqueness must ignore it.
			e := fmt.Sprintf("pool%d@example.com", rng.IntN(emailPool))
			if rng.IntN(2) == 0 {
				e = strings.ToUpper(e)
			}
			return e
		}

		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				ts := ts.with(t)
				rng := rand.New(rand.NewPCG(uint64(w), 42))
				for n := range opsEach {
					id := ids[rng.IntN(len(ids))]
					h := history[id]
					switch rng.IntN(7) {
					case 0: // create, often with a taken email
						newID := fmt.Sprintf("conc_new_%d_%d", w, n)
						createdMu.Lock()
						attempted[newID] = true
						createdMu.Unlock()
						r := ts.admin("POST", "/admin/clients", clientJSON(newID, poolEmail(rng)))
						record(r)
						if r.Status == 201 {
							createdMu.Lock()
							created[newID] = true
							createdMu.Unlock()
						} else if r.Status != 409 {
							t.Errorf("create: %d %s", r.Status, r.Body)
						}
					case 1: // email change, often to a taken one
						r := ts.admin("PUT", "/admin/clients/"+id, `{"clientMeta":{"email":"`+poolEmail(rng)+`"}}`)
						record(r)
						if r.Status != 200 && r.Status != 409 {
							t.Errorf("update email: %d %s", r.Status, r.Body)
						}
					case 2: // reset
						sent := time.Now()
						r := ts.admin("POST", "/admin/clients/"+id+"/reset-secret", "")
						record(r)
						if r.Status != 200 {
							t.Errorf("reset: %d %s", r.Status, r.Body)
							continue
						}
						h.mu.Lock()
						h.secrets = append(h.secrets, r.str("client.clientSecret"))
						h.resets = append(h.resets, sent)
						h.mu.Unlock()
					case 3: // status change
						status := []string{"Active", "Suspended", "Inactive", "Active"}[rng.IntN(4)]
						r := ts.admin("PUT", "/admin/clients/"+id, `{"status":"`+status+`"}`)
						record(r)
						if r.Status != 200 {
							t.Errorf("status: %d %s", r.Status, r.Body)
						}
					case 4: // login with the newest known secret
						h.mu.Lock()
						secret := h.secrets[len(h.secrets)-1]
						h.mu.Unlock()
						r := ts.do("POST", "/auth/login", "", `{"clientId":"`+id+`","clientSecret":"`+secret+`"}`)
						record(r)
						if r.Status == 200 {
							h.mu.Lock()
							h.tokens = append(h.tokens, issued{r.str("token"), time.Now()})
							h.mu.Unlock()
						} else if r.Status != 401 {
							t.Errorf("login: %d %s", r.Status, r.Body)
						}
					case 5: // use some token
						h.mu.Lock()
						var token string
						if len(h.tokens) > 0 {
							token = h.tokens[rng.IntN(len(h.tokens))].token
						}
						h.mu.Unlock()
						if token != "" {
							r := ts.do("GET", "/secure/client", token, "")
							record(r)
							if r.Status != 200 && r.Status != 401 {
								t.Errorf("secure read: %d %s", r.Status, r.Body)
							}
						}
					case 6: // list and search
						r := ts.admin("GET", "/admin/clients?limit=100&search="+url.QueryEscape("pool"), "")
						record(r)
						if r.Status != 200 {
							t.Errorf("list: %d %s", r.Status, r.Body)
						}
					}
				}
			})
		}
		wg.Wait()

		// Afterwards, every client Active again, so only secrets and token
		// versions decide what works.
		for _, id := range ids {
			ts.admin("PUT", "/admin/clients/"+id, `{"status":"Active"}`).wantStatus(200)
		}
		invariants := 0

		// No duplicate email, ignoring case; every acknowledged create
		// present; nothing present that was never sent.
		seen := map[string]string{}
		present := map[string]bool{}
		for offset := 0; ; offset += 100 {
			page := ts.admin("GET", fmt.Sprintf("/admin/clients?limit=100&offset=%d", offset), "").wantStatus(200)
			list := page.get("clients").([]any)
			for _, c := range list {
				c := c.(map[string]any)
				id := c["clientId"].(string)
				email := strings.ToLower(c["clientMeta"].(map[string]any)["email"].(string))
				if other, dup := seen[email]; dup {
					t.Errorf("email %s held by %s and %s", email, other, id)
				}
				seen[email], present[id] = id, true
				if history[id] == nil && !attempted[id] {
					t.Errorf("client %s was never created", id)
				}
				invariants++
			}
			if len(list) < 100 {
				break
			}
		}
		for id := range created {
			if !present[id] {
				t.Errorf("acknowledged create %s is missing", id)
			}
			invariants++
		}
		for _, id := range ids {
			if !present[id] {
				t.Errorf("client %s is missing", id)
			}
			h := history[id]
			// Exactly one of the secrets it was ever given still works.
			working := 0
			for _, secret := range h.secrets {
				if ts.do("POST", "/auth/login", "", `{"clientId":"`+id+`","clientSecret":"`+secret+`"}`).Status == 200 {
					working++
				}
				invariants++
			}
			if working != 1 {
				t.Errorf("%s: %d of its %d secrets work, want exactly 1", id, working, len(h.secrets))
			}
			// A token that was issued before a reset was sent is refused.
			for _, tok := range h.tokens {
				for _, reset := range h.resets {
					if tok.at.Before(reset) {
						if got := ts.do("GET", "/secure/client", tok.token, "").Status; got != 401 {
							t.Errorf("%s: a token issued before a reset answers %d, want 401", id, got)
						}
						invariants++
						break
					}
				}
			}
		}
		if serverErrors.Load() > 0 {
			t.Errorf("%d responses were 5xx", serverErrors.Load())
		}
		t.Logf("%s: %d concurrent operations from %d goroutines (%d creates acknowledged), %d invariants checked",
			s.Dialect(), ops.Load(), workers, len(created), invariants)
	})
}
