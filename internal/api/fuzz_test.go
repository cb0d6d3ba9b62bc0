package api_test

// Fuzz targets for every JSON request body the API decodes: create, both
// updates, both logins, change-secret and verify. Each target builds one
// server (SQLite in the target's temp folder) before fuzzing, so an execution
// costs a few requests, and checks after every input that the answer is no
// 5xx, that an error is a JSON {"error": ...}, that the server logged no
// error, and that what was stored can still be read, listed and used.
//
// The seed corpus is in testdata/fuzz/<FuzzName>/ (FuzzVerify's seeds name
// the tokens it mints by placeholder). `go test` runs the seeds only;
// `go test -run '^$' -fuzz '^FuzzCreateClient$' -fuzztime 30s ./internal/api/`
// fuzzes one target; `make fuzz` runs them all for a fixed time each.

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"switchboard/internal/auth"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// newFuzzServer is the harness's server with two changes that only long fuzz
// runs need: a throttle that never trips, so that thousands of wrong logins
// do not turn every later answer into a 429 and hide the paths behind it
// (TestLoginThrottle covers throttling), and an admin token that does not
// expire after an hour of fuzzing.
func newFuzzServer(f *testing.F) *testServer {
	s := storetest.Open(f, "sqlite")
	ts := newTestServer(f, s)
	loose := auth.ThrottleRule{Limit: 1 << 30, Window: time.Hour}
	ts.svc.Throttle = auth.NewThrottle(s, []byte("test-server-secret-of-at-least-32-bytes"),
		auth.ThrottlePolicy{AccountAddress: loose, Address: loose, Account: loose, Refresh: loose})
	ts.svc.AdminTokenTTL = 100 * 365 * 24 * time.Hour
	ts.adminToken = ts.do("POST", "/auth/admin/login", "",
		`{"username":"`+adminUsername+`","password":"`+adminPassword+`"}`).wantStatus(200).str("token")
	ts.fuzzTakeLog()
	return ts
}

// fuzzTakeLog returns what the server logged since the last call and forgets
// it, so the log does not grow for the whole run.
func (ts *testServer) fuzzTakeLog() string {
	ts.log.mu.Lock()
	defer ts.log.mu.Unlock()
	s := ts.log.buf.String()
	ts.log.buf.Reset()
	return s
}

// fuzzCheckLog fails if the server logged an error while serving the input.
func (ts *testServer) fuzzCheckLog(t *testing.T) {
	t.Helper()
	if log := ts.fuzzTakeLog(); strings.Contains(log, "level=ERROR") {
		t.Fatalf("the server logged an error:\n%s", log)
	}
}

// fuzzDecode decodes body as the server's decode does: trimmed, empty as {},
// with the same JSON v2 decoder and default options. The targets use it as
// the oracle of what a body says.
func fuzzDecode(body []byte, v any) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		b = []byte("{}")
	}
	return jsonv2.Unmarshal(b, v)
}

// fuzzCheckAnswer fails on a 5xx, a status outside allowed (when given), a
// non-JSON answer, and an error answer without a non-empty "error" string.
func fuzzCheckAnswer(t *testing.T, what string, res *response, body []byte, allowed ...int) {
	t.Helper()
	if res.Status >= 500 {
		t.Fatalf("%s answered %d to %q: %s", what, res.Status, body, res.Body)
	}
	if len(allowed) > 0 {
		ok := false
		for _, s := range allowed {
			ok = ok || res.Status == s
		}
		if !ok {
			t.Fatalf("%s answered %d to %q, want one of %v: %s", what, res.Status, body, allowed, res.Body)
		}
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s answered %d with Content-Type %q to %q: %s", what, res.Status, ct, body, res.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		t.Fatalf("%s answered %d with a body that is no JSON object (%v) to %q: %s", what, res.Status, err, body, res.Body)
	}
	if res.Status >= 400 {
		if s, ok := m["error"].(string); !ok || s == "" {
			t.Fatalf("%s answered %d without an error message to %q: %s", what, res.Status, body, res.Body)
		}
	}
}

// fuzzMeta and fuzzClient are a client as the API writes it.
type fuzzMeta struct {
	FullName     string `json:"fullName"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	BusinessName string `json:"businessName"`
	City         string `json:"city"`
	JobTitle     string `json:"jobTitle"`
	Notes        string `json:"notes"`
}

type fuzzClient struct {
	ClientID          string   `json:"clientId"`
	ClientSecret      string   `json:"clientSecret,omitempty"`
	Status            string   `json:"status"`
	AgentID           string   `json:"agentId"`
	TwilioPhoneNumber string   `json:"twilioPhoneNumber"`
	ClientMeta        fuzzMeta `json:"clientMeta"`
	Calling           struct {
		MaxCallsPerHour int `json:"maxCallsPerHour"`
		Hours           *struct {
			Timezone string   `json:"timezone"`
			Start    string   `json:"start"`
			End      string   `json:"end"`
			Days     []string `json:"days"`
		} `json:"hours"`
	} `json:"calling"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// own is the client as it reads itself: without the administrator's notes.
func (c fuzzClient) own() fuzzClient {
	c.ClientMeta.Notes = ""
	return c
}

// fuzzReadClient decodes a client strictly: exact member names, no unknown
// member (no hash or token version may leak), every member present.
func fuzzReadClient(t *testing.T, what string, raw []byte) fuzzClient {
	t.Helper()
	var c fuzzClient
	if err := jsonv2.Unmarshal(raw, &c, jsonv2.RejectUnknownMembers(true)); err != nil {
		t.Fatalf("%s: client %s: %v", what, raw, err)
	}
	var members map[string]json.RawMessage
	json.Unmarshal(raw, &members)
	for _, name := range []string{"clientId", "status", "agentId", "twilioPhoneNumber", "clientMeta", "createdAt", "updatedAt"} {
		if _, ok := members[name]; !ok {
			t.Fatalf("%s: client has no %q: %s", what, name, raw)
		}
	}
	return c
}

// fuzzMember returns the raw JSON of a top-level member of body.
func fuzzMember(t *testing.T, body []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m[name] == nil {
		t.Fatalf("no %q in %s", name, body)
	}
	return m[name]
}

var (
	fuzzE164     = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	fuzzClientID = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,64}$`)
)

// fuzzCheckRecord checks a client read back from the API: the document's
// formats, and the domain's own rules applied again to the stored values.
func fuzzCheckRecord(t *testing.T, c fuzzClient) {
	t.Helper()
	if !fuzzClientID.MatchString(c.ClientID) {
		t.Errorf("stored clientId %q", c.ClientID)
	}
	if !strings.Contains(c.ClientMeta.Email, "@") {
		t.Errorf("stored email %q has no @", c.ClientMeta.Email)
	}
	if !fuzzE164.MatchString(c.ClientMeta.Phone) || !fuzzE164.MatchString(c.TwilioPhoneNumber) {
		t.Errorf("stored phones %q, %q are not E.164", c.ClientMeta.Phone, c.TwilioPhoneNumber)
	}
	if st := switchboard.Status(c.Status); !st.Valid() {
		t.Errorf("stored status %q", c.Status)
	}
	if c.ClientSecret != "" {
		t.Errorf("a read shows the client secret")
	}
	for _, ts := range []string{c.CreatedAt, c.UpdatedAt} {
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
			t.Errorf("stored time %q: %v", ts, err)
		}
	}
	m := c.ClientMeta
	dc := switchboard.Client{
		ID: c.ClientID, Status: switchboard.Status(c.Status), AgentID: c.AgentID, TwilioPhoneNumber: c.TwilioPhoneNumber,
		Meta: switchboard.ClientMeta{FullName: m.FullName, Email: m.Email, Phone: m.Phone,
			BusinessName: m.BusinessName, City: m.City, JobTitle: m.JobTitle, Notes: m.Notes},
	}
	normalized := dc
	normalized.Normalize()
	if normalized != dc {
		t.Errorf("stored record is not normalized: %+v", c)
	}
	if err := dc.Validate(); err != nil {
		t.Errorf("stored record fails validation (%v): %+v", err, c)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// fuzzGetClient reads a client through GET /admin/clients/:clientId, which must answer 200.
func fuzzGetClient(t *testing.T, ts *testServer, id string) fuzzClient {
	t.Helper()
	res := ts.admin("GET", "/admin/clients/"+url.PathEscape(id), "")
	if res.Status != 200 {
		t.Fatalf("GET /admin/clients/%s = %d: %s", id, res.Status, res.Body)
	}
	c := fuzzReadClient(t, "GET /admin/clients/"+id, res.Body)
	fuzzCheckRecord(t, c)
	return c
}

// fuzzJSON marshals v for a request body.
func fuzzJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fuzzCreateRequest is the create body as the handler reads it.
type fuzzCreateRequest struct {
	ClientID          string   `json:"clientId"`
	ClientSecret      string   `json:"clientSecret"`
	ClientMeta        fuzzMeta `json:"clientMeta"`
	AgentID           string   `json:"agentId"`
	TwilioPhoneNumber string   `json:"twilioPhoneNumber"`
	Status            string   `json:"status"`
}

var fuzzGeneratedID = regexp.MustCompile(`^client_[0-9a-f]{16}$`)

// FuzzCreateClient posts the body to POST /admin/clients. A 201 must hold
// exactly what the body said (trimmed, with the documented defaults), and the
// stored client must read back the same from GET /admin/clients/:id, the
// listing and a search, must be able to log in with the echoed secret when
// Active (401 otherwise), and must delete cleanly. Anything else must store
// nothing. Each created client is deleted, so the document's own body keeps
// succeeding and mutations of it reach the store instead of a 409.
func FuzzCreateClient(f *testing.F) {
	base := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ts := base.with(t)
		defer ts.fuzzCheckLog(t)
		before := ts.countClients()
		res := ts.admin("POST", "/admin/clients", string(body))
		fuzzCheckAnswer(t, "POST /admin/clients", res, body, 201, 400, 409)
		if res.Status != 201 {
			if n := ts.countClients(); n != before {
				t.Fatalf("refused create (%d) changed the client count from %d to %d: %q", res.Status, before, n, body)
			}
			return
		}

		var sent fuzzCreateRequest
		if err := fuzzDecode(body, &sent); err != nil {
			t.Fatalf("201 for a body the decoder refuses (%v): %q", err, body)
		}
		created := fuzzReadClient(t, "create response", fuzzMember(t, res.Body, "client"))
		trim := strings.TrimSpace
		want := fuzzClient{
			ClientID: trim(sent.ClientID), ClientSecret: sent.ClientSecret, Status: sent.Status,
			AgentID: trim(sent.AgentID), TwilioPhoneNumber: trim(sent.TwilioPhoneNumber),
			ClientMeta: fuzzMeta{
				FullName: trim(sent.ClientMeta.FullName), Email: trim(sent.ClientMeta.Email), Phone: trim(sent.ClientMeta.Phone),
				BusinessName: trim(sent.ClientMeta.BusinessName), City: trim(sent.ClientMeta.City),
				JobTitle: trim(sent.ClientMeta.JobTitle), Notes: trim(sent.ClientMeta.Notes),
			},
			CreatedAt: created.CreatedAt, UpdatedAt: created.UpdatedAt,
		}
		if sent.ClientID == "" && fuzzGeneratedID.MatchString(created.ClientID) {
			want.ClientID = created.ClientID
		}
		if sent.ClientSecret == "" && len(created.ClientSecret) == 43 {
			want.ClientSecret = created.ClientSecret
		}
		if sent.Status == "" {
			want.Status = string(switchboard.StatusActive)
		}
		// Calling settings are not among the fuzzed fields: the default,
		// unless the input happened to set some.
		want.Calling.MaxCallsPerHour = switchboard.MaxCallsPerHourDefault
		if strings.Contains(string(body), "calling") {
			want.Calling = created.Calling
		}
		if created != want {
			t.Fatalf("created client differs from the request %q:\ngot  %+v\nwant %+v", body, created, want)
		}
		secret := created.ClientSecret
		id := created.ClientID
		defer func() {
			// Delete it, whatever happened above, so later inputs start clean.
			if res := ts.admin("DELETE", "/admin/clients/"+url.PathEscape(id), ""); res.Status != 200 {
				t.Errorf("DELETE /admin/clients/%s = %d: %s", id, res.Status, res.Body)
			}
			if res := ts.admin("GET", "/admin/clients/"+url.PathEscape(id), ""); res.Status != 404 {
				t.Errorf("GET of a deleted client = %d: %s", res.Status, res.Body)
			}
		}()

		stored := fuzzGetClient(t, ts, id)
		created.ClientSecret = ""
		if stored != created {
			t.Fatalf("stored client differs from the create response:\nstored  %+v\ncreated %+v", stored, created)
		}

		// Every read path returns it the same.
		for _, path := range []string{
			"/admin/clients?limit=100",
			"/admin/clients?limit=100&status=" + url.QueryEscape(stored.Status),
			"/admin/clients?limit=100&search=" + url.QueryEscape(fuzzPrefix(stored.ClientMeta.FullName, 200)),
			"/admin/clients?limit=100&search=" + url.QueryEscape(fuzzPrefix(stored.ClientMeta.Email, 200)),
		} {
			list := ts.admin("GET", path, "")
			if list.Status != 200 {
				t.Fatalf("GET %s = %d: %s", path, list.Status, list.Body)
			}
			var page struct {
				Clients []json.RawMessage `json:"clients"`
			}
			if err := json.Unmarshal(list.Body, &page); err != nil {
				t.Fatalf("GET %s: %v: %s", path, err, list.Body)
			}
			found := false
			for _, raw := range page.Clients {
				c := fuzzReadClient(t, "GET "+path, raw)
				fuzzCheckRecord(t, c)
				if c.ClientID == id {
					found = true
					if c != stored {
						t.Fatalf("GET %s lists %+v, GET by id %+v", path, c, stored)
					}
				}
			}
			if !found {
				t.Fatalf("GET %s does not list the new client %q: %s", path, id, list.Body)
			}
		}

		// The echoed secret logs in while Active, and the token reads the same record.
		login := ts.do("POST", "/auth/login", "", fuzzJSON(map[string]string{"clientId": id, "clientSecret": secret}))
		if stored.Status != string(switchboard.StatusActive) {
			if login.Status != 401 {
				t.Fatalf("login of a %s client = %d, want 401: %s", stored.Status, login.Status, login.Body)
			}
			return
		}
		if login.Status != 200 {
			t.Fatalf("login with the echoed secret = %d: %s", login.Status, login.Body)
		}
		own := ts.do("GET", "/secure/client", login.str("token"), "")
		if own.Status != 200 {
			t.Fatalf("GET /secure/client with the new token = %d: %s", own.Status, own.Body)
		}
		if c := fuzzReadClient(t, "GET /secure/client", own.Body); c != stored.own() {
			t.Fatalf("GET /secure/client = %+v, admin read %+v", c, stored)
		}
	})
}

// fuzzPrefix is the first n characters of s.
func fuzzPrefix(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// fuzzUpdateRequest is the update body as the handlers read it.
type fuzzUpdateRequest struct {
	ClientID     *string        `json:"clientId"`
	ClientSecret jsontext.Value `json:"clientSecret"`
	ClientMeta   *struct {
		FullName     *string `json:"fullName"`
		Email        *string `json:"email"`
		Phone        *string `json:"phone"`
		BusinessName *string `json:"businessName"`
		City         *string `json:"city"`
		JobTitle     *string `json:"jobTitle"`
		Notes        *string `json:"notes"`
	} `json:"clientMeta"`
	AgentID           *string `json:"agentId"`
	TwilioPhoneNumber *string `json:"twilioPhoneNumber"`
	Status            *string `json:"status"`
}

// apply returns c with what u sets, trimmed; with admin false only clientMeta.
func (u *fuzzUpdateRequest) apply(c fuzzClient, admin bool) fuzzClient {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	if m := u.ClientMeta; m != nil {
		set(&c.ClientMeta.FullName, m.FullName)
		set(&c.ClientMeta.Email, m.Email)
		set(&c.ClientMeta.Phone, m.Phone)
		set(&c.ClientMeta.BusinessName, m.BusinessName)
		set(&c.ClientMeta.City, m.City)
		set(&c.ClientMeta.JobTitle, m.JobTitle)
	}
	if admin {
		if m := u.ClientMeta; m != nil {
			set(&c.ClientMeta.Notes, m.Notes) // the administrator's: a client's update ignores it
		}
		set(&c.AgentID, u.AgentID)
		set(&c.TwilioPhoneNumber, u.TwilioPhoneNumber)
		if u.Status != nil {
			c.Status = *u.Status
		}
	}
	return c
}

// FuzzUpdateClient sends the body to PUT /secure/client (with the client's
// token) and then to PUT /admin/clients/:id. After each, the client must read
// back as a valid record; a 200 must have changed exactly the fields the body
// sets (and, for the client's own update, none of the administrator's), and
// anything else must have changed nothing, not even updatedAt. A status moved
// away from Active is set back, so the client's token keeps working.
func FuzzUpdateClient(f *testing.F) {
	base := newFuzzServer(f)
	const id = "fuzz_update"
	token := base.login(id, base.createClient(id, "update@example.com"))
	base.createClient("fuzz_other", "taken@example.com")
	base.fuzzTakeLog()

	f.Fuzz(func(t *testing.T, body []byte) {
		ts := base.with(t)
		defer ts.fuzzCheckLog(t)
		var sent fuzzUpdateRequest
		decErr := fuzzDecode(body, &sent)
		clients := ts.countClients()

		for _, admin := range []bool{false, true} {
			before := fuzzGetClient(t, ts, id)
			what, res := "PUT /secure/client", (*response)(nil)
			if admin {
				what = "PUT /admin/clients/" + id
				res = ts.admin("PUT", "/admin/clients/"+id, string(body))
				fuzzCheckAnswer(t, what, res, body, 200, 400, 409)
			} else {
				res = ts.do("PUT", "/secure/client", token, string(body))
				fuzzCheckAnswer(t, what, res, body, 200, 400, 403, 409)
			}
			after := fuzzGetClient(t, ts, id)
			if res.Status != 200 {
				if after != before {
					t.Fatalf("%s refused with %d but changed the client:\nbefore %+v\nafter  %+v", what, res.Status, before, after)
				}
				continue
			}
			if decErr != nil {
				t.Fatalf("%s: 200 for a body the decoder refuses (%v): %q", what, decErr, body)
			}
			if !admin {
				for name, v := range map[string]*string{"clientId": sent.ClientID, "status": sent.Status,
					"agentId": sent.AgentID, "twilioPhoneNumber": sent.TwilioPhoneNumber} {
					have := map[string]string{"clientId": before.ClientID, "status": before.Status,
						"agentId": before.AgentID, "twilioPhoneNumber": before.TwilioPhoneNumber}[name]
					if v != nil && *v != have {
						t.Fatalf("%s: 200 for a body that changes %s to %q: %q", what, name, *v, body)
					}
				}
			}
			want := sent.apply(before, admin)
			want.UpdatedAt = after.UpdatedAt
			if after != want {
				t.Fatalf("%s of %q stored\n%+v\nwant\n%+v", what, body, after, want)
			}
			read := after
			if !admin {
				read = after.own()
			}
			if got := fuzzReadClient(t, what, fuzzMember(t, res.Body, "client")); got != read {
				t.Fatalf("%s answered %+v, a read gives %+v", what, got, read)
			}
		}

		if n := ts.countClients(); n != clients {
			t.Fatalf("an update changed the client count from %d to %d", clients, n)
		}
		if c := fuzzGetClient(t, ts, id); c.Status != string(switchboard.StatusActive) {
			ts.admin("PUT", "/admin/clients/"+id, `{"status":"Active"}`).wantStatus(200)
		}
	})
}

// FuzzLogin posts the body to POST /auth/login and POST /auth/admin/login.
// Only 200, 400, 401 and 429 may come back, and 200 exactly when the body,
// read as the server reads it, holds the right credentials: an Active
// client's id and secret, or the admin's username and password. An Inactive
// client's right secret is a 401.
func FuzzLogin(f *testing.F) {
	base := newFuzzServer(f)
	const (
		id, secret             = "login_client", "correct-secret-0123456789"
		inactiveID, inactiveSc = "inactive_client", "inactive-secret-0123456789"
	)
	create := func(id, secret, email, status string) {
		base.admin("POST", "/admin/clients", fuzzJSON(map[string]any{
			"clientId": id, "clientSecret": secret, "status": status, "agentId": "agent_1", "twilioPhoneNumber": "+18001234567",
			"clientMeta": map[string]string{"fullName": "Login Client", "email": email, "phone": "+12125551234"},
		})).wantStatus(201)
	}
	create(id, secret, "login@example.com", "Active")
	create(inactiveID, inactiveSc, "inactive@example.com", "Inactive")
	base.fuzzTakeLog()

	f.Fuzz(func(t *testing.T, body []byte) {
		ts := base.with(t)
		defer ts.fuzzCheckLog(t)

		var client struct {
			ClientID     string `json:"clientId"`
			ClientSecret string `json:"clientSecret"`
		}
		right := fuzzDecode(body, &client) == nil && client.ClientID == id && client.ClientSecret == secret
		res := ts.do("POST", "/auth/login", "", string(body))
		fuzzCheckAnswer(t, "POST /auth/login", res, body, 200, 400, 401, 429)
		if (res.Status == 200) != right {
			t.Fatalf("POST /auth/login = %d for %q (decoded %+v): %s", res.Status, body, client, res.Body)
		}
		if right {
			if got := res.str("client.clientId"); got != id {
				t.Fatalf("login answered client %q", got)
			}
			ts.do("GET", "/auth/validate", res.str("token"), "").wantStatus(200)
		}

		var admin struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		right = fuzzDecode(body, &admin) == nil && admin.Username == adminUsername && admin.Password == adminPassword
		res = ts.do("POST", "/auth/admin/login", "", string(body))
		fuzzCheckAnswer(t, "POST /auth/admin/login", res, body, 200, 400, 401, 429)
		if (res.Status == 200) != right {
			t.Fatalf("POST /auth/admin/login = %d for %q (decoded %+v): %s", res.Status, body, admin, res.Body)
		}
		if right {
			ts.do("GET", "/admin/clients?limit=1", res.str("token"), "").wantStatus(200)
		}
	})
}

// FuzzChangeSecret posts the body to POST /auth/change-secret with a live
// client token. It must succeed exactly when the body's currentSecret is the
// client's secret and its newSecret a valid, different one; then the old
// token and secret stop working and the new ones work, and the secret is
// changed back so every input starts from the same state. A refusal leaves
// the token working.
func FuzzChangeSecret(f *testing.F) {
	base := newFuzzServer(f)
	const id, original = "secret_client", "original-secret-0123456789"
	base.admin("POST", "/admin/clients", fuzzJSON(map[string]any{
		"clientId": id, "clientSecret": original, "agentId": "agent_1", "twilioPhoneNumber": "+18001234567",
		"clientMeta": map[string]string{"fullName": "Secret Client", "email": "secret@example.com", "phone": "+12125551234"},
	})).wantStatus(201)
	token := base.login(id, original)
	base.fuzzTakeLog()

	f.Fuzz(func(t *testing.T, body []byte) {
		ts := base.with(t)
		defer ts.fuzzCheckLog(t)

		var sent struct {
			CurrentSecret string `json:"currentSecret"`
			NewSecret     string `json:"newSecret"`
		}
		decErr := fuzzDecode(body, &sent)
		right := decErr == nil && sent.CurrentSecret == original && sent.NewSecret != original &&
			switchboard.ValidateSecret("newSecret", sent.NewSecret) == nil
		res := ts.do("POST", "/auth/change-secret", token, string(body))
		fuzzCheckAnswer(t, "POST /auth/change-secret", res, body, 200, 400, 401)
		if (res.Status == 200) != right {
			t.Fatalf("POST /auth/change-secret = %d for %q (decoded %+v, %v): %s", res.Status, body, sent, decErr, res.Body)
		}
		if res.Status != 200 {
			if res := ts.do("GET", "/auth/validate", token, ""); res.Status != 200 {
				t.Fatalf("a refused change (%q) ended the token: %d %s", body, res.Status, res.Body)
			}
			return
		}

		fresh := res.str("token")
		ts.do("GET", "/auth/validate", token, "").wantStatus(401)
		ts.do("GET", "/auth/validate", fresh, "").wantStatus(200)
		ts.do("POST", "/auth/login", "", fuzzJSON(map[string]string{"clientId": id, "clientSecret": original})).wantStatus(401)
		ts.login(id, sent.NewSecret)

		// Back to the original secret, with the token that comes with it.
		back := ts.do("POST", "/auth/change-secret", fresh,
			fuzzJSON(map[string]string{"currentSecret": sent.NewSecret, "newSecret": original})).wantStatus(200)
		token = back.str("token")
	})
}

// FuzzVerify posts the body to POST /auth/verify. Only 200 and 400 may come
// back, and "valid": true exactly when the body's token is the live client
// token this test issued; revoked tokens, a suspended or deleted client's,
// the admin's and everything else are "valid": false. In the body,
// LIVE_TOKEN, REVOKED_TOKEN, SUSPENDED_TOKEN, DELETED_TOKEN and ADMIN_TOKEN
// stand for those tokens.
func FuzzVerify(f *testing.F) {
	base := newFuzzServer(f)
	const id = "verify_client"
	secret := base.createClient(id, "verify@example.com")
	live := base.login(id, secret)
	revoked := base.login(id, secret)
	base.do("POST", "/auth/logout", revoked, "").wantStatus(200)

	suspended := base.login("suspended_client", base.createClient("suspended_client", "suspended@example.com"))
	base.admin("PUT", "/admin/clients/suspended_client", `{"status":"Suspended"}`).wantStatus(200)

	deleted := base.login("deleted_client", base.createClient("deleted_client", "deleted@example.com"))
	base.admin("DELETE", "/admin/clients/deleted_client", "").wantStatus(200)
	base.fuzzTakeLog()

	// The seeds name tokens by placeholder, replaced here by this process's
	// tokens: each fuzzing process has its own server, and so its own tokens.
	placeholders := strings.NewReplacer("LIVE_TOKEN", live, "REVOKED_TOKEN", revoked,
		"SUSPENDED_TOKEN", suspended, "DELETED_TOKEN", deleted, "ADMIN_TOKEN", base.adminToken)

	f.Fuzz(func(t *testing.T, body []byte) {
		ts := base.with(t)
		defer ts.fuzzCheckLog(t)

		body = []byte(placeholders.Replace(string(body)))
		var sent struct {
			Token string `json:"token"`
		}
		isLive := fuzzDecode(body, &sent) == nil && sent.Token == live
		res := ts.do("POST", "/auth/verify", "", string(body))
		fuzzCheckAnswer(t, "POST /auth/verify", res, body, 200, 400)
		if res.Status != 200 {
			if isLive {
				t.Fatalf("POST /auth/verify = %d for the live token: %s", res.Status, res.Body)
			}
			return
		}
		var got struct {
			Valid    *bool  `json:"valid"`
			ClientID string `json:"clientId"`
		}
		if err := json.Unmarshal(res.Body, &got); err != nil || got.Valid == nil {
			t.Fatalf("POST /auth/verify answered 200 without \"valid\": %s", res.Body)
		}
		if *got.Valid != isLive {
			t.Fatalf("POST /auth/verify of %q says valid=%v: %s", body, *got.Valid, res.Body)
		}
		if isLive && got.ClientID != id {
			t.Fatalf("POST /auth/verify names client %q, want %q", got.ClientID, id)
		}
	})
}
