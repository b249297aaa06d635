package dashboard_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/dashboard"
)

func TestHandler(t *testing.T) {
	for _, sim := range []bool{true, false} {
		h := dashboard.Handler(dashboard.Options{Simulated: sim, MinScore: 0.75})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		body := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			rec.Header().Get("Content-Security-Policy") == "" {
			t.Fatalf("%d %v", rec.Code, rec.Header())
		}
		if got := strings.Contains(body, `<body class="simulated"`); got != sim {
			t.Errorf("simulated=%v but body class says %v", sim, got)
		}
		for _, want := range []string{`data-min-score="0.75"`, `new EventSource("/v1/events?access_token="`, `id="banner"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	}
	h := dashboard.Handler(dashboard.Options{})
	for _, tc := range []struct{ method, path string }{{"GET", "/other"}, {"POST", "/"}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code == 200 {
			t.Errorf("%s %s served", tc.method, tc.path)
		}
	}
}
