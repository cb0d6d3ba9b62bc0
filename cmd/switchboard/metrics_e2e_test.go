package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var metricsLine = regexp.MustCompile(`msg="metrics listening" addr=(http://\S+)/metrics`)

// TestEndToEnd_Metrics: with METRICS_ADDR, after a short scripted run (sign
// in, a refused sign-in, a simulated call that reports back through the
// webhook), /metrics on its own listener shows every family in the
// Prometheus text format; the API's listener does not serve it.
func TestEndToEnd_Metrics(t *testing.T) {
	binary(t)
	ctx := testContext(t)
	env := callsEnv(filepath.Join(t.TempDir(), "sb.db"), nil)
	env["METRICS_ADDR"], env["SIMULATE_CALLS_DELAY"] = "127.0.0.1:0", "100ms"
	srv := startServer(ctx, t, env)
	m, err := srv.stderr.waitFor(ctx, srv.done, metricsLine)
	if err != nil {
		t.Fatalf("no line saying where metrics are: %v\n%s", err, srv.stderr)
	}
	metricsURL := m[1]

	_, token := signInBoth(t, srv)
	srv.do("POST", "/auth/login", "", map[string]string{"clientId": clientID, "clientSecret": "not-the-secret-at-all"}).
		expect(t, "wrong secret", 401)
	srv.do("POST", "/secure/make-call", token, map[string]any{"phone": e2eCallee}).expect(t, "make-call", 200)
	srv.do("GET", "/metrics", "", nil).expect(t, "GET /metrics on the API's listener", 404)

	// The simulator reports the call's outcome through the webhook shortly.
	var families map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; {
		families = scrape(t, srv, metricsURL)
		if counterOf(families, "switchboard_webhook_deliveries_total", "result", "ok") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook delivery counted within 10 s; log:\n%s", srv.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"switchboard_sign_ins_total", []string{"kind", "admin", "outcome", "ok"}, 1},
		{"switchboard_sign_ins_total", []string{"kind", "client", "outcome", "ok"}, 1},
		{"switchboard_sign_ins_total", []string{"kind", "client", "outcome", "refused"}, 1},
		{"switchboard_calls_placed_total", []string{"outcome", "placed"}, 1},
		{"switchboard_http_requests_total", []string{"route", "/auth/login", "method", "POST", "status", "401"}, 1},
		{"switchboard_http_requests_total", []string{"route", "/webhooks/elevenlabs", "method", "POST", "status", "200"}, 1},
		{"switchboard_http_requests_total", []string{"route", "unmatched", "method", "GET", "status", "404"}, 1},
	} {
		if got := counterOf(families, c.family, c.labels...); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	// The reconciler runs at start-up; then every 30 s.
	if got := counterOf(families, "switchboard_reconciler_runs_total", "result", "ok"); got < 1 {
		t.Errorf("reconciler runs = %v, want at least 1", got)
	}
	for _, name := range []string{"switchboard_http_request_duration_seconds", "switchboard_sign_in_hash_wait_seconds",
		"switchboard_throttle_allowances", "go_sql_open_connections", "go_build_info", "go_goroutines"} {
		if families[name] == nil {
			t.Errorf("no family %s", name)
		}
	}
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
}

// scrape reads url+"/metrics" with Prometheus's own text parser.
func scrape(t *testing.T, srv *server, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := srv.http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return families
}

// counterOf is the counter of family whose labels include the name, value
// pairs given; -1 when there is none.
func counterOf(families map[string]*dto.MetricFamily, family string, pairs ...string) float64 {
	f := families[family]
	if f == nil {
		return -1
	}
series:
	for _, s := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			if got[pairs[i]] != pairs[i+1] {
				continue series
			}
		}
		return s.GetCounter().GetValue()
	}
	return -1
}
