package metrics_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"switchboard/internal/metrics"
	"switchboard/internal/switchboard"
)

// TestNil: a nil *Metrics is "no metrics": every method does nothing.
func TestNil(t *testing.T) {
	var m *metrics.Metrics
	m.Request("/x", "GET", 200, time.Millisecond)
	m.SignIn(metrics.KindClient, nil)
	m.CallPlaced(metrics.CallPlaced)
	m.Webhook(metrics.WebhookOK)
	m.ReconcilerRun(nil)
	m.AddDB("primary", nil)
}

// TestSignInOutcomes: each sign-in error is counted under its outcome.
func TestSignInOutcomes(t *testing.T) {
	m := metrics.New()
	for _, err := range []error{
		nil,
		&switchboard.Error{Code: switchboard.EUNAUTHORIZED},
		&switchboard.Error{Code: switchboard.ETHROTTLED},
		&switchboard.Error{Code: switchboard.EUNAVAILABLE},
		errors.New("database gone"),
	} {
		m.SignIn(metrics.KindAdmin, err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "switchboard_sign_ins_total"); n != 10 {
		t.Errorf("%d sign-in series, want 2 kinds × 5 outcomes, each from the start", n)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, outcome := range []string{"ok", "refused", "throttled", "busy", "error"} {
		if line := `switchboard_sign_ins_total{kind="admin",outcome="` + outcome + `"} 1`; !strings.Contains(rec.Body.String(), line) {
			t.Errorf("no %s in\n%s", line, rec.Body)
		}
	}
}
