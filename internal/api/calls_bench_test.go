package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// The calls benchmarks time whole requests through the Fiber app
// (app.Test) over SQLite, with GET /secure/client measured in the same run
// as the reference the figures are given against (docs/PERFORMANCE.md,
// "Calls").

// benchCallServer is the test server with the calls API too: calling
// through dialer (nil: off) with the clock now (nil: time.Now).
func benchCallServer(b *testing.B, s *store.Store, dialer switchboard.Dialer, now func() time.Time) *testServer {
	b.Helper()
	ts := newTestServer(b, s)
	log := slog.New(slog.NewTextHandler(ts.log, nil))
	ts.app = httpserver.New(httpserver.Config{Log: log})
	(&api.Server{
		Auth: ts.svc, Clients: s, Calls: s, Calling: &calling.Service{Calls: s, Dialer: dialer, Log: log, Now: now},
		WebhookSecret: "wsec_bench_0123456789abcdef", Ping: s.Ping, Ready: s.Ready, Log: log,
	}).Register(ts.app)
	return ts
}

// benchCallRequest sends one request through the app and returns the body;
// any status but 200 fails the benchmark.
func benchCallRequest(b *testing.B, ts *testServer, method, path, token, body string) []byte {
	return ts.with(b).do(method, path, token, body).wantStatus(200).Body
}

// BenchmarkMakeCall measures POST /secure/make-call against the fake
// ElevenLabs: the token check, the checks of the request, the number
// lookup (cached for five minutes), the queued row with the hourly limit
// counted under the client's lock, the POST to the fake over loopback
// HTTP, and the answer recorded. The clock moves four seconds a reading,
// so the hourly limit (set to 1,000) is never reached and the numbers are
// read again every twenty calls or so, as a busy client would see.
// SecureClient is the reference, GET /secure/client, in the same run.
func BenchmarkMakeCall(b *testing.B) {
	fake := elevenlabstest.New(b,
		elevenlabstest.WithAgent("agent_1", "Bench agent"),
		elevenlabstest.WithPhoneNumber(switchboard.PhoneNumber{Number: "+18001234567", ID: "pn_1", SupportsOutbound: true, AssignedAgentID: "agent_1"}))
	var ticks atomic.Int64
	base := time.Now()
	now := func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * 4 * time.Second) }
	ts := benchCallServer(b, storetest.Open(b, store.SQLite), fake.Client(), now)
	create := strings.Replace(clientJSON("bench_client", "bench@example.com"), `"agentId"`, `"calling":{"maxCallsPerHour":1000},"agentId"`, 1)
	res := ts.admin("POST", "/admin/clients", create)
	res.wantStatus(201)
	token := ts.login("bench_client", res.str("client.clientSecret"))

	b.Run("SecureClient", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchCallRequest(b, ts, "GET", "/secure/client", token, "")
		}
	})
	b.Run("MakeCall", func(b *testing.B) {
		body := `{"phone":"+12125550199","firstMessage":"Hello from the benchmark","dynamicVariables":{"order":"A-17"}}`
		b.ReportAllocs()
		for b.Loop() {
			benchCallRequest(b, ts, "POST", "/secure/make-call", token, body)
		}
	})
	if len(fake.Calls()) == 0 {
		b.Fatal("the fake got no call")
	}
}

// BenchmarkCallListing measures the call listings over SQLite with n = 1,000
// and 100,000: bench_client has n calls, and n other clients one call each
// (2n calls in all; one_client is one of them). Requests (limit 50, the default):
//
//	SecureClient      GET /secure/client, the reference
//	SecureFirst       GET /secure/calls: bench_client's first page, with
//	                  its two counts (all, and filtered)
//	SecureDeep        ?offset= 90% down bench_client's calls
//	SecureStatus      ?status=failed (20% of its calls)
//	SecureOneOfMany   GET /secure/calls for one_client, with one call among
//	                  n clients
//	SecureStats       GET /secure/call-stats for bench_client
//	AdminDashboard    GET /admin/dashboard: every client's counts, every
//	                  call's statistics
//	AdminFirst        GET /admin/calls: every client's calls, first page
//	AdminDeep         ?cursor= 90% down every call
//	AdminClientFirst  ?clientId=bench_client
//	AdminClientDeep   ?clientId=bench_client&cursor= 90% down its calls
//	AdminStatusDeep   ?status=failed&cursor= 90% down every call
//
// Run with -benchtime 200x (see docs/PERFORMANCE.md).
func BenchmarkCallListing(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			rawURL := storetest.URL(b, store.SQLite)
			s := storetest.OpenURL(b, rawURL)
			ts := benchCallServer(b, s, nil, nil)
			token := ts.login("bench_client", ts.createClient("bench_client", "bench@example.com"))
			oneToken := ts.login("one_client", ts.createClient("one_client", "one@example.com"))
			path, _, _ := strings.Cut(rawURL, "?")
			seed := benchSeedCalls(b, path, n)
			admin := ts.adminToken

			for _, tt := range []struct {
				name, path, token string
				calls             int    // calls in the answer; 0: from 1 to 50
				member            string // the array holding them
			}{
				{"SecureClient", "/secure/client", token, -1, ""},
				{"SecureFirst", "/secure/calls", token, 50, "callHistory"},
				{"SecureDeep", fmt.Sprintf("/secure/calls?offset=%d", n*9/10), token, 50, "callHistory"},
				{"SecureStatus", "/secure/calls?status=failed", token, 50, "callHistory"},
				{"SecureOneOfMany", "/secure/calls", oneToken, 1, "callHistory"},
				{"SecureStats", "/secure/call-stats", token, -1, ""},
				{"AdminDashboard", "/admin/dashboard", admin, -1, ""},
				{"AdminFirst", "/admin/calls", admin, 50, "calls"},
				{"AdminDeep", "/admin/calls?cursor=" + seed.deepAll, admin, 50, "calls"},
				{"AdminClientFirst", "/admin/calls?clientId=bench_client", admin, 50, "calls"},
				{"AdminClientDeep", "/admin/calls?clientId=bench_client&cursor=" + seed.deepClient, admin, 50, "calls"},
				{"AdminStatusDeep", "/admin/calls?status=failed&cursor=" + seed.deepAll, admin, 0, "calls"},
			} {
				b.Run(tt.name, func(b *testing.B) {
					// Once, outside the timing: the answer holds what it should.
					if tt.member != "" {
						var page map[string]json.RawMessage
						var calls []json.RawMessage
						body := benchCallRequest(b, ts, "GET", tt.path, tt.token, "")
						if err := json.Unmarshal(body, &page); err != nil || json.Unmarshal(page[tt.member], &calls) != nil || (tt.calls > 0 && len(calls) != tt.calls || tt.calls == 0 && (len(calls) < 1 || len(calls) > 50)) {
							b.Fatalf("GET %s: %d calls, want %d: %.300s", tt.path, len(calls), tt.calls, body)
						}
					}
					b.ReportAllocs()
					for b.Loop() {
						benchCallRequest(b, ts, "GET", tt.path, tt.token, "")
					}
				})
			}
		})
	}
}

// benchSeed is what benchSeedCalls stored.
type benchSeed struct {
	deepAll    string // the cursor 90% down every call
	deepClient string // the cursor 90% down bench_client's calls
}

// benchSeedCalls stores, in the migrated SQLite file at path that holds
// bench_client and one_client, n clients (who cannot sign in) and 2n calls,
// through database/sql in one transaction of 500-row INSERTs, then
// checkpoints the WAL. Call i of bench_client is created at 2i seconds
// after the base, client i's one call a second later (one_client has the
// middle one instead of its client), so the listings interleave them;
// 70% are completed (three in four a success), 20% failed, 10% initiated.
func benchSeedCalls(b *testing.B, path string, n int) benchSeed {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()

	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clientID := func(i int) string { return fmt.Sprintf("client_%07d", i) }
	benchInsert(b, tx, "clients", []string{"client_id", "status", "agent_id", "twilio_phone_number", "full_name", "email",
		"email_key", "phone", "search_key", "secret_hash", "token_version", "created_at", "updated_at"}, n, func(i int) []any {
		email := fmt.Sprintf("person%d@example.com", i)
		name := fmt.Sprintf("Person %d", i)
		return []any{clientID(i), "Active", "agent_1", "+18001234567", name, email, email, "+12125551234",
			strings.ToLower(name + "\n" + email + "\n"), "not-a-hash", 1, base, base}
	})
	var benchPK, onePK int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM clients WHERE client_id = 'bench_client'").Scan(&benchPK); err != nil {
		b.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT id FROM clients WHERE client_id = 'one_client'").Scan(&onePK); err != nil {
		b.Fatal(err)
	}
	var firstPK int64 // the seeded clients' ids follow, in order
	if err := tx.QueryRowContext(ctx, "SELECT id FROM clients WHERE client_id = ?", clientID(0)).Scan(&firstPK); err != nil || firstPK != onePK+1 {
		b.Fatalf("seeded clients start at id %d (%v), want %d", firstPK, err, onePK+1)
	}

	// Call 2i is bench_client's i-th, call 2i+1 client i's.
	callID := func(k int) string { return fmt.Sprintf("call_%024x", k) }
	created := func(k int) time.Time { return base.Add(time.Duration(k) * time.Second) }
	benchInsert(b, tx, "calls", []string{"call_id", "client_pk", "client_id", "client_name", "status", "to_number",
		"from_number", "agent_id", "conversation_id", "call_sid", "requested_by", "start_time", "end_time",
		"duration_secs", "outcome", "summary", "termination_reason", "error", "transcript", "created_at", "updated_at"}, 2*n, func(k int) []any {
		pk, id, name := benchPK, "bench_client", "Test Client"
		switch {
		case k == 2*(n/2)+1:
			pk, id = onePK, "one_client"
		case k%2 == 1:
			pk, id, name = firstPK+int64(k/2), clientID(k/2), fmt.Sprintf("Person %d", k/2)
		}
		at := created(k)
		status, outcome, summary, reason, errText, duration := "initiated", "", "", "", "", 0
		var startTime, endTime any
		switch j := k / 2 % 10; {
		case j < 7:
			status, outcome, summary, reason, duration = "completed", "success", "Agreed to a follow-up.", "Call ended by remote party", 42
			if j == 3 {
				outcome, summary = "failure", "Not interested."
			}
			startTime, endTime = at, at.Add(42*time.Second)
		case j < 9:
			status, errText = "failed", "The line was busy"
		}
		return []any{callID(k), pk, id, name, status, "+12125550199", "+18001234567", "agent_1",
			"conv_" + callID(k), "CA" + callID(k), "client", startTime, endTime, duration, outcome, summary, reason, errText,
			`[{"role":"agent","message":"Hello","time_in_call_secs":0}]`, at, at}
	})
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d clients and %d calls in %v", n, 2*n, time.Since(start).Round(time.Millisecond))

	// Newest first, every call: position p is call 2n-1-p. bench_client's
	// calls only: position p is its call n-1-p, that is call 2(n-1-p).
	cursor := func(k int) string { return switchboard.CallCursor{CreatedAt: created(k), ID: callID(k)}.String() }
	return benchSeed{
		deepAll:    cursor(2*n - 1 - 2*n*9/10),
		deepClient: cursor(2 * (n - 1 - n*9/10)),
	}
}

// benchInsert inserts n rows into table, row(i) giving row i's values of
// cols, 500 rows a statement.
func benchInsert(b *testing.B, tx *sql.Tx, table string, cols []string, n int, row func(i int) []any) {
	b.Helper()
	const batch = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	query := func(k int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", k), ",")
	}
	full, err := tx.Prepare(query(batch))
	if err != nil {
		b.Fatal(err)
	}
	defer full.Close()
	args := make([]any, 0, len(cols)*batch)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = append(args, row(i)...)
		}
		if hi-lo == batch {
			_, err = full.Exec(args...)
		} else {
			_, err = tx.Exec(query(hi-lo), args...)
		}
		if err != nil {
			b.Fatalf("seed %s: %v", table, err)
		}
	}
}
