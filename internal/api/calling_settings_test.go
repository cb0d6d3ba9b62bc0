package api_test

import (
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// TestCallingSettings: the administrator sets a client's hourly limit and
// calling hours in create and update; bad values are refused naming the
// field and change nothing; the client reads them but cannot change them.
func TestCallingSettings(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		hours := `{"timezone":"America/New_York","start":"09:00","end":"20:00","days":["Mon","Tue","Wed","Thu","Fri"]}`
		body := strings.Replace(clientJSON("dialer", "dialer@example.com"), `"agentId"`,
			`"calling":{"maxCallsPerHour":5,"hours":`+hours+`},"agentId"`, 1)
		res := ts.admin("POST", "/admin/clients", body).wantStatus(201)
		secret := res.str("client.clientSecret")
		res.wantFields(map[string]any{
			"client.calling.maxCallsPerHour": float64(5), "client.calling.hours.timezone": "America/New_York",
			"client.calling.hours.start": "09:00", "client.calling.hours.end": "20:00",
		})

		// Without settings: the default limit, any time.
		ts.createClient("plain", "plain@example.com")
		ts.admin("GET", "/admin/clients/plain", "").wantStatus(200).
			wantFields(map[string]any{"calling.maxCallsPerHour": float64(60), "calling.hours": nil})

		for _, tt := range []struct{ body, field string }{
			{`{"calling":{"maxCallsPerHour":0}}`, "calling.maxCallsPerHour"},
			{`{"calling":{"maxCallsPerHour":100000}}`, "calling.maxCallsPerHour"},
			{`{"calling":{"hours":{"timezone":"Nowhere/City","start":"09:00","end":"20:00","days":["Mon"]}}}`, "calling.hours.timezone"},
			{`{"calling":{"hours":{"timezone":"UTC","start":"21:00","end":"20:00","days":["Mon"]}}}`, "calling.hours.end"},
			{`{"calling":{"hours":{"timezone":"UTC","start":"09:00","end":"20:00","days":["Funday"]}}}`, "calling.hours.days"},
		} {
			res := ts.admin("PUT", "/admin/clients/dialer", tt.body).wantStatus(400)
			if res.get("fields."+tt.field) == nil {
				t.Errorf("%s: the refusal does not name %s: %s", tt.body, tt.field, res.Body)
			}
		}
		ts.admin("GET", "/admin/clients/dialer", "").wantStatus(200).wantFields(map[string]any{"calling.maxCallsPerHour": float64(5)})

		// An update replaces the settings whole: no hours is any time.
		ts.admin("PUT", "/admin/clients/dialer", `{"calling":{"maxCallsPerHour":7}}`).wantStatus(200).
			wantFields(map[string]any{"client.calling.maxCallsPerHour": float64(7), "client.calling.hours": nil})

		// The client sees them, may send them back unchanged, cannot change them.
		token := ts.login("dialer", secret)
		read := ts.do("GET", "/secure/client", token, "").wantStatus(200)
		read.wantFields(map[string]any{"calling.maxCallsPerHour": float64(7)})
		ts.do("PUT", "/secure/client", token, string(read.Body)).wantStatus(200)
		ts.do("PUT", "/secure/client", token, `{"calling":{"maxCallsPerHour":1000}}`).wantStatus(403).
			wantFields(map[string]any{"fields.calling": "calling can only be changed by an administrator"})
		ts.admin("GET", "/admin/clients/dialer", "").wantStatus(200).wantFields(map[string]any{"calling.maxCallsPerHour": float64(7)})
	})
}
