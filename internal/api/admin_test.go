package api_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"switchboard/internal/httpserver/httpservertest"
	"switchboard/internal/mock"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

func TestListClients(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		for i := range 25 {
			ts.createClient(fmt.Sprintf("list_%02d", i), fmt.Sprintf("list%02d@example.com", i))
		}
		ts.admin("PUT", "/admin/clients/list_03", `{"status":"Suspended","clientMeta":{"businessName":"Zebra 100% Calls"}}`).wantStatus(200)
		ts.admin("PUT", "/admin/clients/list_04", `{"clientMeta":{"fullName":"Émilie Zola"}}`).wantStatus(200)

		ids := func(r *response) []string {
			var out []string
			for _, c := range r.get("clients").([]any) {
				out = append(out, c.(map[string]any)["clientId"].(string))
			}
			return out
		}
		t.Run("DefaultPageNewestFirst", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("GET", "/admin/clients", "").wantStatus(200)
			res.wantFields(map[string]any{"total": 25.0, "count": 10.0, "limit": 10.0, "offset": 0.0})
			got := ids(res)
			if got[0] != "list_24" || got[9] != "list_15" {
				t.Errorf("first page = %v, want list_24 … list_15", got)
			}
			if strings.Contains(string(res.Body), "clientSecret") || strings.Contains(string(res.Body), "$2a$") {
				t.Errorf("the listing carries a secret or its hash: %s", res.Body)
			}
		})
		t.Run("LaterPage", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("GET", "/admin/clients?limit=10&offset=20", "").wantStatus(200)
			res.wantFields(map[string]any{"total": 25.0, "count": 5.0})
			if got := ids(res); got[0] != "list_04" || got[4] != "list_00" {
				t.Errorf("last page = %v", got)
			}
		})
		t.Run("StatusFilter", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("GET", "/admin/clients?status=Suspended", "").wantStatus(200)
			res.wantFields(map[string]any{"total": 1.0, "count": 1.0})
			if got := ids(res); got[0] != "list_03" {
				t.Errorf("suspended = %v", got)
			}
		})
		t.Run("Search", func(t *testing.T) {
			ts := ts.with(t)
			for _, tt := range []struct {
				search string
				want   []string
			}{
				{"LIST07@EXAMPLE", []string{"list_07"}}, // email, any case
				{"zebra", []string{"list_03"}},          // business
				{"émilie", []string{"list_04"}},         // name, beyond ASCII
				{"100%", []string{"list_03"}},           // % is literal
				{"lis_07", nil},                         // _ is literal: a wildcard would match list07@…
				{"LIST_07", []string{"list_07"}},        // clientId, any case
				{"nobody", nil},
			} {
				res := ts.admin("GET", "/admin/clients?search="+urlQuery(tt.search), "").wantStatus(200)
				if got := ids(res); strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Errorf("search %q = %v, want %v", tt.search, got, tt.want)
				}
			}
		})
		t.Run("Get", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("GET", "/admin/clients/list_04", "").wantStatus(200)
			res.wantFields(map[string]any{"clientId": "list_04", "clientMeta.fullName": "Émilie Zola", "status": "Active"})
			if strings.Contains(string(res.Body), "clientSecret") {
				t.Errorf("get shows the secret: %s", res.Body)
			}
		})
		t.Run("UpdateAppliesOnlyPresentFields", func(t *testing.T) {
			ts := ts.with(t)
			before := ts.admin("GET", "/admin/clients/list_05", "").json()
			res := ts.admin("PUT", "/admin/clients/list_05", `{"clientMeta":{"city":"Lyon"},"agentId":"agent_new"}`).wantStatus(200)
			res.wantFields(map[string]any{
				"client.clientMeta.city":     "Lyon",
				"client.agentId":             "agent_new",
				"client.clientMeta.fullName": before["clientMeta"].(map[string]any)["fullName"],
				"client.twilioPhoneNumber":   before["twilioPhoneNumber"],
				"client.status":              before["status"],
			})
			// The record read back can be sent back as is.
			round := string(ts.admin("GET", "/admin/clients/list_05", "").Body)
			ts.admin("PUT", "/admin/clients/list_05", round).wantStatus(200)
		})
	})
}

// TestInternalErrors: a storage failure is a 500 with the operation's title
// only; the cause goes to the log, never to the caller.
func TestInternalErrors(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	failing := &mock.ClientService{
		FindClientsFn: func(context.Context, switchboard.ClientFilter) ([]*switchboard.Client, int, error) {
			return nil, 0, errors.New("disk on fire at /var/lib/db")
		},
		FindClientByIDFn: func(context.Context, string) (*switchboard.Client, error) {
			return nil, errors.New("connection reset by peer")
		},
	}
	ts := newTestServerWith(t, s, failing)
	ts.admin("GET", "/admin/clients", "").wantStatus(500).wantBody(`{"error":"Failed to fetch clients"}`)
	ts.admin("GET", "/admin/clients/anyone", "").wantStatus(500).wantBody(`{"error":"Failed to fetch client"}`)
	ts.do("POST", "/auth/login", "", `{"clientId":"anyone","clientSecret":"some-secret-value"}`).
		wantStatus(500).wantBody(`{"error":"Login failed"}`)
	if !strings.Contains(ts.log.String(), "disk on fire") {
		t.Errorf("the cause of a 500 is not logged:\n%s", ts.log.String())
	}
}

// TestLogsHoldNoCredentials runs the whole flow and searches the log for
// every secret, password and token it handled.
func TestLogsHoldNoCredentials(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secret := ts.createClient("logged", "logged@example.com")
	token := ts.login("logged", secret)
	ts.do("GET", "/secure/client", token, "").wantStatus(200)
	changed := ts.do("POST", "/auth/change-secret", token,
		`{"currentSecret":"`+secret+`","newSecret":"the-clients-own-new-secret"}`).wantStatus(200).str("token")
	reset := ts.admin("POST", "/admin/clients/logged/reset-secret", "").wantStatus(200).str("client.clientSecret")
	ts.do("POST", "/auth/login", "", `{"clientId":"logged","clientSecret":"wrong-secret-typed"}`).wantStatus(401)
	ts.do("GET", "/secure/client", token, "").wantStatus(401)

	logs := ts.log.String()
	if !strings.Contains(logs, "path=/auth/login") {
		t.Fatalf("requests are not logged:\n%s", logs)
	}
	for name, value := range map[string]string{
		"client secret": secret, "new secret": "the-clients-own-new-secret", "reset secret": reset,
		"wrong secret": "wrong-secret-typed", "admin password": adminPassword,
		"client token": token, "changed token": changed, "admin token": ts.adminToken,
	} {
		if strings.Contains(logs, value) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "&", "%26", "+", "%2B").Replace(s)
}

// TestSecurityEvents: sign-ins, refusals, throttling and credential changes
// are logged with who, what and from where (ASVS V7.2), and nothing typed
// into an id field that is not an id.
func TestSecurityEvents(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	secret := ts.createClient("audited", "audited@example.com")
	ts.login("audited", secret)
	ts.do("POST", "/auth/login", "", `{"clientId":"audited","clientSecret":"not-the-right-one"}`).wantStatus(401)
	ts.do("POST", "/auth/login", "", `{"clientId":"pasted secret here!","clientSecret":"x"}`).wantStatus(401)
	ts.admin("PUT", "/admin/clients/audited", `{"status":"Suspended"}`).wantStatus(200)
	ts.admin("POST", "/admin/clients/audited/reset-secret", "").wantStatus(200)
	ts.admin("DELETE", "/admin/clients/audited", "").wantStatus(200)
	ts.do("POST", "/auth/admin/login", "", `{"username":"admin","password":"wrong-password-typed"}`).wantStatus(401)

	logs := ts.log.String()
	events := httpservertest.SecurityEvents(logs)
	for _, want := range []map[string]string{
		{"level": "INFO", "event": "sign-in", "outcome": "ok", "actor": "none", "via": "api", "ip": "0.0.0.0", "admin": "admin"},
		{"level": "INFO", "event": "sign-in", "outcome": "ok", "actor": "none", "via": "api", "ip": "0.0.0.0", "client_id": "audited"},
		{"level": "WARN", "event": "sign-in", "outcome": "refused", "client_id": "audited"},
		{"level": "WARN", "event": "sign-in", "outcome": "refused", "client_id": "(malformed)"},
		{"level": "INFO", "event": "status change", "outcome": "ok", "actor": "admin:admin", "ip": "0.0.0.0", "client_id": "audited", "status": "Suspended"},
		{"level": "INFO", "event": "secret reset", "outcome": "ok", "actor": "admin:admin", "client_id": "audited"},
		{"level": "INFO", "event": "client deleted", "outcome": "ok", "actor": "admin:admin", "client_id": "audited"},
		{"level": "WARN", "event": "sign-in", "outcome": "refused", "via": "api"},
	} {
		if httpservertest.Count(events, want) == 0 {
			t.Errorf("no security event with %v", want)
		}
	}
	for _, e := range events {
		if e["request_id"] == "" {
			t.Errorf("security event without a request_id: %v", e)
		}
	}
	for _, leaked := range []string{"pasted secret here", "not-the-right-one", "wrong-password-typed", secret} {
		if strings.Contains(logs, leaked) {
			t.Errorf("log holds %q", leaked)
		}
	}
	if t.Failed() {
		t.Log(logs)
	}
}

// TestThrottledStormLogsLittle: a storm of throttled sign-ins from one
// address writes a line a minute, not a line a request (security events and
// request lines alike); the next line after the window counts the rest.
func TestThrottledStormLogsLittle(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.createClient("stormed", "stormed@example.com")
	throttled := 0
	for range 300 {
		if ts.do("POST", "/auth/login", "", `{"clientId":"stormed","clientSecret":"a-wrong-secret-000"}`).Status == 429 {
			throttled++
		}
	}
	if throttled < 200 {
		t.Fatalf("%d of 300 wrong sign-ins throttled, want most", throttled)
	}
	events := httpservertest.SecurityEvents(ts.log.String())
	if n := httpservertest.Count(events, map[string]string{"outcome": "throttled"}); n != 1 {
		t.Errorf("%d throttled security lines for %d throttled sign-ins, want 1", n, throttled)
	}
	if n := strings.Count(ts.log.String(), "status=429"); n != 1 {
		t.Errorf("%d request lines with status 429 for %d throttled sign-ins, want 1", n, throttled)
	}
}
