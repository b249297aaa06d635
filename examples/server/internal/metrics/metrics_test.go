package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/metrics"
)

// Each server gets its own registry: building two never panics on
// duplicate registration, and each serves only its own values.
func TestIndependentRegistries(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Verdicts.WithLabelValues("fake").Add(3)
	b.Verdicts.WithLabelValues("fake").Add(1)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	if !strings.Contains(out, `callguard_verdicts_total{label="fake"} 3`) || !strings.Contains(out, "go_goroutines") {
		t.Fatalf("metrics:\n%.500s", out)
	}
}
