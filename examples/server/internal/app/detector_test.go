package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/examples/server/internal/config"
)

// CALLGUARD_RESEMBLE_RATE=0 is documented as unlimited: the Resemble client
// must get an unlimited limiter, not nil (which would mean the client's
// default of resemble.DefaultRate requests per second).
func TestResembleRateLimiter(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		rate  float64
		limit rate.Limit
	}{
		{0, rate.Inf},
		{5, 5},
		{0.5, 0.5},
		{250, 250},
	} {
		cfg := &config.Config{ResembleAPIKey: "k", ResembleRate: tc.rate}
		d, sim := buildDetector(cfg, log)
		if sim != nil {
			t.Fatalf("rate %v: simulated detector with an API key", tc.rate)
		}
		c, ok := d.(*resemble.Client)
		if !ok {
			t.Fatalf("rate %v: detector %T, want *resemble.Client", tc.rate, d)
		}
		if c.Limiter == nil {
			t.Fatalf("rate %v: nil Limiter (the client would use its default %v/s)", tc.rate, resemble.DefaultRate)
		}
		if got := c.Limiter.Limit(); got != tc.limit {
			t.Errorf("rate %v: limit %v, want %v", tc.rate, got, tc.limit)
		}
		if tc.rate == 0 {
			// Far more than DefaultBurst requests at once never wait.
			for i := range 10 * resemble.DefaultBurst {
				if !c.Limiter.Allow() {
					t.Fatalf("unlimited limiter refused request %d", i)
				}
			}
			if err := c.Limiter.WaitN(context.Background(), 1000); err != nil {
				t.Errorf("unlimited WaitN: %v", err)
			}
		}
	}
}
