package api_test

import (
	"testing"

	"switchboard/internal/store/storetest"
)

func TestHealthAndReadiness(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	ts := newTestServer(t, s)
	ts.do("GET", "/healthz", "", "").wantStatus(200).wantBody(`{"status":"ok"}`)
	ts.do("GET", "/readyz", "", "").wantStatus(200).wantBody(`{"status":"ready"}`)
	s.Close()
	ts.do("GET", "/healthz", "", "").wantStatus(503).wantBody(`{"status":"unavailable"}`)
	ts.do("GET", "/readyz", "", "").wantStatus(503).wantBody(`{"status":"unavailable"}`)
}

// TestSecurityHeaders: every response, success or error, carries them.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for _, res := range []*response{
		ts.do("GET", "/healthz", "", ""),
		ts.unrouted().do("GET", "/no/such/page", "", ""),
		ts.do("POST", "/auth/login", "", `{}`),
		ts.admin("GET", "/admin/clients", ""),
	} {
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("status %d response: %s = %q, want %q", res.Status, k, got, v)
			}
		}
	}
	if got := ts.admin("GET", "/admin/clients", "").Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("admin listing Cache-Control = %q, want no-store", got)
	}
}
