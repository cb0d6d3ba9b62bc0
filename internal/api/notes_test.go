package api_test

import (
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// TestNotesAreTheAdministrators: a client's own answers leave the notes
// out, and its PUT /secure/client ignores them (after checking them like
// any member); the administrator reads and writes them as before.
func TestNotesAreTheAdministrators(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	ts := newTestServer(t, s)
	secret := ts.createClient("notes_1", "notes@example.com")
	ts.admin("PUT", "/admin/clients/notes_1", `{"clientMeta":{"notes":"Prefers morning calls"}}`).wantStatus(200)
	token := ts.login("notes_1", secret)

	noNotes := func(what string, r *response, path string) {
		t.Helper()
		if meta, _ := r.get(path).(map[string]any); meta == nil {
			t.Errorf("%s: no %s in %s", what, path, r.Body)
		} else if _, ok := meta["notes"]; ok || strings.Contains(string(r.Body), "Prefers morning") {
			t.Errorf("%s shows the notes: %s", what, r.Body)
		}
	}
	noNotes("GET /secure/client", ts.do("GET", "/secure/client", token, "").wantStatus(200), "clientMeta")

	r := ts.do("PUT", "/secure/client", token, `{"clientMeta":{"city":"Boston","notes":"I am a VIP"}}`).wantStatus(200)
	noNotes("PUT /secure/client", r, "client.clientMeta")
	r.wantFields(map[string]any{"client.clientMeta.city": "Boston"})
	// Notes alone change nothing: there is nothing else to update.
	ts.do("PUT", "/secure/client", token, `{"clientMeta":{"notes":"I am a VIP"}}`).wantStatus(400).
		wantFields(map[string]any{"error": "Failed to update client", "details": "The body sets no field that can be updated"})
	// A bad notes member is refused like any bad member.
	ts.do("PUT", "/secure/client", token, `{"clientMeta":{"city":"Rome","notes":"`+strings.Repeat("n", 2001)+`"}}`).
		wantStatus(400).wantFields(map[string]any{"error": "Failed to update client"})

	ts.admin("GET", "/admin/clients/notes_1", "").wantStatus(200).
		wantFields(map[string]any{"clientMeta.notes": "Prefers morning calls", "clientMeta.city": "Boston"})
}
