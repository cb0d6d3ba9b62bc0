package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

const (
	adminUsername = "admin"
	adminPassword = "correct-horse-battery"
)

// testServer is the real app over a real store, as cmd wires it, with bcrypt
// at its minimum cost so tests stay fast.
type testServer struct {
	t     testing.TB
	app   *httpserver.App
	svc   *auth.Service
	store switchboard.ClientService
	log   *syncBuffer

	adminToken string
	// undocumented turns off the check of each response against the
	// OpenAPI document (checkDocumented), for a test that sends what no
	// documented route matches.
	undocumented bool
}

// syncBuffer is a log sink that handlers may write from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestServer(t testing.TB, s *store.Store) *testServer {
	t.Helper()
	return newTestServerWith(t, s, s)
}

// newTestServerWith serves clients from clients (a mock, say) while admins
// and tokens stay in s.
func newTestServerWith(t testing.TB, s *store.Store, clients switchboard.ClientService) *testServer {
	t.Helper()
	hasher, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewSigner([]byte("test-server-secret-of-at-least-32-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &auth.Service{
		Clients: clients, Admins: s, Tokens: s, MFA: s, Settings: s, Hasher: hasher, Signer: signer,
		Throttle:      auth.NewThrottle(s, []byte("test-server-secret-of-at-least-32-bytes"), auth.DefaultThrottlePolicy),
		AdminTokenTTL: time.Hour,
	}
	if _, err := svc.EnsureAdmin(context.Background(), adminUsername, adminPassword); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	app := httpserver.New(httpserver.Config{Log: log})
	(&api.Server{Auth: svc, Clients: clients, Events: s, Ping: s.Ping, Ready: s.Ready, Log: log}).Register(app)
	ts := &testServer{t: t, app: app, svc: svc, store: clients, log: logs}
	res := ts.do("POST", "/auth/admin/login", "", `{"username":"`+adminUsername+`","password":"`+adminPassword+`"}`)
	res.wantStatus(200)
	ts.adminToken = res.str("token")
	return ts
}

// with returns ts reporting to t, for use inside a subtest.
func (ts *testServer) with(t testing.TB) *testServer {
	c := *ts
	c.t = t
	return &c
}

// unrouted returns ts without the check against the OpenAPI document, for
// requests to routes the app does not have.
func (ts *testServer) unrouted() *testServer {
	c := *ts
	c.undocumented = true
	return &c
}

// response is what a request got back.
type response struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request through the Fiber app, with a Bearer token when token
// is not empty and a JSON body when body is not empty.
func (ts *testServer) do(method, path, token, body string) *response {
	ts.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return ts.send(req)
}

// send sends req through the Fiber app as it is.
func (ts *testServer) send(req *http.Request) *response {
	ts.t.Helper()
	reqBody := []byte{}
	if req.Body != nil && !ts.undocumented {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			ts.t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := ts.app.Test(req, -1)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	out := &response{t: ts.t, Status: res.StatusCode, Header: res.Header, Body: b}
	if !ts.undocumented {
		if err := checkDocumented(req, reqBody, out); err != nil {
			ts.t.Error(err)
		}
	}
	return out
}

// admin sends a request with the admin token.
func (ts *testServer) admin(method, path, body string) *response {
	ts.t.Helper()
	return ts.do(method, path, ts.adminToken, body)
}

// signInMember stores an admin of role in s and returns its token.
func (ts *testServer) signInMember(s *store.Store, username string, role switchboard.Role) string {
	ts.t.Helper()
	const password = "team-member-password"
	hash, err := ts.svc.Hasher.Hash(password)
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := s.CreateAdmin(context.Background(), &switchboard.Admin{Username: username, PasswordHash: hash, Role: role}); err != nil {
		ts.t.Fatal(err)
	}
	return ts.do("POST", "/auth/admin/login", "", `{"username":"`+username+`","password":"`+password+`"}`).wantStatus(200).str("token")
}

// createClient creates a client through the API and returns its secret.
func (ts *testServer) createClient(id, email string) string {
	ts.t.Helper()
	res := ts.admin("POST", "/admin/clients", clientJSON(id, email))
	res.wantStatus(201)
	return res.str("client.clientSecret")
}

// login signs a client in and returns its token.
func (ts *testServer) login(id, secret string) string {
	ts.t.Helper()
	res := ts.do("POST", "/auth/login", "", `{"clientId":"`+id+`","clientSecret":"`+secret+`"}`)
	res.wantStatus(200)
	return res.str("token")
}

// countClients counts every stored client, to prove a refused request wrote nothing.
func (ts *testServer) countClients() int {
	ts.t.Helper()
	_, n, err := ts.store.FindClients(context.Background(), switchboard.ClientFilter{})
	if err != nil {
		ts.t.Fatal(err)
	}
	return n
}

// clientJSON is a valid create body; every client gets its own email.
func clientJSON(id, email string) string {
	return `{"clientId":"` + id + `","clientMeta":{"fullName":"Test Client","email":"` + email +
		`","phone":"+12125551234"},"agentId":"agent_1","twilioPhoneNumber":"+18001234567"}`
}

func (r *response) wantStatus(want int) *response {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// json decodes the body.
func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// get returns the value at a dotted path ("client.clientMeta.email"). Keys
// that hold dots themselves ("fields.clientMeta.phone") are found too.
func (r *response) get(path string) any {
	r.t.Helper()
	v, ok := lookup(r.json(), path)
	if !ok {
		r.t.Fatalf("no %q in %s", path, r.Body)
	}
	return v
}

func lookup(v any, path string) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if got, ok := m[path]; ok {
		return got, true
	}
	for i := range path {
		if path[i] == '.' {
			if next, ok := m[path[:i]]; ok {
				if got, ok := lookup(next, path[i+1:]); ok {
					return got, true
				}
			}
		}
	}
	return nil, false
}

func (r *response) str(path string) string {
	r.t.Helper()
	s, ok := r.get(path).(string)
	if !ok || s == "" {
		r.t.Fatalf("%q is not a non-empty string in %s", path, r.Body)
	}
	return s
}

// wantBody asserts the body is exactly the JSON want: same keys, same values.
func (r *response) wantBody(want string) *response {
	r.t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		r.t.Fatalf("bad want JSON: %v", err)
	}
	if got := r.json(); !reflect.DeepEqual(any(got), w) {
		r.t.Fatalf("body = %s\nwant   %s", r.Body, want)
	}
	return r
}

// wantFields asserts each dotted path holds the given value; other keys may exist.
func (r *response) wantFields(want map[string]any) *response {
	r.t.Helper()
	for path, w := range want {
		if got := r.get(path); !reflect.DeepEqual(got, w) {
			r.t.Errorf("%s = %#v, want %#v (body %s)", path, got, w, r.Body)
		}
	}
	return r
}

// headersOnly sends a request line and headers that announce a body of
// length bytes, sends none of it, and returns the answer: the way to see a
// server refuse a body by its declared size without racing its close against
// the client's writes. It needs a real listener at addr.
func headersOnly(t testing.TB, addr, method, path, token string, length int) *response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n",
		method, path, addr, length)
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s with a declared %d-byte body: %v", method, path, length, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &response{t: t, Status: res.StatusCode, Header: res.Header, Body: b}
	if err := checkDocumented(httptest.NewRequest(method, path, nil), nil, out); err != nil {
		t.Error(err)
	}
	return out
}
