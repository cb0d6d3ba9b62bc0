package api_test

import (
	"net"
	"strings"
	"testing"

	"switchboard/internal/httpserver"
	"switchboard/internal/store/storetest"
)

// Bad input gets a clear JSON error and changes nothing.
func TestBadInput(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.createClient("existing_client", "existing@example.com")
	existingToken := ts.login("existing_client", ts.admin("POST", "/admin/clients/existing_client/reset-secret", "").str("client.clientSecret"))

	create := func(replace ...string) string {
		return strings.NewReplacer(replace...).Replace(clientJSON("new_client", "new@example.com"))
	}
	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            map[string]any
	}{
		{"MalformedJSON", "POST", "/auth/login", "", `{"clientId": "x",`, 400,
			map[string]any{"error": "Invalid JSON body"}},
		{"OperatorInjectionSecret", "POST", "/auth/login", "", `{"clientId":"existing_client","clientSecret":{"$ne":null}}`, 400,
			map[string]any{"error": "Invalid request body", "details": "clientSecret must be a string"}},
		{"OperatorInjectionID", "POST", "/auth/login", "", `{"clientId":{"$ne":null},"clientSecret":"whatever-it-is"}`, 400,
			map[string]any{"error": "Invalid request body", "details": "clientId must be a string"}},
		{"ArrayBody", "POST", "/auth/login", "", `[{"clientId":"a","clientSecret":"b"}]`, 400,
			map[string]any{"error": "Invalid request body", "details": "the body must be a JSON object"}},
		{"TrailingData", "POST", "/auth/login", "", `{"clientId":"a","clientSecret":"b"} {"x":1}`, 400,
			map[string]any{"error": "Invalid JSON body"}},
		{"DuplicateKey", "POST", "/auth/login", "", `{"clientId":"existing_client","clientId":"other","clientSecret":"x"}`, 400,
			map[string]any{"error": "Invalid JSON body"}},
		{"InvalidUTF8", "PUT", "/admin/clients/existing_client", "admin", "{\"clientMeta\":{\"city\":\"Par\xffis\"}}", 400,
			map[string]any{"error": "Invalid JSON body"}},
		{"AdminLoginMissing", "POST", "/auth/admin/login", "", `{"username":"admin"}`, 400,
			map[string]any{"error": "Missing required fields", "requiredFields": []any{"username", "password"}}},
		{"VerifyMissing", "POST", "/auth/verify", "", `{}`, 400, map[string]any{"error": "Token is required"}},
		{"VerifyWrongType", "POST", "/auth/verify", "", `{"token":{"$regex":"^eyJ"}}`, 400,
			map[string]any{"error": "Invalid request body", "details": "token must be a string"}},
		{"CreateMissingMeta", "POST", "/admin/clients", "admin", `{"agentId":"a","twilioPhoneNumber":"+18001234567"}`, 400,
			map[string]any{"error": "Missing required client information",
				"requiredFields": []any{"clientMeta.fullName", "clientMeta.email", "clientMeta.phone"}}},
		{"CreateMissingAgent", "POST", "/admin/clients", "admin", create(`"agentId":"agent_1",`, ``), 400,
			map[string]any{"error": "Missing required eleven labs outbound agent ID"}},
		{"CreateMissingTwilio", "POST", "/admin/clients", "admin", create(`,"twilioPhoneNumber":"+18001234567"`, ``), 400,
			map[string]any{"error": "Missing required Twilio phone number"}},
		{"CreateBadMetaPhone", "POST", "/admin/clients", "admin", create(`"+12125551234"`, `"212-555-1234"`), 400,
			map[string]any{"error": "Failed to create client", "details": "Invalid phone number format",
				"fields.clientMeta.phone": "Invalid phone number format"}},
		{"CreateBadEmail", "POST", "/admin/clients", "admin", create(`new@example.com`, `not-an-email`), 400,
			map[string]any{"error": "Failed to create client", "details": "Invalid email format"}},
		{"CreateUnknownStatus", "POST", "/admin/clients", "admin", create(`}`, `,"status":"Deleted"}`), 400,
			map[string]any{"error": "Failed to create client", "fields.status": "Invalid status: use Active, Inactive or Suspended"}},
		{"CreateBadClientID", "POST", "/admin/clients", "admin", create(`new_client`, `new client/1`), 400,
			map[string]any{"error": "Failed to create client", "details": "Invalid client ID: use 3 to 64 letters, digits, '_', '.' or '-'"}},
		{"CreateShortSecret", "POST", "/admin/clients", "admin", create(`{"clientId"`, `{"clientSecret":"short","clientId"`), 400,
			map[string]any{"error": "Failed to create client", "fields.clientSecret": "clientSecret must be at least 16 characters"}},
		{"CreateNumberAsString", "POST", "/admin/clients", "admin", create(`"+18001234567"`, `18001234567`), 400,
			map[string]any{"error": "Invalid request body", "details": "twilioPhoneNumber must be a string"}},
		{"CreateNulInName", "POST", "/admin/clients", "admin", create(`Test Client`, `Test\u0000Client`), 400,
			map[string]any{"error": "Failed to create client", "details": "clientMeta.fullName contains a control character"}},
		{"UpdateClientID", "PUT", "/admin/clients/existing_client", "admin", `{"clientId":"renamed"}`, 400,
			map[string]any{"error": "Cannot change client ID"}},
		{"UpdateSecret", "PUT", "/admin/clients/existing_client", "admin", `{"clientSecret":"a-new-secret-of-length"}`, 400,
			map[string]any{"error": "Failed to update client"}},
		{"UpdateNothing", "PUT", "/admin/clients/existing_client", "admin", `{"Status":"Suspended"}`, 400,
			map[string]any{"error": "Failed to update client", "details": "The body sets no field that can be updated"}},
		{"UpdateBadStatus", "PUT", "/admin/clients/existing_client", "admin", `{"status":"Paused"}`, 400,
			map[string]any{"error": "Failed to update client", "details": "Invalid status: use Active, Inactive or Suspended"}},
		{"UpdateEmptyName", "PUT", "/admin/clients/existing_client", "admin", `{"clientMeta":{"fullName":"  "}}`, 400,
			map[string]any{"error": "Failed to update client", "details": "clientMeta.fullName is required"}},
		{"UpdateTakenEmail", "PUT", "/admin/clients/existing_client", "admin", `{"clientMeta":{"email":"TAKEN@example.com"}}`, 409,
			map[string]any{"error": "Client already exists with this ID or email"}},
		{"UpdateUnknown", "PUT", "/admin/clients/no_such_client", "admin", `{"status":"Active"}`, 404,
			map[string]any{"error": "Client not found"}},
		{"ListBadLimit", "GET", "/admin/clients?limit=1000", "admin", ``, 400,
			map[string]any{"error": "Failed to fetch clients", "details": "limit must be a whole number from 1 to 100"}},
		{"ListBadOffset", "GET", "/admin/clients?offset=-1", "admin", ``, 400,
			map[string]any{"error": "Failed to fetch clients", "details": "offset must be a whole number, 0 or more"}},
		{"ListBadStatus", "GET", "/admin/clients?status=active", "admin", ``, 400,
			map[string]any{"error": "Failed to fetch clients", "details": "Invalid status: use Active, Inactive or Suspended"}},
		{"GetUnknown", "GET", "/admin/clients/no_such_client", "admin", ``, 404, map[string]any{"error": "Client not found"}},
		{"DeleteUnknown", "DELETE", "/admin/clients/no_such_client", "admin", ``, 404, map[string]any{"error": "Client not found"}},
		{"ResetUnknown", "POST", "/admin/clients/no_such_client/reset-secret", "admin", ``, 404, map[string]any{"error": "Client not found"}},
		{"SecureChangeStatus", "PUT", "/secure/client", "client", `{"status":"Active","clientMeta":{"city":"Paris"}}`, 200, nil},
		{"SecureChangeStatusRefused", "PUT", "/secure/client", "client", `{"status":"Suspended"}`, 403,
			map[string]any{"error": "Failed to update client", "details": "status can only be changed by an administrator"}},
		{"SecureChangeAgentRefused", "PUT", "/secure/client", "client", `{"agentId":"agent_other","clientMeta":{"city":"Rome"}}`, 403,
			map[string]any{"details": "agentId can only be changed by an administrator"}},
		{"SecureChangeNumberRefused", "PUT", "/secure/client", "client", `{"twilioPhoneNumber":"+18005550000"}`, 403,
			map[string]any{"details": "twilioPhoneNumber can only be changed by an administrator"}},
		{"SecureBadPhone", "PUT", "/secure/client", "client", `{"clientMeta":{"phone":"555"}}`, 400,
			map[string]any{"error": "Failed to update client", "details": "Invalid phone number format"}},
		{"SecureTakenEmail", "PUT", "/secure/client", "client", `{"clientMeta":{"email":"taken@EXAMPLE.com"}}`, 409,
			map[string]any{"error": "Client already exists with this ID or email"}},
		{"ChangeSecretMissing", "POST", "/auth/change-secret", "client", `{"currentSecret":"x"}`, 400,
			map[string]any{"error": "Both current and new secrets are required"}},
		{"ChangeSecretInjection", "POST", "/auth/change-secret", "client", `{"currentSecret":{"$ne":null},"newSecret":"a-brand-new-secret"}`, 400,
			map[string]any{"error": "Invalid request body", "details": "currentSecret must be a string"}},
	}
	ts.createClient("taken_client", "taken@example.com")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := ts.with(t)
			before := ts.admin("GET", "/admin/clients/existing_client", "").Body
			clients := ts.countClients()
			token := map[string]string{"admin": ts.adminToken, "client": existingToken}[tt.token]
			res := ts.do(tt.method, tt.path, token, tt.body).wantStatus(tt.status)
			if tt.want != nil {
				res.wantFields(tt.want)
			}
			if tt.status >= 400 {
				if after := ts.admin("GET", "/admin/clients/existing_client", "").Body; string(after) != string(before) {
					t.Errorf("refused request changed the client:\nbefore %s\nafter  %s", before, after)
				}
				if n := ts.countClients(); n != clients {
					t.Errorf("refused request changed the client count from %d to %d", clients, n)
				}
			}
		})
	}
}

// TestBodyTooLarge needs a real listener: the body limit is enforced while
// the server reads the request, which app.Test bypasses.
func TestBodyTooLarge(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.app.Listener(ln)
	t.Cleanup(func() { ts.app.Shutdown() })

	// Only the headers go out: the server must refuse by the declared size,
	// reading none of the body.
	headersOnly(t, ln.Addr().String(), "POST", "/admin/clients", ts.adminToken, httpserver.BodyLimit+1).
		wantStatus(413).wantBody(`{"error":"Request body too large"}`)
	if n := ts.countClients(); n != 0 {
		t.Errorf("%d clients stored", n)
	}
}

func TestUnknownRoute(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.unrouted().do("GET", "/no/such/route", "", "").wantStatus(404).wantBody(`{"error":"Not found"}`)
}
