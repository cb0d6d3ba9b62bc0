package api_test

import (
	"encoding/json"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"switchboard/internal/httpserver"
	"switchboard/internal/store/storetest"
)

// hostileAllocBound is what one hostile request may make the process
// allocate, request and response plumbing included (about 0.3 MiB for a
// 60 KiB body through app.Test). Before nesting was capped at 32 levels,
// 60 KiB of `{"a":` took 3.9 MiB.
const hostileAllocBound = 1 << 20

// hostileSize is the size of the hostile bodies: under httpserver.BodyLimit, so they
// reach the decoder rather than being cut off at 413.
const hostileSize = 60 << 10

// hostileDo sends one request and returns the answer with the bytes the
// process allocated while it was served (runtime.MemStats.TotalAlloc).
func hostileDo(ts *testServer, method, path, token, body string) (*response, uint64) {
	ts.t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := ts.unrouted().do(method, path, token, body) // the server's allocations alone
	runtime.ReadMemStats(&after)
	// Checked against the OpenAPI document afterwards, as send would.
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := checkDocumented(req, []byte(body), res); err != nil {
		ts.t.Error(err)
	}
	return res, after.TotalAlloc - before.TotalAlloc
}

// hostileCheck asserts the answer's status, that it is a short JSON error
// (the body is not echoed back) and that the request stayed under the bound.
func hostileCheck(t *testing.T, res *response, alloc uint64, status int) map[string]any {
	t.Helper()
	res.wantStatus(status)
	if len(res.Body) > 1024 {
		t.Errorf("answer of %d bytes to a hostile body: %.200s...", len(res.Body), res.Body)
	}
	m := res.json()
	if status >= 400 {
		if s, ok := m["error"].(string); !ok || s == "" {
			t.Errorf("no error message: %s", res.Body)
		}
	}
	if alloc > hostileAllocBound {
		t.Errorf("the request allocated %.1f MiB, bound %d MiB", float64(alloc)/(1<<20), hostileAllocBound>>20)
	}
	return m
}

// hostileServer is a server with one client logged in, and what must not
// change: the client's record and the number of clients.
type hostileServer struct {
	*testServer
	secret  string
	token   string
	record  string
	clients int
}

func newHostileServer(t *testing.T) *hostileServer {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secret := ts.createClient("hostile_client", "hostile@example.com")
	hs := &hostileServer{testServer: ts, secret: secret, token: ts.login("hostile_client", secret)}
	hs.record = string(ts.admin("GET", "/admin/clients/hostile_client", "").wantStatus(200).Body)
	hs.clients = ts.countClients()
	return hs
}

// unchanged asserts that nothing was stored: same client count, same record,
// and the client's token still works.
func (hs *hostileServer) unchanged(t *testing.T) {
	t.Helper()
	ts := hs.with(t)
	if n := ts.countClients(); n != hs.clients {
		t.Errorf("client count changed from %d to %d", hs.clients, n)
	}
	if got := string(ts.admin("GET", "/admin/clients/hostile_client", "").wantStatus(200).Body); got != hs.record {
		t.Errorf("client changed:\nbefore %s\nafter  %s", hs.record, got)
	}
	ts.do("GET", "/auth/validate", hs.token, "").wantStatus(200)
}

// hostileEndpoints are the endpoints that decode a JSON body, with the token
// each needs ("admin", "client" or none).
var hostileEndpoints = []struct{ method, path, token string }{
	{"POST", "/admin/clients", "admin"},
	{"PUT", "/admin/clients/hostile_client", "admin"},
	{"PUT", "/secure/client", "client"},
	{"POST", "/auth/login", ""},
	{"POST", "/auth/admin/login", ""},
	{"POST", "/auth/change-secret", "client"},
	{"POST", "/auth/admin/change-password", "admin"},
	{"POST", "/auth/verify", ""},
}

func (hs *hostileServer) tokenFor(kind string) string {
	return map[string]string{"admin": hs.adminToken, "client": hs.token}[kind]
}

// TestHostileNesting: 60 KiB of nesting, to every JSON endpoint, is a 400
// JSON error that stores nothing, and is refused without a spike in memory.
func TestHostileNesting(t *testing.T) {
	hs := newHostileServer(t)
	bodies := []struct{ name, body string }{
		{"Arrays", strings.Repeat("[", hostileSize)},
		{"Objects", strings.Repeat(`{"a":`, hostileSize/5)},
		// Nesting in a member no endpoint reads, which the decoder must skip.
		{"ArraysInUnknownMember", `{"a":` + strings.Repeat("[", hostileSize-5)},
		// Nesting inside a member the endpoint reads, and closed, so that the
		// decoder cannot stop at the first byte.
		{"ObjectsInMember", `{"clientMeta":` + strings.Repeat(`{"a":`, (hostileSize-32)/6) + `1` +
			strings.Repeat(`}`, (hostileSize-32)/6) + `}`},
	}
	for _, b := range bodies {
		for _, e := range hostileEndpoints {
			t.Run(b.name+e.method+strings.ReplaceAll(e.path, "/", "_"), func(t *testing.T) {
				ts := hs.with(t)
				res, alloc := hostileDo(ts, e.method, e.path, hs.tokenFor(e.token), b.body)
				t.Logf("%s %s with %d bytes of %s: %d, %.2f MiB allocated: %s",
					e.method, e.path, len(b.body), b.name, res.Status, float64(alloc)/(1<<20), res.Body)
				m := hostileCheck(t, res, alloc, 400)
				if d, _ := m["details"].(string); d != "nested deeper than 32 levels" {
					t.Errorf("details = %q, want the nesting limit named", d)
				}
				hs.unchanged(t)
			})
		}
	}
}

// TestHostileLongStrings: 60 KiB strings where short ones belong are refused
// with the right status and field, and store nothing.
func TestHostileLongStrings(t *testing.T) {
	hs := newHostileServer(t)
	long := strings.Repeat("a", hostileSize)
	body := func(v map[string]any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	newClient := func(id, notes, fullName string) string {
		return body(map[string]any{
			"clientId": id, "agentId": "agent_1", "twilioPhoneNumber": "+18001234567",
			"clientMeta": map[string]string{"fullName": fullName, "email": "new@example.com", "phone": "+12125551234", "notes": notes},
		})
	}
	tests := []struct {
		name, method, path, token, body string
		status                          int
		field                           string // the field the 400 names, if any
	}{
		{"CreateNotes", "POST", "/admin/clients", "admin", newClient("new_client", long, "New Client"), 400, "clientMeta.notes"},
		{"CreateFullName", "POST", "/admin/clients", "admin", newClient("new_client", "", long), 400, "clientMeta.fullName"},
		{"CreateClientID", "POST", "/admin/clients", "admin", newClient(long, "", "New Client"), 400, "clientId"},
		{"CreateSecret", "POST", "/admin/clients", "admin", strings.Replace(newClient("new_client", "", "New Client"),
			`{`, `{"clientSecret":"`+long+`",`, 1), 400, "clientSecret"},
		{"UpdateNotes", "PUT", "/admin/clients/hostile_client", "admin", body(map[string]any{"clientMeta": map[string]string{"notes": long}}), 400, "clientMeta.notes"},
		{"SecureUpdateNotes", "PUT", "/secure/client", "client", body(map[string]any{"clientMeta": map[string]string{"notes": long}}), 400, "clientMeta.notes"},
		{"LoginSecret", "POST", "/auth/login", "", body(map[string]any{"clientId": "hostile_client", "clientSecret": long}), 401, ""},
		{"LoginClientID", "POST", "/auth/login", "", body(map[string]any{"clientId": long, "clientSecret": "whatever-it-may-be"}), 401, ""},
		{"AdminLoginPassword", "POST", "/auth/admin/login", "", body(map[string]any{"username": adminUsername, "password": long}), 401, ""},
		{"AdminLoginUsername", "POST", "/auth/admin/login", "", body(map[string]any{"username": long, "password": adminPassword}), 401, ""},
		{"ChangeSecretCurrent", "POST", "/auth/change-secret", "client", body(map[string]any{"currentSecret": long, "newSecret": "a-brand-new-secret-1234"}), 401, ""},
		{"ChangeSecretNew", "POST", "/auth/change-secret", "client", body(map[string]any{"currentSecret": hs.secret, "newSecret": long}), 400, "newSecret"},
		{"VerifyToken", "POST", "/auth/verify", "", body(map[string]any{"token": long}), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := hs.with(t)
			if len(tt.body) >= httpserver.BodyLimit {
				t.Fatalf("body of %d bytes is over the limit", len(tt.body))
			}
			res, alloc := hostileDo(ts, tt.method, tt.path, hs.tokenFor(tt.token), tt.body)
			t.Logf("%s %s with a %d-byte string: %d, %.2f MiB allocated: %s",
				tt.method, tt.path, len(long), res.Status, float64(alloc)/(1<<20), res.Body)
			m := hostileCheck(t, res, alloc, tt.status)
			if tt.field != "" {
				fields, _ := m["fields"].(map[string]any)
				if msg, _ := fields[tt.field].(string); msg == "" {
					t.Errorf("the 400 does not name %s: %s", tt.field, res.Body)
				}
			}
			if tt.field == "clientMeta.notes" {
				res.wantFields(map[string]any{"details": "clientMeta.notes is too long (at most 2000 characters)"})
			}
			if tt.name == "VerifyToken" {
				res.wantFields(map[string]any{"valid": false})
			}
			hs.unchanged(t)
		})
	}
}

// TestHostileTooLarge: a body over httpserver.BodyLimit gets 413 at every JSON
// endpoint. It needs a real listener: app.Test does not apply the limit.
func TestHostileTooLarge(t *testing.T) {
	hs := newHostileServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.app.Listener(ln)
	t.Cleanup(func() { hs.app.Shutdown() })

	for _, e := range hostileEndpoints {
		t.Run(e.method+strings.ReplaceAll(e.path, "/", "_"), func(t *testing.T) {
			res := headersOnly(t, ln.Addr().String(), e.method, e.path, hs.tokenFor(e.token), httpserver.BodyLimit+1)
			res.wantStatus(413).wantBody(`{"error":"Request body too large"}`)
			hs.unchanged(t)
		})
	}
}
