package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/internal/auth"
	"switchboard/internal/mock"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// countingClients passes every call to the real store and counts them.
func countingClients(real switchboard.ClientService, calls *atomic.Int64) *mock.ClientService {
	return &mock.ClientService{
		FindClientByIDFn: func(ctx context.Context, id string) (*switchboard.Client, error) {
			calls.Add(1)
			return real.FindClientByID(ctx, id)
		},
		FindTokenClientFn: func(ctx context.Context, clientID, tokenID string) (*switchboard.Client, bool, error) {
			calls.Add(1)
			return real.FindTokenClient(ctx, clientID, tokenID)
		},
		FindClientsFn:         real.FindClients,
		CreateClientFn:        real.CreateClient,
		UpdateClientFn:        real.UpdateClient,
		DeleteClientFn:        real.DeleteClient,
		SetClientSecretHashFn: real.SetClientSecretHash,
	}
}

// TestReadsPerRequest: GET /secure/client costs one store read (the token
// check, which returns the record) and a login one lookup besides the hash.
func TestReadsPerRequest(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	var calls atomic.Int64
	ts := newTestServerWith(t, s, countingClients(s, &calls))
	secret := ts.createClient("counted", "counted@example.com")

	calls.Store(0)
	token := ts.login("counted", secret)
	if n := calls.Load(); n != 1 {
		t.Errorf("login made %d store reads, want 1", n)
	}
	calls.Store(0)
	ts.do("GET", "/secure/client", token, "").wantStatus(200)
	if n := calls.Load(); n != 1 {
		t.Errorf("GET /secure/client made %d store reads, want 1", n)
	}
}

// benchServer is a test server whose bcrypt cost is cost.
func benchServer(b *testing.B, cost int) (*testServer, string) {
	ts := newTestServer(b, storetest.Open(b, "sqlite"))
	hasher, err := auth.NewHasher(cost)
	if err != nil {
		b.Fatal(err)
	}
	ts.svc.Hasher = hasher
	secret := ts.createClient("bench_client", "bench@example.com")
	// Many more clients, so lookups run against a table, not a single row.
	for i := range 1000 {
		c := &switchboard.Client{ID: "filler_" + itoa(i), AgentID: "a", TwilioPhoneNumber: "+18001234567",
			Meta:       switchboard.ClientMeta{FullName: "Filler", Email: "filler" + itoa(i) + "@example.com", Phone: "+12125551234"},
			SecretHash: "x"}
		if err := ts.store.CreateClient(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	return ts, secret
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// BenchmarkLogin measures POST /auth/login through the Fiber app. Its cost
// should be the bcrypt comparison and little else: compare the two costs.
func BenchmarkLogin(b *testing.B) {
	for _, bc := range []struct {
		name string
		cost int
	}{{"cost4", 4}, {"cost10_default", 10}} {
		b.Run(bc.name, func(b *testing.B) {
			ts, secret := benchServer(b, bc.cost)
			body := `{"clientId":"bench_client","clientSecret":"` + secret + `"}`
			for b.Loop() {
				req := httptest.NewRequest("POST", "/auth/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := ts.app.Test(req, -1)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("login: %v %v", err, res.StatusCode)
				}
				res.Body.Close()
			}
		})
	}
}

// BenchmarkSecureClient measures GET /secure/client through the Fiber app:
// token check and record in one indexed read.
func BenchmarkSecureClient(b *testing.B) {
	ts, secret := benchServer(b, 4)
	token := ts.login("bench_client", secret)
	for b.Loop() {
		req := httptest.NewRequest("GET", "/secure/client", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := ts.app.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("secure client: %v %v", err, res.StatusCode)
		}
		res.Body.Close()
	}
}
