package api_test

import (
	"regexp"
	"strings"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// The examples of the client-account document behind README.md's "API"
// section, each request as written there and each response checked against it.

// documentCreateBody is the document's POST /admin/clients request body.
const documentCreateBody = `{
    "clientId": "client_unique_id",
    "clientSecret": "client_secure_secret_key",
    "clientMeta": {
      "fullName": "John Doe",
      "email": "john@example.com",
      "phone": "+12125551234",
      "businessName": "Acme Corp",
      "city": "New York",
      "jobTitle": "CEO",
      "notes": "Prefers morning calls"
    },
    "agentId": "agent_id_here",
    "twilioPhoneNumber": "+18001234567",
    "status": "Active"
  }`

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestDocument(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newTestServer(t, s)

		t.Run("CreateClient", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("POST", "/admin/clients", documentCreateBody).wantStatus(201)
			res.wantFields(map[string]any{
				"message":                        "Client created successfully",
				"client.clientId":                "client_unique_id",
				"client.clientSecret":            "client_secure_secret_key", // the document's security note
				"client.status":                  "Active",
				"client.agentId":                 "agent_id_here",
				"client.twilioPhoneNumber":       "+18001234567",
				"client.clientMeta.fullName":     "John Doe",
				"client.clientMeta.email":        "john@example.com",
				"client.clientMeta.phone":        "+12125551234",
				"client.clientMeta.businessName": "Acme Corp",
				"client.clientMeta.city":         "New York",
				"client.clientMeta.jobTitle":     "CEO",
				"client.clientMeta.notes":        "Prefers morning calls",
			})
			for _, f := range []string{"client.createdAt", "client.updatedAt"} {
				if v := res.str(f); !isoMillis.MatchString(v) {
					t.Errorf("%s = %q, want the document's 2025-03-20T12:00:00.000Z form", f, v)
				}
			}
		})

		var token string
		t.Run("Login", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.do("POST", "/auth/login", "", `{
    "clientId": "client_unique_id",
    "clientSecret": "client_secure_secret_key"
  }`).wantStatus(200)
			res.wantFields(map[string]any{
				"success":                        true,
				"client.clientId":                "client_unique_id",
				"client.status":                  "Active",
				"client.twilioPhoneNumber":       "+18001234567",
				"client.agentId":                 "agent_id_here",
				"client.clientMeta.fullName":     "John Doe",
				"client.clientMeta.businessName": "Acme Corp",
				"client.clientMeta.email":        "john@example.com",
			})
			token = res.str("token")
			if !strings.HasPrefix(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.") {
				t.Errorf("token %q is not an HS256 JWT like the document's", token)
			}
		})

		t.Run("UseToken", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.do("GET", "/secure/client", token, "").wantStatus(200)
			res.wantFields(map[string]any{"clientId": "client_unique_id", "clientMeta.email": "john@example.com"})
			if strings.Contains(string(res.Body), "clientSecret") || strings.Contains(string(res.Body), "client_secure_secret_key") {
				t.Errorf("GET /secure/client shows the secret: %s", res.Body)
			}
		})

		t.Run("InvalidCredentials", func(t *testing.T) {
			ts := ts.with(t)
			ts.do("POST", "/auth/login", "", `{"clientId":"client_unique_id","clientSecret":"wrong-secret-value"}`).
				wantStatus(401).wantBody(`{"error": "Invalid credentials or inactive client"}`)
			ts.do("POST", "/auth/login", "", `{"clientId":"no_such_client","clientSecret":"client_secure_secret_key"}`).
				wantStatus(401).wantBody(`{"error": "Invalid credentials or inactive client"}`)
		})

		t.Run("MissingFields", func(t *testing.T) {
			ts := ts.with(t)
			want := `{"error": "Missing required fields", "requiredFields": ["clientId", "clientSecret"]}`
			for _, body := range []string{``, `{}`, `{"clientId":"client_unique_id"}`, `{"clientSecret":"x"}`, `{"clientId":"","clientSecret":""}`} {
				ts.do("POST", "/auth/login", "", body).wantStatus(400).wantBody(want)
			}
		})

		t.Run("DuplicateEmail", func(t *testing.T) {
			ts := ts.with(t)
			body := strings.Replace(documentCreateBody, `"client_unique_id"`, `"another_client"`, 1)
			res := ts.admin("POST", "/admin/clients", body).wantStatus(409)
			res.wantFields(map[string]any{"error": "Client already exists with this ID or email"})
			if d := res.str("details"); !strings.Contains(d, "john@example.com") {
				t.Errorf("details %q should name the duplicate email", d)
			}
			// Letter case does not make an email new.
			body = strings.Replace(body, "john@example.com", "John@Example.COM", 1)
			ts.admin("POST", "/admin/clients", body).wantStatus(409).
				wantFields(map[string]any{"error": "Client already exists with this ID or email"})
			// Nor does the same clientId with another email.
			body = strings.Replace(documentCreateBody, "john@example.com", "other@example.com", 1)
			ts.admin("POST", "/admin/clients", body).wantStatus(409).
				wantFields(map[string]any{"error": "Client already exists with this ID or email"})
			if n := ts.countClients(); n != 1 {
				t.Errorf("%d clients stored, want 1", n)
			}
		})

		t.Run("InvalidTwilioPhoneNumber", func(t *testing.T) {
			ts := ts.with(t)
			body := strings.NewReplacer(`"client_unique_id"`, `"client_bad_phone"`, "john@example.com", "bad@example.com",
				`"+18001234567"`, `"18001234567"`).Replace(documentCreateBody)
			ts.admin("POST", "/admin/clients", body).wantStatus(400).wantFields(map[string]any{
				"error":                    "Failed to create client",
				"details":                  "Invalid phone number format",
				"fields.twilioPhoneNumber": "Invalid phone number format",
			})
			if n := ts.countClients(); n != 1 {
				t.Errorf("%d clients stored, want 1", n)
			}
		})

		t.Run("ResetSecret", func(t *testing.T) {
			ts := ts.with(t)
			res := ts.admin("POST", "/admin/clients/client_unique_id/reset-secret", "").wantStatus(200)
			res.wantFields(map[string]any{"message": "Client secret reset successfully", "client.clientId": "client_unique_id"})
			secret := res.str("client.clientSecret")
			if len(res.json()["client"].(map[string]any)) != 2 {
				t.Errorf("reset response client should hold only clientId and clientSecret: %s", res.Body)
			}
			// "the old token will no longer work"
			ts.do("GET", "/secure/client", token, "").wantStatus(401)
			ts.do("POST", "/auth/login", "", `{"clientId":"client_unique_id","clientSecret":"client_secure_secret_key"}`).
				wantStatus(401)
			token = ts.login("client_unique_id", secret)
			ts.do("GET", "/secure/client", token, "").wantStatus(200)
		})

		t.Run("InactiveStatus", func(t *testing.T) {
			ts := ts.with(t)
			secret := ts.admin("POST", "/admin/clients/client_unique_id/reset-secret", "").str("client.clientSecret")
			for _, status := range []string{"Inactive", "Suspended"} {
				ts.admin("PUT", "/admin/clients/client_unique_id", `{"status":"`+status+`"}`).wantStatus(200).
					wantFields(map[string]any{"message": "Client updated successfully", "client.status": status})
				ts.do("POST", "/auth/login", "", `{"clientId":"client_unique_id","clientSecret":"`+secret+`"}`).
					wantStatus(401).wantBody(`{"error": "Invalid credentials or inactive client"}`)
			}
			// "Ensure the client's status is Active using the /admin/clients/:clientId endpoint"
			ts.admin("PUT", "/admin/clients/client_unique_id", `{"status":"Active"}`).wantStatus(200)
			ts.login("client_unique_id", secret)
		})
	})
}
