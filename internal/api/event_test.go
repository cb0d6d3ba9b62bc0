package api_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// TestAuditTrail: every change made over the JSON API is in the store's
// audit trail, named after the admin or the client that made it, and a
// refused request leaves nothing there.
func TestAuditTrail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)
		admin := switchboard.AdminActor(adminUsername)
		self := switchboard.ClientActor("audit_1")

		var want []string
		check := func(step string, add ...string) {
			t.Helper()
			want = append(want, add...)
			events, err := s.FindEvents(context.Background(), switchboard.MaxEventLimit)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(events))
			for i, e := range events {
				got[len(events)-1-i] = fmt.Sprintf("%s %s %s %s", e.Actor, e.Action, e.ClientID, e.Detail)
			}
			if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("after %s, events =\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}

		ts.createClient("audit_1", "audit1@example.com")
		check("create", admin+" client.created audit_1 Active")

		ts.admin("POST", "/admin/clients", clientJSON("audit_1", "other@example.com")).wantStatus(409)
		ts.admin("PUT", "/admin/clients/audit_1", `{"clientMeta":{"phone":"555"}}`).wantStatus(400)
		ts.admin("PUT", "/admin/clients/nobody", `{"status":"Suspended"}`).wantStatus(404)
		ts.do("PUT", "/admin/clients/audit_1", "", `{"status":"Suspended"}`).wantStatus(401)
		check("refused requests")

		ts.admin("PUT", "/admin/clients/audit_1", `{"status":"Suspended"}`).wantStatus(200)
		check("suspend", admin+" client.status_changed audit_1 Active → Suspended")

		ts.admin("PUT", "/admin/clients/audit_1", `{"status":"Active","agentId":"agent_2","clientMeta":{"notes":"call at noon"}}`).wantStatus(200)
		check("reactivate", admin+" client.status_changed audit_1 Suspended → Active; also: clientMeta.notes, agentId")

		ts.admin("PUT", "/admin/clients/audit_1", `{"status":"Active","agentId":"agent_2"}`).wantStatus(200)
		check("same values")

		secret := ts.admin("POST", "/admin/clients/audit_1/reset-secret", "").wantStatus(200).str("client.clientSecret")
		check("reset", admin+" client.secret_reset audit_1 ")

		token := ts.login("audit_1", secret)
		ts.do("PUT", "/secure/client", token, `{"clientMeta":{"city":"Boston","phone":"+12125550000"}}`).wantStatus(200)
		check("own update", self+" client.updated audit_1 clientMeta.phone, clientMeta.city")

		ts.do("POST", "/auth/change-secret", token, `{"currentSecret":"`+secret+`","newSecret":"a-brand-new-secret-1234"}`).wantStatus(200)
		ts.do("POST", "/auth/change-secret", token, `{"currentSecret":"wrong","newSecret":"x"}`).wantStatus(401)
		check("change secret", self+" client.secret_reset audit_1 ")

		ts.admin("DELETE", "/admin/clients/audit_1", "").wantStatus(200)
		ts.admin("DELETE", "/admin/clients/audit_1", "").wantStatus(404)
		check("delete", admin+" client.deleted audit_1 ")

		for _, w := range want {
			for _, value := range []string{"call at noon", "Boston", "+1212", secret, "a-brand-new"} {
				if strings.Contains(w, value) {
					t.Errorf("event %q carries the value %q", w, value)
				}
			}
		}
	})
}
