package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests build the real binary once per test-binary run and
// drive it over HTTP, the way a deployment and its clients would.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// raceEnabled reports whether this test binary was built with -race; the
// server binary then is too, so the end-to-end run checks the server for
// data races as well.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// binary returns the path of the built switchboard command.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("go tool not found: %w", err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "switchboard-e2e-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "switchboard")
		args := []string{"build", "-o", binPath}
		if raceEnabled() {
			args = append(args, "-race")
		}
		began := time.Now()
		cmd := exec.Command(goTool, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		t.Logf("go %s took %v", strings.Join(cmd.Args[1:], " "), time.Since(began).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// testContext bounds a test by its -timeout deadline (less a margin for the
// report) or two minutes.
func testContext(t *testing.T) context.Context {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-10*time.Second).Before(deadline) {
		deadline = d.Add(-10 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// stream collects a process's output as it arrives and lets a test wait for
// a pattern in it.
type stream struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newStream() *stream { return &stream{changed: make(chan struct{})} }

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor returns the submatches of the first match of re in the stream,
// waiting for it until ctx ends or exited is closed.
func (s *stream) waitFor(ctx context.Context, exited <-chan struct{}, re *regexp.Regexp) ([]string, error) {
	for {
		s.mu.Lock()
		m := re.FindStringSubmatch(s.buf.String())
		changed := s.changed
		s.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-exited:
			// The process is gone, but its last output may still be arriving
			// through the pipe; the copy is over once done is closed.
			if m := re.FindStringSubmatch(s.String()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("process exited before printing %q", re)
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %q: %w", re, ctx.Err())
		}
	}
}

// server is one running switchboard process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:NNNN
	stdout *stream
	stderr *stream
	done   chan struct{} // closed when the process has exited and its output is read
	err    error         // cmd.Wait's result, set before done is closed
	http   *http.Client
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(http://\S+)`)

// startServer runs the binary with exactly env (nothing of the test's own
// environment leaks in) and waits until it listens and answers /healthz.
func startServer(ctx context.Context, t *testing.T, env map[string]string) *server {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary(t), "serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if raceEnabled() {
		// 66 marks a race at exit; the default one-second sleep at exit
		// would only slow the restarts down.
		cmd.Env = append(cmd.Env, "GORACE=exitcode=66 atexit_sleep_ms=0")
	}
	cmd.WaitDelay = 5 * time.Second
	s := &server{t: t, cmd: cmd, stdout: newStream(), stderr: newStream(), done: make(chan struct{}),
		http: &http.Client{Timeout: 20 * time.Second}}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var copying sync.WaitGroup
	copying.Add(2)
	go func() { defer copying.Done(); io.Copy(s.stdout, outPipe) }()
	go func() { defer copying.Done(); io.Copy(s.stderr, errPipe) }()
	go func() {
		copying.Wait() // Wait closes the pipes, so read them to the end first
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		s.http.CloseIdleConnections()
	})

	m, err := s.stderr.waitFor(ctx, s.done, listeningLine)
	if err != nil {
		t.Fatalf("server did not start: %v\nstderr:\n%s\nstdout:\n%s", err, s.stderr, s.stdout)
	}
	s.base = m[1]
	// The port is bound before the line is logged, so this should answer at
	// once; the bounded loop only absorbs a slow scheduler.
	for i := 0; ; i++ {
		resp, err := s.http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 50 {
			t.Fatalf("GET /healthz never answered: %v\nstderr:\n%s", err, s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// stop sends SIGTERM and returns the exit code once the process has exited.
func (s *server) stop(ctx context.Context) int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		s.t.Fatalf("server did not exit after SIGTERM: %v\nstderr:\n%s", ctx.Err(), s.stderr)
	}
	return s.cmd.ProcessState.ExitCode()
}

// response is one HTTP answer: status, headers, the raw body and, when it is
// a JSON object, the decoded body.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// do sends a request with a JSON body (a string is sent as is) and an
// optional bearer token.
func (s *server) do(method, path, token string, body any) response {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		s.t.Fatalf("%s %s: %d, body is not a JSON object: %v\n%s", method, path, resp.StatusCode, err, raw)
	}
	return out
}

// expect fails the test unless the response has the status; it returns the
// response for chaining.
func (r response) expect(t *testing.T, what string, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.raw)
	}
	return r
}

// get returns the value at a dotted path in the body ("client.clientMeta.email").
func (r response) get(path string) any {
	var v any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str returns the string at path, failing the test if it is not a non-empty string.
func (r response) str(t *testing.T, path string) string {
	t.Helper()
	s, ok := r.get(path).(string)
	if !ok || s == "" {
		t.Fatalf("%s is %#v, want a non-empty string; body %s", path, r.get(path), r.raw)
	}
	return s
}

// fields checks that each dotted path holds the wanted value.
func (r response) fields(t *testing.T, what string, want map[string]any) {
	t.Helper()
	for _, path := range slices.Sorted(mapKeys(want)) {
		if got := r.get(path); !reflect.DeepEqual(got, want[path]) {
			t.Errorf("%s: %s = %#v, want %#v", what, path, got, want[path])
		}
	}
}

// keys checks that the object at path (the body for "") has exactly these keys.
func (r response) keys(t *testing.T, what, path string, want ...string) {
	t.Helper()
	v := any(r.body)
	if path != "" {
		v = r.get(path)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: %s is %#v, want an object", what, path, v)
		return
	}
	got := slices.Sorted(mapKeys(m))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: keys of %q are %v, want %v", what, path, got, want)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// createBody is the create request of README.md's walkthrough (step 2), byte
// for byte: the client-account document's example.
const createBody = `{
    "clientId": "client_unique_id",
    "clientSecret": "client_secure_secret_key",
    "clientMeta": {
      "fullName": "John Doe",
      "email": "john@example.com",
      "phone": "+12125551234",
      "businessName": "Acme Corp",
      "city": "New York",
      "jobTitle": "CEO",
      "notes": "Prefers morning calls"
    },
    "agentId": "agent_id_here",
    "twilioPhoneNumber": "+18001234567",
    "status": "Active"
  }`

const (
	clientID     = "client_unique_id"
	clientSecret = "client_secure_secret_key"
	adminPass    = "a-long-admin-password"
)

// documentClient is the record the document's request creates, as every
// full client view must show it.
var documentClient = map[string]any{
	"client.clientId":                clientID,
	"client.status":                  "Active",
	"client.agentId":                 "agent_id_here",
	"client.twilioPhoneNumber":       "+18001234567",
	"client.clientMeta.fullName":     "John Doe",
	"client.clientMeta.email":        "john@example.com",
	"client.clientMeta.phone":        "+12125551234",
	"client.clientMeta.businessName": "Acme Corp",
	"client.clientMeta.city":         "New York",
	"client.clientMeta.jobTitle":     "CEO",
	"client.clientMeta.notes":        "Prefers morning calls",
}

// ownView is the record as the client reads it: without the
// administrator's notes (README, "Secure").
func ownView(want map[string]any) map[string]any {
	out := unwrapped(want)
	delete(out, "clientMeta.notes")
	return out
}

// unwrapped returns want with the "client." prefix dropped, for responses
// that are the record itself.
func unwrapped(want map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range want {
		out[strings.TrimPrefix(k, "client.")] = v
	}
	return out
}

var apiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

const invalidCredentials = "Invalid credentials or inactive client"

// TestEndToEnd runs README.md's walkthrough (see its "API" section) against
// the built binary: an administrator signs in, creates the walkthrough's
// client, the client signs in and reads its record; suspension,
// reactivation and a secret reset take effect on tokens at once; and after a
// graceful restart on the same database, tokens issued before it still work.
func TestEndToEnd(t *testing.T) {
	binary(t) // build first, so the timings below are the run's own
	ctx := testContext(t)
	start := time.Now()
	db := filepath.Join(t.TempDir(), "sb.db")
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": db, "SECRET_HASH_COST": "4",
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
	}
	srv := startServer(ctx, t, env)
	// secrets collects every credential of the run, none of which may be logged.
	secrets := map[string]string{"client secret": clientSecret, "admin password": adminPass}

	// Health.
	r := srv.do("GET", "/healthz", "", nil).expect(t, "GET /healthz", 200)
	r.fields(t, "GET /healthz", map[string]any{"status": "ok"})

	// The administrator signs in.
	r = srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login", 200)
	r.fields(t, "admin login", map[string]any{"success": true, "admin.username": "admin"})
	adminToken := r.str(t, "token")
	secrets["admin token"] = adminToken

	// ... and creates the document's client.
	r = srv.do("POST", "/admin/clients", adminToken, createBody).expect(t, "create client", 201)
	r.fields(t, "create client", documentClient)
	r.fields(t, "create client", map[string]any{
		"message":             "Client created successfully",
		"client.clientSecret": clientSecret,
	})
	for _, k := range []string{"client.createdAt", "client.updatedAt"} {
		ts := r.str(t, k)
		if !apiTime.MatchString(ts) {
			t.Errorf("create client: %s = %q, want the form 2025-03-20T12:00:00.000Z", k, ts)
		} else if at, _ := time.Parse(time.RFC3339, ts); at.Before(start.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
			t.Errorf("create client: %s = %q, not the time of the request", k, ts)
		}
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("create client: Cache-Control %q on a response with a secret, want no-store", cc)
	}
	createdAt := r.get("client.createdAt")

	// A second create with the same email is the document's 409.
	dup := strings.Replace(createBody, `"client_unique_id"`, `"client_other_id"`, 1)
	r = srv.do("POST", "/admin/clients", adminToken, dup).expect(t, "duplicate client", 409)
	r.fields(t, "duplicate client", map[string]any{"error": "Client already exists with this ID or email"})

	// The client signs in with the document's credentials.
	login := map[string]string{"clientId": clientID, "clientSecret": clientSecret}
	r = srv.do("POST", "/auth/login", "", login).expect(t, "client login", 200)
	r.fields(t, "client login", map[string]any{
		"success":                        true,
		"client.clientId":                clientID,
		"client.status":                  "Active",
		"client.twilioPhoneNumber":       "+18001234567",
		"client.agentId":                 "agent_id_here",
		"client.clientMeta.fullName":     "John Doe",
		"client.clientMeta.businessName": "Acme Corp",
		"client.clientMeta.email":        "john@example.com",
	})
	r.keys(t, "client login", "", "success", "token", "client")
	r.keys(t, "client login", "client", "clientId", "status", "twilioPhoneNumber", "agentId", "clientMeta")
	r.keys(t, "client login", "client.clientMeta", "fullName", "businessName", "email")
	clientToken := r.str(t, "token")
	secrets["client token"] = clientToken

	// Missing fields are the document's 400.
	r = srv.do("POST", "/auth/login", "", map[string]string{"clientId": clientID}).expect(t, "login without secret", 400)
	r.fields(t, "login without secret", map[string]any{
		"error": "Missing required fields", "requiredFields": []any{"clientId", "clientSecret"},
	})

	// The client reads its record; the secret is not in it.
	secureClient := func(what, token string, status int) response {
		t.Helper()
		r := srv.do("GET", "/secure/client", token, nil).expect(t, what, status)
		if strings.Contains(r.raw, "clientSecret") || strings.Contains(r.raw, clientSecret) {
			t.Errorf("%s: body carries the secret: %s", what, r.raw)
		}
		return r
	}
	r = secureClient("GET /secure/client", clientToken, 200)
	r.fields(t, "GET /secure/client", ownView(documentClient))
	if strings.Contains(r.raw, "notes") {
		t.Errorf("GET /secure/client shows the administrator's notes: %s", r.raw)
	}
	r.fields(t, "GET /secure/client", map[string]any{"createdAt": createdAt})
	secureClient("GET /secure/client without a token", "", 401)
	// An admin token is not a client token, nor the other way round.
	secureClient("GET /secure/client with the admin token", adminToken, 403)
	srv.do("GET", "/admin/clients", clientToken, nil).expect(t, "GET /admin/clients with a client token", 403)

	// Suspension ends the client's access at once ...
	r = srv.do("PUT", "/admin/clients/"+clientID, adminToken, map[string]string{"status": "Suspended"}).
		expect(t, "suspend", 200)
	r.fields(t, "suspend", map[string]any{"message": "Client updated successfully", "client.status": "Suspended"})
	secureClient("GET /secure/client while suspended", clientToken, 401)
	r = srv.do("POST", "/auth/login", "", login).expect(t, "login while suspended", 401)
	if !reflect.DeepEqual(r.body, map[string]any{"error": invalidCredentials}) {
		t.Errorf("login while suspended: body %s, want {\"error\":%q}", r.raw, invalidCredentials)
	}
	// ... and reactivation restores it, for the token issued before.
	r = srv.do("PUT", "/admin/clients/"+clientID, adminToken, map[string]string{"status": "Active"}).
		expect(t, "reactivate", 200)
	r.fields(t, "reactivate", map[string]any{"client.status": "Active"})
	secureClient("GET /secure/client after reactivation", clientToken, 200)

	// A reset shows the new secret once and ends the old secret's tokens.
	r = srv.do("POST", "/admin/clients/"+clientID+"/reset-secret", adminToken, nil).expect(t, "reset secret", 200)
	r.fields(t, "reset secret", map[string]any{"message": "Client secret reset successfully", "client.clientId": clientID})
	r.keys(t, "reset secret", "", "message", "client")
	r.keys(t, "reset secret", "client", "clientId", "clientSecret")
	newSecret := r.str(t, "client.clientSecret")
	if newSecret == clientSecret {
		t.Fatal("reset secret returned the old secret")
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("reset secret: Cache-Control %q on a response with a secret, want no-store", cc)
	}
	secrets["new client secret"] = newSecret
	secureClient("GET /secure/client with the token from before the reset", clientToken, 401)
	r = srv.do("POST", "/auth/login", "", login).expect(t, "login with the old secret", 401)
	r.fields(t, "login with the old secret", map[string]any{"error": invalidCredentials})
	r = srv.do("POST", "/auth/login", "", map[string]string{"clientId": clientID, "clientSecret": newSecret}).
		expect(t, "login with the new secret", 200)
	r.fields(t, "login with the new secret", map[string]any{"success": true, "client.clientId": clientID})
	newToken := r.str(t, "token")
	secrets["new client token"] = newToken
	secureClient("GET /secure/client with the new token", newToken, 200)

	// A graceful restart: SIGTERM, exit 0, then the same database on a new port.
	stopStart := time.Now()
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	t.Logf("graceful shutdown took %v", time.Since(stopStart).Round(time.Millisecond))
	if !strings.Contains(srv.stderr.String(), "msg=\"shutting down\"") {
		t.Errorf("no shutdown line in the log:\n%s", srv.stderr)
	}
	srv2 := startServer(ctx, t, env)
	if srv2.base == srv.base {
		t.Logf("note: the restarted server got the same address %s", srv2.base)
	}
	// The signing secret was generated once and kept in the database, so
	// tokens from before the restart still verify.
	r = srv2.do("GET", "/secure/client", newToken, nil).expect(t, "GET /secure/client after restart", 200)
	r.fields(t, "GET /secure/client after restart", ownView(documentClient))
	r = srv2.do("GET", "/admin/clients", adminToken, nil).expect(t, "GET /admin/clients after restart", 200)
	r.fields(t, "GET /admin/clients after restart", map[string]any{"total": 1.0, "count": 1.0})
	if cl, _ := r.get("clients").([]any); len(cl) != 1 || cl[0].(map[string]any)["clientId"] != clientID {
		t.Errorf("GET /admin/clients after restart: clients %v, want the one client", r.get("clients"))
	}
	if strings.Contains(r.raw, "clientSecret") || strings.Contains(r.raw, newSecret) {
		t.Errorf("GET /admin/clients carries a secret: %s", r.raw)
	}
	// The token from before the reset stays dead across the restart too.
	srv2.do("GET", "/secure/client", clientToken, nil).expect(t, "old token after restart", 401)
	if code := srv2.stop(ctx); code != 0 {
		t.Errorf("second run: exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv2.stderr)
	}

	// Nothing secret was logged or printed. The log must have the request
	// lines, or its silence proves nothing.
	logs := srv.stderr.String() + srv2.stderr.String()
	for _, want := range []string{"msg=request", "path=/auth/login", "path=/admin/clients"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no %q; captured:\n%s", want, logs)
		}
	}
	output := logs + srv.stdout.String() + srv2.stdout.String()
	for what, s := range secrets {
		if strings.Contains(output, s) {
			t.Errorf("the %s appears in the server's output", what)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
	if out := srv.stdout.String() + srv2.stdout.String(); out != "" {
		t.Errorf("stdout with ADMIN_PASSWORD set: %q, want nothing", out)
	}
	t.Logf("end-to-end flow took %v", time.Since(start).Round(time.Millisecond))
}

var generatedPassword = regexp.MustCompile(`shown only this once:\s*\n\s*(\S+)\s*\n`)

// TestEndToEnd_GeneratedAdmin checks the first start without ADMIN_PASSWORD:
// an admin is created with a generated password, printed once on stdout and
// never logged, which signs in; later starts on that database print nothing.
func TestEndToEnd_GeneratedAdmin(t *testing.T) {
	ctx := testContext(t)
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": filepath.Join(t.TempDir(), "sb.db"), "SECRET_HASH_COST": "4",
	}
	srv := startServer(ctx, t, env)
	m, err := srv.stdout.waitFor(ctx, srv.done, generatedPassword)
	if err != nil {
		t.Fatalf("no generated password on stdout: %v\nstdout:\n%s", err, srv.stdout)
	}
	password := m[1]
	if !strings.Contains(srv.stdout.String(), `Created admin "admin"`) {
		t.Errorf("stdout does not name the admin:\n%s", srv.stdout)
	}
	if len(password) < 32 {
		t.Errorf("generated password %d characters long, want at least 32", len(password))
	}
	login := map[string]string{"username": "admin", "password": password}
	r := srv.do("POST", "/auth/admin/login", "", login).expect(t, "admin login with the generated password", 200)
	r.fields(t, "admin login with the generated password", map[string]any{"success": true, "admin.username": "admin"})
	token := r.str(t, "token")
	srv.do("GET", "/admin/clients", token, nil).expect(t, "GET /admin/clients", 200)
	srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": "not-the-password"}).
		expect(t, "admin login with a wrong password", 401)
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	if n := strings.Count(srv.stdout.String(), password); n != 1 {
		t.Errorf("the password appears %d times on stdout, want once", n)
	}

	// The next start on the same database prints no password, and the
	// generated one still signs in.
	srv2 := startServer(ctx, t, env)
	srv2.do("POST", "/auth/admin/login", "", login).expect(t, "admin login after restart", 200)
	if code := srv2.stop(ctx); code != 0 {
		t.Fatalf("second run: exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv2.stderr)
	}
	if out := srv2.stdout.String(); out != "" {
		t.Errorf("second start printed %q, want nothing", out)
	}

	logs := srv.stderr.String() + srv2.stderr.String()
	for what, s := range map[string]string{"generated password": password, "admin token": token} {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the log", what)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
}
