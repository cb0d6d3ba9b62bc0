package api_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"switchboard/internal/api"
	"switchboard/internal/auth"
	"switchboard/internal/httpserver"
	"switchboard/internal/metrics"
	"switchboard/internal/store/storetest"
)

// newMetricsServer is the calls app, as cmd wires it with METRICS_ADDR:
// the same Metrics in the app, the auth service and the calling service.
func newMetricsServer(t *testing.T) (*callServer, *metrics.Metrics) {
	t.Helper()
	var srv *api.Server
	cs := newCallServerWith(t, storetest.Open(t, "sqlite"), func(s *api.Server) { srv = s })
	m := metrics.New()
	for name, db := range cs.db.Pools() {
		m.AddDB(name, db)
	}
	m.AddThrottleSize(cs.db.ThrottleSize)
	cs.svc.Metrics, cs.calling.Metrics = m, m
	cs.svc.HashLimit = auth.NewHashLimit(2, time.Second)
	cs.app = httpserver.New(httpserver.Config{Log: discardLog(), Metrics: m})
	srv.Register(cs.app)
	return cs, m
}

// value is the counter or gauge, or the histogram's count, of family whose
// labels are exactly labels ("name=value" each), read from the registry; 0
// when there is none.
func value(t *testing.T, m *metrics.Metrics, family string, labels ...string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, series := range f.GetMetric() {
			var got []string
			for _, l := range series.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
			if !slices.Equal(got, labels) { // both sorted by name
				continue
			}
			switch {
			case series.Gauge != nil:
				return series.GetGauge().GetValue()
			case series.Histogram != nil:
				return float64(series.GetHistogram().GetSampleCount())
			}
			return series.GetCounter().GetValue()
		}
		return 0
	}
	t.Fatalf("no family %s", family)
	return 0
}

// TestMetrics: after real requests, the registry counts them by route
// pattern, sign-ins by kind and outcome, calls placed, webhook deliveries
// by result and reconciler runs; its exposition parses.
func TestMetrics(t *testing.T) {
	cs, m := newMetricsServer(t)
	// The harness's admin signed in before the metrics were wired.
	token := cs.client("metrics_client")
	cs.do("POST", "/auth/login", "", `{"clientId":"metrics_client","clientSecret":"wrong-secret-0123456"}`).wantStatus(401)
	cs.do("POST", "/auth/admin/login", "", `{"username":"admin","password":"wrong-password-0123"}`).wantStatus(401)
	cs.do("GET", "/admin/clients/metrics_client", cs.adminToken, "").wantStatus(200)
	cs.do("GET", "/admin/clients/nobody_here", cs.adminToken, "").wantStatus(404)
	cs.do("GET", "/admin/clients/metrics_client", "", "").wantStatus(401) // refused before the route's handler
	for _, p := range []string{"/wp-admin", "/x/y/z", "/auth/nothing/here"} {
		cs.unrouted().do("GET", p, "", "").wantStatus(404) // no route: not in the document either
	}

	placed := cs.placeCall("metrics_client", token, "+12125550199")
	cs.makeCall(token, `{"phone":"not-a-phone"}`).wantStatus(400)
	event := cs.transcription(placed.ConversationID, 30, "success")
	cs.webhook(event).wantStatus(200)
	cs.webhook(event).wantStatus(200) // ElevenLabs retries: a duplicate
	cs.webhook(cs.transcription("conv_nobody", 30, "success")).wantStatus(200)
	cs.postWebhook(cs.eventBody(event), "t=1,v0=bad").wantStatus(401)
	if _, err := cs.calling.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Every series of these families, each created at zero.
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP switchboard_sign_ins_total Sign-ins by kind (client, admin) and outcome (ok, refused, throttled, busy, error), through every door.
# TYPE switchboard_sign_ins_total counter
switchboard_sign_ins_total{kind="admin",outcome="busy"} 0
switchboard_sign_ins_total{kind="admin",outcome="error"} 0
switchboard_sign_ins_total{kind="admin",outcome="ok"} 0
switchboard_sign_ins_total{kind="admin",outcome="refused"} 1
switchboard_sign_ins_total{kind="admin",outcome="throttled"} 0
switchboard_sign_ins_total{kind="client",outcome="busy"} 0
switchboard_sign_ins_total{kind="client",outcome="error"} 0
switchboard_sign_ins_total{kind="client",outcome="ok"} 1
switchboard_sign_ins_total{kind="client",outcome="refused"} 1
switchboard_sign_ins_total{kind="client",outcome="throttled"} 0
# HELP switchboard_webhook_deliveries_total Post-call webhook deliveries, by result (ok, bad signature, unknown, duplicate, invalid, ignored, error).
# TYPE switchboard_webhook_deliveries_total counter
switchboard_webhook_deliveries_total{result="bad signature"} 1
switchboard_webhook_deliveries_total{result="duplicate"} 1
switchboard_webhook_deliveries_total{result="error"} 0
switchboard_webhook_deliveries_total{result="ignored"} 0
switchboard_webhook_deliveries_total{result="invalid"} 0
switchboard_webhook_deliveries_total{result="ok"} 1
switchboard_webhook_deliveries_total{result="unknown"} 1
`), "switchboard_sign_ins_total", "switchboard_webhook_deliveries_total"); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"switchboard_calls_placed_total", []string{"outcome=placed"}, 1},
		{"switchboard_calls_placed_total", []string{"outcome=refused"}, 1},
		{"switchboard_reconciler_runs_total", []string{"result=ok"}, 1},
		{"switchboard_sign_in_hash_wait_seconds", nil, 3}, // every sign-in since the metrics were wired
		{"switchboard_http_requests_total", []string{"method=GET", "route=/admin/clients/:clientId", "status=200"}, 1},
		{"switchboard_http_requests_total", []string{"method=GET", "route=/admin/clients/:clientId", "status=404"}, 1},
		// Refused by the group's token check, before the route's handler.
		{"switchboard_http_requests_total", []string{"method=GET", "route=/admin/clients/:clientId", "status=401"}, 1},
		{"switchboard_http_requests_total", []string{"method=GET", "route=unmatched", "status=404"}, 3},
		{"switchboard_http_requests_total", []string{"method=POST", "route=/webhooks/elevenlabs", "status=200"}, 3},
		{"switchboard_http_requests_total", []string{"method=POST", "route=/webhooks/elevenlabs", "status=401"}, 1},
		{"switchboard_http_requests_total", []string{"method=POST", "route=/secure/make-call", "status=400"}, 1},
	} {
		if got := value(t, m, tc.family, tc.labels...); got != tc.want {
			t.Errorf("%s %v = %v, want %v", tc.family, tc.labels, got, tc.want)
		}
	}
	// The failures hold allowances: per account, per address, per both.
	if n := value(t, m, "switchboard_throttle_allowances"); n < 3 {
		t.Errorf("throttle allowances = %v, want at least 3", n)
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("the families break Prometheus's naming rules: %v %v", problems, err)
	}

	// No raw path is a label: the series are the routes' patterns.
	exposition := gather(t, m)
	for _, raw := range []string{"metrics_client", "nobody_here", "wp-admin", "/x/y/z"} {
		if strings.Contains(exposition, raw) {
			t.Errorf("the raw path %q is in the exposition", raw)
		}
	}
	for _, want := range []string{
		`switchboard_http_request_duration_seconds_count{method="GET",route="/admin/clients/:clientId",status="200"} 1`,
		`go_sql_open_connections{db_name="primary"}`,
		`go_build_info{`,
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("the exposition has no %s", want)
		}
	}
}

// gather serves the registry as GET /metrics does and parses it back with
// expfmt, the Prometheus text format's own parser; it returns the text.
func gather(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	text := rec.Body.String()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, text)
	}
	if len(families) < 10 {
		t.Errorf("%d families, want the app's and the runtime's", len(families))
	}
	return text
}
