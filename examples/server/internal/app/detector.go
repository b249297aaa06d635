package app

import (
	"log/slog"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/config"
)

func buildDetector(cfg *config.Config, log *slog.Logger) (detect.Detector, *resembletest.Handler) {
	if cfg.Simulated() {
		c, h := resembletest.NewDetector(resembletest.Options{Latency: cfg.SimulatedLatency})
		return c, h
	}
	c := &resemble.Client{
		APIKey:  cfg.ResembleAPIKey,
		BaseURL: cfg.ResembleURL,
		Limiter: resembleLimiter(cfg.ResembleRate),
		Logger:  log.With("component", "resemble"),
	}
	return c, nil
}

// resembleLimiter paces requests to Resemble at perSecond requests per
// second (burst: one second's worth). Zero means unlimited: the limiter is
// given explicitly because resemble.Client treats a nil Limiter as its
// default rate (resemble.DefaultRate), not as "no limit".
func resembleLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}
