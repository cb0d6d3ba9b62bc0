package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// jsonBody is a JSON object with each value at its field's dotted JSON name
// ("clientMeta.city" is {"clientMeta":{"city":…}}).
func jsonBody(t *testing.T, values map[string]string) string {
	t.Helper()
	body := map[string]any{}
	for name, v := range values {
		m := body
		parts := strings.Split(name, ".")
		for _, p := range parts[:len(parts)-1] {
			if _, ok := m[p]; !ok {
				m[p] = map[string]any{}
			}
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// memberPaths lists the dotted paths of the leaves of a JSON object.
func memberPaths(v map[string]any, prefix string) []string {
	var out []string
	for k, v := range v {
		if m, ok := v.(map[string]any); ok {
			out = append(out, memberPaths(m, prefix+k+".")...)
		} else {
			out = append(out, prefix+k)
		}
	}
	return out
}

// The domain's field list and the API's wire mapping agree: every field of
// switchboard.ClientFields goes in through a create and through an update,
// reaches the stored client, and comes back out under the same JSON name;
// and a client's JSON has no member the list lacks.
func TestClientFields_WireRoundTrip(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	examples := map[string]string{"clientId": "fields_1"}
	for _, f := range switchboard.ClientFields {
		examples[f.Name] = f.Example
	}

	t.Run("Create", func(t *testing.T) {
		ts := ts.with(t)
		res := ts.admin("POST", "/admin/clients", jsonBody(t, examples)).wantStatus(201)
		c, err := ts.store.FindClientByID(ctx, "fields_1")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range switchboard.ClientFields {
			if got := *f.Of(c); got != f.Example {
				t.Errorf("stored %s = %q, want %q", f.Name, got, f.Example)
			}
			if got := res.get("client." + f.Name); got != f.Example {
				t.Errorf("response's %s = %q, want %q", f.Name, got, f.Example)
			}
		}
	})

	t.Run("Members", func(t *testing.T) {
		ts := ts.with(t)
		got := memberPaths(ts.admin("GET", "/admin/clients/fields_1", "").wantStatus(200).json(), "")
		// calling is structured, not a text field: its members are fixed.
		want := []string{"clientId", "status", "createdAt", "updatedAt", "calling.maxCallsPerHour", "calling.hours"}
		for _, f := range switchboard.ClientFields {
			want = append(want, f.Name)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("a client's members = %q,\nthe domain's fields and the fixed ones = %q", got, want)
		}
	})

	for _, f := range switchboard.ClientFields {
		t.Run("Update/"+f.Name, func(t *testing.T) {
			ts := ts.with(t)
			// Another valid value: the example with a change that keeps its form.
			v := f.Example + "0"
			if f.Kind == switchboard.EmailField {
				v = "other." + f.Example
			}
			res := ts.admin("PUT", "/admin/clients/fields_1", jsonBody(t, map[string]string{f.Name: v})).wantStatus(200)
			if got := res.get("client." + f.Name); got != v {
				t.Errorf("update response's %s = %q, want %q", f.Name, got, v)
			}
			c, err := ts.store.FindClientByID(ctx, "fields_1")
			if err != nil {
				t.Fatal(err)
			}
			if got := *f.Of(c); got != v {
				t.Errorf("stored %s = %q, want %q", f.Name, got, v)
			}
			if got := ts.admin("GET", "/admin/clients/fields_1", "").wantStatus(200).get(f.Name); got != v {
				t.Errorf("read back %s = %q, want %q", f.Name, got, v)
			}
		})
	}
}

// A client's JSON is exactly these bytes, members in the order the
// document shows them, whichever encoder writes it.
func TestClientJSON_Bytes(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, store.SQLite))
	values := map[string]string{"clientId": "bytes_1"}
	for _, f := range switchboard.ClientFields {
		values[f.Name] = f.Example
	}
	created := ts.admin("POST", "/admin/clients", jsonBody(t, values)).wantStatus(201)
	secret, createdAt, updatedAt := created.str("client.clientSecret"), created.str("client.createdAt"), created.str("client.updatedAt")
	client := func(secret string) string {
		s := `{"clientId":"bytes_1",`
		if secret != "" {
			s += `"clientSecret":"` + secret + `",`
		}
		return s + `"status":"Active","agentId":"agent_123","twilioPhoneNumber":"+14155550100",` +
			`"clientMeta":{"fullName":"Ada Lovelace","email":"ada@example.com","phone":"+14155550123",` +
			`"businessName":"Analytical Engines","city":"London","jobTitle":"Founder",` +
			`"notes":"Prefers calls after 10am.\nAsk for the billing desk."},` +
			`"calling":{"maxCallsPerHour":60,"hours":null},` +
			fmt.Sprintf(`"createdAt":%q,"updatedAt":%q}`, createdAt, updatedAt)
	}
	if got, want := string(created.Body), `{"message":"Client created successfully","client":`+client(secret)+`}`; got != want {
		t.Errorf("create response =\n%s\nwant\n%s", got, want)
	}
	if got, want := string(ts.admin("GET", "/admin/clients/bytes_1", "").wantStatus(200).Body), client(""); got != want {
		t.Errorf("GET response =\n%s\nwant\n%s", got, want)
	}
}
