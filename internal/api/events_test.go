package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// eventsPage is a GET /admin/events answer: each event as
// "actor action clientId", and the older cursor ("" for null).
func eventsPage(t *testing.T, res *response) (events []string, older string) {
	t.Helper()
	res.wantStatus(200)
	for _, e := range res.get("events").([]any) {
		m := e.(map[string]any)
		client, _ := m["clientId"].(string)
		events = append(events, fmt.Sprintf("%s %s %s", m["actor"], m["action"], client))
	}
	if v := res.get("older"); v != nil {
		older = v.(string)
	}
	return events, older
}

// TestAdminEvents: GET /admin/events pages the audit trail newest first,
// filtered by client, kind and actor, alone or together; what no event
// matches is an empty page, what no event can hold is refused.
func TestAdminEvents(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		cs := newCallServer(t, s)
		dana := cs.signInMember(cs.db, "dana", switchboard.RoleOwner)
		viewer := cs.signInMember(cs.db, "vic", switchboard.RoleViewer)
		cs.createClient("acme", "acme@example.com") // by admin
		cs.do("POST", "/admin/clients", dana, clientJSON("beta", "beta@example.com")).wantStatus(201)
		cs.do("PUT", "/admin/clients/acme", dana, `{"status":"Suspended"}`).wantStatus(200)
		cs.do("PUT", "/admin/clients/beta", dana, `{"clientMeta":{"city":"Boston"}}`).wantStatus(200)
		cs.admin("DELETE", "/admin/clients/beta", "").wantStatus(200)

		all := []string{
			"admin:admin client.deleted beta",
			"admin:dana client.updated beta",
			"admin:dana client.status_changed acme",
			"admin:dana client.created beta",
			"admin:admin client.created acme",
		}
		get := func(token string, q url.Values) *response {
			t.Helper()
			return cs.do("GET", "/admin/events?"+q.Encode(), token, "")
		}
		// The first page's event in full: a deleted client's name is null.
		res := get(viewer, url.Values{"limit": {"1"}})
		first := res.get("events").([]any)[0].(map[string]any)
		if first["clientName"] != nil || first["detail"] != "" || first["clientId"] != "beta" || first["id"] == nil {
			t.Errorf("newest event = %v", first)
		}
		if got := res.get("events").([]any); len(got) != 1 {
			t.Errorf("limit=1 gave %d events", len(got))
		}

		for _, tt := range []struct {
			name string
			q    url.Values
			want []string
		}{
			{"All", nil, all},
			{"Dana", url.Values{"actor": {"admin:dana"}}, []string{all[1], all[2], all[3]}},
			{"DanaBeta", url.Values{"actor": {"admin:dana"}, "client": {"beta"}}, []string{all[1], all[3]}},
			{"DanaCreated", url.Values{"actor": {"admin:dana"}, "kind": {"client.created"}}, []string{all[3]}},
			{"AdminAcme", url.Values{"actor": {"admin:admin"}, "client": {"acme"}}, []string{all[4]}},
			{"Deleted", url.Values{"kind": {"client.deleted"}}, []string{all[0]}},
			{"UnknownActor", url.Values{"actor": {"admin:nobody"}}, nil},
			{"System", url.Values{"actor": {"system"}}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				// Pages of two, each from the last one's cursor.
				var got []string
				q := url.Values{"limit": {"2"}}
				for k, v := range tt.q {
					q[k] = v
				}
				for range 5 {
					events, older := eventsPage(t, get(viewer, q))
					got = append(got, events...)
					if older == "" {
						break
					}
					q.Set("after", older)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("events =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			})
		}

		for _, tt := range []struct{ query, field, msg string }{
			{"actor=admin:dana%00", "actor", "actor cannot contain control or invisible formatting characters"},
			{"actor=%1B", "actor", "actor cannot contain control or invisible formatting characters"},
			{"client=a%0Ab", "client", "client cannot contain control or invisible formatting characters"},
			{"kind=%FF", "kind", "kind is not valid UTF-8"},
			{"after=nonsense", "after", "after is not one this API gave"},
			{"limit=0", "limit", "limit must be a whole number from 1 to 100"},
			{"limit=101", "limit", "limit must be a whole number from 1 to 100"},
		} {
			cs.do("GET", "/admin/events?"+tt.query, viewer, "").wantStatus(400).wantFields(map[string]any{
				"error": "Failed to fetch events", "details": tt.msg, "fields": map[string]any{tt.field: tt.msg},
			})
		}
		cs.do("GET", "/admin/events", "", "").wantStatus(401)
	})
}
