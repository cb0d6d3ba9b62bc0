// Package metrics is the service's Prometheus instrumentation: one Metrics
// with a registry of its own (not the global default, so every test and
// every server counts alone), which the HTTP app, the auth service, the
// calling service and the webhook receive as an optional dependency. A nil
// *Metrics counts nothing: each method returns at once.
package metrics

import (
	"context"
	"database/sql"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/internal/switchboard"
)

const namespace = "switchboard"

// Sign-in kinds and outcomes, webhook results and call outcomes: the label
// values, all created at zero so a dashboard sees every series from the
// start.
const (
	KindClient = "client"
	KindAdmin  = "admin"

	OutcomeOK        = "ok"
	OutcomeRefused   = "refused"   // wrong credentials, inactive client
	OutcomeThrottled = "throttled" // too many failures (429)
	OutcomeBusy      = "busy"      // no turn to hash in time (503)
	OutcomeError     = "error"     // the database or another failure

	WebhookOK           = "ok"
	WebhookBadSignature = "bad signature"
	WebhookUnknown      = "unknown"   // no call has the conversation
	WebhookDuplicate    = "duplicate" // a report already applied
	WebhookInvalid      = "invalid"   // signed, but not a body we read
	WebhookIgnored      = "ignored"   // an event about no conversation
	WebhookError        = "error"

	CallPlaced   = "placed"
	CallRefused  = "refused"  // invalid, outside hours, do-not-call, limit, misconfigured client
	CallUpstream = "upstream" // ElevenLabs refused or did not answer; the call is failed
	CallOff      = "off"      // calling is not configured
	CallError    = "error"
)

// Metrics holds the registry and its families.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	signIns    *prometheus.CounterVec
	calls      *prometheus.CounterVec
	webhooks   *prometheus.CounterVec
	reconciles *prometheus.CounterVec
	hashWait   prometheus.Histogram
}

// New returns a Metrics with its own registry, which also holds the build
// info and the Go runtime's and the process's collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
			Name: "http_requests_total", Help: "HTTP requests answered, by route pattern, method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace,
			Name: "http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern, method and status.",
			Buckets: prometheus.DefBuckets},
			[]string{"route", "method", "status"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
			Name: "sign_ins_total", Help: "Sign-ins by kind (client, admin) and outcome (ok, refused, throttled, busy, error), through every door."},
			[]string{"kind", "outcome"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
			Name: "calls_placed_total", Help: "Requests to place a call, by outcome (placed, refused, upstream, off, error)."},
			[]string{"outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
			Name: "webhook_deliveries_total", Help: "Post-call webhook deliveries, by result (ok, bad signature, unknown, duplicate, invalid, ignored, error)."},
			[]string{"result"}),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
			Name: "reconciler_runs_total", Help: "Runs of the calls reconciler, by result (ok, error)."},
			[]string{"result"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace,
			Name: "sign_in_hash_wait_seconds", Help: "Time sign-ins waited for a turn to hash (MAX_CONCURRENT_HASHES), those that got none included.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5}}),
	}
	for _, kind := range []string{KindClient, KindAdmin} {
		for _, o := range []string{OutcomeOK, OutcomeRefused, OutcomeThrottled, OutcomeBusy, OutcomeError} {
			m.signIns.WithLabelValues(kind, o)
		}
	}
	for _, o := range []string{CallPlaced, CallRefused, CallUpstream, CallOff, CallError} {
		m.calls.WithLabelValues(o)
	}
	for _, r := range []string{WebhookOK, WebhookBadSignature, WebhookUnknown, WebhookDuplicate, WebhookInvalid, WebhookIgnored, WebhookError} {
		m.webhooks.WithLabelValues(r)
	}
	for _, r := range []string{OutcomeOK, OutcomeError} {
		m.reconciles.WithLabelValues(r)
	}
	m.registry.MustRegister(m.requests, m.latency, m.signIns, m.calls, m.webhooks, m.reconciles, m.hashWait,
		collectors.NewBuildInfoCollector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the families are, for tests to read.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// AddDB adds the statistics of a database connection pool, named name
// (its db_name label).
func (m *Metrics) AddDB(name string, db *sql.DB) {
	if m == nil {
		return
	}
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// AddThrottleSize adds the gauge of the throttle's state: count returns
// how many allowances (accounts and addresses with recent failures) are
// held. It is read at each scrape, within 2 seconds, and NaN when it fails.
func (m *Metrics) AddThrottleSize(count func(context.Context) (int64, error)) {
	if m == nil {
		return
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace,
		Name: "throttle_allowances", Help: "Throttle allowances held: accounts and addresses with recent failed sign-ins."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := count(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		}))
}

// HashWait records how long a sign-in waited for its turn to hash.
func (m *Metrics) HashWait(d time.Duration) {
	if m == nil {
		return
	}
	m.hashWait.Observe(d.Seconds())
}

// Request counts a request answered with status after d. route is the
// pattern it matched ("/admin/clients/:clientId"), never the raw path.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.latency.WithLabelValues(route, method, code).Observe(d.Seconds())
}

// SignIn counts a sign-in of kind that ended with err.
func (m *Metrics) SignIn(kind string, err error) {
	if m == nil {
		return
	}
	outcome := OutcomeError
	switch switchboard.ErrorCode(err) {
	case "":
		outcome = OutcomeOK
	case switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN:
		outcome = OutcomeRefused
	case switchboard.ETHROTTLED:
		outcome = OutcomeThrottled
	case switchboard.EUNAVAILABLE:
		outcome = OutcomeBusy
	}
	m.signIns.WithLabelValues(kind, outcome).Inc()
}

// CallPlaced counts a request to place a call, by outcome (CallPlaced…).
func (m *Metrics) CallPlaced(outcome string) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(outcome).Inc()
}

// Webhook counts a webhook delivery, by result (WebhookOK…).
func (m *Metrics) Webhook(result string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(result).Inc()
}

// ReconcilerRun counts a run of the reconciler that ended with err.
func (m *Metrics) ReconcilerRun(err error) {
	if m == nil {
		return
	}
	result := OutcomeOK
	if err != nil {
		result = OutcomeError
	}
	m.reconciles.WithLabelValues(result).Inc()
}
