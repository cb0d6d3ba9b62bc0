package main

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// The calls end to end: the real binary, pointed at the fake ElevenLabs
// (elevenlabstest) over HTTP, or simulating calls by itself.

const (
	e2eWebhookSecret = "wsec_e2e_0123456789abcdef"
	e2eCallee        = "+12125550199"
)

// callsFake is a fake ElevenLabs that knows the walkthrough client's agent
// and has its number imported, able to call out.
func callsFake(t *testing.T) *elevenlabstest.Fake {
	return elevenlabstest.New(t,
		elevenlabstest.WithAgent("agent_id_here", "Sales agent"),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{
			Number: "+18001234567", ID: "pn_e2e", SupportsOutbound: true, AssignedAgentID: "agent_id_here",
		}))
}

// callsEnv is the environment of a server on the SQLite file db, calling
// through fake (nil: simulating calls).
func callsEnv(db string, fake *elevenlabstest.Fake) map[string]string {
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": db, "SECRET_HASH_COST": "4",
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
	}
	if fake == nil {
		env["SIMULATE_CALLS"] = "1"
	} else {
		env["ELEVENLABS_API_KEY"], env["ELEVENLABS_API_URL"], env["ELEVENLABS_WEBHOOK_SECRET"] = fake.Key, fake.URL, e2eWebhookSecret
	}
	return env
}

// signInBoth signs the admin in, creates the walkthrough's client and signs
// it in; it returns both tokens.
func signInBoth(t *testing.T, srv *server) (adminToken, clientToken string) {
	t.Helper()
	r := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login", 200)
	adminToken = r.str(t, "token")
	srv.do("POST", "/admin/clients", adminToken, createBody).expect(t, "create client", 201)
	r = srv.do("POST", "/auth/login", "", map[string]string{"clientId": clientID, "clientSecret": clientSecret}).
		expect(t, "client login", 200)
	return adminToken, r.str(t, "token")
}

// TestEndToEnd_Calls: a client places a call through the binary, the fake
// ElevenLabs gets the one POST it should, then posts the signed
// post-call webhook; the call shows its outcome and transcript, and the
// statistics count it.
func TestEndToEnd_Calls(t *testing.T) {
	binary(t)
	ctx := testContext(t)
	start := time.Now()
	fake := callsFake(t)
	srv := startServer(ctx, t, callsEnv(filepath.Join(t.TempDir(), "sb.db"), fake))
	// Logged just after the listening line startServer waited for.
	if _, err := srv.stderr.waitFor(ctx, srv.done, regexp.MustCompile(`msg="calling through ElevenLabs" api=`+regexp.QuoteMeta(fake.URL))); err != nil {
		t.Errorf("the start-up log does not say calls go through the fake: %v\n%s", err, srv.stderr)
	}
	adminToken, token := signInBoth(t, srv)

	r := srv.do("POST", "/secure/make-call", token, map[string]any{
		"phone": e2eCallee, "firstMessage": "Hello, this is Acme Corp.", "dynamicVariables": map[string]any{"order": "A-17"},
	}).expect(t, "make-call", 200)
	r.fields(t, "make-call", map[string]any{"success": true, "message": "Call initiated successfully"})
	callID, conv := r.str(t, "callId"), r.str(t, "conversationId")
	r.str(t, "callSid")
	r.str(t, "requestId")

	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("ElevenLabs got %d calls, want 1", len(calls))
	}
	got := calls[0]
	if got.APIKey != fake.Key || got.Call.AgentID != "agent_id_here" || got.Call.AgentPhoneNumberID != "pn_e2e" || got.Call.ToNumber != e2eCallee {
		t.Errorf("ElevenLabs was asked %+v, want agent_id_here from pn_e2e to %s with the key", got.Call, e2eCallee)
	}
	if cd := got.Call.ClientData; cd == nil || cd.DynamicVariables["switchboard_call_id"] != callID ||
		cd.DynamicVariables["full_name"] != "John Doe" || cd.DynamicVariables["order"] != "A-17" ||
		cd.ConfigOverride == nil || cd.ConfigOverride.Agent.FirstMessage != "Hello, this is Acme Corp." {
		t.Errorf("ElevenLabs got the client data %+v", cd)
	}

	path := "/secure/calls/" + callID
	r = srv.do("GET", path, token, nil).expect(t, "GET the call", 200)
	r.fields(t, "GET the call", map[string]any{
		"callId": callID, "status": "initiated", "conversationId": conv, "to": e2eCallee, "from": "+18001234567",
		"agentId": "agent_id_here", "requestedBy": "client", "simulated": false, "outcome": nil, "transcript": []any{},
	})

	// ElevenLabs reports the outcome.
	event := elevenlabstest.TranscriptionEvent(conv)
	webhook := func(what, secret string, status int) {
		t.Helper()
		resp, err := fake.SendWebhook(srv.base+"/webhooks/elevenlabs", secret, event)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, status, body)
		}
	}
	webhook("webhook with a wrong secret", "wsec_not_the_secret_000", 401)
	if r := srv.do("GET", path, token, nil); r.get("status") != "initiated" {
		t.Errorf("a refused webhook changed the call: %s", r.raw)
	}
	webhook("webhook", e2eWebhookSecret, 200)
	done := srv.do("GET", path, token, nil).expect(t, "GET the call after the webhook", 200)
	done.fields(t, "GET the call after the webhook", map[string]any{
		"status": "completed", "outcome": "success", "summary": "The user agreed to a follow-up.", "duration": 42.0,
		"terminationReason": "Call ended by remote party", "error": nil,
		"transcript": []any{
			map[string]any{"role": "agent", "message": "Hello, do you have a minute?", "timeInCallSecs": 0.0},
			map[string]any{"role": "user", "message": "Yes, go ahead.", "timeInCallSecs": 4.0},
		},
	})
	for _, k := range []string{"startTime", "endTime", "updatedAt"} {
		if !apiTime.MatchString(done.str(t, k)) {
			t.Errorf("%s = %q", k, done.get(k))
		}
	}
	// Delivered again: nothing changes.
	webhook("the same webhook again", e2eWebhookSecret, 200)
	if again := srv.do("GET", path, token, nil); !reflect.DeepEqual(again.body, done.body) {
		t.Errorf("a redelivered webhook changed the call:\n%s\nwas\n%s", again.raw, done.raw)
	}

	r = srv.do("GET", "/secure/call-stats", token, nil).expect(t, "call-stats", 200)
	r.fields(t, "call-stats", map[string]any{
		"clientId": clientID, "stats.totalCalls": 1.0, "stats.callsByStatus.completed": 1.0, "stats.callsByStatus.initiated": 0.0,
		"stats.callsByOutcome.success": 1.0, "stats.totalDuration": 42.0, "stats.averageDuration": 42.0,
	})
	r = srv.do("GET", "/secure/calls", token, nil).expect(t, "GET /secure/calls", 200)
	if h, _ := r.get("callHistory").([]any); r.get("total") != 1.0 || len(h) != 1 || h[0].(map[string]any)["callId"] != callID {
		t.Errorf("GET /secure/calls: %s", r.raw)
	}
	srv.do("GET", "/admin/calls/"+callID, adminToken, nil).expect(t, "admin GET the call", 200).
		fields(t, "admin GET the call", map[string]any{"status": "completed", "clientId": clientID})

	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("ElevenLabs got %d calls in all, want 1", n)
	}
	logs := srv.stderr.String()
	for what, s := range map[string]string{"API key": fake.Key, "webhook secret": e2eWebhookSecret} {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the log", what)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}
	t.Logf("calls end to end took %v", time.Since(start).Round(time.Millisecond))
}

var simulatedLine = regexp.MustCompile(`(?m)^.*calling simulated.*$`)

// TestEndToEnd_SimulatedCalls: with SIMULATE_CALLS=1 and no ElevenLabs at
// all, a call reaches its outcome by itself through the server's own
// signed webhook, marked simulated; the start-up log says so once, with
// the webhook URL.
func TestEndToEnd_SimulatedCalls(t *testing.T) {
	binary(t)
	ctx := testContext(t)
	start := time.Now()
	srv := startServer(ctx, t, callsEnv(filepath.Join(t.TempDir(), "sb.db"), nil))
	// Logged just after the listening line startServer waited for.
	if _, err := srv.stderr.waitFor(ctx, srv.done, simulatedLine); err != nil {
		t.Fatalf("no start-up line saying calls are simulated: %v\n%s", err, srv.stderr)
	}
	lines := simulatedLine.FindAllString(srv.stderr.String(), -1)
	if len(lines) != 1 || !strings.Contains(lines[0], "webhook="+srv.base+"/webhooks/elevenlabs") {
		t.Errorf("start-up lines saying calls are simulated: %q, want one with webhook=%s/webhooks/elevenlabs", lines, srv.base)
	}
	_, token := signInBoth(t, srv)
	r := srv.do("POST", "/secure/make-call", token, map[string]any{"phone": e2eCallee}).expect(t, "make-call", 200)
	callID := r.str(t, "callId")

	path := "/secure/calls/" + callID
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = srv.do("GET", path, token, nil).expect(t, "GET the call", 200)
		if r.get("simulated") != true {
			t.Fatalf("a simulated call not marked simulated: %s", r.raw)
		}
		if st := r.get("status"); st == "completed" || st == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulated call did not end within 10 s: %s\nlog:\n%s", r.raw, srv.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.get("status") == "completed" {
		if o := r.get("outcome"); o != "success" && o != "failure" {
			t.Errorf("completed with outcome %v", o)
		}
		if tr, _ := r.get("transcript").([]any); len(tr) < 4 || !strings.HasPrefix(r.str(t, "summary"), "Simulated call") {
			t.Errorf("completed without a transcript or summary: %s", r.raw)
		}
	} else {
		r.str(t, "error")
	}
	srv.do("GET", "/secure/call-stats", token, nil).expect(t, "call-stats", 200).
		fields(t, "call-stats", map[string]any{"stats.totalCalls": 1.0})
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	if logs := srv.stderr.String(); strings.Contains(logs, "simulated webhook") || strings.Contains(logs, "DATA RACE") {
		t.Errorf("the simulated webhook failed, or a race:\n%s", logs)
	}
	t.Logf("simulated call end to end took %v", time.Since(start).Round(time.Millisecond))
}

// TestEndToEnd_CallKilledMidDial: the process is killed (SIGKILL) after it
// stored a call and while ElevenLabs holds its POST. The queued row
// survives; a restart leaves it while it is under a minute old; the
// reconciler, a minute later, fails it as interrupted; and ElevenLabs was
// asked exactly once: nothing is dialled twice.
func TestEndToEnd_CallKilledMidDial(t *testing.T) {
	binary(t)
	ctx := testContext(t)
	start := time.Now()
	fake := callsFake(t)
	db := filepath.Join(t.TempDir(), "sb.db")
	env := callsEnv(db, fake)
	srv := startServer(ctx, t, env)
	adminToken, token := signInBoth(t, srv)

	held, release := fake.HoldCalls()
	answered := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.base+"/secure/make-call", strings.NewReader(`{"phone":"`+e2eCallee+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	select {
	case <-held:
	case <-ctx.Done():
		t.Fatal("the outbound call never reached ElevenLabs")
	}
	// ElevenLabs has the POST and has not answered: the call is stored.
	r := srv.do("GET", "/admin/calls", adminToken, nil).expect(t, "GET /admin/calls while dialling", 200)
	list, _ := r.get("calls").([]any)
	if len(list) != 1 || list[0].(map[string]any)["status"] != "queued" {
		t.Fatalf("calls while ElevenLabs holds the dial: %s, want one queued", r.raw)
	}
	callID := list[0].(map[string]any)["callId"].(string)

	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-srv.done
	if err := <-answered; err == nil {
		t.Error("make-call was answered although the process was killed mid-dial")
	}
	release()

	// Restarted: the call is under a minute old, so it may still be being
	// dialled for all the reconciler knows, and is left queued.
	srv2 := startServer(ctx, t, env)
	srv2.do("GET", "/secure/calls/"+callID, token, nil).expect(t, "the call after the restart", 200).
		fields(t, "the call after the restart", map[string]any{"status": "queued", "conversationId": nil})
	if code := srv2.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv2.stderr)
	}

	// A minute later the reconciler fails it as interrupted (run here with a
	// clock a minute ahead, on the same database file).
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := &calling.Service{Calls: st, Dialer: fake.Client(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Now().Add(61 * time.Second) }}
	n, err := svc.Reconcile(ctx)
	st.Close()
	if err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want the one call", n, err)
	}

	srv3 := startServer(ctx, t, env)
	r = srv3.do("GET", "/secure/calls/"+callID, token, nil).expect(t, "the call after the reconciler", 200)
	r.fields(t, "the call after the reconciler", map[string]any{"status": "failed", "conversationId": nil})
	if e, _ := r.get("error").(string); !strings.HasPrefix(e, "interrupted") {
		t.Errorf("error = %q, want it to say the call was interrupted", e)
	}
	srv3.do("GET", "/secure/call-stats", token, nil).expect(t, "call-stats", 200).
		fields(t, "call-stats", map[string]any{"stats.totalCalls": 1.0, "stats.callsByStatus.failed": 1.0})
	if code := srv3.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv3.stderr)
	}
	if calls := fake.Calls(); len(calls) != 1 {
		t.Errorf("ElevenLabs got %d outbound calls, want exactly 1", len(calls))
	}
	t.Logf("kill mid-dial end to end took %v", time.Since(start).Round(time.Millisecond))
}
